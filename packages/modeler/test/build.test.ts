import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { starterFiles } from '../src/commands/init-command.js';
import { runModel } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { writeProject } from './fixture.js';

let db: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url };
});
afterAll(async () => {
  await db?.drop();
});

describe('model build on PostgreSQL', () => {
  it('builds the starter project: seeds, layered models and their tests', async () => {
    const root = writeProject(starterFiles('starter'), { name: 'starter' });
    const run = await runModel(['build', '--project-dir', root], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/OK\s+table model marts\.title_popularity/);
    const rows = await db.query<{ title: string; viewers: number }>('select title, viewers::int from marts.title_popularity order by title');
    expect(rows).toEqual([
      { title: 'Dark', viewers: 1 },
      { title: 'Narcos', viewers: 1 },
      { title: 'The Crown', viewers: 1 },
    ]);
    const results = JSON.parse(readFileSync(join(root, 'target/run_results.json'), 'utf8'));
    const statuses = Object.fromEntries(results.results.map((r: { unique_id: string; status: string }) => [r.unique_id, r.status]));
    expect(statuses['model.starter.title_popularity']).toBe('success');
    expect(statuses['test.starter.unique_stg_plays_play_id']).toBe('pass');
    expect(statuses['test.starter.no_negative_hours']).toBe('pass');
    expect(Object.keys(statuses)).toHaveLength(12);
  });

  it('skips everything downstream of a failing error-severity test, but not of a warning', async () => {
    const root = writeProject({
      'models/a.sql': 'select 1 as id union all select 1',
      'models/b.sql': 'select * from {{ref "a"}}',
      'models/c.sql': 'select 2 as id union all select 2',
      'models/d.sql': 'select * from {{ref "c"}}',
      'models/schema.yml': 'models:\n  - name: a\n    columns:\n      - name: id\n        tests: [unique]\n  - name: c\n    columns:\n      - name: id\n        tests:\n          - unique:\n              config: {severity: warn}\n',
    }, { name: 'skips' });
    const run = await runModel(['build', '--project-dir', root, '--vars', '{}'], env);
    expect(run.code).toBe(1);
    const results = JSON.parse(readFileSync(join(root, 'target/run_results.json'), 'utf8'));
    const statuses = Object.fromEntries(results.results.map((r: { unique_id: string; status: string }) => [r.unique_id.split('.').pop(), r.status]));
    expect(statuses).toEqual({ a: 'success', c: 'success', unique_a_id: 'fail', unique_c_id: 'warn', b: 'skipped', d: 'success' });
    expect(run.stdout).toContain('SKIP (upstream test unique_a_id did not succeed)');
  });

  it('maps a database error back to the model file and line', async () => {
    const root = writeProject({
      'models/ok.sql': 'select 1 as id',
      'models/broken.sql': '-- reads a column that is not there\nselect\n  id,\n  missing_column\nfrom {{ref "ok"}}\n',
    }, { name: 'maps' });
    const run = await runModel(['run', '--project-dir', root], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('models/broken.sql:4:3  database error in model "broken": column "missing_column" does not exist');
  });

  it('exits 2 and runs nothing when the project does not compile', async () => {
    const root = writeProject({ 'models/a.sql': 'select * from {{ref "nope"}}', 'models/b.sql': 'select 1 as x frm' }, { name: 'broken' });
    const run = await runModel(['build', '--project-dir', root], env);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toEqual([
      'models/a.sql:1:15  ref "nope" does not match any model or seed',
      '    fix: check the name against the files in your model and seed paths',
      'models/b.sql:1:15  SQL syntax error in model "b": syntax error at or near "frm"',
      '    fix: look at "frm" and just before it',
      '2 errors found; nothing was run.',
    ]);
    const schemas = await db.query("select nspname from pg_namespace where nspname = 'broken'");
    expect(schemas).toEqual([]);
  });

  it('gives one clear sentence for an unreachable server', async () => {
    const root = writeProject({ 'models/a.sql': 'select 1 as x' }, { name: 'unreachable' });
    const run = await runModel(['run', '--project-dir', root], { DATABASE_URL: 'postgres://reel:secret@127.0.0.1:1/nowhere' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'cannot connect to postgres://reel:****@127.0.0.1:1/nowhere: connection refused\n    fix: is the server running and listening on that host and port?',
    );
  });

  it('rejects a connection string that is not one', async () => {
    const root = writeProject({ 'models/a.sql': 'select 1 as x' }, { name: 'badurl' });
    const run = await runModel(['run', '--project-dir', root], { DATABASE_URL: 'mysql://localhost/db' });
    expect(run.stderr).toBe('DATABASE_URL must start with postgres:// or postgresql://, not mysql://\n    fix: use postgres://user:password@host:5432/database');
  });
});
