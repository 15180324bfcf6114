import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { writeProject } from './fixture.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

function statuses(root: string): Record<string, string> {
  const results = JSON.parse(readFileSync(join(root, 'target/run_results.json'), 'utf8')) as { results: { unique_id: string; status: string; failures: number | null }[] };
  return Object.fromEntries(results.results.filter((r) => r.unique_id.startsWith('test.')).map((r) => [r.unique_id.split('.').pop(), `${r.status}${r.failures ? ` (${r.failures})` : ''}`]));
}

describe('data tests on PostgreSQL', () => {
  it('runs accepted_values, relationships, user-defined generic tests and where filters, in parallel', async () => {
    const root = writeProject(
      {
        'seeds/plans.csv': 'plan_id,name\n1,basic\n2,premium\n',
        'seeds/members.csv': 'member_id,plan_id,country,minutes\n10,1,FR,30\n11,2,DE,0\n12,3,fr,45\n13,,US,-5\n',
        'models/staging/stg_members.sql': 'select member_id, plan_id, upper(country) as country, minutes\nfrom {{ref "members"}}',
        'models/staging/stg_plans.sql': 'select plan_id, name from {{ref "plans"}}',
        'models/marts/member_minutes.sql': '{{config materialized="table"}}\nselect m.member_id, p.name as plan, m.minutes\nfrom {{ref "stg_members"}} m\nleft join {{ref "stg_plans"}} p using (plan_id)',
        'tests/generic/at_least.sql': 'select {{column_name}} from {{model}} where {{column_name}} < {{min_value}}',
        'models/schema.yml': `models:
  - name: stg_members
    columns:
      - name: country
        tests:
          - accepted_values: {values: [FR, DE, US]}
      - name: plan_id
        tests:
          - relationships: {to: ref('stg_plans'), field: plan_id}
          - relationships:
              name: plan_exists_in_germany
              to: ref('stg_plans')
              field: plan_id
              config: {where: "country = 'DE'"}
      - name: minutes
        tests:
          - at_least: {min_value: 0}
          - at_least:
              name: minutes_warn
              min_value: 1
              config: {severity: warn}
  - name: stg_plans
    columns:
      - name: name
        tests:
          - accepted_values: {values: [basic, premium, family]}
          - accepted_values:
              name: unquoted_values
              values: ["'basic'", "'premium'"]
              quote: false
`,
      },
      { name: 'shop' },
    );
    const run = await runModel(['build', '--project-dir', root, '--threads', '4'], { DATABASE_URL: db.url });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(statuses(root)).toEqual({
      accepted_values_stg_members_country__FR__DE__US: 'pass',
      relationships_stg_members_plan_id__plan_id__ref_stg_plans_: 'fail (1)',
      plan_exists_in_germany: 'pass',
      at_least_stg_members_minutes__0: 'fail (1)',
      minutes_warn: 'warn (2)',
      accepted_values_stg_plans_name__basic__premium__family: 'pass',
      unquoted_values: 'pass',
    });
    // The mart is downstream of failing error-severity tests: skipped, never built.
    expect(await db.query("select to_regclass('public.member_minutes') as r")).toEqual([{ r: null }]);

    // As in dbt, selecting a model also selects the tests that read it (the relationships test too).
    const only = await runModel(['test', '--project-dir', root, '-s', 'stg_plans'], { DATABASE_URL: db.url });
    expect(only.code).toBe(1);
    expect(Object.keys(statuses(root)).sort()).toEqual(['accepted_values_stg_plans_name__basic__premium__family', 'plan_exists_in_germany', 'relationships_stg_members_plan_id__plan_id__ref_stg_plans_', 'unquoted_values'].sort());
  });
});
