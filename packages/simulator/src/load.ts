import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { openDatabase, quoteIdent, readProfileName, resolveTarget } from '@reel/modeler';
import { FEED_NAMES, FEEDS, PLAIN_FEEDS, type FeedName } from './feeds.js';
import { LineCheck, type RejectedLine } from './line-check.js';
import { readRunRecord } from './simulate.js';
import { SimulationError } from './simulation-error.js';

export interface LoadOptions {
  /** The models project whose connection (profiles.yml, embedded server under .reel/) to use. */
  readonly projectDir: string;
  readonly target?: string;
  readonly profilesDir?: string;
  readonly profile?: string;
  readonly schema?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly log?: (line: string) => void;
}

export interface FeedLoad {
  readonly rows: number;
  readonly rejected: number;
  readonly seconds: number;
}

export interface LoadReport {
  readonly target: string;
  readonly schema: string;
  readonly feeds: Readonly<Record<FeedName, FeedLoad>>;
}

export const REJECTS_TABLE = 'load_rejects';

/**
 * Loads every feed of the run in `out` into `<schema>.<feed>` (all columns text) with COPY. Each
 * feed is replaced in one transaction (truncate, copy, rejects), so a rerun never duplicates rows
 * and a failed load leaves the previous rows in place. Lines that are not valid rows of their feed
 * go to `<schema>.load_rejects` with their line number and reason.
 */
export async function loadRun(out: string, options: LoadOptions): Promise<LoadReport> {
  const record = readRunRecord(out);
  for (const name of FEED_NAMES) {
    const size = statSync(join(out, `${name}.csv`), { throwIfNoEntry: false })?.size;
    if (size !== record.sizes[name]) {
      throw new SimulationError('run-interrupted', `${join(out, `${name}.csv`)} is ${size === undefined ? 'missing' : `${size} bytes, not the ${record.sizes[name]} run.json recorded`}: the last simulate in ${out} did not finish`, {
        hint: 'run the same simulate command again (an --append-days run is cut back and redone), then load',
      });
    }
  }
  const schema = options.schema ?? 'raw';
  const env = options.env ?? process.env;
  const target = resolveTarget({ projectRoot: options.projectDir, profile: options.profile ?? readProfileName(options.projectDir), target: options.target, profilesDir: options.profilesDir, env });
  const database = await openDatabase(target, { projectRoot: options.projectDir, threads: 3, log: options.log });
  try {
    await database.pool.query(`create schema if not exists ${quoteIdent(schema)}`);
    await database.pool.query(
      `create table if not exists ${quoteIdent(schema)}.${quoteIdent(REJECTS_TABLE)} (feed text not null, line_number bigint not null, reason text not null, line text not null)`,
    );
    const feeds = {} as Record<FeedName, FeedLoad>;
    // Big feeds first, three at a time.
    const order = [...FEED_NAMES].sort((a, b) => record.sizes[b] - record.sizes[a]);
    let next = 0;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (next < order.length) {
          const name = order[next++]!;
          feeds[name] = await loadFeed(database.pool, schema, name, join(out, `${name}.csv`));
          options.log?.(`loaded ${schema}.${name}: ${feeds[name].rows} rows${feeds[name].rejected ? `, ${feeds[name].rejected} lines rejected` : ''} in ${feeds[name].seconds.toFixed(2)}s`);
        }
      }),
    );
    return { target: target.display, schema, feeds };
  } finally {
    await database.close();
  }
}

async function loadFeed(pool: pg.Pool, schema: string, name: FeedName, file: string): Promise<FeedLoad> {
  const started = performance.now();
  const columns = FEEDS[name];
  const table = `${quoteIdent(schema)}.${quoteIdent(name)}`;
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query(`create table if not exists ${table} (${columns.map((c) => `${quoteIdent(c)} text`).join(', ')})`);
    const existing = await client.query<{ column_name: string }>(
      'select column_name from information_schema.columns where table_schema = $1 and table_name = $2 order by ordinal_position',
      [schema, name],
    );
    const found = existing.rows.map((row) => row.column_name);
    if (found.join(',') !== columns.join(',')) {
      throw new SimulationError('raw-columns', `${schema}.${name} has the columns (${found.join(', ')}), not the feed's (${columns.join(', ')})`, {
        hint: `it was made by another version of the simulator: drop table ${schema}.${name} and load again`,
      });
    }
    await client.query(`truncate ${table}`);
    const copy = client.query(copyFrom(`copy ${table} (${columns.map(quoteIdent).join(', ')}) from stdin with (format csv)`));
    const rejected: RejectedLine[] = [];
    let rows: number;
    if (PLAIN_FEEDS.has(name)) {
      const check = new LineCheck(columns.length);
      await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), check, copy);
      rejected.push(...check.rejected);
      rows = check.passed;
    } else {
      const check = new RecordCheck(columns.length);
      await pipeline(createReadStream(file), parse({ raw: true, skip_records_with_error: true, relax_quotes: false, from_line: 2, info: true }).on('skip', (error: Error & { lines?: number; raw?: string }) => check.skipped(error)), check, copy);
      rejected.push(...check.rejected);
      rows = check.passed;
    }
    await client.query(`delete from ${quoteIdent(schema)}.${quoteIdent(REJECTS_TABLE)} where feed = $1`, [name]);
    for (let i = 0; i < rejected.length; i += 5000) {
      const part = rejected.slice(i, i + 5000);
      await client.query(
        `insert into ${quoteIdent(schema)}.${quoteIdent(REJECTS_TABLE)} (feed, line_number, reason, line) select $1, * from unnest($2::bigint[], $3::text[], $4::text[])`,
        [name, part.map((r) => r.lineNumber), part.map((r) => r.reason), part.map((r) => r.line)],
      );
    }
    await client.query('commit');
    return { rows, rejected: rejected.length, seconds: (performance.now() - started) / 1000 };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    if (error instanceof SimulationError) throw error;
    throw new SimulationError('load-failed', `loading ${file} into ${schema}.${name} failed: ${(error as Error).message}`, {
      hint: 'nothing was changed in that table; fix the cause and load again',
      cause: error,
    });
  } finally {
    client.release();
  }
}

/** For feeds with quoted fields (content): csv-parse finds the records; each valid one is passed on as written. */
class RecordCheck extends Transform {
  readonly rejected: RejectedLine[] = [];
  passed = 0;

  constructor(private readonly fields: number) {
    super({ writableObjectMode: true });
  }

  skipped(error: Error & { lines?: number; raw?: string }): void {
    this.rejected.push({ lineNumber: error.lines ?? 0, line: error.raw ?? '', reason: error.message });
  }

  override _transform(record: { record: string[]; raw: string; info: { lines: number } }, _encoding: BufferEncoding, done: TransformCallback): void {
    if (record.record.length !== this.fields) {
      this.rejected.push({ lineNumber: record.info.lines, line: record.raw.replace(/\r?\n$/, ''), reason: `${record.record.length} fields where ${this.fields} were expected` });
    } else {
      this.passed++;
      this.push(record.raw.endsWith('\n') ? record.raw : `${record.raw}\n`);
    }
    done();
  }
}
