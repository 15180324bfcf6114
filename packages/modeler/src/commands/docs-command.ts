import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { emptyCatalog, readCatalog, type CatalogArtifact } from '../artifacts/catalog.js';
import { newInvocation } from '../artifacts/metadata.js';
import { writeChunksAtomic } from '../artifacts/write-json.js';
import { LineageCache, lineageKey } from '../cache/lineage-cache.js';
import { OutputRecord } from '../cache/output-record.js';
import type { Output } from '../cli/output.js';
import { docsManifest } from '../docs/docs-manifest.js';
import { serveDocs } from '../docs/docs-server.js';
import { reuseDocsSite, siteInputKey } from '../docs/reuse-site.js';
import { DOCS_APP_DIR, writeDocsSite } from '../docs/write-docs-site.js';
import { UsageError } from '../errors/index.js';
import { ConnectionError } from '../errors/index.js';
import { openDatabase } from '../execute/connection/open-database.js';
import type { LineageArtifact } from '../lineage/types.js';
import { PROJECT_FILE } from '../load/project-file.js';
import { loadYaml } from '../load/yaml-file.js';
import { loadParser } from '../validate/validate-sql.js';
import { countNodes, databaseName } from './compile-command.js';
import { commandContext, compileWith, type CommonOptions } from './context.js';
import { targetDir, writeCompiled } from './write-compiled.js';

export interface DocsGenerateOptions extends CommonOptions {
  /** --empty-catalog: do not open the database; column types are the declared ones. */
  readonly emptyCatalog?: boolean;
  /** false with --no-format. */
  readonly format?: boolean;
}

export interface DocsServeOptions extends CommonOptions {
  readonly port?: number;
  /** Stops the server (tests); otherwise it runs until SIGINT or SIGTERM. */
  readonly signal?: AbortSignal;
  /** Called with the URL once the server listens (tests). */
  readonly onListening?: (url: string) => void;
}

/**
 * `model docs generate`: compile (target/manifest.json), read the catalog from the database
 * (target/catalog.json), compute column lineage (target/lineage.json), then write the static
 * site to target/docs/ with the last run_results.json.
 */
