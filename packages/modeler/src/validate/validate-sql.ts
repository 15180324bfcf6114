import { loadModule, parseSync } from 'libpg-query';
import type { CompileCache } from '../cache/compile-cache.js';
import { SqlError } from '../errors/index.js';
import type { DependencyGraph } from '../graph/dependency-graph.js';
import { makeNode, updateNode, type GraphNode, type ModelNode, type SnapshotNode, type TestNode } from '../graph/nodes.js';
import { isBuiltinTest } from '../render/builtin-tests.js';
import { EPHEMERAL_PREFIX } from '../render/render-state.js';
import type { SourceMap } from '../render/source-map.js';
import { quoteIdent } from '../sql/quote.js';

export interface ValidateResult {
  /** The nodes with final SQL: trailing semicolons removed, ephemeral parents inlined. */
  readonly nodes: readonly GraphNode[];
  readonly errors: readonly SqlError[];
}

interface Parsed {
  readonly stmts: readonly { stmt: Record<string, unknown>; stmt_location?: number }[];
}

let loaded: Promise<void> | undefined;

/** Loads the PostgreSQL parser (WASM) once per process. */
export function loadParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

/**
 * Parses every model's and test's SQL with the real PostgreSQL parser and maps each syntax
 * error back to the template's line and column. Models must be exactly one query.
 */
export async function validateSql(graph: DependencyGraph, cache?: CompileCache): Promise<ValidateResult> {
  const errors: SqlError[] = [];
  const finals = new Map<string, GraphNode>();
  const ephemeralSql = new Map<string, string>();

  for (const id of graph.topologicalOrder()) {
    const node = graph.nodes.get(id)!;
    if (node.kind === 'model') {
      const full = await checkQuery(node.compiledSql, node.sourceMap, node, errors, cache);
      const incremental = node.incrementalSql !== undefined && node.incrementalSql !== node.compiledSql ? await checkQuery(node.incrementalSql, node.incrementalSourceMap!, node, errors, cache) : undefined;
      if (!full) continue;
      const inlinedFull = inlineEphemerals(full, node, graph, ephemeralSql);
      const inlinedIncremental = incremental ? inlineEphemerals(incremental, node, graph, ephemeralSql) : undefined;
      if (node.config.materialized === 'ephemeral') ephemeralSql.set(id, full.sql);
      finals.set(
        id,
        makeNode<ModelNode>({
          ...node,
          compiledSql: inlinedFull.sql,
          sourceMap: inlinedFull.map!,
          incrementalSql: node.incrementalSql === undefined ? undefined : (inlinedIncremental?.sql ?? inlinedFull.sql),
          incrementalSourceMap: node.incrementalSql === undefined ? undefined : (inlinedIncremental?.map ?? inlinedFull.map),
        }),
      );
    } else if (node.kind === 'snapshot') {
      const checked = await checkQuery(node.compiledSql, node.sourceMap, node, errors, cache);
      if (checked) finals.set(id, updateNode<SnapshotNode>(node, { compiledSql: inlineEphemerals(checked, node, graph, ephemeralSql).sql }));
    } else if (node.kind === 'test') {
      const checked = isGeneratedSql(node) ? { sql: node.sql, map: undefined } : await checkQuery(node.sql, node.sourceMap, node, errors, cache);
      if (checked) {
        const inlined = inlineEphemerals(checked, node, graph, ephemeralSql);
        finals.set(id, inlined.sql === node.sql ? node : updateNode<TestNode>(node, { sql: inlined.sql }));
      }
    } else {
      finals.set(id, node);
    }
  }
  return { nodes: [...finals.values()], errors };
}

/**
 * A built-in test's SQL is written by Reel from quoted identifiers and literals: parsing it would
 * only cost time. A `where` filter or unquoted accepted values are the user's SQL and are parsed.
 */
function isGeneratedSql(test: TestNode): boolean {
  return test.testType === 'generic' && isBuiltinTest(test.testName) && test.config.where === undefined && !(test.testName === 'accepted_values' && test.args.quote === false);
}

interface CheckedQuery {
  readonly sql: string;
  readonly map: SourceMap | undefined;
  readonly withLocation?: number;
}

/** Checks one query, with the parser (loaded on the first query the cache does not know). */
async function checkQuery(sql: string, map: SourceMap | undefined, node: ModelNode | TestNode | SnapshotNode, errors: SqlError[], cache: CompileCache | undefined): Promise<CheckedQuery | undefined> {
  const trimmed = sql.replace(/[\s;]+$/, '');
  const known = cache?.checkedSql(trimmed);
  if (known) return { sql: trimmed, map, withLocation: known.withLocation };
  await loadParser();
  const checked = parseQuery(trimmed, map, node, errors);
  if (checked) cache?.storeSql(trimmed, { withLocation: checked.withLocation });
  return checked;
}

