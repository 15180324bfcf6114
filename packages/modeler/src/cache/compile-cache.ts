import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { FlatPart } from '../render/flat-template.js';
import type { StaticCall } from '../render/template.js';

/** What parsing a flat template produced, without its AST (rebuilt on demand). */
export interface CachedTemplate {
  readonly flat: readonly FlatPart[];
  readonly configCalls: readonly StaticCall[];
  readonly refCalls: readonly StaticCall[];
  readonly usesIncremental: boolean;
  readonly helperNames: readonly string[];
}

/** A compiled query the PostgreSQL parser accepted: one select, maybe with a `with` at this offset. */
export interface CheckedSql {
  readonly withLocation?: number;
}

interface CacheFile {
  readonly version: string;
  readonly templates: Record<string, CachedTemplate>;
  readonly sql: Record<string, number | null>;
}

const require = createRequire(import.meta.url);
// Whatever changes parsing invalidates the cache: Reel's own format, Handlebars, the SQL parser.
const VERSION = ['reel-compile-cache-1', (require('handlebars/package.json') as { version: string }).version, (require('libpg-query/package.json') as { version: string }).version].join('/');

const hash = (text: string) => createHash('sha1').update(text).digest('base64url');

/**
 * Partial parsing, as dbt calls it: results of the slow, pure steps of compiling (parsing a
 * template, checking compiled SQL with the PostgreSQL parser), keyed by a hash of their input, in
 * target/.reel-cache/. Only results still used are written back, so the file never grows stale.
 */
export class CompileCache {
  private readonly usedTemplates: Record<string, CachedTemplate> = {};
  private readonly usedSql: Record<string, number | null> = {};
  private changed = false;

  private constructor(
    private readonly file: string | undefined,
    private readonly previous: CacheFile,
  ) {}

  /** Reads the cache in `directory`; an unreadable or outdated one counts as empty. */
  static open(directory: string): CompileCache {
    const file = join(directory, 'compile-cache.json');
    let previous: CacheFile = { version: VERSION, templates: {}, sql: {} };
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
      if (parsed.version === VERSION && parsed.templates && parsed.sql) previous = parsed;
    } catch {
      // No cache yet, or a damaged one: start empty.
    }
    return new CompileCache(file, previous);
  }

  /** A cache that remembers nothing (`--no-partial-parse`). */
  static disabled(): CompileCache {
    return new CompileCache(undefined, { version: VERSION, templates: {}, sql: {} });
  }

  template(text: string): CachedTemplate | undefined {
    if (!this.file) return undefined;
    const key = hash(text);
    const hit = this.previous.templates[key];
    if (hit) this.usedTemplates[key] = hit;
    return hit;
  }

  storeTemplate(text: string, template: CachedTemplate): void {
    if (!this.file) return;
    this.usedTemplates[hash(text)] = template;
    this.changed = true;
  }

  checkedSql(sql: string): CheckedSql | undefined {
    if (!this.file) return undefined;
    const key = hash(sql);
    const hit = this.previous.sql[key];
    if (hit === undefined) return undefined;
    this.usedSql[key] = hit;
    return hit === null ? {} : { withLocation: hit };
  }

  storeSql(sql: string, checked: CheckedSql): void {
    if (!this.file) return;
    this.usedSql[hash(sql)] = checked.withLocation ?? null;
    this.changed = true;
  }

  /** Writes what this run used, when anything is new or something cached is no longer used. */
  save(): void {
    if (!this.file) return;
    const stale = Object.keys(this.previous.templates).length !== Object.keys(this.usedTemplates).length || Object.keys(this.previous.sql).length !== Object.keys(this.usedSql).length;
    if (!this.changed && !stale) return;
    const content: CacheFile = { version: VERSION, templates: this.usedTemplates, sql: this.usedSql };
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      const temporary = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(content));
      renameSync(temporary, this.file);
    } catch {
      // A cache that cannot be written only makes the next run slower.
    }
  }
}
