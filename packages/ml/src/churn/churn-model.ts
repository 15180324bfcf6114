import type * as tfc from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ChurnDataConfig } from '../data/data-config.js';
import type { Frame } from '../data/frame.js';
import { MlInputError } from '../errors.js';
import { layersModelFiles, loadLayersModelFrom } from '../store/layers-io.js';
import { PREPROCESSING_FILE, type StoredVersion, type VersionFields, type VersionInfo } from '../store/model-store.js';
import { predictLogistic, type LogisticModel } from './logistic-regression.js';
// neural-model.js also registers the custom dropout layer, which loading the topology needs.
import { predictNeural } from './neural-model.js';
import { correctForClassWeights, Preprocessor } from './preprocess.js';
import { predictRecency, type RecencyRule } from './recency-rule.js';

export const CHURN_TASK = 'churn';
export const BASELINES_FILE = 'baselines.json';

export const CHURN_MODELS = ['neural', 'logistic_regression', 'recency_rule'] as const;
export type ChurnModelName = (typeof CHURN_MODELS)[number];

/** Score cut-offs: `high` at or above the first, `medium` at or above the second, else `low`. */
export interface RiskBands {
  readonly high: number;
  readonly medium: number;
  /** How they were chosen, for the model card. */
  readonly rule: string;
}

/** What a churn version's `version.json` holds besides the fields every task has. */
export interface ChurnVersionFields extends VersionFields {
  readonly config: ChurnDataConfig;
  readonly primary: ChurnModelName;
  readonly riskBands: RiskBands;
  readonly seed: number;
}

export type ChurnVersionInfo = ChurnVersionFields & VersionInfo;

interface BaselinesFile {
  readonly logistic_regression: LogisticModel;
  readonly recency_rule?: RecencyRule;
}

/**
 * A trained churn model with its baselines and the preprocessing they share: what `ml train churn`
 * saves and `ml score churn` loads. Probabilities are corrected for the class weights used in
 * training, so they can be read as probabilities.
 */
export class ChurnModel {
  constructor(
    readonly preprocessor: Preprocessor,
    readonly neural: tfl.LayersModel,
    readonly logistic: LogisticModel,
    readonly recency: RecencyRule | undefined,
  ) {}

  static async load(version: StoredVersion): Promise<ChurnModel> {
    if (version.task !== CHURN_TASK) throw new MlInputError('wrong-task', `version ${version.version} is a ${version.task} model, not a churn model`, { hint: 'pick a churn version (ml list)' });
    const preprocessor = Preprocessor.fromJSON(version.readJson(PREPROCESSING_FILE));
    const baselines = version.readJson<BaselinesFile>(BASELINES_FILE);
    const neural = await loadLayersModelFrom(version);
    return new ChurnModel(preprocessor, neural, baselines.logistic_regression, baselines.recency_rule);
  }

  /** The files of this model, to save with the store (metrics and card are added by training). */
  async files(): Promise<Record<string, string | Uint8Array>> {
    const baselines: BaselinesFile = { logistic_regression: this.logistic, ...(this.recency ? { recency_rule: this.recency } : {}) };
    return {
      ...(await layersModelFiles(this.neural)),
      [PREPROCESSING_FILE]: `${JSON.stringify(this.preprocessor.toJSON(), null, 2)}\n`,
      [BASELINES_FILE]: `${JSON.stringify(baselines, null, 2)}\n`,
    };
  }

  /** Which models this version can score with (the recency rule needs its column). */
  get models(): ChurnModelName[] {
    return this.recency ? [...CHURN_MODELS] : ['neural', 'logistic_regression'];
  }

  /** Probabilities of churn for the given rows of `frame`, from one model. */
  predict(tf: typeof tfc, frame: Frame, rows: ArrayLike<number>, model: ChurnModelName, matrix?: Float32Array): Float64Array {
    if (model === 'recency_rule') {
      if (!this.recency || !frame.recency) throw new MlInputError('no-recency', 'this model has no recency rule (its config names no recency column)');
      return predictRecency(this.recency, frame.recency, rows);
    }
    const x = matrix ?? this.preprocessor.transform(frame, rows);
    const raw = model === 'neural' ? predictNeural(tf, this.neural, x, this.preprocessor.width) : predictLogistic(this.logistic, x, this.preprocessor.width);
    const weights = this.preprocessor.classWeights;
    return raw.map((p) => correctForClassWeights(p, weights));
  }
}

/** The band of a score. */
export function riskBand(score: number, bands: RiskBands): 'high' | 'medium' | 'low' {
  return score >= bands.high ? 'high' : score >= bands.medium ? 'medium' : 'low';
}
