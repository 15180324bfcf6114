import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { BiInputError } from './errors.js';
import { readExtractManifest, type ExtractFile, type ExtractManifest } from './extract/extract-manifest.js';
import { PowerBiPublisher, type PowerBiPublishResult } from './publish/powerbi-publisher.js';
import { powerBiConfig, PublishSettings, tableauConfig } from './publish/publish-config.js';
import { TableauPublisher, type TableauPublishResult, type TableauUpload } from './publish/tableau-publisher.js';
import { didYouMean } from './suggest.js';

export interface PublishOptions {
  /** The folder `bi export` wrote (default data/processed). */
  readonly outDir: string;
  /** Mart names (all in the manifest when empty). */
  readonly select?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A YAML profile file with `powerbi:` / `tableau:` settings (REEL_BI_PROFILE otherwise). */
  readonly profile?: string;
  /** Print the requests (secrets masked) instead of sending them. */
  readonly dryRun?: boolean;
  /** Print every request sent. */
  readonly verbose?: boolean;
  readonly log?: (line: string) => void;
  readonly cwd?: string;
  /** Retry tuning (tests): first backoff, and how many retries. */
  readonly retryBaseMs?: number;
  readonly maxRetries?: number;
}

export interface PowerBiPublishOptions extends PublishOptions {
  readonly datasetName?: string;
  readonly retention?: string;
}

export interface TableauPublishOptions extends PublishOptions {
  /** Publish the Parquet extracts (default) or the live-connection `.tds` data sources. */
  readonly format?: 'parquet' | 'tds';
  readonly chunkBytes?: number;
  readonly chunkThresholdBytes?: number;
}

function selectFiles(manifest: ExtractManifest, select: readonly string[], shownManifest: string): ExtractFile[] {
  const parquet = manifest.files.filter((f) => f.format === 'parquet');
  const marts = [...new Set(manifest.files.map((f) => f.mart))];
  for (const name of select) {
    if (!marts.includes(name)) throw new BiInputError('unknown-mart', `${shownManifest} has no extract of a mart named "${name}"${didYouMean(name, marts)}: choose from ${marts.join(', ') || '(none)'}, or run \`bi export --select ${name}\` first`);
  }
  const chosen = select.length === 0 ? parquet : parquet.filter((f) => select.includes(f.mart));
  if (chosen.length === 0) throw new BiInputError('no-parquet', `${shownManifest} lists no Parquet extracts${select.length ? ` of ${select.join(', ')}` : ''}: run \`bi export\` with Parquet (the default, or --formats parquet)`);
  return chosen;
}

/**
 * `bi publish powerbi`: pushes the Parquet extracts of `bi export` into a Power BI push dataset.
 *
 * @example
 * ```ts
 * await publishToPowerBi({ outDir: 'data/processed', dryRun: true, log: console.log });
 * ```
 */
export async function publishToPowerBi(options: PowerBiPublishOptions): Promise<PowerBiPublishResult> {
  const cwd = options.cwd ?? process.cwd();
  const outDir = resolve(cwd, options.outDir);
  const settings = new PublishSettings(options.env ?? process.env, options.profile);
  const config = powerBiConfig(settings, { datasetName: options.datasetName, retention: options.retention });
  const manifest = readExtractManifest(outDir, cwd);
  const files = selectFiles(manifest, options.select ?? [], relative(cwd, join(outDir, 'manifest.json')));
  const log = options.log ?? (() => undefined);
  if (options.dryRun) log(`Dry run: the requests bi would send to Power BI (nothing is sent; secrets are masked).\n`);
  const publisher = new PowerBiPublisher(config, { dryRun: options.dryRun, verbose: options.verbose, log, retryBaseMs: options.retryBaseMs, maxRetries: options.maxRetries }, log);
  return publisher.publish(manifest, outDir, files);
}

/**
 * `bi publish tableau`: publishes the Parquet extracts (or the `.tds` live connections) of
 * `bi export` as Tableau data sources.
 */
export async function publishToTableau(options: TableauPublishOptions): Promise<TableauPublishResult> {
  const cwd = options.cwd ?? process.cwd();
  const outDir = resolve(cwd, options.outDir);
  const settings = new PublishSettings(options.env ?? process.env, options.profile);
  const config = tableauConfig(settings, { chunkBytes: options.chunkBytes, chunkThresholdBytes: options.chunkThresholdBytes });
  const manifest = readExtractManifest(outDir, cwd);
  const shownManifest = relative(cwd, join(outDir, 'manifest.json'));
  let uploads: TableauUpload[];
  if ((options.format ?? 'parquet') === 'parquet') {
    uploads = selectFiles(manifest, options.select ?? [], shownManifest).map((f) => ({ name: f.mart, path: join(outDir, f.path), description: `Reel mart ${f.relation} (${f.source_model}), exported ${f.built_at}` }));
  } else {
    const select = options.select ?? [];
    const all = manifest.artifacts.filter((a) => a.path.endsWith('.tds')).map((a) => ({ name: a.path.replace(/^.*\//, '').replace(/\.tds$/, ''), path: join(outDir, a.path) }));
    for (const name of select) {
      if (!all.some((u) => u.name === name)) throw new BiInputError('unknown-mart', `${shownManifest} has no Tableau data source named "${name}"${didYouMean(name, all.map((u) => u.name))}: choose from ${all.map((u) => u.name).join(', ')}`);
    }
    uploads = all.filter((u) => select.length === 0 || select.includes(u.name));
  }
  for (const upload of uploads) {
    if (!existsSync(upload.path)) throw new BiInputError('missing-extract', `${relative(cwd, upload.path)} is listed in ${shownManifest} but does not exist: run \`bi export\` again`);
  }
  const log = options.log ?? (() => undefined);
  if (options.dryRun) log(`Dry run: the requests bi would send to Tableau (nothing is sent; secrets are masked).\n`);
  const publisher = new TableauPublisher(config, { dryRun: options.dryRun, verbose: options.verbose, log, retryBaseMs: options.retryBaseMs, maxRetries: options.maxRetries }, log);
  return publisher.publish(uploads);
}
