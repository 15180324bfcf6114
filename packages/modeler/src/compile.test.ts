import { describe, expect, it } from 'vitest';
import { writeProject } from '../test/fixture.js';
import { compileProject } from './compile.js';

const target = { schema: 'public' };

async function errorsOf(files: Record<string, string>): Promise<string[]> {
  const result = await compileProject(writeProject(files), { target, env: {} });
  if (result.ok) return [];
  return result.errors.map((e) => e.toString());
}

describe('compileProject', () => {
  it('resolves refs, sources and folder config', async () => {
    const root = writeProject({
      'reel_project.yml': 'name: demo\nmodels:\n  demo:\n    staging:\n      +schema: staging\n    marts:\n      +materialized: table\n      +schema: marts\n',
      'models/staging/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: users\n',
      'models/staging/stg_users.sql': 'select id, name\nfrom {{source "raw" "users"}}\n',
      'models/marts/dim_users.sql': '{{config tags="core"}}\nselect * from {{ref "stg_users"}}\n',
    });
    const result = await compileProject(root, { target, env: {} });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const dim = result.compiled.graph.nodes.get('model.demo.dim_users');
    expect(dim?.kind === 'model' && dim.compiledSql).toBe('\nselect * from "staging"."stg_users"');
    expect(dim?.kind === 'model' && dim.config.materialized).toBe('table');
    expect(dim?.kind === 'model' && dim.relation).toEqual({ schema: 'marts', identifier: 'dim_users' });
    expect(dim?.dependsOn).toEqual(['model.demo.stg_users']);
    expect(dim?.tags).toEqual(['core']);
  });

  it('reports every error at once with file, line and column', async () => {
    const errors = await errorsOf({
      'models/a.sql': 'select 1 as x',
      'models/b.sql': 'select *\nfrom {{ref "aa"}}\n',
      'models/c.sql': 'select x,\n  y frm {{ref "a"}}\n',
    });
    expect(errors).toEqual([
      'models/b.sql:2:6  ref "aa" does not match any model or seed; did you mean "a"?\n    fix: check the name against the files in your model and seed paths',
      'models/c.sql:2:9  SQL syntax error in model "c": syntax error at or near ""public""\n    fix: look at ""public"."a"" and just before it',
    ]);
  });

  it('prints a cycle as the whole chain', async () => {
    const errors = await errorsOf({
      'models/a.sql': 'select * from {{ref "c"}}',
      'models/b.sql': 'select * from {{ref "a"}}',
      'models/c.sql': 'select * from {{ref "b"}}',
    });
    expect(errors[0]).toMatch(/^models\/a.sql:1  dependency cycle: a → b → c → a/);
  });
});
