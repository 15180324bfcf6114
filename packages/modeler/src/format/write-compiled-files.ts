import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { contentHash, readJson, writeFormatted, writtenPath, type CompiledFile } from './write-formatted.js';

const WORKER = new URL('./write-formatted-worker.js', import.meta.url);
const FILES_PER_WORKER = 1500;

/**
 * Writes compiled SQL files, formatted with sql-formatter, off the main thread: up to two worker
 * threads, each owning a stable shard of the files and its own caches. From TypeScript sources (tests),
 * where the worker file is not compiled, and without formatting, it runs inline.
 */
export async function writeCompiledFiles(files: readonly CompiledFile[], cacheDir: string, format: boolean): Promise<void> {
  const workerPath = fileURLToPath(WORKER);
  const shards = shardCount(files.length);
  const groups: CompiledFile[][] = Array.from({ length: shards }, () => []);
  for (const file of files) groups[shardOf(file.path, shards)]!.push(file);
  const jobs = groups.map((group, i) => ({ files: group, cacheDir, shard: `${i + 1}-of-${shards}`, format }));
  // Without formatting, writing is quicker than starting a worker.
  if (!format || !existsSync(workerPath)) {
    const formatter = format ? (await import('./format-sql.js')).formatOne : undefined;
    for (const job of jobs) writeFormatted(job, formatter);
    return;
  }
  await Promise.all(
    jobs.map(
      (job) =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(workerPath, { workerData: job });
          worker.once('message', () => resolve());
          worker.once('error', reject);
          worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`compiled-file writer exited with ${code}`))));
        }),
    ),
  );
}

/**
 * Writes only `changed` of `all` compiled files, on this thread, when the others are known to be on
 * disk as last written (their SQL is unchanged): for a few files, starting workers costs more than
 * the work. The shards' record of what was written (see writeFormatted) is kept up to date; their
 * cache of formatted SQL is not (a later full write formats these few again).
 */
export async function writeChangedCompiledFiles(all: readonly CompiledFile[], changed: readonly CompiledFile[], cacheDir: string, format: boolean): Promise<void> {
  if (changed.length === 0) return;
  const formatter = format ? (await import('./format-sql.js')).formatOne : undefined;
  const shards = shardCount(all.length);
  const records = new Map<number, Record<string, string>>();
  for (const file of changed) {
    const content = `${formatter ? formatter(file.sql) : file.sql}\n`;
    mkdirSync(dirname(file.path), { recursive: true });
    writeFileSync(file.path, content);
    const shard = shardOf(file.path, shards);
    let record = records.get(shard);
    if (!record) records.set(shard, (record = readJson(writtenPath(cacheDir, `${shard + 1}-of-${shards}`))));
    record[file.path] = contentHash(content);
  }
  mkdirSync(cacheDir, { recursive: true });
  for (const [shard, record] of records) writeFileSync(writtenPath(cacheDir, `${shard + 1}-of-${shards}`), JSON.stringify(record));
}

/** How many workers write `files` files. */
function shardCount(files: number): number {
  return Math.min(2, Math.max(1, Math.ceil(files / FILES_PER_WORKER)));
}

function shardOf(path: string, shards: number): number {
  let h = 0;
  for (let i = 0; i < path.length; i++) h = (h * 31 + path.charCodeAt(i)) | 0;
  return Math.abs(h) % shards;
}
