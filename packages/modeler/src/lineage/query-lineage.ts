import type { CommonTableExpr, FuncCall, JoinExpr, Node, RangeFunction, RangeVar, SelectStmt, SubLink, WindowDef, WithClause } from 'libpg-query';
import {
  baseItem,
  derivedItem,
  expandNode,
  findItems,
  functionItem,
  itemsOf,
  levelHasColumn,
  renameParts,
  resolveColumn,
  wholeRow,
  type Derived,
  type FromItem,
  type FromNode,
  type FunctionColumn,
  type OutputPart,
  type Scope,
} from './from-item.js';
import { compose, composeSource, EMPTY_SOURCE, isRowKind, mergeSources, unresolvedSource, type ColumnSource, type Edge, type EdgeKind, withKind } from './lineage-edge.js';
import { lastString, outputColumnName } from './output-column-name.js';
import { functionColumns, isAggregateName } from './postgres-functions.js';
import type { ColumnsOf } from './types.js';

/** What a query level can see besides its FROM items: the CTEs in scope and how to list a table's columns. */
export interface QueryEnv {
  readonly columnsOf: ColumnsOf;
  readonly ctes: ReadonlyMap<string, Derived>;
}

interface ExprContext {
  readonly scope: Scope;
  readonly env: QueryEnv;
  readonly windows: ReadonlyMap<string, WindowDef>;
}

/** Edges and reasons gathered from the column references of one or more expressions. */
class Collected {
  readonly edges: Edge[] = [];
  readonly unresolved: string[] = [];

  add(source: ColumnSource, kind: EdgeKind): void {
    for (const edge of source.edges) {
      this.edges.push(withKind(edge, compose(kind, edge.kind)));
    }
    this.unresolved.push(...source.unresolved);
  }

  source(): ColumnSource {
    return this.edges.length === 0 && this.unresolved.length === 0 ? EMPTY_SOURCE : { edges: uniqueEdges(this.edges), unresolved: unique(this.unresolved) };
  }

  /** As row edges of a derived relation. */
  rows(): Pick<Derived, 'rowEdges' | 'rowUnresolved'> {
    return { rowEdges: uniqueEdges(this.edges), rowUnresolved: unique(this.unresolved) };
  }
}

const NO_WINDOWS: ReadonlyMap<string, WindowDef> = new Map();

/** A query given as a node (`{SelectStmt: …}`), e.g. a subquery or CTE body. */
export function analyzeQuery(node: Node | undefined, env: QueryEnv, outer: Scope | undefined): Derived {
  if (node && 'SelectStmt' in node) return analyzeSelect(node.SelectStmt, env, outer);
  const kind = node ? Object.keys(node)[0] : 'nothing';
  return { parts: [{ kind: 'open', open: { label: `a ${kind} query`, lookup: () => unresolvedSource(`the query is a ${kind}, not a select`) } }], rowEdges: [], rowUnresolved: [] };
}

export function analyzeSelect(stmt: SelectStmt, env: QueryEnv, outer: Scope | undefined): Derived {
  const inner = stmt.withClause ? withCtes(stmt.withClause, env, outer) : env;
  if (stmt.op !== undefined && stmt.op !== 'SETOP_NONE') return analyzeSetOperation(stmt, inner, outer);
  if (stmt.valuesLists) return analyzeValues(stmt.valuesLists, inner, outer);
  const from = buildFrom(stmt.fromClause ?? [], inner, outer);
  const ctx: ExprContext = { scope: { nodes: from.nodes, ...(outer ? { parent: outer } : {}) }, env: inner, windows: windowsOf(stmt.windowClause) };
  const parts = targetParts(stmt.targetList ?? [], ctx);
  const rows = new Collected();
  rows.edges.push(...from.rows.edges);
  rows.unresolved.push(...from.rows.unresolved);
  collectRowClauses(stmt, ctx, parts, rows);
  return { parts, ...rows.rows() };
}

/**
 * One edge per relation, column and kind. A CTE read twice brings its row edges twice; without
 * this, CTEs that each join the previous one to itself would double them at every level.
 */
