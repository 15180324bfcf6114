import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { quoteIdent } from '@reel/modeler';
import { closest } from 'fastest-levenshtein';
import { quoteTableName } from '../data/read-frame.js';
import { MlInputError, MlRunError } from '../errors.js';
import { InteractionDataBuilder, type InteractionData } from './interaction-data.js';
import { describeInteractionSource, guessRoles, type InteractionSource, type Role } from './interaction-source.js';
import type { CutoffRequest } from './read-csv-interactions.js';

type DatabaseSource = Extract<InteractionSource, { kind: 'marts' | 'table' }>;

const BUILD_HINT = 'build the models project first (`model build --project-dir packages/models --exclude tag:ml`), or pass --database-url for the database that has it';

/**
 * Reads interactions from the database, summed per (user, item) — and per side of the cut-off —
 * by PostgreSQL, so that millions of viewing sessions cross the wire as one row per pair, through
 * `COPY … TO STDOUT`.
 *
 * The marts source is every real view (`is_real_view`: at least `min_view_seconds`) in
 * `fct_views` with its seconds and completion, and every rating in `fct_ratings`, by show
 * (`show_id`: a movie, or a series with all its episodes) or by title (`content_id`).
 */
export async function readDatabaseInteractions(source: DatabaseSource, pool: pg.Pool, options: { cutoff?: CutoffRequest; where?: string } = {}): Promise<InteractionData> {
  const { sql: events, userIdType, signals } = source.kind === 'marts' ? await martsEvents(source, pool, options.where) : await tableEvents(source, pool, options.where);
  const description = describeInteractionSource(source);
  const client = await pool.connect();
  try {
    let cutoff: number | undefined;
    if (options.cutoff) {
      if (!signals.time) {
        throw new MlInputError('no-time-column', `the time-based holdout needs a timestamp column, and ${description} has none`, { hint: 'name it with --columns timestamp=<column>, or use --protocol random' });
      }
      cutoff = options.cutoff.at;
      if (cutoff === undefined) {
        const row = (await client.query<{ at: number | null }>(`select (extract(epoch from percentile_disc($1::float8) within group (order by at)) * 1000)::float8 as at from (${events}) as e`, [1 - options.cutoff.testShare])).rows[0];
        cutoff = row?.at ?? undefined;
      }
    }
    const late = cutoff === undefined ? 'false' : `coalesce(at >= to_timestamp(${Number(cutoff) / 1000}), false)`;
    const aggregate = `select "user", item, ${late} as late, count(*) as events,
        extract(epoch from min(at)) * 1000 as first_at, extract(epoch from max(at)) * 1000 as last_at,
        coalesce(sum(seconds), 0) as seconds, coalesce(sum(completion), 0) as completion_sum, count(completion) as completion_count,
        coalesce(sum(rating), 0) as rating_sum, count(rating) as rating_count
      from (${events}) as e where "user" is not null and item is not null group by 1, 2, 3`;
    const builder = new InteractionDataBuilder();
    const sink = new Writable({
      objectMode: true,
      write(r: string[], _encoding, done) {
        builder.add({
          user: r[0]!,
          item: r[1]!,
          late: r[2] === 't',
          events: Number(r[3]),
          firstAt: r[4] === '' ? Number.NaN : Number(r[4]),
          lastAt: r[5] === '' ? Number.NaN : Number(r[5]),
          seconds: Number(r[6]),
          completionSum: Number(r[7]),
          completionCount: Number(r[8]),
          ratingSum: Number(r[9]),
          ratingCount: Number(r[10]),
        });
        done();
      },
    });
    await pipeline(client.query(copyTo(`copy (${aggregate}) to stdout with (format csv)`)), parse(), sink);
    if (builder.events === 0) {
      throw new MlInputError('empty-source', `${description} has no interactions`, { hint: source.kind === 'marts' ? `simulate and load data, then ${BUILD_HINT.split(', or')[0]}` : 'point --table at a table with rows' });
    }
    return builder.finish(description, signals, { ...(cutoff === undefined ? {} : { cutoff }), userIdType });
  } catch (error) {
    if (error instanceof MlInputError || error instanceof MlRunError) throw error;
    const e = error as { code?: string; message?: string };
    if (e.code === '42P01') throw new MlInputError('no-such-table', `${description} is missing from ${options.where ?? 'the database'}: ${e.message}`, { hint: BUILD_HINT, cause: error });
    if (e.code?.startsWith('22')) throw new MlInputError('bad-value', `reading ${description} failed: ${e.message}`, { hint: 'check which columns --columns maps to the roles (a timestamp must be a date, a time or epoch seconds; a rating a number)', cause: error });
    throw new MlRunError('read-failed', `reading ${description} failed: ${e.message ?? String(error)}`, { cause: error });
  } finally {
    client.release();
  }
}

