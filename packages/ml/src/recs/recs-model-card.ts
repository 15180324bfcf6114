import type { Runtime } from '../runtime.js';
import { describeFeedback, type FeedbackRules } from './feedback.js';
import type { SignalKinds } from './interaction-data.js';
import type { ItemKnnOptions } from './item-knn-model.js';
import type { RecsMetricsFile } from './train-recs.js';
import type { TwoTowerOptions } from './two-tower-model.js';

export interface RecsCardInput {
  readonly version: string;
  readonly createdAt: string;
  readonly runtime: Pick<Runtime, 'backend' | 'fallbackReason'>;
  readonly where?: string;
  readonly data: string;
  readonly source: string;
  readonly split: string;
  readonly feedback: FeedbackRules;
  readonly signals: SignalKinds;
  readonly twoTower: TwoTowerOptions;
  readonly itemKnn: ItemKnnOptions;
  readonly refit: boolean;
  readonly metrics: RecsMetricsFile;
  readonly timings: Readonly<Record<string, number | null>>;
}

const LABELS: Record<string, string> = {
  two_tower: 'two-tower factorisation',
  popularity: 'popularity baseline',
  item_knn: 'item-kNN baseline',
};

/** `model-card.md` of a recs version: data, protocol, models, metrics against both baselines. */
export function renderRecsCard(input: RecsCardInput): string {
  const { metrics, twoTower: o } = input;
  const k = metrics.k;
  const signals = Object.entries(input.signals)
    .filter(([, present]) => present)
    .map(([name]) => name);
  const weightParts = [input.signals.completion && 'completion (0.25 + 0.75 × mean completion)', input.signals.rating && 'rating (mean / top of the scale)', input.signals.seconds ? 'watch time (1 + ln(1 + hours))' : 'repeats (1 + ln(interactions))'].filter(Boolean);
  const ratio = (x: number | null) => (x === null ? '–' : `${x.toFixed(2)}×`);
  const lines = [
    `# Recommendation model ${input.version}`,
    '',
    `Trained ${input.createdAt} with TensorFlow.js on the **${input.runtime.backend}** backend${input.runtime.fallbackReason ? ` (${input.runtime.fallbackReason})` : ''}; seed ${o.seed}. Scored by \`ml score recs --version ${input.version}\`.`,
    '',
    '## Data',
    '',
    `- Source${input.where ? ` (on ${input.where})` : ''}: ${input.data}`,
    `- Signals: ${signals.join(', ') || 'user and item only'}; interactions are summed per user–item pair.`,
    `- Training weight of a pair: ${weightParts.join(' × ')}.`,
    `- Test relevance: ${describeFeedback(input.feedback, input.signals).replace(/^relevant: /, '')}.`,
    '',
    '## Evaluation protocol',
    '',
    input.split,
    '',
    `Full ranking: for each evaluated user every model ranks all ${metrics.catalog.toLocaleString('en')} items somebody interacted with in train, minus the user's own train items; ties go to the lower item id. Users with no relevant held-out item are left out of every mean (${metrics.usersWithoutRelevant.toLocaleString('en')} of them). Precision@k divides by k, recall@k by the user's relevant items, NDCG and MAP use binary relevance, coverage is the share of the catalog in anybody's top ${k}.`,
    '',
    '## Models',
    '',
    `- **two_tower** (used for scoring): item tower q_i, b_i; user tower p_u = Σ w_ui y_i / √Σ w_ui over the user's history; score p_u · q_i + b_i. ${o.factors} factors, ${o.loss === 'softmax' ? 'full softmax loss over all items' : `BPR loss with ${o.negatives} uniform negatives per positive`}, Adam (learning rate ${o.learningRate}${o.regularization > 0 ? `, L2 ${o.regularization}` : ''}), ${o.steps} steps of ${o.batchUsers} users, each user's items split ${Math.round(o.inputShare * 100)} / ${Math.round((1 - o.inputShare) * 100)} into tower input and targets at every step; target weights halve every ${o.halfLifeDays > 0 ? `${o.halfLifeDays} days before the end of the training data` : '— (no decay)'}.${input.refit ? ' The saved model was trained again, the same way, on all the data (train and test) after evaluation.' : ' The saved model is the one evaluated (trained on the train side only).'}`,
    '- **popularity**: items ranked by the number of users who interacted with them in train.',
    `- **item_knn**: cosine similarity of the items' weighted user vectors, ${input.itemKnn.neighbours} neighbours per item; a user's score for j sums weight × similarity over their items whose neighbourhood holds j.`,
    '',
    `## Metrics (${metrics.evaluatedOn})`,
    '',
    `| model | NDCG@${k} | precision@${k} | recall@${k} | MAP@${k} | hit rate@${k} | coverage@${k} | train s |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...Object.entries(metrics.models).map(
      ([name, m]) => `| ${LABELS[name] ?? name}${name === metrics.primary ? ' (scoring)' : ''} | ${fixed(m.ndcg_at_k)} | ${fixed(m.precision_at_k)} | ${fixed(m.recall_at_k)} | ${fixed(m.map_at_k)} | ${fixed(m.hit_rate)} | ${fixed(m.coverage)} | ${m.train_seconds === null ? '–' : m.train_seconds.toFixed(1)} |`,
    ),
    '',
    `NDCG@${k} of the two-tower model: **${ratio(metrics.ndcgRatio.popularity)} popularity's** and **${ratio(metrics.ndcgRatio.item_knn)} item-kNN's**.`,
    '',
    '## Scoring',
    '',
    "`ml score recs` ranks all items for every user of the source from their whole history, leaves out what the user already finished, and replaces `ml.recommendations (user_id, rank, content_id, score, model_version)` in one transaction.",
    '',
    '## Timings',
    '',
    Object.entries(input.timings)
      .map(([name, s]) => `${name.replace(/_s$/, '')} ${s === null ? '–' : `${s.toFixed(1)} s`}`)
      .join(', '),
    '',
  ];
  return lines.join('\n');
}

function fixed(x: number | null): string {
  return x === null ? '–' : x.toFixed(4);
}
