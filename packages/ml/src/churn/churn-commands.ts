import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import pc from 'picocolors';
import { addConnectionOptions, addStoreOptions, connect, decimal, formatMetricsTable, loadRuntimeAndSay, modelStore, subcommand, wholeNumber, type CliContext, type ConnectionFlags, type StoreFlags } from '../cli-support.js';
import { DEFAULT_CHURN_CONFIG, readChurnConfig, withOverrides, type ChurnDataConfig, type DataSource } from '../data/data-config.js';
import { MlInputError } from '../errors.js';
import { CHURN_MODELS, CHURN_TASK, type ChurnModelName } from './churn-model.js';
import { DEFAULT_NEURAL_OPTIONS } from './neural-model.js';
import { scoreChurn } from './score-churn.js';
import { DEFAULT_FRACTIONS } from './split.js';
import { trainChurn } from './train-churn.js';

interface SourceFlags {
  readonly config?: string;
  readonly table?: string;
  readonly query?: string;
  readonly csv?: string;
}

interface TrainFlags extends SourceFlags, ConnectionFlags, StoreFlags {
  readonly truth?: string;
  readonly seed: number;
  readonly epochs: number;
  readonly patience: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly hidden: number[];
  readonly dropout: number;
  readonly classWeights: 'balanced' | 'none';
}

interface ScoreFlags extends SourceFlags, ConnectionFlags, StoreFlags {
  readonly version: string;
  readonly model?: ChurnModelName;
}

/** `ml train churn` and `ml score churn`. */
export function registerChurnCommands(program: Command, context: CliContext, setCode: (code: number) => void): void {
  const train = subcommand(program, 'train', 'train a model and save it under data/models/<task>/<version>/');
  const trainChurnCommand = train
    .command('churn')
    .description('train the churn model (neural network) and its baselines (logistic regression, recency rule) on marts.user_churn_signals or a configured source');
  addSourceOptions(trainChurnCommand);
  trainChurnCommand
    .option('--truth <file>', "the simulator's truth/churn_truth.csv: also report the oracle (true probabilities) on the test rows")
    .addOption(new Option('--seed <n>', 'seed of the split, initial weights, batches and dropout').argParser(wholeNumber('--seed', 0, 2 ** 31 - 1)).default(42))
    .addOption(new Option('--epochs <n>', 'most epochs (early stopping may end sooner)').argParser(wholeNumber('--epochs', 1, 10_000)).default(DEFAULT_NEURAL_OPTIONS.maxEpochs))
    .addOption(new Option('--patience <n>', 'epochs without a better validation log loss before stopping').argParser(wholeNumber('--patience', 1, 10_000)).default(DEFAULT_NEURAL_OPTIONS.patience))
    .addOption(new Option('--batch-size <n>', 'rows per training batch').argParser(wholeNumber('--batch-size', 1, 1_000_000)).default(DEFAULT_NEURAL_OPTIONS.batchSize))
    .addOption(new Option('--learning-rate <r>', 'Adam learning rate').argParser(decimal('--learning-rate', 0, 1)).default(DEFAULT_NEURAL_OPTIONS.learningRate))
    .addOption(new Option('--hidden <units>', 'hidden layer sizes, comma-separated (empty: no hidden layer)').argParser(hiddenLayers).default([...DEFAULT_NEURAL_OPTIONS.hidden], DEFAULT_NEURAL_OPTIONS.hidden.join(',')))
    .addOption(new Option('--dropout <rate>', 'dropout after each hidden layer, 0 to < 1').argParser(dropoutRate).default(DEFAULT_NEURAL_OPTIONS.dropout))
    .addOption(new Option('--class-weights <how>', 'weigh classes to balance them (probabilities are corrected back)').choices(['balanced', 'none']).default('balanced'));
  addConnectionOptions(trainChurnCommand);
  addStoreOptions(trainChurnCommand);
  trainChurnCommand.action(async (flags: TrainFlags) => setCode(await runTrain(flags, context)));

  const score = subcommand(program, 'score', 'score with a saved model and write the scores to Postgres');
  const scoreChurnCommand = score
    .command('churn')
    .description('score each member\'s latest row and replace ml.churn_scores (user_id, score, risk_band, model_version, scored_at)')
    .option('--version <version>', 'the model version (ml list), or latest', 'latest')
    .addOption(new Option('--model <name>', "which of the version's models to score with (default: the one it chose on validation)").choices([...CHURN_MODELS]));
  addSourceOptions(scoreChurnCommand);
  addConnectionOptions(scoreChurnCommand);
  addStoreOptions(scoreChurnCommand);
  scoreChurnCommand.action(async (flags: ScoreFlags) => setCode(await runScore(flags, context)));
}

