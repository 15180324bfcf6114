import { composeSource, EMPTY_SOURCE, makeEdge, mergeSources, relationLabel, unresolvedSource, type ColumnSource, type Edge } from './lineage-edge.js';
import { MORE_COLUMNS, type ColumnsOf, type RelationName } from './types.js';

/** Columns of a relation that exist but are not known by name (`select *` over unknown columns). */
export interface OpenColumns {
  /** What has the unknown columns, for messages: `staging.foo`, `function json_each`. */
  readonly label: string;
  /** The lineage of a column of that name, which is assumed to exist. */
  lookup(name: string): ColumnSource;
}

/** One output column of a query, or a run of columns whose names are unknown. */
export type OutputPart = { readonly kind: 'column'; readonly name: string; readonly source: ColumnSource } | { readonly kind: 'open'; readonly open: OpenColumns };

/** What a query produces: its columns, and the edges that decide which rows it has. */
export interface Derived {
  readonly parts: readonly OutputPart[];
  readonly rowEdges: readonly Edge[];
  readonly rowUnresolved: readonly string[];
}

/** One entry of a FROM clause: a table, CTE, subquery or function, under the name it is referenced by. */
export interface FromItem {
  /** The name columns are qualified with: the alias, or the relation's name. */
  readonly alias: string;
  /** Set for an unaliased table, which may also be referenced as `schema.table.column`. */
  readonly relation: RelationName | undefined;
  readonly label: string;
  /** Output columns known by name, in order. */
  readonly columns: readonly string[];
  /** False when it may have more columns than `columns`. */
  readonly complete: boolean;
  /** The lineage of one column referenced through this item. */
  column(name: string): ColumnSource;
  /** The columns `*` expands to. */
  star(): readonly OutputPart[];
  readonly rowEdges: readonly Edge[];
  readonly rowUnresolved: readonly string[];
}

/** A FROM clause entry as a tree: joins keep the columns merged by USING / NATURAL. */
export type FromNode =
  | { readonly kind: 'item'; readonly item: FromItem }
  | {
      readonly kind: 'join';
      readonly left: FromNode;
      readonly right: FromNode;
      /** USING / NATURAL columns: one column for both sides. */
      readonly merged: ReadonlyMap<string, ColumnSource>;
      /** `join … using (k) as j`: j.k names the merged column. */
      readonly usingAlias?: FromItem;
    };

/** The FROM items visible at one query level, and the enclosing level (for correlated references). */
export interface Scope {
  readonly nodes: readonly FromNode[];
  readonly parent?: Scope;
}

const NO_EDGES: readonly Edge[] = Object.freeze([]);
const NO_REASONS: readonly string[] = Object.freeze([]);

function bareEdge(relation: RelationName, column: string): ColumnSource {
  return { edges: [makeEdge(relation, column, 'bare')], unresolved: [] };
}

/** A table or view. Its columns come from `columnsOf`; a qualified reference needs none of them. */
export function baseItem(relation: RelationName, alias: string | undefined, colnames: readonly string[], columnsOf: ColumnsOf): FromItem {
  const given = columnsOf(relation);
  const partial = given !== undefined && given[given.length - 1] === MORE_COLUMNS;
  const listed = partial ? given.slice(0, -1) : given;
  const label = relationLabel(relation);
  const renamedFrom = (name: string): ColumnSource | undefined => {
    const index = colnames.indexOf(name);
    if (index < 0) return undefined;
    // Declared columns need not be in table order, so they cannot tell which column a position is.
    const original = partial ? undefined : listed?.[index];
    return original === undefined ? unresolvedSource(`cannot tell which column of ${label} is renamed to "${name}": its columns are unknown`) : bareEdge(relation, original);
  };
  const column = colnames.length === 0 ? (name: string) => bareEdge(relation, name) : (name: string) => renamedFrom(name) ?? bareEdge(relation, name);
  const columns = colnames.length === 0 ? (listed ?? []) : partial ? colnames : [...colnames, ...(listed ?? []).slice(colnames.length)];
  let star: readonly OutputPart[] | undefined;
  return {
    alias: alias ?? relation.name,
    relation: alias === undefined ? relation : undefined,
    label,
    columns,
    complete: listed !== undefined && !partial,
    column,
    star: () =>
      (star ??= [
        ...columns.map((name): OutputPart => ({ kind: 'column', name, source: column(name) })),
        ...(listed && !partial ? [] : [{ kind: 'open', open: { label: partial ? `${label} beyond its declared ones` : label, lookup: (name: string) => bareEdge(relation, name) } } as const]),
      ]),
    rowEdges: NO_EDGES,
    rowUnresolved: NO_REASONS,
  };
}

