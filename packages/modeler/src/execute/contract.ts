import { ExecutionError } from '../errors/index.js';
import type { ColumnConstraint } from '../graph/nodes.js';
import type { ContractSpec } from '../plan/steps.js';
import { quoteIdent } from '../sql/quote.js';
import { runModelQuery } from './model-query.js';
import type { Session } from './session.js';

interface ColumnType {
  readonly name: string;
  readonly type: string;
}

/**
 * An enforced contract, checked before anything is replaced: the model's select must return
 * exactly the declared columns with the declared types (as PostgreSQL names them, so `int` and
 * `integer` agree; length and precision are not compared). Every difference is listed at once.
 */
export async function checkContract(session: Session, modelName: string, sql: string, contract: ContractSpec): Promise<void> {
  const probe = quoteIdent(`reel_contract_${modelName}`.slice(0, 63));
  await runModelQuery(session, `create temporary view ${probe} as\n`, sql);
  const actual = await session.query<ColumnType>(
    `select attname as name, format_type(atttypid, null) as type from pg_catalog.pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`,
    [probe],
  );
  await session.query(`drop view ${probe}`);
  const declared = await session.query<{ name: string; given: string; type: string | null }>(
    `select d.name, d.given, format_type(to_regtype(d.given), null) as type from unnest($1::text[], $2::text[]) with ordinality as d(name, given, n) order by n`,
    [contract.columns.map((c) => c.name), contract.columns.map((c) => c.dataType)],
  );
  const unknown = declared.rows.filter((d) => d.type === null);
  if (unknown.length > 0) {
    throw new ExecutionError('contract-type', `unknown data_type ${unknown.map((d) => `"${d.given}" (column ${d.name})`).join(', ')} in the contract of ${modelName}`, {
      file: contract.file,
      hint: 'use a PostgreSQL type name such as text, integer, bigint, numeric, boolean, date or timestamp with time zone',
    });
  }
  const rows: string[][] = [];
  for (const column of declared.rows) {
    const found = actual.rows.find((a) => a.name === column.name);
    if (!found) rows.push([column.name, column.type!, '—', 'missing from the model']);
    else if (found.type !== column.type) rows.push([column.name, column.type!, found.type, 'type differs']);
  }
  for (const extra of actual.rows.filter((a) => !declared.rows.some((d) => d.name === a.name))) rows.push([extra.name, '—', extra.type, 'not in the contract']);
  if (rows.length === 0) return;
  const table = [['column', 'contract', 'model', ''], ...rows];
  const widths = [0, 1, 2].map((i) => Math.max(...table.map((r) => r[i]!.length)));
  const text = table.map((r) => `  ${r.slice(0, 3).map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}  ${r[3]}`.trimEnd()).join('\n');
  throw new ExecutionError('contract-violated', `the columns of ${modelName} do not match its contract; nothing was replaced\n${text}`, {
    file: contract.file,
    hint: "change the model's select, or the contract's columns and data_type (a column can be cast: col::bigint as col)",
  });
}

/**
 * A table under an enforced contract is created from the contract (declared types, not null,
 * primary key, unique, check) and filled from the model, so PostgreSQL enforces the constraints.
 */
export async function createContractedTable(session: Session, target: string, sql: string, contract: ContractSpec): Promise<number> {
  const definitions = contract.columns.map((c) => [quoteIdent(c.name), c.dataType, ...c.constraints.filter((k) => k.type !== 'primary_key').map(constraintSql)].join(' '));
  const keys = contract.columns.filter((c) => c.constraints.some((k) => k.type === 'primary_key')).map((c) => quoteIdent(c.name));
  if (keys.length > 0) definitions.push(`primary key (${keys.join(', ')})`);
  await session.query(`create table ${target} (\n  ${definitions.join(',\n  ')}\n)`);
  const names = contract.columns.map((c) => quoteIdent(c.name)).join(', ');
  const inserted = await runModelQuery(session, `insert into ${target} (${names})\nselect ${names} from (\n`, sql, '\n) as reel_contracted');
  return inserted.rowCount ?? 0;
}

function constraintSql(constraint: ColumnConstraint): string {
  const named = constraint.name ? `constraint ${quoteIdent(constraint.name)} ` : '';
  switch (constraint.type) {
    case 'not_null':
      return `${named}not null`;
    case 'unique':
      return `${named}unique`;
    case 'check':
      return `${named}check (${constraint.expression ?? 'true'})`;
    case 'primary_key':
      return '';
  }
}