function uniqueEdges(edges: readonly Edge[]): readonly Edge[] {
  if (edges.length < 2) return edges;
  if (edges.length <= 8) {
    const kept = edges.filter((edge, index) => !edges.some((other, before) => before < index && other.key === edge.key && other.kind === edge.kind));
    return kept.length === edges.length ? edges : kept;
  }
  const kinds = new Map<string, number>();
  const kept: Edge[] = [];
  for (const edge of edges) {
    const seen = kinds.get(edge.key) ?? 0;
    const bit = KIND_BIT[edge.kind];
    if (seen & bit) continue;
    kinds.set(edge.key, seen | bit);
    kept.push(edge);
  }
  return kept.length === edges.length ? edges : kept;
}

const KIND_BIT: Readonly<Record<EdgeKind, number>> = { bare: 1, transformed: 2, aggregated: 4, join: 8, filter: 16 };

function unique(reasons: readonly string[]): readonly string[] {
  return reasons.length < 2 ? reasons : [...new Set(reasons)];
}

// ---- WITH

function withCtes(clause: WithClause, env: QueryEnv, outer: Scope | undefined): QueryEnv {
  const ctes = new Map(env.ctes);
  // Each CTE is analysed when defined, so it sees exactly the CTEs before it.
  const scoped: QueryEnv = { columnsOf: env.columnsOf, ctes };
  for (const entry of clause.ctes ?? []) {
    if (!('CommonTableExpr' in entry)) continue;
    const cte = entry.CommonTableExpr;
    const name = cte.ctename ?? '';
    const derived = clause.recursive && refersTo(cte.ctequery, name) ? recursiveCte(cte, name, scoped, outer) : analyzeQuery(cte.ctequery, scoped, outer);
    const colnames = strings(cte.aliascolnames);
    ctes.set(name, colnames.length === 0 ? derived : { ...derived, parts: renameParts(derived.parts, colnames, name) });
  }
  return scoped;
}

/** Only the non-recursive part of `with recursive` is followed; every column says so. */
function recursiveCte(cte: CommonTableExpr, name: string, env: QueryEnv, outer: Scope | undefined): Derived {
  const query = cte.ctequery && 'SelectStmt' in cte.ctequery ? cte.ctequery.SelectStmt : undefined;
  const note = `recursive CTE "${name}" is only followed through its non-recursive part`;
  if (query?.op !== 'SETOP_UNION' || !query.larg) return { parts: [{ kind: 'open', open: { label: `recursive CTE "${name}"`, lookup: () => unresolvedSource(note) } }], rowEdges: [], rowUnresolved: [] };
  const base = analyzeSelect(query.larg, env, outer);
  const parts = base.parts.map((part): OutputPart => (part.kind === 'column' ? { ...part, source: { edges: part.source.edges, unresolved: [...part.source.unresolved, note] } } : part));
  return { ...base, parts };
}

function refersTo(node: unknown, name: string): boolean {
  if (Array.isArray(node)) return node.some((item) => refersTo(item, name));
  if (node === null || typeof node !== 'object') return false;
  const rangeVar = (node as { RangeVar?: RangeVar }).RangeVar;
  if (rangeVar) return rangeVar.relname === name && rangeVar.schemaname === undefined;
  return Object.values(node).some((value) => refersTo(value, name));
}

// ---- set operations and VALUES

const SET_OPERATION: Readonly<Record<string, string>> = { SETOP_UNION: 'UNION', SETOP_INTERSECT: 'INTERSECT', SETOP_EXCEPT: 'EXCEPT' };

/** Column i of UNION / INTERSECT comes from column i of each branch; EXCEPT's right branch only removes rows. */
function analyzeSetOperation(stmt: SelectStmt, env: QueryEnv, outer: Scope | undefined): Derived {
  const left = analyzeSelect(stmt.larg ?? {}, env, outer);
  const right = analyzeSelect(stmt.rarg ?? {}, env, outer);
  const rows = new Collected();
  rows.edges.push(...left.rowEdges, ...right.rowEdges);
  rows.unresolved.push(...left.rowUnresolved, ...right.rowUnresolved);
  const operation = SET_OPERATION[stmt.op!] ?? stmt.op!;
  const open = [...left.parts, ...right.parts].find((part) => part.kind === 'open');
  if (stmt.op === 'SETOP_EXCEPT') {
    for (const part of right.parts) {
      if (part.kind === 'column') rows.add(part.source, 'filter');
      else rows.unresolved.push(`columns of ${part.open.label} are unknown, so the rows EXCEPT removes cannot be resolved`);
    }
    return setOperationResult(stmt, left.parts, rows, env);
  }
  if (!open && left.parts.length === right.parts.length) {
    const parts = left.parts.map((part, index): OutputPart => ({ ...(part as OutputPart & { kind: 'column' }), source: mergeSources([(part as { source: ColumnSource }).source, (right.parts[index] as { source: ColumnSource }).source]) }));
    return setOperationResult(stmt, parts, rows, env);
  }
  const reason = open?.kind === 'open' ? `columns of ${open.open.label} are unknown` : `the branches have ${left.parts.length} and ${right.parts.length} columns`;
  const note = (name: string) => `cannot match column "${name}" with the other branch of the ${operation}: ${reason}`;
  const parts = left.parts.map((part): OutputPart => {
    if (part.kind === 'column') return { ...part, source: { edges: part.source.edges, unresolved: [...part.source.unresolved, note(part.name)] } };
    return { kind: 'open', open: { label: part.open.label, lookup: (name) => mergeSources([part.open.lookup(name), unresolvedSource(note(name))]) } };
  });
  return setOperationResult(stmt, parts, rows, env);
}

