import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ConfigError, GraphError, didYouMean, type ReelError } from '../errors/index.js';
import { makeNode, type ColumnInfo } from '../graph/nodes.js';
import type { FixtureColumn, UnitTestInput, UnitTestNode } from '../graph/unit-test-node.js';
import { toList } from '../load/folder-config.js';
import type { LoadedProject } from '../load/load-project.js';
import type { Placed, UnitTestProperties } from '../load/property-files.js';
import type { YamlPath } from '../load/yaml-file.js';
import { quoteIdent, type Relation } from '../sql/quote.js';
import { newRenderState, type RefTarget, type RenderState } from './render-state.js';
import type { SourceMap } from './source-map.js';
import type { ParsedTemplate } from './template.js';

type Rows = Record<string, unknown>[];
type Render = (template: ParsedTemplate, state: RenderState, context: Record<string, unknown>) => { text: string; map: SourceMap } | undefined;

/** What a unit test needs to know about the model it tests. */
export interface UnitTestModel {
  readonly name: string;
  readonly uniqueId: string;
  readonly file: string;
  readonly template: ParsedTemplate;
  readonly relation: Relation;
}

export interface UnitTestBuildOptions {
  readonly models: ReadonlyMap<string, UnitTestModel>;
  /** Resolves `ref('x')` / `source('s', 't')` as written in YAML. */
  readonly resolve: (text: string) => RefTarget | { error: string };
  /** Columns declared in YAML for a node, by unique id. */
  readonly columnsOf: (uniqueId: string) => readonly ColumnInfo[];
  readonly render: Render;
  /** The template context: `{{this}}` renders as `self`; `is_incremental` as given. */
  readonly context: (self: string, isIncremental: boolean) => Record<string, unknown>;
  readonly errors: ReelError[];
}

const THIS = 'this';
const cteName = (index: number, what: string) => quoteIdent(`__reel_input_${index}__${what}`.slice(0, 63));

/**
 * `unit_tests:` entries: each becomes a node holding the model's SQL rendered with every input
 * read from a CTE of fixed rows. Every problem (unknown model or input, a column the input does
 * not have, bad CSV, an input the model reads but the test does not give) is reported at its YAML line.
 */
export function buildUnitTests(project: LoadedProject, options: UnitTestBuildOptions): UnitTestNode[] {
  const nodes: UnitTestNode[] = [];
  const seen = new Set<string>();
  for (const placed of project.properties.unitTests) {
    const node = buildUnitTest(project, placed, options);
    if (!node) continue;
    if (seen.has(node.uniqueId)) {
      options.errors.push(placed.file.error([...placed.path, 'name'], `unit test "${node.name}" of model "${placed.value.model}" is defined twice`, 'give each unit test of a model its own name'));
      continue;
    }
    seen.add(node.uniqueId);
    nodes.push(node);
  }
  return nodes;
}

