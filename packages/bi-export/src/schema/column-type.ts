import type { SchemaElement } from 'hyparquet';

/** How a value travels from PostgreSQL's text form to the files and services. */
export type ValueKind = 'int32' | 'int64' | 'double' | 'decimal' | 'boolean' | 'date' | 'timestamptz' | 'timestamp' | 'string' | 'array';

/** Power BI push-dataset column types (REST `Column.dataType`). */
export type PushDataType = 'Int64' | 'Double' | 'Decimal' | 'Boolean' | 'DateTime' | 'String';

/** TMDL `dataType` values. */
export type TmdlDataType = 'int64' | 'double' | 'decimal' | 'boolean' | 'dateTime' | 'string';

/** Tableau `local-type` values. */
export type TableauLocalType = 'integer' | 'real' | 'boolean' | 'date' | 'datetime' | 'string';

/** One PostgreSQL column type and what it becomes in each target. */
export interface ColumnType {
  /** As `format_type` prints it, e.g. `numeric(12,2)`, `timestamp with time zone`, `text[]`. */
  readonly pg: string;
  readonly kind: ValueKind;
  /** For `decimal`: digits after the point. */
  readonly scale?: number;
  readonly precision?: number;
  readonly parquet: Readonly<Omit<SchemaElement, 'name'>>;
  readonly pushType: PushDataType;
  readonly tmdlType: TmdlDataType;
  readonly tableau: { readonly localType: TableauLocalType; readonly remoteType: number; readonly aggregation: string };
}

const OPTIONAL = 'OPTIONAL' as const;

/**
 * Maps a PostgreSQL type (the text of `format_type`) to the types of Parquet, Power BI and Tableau.
 * Unconstrained `numeric` has no fixed scale, so it becomes a double; `numeric(p,s)` with p ≤ 18
 * stays exact (Parquet DECIMAL; Power BI Decimal when s ≤ 4, its fixed-decimal limit). Arrays become
 * text, their elements joined by ", ". Anything unknown (uuid, json, interval, …) is text.
 *
 * @example
 * columnType('bigint').pushType // 'Int64'
 * columnType('timestamp with time zone').parquet.logical_type // { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' }
 */
export function columnType(pg: string): ColumnType {
  const type = pg.trim().toLowerCase();
  if (type.endsWith('[]')) return text(pg, 'array');
  switch (type) {
    case 'smallint':
    case 'integer':
      return { pg, kind: 'int32', parquet: { type: 'INT32', repetition_type: OPTIONAL }, pushType: 'Int64', tmdlType: 'int64', tableau: { localType: 'integer', remoteType: type === 'smallint' ? 2 : 3, aggregation: 'Sum' } };
    case 'bigint':
      return { pg, kind: 'int64', parquet: { type: 'INT64', repetition_type: OPTIONAL }, pushType: 'Int64', tmdlType: 'int64', tableau: { localType: 'integer', remoteType: 20, aggregation: 'Sum' } };
    case 'real':
    case 'double precision':
    case 'numeric':
      return { pg, kind: 'double', parquet: { type: 'DOUBLE', repetition_type: OPTIONAL }, pushType: 'Double', tmdlType: 'double', tableau: { localType: 'real', remoteType: type === 'numeric' ? 131 : type === 'real' ? 4 : 5, aggregation: 'Sum' } };
    case 'boolean':
      return { pg, kind: 'boolean', parquet: { type: 'BOOLEAN', repetition_type: OPTIONAL }, pushType: 'Boolean', tmdlType: 'boolean', tableau: { localType: 'boolean', remoteType: 11, aggregation: 'Count' } };
    case 'date':
      return { pg, kind: 'date', parquet: { type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' }, repetition_type: OPTIONAL }, pushType: 'DateTime', tmdlType: 'dateTime', tableau: { localType: 'date', remoteType: 133, aggregation: 'Year' } };
    case 'timestamp with time zone':
      return { pg, kind: 'timestamptz', parquet: { type: 'INT64', converted_type: 'TIMESTAMP_MICROS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' }, repetition_type: OPTIONAL }, pushType: 'DateTime', tmdlType: 'dateTime', tableau: { localType: 'datetime', remoteType: 135, aggregation: 'Year' } };
    case 'timestamp without time zone':
      return { pg, kind: 'timestamp', parquet: { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' }, repetition_type: OPTIONAL }, pushType: 'DateTime', tmdlType: 'dateTime', tableau: { localType: 'datetime', remoteType: 135, aggregation: 'Year' } };
  }
  const numeric = /^numeric\((\d+)(?:,\s*(\d+))?\)$/.exec(type);
  if (numeric) {
    const precision = Number(numeric[1]);
    const scale = Number(numeric[2] ?? 0);
    if (precision <= 18) {
      return {
        pg,
        kind: 'decimal',
        precision,
        scale,
        parquet: { type: 'INT64', converted_type: 'DECIMAL', logical_type: { type: 'DECIMAL', precision, scale }, precision, scale, repetition_type: OPTIONAL },
        pushType: scale <= 4 ? 'Decimal' : 'Double',
        tmdlType: scale <= 4 ? 'decimal' : 'double',
        tableau: { localType: 'real', remoteType: 131, aggregation: 'Sum' },
      };
    }
    return { ...columnType('numeric'), pg };
  }
  return text(pg, 'string');
}

function text(pg: string, kind: 'string' | 'array'): ColumnType {
  return { pg, kind, parquet: { type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: OPTIONAL }, pushType: 'String', tmdlType: 'string', tableau: { localType: 'string', remoteType: 129, aggregation: 'Count' } };
}