/** ORDER BY … LIMIT over a set operation names its output columns. */
function setOperationResult(stmt: SelectStmt, parts: readonly OutputPart[], rows: Collected, env: QueryEnv): Derived {
  if (stmt.limitCount || stmt.limitOffset) {
    const output: FromNode = { kind: 'item', item: derivedItem('', { parts, rowEdges: [], rowUnresolved: [] }, [], 'the set operation') };
    const ctx: ExprContext = { scope: { nodes: [output] }, env, windows: NO_WINDOWS };
    for (const sortBy of stmt.sortClause ?? []) if ('SortBy' in sortBy) collectGroupOrSortItem(sortBy.SortBy.node, ctx, parts, rows, 'sort');
  }
  return { parts, ...rows.rows() };
}

function analyzeValues(lists: readonly Node[], env: QueryEnv, outer: Scope | undefined): Derived {
  const ctx: ExprContext = { scope: { nodes: [], ...(outer ? { parent: outer } : {}) }, env, windows: NO_WINDOWS };
  const columns: ColumnSource[][] = [];
  for (const row of lists) {
    const items = 'List' in row ? (row.List.items ?? []) : [row];
    items.forEach((item, index) => (columns[index] ??= []).push(valueSource(item, ctx)));
  }
  return { parts: columns.map((sources, index): OutputPart => ({ kind: 'column', name: `column${index + 1}`, source: mergeSources(sources) })), rowEdges: [], rowUnresolved: [] };
}

// ---- FROM

interface FromState {
  readonly nodes: FromNode[];
  /** Items to the left, which a LATERAL subquery or a function may reference. */
  readonly visible: FromNode[];
  readonly rows: Collected;
}

function buildFrom(entries: readonly Node[], env: QueryEnv, outer: Scope | undefined): { nodes: FromNode[]; rows: Collected } {
  const state: FromState = { nodes: [], visible: [], rows: new Collected() };
  for (const entry of entries) state.nodes.push(fromNode(entry, env, outer, state));
  return { nodes: state.nodes, rows: state.rows };
}

function fromNode(entry: Node, env: QueryEnv, outer: Scope | undefined, state: FromState): FromNode {
  if ('JoinExpr' in entry) return joinNode(entry.JoinExpr, env, outer, state);
  if ('RangeTableSample' in entry && entry.RangeTableSample.relation) return fromNode(entry.RangeTableSample.relation, env, outer, state);
  // Functions in FROM may always read the items to their left; subqueries only when LATERAL.
  const lateral = (): Scope => ({ nodes: [...state.visible], ...(outer ? { parent: outer } : {}) });
  let item: FromItem;
  if ('RangeVar' in entry) {
    item = rangeVarItem(entry.RangeVar, env);
  } else if ('RangeSubselect' in entry) {
    const subselect = entry.RangeSubselect;
    const derived = analyzeQuery(subselect.subquery, env, subselect.lateral ? lateral() : outer);
    const alias = subselect.alias?.aliasname;
    item = derivedItem(alias ?? '', derived, strings(subselect.alias?.colnames), alias === undefined ? 'an unnamed subquery' : undefined);
  } else if ('RangeFunction' in entry) {
    item = rangeFunctionItem(entry.RangeFunction, { scope: lateral(), env, windows: NO_WINDOWS });
  } else {
    item = tableFunctionItem(entry, { scope: lateral(), env, windows: NO_WINDOWS });
  }
  const node: FromNode = { kind: 'item', item };
  state.visible.push(node);
  state.rows.edges.push(...item.rowEdges);
  state.rows.unresolved.push(...item.rowUnresolved);
  return node;
}

