import { readFileSync, rmSync, utimesSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runModel } from './cli.js';
import { removeProject, writeProject } from './fixture.js';

// `model compile` and `model docs generate` keep what the last run wrote when the project compiles
// to the same thing: only invocation ids and times are brought up to date. Anything that changes
// what compiles (a template, YAML, a var, an env var that is read, the target, a seed) writes the
// artifacts again; so does an artifact changed or removed by hand.

const FILES: Record<string, string> = {
  'reel_project.yml': 'name: kept\nprofile: kept\nvars:\n  min_amount: 0\n',
  'profiles.yml': `kept:\n  target: dev\n  outputs:\n    dev: { url: 'postgres://nobody@127.0.0.1:1/kept', schema: dev }\n    prod: { url: 'postgres://nobody@127.0.0.1:1/kept', schema: prod }\n`,
  'seeds/plans.csv': 'plan_id,price\n1,9\n',
  'models/orders.sql': "select 1 as id, 10 as amount, '{{env \"REGION\" \"eu\"}}' as region where 10 >= {{var \"min_amount\"}}",
  'models/big_orders.sql': 'select id, amount from {{ref "orders"}}',
  'snapshots/orders_history.sql': '{{config unique_key="id" strategy="check" check_cols="all"}}\nselect id, amount from {{ref "orders"}}',
  'models/schema.yml': 'models:\n  - name: orders\n    description: Every order.\n    columns:\n      - name: id\n        tests: [unique]\n',
};

const roots: string[] = [];
afterAll(() => roots.forEach(removeProject));

function project(): string {
  const root = writeProject(FILES);
  roots.push(root);
  return root;
}

