import type { ColumnType } from '../schema/column-type.js';

/** The values of one column of a row group, as the Parquet writer takes them. */
export type ColumnValues = Int32Array | Float64Array | BigInt64Array | (number | bigint | boolean | string | null)[];

/**
 * One column of the row group being filled, from the fields of PostgreSQL's binary COPY format
 * (big-endian; see binary-copy.ts for the SELECT that makes each field one of these forms).
 * Numbers, dates and timestamps go into typed arrays, so there is no boxed value per row; a row
 * group without NULLs is handed to the writer as the typed array itself, one with NULLs as a plain
 * array. Text and booleans stay plain arrays.
 */
export interface ColumnBuffer {
  /** A non-NULL field: `length` bytes of `data` from `offset`. */
  add(data: Buffer, offset: number, length: number): void;
  addNull(): void;
  /** The values added since the last take, and a fresh start. */
  take(): ColumnValues;
}

/** 2000-01-01, PostgreSQL's epoch, in days and in microseconds since 1970-01-01. */
const PG_EPOCH_DAYS = 10_957;
const PG_EPOCH_MICROS = 946_684_800_000_000;
const TWO_32 = 4_294_967_296;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function columnBuffer(type: ColumnType, capacity: number): ColumnBuffer {
  switch (type.kind) {
    case 'int32':
      return new TypedBuffer(Int32Array, capacity, (data, offset, length) => (length === 2 ? data.readInt16BE(offset) : data.readInt32BE(offset)));
    case 'date':
      // ±infinity are INT32 max / min: no date a BI tool has.
      return new TypedBuffer(Int32Array, capacity, (data, offset) => {
        const days = data.readInt32BE(offset);
        return days === 2147483647 || days === -2147483648 ? null : days + PG_EPOCH_DAYS;
      });
    case 'double':
      return new TypedBuffer(Float64Array, capacity, (data, offset) => data.readDoubleBE(offset));
    case 'timestamptz':
    case 'timestamp':
      // Microseconds as a number (exact: years 1 to 9999 stay below 2^53); the writer makes the
      // INT64. ±infinity are INT64 max / min.
      return new TypedBuffer(Float64Array, capacity, (data, offset) => {
        const high = data.readInt32BE(offset);
        const low = data.readUInt32BE(offset + 4);
        if ((high === 2147483647 && low === 4294967295) || (high === -2147483648 && low === 0)) return null;
        return high * TWO_32 + low + PG_EPOCH_MICROS;
      });
    case 'int64':
    case 'decimal':
      return new Int64Buffer(capacity);
    case 'boolean':
      return new PlainBuffer((data, offset) => data[offset] === 1);
    case 'string':
    case 'array':
      return new PlainBuffer((data, offset, length) => data.toString('utf8', offset, offset + length));
  }
}

type TypedArray = Int32Array | Float64Array;

class TypedBuffer<T extends TypedArray> implements ColumnBuffer {
  private values: T;
  private nulls: number[] = [];
  private length = 0;

  constructor(
    private readonly Kind: { new (length: number): T },
    private capacity: number,
    private readonly read: (data: Buffer, offset: number, length: number) => number | null,
  ) {
    this.values = new Kind(capacity);
  }

  add(data: Buffer, offset: number, length: number): void {
    const value = this.read(data, offset, length);
    if (value === null) return this.addNull();
    if (this.length === this.capacity) this.grow();
    this.values[this.length++] = value;
  }

  addNull(): void {
    if (this.length === this.capacity) this.grow();
    this.nulls.push(this.length++);
  }

  private grow(): void {
    this.capacity *= 2;
    const bigger = new this.Kind(this.capacity);
    bigger.set(this.values);
    this.values = bigger;
  }

  take(): ColumnValues {
    const filled = this.values.slice(0, this.length) as T;
    let result: ColumnValues = filled;
    if (this.nulls.length > 0) {
      const plain: (number | null)[] = Array.from(filled);
      for (const i of this.nulls) plain[i] = null;
      result = plain;
    }
    this.length = 0;
    this.nulls = [];
    return result;
  }
}

/**
 * INT64 values copied byte by byte (big-endian to the machine's little-endian) into a
 * BigInt64Array: no BigInt is made per row.
 */
class Int64Buffer implements ColumnBuffer {
  private values: BigInt64Array;
  private bytes: Uint8Array;
  private nulls: number[] = [];
  private length = 0;

  constructor(private capacity: number) {
    this.values = new BigInt64Array(capacity);
    this.bytes = new Uint8Array(this.values.buffer);
  }

  add(data: Buffer, offset: number): void {
    if (this.length === this.capacity) this.grow();
    const at = this.length++ * 8;
    if (LITTLE_ENDIAN) for (let i = 0; i < 8; i++) this.bytes[at + i] = data[offset + 7 - i]!;
    else for (let i = 0; i < 8; i++) this.bytes[at + i] = data[offset + i]!;
  }

  addNull(): void {
    if (this.length === this.capacity) this.grow();
    this.values[this.length] = 0n;
    this.nulls.push(this.length++);
  }

  private grow(): void {
    this.capacity *= 2;
    const bigger = new BigInt64Array(this.capacity);
    bigger.set(this.values);
    this.values = bigger;
    this.bytes = new Uint8Array(bigger.buffer);
  }

  take(): ColumnValues {
    const filled = this.values.slice(0, this.length);
    let result: ColumnValues = filled;
    if (this.nulls.length > 0) {
      const plain: (bigint | null)[] = Array.from(filled);
      for (const i of this.nulls) plain[i] = null;
      result = plain;
    }
    this.length = 0;
    this.nulls = [];
    return result;
  }
}

class PlainBuffer implements ColumnBuffer {
  private values: (boolean | string | null)[] = [];

  constructor(private readonly read: (data: Buffer, offset: number, length: number) => boolean | string) {}

  add(data: Buffer, offset: number, length: number): void {
    this.values.push(this.read(data, offset, length));
  }

  addNull(): void {
    this.values.push(null);
  }

  take(): ColumnValues {
    const values = this.values;
    this.values = [];
    return values;
  }
}
