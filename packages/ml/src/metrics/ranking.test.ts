import { describe, expect, it } from 'vitest';
import { RankingAccumulator, topK, userRankingMetrics } from './ranking.js';

// Expected values worked out by hand; the comments show the working.
describe('top-k', () => {
  it('orders by score, breaks ties by the lower item index and skips excluded items', () => {
    // Item 0 is excluded; items 1 and 2 tie at 0.8 → 1 before 2; then 4 (0.5).
    expect(Array.from(topK([0.9, 0.8, 0.8, 0.1, 0.5, 0.3], 3, [1, 0, 0, 0, 0, 0]))).toEqual([1, 2, 4]);
    // All tied: the lowest indexes, in order.
    expect(Array.from(topK([0.2, 0.2, 0.2, 0.2], 3))).toEqual([0, 1, 2]);
    // A tie at the cut-off keeps the lower index, whatever order the scan meets them in.
    expect(Array.from(topK([0.1, 0.5, 0.9, 0.5], 2))).toEqual([2, 1]);
  });

  it('returns fewer than k items when fewer are eligible, and never NaN scores', () => {
    expect(Array.from(topK([0.3, Number.NaN, 0.7], 5, [0, 0, 0]))).toEqual([2, 0]);
    expect(Array.from(topK([0.3, 0.7], 5, [1, 1]))).toEqual([]);
    expect(Array.from(topK([0.3, 0.7], 0))).toEqual([]);
  });
});

describe('ranking metrics', () => {
  it('computes one list with a single hit', () => {
    // Ranked [1, 2, 4], relevant {2, 5}, k = 3: one hit at rank 2.
    const m = userRankingMetrics([1, 2, 4], new Set([2, 5]), 3)!;
    expect(m.hits).toBe(1);
    expect(m.precision).toBeCloseTo(1 / 3, 12);
    expect(m.recall).toBeCloseTo(1 / 2, 12);
    // DCG = 1/log2(3); ideal DCG (two relevant) = 1 + 1/log2(3).
    expect(m.ndcg).toBeCloseTo(1 / Math.log2(3) / (1 + 1 / Math.log2(3)), 12);
    expect(m.ndcg).toBeCloseTo(0.386853, 6);
    // AP@3 = precision@2 / min(3, 2) = (1/2) / 2.
    expect(m.averagePrecision).toBeCloseTo(0.25, 12);
  });

  it('computes one list with several hits', () => {
    // Ranked [7, 1, 9, 2, 5], relevant {1, 2, 3}, k = 5: hits at ranks 2 and 4.
    const m = userRankingMetrics([7, 1, 9, 2, 5], [1, 2, 3], 5)!;
    expect(m.precision).toBeCloseTo(2 / 5, 12);
    expect(m.recall).toBeCloseTo(2 / 3, 12);
    // DCG = 1/log2(3) + 1/log2(5) = 1.061606; IDCG = 1 + 1/log2(3) + 1/log2(4) = 2.130930.
    expect(m.ndcg).toBeCloseTo(0.498189, 6);
    // AP = (1/2 + 2/4) / min(5, 3) = 1/3.
    expect(m.averagePrecision).toBeCloseTo(1 / 3, 12);
  });

  it('divides precision by k when the list is shorter, and looks only at the top k', () => {
    const short = userRankingMetrics([4], [4], 10)!;
    expect(short.precision).toBeCloseTo(0.1, 12);
    expect(short.ndcg).toBe(1);
    // The hit at rank 3 is below k = 2.
    const cut = userRankingMetrics([0, 1, 2], [2], 2)!;
    expect(cut.hits).toBe(0);
    expect(cut.ndcg).toBe(0);
  });

  it('leaves users without relevant items out of every mean', () => {
    expect(userRankingMetrics([1, 2], [], 10)).toBeUndefined();
    const report = new RankingAccumulator(3, 6);
    // A: ranked from tied scores as topK does: [1, 2, 4]; relevant {2, 5}.
    report.add(topK([0.9, 0.8, 0.8, 0.1, 0.5, 0.3], 3, [1, 0, 0, 0, 0, 0]), [2, 5]);
    // B: all scores tied → [0, 1, 2]; relevant {0}: a hit at rank 1.
    report.add(topK([0.2, 0.2, 0.2, 0.2, 0.2, 0.2], 3), [0]);
    // C: nothing relevant in the test period → not evaluated, and not in the coverage.
    report.add([5, 3, 0], []);
    // D: no hit.
    report.add([4, 2, 1], [3]);
    const r = report.result();
    expect(r.users).toBe(3);
    expect(r.usersWithoutRelevant).toBe(1);
    expect(r.precision).toBeCloseTo((1 / 3 + 1 / 3 + 0) / 3, 12);
    expect(r.recall).toBeCloseTo((1 / 2 + 1 + 0) / 3, 12);
    expect(r.ndcg).toBeCloseTo((0.386853 + 1 + 0) / 3, 6);
    expect(r.map).toBeCloseTo((0.25 + 1 + 0) / 3, 12);
    expect(r.hitRate).toBeCloseTo(2 / 3, 12);
    // Recommended to A, B, D: {1, 2, 4} ∪ {0, 1, 2} ∪ {4, 2, 1} = {0, 1, 2, 4} of 6 items.
    expect(r.coverage).toBeCloseTo(4 / 6, 12);
  });

  it('reports NaN means when no user had relevant items', () => {
    const report = new RankingAccumulator(10, 3);
    report.add([0, 1], []);
    expect(report.result().users).toBe(0);
    expect(report.result().ndcg).toBeNaN();
    expect(() => new RankingAccumulator(0, 3)).toThrow(/k must be a positive integer/);
  });
});
