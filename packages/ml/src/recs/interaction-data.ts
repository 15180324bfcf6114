/**
 * Interactions summed per (user, item) pair: the form every source is read into, whatever it held
 * (viewing sessions and ratings from the marts, rows of a table, lines of a CSV file).
 *
 * A source may be read with a cut-off time (the time-based holdout): the events before it are
 * summed into `early`, those at or after it into `late`, so no signal from after the cut-off leaks
 * into training. Without one, everything is in `early`.
 */

/** Which signals the source has; a missing one is NaN / 0 in every pair. */
export interface SignalKinds {
  readonly time: boolean;
  readonly rating: boolean;
  readonly seconds: boolean;
  readonly completion: boolean;
}

/** Pairs, by column. Indexes point into `InteractionData.users` and `.items`. */
export interface PairSet {
  readonly length: number;
  readonly user: Int32Array;
  readonly item: Int32Array;
  /** Events (views, ratings, lines) summed into the pair. */
  readonly events: Float64Array;
  /** Earliest and latest event time, ms since the epoch; NaN without times. */
  readonly firstAt: Float64Array;
  readonly lastAt: Float64Array;
  /** Seconds watched, summed. */
  readonly seconds: Float64Array;
  /** Sum and count of the events' completions (0–1) and ratings. */
  readonly completionSum: Float64Array;
  readonly completionCount: Float64Array;
  readonly ratingSum: Float64Array;
  readonly ratingCount: Float64Array;
}

/** Everything read from a source. */
export interface InteractionData {
  /** For messages and the model card: `marts.fct_views + marts.fct_ratings (by show)`. */
  readonly description: string;
  /** Ids, sorted (numerically when all are integers): index order never depends on read order. */
  readonly users: readonly string[];
  readonly items: readonly string[];
  readonly signals: SignalKinds;
  /** Events read. */
  readonly events: number;
  /** Events before the cut-off (all of them without one). */
  readonly early: PairSet;
  /** Events at or after the cut-off; present only when the source was read with one. */
  readonly late?: PairSet;
  /** The cut-off, ms since the epoch. */
  readonly cutoff?: number;
  /** The SQL type of the user id in a database source (`bigint`), so recommendations join back. */
  readonly userIdType: string;
}

/** One event (or a pre-summed part of a pair, from SQL), as a builder takes it. */
export interface PairPart {
  readonly user: string;
  readonly item: string;
  readonly late: boolean;
  readonly events: number;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly seconds: number;
  readonly completionSum: number;
  readonly completionCount: number;
  readonly ratingSum: number;
  readonly ratingCount: number;
}

const COLUMNS = ['events', 'firstAt', 'lastAt', 'seconds', 'completionSum', 'completionCount', 'ratingSum', 'ratingCount'] as const;
type NumberColumn = (typeof COLUMNS)[number];

/**
 * Sums events into pairs. Takes single events (CSV lines) or parts already summed by the database;
 * `finish` sorts the ids and renumbers the pairs, ordered by user then item.
 */
export class InteractionDataBuilder {
  private readonly userIndex = new Map<string, number>();
  private readonly itemIndex = new Map<string, number>();
  private readonly users: string[] = [];
  private readonly items: string[] = [];
  private readonly parts = [new GrowingPairs(), new GrowingPairs()];
  private eventCount = 0;

  add(part: PairPart): void {
    const user = intern(this.userIndex, this.users, part.user);
    const item = intern(this.itemIndex, this.items, part.item);
    this.parts[part.late ? 1 : 0]!.add(user, item, part);
    this.eventCount += part.events;
  }

  get events(): number {
    return this.eventCount;
  }

