import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { removeProject, writeProject } from './fixture.js';

// Slim CI: --state compares with production's manifest, --defer reads what CI did not build from
// production's schema, and `model retry` reruns only what failed.

const PROFILES = `slim:
  target: ci
  outputs:
    prod: { url: '{{env "TEST_DB"}}', schema: prod }
    ci: { url: '{{env "TEST_DB"}}', schema: ci }
`;

const FILES: Record<string, string> = {
  'reel_project.yml': 'name: slim\nprofile: slim\n',
  'profiles.yml': PROFILES,
  'seeds/plans.csv': 'plan_id,price_cents\n1,999\n2,1499\n',
  'macros/to_euros.sql': '({{column}} / 100.0)',
  'macros/rounding.sql': 'round({{> to_euros column=column}}, 2)',
  'macros/labels.js': "export function shout(text) { return `'${String(text).toUpperCase()}'`; }\n",
  'models/stg_plans.sql': 'select plan_id, {{> rounding column="price_cents"}} as price from {{ref "plans"}}',
  'models/labels.sql': 'select 1 as id, {{shout "basic"}} as label',
  'models/plan_labels.sql': 'select p.plan_id, p.price, l.label from {{ref "stg_plans"}} p cross join {{ref "labels"}} l',
  'models/label_count.sql': 'select count(*) as n from {{ref "labels"}}',
  'models/report.sql': 'select * from {{ref "plan_labels"}}',
  'models/schema.yml': 'models:\n  - name: plan_labels\n    columns:\n      - name: plan_id\n        tests: [not_null]\n',
  'models/exposures.yml': 'exposures:\n  - name: pricing_dashboard\n    type: dashboard\n    owner: { name: Pricing }\n    depends_on: [ref("report")]\n',
};

let db: TestDatabase;
let env: Record<string, string>;
const roots: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase('reel_state');
  env = { TEST_DB: db.url };
});
afterAll(async () => {
  for (const root of roots) removeProject(root);
  await db?.drop();
});

function project(files: Record<string, string> = FILES): string {
  const root = writeProject(files);
  roots.push(root);
  return root;
}

/** Compiles as production and keeps its target/ in `prod-state/`. */
async function productionState(root: string): Promise<string> {
  const run = await runModel(['compile', '--project-dir', root, '--target', 'prod'], env);
  expect(run.stderr).toBe('');
  const dir = join(root, 'prod-state');
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, 'target', 'manifest.json'), join(dir, 'manifest.json'));
  return dir;
}

