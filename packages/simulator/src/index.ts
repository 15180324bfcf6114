/**
 * @reel/simulator: reproducible synthetic streaming-platform feeds with hidden truth.
 *
 * ```ts
 * import { simulate, loadRun } from '@reel/simulator';
 * await simulate({ users: 1000, days: 90, start: '2024-01-01', seed: 1, out: 'data/raw' });
 * await loadRun('data/raw', { projectDir: 'packages/models' });
 * ```
 */
export { simulate, appendDays, readRunRecord, RUN_FILE, type SimulateOptions, type RunRecord, type BatchRecord, type Progress } from './simulate.js';
export { loadRun, REJECTS_TABLE, type LoadOptions, type LoadReport, type FeedLoad } from './load.js';
export { FEEDS, FEED_NAMES, TRUTH, TRUTH_NAMES, type FeedName, type TruthName } from './feeds.js';
export { DIRT_KINDS, DIRT_NAMES, type DirtKind } from './dirt.js';
export { SimulationError } from './simulation-error.js';
export { main as runCli } from './cli.js';