function buildUnitTest(project: LoadedProject, placed: Placed<UnitTestProperties>, options: UnitTestBuildOptions): UnitTestNode | undefined {
  const { value: test, file } = placed;
  const at = (...rest: YamlPath) => [...placed.path, ...rest];
  const errorsBefore = options.errors.length;
  const fail = (path: YamlPath, message: string, hint?: string, key?: string) => options.errors.push(withNode(file.error(path, `unit test "${test.name}": ${message}`, hint, key), test.name));
  const model = options.models.get(test.model);
  if (!model) {
    fail(at('model'), `model "${test.model}" does not exist${didYouMean(test.model, options.models.keys())}`, 'name a model of this project (a .sql file in a model path)');
    return undefined;
  }
  const thisCte = cteName(0, THIS);
  const given: UnitTestInput[] = [];
  (test.given ?? []).forEach((entry, j) => {
    let target: RefTarget | undefined;
    if (entry.input.trim() === THIS) target = { uniqueId: model.uniqueId, name: model.name, kind: 'model', relation: model.relation, ephemeral: false };
    else {
      const resolved = options.resolve(entry.input);
      if ('error' in resolved) {
        fail(at('given', j, 'input'), `input ${resolved.error}`, "write input: ref('model'), source('source', 'table') or this");
        return;
      }
      target = resolved;
    }
    if (given.some((g) => g.nodeId === target.uniqueId && (g.input === THIS) === (entry.input.trim() === THIS))) {
      fail(at('given', j, 'input'), `input ${entry.input} is given twice`, 'give each input once, with all its rows');
      return;
    }
    const columns = target.uniqueId === model.uniqueId || target.kind === 'model' || target.kind === 'seed' || target.kind === 'source' || target.kind === 'snapshot' ? options.columnsOf(target.uniqueId) : [];
    const fixture = readFixture(project, entry, columns, at('given', j), test.name, fail);
    if (!fixture) return;
    given.push({
      input: entry.input.trim(),
      nodeId: target.uniqueId,
      relation: target.relation,
      cte: entry.input.trim() === THIS ? thisCte : cteName(j + 1, target.name),
      columns: columns.map((c): FixtureColumn => ({ name: c.name, dataType: c.dataType })),
      rows: fixture.rows,
      ...(fixture.sql !== undefined ? { sql: fixture.sql } : {}),
    });
  });
  const expected = readFixture(project, test.expect, options.columnsOf(model.uniqueId), at('expect'), test.name, fail);

  const isIncremental = test.overrides?.macros?.is_incremental === true;
  for (const macro of Object.keys(test.overrides?.macros ?? {}).filter((name) => name !== 'is_incremental')) {
    fail(at('overrides', 'macros'), `overrides.macros.${macro}: only is_incremental can be overridden`, 'give the value through a var instead ({{var "name"}} in the model, overrides: vars: in the test)', macro);
  }
  const envOverrides = test.overrides?.env_vars ? Object.fromEntries(Object.entries(test.overrides.env_vars).map(([k, v]) => [k, v === null || v === undefined ? undefined : String(v)])) : undefined;
  const inputs = new Map(given.filter((g) => g.input !== THIS).map((g) => [g.nodeId, g.cte]));
  const state: RenderState = { ...newRenderState(model.file, model.name, model.relation), inputs, vars: test.overrides?.vars, env: envOverrides };
  const rendered = options.render(model.template, state, options.context(thisCte, isIncremental));
  options.errors.push(...state.errors.map((e) => withNode(e, test.name)));
  if (!rendered || state.errors.length > 0) return undefined;
  // Inputs that failed to read were reported already; "not given" would only repeat them.
  const givenFailed = options.errors.length > errorsBefore;
  for (const id of [...state.dependsOn].sort()) {
    if (inputs.has(id) || givenFailed) continue;
    const input = id.startsWith('source.') ? `source('${id.split('.').slice(2).join("', '")}')` : `ref('${id.split('.').pop()}')`;
    fail(at('given'), `model "${model.name}" reads ${input}, which the test does not give`, `add "- input: ${input}" under given (with rows: [] if its rows do not matter)`);
  }
  if (!given.some((g) => g.input === THIS) && rendered.text.includes(thisCte)) {
    fail(at('given'), `model "${model.name}" reads {{this}}${isIncremental ? ' (is_incremental is true)' : ''}, which the test does not give`, 'add "- input: this" under given with the rows the table already holds');
  }
  if (options.errors.length > errorsBefore || !expected) return undefined;
  return makeNode<UnitTestNode>({
    kind: 'unit_test',
    uniqueId: `unit_test.${project.settings.name}.${model.name}.${test.name}`,
    name: test.name,
    file: file.path,
    line: () => file.placeOf(at('name')).line ?? 1,
    description: test.description ?? '',
    tags: toList(test.config?.tags),
    meta: test.config?.meta ?? {},
    dependsOn: [model.uniqueId],
    model: model.uniqueId,
    given,
    expectRows: expected.rows,
    ...(expected.sql !== undefined ? { expectSql: expected.sql } : {}),
    sql: rendered.text.trim().replace(/;\s*$/, ''),
    isIncremental,
    enabled: test.config?.enabled ?? true,
    definition: test as Record<string, unknown>,
  });
}

