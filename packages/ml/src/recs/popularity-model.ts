import type { Recommender } from './recommender.js';
import type { UserItemMatrix } from './user-item-matrix.js';

/**
 * The popularity baseline: every user gets the items most users interacted with in training
 * (minus what they have seen). Ties go to the lower item index, as everywhere.
 */
export class PopularityModel implements Recommender {
  readonly name = 'popularity';

  constructor(readonly counts: Float32Array) {}

  static fit(train: UserItemMatrix): PopularityModel {
    return new PopularityModel(Float32Array.from(train.itemCounts()));
  }

  async score(users: Int32Array): Promise<Float32Array> {
    const n = this.counts.length;
    const out = new Float32Array(users.length * n);
    for (let k = 0; k < users.length; k++) out.set(this.counts, k * n);
    return out;
  }

  /** Items somebody interacted with in training: the catalog every model ranks. */
  catalogSize(): number {
    let n = 0;
    for (const c of this.counts) if (c > 0) n++;
    return n;
  }

  dispose(): void {}
}
