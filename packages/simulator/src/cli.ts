import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import pc from 'picocolors';
import { ReelError } from '@reel/modeler';
import { DIRT_NAMES, type DirtKind } from './dirt.js';
import { FEED_NAMES } from './feeds.js';
import type { LoadReport } from './load.js';
import { appendDays, simulate, type Progress, type RunRecord } from './simulate.js';
import { dayNumber } from './time-zones.js';

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
  /** Whether to draw a progress bar (a terminal, not CI). */
  readonly interactive: boolean;
}

const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  interactive: Boolean(process.stderr.isTTY) && !process.env.CI,
};

const wholeNumber = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}`);
  return n;
};

function isoDate(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(dayNumber(value)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new InvalidArgumentError('the start must be a date written YYYY-MM-DD, e.g. 2024-01-01');
  }
  return value;
}

function rate(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 50) throw new InvalidArgumentError('the dirty rate must be a number from 0 (clean) to 50; 1 gives the documented rates');
  return n;
}

function dirtOverrides(value: string): Partial<Record<DirtKind, number>> {
  const out: Partial<Record<DirtKind, number>> = {};
  for (const part of value.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [kind, text] = part.split('=');
    if (!DIRT_NAMES.includes(kind as DirtKind)) throw new InvalidArgumentError(`"${kind}" is not a kind of dirt; the kinds are ${DIRT_NAMES.join(', ')}`);
    const n = Number(text);
    if (text === undefined || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`the rate of ${kind} must be a fraction from 0 to 1, e.g. ${kind}=0.01`);
    out[kind as DirtKind] = n;
  }
  return out;
}

/** Runs the `simulate` CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], output: CliOutput = processOutput, env: Readonly<Record<string, string | undefined>> = process.env): Promise<number> {
  let code = 0;
  const program = new Command('simulate')
    .description('Reproducible synthetic streaming-platform feeds (users, content, views, ratings, subscriptions) with hidden truth')
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .showSuggestionAfterError(true)
    .addOption(new Option('--users <n>', 'members').argParser(wholeNumber('--users', 1, 100_000_000)).default(1000))
    .addOption(new Option('--days <n>', 'days to simulate').argParser(wholeNumber('--days', 1, 3650)).default(90))
    .addOption(new Option('--start <date>', 'first day, YYYY-MM-DD').argParser(isoDate).default('2024-01-01'))
    .addOption(new Option('--seed <n>', 'random seed: the same arguments give byte-identical files').argParser(wholeNumber('--seed', 0, 2 ** 31 - 1)).default(42))
    .option('--out <dir>', 'folder for the feeds, truth/ and run.json', 'data/raw')
    .option('--catalog <file>', 'a catalog in the Kaggle Netflix titles format instead of a generated one')
    .addOption(new Option('--titles <n>', 'movies and series in a generated catalog').argParser(wholeNumber('--titles', 1, 1_000_000)))
    .addOption(new Option('--dirty-rate <r>', 'multiplies every documented dirt rate (0 = clean feeds)').argParser(rate).default(1))
    .addOption(new Option('--dirt <kind=rate,...>', `set single rates: ${DIRT_NAMES.join(', ')}`).argParser(dirtOverrides))
    .addOption(new Option('--append-days <k>', 'continue the run in --out by k days (new rows only)').argParser(wholeNumber('--append-days', 1, 3650)))
    .option('--load', 'then COPY the feeds into the raw schema of the database')
    .option('--project-dir <dir>', 'for --load: the models project whose connection to use', '.')
    .option('--target <name>', 'for --load: a target from profiles.yml')
    .option('--profiles-dir <dir>', 'for --load: folder holding profiles.yml')
    .action(async (options: Record<string, unknown>) => {
      code = await run(options, output, env);
    });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof ReelError) {
      output.err(`${error.place ? `${pc.bold(error.place)}  ` : ''}${pc.red(error.message)}${error.hint ? `\n    ${pc.dim('fix:')} ${error.hint}` : ''}`);
      return error.code === 'load-failed' || error.name === 'ConnectionError' ? 1 : 2;
    }
    output.err(pc.red(`internal error: ${error instanceof Error ? error.message : String(error)}`));
    if (env.REEL_DEBUG && error instanceof Error) output.err(error.stack ?? '');
    else output.err('    (set REEL_DEBUG=1 to see where it happened, and please report it)');
    return 1;
  }
}

async function run(options: Record<string, unknown>, output: CliOutput, env: Readonly<Record<string, string | undefined>>): Promise<number> {
  const out = String(options.out);
  const started = performance.now();
  const bar = output.interactive ? new cliProgress.SingleBar({ format: 'simulating {bar} {percentage}% · {users}/{total} members · {rows} rows · {rate} rows/s · eta {eta_formatted}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : undefined;
  let barStarted = false;
  const onProgress = (p: Progress) => {
    if (!bar) return;
    if (!barStarted) {
      bar.start(p.totalUsers, 0, { users: 0, rows: 0, rate: 0 });
      barStarted = true;
    }
    const seconds = (performance.now() - started) / 1000;
    bar.update(p.users, { users: p.users.toLocaleString('en'), rows: p.rows.toLocaleString('en'), rate: Math.round(p.rows / Math.max(seconds, 0.001)).toLocaleString('en') });
  };
  let record: RunRecord;
  try {
    record =
      options.appendDays !== undefined
        ? await appendDays(out, options.appendDays as number, options.catalog as string | undefined, onProgress)
        : await simulate({
            users: options.users as number,
            days: options.days as number,
            start: options.start as string,
            seed: options.seed as number,
            out,
            catalogFile: options.catalog as string | undefined,
            titles: options.titles as number | undefined,
            dirtyRate: options.dirtyRate as number,
            dirt: options.dirt as Partial<Record<DirtKind, number>> | undefined,
            onProgress,
          });
  } finally {
    bar?.stop();
  }
  const batch = record.batches.at(-1)!;
  const seconds = (performance.now() - started) / 1000;
  const total = FEED_NAMES.reduce((sum, name) => sum + batch.rows[name], 0);
  output.out(`${options.appendDays !== undefined ? `Appended ${String(options.appendDays)} days (batch ${batch.index}) to` : 'Wrote'} ${out}: ${FEED_NAMES.map((name) => `${batch.rows[name].toLocaleString('en')} ${name}`).join(', ')}`);
  output.out(`${total.toLocaleString('en')} rows in ${seconds.toFixed(1)}s (${Math.round(total / seconds).toLocaleString('en')} rows/s); truth in ${out}/truth, arguments in ${out}/run.json`);
  if (options.load) {
    const { loadRun } = await import('./load.js');
    const report: LoadReport = await loadRun(out, { projectDir: String(options.projectDir), target: options.target as string | undefined, profilesDir: options.profilesDir as string | undefined, env, log: (line) => output.out(line) });
    const rejected = FEED_NAMES.reduce((sum, name) => sum + report.feeds[name].rejected, 0);
    output.out(`Loaded into ${report.schema}.* on ${report.target}${rejected ? `; ${rejected} malformed lines kept in ${report.schema}.load_rejects` : ''}`);
  }
  return 0;
}
