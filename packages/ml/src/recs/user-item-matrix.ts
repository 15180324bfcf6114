import { pairWeight } from './feedback.js';
import type { PairSet, SignalKinds } from './interaction-data.js';

/**
 * The training interactions as a sparse users × items matrix (compressed rows): for user u, the
 * items `indices[indptr[u] … indptr[u+1])`, ascending, with their weights.
 */
export class UserItemMatrix {
  private transposed?: UserItemMatrix;

  constructor(
    readonly users: number,
    readonly items: number,
    readonly indptr: Int32Array,
    readonly indices: Int32Array,
    readonly weights: Float32Array,
  ) {}

  /** From pairs sorted by (user, item) — as PairSets are — weighted by the feedback rules. */
  static fromPairs(set: PairSet, users: number, items: number, signals: SignalKinds, ratingScale: number): UserItemMatrix {
    const indptr = new Int32Array(users + 1);
    for (let p = 0; p < set.length; p++) indptr[set.user[p]! + 1]!++;
    for (let u = 0; u < users; u++) indptr[u + 1]! += indptr[u]!;
    const indices = Int32Array.from(set.item);
    const weights = new Float32Array(set.length);
    for (let p = 0; p < set.length; p++) weights[p] = pairWeight(set, p, signals, ratingScale);
    return new UserItemMatrix(users, items, indptr, indices, weights);
  }

  get nonZeros(): number {
    return this.indices.length;
  }

  itemsOf(user: number): Int32Array {
    return this.indices.subarray(this.indptr[user]!, this.indptr[user + 1]!);
  }

  weightsOf(user: number): Float32Array {
    return this.weights.subarray(this.indptr[user]!, this.indptr[user + 1]!);
  }

  /** Users with one interaction or more. */
  activeUsers(): Int32Array {
    const out: number[] = [];
    for (let u = 0; u < this.users; u++) if (this.indptr[u + 1]! > this.indptr[u]!) out.push(u);
    return Int32Array.from(out);
  }

  /** Interactions per item (users who have it). */
  itemCounts(): Float64Array {
    const counts = new Float64Array(this.items);
    for (const i of this.indices) counts[i]!++;
    return counts;
  }

  /** Items × users, the same weights (computed once). */
  transpose(): UserItemMatrix {
    if (this.transposed) return this.transposed;
    const indptr = new Int32Array(this.items + 1);
    for (const i of this.indices) indptr[i + 1]!++;
    for (let i = 0; i < this.items; i++) indptr[i + 1]! += indptr[i]!;
    const next = indptr.slice(0, this.items);
    const indices = new Int32Array(this.nonZeros);
    const weights = new Float32Array(this.nonZeros);
    for (let u = 0; u < this.users; u++) {
      for (let k = this.indptr[u]!; k < this.indptr[u + 1]!; k++) {
        const at = next[this.indices[k]!]!++;
        indices[at] = u;
        weights[at] = this.weights[k]!;
      }
    }
    this.transposed = new UserItemMatrix(this.items, this.users, indptr, indices, weights);
    return this.transposed;
  }
}