interface EventsQuery {
  /** Columns "user" (text), item (text), at (timestamptz), seconds, completion, rating (float8). */
  readonly sql: string;
  readonly userIdType: string;
  readonly signals: { time: boolean; rating: boolean; seconds: boolean; completion: boolean };
}

async function martsEvents(source: Extract<InteractionSource, { kind: 'marts' }>, pool: pg.Pool, where?: string): Promise<EventsQuery> {
  const schema = quoteIdent(source.schema);
  const item = source.level === 'show' ? 'show_id' : 'content_id';
  for (const table of ['fct_views', 'fct_ratings']) {
    const found = await pool.query('select to_regclass($1) is not null as found', [`${source.schema}.${table}`]);
    if (!found.rows[0]?.found) throw new MlInputError('no-such-table', `the table ${source.schema}.${table} does not exist in ${where ?? 'the database'}`, { hint: BUILD_HINT });
  }
  const type = await pool.query<{ t: string }>(`select format_type(atttypid, atttypmod) as t from pg_attribute where attrelid = $1::regclass and attname = 'user_id'`, [`${source.schema}.fct_views`]);
  return {
    sql: `select user_id::text as "user", ${item}::text as item, started_at as at, seconds_watched::float8 as seconds, completion::float8 as completion, null::float8 as rating
        from ${schema}.fct_views where is_real_view
      union all
      select user_id::text, ${item}::text, rated_at, null, null, stars::float8 from ${schema}.fct_ratings`,
    userIdType: type.rows[0]?.t ?? 'bigint',
    signals: { time: true, rating: true, seconds: true, completion: true },
  };
}

async function tableEvents(source: Extract<InteractionSource, { kind: 'table' }>, pool: pg.Pool, where?: string): Promise<EventsQuery> {
  const relation = quoteTableName(source.table);
  let fields: { name: string; type: string }[];
  try {
    const result = await pool.query(`select * from ${relation} limit 0`);
    const types = await pool.query<{ oid: number; t: string }>('select oid::int as oid, format_type(oid, null) as t from pg_type where oid = any($1::oid[])', [result.fields.map((f) => f.dataTypeID)]);
    const typeOf = new Map(types.rows.map((r) => [r.oid, r.t]));
    fields = result.fields.map((f) => ({ name: f.name, type: typeOf.get(f.dataTypeID) ?? 'text' }));
  } catch (error) {
    const e = error as { code?: string; message?: string };
    if (e.code === '42P01') throw new MlInputError('no-such-table', `the table ${source.table} does not exist in ${where ?? 'the database'}`, { hint: 'check the name with its schema (schema.table), or pass --database-url', cause: error });
    throw new MlRunError('read-failed', `reading ${source.table} failed: ${e.message ?? String(error)}`, { cause: error });
  }
  const columns = fields.map((f) => f.name);
  if (source.columns?.kind === 'positions') {
    throw new MlInputError('bad-columns', `--columns gives positions, but a table's columns are named (${source.table} has ${columns.join(', ')})`, { hint: 'write --columns user=<column>,item=<column>,…' });
  }
  const names: Partial<Record<Role, string>> = { ...guessRoles(columns), ...(source.columns?.kind === 'names' ? source.columns.names : {}) };
  for (const [role, column] of Object.entries(names) as [Role, string][]) {
    if (!columns.includes(column)) {
      const near = closest(column, columns);
      throw new MlInputError('missing-column', `${source.table} has no column "${column}" (the ${role}); its columns are ${columns.join(', ')}${near ? ` — did you mean "${near}"?` : ''}`, { hint: `name the ${role} column with --columns ${role}=<column>` });
    }
  }
  for (const needed of ['user', 'item'] as const) {
    if (!names[needed]) throw new MlInputError('missing-column', `${source.table} has no column recognisable as the ${needed} (its columns are ${columns.join(', ')})`, { hint: `say which it is with --columns ${needed}=<column>` });
  }
  const typeOf = (role: Role) => fields.find((f) => f.name === names[role])!.type;
  const column = (role: Role, cast: string) => (names[role] ? `${quoteIdent(names[role]!)}::${cast}` : `null::${cast}`);
  const time = !names.timestamp ? 'null::timestamptz' : /^(numeric|integer|bigint|smallint|real|double precision)$/.test(typeOf('timestamp')) ? `to_timestamp(${quoteIdent(names.timestamp)}::float8)` : `${quoteIdent(names.timestamp)}::timestamptz`;
  return {
    sql: `select ${column('user', 'text')} as "user", ${column('item', 'text')} as item, ${time} as at, ${column('seconds', 'float8')} as seconds, ${column('completion', 'float8')} as completion, ${column('rating', 'float8')} as rating from ${relation}`,
    userIdType: typeOf('user'),
    signals: { time: !!names.timestamp, rating: !!names.rating, seconds: !!names.seconds, completion: !!names.completion },
  };
}
