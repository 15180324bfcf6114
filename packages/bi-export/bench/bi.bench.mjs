// pnpm bench bi: on a fresh database of the streaming project (REEL_BENCH_USERS members × 90 days,
// default 100,000; REEL_BENCH_DATABASE_URL to use a built database as it is):
//  1. extract throughput of `bi export` for fct_views (Parquet, CSV, both) in rows per second, against
//     `psql \copy (select * from marts.fct_views) to … csv` in the same run;
//  2. the portal (`bi serve`, its own process): latency p50 / p95 of the dashboard APIs under
//     REEL_BENCH_CLIENTS (default 50) concurrent clients, with the answer cache on (the default) and
//     off, against two baselines in the same run: a trivial endpoint (/api/me) and the same SQL sent
//     straight through pg by 50 clients sharing a pool of the same size.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { measure } from '../../modeler/bench/measure.mjs';
import { admin, serverUrl } from '../../../scripts/bench-database.mjs';

const project = fileURLToPath(new URL('../../models', import.meta.url));
const bi = fileURLToPath(new URL('../bin/bi.js', import.meta.url));
const model = fileURLToPath(new URL('../../modeler/bin/model.js', import.meta.url));
const simulate = fileURLToPath(new URL('../../simulator/bin/simulate.js', import.meta.url));
const users = Number(process.env.REEL_BENCH_USERS ?? 100_000);
const clients = Number(process.env.REEL_BENCH_CLIENTS ?? 50);
const portalSeconds = Number(process.env.REEL_BENCH_PORTAL_SECONDS ?? 10);
// REEL_BENCH_BI=portal or export runs only that part (default both).
const parts = process.env.REEL_BENCH_BI ?? 'export,portal';

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
    if (parts.includes('portal')) results.push(...(await portalLatency(url, out)));
    if (!parts.includes('export')) return { name: 'bi', results, notes: notes(rows, load) };
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
  const baseline = results.find((r) => r.what.startsWith('psql')).rows_per_s;
  for (const r of results) if (r.rows_per_s) r.vs_psql = round(r.rows_per_s / baseline, 2);
  return { name: 'bi', results, notes: notes(rows, load) };
}

function notes(rows, load) {
  return [
      `fct_views: ${rows.toLocaleString('en')} rows × 21 columns; whole processes timed (node start, connection, files written, manifest and BI files).`,
      `load average at start: ${load.toFixed(2)} on ${process.env.REEL_BENCH_CORES ?? '2'} cores — figures from a busy machine are lower than on an idle one.`,
      'CSV comes straight from COPY … TO STDOUT (CSV); Parquet from a binary COPY encoded in JavaScript (hyparquet-writer, SNAPPY), the slower path.',
      `portal: ${users.toLocaleString('en')} members; ${clients} concurrent clients for ${portalSeconds} s per row (keep-alive fetch; load generator and server share the machine), requests spread over the kpi, popularity, engagement, ratings and retention APIs, ${FILTERS} date-range × region filters, half as an admin (all regions) and half as a one-region viewer; target p95 ≤ 100 ms.`,
  ];
}

const round = (v, d = 3) => Number(v.toFixed(d));

const DASHBOARDS = ['kpi', 'popularity', 'engagement', 'ratings', 'retention'];
const FILTERS = 40;

/** Runs `request` from `clients` loops for `seconds`; latencies in ms. */
async function load(request, seconds = portalSeconds) {
  const latencies = [];
  let failures = 0;
  const until = performance.now() + seconds * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < until) {
        const i = n++;
        const started = performance.now();
        try {
          await request(i);
          latencies.push(performance.now() - started);
        } catch {
          failures++;
        }
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q) => round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN, 1);
  return { requests: latencies.length, failures, req_per_s: Math.round(latencies.length / seconds), p50_ms: at(0.5), p95_ms: at(0.95), p99_ms: at(0.99) };
}

