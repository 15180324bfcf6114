import type * as tfc from '@tensorflow/tfjs-core';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { MlInputError } from '../errors.js';
import { SeededRandom } from '../seeded-random.js';
import type { Recommender } from './recommender.js';
import type { UserItemMatrix } from './user-item-matrix.js';

type Tf = typeof tfc;

export const LOSSES = ['softmax', 'bpr'] as const;
export type Loss = (typeof LOSSES)[number];

export interface TwoTowerOptions {
  /** Latent factors (the width of both towers). */
  readonly factors: number;
  /** Optimiser steps; each takes `batchUsers` users. The model has no per-user weights, so the
   * steps needed do not grow with the number of users. */
  readonly steps: number;
  readonly batchUsers: number;
  /** Adam's step size. */
  readonly learningRate: number;
  /** L2 penalty on both towers' factors. */
  readonly regularization: number;
  readonly loss: Loss;
  /** For the BPR loss: negatives sampled per positive. */
  readonly negatives: number;
  /** Share of a user's items the user tower sees in a step; the model learns to rank the rest. */
  readonly inputShare: number;
  /**
   * Target weights halve for every `halfLifeDays` between an interaction and the end of the
   * training data (0: no decay), so the model ranks what is watched now above what was watched
   * months ago. The user tower always sees the whole history undecayed: tastes last.
   */
  readonly halfLifeDays: number;
  readonly seed: number;
}

export const DEFAULT_TWO_TOWER: Omit<TwoTowerOptions, 'seed'> = Object.freeze({
  factors: 32,
  steps: 800,
  batchUsers: 512,
  learningRate: 0.01,
  regularization: 0,
  loss: 'softmax',
  negatives: 8,
  inputShare: 0.4,
  halfLifeDays: 7,
});

export interface TrainingProgress {
  readonly step: number;
  /** Mean loss over the steps since the last report. */
  readonly loss: number;
  readonly seconds: number;
}

/** The arrays a saved model is made of (see `toArrays`). */
export interface TwoTowerArrays {
  readonly factors: number;
  /** items × factors, row-major: the user tower's item embeddings. */
  readonly inputFactors: Float32Array;
  /** factors × items, row-major: the item tower. */
  readonly outputFactorsT: Float32Array;
  readonly itemBias: Float32Array;
}

/**
 * A two-tower matrix factorisation for implicit feedback. The item tower is a factor vector q_i
 * and a bias b_i per item. The user tower is the user's history: p_u = Σ_i w_ui y_i / √(Σ_i w_ui),
 * a weighted mean of per-item input factors y_i (as in FISM and asymmetric SVD). score(u, j) =
 * p_u · q_j + b_j.
 *
 * Trained with a ranking loss over all items: full softmax (−log of the softmax of the user's
 * held-back items among all items: a multinomial choice model, the exact form of sampled softmax)
 * or BPR (−log σ(score(u, i) − score(u, j)) for sampled negatives j). Each step takes a batch of
 * users, splits each one's items at random into what the user tower sees (`inputShare`) and what it
 * must rank (the rest), so the model learns to predict unseen items, not to echo seen ones.
 *
 * Why this shape, on the TensorFlow.js WASM backend: it has no sparse gradients (no
 * UnsortedSegmentSum kernel, the gradient of `gather`) and its element-wise gather costs ~100 ns a
 * value, but its SIMD matrix product is fast. The expensive work here is three dense products per
 * step over all items (S = P Qᵀ and the two gradients), on the backend; the sparse sums of the
 * user tower (p_u, and ∂Y from ∂P) are done on the host. All weights are item weights, updated
 * every step by Adam, so training needs a fixed number of steps whatever the number of users —
 * and users who arrived after training are scored from their history without retraining.
 * Initial factors come from seeded TensorFlow.js initialisers, batches and splits from a seeded
 * stream: a run is reproducible.
 */
export class TwoTowerModel implements Recommender {
  readonly name = 'two_tower';

