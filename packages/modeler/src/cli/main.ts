import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ReelError } from '../errors/index.js';
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
      .option('--no-partial-parse', 'parse every file again instead of reusing target/.reel-cache');
  const selection = (command: Command) =>
    command
      .option('-s, --select <selectors...>', 'nodes to include: name, +name, name+, tag:x, path:dir', collect)
      .option('--exclude <selectors...>', 'nodes to leave out', collect);
  const running = (command: Command) =>
    command
      .addOption(new Option('--threads <n>', 'parallel connections').argParser(threadsOption))
      .option('--no-format', 'write compiled SQL as rendered, without sql-formatter');

  for (const name of ['run', 'test', 'seed', 'build'] as const) {
    const descriptions = {
      run: 'build the selected models',
      test: 'run the selected data tests',
      seed: 'load the CSV seeds with COPY',
      build: 'seeds, models and tests in DAG order; a failure skips everything downstream',
    };
    const command = running(selection(common(program.command(name).description(descriptions[name]))));
    if (name !== 'test') command.option('--full-refresh', 'rebuild incremental models and seeds from scratch');
    command.action(async (opts) => {
      exitCode = await (await commands.run())({ ...opts, env, command: name }, output);
    });
  }
  selection(common(program.command('compile').description('render, check and write target/compiled and target/manifest.json (no database)')))
    .option('--no-format', 'write compiled SQL as rendered, without sql-formatter')
    .action(async (opts) => {
      exitCode = await (await commands.compile())({ ...opts, env }, output);
    });
  selection(common(program.command('ls').alias('list').description('list the selected nodes')))
    .addOption(new Option('--resource-type <type>', 'only this kind').choices(['model', 'seed', 'test', 'source', 'exposure']))
    .addOption(new Option('--output <format>', 'how to print each node').choices(['selector', 'name', 'path', 'json']))
    .action(async (opts) => {
      exitCode = await (await commands.ls())({ ...opts, env }, output);
    });
  const docs = program.command('docs').description('the project\'s documentation site: models, columns, tests, lineage');
  common(docs.command('generate').description('compile, read the catalog and column lineage, and write the static site to target/docs/'))
    .option('--empty-catalog', 'do not connect to the database: column types are the declared ones')
    .option('--no-format', 'write compiled SQL as rendered, without sql-formatter')
    .action(async (opts) => {
      exitCode = await (await commands.docs()).docsGenerateCommand({ ...opts, env }, output);
    });
  docs
    .command('serve')
    .description('serve target/docs/ on http://127.0.0.1 (Ctrl+C to stop)')
    .option('--project-dir <dir>', 'the project folder (default: current folder)')
    .addOption(new Option('--port <n>', 'the port to listen on (0: any free port)').default(8080).argParser(portOption))
    .action(async (opts) => {
      exitCode = await (await commands.docs()).docsServeCommand({ ...opts, env }, output);
    });
  common(program.command('debug').description('show the project and target in use, and test the connection')).action(async (opts) => {
    exitCode = await (await commands.debug())({ ...opts, env }, output);
  });
  common(program.command('clean').description('delete target/ (the clean-targets)')).action(async (opts) => {
    exitCode = await (await commands.clean())({ ...opts, env }, output);
  });
  program
    .command('init')
    .argument('<dir>', 'folder for the new project')
    .description('create a starter project')
    .action(async (dir: string) => {
      exitCode = await (await commands.init())(dir, output);
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    printErrors(output, error);
    if (error instanceof ReelError) return error.code.startsWith('connect') || error.name === 'ConnectionError' || error.name === 'ExecutionError' ? EXIT.failed : EXIT.usage;
    return EXIT.failed;
  }
}
