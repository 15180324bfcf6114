import type { IncrementalStrategy, Materialization, SchemaChangePolicy } from '../load/config-schema.js';
import type { Relation } from '../sql/quote.js';
import type { SourceMap } from '../render/source-map.js';

/** A column constraint a contract enforces when the model is built as a table. */
export interface ColumnConstraint {
  readonly type: 'not_null' | 'primary_key' | 'unique' | 'check';
  readonly expression?: string;
  readonly name?: string;
}

export interface ColumnInfo {
  readonly name: string;
  readonly description: string;
  readonly dataType?: string;
  readonly constraints?: readonly ColumnConstraint[];
  readonly meta: Readonly<Record<string, unknown>>;
  readonly tags: readonly string[];
}

export interface IndexConfig {
  readonly columns: readonly string[];
  readonly unique: boolean;
  readonly type?: string;
}

export interface ModelConfig {
  readonly materialized: Materialization;
  readonly schema?: string;
  readonly alias?: string;
  readonly tags: readonly string[];
  readonly enabled: boolean;
  readonly uniqueKey: readonly string[];
  readonly incrementalStrategy: IncrementalStrategy;
  /** Incremental models: what to do when the model's columns no longer match the table's. */
  readonly onSchemaChange: SchemaChangePolicy;
  /** SQL run in the model's transaction before and after it is built, as configured (templates). */
  readonly preHooks: readonly string[];
  readonly postHooks: readonly string[];
  /** `contract: {enforced: true}`: the declared columns and types are checked before every build. */
  readonly contract: { readonly enforced: boolean };
  /** Privilege → roles, applied (and others revoked) after every build. */
  readonly grants: Readonly<Record<string, readonly string[]>>;
  readonly fullRefresh?: boolean;
  readonly indexes: readonly IndexConfig[];
  readonly meta: Readonly<Record<string, unknown>>;
  readonly persistDocs: { readonly relation: boolean; readonly columns: boolean };
}

export interface NodeBase {
  readonly uniqueId: string;
  readonly name: string;
  /** Project-relative file that defines the node. */
  readonly file: string;
  readonly line: number;
  readonly description: string;
  readonly tags: readonly string[];
  readonly meta: Readonly<Record<string, unknown>>;
  readonly dependsOn: readonly string[];
}

export interface ModelNode extends NodeBase {
  readonly kind: 'model';
  readonly folder: string;
  /** The project macros the model's template calls directly (see render/macro-index.ts). */
  readonly macros?: readonly string[];
  /** The hooks rendered (`{{this}}` resolved), when there are any. */
  readonly hooks?: { readonly pre: readonly string[]; readonly post: readonly string[] };
  readonly config: ModelConfig;
  readonly relation: Relation;
  readonly columns: readonly ColumnInfo[];
  readonly rawSql: string;
  /** The select statement, refs resolved and ephemeral parents inlined as CTEs. */
  readonly compiledSql: string;
  /** For incremental models: the select rendered with is_incremental true. */
  readonly incrementalSql?: string;
  readonly sourceMap: SourceMap;
  readonly incrementalSourceMap?: SourceMap;
  readonly propertiesFile?: string;
}

export interface SeedNode extends NodeBase {
  readonly kind: 'seed';
  readonly relation: Relation;
  readonly absolutePath: string;
  readonly columnTypes: Readonly<Record<string, string>>;
  readonly delimiter: string;
  readonly columns: readonly ColumnInfo[];
  readonly fullRefresh?: boolean;
}

export interface SourceNode extends NodeBase {
  readonly kind: 'source';
  readonly sourceName: string;
  readonly tableName: string;
  readonly relation: Relation;
  readonly columns: readonly ColumnInfo[];
  readonly loadedAtField?: string;
  readonly freshness?: unknown;
}

export interface TestConfig {
  readonly severity: 'error' | 'warn';
  readonly warnIf: string;
  readonly errorIf: string;
  readonly where?: string;
  readonly limit?: number;
  readonly tags: readonly string[];
  readonly enabled: boolean;
}

export interface TestNode extends NodeBase {
  readonly kind: 'test';
  readonly testType: 'generic' | 'singular';
  /** `unique`, `not_null`, a user generic test's name, or the singular test's file name. */
  readonly testName: string;
  /** The model, seed or source the test is declared on. */
  readonly attachedTo?: string;
  readonly columnName?: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly config: TestConfig;
  /** A query returning the failing rows. */
  readonly sql: string;
  readonly rawSql: string;
  readonly sourceMap?: SourceMap;
}

export interface ExposureNode extends NodeBase {
  readonly kind: 'exposure';
  readonly label?: string;
  readonly exposureType: string;
  readonly owner: { readonly name?: string; readonly email?: string };
  readonly url?: string;
  readonly maturity?: string;
}

export type { SnapshotNode } from './snapshot-node.js';
export type { UnitTestNode } from './unit-test-node.js';
import type { SnapshotNode } from './snapshot-node.js';
import type { UnitTestNode } from './unit-test-node.js';

export type GraphNode = ModelNode | SeedNode | SourceNode | TestNode | ExposureNode | SnapshotNode | UnitTestNode;
export type NodeKind = GraphNode['kind'];
export type RunnableNode = ModelNode | SeedNode | TestNode | SnapshotNode | UnitTestNode;

/** A node as given to `makeNode`: its line may be a function, computed on first use. */
export type NodeInput<T extends GraphNode> = Omit<T, 'line'> & { readonly line: number | (() => number) };

/**
 * Freezes a node (and its arrays) so stages cannot change what an earlier stage produced. A `line`
 * given as a function is computed once, when first read: finding lines in big YAML files is slow
 * and only needed for messages.
 */
export function makeNode<T extends GraphNode>(input: NodeInput<T>): T {
  const node = { ...input } as Record<string, unknown>;
  if (typeof input.line === 'function') {
    const compute = input.line;
    let line: number | undefined;
    Object.defineProperty(node, 'line', { enumerable: true, get: () => (line ??= compute()) });
  }
  for (const [key, value] of Object.entries(input)) {
    if (key !== 'line' && Array.isArray(value)) Object.freeze(value);
  }
  return Object.freeze(node) as unknown as T;
}

/** A copy of a frozen node with some fields changed; a line not yet computed stays lazy. */
export function updateNode<T extends GraphNode>(node: T, changes: Partial<Omit<T, 'line'>>): T {
  const copy: Record<string, unknown> = {};
  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(node))) {
    if (descriptor.get) Object.defineProperty(copy, key, { enumerable: true, get: descriptor.get });
    else copy[key] = descriptor.value;
  }
  Object.assign(copy, changes);
  return Object.freeze(copy) as unknown as T;
}

export function isRunnable(node: GraphNode): node is RunnableNode {
  return node.kind === 'model' || node.kind === 'seed' || node.kind === 'test' || node.kind === 'snapshot' || node.kind === 'unit_test';
}
