import * as tfc from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { logLoss } from '../metrics/classification.js';
import { SeededRandom } from '../seeded-random.js';

type Tf = typeof tfc;

export interface NeuralOptions {
  /** Units of each hidden dense layer (ReLU). */
  readonly hidden: readonly number[];
  readonly dropout: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly maxEpochs: number;
  /** Stop after this many epochs without a better validation log loss; keep the best weights. */
  readonly patience: number;
  readonly seed: number;
}

export const DEFAULT_NEURAL_OPTIONS: NeuralOptions = { hidden: [32, 16], dropout: 0.1, learningRate: 0.003, batchSize: 256, maxEpochs: 60, patience: 6, seed: 42 };

export interface EpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly validationLogLoss: number;
}

export interface TrainedNeural {
  readonly model: tfl.LayersModel;
  readonly bestEpoch: number;
  readonly epochs: readonly EpochRecord[];
  readonly stoppedEarly: boolean;
}

/**
 * Dropout whose masks come from a seeded stream (one seed per call), so training repeats exactly.
 * tfjs-layers' own dropout takes a fixed seed, which would draw the same mask for every batch.
 */
export class SeededDropout extends tfl.layers.Layer {
  static readonly className = 'ReelSeededDropout';
  private readonly rate: number;
  private readonly seed: number;
  private calls = 0;

  constructor(args: { rate: number; seed: number; name?: string }) {
    super({ name: args.name });
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tfc.Tensor | tfc.Tensor[], kwargs: Record<string, unknown>): tfc.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    if (kwargs.training !== true || this.rate === 0) return x;
    return tfc.dropout(x, this.rate, undefined, (this.seed + this.calls++ * 7919) % 2 ** 31);
  }

  override getConfig(): tfc.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

// Loading a saved model finds the layer by its class name.
tfc.serialization.registerClass(SeededDropout);

/**
 * A small dense network (ReLU hidden layers, seeded dropout, sigmoid output) trained with Adam on
 * class-weighted binary cross-entropy, in seeded mini-batches, stopping early on the validation
 * log loss (of `calibrate`d probabilities) and restoring the best epoch's weights.
 */
export async function trainNeural(
  tf: Tf,
  train: { x: Float32Array; y: Float32Array; weights: Float32Array },
  validation: { x: Float32Array; y: Float32Array },
  width: number,
  options: NeuralOptions,
  calibrate: (p: number) => number,
  log?: (record: EpochRecord) => void,
): Promise<TrainedNeural> {
  const random = new SeededRandom(options.seed);
  const model = tfl.sequential();
  options.hidden.forEach((units, i) => {
    model.add(tfl.layers.dense({ units, activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: random.seed() }), biasInitializer: 'zeros', ...(i === 0 ? { inputShape: [width] } : {}) }));
    if (options.dropout > 0) model.add(new SeededDropout({ rate: options.dropout, seed: random.seed() }));
  });
  model.add(tfl.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: tfl.initializers.glorotUniform({ seed: random.seed() }), ...(options.hidden.length === 0 ? { inputShape: [width] } : {}) }));
  const optimizer = tf.train.adam(options.learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tfc.Variable);
  const rows = train.y.length;
  const xAll = tf.tensor2d(train.x, [rows, width]);
  const yAll = tf.tensor2d(train.y, [rows, 1]);
  const wAll = tf.tensor2d(train.weights, [rows, 1]);
  const epochs: EpochRecord[] = [];
  let best = { loss: Number.POSITIVE_INFINITY, epoch: 0, weights: [] as tfc.Tensor[] };
  let stoppedEarly = false;
  try {
    for (let epoch = 1; epoch <= options.maxEpochs; epoch++) {
      const order = random.permutation(rows);
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < rows; start += options.batchSize) {
        const index = tf.tensor1d(Int32Array.from(order.subarray(start, Math.min(rows, start + options.batchSize))), 'int32');
        const cost = tf.tidy((): tfc.Scalar => {
          const xb = tf.gather(xAll, index);
          const yb = tf.gather(yAll, index);
          const wb = tf.gather(wAll, index);
          return optimizer.minimize(() => {
            const p = tf.clipByValue(model.apply(xb, { training: true }) as tfc.Tensor, 1e-7, 1 - 1e-7);
            const nll = tf.neg(tf.add(tf.mul(yb, tf.log(p)), tf.mul(tf.sub(1, yb), tf.log(tf.sub(1, p)))));
            return tf.div(tf.sum(tf.mul(wb, nll)), tf.sum(wb)) as tfc.Scalar;
          }, true, variables)!;
        });
        index.dispose();
        lossSum += (await cost.data())[0]!;
        cost.dispose();
        batches++;
      }
      const predicted = predictNeural(tf, model, validation.x, width).map(calibrate);
      const validationLogLoss = logLoss(validation.y, predicted);
      const record = { epoch, trainLoss: lossSum / Math.max(1, batches), validationLogLoss };
      epochs.push(record);
      log?.(record);
      if (validationLogLoss < best.loss - 1e-5) {
        for (const t of best.weights) t.dispose();
        best = { loss: validationLogLoss, epoch, weights: model.getWeights().map((w) => w.clone()) };
      } else if (epoch - best.epoch >= options.patience) {
        stoppedEarly = true;
        break;
      }
    }
    if (best.weights.length) model.setWeights(best.weights);
  } finally {
    for (const t of [xAll, yAll, wAll, ...best.weights]) t.dispose();
    optimizer.dispose();
  }
  return { model, bestEpoch: best.epoch, epochs, stoppedEarly };
}

/** The model's (uncorrected) probabilities for the rows of `x`, in batches. */
export function predictNeural(tf: Tf, model: tfl.LayersModel, x: Float32Array, width: number, batchRows = 8192): Float64Array {
  const rows = x.length / width;
  const out = new Float64Array(rows);
  for (let start = 0; start < rows; start += batchRows) {
    const end = Math.min(rows, start + batchRows);
    const values = tf.tidy(() => (model.predict(tf.tensor2d(x.subarray(start * width, end * width), [end - start, width])) as tfc.Tensor).dataSync());
    out.set(values, start);
  }
  return out;
}
