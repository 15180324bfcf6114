import type pg from 'pg';
import { describeSource, type ChurnDataConfig } from '../data/data-config.js';
import type { Frame } from '../data/frame.js';
import { readFrame } from '../data/read-frame.js';
import { MlInputError } from '../errors.js';
import { classificationReport, type ClassificationReport } from '../metrics/classification.js';
import type { Runtime } from '../runtime.js';
import { METRICS_FILE, MODEL_CARD_FILE, type MetricsFile, type ModelStore, type StoredVersion } from '../store/model-store.js';
import { CHURN_TASK, ChurnModel, type ChurnModelName, type ChurnVersionFields, type RiskBands } from './churn-model.js';
import { fitLogisticRegression } from './logistic-regression.js';
import { renderChurnCard } from './model-card.js';
import { trainNeural, type EpochRecord, type NeuralOptions } from './neural-model.js';
import { readChurnTruth, truthKey } from './oracle.js';
import { correctForClassWeights, Preprocessor } from './preprocess.js';
import { fitRecencyRule } from './recency-rule.js';
import { splitByTime, stratifiedSplit, type Split, type SplitFractions } from './split.js';

export interface TrainChurnOptions {
  readonly config: ChurnDataConfig;
  readonly pool?: pg.Pool;
  /** The database, for messages and the model card (password masked). */
  readonly where?: string;
  readonly store: ModelStore;
  readonly runtime: Runtime;
  readonly seed: number;
  readonly fractions: SplitFractions;
  readonly neural: NeuralOptions;
  readonly classWeights: 'balanced' | 'none';
  /** The simulator's churn_truth.csv, for the oracle. */
  readonly truthFile?: string;
  readonly log: (line: string) => void;
  readonly now?: Date;
}

/** Figures of one model on the test split, without the reliability table. */
export type MetricRow = Omit<ClassificationReport, 'reliability'>;

/** `metrics.json` of a churn version. */
export interface ChurnMetricsFile extends MetricsFile {
  readonly models: Readonly<Record<string, MetricRow>>;
  readonly validation: Readonly<Record<string, { roc_auc: number; log_loss: number }>>;
  readonly reliability: Readonly<Record<string, ClassificationReport['reliability']>>;
  readonly oracle?: { readonly file: string; readonly matched: number; readonly testRows: number };
}

export interface TrainChurnResult {
  readonly version: StoredVersion;
  readonly metrics: ChurnMetricsFile;
  readonly trainSeconds: number;
}

/**
 * `ml train churn`: read, split, fit the preprocessing on train, train the neural model and the
 * logistic regression the same way, fit the recency rule, measure all of them (and the oracle,
 * given the simulator's truth) on the test split, and save the version with its model card.
 */
