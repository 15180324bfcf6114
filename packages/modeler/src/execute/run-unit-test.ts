import { ExecutionError, didYouMean } from '../errors/index.js';
import type { FixtureColumn, UnitTestInput } from '../graph/unit-test-node.js';
import type { UnitTestStep } from '../plan/steps.js';
import { quoteIdent, quoteLiteral, quoteRelation, type Relation } from '../sql/quote.js';
import type { StepOutcome } from './materialize.js';
import type { Session } from './session.js';

type Row = Readonly<Record<string, unknown>>;

interface TypedColumn {
  readonly name: string;
  readonly type?: string;
}

const ACTUAL = '"__reel_unit_actual"';
const EXPECTED = '"__reel_unit_expected"';

/**
 * Runs a unit test in a transaction it always rolls back: each input becomes a CTE of typed rows
 * (types declared in YAML, else read from the input's relation if it exists, else inferred from
 * the values), the model's SQL runs on them, and its rows are compared with the expected rows as
 * multisets on the expected columns. A failure's message is a table of the differing rows.
 */
export async function runUnitTest(session: Session, step: UnitTestStep): Promise<StepOutcome> {
  await session.query('begin');
  try {
    return await compare(session, step);
  } finally {
    await session.query('rollback');
  }
}

async function compare(session: Session, step: UnitTestStep): Promise<StepOutcome> {
  const ctes: string[] = [];
  for (const input of step.given) ctes.push(`${input.cte} as (\n${await inputQuery(session, input)}\n)`);
  const withClause = ctes.length > 0 ? `with ${ctes.join(',\n')}\n` : '';
  await session.query(`create temporary table ${ACTUAL} as ${withClause}select * from (\n${step.sql}\n) as reel_model`);
  const actual = await tableColumns(session, ACTUAL);
  const actualTypes = new Map(actual.map((c) => [c.name, c.type]));

  let expectedColumns: TypedColumn[];
  if (step.expectSql !== undefined) {
    await session.query(`create temporary table ${EXPECTED} as ${withClause}select * from (\n${step.expectSql}\n) as reel_expected`);
    expectedColumns = await tableColumns(session, EXPECTED);
  } else {
    const names = [...new Set(step.expectRows.flatMap((row) => Object.keys(row)))];
    expectedColumns = names.map((name) => ({ name, type: actualTypes.get(name) }));
  }
  const unknown = expectedColumns.filter((c) => !actualTypes.has(c.name)).map((c) => c.name);
  if (unknown.length > 0) {
    return { status: 'fail', failures: 1, message: `expected column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} not in the model's output (it returns ${actual.map((c) => c.name).join(', ')})` };
  }
  if (expectedColumns.length === 0) expectedColumns = actual;
  const expectedQuery = step.expectSql !== undefined ? `select * from ${EXPECTED}` : valuesQuery(expectedColumns, step.expectRows);
  const comparable = (c: TypedColumn) => (c.type === 'json' ? `${quoteIdent(c.name)}::jsonb` : quoteIdent(c.name));
  const picked = expectedColumns.map(comparable).join(', ');
  const shown = expectedColumns.map((c) => `${quoteIdent(c.name)}::text`).join(', ');
  const diff = await session.client.query<(string | null)[]>({
    rowMode: 'array',
    text: `with expected as (${expectedQuery}), actual as (select * from ${ACTUAL})
      select '-' as "__reel_side", ${shown} from (select ${picked} from expected except all select ${picked} from actual) as d
      union all
      select '+', ${shown} from (select ${picked} from actual except all select ${picked} from expected) as d`,
  });
  const rows = diff.rows;
  if (rows.length === 0) return { status: 'pass', message: 'PASS', failures: 0 };
  return { status: 'fail', message: diffTable(expectedColumns.map((c) => c.name), rows), failures: rows.length };
}

/** The rows of one input as a query: typed VALUES, or the fixture's own SQL. */
async function inputQuery(session: Session, input: UnitTestInput): Promise<string> {
  if (input.sql !== undefined) return input.sql;
  const catalog = await relationColumns(session, input.relation);
  if (catalog.length > 0) {
    const known = catalog.map((c) => c.name);
    const unknown = [...new Set(input.rows.flatMap((row) => Object.keys(row)))].filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      throw new ExecutionError('unit-test-column', `input ${input.input} is given column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}, which ${quoteRelation(input.relation)} does not have${didYouMean(unknown[0]!, known)}`, {
        hint: `its columns are ${known.join(', ')}`,
      });
    }
  }
  const names = [...new Set([...input.columns.map((c) => c.name), ...catalog.map((c) => c.name), ...input.rows.flatMap((row) => Object.keys(row))])];
  const declared = new Map(input.columns.map((c: FixtureColumn) => [c.name, c.dataType]));
  const fromCatalog = new Map(catalog.map((c) => [c.name, c.type]));
  return valuesQuery(
    names.map((name) => ({ name, type: declared.get(name) ?? fromCatalog.get(name) ?? inferType(input.rows.map((row) => row[name])) })),
    input.rows,
  );
}

