import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeProject } from '../../test/fixture.js';
import { compileProject, type CompileResult } from '../compile.js';

const target = { schema: 'public' };
const compile = (root: string, partialParse = true) => compileProject(root, { target, env: {}, partialParse });

function sqlOf(result: CompileResult): Record<string, string> {
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return Object.fromEntries([...result.compiled.graph.nodes.values()].flatMap((n) => (n.kind === 'model' ? [[n.name, n.compiledSql]] : n.kind === 'test' ? [[n.name, n.sql]] : [])));
}

function errorsOf(result: CompileResult): string[] {
  return result.ok ? [] : result.errors.map((e) => e.toString());
}

describe('partial parsing (target/.reel-cache/compile-cache.json)', () => {
  const files = {
    'models/a.sql': '{{config materialized="table"}}\nselect 1 as id',
    'models/b.sql': 'select id\nfrom {{ref "a"}}\nwhere id > {{var "min" 0}}',
    'models/c.sql': '{{#if true}}select id from {{ref "b"}}{{/if}}',
    'models/schema.yml': 'models:\n  - name: b\n    columns:\n      - name: id\n        tests: [unique, not_null]\n',
  };

  it('compiles the same SQL warm as cold, and the same as without the cache', async () => {
    const root = writeProject(files);
    const cold = sqlOf(await compile(root));
    expect(existsSync(join(root, 'target/.reel-cache/compile-cache.json'))).toBe(true);
    const cache = JSON.parse(readFileSync(join(root, 'target/.reel-cache/compile-cache.json'), 'utf8')) as { templates: object; sql: object };
    // a and b are flat templates; c has a block and is parsed every time. Built-in tests are not parsed.
    expect(Object.keys(cache.templates)).toHaveLength(2);
    expect(Object.keys(cache.sql)).toHaveLength(3);
    expect(sqlOf(await compile(root))).toEqual(cold);
    expect(sqlOf(await compile(writeProject(files), false))).toEqual(cold);
  });

  it('still finds every error in files it has cached', async () => {
    const root = writeProject(files);
    sqlOf(await compile(root));
    // Same templates, but what they refer to changed: the errors still point at the template.
    writeFileSync(join(root, 'models/a.sql'), '{{config materialized="table"}}\nselect 1 as id,');
    writeFileSync(join(root, 'reel_project.yml'), 'name: demo\nvars:\n  other: 1\n');
    writeFileSync(join(root, 'models/b.sql'), 'select id\nfrom {{ref "aa"}}\nwhere id > {{var "min" 0}}');
    expect(errorsOf(await compile(root))).toEqual([
      'models/a.sql:2:16  SQL syntax error in model "a": syntax error at end of input\n    fix: the statement ends too early; look for a missing expression or closing parenthesis',
      'models/b.sql:2:6  ref "aa" does not match any model or seed; did you mean "a"?\n    fix: check the name against the files in your model and seed paths',
    ]);
    writeFileSync(join(root, 'models/b.sql'), 'select id\nfrom {{ref "a"}}\nwhere id > {{var "min" 0}}');
    writeFileSync(join(root, 'models/a.sql'), '{{config materialized="table"}}\nselect 1 as id');
    // b's template is cached; its SQL now also depends on a var that is set.
    writeFileSync(join(root, 'reel_project.yml'), 'name: demo\nvars:\n  min: 5\n');
    expect(sqlOf(await compile(root)).b).toBe('select id\nfrom "public"."a"\nwhere id > 5');
  });

  it('ignores a damaged cache file', async () => {
    const root = writeProject(files);
    const cold = sqlOf(await compile(root));
    writeFileSync(join(root, 'target/.reel-cache/compile-cache.json'), '{"version": "reel-compile-cache-1/x", "templates": ');
    expect(sqlOf(await compile(root))).toEqual(cold);
  });
});