  private constructor(
    private readonly tf: Tf,
    readonly factors: number,
    /** items × factors on the host (the user tower is computed there). */
    readonly inputFactors: Float32Array,
    /** factors × items (transposed: the WASM matrix product is much faster without transposes). */
    private readonly outputFactorsT: tfc.Tensor2D,
    private readonly itemBias: tfc.Tensor2D,
  ) {}

  get items(): number {
    return this.itemBias.shape[1];
  }

  /**
   * Trains on `train` (weights: engagement). `recency[k]` multiplies the target weight of the k-th
   * non-zero of `train` (1 when absent).
   */
  static async train(tf: Tf, train: UserItemMatrix, options: TwoTowerOptions, recency?: Float32Array, onProgress: (p: TrainingProgress) => void = () => undefined): Promise<TwoTowerModel> {
    const { factors: d, batchUsers: b } = options;
    const n = train.items;
    const random = new SeededRandom(options.seed);
    const generator = xoroshiro128plus(random.seed());
    const uniform = () => (generator.next() >>> 0) / 4_294_967_296;
    const scale = 0.05;
    // Variable names are global in TensorFlow.js: unique per trained model.
    const id = `recs_two_tower_${random.seed()}_${Date.now()}`;
    const inputFactors = tf.variable(tf.randomNormal([n, d], 0, scale, 'float32', random.seed()), true, `${id}_input`);
    const outputFactorsT = tf.variable(tf.randomNormal([d, n], 0, scale, 'float32', random.seed()), true, `${id}_output`);
    const itemBias = tf.variable(tf.zeros([1, n]), true, `${id}_bias`);
    const optimizer = tf.train.adam(options.learningRate);
    // Users with two items or more: one to see, one to rank.
    const users = Int32Array.from(Array.from(train.activeUsers()).filter((u) => train.indptr[u + 1]! - train.indptr[u]! >= 2));
    if (users.length === 0) {
      throw new MlInputError('too-few-interactions', 'no user has two items or more in the training data: the two-tower model learns from a part of each history to rank the rest', { hint: 'use more data, or another protocol (the time cut-off may leave too little before it)' });
    }

    const marks = new Uint8Array(n);
    let lossSum = 0;
    let lossSteps = 0;
    let started = performance.now();
    try {
      for (let step = 1; step <= options.steps; step++) {
        const y = inputFactors.dataSync() as Float32Array;
        // The batch: users, each one's items split into seen (tower input) and held back (targets).
        const hidden = new Float32Array(b * d);
        const targets = new Float32Array(b * n);
        const seen: { user: number; items: number[]; weights: number[]; norm: number }[] = [];
        for (let k = 0; k < b; k++) {
          const u = users[Math.floor(uniform() * users.length)]!;
          const items = train.itemsOf(u);
          const weights = train.weightsOf(u);
          const offset = train.indptr[u]!;
          const isInput = Array.from(items, () => uniform() < options.inputShare);
          if (!isInput.includes(true)) isInput[Math.floor(uniform() * items.length)] = true;
          if (!isInput.includes(false)) isInput[Math.floor(uniform() * items.length)] = false;
          const inputItems: number[] = [];
          const inputWeights: number[] = [];
          let inputSum = 0;
          let targetSum = 0;
          for (let a = 0; a < items.length; a++) {
            if (isInput[a]) {
              inputItems.push(items[a]!);
              inputWeights.push(weights[a]!);
              inputSum += weights[a]!;
            } else {
              const w = weights[a]! * (recency ? recency[offset + a]! : 1);
              targets[k * n + items[a]!] = w;
              targetSum += w;
            }
          }
          // Each user's targets sum to 1: every user in the batch counts the same.
          for (let a = 0; a < items.length; a++) if (!isInput[a]) targets[k * n + items[a]!]! /= targetSum;
          const norm = 1 / Math.sqrt(inputSum);
          for (let a = 0; a < inputItems.length; a++) {
            const i = inputItems[a]!;
            const w = inputWeights[a]! * norm;
            for (let f = 0; f < d; f++) hidden[k * d + f]! += w * y[i * d + f]!;
          }
          seen.push({ user: u, items: inputItems, weights: inputWeights, norm });
        }

        const [gradOutput, gradBias, gradHidden, lossTensor] = await (options.loss === 'softmax'
          ? Promise.resolve(
              tf.tidy(() => {
                const h = tf.tensor2d(hidden, [b, d]);
                const t = tf.tensor2d(targets, [b, n]);
                const logits = tf.add(tf.matMul(h, outputFactorsT), itemBias);
                const logProbabilities = tf.logSoftmax(logits);
                // ∂/∂logits of −Σ t log softmax, rows of t summing to 1: softmax − t (over the batch).
                const dLogits = tf.div(tf.sub(tf.exp(logProbabilities), t), b) as tfc.Tensor2D;
                const loss = tf.div(tf.neg(tf.sum(tf.mul(t, logProbabilities))), b);
                return gradients(tf, h, dLogits, outputFactorsT, options.regularization, loss);
              }),
            )
          : bprGradients(tf, hidden, targets, b, n, d, outputFactorsT, itemBias, options, train, seen, marks, uniform));
        const stepLoss = (await lossTensor.data())[0]!;
        const hiddenGradient = (await gradHidden.data()) as Float32Array;
        // ∂Y from ∂P through the user tower's weighted sums (sparse, on the host).
        const gradInput = new Float32Array(n * d);
        for (let k = 0; k < b; k++) {
          const { items, weights, norm } = seen[k]!;
          for (let a = 0; a < items.length; a++) {
            const i = items[a]!;
            const w = weights[a]! * norm;
            for (let f = 0; f < d; f++) gradInput[i * d + f]! += w * hiddenGradient[k * d + f]!;
          }
        }
        const gradInputTensor = tf.tidy(() => {
          const g = tf.tensor2d(gradInput, [n, d]);
          return options.regularization > 0 ? tf.add(g, tf.mul(2 * options.regularization, inputFactors)) : g;
        });
        optimizer.applyGradients([
          { name: inputFactors.name, tensor: gradInputTensor },
          { name: outputFactorsT.name, tensor: gradOutput },
          { name: itemBias.name, tensor: gradBias },
        ]);
        tf.dispose([gradInputTensor, gradOutput, gradBias, gradHidden, lossTensor]);
        lossSum += stepLoss;
        lossSteps++;
        if (step % 50 === 0 || step === options.steps) {
          onProgress({ step, loss: lossSum / lossSteps, seconds: (performance.now() - started) / 1000 });
          lossSum = 0;
          lossSteps = 0;
          started = performance.now();
        }
      }
    } finally {
      optimizer.dispose();
    }
    const model = new TwoTowerModel(tf, d, Float32Array.from(inputFactors.dataSync() as Float32Array), outputFactorsT.clone() as tfc.Tensor2D, itemBias.clone() as tfc.Tensor2D);
    tf.dispose([inputFactors, outputFactorsT, itemBias]);
    return model;
  }

