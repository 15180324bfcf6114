import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { runCli } from '@reel/modeler';
import { appendDays, loadRun, simulate } from '@reel/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../modeler/test/database.js';
import { referenceViews } from './reference-views.js';

// The streaming project built on small simulated datasets in a database of its own, and its numbers
// checked against the CSV files and the simulator's truth.
const project = fileURLToPath(new URL('..', import.meta.url));
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('reel_models');
});
afterAll(async () => {
  await db?.drop();
});

async function build(args: string[] = []): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  // Models tagged ml read ml.churn_scores, which only `ml score churn` makes (packages/ml tests them).
  const code = await runCli(['build', '--project-dir', project, '--exclude', 'tag:ml', ...args], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { DATABASE_URL: db.url, NO_COLOR: '1' });
  // Colour codes come through when CI is set (picocolors turns colour on for CI).
  // eslint-disable-next-line no-control-regex
  return { code, output: lines.join('\n').replace(/\u001b\[[0-9;]*m/g, '') };
}

async function simulateAndLoad(options: Parameters<typeof simulate>[0]): Promise<void> {
  await simulate(options);
  await loadRun(options.out, { projectDir: project, env: { DATABASE_URL: db.url } });
}

const csv = (path: string) => parse(readFileSync(path), { columns: true, relax_column_count: true }) as Record<string, string>[];
const number = async (sql: string) => Number((await db.query<{ n: string }>(sql))[0]!.n);

