import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import pc from 'picocolors';
import { addConnectionOptions, addStoreOptions, commandRuntime, connect, decimal, formatMetricsTable, loadRuntimeAndSay, modelStore, subcommand, wholeNumber, type CliContext, type ConnectionFlags, type StoreFlags } from '../cli-support.js';
import { MlInputError } from '../errors.js';
import { DEFAULT_FEEDBACK } from './feedback.js';
import { parseColumnMapping, type InteractionSource } from './interaction-source.js';
import { DEFAULT_ITEM_KNN } from './item-knn-model.js';
import { RECS_TASK } from './recs-model.js';
import { RECS_SCHEMA, RECS_TABLE, scoreRecs } from './score-recs.js';
import { PROTOCOLS, type Protocol } from './split.js';
import { trainRecs } from './train-recs.js';
import { DEFAULT_TWO_TOWER, LOSSES, type Loss } from './two-tower-model.js';

interface SourceFlags {
  readonly table?: string;
  readonly csv?: string;
  readonly columns?: string;
  readonly delimiter?: string;
  readonly header?: boolean;
  readonly level: 'show' | 'title';
  readonly martsSchema: string;
}

interface TrainFlags extends SourceFlags, ConnectionFlags, StoreFlags {
  readonly protocol: Protocol;
  readonly testShare?: number;
  readonly cutoff?: number;
  readonly minRating: number;
  readonly minCompletion: number;
  readonly k: number;
  readonly seed: number;
  readonly factors: number;
  readonly steps: number;
  readonly batchUsers: number;
  readonly learningRate: number;
  readonly regularization: number;
  readonly loss: Loss;
  readonly negatives: number;
  readonly inputShare: number;
  readonly halfLifeDays: number;
  readonly neighbours: number;
  readonly refit: boolean;
}

interface ScoreFlags extends SourceFlags, ConnectionFlags, StoreFlags {
  readonly version: string;
  readonly top: number;
  readonly finishedAt: number;
  readonly exclude: 'finished' | 'seen';
}

/** Default held-out share per protocol: the last 20 % of events in time, 25 % of each user's items at random. */
const DEFAULT_TEST_SHARE: Record<Protocol, number> = { time: 0.2, 'leave-last-out': 0, random: 0.25 };

/**
 * `ml train recs` and `ml score recs`, under the shared `train` and `score` commands.
 *
 * @example
 * ```sh
 * ml train recs                                   # marts.fct_views + fct_ratings, time-based holdout
 * ml train recs --csv u.data --protocol random    # MovieLens 100k (tab-separated, no header)
 * ml score recs --top 10                          # → ml.recommendations
 * ```
 */
