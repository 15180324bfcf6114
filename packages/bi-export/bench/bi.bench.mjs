// pnpm bench bi: extract throughput of `bi export` for fct_views (Parquet, CSV, both) in rows per
// second, against `psql \copy (select * from marts.fct_views) to … csv` in the same run, on a fresh
// database of the streaming project (REEL_BENCH_USERS members × 90 days, default 10,000). With
// REEL_BENCH_DATABASE_URL set, that database's built marts are used as they are.
// (The portal's latency figures belong to `bi serve`, not here.)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { measure } from '../../modeler/bench/measure.mjs';

const project = fileURLToPath(new URL('../../models', import.meta.url));
const bi = fileURLToPath(new URL('../bin/bi.js', import.meta.url));
const model = fileURLToPath(new URL('../../modeler/bin/model.js', import.meta.url));
const simulate = fileURLToPath(new URL('../../simulator/bin/simulate.js', import.meta.url));
const users = Number(process.env.REEL_BENCH_USERS ?? 10_000);
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(sql) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

async function prepare() {
  if (process.env.REEL_BENCH_DATABASE_URL) return { url: process.env.REEL_BENCH_DATABASE_URL, drop: async () => undefined };
  const database = 'reel_bench_bi';
  await admin(`drop database if exists ${database} with (force)`);
  await admin(`create database ${database}`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const env = { DATABASE_URL: url.toString(), CI: 'true' };
  const raw = mkdtempSync(join(tmpdir(), 'reel-bench-bi-raw-'));
  measure([simulate, '--users', String(users), '--days', '90', '--seed', '1', '--out', raw, '--load', '--project-dir', project], { env });
  measure([model, 'build', '--exclude', 'tag:ml', '--project-dir', project], { env });
  rmSync(raw, { recursive: true, force: true });
  return { url: url.toString(), drop: () => admin(`drop database if exists ${database} with (force)`) };
}

export default async function run() {
  const { url, drop } = await prepare();
  const env = { DATABASE_URL: url };
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const rows = Number((await client.query('select count(*) as n from marts.fct_views')).rows[0].n);
  await client.end();
  const load = loadavg()[0];
  const results = [];
  const out = mkdtempSync(join(tmpdir(), 'reel-bench-bi-out-'));
  try {
    // The baseline: psql's client-side COPY to a CSV file.
    const csvFile = join(out, 'psql_fct_views.csv');
    const started = process.hrtime.bigint();
    const psql = spawnSync('psql', [url, '-q', '-c', `\\copy (select * from marts.fct_views) to '${csvFile}' csv header`], { encoding: 'utf8' });
    if (psql.status !== 0) throw new Error(`psql failed: ${psql.stderr}`);
    const psqlSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    results.push({ what: 'psql \\copy to csv (baseline)', rows, seconds: round(psqlSeconds), rows_per_s: Math.round(rows / psqlSeconds), mb: round(statSync(csvFile).size / 2 ** 20, 1) });

    for (const formats of ['csv', 'parquet', 'parquet,csv']) {
      const dir = join(out, formats.replace(',', '-'));
      const run = measure([bi, 'export', '--project-dir', project, '--select', 'fct_views', '--formats', formats, '--out', dir], { env });
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      const mb = manifest.files.reduce((sum, f) => sum + f.bytes, 0) / 2 ** 20;
      results.push({ what: `bi export --formats ${formats}`, rows, seconds: round(run.seconds), rows_per_s: Math.round(rows / run.seconds), mb: round(mb, 1), peak_rss_mib: Math.round(run.rssMiB) });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
    await drop();
  }
  const baseline = results[0].rows_per_s;
  for (const r of results) r.vs_psql = round(r.rows_per_s / baseline, 2);
  return {
    name: 'bi',
    results,
    notes: [
      `fct_views: ${rows.toLocaleString('en')} rows × 21 columns; whole processes timed (node start, connection, files written, manifest and BI files).`,
      `load average at start: ${load.toFixed(2)} on ${process.env.REEL_BENCH_CORES ?? '2'} cores — figures from a busy machine are lower than on an idle one.`,
      'CSV comes straight from COPY … TO STDOUT (CSV); Parquet from a binary COPY encoded in JavaScript (hyparquet-writer, SNAPPY), the slower path.',
    ],
  };
}

const round = (v, d = 3) => Number(v.toFixed(d));