interface DerivedShape {
  readonly parts: readonly OutputPart[];
  readonly columns: readonly string[];
  readonly opens: readonly OpenColumns[];
  /** Sources by column name; a number when the name is there more than once. */
  readonly byName: ReadonlyMap<string, ColumnSource | number>;
}

const SHAPES = new WeakMap<Derived, DerivedShape>();

function shapeOf(parts: readonly OutputPart[]): DerivedShape {
  const columns: string[] = [];
  const opens: OpenColumns[] = [];
  const byName = new Map<string, ColumnSource | number>();
  for (const part of parts) {
    if (part.kind === 'open') {
      opens.push(part.open);
      continue;
    }
    columns.push(part.name);
    const known = byName.get(part.name);
    byName.set(part.name, known === undefined ? part.source : typeof known === 'number' ? known + 1 : 2);
  }
  return { parts, columns, opens, byName };
}

/** A CTE, subquery or aliased join: columns come from its analysed query. */
export function derivedItem(alias: string, derived: Derived, colnames: readonly string[], label = `"${alias}"`): FromItem {
  let shape = colnames.length === 0 ? SHAPES.get(derived) : undefined;
  if (!shape) {
    shape = shapeOf(renameParts(derived.parts, colnames, alias));
    if (colnames.length === 0) SHAPES.set(derived, shape);
  }
  const { parts, columns, opens, byName } = shape;
  const column = (name: string): ColumnSource => {
    const found = byName.get(name);
    if (typeof found === 'number') return unresolvedSource(`column "${name}" is ambiguous: "${alias}" has ${found} columns of that name`);
    if (found) return found;
    if (opens.length === 1) return opens[0]!.lookup(name);
    if (opens.length > 1) return unresolvedSource(`column "${name}" of "${alias}" may come from any of ${opens.map((open) => open.label).join(', ')}, whose columns are unknown`);
    return unresolvedSource(`column "${name}" is not a column of "${alias}"`);
  };
  return { alias, relation: undefined, label, columns, complete: opens.length === 0, column, star: () => parts, rowEdges: derived.rowEdges, rowUnresolved: derived.rowUnresolved };
}

/** `from q as x(a, b)`: the first columns take the new names. */
export function renameParts(parts: readonly OutputPart[], colnames: readonly string[], alias: string): readonly OutputPart[] {
  if (colnames.length === 0) return parts;
  const renamed: OutputPart[] = [];
  let next = 0;
  for (const [index, part] of parts.entries()) {
    if (next >= colnames.length) {
      renamed.push(part);
    } else if (part.kind === 'column') {
      renamed.push({ ...part, name: colnames[next++]! });
    } else {
      const reason = `cannot tell which column of "${alias}" is named "%": columns of ${part.open.label} are unknown`;
      for (const name of colnames.slice(next)) renamed.push({ kind: 'column', name, source: unresolvedSource(reason.replace('%', name)) });
      renamed.push(part, ...parts.slice(index + 1));
      return renamed;
    }
  }
  return renamed;
}

export interface FunctionColumn {
  readonly name: string;
  readonly source: ColumnSource;
}

/** A function or VALUES list in FROM: its columns come from its arguments, not from a relation. */
export function functionItem(alias: string, label: string, columns: readonly FunctionColumn[], complete: boolean, argSource: ColumnSource): FromItem {
  const column = (name: string) => columns.find((c) => c.name === name)?.source ?? argSource;
  const open: OpenColumns = { label, lookup: () => argSource };
  return {
    alias,
    relation: undefined,
    label,
    columns: columns.map((c) => c.name),
    complete,
    column,
    star: () => [...columns.map((c): OutputPart => ({ kind: 'column', ...c })), ...(complete ? [] : [{ kind: 'open', open } as const])],
    rowEdges: [],
    rowUnresolved: [],
  };
}

/** The tables, CTEs, subqueries and functions of a FROM clause entry. */
export function itemsOf(node: FromNode): FromItem[] {
  return node.kind === 'item' ? [node.item] : [...itemsOf(node.left), ...itemsOf(node.right)];
}

/** `*` over one FROM clause entry: USING/NATURAL columns first, then the other columns of each side. */
export function expandNode(node: FromNode): readonly OutputPart[] {
  if (node.kind === 'item') return node.item.star();
  const rest = [...expandNode(node.left), ...expandNode(node.right)].filter((part) => part.kind === 'open' || !node.merged.has(part.name));
  return [...[...node.merged].map(([name, source]): OutputPart => ({ kind: 'column', name, source })), ...rest];
}

/** Items a qualifier (`a` or `schema.table`) names at one level. */
export function findItems(nodes: readonly FromNode[], qualifier: readonly string[]): FromItem[] {
  const found: FromItem[] = [];
  const name = qualifier[qualifier.length - 1];
  const schema = qualifier.length > 1 ? qualifier[qualifier.length - 2] : undefined;
  const visit = (item: FromItem) => {
    if (schema === undefined ? item.alias === name : item.relation?.name === name && item.relation?.schema === schema) found.push(item);
  };
  for (const node of nodes) forEachItem(node, visit);
  return found;
}

