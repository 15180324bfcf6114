import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel } from './cli.js';
import { SERVER_URL, createTestDatabase, type TestDatabase } from './database.js';
import { removeProject, writeProject } from './fixture.js';

// Hooks (pre/post per model, folder hooks added to the model's, on-run-start / on-run-end) and
// grants (reapplied after every rebuild; grants not in the config are revoked).

let db: TestDatabase;
let root: string;
const suffix = randomBytes(4).toString('hex');
const reader = `reel_reader_${suffix}`;
const other = `reel_other_${suffix}`;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const project = (postHook: string) => ({
  'reel_project.yml': [
    'name: hooks',
    'on-run-start: "create table if not exists public.audit (at serial, event text)"',
    'on-run-end:',
    `  - "insert into public.audit (event) values ('end {{var 'label'}}')"`,
    'vars:',
    '  label: nightly',
    'models:',
    '  hooks:',
    '    marts:',
    `      +pre-hook: "insert into public.audit (event) values ('folder pre {{this}}')"`,
    '',
  ].join('\n'),
  'models/marts/titles.sql': [
    '{{config materialized="table"}}',
    "select 1 as id, 'Dark' as title",
  ].join('\n'),
  'models/marts/_marts.yml': [
    'models:',
    '  - name: titles',
    '    config:',
    `      pre_hook: "insert into public.audit (event) values ('model pre')"`,
    `      post_hook: ["${postHook}"]`,
    `      grants: {select: [${reader}]}`,
    '',
  ].join('\n'),
});

beforeAll(async () => {
  db = await createTestDatabase('reel_hooks');
  await admin(`create role "${reader}"; create role "${other}"`);
  root = writeProject(project("insert into public.audit (event) values ('model post')"), { name: 'hooks' });
});
afterAll(async () => {
  removeProject(root);
  await db?.drop();
  await admin(`drop role if exists "${reader}"; drop role if exists "${other}"`);
});

async function grantees(): Promise<string[]> {
  const rows = await db.query<{ grantee: string }>("select grantee from information_schema.role_table_grants where table_name = 'titles' and privilege_type = 'SELECT' and grantee like 'reel_%' order by 1");
  return rows.map((r) => r.grantee);
}

describe('hooks and grants', () => {
  it('runs on-run-start, folder and model pre-hooks, the build, post-hooks, grants and on-run-end in order', async () => {
    const run = await runModel(['run', '--project-dir', root], { DATABASE_URL: db.url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const events = await db.query<{ event: string }>('select event from public.audit order by at');
    expect(events.map((e) => e.event)).toEqual(['folder pre "public"."titles"', 'model pre', 'model post', 'end nightly']);
    expect(await grantees()).toEqual([reader]);
  });

  it('reapplies grants after a rebuild and revokes those not configured', async () => {
    await db.query(`grant select on public.titles to "${other}"`);
    expect(await grantees()).toEqual([other, reader].sort());
    const run = await runModel(['run', '--project-dir', root], { DATABASE_URL: db.url });
    expect(run.code).toBe(0);
    expect(await grantees()).toEqual([reader]);
  });

  it('a failing post-hook leaves the model as it was, and says where to fix it', async () => {
    writeFileSync(join(root, 'models/marts/_marts.yml'), project('insert into public.nowhere values (1)')['models/marts/_marts.yml']);
    writeFileSync(join(root, 'models/marts/titles.sql'), "{{config materialized=\"table\"}}\nselect 2 as id, 'Narcos' as title");
    const run = await runModel(['run', '--project-dir', root], { DATABASE_URL: db.url });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('post hook 1 of model "titles" failed: relation "public.nowhere" does not exist');
    expect(run.stdout).toContain("fix: fix the post_hook SQL in the model's config; nothing of the model was changed");
    expect(await db.query('select id, title from public.titles')).toEqual([{ id: 1, title: 'Dark' }]);
    expect(await grantees()).toEqual([reader]);
  });

  it('names a role that does not exist, and a failing on-run-start stops the run', async () => {
    const broken = writeProject({ ...project('select 1'), 'models/marts/_marts.yml': 'models:\n  - name: titles\n    config:\n      grants: {select: [no_such_role_x]}\n' }, { name: 'hooks' });
    try {
      const run = await runModel(['run', '--project-dir', broken], { DATABASE_URL: db.url });
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/cannot apply grants select to no_such_role_x: role "no_such_role_x" does not exist\n {4}fix: create the role first/);
      writeFileSync(join(broken, 'reel_project.yml'), 'name: hooks\non-run-start: "select * from nowhere_at_all"\n');
      const start = await runModel(['run', '--project-dir', broken], { DATABASE_URL: db.url });
      expect(start.code).toBe(1);
      expect(start.stderr).toBe('reel_project.yml  on-run-start hook 1 of 1 failed: relation "nowhere_at_all" does not exist\n    fix: fix the SQL under on-run-start: in reel_project.yml; nothing was built');
      expect(start.stdout).not.toContain('START');
    } finally {
      removeProject(broken);
    }
  });
});
