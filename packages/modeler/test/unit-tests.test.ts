import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { writeProject } from './fixture.js';

let db: TestDatabase;
let env: Record<string, string>;
beforeAll(async () => {
  db = await createTestDatabase('reel_unit_tests');
  env = { DATABASE_URL: db.url };
});
afterAll(async () => {
  await db?.drop();
});

const MODELS = {
  'models/sources.yml': `sources:
  - name: app
    tables:
      - name: members
        columns:
          - {name: id, data_type: int}
          - {name: country, data_type: text}
          - {name: minutes, data_type: int}
          - {name: joined_on, data_type: date}
`,
  'models/stg_members.sql': 'select id, upper(trim(country)) as country, nullif(minutes, -1) as minutes, joined_on\nfrom {{source "app" "members"}}\nwhere id is not null',
  'models/member_minutes.sql': `{{config materialized="incremental" unique_key="id"}}
select id, country, coalesce(minutes, 0) * {{var "factor" 1}} as minutes
from {{ref "stg_members"}}
{{#if is_incremental}}where id > (select max(id) from {{this}}){{/if}}
`,
};

const PASSING = `unit_tests:
  - name: cleans_countries_and_minutes
    description: trims and upper-cases countries; -1 minutes means unknown
    model: stg_members
    given:
      - input: source('app', 'members')
        rows:
          - {id: 1, country: ' fr ', minutes: 30}
          - {id: 2, country: de, minutes: -1}
          - {id: null, country: us}
    expect:
      rows:
        - {id: 1, country: FR, minutes: 30}
        - {id: 2, country: DE, minutes: null}
  - name: full_refresh_reads_every_member
    model: member_minutes
    overrides:
      vars: {factor: 2}
    given:
      - input: ref('stg_members')
        format: csv
        rows: |
          id,country,minutes
          1,FR,30
          2,DE,
    expect:
      rows:
        - {id: 1, minutes: 60}
        - {id: 2, minutes: 0}
  - name: incremental_run_reads_only_new_members
    model: member_minutes
    overrides:
      macros: {is_incremental: true}
    given:
      - input: ref('stg_members')
        rows: [{id: 1, country: FR, minutes: 30}, {id: 5, country: DE, minutes: 7}]
      - input: this
        rows: [{id: 1, country: FR, minutes: 30}]
    expect:
      rows: [{id: 5, country: DE, minutes: 7}]
  - name: reads_a_fixture_file_and_expects_a_query
    model: stg_members
    given:
      - input: source('app', 'members')
        format: csv
        fixture: members
    expect:
      format: sql
      rows: "select 1 as id, 'FR' as country union all select 2, 'DE'"
`;

const FAILING = `unit_tests:
  - name: expects_the_wrong_rows
    model: stg_members
    given:
      - input: source('app', 'members')
        rows: [{id: 1, country: fr, minutes: 30}, {id: 2, country: de, minutes: 5}]
    expect:
      rows: [{id: 1, country: FR, minutes: 30}, {id: 2, country: DE, minutes: 50}]
`;

