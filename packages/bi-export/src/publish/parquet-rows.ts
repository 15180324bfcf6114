import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { ExtractColumn } from '../extract/extract-manifest.js';

export type JsonRow = Record<string, string | number | boolean | null>;

/**
 * Reads a Parquet extract back in batches of `batchRows`, one row group in memory at a time
 * (hyparquet), with values as Power BI's push API takes them: numbers, booleans, ISO 8601 date
 * times (UTC with `Z` for zoned timestamps) and strings.
 */
export async function* parquetJsonBatches(path: string, columns: readonly ExtractColumn[], batchRows: number): AsyncGenerator<JsonRow[]> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const convert = columns.map((c) => converter(c));
  let start = 0;
  let pending: JsonRow[] = [];
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    const rows = (await parquetReadObjects({ file, metadata, rowStart: start, rowEnd: end })) as Record<string, unknown>[];
    start = end;
    for (const row of rows) {
      const out: JsonRow = {};
      for (let j = 0; j < columns.length; j++) out[columns[j]!.name] = convert[j]!(row[columns[j]!.name]);
      pending.push(out);
      if (pending.length === batchRows) {
        yield pending;
        pending = [];
      }
    }
  }
  if (pending.length > 0) yield pending;
}

function converter(column: ExtractColumn): (value: unknown) => string | number | boolean | null {
  const zoned = column.parquet_type?.includes('utc=true') ?? false;
  const isDate = column.parquet_type === 'DATE';
  // The reader scales decimals in floating point (35 → 0.35000000000000003): round to the scale.
  const scale = Number(/^DECIMAL\(\d+,(\d+)\)$/.exec(column.parquet_type ?? '')?.[1] ?? NaN);
  return (value) => {
    if (value === null || value === undefined) return null;
    if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    if (typeof value === 'number') return Number.isFinite(value) ? (Number.isNaN(scale) ? value : Number(value.toFixed(scale))) : null;
    if (value instanceof Date) {
      const iso = value.toISOString();
      if (zoned) return iso;
      return isDate ? `${iso.slice(0, 10)}T00:00:00` : iso.slice(0, -1);
    }
    return value as string | boolean;
  };
}
