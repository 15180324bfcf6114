import { parseSync } from 'libpg-query';
import type { CompiledProject } from '../compile.js';
import type { ModelNode } from '../graph/nodes.js';
import { charOffset } from '../validate/validate-sql.js';

export type LintRule = 'select-star' | 'unqualified-column' | 'untested-key';

export interface LintFinding {
  readonly rule: LintRule;
  readonly node: string;
  readonly file: string;
  readonly line: number;
  readonly column?: number;
  readonly message: string;
  readonly hint: string;
  /** For untested-key: the tests to add to the column (what --fix does). */
  readonly addTests?: { readonly model: string; readonly column: string; readonly tests: readonly string[] };
}

type Json = Record<string, unknown>;

/** select * and unqualified columns in joins, from the compiled SQL's parse tree, at the template's line. */
export function lintModelSql(node: ModelNode): LintFinding[] {
  let statement: Json | undefined;
  try {
    statement = (parseSync(node.compiledSql).stmts?.[0]?.stmt as Json | undefined) ?? undefined;
  } catch {
    return []; // compile already reports SQL that does not parse
  }
  const select = statement?.SelectStmt as Json | undefined;
  if (!select) return [];
  const at = (offset: number | undefined) => (offset === undefined ? { line: 1 } : node.sourceMap.locate(charOffset(node.compiledSql, offset)));
  const findings: LintFinding[] = [];
  for (const output of outputSelects(select)) {
    for (const target of (output.targetList as Json[] | undefined) ?? []) {
      const ref = ((target.ResTarget as Json | undefined)?.val as Json | undefined)?.ColumnRef as Json | undefined;
      const fields = (ref?.fields as Json[] | undefined) ?? [];
      if (fields.length > 0 && 'A_Star' in fields[fields.length - 1]!) {
        findings.push({
          rule: 'select-star',
          node: node.name,
          file: node.file,
          ...at(ref!.location as number | undefined),
          message: `${fields.length > 1 ? `${String(((fields[0] as Json).String as Json)?.sval)}.*` : 'select *'} in the final select of ${node.name}: its columns change whenever a parent's do`,
          hint: 'list the columns the model returns (its interface to everything downstream)',
        });
      }
    }
  }
  for (const scope of allSelects(select)) {
    const from = (scope.fromClause as Json[] | undefined) ?? [];
    const joins = from.filter((f) => 'JoinExpr' in f);
    if (from.length < 2 && joins.length === 0) continue;
    if (joins.some((j) => isNatural(j.JoinExpr as Json))) continue;
    // USING columns are named bare, and a bare FROM alias is a whole row or a function's value.
    const using = new Set([...joins.flatMap((j) => usingColumns(j.JoinExpr as Json)), ...from.flatMap(fromAliases)]);
    const unqualified: { name: string; location?: number }[] = [];
    const clauses = [scope.targetList, scope.whereClause, scope.havingClause, ...joins.flatMap((j) => joinQuals(j.JoinExpr as Json))];
    for (const clause of clauses) {
      collectColumnRefs(clause, (ref) => {
        const fields = (ref.fields as Json[] | undefined) ?? [];
        const only = fields.length === 1 ? ((fields[0] as Json).String as Json | undefined)?.sval : undefined;
        if (typeof only === 'string' && !using.has(only)) unqualified.push({ name: only, location: ref.location as number | undefined });
      });
    }
    if (unqualified.length === 0) continue;
    const names = [...new Set(unqualified.map((u) => u.name))];
    findings.push({
      rule: 'unqualified-column',
      node: node.name,
      file: node.file,
      ...at(unqualified[0]!.location),
      message: `unqualified column${names.length > 1 ? 's' : ''} ${names.slice(0, 5).join(', ')}${names.length > 5 ? ` and ${names.length - 5} more` : ''} in a select that joins ${from.length > 1 ? from.length : 2} relations`,
      hint: 'prefix each with its table alias (v.user_id): a column added to the other table later would make it ambiguous or change its meaning',
    });
  }
  return findings;
}

/**
 * Keys without both unique and not_null tests: a model's unique_key and its contract's primary key
 * columns, and any column tested unique but not not_null (a null key slips past unique).
 */
