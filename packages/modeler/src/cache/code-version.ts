import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..');
const versions = new Map<string, string>();

/**
 * A hash of some of Reel's own code (dist/ when built, the TypeScript sources in tests): a cache of
 * what that code computes puts it in its key, so a changed Reel never reuses results an older one
 * made. Each part is a folder below src/ (every module in it but tests and the names `skip`
 * accepts) or one module without its extension.
 *
 * @example
 * ```ts
 * codeVersion(['lineage', 'commands/write-compiled'], (name) => name.startsWith('openlineage-'));
 * ```
 */
export function codeVersion(parts: readonly string[], skip: (name: string) => boolean = () => false): string {
  const key = parts.join(',');
  let version = versions.get(key);
  if (version === undefined) {
    const hash = createHash('sha1');
    const isModule = (name: string) => /\.(js|ts)$/.test(name) && !/\.(test|d)\.ts$/.test(name) && !skip(name);
    for (const part of parts) {
      const path = join(SRC, part);
      const files = existsSync(path) && statSync(path).isDirectory()
        ? readdirSync(path).filter(isModule).sort().map((name) => join(path, name))
        : [`${path}.js`, `${path}.ts`].filter((file) => existsSync(file));
      for (const file of files) hash.update(`${file.slice(SRC.length)}\n`).update(readFileSync(file));
    }
    version = hash.digest('base64url');
    versions.set(key, version);
  }
  return version;
}
