import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTemplate } from '../src/hygiene/format-template.js';
import { runModel } from './cli.js';
import { removeProject, writeProject } from './fixture.js';

// model fmt (sql-formatter, Handlebars kept intact) and model lint (select *, unqualified columns in
// joins, untested keys) with file:line output and --fix. No database needed.

const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/unused' };
const roots: string[] = [];
afterAll(() => roots.forEach(removeProject));

function project(files: Record<string, string>): string {
  const root = writeProject(files, { name: 'hygiene' });
  roots.push(root);
  return root;
}

describe('model fmt', () => {
  const messy = `{{config materialized="incremental" unique_key="view_id"}}
-- views since the last run
select v.view_id, v.user_id, {{> seconds col="v.secs"}} as minutes from {{ref "stg_views"}} v join {{ref "users"}} u on u.user_id = v.user_id
{{#if is_incremental}} where v.started_at > (select max(started_at) from {{this}}) {{/if}}`;

  it('formats SQL around Handlebars, block tags on their own lines, changing only whitespace', () => {
    const result = formatTemplate(messy);
    expect(result.changed).toBe(true);
    const text = (result as { text: string }).text;
    expect(text.replace(/\s+/g, '')).toBe(messy.replace(/\s+/g, ''));
    expect(text.split('\n')).toContain('  {{#if is_incremental}}');
    expect(text).toContain('{{> seconds col="v.secs"}} as minutes');
    expect(formatTemplate(text)).toEqual({ changed: false });
  });

  it('writes files in place, or with --check lists them and exits 1; the project still compiles the same', async () => {
    const root = project({
      'models/stg_views.sql': 'select 1 as view_id, 2 as user_id, 60 as secs, now() as started_at',
      'models/users.sql': 'select 2 as user_id',
      'models/views.sql': messy,
      'macros/seconds.sql': 'round({{col}} / 60.0, 1)',
    });
    const before = await runModel(['compile', '--project-dir', root, '-s', 'views', '--no-format'], env);
    const check = await runModel(['fmt', '--check', '--project-dir', root], env);
    expect(check.code).toBe(1);
    expect(check.stdout).toBe('models/stg_views.sql  would be reformatted\nmodels/users.sql  would be reformatted\nmodels/views.sql  would be reformatted\n3 files checked: would reformat 3.');
    expect(readFileSync(join(root, 'models/views.sql'), 'utf8')).toBe(messy);
    const one = await runModel(['fmt', '--project-dir', root, 'models/views.sql'], env);
    expect(one.stdout).toBe('models/views.sql  formatted\n1 file checked: reformatted 1.');
    const fmt = await runModel(['fmt', '--project-dir', root, 'models/'], env);
    expect(fmt.code).toBe(0);
    expect(fmt.stdout).toBe('models/stg_views.sql  formatted\nmodels/users.sql  formatted\n3 files checked: reformatted 2.');
    const after = await runModel(['compile', '--project-dir', root, '-s', 'views', '--no-format'], env);
    const sql = (out: string) => out.split('\n').filter((l) => !l.startsWith('--') && !l.startsWith('Compiled')).join(' ').replace(/\s+/g, '');
    expect(sql(after.stdout)).toBe(sql(before.stdout));
    expect((await runModel(['fmt', '--check', '--project-dir', root], env)).code).toBe(0);
  });
});

describe('model lint', () => {
  const files = {
    'models/users.sql': 'select 1 as user_id, \'basic\' as plan',
    'models/views.sql': 'select v.view_id, user_id, plan from (select 1 as view_id, 1 as user_id) as v join {{ref "users"}} u using (user_id) join {{ref "users"}} w on w.user_id = v.user_id where plan = \'basic\'',
    'models/wide.sql': '-- wide — everything\nwith base as (select * from {{ref "users"}})\nselect *\nfrom base',
    'models/ok.sql': 'select u.user_id from {{ref "users"}} as u join {{ref "views"}} as v on v.user_id = u.user_id',
    'models/schema.yml': [
      'models:',
      '  - name: users',
      '    columns:',
      '      - name: user_id # the member',
      '        tests: [unique]',
      '      - name: plan',
      '  - name: views',
      '    config: {materialized: incremental, unique_key: view_id}',
      '    columns:',
      '      - name: view_id',
      '',
    ].join('\n'),
  };

  it('reports each problem at its file and line, with a fix, and exits 1', async () => {
    const root = project(files);
    const run = await runModel(['lint', '--project-dir', root], env);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')).toEqual([
      'models/schema.yml:4  untested-key  key column user_id of users has no not_null test',
      '    fix: add not_null to its tests (model lint --fix does)',
      'models/schema.yml:10  untested-key  key column view_id of views has no unique or not_null test',
      '    fix: add unique and not_null to its tests (model lint --fix does)',
      'models/views.sql:1:28  unqualified-column  unqualified column plan in a select that joins 2 relations',
      '    fix: prefix each with its table alias (v.user_id): a column added to the other table later would make it ambiguous or change its meaning',
      'models/wide.sql:3:8  select-star  select * in the final select of wide: its columns change whenever a parent\'s do',
      '    fix: list the columns the model returns (its interface to everything downstream)',
      '4 problems in 4 models; 2 fixable with --fix.',
    ]);
  });

  it('--fix adds the missing key tests, keeping the file\'s comments', async () => {
    const root = project(files);
    const run = await runModel(['lint', '--fix', '--project-dir', root, '-s', 'users', 'views'], env);
    expect(run.stdout).toContain('models/schema.yml  fixed untested-key: added not_null to users.user_id');
    expect(run.stdout).toContain('models/schema.yml  fixed untested-key: added unique, not_null to views.view_id');
    const yaml = readFileSync(join(root, 'models/schema.yml'), 'utf8');
    expect(yaml).toContain('- name: user_id # the member\n        tests: [ unique, not_null ]');
    const again = await runModel(['lint', '--project-dir', root, '-s', 'users', 'views'], env);
    expect(again.stdout).not.toContain('untested-key');
    writeFileSync(join(root, 'models/views.sql'), 'select v.view_id from (select 1 as view_id) as v');
    expect((await runModel(['lint', '--project-dir', root, '-s', 'users', 'views'], env)).code).toBe(0);
  });
});
