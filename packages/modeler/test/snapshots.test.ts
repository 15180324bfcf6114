import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { writeProject } from './fixture.js';

let db: TestDatabase;
let env: Record<string, string>;
beforeAll(async () => {
  db = await createTestDatabase('reel_snapshots');
  env = { DATABASE_URL: db.url };
});
afterAll(async () => {
  await db?.drop();
});

interface Version {
  id: number;
  plan: string;
  from: string;
  to: string | null;
  current: boolean;
  deleted?: boolean;
}

const history = (table: string, extra = '') =>
  db.query<Version>(`select id, plan, dbt_valid_from::text as "from", dbt_valid_to::text as "to", dbt_is_current as current${extra} from snapshots.${table} order by id, dbt_valid_from`);

describe('snapshots on PostgreSQL', () => {
  it('keeps history with the timestamp strategy, invalidating hard deletes, and is idempotent', async () => {
    await db.query("create schema app; create table app.members (id int, plan text, updated_at timestamptz); insert into app.members values (1, 'basic', '2024-01-01'), (2, 'basic', '2024-01-01'), (3, 'premium', '2024-01-01')");
    const root = writeProject({
      'models/sources.yml': 'sources:\n  - name: app\n    tables: [{name: members}]\n',
      'snapshots/members_snapshot.sql': '{{config unique_key="id" strategy="timestamp" updated_at="updated_at" hard_deletes="invalidate"}}\nselect id, plan, updated_at from {{source "app" "members"}}\n',
      'snapshots/snapshots.yml': 'snapshots:\n  - name: members_snapshot\n    description: members, one row per version\n    config: {schema: snapshots}\n',
      'models/current_members.sql': 'select id, plan from {{ref "members_snapshot"}} where dbt_is_current',
    }, { name: 'snap' });
    const first = await runModel(['build', '--project-dir', root], env);
    expect(first.stderr).toBe('');
    expect(first.code, first.stdout).toBe(0);
    expect(first.stdout).toMatch(/OK\s+snapshot snapshots\.members_snapshot\s+\[SNAPSHOT 3 new/);

    // Day 2: member 1 upgrades, member 3 leaves, member 4 joins; a row with an unchanged updated_at is no change.
    await db.query("update app.members set plan = 'premium', updated_at = '2024-01-02' where id = 1; update app.members set plan = 'family' where id = 2; delete from app.members where id = 3; insert into app.members values (4, 'basic', '2024-01-02')");
    const second = await runModel(['snapshot', '--project-dir', root], env);
    expect(second.code, second.stdout).toBe(0);
    expect(second.stdout).toContain('[SNAPSHOT 1 new, 1 changed, 1 deleted');
    const rows = await history('members_snapshot');
    expect(rows.map(({ id, plan, from, to, current }) => [id, plan, from.slice(0, 10), to?.slice(0, 10) ?? null, current])).toEqual([
      [1, 'basic', '2024-01-01', '2024-01-02', false],
      [1, 'premium', '2024-01-02', null, true],
      [2, 'basic', '2024-01-01', null, true],
      [3, 'premium', '2024-01-01', expect.any(String), false],
      [4, 'basic', '2024-01-02', null, true],
    ]);
    // Nothing changed: nothing written.
    const third = await runModel(['snapshot', '--project-dir', root], env);
    expect(third.stdout).toContain('[SNAPSHOT 0 new, 0 changed, 0 deleted');
    expect(await history('members_snapshot')).toEqual(rows);
    expect(await db.query('select id from public.current_members order by id')).toEqual([{ id: 1 }, { id: 2 }, { id: 4 }]);

    const manifest = JSON.parse(readFileSync(join(root, 'target/manifest.json'), 'utf8'));
    const node = manifest.nodes['snapshot.snap.members_snapshot'];
    expect(node).toMatchObject({ resource_type: 'snapshot', schema: 'snapshots', config: { strategy: 'timestamp', unique_key: 'id', updated_at: 'updated_at', hard_deletes: 'invalidate' } });
    expect(manifest.parent_map['model.snap.current_members']).toEqual(['snapshot.snap.members_snapshot']);
    const ls = await runModel(['ls', '--project-dir', root, '-s', 'resource_type:snapshot'], env);
    expect(ls.stdout.trim()).toBe('snapshot.snap.members_snapshot');
  });

  it('keeps history with the check strategy and records hard deletes as new rows', async () => {
    await db.query("create table app.plans (id int, plan text, price numeric, note text); insert into app.plans values (1, 'basic', 8, 'a'), (2, 'premium', 15, 'b')");
    const root = writeProject({
      'models/sources.yml': 'sources:\n  - name: app\n    tables: [{name: plans}]\n',
      'snapshots/plans_snapshot.sql': 'select id, plan, price, note from {{source "app" "plans"}}',
      'snapshots/snapshots.yml': 'snapshots:\n  - name: plans_snapshot\n    config:\n      schema: snapshots\n      unique_key: id\n      strategy: check\n      check_cols: [plan, price]\n      hard_deletes: new_record\n',
    }, { name: 'snapcheck' });
    expect((await runModel(['snapshot', '--project-dir', root], env)).code).toBe(0);
    // A change to an unchecked column is not a new version; a price change is; id 2 is deleted.
    await db.query("update app.plans set note = 'z' where id = 1; update app.plans set price = 9 where id = 1; delete from app.plans where id = 2");
    const second = await runModel(['snapshot', '--project-dir', root], env);
    expect(second.stdout).toContain('[SNAPSHOT 0 new, 1 changed, 1 deleted');
    // id 2 comes back.
    await db.query("insert into app.plans values (2, 'premium', 15, 'b')");
    const third = await runModel(['snapshot', '--project-dir', root], env);
    expect(third.stdout).toContain('[SNAPSHOT 0 new, 1 changed, 0 deleted');
    const rows = await history('plans_snapshot', ', dbt_is_deleted as deleted');
    expect(rows.map(({ id, plan, to, current, deleted }) => [id, plan, to === null, current, deleted])).toEqual([
      [1, 'basic', false, false, false],
      [1, 'basic', true, true, false],
      [2, 'premium', false, false, false],
      [2, 'premium', false, false, true],
      [2, 'premium', true, true, false],
    ]);
    // Each closed version ends when the next begins.
    for (const [a, b] of [[0, 1], [2, 3], [3, 4]] as const) expect(rows[a]!.to).toBe(rows[b]!.from);
    expect((await runModel(['snapshot', '--project-dir', root], env)).stdout).toContain('[SNAPSHOT 0 new, 0 changed, 0 deleted');
  });

  it('reports a snapshot without its required config at its file', async () => {
    const root = writeProject({
      'snapshots/broken.sql': '{{config unique_key="id" strategy="timestamp"}}\nselect 1 as id',
      'snapshots/other.sql': '{{config unique_key="id" strategy="chek"}}\nselect 1 as id',
    });
    const run = await runModel(['compile', '--project-dir', root], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('snapshots/broken.sql:1:1  snapshot "broken": strategy timestamp needs updated_at');
    expect(run.stderr).toContain('snapshots/other.sql:1');
    expect(run.stderr).toContain('did you mean "check"');
  });
});
