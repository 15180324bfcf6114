import { ExecutionError } from '../errors/index.js';
import type { SnapshotStep } from '../plan/steps.js';
import { quoteIdent, quoteRelation } from '../sql/quote.js';
import { indexName, type StepOutcome } from './materialize.js';
import { runModelQuery } from './model-query.js';
import { relationKind } from './relations.js';
import type { Session } from './session.js';

interface Column {
  readonly name: string;
  readonly type: string;
}

/**
 * One snapshot run, inside the caller's transaction: the query's rows are staged, then every key
 * whose row changed (timestamp: `updated_at` grew; check: a checked column differs) gets its current
 * version closed and a new version inserted; new keys are inserted; keys gone from the query are
 * closed (`hard_deletes: invalidate`) or closed and given a deleted version (`new_record`).
 * Running it again with nothing changed changes nothing.
 */
export async function runSnapshot(session: Session, step: SnapshotStep): Promise<StepOutcome> {
  const c = step.config;
  const m = c.metaColumns;
  const target = quoteRelation(step.relation);
  const existing = await relationKind(session, step.relation);
  if (existing !== undefined && existing !== 'table') {
    throw new ExecutionError('snapshot-not-table', `${target} is a ${existing.replace('_', ' ')}, not a snapshot table`, { hint: 'drop it, or give the snapshot another alias or schema' });
  }
  const staged = quoteIdent(`${step.relation.identifier}__reel_snapshot`.slice(0, 63));
  await runModelQuery(session, `create temporary table ${staged} on commit drop as\n`, step.sql);
  const source = await columnsOf(session, `pg_temp.${staged}`);
  checkColumns(step, source.map((col) => col.name));
  await checkKeys(session, step, staged);

  const [scdId, updatedAt, validFrom, validTo, isCurrent, isDeleted] = [m.scdId, m.updatedAt, m.validFrom, m.validTo, m.isCurrent, m.isDeleted].map(quoteIdent) as [string, string, string, string, string, string];
  const withDeleted = c.hardDeletes === 'new_record';
  const keys = c.uniqueKey.map(quoteIdent);
  const sameKey = (a: string, b: string) => keys.map((k) => `${a}.${k} = ${b}.${k}`).join(' and ');
  const scd = (alias: string, time: string) => `md5(concat_ws('|', ${keys.map((k) => `${alias}.${k}::text`).join(', ')}, (${time})::text))`;
  // When a version starts: the row's updated_at (timestamp), or the time of the run (check).
  const versionTime = (alias: string) => (c.strategy === 'timestamp' ? `${alias}.${quoteIdent(c.updatedAt!)}::timestamptz` : 'now()');

  if (existing === undefined) {
    const created = await session.query(
      `create table ${target} as select s.*, ${scd('s', versionTime('s'))} as ${scdId}, ${versionTime('s')} as ${updatedAt}, ${versionTime('s')} as ${validFrom}, null::timestamptz as ${validTo}, true as ${isCurrent}${withDeleted ? `, false as ${isDeleted}` : ''} from ${staged} as s`,
    );
    await createCurrentIndex(session, step);
    await session.query(`analyze ${target}`);
    const rows = created.rowCount ?? 0;
    return { status: 'success', message: `SNAPSHOT ${rows} new`, rowsAffected: rows };
  }

  const warnings: string[] = [];
  const have = new Set((await columnsOf(session, target)).map((col) => col.name));
  const missingMeta = [m.scdId, m.updatedAt, m.validFrom, m.validTo, m.isCurrent, ...(withDeleted ? [m.isDeleted] : [])].filter((name) => !have.has(name));
  if (missingMeta.length > 0) {
    throw new ExecutionError('snapshot-columns', `${target} has no column${missingMeta.length > 1 ? 's' : ''} ${missingMeta.join(', ')}: it was not made by this snapshot (or its config changed)`, {
      hint: withDeleted && missingMeta.includes(m.isDeleted) ? `hard_deletes: new_record adds ${m.isDeleted}: add it with alter table ${target} add column ${quoteIdent(m.isDeleted)} boolean not null default false` : 'drop the table to start the history again, or restore the previous config',
    });
  }
  for (const column of source.filter((col) => !have.has(col.name))) {
    await session.query(`alter table ${target} add column ${quoteIdent(column.name)} ${column.type}`);
    warnings.push(`new column ${column.name} added to ${step.relation.identifier}; earlier versions hold null`);
  }
  const shared = source.map((col) => quoteIdent(col.name));
  const checked = c.strategy === 'check' ? (c.checkCols === 'all' ? shared : c.checkCols.map(quoteIdent)) : [];
  const changed = c.strategy === 'timestamp' ? `${versionTime('s')} > t.${updatedAt}` : `(${checked.map((col) => `s.${col}`).join(', ')}) is distinct from (${checked.map((col) => `t.${col}`).join(', ')})`;

  // The new versions: changed rows (a deleted key that came back is a change) and new keys.
  const changes = quoteIdent(`${step.relation.identifier}__reel_changes`.slice(0, 63));
  await session.query(
    `create temporary table ${changes} on commit drop as
     select s.*, ${withDeleted ? `case when t.${isDeleted} then now() else ${versionTime('s')} end` : versionTime('s')} as "__reel_valid_from", true as "__reel_changed"
       from ${staged} as s join ${target} as t on ${sameKey('s', 't')} and t.${isCurrent}
      where ${changed}${withDeleted ? ` or t.${isDeleted}` : ''}
     union all
     select s.*, ${versionTime('s')}, false
       from ${staged} as s
      where not exists (select 1 from ${target} as t where ${sameKey('s', 't')} and t.${isCurrent})`,
  );
  const closed = await session.query(`update ${target} as t set ${validTo} = c."__reel_valid_from", ${isCurrent} = false from ${changes} as c where ${sameKey('t', 'c')} and t.${isCurrent} and c."__reel_changed"`);
  const inserted = await session.query(
    `insert into ${target} (${shared.join(', ')}, ${scdId}, ${updatedAt}, ${validFrom}, ${validTo}, ${isCurrent}${withDeleted ? `, ${isDeleted}` : ''})
     select ${shared.map((col) => `c.${col}`).join(', ')}, ${scd('c', 'c."__reel_valid_from"')}, c."__reel_valid_from", c."__reel_valid_from", null, true${withDeleted ? ', false' : ''} from ${changes} as c`,
  );

  let deleted = 0;
  const gone = `t.${isCurrent}${withDeleted ? ` and not t.${isDeleted}` : ''} and not exists (select 1 from ${staged} as s where ${sameKey('s', 't')})`;
  if (c.hardDeletes === 'invalidate') {
    deleted = (await session.query(`update ${target} as t set ${validTo} = now(), ${isCurrent} = false where ${gone}`)).rowCount ?? 0;
  } else if (withDeleted) {
    const others = [...new Set([...have, ...source.map((col) => col.name)])].filter((name) => ![m.scdId, m.updatedAt, m.validFrom, m.validTo, m.isCurrent, m.isDeleted].includes(name)).map(quoteIdent);
    const marked = await session.query(
      `with closed as (update ${target} as t set ${validTo} = now(), ${isCurrent} = false where ${gone} returning t.*)
       insert into ${target} (${others.join(', ')}, ${scdId}, ${updatedAt}, ${validFrom}, ${validTo}, ${isCurrent}, ${isDeleted})
       select ${others.map((col) => `closed.${col}`).join(', ')}, ${scd('closed', 'now()')}, now(), now(), null, true, true from closed`,
    );
    deleted = marked.rowCount ?? 0;
  }
  const newVersions = inserted.rowCount ?? 0;
  const changedKeys = closed.rowCount ?? 0;
  if (newVersions + deleted > 0) await session.query(`analyze ${target}`);
  return {
    status: 'success',
    message: `SNAPSHOT ${newVersions - changedKeys} new, ${changedKeys} changed, ${deleted} deleted`,
    rowsAffected: newVersions + deleted,
    warnings,
  };
}

