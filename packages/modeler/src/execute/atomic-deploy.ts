import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { CompiledProject } from '../compile.js';
import { ExecutionError } from '../errors/index.js';
import { rewriteRelations, type RelationMove } from '../plan/rewrite-relations.js';
import { quoteIdent, quoteRelation, relationKey, type Relation } from '../sql/quote.js';
import { dependentViewsOf, literal } from './relations.js';

/**
 * `--atomic`: the selected models are built into a fresh set of schemas (`<schema>__reel_next`),
 * tested there, and switched in with the live schemas in one transaction — so readers see either
 * every old relation or every new one, never a mix, and a failed or killed build changes nothing
 * they can see.
 */
export interface AtomicDeploy {
  /** The project with the built nodes relocated into the next schemas and refs to them rewritten. */
  readonly compiled: CompiledProject;
  readonly schemas: readonly { readonly live: string; readonly next: string; readonly old: string }[];
  /** Live relation → where it is being built. */
  readonly replaced: readonly RelationMove[];
  /** Incremental tables and snapshots whose rows are copied into the next schema before building on them. */
  readonly carried: readonly RelationMove[];
}

/** Pure: where each built node goes, and the project rewritten to build there. */
export function planAtomicDeploy(compiled: CompiledProject, selected: ReadonlySet<string>, built: ReadonlySet<string>, fullRefresh: boolean): AtomicDeploy {
  const schemas = new Map<string, { live: string; next: string; old: string }>();
  const replaced: RelationMove[] = [];
  const carried: RelationMove[] = [];
  const relocate = new Map<string, Relation>();
  for (const id of built) {
    const node = compiled.graph.nodes.get(id);
    if (!node || (node.kind !== 'model' && node.kind !== 'seed' && node.kind !== 'snapshot')) continue;
    if (node.kind === 'model' && node.config.materialized === 'ephemeral') continue;
    const live = node.relation.schema;
    if (!schemas.has(live)) schemas.set(live, { live, next: sibling(live, 'next'), old: sibling(live, 'old') });
    const to = { schema: schemas.get(live)!.next, identifier: node.relation.identifier };
    relocate.set(id, to);
    replaced.push({ from: node.relation, to });
    const keepsRows = node.kind === 'snapshot' || (node.kind === 'model' && node.config.materialized === 'incremental' && !(fullRefresh && node.config.fullRefresh !== false));
    if (keepsRows) carried.push({ from: node.relation, to });
  }
  return { compiled: rewriteRelations(compiled, selected, replaced, relocate), schemas: [...schemas.values()], replaced, carried };
}

function sibling(schema: string, suffix: string): string {
  const name = `${schema}__reel_${suffix}`;
  if (Buffer.byteLength(name) <= 63) return name;
  return `${schema.slice(0, 40)}_${createHash('sha256').update(schema).digest('hex').slice(0, 8)}__reel_${suffix}`;
}

/**
 * Fresh next schemas (what a killed run left behind is dropped first), and the rows of incremental
 * tables and snapshots copied in, so they are merged into as usual.
 */
export async function prepareAtomicDeploy(pool: pg.Pool, deploy: AtomicDeploy): Promise<void> {
  const client = await pool.connect();
  try {
    for (const { next } of deploy.schemas) {
      await client.query(`drop schema if exists ${quoteIdent(next)} cascade`);
      await client.query(`create schema ${quoteIdent(next)}`);
    }
    for (const { from, to } of deploy.carried) {
      const exists = await client.query('select 1 from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2 and c.relkind in ($3, $4)', [from.schema, from.identifier, 'r', 'p']);
      if (exists.rowCount === 0) continue;
      await client.query(`create table ${quoteRelation(to)} (like ${quoteRelation(from)} including defaults including constraints including generated including identity)`);
      await client.query(`insert into ${quoteRelation(to)} select * from ${quoteRelation(from)}`);
    }
  } finally {
    client.release();
  }
}

/** A failed build: the next schemas go; the live ones were never touched. */
export async function abandonAtomicDeploy(pool: pg.Pool, deploy: AtomicDeploy): Promise<void> {
  for (const { next } of deploy.schemas) await pool.query(`drop schema if exists ${quoteIdent(next)} cascade`);
}

export interface SwitchSummary {
  readonly schemas: readonly string[];
  readonly replaced: number;
  readonly kept: number;
  readonly recreated: number;
}

/**
 * The switch, in one transaction: views elsewhere that read a replaced relation are set aside;
 * every other relation of a live schema moves into its next schema; each live schema is renamed
 * away and its next schema takes its name (and its privileges); the views are recreated on the
 * new relations; the replaced relations and the emptied schemas are dropped — never with a
 * cascade that could reach anything else: a schema still holding other objects aborts the switch.
 */
