import picomatch from 'picomatch';
import { UsageError, didYouMean } from '../errors/index.js';
import { MODIFICATIONS, type Modification, type StateComparison } from '../state/compare-state.js';
import type { DependencyGraph } from './dependency-graph.js';
import type { GraphNode } from './nodes.js';

/** What `state:` and `result:` selectors compare with (from `--state DIR`). */
export interface SelectionState {
  /** The folder, for messages. */
  readonly dir: string;
  /** The comparison with its manifest, computed on first use. */
  readonly comparison: () => StateComparison;
  /** Statuses from its run_results.json, if it has one. */
  readonly results: ReadonlyMap<string, string> | undefined;
}

export interface SelectionContext {
  readonly state?: SelectionState;
}

const RESULT_STATUSES = ['success', 'error', 'fail', 'warn', 'pass', 'skipped'];
const METHODS = ['tag', 'path', 'resource_type', 'source', 'config.materialized', 'test_type', 'state', 'result'];

/**
 * dbt's node selection: `name`, `+name` (and ancestors), `name+` (and descendants), `2+name`,
 * `@name` (descendants and all their ancestors), `tag:x`, `path:dir`, `resource_type:model`,
 * `state:modified[.body|.configs|.relation|.persisted_descriptions|.macros]`, `state:new`,
 * `state:unmodified`, `state:old`, `result:<status>`, globs in names; space-separated terms are a
 * union, comma-joined terms an intersection.
 */
export function selectNodes(graph: DependencyGraph, select: readonly string[], exclude: readonly string[] = [], context: SelectionContext = {}): Set<string> {
  const chosen = select.length === 0 ? new Set(graph.nodes.keys()) : union(graph, select, context);
  if (exclude.length > 0) for (const id of union(graph, exclude, context)) chosen.delete(id);
  return chosen;
}

function union(graph: DependencyGraph, expressions: readonly string[], context: SelectionContext): Set<string> {
  const out = new Set<string>();
  for (const expression of expressions.flatMap((e) => e.split(/\s+/)).filter(Boolean)) {
    const parts = expression.split(',');
    let result = term(graph, parts[0]!, context);
    for (const part of parts.slice(1)) {
      const other = term(graph, part, context);
      result = new Set([...result].filter((id) => other.has(id)));
    }
    for (const id of result) out.add(id);
  }
  return out;
}

const TERM = /^(?:(\d*)\+)?(.+?)(?:\+(\d*))?$/;

function term(graph: DependencyGraph, text: string, context: SelectionContext): Set<string> {
  if (text.startsWith('@')) {
    const out = new Set<string>();
    for (const id of matchBody(graph, text.slice(1), context)) {
      out.add(id);
      for (const d of graph.descendants(id, Infinity)) out.add(d);
    }
    for (const id of [...out]) for (const a of graph.ancestors(id, Infinity)) out.add(a);
    return out;
  }
  const match = TERM.exec(text);
  if (!match) throw new UsageError('bad-selector', `cannot read selector "${text}"`);
  const [, upDepth, body, downDepth] = match;
  const up = text.match(/^\d*\+/) ? (upDepth ? Number(upDepth) : Infinity) : 0;
  const down = text.match(/\+\d*$/) ? (downDepth ? Number(downDepth) : Infinity) : 0;
  const base = matchBody(graph, body!, context);
  const out = new Set(base);
  for (const id of base) {
    if (up > 0) for (const a of graph.ancestors(id, up)) out.add(a);
    if (down > 0) for (const d of graph.descendants(id, down)) out.add(d);
  }
  return out;
}

