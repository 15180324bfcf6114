import type pg from 'pg';
import { MlInputError } from '../errors.js';
import type { RankingReport } from '../metrics/ranking.js';
import type { Runtime } from '../runtime.js';
import { METRICS_FILE, MODEL_CARD_FILE, type MetricsFile, type ModelStore, type StoredVersion } from '../store/model-store.js';
import { evaluateRanking } from './evaluate.js';
import { ratingScale, type FeedbackRules } from './feedback.js';
import { mergePairSets, type InteractionData, type PairSet } from './interaction-data.js';
import { describeInteractionSource, type InteractionSource } from './interaction-source.js';
import { ItemKnnModel, type ItemKnnOptions } from './item-knn-model.js';
import { PopularityModel } from './popularity-model.js';
import { readCsvInteractions } from './read-csv-interactions.js';
import { readDatabaseInteractions } from './read-database-interactions.js';
import type { Recommender, RecommenderName } from './recommender.js';
import { renderRecsCard } from './recs-model-card.js';
import { modelFiles, RECS_PREPROCESSING_FILE, RECS_TASK, type RecsPreprocessing, type RecsVersionFields } from './recs-model.js';
import { describeSplit, splitInteractions, type Protocol } from './split.js';
import { TwoTowerModel, type TwoTowerOptions } from './two-tower-model.js';
import { UserItemMatrix } from './user-item-matrix.js';

export interface TrainRecsOptions {
  readonly source: InteractionSource;
  /** For database sources. */
  readonly pool?: pg.Pool;
  /** The database, for messages and the model card (password masked). */
  readonly where?: string;
  readonly store: ModelStore;
  readonly runtime: Runtime;
  readonly protocol: Protocol;
  /** time: share of the events after the cut-off (when `cutoff` is absent); random: share of each user's items held out. */
  readonly testShare: number;
  /** time: the cut-off, ms since the epoch (default: from `testShare`). */
  readonly cutoff?: number;
  readonly feedback: FeedbackRules;
  /** The k of the metrics. */
  readonly k: number;
  readonly seed: number;
  readonly twoTower: Omit<TwoTowerOptions, 'seed'>;
  readonly itemKnn: ItemKnnOptions;
  /** After evaluating, train the saved model again on all the data (train and test). */
  readonly refit: boolean;
  readonly log: (line: string) => void;
  readonly now?: Date;
}

/** One model's figures in `metrics.json`. */
export interface RecsMetricRow {
  readonly [key: string]: number | null;
  readonly precision_at_k: number | null;
  readonly recall_at_k: number | null;
  readonly ndcg_at_k: number | null;
  readonly map_at_k: number | null;
  readonly hit_rate: number | null;
  readonly coverage: number | null;
  readonly train_seconds: number | null;
}

/** `metrics.json` of a recs version. */
export interface RecsMetricsFile extends MetricsFile {
  readonly models: Readonly<Record<RecommenderName, RecsMetricRow>>;
  readonly k: number;
  readonly protocol: Protocol;
  readonly users: number;
  readonly usersWithoutRelevant: number;
  readonly relevantItems: number;
  readonly catalog: number;
  /** two_tower NDCG@k over each baseline's. */
  readonly ndcgRatio: { readonly popularity: number | null; readonly item_knn: number | null };
}

export interface TrainRecsResult {
  readonly version: StoredVersion;
  readonly metrics: RecsMetricsFile;
  /** Seconds training the two-tower model on the train split (without evaluation and refit). */
  readonly trainSeconds: number;
  readonly seconds: number;
}

/**
 * `ml train recs`: read the interactions, split them by the protocol, train the two-tower model and
 * both baselines on the train side, rank all unseen items for every test user with each, measure,
 * train the two-tower model again on all the data (unless `refit` is off), and save the version
 * with its model card.
 */
