import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { openDatabase, readProfileName, resolveTarget } from '@reel/modeler';
import { ExportError } from './errors.js';
import { writeExtractManifest, type ArtifactFile, type ExtractFile, type ExtractFormat, type ExtractManifest } from './extract/extract-manifest.js';
import { MartSnapshot } from './extract/mart-rows.js';
import { writeMartExtract } from './extract/write-extract.js';
import { loadMartSchema, selectMarts } from './schema/load-mart-schema.js';
import type { MartSchema } from './schema/mart.js';
import { readProjectArtifacts } from './schema/read-artifacts.js';
import { connectionInfoFromUrl, overrideConnectionInfo, serverAddress } from './semantic/connection-info.js';
import { powerBiProject, type GeneratedFiles } from './semantic/powerbi-project.js';
import { tableauDataSources, starGroups } from './semantic/tableau-datasource.js';

export interface ExportOptions {
  /** The models project whose marts to export. */
  readonly projectDir: string;
  /** Output folder (default data/processed). */
  readonly outDir: string;
  /** Mart names (all marts when empty). */
  readonly select?: readonly string[];
  /** Extract formats (default both). */
  readonly formats?: readonly ExtractFormat[];
  /** Only the Power BI project and Tableau data sources, no extracts. */
  readonly skipExtracts?: boolean;
  /** A profiles.yml target, as for `model`. */
  readonly target?: string;
  readonly profilesDir?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Rows per Parquet row group (default 100,000): memory holds one. */
  readonly rowGroupRows?: number;
  /** Where the BI files should point, when not where bi read from. */
  readonly connection?: { readonly server?: string; readonly database?: string; readonly username?: string };
  readonly log?: (line: string) => void;
  readonly cwd?: string;
}

export interface MartTiming {
  readonly mart: string;
  readonly rows: number;
  readonly seconds: number;
}

export interface ExportResult {
  readonly manifestPath: string;
  readonly manifest: ExtractManifest;
  readonly schema: MartSchema;
  readonly timings: readonly MartTiming[];
  readonly warnings: readonly string[];
}

/**
 * `bi export`: reads the models project's manifest (and catalog) for the marts and their
 * relationships, streams each selected mart from PostgreSQL to Parquet and CSV, writes the Power BI
 * project and Tableau data sources, then `manifest.json` describing every file.
 *
 * @example
 * ```ts
 * const result = await exportMarts({ projectDir: 'packages/models', outDir: 'data/processed', select: ['fct_views'] });
 * console.log(result.manifest.files.map((f) => `${f.path}: ${f.rows} rows`));
 * ```
 */
export async function exportMarts(options: ExportOptions): Promise<ExportResult> {
  const cwd = options.cwd ?? process.cwd();
  const projectDir = resolve(cwd, options.projectDir);
  const outDir = resolve(cwd, options.outDir);
  const shownProject = relative(cwd, projectDir) || '.';
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const formats = options.formats ?? ['parquet', 'csv'];

  const artifacts = readProjectArtifacts(projectDir, cwd);
  // Bad names are reported before any connection is opened.
  selectMarts(artifacts, options.select ?? [], shownProject);
  const target = resolveTarget({ projectRoot: projectDir, profile: readProfileName(projectDir), target: options.target, profilesDir: options.profilesDir, env });
  const database = await openDatabase(target, { projectRoot: projectDir, threads: 3, log });
  try {
    const schema = await loadMartSchema(artifacts, { select: options.select, database: database.pool, shownProjectDir: shownProject });
    const url = target.url ?? (database.pool as unknown as { options: { connectionString?: string } }).options.connectionString ?? 'postgres://localhost/postgres';
    const connection = overrideConnectionInfo(connectionInfoFromUrl(url), options.connection ?? {});
    log(`Exporting ${schema.marts.length} mart${schema.marts.length === 1 ? '' : 's'} of ${shownProject} from ${target.display} (column types from the ${schema.typesFrom})`);
    for (const name of schema.skipped) log(`warning: mart ${name} is not in the database (not built); skipped`);
    mkdirSync(outDir, { recursive: true });

    const files: ExtractFile[] = [];
    const timings: MartTiming[] = [];
    if (!options.skipExtracts) {
      for (const mart of schema.marts) {
        const started = performance.now();
        const snapshot = await MartSnapshot.open(database.pool, formats.length === 2 ? 2 : 1);
        let written: ExtractFile[];
        try {
          written = await writeMartExtract(mart, snapshot, { outDir, formats, rowGroupRows: options.rowGroupRows });
        } catch (error) {
          await snapshot.close(true);
          if (error instanceof RangeError) throw new ExportError('bad-value', `mart ${mart.name}: ${error.message}`, { cause: error });
          throw error;
        }
        await snapshot.close();
        const seconds = (performance.now() - started) / 1000;
        const rows = written[0]?.rows ?? 0;
        timings.push({ mart: mart.name, rows, seconds });
        files.push(...written);
        log(`  ${mart.name.padEnd(34)} ${rows.toLocaleString('en').padStart(10)} rows  ${written.map((f) => `${f.format} ${formatBytes(f.bytes)}`).join('  ')}  ${seconds.toFixed(2)} s`);
      }
    }

    const generated = new Map<string, string>([...powerBiProject(schema, connection), ...tableauDataSources(schema, connection)]);
    // These folders are wholly generated: stale tables of marts no longer exported must go.
    rmSync(join(outDir, 'powerbi'), { recursive: true, force: true });
    rmSync(join(outDir, 'tableau'), { recursive: true, force: true });
    const artifactsWritten = writeGenerated(outDir, generated);
    const warnings = starGroups(schema).flatMap((g) => g.dropped.map((r) => `Tableau: the relationship ${r.fromMart}.${r.fromColumn} → ${r.toMart}.${r.toColumn} would close a cycle and was left out of the star data source`));
    for (const warning of warnings) log(`warning: ${warning}`);

    const manifest: ExtractManifest = {
      generated_at: new Date().toISOString(),
      generator: 'reel bi export 0.1.0',
      project: schema.projectName,
      source: { server: serverAddress(connection), database: connection.database, ...(connection.username ? { username: connection.username } : {}) },
      relationships: schema.relationships.map((r) => ({ from: `${r.fromMart}.${r.fromColumn}`, to: `${r.toMart}.${r.toColumn}`, test: r.testId })),
      files,
      artifacts: artifactsWritten,
    };
    const manifestPath = writeExtractManifest(outDir, manifest);
    log(`Wrote ${files.length} extract file${files.length === 1 ? '' : 's'}, the Power BI project (${relative(cwd, join(outDir, 'powerbi', 'Reel.pbip'))}) and ${[...generated.keys()].filter((p) => p.endsWith('.tds')).length} Tableau data sources; ${relative(cwd, manifestPath)} lists them.`);
    return { manifestPath, manifest, schema, timings, warnings };
  } finally {
    await database.close();
  }
}

function writeGenerated(outDir: string, files: GeneratedFiles): ArtifactFile[] {
  const written: ArtifactFile[] = [];
  for (const [path, content] of files) {
    const full = join(outDir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    written.push({ path, sha256: createHash('sha256').update(content).digest('hex'), bytes: Buffer.byteLength(content) });
  }
  return written;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
