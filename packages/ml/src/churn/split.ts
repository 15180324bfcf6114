import { compareTimes, type Frame } from '../data/frame.js';
import { MlInputError } from '../errors.js';
import { SeededRandom } from '../seeded-random.js';

export interface SplitFractions {
  readonly train: number;
  readonly validation: number;
  readonly test: number;
}

export const DEFAULT_FRACTIONS: SplitFractions = { train: 0.7, validation: 0.15, test: 0.15 };

/** Row numbers of each part, and how they were chosen (for the model card). */
export interface Split {
  readonly train: Uint32Array;
  readonly validation: Uint32Array;
  readonly test: Uint32Array;
  readonly method: 'time' | 'stratified-random';
  /** For a time split: the distinct times of each part. */
  readonly times?: { readonly train: readonly string[]; readonly validation: readonly string[]; readonly test: readonly string[] };
  readonly seed?: number;
}

/**
 * Train on the earliest distinct times, validate on the next, test on the latest: about
 * `fractions` of the distinct times each (at least one each). Only labelled rows take part; rows
 * without a time are left out.
 */
export function splitByTime(frame: Frame, rows: ArrayLike<number>, fractions: SplitFractions = DEFAULT_FRACTIONS, timeColumn = 'the time column'): Split {
  const times = frame.times;
  if (!times) throw new Error('splitByTime needs a frame with times');
  const distinct = [...new Set(Array.from(rows, (r) => times[r]).filter((t): t is string => t !== null && t !== undefined))].sort(compareTimes);
  if (distinct.length < 3) {
    throw new MlInputError('too-few-times', `a time split needs labelled rows on at least 3 distinct values of ${timeColumn}, and ${frame.description} has ${distinct.length} (${distinct.join(', ') || 'none'})`, {
      hint: 'set time: null in the config for a stratified random split, or wait for more snapshots',
    });
  }
  const total = fractions.train + fractions.validation + fractions.test;
  const testCount = Math.max(1, Math.round((fractions.test / total) * distinct.length));
  const validationCount = Math.max(1, Math.round((fractions.validation / total) * distinct.length));
  const trainCount = Math.max(1, distinct.length - testCount - validationCount);
  const trainTimes = distinct.slice(0, trainCount);
  const validationTimes = distinct.slice(trainCount, trainCount + validationCount);
  const testTimes = distinct.slice(trainCount + validationCount);
  const part = new Map<string, 0 | 1 | 2>();
  for (const t of trainTimes) part.set(t, 0);
  for (const t of validationTimes) part.set(t, 1);
  for (const t of testTimes) part.set(t, 2);
  const buckets: number[][] = [[], [], []];
  for (let i = 0; i < rows.length; i++) {
    const t = times[rows[i]!];
    const p = t === null || t === undefined ? undefined : part.get(t);
    if (p !== undefined) buckets[p]!.push(rows[i]!);
  }
  return { train: Uint32Array.from(buckets[0]!), validation: Uint32Array.from(buckets[1]!), test: Uint32Array.from(buckets[2]!), method: 'time', times: { train: trainTimes, validation: validationTimes, test: testTimes } };
}

/** A seeded random split that keeps the share of positives the same in each part. */
export function stratifiedSplit(frame: Frame, rows: ArrayLike<number>, fractions: SplitFractions = DEFAULT_FRACTIONS, seed = 42): Split {
  const labels = frame.labels;
  if (!labels) throw new Error('stratifiedSplit needs labels');
  const random = new SeededRandom(seed);
  const total = fractions.train + fractions.validation + fractions.test;
  const buckets: number[][] = [[], [], []];
  for (const label of [0, 1]) {
    const members = Array.from(rows).filter((r) => labels[r] === label);
    random.shuffle(members);
    const testCount = Math.round((fractions.test / total) * members.length);
    const validationCount = Math.round((fractions.validation / total) * members.length);
    buckets[2]!.push(...members.slice(0, testCount));
    buckets[1]!.push(...members.slice(testCount, testCount + validationCount));
    buckets[0]!.push(...members.slice(testCount + validationCount));
  }
  const sorted = (b: number[]) => Uint32Array.from(b).sort();
  return { train: sorted(buckets[0]!), validation: sorted(buckets[1]!), test: sorted(buckets[2]!), method: 'stratified-random', seed };
}
