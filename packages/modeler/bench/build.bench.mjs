// pnpm bench build: `model run` of 500 views as a whole process, against the same compiled DDL run
// directly over one connection (run-ddl-directly.mjs), each on a fresh database. Target: ≤ 1.3×.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { generateProject } from './generate-project.mjs';
import { measure, median } from './measure.mjs';
import { admin, serverUrl } from '../../../scripts/bench-database.mjs';

const cli = fileURLToPath(new URL('../bin/model.js', import.meta.url));
const direct = fileURLToPath(new URL('./run-ddl-directly.mjs', import.meta.url));
const models = Number(process.env.REEL_BENCH_VIEWS ?? 500);
const times = Number(process.env.REEL_BENCH_REPEAT ?? 3);

async function freshDatabase(sourceTables) {
  const name = 'reel_bench_build';
  await admin(`drop database if exists ${name} with (force)`);
  await admin(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  await client.query('create schema bench_raw');
  for (let i = 0; i < sourceTables; i++) {
    await client.query(`create table bench_raw.events_${i} (id bigint, user_id bigint, amount numeric, created_at timestamptz)`);
  }
  await client.end();
  return url.toString();
}

export default async function run() {
  const root = join(tmpdir(), 'reel-bench-build');
  const { sourceTables } = generateProject(root, models);
  measure([cli, 'compile', '--project-dir', root], { env: { DATABASE_URL: serverUrl } });
  const rows = [];
  for (const threads of [1, 4]) {
    const reel = [];
    const baseline = [];
    for (let i = 0; i < times; i++) {
      const url1 = await freshDatabase(sourceTables);
      baseline.push(measure([direct, join(root, 'target/manifest.json'), url1]).seconds);
      const url2 = await freshDatabase(sourceTables);
      reel.push(measure([cli, 'run', '--project-dir', root, '--threads', String(threads)], { env: { DATABASE_URL: url2 } }).seconds);
    }
    const r = median(reel);
    const b = median(baseline);
    rows.push({ views: models, threads, direct_ddl_s: round(b), model_run_s: round(r), ratio: round(r / b, 2), target_ratio: 1.3 });
  }
  await admin('drop database if exists reel_bench_build with (force)');
  rmSync(root, { recursive: true, force: true });
  return { name: 'build', results: rows };
}

const round = (v, d = 3) => Number(v.toFixed(d));
