import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { removeProject, writeProject } from './fixture.js';

// contract: {enforced: true} — declared columns and types checked before a model is replaced,
// constraints enforced by PostgreSQL on tables, and breaking changes reported against --state.

let db: TestDatabase;
let root: string;
let env: Record<string, string>;

const CONTRACT = (columns: string) => `models:
  - name: plans
    config:
      materialized: table
      contract: {enforced: true}
    columns:
${columns}
`;
const COLUMNS = `      - name: plan_id
        data_type: bigint
        constraints: [{type: not_null}, {type: primary_key}]
      - name: name
        data_type: text
      - name: price
        data_type: numeric
        constraints: [{type: check, expression: "price >= 0"}]
`;
const SQL = "select plan_id::bigint as plan_id, name, price::numeric as price from (values (1, 'basic', 9.99), (2, 'premium', 17.99)) as v(plan_id, name, price)";

beforeAll(async () => {
  db = await createTestDatabase('reel_contracts');
  env = { DATABASE_URL: db.url };
  root = writeProject({
    'models/plans.sql': SQL,
    'models/plans.yml': CONTRACT(COLUMNS),
    'models/plan_report.sql': 'select name, price from {{ref "plans"}}',
    'models/exposures.yml': 'exposures:\n  - name: pricing\n    type: dashboard\n    owner: {name: Pricing}\n    depends_on: [ref("plan_report")]\n',
  }, { name: 'contracts' });
});
afterAll(async () => {
  removeProject(root);
  await db?.drop();
});

async function plans() {
  return db.query<{ plan_id: string; name: string }>('select plan_id, name from public.plans order by plan_id');
}

describe('contracts', () => {
  it('builds a contracted table with the declared types and constraints', async () => {
    const run = await runModel(['build', '--project-dir', root], env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const constraints = await db.query<{ contype: string }>("select contype from pg_constraint where conrelid = 'public.plans'::regclass order by contype");
    expect(constraints.map((c) => c.contype)).toEqual(['c', 'p']);
    expect(await plans()).toEqual([{ plan_id: '1', name: 'basic' }, { plan_id: '2', name: 'premium' }]);
  });

  it('refuses a select that breaks the contract, listing every difference, and keeps the table', async () => {
    writeFileSync(join(root, 'models/plans.sql'), "select 3 as plan_id, 9.99::numeric as price, 'x' as extra");
    const run = await runModel(['run', '--project-dir', root, '-s', 'plans'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      [
        'the columns of plans do not match its contract; nothing was replaced',
        '  column   contract  model',
        '  plan_id  bigint    integer  type differs',
        '  name     text      —        missing from the model',
        '  extra    —         text     not in the contract',
      ].join('\n'),
    );
    expect(run.stdout).toContain("fix: change the model's select, or the contract's columns and data_type");
    expect(await plans()).toHaveLength(2);
  });

  it('lets PostgreSQL enforce the constraints: a negative price changes nothing', async () => {
    writeFileSync(join(root, 'models/plans.sql'), "select 3::bigint as plan_id, 'bad'::text as name, -1::numeric as price");
    const run = await runModel(['run', '--project-dir', root, '-s', 'plans'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/violates check constraint/);
    expect(await plans()).toHaveLength(2);
    writeFileSync(join(root, 'models/plans.sql'), SQL);
  });

  it('needs a data_type for every column, said at the column', async () => {
    writeFileSync(join(root, 'models/plans.yml'), CONTRACT(COLUMNS.replace('        data_type: text\n', '')));
    const run = await runModel(['compile', '--project-dir', root], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^models\/plans\.yml:\d+:\d+ {2}column "name" of model "plans" has no data_type, and the model enforces a contract\n {4}fix: add data_type/);
    writeFileSync(join(root, 'models/plans.yml'), CONTRACT(COLUMNS));
  });

  it('reports a removed column as a breaking change for what reads the model', async () => {
    await runModel(['compile', '--project-dir', root], env);
    const state = join(root, 'prod');
    mkdirSync(state, { recursive: true });
    cpSync(join(root, 'target/manifest.json'), join(state, 'manifest.json'));
    writeFileSync(join(root, 'models/plans.yml'), CONTRACT(COLUMNS.split('      - name: price')[0]!));
    writeFileSync(join(root, 'models/plans.sql'), "select plan_id::bigint as plan_id, name from (values (1, 'basic')) as v(plan_id, name)");
    const run = await runModel(['ls', '--project-dir', root, '--state', state, '-s', 'state:modified.contract', '--output', 'name'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('plans');
    expect(run.stderr).toBe(
      'warning: models/plans.yml  breaking change to the contract of model plans: column price removed — read by exposure pricing, model plan_report\n    fix: keep the column (deprecate it first), or update every consumer in the same change',
    );
  });
});
