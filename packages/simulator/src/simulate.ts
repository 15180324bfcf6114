import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { basename, join } from 'node:path';
import type { Catalog } from './catalog.js';
import { loadCatalog, type CatalogSpec } from './catalog-source.js';
import { CsvWriter, csvField } from './csv-writer.js';
import { Dirt, ingestedAt, type DirtKind } from './dirt.js';
import { addDirtCounts, joinsPerDay, simulateChunk, type ChunkJob, type ChunkOutput } from './user-chunk.js';
import { Random } from './random.js';
import { FEED_NAMES, FEEDS, TRUTH, TRUTH_NAMES, type FeedName, type TruthName } from './feeds.js';
import { SimulationError } from './simulation-error.js';
import { DAY_MS, dayNumber, formatDay } from './time-zones.js';

export const RUN_FILE = 'run.json';
const FORMAT_VERSION = 1;

export interface SimulateOptions {
  readonly users: number;
  readonly days: number;
  /** First simulated day, `YYYY-MM-DD`. */
  readonly start: string;
  readonly seed: number;
  readonly out: string;
  /** A catalog in the Netflix titles format instead of a generated one. */
  readonly catalogFile?: string;
  /** Movies and series in a generated catalog (default: scales with users, 300–3,000). */
  readonly titles?: number;
  /** Multiplies every default dirt rate (0 = clean feeds). */
  readonly dirtyRate?: number;
  readonly dirt?: Partial<Record<DirtKind, number>>;
  readonly onProgress?: (progress: Progress) => void;
}

export interface Progress {
  readonly users: number;
  readonly totalUsers: number;
  readonly rows: number;
}

export interface BatchRecord {
  readonly index: number;
  /** Rows that arrived on or after this day (UTC; null for the first batch) and before `to`. */
  readonly from: string | null;
  readonly to: string;
  readonly rows: Readonly<Record<FeedName, number>>;
  readonly sha256: Readonly<Record<FeedName, string>>;
}

/** run.json: the arguments, so `--append-days` can continue the run, and what each batch wrote. */
export interface RunRecord {
  readonly format: number;
  readonly arguments: {
    readonly users: number;
    readonly days: number;
    readonly start: string;
    readonly seed: number;
    readonly titles: number | null;
    readonly catalog: { readonly file: string; readonly sha256: string } | null;
    readonly dirty_rate: number;
    readonly dirt: Partial<Record<DirtKind, number>>;
  };
  readonly appended_days: number;
  readonly users_total: number;
  /** Byte size of each feed file when this record was written. */
  readonly sizes: Readonly<Record<FeedName, number>>;
  readonly batches: readonly BatchRecord[];
  readonly dirt: ReturnType<Dirt['summary']>;
}

/** A fresh run: writes every feed, the truth and run.json into `out` (replacing an earlier run). */
export async function simulate(options: SimulateOptions): Promise<RunRecord> {
  const args: RunRecord['arguments'] = {
    users: options.users,
    days: options.days,
    start: options.start,
    seed: options.seed,
    titles: options.titles ?? null,
    catalog: options.catalogFile ? { file: basename(options.catalogFile), sha256: sha256File(options.catalogFile) } : null,
    dirty_rate: options.dirtyRate ?? 1,
    dirt: options.dirt ?? {},
  };
  return runBatch(options.out, args, catalogSpec(args, options.catalogFile), 0, undefined, options.onProgress);
}

/** Continues the run in `out` by `days` more days: appends only rows that arrived in them. */
export async function appendDays(out: string, days: number, catalogFile?: string, onProgress?: (progress: Progress) => void): Promise<RunRecord> {
  const record = readRunRecord(out);
  const args = record.arguments;
  if (args.catalog && !catalogFile) {
    throw new SimulationError('catalog-needed', `the run in ${out} used the catalog ${args.catalog.file}`, { hint: `pass it again: --catalog path/to/${args.catalog.file}` });
  }
  if (args.catalog && catalogFile && sha256File(catalogFile) !== args.catalog.sha256) {
    throw new SimulationError('catalog-changed', `${catalogFile} is not the catalog the run in ${out} used (its content differs)`, { hint: 'pass the same catalog file the run started with' });
  }
  return runBatch(out, args, catalogSpec(args, catalogFile), record.appended_days + days, record, onProgress);
}

