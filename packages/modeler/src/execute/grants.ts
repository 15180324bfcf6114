import { ExecutionError } from '../errors/index.js';
import { quoteIdent, quoteRelation, type Relation } from '../sql/quote.js';
import type { Session } from './session.js';

/**
 * `grants` config: after a build, each configured privilege is held by exactly the configured roles
 * (missing grants given, others revoked; the owner keeps its own). A rebuilt table or view starts
 * with no grants, so this runs after every build, in the model's transaction.
 */
export async function applyGrants(session: Session, relation: Relation, grants: Readonly<Record<string, readonly string[]>>): Promise<void> {
  const privileges = Object.keys(grants);
  if (privileges.length === 0) return;
  const target = quoteRelation(relation);
  const current = await session.query<{ privilege: string; grantee: string }>(
    `select lower(g.privilege_type) as privilege, g.grantee
       from information_schema.role_table_grants g
       join pg_catalog.pg_class c on c.oid = $1::regclass
      where g.table_schema = $2 and g.table_name = $3 and g.grantee <> pg_catalog.pg_get_userbyid(c.relowner)`,
    [target, relation.schema, relation.identifier],
  );
  for (const privilege of privileges) {
    const wanted = new Set(grants[privilege]);
    const have = new Set(current.rows.filter((r) => r.privilege === privilege || privilege === 'all').map((r) => r.grantee));
    const revoke = [...have].filter((role) => !wanted.has(role));
    const grant = [...wanted].filter((role) => !have.has(role));
    try {
      if (revoke.length > 0) await session.query(`revoke ${privilege} on table ${target} from ${revoke.map(quoteIdent).join(', ')}`);
      if (grant.length > 0) await session.query(`grant ${privilege} on table ${target} to ${grant.map(quoteIdent).join(', ')}`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      const message = (error as Error).message;
      throw new ExecutionError('grants', `cannot apply grants ${privilege} to ${[...wanted].join(', ')}: ${message}`, {
        hint: code === '42704' ? 'create the role first (create role …), or remove it from the grants config' : 'check the privilege name (select, insert, update, delete, truncate, references, trigger or all) and that you own the relation',
        cause: error,
      });
    }
  }
}
