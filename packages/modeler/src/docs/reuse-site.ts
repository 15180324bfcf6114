import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { codeVersion } from '../cache/code-version.js';
import { OutputRecord } from '../cache/output-record.js';

/** What target/.reel-cache/docs-site.json holds besides the key: the site as it was written. */
interface SiteDetails {
  readonly generatedAt: string;
  readonly chunkCount: number;
  readonly files: number;
  readonly bytes: number;
}

export interface SiteRecordOptions {
  /** target/.reel-cache/docs-site.json */
  readonly file: string;
  /** A hash of everything the site is made from (siteInputKey); the generator's code is added. */
  readonly key: string;
}

/**
 * A key for the inputs of a site made by `docs generate`: the fingerprint of the compiled project
 * (artifacts/artifact-fingerprint.ts) and the text of the catalog, lineage and run results, each
 * without the metadata that changes on every run. The code of the generator and of the app is
 * added when the key is used.
 */
export function siteInputKey(parts: { readonly compiled: string; readonly catalog: string; readonly lineage: string | undefined; readonly runResults: string | undefined }): string {
  const hash = createHash('sha1');
  hash.update(`compiled\t${parts.compiled}\n`);
  hash.update('catalog\t').update(afterFirst(parts.catalog, ',"nodes":'));
  hash.update('\nlineage\t').update(parts.lineage === undefined ? '-' : afterFirst(parts.lineage, ',"nodes":'));
  hash.update('\nrun_results\t').update(parts.runResults ?? '-');
  return hash.digest('base64url');
}

/**
 * Keeps the site in `outDir` when the last one was made from the same inputs by the same code and
 * is still as it was left: only the time in data.js is brought up to date. Returns what the site
 * holds, or undefined when it must be written again (writeDocsSite with `record`).
 */
export function reuseDocsSite(outDir: string, options: SiteRecordOptions, appDir: string, generatedAt: string): { files: number; bytes: number } | undefined {
  if (!existsSync(join(appDir, 'app.js'))) return undefined;
  const record = new OutputRecord<SiteDetails>(options.file);
  const key = fullKey(options.key, appDir);
  const kept = record.unchanged(key);
  if (!kept || typeof kept.generatedAt !== 'string' || typeof kept.chunkCount !== 'number') return undefined;
  if (!existsSync(join(outDir, 'index.html')) || !readdirSync(appDir).every((name) => name.endsWith('.map') || existsSync(join(outDir, name)))) return undefined;
  if (!hasChunks(join(outDir, 'nodes'), kept.chunkCount) || !hasChunks(join(outDir, 'sql'), kept.chunkCount)) return undefined;
  // data.js is window.REEL_DOCS=JSON.parse("…"): the index as a JSON string inside a JSON string.
  const dataPath = join(outDir, 'data.js');
  const data = readFileSync(dataPath, 'utf8');
  const before = `\\"generatedAt\\":\\"${kept.generatedAt}\\"`;
  const at = data.indexOf(before);
  if (at < 0 || generatedAt.length !== kept.generatedAt.length || /["\\]/.test(generatedAt)) return undefined;
  record.forget();
  const temporary = `${dataPath}.${process.pid}.tmp`;
  writeFileSync(temporary, data.slice(0, at) + `\\"generatedAt\\":\\"${generatedAt}\\"` + data.slice(at + before.length));
  renameSync(temporary, dataPath);
  record.write(key, [dataPath], { ...kept, generatedAt });
  return { files: kept.files, bytes: kept.bytes };
}

/** Forgets the record before the site is written again. */
export function forgetSiteRecord(options: SiteRecordOptions): void {
  new OutputRecord<SiteDetails>(options.file).forget();
}

/** Records a site just written in full to `outDir`. */
export function writeSiteRecord(options: SiteRecordOptions, appDir: string, outDir: string, site: SiteDetails): void {
  new OutputRecord<SiteDetails>(options.file).write(fullKey(options.key, appDir), [join(outDir, 'data.js')], site);
}

/** The caller's key with the generator's code and the app's files. */
function fullKey(key: string, appDir: string): string {
  const hash = createHash('sha1').update(`${key}\n${codeVersion(['docs'])}\n`);
  for (const name of readdirSync(appDir).sort()) {
    if (!name.endsWith('.map')) hash.update(`${name}\n`).update(readFileSync(join(appDir, name)));
  }
  return hash.digest('base64url');
}

function hasChunks(dir: string, count: number): boolean {
  if (!existsSync(dir)) return false;
  const names = new Set(readdirSync(dir));
  for (let n = 0; n < count; n++) if (!names.has(`${n}.js`)) return false;
  return true;
}

/** The text from the first `marker` on (the part after an artifact's metadata), or all of it. */
function afterFirst(text: string, marker: string): string {
  const at = text.indexOf(marker);
  return at < 0 ? text : text.slice(at);
}
