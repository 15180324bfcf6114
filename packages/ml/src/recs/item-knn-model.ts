import type { Recommender } from './recommender.js';
import type { UserItemMatrix } from './user-item-matrix.js';

export interface ItemKnnOptions {
  /** Neighbours kept per item (the k of item-kNN). */
  readonly neighbours: number;
}

export const DEFAULT_ITEM_KNN: ItemKnnOptions = Object.freeze({ neighbours: 100 });

/**
 * The item-kNN baseline (Deshpande & Karypis): the cosine similarity of items' columns of the
 * weighted user × item matrix, each item keeping its `neighbours` most similar items; a user's
 * score for item j is Σ over the items i they interacted with of weight(u, i) × sim(i, j), over the
 * neighbourhoods that contain j. Items no neighbourhood of the user reaches score below every
 * item that one does, in order of popularity.
 */
export class ItemKnnModel implements Recommender {
  readonly name = 'item_knn';

  constructor(
    /** Neighbours of item i: `neighbourItems[ptr[i] … ptr[i+1])`, most similar first. */
    readonly ptr: Int32Array,
    readonly neighbourItems: Int32Array,
    readonly similarities: Float32Array,
    /** Popularity in (0, 0.5], for the items no neighbourhood reaches. */
    readonly fallback: Float32Array,
  ) {}

  static fit(train: UserItemMatrix, options: ItemKnnOptions = DEFAULT_ITEM_KNN): ItemKnnModel {
    const byItem = train.transpose();
    const items = train.items;
    const norms = new Float64Array(items);
    for (let k = 0; k < train.nonZeros; k++) norms[train.indices[k]!]! += train.weights[k]! ** 2;
    for (let i = 0; i < items; i++) norms[i] = Math.sqrt(norms[i]!);

    const dots = new Float64Array(items);
    const touched = new Int32Array(items);
    const mark = new Uint8Array(items);
    const ptr = new Int32Array(items + 1);
    const neighbourItems: number[] = [];
    const similarities: number[] = [];
    for (let i = 0; i < items; i++) {
      let count = 0;
      for (let a = byItem.indptr[i]!; a < byItem.indptr[i + 1]!; a++) {
        const user = byItem.indices[a]!;
        const wi = byItem.weights[a]!;
        for (let b = train.indptr[user]!; b < train.indptr[user + 1]!; b++) {
          const j = train.indices[b]!;
          if (j === i) continue;
          if (!mark[j]) {
            mark[j] = 1;
            touched[count++] = j;
          }
          dots[j]! += wi * train.weights[b]!;
        }
      }
      const candidates = Array.from(touched.subarray(0, count), (j) => ({ j, s: dots[j]! / (norms[i]! * norms[j]!) }));
      candidates.sort((x, y) => y.s - x.s || x.j - y.j);
      for (const { j, s } of candidates.slice(0, options.neighbours)) {
        neighbourItems.push(j);
        similarities.push(s);
      }
      ptr[i + 1] = neighbourItems.length;
      for (let k = 0; k < count; k++) {
        dots[touched[k]!] = 0;
        mark[touched[k]!] = 0;
      }
    }
    const counts = train.itemCounts();
    const top = counts.reduce((a, b) => Math.max(a, b), 1);
    return new ItemKnnModel(ptr, Int32Array.from(neighbourItems), Float32Array.from(similarities), Float32Array.from(counts, (c) => (0.5 * (c + 1)) / (top + 1)));
  }

  async score(users: Int32Array, history: UserItemMatrix): Promise<Float32Array> {
    const n = this.fallback.length;
    const out = new Float32Array(users.length * n);
    const row = new Float64Array(n);
    for (let k = 0; k < users.length; k++) {
      row.fill(0);
      const u = users[k]!;
      for (let a = history.indptr[u]!; a < history.indptr[u + 1]!; a++) {
        const i = history.indices[a]!;
        const w = history.weights[a]!;
        for (let b = this.ptr[i]!; b < this.ptr[i + 1]!; b++) row[this.neighbourItems[b]!]! += w * this.similarities[b]!;
      }
      const base = k * n;
      for (let j = 0; j < n; j++) out[base + j] = row[j]! > 0 ? row[j]! : this.fallback[j]! - 1;
    }
    return out;
  }

  dispose(): void {}
}
