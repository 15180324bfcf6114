import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { writeFormatted, type CompiledFile } from './write-formatted.js';

const WORKER = new URL('./write-formatted-worker.js', import.meta.url);
const FILES_PER_WORKER = 1500;

/**
 * Writes compiled SQL files, formatted with sql-formatter, off the main thread: up to two worker
 * threads, each owning a stable shard of the files and its own caches. From TypeScript sources (tests),
 * where the worker file is not compiled, and without formatting, it runs inline.
 */
export async function writeCompiledFiles(files: readonly CompiledFile[], cacheDir: string, format: boolean): Promise<void> {
  const workerPath = fileURLToPath(WORKER);
  const shards = Math.min(2, Math.max(1, Math.ceil(files.length / FILES_PER_WORKER)));
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

function shardOf(path: string, shards: number): number {
  let h = 0;
  for (let i = 0; i < path.length; i++) h = (h * 31 + path.charCodeAt(i)) | 0;
  return Math.abs(h) % shards;
}
