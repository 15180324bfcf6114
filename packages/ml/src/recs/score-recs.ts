import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { quoteIdent } from '@reel/modeler';
import { MlInputError, MlRunError } from '../errors.js';
import { topK } from '../metrics/ranking.js';
import type { Runtime } from '../runtime.js';
import type { StoredVersion } from '../store/model-store.js';
import { scoringBatch } from './evaluate.js';
import { meanCompletion, type InteractionData } from './interaction-data.js';
import type { InteractionSource } from './interaction-source.js';
import { loadModel } from './recs-model.js';
import { readInteractions } from './train-recs.js';
import { UserItemMatrix } from './user-item-matrix.js';

/** Where recommendations go. */
export const RECS_SCHEMA = 'ml';
export const RECS_TABLE = 'recommendations';
const RECS_COLUMNS = ['user_id', 'rank', 'content_id', 'score', 'model_version'];

export interface ScoreRecsOptions {
  readonly version: StoredVersion;
  readonly pool: pg.Pool;
  readonly where?: string;
  readonly runtime: Runtime;
  /** Read the histories from another source than the model was trained on (same kind of ids). */
  readonly source?: InteractionSource;
  /** Recommendations per user. */
  readonly top: number;
  /** A title counts as finished at this completion (0–1). */
  readonly finishedAt: number;
  /** Leave out what the user finished (default), or everything they have interacted with. */
  readonly exclude?: 'finished' | 'seen';
  readonly log: (line: string) => void;
}

export interface ScoreRecsResult {
  readonly users: number;
  readonly rows: number;
  /** Users with a history whose every catalog item they had finished (no recommendation left). */
  readonly usersWithoutRecommendations: number;
  readonly seconds: number;
  /** Seconds ranking (scoring and top-N, without reading and writing), for throughput figures. */
  readonly rankSeconds: number;
}

/**
 * `ml score recs`: ranks the model's catalog for every user of the source from their whole history,
 * leaves out what each user has already finished, and replaces all of `ml.recommendations` with the
 * top N per user in one transaction (readers see the previous recommendations until the commit).
 *
 * Finished: at show level (the marts' default), a show whose every title — the movie, or each
 * episode of the series — the user watched to `finishedAt` completion or more; at title level, a
 * title so watched; for sources with a completion column, a pair whose mean completion reaches
 * `finishedAt`; for sources without one (ratings), every item the user has interacted with.
 * A series the user is in the middle of stays eligible: it is what they may want next.
 */
export async function scoreRecs(options: ScoreRecsOptions): Promise<ScoreRecsResult> {
  const started = performance.now();
  const { model, items, preprocessing } = loadModel(options.runtime.tf, options.version);
  const source = options.source ?? preprocessing.source;
  const data = await readInteractions(source, options.pool, options.where);
  const catalog = new Map(items.map((id, index) => [id, index]));

  // The histories in the model's item indexes (items the model does not know are left out).
  const itemMap = Int32Array.from(data.items, (id) => catalog.get(id) ?? -1);
  const keep: number[] = [];
  for (let p = 0; p < data.early.length; p++) if (itemMap[data.early.item[p]!]! >= 0) keep.push(p);
  const pairs = remap(data, keep, itemMap);
  const history = UserItemMatrix.fromPairs(pairs, data.users.length, items.length, preprocessing.signals, preprocessing.ratingScale);
  const finished = options.exclude === 'seen' ? seenPairs(history) : await finishedPairs(source, data, catalog, options);

  const users = history.activeUsers();
  options.log(`scoring ${users.length.toLocaleString('en')} users of ${data.description} with ${options.version.task}/${options.version.version} (${items.length.toLocaleString('en')} items); ${finished.count.toLocaleString('en')} ${options.exclude === 'seen' ? 'seen' : 'finished'} user–item pairs are left out`);
  const rankStarted = performance.now();
  const rows: { user: number; items: Int32Array; scores: Float32Array }[] = [];
  const excluded = new Uint8Array(items.length);
  const batch = scoringBatch(items.length);
  let without = 0;
  for (let from = 0; from < users.length; from += batch) {
    const part = users.subarray(from, Math.min(users.length, from + batch));
    const scores = await model.score(part, history);
    for (let k = 0; k < part.length; k++) {
      const u = part[k]!;
      const done = finished.byUser.get(u);
      if (done) for (const i of done) excluded[i] = 1;
      const row = scores.subarray(k * items.length, (k + 1) * items.length);
      const best = topK(row, options.top, excluded);
      if (done) for (const i of done) excluded[i] = 0;
      if (best.length === 0) without++;
      rows.push({ user: u, items: best, scores: Float32Array.from(best, (i) => row[i]!) });
    }
  }
  const rankSeconds = (performance.now() - rankStarted) / 1000;
  model.dispose();
  const count = await writeRecommendations(options.pool, rows, data, items, options.version.version, preprocessing.userIdType);
  return { users: users.length, rows: count, usersWithoutRecommendations: without, seconds: (performance.now() - started) / 1000, rankSeconds };
}

