import { createHash } from 'node:crypto';
import { ExecutionError } from '../errors/index.js';
import type { IndexConfig } from '../graph/nodes.js';
import type { IncrementalStep, MaterializedViewStep, TableStep, ViewStep } from '../plan/steps.js';
import { quoteIdent, quoteRelation, type Relation } from '../sql/quote.js';
import { createContractedTable } from './contract.js';
import { runModelQuery } from './model-query.js';
import { dropStatement, relationKind, replacePreservingDependents, shadowName } from './relations.js';
import type { Session } from './session.js';

export interface StepOutcome {
  readonly status: 'success' | 'pass' | 'warn' | 'fail';
  readonly message: string;
  readonly rowsAffected?: number;
  readonly failures?: number;
  readonly warnings?: readonly string[];
}

/** CREATE OR REPLACE when the columns allow it; otherwise replace keeping dependent views. */
export async function materializeView(session: Session, step: ViewStep): Promise<StepOutcome> {
  const target = quoteRelation(step.relation);
  const existing = await relationKind(session, step.relation);
  if (existing === undefined) {
    await runModelQuery(session, `create view ${target} as\n`, step.sql);
    return { status: 'success', message: 'CREATE VIEW' };
  }
  if (existing === 'view') {
    await session.query('savepoint reel_replace');
    try {
      await runModelQuery(session, `create or replace view ${target} as\n`, step.sql);
      await session.query('release savepoint reel_replace');
      return { status: 'success', message: 'CREATE VIEW' };
    } catch (error) {
      // 42P16: columns removed, renamed or retyped; CREATE OR REPLACE cannot do that.
      if ((error as { code?: string }).code !== '42P16' && (error as { code?: string }).code !== '42804') throw error;
      await session.query('rollback to savepoint reel_replace');
    }
  }
  await replacePreservingDependents(session, step.relation, async () => {
    await session.query(dropStatement(step.relation, existing));
    await runModelQuery(session, `create view ${target} as\n`, step.sql);
  });
  return { status: 'success', message: 'CREATE VIEW' };
}

/** Builds into a shadow table, then swaps it in; readers see the old table until commit. */
export async function materializeTable(session: Session, step: TableStep | MaterializedViewStep): Promise<StepOutcome> {
  const shadow = shadowName(step.relation, 'new');
  const isMatview = step.kind === 'materialized-view';
  const what = isMatview ? 'materialized view' : 'table';
  await session.query(`drop ${what} if exists ${quoteRelation(shadow)}`);
  const created =
    step.kind === 'table' && step.contract
      ? { rowCount: await createContractedTable(session, quoteRelation(shadow), step.sql, step.contract) }
      : await runModelQuery(session, `create ${what} ${quoteRelation(shadow)} as\n`, step.sql);
  // Fresh statistics, so that the models built on it next are planned on what it really holds
  // (a new table has none until autovacuum gets to it, and plans made blind can take minutes).
  await session.query(`analyze ${quoteRelation(shadow)}`);
  await swapIn(session, shadow, step.relation, isMatview ? 'materialized view' : 'table');
  // After the swap, in the same transaction: the old relation's index names are free again.
  await createIndexes(session, step.relation, step.indexes ?? []);
  const rows = created.rowCount ?? undefined;
  return { status: 'success', message: `SELECT ${rows ?? ''}`.trim(), rowsAffected: rows };
}

async function swapIn(session: Session, shadow: Relation, relation: Relation, what: 'table' | 'materialized view'): Promise<void> {
  const existing = await relationKind(session, relation);
  const rename = `alter ${what} ${quoteRelation(shadow)} rename to ${quoteIdent(relation.identifier)}`;
  if (existing === undefined) {
    await session.query(rename);
    return;
  }
  await replacePreservingDependents(session, relation, async () => {
    await session.query(dropStatement(relation, existing));
    await session.query(rename);
  });
}

