import type { Relation } from '../sql/quote.js';
import type { SourceMap } from '../render/source-map.js';
import type { ColumnInfo, NodeBase } from './nodes.js';

export const SNAPSHOT_STRATEGIES = ['timestamp', 'check'] as const;
export const HARD_DELETES = ['ignore', 'invalidate', 'new_record'] as const;

/** The names of the columns a snapshot adds to its query's columns (dbt's names by default). */
export interface SnapshotMetaColumns {
  readonly scdId: string;
  readonly updatedAt: string;
  readonly validFrom: string;
  readonly validTo: string;
  /** Reel's addition: true on the one current version of each key. */
  readonly isCurrent: string;
  /** Only with hard_deletes: new_record. */
  readonly isDeleted: string;
}

export interface SnapshotConfig {
  readonly strategy: (typeof SNAPSHOT_STRATEGIES)[number];
  readonly uniqueKey: readonly string[];
  /** timestamp strategy: the column whose increase marks a new version. */
  readonly updatedAt?: string;
  /** check strategy: the columns compared, or every column of the query. */
  readonly checkCols: 'all' | readonly string[];
  readonly hardDeletes: (typeof HARD_DELETES)[number];
  readonly schema?: string;
  readonly alias?: string;
  readonly tags: readonly string[];
  readonly enabled: boolean;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly metaColumns: SnapshotMetaColumns;
}

/**
 * A snapshot: a select whose rows are kept as a type 2 slowly changing dimension. Each run closes
 * the current version of every changed (or deleted) key and inserts the new version.
 */
export interface SnapshotNode extends NodeBase {
  readonly kind: 'snapshot';
  readonly folder: string;
  readonly config: SnapshotConfig;
  readonly relation: Relation;
  readonly columns: readonly ColumnInfo[];
  readonly rawSql: string;
  readonly compiledSql: string;
  readonly sourceMap: SourceMap;
  readonly propertiesFile?: string;
}