async function ls(root: string, ...selection: string[]): Promise<string[]> {
  const run = await runModel(['ls', '--project-dir', root, '--output', 'name', '--state', join(root, 'prod-state'), '-s', ...selection], env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return run.stdout.split('\n').filter(Boolean).sort();
}

function edit(root: string, file: string, change: (text: string) => string): void {
  const path = join(root, file);
  writeFileSync(path, change(readFileSync(path, 'utf8')));
}

describe('state: selectors against a previous manifest', () => {
  it('finds nothing modified when only the target differs (prod manifest, ci target)', async () => {
    const root = project();
    await productionState(root);
    expect(await ls(root, 'state:modified')).toEqual([]);
    expect(await ls(root, 'state:unmodified', '--resource-type', 'model')).toEqual(['label_count', 'labels', 'plan_labels', 'report', 'stg_plans']);
  });

  it('picks exactly the changed model, and with + its children, tests and exposure', async () => {
    const root = project();
    await productionState(root);
    edit(root, 'models/plan_labels.sql', (t) => t.replace('p.price,', 'p.price, p.price * 2 as double_price,'));
    expect(await ls(root, 'state:modified')).toEqual(['plan_labels']);
    expect(await ls(root, 'state:modified.body')).toEqual(['plan_labels']);
    expect(await ls(root, 'state:modified.configs')).toEqual([]);
    expect(await ls(root, 'state:modified+')).toEqual(['not_null_plan_labels_plan_id', 'plan_labels', 'pricing_dashboard', 'report']);
    expect(await ls(root, 'state:modified+,resource_type:model')).toEqual(['plan_labels', 'report']);
  });

  it('reads the compact reel_state.json of the same run, and the manifest alone otherwise', async () => {
    const root = project();
    const dir = await productionState(root);
    const compact = JSON.parse(readFileSync(join(root, 'target', 'reel_state.json'), 'utf8'));
    compact.nodes['model.slim.labels'][1] = '["tampered"]';
    writeFileSync(join(dir, 'reel_state.json'), JSON.stringify(compact));
    expect(await ls(root, 'state:modified')).toEqual(['labels']);
    compact.invocation_id = 'another-run';
    writeFileSync(join(dir, 'reel_state.json'), JSON.stringify(compact));
    expect(await ls(root, 'state:modified')).toEqual([]);
  });

  it('sees a var that changes a model\'s SQL (state:modified.vars), but not the target\'s schema names', async () => {
    const root = project({ ...FILES, 'models/label_count.sql': 'select count(*) as n from {{ref "labels"}} where id >= {{var "min_id" 0}}' });
    const dir = await productionState(root);
    cpSync(join(root, 'target', 'reel_state.json'), join(dir, 'reel_state.json'));
    expect(await ls(root, 'state:modified')).toEqual([]);
    expect(await ls(root, 'state:modified', '--vars', '{min_id: 5}')).toEqual(['label_count']);
    expect(await ls(root, 'state:modified.vars', '--vars', '{min_id: 5}')).toEqual(['label_count']);
  });

  it('follows macros through other macros, and helper modules, to the models that use them', async () => {
    const root = project();
    await productionState(root);
    edit(root, 'macros/to_euros.sql', () => '({{column}} / 100.00)');
    expect(await ls(root, 'state:modified')).toEqual(['stg_plans']);
    expect(await ls(root, 'state:modified.macros')).toEqual(['stg_plans']);
    expect(await ls(root, 'state:modified.body')).toEqual([]);
    edit(root, 'macros/labels.js', (t) => t.replace('toUpperCase()', 'toLowerCase()'));
    expect(await ls(root, 'state:modified.macros')).toEqual(['labels', 'stg_plans']);
  });

  it('tells configs, relation, seeds and new nodes apart', async () => {
    const root = project();
    await productionState(root);
    edit(root, 'models/labels.sql', (t) => `{{config materialized="table"}}\n${t}`);
    edit(root, 'models/label_count.sql', (t) => `{{config schema="reporting"}}\n${t}`);
    edit(root, 'seeds/plans.csv', (t) => `${t}3,1999\n`);
    writeFileSync(join(root, 'models/new_model.sql'), 'select 1 as x');
    expect(await ls(root, 'state:modified.configs')).toEqual(['labels', 'new_model']);
    expect(await ls(root, 'state:modified.relation')).toEqual(['label_count', 'new_model']);
    expect(await ls(root, 'state:new')).toEqual(['new_model']);
    expect(await ls(root, 'state:modified', '--resource-type', 'seed')).toEqual(['plans']);
    // The config blocks are part of the files, and a seed's body is its CSV.
    expect(await ls(root, 'state:modified.body')).toEqual(['label_count', 'labels', 'new_model', 'plans']);
  });

  it('selects @name: the node, its descendants and everything they need', async () => {
    const root = project();
    await productionState(root);
    expect(await ls(root, '@stg_plans', '--resource-type', 'model')).toEqual(['labels', 'plan_labels', 'report', 'stg_plans']);
  });

  it('says what is missing when state is not given or not there', async () => {
    const root = project();
    const none = await runModel(['ls', '--project-dir', root, '-s', 'state:modified'], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('"state:modified" compares with a previous run, but no --state was given\n    fix: add --state <dir>: a folder holding the previous run\'s manifest.json (and run_results.json for result:)');
    const missing = await runModel(['ls', '--project-dir', root, '--state', join(root, 'nowhere'), '-s', 'state:modified'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^--state .*nowhere: there is no manifest.json in that folder\n {4}fix: point --state at the target\/ folder/);
    await productionState(root);
    const typo = await runModel(['ls', '--project-dir', root, '--state', join(root, 'prod-state'), '-s', 'state:modifed'], env);
    expect(typo.stderr).toMatch(/^unknown state selector "state:modifed"; did you mean "modified"\?\n {4}fix: use state:modified, state:new/);
    const results = await runModel(['ls', '--project-dir', root, '--state', join(root, 'prod-state'), '-s', 'result:error'], env);
    expect(results.stderr).toMatch(/"result:error" reads run_results.json, but .*prod-state has none/);
  });
});

describe('--defer and retry against the real server', () => {
  it('builds only the changed model in CI, reading its unbuilt parents from production', async () => {
    const root = project();
    const prod = await runModel(['build', '--project-dir', root, '--target', 'prod'], env);
    expect(prod.stderr).toBe('');
    expect(prod.code).toBe(0);
    const state = join(root, 'prod-state');
    cpSync(join(root, 'target'), state, { recursive: true });
    edit(root, 'models/report.sql', () => 'select plan_id, price, label, price > 10 as premium from {{ref "plan_labels"}}');

    const plain = await runModel(['run', '--project-dir', root, '-s', 'state:modified', '--state', state], env);
    expect(plain.code).toBe(1); // ci.plan_labels does not exist

    const ci = await runModel(['build', '--project-dir', root, '-s', 'state:modified+', '--state', state, '--defer'], env);
    expect(ci.stderr).toBe('');
    expect(ci.code).toBe(0);
    expect(ci.stdout).toContain('Deferring plan_labels to "prod"."plan_labels"');
    expect(await db.query('select plan_id, premium from ci.report order by plan_id')).toEqual([
      { plan_id: 1, premium: false },
      { plan_id: 2, premium: true },
    ]);
    const built = await db.query<{ table_name: string }>("select table_name from information_schema.tables where table_schema = 'ci' order by 1");
    expect(built.map((r) => r.table_name)).toEqual(['report']);
    expect(await ls(root, 'result:success')).toEqual(['label_count', 'labels', 'plan_labels', 'plans', 'report', 'stg_plans']);
  });

  it('retries exactly what errored, failed or was skipped, with the same flags', async () => {
    const root = project({
      ...FILES,
      'models/guard.sql': "{{config materialized='table'}}\nselect 1 / (select count(*)::int from {{ref \"plans\"}} where plan_id > {{var 'min_plan'}}) as ok",
      'models/after_guard.sql': 'select * from {{ref "guard"}}',
    });
    const first = await runModel(['build', '--project-dir', root, '--vars', '{min_plan: 5}'], env);
    expect(first.code).toBe(1);
    const failed = JSON.parse(readFileSync(join(root, 'target/run_results.json'), 'utf8')) as { results: { unique_id: string; status: string }[] };
    expect(failed.results.filter((r) => r.status !== 'success' && r.status !== 'pass').map((r) => `${r.unique_id} ${r.status}`).sort()).toEqual([
      'model.slim.after_guard skipped',
      'model.slim.guard error',
    ]);
    // The data is fixed; retry keeps --vars and runs only the two.
    await db.query("insert into ci.plans values (9, 2999)");
    const retry = await runModel(['retry', '--project-dir', root], env);
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(0);
    expect(retry.stdout).toContain('Retrying 2 nodes that errored, failed or were skipped in the last `model build`');
    const again = JSON.parse(readFileSync(join(root, 'target/run_results.json'), 'utf8')) as { results: { unique_id: string; status: string }[]; args: { vars: string } };
    expect(again.results.map((r) => `${r.unique_id} ${r.status}`).sort()).toEqual(['model.slim.after_guard success', 'model.slim.guard success']);
    expect(again.args.vars).toBe('{min_plan: 5}');
    const nothing = await runModel(['retry', '--project-dir', root], env);
    expect(nothing.stdout).toBe('Nothing to retry: every node of the last `model build` succeeded.');
  });
});