  finish(description: string, signals: SignalKinds, options: { cutoff?: number; userIdType?: string } = {}): InteractionData {
    const userOrder = sortedIds(this.users);
    const itemOrder = sortedIds(this.items);
    const userRank = rankOf(userOrder);
    const itemRank = rankOf(itemOrder);
    const early = this.parts[0]!.finish(userRank, itemRank);
    const late = options.cutoff === undefined ? undefined : this.parts[1]!.finish(userRank, itemRank);
    return {
      description,
      users: Array.from(userOrder, (i) => this.users[i]!),
      items: Array.from(itemOrder, (i) => this.items[i]!),
      signals,
      events: this.eventCount,
      early,
      ...(late ? { late } : {}),
      ...(options.cutoff === undefined ? {} : { cutoff: options.cutoff }),
      userIdType: options.userIdType ?? (this.users.every((id) => /^-?\d{1,18}$/.test(id)) ? 'bigint' : 'text'),
    };
  }
}

/**
 * The pairs of `a` and `b` summed (the same users and items, both sorted by user then item, as
 * every PairSet is): early and late as one, for refitting on all data. A linear merge.
 */
export function mergePairSets(a: PairSet, b: PairSet): PairSet {
  const key = (set: PairSet, p: number) => set.user[p]! * 67_108_864 + set.item[p]!;
  // Positions in order: from a (≥ 0) or b (−1 − position), equal keys adjacent.
  const order: number[] = [];
  let i = 0;
  let j = 0;
  let pairs = 0;
  while (i < a.length || j < b.length) {
    const ka = i < a.length ? key(a, i) : Number.POSITIVE_INFINITY;
    const kb = j < b.length ? key(b, j) : Number.POSITIVE_INFINITY;
    if (ka <= kb) order.push(i++);
    if (kb <= ka) order.push(-1 - j++);
    pairs++;
  }
  const out = {
    length: pairs,
    user: new Int32Array(pairs),
    item: new Int32Array(pairs),
    ...Object.fromEntries(COLUMNS.map((c) => [c, new Float64Array(pairs)])),
  } as unknown as { -readonly [K in keyof PairSet]: PairSet[K] };
  out.firstAt.fill(Number.NaN);
  out.lastAt.fill(Number.NaN);
  let at = -1;
  let last = -1;
  for (const position of order) {
    const set = position >= 0 ? a : b;
    const p = position >= 0 ? position : -1 - position;
    const k = key(set, p);
    if (k !== last) {
      at++;
      last = k;
      out.user[at] = set.user[p]!;
      out.item[at] = set.item[p]!;
    }
    out.events[at]! += set.events[p]!;
    out.seconds[at]! += set.seconds[p]!;
    out.completionSum[at]! += set.completionSum[p]!;
    out.completionCount[at]! += set.completionCount[p]!;
    out.ratingSum[at]! += set.ratingSum[p]!;
    out.ratingCount[at]! += set.ratingCount[p]!;
    out.firstAt[at] = minTime(out.firstAt[at]!, set.firstAt[p]!);
    out.lastAt[at] = maxTime(out.lastAt[at]!, set.lastAt[p]!);
  }
  return out;
}

/** The pairs at the given positions, in that order. */
export function selectPairs(set: PairSet, positions: ArrayLike<number>): PairSet {
  const n = positions.length;
  const pick = <T extends Int32Array | Float64Array>(column: T): T => {
    const out = new (column.constructor as new (n: number) => T)(n);
    for (let k = 0; k < n; k++) out[k] = column[positions[k]!]!;
    return out;
  };
  return {
    length: n,
    user: pick(set.user),
    item: pick(set.item),
    events: pick(set.events),
    firstAt: pick(set.firstAt),
    lastAt: pick(set.lastAt),
    seconds: pick(set.seconds),
    completionSum: pick(set.completionSum),
    completionCount: pick(set.completionCount),
    ratingSum: pick(set.ratingSum),
    ratingCount: pick(set.ratingCount),
  };
}

/** Mean rating of pair `p`, or NaN when it has none. */
export function meanRating(set: PairSet, p: number): number {
  const n = set.ratingCount[p]!;
  return n > 0 ? set.ratingSum[p]! / n : Number.NaN;
}