/** A CTE name (unqualified) shadows a table of the same name. */
function rangeVarItem(rangeVar: RangeVar, env: QueryEnv): FromItem {
  const name = rangeVar.relname ?? '';
  const alias = rangeVar.alias?.aliasname;
  const colnames = strings(rangeVar.alias?.colnames);
  const cte = rangeVar.schemaname === undefined ? env.ctes.get(name) : undefined;
  if (cte) return derivedItem(alias ?? name, cte, colnames);
  const relation = rangeVar.schemaname === undefined ? { name } : { schema: rangeVar.schemaname, name };
  return baseItem(relation, alias, colnames, env.columnsOf);
}

/** A function in FROM: every column comes from the function's arguments (transformed). */
function rangeFunctionItem(rangeFunction: RangeFunction, ctx: ExprContext): FromItem {
  const calls = (rangeFunction.functions ?? []).flatMap((entry) => ('List' in entry ? (entry.List.items ?? []).slice(0, 1) : []));
  const args = new Collected();
  for (const call of calls) collectExpr(call, 'transformed', ctx, args);
  const argSource = args.source();
  const first = calls[0] && 'FuncCall' in calls[0] ? calls[0].FuncCall : undefined;
  const functionName = first ? (lastString(first.funcname) ?? 'function') : outputColumnName(calls[0]);
  const alias = rangeFunction.alias?.aliasname ?? functionName;
  const colnames = strings(rangeFunction.alias?.colnames);
  const defined = (rangeFunction.coldeflist ?? []).flatMap((def) => ('ColumnDef' in def && def.ColumnDef.colname ? [def.ColumnDef.colname] : []));
  const shape = calls.length === 1 && first ? functionColumns(functionName, schemaOf(first.funcname), first.args?.length ?? 0) : undefined;
  let names: readonly string[];
  let complete = true;
  if (defined.length > 0) names = defined;
  else if (shape === 'scalar') names = [colnames[0] ?? alias];
  else if (shape) names = [...colnames.slice(0, shape.length), ...shape.slice(colnames.length)];
  else [names, complete] = [colnames, false];
  const columns: FunctionColumn[] = names.map((name) => ({ name, source: argSource }));
  if (rangeFunction.ordinality && complete) columns.push({ name: colnames[names.length] ?? 'ordinality', source: EMPTY_SOURCE });
  return functionItem(alias, `function ${functionName}`, columns, complete, argSource);
}

const TABLE_FUNCTIONS: Readonly<Record<string, string>> = { RangeTableFunc: 'XMLTABLE', JsonTable: 'JSON_TABLE' };

/** XMLTABLE, JSON_TABLE: columns from their definitions, values from their arguments. */
function tableFunctionItem(entry: Node, ctx: ExprContext): FromItem {
  const kind = Object.keys(entry)[0]!;
  const body = (entry as Record<string, { alias?: { aliasname?: string; colnames?: Node[] }; columns?: Node[] }>)[kind]!;
  const args = new Collected();
  collectExpr({ ...body, columns: undefined }, 'transformed', ctx, args);
  const defined = definedColumns(body.columns);
  const colnames = strings(body.alias?.colnames);
  const names = [...colnames, ...defined.slice(colnames.length)];
  const source = args.source();
  const name = TABLE_FUNCTIONS[kind] ?? kind;
  return functionItem(body.alias?.aliasname ?? name.toLowerCase(), name, names.map((column) => ({ name: column, source })), defined.length > 0, source);
}

function definedColumns(columns: readonly Node[] | undefined): string[] {
  return (columns ?? []).flatMap((column): string[] => {
    if ('RangeTableFuncCol' in column) return column.RangeTableFuncCol.colname ? [column.RangeTableFuncCol.colname] : [];
    if (!('JsonTableColumn' in column)) return [];
    const { coltype, name, columns: nested } = column.JsonTableColumn;
    return coltype === 'JTC_NESTED' ? definedColumns(nested) : name ? [name] : [];
  });
}