export async function trainRecs(options: TrainRecsOptions): Promise<TrainRecsResult> {
  const { runtime, log, protocol } = options;
  const started = performance.now();
  const cutoff = protocol === 'time' ? { ...(options.cutoff === undefined ? {} : { at: options.cutoff }), testShare: options.testShare } : undefined;
  const data = await readInteractions(options.source, options.pool, options.where, cutoff);
  const readSeconds = (performance.now() - started) / 1000;
  const n = (x: number) => x.toLocaleString('en');
  const allPairs = data.early.length + (data.late?.length ?? 0);
  log(`read ${n(data.events)} interactions from ${data.description}: ${n(data.users.length)} users, ${n(data.items.length)} items, ${n(allPairs)} user–item pairs (${readSeconds.toFixed(1)} s)`);

  const split = splitInteractions(data, { protocol, rules: options.feedback, seed: options.seed, testShare: options.testShare });
  const splitLine = describeSplit(split, data, options.testShare);
  log(splitLine);
  if (split.testUsers.length === 0) {
    throw new MlInputError('no-test-users', `no user of ${data.description} has a relevant held-out item under the ${protocol} protocol (${n(split.testPairs)} held-out pairs, ${n(split.notRelevant)} not relevant, ${n(split.cold)} on items or users unseen in train)`, {
      hint: protocol === 'time' ? 'use more data, an earlier --cutoff or a larger --test-share, or lower --min-rating / --min-completion' : 'use more data, or lower --min-rating / --min-completion',
    });
  }

  const scale = ratingScale(split.train);
  const train = UserItemMatrix.fromPairs(split.train, data.users.length, data.items.length, data.signals, scale);
  const twoTowerOptions: TwoTowerOptions = { ...options.twoTower, seed: options.seed };
  const models: Partial<Record<RecommenderName, RecsMetricRow>> = {};
  const evaluate = async (model: Recommender, seconds: number) => {
    const report = await evaluateRanking(model, split, train, options.k);
    models[model.name] = metricRow(report, seconds);
    log(`  ${model.name.padEnd(10)} NDCG@${options.k} ${report.ndcg.toFixed(4)}  precision ${report.precision.toFixed(4)}  recall ${report.recall.toFixed(4)}  MAP ${report.map.toFixed(4)}  hit rate ${report.hitRate.toFixed(3)}  coverage ${report.coverage.toFixed(3)}  (trained in ${seconds.toFixed(1)} s)`);
    return report;
  };

  let t = performance.now();
  const popularity = PopularityModel.fit(train);
  await evaluate(popularity, (performance.now() - t) / 1000);
  t = performance.now();
  const knn = ItemKnnModel.fit(train, options.itemKnn);
  await evaluate(knn, (performance.now() - t) / 1000);

  log(`training the two-tower model (${twoTowerOptions.loss} loss, ${twoTowerOptions.factors} factors, ${twoTowerOptions.steps} steps of ${twoTowerOptions.batchUsers} users) on ${n(train.nonZeros)} train pairs`);
  t = performance.now();
  const evaluated = await TwoTowerModel.train(runtime.tf, train, twoTowerOptions, recencyWeights(split.train, twoTowerOptions.halfLifeDays, split.cutoff), progress(log));
  const trainSeconds = (performance.now() - t) / 1000;
  const primary = await evaluate(evaluated, trainSeconds);
  evaluated.dispose();

  let saved = evaluated;
  let refitSeconds: number | null = null;
  let finalPairs = split.train;
  if (options.refit) {
    finalPairs = data.late ? mergePairSets(data.early, data.late) : data.early;
    const all = UserItemMatrix.fromPairs(finalPairs, data.users.length, data.items.length, data.signals, ratingScale(finalPairs));
    log(`training it again on all ${n(all.nonZeros)} pairs for scoring`);
    t = performance.now();
    saved = await TwoTowerModel.train(runtime.tf, all, twoTowerOptions, recencyWeights(finalPairs, twoTowerOptions.halfLifeDays), progress(log));
    refitSeconds = (performance.now() - t) / 1000;
  }

  const popularityNdcg = models.popularity!.ndcg_at_k;
  const knnNdcg = models.item_knn!.ndcg_at_k;
  const ratio = (base: number | null) => (base && base > 0 && Number.isFinite(primary.ndcg) ? round(primary.ndcg / base) : null);
  const ndcgRatio = { popularity: ratio(popularityNdcg), item_knn: ratio(knnNdcg) };
  log(`two-tower NDCG@${options.k} is ${ndcgRatio.popularity ?? '–'}× popularity's and ${ndcgRatio.item_knn ?? '–'}× item-kNN's`);

  const evaluatedOn = `${protocol} split: ${n(split.testUsers.length)} users, ${n(split.relevant.length)} relevant held-out items, full ranking of ${n(popularity.catalogSize())} items, k = ${options.k}`;
  const dataLine = `${data.description}: ${n(data.events)} interactions, ${n(data.users.length)} users, ${n(data.items.length)} items`;
  const preprocessing: RecsPreprocessing = { source: options.source, signals: data.signals, ratingScale: ratingScale(finalPairs), feedback: options.feedback, userIdType: data.userIdType };
  const timings = { read_s: round(readSeconds), train_s: round(trainSeconds), refit_s: refitSeconds === null ? null : round(refitSeconds), total_s: round((performance.now() - started) / 1000) };
  let metrics: RecsMetricsFile | undefined;
  const version = options.store.save(
    RECS_TASK,
    (name) => {
      metrics = {
        task: RECS_TASK,
        version: name,
        evaluatedOn,
        primary: 'two_tower',
        models: { two_tower: models.two_tower!, popularity: models.popularity!, item_knn: models.item_knn! },
        k: options.k,
        protocol,
        users: split.testUsers.length,
        usersWithoutRelevant: split.usersWithoutRelevant,
        relevantItems: split.relevant.length,
        catalog: popularity.catalogSize(),
        ndcgRatio,
      };
      const info: RecsVersionFields = {
        backend: runtime.backend,
        ...(runtime.fallbackReason ? { backendNote: runtime.fallbackReason } : {}),
        data: dataLine,
        summary: { [`ndcg_at_${options.k}`]: round(primary.ndcg), vs_popularity: ndcgRatio.popularity, vs_item_knn: ndcgRatio.item_knn, protocol },
        protocol,
        k: options.k,
        seed: options.seed,
        twoTower: twoTowerOptions,
        itemKnn: options.itemKnn,
        refit: options.refit,
        timings,
      };
      const card = renderRecsCard({
        version: name,
        createdAt: (options.now ?? new Date()).toISOString(),
        runtime,
        where: options.where,
        data: dataLine,
        source: describeInteractionSource(options.source),
        split: splitLine,
        feedback: options.feedback,
        signals: data.signals,
        twoTower: twoTowerOptions,
        itemKnn: options.itemKnn,
        refit: options.refit,
        metrics: metrics!,
        timings,
      });
      return {
        files: {
          ...modelFiles(saved, data.items),
          [RECS_PREPROCESSING_FILE]: `${JSON.stringify(preprocessing, null, 2)}\n`,
          [METRICS_FILE]: `${JSON.stringify(metrics, null, 2)}\n`,
          [MODEL_CARD_FILE]: card,
        },
        info,
      };
    },
    options.now,
  );
  saved.dispose();
  const seconds = (performance.now() - started) / 1000;
  log(`done in ${seconds.toFixed(1)} s: reading ${readSeconds.toFixed(1)} s, two-tower training ${trainSeconds.toFixed(1)} s${refitSeconds === null ? '' : ` (+ ${refitSeconds.toFixed(1)} s refit)`}`);
  return { version, metrics: metrics!, trainSeconds, seconds };
}