export function registerRecsCommands(program: Command): void {
  const train = subcommand(program, 'train', 'train a model and save it under data/models/<task>/<version>/');
  const trainCommand = train
    .command('recs')
    .description('train the recommendation model (two-tower factorisation) and its baselines (popularity, item-kNN) on viewing and ratings, or on a table or CSV/TSV file of interactions, and compare them on a held-out split');
  addSourceOptions(trainCommand);
  trainCommand
    .addOption(new Option('--protocol <protocol>', 'evaluation protocol: time (train before a cut-off, test after), leave-last-out, or random (per-user 75/25)').choices([...PROTOCOLS]).default('time'))
    .addOption(new Option('--test-share <share>', 'time: share of the events after the cut-off (default 0.2); random: share of each user\'s items held out (default 0.25)').argParser(decimal('--test-share', 0, 0.9)))
    .addOption(new Option('--cutoff <date>', 'time: the cut-off, an ISO date or time (default: from --test-share)').argParser(parseDate))
    .addOption(new Option('--min-rating <stars>', 'a rated held-out item is relevant at this mean rating or more').argParser(decimal('--min-rating', Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)).default(DEFAULT_FEEDBACK.minRating))
    .addOption(new Option('--min-completion <share>', 'an unrated held-out item with completions is relevant at this mean completion or more (0–1)').argParser(share('--min-completion')).default(DEFAULT_FEEDBACK.minCompletion))
    .addOption(new Option('-k, --k <k>', 'the cut-off of the ranking metrics').argParser(wholeNumber('-k', 1, 1000)).default(10))
    .addOption(new Option('--seed <n>', 'seed of the split, initial weights, batches and negatives').argParser(wholeNumber('--seed', 0, 2 ** 31 - 1)).default(42))
    .addOption(new Option('--factors <n>', 'latent factors of the two-tower model').argParser(wholeNumber('--factors', 1, 1024)).default(DEFAULT_TWO_TOWER.factors))
    .addOption(new Option('--steps <n>', 'training steps').argParser(wholeNumber('--steps', 1, 1_000_000)).default(DEFAULT_TWO_TOWER.steps))
    .addOption(new Option('--batch-users <n>', 'users per training step').argParser(wholeNumber('--batch-users', 1, 65_536)).default(DEFAULT_TWO_TOWER.batchUsers))
    .addOption(new Option('--learning-rate <r>', 'Adam learning rate').argParser(decimal('--learning-rate', 0, 1)).default(DEFAULT_TWO_TOWER.learningRate))
    .addOption(new Option('--regularization <l2>', 'L2 penalty on the factors').argParser(nonNegative('--regularization')).default(DEFAULT_TWO_TOWER.regularization))
    .addOption(new Option('--loss <loss>', 'ranking loss: softmax over all items, or BPR with sampled negatives').choices([...LOSSES]).default(DEFAULT_TWO_TOWER.loss))
    .addOption(new Option('--negatives <n>', 'BPR: negatives sampled per positive').argParser(wholeNumber('--negatives', 1, 1000)).default(DEFAULT_TWO_TOWER.negatives))
    .addOption(new Option('--input-share <share>', "share of a user's items the user tower sees at each step (the rest are targets)").argParser(share('--input-share')).default(DEFAULT_TWO_TOWER.inputShare))
    .addOption(new Option('--half-life-days <days>', 'target weights halve for every this many days before the end of the data (0: no decay)').argParser(nonNegative('--half-life-days')).default(DEFAULT_TWO_TOWER.halfLifeDays))
    .addOption(new Option('--neighbours <n>', 'item-kNN baseline: neighbours per item').argParser(wholeNumber('--neighbours', 1, 100_000)).default(DEFAULT_ITEM_KNN.neighbours))
    .option('--no-refit', 'save the model evaluated (trained on the train side) instead of training it again on all the data');
  addConnectionOptions(trainCommand);
  addStoreOptions(trainCommand);
  trainCommand.action(async (flags: TrainFlags, command: Command) => {
    const { context, setCode } = commandRuntime(command);
    setCode(await runTrain(flags, command, context));
  });

  const score = subcommand(program, 'score', 'score with a saved model and write the scores to Postgres');
  const scoreCommand = score
    .command('recs')
    .description(`rank the catalog for every user from their history, leave out what they finished, and replace ${RECS_SCHEMA}.${RECS_TABLE} (user_id, rank, content_id, score, model_version)`)
    .option('--version <version>', 'the model version (ml list), or latest', 'latest')
    .addOption(new Option('--top <n>', 'recommendations per user').argParser(wholeNumber('--top', 1, 10_000)).default(10))
    .addOption(new Option('--finished-at <share>', 'a title counts as finished from this completion (0–1)').argParser(share('--finished-at')).default(0.9))
    .addOption(new Option('--exclude <what>', 'leave out what the user finished (a series they are in the middle of stays), or everything they have seen').choices(['finished', 'seen']).default('finished'));
  addSourceOptions(scoreCommand, true);
  addConnectionOptions(scoreCommand);
  addStoreOptions(scoreCommand);
  scoreCommand.action(async (flags: ScoreFlags, command: Command) => {
    const { context, setCode } = commandRuntime(command);
    setCode(await runScore(flags, command, context));
  });
}

function addSourceOptions(command: Command, scoring = false): void {
  command
    .option('--table <schema.table>', `read interactions from this table or view (default: ${scoring ? 'the source the model was trained on' : "the marts' fct_views and fct_ratings"})`)
    .option('--csv <file>', 'read interactions from this CSV / TSV file (MovieLens u.data, ratings.csv, …)')
    .option('--columns <mapping>', 'which column is which: by header name, user=userId,item=movieId,rating=rating,timestamp=timestamp, or by position for a file without header, user,item,rating,timestamp (- skips a field); roles: user, item, rating, timestamp, seconds, completion')
    .option('--delimiter <d>', 'the CSV field separator: a character, tab, or :: (default: sniffed from the first line)')
    .option('--header', 'the CSV file has a header line (default: guessed from the first line)')
    .option('--no-header', 'the CSV file has no header line')
    .addOption(new Option('--level <level>', 'marts: recommend shows (a series with its episodes) or single titles').choices(['show', 'title']).default('show'))
    .option('--marts-schema <schema>', 'marts: the schema holding fct_views, fct_ratings and dim_content', 'marts');
}

