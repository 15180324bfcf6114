import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { removeProject, writeProject } from './fixture.js';

// What CI systems read from a run: JSON log lines, target/junit.xml, and GitHub annotations on
// the line that declares what failed.

let db: TestDatabase;
let root: string;

const FILES = {
  'models/plays.sql': "select 1 as id, 'a' as title union all select 2, null union all select 3, null",
  'models/titles.sql': 'select distinct title from {{ref "plays"}}',
  'models/schema.yml': [
    'models:',
    '  - name: plays',
    '    columns:',
    '      - name: id',
    '        tests: [unique]',
    '      - name: title',
    '        tests: [not_null]',
    '',
  ].join('\n'),
};

beforeAll(async () => {
  db = await createTestDatabase('reel_ci_output');
  root = writeProject(FILES, { name: 'ci' });
});
afterAll(async () => {
  removeProject(root);
  await db?.drop();
});

describe('CI output', () => {
  it('--log-format json prints one structured object per line, with node info on start and finish', async () => {
    const run = await runModel(['build', '--project-dir', root, '--log-format', 'json'], { DATABASE_URL: db.url });
    expect(run.code).toBe(1);
    const lines = run.stdout.split('\n').map((line) => JSON.parse(line) as { info: { name: string; level: string; msg: string; invocation_id: string }; data: Record<string, any> });
    expect(new Set(lines.map((l) => l.info.invocation_id)).size).toBe(1);
    const finished = lines.filter((l) => l.info.name === 'NodeFinished');
    expect(finished.map((l) => `${l.data.node_info.node_name} ${l.data.status}`).sort()).toEqual([
      'not_null_plays_title fail',
      'plays success',
      'titles skipped',
      'unique_plays_id pass',
    ]);
    const failing = finished.find((l) => l.data.status === 'fail')!;
    expect(failing.info.level).toBe('error');
    expect(failing.data.failures).toBe(2);
    expect(failing.data.node_info).toMatchObject({ unique_id: 'test.ci.not_null_plays_title', resource_type: 'test', node_path: 'models/schema.yml' });
    expect(lines.filter((l) => l.info.name === 'NodeStart')).toHaveLength(3);
    expect(lines.at(-1)!.info.msg).toBe('Completed with 1 failure.');
  });

  it('writes target/junit.xml with a suite per resource type and the failing test with its place', () => {
    const xml = readFileSync(join(root, 'target', 'junit.xml'), 'utf8');
    const parsed = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testsuite' || name === 'testcase' }).parse(xml);
    const suites = parsed.testsuites.testsuite as { '@_name': string; '@_tests': string; '@_failures': string; '@_skipped': string; testcase: Record<string, any>[] }[];
    expect(parsed.testsuites['@_tests']).toBe('4');
    const tests = suites.find((s) => s['@_name'] === 'ci.test')!;
    expect([tests['@_tests'], tests['@_failures']]).toEqual(['2', '1']);
    const failed = tests.testcase.find((t) => t.failure)!;
    expect(failed['@_name']).toBe('not_null_plays_title');
    expect(failed.failure['@_message']).toBe('2 failing rows');
    expect(failed.failure['#text']).toContain('models/schema.yml:7');
    const models = suites.find((s) => s['@_name'] === 'ci.model')!;
    expect(models['@_skipped']).toBe('1');
  });

  it('annotates the failing test\'s line for GitHub Actions, and every compile error', async () => {
    const env = { DATABASE_URL: db.url, GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: join(root, '..') };
    const run = await runModel(['test', '--project-dir', root], env);
    const file = relative(join(root, '..'), join(root, 'models/schema.yml'));
    expect(run.stdout.split('\n').filter((l) => l.startsWith('::'))).toEqual([
      `::error file=${file},line=7,title=test not_null_plays_title failed::2 failing rows; see them with \`model compile -s not_null_plays_title\` and run the query`,
    ]);
    const broken = writeProject({ ...FILES, 'models/titles.sql': 'select {{ref "nope"}}', 'models/more.sql': 'select 1 from {{ref "plays"}} where' }, { name: 'ci' });
    try {
      const failed = await runModel(['compile', '--project-dir', broken], { ...env, GITHUB_WORKSPACE: broken });
      expect(failed.code).toBe(2);
      const annotations = failed.stdout.split('\n').filter((l) => l.startsWith('::'));
      expect(annotations).toHaveLength(2);
      expect(annotations[0]).toMatch(/^::error file=models\/more\.sql,line=1,col=\d+,title=[\w-]+::.+/);
      expect(annotations[1]).toMatch(/^::error file=models\/titles\.sql,line=1,col=\d+,title=unknown-ref::.*"nope"/);
    } finally {
      removeProject(broken);
    }
  });
});
