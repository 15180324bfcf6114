import { createHash } from 'node:crypto';
import { configEntry, manifestEntry, seedChecksum, testMetadata, type ManifestContext } from '../artifacts/manifest.js';
import type { ColumnInfo, GraphNode } from '../graph/nodes.js';
import { quoteRelation } from '../sql/quote.js';

/**
 * What state comparison knows of a node, as JSON text per aspect: equal text means unchanged.
 * Made from a manifest entry (ours or dbt's) or straight from a compiled node, and kept in
 * target/reel_state.json so that `--state` need not parse a manifest of tens of megabytes.
 */
export interface NodeState {
  readonly type: string;
  /** Raw SQL checksum and a generic test's arguments; a source's or exposure's definition. */
  readonly body: string;
  /** The configuration, without where it is built. */
  readonly config: string;
  /** The configured schema, alias and database (not the target's names). */
  readonly relation: string;
  /** Descriptions persisted to the database (with persist_docs), else "". */
  readonly persisted: string;
  /** An enforced contract's columns and types as JSON `[[name, type], …]`, else "". */
  readonly contract: string;
  /**
   * The compiled SQL's checksum with every relation it reads (and its own) written as unique ids,
   * so it does not depend on the target's schema names: a changed var or env value that changes
   * the SQL shows. "" when unknown (a manifest alone does not say which names are relations).
   */
  readonly rendered?: string;
  /** Where the run built it, for --defer. */
  readonly builtAt?: { readonly schema: string; readonly alias: string; readonly database: string | null };
}

/** The parts of a manifest entry that state comparison reads. */
export interface ManifestNodeEntry {
  readonly unique_id: string;
  readonly resource_type: string;
  readonly checksum?: { readonly checksum: string };
  readonly config?: Record<string, unknown>;
  readonly depends_on?: { readonly macros?: readonly string[]; readonly nodes?: readonly string[] };
  readonly [key: string]: unknown;
}

/** Where a node is built: compared as `relation`, not `configs`. */
const PLACEMENT: ReadonlySet<string> = new Set(['schema', 'alias', 'database']);

export function nodeStateOfEntry(entry: ManifestNodeEntry): NodeState {
  const config: Record<string, unknown> = {};
  for (const key in entry.config ?? {}) if (!PLACEMENT.has(key)) config[key] = entry.config![key];
  const persist = entry.config?.persist_docs as { relation?: boolean; columns?: boolean } | undefined;
  const persisted = persist && (persist.relation || persist.columns) ? persistedText(persist, entry.description, (entry.columns ?? {}) as Record<string, { description?: string }>) : '';
  const isSource = entry.resource_type === 'source';
  const enforced = (entry.config?.contract as { enforced?: boolean } | undefined)?.enforced === true;
  return {
    type: entry.resource_type,
    contract: enforced ? JSON.stringify(Object.values((entry.columns ?? {}) as Record<string, { name: string; data_type?: string | null }>).map((c) => [c.name, c.data_type ?? null])) : '',
    body: JSON.stringify(bodyOf(entry)),
    config: JSON.stringify(config),
    relation: JSON.stringify(isSource ? [entry.schema, entry.identifier] : [entry.config?.schema ?? null, entry.config?.alias ?? null, entry.config?.database ?? null]),
    persisted,
    ...(typeof entry.schema === 'string' && typeof entry.alias === 'string'
      ? { builtAt: { schema: entry.schema, alias: entry.alias, database: typeof entry.database === 'string' ? entry.database : null } }
      : {}),
  };
}

function bodyOf(entry: ManifestNodeEntry): unknown[] {
  switch (entry.resource_type) {
    case 'source':
      return [entry.identifier, entry.loaded_at_field ?? null, entry.freshness ?? null, entry.source_name];
    case 'exposure':
      return [entry.type, entry.url ?? null, entry.maturity ?? null, entry.owner, entry.label ?? null, entry.depends_on?.nodes ?? []];
    default:
      return [entry.checksum?.checksum ?? null, entry.test_metadata ?? null];
  }
}

/**
 * A compiled node's state, made from the fields its manifest entry would have (models, seeds and
 * tests are most of a project; building their whole entries would cost several times more).
 * `sha` is memoised by the caller: generic tests share their SQL text.
 */
export function nodeStateOf(node: GraphNode, context: ManifestContext, sha: (text: string) => string): NodeState {
  switch (node.kind) {
    case 'model': {
      const persist = node.config.persistDocs;
      return {
        type: 'model',
        body: JSON.stringify([sha(node.rawSql), null]),
        config: JSON.stringify(configEntry(node, false)),
        relation: JSON.stringify([node.config.schema ?? null, node.config.alias ?? null, null]),
        persisted: persist.relation || persist.columns ? persistedText(persist, node.description, node.columns) : '',
        contract: node.config.contract.enforced ? JSON.stringify(node.columns.map((c) => [c.name, c.dataType ?? null])) : '',
        rendered: sha(targetFree(node.compiledSql, [node.uniqueId, ...node.dependsOn], context)),
        builtAt: { schema: node.relation.schema, alias: node.relation.identifier, database: context.database },
      };
    }
    case 'test':
      return { type: 'test', body: JSON.stringify([sha(node.rawSql), testMetadata(node) ?? null]), config: JSON.stringify(configEntry(node)), relation: NO_RELATION, persisted: '', contract: '' };
    case 'seed':
      return nodeStateOfEntry({ unique_id: node.uniqueId, resource_type: 'seed', description: node.description, schema: node.relation.schema, alias: node.relation.identifier, database: context.database, checksum: seedChecksum(node.absolutePath), config: configEntry(node) });
    default:
      return nodeStateOfEntry(manifestEntry(node, context)[1] as ManifestNodeEntry);
  }
}

const NO_RELATION = JSON.stringify([null, null, null]);

/** SQL with the quoted names of these nodes' relations replaced by their unique ids. */
function targetFree(sql: string, ids: readonly string[], context: ManifestContext): string {
  let text = sql;
  for (const id of ids) {
    const node = context.compiled.graph.nodes.get(id);
    if (node && 'relation' in node) text = text.replaceAll(quoteRelation(node.relation), `{{${id}}}`);
  }
  return text;
}

function persistedText(persist: { relation?: boolean; columns?: boolean }, description: unknown, columns: Readonly<Record<string, { description?: string }>> | readonly ColumnInfo[]): string {
  const list = Array.isArray(columns)
    ? (columns as readonly ColumnInfo[]).map((c) => [c.name, c.description] as const)
    : Object.entries(columns as Record<string, { description?: string }>).map(([name, c]) => [name, c?.description ?? ''] as const);
  return JSON.stringify([persist.relation ? description : null, persist.columns ? list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, d]) => [n, d]) : null]);
}

/** sha256 in hex, memoised per text. */
export function memoisedSha(): (text: string) => string {
  const hashes = new Map<string, string>();
  return (text) => {
    let hash = hashes.get(text);
    if (hash === undefined) hashes.set(text, (hash = createHash('sha256').update(text).digest('hex')));
    return hash;
  };
}
