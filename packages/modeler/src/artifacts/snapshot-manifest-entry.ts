import type { SnapshotNode } from '../graph/snapshot-node.js';

/** The parts of a snapshot's manifest entry (dbt's SnapshotNode) beyond those every node shares. */
export function snapshotManifestEntry(node: SnapshotNode): Record<string, unknown> {
  const c = node.config;
  const names = c.metaColumns;
  return {
    resource_type: 'snapshot',
    alias: node.relation.identifier,
    config: {
      enabled: c.enabled,
      alias: c.alias ?? null,
      schema: c.schema ?? null,
      target_schema: c.schema ?? null,
      tags: [...c.tags],
      meta: c.meta,
      materialized: 'snapshot',
      strategy: c.strategy,
      unique_key: c.uniqueKey.length === 1 ? c.uniqueKey[0] : [...c.uniqueKey],
      updated_at: c.updatedAt ?? null,
      check_cols: c.strategy === 'check' ? (c.checkCols === 'all' ? 'all' : [...c.checkCols]) : null,
      hard_deletes: c.hardDeletes,
      // dbt_is_current is Reel's own column: not in dbt's SnapshotMetaColumnNames, so kept under meta.
      snapshot_meta_column_names: { dbt_scd_id: names.scdId, dbt_updated_at: names.updatedAt, dbt_valid_from: names.validFrom, dbt_valid_to: names.validTo, dbt_is_deleted: names.isDeleted },
      dbt_valid_to_current: null,
    },
  };
}