function joinNode(join: JoinExpr, env: QueryEnv, outer: Scope | undefined, state: FromState): FromNode {
  const left = fromNode(join.larg!, env, outer, state);
  const right = fromNode(join.rarg!, env, outer, state);
  const ctx: ExprContext = { scope: { nodes: [left, right], ...(outer ? { parent: outer } : {}) }, env, windows: NO_WINDOWS };
  collectExpr(join.quals, 'join', ctx, state.rows);
  const merged = new Map<string, ColumnSource>();
  for (const name of joinColumns(join, left, right, state.rows)) {
    const fromLeft = resolveColumn({ nodes: [left] }, [name]);
    const fromRight = resolveColumn({ nodes: [right] }, [name]);
    state.rows.add(fromLeft, 'join');
    state.rows.add(fromRight, 'join');
    merged.set(name, mergedColumn(join.jointype, fromLeft, fromRight));
  }
  const usingAlias = join.join_using_alias?.aliasname;
  const node: FromNode = {
    kind: 'join',
    left,
    right,
    merged,
    ...(usingAlias ? { usingAlias: derivedItem(usingAlias, { parts: [...merged].map(([name, source]) => ({ kind: 'column', name, source })), rowEdges: [], rowUnresolved: [] }, []) } : {}),
  };
  if (!join.alias?.aliasname) return node;
  const aliased = derivedItem(join.alias.aliasname, { parts: expandNode(node), rowEdges: [], rowUnresolved: [] }, strings(join.alias.colnames));
  return { kind: 'item', item: aliased };
}

function joinColumns(join: JoinExpr, left: FromNode, right: FromNode, rows: Collected): readonly string[] {
  if (!join.isNatural) return strings(join.usingClause);
  const leftParts = expandNode(left);
  const rightParts = expandNode(right);
  const unknown = [...leftParts, ...rightParts].find((part) => part.kind === 'open');
  if (unknown?.kind === 'open') rows.unresolved.push(`the columns of the NATURAL JOIN are unknown: columns of ${unknown.open.label} are unknown`);
  const rightNames = new Set(rightParts.flatMap((part) => (part.kind === 'column' ? [part.name] : [])));
  return leftParts.flatMap((part) => (part.kind === 'column' && rightNames.has(part.name) ? [part.name] : []));
}

/** The one column USING makes of both sides: the left one for LEFT JOIN, coalesce(left, right) for FULL JOIN. */
function mergedColumn(type: JoinExpr['jointype'], left: ColumnSource, right: ColumnSource): ColumnSource {
  if (type === 'JOIN_LEFT') return left;
  if (type === 'JOIN_RIGHT') return right;
  if (type === 'JOIN_FULL') return composeSource('transformed', mergeSources([left, right]));
  return mergeSources([left, right]);
}

// ---- select list and row-deciding clauses

function targetParts(targets: readonly Node[], ctx: ExprContext): OutputPart[] {
  const parts: OutputPart[] = [];
  for (const target of targets) {
    if (!('ResTarget' in target)) continue;
    const { name, val } = target.ResTarget;
    const fields = val && 'ColumnRef' in val ? (val.ColumnRef.fields ?? []) : [];
    if (fields.length > 0 && 'A_Star' in fields[fields.length - 1]!) parts.push(...starParts(fieldNames(fields).slice(0, -1), ctx.scope));
    else parts.push({ kind: 'column', name: name ?? outputColumnName(val), source: valueSource(val, ctx) });
  }
  return parts;
}

function starParts(qualifier: readonly string[], scope: Scope): readonly OutputPart[] {
  if (qualifier.length === 0) return scope.nodes.length === 1 ? expandNode(scope.nodes[0]!) : scope.nodes.flatMap(expandNode);
  for (let level: Scope | undefined = scope; level; level = level.parent) {
    const items = findItems(level.nodes, qualifier);
    if (items.length === 1) return items[0]!.star();
    if (items.length > 1) break;
  }
  const written = `${qualifier.join('.')}.*`;
  return [{ kind: 'column', name: written, source: unresolvedSource(`"${written}": no single FROM item is named ${qualifier.join('.')}`) }];
}

/** The lineage of one value expression: a bare column reference is `bare`, anything around it transforms. */
function valueSource(expr: Node | undefined, ctx: ExprContext): ColumnSource {
  const collected = new Collected();
  collectExpr(expr, expr && 'ColumnRef' in expr ? 'bare' : 'transformed', ctx, collected);
  return collected.source();
}

/**
 * WHERE, HAVING, GROUP BY and DISTINCT decide which rows there are (filter). ORDER BY only does
 * when LIMIT / OFFSET or DISTINCT ON keep some rows and drop others.
 */
