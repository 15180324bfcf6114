import type { IncrementalStrategy, SchemaChangePolicy } from '../load/config-schema.js';
import type { ColumnConstraint, IndexConfig } from '../graph/nodes.js';
import type { Relation } from '../sql/quote.js';
import type { SnapshotConfig } from '../graph/snapshot-node.js';
import type { UnitTestNode } from '../graph/unit-test-node.js';

/** Create a schema if it is missing. Runs before every node step. */
export interface CreateSchemaStep {
  readonly kind: 'create-schema';
  readonly schema: string;
}

interface NodeStepBase {
  readonly nodeId: string;
  /** Node steps that must succeed before this one starts. */
  readonly waitsOn: readonly string[];
  /** An enforced contract, checked before the model replaces what is there. */
  readonly contract?: ContractSpec;
}

/** The columns a model promises (contract: enforced), with the constraints a table enforces. */
export interface ContractSpec {
  /** The property file that declares it, for messages. */
  readonly file: string;
  readonly columns: readonly { readonly name: string; readonly dataType: string; readonly constraints: readonly ColumnConstraint[] }[];
}

export interface ViewStep extends NodeStepBase {
  readonly kind: 'view';
  readonly relation: Relation;
  readonly sql: string;
}

/** Build into a shadow relation, then swap it in one transaction. */
export interface TableStep extends NodeStepBase {
  readonly kind: 'table';
  readonly relation: Relation;
  readonly sql: string;
  readonly indexes?: readonly IndexConfig[];
}

export interface MaterializedViewStep extends NodeStepBase {
  readonly kind: 'materialized-view';
  readonly relation: Relation;
  readonly sql: string;
  readonly indexes?: readonly IndexConfig[];
}

/** Build like a table the first time (or on full refresh); otherwise merge or append the new rows. */
export interface IncrementalStep extends NodeStepBase {
  readonly kind: 'incremental';
  readonly relation: Relation;
  readonly fullSql: string;
  readonly incrementalSql: string;
  readonly uniqueKey: readonly string[];
  readonly strategy: IncrementalStrategy;
  readonly onSchemaChange?: SchemaChangePolicy;
  readonly fullRefresh: boolean;
  readonly indexes?: readonly IndexConfig[];
}

export interface SeedStep extends NodeStepBase {
  readonly kind: 'seed';
  readonly relation: Relation;
  readonly csvPath: string;
  readonly file: string;
  readonly columnTypes: Readonly<Record<string, string>>;
  readonly delimiter: string;
}

export interface TestStep extends NodeStepBase {
  readonly kind: 'test';
  readonly sql: string;
  readonly severity: 'error' | 'warn';
  readonly warnIf: string;
  readonly errorIf: string;
  readonly limit?: number;
}

/** Close changed and deleted versions, insert new ones (type 2 SCD), in one transaction. */
export interface SnapshotStep extends NodeStepBase {
  readonly kind: 'snapshot';
  readonly relation: Relation;
  readonly sql: string;
  readonly config: SnapshotConfig;
}

/** Run a model's SQL on fixed input rows and compare with the expected rows; writes nothing. */
export interface UnitTestStep extends NodeStepBase, Pick<UnitTestNode, 'sql' | 'given' | 'expectRows' | 'expectSql'> {
  readonly kind: 'unit-test';
}

export type NodeStep = ViewStep | TableStep | MaterializedViewStep | IncrementalStep | SeedStep | TestStep | SnapshotStep | UnitTestStep;
export type Step = CreateSchemaStep | NodeStep;

/** What `execute` runs: schemas first, then node steps in dependency order. */
export interface Plan {
  readonly schemas: readonly CreateSchemaStep[];
  readonly steps: readonly NodeStep[];
}

export function assertNever(value: never): never {
  throw new Error(`unexpected plan step: ${JSON.stringify(value)}`);
}
