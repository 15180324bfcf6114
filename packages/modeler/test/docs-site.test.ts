import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildManifest } from '../src/artifacts/manifest.js';
import { newInvocation } from '../src/artifacts/metadata.js';
import { compileOrThrow, compileProject } from '../src/compile.js';
import { docsManifest } from '../src/docs/docs-manifest.js';
import { serveDocs } from '../src/docs/docs-server.js';
import { shapeSiteData } from '../src/docs/shape-site-data.js';
import type { NodeRecord, SiteIndex } from '../src/docs/site-data.js';
import { writeDocsSite } from '../src/docs/write-docs-site.js';
import { projectLineage } from '../src/lineage/project-lineage.js';
import { loadParser } from '../src/validate/validate-sql.js';
import { runModel } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { SHOP_FILES } from './docs-fixture.js';
import { removeProject, writeProject } from './fixture.js';

/** The site's data as the browser sees it: data.js and every nodes/<n>.js run in a sandbox. */
function readSite(dir: string): { index: SiteIndex; record: (name: string) => NodeRecord; number: (name: string) => number } {
  const window: { REEL_DOCS?: SiteIndex } = {};
  runInNewContext(readFileSync(join(dir, 'data.js'), 'utf8'), { window, JSON });
  const index = window.REEL_DOCS!;
  const records: NodeRecord[] = [];
  for (let n = 0; n < index.chunkCount; n++) {
    runInNewContext(readFileSync(join(dir, 'nodes', `${n}.js`), 'utf8'), { REEL_DOCS_CHUNK: (_kind: string, _n: number, rows: NodeRecord[]) => records.push(...rows) });
  }
  const number = (name: string) => {
    const n = index.names.indexOf(name);
    if (n < 0) throw new Error(`no node ${name} in the site`);
    return n;
  };
  return { index, record: (name) => records[number(name)]!, number };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('writeDocsSite', () => {
  let root: string;
  beforeAll(() => {
    root = writeProject(SHOP_FILES, { name: 'shop' });
  });
  afterAll(() => removeProject(root));

  it('writes the site from a compiled project: nodes, parents, columns, lineage, relationships', async () => {
    const compiled = await compileOrThrow(root, { target: { schema: 'public' } });
    await loadParser();
    const out = join(root, 'target', 'docs');
    const written = await writeDocsSite(out, { manifest: buildManifest(compiled, newInvocation(), 'shop'), lineage: projectLineage(compiled) });

    for (const file of ['index.html', 'app.js', 'app.css', 'dagre.esm.js.LEGAL.txt', 'data.js', 'nodes/0.js', 'sql/0.js']) expect(existsSync(join(out, file)), file).toBe(true);
    expect(written.files).toBe(7);
    expect(written.bytes).toBeGreaterThan(10_000);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<script src="data.js"></script>');
    expect(html).toContain('<title>shop · Reel docs</title>');
    expect(html).not.toMatch(/https?:\/\//);

    const { index, record, number } = readSite(out);
    expect(index.project).toBe('shop');
    expect(index.names).toEqual(
      expect.arrayContaining(['fct_orders', 'dim_customers', 'stg_orders', 'raw_orders', 'revenue_dashboard', 'unique_fct_orders_order_id', 'relationships_fct_orders_customer_id__customer_id__ref_dim_customers_']),
    );
    // Models first, then seeds, exposures and tests.
    expect(index.kindNames[index.kinds[0]!]).toBe('model');
    expect(index.kindNames[index.kinds[index.kinds.length - 1]!]).toBe('test');
    expect(index.parents[number('fct_orders')]!.map((p) => index.names[p]).sort()).toEqual(['dim_customers', 'stg_orders']);
    expect(index.erd.relationships).toEqual([
      { from: number('fct_orders'), fromColumn: 'customer_id', to: number('dim_customers'), toColumn: 'customer_id', test: number('relationships_fct_orders_customer_id__customer_id__ref_dim_customers_') },
    ]);
    expect(index.erd.marts.map((n) => index.names[n]).sort()).toEqual(['customer_revenue', 'dim_customers', 'fct_orders']);
    expect(index.has).toEqual({ catalog: false, runResults: false, lineage: true });

    const fct = record('fct_orders');
    expect(fct.description).toBe('One row per order, with its customer.');
    expect(fct.relation).toBe('"marts"."fct_orders"');
    // Declared columns first (no catalog), then the ones only lineage knows, with declared types.
    expect(fct.columns).toEqual([
      ['order_id', '', 0, 'The order.'],
      ['customer_id', 'integer', 2, ''],
      ['amount_cents', '', 0, 'What was paid, in cents.'],
      ['customer_name', '', 0, ''],
    ]);
    expect(fct.tests?.map(([test, column, type]) => [index.names[test], column, type])).toEqual([
      ['no_negative_amounts', null, 'singular'],
      ['not_null_fct_orders_order_id', 'order_id', 'not_null'],
      ['relationships_fct_orders_customer_id__customer_id__ref_dim_customers_', 'customer_id', 'relationships'],
      ['unique_fct_orders_order_id', 'order_id', 'unique'],
    ]);
    const amount = fct.lineage!.columns.find(([column]) => column === 'amount_cents')!;
    expect(amount[1]).toContainEqual([number('stg_orders'), 'amount_usd', 2]); // 2: transformed
    const name = fct.lineage!.columns.find(([column]) => column === 'customer_name')!;
    expect(name[1]).toContainEqual([number('dim_customers'), 'customer_name', 0]); // 0: direct

    const source = record('payments');
    expect(source.relation).toBe('"raw"."payments"');
    expect(source.facts).toEqual([['source', 'raw'], ['table', 'payments'], ['loaded at field', 'paid_at']]);
    expect(source.columns).toEqual([['payment_id', '', 0, 'The payment.']]);
    expect(index.groups[number('payments')]).toBe(index.groupNames.indexOf('raw'));

    const exposure = record('revenue_dashboard');
    expect(exposure.url).toBe('https://bi.example.com/revenue');
    expect(exposure.facts).toEqual([['type', 'dashboard'], ['owner', 'Finance']]);
  });

  it('gives the same site from the lean manifest of docs generate as from target/manifest.json', async () => {
    const compiled = await compileOrThrow(root, { target: { schema: 'public' } });
    const full = JSON.parse(JSON.stringify(buildManifest(compiled, newInvocation(), 'shop')));
    const at = '2026-01-01T00:00:00.000Z';
    expect(shapeSiteData({ manifest: JSON.parse(JSON.stringify(docsManifest(compiled))) }, at)).toEqual(shapeSiteData({ manifest: full }, at));
  });

  it('lists snapshots with their strategy, SQL and column lineage, the same from either manifest', async () => {
    const dir = writeProject({
      ...SHOP_FILES,
      'reel_project.yml': `${SHOP_FILES['reel_project.yml']}snapshots:\n  shop:\n    +schema: snapshots\n`,
      'snapshots/customers_history.sql': 'select customer_id, upper(customer_name) as customer_name from {{ref "dim_customers"}}\n',
      'snapshots/_snapshots.yml': 'snapshots:\n  - name: customers_history\n    description: Every version of each customer.\n    config: {unique_key: customer_id, strategy: check, check_cols: [customer_name], hard_deletes: invalidate}\n    columns:\n      - {name: customer_name, description: The name then.}\n',
    });
    try {
      const result = await compileProject(dir, { target: { schema: 'public' } });
      if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
      const compiled = result.compiled;
      await loadParser();
      const lineage = projectLineage(compiled);
      const at = '2026-01-01T00:00:00.000Z';
      const lean = shapeSiteData({ manifest: JSON.parse(JSON.stringify(docsManifest(compiled))), lineage }, at);
      expect(lean).toEqual(shapeSiteData({ manifest: JSON.parse(JSON.stringify(buildManifest(compiled, newInvocation(), 'shop'))), lineage }, at));
      const { index, details, sql } = lean;
      const n = index.names.indexOf('customers_history');
      expect(index.kindNames[index.kinds[n]!]).toBe('snapshot');
      expect(index.parents[n]!.map((p) => index.names[p])).toEqual(['dim_customers']);
      const record = details[Math.floor(n / index.chunkSize)]![n % index.chunkSize]!;
      expect(record.description).toBe('Every version of each customer.');
      expect(record.relation).toBe('"snapshots"."customers_history"');
      expect(record.materialized).toBe('snapshot');
      expect(record.facts).toEqual([['strategy', 'check'], ['unique key', 'customer_id'], ['check columns', 'customer_name'], ['hard deletes', 'invalidate']]);
      const name = record.lineage!.columns.find(([column]) => column === 'customer_name')!;
      expect(name[1]).toContainEqual([index.names.indexOf('dim_customers'), 'customer_name', 2]); // 2: transformed
      expect(sql[Math.floor(n / index.chunkSize)]![n % index.chunkSize]![0]).toContain('upper(customer_name)');
    } finally {
      removeProject(dir);
    }
  });

  it('takes column types from the catalog where built and test results from run_results', () => {
    const manifest = {
      metadata: { project_name: 'p' },
      nodes: {
        'model.p.a': { unique_id: 'model.p.a', resource_type: 'model', name: 'a', columns: { id: { name: 'id', description: 'the id', data_type: 'int' }, note: { name: 'note', data_type: 'text' } }, depends_on: { nodes: [] } },
        'test.p.unique_a_id': { unique_id: 'test.p.unique_a_id', resource_type: 'test', name: 'unique_a_id', column_name: 'id', attached_node: 'model.p.a', test_metadata: { name: 'unique', kwargs: { column_name: 'id', model: "{{ get_where_subquery(ref('a')) }}" } }, config: { severity: 'ERROR' }, depends_on: { nodes: ['model.p.a'] } },
      },
      sources: {},
      exposures: {},
    };
    const catalog = { nodes: { 'model.p.a': { metadata: { type: 'BASE TABLE' }, columns: { id: { name: 'id', type: 'bigint', index: 1, comment: null } }, stats: { num_rows: { id: 'num_rows', value: 42 } } } }, sources: {} };
    const runResults = { results: [{ unique_id: 'test.p.unique_a_id', status: 'fail', failures: 3, message: 'Got 3 results', execution_time: 0.01 }] };
    const { index, details } = shapeSiteData({ manifest, catalog, runResults });
    const a = details[0]![0]!;
    expect(a.columns).toEqual([
      ['id', 'bigint', 1, 'the id'],
      ['note', 'text', 2, ''],
    ]);
    expect(a.catalog).toEqual({ type: 'BASE TABLE', rows: 42 });
    expect(a.tests).toEqual([[1, 'id', 'unique', 'error', 'fail', 3]]);
    expect(index.statuses).toEqual({ 1: 'fail' });
    expect(index.ids).toEqual(['', '']);
    const test = details[0]![1]!;
    expect(test.run).toEqual({ status: 'fail', seconds: 0.01, failures: 3, message: 'Got 3 results' });
    expect(test.facts).toEqual([['test', 'unique'], ['on', 'a'], ['column', 'id'], ['severity', 'error']]);
  });
});

describe('model docs generate and serve', () => {
  let db: TestDatabase;
  let root: string;
  let env: Record<string, string>;
  const PASSWORD = 'docs-s3cret-7c1';

  beforeAll(async () => {
    db = await createTestDatabase('reel_docs');
    const url = new URL(db.url);
    url.password = PASSWORD; // the server trusts local connections; the password must still never leak
    env = { DATABASE_URL: url.toString() };
    root = writeProject(SHOP_FILES, { name: 'shop' });
  });
  afterAll(async () => {
    removeProject(root);
    await db?.drop();
  });

  it('writes catalog.json, lineage.json and target/docs with the built types and test results, and no secret anywhere', async () => {
    const build = await runModel(['build', '--project-dir', root], env);
    expect(build.code, build.stdout).toBe(0);
    const run = await runModel(['docs', 'generate', '--project-dir', root], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Reel · project shop · 5 models, 2 seeds, 5 tests, 1 source, 1 exposure');
    expect(run.stdout).toContain('Catalog: 7 relations found on postgres://postgres:****@');
    expect(run.stdout).toContain('Lineage: 5 models');
    expect(run.stdout).toMatch(/Wrote target\/docs\/ \(7 files, [\d.]+ MB\) in [\d.]+s \(compile [\d.]+s, catalog [\d.]+s, lineage [\d.]+s, site [\d.]+s\)/);
    expect(run.stdout).toContain('Open target/docs/index.html in a browser, or run `model docs serve`.');

    const catalog = JSON.parse(readFileSync(join(root, 'target', 'catalog.json'), 'utf8'));
    expect(catalog.nodes['model.shop.fct_orders'].columns.amount_cents.type).toBe('numeric');
    const lineage = JSON.parse(readFileSync(join(root, 'target', 'lineage.json'), 'utf8'));
    expect(Object.keys(lineage.nodes).sort()).toEqual(['model.shop.customer_revenue', 'model.shop.dim_customers', 'model.shop.fct_orders', 'model.shop.stg_customers', 'model.shop.stg_orders']);

    const { index, record, number } = readSite(join(root, 'target', 'docs'));
    expect(index.has).toEqual({ catalog: true, runResults: true, lineage: true });
    expect(record('fct_orders').columns).toEqual([
      ['order_id', 'integer', 1, 'The order.'],
      ['customer_id', 'integer', 1, ''],
      ['customer_name', 'text', 1, ''],
      ['amount_cents', 'numeric', 1, 'What was paid, in cents.'],
    ]);
    expect(index.statuses[number('unique_fct_orders_order_id')]).toBe('pass');
    expect(record('fct_orders').run?.status).toBe('success');

    for (const file of filesUnder(join(root, 'target'))) {
      const text = readFileSync(file, 'utf8');
      expect(text.includes(PASSWORD), `${file} holds the database password`).toBe(false);
    }
  });

  it('with --empty-catalog needs no database', async () => {
    const run = await runModel(['docs', 'generate', '--empty-catalog', '--project-dir', root], { DATABASE_URL: 'postgres://nobody:pw@127.0.0.1:1/none' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Catalog: empty (--empty-catalog): column types are the declared ones');
    const { index, record } = readSite(join(root, 'target', 'docs'));
    expect(index.has.catalog).toBe(false);
    expect(record('fct_orders').columns?.[1]).toEqual(['customer_id', 'integer', 2, '']);
  });

  it('says how to fix a database it cannot reach', async () => {
    const run = await runModel(['docs', 'generate', '--project-dir', root], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot connect to postgres://nobody@127.0.0.1:1/none: connection refused');
    expect(run.stderr).toContain('run `model docs generate --empty-catalog` to document the project without the database');
  });

  it('docs serve refuses a project without a site, and a bad port', async () => {
    const empty = writeProject({ 'models/a.sql': 'select 1 as id' });
    try {
      const run = await runModel(['docs', 'serve', '--project-dir', empty], {});
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/there is no docs site in .*target\/docs\/\n    fix: write it first with `model docs generate`/);
      const port = await runModel(['docs', 'serve', '--port', 'http', '--project-dir', empty], {});
      expect(port.code).toBe(2);
      expect(port.stderr).toContain("option '--port <n>' argument 'http' is invalid. expected a port number from 0 (any free port) to 65535");
    } finally {
      removeProject(empty);
    }
  });
});

describe('serveDocs', () => {
  it('serves the files of the folder on 127.0.0.1 and nothing outside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reel-docs-serve-'));
    const root = writeProject(SHOP_FILES, { name: 'shop' });
    try {
      const compiled = await compileOrThrow(root, { target: { schema: 'public' } });
      await writeDocsSite(dir, { manifest: buildManifest(compiled, newInvocation(), 'shop') });
      const server = await serveDocs(dir, { port: 0 });
      try {
        expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
        const index = await fetch(server.url);
        expect(index.status).toBe(200);
        expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
        expect(await index.text()).toContain('<script src="app.js"></script>');
        const data = await fetch(new URL('data.js', server.url));
        expect(data.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
        expect(await data.text()).toMatch(/^window\.REEL_DOCS=/);
        expect((await fetch(new URL('nodes/0.js', server.url))).status).toBe(200);
        expect((await fetch(new URL('missing.js', server.url))).status).toBe(404);
        expect((await fetch(new URL('/%2e%2e/%2e%2e/etc/passwd', server.url))).status).toBe(404);
        expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
        await expect(serveDocs(dir, { port: server.port })).rejects.toThrow(`port ${server.port} on 127.0.0.1 is already in use`);
      } finally {
        await server.close();
      }
    } finally {
      removeProject(root);
      removeProject(dir);
    }
  });
});
