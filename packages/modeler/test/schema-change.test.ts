import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { removeProject, writeProject } from './fixture.js';

// on_schema_change for incremental models: what a run does when the model's columns changed.

let db: TestDatabase;
const roots: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('reel_schema_change');
});
afterAll(async () => {
  for (const root of roots) removeProject(root);
  await db?.drop();
});

const model = (policy: string, columns: string) =>
  `{{config materialized="incremental" unique_key="id" on_schema_change="${policy}"}}\nselect id, ${columns} from (values (1), (2), (3)) as v(id)\n{{#if is_incremental}}where id > 1{{/if}}`;

/** Builds the first version, changes the columns, builds again; returns the second run. */
async function change(policy: string, schema: string) {
  const root = writeProject({ 'models/events.sql': model(policy, "'a' as kept, 10 as amount, 'x' as dropped") }, { name: 'change' });
  roots.push(root);
  const profile = `change:\n  target: t\n  outputs:\n    t: { url: '${db.url}', schema: ${schema} }\n`;
  writeFileSync(join(root, 'profiles.yml'), profile);
  writeFileSync(join(root, 'reel_project.yml'), 'name: change\nprofile: change\n');
  const first = await runModel(['run', '--project-dir', root, '--target', 't'], {});
  expect(first.code).toBe(0);
  writeFileSync(join(root, 'models/events.sql'), model(policy, "'b' as kept, 10.5::numeric as amount, true as added"));
  return runModel(['run', '--project-dir', root, '--target', 't'], {});
}

async function columns(schema: string): Promise<string[]> {
  const rows = await db.query<{ c: string }>(`select column_name || ' ' || data_type as c from information_schema.columns where table_schema = $1 and table_name = 'events' order by ordinal_position`, [schema]);
  return rows.map((r) => r.c);
}

describe('on_schema_change', () => {
  it('ignore (the default) merges the shared columns and warns about the new one', async () => {
    const run = await change('ignore', 'ignore_s');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('warning: new column added not in events; ignored until --full-refresh (or set on_schema_change)');
    expect(await columns('ignore_s')).toEqual(['id integer', 'kept text', 'amount integer', 'dropped text']);
    expect(await db.query('select id, kept, dropped from ignore_s.events order by id')).toEqual([
      { id: 1, kept: 'a', dropped: 'x' },
      { id: 2, kept: 'b', dropped: null },
      { id: 3, kept: 'b', dropped: null },
    ]);
  });

  it('fail stops before merging and says what changed', async () => {
    const run = await change('fail', 'fail_s');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('the columns of events changed (new column added; removed column dropped; changed type amount (integer → numeric)); on_schema_change is fail, so nothing was merged');
    expect(run.stdout).toContain('fix: rebuild it with --full-refresh, or set on_schema_change to append_new_columns or sync_all_columns');
    expect(await db.query('select id, kept from fail_s.events order by id')).toEqual([
      { id: 1, kept: 'a' },
      { id: 2, kept: 'a' },
      { id: 3, kept: 'a' },
    ]);
  });

  it('append_new_columns adds the new column and keeps the removed one', async () => {
    const run = await change('append_new_columns', 'append_s');
    expect(run.code).toBe(0);
    expect(await columns('append_s')).toEqual(['id integer', 'kept text', 'amount integer', 'dropped text', 'added boolean']);
    expect(await db.query('select id, added, dropped from append_s.events order by id')).toEqual([
      { id: 1, added: null, dropped: 'x' },
      { id: 2, added: true, dropped: null },
      { id: 3, added: true, dropped: null },
    ]);
  });

  it('sync_all_columns adds, drops and retypes, keeping a view that reads the table', async () => {
    await db.query('create schema sync_s');
    const run = await change('sync_all_columns', 'sync_s');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('sync_all_columns: new column added; removed column dropped; changed type amount (integer → numeric)');
    expect(await columns('sync_s')).toEqual(['id integer', 'kept text', 'amount numeric', 'added boolean']);
    expect(await db.query('select id, amount::float8 as amount, added from sync_s.events order by id')).toEqual([
      { id: 1, amount: 10, added: null },
      { id: 2, amount: 10.5, added: true },
      { id: 3, amount: 10.5, added: true },
    ]);
  });

  it('rejects an unknown policy at compile time, with the choices', async () => {
    const root = writeProject({ 'models/events.sql': model('append', "'a' as kept") }, { name: 'change' });
    roots.push(root);
    const run = await runModel(['compile', '--project-dir', root], { DATABASE_URL: db.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/models\/events\.sql:1:\d+ .*on_schema_change.*\n {4}fix: .*append_new_columns/);
  });
});
