import { describe, expect, it } from 'vitest';
import { averagePrecision, brierScore, captureAtTop, classificationReport, logLoss, reliabilityTable, rocAuc } from './classification.js';

// Expected values worked out by hand (comments show the working).
describe('classification metrics', () => {
  it('ROC AUC counts pairs ranked right', () => {
    // Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ordered right.
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expect(rocAuc([0, 1], [0.2, 0.9])).toBe(1);
    expect(rocAuc([0, 1], [0.9, 0.2])).toBe(0);
  });

  it('ROC AUC counts tied pairs as one half (average ranks)', () => {
    // Positive 0.9: ties negative 0.9 (½), beats 0.5 and 0.1 → 2.5; each positive 0.5: ties 0.5
    // (½), beats 0.1 → 1.5. (2.5 + 1.5 + 1.5) / 9 pairs.
    expect(rocAuc([1, 0, 1, 0, 1, 0], [0.9, 0.9, 0.5, 0.5, 0.5, 0.1])).toBeCloseTo(5.5 / 9, 12);
    // All scores equal: every pair a tie.
    expect(rocAuc([1, 0, 0, 1], [0.3, 0.3, 0.3, 0.3])).toBe(0.5);
  });

  it('ROC AUC matches counting every pair on random data with many ties', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const labels = Array.from({ length: 300 }, () => (next() < 0.3 ? 1 : 0));
    const scores = Array.from({ length: 300 }, () => Math.round(next() * 10) / 10);
    let wins = 0;
    let pairs = 0;
    for (let i = 0; i < 300; i++) {
      for (let j = 0; j < 300; j++) {
        if (labels[i] !== 1 || labels[j] !== 0) continue;
        pairs++;
        wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
      }
    }
    expect(rocAuc(labels, scores)).toBeCloseTo(wins / pairs, 12);
  });

  it('ROC AUC is NaN with one class only', () => {
    expect(rocAuc([0, 0, 0], [0.1, 0.2, 0.3])).toBeNaN();
    expect(rocAuc([1, 1], [0.1, 0.2])).toBeNaN();
  });

  it('average precision sums precision at each rise in recall', () => {
    // Descending: 0.8 (1) → P 1, R ½; 0.4 (0); 0.35 (1) → P ⅔, R 1. ½·1 + ½·⅔.
    expect(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.5 + 1 / 3, 12);
    // Tied scores are one threshold: {0.9: 1,0} → P ½, R ⅓; {0.5: 1,0,1} → P ⅗, R 1. ⅓·½ + ⅔·⅗.
    expect(averagePrecision([1, 0, 1, 0, 1, 0], [0.9, 0.9, 0.5, 0.5, 0.5, 0.1])).toBeCloseTo(1 / 6 + 0.4, 12);
    expect(averagePrecision([0, 0], [0.1, 0.2])).toBeNaN();
  });

  it('log loss and Brier score', () => {
    expect(logLoss([1, 0], [0.8, 0.4])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 12);
    // A certain, wrong prediction is clipped, not infinite.
    expect(Number.isFinite(logLoss([1], [0]))).toBe(true);
    expect(brierScore([1, 0], [0.8, 0.4])).toBeCloseTo((0.04 + 0.16) / 2, 12);
  });

  it('reliability table puts each prediction in its tenth, 1 in the last', () => {
    const table = reliabilityTable([0, 1, 0, 1, 1], [0.05, 0.15, 0.12, 0.95, 1]);
    expect(table).toHaveLength(10);
    expect(table[0]).toMatchObject({ from: 0, to: 0.1, count: 1, meanPredicted: 0.05, observedRate: 0 });
    expect(table[1]!.count).toBe(2);
    expect(table[1]!.meanPredicted).toBeCloseTo(0.135, 12);
    expect(table[1]!.observedRate).toBe(0.5);
    expect(table[5]).toMatchObject({ count: 0, meanPredicted: null, observedRate: null });
    expect(table[9]!.count).toBe(2);
    expect(table[9]!.observedRate).toBe(1);
  });

  it('capture in the top share of scores, ties straddling the cut counted in proportion', () => {
    // 10 rows, top 10 % = the single highest score, a churner: 1 of 2 churners.
    expect(captureAtTop([0, 0, 0, 0, 1, 0, 0, 0, 0, 1], [0.1, 0.2, 0.3, 0.1, 0.9, 0.2, 0.1, 0.3, 0.2, 0.5])).toBe(0.5);
    // Top half of 6 = 3 rows: the tied 0.9 pair (1 churner) whole, then 1 of the 3 tied 0.5
    // rows (2 churners among them) → 1 + ⅔ of 3 churners.
    expect(captureAtTop([1, 0, 1, 0, 1, 0], [0.9, 0.9, 0.5, 0.5, 0.5, 0.1], 0.5)).toBeCloseTo((1 + 2 / 3) / 3, 12);
  });

  it('reports every metric together', () => {
    const report = classificationReport([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
    expect(report).toMatchObject({ rows: 4, positives: 2, roc_auc: 0.75 });
    expect(report.reliability).toHaveLength(10);
  });
});
