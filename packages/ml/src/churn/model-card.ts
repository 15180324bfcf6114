import type { ChurnDataConfig } from '../data/data-config.js';
import type { Runtime } from '../runtime.js';
import type { RiskBands } from './churn-model.js';
import type { LogisticModel } from './logistic-regression.js';
import type { NeuralOptions } from './neural-model.js';
import type { Preprocessor } from './preprocess.js';
import type { RecencyRule } from './recency-rule.js';
import type { ChurnMetricsFile } from './train-churn.js';

export interface ChurnCardInput {
  readonly version: string;
  readonly createdAt: string;
  readonly runtime: Pick<Runtime, 'backend' | 'fallbackReason'>;
  readonly where?: string;
  readonly data: string;
  readonly config: ChurnDataConfig;
  readonly split: string;
  readonly preprocessor: Preprocessor;
  readonly neural: NeuralOptions;
  readonly trained: { readonly bestEpoch: number; readonly epochs: number; readonly stoppedEarly: boolean };
  readonly logistic: LogisticModel;
  readonly recency?: RecencyRule;
  readonly metrics: ChurnMetricsFile;
  readonly riskBands: RiskBands;
  readonly seed: number;
}

const LABELS: Record<string, string> = {
  neural: 'neural network',
  logistic_regression: 'logistic regression',
  recency_rule: 'recency rule',
  oracle: 'oracle (true probabilities)',
};

/** `model-card.md` of a churn version: data, split, models, metrics against baselines, calibration. */
export function renderChurnCard(input: ChurnCardInput): string {
  const { config, metrics, preprocessor } = input;
  const steps = preprocessor.toJSON().steps;
  const imputed = steps.filter((s) => s.kind !== 'categorical' && s.missingIndicator).map((s) => s.name);
  const categorical = steps.flatMap((s) => (s.kind === 'categorical' ? [`${s.name} (${s.categories.join(', ')}, other)`] : []));
  const weights = preprocessor.classWeights;
  const lines: string[] = [
    `# Churn model ${input.version}`,
    '',
    `Trained ${input.createdAt} with TensorFlow.js on the **${input.runtime.backend}** backend${input.runtime.fallbackReason ? ` (${input.runtime.fallbackReason})` : ''}; seed ${input.seed}. Scored by \`ml score churn --version ${input.version}\`.`,
    '',
    '## Data',
    '',
    `- Source: ${input.data}${input.where ? ` on ${input.where}` : ''}`,
    `- Id \`${config.id}\`, label \`${config.label}\` (churned within the horizon; empty rows are not used for training)${config.time ? `, time \`${config.time}\`` : ''}`,
    `- Features: ${config.features.map((f) => `\`${f.name}\` (${f.kind})`).join(', ')}`,
    '',
    '## Split',
    '',
    input.split,
    '',
    '## Preprocessing (fitted on train only, saved in preprocessing.json)',
    '',
    `- Numbers: missing values → train median${imputed.length ? `, with a missing indicator for ${imputed.join(', ')}` : ''}; standard scaling.`,
    `- Categories one-hot, unknown ones in an "other" column: ${categorical.join('; ') || 'none'}.`,
    `- Class weights ${weights[0].toFixed(3)} (stayed) and ${weights[1].toFixed(3)} (churned); probabilities are corrected back (logit − log(w₁/w₀)) so they read as probabilities.`,
    '',
    '## Models',
    '',
    `- **neural**: dense ${input.neural.hidden.join('–')} ReLU, dropout ${input.neural.dropout}, sigmoid output; Adam (learning rate ${input.neural.learningRate}), batches of ${input.neural.batchSize}; best epoch ${input.trained.bestEpoch} of ${input.trained.epochs}${input.trained.stoppedEarly ? ` (early stopping after ${input.neural.patience} epochs without a better validation log loss)` : ` (limit ${input.neural.maxEpochs} epochs)`}.`,
    `- **logistic_regression**: the same inputs and class weights, Newton's method (IRLS), L2 ${input.logistic.l2}, ${input.logistic.iterations} iterations.`,
    ...(input.recency ? [`- **recency_rule**: \`${input.recency.column}\` scaled to 0–1 over its train range (${input.recency.min}–${input.recency.max}); a ranking, not a probability.`] : []),
    ...(metrics.oracle ? [`- **oracle**: the simulator's true \`churn_probability_30d\` (${metrics.oracle.file}) on ${metrics.oracle.matched.toLocaleString('en')} of ${metrics.oracle.testRows.toLocaleString('en')} test rows: the best any model could do.`] : []),
    '',
    `## Metrics (${metrics.evaluatedOn})`,
    '',
    '| model | ROC AUC | PR AUC | log loss | Brier | churners in top 10 % |',
    '|---|---:|---:|---:|---:|---:|',
    ...Object.entries(metrics.models).map(([name, m]) => `| ${LABELS[name] ?? name}${name === metrics.primary ? ' (scoring)' : ''} | ${fixed(m.roc_auc, 3)} | ${fixed(m.pr_auc, 3)} | ${fixed(m.log_loss, 4)} | ${fixed(m.brier, 4)} | ${pct(m.top10_capture)} |`),
    '',
    `Scoring uses **${metrics.primary}**: the higher validation ROC AUC (${Object.entries(metrics.validation).map(([name, v]) => `${name} ${fixed(v.roc_auc, 3)}`).join(', ')}).`,
    ...(metrics.models.oracle ? ['', `Gap to the oracle: ${fixed(metrics.models.oracle.roc_auc - metrics.models[metrics.primary]!.roc_auc, 3)} ROC AUC.`] : []),
    '',
    `## Calibration (${LABELS[metrics.primary]}, test split)`,
    '',
    '| predicted | rows | mean predicted | observed churn rate |',
    '|---|---:|---:|---:|',
    ...metrics.reliability[metrics.primary]!.filter((b) => b.count > 0).map((b) => `| ${b.from.toFixed(1)}–${b.to.toFixed(1)} | ${b.count} | ${fixed(b.meanPredicted, 3)} | ${fixed(b.observedRate, 3)} |`),
    '',
    '## Risk bands',
    '',
    `\`high\` at a score of ${fixed(input.riskBands.high, 4)} or more, \`medium\` from ${fixed(input.riskBands.medium, 4)}, \`low\` below (${input.riskBands.rule}).`,
    '',
  ];
  return lines.join('\n');
}

function fixed(x: number | null | undefined, digits: number): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : '–';
}
