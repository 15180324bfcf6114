import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel } from './cli.js';
import { SERVER_URL, createTestDatabase, type TestDatabase } from './database.js';
import { removeProject, writeProject } from './fixture.js';

// model build --atomic: build into fresh schemas, test there, switch all of them in one transaction.

const bin = fileURLToPath(new URL('../bin/model.js', import.meta.url));
let db: TestDatabase;
let root: string;
let env: Record<string, string>;
const role = `reel_dash_${randomBytes(4).toString('hex')}`;

const titles = (names: string[]) => `{{config materialized="table" schema="marts"}}\nselect * from (values ${names.map((n, i) => `(${i + 1}, '${n}')`).join(', ')}) as t(id, title)`;

beforeAll(async () => {
  db = await createTestDatabase('reel_atomic');
  env = { DATABASE_URL: db.url };
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`create role "${role}"`);
  await admin.end();
  root = writeProject({
    'models/titles.sql': titles(['Dark', 'Narcos']),
    'models/title_count.sql': '{{config schema="marts"}}\nselect count(*) as n from {{ref "titles"}}',
    'models/plays.sql': '{{config materialized="incremental" unique_key="id" schema="marts"}}\nselect id, id * 10 as seconds from generate_series(1, {{var "plays"}}) as id\n{{#if is_incremental}}where id > (select max(id) from {{this}}){{/if}}',
    'models/extra.sql': '{{config materialized="table" schema="marts"}}\nselect 42 as answer',
    'models/schema.yml': 'models:\n  - name: titles\n    columns:\n      - name: id\n        tests: [unique]\n',
  }, { name: 'atomic' });
  const first = await runModel(['build', '--project-dir', root, '--vars', '{plays: 3}'], env);
  expect(first.stderr).toBe('');
  expect(first.code).toBe(0);
  // What lives around the marts: a view in another schema, and the dashboards' role's usage grant.
  await db.query('create schema reporting');
  await db.query('create view reporting.catalogue as select title from marts.titles');
  await db.query(`grant usage on schema marts to "${role}"`);
});
afterAll(async () => {
  removeProject(root);
  await db?.drop();
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`drop role if exists "${role}"`);
  await admin.end();
});

async function state() {
  const schemas = await db.query<{ nspname: string }>("select nspname from pg_namespace where nspname like 'marts%' order by 1");
  return {
    schemas: schemas.map((s) => s.nspname),
    titles: (await db.query<{ title: string }>('select title from marts.titles order by id')).map((r) => r.title),
    catalogue: (await db.query<{ title: string }>('select title from reporting.catalogue order by title')).map((r) => r.title),
    count: Number((await db.query<{ n: string }>('select n from marts.title_count'))[0]!.n),
    plays: Number((await db.query<{ n: string }>('select count(*) as n from marts.plays'))[0]!.n),
    extra: (await db.query<{ answer: number }>('select answer from marts.extra'))[0]!.answer,
  };
}

describe('model build --atomic', () => {
  it('switches the rebuilt models in together, keeping the rest of the schema, views elsewhere and grants', async () => {
    writeFileSync(join(root, 'models/titles.sql'), titles(['Dark', 'Narcos', 'The Crown']));
    const run = await runModel(['build', '--atomic', '--project-dir', root, '-s', 'titles+', 'plays', '--vars', '{plays: 5}'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Atomic: building into marts__reel_next; marts switches over only if every node succeeds');
    expect(run.stdout).toContain('Switched marts in one transaction: 3 relations replaced, 1 kept, 1 dependent view recreated.');
    expect(await state()).toEqual({ schemas: ['marts'], titles: ['Dark', 'Narcos', 'The Crown'], catalogue: ['Dark', 'Narcos', 'The Crown'], count: 3, plays: 5, extra: 42 });
    const usage = await db.query<{ ok: boolean }>(`select has_schema_privilege('${role}', 'marts', 'usage') as ok`);
    expect(usage[0]!.ok).toBe(true);
  });

  it('switches nothing when a test fails in the new schemas', async () => {
    writeFileSync(join(root, 'models/titles.sql'), titles(['Dark', 'Dark']).replace("(2, 'Dark')", "(1, 'Dark')"));
    const run = await runModel(['build', '--atomic', '--project-dir', root, '-s', 'titles+', '--vars', '{plays: 5}'], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Nothing was switched: marts are as they were.');
    expect(await state()).toEqual({ schemas: ['marts'], titles: ['Dark', 'Narcos', 'The Crown'], catalogue: ['Dark', 'Narcos', 'The Crown'], count: 3, plays: 5, extra: 42 });
  });

  it('leaves the live marts intact and queryable when the process is killed mid-build', async () => {
    writeFileSync(join(root, 'models/titles.sql'), `${titles(['Slow'])}\nwhere (select count(*) from pg_sleep(30)) = 1`);
    const child = spawn(process.execPath, [bin, 'build', '--atomic', '--project-dir', root, '-s', 'titles+', '--threads', '1', '--vars', '{plays: 5}'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let printed = '';
    child.stdout.on('data', (d: Buffer) => (printed += d.toString()));
    child.stderr.on('data', (d: Buffer) => (printed += d.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // Killed while building titles in marts__reel_next.
    let building = false;
    for (let i = 0; i < 300 && !building && child.exitCode === null; i++) {
      building = (await db.query("select 1 from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()")).length > 0;
      if (!building) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(building, printed).toBe(true);
    child.kill('SIGKILL');
    await exited;
    await db.query("select pg_terminate_backend(pid) from pg_stat_activity where query like '%pg_sleep(30)%' and pid <> pg_backend_pid()");
    const after = await state();
    expect(after.titles).toEqual(['Dark', 'Narcos', 'The Crown']);
    expect(after.catalogue).toEqual(['Dark', 'Narcos', 'The Crown']);
    expect(after.schemas).toEqual(['marts', 'marts__reel_next']);
    // The next run clears what the killed one left.
    writeFileSync(join(root, 'models/titles.sql'), titles(['Ozark']));
    const run = await runModel(['build', '--atomic', '--project-dir', root, '-s', 'titles+', '--vars', '{plays: 5}'], env);
    expect(run.code).toBe(0);
    expect(await state()).toMatchObject({ schemas: ['marts'], titles: ['Ozark'], catalogue: ['Ozark'], count: 1, extra: 42 });
  });
});