function remap(data: InteractionData, keep: number[], itemMap: Int32Array) {
  const set = data.early;
  const pick = (column: Float64Array) => Float64Array.from(keep, (p) => column[p]!);
  // Still sorted by (user, item): the model's item order is the ids' sorted order, as data.items.
  const out = {
    length: keep.length,
    user: Int32Array.from(keep, (p) => set.user[p]!),
    item: Int32Array.from(keep, (p) => itemMap[set.item[p]!]!),
    events: pick(set.events),
    firstAt: pick(set.firstAt),
    lastAt: pick(set.lastAt),
    seconds: pick(set.seconds),
    completionSum: pick(set.completionSum),
    completionCount: pick(set.completionCount),
    ratingSum: pick(set.ratingSum),
    ratingCount: pick(set.ratingCount),
  };
  return out;
}

/** Every item of each user's history. */
function seenPairs(history: UserItemMatrix): { byUser: Map<number, number[]>; count: number } {
  const byUser = new Map<number, number[]>();
  for (let u = 0; u < history.users; u++) if (history.itemsOf(u).length > 0) byUser.set(u, Array.from(history.itemsOf(u)));
  return { byUser, count: history.nonZeros };
}

/** What each user (index into data.users) has finished, as model item indexes. */
async function finishedPairs(source: InteractionSource, data: InteractionData, catalog: ReadonlyMap<string, number>, options: ScoreRecsOptions): Promise<{ byUser: Map<number, number[]>; count: number }> {
  const byUser = new Map<number, number[]>();
  let count = 0;
  const add = (user: number, item: number | undefined) => {
    if (item === undefined || user < 0) return;
    let list = byUser.get(user);
    if (!list) byUser.set(user, (list = []));
    list.push(item);
    count++;
  };
  if (source.kind === 'marts') {
    const userIndex = new Map(data.users.map((id, index) => [id, index]));
    const schema = quoteIdent(source.schema);
    const threshold = Number(options.finishedAt);
    const sql =
      source.level === 'show'
        ? // A show is finished when every one of its titles is: the movie itself, or each episode.
          `with finished as (select user_id, content_id, min(show_id) as show_id from ${schema}.fct_views where completion >= ${threshold} group by 1, 2),
                titles as (select show_id, greatest(1, count(*) filter (where content_id <> show_id)) as n from ${schema}.dim_content group by 1)
           select f.user_id::text, f.show_id from finished as f join titles as t on t.show_id = f.show_id
           group by 1, 2, t.n having count(*) filter (where f.content_id <> f.show_id or t.n = 1) >= t.n`
        : `select user_id::text, content_id from ${schema}.fct_views where completion >= ${threshold} group by 1, 2`;
    const client = await options.pool.connect();
    try {
      const sink = new Writable({
        objectMode: true,
        write(r: string[], _encoding, done) {
          add(userIndex.get(r[0]!) ?? -1, catalog.get(r[1]!));
          done();
        },
      });
      await pipeline(client.query(copyTo(`copy (${sql}) to stdout with (format csv)`)), parse(), sink);
    } catch (error) {
      const e = error as { code?: string; message?: string };
      if (e.code === '42P01') throw new MlInputError('no-such-table', `finding finished titles needs ${source.schema}.fct_views and ${source.schema}.dim_content: ${e.message}`, { hint: 'build the models project first (`model build --project-dir packages/models --exclude tag:ml`)', cause: error });
      throw new MlRunError('read-failed', `finding the finished titles failed: ${e.message ?? String(error)}`, { cause: error });
    } finally {
      client.release();
    }
    return { byUser, count };
  }
  const set = data.early;
  for (let p = 0; p < set.length; p++) {
    const completion = meanCompletion(set, p);
    const done = data.signals.completion ? completion >= options.finishedAt : true;
    if (done) add(set.user[p]!, catalog.get(data.items[set.item[p]!]!));
  }
  return { byUser, count };
}