const read = (root: string, file: string) => readFileSync(join(root, 'target', file), 'utf8');
const json = (root: string, file: string) => JSON.parse(read(root, file)) as Record<string, any>;
/** manifest.json without what differs between two runs of an unchanged project. */
const body = (root: string) => read(root, 'manifest.json').replace(/^\{"metadata":\{.*?\},"nodes":/, '');
const invocationOf = (root: string) => json(root, 'manifest.json').metadata.invocation_id as string;

async function compile(root: string, extra: string[] = [], env: Record<string, string> = {}) {
  const run = await runModel(['compile', '--project-dir', root, ...extra], env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run;
}

function edit(root: string, file: string, change: (text: string) => string): void {
  writeFileSync(join(root, file), change(readFileSync(join(root, file), 'utf8')));
}

/** Changes a file without changing its size or modification time (what a kept artifact is checked by). */
function sameSizeEdit(path: string, from: string, to: string): void {
  const stamp = statSync(path);
  writeFileSync(path, readFileSync(path, 'utf8').replace(from, to));
  // Records keep whole milliseconds; a Date holds them exactly.
  utimesSync(path, stamp.atime, new Date(Math.round(stamp.mtimeMs)));
}

describe('compile keeps unchanged artifacts', () => {
  it('keeps manifest.json and reel_state.json, with this run’s invocation id in both', async () => {
    const root = project();
    await compile(root);
    const first = { body: body(root), invocation: invocationOf(root), stamp: statSync(join(root, 'target/compiled/kept/models/orders.sql')).mtimeMs };
    await compile(root);
    const second = invocationOf(root);
    expect(second).not.toBe(first.invocation);
    expect(json(root, 'reel_state.json').invocation_id).toBe(second);
    expect(json(root, 'manifest.json').metadata.generated_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(body(root)).toBe(first.body);
    expect(statSync(join(root, 'target/compiled/kept/models/orders.sql')).mtimeMs).toBe(first.stamp);
    // Kept, not written again: an edit of the same size, with the file's time put back, stays.
    sameSizeEdit(join(root, 'target/manifest.json'), 'Every order.', 'Every ORDER.');
    await compile(root);
    expect(body(root)).toBe(first.body.replace('Every order.', 'Every ORDER.'));
    // --state reads reel_state.json only when it belongs to the manifest's run: it still does.
    const ls = await runModel(['ls', '--project-dir', root, '--output', 'name', '--state', join(root, 'target'), '-s', 'state:modified'], {});
    expect(ls.stderr).toBe('');
    expect(ls.stdout).toBe('');
  });

  it('writes them again when a var, an env var, a template, YAML, a seed or the target changes', async () => {
    const root = project();
    await compile(root);
    const compiledCode = () => json(root, 'manifest.json').nodes['model.kept.orders'].compiled_code as string;
    expect(compiledCode()).toContain('10 >= 0');

    await compile(root, ['--vars', '{min_amount: 5}']);
    expect(compiledCode()).toContain('10 >= 5');
    expect(read(root, 'compiled/kept/models/orders.sql')).toContain('>= 5');
    expect(json(root, 'reel_state.json').invocation_id).toBe(invocationOf(root));

    await compile(root, [], { REGION: 'us' });
    expect(compiledCode()).toContain("'us' as region");
    expect(compiledCode()).toContain('10 >= 0');
    // Back to SQL written before: the compiled file follows too.
    expect(read(root, 'compiled/kept/models/orders.sql')).toContain('>= 0');
    await compile(root);
    expect(read(root, 'compiled/kept/models/orders.sql')).toContain("'eu' as region");

    edit(root, 'models/big_orders.sql', (sql) => `${sql} where amount > 1`);
    await compile(root);
    expect(json(root, 'manifest.json').nodes['model.kept.big_orders'].compiled_code).toContain('where amount > 1');
    expect(read(root, 'compiled/kept/models/big_orders.sql')).toContain('amount > 1');

    edit(root, 'models/schema.yml', (yaml) => yaml.replace('Every order.', 'Every order, once.'));
    await compile(root);
    expect(json(root, 'manifest.json').nodes['model.kept.orders'].description).toBe('Every order, once.');

    const checksum = () => json(root, 'manifest.json').nodes['seed.kept.plans'].checksum.checksum as string;
    const before = checksum();
    edit(root, 'seeds/plans.csv', (csv) => `${csv}2,19\n`);
    await compile(root);
    expect(checksum()).not.toBe(before);

    await compile(root, ['--target', 'prod']);
    expect(json(root, 'manifest.json').nodes['model.kept.orders'].schema).toBe('prod');
    await compile(root);
    expect(json(root, 'manifest.json').nodes['model.kept.orders'].schema).toBe('dev');
  });

  it('copies unchanged entries from the previous manifest: the same manifest as one written afresh', async () => {
    const root = project();
    await compile(root);
    edit(root, 'models/big_orders.sql', (sql) => `${sql} where amount > 2`);
    edit(root, 'models/schema.yml', (yaml) => yaml.replace('Every order.', 'Each order, with its amount.'));
    await compile(root);
    const copied = body(root);
    expect(copied).toContain('where amount > 2');
    expect(copied).toContain('Each order, with its amount.');
    await compile(root, ['--no-partial-parse']);
    expect(body(root)).toBe(copied);
  });

  it('writes them again when an artifact was changed or removed by hand', async () => {
    const root = project();
    await compile(root);
    const expected = body(root);

    writeFileSync(join(root, 'target/manifest.json'), '{}');
    await compile(root);
    expect(body(root)).toBe(expected);

    rmSync(join(root, 'target/reel_state.json'));
    await compile(root);
    expect(json(root, 'reel_state.json').invocation_id).toBe(invocationOf(root));

    rmSync(join(root, 'target/compiled/kept/models/big_orders.sql'));
    await compile(root);
    expect(existsSync(join(root, 'target/compiled/kept/models/big_orders.sql'))).toBe(true);

    // --no-partial-parse never keeps anything.
    sameSizeEdit(join(root, 'target/manifest.json'), 'Every order.', 'Every ORDER.');
    await compile(root, ['--no-partial-parse']);
    expect(body(root)).toBe(expected);
  });
});

describe('docs generate keeps unchanged lineage and site', () => {
  const generate = async (root: string, env: Record<string, string> = {}) => {
    const run = await runModel(['docs', 'generate', '--empty-catalog', '--project-dir', root], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return run;
  };
  const data = (root: string) => read(root, 'docs/data.js');

  it('keeps lineage.json and the site with new times, and makes them again when a model changes', async () => {
    const root = project();
    const first = await generate(root);
    expect(first.stdout).toContain('Lineage: 3 models');
    const lineage = json(root, 'lineage.json');
    const site = data(root);
    const chunk = read(root, 'docs/nodes/0.js');
    const chunkTime = statSync(join(root, 'target/docs/nodes/0.js')).mtimeMs;

    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await generate(root);
    expect(second.stdout).toContain('Lineage: 3 models');
    const kept = json(root, 'lineage.json');
    expect(kept.generated_at).not.toBe(lineage.generated_at);
    expect(kept.nodes).toEqual(lineage.nodes);
    expect(data(root)).not.toBe(site);
    expect(data(root).replace(/generatedAt\\":\\"[^\\]+/, '')).toBe(site.replace(/generatedAt\\":\\"[^\\]+/, ''));
    expect(read(root, 'docs/nodes/0.js')).toBe(chunk);
    expect(statSync(join(root, 'target/docs/nodes/0.js')).mtimeMs).toBe(chunkTime);
    // lineage.json was kept, not made again: an edit of the same size stays.
    sameSizeEdit(join(root, 'target/lineage.json'), '"kind":"direct"', '"kind":"DIRECT"');
    await generate(root);
    expect(read(root, 'lineage.json')).toContain('"kind":"DIRECT"');

    edit(root, 'models/big_orders.sql', (sql) => sql.replace('select id, amount', 'select id, amount * 2 as doubled'));
    await generate(root);
    const columns = json(root, 'lineage.json').nodes['model.kept.big_orders'].columns.map((c: { column: string }) => c.column);
    expect(columns).toEqual(['id', 'doubled']);
    expect(read(root, 'docs/sql/0.js')).toContain('amount * 2 as doubled');

    // A new run_results.json shows in the site.
    writeFileSync(join(root, 'target/run_results.json'), JSON.stringify({ results: [{ unique_id: 'model.kept.orders', status: 'success', execution_time: 0.1 }] }));
    await generate(root);
    expect(data(root)).toContain('success');
  });

  it('gives a snapshot the columns of its select and those it adds, marked as produced by it', async () => {
    const root = project();
    await generate(root);
    const snapshot = json(root, 'lineage.json').nodes['snapshot.kept.orders_history'];
    expect(snapshot.columns.map((c: { column: string; produced_by?: string }) => [c.column, c.produced_by ?? null])).toEqual([
      ['id', null],
      ['amount', null],
      ['dbt_scd_id', 'snapshot'],
      ['dbt_updated_at', 'snapshot'],
      ['dbt_valid_from', 'snapshot'],
      ['dbt_valid_to', 'snapshot'],
      ['dbt_is_current', 'snapshot'],
    ]);
    expect(snapshot.columns[0].edges).toEqual([{ node: 'model.kept.orders', relation: 'dev.orders', column: 'id', kind: 'direct' }]);
    expect(snapshot.columns[2].edges).toEqual([]);
  });
});