function addSourceOptions(command: Command): void {
  command
    .option('--config <file>', 'data config (JSON or YAML): source, id, label, time, recency and feature kinds; see docs/ml.md')
    .option('--table <schema.table>', `read this table or view (default ${(DEFAULT_CHURN_CONFIG.source as { table: string }).table})`)
    .option('--query <sql>', 'read the rows of this query')
    .option('--csv <file>', 'read this CSV file (with a header)');
}

async function runTrain(flags: TrainFlags, context: CliContext): Promise<number> {
  const { output } = context;
  const config = sourceConfig(flags, context);
  const runtime = await loadRuntimeAndSay(context);
  const database = config.source.kind === 'csv' ? undefined : await connect(flags, context);
  try {
    const result = await trainChurn({
      config,
      pool: database?.pool,
      where: database?.target.display,
      store: modelStore(flags, context),
      runtime,
      seed: flags.seed,
      fractions: DEFAULT_FRACTIONS,
      neural: { hidden: flags.hidden, dropout: flags.dropout, learningRate: flags.learningRate, batchSize: flags.batchSize, maxEpochs: flags.epochs, patience: flags.patience, seed: flags.seed },
      classWeights: flags.classWeights,
      truthFile: flags.truth ? resolve(context.cwd, flags.truth) : undefined,
      log: (line) => output.out(line),
    });
    output.out('');
    output.out(`Metrics on the ${result.metrics.evaluatedOn} (* = used for scoring):`);
    for (const line of formatMetricsTable(result.metrics)) output.out(`  ${line}`);
    output.out('');
    output.out(`Saved ${pc.bold(`${CHURN_TASK}/${result.version.version}`)} in ${result.version.dir} (model card: model-card.md)`);
    return 0;
  } finally {
    await database?.close();
  }
}

async function runScore(flags: ScoreFlags, context: CliContext): Promise<number> {
  const { output } = context;
  const version = modelStore(flags, context).get(flags.version, CHURN_TASK);
  const source = flags.config || flags.table || flags.query || flags.csv ? sourceConfig(flags, context).source : undefined;
  const runtime = await loadRuntimeAndSay(context);
  const database = await connect(flags, context);
  try {
    const result = await scoreChurn({ version, pool: database.pool, where: database.target.display, runtime, source, model: flags.model, log: (line) => output.out(line) });
    output.out(`Wrote ${result.rows.toLocaleString('en')} rows to ml.churn_scores on ${database.target.display} in ${result.seconds.toFixed(1)} s, ${result.predictSeconds.toFixed(2)} s of it predicting (model version ${version.version})`);
    return 0;
  } finally {
    await database.close();
  }
}

/** The config file (or defaults) with --table, --query or --csv as its source. */
function sourceConfig(flags: SourceFlags, context: CliContext): ChurnDataConfig {
  const given = [flags.table && '--table', flags.query && '--query', flags.csv && '--csv'].filter(Boolean);
  if (given.length > 1) throw new MlInputError('two-sources', `${given.join(' and ')} were both given; a run reads one source`, { hint: 'keep one of them' });
  const base = flags.config ? readChurnConfig(resolve(context.cwd, flags.config)) : DEFAULT_CHURN_CONFIG;
  const source: DataSource | undefined = flags.table ? { kind: 'table', table: flags.table } : flags.query ? { kind: 'query', sql: flags.query } : flags.csv ? { kind: 'csv', file: resolve(context.cwd, flags.csv) } : undefined;
  return withOverrides(base, { source });
}

function hiddenLayers(value: string): number[] {
  if (value.trim() === '') return [];
  const parts = value.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 4096)) throw new InvalidArgumentError('--hidden must be layer sizes from 1 to 4096, comma-separated, e.g. 32,16');
  return parts.map(Number);
}

function dropoutRate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('--dropout must be a number from 0 up to (not including) 1');
  return n;
}