/** Replaces ml.recommendations in one transaction, through COPY. */
async function writeRecommendations(pool: pg.Pool, rows: readonly { user: number; items: Int32Array; scores: Float32Array }[], data: InteractionData, items: readonly string[], version: string, userIdType: string): Promise<number> {
  const schema = quoteIdent(RECS_SCHEMA);
  const table = `${schema}.${quoteIdent(RECS_TABLE)}`;
  const where = `${RECS_SCHEMA}.${RECS_TABLE}`;
  const client = await pool.connect();
  let count = 0;
  try {
    await client.query('begin');
    await client.query(`create schema if not exists ${schema}`);
    await client.query(
      `create table if not exists ${table} (user_id ${safeType(userIdType)} not null, rank integer not null, content_id text not null, score double precision not null, model_version text not null, primary key (user_id, rank))`,
    );
    const existing = await client.query<{ attname: string }>('select attname from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum', [where]);
    const columns = existing.rows.map((r) => r.attname);
    if (columns.join(',') !== RECS_COLUMNS.join(',')) {
      throw new MlRunError('recs-table-columns', `${where} has the columns (${columns.join(', ')}), not (${RECS_COLUMNS.join(', ')})`, { hint: `it was made by something else: drop table ${where} and score again` });
    }
    // Delete, not truncate: readers keep seeing the previous recommendations until the commit.
    await client.query(`delete from ${table}`);
    const lines = (function* () {
      let chunk = '';
      for (const row of rows) {
        const user = escapeCopy(data.users[row.user]!);
        for (let r = 0; r < row.items.length; r++) {
          chunk += `${user}\t${r + 1}\t${escapeCopy(items[row.items[r]!]!)}\t${row.scores[r]}\t${escapeCopy(version)}\n`;
          count++;
        }
        if (chunk.length > 65_536) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    })();
    await pipeline(Readable.from(lines), client.query(copyFrom(`copy ${table} (${RECS_COLUMNS.map(quoteIdent).join(', ')}) from stdin`)));
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    if (error instanceof MlRunError || error instanceof MlInputError) throw error;
    const e = error as { code?: string; message?: string };
    if (e.code === '22P02') {
      throw new MlInputError('id-type', `the user ids of ${data.description} do not fit ${where}.user_id: ${e.message}`, { hint: `drop table ${where} so that it is made again with the type of these ids`, cause: error });
    }
    throw new MlRunError('write-recs-failed', `writing ${where} failed, and nothing was changed: ${e.message ?? String(error)}`, { cause: error });
  } finally {
    client.release();
  }
  await pool.query(`analyze ${table}`).catch(() => undefined);
  return count;
}

/** COPY text format: backslash, tab and line breaks escaped. */
function escapeCopy(text: string): string {
  return text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** A column type read from the catalog (`bigint`, `character varying(20)`), or text for anything unexpected. */
function safeType(type: string): string {
  return /^[a-z][a-z0-9 ()_,]*$/i.test(type) ? type : 'text';
}