/** Every item a qualifier can name, including `using (…) as j`. */
function forEachItem(node: FromNode, visit: (item: FromItem) => void): void {
  if (node.kind === 'item') return visit(node.item);
  forEachItem(node.left, visit);
  forEachItem(node.right, visit);
  if (node.usingAlias) visit(node.usingAlias);
}

/** Whether a column of that name is (or may be) in one of these FROM entries. */
export function levelHasColumn(nodes: readonly FromNode[], name: string): boolean {
  const found: LevelSearch = { hits: [], maybes: [] };
  for (const node of nodes) searchNode(node, name, found);
  return found.hits.length + found.maybes.length > 0;
}

interface LevelSearch {
  readonly hits: { readonly label: string; readonly source: () => ColumnSource }[];
  readonly maybes: FromItem[];
}

function searchNode(node: FromNode, name: string, into: LevelSearch): void {
  if (node.kind === 'join') {
    const merged = node.merged.get(name);
    if (merged) {
      into.hits.push({ label: `the joined column "${name}"`, source: () => merged });
      return;
    }
    searchNode(node.left, name, into);
    searchNode(node.right, name, into);
  } else if (node.item.columns.includes(name)) {
    into.hits.push({ label: `"${node.item.alias}"`, source: () => node.item.column(name) });
  } else if (!node.item.complete) {
    into.maybes.push(node.item);
  }
}

/**
 * Resolves a column reference as PostgreSQL does: the innermost level that has the column wins,
 * a name in two items of one level is ambiguous. A query that runs cannot name a column that is
 * in two items, so a column listed by exactly one item is that item's even when other items have
 * unknown columns; a column listed by none is only taken from an item with unknown columns when
 * that item is the only one it could be in.
 */
export function resolveColumn(scope: Scope, fields: readonly string[]): ColumnSource {
  const name = fields[fields.length - 1]!;
  if (fields.length === 1) return resolveUnqualified(scope, name);
  return resolveQualified(scope, fields.slice(0, -1), name);
}

function resolveQualified(scope: Scope, qualifier: readonly string[], name: string): ColumnSource {
  const written = () => [...qualifier, name].join('.');
  for (let level: Scope | undefined = scope; level; level = level.parent) {
    const items = findItems(level.nodes, qualifier);
    if (items.length > 1) return unresolvedSource(`"${written()}": ${qualifier.join('.')} names ${items.length} FROM items`);
    if (items.length === 1) return items[0]!.column(name);
  }
  if (qualifier.length === 2) {
    // a.b.c is also column b of table a with field c of a composite value.
    const composite = resolveQualified(scope, qualifier.slice(0, 1), qualifier[1]!);
    if (composite.edges.length > 0) return composeSource('transformed', composite);
  }
  return unresolvedSource(`"${written()}": no FROM item is named ${qualifier.join('.')}`);
}

function resolveUnqualified(scope: Scope, name: string): ColumnSource {
  const maybes: FromItem[] = [];
  for (let level: Scope | undefined = scope; level; level = level.parent) {
    const found: LevelSearch = { hits: [], maybes: [] };
    for (const node of level.nodes) searchNode(node, name, found);
    if (found.hits.length > 1) return unresolvedSource(`column "${name}" is ambiguous: it is in ${found.hits.map((hit) => hit.label).join(' and ')}`);
    if (found.hits.length === 1) {
      if (maybes.length === 0) return found.hits[0]!.source();
      return unresolvedSource(`column "${name}" may be in ${labels(maybes)}, whose columns are unknown, or in ${found.hits[0]!.label} of an outer query`);
    }
    const whole = findItems(level.nodes, [name]);
    if (whole.length === 1 && maybes.length === 0 && found.maybes.length === 0) return wholeRow(whole[0]!);
    maybes.push(...found.maybes);
  }
  if (maybes.length === 1) return maybes[0]!.column(name);
  if (maybes.length > 1) return unresolvedSource(`column "${name}" is in no FROM item with known columns; it may be in ${labels(maybes)}, whose columns are unknown`);
  return unresolvedSource(`column "${name}" is in no FROM item`);
}

function labels(items: readonly FromItem[]): string {
  return items.map((item) => item.label).join(' or ');
}

/** `t` or `t.*` as a value: a row of every column of t. */
export function wholeRow(item: FromItem): ColumnSource {
  const sources = item.columns.map((name) => composeSource('transformed', item.column(name)));
  if (!item.complete) sources.push(unresolvedSource(`columns of ${item.label} are unknown, so the whole-row value "${item.alias}" cannot be resolved`));
  return sources.length === 0 ? EMPTY_SOURCE : mergeSources(sources);
}
