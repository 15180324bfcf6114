import { MlInputError } from '../errors.js';
import { SeededRandom } from '../seeded-random.js';
import { isRelevant, type FeedbackRules } from './feedback.js';
import { selectPairs, type InteractionData, type PairSet } from './interaction-data.js';

/**
 * Evaluation protocols:
 * - `time`: train on the events before a cut-off, test on the items users first met after it
 *   (the honest one for a live service: it predicts the future from the past);
 * - `leave-last-out`: each user's latest item (by first interaction) is the test, the rest train;
 * - `random`: each user's items split at random 75 / 25 (per user, so every user is in both
 *   sides; the common protocol of public benchmarks).
 */
export const PROTOCOLS = ['time', 'leave-last-out', 'random'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Train pairs, and each test user's relevant items. */
export interface EvaluationSplit {
  readonly protocol: Protocol;
  readonly train: PairSet;
  /** Users evaluated (with a train item and a relevant test item), ascending. */
  readonly testUsers: Int32Array;
  /** Relevant test items of `testUsers[k]`: `relevant[relevantPtr[k] … relevantPtr[k+1])`. */
  readonly relevantPtr: Int32Array;
  readonly relevant: Int32Array;
  /** Held-out pairs, before any were dropped. */
  readonly testPairs: number;
  /** Held-out pairs not relevant by the feedback rules. */
  readonly notRelevant: number;
  /** Relevant held-out pairs on items nobody had in train (no model can rank them), or of users with nothing in train. */
  readonly cold: number;
  /** Users with held-out pairs but none relevant (left out of the metrics). */
  readonly usersWithoutRelevant: number;
  /** The cut-off of the time protocol, ms since the epoch. */
  readonly cutoff?: number;
}

export interface SplitOptions {
  readonly protocol: Protocol;
  readonly rules: FeedbackRules;
  readonly seed: number;
  /** Share of each user's items held out by `random` (0.25). */
  readonly testShare: number;
}

/** Splits the data by the protocol. `time` needs data read with a cut-off (`late` present). */
export function splitInteractions(data: InteractionData, options: SplitOptions): EvaluationSplit {
  switch (options.protocol) {
    case 'time': {
      if (!data.late || data.cutoff === undefined) throw new Error('the time protocol needs interactions read with a cut-off');
      return finish('time', data.early, data.late, data.items.length, options.rules, data.cutoff);
    }
    case 'leave-last-out':
    case 'random': {
      const all = data.early;
      if (options.protocol === 'leave-last-out' && !data.signals.time) {
        throw new MlInputError('no-time-column', `leave-last-out needs a timestamp column, and ${data.description} has none`, { hint: 'add timestamp to --columns, or use --protocol random' });
      }
      const isTest = new Uint8Array(all.length);
      const random = new SeededRandom(options.seed);
      forEachUser(all, (start, end) => {
        const n = end - start;
        if (n < 2) return;
        if (options.protocol === 'leave-last-out') {
          // The latest first interaction; on a tie, the latest last one, then the higher item index.
          let last = start;
          for (let p = start + 1; p < end; p++) {
            const d = all.firstAt[p]! - all.firstAt[last]! || all.lastAt[p]! - all.lastAt[last]! || all.item[p]! - all.item[last]!;
            if (d > 0 || (Number.isNaN(all.firstAt[last]!) && !Number.isNaN(all.firstAt[p]!))) last = p;
          }
          isTest[last] = 1;
        } else {
          const take = Math.min(n - 1, Math.max(1, Math.round(n * options.testShare)));
          const order = random.permutation(n);
          for (let k = 0; k < take; k++) isTest[start + order[k]!] = 1;
        }
      });
      const train: number[] = [];
      const test: number[] = [];
      for (let p = 0; p < all.length; p++) (isTest[p] ? test : train).push(p);
      return finish(options.protocol, selectPairs(all, train), selectPairs(all, test), data.items.length, options.rules);
    }
  }
}

function finish(protocol: Protocol, train: PairSet, held: PairSet, items: number, rules: FeedbackRules, cutoff?: number): EvaluationSplit {
  const inTrain = new Set<number>();
  const itemInTrain = new Uint8Array(items);
  const userInTrain = new Set<number>();
  for (let p = 0; p < train.length; p++) {
    inTrain.add(train.user[p]! * items + train.item[p]!);
    itemInTrain[train.item[p]!] = 1;
    userInTrain.add(train.user[p]!);
  }
  const testUsers: number[] = [];
  const relevantPtr: number[] = [0];
  const relevant: number[] = [];
  let testPairs = 0;
  let notRelevant = 0;
  let cold = 0;
  let usersWithoutRelevant = 0;
  forEachUser(held, (start, end) => {
    let kept = 0;
    for (let p = start; p < end; p++) {
      const user = held.user[p]!;
      const item = held.item[p]!;
      // Seen in train already (a title rewatched after the cut-off): not a held-out pair.
      if (inTrain.has(user * items + item)) continue;
      testPairs++;
      if (!isRelevant(held, p, rules)) {
        notRelevant++;
        continue;
      }
      if (!itemInTrain[item] || !userInTrain.has(user)) {
        cold++;
        continue;
      }
      relevant.push(item);
      kept++;
    }
    if (kept > 0) {
      testUsers.push(held.user[start]!);
      relevantPtr.push(relevant.length);
    } else if (end > start) {
      usersWithoutRelevant++;
    }
  });
  return {
    protocol,
    train,
    testUsers: Int32Array.from(testUsers),
    relevantPtr: Int32Array.from(relevantPtr),
    relevant: Int32Array.from(relevant),
    testPairs,
    notRelevant,
    cold,
    usersWithoutRelevant,
    ...(cutoff === undefined ? {} : { cutoff }),
  };
}

/** Calls `f(start, end)` for each user's run of pairs (sets are sorted by user). */
export function forEachUser(set: PairSet, f: (start: number, end: number) => void): void {
  let start = 0;
  for (let p = 1; p <= set.length; p++) {
    if (p === set.length || set.user[p] !== set.user[start]) {
      if (p > start) f(start, p);
      start = p;
    }
  }
}

function lateEvents(data: InteractionData): number {
  let n = 0;
  if (data.late) for (const e of data.late.events) n += e;
  return n;
}

/** One line for logs and the model card. */
export function describeSplit(split: EvaluationSplit, data: InteractionData, testShare: number): string {
  const how =
    split.protocol === 'time'
      ? `time-based holdout at ${new Date(split.cutoff!).toISOString().slice(0, 16).replace('T', ' ')} UTC (${Math.round((100 * lateEvents(data)) / Math.max(1, data.events))} % of the events after it)`
      : split.protocol === 'leave-last-out'
        ? "leave-last-out (each user's latest item)"
        : `per-user random ${Math.round((1 - testShare) * 100)}/${Math.round(testShare * 100)}`;
  const n = (x: number) => x.toLocaleString('en');
  return `${how}: ${n(split.train.length)} train pairs; ${n(split.testPairs)} held-out pairs, ${n(split.notRelevant)} not relevant, ${n(split.cold)} on items or users unseen in train; ${n(split.testUsers.length)} users evaluated on ${n(split.relevant.length)} relevant items (${n(split.usersWithoutRelevant)} users without relevant items left out)`;
}