function matchBody(graph: DependencyGraph, body: string, context: SelectionContext): Set<string> {
  const colon = body.indexOf(':');
  const method = colon > 0 ? body.slice(0, colon) : 'name';
  const value = colon > 0 ? body.slice(colon + 1) : body;
  const nodes = [...graph.nodes.values()];
  let test: (node: GraphNode) => boolean;
  switch (method) {
    case 'name':
    case 'fqn': {
      const isMatch = picomatch(value);
      test = (node) => isMatch(node.name) || (node.kind === 'source' && isMatch(`${node.sourceName}.${node.tableName}`));
      break;
    }
    case 'tag':
      test = (node) => node.tags.includes(value);
      break;
    case 'path': {
      const prefix = value.replace(/\/+$/, '');
      const isMatch = picomatch(prefix);
      test = (node) => node.file === prefix || node.file.startsWith(prefix + '/') || isMatch(node.file);
      break;
    }
    case 'resource_type':
      test = (node) => node.kind === value;
      break;
    case 'source':
      test = (node) => node.kind === 'source' && (node.sourceName === value || `${node.sourceName}.${node.tableName}` === value);
      break;
    case 'config.materialized':
      test = (node) => node.kind === 'model' && node.config.materialized === value;
      break;
    case 'test_type':
      // dbt's test types: unit, data (generic and singular), and the two kinds of data test.
      test = (node) => (node.kind === 'test' && (node.testType === value || value === 'data')) || (node.kind === 'unit_test' && value === 'unit');
      break;
    case 'state':
      test = stateTest(value, context);
      break;
    case 'result':
      test = resultTest(value, context);
      break;
    default:
      throw new UsageError('bad-selector', `unknown selector method "${method}:"${didYouMean(method, METHODS)}`, {
        hint: 'use name, +name, name+, @name, tag:x, path:dir, resource_type:model, source:name, state:modified or result:error',
      });
  }
  const found = new Set(nodes.filter(test).map((n) => n.uniqueId));
  if (found.size === 0 && method === 'name' && !/[*?[]/.test(value)) {
    throw new UsageError('no-match', `no node matches "${value}"${didYouMean(value, nodes.map((n) => n.name))}`, {
      hint: 'list the project\'s nodes with `model ls`',
    });
  }
  return found;
}

function needState(selector: string, context: SelectionContext): SelectionState {
  if (!context.state) {
    throw new UsageError('state-needed', `"${selector}" compares with a previous run, but no --state was given`, {
      hint: 'add --state <dir>: a folder holding the previous run\'s manifest.json (and run_results.json for result:)',
    });
  }
  return context.state;
}

function stateTest(value: string, context: SelectionContext): (node: GraphNode) => boolean {
  const selector = `state:${value}`;
  const [which, sub] = value.split('.', 2) as [string, string | undefined];
  if (!['modified', 'new', 'old', 'unmodified'].includes(which) || (sub !== undefined && (which !== 'modified' || !MODIFICATIONS.includes(sub as Modification)))) {
    const known = ['modified', 'new', 'old', 'unmodified', ...MODIFICATIONS.map((m) => `modified.${m}`)];
    throw new UsageError('bad-selector', `unknown state selector "${selector}"${didYouMean(value, known)}`, { hint: `use state:${known.join(', state:')}` });
  }
  const { added, modified } = needState(selector, context).comparison();
  switch (which) {
    case 'new':
      return (node) => added.has(node.uniqueId);
    case 'old':
      return (node) => !added.has(node.uniqueId);
    case 'unmodified':
      return (node) => !added.has(node.uniqueId) && !modified.has(node.uniqueId);
    default:
      return sub === undefined
        ? (node) => added.has(node.uniqueId) || modified.has(node.uniqueId)
        : (node) => added.has(node.uniqueId) || modified.get(node.uniqueId)?.has(sub as Modification) === true;
  }
}

function resultTest(value: string, context: SelectionContext): (node: GraphNode) => boolean {
  if (!RESULT_STATUSES.includes(value)) {
    throw new UsageError('bad-selector', `unknown result status "result:${value}"${didYouMean(value, RESULT_STATUSES)}`, { hint: `use result:${RESULT_STATUSES.join(', result:')}` });
  }
  const state = needState(`result:${value}`, context);
  if (!state.results) {
    throw new UsageError('state-no-results', `"result:${value}" reads run_results.json, but ${state.dir} has none`, {
      hint: 'copy the previous run\'s target/run_results.json next to its manifest.json',
    });
  }
  const results = state.results;
  return (node) => results.get(node.uniqueId) === value;
}