function catalogSpec(args: RunRecord['arguments'], file: string | undefined): CatalogSpec {
  const firstDay = dayNumber(args.start);
  if (file) return { kind: 'netflix', seed: args.seed, file };
  return { kind: 'generated', seed: args.seed, titles: args.titles ?? Math.min(3000, Math.max(300, Math.round(args.users / 20))), firstDay, lastDay: firstDay + args.days };
}

export function readRunRecord(out: string): RunRecord {
  const path = join(out, RUN_FILE);
  if (!existsSync(path)) throw new SimulationError('no-run', `${out} holds no simulation run (no ${RUN_FILE})`, { hint: 'start one first: simulate --users N --days D --out ' + out });
  const record = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
  if (record.format !== FORMAT_VERSION) throw new SimulationError('run-format', `${path} was written by another version of the simulator`, { hint: 'start a new run in an empty folder' });
  return record;
}

async function runBatch(out: string, args: RunRecord['arguments'], spec: CatalogSpec, appendedDays: number, previous: RunRecord | undefined, onProgress?: (progress: Progress) => void): Promise<RunRecord> {
  const catalog = loadCatalog(spec);
  mkdirSync(join(out, 'truth'), { recursive: true });
  const startDay = dayNumber(args.start);
  const originalEnd = startDay + args.days;
  const endDay = originalEnd + appendedDays;
  const batches = previous?.batches ?? [];
  const index = batches.length;
  const fromUtc = index === 0 ? -Infinity : dayNumber(batches[index - 1]!.to) * DAY_MS;
  const toUtc = endDay * DAY_MS;

  // A fresh run writes new files and renames them over the old ones at the end; an append first
  // cuts each feed back to the size run.json recorded (undoing an append that was interrupted).
  const feedPath = (name: FeedName) => join(out, `${name}.csv`);
  if (previous) for (const name of FEED_NAMES) truncateSync(feedPath(name), previous.sizes[name]);
  const feeds = Object.fromEntries(
    FEED_NAMES.map((name) => [name, previous ? new CsvWriter(feedPath(name), undefined, 'a') : new CsvWriter(`${feedPath(name)}.tmp`, FEEDS[name], 'w')]),
  ) as Record<FeedName, CsvWriter>;
  const truth = Object.fromEntries(TRUTH_NAMES.map((name) => [name, new CsvWriter(join(out, 'truth', `${name}.csv.tmp`), TRUTH[name], 'w')])) as Record<TruthName, CsvWriter>;

  const dirt = new Dirt(args.dirty_rate, args.dirt);
  writeCatalog(catalog, args.seed, dirt, feeds.content, truth.title_truth, (arrival) => arrival >= fromUtc && arrival < toUtc);

  const extraUsers = Math.floor(joinsPerDay({ users: args.users, startDay, originalEndDay: originalEnd }) * appendedDays);
  const totalUsers = args.users + extraUsers;
  const base = { seed: args.seed, users: args.users, startDay, originalEndDay: originalEnd, endDay, fromUtc, toUtc, dirtyRate: args.dirty_rate, dirt: args.dirt };
  const jobs: ChunkJob[] = [];
  for (let first = 1; first <= totalUsers; first += CHUNK_USERS) jobs.push({ ...base, firstUser: first, lastUser: Math.min(totalUsers, first + CHUNK_USERS - 1) });
  let done = 0;
  await runChunks(jobs, spec, catalog, (job, chunk) => {
    feeds.users.lines(chunk.users.bytes, chunk.users.rows);
    feeds.views.lines(chunk.views.bytes, chunk.views.rows);
    feeds.ratings.lines(chunk.ratings.bytes, chunk.ratings.rows);
    feeds.subscriptions.lines(chunk.subscriptions.bytes, chunk.subscriptions.rows);
    truth.user_profiles.lines(chunk.user_profiles.bytes, chunk.user_profiles.rows);
    truth.churn_truth.lines(chunk.churn_truth.bytes, chunk.churn_truth.rows);
    addDirtCounts(dirt, chunk);
    done += job.lastUser - job.firstUser + 1;
    onProgress?.({ users: done, totalUsers, rows: FEED_NAMES.reduce((sum, name) => sum + feeds[name].rows, 0) });
  });

  const sha = {} as Record<FeedName, string>;
  const counts = {} as Record<FeedName, number>;
  for (const name of FEED_NAMES) {
    counts[name] = feeds[name].rows;
    sha[name] = feeds[name].close();
  }
  for (const name of TRUTH_NAMES) truth[name].close();
  // The commit: run.json goes last, so a run folder without it holds no run, and an append that
  // did not get this far is cut off again by the next one.
  if (!previous) {
    // A fresh run replaces the folder's files: without run.json in between, it holds no run.
    rmSync(join(out, RUN_FILE), { force: true });
    for (const name of FEED_NAMES) renameSync(`${feedPath(name)}.tmp`, feedPath(name));
  }
  for (const name of TRUTH_NAMES) renameSync(join(out, 'truth', `${name}.csv.tmp`), join(out, 'truth', `${name}.csv`));
  const sizes = Object.fromEntries(FEED_NAMES.map((name) => [name, statSync(feedPath(name)).size])) as Record<FeedName, number>;
  const batch: BatchRecord = { index, from: index === 0 ? null : batches[index - 1]!.to, to: formatDay(endDay), rows: counts, sha256: sha };
  const record: RunRecord = { format: FORMAT_VERSION, arguments: args, appended_days: appendedDays, users_total: totalUsers, sizes, batches: [...batches, batch], dirt: dirt.summary() };
  writeFileSync(join(out, 'truth', 'dirt.json'), `${JSON.stringify(dirt.summary(), null, 2)}\n`);
  writeFileSync(join(out, `${RUN_FILE}.tmp`), `${JSON.stringify(record, null, 2)}\n`);
  renameSync(join(out, `${RUN_FILE}.tmp`), join(out, RUN_FILE));
  return record;
}

