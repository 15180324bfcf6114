// pnpm bench simulate: `simulate` as a whole process at 10k, 100k and 1M members over 90 days —
// rows per second for all feeds together and peak memory — and the load into PostgreSQL, as the
// time of Reel's loader for views.csv against `psql \copy` of the same file in the same run.
// Targets: ≥ 1 M rows/s to CSV, load ≥ 0.8× psql's \copy, memory flat (≤ 1 GB at 1 M members).
// REEL_BENCH_USERS=10000,100000 picks the sizes; the load is measured on up to 100k members.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { measure } from '../../modeler/bench/measure.mjs';

const cli = fileURLToPath(new URL('../bin/simulate.js', import.meta.url));
const sizes = (process.env.REEL_BENCH_USERS ?? '10000,100000,1000000').split(',').map(Number);
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function run() {
  const results = [];
  const notes = [];
  let loadOut;
  for (const users of sizes) {
    const out = join(tmpdir(), `reel-bench-simulate-${users}`);
    rmSync(out, { recursive: true, force: true });
    const started = measure([cli, '--users', String(users), '--days', '90', '--seed', '1', '--out', out], { env: { CI: 'true' } });
    const record = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    const rows = Object.values(record.batches[0].rows).reduce((a, b) => a + b, 0);
    const bytes = Object.values(record.sizes).reduce((a, b) => a + b, 0);
    results.push({ users, days: 90, rows, csv_mib: Math.round(bytes / 2 ** 20), seconds: round(started.seconds), rows_per_s: Math.round(rows / started.seconds), peak_memory_mib: Math.round(started.rssMiB), target_rows_per_s: 1_000_000 });
    rmSync(out, { recursive: true, force: true });
  }
  // The load: psql's \copy stops at the first malformed line, so this run has none (every other
  // kind of dirt stays) and both load exactly the same file.
  loadOut = join(tmpdir(), 'reel-bench-simulate-load');
  rmSync(loadOut, { recursive: true, force: true });
  measure([cli, '--users', String(Math.min(Math.max(...sizes), 100_000)), '--days', '90', '--seed', '1', '--dirt', 'malformed_line=0', '--out', loadOut], { env: { CI: 'true' } });
  results.push(await loadBench(loadOut));
  rmSync(loadOut, { recursive: true, force: true });
  notes.push('load row: seconds for views.csv through Reel\'s loader (line check + COPY, in one transaction) vs psql \\copy of the same file into an identical table');
  return { name: 'simulate', results, notes };
}

async function loadBench(out) {
  const database = 'reel_bench_simulate';
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${database} with (force)`);
  await admin.query(`create database ${database}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const { loadRun } = await import('../dist/index.js');
  const report = await loadRun(out, { projectDir: out, env: { DATABASE_URL: url.toString() } });
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query('create table public.views_psql (like raw.views)');
  await client.end();
  const started = process.hrtime.bigint();
  const psql = spawnSync('psql', [url.toString(), '-qc', `\\copy public.views_psql from '${join(out, 'views.csv')}' with (format csv, header true)`], { encoding: 'utf8' });
  const psqlSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const dropAdmin = new pg.Client({ connectionString: serverUrl });
  await dropAdmin.connect();
  await dropAdmin.query(`drop database if exists ${database} with (force)`);
  await dropAdmin.end();
  const note = psql.status === 0 ? '' : ` (psql: ${psql.stderr.trim().split('\n')[0]})`;
  return {
    users: 'load views.csv',
    rows: report.feeds.views.rows,
    csv_mib: Math.round(statSync(join(out, 'views.csv')).size / 2 ** 20),
    seconds: round(report.feeds.views.seconds),
    psql_copy_seconds: round(psqlSeconds),
    ratio_vs_psql: round(psqlSeconds / report.feeds.views.seconds, 2),
    target_ratio: 0.8,
    note,
  };
}

const round = (v, d = 3) => Number(v.toFixed(d));
