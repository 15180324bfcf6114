import type { CompiledProject } from '../compile.js';
import type { Database } from '../execute/connection/open-database.js';
import type { GraphNode } from '../graph/nodes.js';
import { artifactMetadata, type InvocationInfo, newInvocation } from './metadata.js';

export interface CatalogColumn {
  readonly type: string;
  readonly index: number;
  readonly name: string;
  readonly comment: string | null;
}

export interface CatalogTable {
  readonly metadata: { readonly type: string; readonly schema: string; readonly name: string; readonly database: string | null; readonly comment: string | null; readonly owner: string | null };
  readonly columns: Record<string, CatalogColumn>;
  readonly stats: Record<string, { id: string; label: string; value: boolean | string | number | null; include: boolean; description: string | null }>;
  readonly unique_id: string;
}

/** target/catalog.json in the shape of dbt's catalog v1. */
export interface CatalogArtifact {
  readonly metadata: ReturnType<typeof artifactMetadata>;
  readonly nodes: Record<string, CatalogTable>;
  readonly sources: Record<string, CatalogTable>;
  readonly errors: string[] | null;
}

const KIND: Record<string, string> = { r: 'BASE TABLE', p: 'BASE TABLE', v: 'VIEW', m: 'MATERIALIZED VIEW', f: 'FOREIGN TABLE' };

interface Row {
  schema: string;
  name: string;
  relkind: string;
  owner: string;
  table_comment: string | null;
  column_name: string | null;
  column_index: number | null;
  column_type: string | null;
  column_comment: string | null;
  live_rows: string | null;
  bytes: string | null;
}

/**
 * What the database holds for each model, seed and source, read from pg_catalog in one query:
 * relation kind, owner, comments, columns with their types in order, and table statistics.
 * Relations not built yet are simply absent, as in dbt.
 */
export async function readCatalog(db: Database, compiled: CompiledProject, invocation: InvocationInfo = newInvocation()): Promise<CatalogArtifact> {
  const wanted = new Map<string, GraphNode & { relation: { schema: string; identifier: string } }>();
  for (const node of compiled.graph.nodes.values()) {
    if (node.kind === 'model' && node.config.materialized === 'ephemeral') continue;
    if (node.kind === 'model' || node.kind === 'seed' || node.kind === 'source') wanted.set(`${node.relation.schema}.${node.relation.identifier}`, node);
  }
  const schemas = [...new Set([...wanted.values()].map((n) => n.relation.schema))];
  const database = (await db.pool.query<{ db: string }>('select current_database() as db')).rows[0]!.db;
  const result = schemas.length === 0 ? { rows: [] as Row[] } : await db.pool.query<Row>(
    `select n.nspname as schema, c.relname as name, c.relkind, pg_catalog.pg_get_userbyid(c.relowner) as owner,
            pg_catalog.obj_description(c.oid, 'pg_class') as table_comment,
            a.attname as column_name, a.attnum as column_index,
            pg_catalog.format_type(a.atttypid, a.atttypmod) as column_type,
            pg_catalog.col_description(c.oid, a.attnum) as column_comment,
            case when c.relkind in ('r', 'p', 'm') then s.n_live_tup end as live_rows,
            case when c.relkind in ('r', 'p', 'm') then pg_catalog.pg_total_relation_size(c.oid) end as bytes
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       left join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       left join pg_catalog.pg_stat_user_tables s on s.relid = c.oid
      where n.nspname = any($1) and c.relkind in ('r', 'p', 'v', 'm', 'f')
      order by n.nspname, c.relname, a.attnum`,
    [schemas],
  );
  const nodes: Record<string, CatalogTable> = {};
  const sources: Record<string, CatalogTable> = {};
  for (const row of result.rows) {
    const node = wanted.get(`${row.schema}.${row.name}`);
    if (!node) continue;
    const section = node.kind === 'source' ? sources : nodes;
    let table = section[node.uniqueId];
    if (!table) {
      table = {
        metadata: { type: KIND[row.relkind] ?? row.relkind, schema: row.schema, name: row.name, database, comment: row.table_comment, owner: row.owner },
        columns: {},
        stats: statsOf(row),
        unique_id: node.uniqueId,
      };
      section[node.uniqueId] = table;
    }
    if (row.column_name !== null) {
      table.columns[row.column_name] = { type: row.column_type ?? 'unknown', index: Number(row.column_index), name: row.column_name, comment: row.column_comment };
    }
  }
  return { metadata: artifactMetadata('https://schemas.getdbt.com/dbt/catalog/v1.json', invocation), nodes, sources, errors: null };
}

function statsOf(row: Row): CatalogTable['stats'] {
  if (row.live_rows === null) {
    return { has_stats: { id: 'has_stats', label: 'Has Stats?', value: false, include: false, description: 'Indicates whether there are statistics for this table' } };
  }
  return {
    has_stats: { id: 'has_stats', label: 'Has Stats?', value: true, include: false, description: 'Indicates whether there are statistics for this table' },
    num_rows: { id: 'num_rows', label: 'Approximate row count', value: Number(row.live_rows), include: true, description: 'Live rows, from the statistics collector' },
    num_bytes: { id: 'num_bytes', label: 'Approximate size', value: Number(row.bytes), include: true, description: 'Total size on disk, with indexes and TOAST' },
  };
}

/** An empty catalog, for `docs generate --empty-catalog` and projects never built. */
export function emptyCatalog(invocation: InvocationInfo = newInvocation()): CatalogArtifact {
  return { metadata: artifactMetadata('https://schemas.getdbt.com/dbt/catalog/v1.json', invocation), nodes: {}, sources: {}, errors: null };
}
