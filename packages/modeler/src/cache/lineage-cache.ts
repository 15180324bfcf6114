import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { codeVersion } from './code-version.js';

/** An upstream column as lineage found it: the relation as the SQL names it, the column, the kind's name. */
export type CachedEdge = readonly [schema: string | null, name: string, column: string, kind: string];

/** One output column: its name, its upstream columns, why it is (partly) unresolved. */
export type CachedColumn = readonly [column: string, edges: readonly CachedEdge[], unresolved?: string];

/** A relation the SQL reads and the columns lineage was told it has (null: unknown). */
export type CachedLookup = readonly [schema: string | null, name: string, columns: readonly string[] | null];

/** The column lineage of one compiled query, valid while every lookup gives the same columns. */
export interface CachedLineage {
  readonly lookups: readonly CachedLookup[];
  readonly columns: readonly CachedColumn[];
  readonly warnings: readonly string[];
  /** Whether every output column is known by name (no unexpanded `*`). */
  readonly known: boolean;
}

interface CacheFile {
  readonly version: string;
  readonly queries: Record<string, CachedLineage>;
}

const require = createRequire(import.meta.url);
// The parser's version and the lineage code itself (OpenLineage's modules do not take part).
const VERSION = ['reel-lineage-cache-1', (require('libpg-query/package.json') as { version: string }).version, codeVersion(['lineage'], (name) => name.startsWith('openlineage-'))].join('/');

const hash = (text: string) => createHash('sha1').update(text).digest('base64url');

/**
 * A key for the lineage of a whole project: the fingerprint of the compiled project
 * (artifacts/artifact-fingerprint.ts), the catalog's text after its metadata, and the version of
 * the lineage code and parser.
 */
export function lineageKey(compiledFingerprint: string, catalogText: string): string {
  const at = catalogText.indexOf(',"nodes":');
  return createHash('sha1').update(`${VERSION}\n${compiledFingerprint}\n`).update(at < 0 ? catalogText : catalogText.slice(at)).digest('base64url');
}

/**
 * Column lineage of compiled queries in target/.reel-cache/lineage-cache.json, keyed by a hash of
 * the SQL. A result holds the columns it was told each relation it reads has: it is used only
 * when the project gives the same columns again (an upstream model's columns, the catalog's, the
 * declared ones), since those decide what `*` expands to and where a column comes from. As with
 * the compile cache, only results still used are written back.
 */
export class LineageCache {
  private readonly used: Record<string, CachedLineage> = {};
  private changed = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly previous: CacheFile,
  ) {}

  /** Reads the cache in `directory`; an unreadable or outdated one counts as empty. */
  static open(directory: string): LineageCache {
    const file = join(directory, 'lineage-cache.json');
    let previous: CacheFile = { version: VERSION, queries: {} };
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
      if (parsed.version === VERSION && parsed.queries) previous = parsed;
    } catch {
      // No cache yet, or a damaged one: start empty.
    }
    return new LineageCache(file, previous);
  }

  /** A cache that remembers nothing. */
  static disabled(): LineageCache {
    return new LineageCache(undefined, { version: VERSION, queries: {} });
  }

  /** The lineage found for `sql` before, if every relation it read still has the same columns. */
  lineage(sql: string, columnsOf: (schema: string | null, name: string) => readonly string[] | undefined): CachedLineage | undefined {
    if (!this.file) return undefined;
    const key = hash(sql);
    const hit = this.used[key] ?? this.previous.queries[key];
    if (!hit) return undefined;
    for (const [schema, name, columns] of hit.lookups) {
      if (!sameColumns(columnsOf(schema, name), columns)) return undefined;
    }
    this.used[key] = hit;
    return hit;
  }

  store(sql: string, lineage: CachedLineage): void {
    if (!this.file) return;
    this.used[hash(sql)] = lineage;
    this.changed = true;
  }

  /** Writes what this run used, when anything is new or something cached is no longer used. */
  save(): void {
    if (!this.file) return;
    if (!this.changed && Object.keys(this.previous.queries).length === Object.keys(this.used).length) return;
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      const temporary = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify({ version: VERSION, queries: this.used } satisfies CacheFile));
      renameSync(temporary, this.file);
    } catch {
      // A cache that cannot be written only makes the next run slower.
    }
  }
}

function sameColumns(now: readonly string[] | undefined, before: readonly string[] | null): boolean {
  if (now === undefined || before === null) return now === undefined && before === null;
  if (now.length !== before.length) return false;
  for (let i = 0; i < now.length; i++) if (now[i] !== before[i]) return false;
  return true;
}
