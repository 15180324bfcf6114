import type { FeatureKind, FeatureSpec } from '../data/data-config.js';
import type { Frame } from '../data/frame.js';
import { MlInputError } from '../errors.js';

/** A numeric or boolean feature: missing → train median (plus a 0/1 missing indicator), then scaled. */
export interface NumericStep {
  readonly kind: 'numeric' | 'boolean';
  readonly name: string;
  readonly median: number;
  readonly mean: number;
  /** 1 when the train values do not vary. Booleans are not scaled (mean 0, std 1). */
  readonly std: number;
  /** Whether train had missing values, and so an indicator column. */
  readonly missingIndicator: boolean;
}

/** A categorical feature: one column per train category, plus one for anything else. */
export interface CategoricalStep {
  readonly kind: 'categorical';
  readonly name: string;
  /** Train categories, most frequent first; `(missing)` stands for an empty value. */
  readonly categories: readonly string[];
}

export type PreprocessStep = NumericStep | CategoricalStep;

/** The fitted preprocessing, as saved in `preprocessing.json`. */
export interface PreprocessingState {
  readonly format: 'reel-churn-preprocessing/1';
  readonly steps: readonly PreprocessStep[];
  /** Weight of each class in training: n / (2 · n_class) ("balanced"), or 1 and 1. */
  readonly classWeights: { readonly 0: number; readonly 1: number };
  /** Names of the output columns, in order: `tenure_days`, `rating_drift__missing`, `plan=basic`, `plan=(other)`. */
  readonly columns: readonly string[];
}

export interface FitOptions {
  /** Categories seen fewer times in train go to the `(other)` column. */
  readonly minCategoryCount?: number;
  readonly maxCategories?: number;
  readonly classWeights?: 'balanced' | 'none';
}

export const MISSING_CATEGORY = '(missing)';
export const OTHER_CATEGORY = '(other)';

/**
 * Turns a Frame's features into a dense matrix for the models. Fitted on the train rows only
 * (medians, means, standard deviations, categories, class weights), so validation and test rows
 * are transformed exactly as rows scored later will be. `toJSON` / `fromJSON` round-trip.
 *
 * @example
 * ```ts
 * const prep = Preprocessor.fit(frame, trainRows, config.features);
 * const x = prep.transform(frame, testRows); // Float32Array, rows × prep.width
 * writeFileSync('preprocessing.json', JSON.stringify(prep.toJSON()));
 * ```
 */
export class Preprocessor {
  private constructor(readonly state: PreprocessingState) {}

  static fit(frame: Frame, rows: ArrayLike<number>, features: readonly FeatureSpec[], options: FitOptions = {}): Preprocessor {
    const steps: PreprocessStep[] = [];
    for (const spec of features) {
      const column = frame.features.get(spec.name);
      if (!column) throw new MlInputError('missing-column', `the feature ${spec.name} is not in ${frame.description}`);
      if (column.kind === 'categorical') {
        const counts = new Map<string, number>();
        for (let i = 0; i < rows.length; i++) {
          const value = column.values[rows[i]!] ?? MISSING_CATEGORY;
          counts.set(value, (counts.get(value) ?? 0) + 1);
        }
        const categories = [...counts]
          .filter(([, n]) => n >= (options.minCategoryCount ?? 1))
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .slice(0, options.maxCategories ?? 50)
          .map(([name]) => name);
        steps.push({ kind: 'categorical', name: spec.name, categories });
      } else {
        steps.push(fitNumeric(spec.name, spec.kind as Exclude<FeatureKind, 'categorical'>, column.values, rows));
      }
    }
    let positives = 0;
    let labelled = 0;
    if (frame.labels) {
      for (let i = 0; i < rows.length; i++) {
        const label = frame.labels[rows[i]!]!;
        if (Number.isNaN(label)) continue;
        labelled++;
        if (label === 1) positives++;
      }
    }
    const balanced = options.classWeights !== 'none' && positives > 0 && positives < labelled;
    const classWeights = balanced ? { 0: labelled / (2 * (labelled - positives)), 1: labelled / (2 * positives) } : { 0: 1, 1: 1 };
    return new Preprocessor({ format: 'reel-churn-preprocessing/1', steps, classWeights, columns: columnNames(steps) });
  }

