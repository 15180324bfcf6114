import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import pc from 'picocolors';
import { ReelError } from '@reel/modeler';
import { BiConfigError, BiInputError } from './errors.js';
import { exportMarts } from './export-marts.js';
import type { ExtractFormat } from './extract/extract-manifest.js';
import { publishToPowerBi, publishToTableau } from './publish-extracts.js';
import { hashPassword } from './serve/password-hash.js';
import { servePortal } from './serve/serve-portal.js';

export interface CliOutput {
  out(line: string): void;
  err(line: string): void;
}

/** What `bi serve` and `bi users hash` need besides output: stdin, and when to stop serving. */
export interface CliIo {
  /** The whole of standard input. */
  readStdin(): Promise<string>;
  /** Resolves when the server should stop (SIGINT / SIGTERM). */
  stopped(): Promise<void>;
}

const processIo: CliIo = {
  async readStdin() {
    if (process.stdin.isTTY) process.stderr.write('Password (then Enter and Ctrl-D): ');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  stopped: () => new Promise((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  }),
};

const processOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(/[\s,]+/).filter(Boolean)];

const wholeNumber = (name: string, min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new InvalidArgumentError(`${name} must be a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}`);
  return n;
};

const bytes = (name: string, max: number) => (value: string) => {
  const match = /^(\d+)\s*(b|kb|k|mb|m)?$/i.exec(value.trim());
  const n = match ? Number(match[1]) * ({ k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2 }[match[2]?.toLowerCase() ?? ''] ?? 1) : NaN;
  if (!Number.isFinite(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be a size from 1 byte to ${max / 1024 / 1024} MB, e.g. 16MB or 65536`);
  return n;
};

function formats(value: string): ExtractFormat[] {
  const list = value.split(/[\s,]+/).filter(Boolean);
  for (const f of list) if (f !== 'parquet' && f !== 'csv') throw new InvalidArgumentError(`"${f}" is not an extract format; write parquet, csv or parquet,csv`);
  return [...new Set(list)] as ExtractFormat[];
}

/** The models project: --project-dir, else this folder if it is one, else packages/models. */
function projectDir(option: string | undefined, cwd: string): string {
  if (option) return option;
  if (existsSync(join(cwd, 'reel_project.yml'))) return '.';
  return 'packages/models';
}

/** Runs the `bi` CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], output: CliOutput = processOutput, env: Readonly<Record<string, string | undefined>> = process.env, cwd = process.cwd(), io: CliIo = processIo): Promise<number> {
  let code: number = EXIT.ok;
  const log = (line: string) => output.out(line);
  const program = new Command('bi')
    .description('Reel BI: extracts, Power BI and Tableau files from the marts, publishing to the services, and the portal (bi serve)')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .showSuggestionAfterError(true);

  program
    .command('export')
    .description('stream the marts to Parquet and CSV, and write the Power BI project, .pbids and Tableau .tds files, with manifest.json')
    .option('--project-dir <dir>', 'the models project (default: this folder if it has reel_project.yml, else packages/models)')
    .option('-s, --select <marts...>', 'marts to export (default: all)', collect)
    .option('--out <dir>', 'output folder', 'data/processed')
    .addOption(new Option('--formats <list>', 'extract formats: parquet, csv or both').argParser(formats).default(['parquet', 'csv'], 'parquet,csv'))
    .option('--no-extracts', 'only the Power BI and Tableau files, no data')
    .option('--target <name>', 'a target from profiles.yml (default: DATABASE_URL, then the profile, then embedded)')
    .option('--profiles-dir <dir>', 'folder holding profiles.yml')
    .option('--server <host:port>', 'the PostgreSQL server BI tools should connect to (default: the one read from)')
    .option('--database <name>', 'the database BI tools should connect to')
    .option('--username <name>', 'the user name written into the connection files (never a password)')
    .addOption(new Option('--row-group-rows <n>', 'rows per Parquet row group').argParser(wholeNumber('--row-group-rows', 1000, 10_000_000)).default(100_000))
    .action(async (opts) => {
      await exportMarts({
        projectDir: projectDir(opts.projectDir, cwd),
        outDir: opts.out,
        select: opts.select ?? [],
        formats: opts.formats,
        skipExtracts: opts.extracts === false,
        target: opts.target,
        profilesDir: opts.profilesDir,
        env,
        rowGroupRows: opts.rowGroupRows,
        connection: { server: opts.server, database: opts.database, username: opts.username },
        log,
        cwd,
      });
    });

  const publish = (command: Command) =>
    command
      .option('--out <dir>', 'the folder bi export wrote', 'data/processed')
      .option('-s, --select <marts...>', 'marts to publish (default: all exported)', collect)
      .option('--dry-run', 'print the requests instead of sending them (secrets masked)')
      .option('--profile <file>', 'YAML file with powerbi: / tableau: settings (environment variables win)')
      .option('--verbose', 'print every request sent (secrets masked)');

  const publishCommand = program.command('publish').description('publish the extracts to Power BI or Tableau');
  publish(publishCommand.command('powerbi').description('push dataset: schema from the marts, rows in batches of at most 10,000, full refresh'))
    .option('--dataset-name <name>', 'the push dataset (default POWERBI_DATASET_NAME, else Reel)')
    .addOption(new Option('--retention <policy>', 'push dataset retention').choices(['basicFIFO', 'none']))
    .action(async (opts) => {
      await publishToPowerBi({ outDir: opts.out, select: opts.select, env, profile: opts.profile, dryRun: opts.dryRun, verbose: opts.verbose, datasetName: opts.datasetName, retention: opts.retention, log, cwd });
    });
  publish(publishCommand.command('tableau').description('data sources: Parquet extracts (or .tds live connections), chunked upload when large, overwrite, job polling'))
    .addOption(new Option('--format <format>', 'what to publish').choices(['parquet', 'tds']).default('parquet'))
    .addOption(new Option('--chunk-bytes <size>', 'bytes per upload chunk (at most 64MB; default TABLEAU_CHUNK_BYTES, else 16MB)').argParser(bytes('--chunk-bytes', 64 * 1024 * 1024)))
    .addOption(new Option('--chunk-threshold <size>', 'files this large go up in chunks (default 64MB)').argParser(bytes('--chunk-threshold', 64 * 1024 * 1024)))
    .action(async (opts) => {
      await publishToTableau({ outDir: opts.out, select: opts.select, env, profile: opts.profile, dryRun: opts.dryRun, verbose: opts.verbose, format: opts.format, chunkBytes: opts.chunkBytes, chunkThresholdBytes: opts.chunkThreshold, log, cwd });
    });
  publishCommand.on('command:*', (operands: string[]) => {
    throw new BiInputError('unknown-service', `"${operands[0]}" is not a service bi publishes to: write \`bi publish powerbi\` or \`bi publish tableau\``);
  });

  program
    .command('serve')
    .description('the portal: sign-in, built-in dashboards on the marts (and the embedded reports), until Ctrl-C')
    .option('--project-dir <dir>', 'the models project (default: this folder if it has reel_project.yml, else packages/models)')
    .option('--config <file>', 'the users file (YAML: users with role, regions and password_hash)', '.reel/portal.yml')
    .addOption(new Option('--port <n>', 'port to listen on (0: any free port)').argParser(wholeNumber('--port', 0, 65535)).default(4280))
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--secure', 'served over https (by a proxy in front): Secure cookies, HSTS, https origins')
    .addOption(new Option('--cache-seconds <n>', 'how long a dashboard answer is reused').argParser(wholeNumber('--cache-seconds', 0, 3600)).default(60))
    .option('--target <name>', 'a target from profiles.yml (default: DATABASE_URL, then the profile, then embedded)')
    .option('--profiles-dir <dir>', 'folder holding profiles.yml')
    .action(async (opts) => {
      const portal = await servePortal({
        projectDir: projectDir(opts.projectDir, cwd),
        configFile: opts.config,
        port: opts.port,
        host: opts.host,
        secure: opts.secure === true,
        cacheMs: opts.cacheSeconds * 1000,
        target: opts.target,
        profilesDir: opts.profilesDir,
        env,
        log,
        cwd,
      });
      await io.stopped();
      await portal.close();
    });

  const users = program.command('users').description("the portal's users file");
  users
    .command('hash')
    .description('read a password from stdin and print its scrypt hash, for password_hash: in the users file')
    .action(async () => {
      const password = (await io.readStdin()).replace(/\r?\n$/, '');
      if (password.length < 8) throw new BiInputError('short-password', 'the password read from stdin is shorter than 8 characters: choose a longer one, e.g. `openssl rand -base64 18 | bi users hash`');
      log(await hashPassword(password));
    });

  // Colour only when this run's environment allows it (picocolors alone reads process.env).
  const red = pc.createColors(pc.isColorSupported && !env.NO_COLOR).red;
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (error instanceof ReelError) {
      // One sentence that says what is wrong and how to fix it; no stack.
      output.err(red(`bi: ${error.message}${error.hint ? `; ${error.hint}` : ''}`));
      code = error instanceof BiInputError || error instanceof BiConfigError || error.name === 'UsageError' || error.name === 'ConfigError' ? EXIT.usage : EXIT.failed;
      return code;
    }
    output.err(red(`bi: internal error: ${error instanceof Error ? error.message : String(error)}`));
    if (env.REEL_DEBUG && error instanceof Error) output.err(error.stack ?? '');
    else output.err('    (set REEL_DEBUG=1 to see where it happened, and please report it)');
    return EXIT.failed;
  }
}
