import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { BiInputError } from '../errors.js';
import type { PushDataType } from '../schema/column-type.js';

export type ExtractFormat = 'parquet' | 'csv';

/** One extract file in `manifest.json`. */
export interface ExtractFile {
  /** Relative to the output folder. */
  readonly path: string;
  readonly format: ExtractFormat;
  readonly mart: string;
  readonly relation: string;
  /** The model it was read from, e.g. `model.reel.fct_views`. */
  readonly source_model: string;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
  /** When the file was written (ISO 8601, UTC). */
  readonly built_at: string;
  readonly columns: readonly ExtractColumn[];
}

export interface ExtractColumn {
  readonly name: string;
  /** The PostgreSQL type. */
  readonly type: string;
  readonly parquet_type?: string;
  readonly powerbi_type: PushDataType;
  readonly description?: string;
}

/** A generated BI project file (Power BI project, .pbids, .tds). */
export interface ArtifactFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** `data/processed/manifest.json`: what `bi export` wrote and where it came from. */
export interface ExtractManifest {
  readonly generated_at: string;
  readonly generator: string;
  readonly project: string;
  /** Where the BI files point; never a password. */
  readonly source: { readonly server: string; readonly database: string; readonly username?: string };
  readonly relationships: readonly { readonly from: string; readonly to: string; readonly test: string }[];
  readonly files: readonly ExtractFile[];
  readonly artifacts: readonly ArtifactFile[];
}

export function writeExtractManifest(outDir: string, manifest: ExtractManifest): string {
  const path = join(outDir, 'manifest.json');
  writeFileSync(`${path}.partial`, JSON.stringify(manifest, null, 2) + '\n');
  renameSync(`${path}.partial`, path);
  return path;
}

/** Reads the manifest `bi export` wrote; a missing one is an input error that says to export first. */
export function readExtractManifest(outDir: string, cwd = process.cwd()): ExtractManifest {
  const path = join(outDir, 'manifest.json');
  const shown = relative(cwd, path) || path;
  if (!existsSync(path)) {
    throw new BiInputError('no-extracts', `${shown} does not exist: run \`bi export --out ${relative(cwd, outDir) || '.'}\` first, then publish`);
  }
  try {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as ExtractManifest;
    if (!Array.isArray(manifest.files)) throw new Error('no "files"');
    return manifest;
  } catch (error) {
    throw new BiInputError('bad-extracts', `${shown} is not a bi export manifest (${(error as Error).message}): run \`bi export\` again`);
  }
}