  static fromArrays(tf: Tf, arrays: TwoTowerArrays): TwoTowerModel {
    const n = arrays.itemBias.length;
    return new TwoTowerModel(tf, arrays.factors, arrays.inputFactors, tf.tensor2d(arrays.outputFactorsT, [arrays.factors, n]), tf.tensor2d(arrays.itemBias, [1, n]));
  }

  toArrays(): TwoTowerArrays {
    return { factors: this.factors, inputFactors: this.inputFactors, outputFactorsT: this.outputFactorsT.dataSync() as Float32Array, itemBias: this.itemBias.dataSync() as Float32Array };
  }

  /** Scores from each user's history in `history` (the whole of it, undecayed). */
  async score(users: Int32Array, history: UserItemMatrix): Promise<Float32Array> {
    const d = this.factors;
    const hidden = new Float32Array(users.length * d);
    for (let k = 0; k < users.length; k++) {
      const u = users[k]!;
      const items = history.itemsOf(u);
      const weights = history.weightsOf(u);
      let sum = 0;
      for (const w of weights) sum += w;
      if (sum <= 0) continue;
      const norm = 1 / Math.sqrt(sum);
      for (let a = 0; a < items.length; a++) {
        const i = items[a]!;
        const w = weights[a]! * norm;
        for (let f = 0; f < d; f++) hidden[k * d + f]! += w * this.inputFactors[i * d + f]!;
      }
    }
    const tf = this.tf;
    const scores = tf.tidy(() => tf.add(tf.matMul(tf.tensor2d(hidden, [users.length, d]), this.outputFactorsT), this.itemBias));
    const out = (await scores.data()) as Float32Array;
    scores.dispose();
    return out;
  }

