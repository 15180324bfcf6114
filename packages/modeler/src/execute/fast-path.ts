import type pg from 'pg';
import type { NodeStep, TableStep, ViewStep } from '../plan/steps.js';
import { quoteRelation, relationKey } from '../sql/quote.js';
import type { StepOutcome } from './materialize.js';
import { runModelQuery } from './model-query.js';
import type { RelationKind } from './relations.js';

/** Error codes after which the single-statement attempt falls back to the full, transactional path. */
const FALL_BACK = new Set(['42P16', '42804', '42809', '42P07', '42P01']);

/**
 * The common cases in one statement, in autocommit (itself atomic): a view that is new or keeps
 * its columns (`create or replace view`), a table that does not exist yet (`create table as`).
 * Returns undefined when the full path must run instead.
 */
export async function tryFastPath(client: pg.PoolClient, step: NodeStep, kinds: ReadonlyMap<string, RelationKind>): Promise<StepOutcome | undefined> {
  if (step.kind === 'view') return fastView(client, step, kinds.get(relationKey(step.relation)));
  // A table with indexes takes the transactional path, so a failing unique index leaves no table behind.
  if (step.kind === 'table' && !step.indexes?.length && !kinds.has(relationKey(step.relation))) return fastTable(client, step);
  return undefined;
}

async function fastView(client: pg.PoolClient, step: ViewStep, kind: RelationKind | undefined): Promise<StepOutcome | undefined> {
  if (kind !== undefined && kind !== 'view') return undefined;
  return attempt(client, `create or replace view ${quoteRelation(step.relation)} as\n`, step.sql, () => ({ status: 'success', message: 'CREATE VIEW' }));
}

async function fastTable(client: pg.PoolClient, step: TableStep): Promise<StepOutcome | undefined> {
  const outcome = await attempt(client, `create table ${quoteRelation(step.relation)} as\n`, step.sql, (rows) => ({ status: 'success', message: `SELECT ${rows}`, rowsAffected: rows }));
  // Statistics for the models planned on it next (see materializeTable).
  if (outcome) await client.query(`analyze ${quoteRelation(step.relation)}`);
  return outcome;
}

async function attempt(client: pg.PoolClient, prefix: string, sql: string, outcome: (rows: number) => StepOutcome): Promise<StepOutcome | undefined> {
  try {
    const result = await runModelQuery({ client, query: (text, values) => client.query(text, values) }, prefix, sql);
    return outcome(result.rowCount ?? 0);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code && FALL_BACK.has(code) && !isInsideModelSql(error)) return undefined;
    throw error;
  }
}

/** An undefined table inside the model's own SQL is the model's error, not a reason to retry. */
function isInsideModelSql(error: unknown): boolean {
  return (error as { code?: string; reelOffset?: number }).code === '42P01' && (error as { reelOffset?: number }).reelOffset !== undefined;
}

/** One catalog read at the start of a run: which planned relations exist, and as what. */
export async function readRelationKinds(pool: pg.Pool, schemas: readonly string[]): Promise<Map<string, RelationKind>> {
  const kinds = new Map<string, RelationKind>();
  if (schemas.length === 0) return kinds;
  const result = await pool.query<{ nspname: string; relname: string; relkind: string }>(
    `select n.nspname, c.relname, c.relkind from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any($1) and c.relkind in ('r', 'p', 'v', 'm', 'f')`,
    [schemas],
  );
  const map: Record<string, RelationKind> = { r: 'table', p: 'table', v: 'view', m: 'materialized_view' };
  for (const row of result.rows) kinds.set(`${row.nspname}.${row.relname}`, map[row.relkind] ?? 'other');
  return kinds;
}