export async function trainChurn(options: TrainChurnOptions): Promise<TrainChurnResult> {
  const { config, runtime, log } = options;
  const started = performance.now();
  const frame = await readFrame(config, { pool: options.pool, withLabel: true, where: options.where });
  const readSeconds = (performance.now() - started) / 1000;
  const labelled = labelledRows(frame, config);
  log(`read ${frame.rows.toLocaleString('en')} rows from ${frame.description}: ${labelled.rows.length.toLocaleString('en')} labelled, ${labelled.positives.toLocaleString('en')} churners (${percent(labelled.positives / labelled.rows.length)})`);

  const split: Split = config.time ? splitByTime(frame, labelled.rows, options.fractions, config.time) : stratifiedSplit(frame, labelled.rows, options.fractions, options.seed);
  for (const part of ['train', 'validation', 'test'] as const) {
    const positives = countPositives(frame, split[part]);
    if (split[part].length === 0 || positives === 0 || positives === split[part].length) {
      throw new MlInputError('split-one-class', `the ${part} split of ${frame.description} has ${split[part].length} rows and ${positives} churners; every split needs churners and non-churners`, {
        hint: config.time ? `the ${part} times (${split.times?.[part].join(', ')}) have too few churners: use more data, or set time: null for a stratified split` : 'use more rows',
      });
    }
  }
  log(describeSplit(frame, split, config));

  const preprocessor = Preprocessor.fit(frame, split.train, config.features, { classWeights: options.classWeights });
  const width = preprocessor.width;
  const xTrain = preprocessor.transform(frame, split.train);
  const xValidation = preprocessor.transform(frame, split.validation);
  const xTest = preprocessor.transform(frame, split.test);
  const yTrain = labelsOf(frame, split.train);
  const yValidation = labelsOf(frame, split.validation);
  const yTest = labelsOf(frame, split.test);
  const weights = preprocessor.classWeights;
  const sampleWeights = yTrain.map((y) => (y === 1 ? weights[1] : weights[0]));
  log(`${width} input columns after preprocessing; class weights ${weights[0].toFixed(3)} / ${weights[1].toFixed(3)}`);

  const trainStarted = performance.now();
  const calibrate = (p: number) => correctForClassWeights(p, weights);
  const trained = await trainNeural(runtime.tf, { x: xTrain, y: yTrain, weights: sampleWeights }, { x: xValidation, y: yValidation }, width, options.neural, calibrate, (e: EpochRecord) => {
    log(`  epoch ${String(e.epoch).padStart(3)}: train loss ${e.trainLoss.toFixed(4)}, validation log loss ${e.validationLogLoss.toFixed(4)}`);
  });
  log(`neural: best epoch ${trained.bestEpoch} of ${trained.epochs.length}${trained.stoppedEarly ? ' (stopped early)' : ''}`);
  const logistic = fitLogisticRegression(xTrain, yTrain, width, sampleWeights);
  log(`logistic regression: ${logistic.iterations} Newton iterations`);
  const recency = config.recency && frame.recency ? fitRecencyRule(config.recency, frame.recency, split.train) : undefined;
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  const model = new ChurnModel(preprocessor, trained.model, logistic, recency);

  const validation: Record<string, { roc_auc: number; log_loss: number }> = {};
  for (const name of ['neural', 'logistic_regression'] as const) {
    const report = classificationReport(yValidation, model.predict(runtime.tf, frame, split.validation, name, xValidation));
    validation[name] = { roc_auc: report.roc_auc, log_loss: report.log_loss };
  }
  const primary: ChurnModelName = validation.logistic_regression!.roc_auc > validation.neural!.roc_auc ? 'logistic_regression' : 'neural';

  const models: Record<string, MetricRow> = {};
  const reliability: Record<string, ClassificationReport['reliability']> = {};
  const testScores = new Map<string, Float64Array>();
  for (const name of model.models) {
    const scores = model.predict(runtime.tf, frame, split.test, name, name === 'recency_rule' ? undefined : xTest);
    testScores.set(name, scores);
    const { reliability: table, ...row } = classificationReport(yTest, scores);
    models[name] = row;
    reliability[name] = table;
  }
  let oracle: ChurnMetricsFile['oracle'];
  if (options.truthFile) {
    if (!config.time || !frame.times) throw new MlInputError('oracle-needs-time', 'the oracle (--truth) joins on the id and the time column, and the config has no time column', { hint: 'leave out --truth, or set time in the config' });
    const truth = await readChurnTruth(options.truthFile);
    const matchedLabels: number[] = [];
    const matchedProbabilities: number[] = [];
    for (let i = 0; i < split.test.length; i++) {
      const row = split.test[i]!;
      const p = truth.probability.get(truthKey(frame.ids[row]!, frame.times[row] ?? ''));
      if (p === undefined) continue;
      matchedLabels.push(yTest[i]!);
      matchedProbabilities.push(p);
    }
    if (matchedLabels.length === 0) {
      throw new MlInputError('truth-does-not-match', `no test row of ${frame.description} is in ${options.truthFile} (joined on ${config.id} and ${config.time})`, { hint: 'pass the truth of the dataset that was loaded and built (DIR/truth/churn_truth.csv of the same simulate run)' });
    }
    const { reliability: table, ...row } = classificationReport(matchedLabels, matchedProbabilities);
    models.oracle = row;
    reliability.oracle = table;
    oracle = { file: options.truthFile, matched: matchedLabels.length, testRows: split.test.length };
  }

  const riskBands = bandsFrom(testScores.get(primary)!);
  const files = await model.files();
  const testTimes = split.times?.test;
  const evaluatedOn = `test split: ${split.test.length.toLocaleString('en')} rows${testTimes ? ` on ${testTimes.join(', ')}` : ''}, ${countPositives(frame, split.test).toLocaleString('en')} churners`;
  const data = `${describeSource(config.source)} (${frame.rows.toLocaleString('en')} rows, ${labelled.rows.length.toLocaleString('en')} labelled, ${labelled.positives.toLocaleString('en')} churners)`;
  let metrics: ChurnMetricsFile | undefined;
  const version = options.store.save(
    CHURN_TASK,
    (name) => {
      metrics = { task: CHURN_TASK, version: name, evaluatedOn, primary, models, validation, reliability, ...(oracle ? { oracle } : {}) };
      const info: ChurnVersionFields = {
        backend: runtime.backend,
        ...(runtime.fallbackReason ? { backendNote: runtime.fallbackReason } : {}),
        data,
        summary: {
          primary,
          test_auc: round(models[primary]!.roc_auc),
          ...(models.oracle ? { oracle_auc: round(models.oracle.roc_auc) } : {}),
          test_rows: split.test.length,
        },
        config,
        primary,
        riskBands,
        seed: options.seed,
        split: { method: split.method, ...(split.times ? { times: split.times } : {}), rows: { train: split.train.length, validation: split.validation.length, test: split.test.length } },
        neural: { ...options.neural, bestEpoch: trained.bestEpoch, epochs: trained.epochs.length, stoppedEarly: trained.stoppedEarly },
        timings: { read_s: round(readSeconds), train_s: round(trainSeconds), total_s: round((performance.now() - started) / 1000) },
      };
      const card = renderChurnCard({
        version: name,
        createdAt: (options.now ?? new Date()).toISOString(),
        runtime,
        where: options.where,
        data,
        config,
        split: describeSplit(frame, split, config),
        preprocessor,
        neural: options.neural,
        trained: { bestEpoch: trained.bestEpoch, epochs: trained.epochs.length, stoppedEarly: trained.stoppedEarly },
        logistic,
        recency,
        metrics: metrics,
        riskBands,
        seed: options.seed,
      });
      return { files: { ...files, [METRICS_FILE]: `${JSON.stringify(metrics, null, 2)}\n`, [MODEL_CARD_FILE]: card }, info };
    },
    options.now,
  );
  trained.model.dispose();
  log(`done in ${((performance.now() - started) / 1000).toFixed(1)} s: reading ${readSeconds.toFixed(1)} s, training the models ${trainSeconds.toFixed(1)} s`);
  return { version, metrics: metrics!, trainSeconds };
}