  dispose(): void {
    this.outputFactorsT.dispose();
    this.itemBias.dispose();
  }
}

/** ∂Qᵀ = Pᵀ ∂S, ∂b = Σ ∂S, ∂P = ∂S Q, with explicit transposes of the small operands (fast on WASM). */
function gradients(tf: Tf, hidden: tfc.Tensor2D, dLogits: tfc.Tensor2D, outputFactorsT: tfc.Variable, regularization: number, loss: tfc.Tensor): [tfc.Tensor, tfc.Tensor, tfc.Tensor, tfc.Tensor] {
  let gradOutput: tfc.Tensor = tf.matMul(tf.transpose(hidden), dLogits);
  if (regularization > 0) gradOutput = tf.add(gradOutput, tf.mul(2 * regularization, outputFactorsT));
  const gradBias = tf.sum(dLogits, 0, true);
  const gradHidden = tf.matMul(dLogits, tf.transpose(outputFactorsT));
  return [gradOutput, gradBias, gradHidden, loss];
}

/** The BPR loss: scores of all items on the backend, sampled triples and ∂S on the host. */
async function bprGradients(
  tf: Tf,
  hidden: Float32Array,
  targets: Float32Array,
  b: number,
  n: number,
  d: number,
  outputFactorsT: tfc.Variable,
  itemBias: tfc.Variable,
  options: TwoTowerOptions,
  train: UserItemMatrix,
  seen: readonly { user: number }[],
  marks: Uint8Array,
  uniform: () => number,
): Promise<[tfc.Tensor, tfc.Tensor, tfc.Tensor, tfc.Tensor]> {
  const h = tf.tensor2d(hidden, [b, d]);
  const logitsTensor = tf.tidy(() => tf.add(tf.matMul(h, outputFactorsT), itemBias));
  const logits = (await logitsTensor.data()) as Float32Array;
  logitsTensor.dispose();
  const dLogits = new Float32Array(b * n);
  let loss = 0;
  for (let k = 0; k < b; k++) {
    const all = train.itemsOf(seen[k]!.user);
    if (all.length >= n) continue;
    for (const i of all) marks[i] = 1;
    const base = k * n;
    for (const i of all) {
      const w = targets[base + i]!;
      if (w === 0) continue;
      for (let t = 0; t < options.negatives; t++) {
        let j = Math.floor(uniform() * n);
        while (marks[j]) j = Math.floor(uniform() * n);
        const x = logits[base + i]! - logits[base + j]!;
        const ex = Math.exp(Math.min(30, Math.max(-30, x)));
        // −log σ(x) = log(1 + e^x) − x; its derivative −σ(−x) = −1 / (1 + e^x).
        loss += (w * (Math.log1p(ex) - x)) / options.negatives;
        const g = w / (1 + ex) / options.negatives / b;
        dLogits[base + i]! -= g;
        dLogits[base + j]! += g;
      }
    }
    for (const i of all) marks[i] = 0;
  }
  const out = tf.tidy(() => gradients(tf, h, tf.tensor2d(dLogits, [b, n]), outputFactorsT, options.regularization, tf.scalar(loss / b)));
  h.dispose();
  return out;
}
