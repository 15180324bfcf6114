import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'sql-formatter';

const CACHE_FILE = 'formatted.json';

/**
 * Formats statements with sql-formatter (PostgreSQL dialect). Results are cached by the hash of
 * the input under `cacheDir`, so a recompile only formats what changed. A statement
 * sql-formatter cannot handle is kept as written.
 */
export async function formatSql(statements: readonly string[], cacheDir: string): Promise<string[]> {
  const cachePath = join(cacheDir, CACHE_FILE);
  let cache: Record<string, string> = {};
  if (existsSync(cachePath)) {
    try {
      cache = JSON.parse(readFileSync(cachePath, 'utf8')) as Record<string, string>;
    } catch {
      cache = {};
    }
  }
  const next: Record<string, string> = {};
  let misses = 0;
  const out = statements.map((sql) => {
    const key = createHash('sha1').update(sql).digest('base64url');
    let formatted = cache[key];
    if (formatted === undefined) {
      misses++;
      formatted = formatOne(sql);
    }
    next[key] = formatted;
    return formatted;
  });
  if (misses > 0 || Object.keys(cache).length !== Object.keys(next).length) {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(cachePath, JSON.stringify(next));
  }
  return out;
}

export function formatOne(sql: string): string {
  try {
    return format(sql, { language: 'postgresql', keywordCase: 'preserve', tabWidth: 2 });
  } catch {
    return sql;
  }
}