/** First run (or full refresh): a table. Later runs: merge on unique_key, or append. */
export async function materializeIncremental(session: Session, step: IncrementalStep): Promise<StepOutcome> {
  const existing = await relationKind(session, step.relation);
  if (existing === undefined || existing !== 'table' || step.fullRefresh) {
    const outcome = await materializeTable(session, { kind: 'table', nodeId: step.nodeId, waitsOn: step.waitsOn, relation: step.relation, sql: step.fullSql, indexes: step.indexes ?? [], ...(step.contract ? { contract: step.contract } : {}) });
    return { ...outcome, message: `${step.fullRefresh ? 'FULL REFRESH' : 'CREATE TABLE'} ${outcome.rowsAffected ?? ''}`.trim() };
  }
  const target = quoteRelation(step.relation);
  // An index added to the config since the table was built is created now, before it can help the merge.
  await createIndexes(session, step.relation, step.indexes ?? []);
  const batch = quoteIdent(`${step.relation.identifier}__reel_batch`.slice(0, 63));
  await runModelQuery(session, `create temporary table ${batch} on commit drop as\n`, step.incrementalSql);

  const { shared, batchColumns, warnings } = await reconcileColumns(session, step, batch);

  let deleted = 0;
  if (step.strategy !== 'append' && step.uniqueKey.length > 0) {
    const missing = step.uniqueKey.filter((k) => !batchColumns.includes(k));
    if (missing.length > 0) {
      throw new ExecutionError('unique-key-missing', `unique_key column ${missing.join(', ')} is not in the model's output`, { hint: 'select the key column or change unique_key' });
    }
    const keys = step.uniqueKey.map(quoteIdent);
    const nulls = await session.query<{ n: string }>(`select count(*) as n from ${batch} where ${keys.map((k) => `${k} is null`).join(' or ')}`);
    const nullCount = Number(nulls.rows[0]!.n);
    if (nullCount > 0) {
      throw new ExecutionError('unique-key-null', `${nullCount} new row${nullCount > 1 ? 's have' : ' has'} a NULL unique_key (${step.uniqueKey.join(', ')}); nothing was merged`, {
        hint: 'filter those rows out in the model (where key is not null) or choose a key that is never null',
      });
    }
    const dupes = await session.query<{ n: string }>(`select count(*) as n from (select 1 from ${batch} group by ${keys.join(', ')} having count(*) > 1) d`);
    const dupeCount = Number(dupes.rows[0]!.n);
    if (dupeCount > 0) {
      throw new ExecutionError('unique-key-duplicate', `${dupeCount} unique_key value${dupeCount > 1 ? 's appear' : ' appears'} more than once among the new rows (${step.uniqueKey.join(', ')}); nothing was merged`, {
        hint: 'deduplicate the new rows in the model, or widen unique_key',
      });
    }
    const removed = await session.query(`delete from ${target} as t using ${batch} as b where ${keys.map((k) => `t.${k} = b.${k}`).join(' and ')}`);
    deleted = removed.rowCount ?? 0;
  }
  const inserted = await session.query(`insert into ${target} (${shared.map(quoteIdent).join(', ')}) select ${shared.map(quoteIdent).join(', ')} from ${batch}`);
  const insertedRows = inserted.rowCount ?? 0;
  await analyzeIfChanged(session, step.relation, insertedRows + deleted);
  const message = step.strategy === 'append' || step.uniqueKey.length === 0 ? `INSERT ${insertedRows}` : `MERGE ${insertedRows} (${insertedRows - deleted} new, ${deleted} updated)`;
  return { status: 'success', message, rowsAffected: insertedRows, warnings };
}

/**
 * ANALYZE once the merged rows are a tenth of the table (autovacuum's default threshold): a small
 * batch barely moves the statistics, and sampling a large table costs more than the merge itself.
 */
async function analyzeIfChanged(session: Session, relation: Relation, changedRows: number): Promise<void> {
  const size = await session.query<{ tuples: number }>(`select reltuples::float8 as tuples from pg_catalog.pg_class where oid = $1::regclass`, [quoteRelation(relation)]);
  const tuples = Number(size.rows[0]?.tuples ?? -1);
  if (tuples < 0 || changedRows >= 0.1 * tuples) await session.query(`analyze ${quoteRelation(relation)}`);
}

/** `indexes` config: one `create index if not exists` each, named from the table and columns. */
export async function createIndexes(session: Session, relation: Relation, indexes: readonly IndexConfig[]): Promise<void> {
  for (const index of indexes) {
    const name = indexName(relation.identifier, index);
    const using = index.type ? ` using ${index.type}` : '';
    await session.query(`create ${index.unique ? 'unique ' : ''}index if not exists ${quoteIdent(name)} on ${quoteRelation(relation)}${using} (${index.columns.map(quoteIdent).join(', ')})`);
  }
}