describe('the streaming project', () => {
  it('keeps every clean row and matches an independent count from the CSV files', async () => {
    const out = mkdtempSync(join(tmpdir(), 'reel-models-clean-'));
    await simulateAndLoad({ users: 300, days: 45, start: '2024-01-01', seed: 3, out, dirtyRate: 0 });
    const run = await build();
    expect(run.output).toContain('Completed successfully');
    expect(run.code).toBe(0);

    const views = csv(join(out, 'views.csv'));
    expect(await number('select count(*) as n from staging.stg_views_rejects')).toBe(0);
    expect(await number('select count(*) as n from marts.fct_views')).toBe(views.length);
    const seconds = views.reduce((sum, v) => sum + Number(v.seconds_watched), 0);
    expect(await number('select sum(watch_hours) as n from marts.kpi_daily')).toBeCloseTo(seconds / 3600, 0);

    // DAU on a few days, counted from the file (UTC days of the ISO start times).
    const utcDay = (started: string) => new Date(started).toISOString().slice(0, 10);
    for (const day of ['2024-01-10', '2024-01-20', '2024-02-03']) {
      const expected = new Set(views.filter((v) => utcDay(v.started_at!) === day).map((v) => v.user_id)).size;
      expect(await number(`select dau as n from marts.kpi_daily where date_day = '${day}'`), day).toBe(expected);
    }
    // New members per day equal the start events of members who joined during the run.
    const starts = csv(join(out, 'subscriptions.csv')).filter((e) => e.event_type === 'start' && utcDay(e.event_at!) >= '2024-01-01');
    expect(await number("select sum(new_members) as n from marts.kpi_daily where date_day >= '2024-01-01'")).toBe(starts.length);
  });

  it('rejects the dirt with its reasons, reconciles raw to marts, and repeats nothing', async () => {
    const out = mkdtempSync(join(tmpdir(), 'reel-models-dirty-'));
    await simulateAndLoad({ users: 400, days: 45, start: '2024-01-01', seed: 4, out, dirt: { near_duplicate: 0.01, orphan_key: 0.01, impossible_value: 0.01 } });
    // Another dataset replaced raw.*: the incremental fact must start over.
    const run = await build(['--full-refresh']);
    expect(run.code, run.output.split('\n').filter((l) => /ERROR|FAIL|WARN/.test(l)).join('\n')).toBe(0);
    const dirt = JSON.parse(readFileSync(join(out, 'truth/dirt.json'), 'utf8')) as Record<string, { applied: number }>;
    const reasons = Object.fromEntries((await db.query<{ reject_reason: string; n: string }>('select reject_reason, count(*) as n from staging.stg_views_rejects group by 1')).map((r) => [r.reject_reason, Number(r.n)]));
    // Rows held back past the run's end are not in the files, so the files hold slightly fewer.
    const near = reasons['near duplicate of an earlier session'] ?? 0;
    expect(near).toBeGreaterThan(0.85 * dirt.near_duplicate!.applied);
    expect(near).toBeLessThanOrEqual(dirt.near_duplicate!.applied);
    expect(reasons['started_at in no known format']).toBeUndefined();
    // The same rows kept and rejected, for the same reasons, as an independent reading of the files.
    const reference = referenceViews(out);
    expect(reasons).toEqual(reference.rejected);
    expect(reference.rejected['duplicate view_id']).toBeGreaterThan(0);
    expect(reference.rejected['unknown member']).toBeGreaterThan(0);
    expect(await number('select count(*) as n from marts.fct_views')).toBe(reference.kept.length);
    expect(await number('select sum(seconds_watched) as n from marts.fct_views')).toBe(reference.kept.reduce((sum, v) => sum + v.seconds, 0));
    // Start times in every format land on the same instant: DAU per UTC day from the kept rows.
    const utcDays = new Map<string, Set<string>>();
    for (const v of reference.kept) {
      const day = new Date(v.startedAt).toISOString().slice(0, 10);
      utcDays.set(day, (utcDays.get(day) ?? new Set()).add(v.userId));
    }
    const dau = await db.query<{ day: string; n: string }>("select to_char(date_day, 'YYYY-MM-DD') as day, dau as n from marts.kpi_daily where dau > 0");
    expect(Object.fromEntries(dau.map((r) => [r.day, Number(r.n)]))).toEqual(Object.fromEntries([...utcDays].map(([day, users]) => [day, users.size])));
    expect(await number("select count(*) as n from staging.stg_views where device = 'unknown'")).toBeGreaterThan(0);
    expect(await number('select count(distinct country_code) as n from staging.stg_users')).toBeLessThanOrEqual(24);
  });

  it('builds fct_views incrementally after an appended day exactly as a full refresh does', async () => {
    const out = mkdtempSync(join(tmpdir(), 'reel-models-append-'));
    await simulateAndLoad({ users: 300, days: 45, start: '2024-01-01', seed: 5, out });
    expect((await build(['--full-refresh'])).code).toBe(0);
    const before = await number('select count(*) as n from marts.fct_views');
    await appendDays(out, 1);
    await loadRun(out, { projectDir: project, env: { DATABASE_URL: db.url } });
    const incremental = await build();
    expect(incremental.output).toMatch(/OK\s+incremental model marts\.fct_views\s+\[MERGE \d+/);
    const fingerprint = "select count(*) || ':' || md5(string_agg(t::text, '|' order by view_id)) as n from marts.fct_views as t";
    const merged = (await db.query<{ n: string }>(fingerprint))[0]!.n;
    expect(Number(merged.split(':')[0])).toBeGreaterThan(before);
    expect((await build(['--full-refresh', '-s', 'fct_views'])).code).toBe(0);
    expect((await db.query<{ n: string }>(fingerprint))[0]!.n).toBe(merged);
  });

  it('labels churn in user_churn_signals as it really happened', async () => {
    const out = mkdtempSync(join(tmpdir(), 'reel-models-churn-'));
    await simulateAndLoad({ users: 600, days: 90, start: '2024-01-01', seed: 6, out });
    expect((await build(['--full-refresh'])).code).toBe(0);
    const truth = csv(join(out, 'truth/churn_truth.csv'));
    const mart = await db.query<{ key: string; label: number }>("select user_id || '@' || snapshot_date as key, churned_next_30d as label from marts.user_churn_signals where churned_next_30d is not null");
    const labels = new Map(mart.map((row) => [row.key, Number(row.label)]));
    expect(truth.length).toBeGreaterThan(1000);
    let found = 0;
    let agree = 0;
    for (const row of truth) {
      const label = labels.get(`${row.user_id}@${row.snapshot_date}`);
      if (label === undefined) continue;
      found++;
      if (label === Number(row.churned_within_30d)) agree++;
    }
    // The same members at risk on the same days, and the same outcomes; the few differences are
    // cancellations whose rows had not arrived by the end of the run (late arrivals).
    expect(found / truth.length).toBeGreaterThan(0.99);
    expect(labels.size / truth.length).toBeLessThan(1.01);
    expect(agree / found).toBeGreaterThan(0.99);
    expect(truth.filter((row) => row.churned_within_30d === '1').length).toBeGreaterThan(20);
    // Where the 30 days ended a week (the longest late arrival) before the run did, every label is the outcome.
    const settled = truth.filter((row) => row.snapshot_date! <= '2024-02-23');
    const mismatches = settled.filter((row) => labels.get(`${row.user_id}@${row.snapshot_date}`) !== Number(row.churned_within_30d));
    expect(settled.filter((row) => row.churned_within_30d === '1').length).toBeGreaterThan(10);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('writes the analysis page and its charts from the marts', async () => {
    // On the 90-day build of the test before, so that churn labels are complete.
    const { analyse } = await import('../scripts/analysis.mjs');
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const { markdown, charts } = await analyse(pool, 'the test dataset');
      expect(charts.map((c: { file: string }) => c.file)).toEqual(['views-by-local-hour.svg', 'churn-by-recency.svg', 'genre-format-watch-hours.svg', 'ratings-by-month-and-cohort.svg', 'active-members.svg', 'retention-cohorts.svg']);
      for (const c of charts as { file: string; svg: string }[]) {
        expect(c.svg.startsWith('<svg'), c.file).toBe(true);
        expect(c.svg.match(/aria-roledescription="(bar|line mark|point|rect mark)"/g)?.length ?? 0, c.file).toBeGreaterThan(0);
      }
      for (const heading of ['## 1. Which content', '## 2. Which members', '## 3. Which genres', '## 4. Do ratings', '## KPIs']) expect(markdown).toContain(heading);
      expect(markdown).not.toMatch(/NaN|undefined|Infinity/);
    } finally {
      await pool.end();
    }
  });

  it('cleans the real Netflix catalog when the simulator runs with it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'reel-models-netflix-'));
    const catalogFile = fileURLToPath(new URL('../../simulator/test/fixtures/netflix_titles_sample.csv', import.meta.url));
    // No dirt of the simulator's own: only the catalog's quirks.
    await simulateAndLoad({ users: 300, days: 40, start: '2021-09-01', seed: 7, out, catalogFile, dirtyRate: 0 });
    expect((await build(['--full-refresh'])).code).toBe(0);
    const source = csv(catalogFile);
    const titles = new Map(
      (await db.query<{ content_id: string; added_on: string | null; maturity_rating: string | null; director: string | null; cast: string | null; duration: string | null; duration_minutes: number | null; seasons: number | null; genres: string[]; countries: string[] | null }>(
        "select content_id, to_char(added_on, 'YYYY-MM-DD') as added_on, maturity_rating, director, \"cast\", duration, duration_minutes, seasons, genres, countries from staging.stg_content where content_type <> 'Episode'",
      )).map((row) => [row.content_id, row]),
    );
    expect(await number('select count(*) as n from staging.stg_content_rejects')).toBe(0);
    for (const record of source) {
      const row = titles.get(record.show_id!);
      if (!row) continue;
      // Dates with a leading space are read; "74 min" in the rating column becomes the duration.
      if (record.date_added) expect(row.added_on, record.show_id).toBe(new Date(`${record.date_added.trim()} UTC`).toISOString().slice(0, 10));
      else expect(row.added_on, record.show_id).toBeNull();
      if (!record.rating) expect(row.maturity_rating, record.show_id).toBeNull();
      if (!record.director) expect(row.director, record.show_id).toBeNull();
      else expect(row.director, record.show_id).toBe(record.director.trim());
      if (!record.cast) expect(row.cast, record.show_id).toBeNull();
      if (/^\d+ min$/.test(record.rating!)) {
        expect([row.maturity_rating, row.duration, row.duration_minutes]).toEqual([null, record.rating, Number.parseInt(record.rating!, 10)]);
      }
      if (record.type === 'TV Show') expect(row.seasons, record.show_id).toBe(Number.parseInt(record.duration!, 10));
      expect(row.genres).toEqual(record.listed_in!.split(',').map((g) => g.trim()));
      if (record.country) expect(row.countries).toEqual(record.country.split(',').map((c) => c.trim()).filter(Boolean));
    }
    // Every title of the catalog is a title of the run (the simulator takes them all), including the quirky ones.
    expect([...titles.keys()].filter((id) => ['s5990', 's6828', 's7313', 's7538'].includes(id)).sort()).toEqual(['s5990', 's6828', 's7313', 's7538']);
    expect(titles.size).toBeGreaterThan(250);
  });

  it('describes every model and every column of every built model', async () => {
    // On the build of the test before: every model relation in the database, against the manifest.
    const manifest = JSON.parse(readFileSync(join(project, 'target/manifest.json'), 'utf8')) as {
      nodes: Record<string, { resource_type: string; name: string; schema: string; alias?: string; description?: string; columns?: Record<string, { description?: string }> }>;
    };
    const models = Object.values(manifest.nodes).filter((n) => n.resource_type === 'model');
    expect(models.length).toBeGreaterThan(25);
    const built = await db.query<{ relation: string; column_name: string }>(
      `select table_schema || '.' || table_name as relation, column_name from information_schema.columns
       where table_schema = any($1) order by table_schema, table_name, ordinal_position`,
      [[...new Set(models.map((m) => m.schema))]],
    );
    const missing: string[] = [];
    let checked = 0;
    for (const model of models) {
      if (!model.description?.trim()) missing.push(`${model.name} (model)`);
      const columns = built.filter((c) => c.relation === `${model.schema}.${model.alias ?? model.name}`);
      checked += columns.length;
      for (const { column_name } of columns) if (!model.columns?.[column_name]?.description?.trim()) missing.push(`${model.name}.${column_name}`);
    }
    expect(checked).toBeGreaterThan(200);
    expect(missing, `models and columns without a description:\n${missing.join('\n')}`).toEqual([]);
  });

  it('keeps docs/erd.md in step with the project and the database catalog', async () => {
    // The database holds the last build of this file's tests; the manifest is that build's.
    const { ERD_FILE, readColumns, renderErd } = await import('../scripts/erd.mjs');
    const manifest = JSON.parse(readFileSync(join(project, 'target/manifest.json'), 'utf8'));
    const pg = (await import('pg')).default;
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const page = renderErd(manifest, await readColumns(pool));
      expect(page).toContain('marts_dim_users ||--o{ marts_fct_views : "user_id"');
      expect(page).toContain('raw_users ||--o{ raw_views : "user_id"');
      expect(readFileSync(ERD_FILE, 'utf8'), 'docs/erd.md is out of date: run pnpm erd after model build').toBe(page);
    } finally {
      await pool.end();
    }
  });

});
