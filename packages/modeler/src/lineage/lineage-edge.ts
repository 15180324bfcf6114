import type { ColumnEdge, LineageKind, RelationName } from './types.js';

/**
 * Internal edge kinds. `bare` is a column selected as is; it becomes `direct` or `renamed` only
 * at the outermost select, where the output column's name is known.
 */
export type ValueKind = 'bare' | 'transformed' | 'aggregated';
export type RowKind = 'filter' | 'join';
export type EdgeKind = ValueKind | RowKind;

export interface Edge {
  readonly relation: RelationName;
  readonly column: string;
  readonly kind: EdgeKind;
  /** Relation and column as one string, to de-duplicate and sort without building it again. */
  readonly key: string;
}

export function makeEdge(relation: RelationName, column: string, kind: EdgeKind): Edge {
  return { relation, column, kind, key: `${relation.schema ?? ''}\u0000${relation.name}\u0000${column}` };
}

export function withKind(edge: Edge, kind: EdgeKind): Edge {
  return edge.kind === kind ? edge : { relation: edge.relation, column: edge.column, kind, key: edge.key };
}

/** Where one column (or expression) comes from: its upstream edges and what could not be resolved. */
export interface ColumnSource {
  readonly edges: readonly Edge[];
  readonly unresolved: readonly string[];
}

export const EMPTY_SOURCE: ColumnSource = Object.freeze({ edges: [], unresolved: [] });

export function unresolvedSource(reason: string): ColumnSource {
  return { edges: [], unresolved: [reason] };
}

export function isRowKind(kind: EdgeKind): kind is RowKind {
  return kind === 'filter' || kind === 'join';
}

const VALUE_DISTANCE: Record<ValueKind, number> = { bare: 0, transformed: 1, aggregated: 2 };

/**
 * The kind of an inner edge seen through an outer use: in a row context (WHERE, ON) everything
 * decides rows; otherwise the value is as far from the upstream column as its furthest step
 * (a bare reference to an aggregated column is aggregated).
 */
export function compose(outer: EdgeKind, inner: EdgeKind): EdgeKind {
  if (isRowKind(outer)) return outer;
  if (isRowKind(inner)) return inner;
  return VALUE_DISTANCE[outer] >= VALUE_DISTANCE[inner] ? outer : inner;
}

export function composeSource(outer: EdgeKind, source: ColumnSource): ColumnSource {
  if (outer === 'bare') return source;
  return { edges: source.edges.map((edge) => withKind(edge, compose(outer, edge.kind))), unresolved: source.unresolved };
}

export function mergeSources(sources: readonly ColumnSource[]): ColumnSource {
  if (sources.length === 1) return sources[0]!;
  return { edges: sources.flatMap((source) => source.edges), unresolved: sources.flatMap((source) => source.unresolved) };
}

export function relationLabel(relation: RelationName): string {
  return relation.schema === undefined ? relation.name : `${relation.schema}.${relation.name}`;
}

const RANK: Record<LineageKind, number> = { direct: 0, renamed: 0, transformed: 1, aggregated: 2, join: 3, filter: 4 };
const ORDER: Record<LineageKind, number> = { direct: 0, renamed: 1, transformed: 2, aggregated: 3, join: 4, filter: 5 };

interface Best {
  readonly edge: Edge;
  readonly kind: LineageKind;
}

/** Row edges of a statement, made final once: they are the same on every output column. */
export interface FinalRows {
  readonly edges: readonly ColumnEdge[];
  readonly keys: readonly string[];
  readonly source: readonly Edge[];
}

export function finalRows(edges: readonly Edge[]): FinalRows {
  const sorted = sortBest(bestByKey('', edges));
  return { edges: sorted.map(toColumnEdge), keys: sorted.map((best) => best.edge.key), source: edges };
}

/**
 * Final edges of an output column: bare edges named direct or renamed, one edge per upstream
 * column (the strongest kind wins), sorted by kind, relation and column.
 */
export function finalEdges(outputName: string, edges: readonly Edge[], rows?: FinalRows): ColumnEdge[] {
  const best = bestByKey(outputName, edges);
  if (!rows || rows.edges.length === 0) return sortBest(best).map(toColumnEdge);
  if ([...best.values()].some((entry) => isRowKind(entry.edge.kind))) return sortBest(bestByKey(outputName, [...edges, ...rows.source])).map(toColumnEdge);
  // Value kinds outrank and sort before row kinds: the row edges follow, less those the column reads.
  const values = sortBest(best).map(toColumnEdge);
  rows.edges.forEach((edge, index) => {
    if (!best.has(rows.keys[index]!)) values.push(edge);
  });
  return values;
}

function bestByKey(outputName: string, edges: readonly Edge[]): Map<string, Best> {
  const best = new Map<string, Best>();
  for (const edge of edges) {
    const kind: LineageKind = edge.kind === 'bare' ? (edge.column === outputName ? 'direct' : 'renamed') : edge.kind;
    const known = best.get(edge.key);
    if (!known || RANK[kind] < RANK[known.kind]) best.set(edge.key, { edge, kind });
  }
  return best;
}

function sortBest(best: ReadonlyMap<string, Best>): Best[] {
  return [...best.values()].sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || (a.edge.key < b.edge.key ? -1 : a.edge.key > b.edge.key ? 1 : 0));
}

function toColumnEdge({ edge, kind }: Best): ColumnEdge {
  return { relation: edge.relation, column: edge.column, kind };
}

export function uniqueReasons(reasons: readonly string[]): string | undefined {
  if (reasons.length === 0) return undefined;
  return [...new Set(reasons)].join('; ');
}
