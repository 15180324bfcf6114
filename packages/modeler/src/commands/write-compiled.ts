import { join } from 'node:path';
import { artifactFingerprint, type ArtifactFingerprint } from '../artifacts/artifact-fingerprint.js';
import { manifestChunks, manifestHeader, type ManifestReuse } from '../artifacts/manifest.js';
import type { InvocationInfo } from '../artifacts/metadata.js';
import { forgetArtifactRecord, previousManifest, reuseArtifacts, writeArtifactRecord, type ArtifactPaths, type ManifestEntries } from '../artifacts/reuse-artifacts.js';
import { writeChunksAtomicInTurns } from '../artifacts/write-json.js';
import type { CompiledProject } from '../compile.js';
import { writeChangedCompiledFiles, writeCompiledFiles } from '../format/write-compiled-files.js';
import type { GraphNode, TestNode } from '../graph/nodes.js';
import { isBuiltinTest } from '../render/builtin-tests.js';
import { STATE_FILE, stateFileChunks } from '../state/state-file.js';

export function targetDir(compiled: CompiledProject): string {
  return join(compiled.project.root, compiled.project.settings.targetPath);
}

export interface WriteCompiledOptions {
  /** false with --no-format. */
  readonly format: boolean;
  /** Keep the last compile's artifacts when nothing changed (default true; false with --no-partial-parse). */
  readonly reuse?: boolean;
}

/**
 * target/compiled/<project>/<path>.sql for every model and test, target/manifest.json and
 * target/reel_state.json. When the project compiled to exactly what the last compile wrote (same
 * fingerprint, artifacts untouched since), only the invocation id and times in manifest.json and
 * reel_state.json are brought up to date: at 10,000 models that saves seconds. Returns the
 * fingerprint of what the artifacts were made from (undefined when there is none).
 */
export async function writeCompiled(compiled: CompiledProject, invocation: InvocationInfo, database: string | null, options: WriteCompiledOptions): Promise<string | undefined> {
  const target = targetDir(compiled);
  const base = join(target, 'compiled', compiled.project.settings.name);
  const files: { path: string; sql: string; node: GraphNode; shaped?: boolean }[] = [];
  for (const node of compiled.graph.nodes.values()) {
    if (node.kind === 'model' || node.kind === 'snapshot') files.push({ path: join(base, node.file), sql: node.compiledSql, node });
    else if (node.kind === 'test') files.push({ path: join(base, node.testType === 'singular' ? node.file : join(node.file.replace(/\.ya?ml$/, ''), `${node.name}.sql`)), sql: node.sql, node, shaped: isShapedTest(node) });
  }
  const paths: ArtifactPaths = { record: join(target, '.reel-cache', 'artifacts.json'), manifest: join(target, 'manifest.json'), state: join(target, STATE_FILE), compiled: files.map((file) => file.path) };
  const fingerprint = artifactFingerprint(compiled, database, { format: options.format });
  const reuse = options.reuse !== false && fingerprint !== undefined;
  if (reuse && reuseArtifacts(paths, fingerprint.value, { invocationId: invocation.invocationId, manifestHeader: manifestHeader(compiled, invocation) })) return fingerprint.value;
  // Entries whose key is unchanged are copied from the previous manifest.
  const previous = reuse ? previousManifest(paths) : undefined;
  forgetArtifactRecord(paths);
  const entries: ManifestEntries = {};
  const entryReuse: ManifestReuse | undefined = fingerprint && {
    key: (node) => fingerprint.entryKey(node),
    previous: (id, key) => {
      const entry = previous?.entries[id];
      if (!entry || entry[0] !== key || !(entry[1] < entry[2] && entry[2] <= previous!.text.length)) return undefined;
      const [, start, end] = entry;
      const name = `${JSON.stringify(id)}:`;
      return previous!.text.toString('utf8', start, start + Buffer.byteLength(name)) === name ? { text: previous!.text, start, end } : undefined;
    },
    written: (id, key, start, end) => {
      entries[id] = [key, start, end];
    },
  };
  // A compiled file holds its node's SQL (part of the node's entry key): with every file on disk,
  // only those of changed entries are written, on this thread when they are few. Otherwise worker
  // threads write the files while this thread writes the manifest, in turns with whatever else runs
  // (a build's queries).
  const changed = previous && fingerprint && previous.format === options.format ? changedFiles(files, previous.entries, fingerprint) : undefined;
  const writing =
    changed && changed.length <= FEW_FILES && previous!.compiledFilesExist()
      ? writeChangedCompiledFiles(files, changed, join(target, '.reel-cache'), options.format)
      : writeCompiledFiles(files.map(({ path, sql, shaped }) => ({ path, sql, shaped })), join(target, '.reel-cache'), options.format);
  try {
    await writeChunksAtomicInTurns(paths.manifest, manifestChunks(compiled, invocation, database, entryReuse));
    await writeChunksAtomicInTurns(paths.state, stateFileChunks(compiled, invocation, database));
  } finally {
    await writing;
  }
  if (fingerprint) writeArtifactRecord(paths, fingerprint.value, invocation.invocationId, entries, options.format);
  return fingerprint?.value;
}

/**
 * A built-in generic test whose SQL differs from others of its kind only in quoted identifiers
 * outside parentheses: no `where` (user SQL inside a subquery), and accepted_values' values are
 * quoted literals.
 */
function isShapedTest(node: TestNode): boolean {
  return node.testType === 'generic' && isBuiltinTest(node.testName) && node.config.where === undefined && !(node.testName === 'accepted_values' && node.args.quote === false);
}

/** Below this many changed files, they are written without starting worker threads. */
const FEW_FILES = 200;

/** The files whose node's manifest entry changed since the previous manifest. */
function changedFiles<T extends { node: GraphNode }>(files: readonly T[], previous: ManifestEntries, fingerprint: ArtifactFingerprint): T[] {
  return files.filter((file) => {
    const key = fingerprint.entryKey(file.node);
    return key === undefined || previous[file.node.uniqueId]?.[0] !== key;
  });
}