function parseQuery(trimmed: string, map: SourceMap | undefined, node: ModelNode | TestNode | SnapshotNode, errors: SqlError[]): CheckedQuery | undefined {
  const place = (offset: number) => {
    if (map) return { file: map.file, ...map.locate(offset) };
    return { file: node.file, line: node.line };
  };
  let parsed: Parsed;
  try {
    parsed = parseSync(trimmed) as unknown as Parsed;
  } catch (error) {
    const details = (error as { sqlDetails?: { message: string; cursorPosition: number } }).sqlDetails;
    const offset = details ? charOffset(trimmed, Math.max(0, details.cursorPosition)) : 0;
    const near = trimmed.slice(offset).match(/^\S{0,30}/)?.[0];
    errors.push(
      new SqlError('sql-syntax', `SQL syntax error in ${node.kind} "${node.name}": ${details?.message ?? String(error)}`, {
        ...place(offset),
        node: node.name,
        hint: near ? `look at "${near}" and just before it` : 'the statement ends too early; look for a missing expression or closing parenthesis',
        cause: error,
      }),
    );
    return undefined;
  }
  if (parsed.stmts.length === 0) {
    errors.push(new SqlError('sql-empty', `${node.kind} "${node.name}" has no SQL statement`, { ...place(0), node: node.name, hint: 'write a select statement' }));
    return undefined;
  }
  if (parsed.stmts.length > 1) {
    const second = charOffset(trimmed, parsed.stmts[1]!.stmt_location ?? 0);
    errors.push(
      new SqlError('sql-multiple', `${node.kind} "${node.name}" has ${parsed.stmts.length} statements; it must be a single select`, {
        ...place(second),
        node: node.name,
        hint: 'split it into separate models, or use a CTE (with …) to combine the queries',
      }),
    );
    return undefined;
  }
  const statement = parsed.stmts[0]!.stmt;
  const kind = Object.keys(statement)[0]!;
  if (kind !== 'SelectStmt') {
    errors.push(
      new SqlError('sql-not-select', `${node.kind} "${node.name}" must be a select query, not ${kind.replace(/Stmt$/, '').toUpperCase()}`, {
        ...place(0),
        node: node.name,
        hint: 'Reel writes the create/insert statements itself; the model only selects the rows',
      }),
    );
    return undefined;
  }
  const withClause = (statement.SelectStmt as { withClause?: { location?: number } }).withClause;
  return { sql: trimmed, map, withLocation: withClause?.location === undefined ? undefined : charOffset(trimmed, withClause.location) };
}

/** Turns a byte offset from the parser (UTF-8) into an offset into the JS string. */
export function charOffset(text: string, byteOffset: number): number {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return byteOffset;
  return Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8').length;
}

/** Inlines every ephemeral model the node refers to (directly or through other ephemerals) as CTEs. */
function inlineEphemerals(query: CheckedQuery, node: ModelNode | TestNode | SnapshotNode, graph: DependencyGraph, ephemeralSql: ReadonlyMap<string, string>): { sql: string; map: SourceMap | undefined } {
  const needed: string[] = [];
  const visit = (id: string) => {
    for (const parent of graph.parents.get(id) ?? []) {
      const p = graph.nodes.get(parent);
      if (p?.kind !== 'model' || p.config.materialized !== 'ephemeral' || needed.includes(parent)) continue;
      visit(parent);
      if (!needed.includes(parent)) needed.push(parent);
    }
  };
  visit(node.uniqueId);
  const ctes = needed.filter((id) => ephemeralSql.has(id)).map((id) => `${quoteIdent(EPHEMERAL_PREFIX + graph.nodes.get(id)!.name)} as (\n${ephemeralSql.get(id)!.trim()}\n)`);
  if (ctes.length === 0) return { sql: query.sql, map: query.map };
  if (query.withLocation !== undefined) {
    const after = /^with(\s+recursive)?\s/i.exec(query.sql.slice(query.withLocation));
    const at = query.withLocation + (after ? after[0].length : 4);
    const inserted = `${ctes.join(',\n')},\n`;
    return { sql: query.sql.slice(0, at) + inserted + query.sql.slice(at), map: query.map?.shifted(at, inserted.length) };
  }
  const prefix = `with ${ctes.join(',\n')}\n`;
  return { sql: prefix + query.sql, map: query.map?.shifted(0, prefix.length) };
}
