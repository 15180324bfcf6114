import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync as makeTemp, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { runCli } from '@reel/modeler';
import { copyModelsProject } from '@reel/models/copy-project';
import { loadRun, simulate } from '@reel/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../modeler/test/database.js';
import { main } from '../src/cli.js';
import type { ExtractManifest } from '../src/extract/extract-manifest.js';

// The real models project, built on a small simulated dataset in a database of its own (in a copy
// of the project, so that its target/ is this test's), exported, and every file checked.
const models = fileURLToPath(new URL('../../models', import.meta.url));
const MARTS = [
  'content_popularity_by_region_hour', 'dim_content', 'dim_date', 'dim_users', 'dim_users_history', 'fct_ratings', 'fct_subscription_events', 'fct_views', 'genre_format_engagement', 'kpi_daily', 'rating_trends_monthly', 'retention_cohorts', 'user_churn_signals',
  // The portal's marts by region and day (models/marts/_portal.yml).
  'genre_format_daily_by_region', 'kpi_daily_by_region', 'ratings_monthly_by_region', 'retention_cohorts_by_region', 'show_views_running_by_region', 'views_by_region_hour_daily',
];
const PASSWORD = 'pw-never-written-91';
let db: TestDatabase;
let project: string;
let url: string;
const temporary: string[] = [];
const mkdtempSync = (prefix: string) => {
  const dir = makeTemp(prefix);
  temporary.push(dir);
  return dir;
};

function capture() {
  const lines: string[] = [];
  return { lines, output: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) }, text: () => lines.join('\n') };
}

