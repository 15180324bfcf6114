import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * A file written as a stream, hashed (SHA-256) and counted on the way, that only appears under
 * its name when `close()` succeeds: it is written beside, as `<name>.partial`, and renamed.
 */
export class HashedFile {
  readonly path: string;
  private readonly partial: string;
  private readonly stream: WriteStream;
  private readonly hash: Hash = createHash('sha256');
  private failure: Error | undefined;
  bytes = 0;

  constructor(path: string) {
    this.path = path;
    this.partial = `${path}.partial`;
    this.stream = createWriteStream(this.partial);
    this.stream.on('error', (error) => {
      this.failure = error;
    });
  }

  /** Writes a chunk; resolves when the stream can take more (backpressure). */
  async write(chunk: Uint8Array | string): Promise<void> {
    if (this.failure) throw this.failure;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.hash.update(bytes);
    this.bytes += bytes.length;
    if (!this.stream.write(bytes)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          this.stream.off('error', onError);
          resolve();
        };
        const onError = (error: Error) => {
          this.stream.off('drain', onDrain);
          reject(error);
        };
        this.stream.once('drain', onDrain);
        this.stream.once('error', onError);
      });
    }
  }

  /** Finishes the file and moves it into place; resolves to its checksum and size. */
  async close(): Promise<{ sha256: string; bytes: number }> {
    this.stream.end();
    await once(this.stream, 'close');
    if (this.failure) throw this.failure;
    renameSync(this.partial, this.path);
    return { sha256: this.hash.digest('hex'), bytes: this.bytes };
  }

  /** Drops the partial file (after a failure). */
  abort(): void {
    this.stream.destroy();
    rmSync(this.partial, { force: true });
  }
}