  static fromJSON(value: unknown): Preprocessor {
    const state = value as PreprocessingState;
    if (state?.format !== 'reel-churn-preprocessing/1' || !Array.isArray(state.steps)) {
      throw new MlInputError('bad-preprocessing', 'preprocessing.json is not a Reel churn preprocessing (format reel-churn-preprocessing/1)', { hint: 'train the model again with this version of ml' });
    }
    return new Preprocessor({ ...state, columns: columnNames(state.steps) });
  }

  toJSON(): PreprocessingState {
    return this.state;
  }

  get width(): number {
    return this.state.columns.length;
  }

  get columns(): readonly string[] {
    return this.state.columns;
  }

  get classWeights(): { readonly 0: number; readonly 1: number } {
    return this.state.classWeights;
  }

  /** The rows' features as a row-major matrix (rows.length × width). */
  transform(frame: Frame, rows: ArrayLike<number>): Float32Array {
    const width = this.width;
    const out = new Float32Array(rows.length * width);
    let offset = 0;
    for (const step of this.state.steps) {
      const column = frame.features.get(step.name);
      if (!column) throw new MlInputError('missing-column', `the feature ${step.name}, which the model was trained on, is not in ${frame.description}`, { hint: 'score with the data config the model was trained with' });
      if (step.kind === 'categorical') {
        if (column.kind !== 'categorical') throw new MlInputError('feature-kind', `the feature ${step.name} was categorical in training but is ${column.kind} now`);
        const position = new Map(step.categories.map((c, i) => [c, i]));
        const other = step.categories.length;
        for (let i = 0; i < rows.length; i++) {
          const value = column.values[rows[i]!] ?? MISSING_CATEGORY;
          out[i * width + offset + (position.get(value) ?? other)] = 1;
        }
        offset += step.categories.length + 1;
      } else {
        if (column.kind === 'categorical') throw new MlInputError('feature-kind', `the feature ${step.name} was ${step.kind} in training but is categorical now`);
        for (let i = 0; i < rows.length; i++) {
          const raw = column.values[rows[i]!]!;
          const missing = Number.isNaN(raw);
          out[i * width + offset] = ((missing ? step.median : raw) - step.mean) / step.std;
          if (step.missingIndicator) out[i * width + offset + 1] = missing ? 1 : 0;
        }
        offset += step.missingIndicator ? 2 : 1;
      }
    }
    return out;
  }
}

function fitNumeric(name: string, kind: 'numeric' | 'boolean', values: Float64Array, rows: ArrayLike<number>): NumericStep {
  const present: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i]!]!;
    if (!Number.isNaN(v)) present.push(v);
  }
  const missingIndicator = present.length < rows.length;
  present.sort((a, b) => a - b);
  const median = present.length === 0 ? 0 : present.length % 2 ? present[(present.length - 1) / 2]! : (present[present.length / 2 - 1]! + present[present.length / 2]!) / 2;
  if (kind === 'boolean') return { kind, name, median, mean: 0, std: 1, missingIndicator };
  // Mean and spread of the imputed column, as the model will see it.
  const missing = rows.length - present.length;
  let sum = missing * median;
  for (const v of present) sum += v;
  const mean = rows.length ? sum / rows.length : 0;
  let squares = missing * (median - mean) ** 2;
  for (const v of present) squares += (v - mean) ** 2;
  const std = rows.length > 1 ? Math.sqrt(squares / (rows.length - 1)) : 0;
  return { kind, name, median, mean, std: std > 1e-12 ? std : 1, missingIndicator };
}

function columnNames(steps: readonly PreprocessStep[]): string[] {
  return steps.flatMap((step) =>
    step.kind === 'categorical' ? [...step.categories.map((c) => `${step.name}=${c}`), `${step.name}=${OTHER_CATEGORY}`] : step.missingIndicator ? [step.name, `${step.name}__missing`] : [step.name],
  );
}

/**
 * Undoes the shift class weights give predicted probabilities: a model trained with weights w₀, w₁
 * predicts odds w₁/w₀ times too high, so log(w₁/w₀) is taken off the logit ("prior correction").
 */
export function correctForClassWeights(probability: number, weights: { readonly 0: number; readonly 1: number }): number {
  const shift = Math.log(weights[1] / weights[0]);
  if (shift === 0) return probability;
  const p = Math.min(1 - 1e-7, Math.max(1e-7, probability));
  return 1 / (1 + Math.exp(-(Math.log(p / (1 - p)) - shift)));
}
