import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { openDatabase, readProfileName, resolveTarget, type Database } from '@reel/modeler';
import { loadRuntime, type Runtime } from './runtime.js';
import { DEFAULT_MODELS_DIR, ModelStore, type MetricsFile } from './store/model-store.js';

/**
 * What every `ml` command shares: output, connection flags, the model store, the runtime line.
 * Task modules (churn here, recs in src/recs/) add their commands with these, so each command
 * connects, stores and reports the same way.
 */
export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** What a command's action gets besides its own options. */
export interface CliContext {
  readonly output: CliOutput;
  readonly env: Env;
  /** Where relative paths start (the process's working folder). */
  readonly cwd: string;
}

/** What `main` hands every command: its context, and how to set the exit code. */
export interface CommandRuntime {
  readonly context: CliContext;
  setCode(code: number): void;
}

const runtimes = new WeakMap<Command, CommandRuntime>();

/** Called by `main` on the root program; commands find it with `commandRuntime`. */
export function attachCommandRuntime(program: Command, runtime: CommandRuntime): void {
  runtimes.set(program, runtime);
}

/**
 * The output, env, working folder and exit-code setter of the `ml` run a command belongs to, for
 * task modules registered with only the program (`registerRecsCommands(program)`):
 *
 * ```ts
 * train.command('recs').action(async (flags, command: Command) => {
 *   const { context, setCode } = commandRuntime(command);
 *   context.output.out('…');
 *   setCode(0);
 * });
 * ```
 */
export function commandRuntime(command: Command): CommandRuntime {
  let root: Command = command;
  while (root.parent) root = root.parent;
  const found = runtimes.get(root);
  if (!found) throw new Error('commandRuntime: the command is not part of a program started by main()');
  return found;
}

/** The flags `addConnectionOptions` adds, as commander hands them over. */
export interface ConnectionFlags {
  readonly databaseUrl?: string;
  readonly projectDir?: string;
  readonly target?: string;
  readonly profilesDir?: string;
}

export interface StoreFlags {
  readonly modelsDir?: string;
}

/** `ml train`, `ml score`: the command named `name` under `program`, made on first use. */
export function subcommand(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

/** --database-url, --project-dir, --target, --profiles-dir: the modeler's connection resolution. */
export function addConnectionOptions(command: Command): Command {
  return command
    .option('--database-url <url>', 'PostgreSQL to use (default: DATABASE_URL, then the models project profile, then its embedded server)')
    .option('--project-dir <dir>', 'the models project whose connection (profiles.yml, embedded server) to use (default: packages/models from the repository root, else .)')
    .option('--target <name>', 'a target from profiles.yml')
    .option('--profiles-dir <dir>', 'folder holding profiles.yml');
}

/** --models-dir: the model store. */
export function addStoreOptions(command: Command): Command {
  return command.option('--models-dir <dir>', `where models are kept (default: REEL_MODELS_DIR, else ${DEFAULT_MODELS_DIR})`);
}

/** packages/models when run from the repository root, else the current folder. */
export function defaultProjectDir(cwd: string): string {
  const models = join(cwd, 'packages', 'models');
  return existsSync(join(models, 'reel_project.yml')) ? models : cwd;
}

/**
 * Opens the database the way every Reel tool does (`resolveTarget` of @reel/modeler): --database-url,
 * else DATABASE_URL, else the project's profiles.yml, else its embedded PostgreSQL.
 */
export async function connect(flags: ConnectionFlags, context: CliContext): Promise<Database> {
  const projectRoot = flags.projectDir ? resolve(context.cwd, flags.projectDir) : defaultProjectDir(context.cwd);
  const env = flags.databaseUrl ? { ...context.env, DATABASE_URL: flags.databaseUrl } : context.env;
  const target = resolveTarget({ projectRoot, profile: readProfileName(projectRoot), target: flags.target, profilesDir: flags.profilesDir, env });
  return openDatabase(target, { projectRoot, threads: 2, log: (line) => context.output.err(pc.dim(line)) });
}

export function modelStore(flags: StoreFlags, context: CliContext): ModelStore {
  return new ModelStore(resolve(context.cwd, flags.modelsDir ?? context.env.REEL_MODELS_DIR ?? DEFAULT_MODELS_DIR));
}

/** Loads TensorFlow.js and says which backend runs (and why not a faster one). */
export async function loadRuntimeAndSay(context: CliContext): Promise<Runtime> {
  const runtime = await loadRuntime(context.env);
  context.output.out(`TensorFlow.js backend: ${pc.bold(runtime.backend)}${runtime.fallbackReason ? pc.dim(` (${runtime.fallbackReason})`) : ''}`);
  return runtime;
}

/** A commander option parser for whole numbers in [min, max]. */
export const wholeNumber = (name: string, min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}`);
  return n;
};

/** A commander option parser for numbers in (min, max]. */
export const decimal = (name: string, min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= min || n > max) throw new InvalidArgumentError(`${name} must be a number above ${min} and at most ${max}`);
  return n;
};

export const choice = (name: string, values: readonly string[]) => new Option(name).choices(values);

/**
 * A metrics file as a table: one line per model, one column per figure, numbers to 4 places.
 * Columns are the numeric figures the models have, in the order first seen.
 */
export function formatMetricsTable(metrics: Pick<MetricsFile, 'models' | 'primary'>): string[] {
  const names = Object.keys(metrics.models);
  const columns: string[] = [];
  for (const name of names) {
    for (const [key, value] of Object.entries(metrics.models[name]!)) if ((typeof value === 'number' || value === null) && !columns.includes(key)) columns.push(key);
  }
  const cell = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en') : Number.isFinite(v) ? v.toFixed(4) : '–') : '–');
  const rows = names.map((name) => [`${name}${name === metrics.primary ? ' *' : ''}`, ...columns.map((c) => cell(metrics.models[name]![c]))]);
  const header = ['model', ...columns];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)];
}
