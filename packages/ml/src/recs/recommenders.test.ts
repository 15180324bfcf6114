import { describe, expect, it } from 'vitest';
import { topK } from '../metrics/ranking.js';
import { loadRuntime } from '../runtime.js';
import { ItemKnnModel } from './item-knn-model.js';
import { PopularityModel } from './popularity-model.js';
import { TwoTowerModel, DEFAULT_TWO_TOWER } from './two-tower-model.js';
import { UserItemMatrix } from './user-item-matrix.js';

/** A users × items matrix from each user's items (weight 1, or as given). */
function matrix(rows: number[][], items: number, weights?: number[][]): UserItemMatrix {
  const indptr = Int32Array.from([0, ...rows.map((_, u) => rows.slice(0, u + 1).reduce((n, r) => n + r.length, 0))]);
  return new UserItemMatrix(rows.length, items, indptr, Int32Array.from(rows.flat()), Float32Array.from(weights ? weights.flat() : rows.flat().map(() => 1)));
}

// u0 {0, 1}, u1 {0, 1, 2}, u2 {1, 2}, u3 {3}.
const small = matrix([[0, 1], [0, 1, 2], [1, 2], [3]], 4);

describe('baselines', () => {
  it('popularity ranks by the number of users, ties to the lower item', async () => {
    const model = PopularityModel.fit(small);
    expect(Array.from(model.counts)).toEqual([2, 3, 2, 1]);
    expect(Array.from(topK(await model.score(Int32Array.of(3)), 4, [0, 0, 0, 1]))).toEqual([1, 0, 2]);
    expect(model.catalogSize()).toBe(4);
  });

  it('item-kNN keeps the most cosine-similar neighbours and sums them over the history', async () => {
    // Norms √2, √3, √2, 1. sim(0,1) = 2/(√2·√3) = 0.8165, sim(0,2) = 1/2, sim(1,2) = 0.8165; item 3 meets nobody.
    const all = ItemKnnModel.fit(small, { neighbours: 10 });
    const neighbours = (i: number) => Array.from(all.neighbourItems.subarray(all.ptr[i]!, all.ptr[i + 1]!));
    expect(neighbours(0)).toEqual([1, 2]);
    expect(all.similarities[0]).toBeCloseTo(2 / Math.sqrt(6), 6);
    expect(all.similarities[1]).toBeCloseTo(0.5, 6);
    expect(neighbours(3)).toEqual([]);
    // One neighbour each: item 1's two equally similar neighbours → the lower index, 0.
    const one = ItemKnnModel.fit(small, { neighbours: 1 });
    expect(Array.from(one.neighbourItems)).toEqual([1, 0, 1]);
    // u2 {1, 2}: item 0 from 1's neighbourhood, item 1 from 2's; items 2 and 3 reached by none rank
    // after, by popularity: 0.5 × (count + 1) / (top + 1) − 1.
    const scores = await one.score(Int32Array.of(2), small);
    expect(scores[0]).toBeCloseTo(2 / Math.sqrt(6), 6);
    expect(scores[1]).toBeCloseTo(2 / Math.sqrt(6), 6);
    expect(scores[2]).toBeCloseTo(0.5 * (3 / 4) - 1, 6);
    expect(scores[3]).toBeCloseTo(0.5 * (2 / 4) - 1, 6);
  });
});

describe('two-tower model', () => {
  // Two groups of users, each watching within its own half of 12 items.
  const rows: number[][] = [];
  for (let u = 0; u < 60; u++) {
    const base = u % 2 === 0 ? 0 : 6;
    rows.push([0, 1, 2, 3, 4, 5].filter((i) => (i + u) % 3 !== 0).map((i) => base + i));
  }
  const groups = matrix(rows, 12);
  const options = { ...DEFAULT_TWO_TOWER, factors: 4, steps: 60, batchUsers: 16, learningRate: 0.05, seed: 5 };

  it('learns which half a user belongs to, and the same seed gives the same model', async () => {
    const { tf } = await loadRuntime();
    const losses: number[] = [];
    const a = await TwoTowerModel.train(tf, groups, options, undefined, (p) => losses.push(p.loss));
    expect(losses.at(-1)!).toBeLessThan(Math.log(12));
    const scores = await a.score(Int32Array.of(0, 1), groups);
    // User 0 is in the first half, user 1 in the second: the unseen items of their own half first.
    // User 0 has 1, 2, 4, 5: its two unseen items of its own half, 0 and 3, come first.
    const seen = Array.from({ length: 12 }, (_, i) => (groups.itemsOf(0).includes(i) ? 1 : 0));
    expect(Array.from(topK(scores.subarray(0, 12), 2, seen)).sort()).toEqual([0, 3]);
    for (const i of [6, 7, 8, 9, 10, 11]) expect(scores[i]!).toBeLessThan(Math.min(...Array.from(groups.itemsOf(0), (j) => scores[j]!)));
    for (const i of [0, 1, 2, 3, 4, 5]) expect(scores[12 + i]!).toBeLessThan(Math.min(...Array.from(groups.itemsOf(1), (j) => scores[12 + j]!)));
    const b = await TwoTowerModel.train(tf, groups, options);
    expect(Array.from(await b.score(Int32Array.of(0, 1), groups))).toEqual(Array.from(scores));
    const restored = TwoTowerModel.fromArrays(tf, a.toArrays());
    expect(Array.from(await restored.score(Int32Array.of(0, 1), groups))).toEqual(Array.from(scores));
    for (const m of [a, b, restored]) m.dispose();
  });

  it('trains with the BPR loss too', async () => {
    const { tf } = await loadRuntime();
    const model = await TwoTowerModel.train(tf, groups, { ...options, loss: 'bpr', negatives: 4, learningRate: 0.1, steps: 80 });
    const scores = await model.score(Int32Array.of(0), groups);
    const own = Math.min(...Array.from(groups.itemsOf(0), (j) => scores[j]!));
    expect([6, 7, 8, 9, 10, 11].filter((i) => scores[i]! < own).length).toBeGreaterThanOrEqual(5);
    model.dispose();
  });
});
