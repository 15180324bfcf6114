import { describe, expect, it } from 'vitest';
import { writeProject } from '../../test/fixture.js';
import { compileOrThrow } from '../compile.js';
import { selectNodes } from '../graph/select.js';
import { buildPlan } from './build-plan.js';

// Snapshots and unit tests in plans (no database).
async function project() {
  return compileOrThrow(
    writeProject({
      'reel_project.yml': 'name: demo\nsnapshots:\n  demo:\n    +schema: history\n',
      'models/stg_users.sql': "select 1 as id, 'basic' as plan",
      'snapshots/users_snapshot.sql': '{{config unique_key="id" strategy="check" check_cols="all"}}\nselect * from {{ref "stg_users"}}',
      'models/dim_users_history.sql': 'select * from {{ref "users_snapshot"}}',
      'models/unit.yml': "unit_tests:\n  - name: keeps_rows\n    model: dim_users_history\n    given:\n      - input: ref('users_snapshot')\n        rows: [{id: 1}]\n    expect:\n      rows: [{id: 1}]\n",
    }),
    { target: { schema: 'public' }, env: {} },
  );
}

describe('plans with snapshots and unit tests', () => {
  it('build: the snapshot in DAG order, a model waiting for its unit tests, which wait for nothing', async () => {
    const compiled = await project();
    const plan = buildPlan(compiled, { command: 'build', selected: selectNodes(compiled.graph, []) });
    const name = (id: string) => compiled.graph.nodes.get(id)!.name;
    expect(plan.schemas.map((s) => s.schema)).toEqual(['history', 'public']);
    expect(plan.steps.map((s) => `${s.kind} ${name(s.nodeId)} <- ${s.waitsOn.map(name).join(',')}`)).toEqual([
      'view stg_users <- ',
      'snapshot users_snapshot <- stg_users',
      'unit-test keeps_rows <- ',
      'view dim_users_history <- users_snapshot,keeps_rows',
    ]);
    const step = plan.steps.find((s) => s.kind === 'unit-test')!;
    expect(step.kind === 'unit-test' && step.sql).toBe('select * from "__reel_input_1__users_snapshot"');
  });

  it('snapshot runs only snapshots; test runs the unit tests of selected models; run none of them', async () => {
    const compiled = await project();
    const kinds = (command: 'snapshot' | 'test' | 'run', select: string[] = []) => buildPlan(compiled, { command, selected: selectNodes(compiled.graph, select) }).steps.map((s) => s.kind);
    expect(kinds('snapshot')).toEqual(['snapshot']);
    expect(kinds('test', ['dim_users_history'])).toEqual(['unit-test']);
    expect(kinds('test', ['test_type:unit'])).toEqual(['unit-test']);
    expect(kinds('run')).toEqual(['view', 'view']);
  });
});
