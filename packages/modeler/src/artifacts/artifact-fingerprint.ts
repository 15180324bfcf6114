import { createHash, hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { codeVersion } from '../cache/code-version.js';
import type { CompiledProject } from '../compile.js';
import type { GraphNode } from '../graph/nodes.js';
import { seedChecksum } from './manifest.js';

const require = createRequire(import.meta.url);

/** Node fields no artifact holds: `line` is computed lazily (slowly) and only for messages. */
const SKIPPED_FIELDS: ReadonlySet<string> = new Set(['line', 'sourceMap', 'incrementalSourceMap']);

/**
 * The code that decides what target/manifest.json, reel_state.json and target/compiled hold: a
 * change to any of its files changes every fingerprint, so a newer Reel never keeps artifacts an
 * older one wrote.
 */
const WRITER_CODE = ['artifacts', 'state', 'format', 'commands/write-compiled'];

/** What the compile artifacts are made from, as hashes. */
export interface ArtifactFingerprint {
  /** A hash of all of it: equal values, equal artifacts (but for invocation ids and times). */
  readonly value: string;
  /**
   * A key for one node's manifest entry: equal keys, equal entries. Undefined for seeds (their
   * entry holds the CSV file's checksum) and unit tests (theirs, the time they were made).
   */
  entryKey(node: GraphNode): string | undefined;
}

/**
 * A hash of everything the compile artifacts are made from: every node of the compiled graph
 * (all fields but its line and source maps), the parents of each, the macros, hooks, target,
 * project settings, each seed's content, the database name, whether SQL is formatted, and the
 * code that writes the artifacts. Equal fingerprints mean `writeCompiled` would write the same
 * manifest.json (but for its invocation id and times), reel_state.json and compiled files.
 *
 * Hashing the compiled graph rather than the files it came from covers whatever compiling reads
 * (templates, YAML, vars, env vars, the target) without listing it. Undefined when a node holds
 * something JSON cannot write (then nothing is reused).
 */
export function artifactFingerprint(compiled: CompiledProject, database: string | null, options: { format: boolean }): ArtifactFingerprint | undefined {
  const all = createHash('sha1');
  const add = (label: string, value: unknown) => all.update(`\n${label}\t${JSON.stringify(value) ?? 'undefined'}`);
  const digests = new Map<GraphNode, string>();
  try {
    add('writer', writerVersion());
    add('database', database);
    add('format', options.format);
    add('root', compiled.project.root);
    add('settings', compiled.project.settings);
    add('target', compiled.target);
    add('macros', [...(compiled.macros?.values() ?? [])]);
    add('hooks', compiled.runHooks ?? null);
    for (const node of compiled.graph.nodes.values()) {
      const digest = hash('sha1', nodeText(node), 'base64url');
      digests.set(node, digest);
      all.update(digest);
      // A seed node names its CSV file; its content is in the manifest as a checksum.
      if (node.kind === 'seed') add('seed', seedChecksum(node.absolutePath));
    }
    for (const [id, parents] of compiled.graph.parents) add(`parents ${id}`, parents);
  } catch {
    return undefined;
  }
  const value = all.digest('base64url');
  // Besides the node, an entry holds the names of the nodes it depends on, the project's name,
  // the database and the target's schema (a test's audit schema).
  const context = hash('sha1', JSON.stringify([writerVersion(), database, compiled.project.settings.name, compiled.target]), 'base64url');
  const keys = new Map<GraphNode, string | undefined>();
  return {
    value,
    entryKey(node) {
      if (keys.has(node)) return keys.get(node);
      const digest = digests.get(node);
      let key: string | undefined;
      if (digest !== undefined && node.kind !== 'seed' && node.kind !== 'unit_test') {
        let names = '';
        for (const id of node.dependsOn) names += `\u0000${compiled.graph.nodes.get(id)?.name ?? ''}`;
        key = hash('sha1', `${context}${digest}${names}`, 'base64url');
      }
      keys.set(node, key);
      return key;
    },
  };
}

/** A node as JSON, without the fields no artifact holds. */
function nodeText(node: GraphNode): string {
  const copy: Record<string, unknown> = {};
  for (const key in node) if (!SKIPPED_FIELDS.has(key)) copy[key] = (node as unknown as Record<string, unknown>)[key];
  return JSON.stringify(copy);
}

function writerVersion(): string {
  return `${codeVersion(WRITER_CODE)}/${(require('sql-formatter/package.json') as { version: string }).version}`;
}