/** Mean completion of pair `p`, or NaN when it has none. */
export function meanCompletion(set: PairSet, p: number): number {
  const n = set.completionCount[p]!;
  return n > 0 ? set.completionSum[p]! / n : Number.NaN;
}

function intern(index: Map<string, number>, list: string[], id: string): number {
  let i = index.get(id);
  if (i === undefined) {
    i = list.length;
    index.set(id, i);
    list.push(id);
  }
  return i;
}

/** Positions of `ids` in sorted order: numerically when every id is an integer, else by code unit. */
export function sortedIds(ids: readonly string[]): Int32Array {
  const order = Int32Array.from(ids.keys());
  const numeric = ids.every((id) => /^-?\d{1,15}$/.test(id));
  if (numeric) {
    const values = Float64Array.from(ids, Number);
    order.sort((a, b) => values[a]! - values[b]!);
  } else {
    order.sort((a, b) => (ids[a]! < ids[b]! ? -1 : ids[a]! > ids[b]! ? 1 : 0));
  }
  return order;
}

function rankOf(order: Int32Array): Int32Array {
  const rank = new Int32Array(order.length);
  for (let r = 0; r < order.length; r++) rank[order[r]!] = r;
  return rank;
}

/** Pairs in growable typed arrays, merged by (user, item) as they come. */
class GrowingPairs {
  private readonly index = new Map<number, number>();
  private size = 0;
  private capacity = 1024;
  private user = new Int32Array(this.capacity);
  private item = new Int32Array(this.capacity);
  private readonly columns: Record<NumberColumn, Float64Array> = Object.fromEntries(COLUMNS.map((c) => [c, new Float64Array(this.capacity)])) as Record<NumberColumn, Float64Array>;

  add(user: number, item: number, part: Omit<PairPart, 'user' | 'item' | 'late'>): void {
    // Pairs are keyed by one number: user × 2^26 + item stays exact below 2^53 for 2^27 users.
    const key = user * 67_108_864 + item;
    let p = this.index.get(key);
    const c = this.columns;
    if (p === undefined) {
      if (this.size === this.capacity) this.grow();
      p = this.size++;
      this.index.set(key, p);
      this.user[p] = user;
      this.item[p] = item;
      c.firstAt[p] = part.firstAt;
      c.lastAt[p] = part.lastAt;
    } else {
      c.firstAt[p] = minTime(c.firstAt[p]!, part.firstAt);
      c.lastAt[p] = maxTime(c.lastAt[p]!, part.lastAt);
    }
    c.events[p]! += part.events;
    c.seconds[p]! += part.seconds;
    c.completionSum[p]! += part.completionSum;
    c.completionCount[p]! += part.completionCount;
    c.ratingSum[p]! += part.ratingSum;
    c.ratingCount[p]! += part.ratingCount;
  }

  /** The pairs renumbered by the sorted id ranks and ordered by (user, item). */
  finish(userRank?: Int32Array, itemRank?: Int32Array): PairSet {
    const n = this.size;
    const user = new Int32Array(n);
    const item = new Int32Array(n);
    for (let p = 0; p < n; p++) {
      user[p] = userRank ? userRank[this.user[p]!]! : this.user[p]!;
      item[p] = itemRank ? itemRank[this.item[p]!]! : this.item[p]!;
    }
    const order = Int32Array.from({ length: n }, (_, p) => p).sort((a, b) => user[a]! - user[b]! || item[a]! - item[b]!);
    const base = { length: n, user, item, ...Object.fromEntries(COLUMNS.map((c) => [c, this.columns[c].subarray(0, n)])) } as PairSet;
    return selectPairs(base, order);
  }

  private grow(): void {
    this.capacity *= 2;
    const grow = <T extends Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(this.capacity);
      b.set(a);
      return b;
    };
    this.user = grow(this.user);
    this.item = grow(this.item);
    for (const c of COLUMNS) this.columns[c] = grow(this.columns[c]);
  }
}

function minTime(a: number, b: number): number {
  return Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.min(a, b);
}

function maxTime(a: number, b: number): number {
  return Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b);
}
