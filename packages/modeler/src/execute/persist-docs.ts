import type pg from 'pg';
import type { GraphNode } from '../graph/nodes.js';
import { quoteIdent, quoteLiteral, quoteRelation } from '../sql/quote.js';
import type { RelationKind } from './relations.js';

const OBJECT: Partial<Record<RelationKind, string>> = { table: 'table', view: 'view', materialized_view: 'materialized view' };

/**
 * `persist_docs`: the model's description and its declared columns' descriptions as database
 * comments, so that BI tools and psql's \d+ show them. Columns the relation does not have are skipped.
 */
export async function persistDocs(client: pg.PoolClient, node: GraphNode): Promise<void> {
  if (node.kind !== 'model') return;
  const { relation: onRelation, columns: onColumns } = node.config.persistDocs;
  if (!onRelation && !onColumns) return;
  const target = quoteRelation(node.relation);
  const kind = await client.query<{ relkind: string; columns: string[] }>(
    `select c.relkind, array(select attname from pg_catalog.pg_attribute where attrelid = c.oid and attnum > 0 and not attisdropped)::text[] as columns
       from pg_catalog.pg_class c where c.oid = $1::regclass`,
    [target],
  );
  const row = kind.rows[0];
  if (!row) return;
  const what = OBJECT[({ r: 'table', p: 'table', v: 'view', m: 'materialized_view' } as Record<string, RelationKind>)[row.relkind] ?? 'other'];
  if (!what) return;
  const statements: string[] = [];
  if (onRelation && node.description) statements.push(`comment on ${what} ${target} is ${quoteLiteral(node.description)}`);
  if (onColumns) {
    const present = new Set(row.columns);
    for (const column of node.columns) {
      if (column.description && present.has(column.name)) statements.push(`comment on column ${target}.${quoteIdent(column.name)} is ${quoteLiteral(column.description)}`);
    }
  }
  if (statements.length > 0) await client.query(statements.join(';\n'));
}
