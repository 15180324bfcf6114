import { Transform, type TransformCallback } from 'node:stream';

export interface RejectedLine {
  /** 1-based line number in the file (the header is line 1). */
  readonly lineNumber: number;
  readonly line: string;
  readonly reason: string;
}

const COMMA = 44;
const QUOTE = 34;
const NEWLINE = 10;
const RETURN = 13;

/**
 * Passes through the lines of a plain feed (see PLAIN_FEEDS) that have exactly `fields` fields and
 * no quote, without the header, as Buffer slices (no copying); keeps every other line as rejected
 * with its reason. Counting bytes, not parsing: valid lines of these feeds cannot hold a quote.
 */
export class LineCheck extends Transform {
  readonly rejected: RejectedLine[] = [];
  passed = 0;
  private carry: Buffer | undefined;
  private lineNumber = 0;

  constructor(private readonly fields: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const data = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    let start = 0;
    let goodStart = 0;
    let commas = 0;
    let quotes = false;
    for (let i = 0; i < data.length; i++) {
      const byte = data[i]!;
      if (byte === COMMA) commas++;
      else if (byte === QUOTE) quotes = true;
      else if (byte === NEWLINE) {
        this.lineNumber++;
        const ok = this.lineNumber > 1 && !quotes && commas === this.fields - 1;
        if (!ok) {
          if (start > goodStart) this.push(data.subarray(goodStart, start));
          if (this.lineNumber > 1) this.reject(data, start, i, commas, quotes);
          goodStart = i + 1;
        } else this.passed++;
        start = i + 1;
        commas = 0;
        quotes = false;
      }
    }
    if (start > goodStart) this.push(data.subarray(goodStart, start));
    if (start < data.length) this.carry = Buffer.from(data.subarray(start));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.carry && this.carry.length > 0) {
      // A last line without a newline.
      const data = Buffer.concat([this.carry, Buffer.from('\n')]);
      this.carry = undefined;
      this._transform(data, 'binary', done);
      return;
    }
    done();
  }

  private reject(data: Buffer, start: number, end: number, commas: number, quotes: boolean): void {
    const stop = end > start && data[end - 1] === RETURN ? end - 1 : end;
    const found = commas + 1;
    this.rejected.push({
      lineNumber: this.lineNumber,
      line: data.toString('utf8', start, stop),
      reason: quotes ? 'a quote in a feed whose values never hold one' : `${found} field${found === 1 ? '' : 's'} where ${this.fields} were expected`,
    });
  }
}
