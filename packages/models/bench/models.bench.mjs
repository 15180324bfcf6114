// pnpm bench models: `model build` of the streaming project at 10k and 100k members × 90 days on a
// fresh database (the machine's PostgreSQL), rows per mart, and fct_views built incrementally after
// one appended day against a full refresh of it (the baseline, in the same run). The whole build after
// the appended day is timed too: staging and the aggregate marts are rebuilt in full every run, so it
// is close to the full build. The full refresh of fct_views (after a second appended day) covers 92 days. REEL_BENCH_USERS picks the sizes.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { measure } from '../../modeler/bench/measure.mjs';
import { admin, serverUrl } from '../../../scripts/bench-database.mjs';

const project = fileURLToPath(new URL('..', import.meta.url));
const model = fileURLToPath(new URL('../../modeler/bin/model.js', import.meta.url));
const simulate = fileURLToPath(new URL('../../simulator/bin/simulate.js', import.meta.url));
const sizes = (process.env.REEL_BENCH_USERS ?? '10000,100000').split(',').map(Number);
const MARTS = ['dim_users', 'dim_content', 'dim_date', 'fct_views', 'fct_ratings', 'fct_subscription_events', 'kpi_daily', 'content_popularity_by_region_hour', 'user_churn_signals', 'genre_format_engagement', 'rating_trends_monthly', 'retention_cohorts'];

function stepSeconds(name) {
  const results = JSON.parse(readFileSync(join(project, 'target/run_results.json'), 'utf8')).results;
  return results.find((r) => r.unique_id === `model.reel.${name}`)?.execution_time;
}

export default async function run() {
  const results = [];
  for (const users of sizes) {
    const database = 'reel_bench_models';
    await admin(`drop database if exists ${database} with (force)`);
    await admin(`create database ${database}`);
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    const env = { DATABASE_URL: url.toString(), CI: 'true' };
    const out = join(tmpdir(), `reel-bench-models-${users}`);
    rmSync(out, { recursive: true, force: true });
    measure([simulate, '--users', String(users), '--days', '90', '--seed', '1', '--out', out, '--load', '--project-dir', project], { env });
    // tag:ml reads ml.churn_scores, made by `ml score churn` (pnpm bench ml times that).
    const full = measure([model, 'build', '--full-refresh', '--project-dir', project, '--exclude', 'tag:ml'], { env });
    const fullFact = stepSeconds('fct_views');
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const rows = {};
    for (const mart of MARTS) rows[mart] = Number((await client.query(`select count(*) as n from marts.${mart}`)).rows[0].n);
    await client.end();
    measure([simulate, '--append-days', '1', '--out', out, '--load', '--project-dir', project], { env });
    const incremental = measure([model, 'build', '--project-dir', project, '--exclude', 'tag:ml'], { env });
    const inBuildFact = stepSeconds('fct_views');
    // Inside the build, fct_views shares two cores with up to three other models, while the full
    // refresh below runs alone. For a like-for-like ratio a second day is appended, everything
    // upstream of fct_views is built, and then fct_views alone, incrementally.
    measure([simulate, '--append-days', '1', '--out', out, '--load', '--project-dir', project], { env });
    measure([model, 'run', '-s', '+fct_views', '--exclude', 'fct_views', '--project-dir', project], { env });
    measure([model, 'run', '-s', 'fct_views', '--project-dir', project], { env });
    const incrementalFact = stepSeconds('fct_views');
    const refresh = measure([model, 'run', '--full-refresh', '-s', 'fct_views', '--project-dir', project], { env });
    const refreshFact = stepSeconds('fct_views');
    results.push({
      users,
      days: 90,
      full_build_s: round(full.seconds),
      build_after_1_day_s: round(incremental.seconds),
      build_speedup: round(full.seconds / incremental.seconds, 1),
      fct_views_incremental_s: round(incrementalFact),
      fct_views_incremental_in_build_s: round(inBuildFact),
      fct_views_full_refresh_s: round(refreshFact),
      fct_views_speedup: round(refreshFact / incrementalFact, 1),
      fct_views_speedup_in_build: round(refreshFact / inBuildFact, 1),
      // The target: at least 5× at 100k members.
      fct_views_target_met: users >= 100000 ? refreshFact / incrementalFact >= 5 : undefined,
      fct_views_first_build_s: round(fullFact),
      full_refresh_run_s: round(refresh.seconds),
      ...Object.fromEntries(Object.entries(rows).map(([k, v]) => [`rows_${k}`, v])),
    });
    rmSync(out, { recursive: true, force: true });
    await admin(`drop database if exists ${database} with (force)`);
  }
  return { name: 'models', results, notes: ['target: fct_views incremental ≥ 5× faster than its full refresh at 100k members'] };
}

const round = (v, d = 3) => Number(v.toFixed(d));