function collectRowClauses(stmt: SelectStmt, ctx: ExprContext, parts: readonly OutputPart[], rows: Collected): void {
  collectExpr(stmt.whereClause, 'filter', ctx, rows);
  collectExpr(stmt.havingClause, 'filter', ctx, rows);
  for (const item of stmt.groupClause ?? []) collectGroupOrSortItem(item, ctx, parts, rows, 'group');
  const distinct = stmt.distinctClause ?? [];
  const distinctOn = distinct.filter((item) => Object.keys(item).length > 0);
  if (distinct.length > 0 && distinctOn.length === 0) {
    for (const part of parts) if (part.kind === 'column') rows.add(part.source, 'filter');
  }
  for (const item of distinctOn) collectGroupOrSortItem(item, ctx, parts, rows, 'sort');
  if (stmt.limitCount || stmt.limitOffset || distinctOn.length > 0) {
    for (const sortBy of stmt.sortClause ?? []) if ('SortBy' in sortBy) collectGroupOrSortItem(sortBy.SortBy.node, ctx, parts, rows, 'sort');
  }
}

/**
 * GROUP BY / ORDER BY items may name an output column by position (`group by 1`) or by name:
 * GROUP BY prefers an input column of that name, ORDER BY an output column.
 */
function collectGroupOrSortItem(item: Node | undefined, ctx: ExprContext, parts: readonly OutputPart[], rows: Collected, clause: 'group' | 'sort'): void {
  if (!item) return;
  const position = 'A_Const' in item && item.A_Const.ival ? (item.A_Const.ival.ival ?? 0) : undefined;
  if (position !== undefined) {
    const before = parts.slice(0, position);
    const open = before.find((part) => part.kind === 'open');
    const part = parts[position - 1];
    if (open?.kind === 'open') rows.unresolved.push(`cannot tell which column position ${position} is: columns of ${open.open.label} are unknown`);
    else if (part?.kind === 'column') rows.add(part.source, 'filter');
    return;
  }
  const fields = 'ColumnRef' in item ? fieldNames(item.ColumnRef.fields ?? []) : [];
  if (fields.length === 1) {
    const outputs = parts.filter((part) => part.kind === 'column' && part.name === fields[0]);
    const inputFirst = clause === 'group' && levelHasColumn(ctx.scope.nodes, fields[0]!);
    if (outputs.length === 1 && !inputFirst) {
      rows.add((outputs[0] as { source: ColumnSource }).source, 'filter');
      return;
    }
  }
  collectExpr(item, 'filter', ctx, rows);
}

// ---- expressions