const CHUNK_USERS = 500;
const WORKER = new URL('./simulate-worker.js', import.meta.url);

/**
 * Simulates the chunks on worker threads (one per core, up to four) and hands their output to
 * `write` in chunk order, keeping at most one chunk more than there are workers in flight, so memory stays flat.
 * Small runs, and runs from the TypeScript sources (tests), simulate on this thread.
 */
async function runChunks(jobs: readonly ChunkJob[], spec: CatalogSpec, catalog: Catalog, write: (job: ChunkJob, chunk: ChunkOutput) => void): Promise<void> {
  const threads = Math.min(4, availableParallelism(), jobs.length);
  if (threads < 2 || !existsSync(fileURLToPath(WORKER))) {
    for (const job of jobs) write(job, simulateChunk(job, catalog));
    return;
  }
  const workers = Array.from({ length: threads }, () => new Worker(WORKER, { workerData: spec }));
  try {
    const results = new Map<number, ChunkOutput>();
    let next = 0;
    let written = 0;
    await new Promise<void>((resolve, reject) => {
      const idle: Worker[] = [];
      const dispatch = () => {
        while (idle.length > 0 && next < jobs.length && next - written < threads + 1) {
          const worker = idle.pop()!;
          const at = next++;
          worker.once('message', (chunk: ChunkOutput) => {
            results.set(at, chunk);
            while (results.has(written)) {
              write(jobs[written]!, results.get(written)!);
              results.delete(written);
              written++;
            }
            idle.push(worker);
            if (written === jobs.length) resolve();
            else dispatch();
          });
          worker.postMessage(jobs[at]);
        }
      };
      for (const worker of workers) {
        worker.once('error', reject);
        idle.push(worker);
      }
      dispatch();
    });
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

function writeCatalog(catalog: Catalog, seed: number, dirt: Dirt, content: CsvWriter, truth: CsvWriter, inBatch: (arrival: number) => boolean): void {
  for (const title of catalog.titles) {
    truth.line(`${csvField(title.id)},${title.quality.toFixed(4)},${title.basePopularity.toFixed(4)}`);
    const arrival = title.addedDay * DAY_MS + 6 * 3_600_000;
    if (!inBatch(arrival)) continue;
    const d = dirt.stream(Random.for(seed, 4, title.index));
    const raw = title.raw;
    const series = title.seriesIndex === undefined ? undefined : catalog.titles[title.seriesIndex]!;
    content.line(
      [
        csvField(title.id),
        title.type,
        csvField(title.title),
        csvField(raw.director),
        csvField(raw.cast),
        csvField(d.optional(d.category(raw.country))),
        csvField(raw.dateAdded),
        raw.releaseYear,
        csvField(raw.rating),
        csvField(raw.duration),
        csvField(d.optional(d.category(raw.listedIn))),
        csvField(raw.description),
        series ? csvField(series.id) : '',
        title.season ?? '',
        title.episode ?? '',
        title.language,
        ingestedAt(arrival),
      ].join(','),
    );
  }
}

function sha256File(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (error) {
    throw new SimulationError('catalog-missing', `cannot read the catalog ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { hint: 'check the path given to --catalog' });
  }
}
