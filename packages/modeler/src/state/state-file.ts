import { closeSync, openSync, readSync } from 'node:fs';
import { macroId, type ManifestContext } from '../artifacts/manifest.js';
import type { InvocationInfo } from '../artifacts/metadata.js';
import type { CompiledProject } from '../compile.js';
import { memoisedSha, nodeStateOf, type NodeState } from './node-state.js';

/**
 * target/reel_state.json: every node's state as compact JSON text, written with manifest.json (same
 * invocation id) so that `--state` reads a few megabytes instead of parsing a 50 MB manifest.
 */
export const STATE_FILE = 'reel_state.json';

type Row = [type: string, body: string, config: string, relation: string, persisted: string, schema: string | null, alias: string | null, database: string | null, contract: string, rendered: string];

export function* stateFileChunks(compiled: CompiledProject, invocation: InvocationInfo, database: string | null): Generator<string> {
  const context: ManifestContext = { compiled, projectName: compiled.project.settings.name, database };
  const sha = memoisedSha();
  const macros = Object.fromEntries([...(compiled.macros?.values() ?? [])].map((m) => [macroId(context.projectName, m.name), sha(m.text)]));
  yield `{"reel_state":1,"invocation_id":${JSON.stringify(invocation.invocationId)},"macros":${JSON.stringify(macros)},"nodes":{`;
  let first = true;
  let piece = '';
  for (const node of compiled.graph.nodes.values()) {
    const s = nodeStateOf(node, context, sha);
    const row: Row = [s.type, s.body, s.config, s.relation, s.persisted, s.builtAt?.schema ?? null, s.builtAt?.alias ?? null, s.builtAt?.database ?? null, s.contract, s.rendered ?? ''];
    piece += `${first ? '' : ','}${JSON.stringify(node.uniqueId)}:${JSON.stringify(row)}`;
    first = false;
    if (piece.length > 1 << 16) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}}}`;
}

export interface StateFile {
  readonly invocationId: string;
  readonly nodes: Map<string, NodeState>;
  /** sha256 of each macro's text, by macro unique id. */
  readonly macros: Map<string, string>;
}

export function parseStateFile(parsed: unknown): StateFile {
  const file = parsed as { invocation_id: string; macros: Record<string, string>; nodes: Record<string, Row> };
  const nodes = new Map<string, NodeState>();
  for (const id in file.nodes) {
    const [type, body, config, relation, persisted, schema, alias, database, contract, rendered] = file.nodes[id]!;
    nodes.set(id, { type, body, config, relation, persisted, contract: contract ?? '', rendered: rendered ?? '', ...(schema !== null && alias !== null ? { builtAt: { schema, alias, database } } : {}) });
  }
  return { invocationId: file.invocation_id, nodes, macros: new Map(Object.entries(file.macros)) };
}

/** The invocation id in a manifest's metadata, read from its first few kilobytes. */
export function manifestInvocationId(path: string): string | undefined {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(8192);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return /"invocation_id"\s*:\s*"([^"]+)"/.exec(buffer.subarray(0, read).toString('utf8'))?.[1];
  } finally {
    closeSync(fd);
  }
}
