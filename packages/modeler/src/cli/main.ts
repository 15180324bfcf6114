import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ReelError } from '../errors/index.js';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { annotationsEnabled, errorAnnotations } from '../ci/annotations.js';
import { jsonLogOutput } from './json-log-output.js';
import { printErrors, processOutput, type Output } from './output.js';

// Commands are imported when chosen: loading all of them (the database driver, the embedded
// server, the formatter) would add a third of a second to every command.
const commands = {
  clean: () => import('../commands/clean-command.js').then((m) => m.cleanCommand),
  compile: () => import('../commands/compile-command.js').then((m) => m.compileCommand),
  debug: () => import('../commands/debug-command.js').then((m) => m.debugCommand),
  docs: () => import('../commands/docs-command.js'),
  init: () => import('../commands/init-command.js').then((m) => m.initCommand),
  ls: () => import('../commands/ls-command.js').then((m) => m.lsCommand),
  run: () => import('../commands/run-command.js').then((m) => m.runCommand),
  retry: () => import('../commands/retry-command.js').then((m) => m.retryCommand),
  freshness: () => import('../commands/freshness-command.js').then((m) => m.freshnessCommand),
  fmt: () => import('../commands/fmt-command.js').then((m) => m.fmtCommand),
  lint: () => import('../commands/lint-command.js').then((m) => m.lintCommand),
};

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function threadsOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError('expected a whole number from 1 to 64');
  return n;
}

function portOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number from 0 (any free port) to 65535');
  return n;
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(/\s+/).filter(Boolean)];