function withNode(error: ReelError, node: string): ReelError {
  if (error.node) return error;
  return new (error.constructor as typeof ConfigError)(error.code, error.message, { file: error.file, line: error.line, column: error.column, node, hint: error.hint, cause: error.cause });
}

type Fail = (path: YamlPath, message: string, hint?: string, key?: string) => void;

interface Fixture {
  readonly rows: Rows;
  readonly sql?: string;
}

/** Rows of a `given` or `expect` entry: dict rows, CSV (inline or a fixture file) or SQL. */
function readFixture(
  project: LoadedProject,
  entry: { rows?: string | Rows; format?: 'dict' | 'csv' | 'sql'; fixture?: string; input?: string },
  columns: readonly ColumnInfo[],
  path: YamlPath,
  testName: string,
  fail: Fail,
): Fixture | undefined {
  const format = entry.format ?? 'dict';
  const what = entry.input ? `input ${entry.input}` : 'expect';
  let text: string | Rows | undefined = entry.rows;
  if (entry.fixture !== undefined) {
    const file = findFixture(project, entry.fixture, format);
    if (!file) {
      fail([...path, 'fixture'], `${what}: fixture "${entry.fixture}" not found`, `put it in ${project.settings.testPaths[0]}/fixtures/${entry.fixture}.${format === 'sql' ? 'sql' : 'csv'}`);
      return undefined;
    }
    text = readFileSync(file, 'utf8');
  }
  if (format === 'sql') {
    if (typeof text !== 'string') {
      fail([...path, 'rows'], `${what}: format sql needs rows: a select statement`, 'write rows: "select 1 as id, \'a\' as name"');
      return undefined;
    }
    return { rows: [], sql: text.trim().replace(/;\s*$/, '') };
  }
  let rows: Rows;
  if (format === 'csv') {
    if (typeof text !== 'string') {
      fail([...path, 'rows'], `${what}: format csv needs rows as CSV text (a header line, then one line per row)`, 'write rows: |\n  id,name\n  1,a');
      return undefined;
    }
    try {
      rows = (parse(text.trim(), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[]).map((row) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v === '' ? null : v])),
      );
    } catch (error) {
      const line = (error as { lines?: number }).lines;
      const reason = (error as Error).message.replace(/^Invalid Record Length: /, '').replace(/ on line \d+$/, '');
      fail([...path, entry.fixture !== undefined ? 'fixture' : 'rows'], `${what}: bad CSV${line ? ` on CSV line ${line}` : ''}: ${reason}`, 'give every line as many fields as the header; quote fields that hold commas');
      return undefined;
    }
  } else {
    if (text !== undefined && !Array.isArray(text)) {
      fail([...path, 'rows'], `${what}: rows should be a list of mappings, one per row`, 'write rows: [{id: 1, name: a}], or set format: csv for CSV text');
      return undefined;
    }
    rows = (text ?? []) as Rows;
  }
  // A column list with every data_type declared is taken as the input's whole shape (a partly
  // documented input is checked at run time instead, against its relation in the warehouse).
  if (columns.length > 0 && columns.every((c) => c.dataType)) {
    const known = columns.map((c) => c.name);
    let bad = false;
    rows.forEach((row, r) => {
      for (const key of Object.keys(row)) {
        if (known.includes(key)) continue;
        bad = true;
        fail([...path, 'rows', ...(format === 'dict' ? [r] : [])], `${what} row ${r + 1} has column "${key}", which is not a column of ${entry.input ?? 'the model'}${didYouMean(key, known)}`, `use its declared columns (${known.join(', ')}), or declare "${key}" in its YAML`, format === 'dict' ? key : undefined);
      }
    });
    if (bad) return undefined;
  }
  void testName;
  return { rows };
}

function findFixture(project: LoadedProject, name: string, format: string): string | undefined {
  const names = /\.[a-z]+$/.test(name) ? [name] : [`${name}.${format === 'sql' ? 'sql' : 'csv'}`];
  for (const testPath of project.settings.testPaths) {
    for (const candidate of names) {
      const path = join(project.root, testPath, 'fixtures', candidate);
      if (existsSync(path)) return path;
    }
  }
  return undefined;
}
