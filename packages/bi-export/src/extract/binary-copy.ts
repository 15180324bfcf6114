import { quoteIdent, quoteRelation } from '@reel/modeler';
import type { Mart } from '../schema/mart.js';
import type { ColumnBuffer } from './column-buffer.js';

/**
 * The COPY the Parquet file is read with, in PostgreSQL's binary format. The SELECT casts each
 * column to a form the decoder reads directly: int2/int4/int8, float8 for numeric and floating
 * types (numeric → float8 rounds correctly, as parsing its text would), the scaled integer for
 * numeric(p,s) (`price * 100` for numeric(8,2)), bool, date, timestamp(tz), and text for
 * everything else (arrays joined by ", ").
 */
export function binaryCopyQuery(mart: Mart): string {
  const list = mart.columns.map((c) => {
    const name = quoteIdent(c.name);
    switch (c.type.kind) {
      case 'int32':
      case 'int64':
      case 'boolean':
      case 'date':
      case 'timestamptz':
      case 'timestamp':
        return name;
      case 'double':
        return `${name}::float8 as ${name}`;
      case 'decimal':
        return `(${name} * ${10n ** BigInt(c.type.scale ?? 0)})::int8 as ${name}`;
      case 'array':
        return `array_to_string(${name}, ', ') as ${name}`;
      case 'string':
        return `${name}::text as ${name}`;
    }
  });
  return `copy (select ${list.join(', ')} from ${quoteRelation({ schema: mart.schema, identifier: mart.name })}) to stdout with (format binary)`;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Decodes PostgreSQL's binary COPY stream (header, then per row an int16 field count and per field
 * an int32 length, -1 for NULL, and the bytes; an int16 -1 ends it) into column buffers. Chunks
 * may split rows anywhere: they are gathered until a megabyte is there, and the part of a row at
 * the end waits for the next chunk.
 */
export class BinaryCopyDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private headerRead = false;
  private finished = false;
  rows = 0;

  constructor(private readonly buffers: readonly ColumnBuffer[]) {}

  /** Adds a chunk; returns the number of whole rows decoded from what has arrived. */
  push(chunk: Buffer, force = false): number {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (!force && this.pendingBytes < 1 << 20) return 0;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let at = 0;
    if (!this.headerRead) {
      if (data.length < 19) return this.keep(data, 0, 0);
      if (!data.subarray(0, 11).equals(SIGNATURE)) throw new Error('the COPY stream is not in PostgreSQL binary format');
      at = 19 + data.readUInt32BE(15);
      this.headerRead = true;
    }
    const columns = this.buffers.length;
    let rows = 0;
    while (at + 2 <= data.length) {
      const fields = data.readInt16BE(at);
      if (fields === -1) {
        this.finished = true;
        at += 2;
        break;
      }
      if (fields !== columns) throw new Error(`a COPY row has ${fields} fields, not ${columns}`);
      // Is the whole row here?
      let end = at + 2;
      let complete = true;
      for (let j = 0; j < columns; j++) {
        if (end + 4 > data.length) {
          complete = false;
          break;
        }
        const length = data.readInt32BE(end);
        end += 4 + (length > 0 ? length : 0);
      }
      if (!complete || end > data.length) break;
      let field = at + 2;
      for (let j = 0; j < columns; j++) {
        const length = data.readInt32BE(field);
        field += 4;
        if (length < 0) this.buffers[j]!.addNull();
        else {
          this.buffers[j]!.add(data, field, length);
          field += length;
        }
      }
      at = end;
      rows++;
    }
    this.rows += rows;
    return this.keep(data, at, rows);
  }

  private keep(data: Buffer, from: number, rows: number): number {
    const rest = data.subarray(from);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return rows;
  }

  /** Decodes what is left; the stream must have ended with its trailer. */
  end(): number {
    const rows = this.push(Buffer.alloc(0), true);
    if (!this.finished || this.pendingBytes > 0) throw new Error('the COPY stream ended in the middle of a row');
    return rows;
  }
}
