import { z } from 'zod';
import { HARD_DELETES, SNAPSHOT_STRATEGIES } from '../graph/snapshot-node.js';

const stringList = z.union([z.string(), z.array(z.string())]);

/** Every key a snapshot may configure: in reel_project.yml (`snapshots:`), a property file or `{{config}}`. */
export const snapshotConfigSchema = z.strictObject({
  strategy: z.enum(SNAPSHOT_STRATEGIES),
  unique_key: stringList,
  updated_at: z.string().min(1),
  check_cols: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]),
  hard_deletes: z.enum(HARD_DELETES),
  /** dbt before 1.9: `invalidate_hard_deletes: true` is `hard_deletes: invalidate`. */
  invalidate_hard_deletes: z.boolean(),
  schema: z.string().min(1),
  target_schema: z.string().min(1),
  alias: z.string().min(1),
  tags: stringList,
  enabled: z.boolean(),
  meta: z.record(z.string(), z.unknown()),
  docs: z.strictObject({ show: z.boolean().optional(), node_color: z.string().optional() }),
  snapshot_meta_column_names: z.strictObject({
    dbt_scd_id: z.string().min(1),
    dbt_updated_at: z.string().min(1),
    dbt_valid_from: z.string().min(1),
    dbt_valid_to: z.string().min(1),
    dbt_is_current: z.string().min(1),
    dbt_is_deleted: z.string().min(1),
  }).partial(),
}).partial();

export type SnapshotConfigInput = z.infer<typeof snapshotConfigSchema>;
export const SNAPSHOT_CONFIG_KEYS = Object.keys(snapshotConfigSchema.shape);