/** The source the flags name, or undefined for the default (the marts when training, the model's source when scoring). */
function sourceFrom(flags: SourceFlags, command: Command, context: CliContext, defaultToMarts: boolean): InteractionSource | undefined {
  if (flags.table && flags.csv) throw new MlInputError('two-sources', '--table and --csv were both given; a run reads one source', { hint: 'keep one of them' });
  const columns = flags.columns === undefined ? undefined : parseColumnMapping(flags.columns);
  if (flags.csv) {
    const header = command.getOptionValueSource('header') === 'cli' ? flags.header : undefined;
    return { kind: 'csv', file: resolve(context.cwd, flags.csv), ...(columns ? { columns } : {}), ...(flags.delimiter ? { delimiter: flags.delimiter } : {}), ...(header === undefined ? {} : { header }) };
  }
  if (flags.table) return { kind: 'table', table: flags.table, ...(columns ? { columns } : {}) };
  if (columns || flags.delimiter) throw new MlInputError('options-need-source', `${columns ? '--columns' : '--delimiter'} describes a --csv file or a --table, and neither was given`, { hint: 'add --csv FILE or --table schema.table' });
  const martsGiven = command.getOptionValueSource('level') === 'cli' || command.getOptionValueSource('martsSchema') === 'cli';
  return martsGiven || defaultToMarts ? { kind: 'marts', level: flags.level, schema: flags.martsSchema } : undefined;
}

async function runTrain(flags: TrainFlags, command: Command, context: CliContext): Promise<number> {
  const { output } = context;
  const source = sourceFrom(flags, command, context, true)!;
  if (flags.protocol === 'leave-last-out' && flags.testShare !== undefined) throw new MlInputError('share-with-leave-last-out', '--test-share does not apply to leave-last-out, which holds out one item per user', { hint: 'leave out --test-share' });
  if (flags.cutoff !== undefined && flags.protocol !== 'time') throw new MlInputError('cutoff-needs-time', `--cutoff applies to the time protocol, not ${flags.protocol}`, { hint: 'add --protocol time, or leave out --cutoff' });
  const runtime = await loadRuntimeAndSay(context);
  const database = source.kind === 'csv' ? undefined : await connect(flags, context);
  try {
    const result = await trainRecs({
      source,
      pool: database?.pool,
      where: database?.target.display,
      store: modelStore(flags, context),
      runtime,
      protocol: flags.protocol,
      testShare: flags.testShare ?? DEFAULT_TEST_SHARE[flags.protocol],
      ...(flags.cutoff === undefined ? {} : { cutoff: flags.cutoff }),
      feedback: { minRating: flags.minRating, minCompletion: flags.minCompletion },
      k: flags.k,
      seed: flags.seed,
      twoTower: {
        factors: flags.factors,
        steps: flags.steps,
        batchUsers: flags.batchUsers,
        learningRate: flags.learningRate,
        regularization: flags.regularization,
        loss: flags.loss,
        negatives: flags.negatives,
        inputShare: flags.inputShare,
        halfLifeDays: flags.halfLifeDays,
      },
      itemKnn: { neighbours: flags.neighbours },
      refit: flags.refit,
      log: (line) => output.out(line),
    });
    output.out('');
    output.out(`Metrics on the ${result.metrics.evaluatedOn} (* = used for scoring):`);
    for (const line of formatMetricsTable(result.metrics)) output.out(`  ${line}`);
    output.out('');
    output.out(`Saved ${pc.bold(`${RECS_TASK}/${result.version.version}`)} in ${result.version.dir} (model card: model-card.md)`);
    return 0;
  } finally {
    await database?.close();
  }
}

async function runScore(flags: ScoreFlags, command: Command, context: CliContext): Promise<number> {
  const { output } = context;
  const version = modelStore(flags, context).get(flags.version, RECS_TASK);
  const source = sourceFrom(flags, command, context, false);
  const runtime = await loadRuntimeAndSay(context);
  const database = await connect(flags, context);
  try {
    const result = await scoreRecs({ version, pool: database.pool, where: database.target.display, runtime, ...(source ? { source } : {}), top: flags.top, finishedAt: flags.finishedAt, exclude: flags.exclude, log: (line) => output.out(line) });
    const rate = result.rankSeconds > 0 ? Math.round(result.users / result.rankSeconds) : result.users;
    output.out(
      `Wrote ${result.rows.toLocaleString('en')} rows (top ${flags.top} for ${result.users.toLocaleString('en')} users${result.usersWithoutRecommendations ? `; ${result.usersWithoutRecommendations.toLocaleString('en')} had finished everything` : ''}) to ${RECS_SCHEMA}.${RECS_TABLE} on ${database.target.display} in ${result.seconds.toFixed(1)} s, ${result.rankSeconds.toFixed(2)} s of it ranking (${rate.toLocaleString('en')} users/s; model version ${version.version})`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

function parseDate(value: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('--cutoff must be an ISO date or time, e.g. 2024-03-01 or 2024-03-01T12:00:00Z');
  return t;
}

function share(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`${name} must be a number from 0 to 1`);
    return n;
  };
}

function nonNegative(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number of 0 or more`);
    return n;
  };
}
