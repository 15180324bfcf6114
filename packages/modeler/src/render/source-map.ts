/**
 * Maps offsets in rendered SQL back to lines and columns of the template it came from.
 * Built from markers the template stage puts at the start of each literal text segment and
 * after each newline; text a helper or partial produced maps to where it was called.
 */
export class SourceMap {
  constructor(
    /** Rendered offsets where a segment starts, ascending. */
    private readonly offsets: readonly number[],
    private readonly lines: readonly number[],
    private readonly columns: readonly number[],
    /** Template file the offsets point into. */
    readonly file: string,
  ) {}

  static identity(file: string): SourceMap {
    return new SourceMap([0], [1], [1], file);
  }

  /** 1-based line and column in the template for a 0-based offset in the rendered text. */
  locate(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.offsets.length - 1;
    if (hi < 0) return { line: 1, column: 1 };
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.offsets[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: this.lines[lo]!, column: this.columns[lo]! + Math.max(0, offset - this.offsets[lo]!) };
  }

  /** The same map for text that had `length` characters inserted at `at`. */
  shifted(at: number, length: number): SourceMap {
    return new SourceMap(
      this.offsets.map((o) => (o >= at ? o + length : o)),
      this.lines,
      this.columns,
      this.file,
    );
  }
}

const MARKER = /\u0000(\d+):(\d+)\u0001/g;

/** Inserted into template text; removed again by `stripMarkers`. */
export function marker(line: number, column: number): string {
  return `\u0000${line}:${column}\u0001`;
}

export function stripMarkers(rendered: string, file: string): { text: string; map: SourceMap } {
  const offsets: number[] = [];
  const lines: number[] = [];
  const columns: number[] = [];
  let removed = 0;
  const text = rendered.replace(MARKER, (match, line: string, column: string, at: number) => {
    offsets.push(at - removed);
    lines.push(Number(line));
    columns.push(Number(column));
    removed += match.length;
    return '';
  });
  if (offsets[0] !== 0) {
    offsets.unshift(0);
    lines.unshift(1);
    columns.unshift(1);
  }
  return { text, map: new SourceMap(offsets, lines, columns, file) };
}
