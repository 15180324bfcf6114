import { closeSync, openSync, writeSync } from 'node:fs';
import { createHash, type Hash } from 'node:crypto';

const NEEDS_QUOTES = /[",\r\n]/;

/** A CSV field: quoted (with doubled quotes) only when it holds a comma, quote or line break. */
export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

const BUFFER_SIZE = 1 << 20;

/**
 * Appends CSV lines to a file through a 1 MiB buffer that lines are encoded straight into (no
 * intermediate strings to collect), counting rows and hashing what it writes.
 */
export class CsvWriter {
  private readonly fd: number;
  private readonly buffer = Buffer.allocUnsafe(BUFFER_SIZE);
  private used = 0;
  rows = 0;
  bytes = 0;
  private readonly hash: Hash = createHash('sha256');

  constructor(
    readonly path: string,
    header: readonly string[] | undefined,
    mode: 'w' | 'a' = 'w',
  ) {
    this.fd = openSync(path, mode);
    if (header) this.write(`${header.join(',')}\n`);
  }

  /** One line; fields must already be CSV-safe (see csvField). */
  line(text: string): void {
    this.write(text);
    this.buffer[this.used++] = 10;
    this.rows++;
  }

  /** Bytes already made of whole lines (a worker's share). */
  lines(bytes: Uint8Array, count: number): void {
    if (this.used + bytes.length > BUFFER_SIZE) this.flush();
    if (bytes.length > BUFFER_SIZE) this.output(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
    else {
      this.buffer.set(bytes, this.used);
      this.used += bytes.length;
    }
    this.rows += count;
  }

  private write(text: string): void {
    // UTF-8 needs at most 3 bytes per UTF-16 unit; keep one byte for the newline.
    if (this.used + text.length * 3 + 1 > BUFFER_SIZE) {
      this.flush();
      if (text.length * 3 + 1 > BUFFER_SIZE) {
        this.output(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.used += this.buffer.write(text, this.used, 'utf8');
  }

  flush(): void {
    if (this.used === 0) return;
    this.output(this.buffer.subarray(0, this.used));
    this.used = 0;
  }

  private output(data: Buffer): void {
    writeSync(this.fd, data);
    this.hash.update(data);
    this.bytes += data.length;
  }

  /** Flushes and closes; returns the sha256 of what this writer wrote. */
  close(): string {
    this.flush();
    closeSync(this.fd);
    return this.hash.digest('hex');
  }
}
