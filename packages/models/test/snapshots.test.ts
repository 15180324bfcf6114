import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '@reel/modeler';
import { appendDays, loadRun, simulate } from '@reel/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../modeler/test/database.js';

// users_plan_snapshot over three simulated days: the members' plan history as dim_users_history shows it.
const project = fileURLToPath(new URL('..', import.meta.url));
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase('reel_models_snapshot');
});
afterAll(async () => {
  await db?.drop();
});

async function build(): Promise<string> {
  const lines: string[] = [];
  const code = await runCli(['build', '--project-dir', project, '--exclude', 'tag:ml'], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { DATABASE_URL: db.url, NO_COLOR: '1' });
  // eslint-disable-next-line no-control-regex
  const output = lines.join('\n').replace(/\u001b\[[0-9;]*m/g, '');
  expect(code, output).toBe(0);
  return output;
}

const number = async (sql: string, values?: unknown[]) => Number((await db.query<{ n: string }>(sql, values))[0]!.n);

/** Every member of dim_users has exactly one current version, and each closed version ends where the next starts. */
async function expectConsistentHistory(): Promise<void> {
  expect(await number('select count(*) as n from marts.dim_users_history where is_current')).toBe(await number('select count(*) as n from marts.dim_users'));
  expect(await number('select count(*) as n from (select user_id from marts.dim_users_history where is_current group by user_id having count(*) > 1) as d')).toBe(0);
  expect(
    await number(`select count(*) as n from marts.dim_users_history as h
      left join marts.dim_users_history as next on next.user_id = h.user_id and next.version = h.version + 1
      where (h.valid_to is null) <> (next.user_id is null and h.is_current) or h.valid_to is distinct from coalesce(next.valid_from, h.valid_to)`),
  ).toBe(0);
}

describe('the plan history snapshot', () => {
  it('records plan changes and departures day after day, and nothing when nothing changed', async () => {
    const out = mkdtempSync(join(tmpdir(), 'reel-models-snapshot-'));
    await simulate({ users: 150, days: 20, start: '2024-01-01', seed: 9, out });
    await loadRun(out, { projectDir: project, env: { DATABASE_URL: db.url } });

    // Day 1: every member's first version.
    const first = await build();
    expect(first).toMatch(/PASS\s+unit test versions_are_numbered_and_their_changes_named/);
    expect(first).toMatch(/OK\s+snapshot snapshots\.users_plan_snapshot\s+\[SNAPSHOT \d+ new/);
    const members = await number('select count(*) as n from marts.dim_users');
    expect(await number("select count(*) as n from marts.dim_users_history where version = 1 and change_kind = 'first seen' and is_current")).toBe(members);

    // Day 2: one more simulated day, and a basic member moves to premium.
    await appendDays(out, 1);
    await loadRun(out, { projectDir: project, env: { DATABASE_URL: db.url } });
    const [mover] = await db.query<{ user_id: number }>("select user_id from marts.dim_users where current_plan = 'basic' and not is_churned order by user_id limit 1");
    await db.query(
      "insert into raw.subscriptions (event_id, user_id, event_type, event_at, plan, price, currency, ingested_at) values ('99999901', $1, 'plan_change', '2024-01-21T23:59:00Z', 'premium', '15.99', 'EUR', '2024-01-22T00:00:00Z')",
      [String(mover!.user_id)],
    );
    await build();
    await expectConsistentHistory();
    const moves = await db.query<{ version: number; plan: string; previous_plan: string | null; change_kind: string; is_current: boolean }>(
      'select version::int, plan, previous_plan, change_kind, is_current from marts.dim_users_history where user_id = $1 order by version',
      [mover!.user_id],
    );
    expect(moves.at(-1)).toEqual({ version: moves.length, plan: 'premium', previous_plan: 'basic', change_kind: 'plan change', is_current: true });

    // Day 3: another day, and a member is erased from the feeds: their history stays, closed.
    await appendDays(out, 1);
    await loadRun(out, { projectDir: project, env: { DATABASE_URL: db.url } });
    const [gone] = await db.query<{ user_id: number }>('select user_id from marts.dim_users where user_id <> $1 order by user_id desc limit 1', [mover!.user_id]);
    await db.query('delete from raw.users where trim(user_id) = $1', [String(gone!.user_id)]);
    const third = await build();
    expect(third).toMatch(/\[SNAPSHOT \d+ new, \d+ changed, 1 deleted/);
    await expectConsistentHistory();
    expect(await db.query('select is_current, valid_to is not null as closed from marts.dim_users_history where user_id = $1', [gone!.user_id])).toEqual([{ is_current: false, closed: true }]);

    // Again with nothing new: no version is added.
    const versions = await number('select count(*) as n from snapshots.users_plan_snapshot');
    expect(await build()).toContain('[SNAPSHOT 0 new, 0 changed, 0 deleted');
    expect(await number('select count(*) as n from snapshots.users_plan_snapshot')).toBe(versions);
  });
});
