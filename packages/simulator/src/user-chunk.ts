import type { Catalog } from './catalog.js';
import { Dirt, DIRT_NAMES, type DirtKind } from './dirt.js';
import { TimeZones } from './time-zones.js';
import { liveUser, type RowSink } from './user-life.js';
import { World } from './world.js';

/** What a chunk of users is simulated with; plain data, so that it can be sent to a worker thread. */
export interface ChunkJob {
  readonly seed: number;
  readonly users: number;
  readonly startDay: number;
  readonly originalEndDay: number;
  readonly endDay: number;
  /** Rows arriving in [fromUtc, toUtc) belong to the batch being written. */
  readonly fromUtc: number;
  readonly toUtc: number;
  readonly dirtyRate: number;
  readonly dirt: Partial<Record<DirtKind, number>>;
  readonly firstUser: number;
  readonly lastUser: number;
}

export interface ChunkText {
  /** UTF-8 CSV lines, each ending in a newline. */
  readonly bytes: Uint8Array;
  readonly rows: number;
}

/** The chunk's rows, as CSV text per feed, and the dirt it applied. */
export interface ChunkOutput {
  readonly users: ChunkText;
  readonly views: ChunkText;
  readonly ratings: ChunkText;
  readonly subscriptions: ChunkText;
  readonly user_profiles: ChunkText;
  readonly churn_truth: ChunkText;
  readonly eligible: Record<DirtKind, number>;
  readonly applied: Record<DirtKind, number>;
}

/**
 * Lines encoded into a growing buffer as they come: each row's string dies young (cheap to
 * collect), and the buffer moves to the main thread without a copy.
 */
class Lines {
  private buffer = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  rows = 0;

  add(line: string): void {
    const needed = this.used + line.length * 3 + 1;
    if (needed > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
      this.buffer.copy(bigger, 0, 0, this.used);
      this.buffer = bigger;
    }
    this.used += this.buffer.write(line, this.used, 'utf8');
    this.buffer[this.used++] = 10;
    this.rows++;
  }

  done(): ChunkText {
    return { bytes: new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.used), rows: this.rows };
  }
}

/** Members who join in appended days: the original run's signup rate (30 % of members over its days), continued. */
export function joinsPerDay(job: Pick<ChunkJob, 'users' | 'startDay' | 'originalEndDay'>): number {
  return Math.max(1e-9, (0.3 * job.users) / (job.originalEndDay - job.startDay));
}

let shared: { key: string; world: World; zones: TimeZones } | undefined;

/** Simulates users `firstUser`..`lastUser` (inclusive). Pure: the same job gives the same text. */
export function simulateChunk(job: ChunkJob, catalog: Catalog): ChunkOutput {
  const key = `${job.seed}|${job.startDay}|${job.originalEndDay}`;
  if (shared?.key !== key || shared.world.catalog !== catalog) shared = { key, world: new World(job.seed, catalog, job.startDay, job.originalEndDay), zones: new TimeZones() };
  const { world, zones } = shared;
  const dirt = new Dirt(job.dirtyRate, job.dirt);
  const out = { users: new Lines(), views: new Lines(), ratings: new Lines(), subscriptions: new Lines(), user_profiles: new Lines(), churn_truth: new Lines() };
  const inBatch = (arrival: number) => arrival >= job.fromUtc && arrival < job.toUtc;
  const sink: RowSink = {
    user: (line, arrival) => inBatch(arrival) && out.users.add(line),
    view: (line, arrival) => inBatch(arrival) && out.views.add(line),
    rating: (line, arrival) => inBatch(arrival) && out.ratings.add(line),
    subscription: (line, arrival) => inBatch(arrival) && out.subscriptions.add(line),
    profile: (line) => out.user_profiles.add(line),
    churn: (line) => out.churn_truth.add(line),
  };
  const life = { world, zones, dirt, endDay: job.endDay };
  for (let id = job.firstUser; id <= job.lastUser; id++) {
    liveUser(id, life, sink, id > job.users ? job.originalEndDay + Math.floor((id - job.users - 1) / joinsPerDay(job)) : undefined);
  }
  return {
    users: out.users.done(),
    views: out.views.done(),
    ratings: out.ratings.done(),
    subscriptions: out.subscriptions.done(),
    user_profiles: out.user_profiles.done(),
    churn_truth: out.churn_truth.done(),
    eligible: { ...dirt.eligible },
    applied: { ...dirt.applied },
  };
}

export function addDirtCounts(total: Dirt, chunk: ChunkOutput): void {
  for (const kind of DIRT_NAMES) {
    total.eligible[kind] += chunk.eligible[kind];
    total.applied[kind] += chunk.applied[kind];
  }
}

