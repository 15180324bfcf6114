import { describe, expect, it } from 'vitest';
import type { FeatureSpec } from '../data/data-config.js';
import type { Frame } from '../data/frame.js';
import { correctForClassWeights, Preprocessor } from './preprocess.js';

const FEATURES: FeatureSpec[] = [
  { name: 'days', kind: 'numeric' },
  { name: 'flag', kind: 'boolean' },
  { name: 'plan', kind: 'categorical' },
];

// Rows 0–3 are "train"; rows 4–5 hold what training never saw: a missing value, an unknown plan.
const frame: Frame = {
  description: 'fixture',
  rows: 6,
  ids: ['a', 'b', 'c', 'd', 'e', 'f'],
  labels: Float64Array.from([0, 1, 0, 0, 1, Number.NaN]),
  features: new Map([
    ['days', { kind: 'numeric', values: Float64Array.from([1, Number.NaN, 3, 5, Number.NaN, 100]) }],
    ['flag', { kind: 'boolean', values: Float64Array.from([1, 0, 1, 1, 0, 1]) }],
    ['plan', { kind: 'categorical', values: ['basic', 'premium', 'basic', null, 'family', 'premium'] }],
  ]),
};
const train = [0, 1, 2, 3];

describe('Preprocessor', () => {
  it('imputes the train median with an indicator, scales on train only, one-hots with an other column', () => {
    const prep = Preprocessor.fit(frame, train, FEATURES);
    expect(prep.columns).toEqual(['days', 'days__missing', 'flag', 'plan=basic', 'plan=(missing)', 'plan=premium', 'plan=(other)']);
    const [days] = prep.toJSON().steps;
    // Train values 1, 3, 5 (median 3); imputed column 1, 3, 3, 5: mean 3, sample sd √(8/3).
    expect(days).toMatchObject({ kind: 'numeric', median: 3, mean: 3, missingIndicator: true });
    expect((days as { std: number }).std).toBeCloseTo(Math.sqrt(8 / 3), 12);
    const x = prep.transform(frame, [4, 5]);
    const sd = Math.sqrt(8 / 3);
    // Row 4: days missing → median 3 → 0, indicator 1; flag 0; "family" is unknown → other.
    expect(Array.from(x.subarray(0, 7))).toEqual([0, 1, 0, 0, 0, 0, 1]);
    // Row 5: days 100 scaled with the train mean and sd (not refitted); premium.
    expect(x[7]).toBeCloseTo((100 - 3) / sd, 5);
    expect(Array.from(x.subarray(8, 14))).toEqual([0, 1, 0, 0, 1, 0]);
  });

  it('weighs the classes to balance them, and the correction undoes it', () => {
    const prep = Preprocessor.fit(frame, train, FEATURES);
    // 4 labelled train rows, 1 churner: n / (2 · n_class).
    expect(prep.classWeights).toEqual({ 0: 4 / 6, 1: 2 });
    expect(Preprocessor.fit(frame, train, FEATURES, { classWeights: 'none' }).classWeights).toEqual({ 0: 1, 1: 1 });
    // Odds 3× too high (w₁/w₀ = 3): 0.75 (odds 3) → 0.5 (odds 1).
    expect(correctForClassWeights(0.75, prep.classWeights)).toBeCloseTo(0.5, 6);
  });

  it('round-trips through JSON and transforms exactly the same', () => {
    const prep = Preprocessor.fit(frame, train, FEATURES);
    const restored = Preprocessor.fromJSON(JSON.parse(JSON.stringify(prep.toJSON())));
    expect(restored.toJSON()).toEqual(prep.toJSON());
    const all = [0, 1, 2, 3, 4, 5];
    expect(Array.from(restored.transform(frame, all))).toEqual(Array.from(prep.transform(frame, all)));
  });

  it('refuses a file that is not its own', () => {
    expect(() => Preprocessor.fromJSON({ steps: [] })).toThrow('preprocessing.json is not a Reel churn preprocessing (format reel-churn-preprocessing/1)');
  });
});