beforeAll(async () => {
  db = await createTestDatabase('reel_bi_export');
  // Trust authentication ignores the password: it is there to prove that no file repeats it.
  const withPassword = new URL(db.url);
  withPassword.password = PASSWORD;
  url = withPassword.toString();
  project = mkdtempSync(join(tmpdir(), 'reel-bi-models-'));
  copyModelsProject(project);
  const raw = mkdtempSync(join(tmpdir(), 'reel-bi-raw-'));
  await simulate({ users: 500, days: 30, start: '2024-01-01', seed: 3, out: raw });
  await loadRun(raw, { projectDir: project, env: { DATABASE_URL: url } });
  const lines: string[] = [];
  const code = await runCli(['build', '--exclude', 'tag:ml', '--project-dir', project], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { DATABASE_URL: url, NO_COLOR: '1' });
  expect(code, lines.join('\n')).toBe(0);
}, 180_000);
afterAll(async () => {
  await db?.drop();
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A value as both sides can agree on: numbers, strings, booleans, epoch ms for dates and times. */
function canonical(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof Date) return value.getTime();
  return value;
}

describe('bi export of the models project', () => {
  let out: string;
  let manifest: ExtractManifest;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'reel-bi-out-'));
    const run = capture();
    // No target/catalog.json: the column types come from pg_catalog.
    expect(await main(['export', '--project-dir', project, '--out', out], run.output, { DATABASE_URL: url }), run.text()).toBe(0);
    expect(run.text()).toContain('column types from the database');
    manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ExtractManifest;
  }, 120_000);

  it('writes a Parquet and a CSV file per mart, each described in manifest.json', async () => {
    expect(manifest.files.map((f) => f.path).sort()).toEqual(MARTS.flatMap((m) => [`${m}.csv`, `${m}.parquet`]).sort());
    for (const file of manifest.files) {
      const count = Number((await db.query<{ n: string }>(`select count(*) as n from marts.${file.mart}`))[0]!.n);
      expect(file.rows, file.path).toBe(count);
      expect(file.sha256, file.path).toBe(createHash('sha256').update(readFileSync(join(out, file.path))).digest('hex'));
      expect(file.source_model).toBe(`model.reel.${file.mart}`);
      expect(Date.parse(file.built_at)).toBeGreaterThan(Date.now() - 600_000);
    }
    const views = manifest.files.find((f) => f.path === 'fct_views.parquet')!;
    expect(views.rows).toBeGreaterThan(5000);
    expect(views.columns.find((c) => c.name === 'started_at')).toEqual({ name: 'started_at', type: 'timestamp with time zone', parquet_type: 'TIMESTAMP(MICROS, utc=true)', powerbi_type: 'DateTime', description: expect.stringMatching(/^Session start/) });
    expect(views.columns.find((c) => c.name === 'view_id')).toMatchObject({ type: 'bigint', parquet_type: 'INT64', powerbi_type: 'Int64' });
    expect(manifest.source).toEqual({ server: `127.0.0.1:${new URL(db.url).port || 5432}`, database: new URL(db.url).pathname.slice(1), username: 'postgres' });
  });

  it('reads back from Parquet exactly the rows of each mart', async () => {
    for (const mart of MARTS) {
      const file = await asyncBufferFromFile(join(out, `${mart}.parquet`));
      const parquet = ((await parquetReadObjects({ file })) as Record<string, unknown>[]).map((row) => Object.values(row).map(canonical));
      const types = manifest.files.find((f) => f.path === `${mart}.parquet`)!.columns;
      const rows = await db.query<{ row: Record<string, unknown> }>(`select to_json(t) as row from marts.${mart} as t`);
      const expected = rows.map(({ row }) =>
        types.map((column) => {
          const value = row[column.name];
          if (value === null || value === undefined) return null;
          if (column.type.endsWith('[]')) return (value as unknown[]).join(', ');
          if (column.type === 'date') return Date.parse(`${value as string}T00:00:00Z`);
          if (column.type === 'timestamp without time zone') return Date.parse(`${value as string}Z`);
          if (column.type === 'timestamp with time zone') return Date.parse(value as string);
          return value;
        }),
      );
      const key = (r: unknown[]) => JSON.stringify(r);
      expect(parquet.map(key).sort(), mart).toEqual(expected.map(key).sort());
    }
  });

  it('writes CSV that a CSV reader reads back with a header, ISO times and true/false', () => {
    const rows = parse(readFileSync(join(out, 'fct_views.csv')), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(manifest.files.find((f) => f.path === 'fct_views.csv')!.rows);
    expect(Object.keys(rows[0]!)).toEqual(manifest.files.find((f) => f.path === 'fct_views.csv')!.columns.map((c) => c.name));
    expect(rows[0]!.started_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    expect(rows[0]!.started_at_local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(new Set(rows.map((r) => r.is_real_view))).toEqual(new Set(['true', 'false']));
  });

  it('writes a Power BI project: TMDL tables with typed columns, the star schema and the KPI measures', () => {
    const model = join(out, 'powerbi', 'Reel.SemanticModel');
    expect(JSON.parse(readFileSync(join(out, 'powerbi', 'Reel.pbip'), 'utf8')).artifacts).toEqual([{ report: { path: 'Reel.Report' } }]);
    expect(JSON.parse(readFileSync(join(model, 'definition.pbism'), 'utf8')).version).toBe('4.0');
    expect(JSON.parse(readFileSync(join(out, 'powerbi', 'Reel.Report', 'definition.pbir'), 'utf8')).datasetReference).toEqual({ byPath: { path: '../Reel.SemanticModel' } });
    expect(readdirSync(join(model, 'definition', 'tables')).sort()).toEqual([...MARTS].sort().map((m) => `${m}.tmdl`));
    const views = readFileSync(join(model, 'definition', 'tables', 'fct_views.tmdl'), 'utf8');
    expect(views).toMatch(/^\/\/\/ One row per viewing session.*\ntable fct_views\n/);
    expect(views).toContain('\tcolumn view_id\n\t\tdataType: int64\n');
    expect(views).toContain('\tcolumn started_at\n\t\tdataType: dateTime\n');
    expect(views).toContain('\tcolumn completion\n\t\tdataType: double\n');
    expect(views).toContain('\tcolumn is_real_view\n\t\tdataType: boolean\n');
    expect(views).toContain("\tmeasure 'Watch Hours' = DIVIDE(SUM('fct_views'[seconds_watched]), 3600)\n");
    expect(views).toContain("\tmeasure 'Active Users' = DISTINCTCOUNT('fct_views'[user_id])\n");
    expect(views).toContain('\tpartition fct_views = m\n\t\tmode: import\n\t\tsource =\n');
    expect(views).toContain('Source{[Schema = "marts", Item = "fct_views"]}[Data]');
    expect(readFileSync(join(model, 'definition', 'tables', 'dim_users.tmdl'), 'utf8')).toContain("\tmeasure 'Churn Rate' = ");
    expect(readFileSync(join(model, 'definition', 'tables', 'dim_users.tmdl'), 'utf8')).toContain('\tcolumn user_id\n\t\tdataType: int64\n\t\tisKey\n');
    expect(readFileSync(join(model, 'definition', 'tables', 'retention_cohorts.tmdl'), 'utf8')).toContain("\tmeasure 'Retention Rate' = ");

    const relationships = readFileSync(join(model, 'definition', 'relationships.tmdl'), 'utf8');
    const pairs = [...relationships.matchAll(/\tfromColumn: (\S+)\n\ttoColumn: (\S+)/g)].map((m) => `${m[1]} -> ${m[2]}`).sort();
    // Conformed dimensions filtering several facts (one direction each): a star, not a loop.
    expect(pairs).toEqual([
      'fct_ratings.content_id -> dim_content.content_id',
      'fct_ratings.user_id -> dim_users.user_id',
      'fct_subscription_events.user_id -> dim_users.user_id',
      'fct_views.content_id -> dim_content.content_id',
      'fct_views.started_on_local -> dim_date.date_day',
      'fct_views.user_id -> dim_users.user_id',
      'user_churn_signals.user_id -> dim_users.user_id',
    ]);
    const database = new URL(db.url).pathname.slice(1);
    expect(readFileSync(join(model, 'definition', 'expressions.tmdl'), 'utf8')).toContain(`Source = PostgreSQL.Database("127.0.0.1:${new URL(db.url).port || 5432}", "${database}")`);
    expect(readFileSync(join(model, 'definition', 'model.tmdl'), 'utf8')).toContain('ref table fct_views\n');
    expect(JSON.parse(readFileSync(join(out, 'powerbi', 'Reel.pbids'), 'utf8')).connections[0].details).toEqual({ protocol: 'postgresql', address: { server: `127.0.0.1:${new URL(db.url).port || 5432}`, database } });
  });

  it('writes Tableau data sources: well-formed XML, a live PostgreSQL connection, the star schema related', () => {
    const files = readdirSync(join(out, 'tableau')).sort();
    expect(files).toEqual([...MARTS, 'reel_star'].sort().map((m) => `${m}.tds`));
    for (const file of files) expect(XMLValidator.validate(readFileSync(join(out, 'tableau', file), 'utf8')), file).toBe(true);
    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['relation', 'relationship', 'object'].includes(name) });
    const star = xml.parse(readFileSync(join(out, 'tableau', 'reel_star.tds'), 'utf8')).datasource;
    const connection = star.connection['named-connections']['named-connection'].connection;
    expect(connection).toMatchObject({ class: 'postgres', server: '127.0.0.1', dbname: new URL(db.url).pathname.slice(1), username: 'postgres' });
    expect(connection.password).toBeUndefined();
    expect(star.connection.relation[0].type).toBe('collection');
    expect(star.connection.relation[0].relation.map((r: { name: string }) => r.name).sort()).toEqual(['dim_content', 'dim_date', 'dim_users', 'fct_ratings', 'fct_subscription_events', 'fct_views', 'user_churn_signals']);
    const objects = new Map(star['object-graph'].objects.object.map((o: { id: string; caption: string }) => [o.id, o.caption]));
    const related = star['object-graph'].relationships.relationship.map((r: { 'first-end-point': { 'object-id': string }; 'second-end-point': { 'object-id': string }; expression: { op: string; expression: { op: string }[] } }) => {
      expect(r.expression.op).toBe('=');
      return `${objects.get(r['first-end-point']['object-id'])}.${r.expression.expression[0]!.op} -> ${objects.get(r['second-end-point']['object-id'])}.${r.expression.expression[1]!.op}`;
    });
    expect(related.sort()).toEqual([
      'fct_ratings.[content_id (fct_ratings)] -> dim_content.[content_id (dim_content)]',
      'fct_subscription_events.[user_id (fct_subscription_events)] -> dim_users.[user_id (dim_users)]',
      'fct_views.[content_id] -> dim_content.[content_id (dim_content)]',
      'fct_views.[started_on_local] -> dim_date.[date_day]',
      'fct_views.[user_id] -> dim_users.[user_id (dim_users)]',
      'user_churn_signals.[user_id (user_churn_signals)] -> dim_users.[user_id (dim_users)]',
    ]);
    // fct_ratings → dim_users would close a loop through dim_content and fct_views: the smaller fact's link goes.
  });

  it('never writes the database password', () => {
    for (const entry of readdirSync(out, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) expect(readFileSync(join(entry.parentPath, entry.name)).toString('latin1').includes(PASSWORD), entry.name).toBe(false);
    }
  });
});

