import type { Random } from './random.js';

/**
 * Walker's alias method: after O(n) set-up, draws an index with probability proportional to its
 * weight in O(1) — choosing among thousands of titles millions of times must not cost O(n) each.
 */
export class AliasTable {
  private readonly probability: Float64Array;
  private readonly alias: Uint32Array;

  constructor(weights: ArrayLike<number>) {
    const n = weights.length;
    if (n === 0) throw new Error('an alias table needs at least one weight');
    this.probability = new Float64Array(n);
    this.alias = new Uint32Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) total += Math.max(0, weights[i]!);
    const scaled = new Float64Array(n);
    for (let i = 0; i < n; i++) scaled[i] = total > 0 ? (Math.max(0, weights[i]!) * n) / total : 1;
    const small: number[] = [];
    const large: number[] = [];
    for (let i = n - 1; i >= 0; i--) (scaled[i]! < 1 ? small : large).push(i);
    while (small.length > 0 && large.length > 0) {
      const s = small.pop()!;
      const l = large.pop()!;
      this.probability[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      (scaled[l]! < 1 ? small : large).push(l);
    }
    for (const i of [...small, ...large]) this.probability[i] = 1;
  }

  get size(): number {
    return this.probability.length;
  }

  draw(random: Random): number {
    const u = random.float() * this.probability.length;
    const i = Math.floor(u);
    return u - i < this.probability[i]! ? i : this.alias[i]!;
  }
}
