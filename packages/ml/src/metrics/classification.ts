/**
 * Metrics of a binary classifier: labels are 0 or 1, scores are probabilities (or any score where
 * higher means more likely positive, for the rank metrics). Every function takes plain arrays or
 * typed arrays of the same length.
 *
 * @example
 * ```ts
 * rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 * ```
 */
export type Numbers = ArrayLike<number>;

/**
 * Area under the ROC curve: the chance that a random positive scores above a random negative,
 * ties counting one half (Mann–Whitney U with average ranks). NaN when a class is absent.
 */
export function rocAuc(labels: Numbers, scores: Numbers): number {
  const n = checkSameLength(labels, scores);
  const order = sortedIndex(scores, 'ascending');
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    // Ranks start..end (1-based start+1..end+1) share their average.
    const averageRank = (start + end + 2) / 2;
    for (let k = start; k <= end; k++) {
      if (labels[order[k]!] === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Area under the precision–recall curve as average precision: Σ (Rₖ − Rₖ₋₁) · Pₖ over the
 * distinct score thresholds, highest first (tied scores form one threshold, as in scikit-learn).
 * NaN when there are no positives.
 */
export function averagePrecision(labels: Numbers, scores: Numbers): number {
  const n = checkSameLength(labels, scores);
  const order = sortedIndex(scores, 'descending');
  let totalPositives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) totalPositives++;
  if (totalPositives === 0) return Number.NaN;
  let truePositives = 0;
  let seen = 0;
  let previousRecall = 0;
  let sum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    for (let k = start; k <= end; k++) if (labels[order[k]!] === 1) truePositives++;
    seen = end + 1;
    const recall = truePositives / totalPositives;
    sum += (recall - previousRecall) * (truePositives / seen);
    previousRecall = recall;
    start = end + 1;
  }
  return sum;
}

/** Mean negative log-likelihood of the labels, probabilities clipped to [eps, 1 − eps]. */
export function logLoss(labels: Numbers, probabilities: Numbers, eps = 1e-15): number {
  const n = checkSameLength(labels, probabilities);
  if (n === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i]!));
    sum -= labels[i] === 1 ? Math.log(p) : Math.log(1 - p);
  }
  return sum / n;
}

/** Mean squared difference between probability and label (0 is perfect, 0.25 a coin). */
export function brierScore(labels: Numbers, probabilities: Numbers): number {
  const n = checkSameLength(labels, probabilities);
  if (n === 0) return Number.NaN;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (probabilities[i]! - labels[i]!) ** 2;
  return sum / n;
}

/** One bin of a reliability table: predictions in [from, to) (the last bin includes 1). */
export interface ReliabilityBin {
  readonly from: number;
  readonly to: number;
  readonly count: number;
  /** Mean predicted probability in the bin (null when empty). */
  readonly meanPredicted: number | null;
  /** Share of positives in the bin (null when empty). */
  readonly observedRate: number | null;
}

/**
 * Calibration in `bins` equal-width bins of predicted probability: a calibrated model's observed
 * rate matches its mean prediction in every bin.
 */
export function reliabilityTable(labels: Numbers, probabilities: Numbers, bins = 10): ReliabilityBin[] {
  const n = checkSameLength(labels, probabilities);
  const count = new Float64Array(bins);
  const predicted = new Float64Array(bins);
  const positive = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    const p = Math.min(1, Math.max(0, probabilities[i]!));
    const bin = Math.min(bins - 1, Math.floor(p * bins));
    count[bin]!++;
    predicted[bin]! += p;
    if (labels[i] === 1) positive[bin]!++;
  }
  return Array.from({ length: bins }, (_, b) => ({
    from: b / bins,
    to: (b + 1) / bins,
    count: count[b]!,
    meanPredicted: count[b] ? predicted[b]! / count[b]! : null,
    observedRate: count[b] ? positive[b]! / count[b]! : null,
  }));
}

/**
 * Share of all positives found among the top `fraction` of rows by score (capture rate; lift is
 * this divided by `fraction`). A group of tied scores that straddles the cut counts in proportion
 * to the part of it inside, the expected value when ties are broken at random. NaN without positives.
 */
export function captureAtTop(labels: Numbers, scores: Numbers, fraction = 0.1): number {
  const n = checkSameLength(labels, scores);
  const order = sortedIndex(scores, 'descending');
  let totalPositives = 0;
  for (let i = 0; i < n; i++) if (labels[i] === 1) totalPositives++;
  if (totalPositives === 0) return Number.NaN;
  const cut = fraction * n;
  let captured = 0;
  for (let start = 0; start < n && start < cut; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    let positives = 0;
    for (let k = start; k <= end; k++) if (labels[order[k]!] === 1) positives++;
    const size = end - start + 1;
    const inside = Math.min(size, cut - start);
    captured += (positives * inside) / size;
    start = end + 1;
  }
  return captured / totalPositives;
}

/** The figures Reel reports for a churn model, on one set of rows. */
export interface ClassificationReport {
  readonly rows: number;
  readonly positives: number;
  readonly roc_auc: number;
  readonly pr_auc: number;
  readonly log_loss: number;
  readonly brier: number;
  readonly top10_capture: number;
  readonly reliability: ReliabilityBin[];
}

/** Every metric above for one model's probabilities. */
export function classificationReport(labels: Numbers, probabilities: Numbers): ClassificationReport {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) positives++;
  return {
    rows: labels.length,
    positives,
    roc_auc: rocAuc(labels, probabilities),
    pr_auc: averagePrecision(labels, probabilities),
    log_loss: logLoss(labels, probabilities),
    brier: brierScore(labels, probabilities),
    top10_capture: captureAtTop(labels, probabilities, 0.1),
    reliability: reliabilityTable(labels, probabilities, 10),
  };
}

function checkSameLength(labels: Numbers, scores: Numbers): number {
  if (labels.length !== scores.length) throw new RangeError(`${labels.length} labels but ${scores.length} scores`);
  return labels.length;
}

function sortedIndex(scores: Numbers, direction: 'ascending' | 'descending'): Uint32Array {
  const order = new Uint32Array(scores.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const sign = direction === 'ascending' ? 1 : -1;
  // Index as the tie-break keeps the order deterministic; the metrics treat ties as groups anyway.
  return order.sort((a, b) => sign * (scores[a]! - scores[b]!) || a - b);
}