/** Adds the lineage of every column an expression reads; `kind` is how the expression uses them. */
function collectExpr(node: unknown, kind: EdgeKind, ctx: ExprContext, out: Collected): void {
  if (Array.isArray(node)) {
    for (const item of node) collectExpr(item, kind, ctx, out);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const tagged = node as Partial<Record<'ColumnRef' | 'FuncCall' | 'SubLink' | 'JsonObjectAgg' | 'JsonArrayAgg' | 'A_Const' | 'String', unknown>>;
  if (tagged.A_Const || tagged.String) return;
  if (tagged.ColumnRef) return collectColumnRef((node as Node & { ColumnRef: { fields?: Node[] } }).ColumnRef.fields ?? [], kind, ctx, out);
  if (tagged.FuncCall) return collectFuncCall(tagged.FuncCall as FuncCall, kind, ctx, out);
  if (tagged.SubLink) return collectSubLink(tagged.SubLink as SubLink, kind, ctx, out);
  if (tagged.JsonObjectAgg || tagged.JsonArrayAgg) {
    const agg = (tagged.JsonObjectAgg ?? tagged.JsonArrayAgg) as { constructor?: { over?: WindowDef }; arg?: unknown };
    const over = agg.constructor?.over;
    return collectExpr(Object.values(agg), compose(kind, over ? 'transformed' : 'aggregated'), ctx, out);
  }
  for (const key in node) {
    const value = (node as Record<string, unknown>)[key];
    if (value !== null && typeof value === 'object') collectExpr(value, kind, ctx, out);
  }
}

function collectColumnRef(fieldNodes: readonly Node[], kind: EdgeKind, ctx: ExprContext, out: Collected): void {
  const fields = fieldNames(fieldNodes);
  if (fields[fields.length - 1] !== '*') {
    out.add(resolveColumn(ctx.scope, fields), kind);
    return;
  }
  const qualifier = fields.slice(0, -1);
  const items = qualifier.length === 0 ? ctx.scope.nodes.flatMap(itemsOf) : findItems(ctx.scope.nodes, qualifier);
  if (qualifier.length > 0 && items.length !== 1) out.unresolved.push(`"${fields.join('.')}": no single FROM item is named ${qualifier.join('.')}`);
  for (const item of items) out.add(wholeRow(item), kind);
}

/** Aggregates (without OVER) aggregate their arguments; window functions and all other functions transform them. */
function collectFuncCall(call: FuncCall, kind: EdgeKind, ctx: ExprContext, out: Collected): void {
  const name = lastString(call.funcname) ?? '';
  const aggregate = !call.over && (isAggregateName(name, schemaOf(call.funcname)) || !!call.agg_star || !!call.agg_distinct || !!call.agg_within_group || !!call.agg_filter || (call.agg_order?.length ?? 0) > 0);
  const inner = compose(kind, aggregate ? 'aggregated' : 'transformed');
  collectExpr(call.args, inner, ctx, out);
  collectExpr(call.agg_order, inner, ctx, out);
  collectExpr(call.agg_filter, inner, ctx, out);
  if (call.over) collectWindow(call.over, inner, ctx, out);
}

/** PARTITION BY / ORDER BY of a window, following `over w` and `over (w order by …)` to the WINDOW clause. */
function collectWindow(window: WindowDef, kind: EdgeKind, ctx: ExprContext, out: Collected): void {
  const followed = new Set<string>();
  let current: WindowDef | undefined = window;
  // In a call, a bare name (`over w`) is a reference; in the WINDOW clause it is the definition's own name.
  let reference = window.refname ?? (window.partitionClause || window.orderClause ? undefined : window.name);
  while (current) {
    collectExpr([current.partitionClause, current.orderClause, current.startOffset, current.endOffset], kind, ctx, out);
    if (reference === undefined || followed.has(reference)) return;
    followed.add(reference);
    current = ctx.windows.get(reference);
    if (!current) out.unresolved.push(`window "${reference}" is not defined`);
    reference = current?.refname;
  }
}

/**
 * A subquery used as a value: its columns and its row-deciding columns all shape the value, so
 * they are transformed inputs (aggregated where it aggregates). In WHERE they all filter. EXISTS
 * only looks at which rows exist.
 */
function collectSubLink(link: SubLink, kind: EdgeKind, ctx: ExprContext, out: Collected): void {
  const inner = isRowKind(kind) ? kind : compose(kind, 'transformed');
  collectExpr(link.testexpr, inner, ctx, out);
  const derived = analyzeQuery(link.subselect, ctx.env, ctx.scope);
  if (link.subLinkType !== 'EXISTS_SUBLINK') {
    for (const part of derived.parts) {
      if (part.kind === 'column') out.add(part.source, inner);
      else out.unresolved.push(`columns of ${part.open.label} are unknown, so the subquery's value cannot be resolved`);
    }
  }
  for (const edge of derived.rowEdges) out.edges.push(withKind(edge, inner));
  out.unresolved.push(...derived.rowUnresolved);
}

function windowsOf(clause: readonly Node[] | undefined): ReadonlyMap<string, WindowDef> {
  const windows = new Map<string, WindowDef>();
  for (const entry of clause ?? []) if ('WindowDef' in entry && entry.WindowDef.name) windows.set(entry.WindowDef.name, entry.WindowDef);
  return windows.size === 0 ? NO_WINDOWS : windows;
}

// ---- small AST helpers

const NO_STRINGS: readonly string[] = Object.freeze([]);

function strings(list: readonly Node[] | undefined): readonly string[] {
  if (!list) return NO_STRINGS;
  const found: string[] = [];
  for (const item of list) if ('String' in item && item.String.sval !== undefined) found.push(item.String.sval);
  return found;
}

function fieldNames(fields: readonly Node[]): string[] {
  return fields.map((field) => ('String' in field ? (field.String.sval ?? '') : '*'));
}

/** `schema.fn(…)`: the schema as written, or undefined. */
function schemaOf(funcname: readonly Node[] | undefined): string | undefined {
  const names = strings(funcname);
  return names.length > 1 ? names[names.length - 2] : undefined;
}
