import { Command, CommanderError, Option } from 'commander';
import pc from 'picocolors';
import { ConfigError, ReelError, UsageError } from '@reel/modeler';
import { addStoreOptions, attachCommandRuntime, formatMetricsTable, modelStore, type CliContext, type CliOutput, type Env, type StoreFlags } from './cli-support.js';
import { registerChurnCommands } from './churn/churn-commands.js';
import { MlInputError } from './errors.js';
import { registerRecsCommands } from './recs/recs-commands.js';
import { METRICS_FILE, MODEL_CARD_FILE, type MetricsFile } from './store/model-store.js';

const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs the `ml` CLI with `argv` (without node and script) and resolves to the exit code: 0 done,
 * 1 failed, 2 bad input (a flag, a config, a missing column, an unknown version). Errors are one
 * sentence with what, where and how to fix it; REEL_DEBUG=1 adds the stack of unexpected ones.
 *
 * @example
 * ```ts
 * const code = await main(['train', 'churn', '--epochs', '10']);
 * ```
 */
export async function main(argv: readonly string[], output: CliOutput = processOutput, env: Env = process.env, cwd: string = process.cwd()): Promise<number> {
  let code = 0;
  const setCode = (c: number) => {
    code = c;
  };
  const context: CliContext = { output, env, cwd };
  const program = new Command('ml')
    .description('Reel ML: churn prediction and recommendations with TensorFlow.js, trained on the marts, scored back into Postgres')
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .showSuggestionAfterError(true);
  attachCommandRuntime(program, { context, setCode });
  registerChurnCommands(program, context, setCode);
  registerRecsCommands(program);

  const list = program.command('list').alias('ls').description('list the saved model versions with their headline figures').option('--task <task>', 'only this task (churn, recs)');
  addStoreOptions(list).action((flags: StoreFlags & { task?: string }) => setCode(listVersions(flags, context)));

  const evaluate = program
    .command('evaluate')
    .description("show a saved version's metrics against its baselines (from metrics.json) and where its model card is")
    .requiredOption('--version <version>', 'the version (ml list), a unique prefix of it, or latest')
    .addOption(new Option('--task <task>', 'the task, when the version name is not enough').choices(['churn', 'recs']));
  addStoreOptions(evaluate).action((flags: StoreFlags & { version: string; task?: string }) => setCode(evaluateVersion(flags, context)));

  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    return report(error, output, env);
  }
}

function listVersions(flags: StoreFlags & { task?: string }, context: CliContext): number {
  const store = modelStore(flags, context);
  const versions = store.list(flags.task);
  if (versions.length === 0) {
    context.output.out(`No models in ${store.root}${flags.task ? ` for ${flags.task}` : ''}: train one with \`ml train churn\`.`);
    return 0;
  }
  const rows = versions.map((v) => [v.task, v.version, v.info.createdAt.slice(0, 19).replace('T', ' '), v.info.backend, Object.entries(v.info.summary).map(([k, x]) => `${k} ${typeof x === 'number' && !Number.isInteger(x) ? x.toFixed(3) : String(x)}`).join(', ')]);
  const header = ['task', 'version', 'trained (UTC)', 'backend', 'summary'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) context.output.out(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  context.output.out(pc.dim(`in ${store.root}`));
  return 0;
}

function evaluateVersion(flags: StoreFlags & { version: string; task?: string }, context: CliContext): number {
  const { output } = context;
  const version = modelStore(flags, context).get(flags.version, flags.task);
  if (!version.has(METRICS_FILE)) throw new MlInputError('no-metrics', `${version.dir} has no ${METRICS_FILE}`, { hint: 'the version is incomplete: train it again' });
  const metrics = version.readJson<MetricsFile>(METRICS_FILE);
  output.out(`${pc.bold(`${version.task}/${version.version}`)} trained ${version.info.createdAt} on TensorFlow.js backend ${pc.bold(version.info.backend)}`);
  output.out(`data: ${version.info.data}`);
  output.out(`metrics on the ${metrics.evaluatedOn} (* = used for scoring):`);
  for (const line of formatMetricsTable(metrics)) output.out(`  ${line}`);
  if (version.has(MODEL_CARD_FILE)) output.out(`model card: ${version.dir}/${MODEL_CARD_FILE}`);
  return 0;
}

function report(error: unknown, output: CliOutput, env: Env): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof ReelError) {
    output.err(`${error.place ? `${pc.bold(error.place)}  ` : ''}${pc.red(error.message)}${error.hint ? `\n    ${pc.dim('fix:')} ${error.hint}` : ''}`);
    return error instanceof MlInputError || error instanceof ConfigError || error instanceof UsageError ? 2 : 1;
  }
  output.err(pc.red(`internal error: ${error instanceof Error ? error.message : String(error)}`));
  if (env.REEL_DEBUG && error instanceof Error) output.err(error.stack ?? '');
  else output.err('    (set REEL_DEBUG=1 to see where it happened, and please report it)');
  return 1;
}
