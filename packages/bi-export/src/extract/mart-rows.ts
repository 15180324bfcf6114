import type { Readable } from 'node:stream';
import { quoteIdent, quoteLiteral, quoteRelation } from '@reel/modeler';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { Mart } from '../schema/mart.js';
import { binaryCopyQuery } from './binary-copy.js';

const SESSION = `set local timezone = 'UTC'; set local datestyle = 'ISO, YMD'; set local extra_float_digits = 3; set local intervalstyle = 'iso_8601'`;

const relation = (mart: Mart) => quoteRelation({ schema: mart.schema, identifier: mart.name });

/**
 * The COPY that writes the CSV file: PostgreSQL's own CSV (NULL an empty field, the empty string
 * `""`), with ISO 8601 timestamps (`2024-01-31T08:05:09.000000Z`), `true` / `false` and arrays
 * joined by ", " so that spreadsheets and BI tools read the types.
 */
export function csvCopyQuery(mart: Mart): string {
  const list = mart.columns.map((c) => {
    const name = quoteIdent(c.name);
    switch (c.type.kind) {
      case 'boolean':
        return `${name}::text as ${name}`;
      case 'timestamptz':
        return `to_char(${name} at time zone 'UTC', ${quoteLiteral('YYYY-MM-DD"T"HH24:MI:SS.US"Z"')}) as ${name}`;
      case 'timestamp':
        return `to_char(${name}, ${quoteLiteral('YYYY-MM-DD"T"HH24:MI:SS.US')}) as ${name}`;
      case 'array':
        return `array_to_string(${name}, ', ') as ${name}`;
      default:
        return name;
    }
  });
  return `copy (select ${list.join(', ')} from ${relation(mart)}) to stdout with (format csv, header true)`;
}

/**
 * Two connections reading the same snapshot of the database (an exported snapshot in two
 * read-only REPEATABLE READ transactions), so the Parquet and CSV files of a mart hold the same
 * rows while they are read in parallel, each through its own COPY … TO STDOUT.
 */
export class MartSnapshot {
  private constructor(
    private readonly clients: readonly pg.PoolClient[],
  ) {}

  static async open(pool: pg.Pool, readers: 1 | 2): Promise<MartSnapshot> {
    const clients: pg.PoolClient[] = [];
    try {
      for (let i = 0; i < readers; i++) clients.push(await pool.connect());
      await clients[0]!.query('begin isolation level repeatable read read only');
      await clients[0]!.query(SESSION);
      if (clients[1]) {
        const snapshot = (await clients[0]!.query<{ id: string }>('select pg_export_snapshot() as id')).rows[0]!.id;
        await clients[1].query('begin isolation level repeatable read read only');
        await clients[1].query(`set transaction snapshot ${quoteLiteral(snapshot)}`);
        await clients[1].query(SESSION);
      }
      return new MartSnapshot(clients);
    } catch (error) {
      for (const client of clients) {
        await client.query('rollback').catch(() => undefined);
        client.release();
      }
      throw error;
    }
  }

  /** The mart in PostgreSQL's binary COPY format, for the Parquet file (first connection). */
  binary(mart: Mart): Readable {
    return this.clients[0]!.query(copyTo(binaryCopyQuery(mart)));
  }

  /** The mart as CSV bytes, straight from COPY … TO STDOUT on the second connection. */
  csv(mart: Mart): Readable {
    const client = this.clients[1] ?? this.clients[0]!;
    return client.query(copyTo(csvCopyQuery(mart)));
  }

  /** Ends the transactions; after a failure the connections are dropped rather than reused. */
  async close(failed = false): Promise<void> {
    for (const client of this.clients) {
      if (failed) {
        client.release(true);
        continue;
      }
      await client.query('commit').catch(() => undefined);
      client.release();
    }
  }
}