export function lintKeyTests(compiled: CompiledProject): LintFinding[] {
  const tested = new Map<string, Set<string>>();
  for (const node of compiled.graph.nodes.values()) {
    if (node.kind !== 'test' || node.testType !== 'generic' || !node.attachedTo || !node.columnName) continue;
    const key = `${node.attachedTo}:${node.columnName}`;
    tested.set(key, new Set([...(tested.get(key) ?? []), node.testName]));
  }
  const findings: LintFinding[] = [];
  for (const node of compiled.graph.nodes.values()) {
    if (node.kind !== 'model' || node.config.materialized === 'ephemeral') continue;
    const keys = new Set<string>(node.config.uniqueKey.length === 1 ? node.config.uniqueKey : []);
    for (const column of node.columns) if (column.constraints?.some((c) => c.type === 'primary_key')) keys.add(column.name);
    for (const column of node.columns) if (tested.get(`${node.uniqueId}:${column.name}`)?.has('unique')) keys.add(column.name);
    for (const key of keys) {
      const have = tested.get(`${node.uniqueId}:${key}`) ?? new Set<string>();
      const missing = ['unique', 'not_null'].filter((t) => !have.has(t));
      if (missing.length === 0) continue;
      const declared = node.columns.some((c) => c.name === key);
      findings.push({
        rule: 'untested-key',
        node: node.name,
        file: node.propertiesFile ?? node.file,
        line: 1,
        message: `key column ${key} of ${node.name} has no ${missing.join(' or ')} test`,
        hint: declared ? `add ${missing.join(' and ')} to its tests (model lint --fix does)` : `declare ${key} under the model's columns with tests: [${missing.join(', ')}]`,
        ...(declared && node.propertiesFile ? { addTests: { model: node.name, column: key, tests: missing } } : {}),
      });
    }
  }
  return findings;
}

/** The selects whose rows are the model's output: the top one, or every branch of a set operation. */
function outputSelects(select: Json): Json[] {
  if (select.op && select.op !== 'SETOP_NONE') return [...outputSelects(select.larg as Json), ...outputSelects(select.rarg as Json)];
  return [select];
}

/** Every SelectStmt in the tree (CTEs, subqueries, set-operation branches). */
function allSelects(root: Json): Json[] {
  const out: Json[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value as Json)) {
        if (key === 'SelectStmt') out.push(child as Json);
        visit(child);
      }
    }
  };
  out.push(root);
  visit(root);
  return [...new Set(out)];
}

/** ColumnRefs in a clause, not descending into subqueries (their own scope). */
function collectColumnRefs(value: unknown, found: (ref: Json) => void): void {
  if (Array.isArray(value)) value.forEach((v) => collectColumnRefs(v, found));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value as Json)) {
      if (key === 'SelectStmt') continue;
      if (key === 'ColumnRef') found(child as Json);
      else collectColumnRefs(child, found);
    }
  }
}

function isNatural(join: Json): boolean {
  return join.isNatural === true || isNestedNatural(join.larg) || isNestedNatural(join.rarg);
}

function isNestedNatural(value: unknown): boolean {
  const join = (value as Json | undefined)?.JoinExpr as Json | undefined;
  return join ? isNatural(join) : false;
}

function fromAliases(item: Json): string[] {
  const join = item.JoinExpr as Json | undefined;
  if (join) return [join.larg as Json, join.rarg as Json].flatMap(fromAliases);
  const inner = (item.RangeVar ?? item.RangeFunction ?? item.RangeSubselect) as Json | undefined;
  const alias = ((inner?.alias as Json | undefined)?.aliasname as string | undefined) ?? ((item.RangeVar as Json | undefined)?.relname as string | undefined);
  return alias ? [alias] : [];
}

function joinQuals(join: Json): unknown[] {
  return [join.quals, ...[join.larg, join.rarg].flatMap((side) => ((side as Json | undefined)?.JoinExpr ? joinQuals((side as Json).JoinExpr as Json) : []))];
}

function usingColumns(join: Json): string[] {
  const own = ((join.usingClause as Json[] | undefined) ?? []).map((u) => String((u.String as Json)?.sval));
  const nested = [join.larg, join.rarg].flatMap((side) => ((side as Json | undefined)?.JoinExpr ? usingColumns((side as Json).JoinExpr as Json) : []));
  return [...own, ...nested];
}