export async function docsGenerateCommand(options: DocsGenerateOptions, output: Output): Promise<number> {
  const started = performance.now();
  const phases: string[] = [];
  let phaseStart = started;
  const phase = (name: string) => {
    const now = performance.now();
    phases.push(`${name} ${((now - phaseStart) / 1000).toFixed(2)}s`);
    phaseStart = now;
  };
  const invocation = newInvocation();
  const context = commandContext(options);
  const compiled = await compileWith(context);
  const target = targetDir(compiled);
  const targetPath = compiled.project.settings.targetPath;
  const fingerprint = await writeCompiled(compiled, invocation, databaseName(context.target.url), { format: options.format ?? true, reuse: context.partialParse });
  phase('compile');

  let catalog: CatalogArtifact;
  if (options.emptyCatalog) {
    catalog = emptyCatalog(invocation);
  } else {
    const database = await openDatabase(context.target, { projectRoot: context.root, threads: 1 }).catch((error: unknown) => {
      if (!(error instanceof ConnectionError)) throw error;
      throw new ConnectionError(error.code, error.message, { hint: `${error.hint ? `${error.hint}; or ` : ''}run \`model docs generate --empty-catalog\` to document the project without the database (declared column types only)`, cause: error });
    });
    try {
      catalog = await readCatalog(database, compiled, invocation);
    } finally {
      await database.close();
    }
  }
  const catalogText = JSON.stringify(catalog);
  writeChunksAtomic(join(target, 'catalog.json'), [catalogText]);
  phase('catalog');

  let lineage: LineageArtifact | undefined;
  let lineageText: string | undefined;
  let lineageSummary: LineageSummary | undefined;
  // Lineage is made from the compiled project and the catalog only: when both are as last time,
  // target/lineage.json is kept (with this run's time).
  const lineageRecord = fingerprint && context.partialParse ? { record: new OutputRecord<LineageSummary>(join(target, '.reel-cache', 'lineage-record.json')), key: lineageKey(fingerprint, catalogText) } : undefined;
  const lineagePath = join(target, 'lineage.json');
  const kept = lineageRecord?.record.unchanged(lineageRecord.key);
  if (kept && typeof kept.nodes === 'number') {
    lineageText = withGeneratedAt(readFileSync(lineagePath, 'utf8'), new Date().toISOString());
    lineageSummary = kept;
  }
  if (lineageText === undefined) {
    try {
      lineageRecord?.record.forget();
      await loadParser();
      const { projectLineage } = await import('../lineage/project-lineage.js');
      const cache = context.partialParse ? LineageCache.open(join(target, '.reel-cache')) : LineageCache.disabled();
      lineage = projectLineage(compiled, catalog, { cache });
      cache.save();
      lineageText = JSON.stringify(lineage);
      const nodes = Object.values(lineage.nodes);
      lineageSummary = { nodes: nodes.length, unresolved: nodes.reduce((n, m) => n + m.columns.filter((c) => c.unresolved !== undefined).length, 0) };
    } catch (error) {
      // The site is still worth having without column lineage.
      lineage = lineageText = lineageSummary = undefined;
      output.err(`warning: column lineage could not be computed (${(error as Error).message}); the site shows none`);
    }
  }
  if (lineageText !== undefined) {
    writeChunksAtomic(lineagePath, [lineageText]);
    if (lineageSummary) lineageRecord?.record.write(lineageRecord.key, [lineagePath], lineageSummary);
  }
  phase('lineage');

  const runResultsPath = join(target, 'run_results.json');
  const runResultsText = existsSync(runResultsPath) ? readFileSync(runResultsPath, 'utf8') : undefined;
  const runResults = runResultsText === undefined ? undefined : (JSON.parse(runResultsText) as object);
  const outDir = join(target, 'docs');
  // With the same inputs as last time, the site is kept (only its time changes); with
  // --no-partial-parse it is always written again.
  const record = fingerprint && context.partialParse ? { file: join(target, '.reel-cache', 'docs-site.json'), key: siteInputKey({ compiled: fingerprint, catalog: catalogText, lineage: lineageText, runResults: runResultsText }) } : undefined;
  const generatedAt = new Date().toISOString();
  const site =
    (record && reuseDocsSite(outDir, record, DOCS_APP_DIR, generatedAt)) ||
    (await writeDocsSite(outDir, { manifest: docsManifest(compiled), catalog, runResults, lineage: lineage ?? (lineageText === undefined ? undefined : (JSON.parse(lineageText) as LineageArtifact)) }, { generatedAt, record }));
  phase('site');

  const built = Object.keys(catalog.nodes).length + Object.keys(catalog.sources).length;
  output.out(`Reel · project ${compiled.project.settings.name} · ${countNodes(compiled.graph.nodes.values()) || 'no nodes yet'}`);
  output.out(options.emptyCatalog ? 'Catalog: empty (--empty-catalog): column types are the declared ones' : `Catalog: ${built} relation${built === 1 ? '' : 's'} found on ${context.target.display}`);
  if (lineageSummary) {
    const { nodes, unresolved } = lineageSummary;
    output.out(`Lineage: ${nodes} model${nodes === 1 ? '' : 's'}${unresolved ? `, ${unresolved} column${unresolved === 1 ? '' : 's'} partly unresolved` : ''}`);
  }
  if (!runResults) output.out('No run_results.json yet: tests show no results (run `model build` first).');
  output.out(
    `Wrote ${targetPath}/docs/ (${site.files} files, ${(site.bytes / 1024 / 1024).toFixed(1)} MB) in ${((performance.now() - started) / 1000).toFixed(2)}s (${phases.join(', ')})`,
  );
  output.out(`Open ${targetPath}/docs/index.html in a browser, or run \`model docs serve\`.`);
  return 0;
}

/** What the last line about lineage says: how many models and snapshots, and how many columns are partly unresolved. */
interface LineageSummary {
  readonly nodes: number;
  readonly unresolved: number;
}

/** lineage.json's text with another `generated_at` (it comes first after the version). */
function withGeneratedAt(text: string, generatedAt: string): string {
  const at = text.indexOf(',"nodes":');
  return `{"version":1,"generated_at":${JSON.stringify(generatedAt)}${at < 0 ? '}' : text.slice(at)}`;
}

/** `model docs serve`: serves target/docs on 127.0.0.1 until stopped. */
export async function docsServeCommand(options: DocsServeOptions, output: Output): Promise<number> {
  const root = resolve(options.projectDir ?? process.cwd());
  const dir = join(root, readTargetPath(root), 'docs');
  const shown = relative(process.cwd(), dir) || '.';
  if (!existsSync(join(dir, 'index.html'))) {
    throw new UsageError('docs-missing', `there is no docs site in ${shown}/`, { hint: 'write it first with `model docs generate`' });
  }
  const server = await serveDocs(dir, { port: options.port ?? 8080 });
  output.out(`Serving ${shown}/ at ${server.url} (Ctrl+C to stop)`);
  options.onListening?.(server.url);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener('abort', stop, { once: true });
  });
  await server.close();
  return 0;
}

/** `target-path:` of reel_project.yml (default target), read without loading the project. */
function readTargetPath(root: string): string {
  const path = join(root, PROJECT_FILE);
  if (!existsSync(path)) throw new UsageError('no-project', `no ${PROJECT_FILE} in ${root}`, { hint: 'run from a project folder or pass --project-dir' });
  const value = loadYaml(readFileSync(path, 'utf8')) as { 'target-path'?: unknown } | null;
  return typeof value?.['target-path'] === 'string' ? value['target-path'] : 'target';
}