/** Reads a source, with a cut-off for the time-based holdout. */
export async function readInteractions(source: InteractionSource, pool: pg.Pool | undefined, where: string | undefined, cutoff?: { at?: number; testShare: number }): Promise<InteractionData> {
  if (source.kind === 'csv') return readCsvInteractions(source, cutoff);
  if (!pool) throw new Error(`reading ${describeInteractionSource(source)} needs a database connection`);
  return readDatabaseInteractions(source, pool, { ...(cutoff ? { cutoff } : {}), ...(where ? { where } : {}) });
}

/**
 * Per pair (in the order of `pairs`): 2^(−age / half-life), age = days from the pair's last
 * interaction to `end` (default: the latest interaction). Undefined without times or half-life.
 */
export function recencyWeights(pairs: PairSet, halfLifeDays: number, end?: number): Float32Array | undefined {
  if (!(halfLifeDays > 0)) return undefined;
  let last = end ?? Number.NEGATIVE_INFINITY;
  if (end === undefined) for (const t of pairs.lastAt) if (t > last) last = t;
  if (!Number.isFinite(last)) return undefined;
  const halfLife = halfLifeDays * 86_400_000;
  return Float32Array.from(pairs.lastAt, (t) => (Number.isNaN(t) ? 1 : 2 ** (-Math.max(0, last - t) / halfLife)));
}

function progress(log: (line: string) => void): (p: { step: number; loss: number; seconds: number }) => void {
  return (p) => {
    if (p.step % 200 === 0) log(`    step ${String(p.step).padStart(5)}: loss ${p.loss.toFixed(4)} (${p.seconds.toFixed(1)} s for the last 50 steps)`);
  };
}

function metricRow(report: RankingReport, seconds: number): RecsMetricRow {
  return {
    precision_at_k: round(report.precision),
    recall_at_k: round(report.recall),
    ndcg_at_k: round(report.ndcg),
    map_at_k: round(report.map),
    hit_rate: round(report.hitRate),
    coverage: round(report.coverage),
    train_seconds: round(seconds),
  };
}

const round = (x: number) => (Number.isFinite(x) ? Number(x.toFixed(4)) : null);

