import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

interface Stamp {
  readonly size: number;
  readonly mtimeMs: number;
}

interface RecordFile<T> {
  readonly key: string;
  readonly stamps: Record<string, Stamp>;
  readonly details: T;
}

/**
 * A note in target/.reel-cache that some files were written from inputs with a given key, with
 * each file's size and modification time as it was left. A later run with the same key can keep
 * the files, unless one of them was changed or removed since. Forget the record before writing
 * the files again, so that a run stopped half-way never vouches for half-written files.
 *
 * @example
 * ```ts
 * const record = new OutputRecord<{ chunks: number }>('target/.reel-cache/docs-site.json');
 * const kept = record.unchanged(key); // { chunks: 12 } when target/docs/data.js is as left
 * if (!kept) { record.forget(); write(); record.write(key, ['target/docs/data.js'], { chunks: 12 }); }
 * ```
 */
export class OutputRecord<T> {
  constructor(readonly file: string) {}

  /** The details recorded with `key`, when every recorded file is as it was left. */
  unchanged(key: string): T | undefined {
    const record = this.kept();
    return record?.key === key ? record.details : undefined;
  }

  /** The key and details recorded, whatever the key, when every recorded file is as it was left. */
  kept(): { readonly key: string; readonly details: T } | undefined {
    let record: RecordFile<T>;
    try {
      record = JSON.parse(readFileSync(this.file, 'utf8')) as RecordFile<T>;
    } catch {
      return undefined;
    }
    if (typeof record.key !== 'string' || typeof record.stamps !== 'object' || record.stamps === null) return undefined;
    for (const [path, stamp] of Object.entries(record.stamps)) {
      const now = stampOf(path);
      if (!now || now.size !== stamp.size || now.mtimeMs !== stamp.mtimeMs) return undefined;
    }
    return record;
  }

  forget(): void {
    rmSync(this.file, { force: true });
  }

  /** Records `files` (as they are now) as written from inputs with `key`. */
  write(key: string, files: readonly string[], details: T): void {
    try {
      const stamps: Record<string, Stamp> = {};
      for (const path of files) stamps[path] = stampOf(path) ?? { size: -1, mtimeMs: -1 };
      mkdirSync(dirname(this.file), { recursive: true });
      const temporary = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify({ key, stamps, details } satisfies RecordFile<T>));
      renameSync(temporary, this.file);
    } catch {
      // Without a record the next run writes the files again: slower, never wrong.
    }
  }
}

function stampOf(path: string): Stamp | undefined {
  try {
    const stat = statSync(path);
    // Whole milliseconds: a time set through utimes comes back a fraction of a microsecond off.
    return { size: stat.size, mtimeMs: Math.round(stat.mtimeMs) };
  } catch {
    return undefined;
  }
}
