import { meanCompletion, meanRating, type PairSet, type SignalKinds } from './interaction-data.js';

/**
 * How a pair's signals become a training weight (implicit feedback: how much the user's
 * engagement says they liked the item) and a test label (relevant or not).
 *
 * Weight = completion × rating × watch time, each factor present only when the source has it:
 * - completion: 0.25 + 0.75 × the mean completion of the views (an abandoned title still counts a little);
 * - rating: mean stars / the highest rating in the data (1 of 5 stars weighs 0.2);
 * - watch time: 1 + ln(1 + hours watched) — or 1 + ln(events) without seconds (repeat plays).
 *
 * Relevant: a rated pair when its mean rating ≥ `minRating`; an unrated pair with completions when
 * its mean completion ≥ `minCompletion`; any other pair (pure implicit data) always.
 */
export interface FeedbackRules {
  readonly minRating: number;
  readonly minCompletion: number;
}

export const DEFAULT_FEEDBACK: FeedbackRules = Object.freeze({ minRating: 4, minCompletion: 0.5 });

/** The highest mean rating of any pair (the scale's top: 5 for stars), or 1 without ratings. */
export function ratingScale(set: PairSet): number {
  let max = 0;
  for (let p = 0; p < set.length; p++) if (set.ratingCount[p]! > 0) max = Math.max(max, set.ratingSum[p]! / set.ratingCount[p]!);
  return max > 0 ? max : 1;
}

/** The training weight of pair `p` (always > 0). */
export function pairWeight(set: PairSet, p: number, signals: SignalKinds, scale: number): number {
  let w = 1;
  const completion = meanCompletion(set, p);
  if (!Number.isNaN(completion)) w *= 0.25 + 0.75 * Math.min(1, Math.max(0, completion));
  const rating = meanRating(set, p);
  if (!Number.isNaN(rating)) w *= Math.max(0.05, rating / scale);
  if (signals.seconds && set.seconds[p]! > 0) w *= 1 + Math.log1p(set.seconds[p]! / 3600);
  else w *= 1 + Math.log(Math.max(1, set.events[p]!));
  return w;
}

/** Whether pair `p` counts as relevant in a test set. */
export function isRelevant(set: PairSet, p: number, rules: FeedbackRules): boolean {
  const rating = meanRating(set, p);
  if (!Number.isNaN(rating)) return rating >= rules.minRating;
  const completion = meanCompletion(set, p);
  if (!Number.isNaN(completion)) return completion >= rules.minCompletion;
  return true;
}

/** One line for the model card. */
export function describeFeedback(rules: FeedbackRules, signals: SignalKinds): string {
  const parts: string[] = [];
  if (signals.rating) parts.push(`rated pairs with a mean rating ≥ ${rules.minRating}`);
  if (signals.completion) parts.push(`${signals.rating ? 'unrated ' : ''}pairs with a mean completion ≥ ${rules.minCompletion}`);
  if (!signals.rating && !signals.completion) parts.push('every pair');
  return `relevant: ${parts.join('; ')}`;
}