describe('unit tests', () => {
  it('run the model on given rows without building anything, with overrides and incremental mode', async () => {
    const root = writeProject({ ...MODELS, 'models/unit.yml': PASSING, 'tests/fixtures/members.csv': 'id,country,minutes\n1,fr,30\n2,de ,\n' }, { name: 'units' });
    const run = await runModel(['test', '--project-dir', root, '-s', 'test_type:unit'], env);
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/PASS\s+unit test cleans_countries_and_minutes/);
    // Nothing was built: the unit tests read only their fixtures.
    expect(await db.query("select to_regclass('public.stg_members') as r")).toEqual([{ r: null }]);
    const results = JSON.parse(readFileSync(join(root, 'target/run_results.json'), 'utf8')).results as { unique_id: string; status: string }[];
    expect(results.map((r) => [r.unique_id, r.status]).sort()).toEqual([
      ['unit_test.units.member_minutes.full_refresh_reads_every_member', 'pass'],
      ['unit_test.units.member_minutes.incremental_run_reads_only_new_members', 'pass'],
      ['unit_test.units.stg_members.cleans_countries_and_minutes', 'pass'],
      ['unit_test.units.stg_members.reads_a_fixture_file_and_expects_a_query', 'pass'],
    ]);
    const manifest = JSON.parse(readFileSync(join(root, 'target/manifest.json'), 'utf8'));
    expect(manifest.unit_tests['unit_test.units.stg_members.cleans_countries_and_minutes']).toMatchObject({
      model: 'stg_members',
      resource_type: 'unit_test',
      depends_on: { nodes: ['model.units.stg_members'] },
      given: [{ input: "source('app', 'members')", format: 'dict' }],
    });
    // Selected by name.
    const one = await runModel(['test', '--project-dir', root, '-s', 'incremental_run_reads_only_new_members'], env);
    expect(one.stdout).toContain('Finished 1 node');
  });

  it('print a failing test as a table of missing and unexpected rows, and skip the model in build', async () => {
    await db.query('create schema if not exists app; create table if not exists app.members (id int, country text, minutes int, joined_on date)');
    const root = writeProject({ ...MODELS, 'models/unit.yml': FAILING }, { name: 'failing' });
    const run = await runModel(['build', '--project-dir', root], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      [
        'FAIL unit test expects_the_wrong_rows of stg_members (models/unit.yml:2)',
        '  actual differs from expected: 1 missing row, 1 unexpected row',
        '      | id | country | minutes',
        '    - | 2  | DE      | 50',
        '    + | 2  | DE      | 5',
        '    (- expected but not returned, + returned but not expected)',
      ].join('\n'),
    );
    expect(run.stdout).toContain('SKIP (upstream unit_test expects_the_wrong_rows did not succeed)');
    expect(await db.query("select to_regclass('public.stg_members') as r")).toEqual([{ r: null }]);
  });

  it('report every broken unit test at once, each at its line', async () => {
    const root = writeProject(
      {
        ...MODELS,
        'models/unit.yml': `unit_tests:
  - name: unknown_model
    model: stg_member
    expect: {rows: []}
  - name: unknown_input
    model: stg_members
    given:
      - input: ref('stg_memberz')
    expect: {rows: []}
  - name: unknown_column
    model: stg_members
    given:
      - input: source('app', 'members')
        rows: [{id: 1, contry: fr}]
    expect: {rows: []}
  - name: bad_csv
    model: member_minutes
    given:
      - input: ref('stg_members')
        format: csv
        rows: |
          id,country
          1,FR,extra
    expect: {rows: []}
  - name: missing_input
    model: member_minutes
    expect: {rows: []}
  - name: overrides_a_helper
    model: stg_members
    overrides:
      macros: {current_date: '2024-01-01'}
    given:
      - input: source('app', 'members')
    expect: {rows: []}
`,
        'models/broken.sql': 'select * from {{ref "nowhere"}}',
      },
      { name: 'errors' },
    );
    const run = await runModel(['compile', '--project-dir', root], env);
    expect(run.code).toBe(2);
    const lines = run.stderr.split('\n').filter((l) => /^models\//.test(l));
    expect(lines).toEqual([
      expect.stringMatching(/^models\/broken\.sql:1:\d+  ref "nowhere" does not match any model or seed/),
      'models/unit.yml:3:12  unit test "unknown_model": model "stg_member" does not exist; did you mean "stg_members"?',
      'models/unit.yml:8:16  unit test "unknown_input": input ref "stg_memberz" does not match any model or seed; did you mean "stg_members"?',
      'models/unit.yml:14:24  unit test "unknown_column": input source(\'app\', \'members\') row 1 has column "contry", which is not a column of source(\'app\', \'members\'); did you mean "country"?',
      "models/unit.yml:21:15  unit test \"bad_csv\": input ref('stg_members'): bad CSV on CSV line 2: columns length is 2, got 3",
      "models/unit.yml:25:5  unit test \"missing_input\": model \"member_minutes\" reads ref('stg_members'), which the test does not give",
      'models/unit.yml:31:16  unit test "overrides_a_helper": overrides.macros.current_date: only is_incremental can be overridden',
    ]);
  });
});