export async function switchAtomicDeploy(pool: pg.Pool, deploy: AtomicDeploy): Promise<SwitchSummary> {
  const client = await pool.connect();
  const replacedKeys = new Set(deploy.replaced.map((m) => relationKey(m.from)));
  try {
    await client.query('begin');
    await client.query(`set local search_path = ''`);
    const dependents = await dependentViewsOf({ client, query: (sql, values) => client.query(sql, values) }, deploy.replaced.map((m) => m.from));
    const setAside = dependents.filter((d) => !replacedKeys.has(relationKey({ schema: d.schema, identifier: d.name })));
    for (const view of [...setAside].sort((a, b) => b.depth - a.depth)) {
      await client.query(`drop ${view.kind === 'materialized_view' ? 'materialized view' : 'view'} ${quoteRelation({ schema: view.schema, identifier: view.name })}`);
    }
    let kept = 0;
    for (const { live, next } of deploy.schemas) {
      const rest = await client.query<{ name: string; relkind: string }>(
        `select c.relname as name, c.relkind from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
          where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
            and not (c.relkind = 'S' and exists (select 1 from pg_catalog.pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')))
            and not (c.relkind = 'r' and c.relispartition)`,
        [live],
      );
      for (const relation of rest.rows) {
        if (replacedKeys.has(relationKey({ schema: live, identifier: relation.name }))) continue;
        if (setAside.some((v) => v.schema === live && v.name === relation.name)) continue;
        await client.query(`alter ${KIND_SQL[relation.relkind]} ${quoteRelation({ schema: live, identifier: relation.name })} set schema ${quoteIdent(next)}`);
        kept++;
      }
    }
    for (const { live, next, old } of deploy.schemas) {
      await client.query(`drop schema if exists ${quoteIdent(old)} cascade`);
      await client.query(`alter schema ${quoteIdent(live)} rename to ${quoteIdent(old)}`);
      await client.query(`alter schema ${quoteIdent(next)} rename to ${quoteIdent(live)}`);
      await copySchemaPrivileges(client, old, live);
    }
    for (const view of [...setAside].sort((a, b) => a.depth - b.depth)) {
      const name = quoteRelation({ schema: view.schema, identifier: view.name });
      const kind = view.kind === 'materialized_view' ? 'materialized view' : 'view';
      try {
        await client.query(`create ${kind} ${name} as ${view.definition}`);
      } catch (error) {
        throw new ExecutionError('atomic-dependent', `view ${view.schema}.${view.name} reads a replaced model and cannot be recreated on the new one: ${(error as Error).message}; nothing was switched`, {
          hint: `include ${view.name} in the selection, or update it for the new columns`,
          cause: error,
        });
      }
      if (view.comment !== null) await client.query(`comment on ${kind} ${name} is ${literal(view.comment)}`);
    }
    for (const { old } of deploy.schemas) {
      for (const move of deploy.replaced.filter((m) => deploy.schemas.some((s) => s.old === old && s.live === m.from.schema))) {
        const kind = await client.query<{ relkind: string }>('select c.relkind from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2', [old, move.from.identifier]);
        const relkind = kind.rows[0]?.relkind;
        if (relkind) await client.query(`drop ${KIND_SQL[relkind]} if exists ${quoteRelation({ schema: old, identifier: move.from.identifier })} cascade`);
      }
      try {
        await client.query('savepoint reel_drop_old');
        await client.query(`drop schema ${quoteIdent(old)}`);
      } catch (error) {
        throw new ExecutionError('atomic-schema-not-empty', `schema ${old.replace(/__reel_old$/, '')} holds objects --atomic does not move (functions, types …): ${(error as Error).message}; nothing was switched`, {
          hint: 'keep functions and types in a schema no model is built in, or build without --atomic',
          cause: error,
        });
      }
    }
    await client.query('commit');
    return { schemas: deploy.schemas.map((s) => s.live), replaced: deploy.replaced.length, kept, recreated: setAside.length };
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const KIND_SQL: Record<string, string> = { r: 'table', p: 'table', v: 'view', m: 'materialized view', f: 'foreign table', S: 'sequence' };

/** The renamed-away schema's grants (usage, create) given to the same roles on its successor. */
async function copySchemaPrivileges(client: pg.PoolClient, from: string, to: string): Promise<void> {
  const grants = await client.query<{ grantee: string | null; privilege: string }>(
    `select case when a.grantee = 0 then null else pg_catalog.pg_get_userbyid(a.grantee) end as grantee, a.privilege_type as privilege
       from pg_catalog.pg_namespace n, pg_catalog.aclexplode(n.nspacl) a
      where n.nspname = $1 and a.grantee <> n.nspowner`,
    [from],
  );
  for (const grant of grants.rows) {
    await client.query(`grant ${grant.privilege.toLowerCase()} on schema ${quoteIdent(to)} to ${grant.grantee === null ? 'public' : quoteIdent(grant.grantee)}`);
  }
}
