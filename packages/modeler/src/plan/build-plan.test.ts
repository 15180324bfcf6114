import { describe, expect, it } from 'vitest';
import { writeProject } from '../../test/fixture.js';
import { compileOrThrow, type CompiledProject } from '../compile.js';
import { selectNodes } from '../graph/select.js';
import { buildPlan } from './build-plan.js';

async function project(): Promise<CompiledProject> {
  return compileOrThrow(
    writeProject({
      'reel_project.yml': 'name: demo\nmodels:\n  demo:\n    marts:\n      +materialized: table\n      +tags: [daily]\n',
      'seeds/plans.csv': 'plan\nbasic\n',
      'models/staging/stg_users.sql': 'select 1 as id, \'basic\' as plan',
      'models/staging/stg_plans.sql': 'select * from {{ref "plans"}}',
      'models/base.sql': '{{config materialized="ephemeral"}}\nselect * from {{ref "stg_users"}}',
      'models/marts/dim_users.sql': 'select u.*, p.plan as plan_name from {{ref "base"}} u join {{ref "stg_plans"}} p using (plan)',
      'models/marts/schema.yml': 'models:\n  - name: dim_users\n    columns:\n      - name: id\n        tests: [unique]\n      - name: plan\n        tests:\n          - relationships: {to: "ref(\'stg_plans\')", field: plan}\n',
      'models/staging/schema.yml': 'models:\n  - name: stg_users\n    columns:\n      - name: id\n        tests: [not_null]\n',
    }),
    { target: { schema: 'public' }, env: {} },
  );
}

const names = (compiled: CompiledProject, ids: Iterable<string>) => [...ids].map((id) => compiled.graph.nodes.get(id)!.name).sort();

describe('selection and plans (no database)', () => {
  it('selects by name, ancestors, descendants, tag, path and exclusion', async () => {
    const compiled = await project();
    const select = (s: string[], e: string[] = []) => names(compiled, selectNodes(compiled.graph, s, e));
    expect(select(['+dim_users'], ['resource_type:test'])).toEqual(['base', 'dim_users', 'plans', 'stg_plans', 'stg_users']);
    expect(select(['stg_users+'], ['resource_type:test'])).toEqual(['base', 'dim_users', 'stg_users']);
    expect(select(['1+dim_users'], ['resource_type:test'])).toEqual(['base', 'dim_users', 'stg_plans']);
    expect(select(['tag:daily'])).toEqual(['dim_users']);
    expect(select(['path:models/staging'])).toEqual(['not_null_stg_users_id', 'stg_plans', 'stg_users']);
    expect(select(['stg_*'], ['stg_plans'])).toEqual(['stg_users']);
    expect(select(['tag:daily,resource_type:model', 'plans'])).toEqual(['dim_users', 'plans']);
    expect(() => select(['dim_user'])).toThrow('no node matches "dim_user"; did you mean "dim_users"?');
    expect(() => select(['tags:daily'])).toThrow('unknown selector method "tags:"; did you mean "tag"?');
  });

  it('plans build: schemas, materializations, tests blocking children, ephemerals skipped', async () => {
    const compiled = await project();
    const plan = buildPlan(compiled, { command: 'build', selected: selectNodes(compiled.graph, []) });
    expect(plan.schemas).toEqual([{ kind: 'create-schema', schema: 'public' }]);
    const steps = plan.steps.map((s) => `${s.kind} ${compiled.graph.nodes.get(s.nodeId)!.name} <- ${names(compiled, s.waitsOn).join(',')}`);
    expect(steps).toEqual([
      'view stg_users <- ',
      'seed plans <- ',
      'test not_null_stg_users_id <- stg_users',
      'view stg_plans <- plans',
      'table dim_users <- not_null_stg_users_id,stg_plans,stg_users',
      'test unique_dim_users_id <- dim_users',
      'test relationships_dim_users_plan__plan__ref_stg_plans_ <- dim_users,stg_plans',
    ]);
  });

  it('plans run without tests, and test with only tests (eager: any tested node selected)', async () => {
    const compiled = await project();
    const run = buildPlan(compiled, { command: 'run', selected: selectNodes(compiled.graph, ['stg_plans+']) });
    expect(run.steps.map((s) => `${s.kind} ${compiled.graph.nodes.get(s.nodeId)!.name}`)).toEqual(['view stg_plans', 'table dim_users']);
    const test = buildPlan(compiled, { command: 'test', selected: selectNodes(compiled.graph, ['stg_plans']) });
    expect(names(compiled, test.steps.map((s) => s.nodeId))).toEqual(['relationships_dim_users_plan__plan__ref_stg_plans_']);
  });

  it('leaves out tests the selection excludes, even when the nodes they test are selected', async () => {
    const compiled = await project();
    const excluded = selectNodes(compiled.graph, ['unique_dim_users_id']);
    const plan = buildPlan(compiled, { command: 'build', selected: selectNodes(compiled.graph, ['dim_users'], ['unique_dim_users_id']), excluded });
    expect(names(compiled, plan.steps.map((s) => s.nodeId))).toEqual(['dim_users', 'relationships_dim_users_plan__plan__ref_stg_plans_']);
  });
});
