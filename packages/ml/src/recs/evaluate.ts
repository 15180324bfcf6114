import { RankingAccumulator, topK, type RankingReport } from '../metrics/ranking.js';
import type { Recommender } from './recommender.js';
import type { EvaluationSplit } from './split.js';
import type { UserItemMatrix } from './user-item-matrix.js';

/** Users scored at once: `batch × items` floats in memory. */
export function scoringBatch(items: number): number {
  return Math.max(1, Math.min(1024, Math.floor(4_000_000 / Math.max(1, items))));
}

/**
 * Full ranking: every evaluated user's top k over all items they have not interacted with in
 * train (and that somebody has: items unseen in train are in no model's catalog), ties to the
 * lower item index — the same for every model.
 */
export async function evaluateRanking(model: Recommender, split: EvaluationSplit, train: UserItemMatrix, k: number): Promise<RankingReport> {
  const items = train.items;
  const unseen = new Uint8Array(items);
  const counts = train.itemCounts();
  let catalog = 0;
  for (let i = 0; i < items; i++) {
    if (counts[i] === 0) unseen[i] = 1;
    else catalog++;
  }
  const report = new RankingAccumulator(k, catalog);
  const excluded = new Uint8Array(items);
  const batch = scoringBatch(items);
  for (let from = 0; from < split.testUsers.length; from += batch) {
    const users = split.testUsers.subarray(from, Math.min(split.testUsers.length, from + batch));
    const scores = await model.score(users, train);
    for (let row = 0; row < users.length; row++) {
      const u = users[row]!;
      excluded.set(unseen);
      for (const i of train.itemsOf(u)) excluded[i] = 1;
      const ranked = topK(scores.subarray(row * items, (row + 1) * items), k, excluded);
      const at = from + row;
      report.add(ranked, split.relevant.subarray(split.relevantPtr[at]!, split.relevantPtr[at + 1]!));
    }
  }
  return report.result();
}
