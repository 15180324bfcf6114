/** The recency baseline: the longer since a member's last activity, the likelier they leave. */
export interface RecencyRule {
  readonly kind: 'recency-rule';
  readonly column: string;
  /** Train minimum and maximum: score = (days − min) / (max − min), clipped to [0, 1]. */
  readonly min: number;
  readonly max: number;
  /** Used for a missing value. */
  readonly median: number;
}

export function fitRecencyRule(column: string, values: Float64Array, rows: ArrayLike<number>): RecencyRule {
  const present = Array.from(rows, (r) => values[r]!).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  const min = present[0] ?? 0;
  const max = present.at(-1) ?? 1;
  const median = present.length ? present[Math.floor(present.length / 2)]! : 0;
  return { kind: 'recency-rule', column, min, max: max > min ? max : min + 1, median };
}

/** Scores in [0, 1]; a ranking more than a probability (its calibration figures say so). */
export function predictRecency(rule: RecencyRule, values: Float64Array, rows: ArrayLike<number>): Float64Array {
  return Float64Array.from(rows, (r) => {
    const v = Number.isNaN(values[r]!) ? rule.median : values[r]!;
    return Math.min(1, Math.max(0, (v - rule.min) / (rule.max - rule.min)));
  });
}