function valuesQuery(columns: readonly TypedColumn[], rows: readonly Row[]): string {
  const names = columns.map((c) => quoteIdent(c.name));
  if (rows.length === 0) return `select ${columns.map((c) => `null::${c.type ?? 'text'} as ${quoteIdent(c.name)}`).join(', ')} where false`;
  const values = rows.map((row) => `(${columns.map((c) => literal(row[c.name], c.type)).join(', ')})`);
  return `select * from (values\n  ${values.join(',\n  ')}\n) as v(${names.join(', ')})`;
}

function literal(value: unknown, type: string | undefined): string {
  const cast = type ? `::${type}` : '';
  if (value === null || value === undefined) return `null${cast}`;
  if (Array.isArray(value) && (type === undefined || type.endsWith('[]'))) return `array[${value.map((v) => quoteLiteral(v)).join(', ')}]${cast || (value.length === 0 ? '::text[]' : '')}`;
  if (typeof value === 'object') return `${quoteLiteral(JSON.stringify(value))}${cast}`;
  return `${quoteLiteral(value)}${cast}`;
}

const PATTERNS: [RegExp, string][] = [
  [/^-?\d+$/, 'bigint'],
  [/^-?\d+\.\d+$/, 'numeric'],
  [/^(true|false)$/i, 'boolean'],
  [/^\d{4}-\d{2}-\d{2}$/, 'date'],
  [/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$/, 'timestamptz'],
  [/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/, 'timestamp'],
];

/** A type for a column nobody declared: the one every non-null value fits, else none (text). */
function inferType(values: readonly unknown[]): string | undefined {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0 || present.some((v) => typeof v === 'object')) return undefined;
  if (present.every((v) => typeof v === 'boolean')) return 'boolean';
  const texts = present.map(String);
  for (const [pattern, type] of PATTERNS) if (texts.every((t) => pattern.test(t))) return type;
  if (texts.every((t) => PATTERNS[0]![0].test(t) || PATTERNS[1]![0].test(t))) return 'numeric';
  return undefined;
}

async function relationColumns(session: Session, relation: Relation): Promise<TypedColumn[]> {
  const exists = await session.query<{ oid: string | null }>('select to_regclass($1)::oid::text as oid', [quoteRelation(relation)]);
  if (!exists.rows[0]?.oid) return [];
  return tableColumns(session, quoteRelation(relation));
}

async function tableColumns(session: Session, relation: string): Promise<{ name: string; type: string }[]> {
  const result = await session.query<{ name: string; type: string }>(
    'select attname as name, pg_catalog.format_type(atttypid, atttypmod) as type from pg_catalog.pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum',
    [relation],
  );
  return result.rows;
}

/** The differing rows as a table: `-` expected but not returned, `+` returned but not expected. */
export function diffTable(columns: readonly string[], rows: readonly (string | null)[][]): string {
  const missing = rows.filter((r) => r[0] === '-').length;
  const unexpected = rows.length - missing;
  const cells = [['', ...columns], ...[...rows].sort((a, b) => rowKey(a).localeCompare(rowKey(b))).map((r) => r.map((v) => (v === null ? 'null' : v)))];
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const lines = cells.map((r) => r.map((v, i) => v.padEnd(widths[i]!)).join(' | ').trimEnd());
  const count = (n: number, what: string) => `${n} ${what} row${n === 1 ? '' : 's'}`;
  return [`actual differs from expected: ${count(missing, 'missing')}, ${count(unexpected, 'unexpected')}`, ...lines.map((l) => `  ${l}`), '  (- expected but not returned, + returned but not expected)'].join('\n');
}

// Rows side by side: each missing row next to the unexpected row most like it.
function rowKey(row: readonly (string | null)[]): string {
  return `${row.slice(1).join('\u0000')}\u0001${row[0] === '-' ? 0 : 1}`;
}
