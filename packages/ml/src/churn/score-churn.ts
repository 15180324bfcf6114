import type pg from 'pg';
import { quoteIdent } from '@reel/modeler';
import { describeSource, withOverrides, type DataSource } from '../data/data-config.js';
import { compareTimes, type Frame } from '../data/frame.js';
import { readFrame } from '../data/read-frame.js';
import { MlInputError, MlRunError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { StoredVersion } from '../store/model-store.js';
import { ChurnModel, riskBand, type ChurnModelName, type ChurnVersionInfo } from './churn-model.js';

/** Where scores go: `ml.churn_scores`, one row per member (the models project reads it as a source). */
export const SCORES_SCHEMA = 'ml';
export const SCORES_TABLE = 'churn_scores';
const SCORE_COLUMNS = ['user_id', 'score', 'risk_band', 'model_version', 'scored_at'];
const CHUNK = 20_000;

export interface ScoreChurnOptions {
  readonly version: StoredVersion;
  readonly pool: pg.Pool;
  readonly where?: string;
  readonly runtime: Runtime;
  /** Score another source than the one trained on (same columns). */
  readonly source?: DataSource;
  /** The model to score with; the version's primary (neural unless the regression validated better) by default. */
  readonly model?: ChurnModelName;
  readonly log: (line: string) => void;
  readonly now?: Date;
}

export interface ScoreChurnResult {
  readonly rows: number;
  readonly model: ChurnModelName;
  readonly bands: Readonly<Record<'high' | 'medium' | 'low', number>>;
  readonly seconds: number;
  /** Seconds spent predicting (without reading and writing), for throughput figures. */
  readonly predictSeconds: number;
}

/**
 * `ml score churn`: scores each member's latest row of the source with a saved version and
 * replaces the whole of `ml.churn_scores` with them in one transaction — the table always holds
 * one current score per member, from one model version (older versions' scores live on in the
 * model store's metrics, not in the table). Readers see the old rows until the commit.
 */
export async function scoreChurn(options: ScoreChurnOptions): Promise<ScoreChurnResult> {
  const started = performance.now();
  const info = options.version.info as ChurnVersionInfo;
  const config = withOverrides(info.config, { source: options.source });
  const frame = await readFrame(config, { pool: options.pool, withLabel: false, where: options.where });
  const rows = latestRowPerId(frame);
  const model = await ChurnModel.load(options.version);
  const which = options.model ?? info.primary;
  if (!model.models.includes(which)) throw new MlInputError('unknown-model', `version ${options.version.version} has no ${which} model; it has ${model.models.join(', ')}`);
  const predictStarted = performance.now();
  const scores = model.predict(options.runtime.tf, frame, rows, which);
  const predictSeconds = (performance.now() - predictStarted) / 1000;
  model.neural.dispose();
  const bands = { high: 0, medium: 0, low: 0 };
  const bandOf = Array.from(scores, (s) => {
    const band = riskBand(s, info.riskBands);
    bands[band]++;
    return band;
  });
  options.log(`scored ${rows.length.toLocaleString('en')} members (latest row each of ${describeSource(config.source)}) with ${which} of ${options.version.version}: ${bands.high} high, ${bands.medium} medium, ${bands.low} low risk`);
  await writeScores(options.pool, frame, rows, scores, bandOf, options.version.version, options.now ?? new Date());
  return { rows: rows.length, model: which, bands, seconds: (performance.now() - started) / 1000, predictSeconds };
}

/** Each id's row with the latest time (the last row of an id when there is no time column). */
export function latestRowPerId(frame: Frame): Uint32Array {
  const best = new Map<string, number>();
  for (let i = 0; i < frame.rows; i++) {
    const id = frame.ids[i]!;
    const current = best.get(id);
    if (current === undefined || !frame.times) {
      best.set(id, i);
      continue;
    }
    const a = frame.times[i];
    const b = frame.times[current];
    if (a !== null && a !== undefined && (b === null || b === undefined || compareTimes(a, b) >= 0)) best.set(id, i);
  }
  return Uint32Array.from(best.values()).sort();
}

async function writeScores(pool: pg.Pool, frame: Frame, rows: Uint32Array, scores: Float64Array, bands: string[], version: string, scoredAt: Date): Promise<void> {
  const schema = quoteIdent(SCORES_SCHEMA);
  const table = `${schema}.${quoteIdent(SCORES_TABLE)}`;
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`create schema if not exists ${schema}`);
    const idType = frame.idType ?? 'text';
    await client.query(
      `create table if not exists ${table} (user_id ${idType} primary key, score double precision not null, risk_band text not null check (risk_band in ('high', 'medium', 'low')), model_version text not null, scored_at timestamptz not null)`,
    );
    const existing = await client.query<{ attname: string; type: string }>(
      `select attname, format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`,
      [`${SCORES_SCHEMA}.${SCORES_TABLE}`],
    );
    const columns = existing.rows.map((r) => r.attname);
    if (columns.join(',') !== SCORE_COLUMNS.join(',')) {
      throw new MlRunError('scores-table-columns', `${SCORES_SCHEMA}.${SCORES_TABLE} has the columns (${columns.join(', ')}), not (${SCORE_COLUMNS.join(', ')})`, { hint: `it was made by something else: drop table ${SCORES_SCHEMA}.${SCORES_TABLE} and score again` });
    }
    const userIdType = existing.rows[0]!.type;
    // Delete, not truncate: readers keep seeing the previous scores until the commit.
    await client.query(`delete from ${table}`);
    for (let start = 0; start < rows.length; start += CHUNK) {
      const part = rows.subarray(start, Math.min(rows.length, start + CHUNK));
      await client.query(
        `insert into ${table} (user_id, score, risk_band, model_version, scored_at) select t.user_id::${userIdType}, t.score, t.risk_band, $4, $5 from unnest($1::text[], $2::float8[], $3::text[]) as t(user_id, score, risk_band)`,
        [Array.from(part, (r) => frame.ids[r]!), Array.from(scores.subarray(start, start + part.length)), bands.slice(start, start + part.length), version, scoredAt],
      );
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    if (error instanceof MlRunError || error instanceof MlInputError) throw error;
    const e = error as { code?: string; message?: string };
    if (e.code === '22P02') {
      throw new MlInputError('id-type', `the ids of ${frame.description} do not fit ${SCORES_SCHEMA}.${SCORES_TABLE}.user_id: ${e.message}`, { hint: `drop table ${SCORES_SCHEMA}.${SCORES_TABLE} so it is made again with the type of this id column`, cause: error });
    }
    throw new MlRunError('write-scores-failed', `writing ${SCORES_SCHEMA}.${SCORES_TABLE} failed, and nothing was changed: ${e.message ?? String(error)}`, { cause: error });
  } finally {
    client.release();
  }
  await pool.query(`analyze ${table}`).catch(() => undefined);
}