/** `bi serve` in a process of its own; resolves to its URL and a stop function. */
async function startPortal(url, config, cacheSeconds) {
  const child = spawn(process.execPath, [bi, 'serve', '--project-dir', project, '--config', config, '--port', '0', '--cache-seconds', String(cacheSeconds)], { env: { ...process.env, DATABASE_URL: url, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const base = await new Promise((done, fail) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /Portal on (http:\/\/\S+)/.exec(output);
      if (match) done(match[1]);
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => fail(new Error(`bi serve exited ${code}: ${output}`)));
  });
  return { base, stop: () => new Promise((done) => { child.once('exit', done); child.kill('SIGTERM'); }) };
}

async function signIn(base, name, password) {
  const response = await fetch(`${base}sign-in`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base.replace(/\/$/, '') }, body: new URLSearchParams({ name, password }) });
  const cookie = /reel_session=[^;]+/.exec(response.headers.get('set-cookie') ?? '')?.[0];
  if (!cookie) throw new Error(`sign-in as ${name} failed: ${response.status}`);
  return cookie;
}

async function portalLatency(url, out) {
  const { hashPassword } = await import('../dist/serve/password-hash.js');
  const { dashboardStatements } = await import('../dist/serve/dashboard-queries.js');
  const config = join(out, 'portal.yml');
  const password = 'bench-password-1';
  const hash = await hashPassword(password);
  writeFileSync(config, `users:\n  - {name: admin, role: admin, regions: ['*'], password_hash: "${hash}"}\n  - {name: eu, role: viewer, regions: [Europe], password_hash: "${hash}"}\n`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { first, last } = (await client.query('select min(date_day)::text as first, max(date_day)::text as last from marts.kpi_daily_by_region')).rows[0];
  await client.end();
  // Date ranges of 7 to 90 days ending on different days, as people pick them.
  const day = (text, plus) => new Date(Date.parse(`${text}T00:00:00Z`) + plus * 86_400_000).toISOString().slice(0, 10);
  const span = (Date.parse(last) - Date.parse(first)) / 86_400_000;
  const filters = Array.from({ length: FILTERS }, (_, i) => {
    const length = [7, 28, 90][i % 3];
    const to = day(last, -((i * 5) % Math.max(1, span - 7)));
    return { from: day(to, -Math.min(length - 1, span)), to, region: i % 4 === 0 ? 'Europe' : undefined };
  });
  const path = (i) => {
    const f = filters[Math.floor(i / DASHBOARDS.length) % FILTERS];
    const query = new URLSearchParams({ from: f.from, to: f.to, ...(f.region ? { region: f.region } : {}) });
    return `api/dashboards/${DASHBOARDS[i % DASHBOARDS.length]}?${query}`;
  };
  const rows = [];
  for (const cacheSeconds of [60, 0]) {
    const portal = await startPortal(url, config, cacheSeconds);
    try {
      const cookies = [await signIn(portal.base, 'admin', password), await signIn(portal.base, 'eu', password)];
      const get = async (relative, i) => {
        const response = await fetch(`${portal.base}${relative}`, { headers: { cookie: cookies[i % 2] } });
        if (!response.ok) throw new Error(`${relative}: ${response.status}`);
        await response.arrayBuffer();
      };
      if (cacheSeconds === 60) rows.push({ what: `portal GET /api/me (trivial endpoint, baseline)`, ...(await load((i) => get('api/me', i))) });
      rows.push({ what: `portal dashboard APIs, answer cache ${cacheSeconds ? `on (${cacheSeconds} s)` : 'off'}`, ...(await load((i) => get(path(i), i))) });
    } finally {
      await portal.stop();
    }
  }
  // The same statements straight through pg: 50 clients on a pool as large as the portal's (10).
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  try {
    rows.push({
      what: 'the same SQL straight through pg (baseline)',
      ...(await load(async (i) => {
        const f = filters[Math.floor(i / DASHBOARDS.length) % FILTERS];
        const regions = i % 2 === 1 ? ['Europe'] : f.region ? [f.region] : null;
        const statements = dashboardStatements(DASHBOARDS[i % DASHBOARDS.length], { from: f.from, to: f.to, regions });
        await Promise.all(statements.map((s) => pool.query(s.text, s.values)));
      })),
    });
  } finally {
    await pool.end();
  }
  return rows;
}
