import picomatch from 'picomatch';
import { UsageError, didYouMean } from '../errors/index.js';
import type { DependencyGraph } from './dependency-graph.js';
import type { GraphNode } from './nodes.js';

/**
 * dbt's node selection: `name`, `+name` (and ancestors), `name+` (and descendants), `2+name`,
 * `tag:x`, `path:dir`, `resource_type:model`, globs in names; space-separated terms are a union,
 * comma-joined terms an intersection.
 */
export function selectNodes(graph: DependencyGraph, select: readonly string[], exclude: readonly string[] = []): Set<string> {
  const chosen = select.length === 0 ? new Set(graph.nodes.keys()) : union(graph, select);
  if (exclude.length > 0) for (const id of union(graph, exclude)) chosen.delete(id);
  return chosen;
}

function union(graph: DependencyGraph, expressions: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const expression of expressions.flatMap((e) => e.split(/\s+/)).filter(Boolean)) {
    const parts = expression.split(',');
    let result = term(graph, parts[0]!);
    for (const part of parts.slice(1)) {
      const other = term(graph, part);
      result = new Set([...result].filter((id) => other.has(id)));
    }
    for (const id of result) out.add(id);
  }
  return out;
}

const TERM = /^(?:(\d*)\+)?(.+?)(?:\+(\d*))?$/;

function term(graph: DependencyGraph, text: string): Set<string> {
  const match = TERM.exec(text);
  if (!match) throw new UsageError('bad-selector', `cannot read selector "${text}"`);
  const [, upDepth, body, downDepth] = match;
  const up = text.match(/^\d*\+/) ? (upDepth ? Number(upDepth) : Infinity) : 0;
  const down = text.match(/\+\d*$/) ? (downDepth ? Number(downDepth) : Infinity) : 0;
  const base = matchBody(graph, body!);
  const out = new Set(base);
  for (const id of base) {
    if (up > 0) for (const a of graph.ancestors(id, up)) out.add(a);
    if (down > 0) for (const d of graph.descendants(id, down)) out.add(d);
  }
  return out;
}

function matchBody(graph: DependencyGraph, body: string): Set<string> {
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
      test = (node) => node.kind === 'test' && node.testType === value;
      break;
    default:
      throw new UsageError('bad-selector', `unknown selector method "${method}:"${didYouMean(method, ['tag', 'path', 'resource_type', 'source', 'config.materialized', 'test_type'])}`, {
        hint: 'use name, +name, name+, tag:x, path:dir, resource_type:model or source:name',
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
