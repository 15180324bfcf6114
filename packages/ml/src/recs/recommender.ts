import type { UserItemMatrix } from './user-item-matrix.js';

export const RECOMMENDER_NAMES = ['two_tower', 'popularity', 'item_knn'] as const;
export type RecommenderName = (typeof RECOMMENDER_NAMES)[number];

/**
 * A trained recommender: scores every catalog item for a batch of users. Higher is better; the
 * ranking (top-k, excluding what the user has seen, ties to the lower item index) is done by the
 * caller, the same way for every model.
 */
export interface Recommender {
  readonly name: RecommenderName;
  /**
   * Scores of all items for `users` (indexes into the training users), row-major
   * `users.length × items`. `history` is each user's interactions (the item-kNN baseline scores
   * from them; the others ignore it).
   */
  score(users: Int32Array, history: UserItemMatrix): Promise<Float32Array>;
  /** Frees tensors. */
  dispose(): void;
}
