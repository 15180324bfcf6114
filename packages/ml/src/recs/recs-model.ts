import type * as tfc from '@tensorflow/tfjs-core';
import { MlRunError } from '../errors.js';
import type { StoredVersion, VersionFields } from '../store/model-store.js';
import type { FeedbackRules } from './feedback.js';
import type { SignalKinds } from './interaction-data.js';
import type { InteractionSource } from './interaction-source.js';
import type { ItemKnnOptions } from './item-knn-model.js';
import type { Protocol } from './split.js';
import { TwoTowerModel, type TwoTowerOptions } from './two-tower-model.js';

/** The model store's task name. */
export const RECS_TASK = 'recs';

/** The files of a recs version besides metrics.json and model-card.md. */
export const RECS_MODEL_FILE = 'model.json';
export const RECS_WEIGHTS_FILE = 'weights.bin';
export const RECS_PREPROCESSING_FILE = 'preprocessing.json';

const FORMAT = 'reel-recs-two-tower/1';

/** `model.json`: the catalog and the shapes of the arrays in `weights.bin`. */
interface ModelJson {
  readonly format: typeof FORMAT;
  readonly factors: number;
  /** Item ids in index order (the catalog the model ranks). */
  readonly items: readonly string[];
  /** Float32 little-endian arrays in weights.bin, in this order. */
  readonly arrays: readonly { readonly name: 'inputFactors' | 'outputFactorsT' | 'itemBias'; readonly shape: readonly number[] }[];
}

/**
 * `preprocessing.json`: how interactions become the model's input, so scoring reads and weighs the
 * history exactly as training did.
 */
export interface RecsPreprocessing {
  readonly source: InteractionSource;
  readonly signals: SignalKinds;
  /** The top of the rating scale (weights use rating / scale). */
  readonly ratingScale: number;
  readonly feedback: FeedbackRules;
  /** The SQL type of the user ids (ml.recommendations.user_id). */
  readonly userIdType: string;
}

/** The recs fields of `version.json`. */
export interface RecsVersionFields extends VersionFields {
  readonly protocol: Protocol;
  readonly k: number;
  readonly seed: number;
  readonly twoTower: TwoTowerOptions;
  readonly itemKnn: ItemKnnOptions;
  /** Whether the saved model was trained again on all the data after evaluation. */
  readonly refit: boolean;
  readonly timings: Readonly<Record<string, number | null>>;
}

/** The files that hold a trained two-tower model and its catalog. */
export function modelFiles(model: TwoTowerModel, items: readonly string[]): Record<string, string | Uint8Array> {
  const arrays = model.toArrays();
  const n = items.length;
  const json: ModelJson = {
    format: FORMAT,
    factors: arrays.factors,
    items,
    arrays: [
      { name: 'inputFactors', shape: [n, arrays.factors] },
      { name: 'outputFactorsT', shape: [arrays.factors, n] },
      { name: 'itemBias', shape: [n] },
    ],
  };
  const weights = new Float32Array(arrays.inputFactors.length + arrays.outputFactorsT.length + arrays.itemBias.length);
  weights.set(arrays.inputFactors, 0);
  weights.set(arrays.outputFactorsT, arrays.inputFactors.length);
  weights.set(arrays.itemBias, arrays.inputFactors.length + arrays.outputFactorsT.length);
  return { [RECS_MODEL_FILE]: `${JSON.stringify(json)}\n`, [RECS_WEIGHTS_FILE]: new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength) };
}

/** Reads a saved version's model and catalog back. */
export function loadModel(tf: typeof tfc, version: StoredVersion): { model: TwoTowerModel; items: readonly string[]; preprocessing: RecsPreprocessing } {
  for (const file of [RECS_MODEL_FILE, RECS_WEIGHTS_FILE, RECS_PREPROCESSING_FILE]) {
    if (!version.has(file)) throw new MlRunError('incomplete-version', `${version.dir} has no ${file}`, { hint: 'the version is incomplete: train it again with `ml train recs`' });
  }
  const json = version.readJson<ModelJson>(RECS_MODEL_FILE);
  if (json.format !== FORMAT) throw new MlRunError('unknown-model-format', `${version.dir}/${RECS_MODEL_FILE} is in the format "${json.format}", not ${FORMAT}`, { hint: 'train the model again with this version of ml' });
  const bytes = version.read(RECS_WEIGHTS_FILE);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const parts: Record<string, Float32Array> = {};
  let offset = 0;
  for (const { name, shape } of json.arrays) {
    const size = shape.reduce((a, b) => a * b, 1);
    parts[name] = all.subarray(offset, offset + size);
    offset += size;
  }
  if (offset !== all.length) throw new MlRunError('damaged-weights', `${version.dir}/${RECS_WEIGHTS_FILE} holds ${all.length} numbers, not the ${offset} model.json describes`, { hint: 'the version is damaged: train it again' });
  const model = TwoTowerModel.fromArrays(tf, { factors: json.factors, inputFactors: parts.inputFactors!, outputFactorsT: parts.outputFactorsT!, itemBias: parts.itemBias! });
  return { model, items: json.items, preprocessing: version.readJson<RecsPreprocessing>(RECS_PREPROCESSING_FILE) };
}