describe('bi export with a catalog and a selection', () => {
  it('takes the column types from target/catalog.json and keeps the relationships among the selected marts', async () => {
    // The catalog `model docs generate` writes (dbt's catalog v1), with one type changed to show
    // that the catalog, not the database, is read. Without that command, the same from pg_catalog.
    const docs = await runCli(['docs', 'generate', '--project-dir', project], { out: () => undefined, err: () => undefined }, { DATABASE_URL: url, NO_COLOR: '1' });
    const catalogPath = join(project, 'target', 'catalog.json');
    let catalog: { nodes: Record<string, { columns: Record<string, { type: string; index: number; name: string }> }> };
    if (docs === 0 && existsSync(catalogPath)) {
      catalog = JSON.parse(readFileSync(catalogPath, 'utf8'));
    } else {
      const columns = await db.query<{ relation: string; name: string; type: string; index: number }>(
        `select c.relname as relation, a.attname as name, format_type(a.atttypid, a.atttypmod) as type, a.attnum as index
           from pg_class c join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
          where n.nspname = 'marts' and c.relkind = 'r'`,
      );
      catalog = { nodes: {} };
      for (const c of columns) (catalog.nodes[`model.reel.${c.relation}`] ??= { columns: {} }).columns[c.name] = { type: c.type, index: c.index, name: c.name };
    }
    catalog.nodes['model.reel.dim_users']!.columns.current_price!.type = 'numeric(10,2)';
    writeFileSync(catalogPath, JSON.stringify(catalog));
    const out = mkdtempSync(join(tmpdir(), 'reel-bi-out-'));
    const run = capture();
    expect(await main(['export', '--project-dir', project, '--out', out, '--select', 'fct_views', 'dim_users', '--formats', 'parquet', '--server', 'bi.example.internal:6432', '--database', 'analytics'], run.output, { DATABASE_URL: url }), run.text()).toBe(0);
    expect(run.text()).toContain('column types from the catalog');
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ExtractManifest;
    expect(manifest.files.map((f) => f.path).sort()).toEqual(['dim_users.parquet', 'fct_views.parquet']);
    expect(manifest.relationships.map((r) => `${r.from} -> ${r.to}`)).toEqual(['fct_views.user_id -> dim_users.user_id']);
    const users = readFileSync(join(out, 'powerbi', 'Reel.SemanticModel', 'definition', 'tables', 'dim_users.tmdl'), 'utf8');
    expect(users).toContain('\tcolumn current_price\n\t\tdataType: decimal\n');
    expect(manifest.files.find((f) => f.mart === 'dim_users')!.columns.find((c) => c.name === 'current_price')).toMatchObject({ parquet_type: 'DECIMAL(10,2)', powerbi_type: 'Decimal' });
    expect(readFileSync(join(out, 'powerbi', 'Reel.SemanticModel', 'definition', 'expressions.tmdl'), 'utf8')).toContain('PostgreSQL.Database("bi.example.internal:6432", "analytics")');
    expect(readdirSync(join(out, 'tableau')).sort()).toEqual(['dim_users.tds', 'fct_views.tds', 'reel_star.tds']);
  }, 60_000);

  it('says in one sentence how to fix bad input, and exits 2', async () => {
    const unknown = capture();
    expect(await main(['export', '--project-dir', project, '--select', 'fct_view'], unknown.output, { DATABASE_URL: url })).toBe(2);
    expect(unknown.lines).toHaveLength(1);
    expect(unknown.text()).toContain('there is no mart named "fct_view"');
    expect(unknown.text()).toContain('(did you mean "fct_views"?)');

    const staging = capture();
    expect(await main(['export', '--project-dir', project, '--select', 'stg_views'], staging.output, { DATABASE_URL: url })).toBe(2);
    expect(staging.text()).toContain('stg_views is a model of the staging layer, not a mart');

    const unbuilt = mkdtempSync(join(tmpdir(), 'reel-bi-unbuilt-'));
    cpSync(join(models, 'reel_project.yml'), join(unbuilt, 'reel_project.yml'));
    const none = capture();
    expect(await main(['export', '--project-dir', unbuilt], none.output, { DATABASE_URL: url })).toBe(2);
    expect(none.lines).toHaveLength(1);
    expect(none.text()).toMatch(/target\/manifest\.json does not exist: run `model build --project-dir .*`.*`model docs generate/);
    expect(none.text()).not.toMatch(/\n\s+at /);
  });
});
