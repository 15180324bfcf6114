import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

async function build(root: string, ...args: string[]) {
  const run = await runModel(['build', '--project-dir', root, ...args], env);
  return run;
}

describe('materializations', () => {
  it('rebuilds tables in parallel that views share, without one reading a view the other recreates', async () => {
    const files: Record<string, string> = { 'reel_project.yml': 'name: shared\nmodels:\n  shared:\n    +schema: shared\n' };
    for (let i = 1; i <= 6; i++) files[`models/t${i}.sql`] = `{{config materialized="table"}}\nselect g as id, g * ${i} as v from generate_series(1, 20000) g`;
    for (let i = 1; i <= 5; i++) files[`models/v${i}.sql`] = `select a.id, a.v + b.v as s from {{ref "t${i}"}} a join {{ref "t${i + 1}"}} b using (id)`;
    files['models/w.sql'] = 'select id, v1.s as s1, v3.s as s3, v5.s as s5 from {{ref "v1"}} v1 join {{ref "v3"}} v3 using (id) join {{ref "v5"}} v5 using (id)';
    const root = writeProject(files);
    expect((await build(root, '--threads', '6')).code).toBe(0);
    // Every table now has views that read it and another table: each rebuild sets them aside and recreates them.
    for (let round = 0; round < 3; round++) {
      const run = await build(root, '--threads', '6', '--full-refresh');
      expect(run.stdout + run.stderr, `round ${round}`).toContain('Completed successfully.');
    }
    expect(await db.query('select count(*)::int as n from shared.w')).toEqual([{ n: 20000 }]);
  }, 60_000);

  it('swaps a table in without dropping the views that depend on it', async () => {
    const root = writeProject({
      'reel_project.yml': 'name: swap\nmodels:\n  swap:\n    +schema: swap\n',
      'models/facts.sql': '{{config materialized="table"}}\nselect 1 as id, 10 as amount',
      'models/facts_view.sql': 'select id, amount * 2 as doubled from {{ref "facts"}}',
    });
    expect((await build(root)).code).toBe(0);
    // A view someone else made on top of the model: it must survive every rebuild.
    await db.query('create view swap.analyst_view as select id, doubled from swap.facts_view');
    writeFileSync(join(root, 'models/facts.sql'), '{{config materialized="table"}}\nselect 1 as id, 10 as amount union all select 2, 20');
    const run = await build(root);
    expect(run.stdout + run.stderr).toContain('Completed successfully.');
    expect(await db.query('select id, doubled from swap.analyst_view order by id')).toEqual([
      { id: 1, doubled: 20 },
      { id: 2, doubled: 40 },
    ]);
  });

  it('replaces a view whose columns changed, rebuilding dependent views in the same transaction', async () => {
    const root = writeProject({
      'reel_project.yml': 'name: views\nmodels:\n  views:\n    +schema: views\n',
      'models/base.sql': 'select 1 as id, \'a\' as label, 5 as extra',
      'models/child.sql': 'select id, label from {{ref "base"}}',
    });
    expect((await build(root)).code).toBe(0);
    // Dropping `extra` and changing a type: CREATE OR REPLACE VIEW cannot do that.
    writeFileSync(join(root, 'models/base.sql'), "select 1::bigint as id, 'a' as label");
    writeFileSync(join(root, 'models/child.sql'), 'select id, label, 1 as added from {{ref "base"}}');
    expect((await build(root, '-s', 'base')).code).toBe(0);
    expect(await db.query('select * from views.child')).toEqual([{ id: '1', label: 'a' }]);
  });

  it('refuses a change that would break a dependent view, and leaves the old relation in place', async () => {
    const root = writeProject({
      'reel_project.yml': 'name: guard\nmodels:\n  guard:\n    +schema: guard\n',
      'models/base.sql': '{{config materialized="table"}}\nselect 1 as id, 2 as used_later',
    });
    expect((await build(root)).code).toBe(0);
    await db.query('create view guard.report as select used_later from guard.base');
    writeFileSync(join(root, 'models/base.sql'), '{{config materialized="table"}}\nselect 1 as id');
    const run = await build(root);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('view guard.report depends on it and could not be recreated');
    expect(await db.query('select used_later from guard.report')).toEqual([{ used_later: 2 }]);
  });

  it('merges incremental models on unique_key and rejects NULL keys without changing the table', async () => {
    const root = writeProject({
      'reel_project.yml': 'name: incr\nmodels:\n  incr:\n    +schema: incr\n',
      'seeds/events.csv': 'id,value\n1,a\n2,b\n',
      'models/events_inc.sql':
        '{{config materialized="incremental" unique_key="id"}}\nselect id, value from {{ref "events"}}\n{{#if is_incremental}}\nwhere id is null or id >= (select max(id) from {{this}})\n{{/if}}\n',
    });
    expect((await build(root)).code).toBe(0);
    writeFileSync(join(root, 'seeds/events.csv'), 'id,value\n1,a\n2,B\n3,c\n');
    const second = await build(root);
    expect(second.stdout).toContain('MERGE 2 (1 new, 1 updated)');
    expect(await db.query('select id, value from incr.events_inc order by id')).toEqual([
      { id: 1, value: 'a' },
      { id: 2, value: 'B' },
      { id: 3, value: 'c' },
    ]);
    writeFileSync(join(root, 'seeds/events.csv'), 'id,value\n1,a\n2,B\n3,c\n,null key\n');
    const third = await build(root);
    expect(third.code).toBe(1);
    expect(third.stdout).toContain('1 new row has a NULL unique_key (id); nothing was merged');
    expect(await db.query('select count(*)::int as n from incr.events_inc')).toEqual([{ n: 3 }]);
    const full = await build(root, '--full-refresh', '--exclude', 'events');
    expect(full.stdout).toContain('FULL REFRESH');
    expect(await db.query('select count(*)::int as n from incr.events_inc')).toEqual([{ n: 4 }]);
  });

  it('builds the indexes config on tables and incremental tables, and a failing unique index leaves the old table', async () => {
    const root = writeProject({
      'reel_project.yml': 'name: idx\nmodels:\n  idx:\n    +schema: idx\n',
      'seeds/events.csv': 'id,user_id\n1,7\n2,7\n',
      'models/events_table.sql': '{{config materialized="table"}}\nselect id, user_id from {{ref "events"}}',
      'models/events_inc.sql': '{{config materialized="incremental" unique_key="id"}}\nselect id, user_id from {{ref "events"}}',
      'models/props.yml':
        'models:\n  - name: events_table\n    config:\n      indexes:\n        - columns: [id]\n          unique: true\n        - columns: [user_id, id]\n          type: brin\n  - name: events_inc\n    config:\n      indexes:\n        - columns: [id]\n          unique: true\n',
    });
    expect((await build(root)).code).toBe(0);
    const indexes = () =>
      db.query("select tablename, indexname, indexdef from pg_indexes where schemaname = 'idx' order by indexname");
    const first = await indexes();
    expect(first.map((i) => i.indexname)).toEqual(['events_inc__id__uq', 'events_table__id__uq', 'events_table__user_id_id__brin']);
    expect(first[2]!.indexdef).toContain('USING brin (user_id, id)');
    // Rebuilt: the table is swapped and its indexes made again; the incremental one merges through its index.
    writeFileSync(join(root, 'seeds/events.csv'), 'id,user_id\n1,7\n2,8\n3,9\n');
    const second = await build(root);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('MERGE 3 (1 new, 2 updated)');
    expect((await indexes()).map((i) => i.indexname)).toEqual(first.map((i) => i.indexname));
    // A duplicate id breaks the unique index: the build fails and the previous table stays, indexed.
    writeFileSync(join(root, 'seeds/events.csv'), 'id,user_id\n1,7\n1,8\n');
    const third = await build(root, '-s', 'events', 'events_table');
    expect(third.code).toBe(1);
    expect(third.stdout).toMatch(/could not create unique index|duplicate key/);
    expect(await db.query('select id, user_id from idx.events_table order by id')).toEqual([
      { id: 1, user_id: 7 },
      { id: 2, user_id: 8 },
      { id: 3, user_id: 9 },
    ]);
    expect((await indexes()).length).toBe(3);
  });

  it('persists descriptions as comments on the relation and its columns with persist_docs', async () => {
    const root = writeProject({
      'reel_project.yml': "name: pdocs\nmodels:\n  pdocs:\n    +schema: pdocs\n    +persist_docs: {relation: true, columns: true}\n",
      'models/plays.sql': '{{config materialized="table"}}\nselect 1 as id, 2 as seconds',
      'models/plays_view.sql': 'select id from {{ref "plays"}}',
      'models/props.yml':
        "models:\n  - name: plays\n    description: One row per play; it's the fact.\n    columns:\n      - {name: id, description: The play}\n      - {name: gone, description: not in the table}\n  - name: plays_view\n    description: A view of plays\n",
    });
    expect((await build(root)).code).toBe(0);
    expect(await db.query("select obj_description('pdocs.plays'::regclass, 'pg_class') as t, col_description('pdocs.plays'::regclass, 1) as c, obj_description('pdocs.plays_view'::regclass, 'pg_class') as v")).toEqual([
      { t: "One row per play; it's the fact.", c: 'The play', v: 'A view of plays' },
    ]);
  });

  it('rejects an unknown index type with the fix', async () => {
    const root = writeProject({
      'reel_project.yml': 'name: idxbad\n',
      'models/a.sql': 'select 1 as id',
      'models/props.yml': 'models:\n  - name: a\n    config:\n      indexes:\n        - columns: [id]\n          type: btre\n',
    });
    const run = await runModel(['compile', '--project-dir', root], env);
    expect(run.code).toBe(2);
    expect(run.stdout + run.stderr).toContain('models/props.yml:6:17');
    expect(run.stdout + run.stderr).toContain('did you mean "btree"');
  });

  it('builds materialized views and inlines ephemeral models as CTEs', async () => {
    const root = writeProject({
      'reel_project.yml': 'name: eph\nmodels:\n  eph:\n    +schema: eph\n',
      'models/numbers.sql': '{{config materialized="ephemeral"}}\nselect generate_series(1, 4) as n',
      'models/evens.sql': '{{config materialized="ephemeral"}}\nselect n from {{ref "numbers"}} where n % 2 = 0',
      'models/even_total.sql': '{{config materialized="materialized_view"}}\nwith doubled as (select n * 2 as n from {{ref "evens"}})\nselect sum(n)::int as total from doubled',
    });
    const run = await build(root);
    expect(run.code).toBe(0);
    expect(await db.query('select total from eph.even_total')).toEqual([{ total: 12 }]);
    const relations = await db.query("select relname, relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace where nspname = 'eph' order by relname");
    expect(relations).toEqual([{ relname: 'even_total', relkind: 'm' }]);
    expect((await build(root)).code).toBe(0);
  });

  it('loads seeds with declared and inferred column types, and points at the bad line', async () => {
    const root = writeProject({
      'reel_project.yml': 'name: seeds\nseeds:\n  seeds:\n    +schema: seeds\n',
      'seeds/plans.csv': 'plan,price,launched,active\nbasic,7.99,2020-01-01,true\npremium,15.49,2021-06-01,false\n',
      'seeds/props.yml': 'seeds:\n  - name: plans\n    config:\n      column_types:\n        price: numeric(6,2)\n',
    });
    expect((await runModel(['seed', '--project-dir', root], env)).code).toBe(0);
    const types = await db.query("select column_name, data_type from information_schema.columns where table_schema = 'seeds' and table_name = 'plans' order by ordinal_position");
    expect(types.map((t) => `${t.column_name}:${t.data_type}`)).toEqual(['plan:text', 'price:numeric', 'launched:date', 'active:boolean']);
    writeFileSync(join(root, 'seeds/plans.csv'), 'plan,price,launched,active\nbasic,7.99,2020-01-01,true\npremium,lots,2021-06-01,false\n');
    const run = await runModel(['seed', '--project-dir', root], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('seeds/plans.csv:3  cannot load seed: invalid input syntax for type numeric: "lots" (column price)');
    expect(await db.query('select count(*)::int as n from seeds.plans')).toEqual([{ n: 2 }]);
  });
});