/** Runs the `model` CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], output: Output = processOutput, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  let exitCode: number = EXIT.ok;
  // Replaced by a JSON-lines writer before the action runs when --log-format json is given.
  let active: Output = output;
  let projectRoot: string | undefined;
  const program = new Command('model')
    .description('Reel modeler: compile and run SQL models on PostgreSQL')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .showSuggestionAfterError(true);

  const common = (command: Command) =>
    command
      .option('--project-dir <dir>', 'the project folder (default: current folder)')
      .option('--target <name>', 'a target from profiles.yml (default: DATABASE_URL, then the profile default, then embedded)')
      .option('--profiles-dir <dir>', 'folder holding profiles.yml')
      .option('--vars <yaml>', "override project vars, e.g. '{start_date: 2024-01-01}'")
      .option('--no-partial-parse', 'parse every file again instead of reusing target/.reel-cache')
      .addOption(new Option('--log-format <format>', 'text, or json: one structured JSON object per line (dbt\'s shape)').choices(['text', 'json']).default(env.REEL_LOG_FORMAT === 'json' ? 'json' : 'text'));
  const selection = (command: Command) =>
    command
      .option('-s, --select <selectors...>', 'nodes to include: name, +name, name+, tag:x, path:dir', collect)
      .option('--exclude <selectors...>', 'nodes to leave out', collect)
      .option('--state <dir>', 'a previous run\'s target/ (manifest.json, run_results.json) for state:modified, state:new and result:<status>');
  const running = (command: Command) =>
    command
      .addOption(new Option('--threads <n>', 'parallel connections').argParser(threadsOption))
      .option('--no-format', 'write compiled SQL as rendered, without sql-formatter');

  for (const name of ['run', 'test', 'seed', 'snapshot', 'build'] as const) {
    const descriptions = {
      run: 'build the selected models',
      test: 'run the selected data tests and unit tests',
      seed: 'load the CSV seeds with COPY',
      snapshot: 'record the selected snapshots: close changed rows, insert their new versions (SCD type 2)',
      build: 'seeds, snapshots, models, unit tests and data tests in DAG order; a failure skips everything downstream',
    };
    const command = running(selection(common(program.command(name).description(descriptions[name]))));
    if (name !== 'test' && name !== 'snapshot') {
      command.option('--full-refresh', 'rebuild incremental models and seeds from scratch');
      command.option('--atomic', 'build into fresh schemas, test there, and switch them in with the live ones in one transaction (readers never see a mix)');
    }
    command
      .option('--defer', 'read unselected parents this target lacks from where the --state run built them')
      .option('--favor-state', 'with --defer: read every unselected parent from the --state run, even if built here');
    command.action(async (opts) => {
      exitCode = await (await commands.run())({ ...opts, env, command: name }, active);
    });
  }
  selection(common(program.command('compile').description('render, check and write target/compiled and target/manifest.json (no database)')))
    .option('--no-format', 'write compiled SQL as rendered, without sql-formatter')
    .action(async (opts) => {
      exitCode = await (await commands.compile())({ ...opts, env }, active);
    });
  selection(common(program.command('ls').alias('list').description('list the selected nodes')))
    .addOption(new Option('--resource-type <type>', 'only this kind').choices(['model', 'seed', 'snapshot', 'test', 'unit_test', 'source', 'exposure']))
    .addOption(new Option('--output <format>', 'how to print each node').choices(['selector', 'name', 'path', 'json']))
    .action(async (opts) => {
      exitCode = await (await commands.ls())({ ...opts, env }, active);
    });
  const docs = program.command('docs').description('the project\'s documentation site: models, columns, tests, lineage');
  common(docs.command('generate').description('compile, read the catalog and column lineage, and write the static site to target/docs/'))
    .option('--empty-catalog', 'do not connect to the database: column types are the declared ones')
    .option('--no-format', 'write compiled SQL as rendered, without sql-formatter')
    .action(async (opts) => {
      exitCode = await (await commands.docs()).docsGenerateCommand({ ...opts, env }, active);
    });
  docs
    .command('serve')
    .description('serve target/docs/ on http://127.0.0.1 (Ctrl+C to stop)')
    .option('--project-dir <dir>', 'the project folder (default: current folder)')
    .addOption(new Option('--port <n>', 'the port to listen on (0: any free port)').default(8080).argParser(portOption))
    .action(async (opts) => {
      exitCode = await (await commands.docs()).docsServeCommand({ ...opts, env }, active);
    });
  program
    .command('fmt')
    .description('format the SQL of models, snapshots and singular tests in place (Handlebars kept intact; only whitespace changes)')
    .argument('[paths...]', 'files or folders, relative to the project (default: all)')
    .option('--project-dir <dir>', 'the project folder (default: current folder)')
    .option('--check', 'list the files that would change and exit 1, writing nothing')
    .action(async (paths: string[], opts) => {
      exitCode = await (await commands.fmt())({ ...opts, paths }, active);
    });
  selection(common(program.command('lint').description('check models for select *, unqualified columns in joins and untested keys; file:line for each')))
    .option('--fix', 'apply the safe fixes (add missing unique / not_null tests on keys)')
    .action(async (opts) => {
      exitCode = await (await commands.lint())({ ...opts, env }, active);
    });
  const source = program.command('source').description('commands about the project\'s sources');
  selection(common(source.command('freshness').description('check each source\'s newest loaded_at_field against its freshness warn_after / error_after; writes target/sources.json')))
    .addOption(new Option('--threads <n>', 'parallel connections').argParser(threadsOption))
    .action(async (opts) => {
      exitCode = await (await commands.freshness())({ ...opts, env }, active);
    });
  common(program.command('retry').description('run the last run/test/seed/build again on the nodes that errored, failed or were skipped'))
    .addOption(new Option('--threads <n>', 'parallel connections').argParser(threadsOption))
    .action(async (opts) => {
      exitCode = await (await commands.retry())({ ...opts, env }, active);
    });
  common(program.command('debug').description('show the project and target in use, and test the connection')).action(async (opts) => {
    exitCode = await (await commands.debug())({ ...opts, env }, active);
  });
  common(program.command('clean').description('delete target/ (the clean-targets)')).action(async (opts) => {
    exitCode = await (await commands.clean())({ ...opts, env }, active);
  });
  program
    .command('init')
    .argument('<dir>', 'folder for the new project')
    .description('create a starter project')
    .action(async (dir: string) => {
      exitCode = await (await commands.init())(dir, active);
    });

  program.hook('preAction', (_program, action) => {
    const opts = action.opts<{ logFormat?: string; projectDir?: string }>();
    projectRoot = resolve(opts.projectDir ?? process.cwd());
    if (opts.logFormat === 'json') active = jsonLogOutput(output, randomUUID());
  });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    printErrors(active, error);
    if (annotationsEnabled(env)) for (const line of errorAnnotations(error, projectRoot, env)) output.out(line);
    if (error instanceof ReelError) return error.code.startsWith('connect') || error.name === 'ConnectionError' || error.name === 'ExecutionError' ? EXIT.failed : EXIT.usage;
    return EXIT.failed;
  }
}
