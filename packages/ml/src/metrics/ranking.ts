/**
 * Top-k ranking metrics for recommendations, with binary relevance: an item is relevant to a user
 * or it is not. Items are integer indexes into a catalog; a user's list is ranked best first.
 *
 * Conventions (the usual ones of the implicit-feedback literature, written out because libraries
 * differ):
 * - precision@k = hits in the top k / k (a list shorter than k still divides by k);
 * - recall@k = hits in the top k / number of relevant items;
 * - NDCG@k = Σ over hits of 1 / log2(rank + 1), divided by the same sum for an ideal list, which
 *   puts min(k, relevant) hits first;
 * - MAP@k = mean over users of AP@k = Σ over hits at rank r of precision@r, / min(k, relevant);
 * - hit rate@k = share of users with at least one hit in the top k;
 * - catalog coverage@k = distinct items in anybody's top k / items in the catalog.
 * Users with no relevant item are left out of every mean (they would score 0 whatever the model
 * does) and counted separately. Tied scores are ordered by item index, lowest first, so a ranking
 * and its metrics never depend on sort stability or on the order items arrived in.
 *
 * @example
 * ```ts
 * const ranked = topK([0.1, 0.9, 0.5, 0.9], 2);        // Int32Array [1, 3] (tie: index 1 first)
 * const report = new RankingAccumulator(10, 4);
 * report.add(ranked, [3]);
 * report.result().ndcg;                               // 1 / log2(3) = 0.6309…
 * ```
 */

/** The metrics of one cut-off k, averaged over the users that have relevant items. */
export interface RankingReport {
  readonly k: number;
  /** Users averaged over: those with at least one relevant item. */
  readonly users: number;
  /** Users left out because they had no relevant item. */
  readonly usersWithoutRelevant: number;
  readonly precision: number;
  readonly recall: number;
  readonly ndcg: number;
  readonly map: number;
  readonly hitRate: number;
  /** Distinct items recommended (in the top k) to the users averaged over / catalog size. */
  readonly coverage: number;
}

/** The figures of one user's list. */
export interface UserRankingMetrics {
  readonly hits: number;
  readonly precision: number;
  readonly recall: number;
  readonly ndcg: number;
  readonly averagePrecision: number;
}

/**
 * The k best items of `scores` (one score per catalog item), best first, leaving out items whose
 * `excluded` mark is non-zero (e.g. what the user has already seen). Ties go to the lower index.
 * NaN scores are never recommended. Returns fewer than k items when fewer are eligible.
 */
export function topK(scores: ArrayLike<number>, k: number, excluded?: ArrayLike<number>): Int32Array {
  const n = scores.length;
  const size = Math.max(0, Math.min(k, n));
  const items = new Int32Array(size);
  const values = new Float64Array(size);
  let filled = 0;
  for (let item = 0; item < n; item++) {
    if (excluded && excluded[item]) continue;
    const score = scores[item]!;
    if (Number.isNaN(score)) continue;
    // Scanning in index order, a later item only displaces an earlier one with a strictly higher
    // score: that is the "lower index wins ties" rule.
    if (filled === size) {
      if (size === 0 || !(score > values[size - 1]!)) continue;
      filled--;
    }
    let at = filled;
    while (at > 0 && score > values[at - 1]!) {
      values[at] = values[at - 1]!;
      items[at] = items[at - 1]!;
      at--;
    }
    values[at] = score;
    items[at] = item;
    filled++;
  }
  return filled === size ? items : items.slice(0, filled);
}

/**
 * Precision, recall, NDCG and AP at `k` of one ranked list against the user's relevant items.
 * `undefined` when there are no relevant items (the user is not evaluated).
 */
export function userRankingMetrics(ranked: ArrayLike<number>, relevant: ReadonlySet<number> | ArrayLike<number>, k: number): UserRankingMetrics | undefined {
  if (!(k >= 1) || !Number.isInteger(k)) throw new RangeError(`k must be a positive integer, not ${k}`);
  const relevantSet = relevant instanceof Set ? relevant : new Set(Array.from(relevant as ArrayLike<number>));
  const relevantCount = relevantSet.size;
  if (relevantCount === 0) return undefined;
  const depth = Math.min(k, ranked.length);
  let hits = 0;
  let dcg = 0;
  let precisionSum = 0;
  const seen = new Set<number>();
  for (let r = 0; r < depth; r++) {
    const item = ranked[r]!;
    // A list that repeats an item gets credit for it once.
    if (seen.has(item)) continue;
    seen.add(item);
    if (!relevantSet.has(item)) continue;
    hits++;
    dcg += 1 / Math.log2(r + 2);
    precisionSum += hits / (r + 1);
  }
  const ideal = Math.min(k, relevantCount);
  let idcg = 0;
  for (let r = 0; r < ideal; r++) idcg += 1 / Math.log2(r + 2);
  return {
    hits,
    precision: hits / k,
    recall: hits / relevantCount,
    ndcg: dcg / idcg,
    averagePrecision: precisionSum / ideal,
  };
}

/** Adds up users' lists, one at a time, into a RankingReport. `catalogSize` is the coverage's denominator. */
export class RankingAccumulator {
  private users = 0;
  private usersWithoutRelevant = 0;
  private precision = 0;
  private recall = 0;
  private ndcg = 0;
  private map = 0;
  private hits = 0;
  private readonly recommended = new Set<number>();

  constructor(
    readonly k: number,
    readonly catalogSize: number,
  ) {
    if (!(k >= 1) || !Number.isInteger(k)) throw new RangeError(`k must be a positive integer, not ${k}`);
  }

  /** One user's ranked list (best first; only the first k count) and relevant items. */
  add(ranked: ArrayLike<number>, relevant: ReadonlySet<number> | ArrayLike<number>): void {
    const metrics = userRankingMetrics(ranked, relevant, this.k);
    if (!metrics) {
      this.usersWithoutRelevant++;
      return;
    }
    this.users++;
    this.precision += metrics.precision;
    this.recall += metrics.recall;
    this.ndcg += metrics.ndcg;
    this.map += metrics.averagePrecision;
    if (metrics.hits > 0) this.hits++;
    const depth = Math.min(this.k, ranked.length);
    for (let r = 0; r < depth; r++) this.recommended.add(ranked[r]!);
  }

  /** The means over the users added so far that had relevant items (NaN when there were none). */
  result(): RankingReport {
    const n = this.users;
    const mean = (sum: number) => (n === 0 ? Number.NaN : sum / n);
    return {
      k: this.k,
      users: n,
      usersWithoutRelevant: this.usersWithoutRelevant,
      precision: mean(this.precision),
      recall: mean(this.recall),
      ndcg: mean(this.ndcg),
      map: mean(this.map),
      hitRate: mean(this.hits),
      coverage: this.catalogSize === 0 ? Number.NaN : this.recommended.size / this.catalogSize,
    };
  }
}
