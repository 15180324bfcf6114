import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { shapeFormatter } from './format-by-shape.js';

export interface CompiledFile {
  readonly path: string;
  readonly sql: string;
  /** Laid out the same whatever its quoted identifiers are (see format-by-shape.ts). */
  readonly shaped?: boolean;
}

export interface WriteJob {
  readonly files: readonly CompiledFile[];
  /** Folder for this shard's caches (formatted SQL by input hash; what was last written where). */
  readonly cacheDir: string;
  readonly shard: string;
  readonly format: boolean;
}

const hash = (text: string) => createHash('sha1').update(text).digest('base64url');

/** The hash of a compiled file's content, as the shards' record of what was written holds it. */
export const contentHash = hash;

/** A shard's record of what was written where: path → content hash. */
export const writtenPath = (cacheDir: string, shard: string) => join(cacheDir, `written-${shard}.json`);

/**
 * Formats (through a cache keyed by the SQL's hash) and writes compiled files, skipping files whose
 * content is already on disk. Runs in a worker thread, or inline when workers are unavailable.
 */
export function writeFormatted(job: WriteJob, formatOne?: (sql: string) => string): { written: number; formatted: number } {
  const formattedPath = join(job.cacheDir, `formatted-${job.shard}.json`);
  const writtenFile = writtenPath(job.cacheDir, job.shard);
  const formattedCache = readJson(formattedPath);
  const writtenBefore = readJson(writtenFile);
  const formattedNext: Record<string, string> = {};
  const writtenNext: Record<string, string> = {};
  const existing = new Map<string, Set<string>>();
  const exists = (path: string) => {
    const dir = dirname(path);
    let names = existing.get(dir);
    if (!names) {
      names = new Set(existsSync(dir) ? readdirSync(dir) : []);
      existing.set(dir, names);
      if (names.size === 0) mkdirSync(dir, { recursive: true });
    }
    return names.has(path.slice(dir.length + 1));
  };
  let written = 0;
  let formatted = 0;
  const byShape = formatOne && shapeFormatter(formatOne);
  for (const file of job.files) {
    let text = file.sql;
    if (job.format && formatOne) {
      const key = hash(file.sql);
      let pretty = formattedCache[key];
      if (pretty === undefined) {
        pretty = file.shaped ? byShape!(file.sql) : formatOne(file.sql);
        formatted++;
      }
      formattedNext[key] = pretty;
      text = pretty;
    }
    const content = text + '\n';
    const contentHash = hash(content);
    writtenNext[file.path] = contentHash;
    if (writtenBefore[file.path] === contentHash && exists(file.path)) continue;
    exists(file.path);
    writeFileSync(file.path, content);
    written++;
  }
  mkdirSync(job.cacheDir, { recursive: true });
  if (job.format && formatted > 0) writeFileSync(formattedPath, JSON.stringify(formattedNext));
  if (written > 0 || Object.keys(writtenBefore).length !== job.files.length) writeFileSync(writtenFile, JSON.stringify(writtenNext));
  return { written, formatted };
}

export function readJson(path: string): Record<string, string> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}
