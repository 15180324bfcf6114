import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshnessStatus } from '../src/commands/freshness-command.js';
import { runModel } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { removeProject, writeProject } from './fixture.js';

let db: TestDatabase;
let root: string;

const SOURCES = `sources:
  - name: feeds
    schema: feeds
    loaded_at_field: loaded_at
    freshness:
      warn_after: {count: 2, period: hour}
      error_after: {count: 1, period: day}
    tables:
      - name: fresh
      - name: lagging
      - name: stale
      - name: empty
      - name: filtered
        freshness:
          error_after: {count: 1, period: hour}
          filter: "kind = 'live'"
      - name: broken
        loaded_at_field: no_such_column
      - name: unchecked
        freshness: null
`;

beforeAll(async () => {
  db = await createTestDatabase('reel_freshness');
  await db.query('create schema feeds');
  for (const [table, age] of [['fresh', '10 minutes'], ['lagging', '5 hours'], ['stale', '3 days'], ['broken', '1 minute'], ['unchecked', '1 year']]) {
    await db.query(`create table feeds.${table} as select now() - interval '${age}' as loaded_at`);
  }
  await db.query('create table feeds.empty (loaded_at timestamptz)');
  await db.query(`create table feeds.filtered as select * from (values (now() - interval '5 minutes', 'batch'), (now() - interval '3 hours', 'live')) as t(loaded_at, kind)`);
  root = writeProject({ 'models/sources.yml': SOURCES, 'models/a.sql': 'select 1 as x' }, { name: 'fresh' });
});
afterAll(async () => {
  removeProject(root);
  await db?.drop();
});

describe('model source freshness', () => {
  it('judges age against warn_after and error_after', () => {
    expect(freshnessStatus(3599, { error_after: { count: 1, period: 'hour' } })).toBe('pass');
    expect(freshnessStatus(3601, { error_after: { count: 1, period: 'hour' } })).toBe('error');
    expect(freshnessStatus(7300, { warn_after: { count: 2, period: 'hour' }, error_after: { count: 1, period: 'day' } })).toBe('warn');
    expect(freshnessStatus(10 ** 9, {})).toBe('pass');
  });

  it('checks every source with freshness, says which are late and how to fix, and writes sources.json', async () => {
    const run = await runModel(['source', 'freshness', '--project-dir', root], { DATABASE_URL: db.url });
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n');
    const statusOf = (table: string) => lines.find((l) => l.includes(`freshness of feeds.${table}:`))?.split(' ')[3];
    expect(['fresh', 'lagging', 'stale', 'empty', 'filtered', 'broken', 'unchecked'].map(statusOf)).toEqual(['PASS', 'WARN', 'ERROR', 'ERROR', 'ERROR', 'RUNTIME', undefined]);
    expect(run.stdout).toMatch(/WARN freshness of feeds\.lagging: newest row loaded 5\.0 h ago \(.*\) \[warn after 2 hours, error after 1 day\]/);
    expect(run.stdout).toContain('freshness of feeds.empty: no rows: the newest loaded_at is null');
    expect(run.stdout).toMatch(/models\/sources\.yml:\d+ {2}fix: check loaded_at_field "no_such_column"/);
    expect(run.stdout).toContain('Checked 6 sources');
    expect(run.stdout).toContain('1 pass, 1 warn, 4 error; 1 selected without freshness');
    const artifact = JSON.parse(readFileSync(join(root, 'target/sources.json'), 'utf8'));
    const stale = artifact.results.find((r: { unique_id: string }) => r.unique_id === 'source.fresh.feeds.stale');
    expect(stale.status).toBe('error');
    expect(stale.max_loaded_at_time_ago_in_s).toBeGreaterThan(3 * 86_400 - 60);
    expect(stale.criteria.error_after).toEqual({ count: 1, period: 'day' });
  });

  it('takes a selection, and passes when the selected sources are fresh', async () => {
    const run = await runModel(['source', 'freshness', '--project-dir', root, '-s', 'source:feeds.fresh'], { DATABASE_URL: db.url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('1 of 1 PASS freshness of feeds.fresh');
  });
});
