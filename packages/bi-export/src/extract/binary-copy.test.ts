import { describe, expect, it } from 'vitest';
import { columnType } from '../schema/column-type.js';
import { BinaryCopyDecoder } from './binary-copy.js';
import { columnBuffer } from './column-buffer.js';

/** A binary COPY stream of rows whose fields are given as bytes (null for NULL). */
function copyStream(rows: (Buffer | null)[][]): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
  for (const row of rows) {
    const count = Buffer.alloc(2);
    count.writeInt16BE(row.length);
    parts.push(count);
    for (const field of row) {
      const length = Buffer.alloc(4);
      length.writeInt32BE(field === null ? -1 : field.length);
      parts.push(length, ...(field ? [field] : []));
    }
  }
  const end = Buffer.alloc(2);
  end.writeInt16BE(-1);
  return Buffer.concat([...parts, end]);
}
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const int64 = (n: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};
const float8 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(n);
  return b;
};

describe('binary COPY decoding', () => {
  it('decodes every field type, NULLs and ±infinity, across chunks split anywhere', () => {
    const types = ['bigint', 'integer', 'double precision', 'date', 'timestamp with time zone', 'boolean', 'text', 'numeric(8,2)'].map(columnType);
    const rows = [
      [int64(9007199254740993n), int32(-5), float8(0.1), int32(8795), int64(759_974_400_000_000n), Buffer.from([1]), Buffer.from('Zoë, "x"\n'), int64(-1234n)],
      [null, null, null, int32(2147483647), int64(9223372036854775807n), Buffer.from([0]), Buffer.from(''), null],
    ];
    const stream = copyStream(rows);
    for (const size of [1, 7, stream.length]) {
      const buffers = types.map((t) => columnBuffer(t, 1));
      const decoder = new BinaryCopyDecoder(buffers);
      let decoded = 0;
      for (let at = 0; at < stream.length; at += size) decoded += decoder.push(stream.subarray(at, at + size));
      decoded += decoder.end();
      expect(decoded, `chunks of ${size}`).toBe(2);
      const columns = buffers.map((b) => Array.from(b.take() as ArrayLike<unknown>));
      expect(columns).toEqual([
        [9007199254740993n, null],
        [-5, null],
        [0.1, null],
        [8795 + 10_957, null], // 2024-01-31, in days since 1970
        [759_974_400_000_000 + 946_684_800_000_000, null], // 2024-01-31 00:00 UTC, in µs since 1970
        [true, false],
        ['Zoë, "x"\n', ''],
        [-1234n, null],
      ]);
    }
  });

  it('refuses a stream cut in the middle of a row', () => {
    const stream = copyStream([[int32(1)]]);
    const decoder = new BinaryCopyDecoder([columnBuffer(columnType('integer'), 4)]);
    decoder.push(stream.subarray(0, stream.length - 4));
    expect(() => decoder.end()).toThrow('the COPY stream ended in the middle of a row');
  });
});
