import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { BiInputError } from '../errors.js';

/** The parts of dbt-shaped `target/manifest.json` that bi reads. */
export interface ManifestArtifact {
  readonly metadata: { readonly project_name?: string; readonly generated_at?: string };
  readonly nodes: Record<string, ManifestNode>;
}

export interface ManifestNode {
  readonly unique_id: string;
  readonly resource_type: string;
  readonly name: string;
  readonly fqn?: readonly string[];
  readonly schema?: string;
  readonly alias?: string;
  readonly description?: string;
  readonly config?: { readonly materialized?: string };
  readonly columns?: Record<string, { readonly name: string; readonly description?: string }>;
  readonly attached_node?: string | null;
  readonly test_metadata?: { readonly name: string; readonly kwargs: Record<string, unknown> };
  readonly depends_on?: { readonly nodes?: readonly string[] };
}

/** The parts of dbt-shaped `target/catalog.json` that bi reads. */
export interface CatalogArtifact {
  readonly nodes: Record<string, { readonly columns: Record<string, { readonly type: string; readonly index: number; readonly name: string }> }>;
}

export interface ProjectArtifacts {
  readonly projectDir: string;
  readonly targetDir: string;
  readonly manifest: ManifestArtifact;
  /** Absent when `model docs generate` has not run: column types then come from the database. */
  readonly catalog: CatalogArtifact | null;
}

/**
 * Reads `target/manifest.json` (required) and `target/catalog.json` (optional) of a models project.
 * The target folder honours `target-path` in reel_project.yml.
 */
export function readProjectArtifacts(projectDir: string, cwd = process.cwd()): ProjectArtifacts {
  const shown = relative(cwd, projectDir) || '.';
  const projectFile = join(projectDir, 'reel_project.yml');
  if (!existsSync(projectFile)) {
    throw new BiInputError('no-project', `${shown} is not a models project (it has no reel_project.yml): pass --project-dir with the folder of the project whose marts to export, e.g. --project-dir packages/models`);
  }
  let targetPath = 'target';
  try {
    const settings = parseYaml(readFileSync(projectFile, 'utf8')) as Record<string, unknown> | null;
    if (typeof settings?.['target-path'] === 'string') targetPath = settings['target-path'];
  } catch {
    // The modeler reports a broken reel_project.yml; here the default target folder will do.
  }
  const targetDir = join(projectDir, targetPath);
  const manifestPath = join(targetDir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new BiInputError('no-manifest', `${join(shown, targetPath, 'manifest.json')} does not exist: run \`model build --project-dir ${shown}\` (which writes it and builds the marts), then \`model docs generate --project-dir ${shown}\` for the catalog of column types, and run bi export again`);
  }
  const manifest = readJson<ManifestArtifact>(manifestPath, shown);
  if (typeof manifest !== 'object' || manifest === null || typeof manifest.nodes !== 'object') {
    throw new BiInputError('bad-manifest', `${join(shown, targetPath, 'manifest.json')} is not a manifest (it has no "nodes"): run \`model compile --project-dir ${shown}\` to write it again`);
  }
  const catalogPath = join(targetDir, 'catalog.json');
  const catalog = existsSync(catalogPath) ? readJson<CatalogArtifact>(catalogPath, shown) : null;
  return { projectDir, targetDir, manifest, catalog: catalog && typeof catalog.nodes === 'object' ? catalog : null };
}

function readJson<T>(path: string, shownProject: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new BiInputError('bad-artifact', `${path} is not valid JSON (${(error as Error).message}): run \`model build --project-dir ${shownProject}\` to write it again`);
  }
}
