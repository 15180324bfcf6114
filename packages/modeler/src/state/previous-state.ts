import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { UsageError } from '../errors/index.js';
import { memoisedSha, nodeStateOfEntry, type ManifestNodeEntry, type NodeState } from './node-state.js';
import { STATE_FILE, manifestInvocationId, parseStateFile } from './state-file.js';

/** What `--state DIR` holds: a previous run's manifest (and run results, when there). */
export interface PreviousState {
  readonly dir: string;
  /** Every node's state by unique id. */
  readonly nodes: ReadonlyMap<string, NodeState>;
  /** sha256 of each macro's text, by macro unique id. */
  readonly macros: ReadonlyMap<string, string>;
  /** Each node's status in DIR/run_results.json; undefined without that file. */
  readonly results: ReadonlyMap<string, string> | undefined;
  /** Which file the states came from. */
  readonly from: 'reel_state.json' | 'manifest.json';
}

interface ManifestFile {
  readonly nodes?: Record<string, ManifestNodeEntry>;
  readonly sources?: Record<string, ManifestNodeEntry>;
  readonly exposures?: Record<string, ManifestNodeEntry>;
  readonly macros?: Record<string, { readonly macro_sql?: string }>;
}

/**
 * Reads DIR/manifest.json (and DIR/run_results.json if present), written by an earlier
 * `model compile|run|build` — usually production's target/ kept by CI — for `state:` and `result:`
 * selectors and `--defer`. Reel's own compact DIR/reel_state.json is read instead when it belongs
 * to the same run; any dbt-shaped manifest.json works without it.
 */
export function readPreviousState(dir: string, cwd = process.cwd()): PreviousState {
  const shown = relative(cwd, dir) || '.';
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new UsageError('state-missing', `--state ${shown}: there is no manifest.json in that folder`, {
      hint: 'point --state at the target/ folder of the run to compare with (in CI, download production\'s target/manifest.json artifact into a folder first)',
    });
  }
  const results = readResults(join(dir, 'run_results.json'), shown);
  const statePath = join(dir, STATE_FILE);
  if (existsSync(statePath)) {
    const state = parseStateFile(readJson(statePath, shown));
    if (state.invocationId === manifestInvocationId(manifestPath)) return { dir, nodes: state.nodes, macros: state.macros, results, from: 'reel_state.json' };
  }
  const manifest = readJson<ManifestFile>(manifestPath, shown);
  if (!manifest.nodes || typeof manifest.nodes !== 'object') {
    throw new UsageError('state-invalid', `--state ${shown}: manifest.json has no "nodes"; it is not a dbt or Reel manifest`, {
      file: join(shown, 'manifest.json'),
      hint: 'use the manifest.json that `model compile` or `model build` writes to target/',
    });
  }
  const nodes = new Map<string, NodeState>();
  for (const section of [manifest.nodes, manifest.sources ?? {}, manifest.exposures ?? {}]) {
    for (const [id, entry] of Object.entries(section)) nodes.set(id, nodeStateOfEntry(entry));
  }
  const sha = memoisedSha();
  const macros = new Map(Object.entries(manifest.macros ?? {}).map(([id, macro]) => [id, sha(macro.macro_sql ?? '')]));
  return { dir, nodes, macros, results, from: 'manifest.json' };
}

function readResults(path: string, shown: string): Map<string, string> | undefined {
  if (!existsSync(path)) return undefined;
  const file = readJson<{ results?: { unique_id: string; status: string }[] }>(path, shown);
  return new Map((file.results ?? []).map((r) => [r.unique_id, r.status]));
}

function readJson<T>(path: string, shownDir: string): T {
  const name = path.slice(path.lastIndexOf('/') + 1);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UsageError('state-invalid', `--state ${shownDir}: ${name} is not valid JSON (${reason})`, {
      file: join(shownDir, name),
      hint: 'copy the whole file again; a partial download cannot be compared with',
    });
  }
}