const round = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);

function labelledRows(frame: Frame, config: ChurnDataConfig): { rows: Uint32Array; positives: number } {
  const labels = frame.labels!;
  const rows: number[] = [];
  let positives = 0;
  for (let i = 0; i < frame.rows; i++) {
    if (Number.isNaN(labels[i]!)) continue;
    rows.push(i);
    if (labels[i] === 1) positives++;
  }
  if (rows.length === 0) {
    throw new MlInputError('no-labels', `${frame.description} has ${frame.rows.toLocaleString('en')} rows but none with a value in the label column ${config.label}`, { hint: 'train once outcomes are known (for user_churn_signals: 30 days after a snapshot), or fix the label column in the config' });
  }
  if (positives === 0 || positives === rows.length) {
    throw new MlInputError('label-one-class', `the label column ${config.label} in ${frame.description} is ${positives === 0 ? 0 : 1} in all ${rows.length.toLocaleString('en')} labelled rows; training needs both churners and non-churners`, { hint: 'use a longer or larger dataset, or check the label column' });
  }
  return { rows: Uint32Array.from(rows), positives };
}

function labelsOf(frame: Frame, rows: Uint32Array): Float32Array {
  return Float32Array.from(rows, (r) => frame.labels![r]!);
}

function countPositives(frame: Frame, rows: Uint32Array): number {
  let n = 0;
  for (const r of rows) if (frame.labels![r] === 1) n++;
  return n;
}

/** `high` from the top 10 % of test scores, `medium` from the next 20 %. */
function bandsFrom(scores: Float64Array): RiskBands {
  const sorted = Float64Array.from(scores).sort();
  const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { high: quantile(0.9), medium: quantile(0.7), rule: 'high: top 10 % of test-split scores; medium: the next 20 %' };
}

export function describeSplit(frame: Frame, split: Split, config: ChurnDataConfig): string {
  const part = (name: 'train' | 'validation' | 'test') => {
    const rows = split[name];
    const times = split.times?.[name];
    const when = times ? ` on ${times.length === 1 ? times[0] : `${times[0]} … ${times.at(-1)} (${times.length} ${config.time} values)`}` : '';
    return `${name} ${rows.length.toLocaleString('en')} rows${when}, ${countPositives(frame, rows).toLocaleString('en')} churners`;
  };
  return `split ${split.method === 'time' ? `by ${config.time}` : `stratified at random (seed ${split.seed})`}: ${part('train')}; ${part('validation')}; ${part('test')}`;
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(1)} %`;
}
