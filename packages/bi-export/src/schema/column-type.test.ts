import { describe, expect, it } from 'vitest';
import { columnType } from './column-type.js';

describe('columnType', () => {
  it('maps PostgreSQL types to Parquet, Power BI, TMDL and Tableau', () => {
    const table = Object.fromEntries(
      ['smallint', 'integer', 'bigint', 'numeric', 'numeric(12,2)', 'numeric(30,10)', 'double precision', 'boolean', 'date', 'timestamp with time zone', 'timestamp without time zone', 'text', 'character varying(20)', 'text[]', 'uuid'].map((t) => {
        const c = columnType(t);
        return [t, `${c.kind} ${c.parquet.type}${c.parquet.converted_type ? `/${c.parquet.converted_type}` : ''} ${c.pushType} ${c.tmdlType} ${c.tableau.localType}`];
      }),
    );
    expect(table).toEqual({
      smallint: 'int32 INT32 Int64 int64 integer',
      integer: 'int32 INT32 Int64 int64 integer',
      bigint: 'int64 INT64 Int64 int64 integer',
      numeric: 'double DOUBLE Double double real',
      'numeric(12,2)': 'decimal INT64/DECIMAL Decimal decimal real',
      'numeric(30,10)': 'double DOUBLE Double double real',
      'double precision': 'double DOUBLE Double double real',
      boolean: 'boolean BOOLEAN Boolean boolean boolean',
      date: 'date INT32/DATE DateTime dateTime date',
      'timestamp with time zone': 'timestamptz INT64/TIMESTAMP_MICROS DateTime dateTime datetime',
      'timestamp without time zone': 'timestamp INT64 DateTime dateTime datetime',
      text: 'string BYTE_ARRAY/UTF8 String string string',
      'character varying(20)': 'string BYTE_ARRAY/UTF8 String string string',
      'text[]': 'array BYTE_ARRAY/UTF8 String string string',
      uuid: 'string BYTE_ARRAY/UTF8 String string string',
    });
    expect(columnType('timestamp without time zone').parquet.logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' });
  });
});
