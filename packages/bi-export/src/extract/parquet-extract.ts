import type { SchemaElement } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { MartColumn } from '../schema/mart.js';
import { HashedFile } from './hashed-file.js';
import { columnBuffer, type ColumnBuffer } from './column-buffer.js';
import { BinaryCopyDecoder } from './binary-copy.js';

/** A ByteWriter that hands each finished row group to a file instead of growing in memory. */
class FileByteWriter extends ByteWriter {
  constructor(private readonly file: HashedFile) {
    super(1 << 20);
  }

  flush(): Promise<void> {
    // Copied out: the buffer is reused for the next row group while the stream writes this one.
    const bytes = new Uint8Array(this.buffer, 0, this.index).slice();
    this.index = 0;
    return this.file.write(bytes);
  }

  override finish(): void {
    // ParquetWriter.finish ends with this; the footer is flushed by ParquetExtract.close.
  }
}

/** The Parquet schema of a mart: one optional leaf per column, typed as columnType says. */
export function parquetSchema(columns: readonly MartColumn[]): SchemaElement[] {
  return [{ name: 'schema', num_children: columns.length }, ...columns.map((c) => ({ ...c.type.parquet, name: c.name }) as SchemaElement)];
}

/**
 * A Parquet file written one row group at a time (hyparquet-writer), so memory holds one row
 * group, never the mart. Rows come from a binary COPY stream, decoded straight into typed columns.
 */
export class ParquetExtract {
  private readonly file: HashedFile;
  private readonly byteWriter: FileByteWriter;
  private readonly writer: ParquetWriter;
  private readonly buffers: ColumnBuffer[];
  private pendingRows = 0;
  rows = 0;

  constructor(
    path: string,
    private readonly columns: readonly MartColumn[],
    private readonly rowGroupRows: number,
    metadata: Record<string, string> = {},
  ) {
    this.file = new HashedFile(path);
    this.byteWriter = new FileByteWriter(this.file);
    this.writer = new ParquetWriter({
      writer: this.byteWriter,
      schema: parquetSchema(columns),
      codec: 'SNAPPY',
      createdBy: 'reel bi export (hyparquet-writer)',
      kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    });
    this.buffers = columns.map((c) => columnBuffer(c.type, rowGroupRows + 1024));
  }

  /** Writes the rows of a binary COPY stream (see binary-copy.ts), a row group at a time. */
  async consume(stream: AsyncIterable<Buffer>): Promise<void> {
    const decoder = new BinaryCopyDecoder(this.buffers);
    for await (const chunk of stream) {
      this.pendingRows += decoder.push(chunk);
      if (this.pendingRows >= this.rowGroupRows) await this.writeRowGroup();
    }
    this.pendingRows += decoder.end();
    this.rows = decoder.rows;
  }

  private async writeRowGroup(): Promise<void> {
    if (this.pendingRows === 0) return;
    // Min/max statistics for numbers and dates (what readers prune row groups on); text would
    // cost a comparison of every string.
    const columnData = this.columns.map((c, j) => ({ name: c.name, data: this.buffers[j]!.take(), statistics: c.type.kind !== 'string' && c.type.kind !== 'array' }));
    const rows = this.pendingRows;
    this.pendingRows = 0;
    await this.writer.write({ columnData, rowGroupSize: rows });
  }

  async close(): Promise<{ sha256: string; bytes: number; rows: number }> {
    await this.writeRowGroup();
    await this.writer.finish();
    await this.byteWriter.flush();
    return { ...(await this.file.close()), rows: this.rows };
  }

  abort(): void {
    this.file.abort();
  }
}
