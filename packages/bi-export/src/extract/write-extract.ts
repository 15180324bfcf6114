import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { Mart } from '../schema/mart.js';
import type { ExtractFile, ExtractFormat } from './extract-manifest.js';
import { HashedFile } from './hashed-file.js';
import { ParquetExtract } from './parquet-extract.js';

/** Where a mart's rows come from: binary COPY for Parquet, CSV COPY for the CSV file. */
export interface MartSource {
  binary(mart: Mart): Readable;
  csv(mart: Mart): Readable;
}

export interface WriteExtractOptions {
  readonly outDir: string;
  readonly formats: readonly ExtractFormat[];
  /** Rows per Parquet row group (default 100,000). */
  readonly rowGroupRows?: number;
}

/**
 * Writes one mart to `<mart>.parquet` and/or `<mart>.csv`, both read in parallel from the same
 * snapshot. Files appear only when complete; on failure the partial files are removed.
 */
export async function writeMartExtract(mart: Mart, source: MartSource, options: WriteExtractOptions): Promise<ExtractFile[]> {
  const builtAt = new Date().toISOString();
  const parquet = options.formats.includes('parquet')
    ? new ParquetExtract(join(options.outDir, `${mart.name}.parquet`), mart.columns, options.rowGroupRows ?? 100_000, { 'reel.source_model': mart.uniqueId, 'reel.relation': `${mart.schema}.${mart.name}` })
    : undefined;
  const csv = options.formats.includes('csv') ? new HashedFile(join(options.outDir, `${mart.name}.csv`)) : undefined;
  try {
    const [parquetWritten, csvWritten] = await Promise.all([
      parquet ? writeParquet(parquet, source.binary(mart)) : undefined,
      csv ? writeCsv(csv, source.csv(mart)) : undefined,
    ]);
    const describe = (format: ExtractFormat, written: { sha256: string; bytes: number; rows: number }): ExtractFile => ({
      path: `${mart.name}.${format}`,
      format,
      mart: mart.name,
      relation: `${mart.schema}.${mart.name}`,
      source_model: mart.uniqueId,
      rows: written.rows,
      bytes: written.bytes,
      sha256: written.sha256,
      built_at: builtAt,
      columns: mart.columns.map((c) => ({
        name: c.name,
        type: c.type.pg,
        ...(format === 'parquet' ? { parquet_type: parquetTypeName(c.type.parquet) } : {}),
        powerbi_type: c.type.pushType,
        ...(c.description ? { description: c.description } : {}),
      })),
    });
    return [...(parquetWritten ? [describe('parquet', parquetWritten)] : []), ...(csvWritten ? [describe('csv', csvWritten)] : [])];
  } catch (error) {
    parquet?.abort();
    csv?.abort();
    throw error;
  }
}

async function writeParquet(parquet: ParquetExtract, stream: Readable): Promise<{ sha256: string; bytes: number; rows: number }> {
  await parquet.consume(stream as AsyncIterable<Buffer>);
  return parquet.close();
}

/** Copies COPY's CSV bytes into the file; the row count is COPY's own (`COPY n`). */
async function writeCsv(file: HashedFile, stream: Readable): Promise<{ sha256: string; bytes: number; rows: number }> {
  for await (const chunk of stream as AsyncIterable<Buffer>) await file.write(chunk);
  return { ...(await file.close()), rows: (stream as Readable & { rowCount?: number }).rowCount ?? 0 };
}

function parquetTypeName(element: Mart['columns'][number]['type']['parquet']): string {
  const logical = element.logical_type;
  if (logical?.type === 'TIMESTAMP') return `TIMESTAMP(${logical.unit}, utc=${logical.isAdjustedToUTC})`;
  if (logical?.type === 'DECIMAL') return `DECIMAL(${logical.precision},${logical.scale})`;
  if (logical?.type === 'DATE') return 'DATE';
  if (element.converted_type === 'UTF8') return 'STRING';
  return element.type ?? 'GROUP';
}