function checkColumns(step: SnapshotStep, names: readonly string[]): void {
  const c = step.config;
  const meta = Object.values(c.metaColumns);
  const clash = names.filter((name) => meta.includes(name));
  if (clash.length > 0) {
    throw new ExecutionError('snapshot-meta-clash', `the snapshot's query returns ${clash.join(', ')}, a column name the snapshot adds itself`, { hint: 'rename the column in the select, or rename the snapshot column with snapshot_meta_column_names' });
  }
  const needed: [string, readonly string[]][] = [
    ['unique_key', c.uniqueKey],
    ['updated_at', c.strategy === 'timestamp' ? [c.updatedAt!] : []],
    ['check_cols', c.strategy === 'check' && c.checkCols !== 'all' ? c.checkCols : []],
  ];
  for (const [what, columns] of needed) {
    const missing = columns.filter((col) => !names.includes(col));
    if (missing.length > 0) {
      throw new ExecutionError('snapshot-column-missing', `${what} column${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not in the snapshot's query (it returns ${names.join(', ')})`, { hint: `select ${missing.join(', ')} in the snapshot, or change ${what}` });
    }
  }
}

async function checkKeys(session: Session, step: SnapshotStep, staged: string): Promise<void> {
  const keys = step.config.uniqueKey.map(quoteIdent);
  const result = await session.query<{ nulls: string; dupes: string }>(
    `select (select count(*) from ${staged} where ${keys.map((k) => `${k} is null`).join(' or ')}) as nulls,
            (select count(*) from (select 1 from ${staged} group by ${keys.join(', ')} having count(*) > 1) as d) as dupes`,
  );
  const nulls = Number(result.rows[0]!.nulls);
  const dupes = Number(result.rows[0]!.dupes);
  const key = step.config.uniqueKey.join(', ');
  if (nulls > 0) throw new ExecutionError('snapshot-key-null', `${nulls} row${nulls > 1 ? 's have' : ' has'} a NULL unique_key (${key}); the snapshot was not changed`, { hint: 'filter those rows out in the snapshot\'s select, or choose a key that is never null' });
  if (dupes > 0) throw new ExecutionError('snapshot-key-duplicate', `${dupes} unique_key value${dupes > 1 ? 's appear' : ' appears'} more than once in the snapshot's query (${key}); the snapshot was not changed`, { hint: 'a snapshot keeps one current version per key: deduplicate the select, or widen unique_key' });
}

/** At most one current version per key, enforced by the database (and the index every run uses). */
async function createCurrentIndex(session: Session, step: SnapshotStep): Promise<void> {
  const name = indexName(step.relation.identifier, { columns: ['current'], unique: true });
  await session.query(`create unique index if not exists ${quoteIdent(name)} on ${quoteRelation(step.relation)} (${step.config.uniqueKey.map(quoteIdent).join(', ')}) where ${quoteIdent(step.config.metaColumns.isCurrent)}`);
}

async function columnsOf(session: Session, relation: string): Promise<Column[]> {
  const result = await session.query<{ name: string; type: string }>(
    'select attname as name, pg_catalog.format_type(atttypid, atttypmod) as type from pg_catalog.pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum',
    [relation],
  );
  return result.rows;
}
