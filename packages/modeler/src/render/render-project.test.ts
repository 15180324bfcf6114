import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeProject } from '../../test/fixture.js';
import { compileProject, type CompiledProject } from '../compile.js';

async function compile(files: Record<string, string>, env: Record<string, string> = {}, vars?: Record<string, unknown>): Promise<CompiledProject> {
  const result = await compileProject(writeProject(files), { target: { schema: 'analytics' }, env, vars });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return result.compiled;
}

async function errorsOf(files: Record<string, string>, env: Record<string, string> = {}): Promise<string[]> {
  const result = await compileProject(writeProject(files), { target: { schema: 'analytics' }, env });
  return result.ok ? [] : result.errors.map((e) => e.toString());
}

function sqlOf(compiled: CompiledProject, name: string): string {
  const node = compiled.graph.nodes.get(`model.demo.${name}`);
  if (node?.kind !== 'model') throw new Error(`no model ${name}`);
  return node.compiledSql;
}

const golden = (name: string) => readFileSync(join(import.meta.dirname, '../../test/golden', name), 'utf8').trimEnd();

describe('rendering', () => {
  it('renders helpers, partials, helper modules and ephemeral CTEs (golden)', async () => {
    const compiled = await compile(
      {
        'reel_project.yml': 'name: demo\nvars:\n  start_date: "2024-01-01"\nmodels:\n  demo:\n    staging:\n      +schema: staging\n',
        'models/staging/sources.yml': 'sources:\n  - name: raw\n    schema: raw_feed\n    tables:\n      - name: views\n        identifier: views_v2\n',
        'models/staging/stg_views.sql':
          'select\n  view_id,\n  {{> seconds_to_minutes column="seconds_watched"}} as minutes,\n  {{upper_literal "web"}} as device\nfrom {{source "raw" "views"}}\nwhere started_at >= {{literal (var "start_date")}}\n  and region = {{literal (env "REGION" "EU")}}\n',
        'models/recent.sql': '{{config materialized="ephemeral"}}\nselect * from {{ref "stg_views"}} where minutes > {{var "min_minutes" 5}}',
        'models/report.sql': '{{config materialized="table"}}\nwith totals as (\n  select device, sum(minutes) as minutes from {{ref "recent"}} group by device\n)\nselect * from totals;\n',
        'macros/seconds_to_minutes.sql': 'round({{column}} / 60.0, 1)',
        'macros/strings.js': "export function upper_literal(text) { return `'${String(text).toUpperCase()}'`; }\n",
      },
      { REGION: "O'Hare" },
    );
    expect(sqlOf(compiled, 'stg_views')).toBe(golden('stg_views.sql'));
    expect(sqlOf(compiled, 'report')).toBe(golden('report.sql'));
  });

  it('uses {{this}} and is_incremental for incremental models', async () => {
    const compiled = await compile({
      'models/events.sql': '{{config materialized="incremental" unique_key="id"}}\nselect 1 as id\n{{#if is_incremental}}\nwhere id > (select max(id) from {{this}})\n{{/if}}\n',
    });
    const node = compiled.graph.nodes.get('model.demo.events');
    expect(node?.kind === 'model' && [node.compiledSql, node.incrementalSql]).toEqual([
      '\nselect 1 as id',
      '\nselect 1 as id\nwhere id > (select max(id) from "analytics"."events")',
    ]);
  });

  it('reports missing vars, env, helpers and partials at their place', async () => {
    const errors = await errorsOf({
      'models/a.sql': 'select {{var "start"}} as s,\n  {{env "REEL_REGION"}} as r,\n  {{doubel 2}} as d',
      'models/d.sql': 'select {{> missing_macro}}',
      'models/b.sql': 'select {{env "REEL_SECRET_TOKEN"}} as t, {{run_query "select 1"}} as q',
      'models/e.sql': 'select \'{{env "DATABASE_URL"}}\' as u, \'{{env "OPENLINEAGE_API_KEY"}}\' as k, \'{{env "SHOP_DB_PASSWORD" "x"}}\' as p',
      'models/c.sql': 'select {{is_incrementl}} as x',
    });
    expect(errors).toEqual([
      'models/a.sql:1:8  var "start" is not set\n    fix: add it under vars: in reel_project.yml, pass --vars \'{start: ...}\', or give a default: {{var "start" "default"}}',
      'models/a.sql:2:3  environment variable REEL_REGION is not set\n    fix: export REEL_REGION=… before running, or give a default: {{env "REEL_REGION" "default"}}',
      'models/a.sql:3:5  unknown helper "doubel"\n    fix: built-in helpers are ref, source, var, env, config, ident, literal, literals; add your own as a module in macros/',
      'models/b.sql:1:8  env "REEL_SECRET_TOKEN" is a secret and can only be used in profiles.yml\n    fix: secrets (REEL_SECRET_*, DATABASE_URL, names with PASSWORD, SECRET, TOKEN or API_KEY) never appear in compiled SQL or artifacts; read them in profiles.yml instead',
      'models/b.sql:1:42  {{run_query}}: rendering cannot query the database\n    fix: Reel compiles without a connection; compute the value in SQL (a CTE or a model) or pass it with --vars',
      'models/c.sql:1:10  "is_incrementl" is not defined; did you mean "is_incremental"?\n    fix: templates can use is_incremental and this; read settings with {{var "name"}} and {{env "NAME"}}',
      'models/d.sql:1:8  macro "missing_macro" is not defined\n    fix: partials come from .sql or .hbs files in macros/, named by file name',
      'models/e.sql:1:9  env "DATABASE_URL" is a secret and can only be used in profiles.yml\n    fix: secrets (REEL_SECRET_*, DATABASE_URL, names with PASSWORD, SECRET, TOKEN or API_KEY) never appear in compiled SQL or artifacts; read them in profiles.yml instead',
      'models/e.sql:1:40  env "OPENLINEAGE_API_KEY" is a secret and can only be used in profiles.yml\n    fix: secrets (REEL_SECRET_*, DATABASE_URL, names with PASSWORD, SECRET, TOKEN or API_KEY) never appear in compiled SQL or artifacts; read them in profiles.yml instead',
      'models/e.sql:1:78  env "SHOP_DB_PASSWORD" is a secret and can only be used in profiles.yml\n    fix: secrets (REEL_SECRET_*, DATABASE_URL, names with PASSWORD, SECRET, TOKEN or API_KEY) never appear in compiled SQL or artifacts; read them in profiles.yml instead',
    ]);
  });

  it('explains a broken template and a model that is not a single select', async () => {
    const errors = await errorsOf({
      'models/a.sql': 'select 1\n{{#if is_incremental}}\nwhere x\n',
      'models/b.sql': 'select 1 as x;\nselect 2 as y',
      'models/c.sql': 'delete from users',
    });
    expect(errors.map((e) => e.split('\n')[0])).toEqual([
      'models/a.sql:4  invalid template syntax: Expecting OPEN_INVERSE_CHAIN, INVERSE, OPEN_ENDBLOCK, got EOF',
      'models/b.sql:2:1  model "b" has 2 statements; it must be a single select',
      'models/c.sql:1:1  model "c" must be a select query, not DELETE',
    ]);
  });

  it('takes --vars over project vars', async () => {
    const compiled = await compile({ 'reel_project.yml': 'name: demo\nvars:\n  n: 1\n', 'models/a.sql': 'select {{var "n"}} as n' }, {}, { n: 7 });
    expect(sqlOf(compiled, 'a')).toBe('select 7 as n');
  });
});
