/**
 * Column-level lineage of one compiled model, read from PostgreSQL's own parse tree (libpg-query).
 *
 * For each output column of the model's select: the upstream columns it comes from, each named by
 * the relation as the SQL writes it. Kinds:
 * - `direct` / `renamed`: the column is selected as is (through any number of CTEs and subqueries)
 *   under the same / another name.
 * - `transformed`: used in any expression: functions, operators, casts, CASE, coalesce, extract,
 *   window functions (their PARTITION BY / ORDER BY columns too), scalar subqueries (their
 *   columns and their WHERE), a FULL JOIN's merged USING column.
 * - `aggregated`: under an aggregate called without OVER (the built-in aggregates, or any call with
 *   `*`, DISTINCT, FILTER, ORDER BY or WITHIN GROUP inside). A value that is both is aggregated:
 *   the kind is the furthest step on the way. `count(*)` has no edge.
 * - `filter`: decides which rows exist: WHERE, HAVING, GROUP BY, DISTINCT and DISTINCT ON, ORDER BY
 *   when LIMIT / OFFSET / DISTINCT ON keep only some rows, EXISTS / IN subqueries in WHERE, and the
 *   right branch of EXCEPT.
 * - `join`: decides which rows exist through JOIN … ON / USING / NATURAL.
 * Filter and join edges of a query level, and of every CTE or subquery it reads from, are listed on
 * every output column of that level. An upstream column appears once per output column: the
 * strongest kind wins, direct/renamed > transformed > aggregated > join > filter, so a column that
 * is selected and also filtered on shows as selected.
 *
 * Resolution follows PostgreSQL's scoping: CTEs (a CTE name shadows a table), subqueries and LATERAL,
 * joins with aliases and USING (one merged column), correlated references to outer queries,
 * `*` / `t.*` expanded through `columnsOf`, set operations column by column. A column listed by
 * exactly one FROM item is that item's; a column listed by none is only taken from an item with
 * unknown columns when it is the only such item. Everything else is never guessed: the column gets
 * `unresolved` with the reason (and a `*` that cannot be expanded becomes a `*` column plus a
 * warning). Recursive CTEs are followed through their non-recursive part only, and say so.
 */
import { parseSync, type Node } from 'libpg-query';
import type { OutputPart } from './from-item.js';
import { finalEdges, finalRows, uniqueReasons, type FinalRows } from './lineage-edge.js';
import { analyzeSelect } from './query-lineage.js';
import type { ColumnLineage, ColumnsOf, ModelLineage } from './types.js';

/** Lineage of one model, and whether all its output columns are known by name (no unexpanded `*`). */
export interface ResolvedModelLineage {
  readonly lineage: ModelLineage;
  readonly columnsKnown: boolean;
}

/**
 * Resolves the column lineage of one select statement. Synchronous: the parser must be loaded
 * first (`await loadParser()` from validate/validate-sql.ts). Throws the parser's error when the
 * SQL does not parse.
 *
 * @example
 * ```ts
 * await loadParser();
 * const columnsOf = (r: RelationName) => (r.name === 'stg_users' ? ['id', 'name'] : undefined);
 * resolveColumnLineage('select id as user_id from "staging"."stg_users" where name is not null', columnsOf);
 * // columns: [{ column: 'user_id', edges: [
 * //   { relation: { schema: 'staging', name: 'stg_users' }, column: 'id', kind: 'renamed' },
 * //   { relation: { schema: 'staging', name: 'stg_users' }, column: 'name', kind: 'filter' } ] }]
 * ```
 */
export function resolveColumnLineage(sql: string, columnsOf: ColumnsOf): ModelLineage {
  return resolveModelLineage(sql, columnsOf).lineage;
}

/** Like resolveColumnLineage, and tells whether every output column is known by name. */
export function resolveModelLineage(sql: string, columnsOf: ColumnsOf): ResolvedModelLineage {
  const statements = parseSync(sql).stmts ?? [];
  const statement: Node | undefined = statements.length === 1 ? statements[0]!.stmt : undefined;
  if (!statement || !('SelectStmt' in statement)) {
    const found = statement ? Object.keys(statement)[0] : `${statements.length} statements`;
    return { lineage: { columns: [], warnings: [`lineage needs a single select statement, not ${found}`] }, columnsKnown: false };
  }
  const derived = analyzeSelect(statement.SelectStmt, { columnsOf, ctes: new Map() }, undefined);
  const warnings: string[] = [];
  const rows = finalRows(derived.rowEdges);
  const columns = derived.parts.map((part) => outputColumn(part, rows, derived.rowUnresolved, warnings));
  return { lineage: { columns, warnings: [...new Set(warnings)] }, columnsKnown: derived.parts.every((part) => part.kind === 'column') };
}

function outputColumn(part: OutputPart, rows: FinalRows, rowUnresolved: readonly string[], warnings: string[]): ColumnLineage {
  if (part.kind === 'open') {
    const reason = `columns of ${part.open.label} are unknown, so * cannot be expanded`;
    warnings.push(reason);
    return { column: '*', edges: rows.edges, unresolved: uniqueReasons([reason, ...rowUnresolved])! };
  }
  const edges = finalEdges(part.name, part.source.edges, rows);
  const reasons = part.source.unresolved.length === 0 ? rowUnresolved : [...part.source.unresolved, ...rowUnresolved];
  if (reasons.length === 0) return { column: part.name, edges };
  return { column: part.name, edges, unresolved: uniqueReasons(reasons)! };
}
