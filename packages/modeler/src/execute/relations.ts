import { createHash } from 'node:crypto';
import { ExecutionError } from '../errors/index.js';
import { quoteIdent, quoteRelation, type Relation } from '../sql/quote.js';
import type { Session } from './session.js';

export type RelationKind = 'table' | 'view' | 'materialized_view' | 'other';

const KINDS: Record<string, RelationKind> = { r: 'table', p: 'table', v: 'view', m: 'materialized_view' };

/** What kind of relation exists under this name, or undefined. */
export async function relationKind(session: Session, relation: Relation): Promise<RelationKind | undefined> {
  const result = await session.query<{ relkind: string }>(
    'select c.relkind from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2',
    [relation.schema, relation.identifier],
  );
  const kind = result.rows[0]?.relkind;
  return kind === undefined ? undefined : (KINDS[kind] ?? 'other');
}

export function dropStatement(relation: Relation, kind: RelationKind): string {
  const what = kind === 'view' ? 'view' : kind === 'materialized_view' ? 'materialized view' : 'table';
  return `drop ${what} ${quoteRelation(relation)}`;
}

/** A name beside `relation` for building its replacement; stays within PostgreSQL's 63 bytes. */
export function shadowName(relation: Relation, suffix: string): Relation {
  const name = `${relation.identifier}__reel_${suffix}`;
  if (Buffer.byteLength(name) <= 63) return { schema: relation.schema, identifier: name };
  const hash = createHash('sha256').update(relation.identifier).digest('hex').slice(0, 8);
  return { schema: relation.schema, identifier: `${relation.identifier.slice(0, 40)}_${hash}__reel_${suffix}` };
}

export interface DependentView {
  readonly schema: string;
  readonly name: string;
  readonly kind: 'view' | 'materialized_view';
  readonly definition: string;
  readonly depth: number;
  readonly comment: string | null;
}

/**
 * Replaces `relation` by running `replace`, keeping every view that depends on it: dependents are
 * read from the catalog, dropped deepest first, and recreated from their definitions after the
 * swap, all in the caller's transaction. Nothing is dropped with CASCADE.
 */
export async function replacePreservingDependents(session: Session, relation: Relation, replace: () => Promise<void>): Promise<void> {
  // Two relations built at once can share a dependent view (a view joining both): one transaction
  // would read its definition while the other drops and recreates it ("could not open relation
  // with OID"). Replacements therefore take turns, each until its transaction ends; they are the
  // short last step of a build, and the DAG keeps a model from reading what another replaces.
  await session.query(`select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('reel.replace-preserving-dependents'))`);
  const dependents = await dependentViews(session, relation);
  for (const view of [...dependents].sort((a, b) => b.depth - a.depth)) {
    await session.query(`drop ${view.kind === 'view' ? 'view' : 'materialized view'} ${quoteRelation({ schema: view.schema, identifier: view.name })}`);
  }
  await replace();
  for (const view of [...dependents].sort((a, b) => a.depth - b.depth)) {
    const name = quoteRelation({ schema: view.schema, identifier: view.name });
    await session.query('savepoint reel_dependent');
    try {
      await session.query(`create ${view.kind === 'view' ? 'view' : 'materialized view'} ${name} as ${view.definition}`);
      if (view.comment !== null) await session.query(`comment on ${view.kind === 'view' ? 'view' : 'materialized view'} ${name} is ${literal(view.comment)}`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new ExecutionError('dependent-view', `${quoteRelation(relation)} was not replaced: view ${view.schema}.${view.name} depends on it and could not be recreated (${reason})`, {
        hint: `the new version of ${relation.identifier} removes or changes something ${view.name} uses; update ${view.name} or drop it first`,
        cause: error,
      });
    }
  }
}

async function dependentViews(session: Session, relation: Relation): Promise<DependentView[]> {
  // pg_get_viewdef qualifies names only when they are not on the search_path: empty it for the call.
  await session.query(`set local search_path = ''`);
  const views = await dependentViewsOf(session, [relation]);
  await session.query('reset search_path');
  return views;
}

/**
 * Views and materialized views that read any of `relations`, directly or through other views,
 * with their definitions as pg_get_viewdef prints them under the caller's search_path (empty it
 * first for fully qualified names) and their depth (1 = reads a relation directly).
 */
export async function dependentViewsOf(session: Session, relations: readonly Relation[]): Promise<DependentView[]> {
  if (relations.length === 0) return [];
  const result = await session.query<{ schema: string; name: string; relkind: string; definition: string; depth: number; comment: string | null }>(
    `with recursive target as (
       select c.oid from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join unnest($1::text[], $2::text[]) as t(schema, name) on t.schema = n.nspname and t.name = c.relname
     ), deps(oid, depth) as (
       select distinct r.ev_class, 1
       from pg_catalog.pg_depend d join pg_catalog.pg_rewrite r on r.oid = d.objid
       where d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass and d.refobjid in (select oid from target) and r.ev_class not in (select oid from target)
       union
       select distinct r.ev_class, deps.depth + 1
       from deps join pg_catalog.pg_depend d on d.refobjid = deps.oid
       join pg_catalog.pg_rewrite r on r.oid = d.objid
       where d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass and r.ev_class <> deps.oid and deps.depth < 100
     )
     select n.nspname as schema, c.relname as name, c.relkind, pg_catalog.pg_get_viewdef(c.oid) as definition,
            max(deps.depth)::int as depth, pg_catalog.obj_description(c.oid, 'pg_class') as comment
     from deps join pg_catalog.pg_class c on c.oid = deps.oid join pg_catalog.pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('v', 'm')
     group by n.nspname, c.relname, c.relkind, c.oid`,
    [relations.map((r) => r.schema), relations.map((r) => r.identifier)],
  );
  return result.rows.map((row) => ({
    schema: row.schema,
    name: row.name,
    kind: row.relkind === 'm' ? 'materialized_view' : 'view',
    definition: row.definition.replace(/;\s*$/, ''),
    depth: row.depth,
    comment: row.comment,
  }));
}

export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export function qualifiedColumns(columns: readonly string[]): string {
  return columns.map(quoteIdent).join(', ');
}
