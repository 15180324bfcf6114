/**
 * @reel/ml: churn prediction and recommendations with TensorFlow.js, trained on the marts,
 * evaluated against baselines and the simulator's truth, scored back into Postgres.
 *
 * @example
 * ```ts
 * import { main } from '@reel/ml';
 * process.exitCode = await main(['train', 'churn', '--truth', 'data/raw/truth/churn_truth.csv']);
 * ```
 */
export { main } from './cli.js';
export { loadRuntime, type Runtime, type BackendName } from './runtime.js';
export { MlInputError, MlRunError } from './errors.js';
export {
  ModelStore,
  versionName,
  DEFAULT_MODELS_DIR,
  VERSION_FILE,
  METRICS_FILE,
  MODEL_CARD_FILE,
  PREPROCESSING_FILE,
  type MetricsFile,
  type StoredVersion,
  type VersionContent,
  type VersionFields,
  type VersionInfo,
} from './store/model-store.js';
export { FilesIOHandler, layersModelFiles, loadLayersModelFrom } from './store/layers-io.js';
export { averagePrecision, brierScore, captureAtTop, classificationReport, logLoss, reliabilityTable, rocAuc, type ClassificationReport, type ReliabilityBin } from './metrics/classification.js';
export { DEFAULT_CHURN_CONFIG, readChurnConfig, type ChurnDataConfig, type DataSource, type FeatureKind, type FeatureSpec } from './data/data-config.js';
export { Preprocessor, type PreprocessingState } from './churn/preprocess.js';
export { trainChurn, type ChurnMetricsFile, type TrainChurnOptions, type TrainChurnResult } from './churn/train-churn.js';
export { scoreChurn, type ScoreChurnOptions, type ScoreChurnResult } from './churn/score-churn.js';
export { SeededRandom } from './seeded-random.js';
export { RankingAccumulator, topK, userRankingMetrics, type RankingReport, type UserRankingMetrics } from './metrics/ranking.js';
export { trainRecs, type RecsMetricsFile, type TrainRecsOptions, type TrainRecsResult } from './recs/train-recs.js';
export { scoreRecs, type ScoreRecsOptions, type ScoreRecsResult } from './recs/score-recs.js';
export type { InteractionSource, ColumnMapping } from './recs/interaction-source.js';
