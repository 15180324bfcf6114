import { createReadStream, existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { quoteIdent } from '@reel/modeler';
import { MlInputError, MlRunError } from '../errors.js';
import { describeSource, type ChurnDataConfig, type DataSource } from './data-config.js';
import { checkColumns, FrameBuilder, type Frame } from './frame.js';

export interface ReadOptions {
  /** Needed for table and query sources. */
  readonly pool?: pg.Pool;
  /** Whether the label column must be there (training) or may be absent (scoring). */
  readonly withLabel: boolean;
  /** The database, for messages (`postgres://…/reel`). */
  readonly where?: string;
}

/**
 * Reads the columns the config names from its source into a Frame: a table or query through
 * `COPY … TO STDOUT` (streamed, so 100k members × 90 days stay small), or a CSV file with a header.
 * A missing column, a non-binary label, a value that is not of its declared kind, or a source
 * without rows is an MlInputError of one sentence.
 */
export async function readFrame(config: ChurnDataConfig, options: ReadOptions): Promise<Frame> {
  const frame = config.source.kind === 'csv' ? await readCsv(config, config.source, options) : await readDatabase(config, config.source, options);
  if (frame.rows === 0) {
    throw new MlInputError('empty-source', `${frame.description} has no rows`, {
      hint: config.source.kind === 'table' && config.source.table.endsWith('user_churn_signals') ? 'simulate and load data, then build the models project (`model build --project-dir packages/models --exclude tag:ml`)' : 'point the config at a source with rows',
    });
  }
  return frame;
}

/** `schema.table` or `table` as a quoted relation; anything else is an input error. */
export function quoteTableName(name: string): string {
  const parts = name.split('.');
  if (parts.length > 2 || parts.some((p) => p.trim() === '')) {
    throw new MlInputError('bad-table-name', `"${name}" is not a table name; write schema.table or table`, { hint: 'for anything more, give a query in the config file (source: {query: …})' });
  }
  return parts.map((p) => quoteIdent(p.trim())).join('.');
}

async function readDatabase(config: ChurnDataConfig, source: Extract<DataSource, { kind: 'table' | 'query' }>, options: ReadOptions): Promise<Frame> {
  if (!options.pool) throw new MlRunError('no-database', `reading ${describeSource(source)} needs a database connection`);
  const from = source.kind === 'table' ? quoteTableName(source.table) : `(${source.sql.trim().replace(/;\s*$/, '')}) as source`;
  const description = source.kind === 'table' ? source.table : 'the query given in the config';
  const client = await options.pool.connect();
  try {
    let fields: pg.FieldDef[];
    try {
      fields = (await client.query(`select * from ${from} limit 0`)).fields;
    } catch (error) {
      const e = error as { code?: string; message?: string };
      if (e.code === '42P01' && source.kind === 'table') {
        throw new MlInputError('no-such-table', `the table ${source.table} does not exist in ${options.where ?? 'the database'}`, {
          hint: source.table.endsWith('user_churn_signals') ? 'build the models project first (`model build --project-dir packages/models --exclude tag:ml`), or pass --database-url for the database that has it' : 'check the name with its schema (schema.table), or pass --database-url',
          cause: error,
        });
      }
      throw new MlInputError('source-query-failed', `reading ${description} failed: ${e.message ?? String(error)}`, { hint: source.kind === 'query' ? 'fix the query in the config file' : 'check the table and your permissions on it', cause: error });
    }
    const available = fields.map((f) => f.name);
    checkColumns(config, available, description, options.withLabel);
    const withLabel = options.withLabel || available.includes(config.label);
    const builder = new FrameBuilder(config, description, withLabel);
    const columns = builder.columnNames;
    const idField = fields.find((f) => f.name === config.id)!;
    const idType = (await client.query<{ t: string }>('select format_type($1::oid, null) as t', [idField.dataTypeID])).rows[0]!.t;
    const copy = client.query(copyTo(`copy (select ${columns.map(quoteIdent).join(', ')} from ${from}) to stdout with (format csv)`));
    await pipeline(copy, parse({ relax_quotes: false }), recordSink(builder));
    return builder.finish(idType);
  } catch (error) {
    if (error instanceof MlInputError || error instanceof MlRunError) throw error;
    throw new MlRunError('read-failed', `reading ${description} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    client.release();
  }
}

async function readCsv(config: ChurnDataConfig, source: Extract<DataSource, { kind: 'csv' }>, options: ReadOptions): Promise<Frame> {
  if (!existsSync(source.file)) {
    throw new MlInputError('no-such-file', `the CSV file ${source.file} does not exist`, { hint: 'check the path given to --csv (or source.csv in the config, read relative to the config file)' });
  }
  const delimiter = source.delimiter ?? (/\.tsv$/i.test(source.file) ? '\t' : ',');
  let builder: FrameBuilder | undefined;
  let order: number[] = [];
  let headerSeen = false;
  const sink = new Writable({
    objectMode: true,
    write(record: string[], _encoding, done) {
      try {
        if (!headerSeen) {
          headerSeen = true;
          const header = record.map((h) => h.trim());
          checkColumns(config, header, source.file, options.withLabel);
          const withLabel = options.withLabel || header.includes(config.label);
          builder = new FrameBuilder(config, source.file, withLabel, 2);
          order = builder.columnNames.map((name) => header.indexOf(name));
        } else {
          builder!.add(order.map((i) => record[i] ?? ''));
        }
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
  try {
    await pipeline(createReadStream(source.file), parse({ delimiter, bom: true, skip_empty_lines: true }), sink);
  } catch (error) {
    if (error instanceof MlInputError) throw error;
    const e = error as { lines?: number; message?: string; code?: string };
    throw new MlInputError('csv-unreadable', `${source.file}${e.lines ? ` line ${e.lines}` : ''} is not valid CSV: ${e.message ?? String(error)}`, { hint: 'fix that line, or set source.delimiter in the config if the file is not comma-separated' });
  }
  if (!builder) {
    throw new MlInputError('empty-source', `${source.file} is empty`, { hint: 'point the config at a CSV file with a header and rows' });
  }
  return builder.finish();
}

function recordSink(builder: FrameBuilder): Writable {
  return new Writable({
    objectMode: true,
    write(record: string[], _encoding, done) {
      try {
        builder.add(record);
        done();
      } catch (error) {
        done(error as Error);
      }
    },
  });
}