export function indexName(table: string, index: IndexConfig): string {
  const readable = `${table}__${index.columns.join('_')}${index.unique ? '__uq' : ''}${index.type && index.type !== 'btree' ? `__${index.type}` : ''}`;
  if (Buffer.byteLength(readable) <= 63) return readable;
  const hash = createHash('md5').update(readable).digest('hex').slice(0, 8);
  return `${Buffer.from(readable).subarray(0, 54).toString().replace(/\uFFFD$/, '')}_${hash}`;
}

interface ColumnType {
  readonly name: string;
  readonly type: string;
}

async function columnTypes(session: Session, relation: string): Promise<ColumnType[]> {
  const result = await session.query<ColumnType>(
    `select attname as name, format_type(atttypid, atttypmod) as type from pg_catalog.pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`,
    [relation],
  );
  return result.rows;
}

/**
 * Compares the new rows' columns with the table's and applies `on_schema_change`: ignore (new
 * columns are left out, with a warning), fail (nothing merged), append_new_columns (added to the
 * table, removed ones kept and left null), sync_all_columns (added, removed, and retyped with a cast).
 * Runs inside the model's transaction, so a failed merge leaves the table as it was.
 */
async function reconcileColumns(session: Session, step: IncrementalStep, batch: string): Promise<{ shared: string[]; batchColumns: string[]; warnings: string[] }> {
  const target = quoteRelation(step.relation);
  const before = await columnTypes(session, target);
  const incoming = await columnTypes(session, batch);
  const batchColumns = incoming.map((c) => c.name);
  const added = incoming.filter((c) => !before.some((t) => t.name === c.name));
  const removed = before.filter((t) => !incoming.some((c) => c.name === t.name));
  const retyped = incoming.filter((c) => before.some((t) => t.name === c.name && t.type !== c.type));
  const policy = step.onSchemaChange ?? 'ignore';
  const warnings: string[] = [];
  const list = (columns: readonly ColumnType[], withType = false) => columns.map((c) => (withType ? `${c.name} (${before.find((t) => t.name === c.name)?.type ?? '?'} → ${c.type})` : c.name)).join(', ');
  const changed = added.length > 0 || removed.length > 0 || retyped.length > 0;
  if (!changed) return { shared: before.map((c) => c.name).filter((c) => batchColumns.includes(c)), batchColumns, warnings };
  const what = [
    added.length > 0 ? `new column${added.length > 1 ? 's' : ''} ${list(added)}` : '',
    removed.length > 0 ? `removed column${removed.length > 1 ? 's' : ''} ${list(removed)}` : '',
    retyped.length > 0 ? `changed type${retyped.length > 1 ? 's' : ''} ${list(retyped, true)}` : '',
  ].filter(Boolean).join('; ');
  switch (policy) {
    case 'fail':
      throw new ExecutionError('schema-changed', `the columns of ${step.relation.identifier} changed (${what}); on_schema_change is fail, so nothing was merged`, {
        hint: 'rebuild it with --full-refresh, or set on_schema_change to append_new_columns or sync_all_columns',
      });
    case 'ignore':
      if (added.length > 0) warnings.push(`new column${added.length > 1 ? 's' : ''} ${list(added)} not in ${step.relation.identifier}; ignored until --full-refresh (or set on_schema_change)`);
      break;
    case 'append_new_columns':
    case 'sync_all_columns': {
      const actions = added.map((c) => `add column ${quoteIdent(c.name)} ${c.type}`);
      if (policy === 'sync_all_columns') {
        actions.push(...removed.map((c) => `drop column ${quoteIdent(c.name)}`));
        actions.push(...retyped.map((c) => `alter column ${quoteIdent(c.name)} type ${c.type} using ${quoteIdent(c.name)}::${c.type}`));
      }
      if (actions.length > 0) {
        await replacePreservingDependents(session, step.relation, async () => {
          await session.query(`alter table ${target} ${actions.join(', ')}`);
        });
      }
      warnings.push(`${policy}: ${what}`);
      break;
    }
  }
  const after = policy === 'ignore' ? before : await columnTypes(session, target);
  return { shared: after.map((c) => c.name).filter((c) => batchColumns.includes(c)), batchColumns, warnings };
}
