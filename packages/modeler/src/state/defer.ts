import type { CompiledProject } from '../compile.js';
import { UsageError } from '../errors/index.js';
import type { GraphNode } from '../graph/nodes.js';
import { rewriteRelations } from '../plan/rewrite-relations.js';
import { relationKey, type Relation } from '../sql/quote.js';
import type { PreviousState } from './previous-state.js';

export interface DeferOptions {
  /** Defer even when the relation exists in the current target (dbt's --favor-state). */
  readonly favorState: boolean;
  /** The current target's database, to refuse deferring across databases. */
  readonly database: string | null;
  /** Which of these relations exist in the current target (by relationKey). */
  readonly existing: (relations: readonly Relation[]) => Promise<ReadonlySet<string>>;
}

export interface DeferredRef {
  readonly uniqueId: string;
  readonly from: Relation;
  readonly to: Relation;
}

/**
 * `--defer`: every model or seed the selection reads but does not build, and that the current
 * target lacks (or all of them, with favorState), is read from where the previous run built it.
 * Refs are rewritten in the selected nodes' SQL; nothing else changes.
 */
export async function deferUnselected(compiled: CompiledProject, selected: ReadonlySet<string>, previous: PreviousState, options: DeferOptions): Promise<{ compiled: CompiledProject; deferred: DeferredRef[] }> {
  const graph = compiled.graph;
  const upstream = new Set<string>();
  for (const id of selected) for (const a of graph.ancestors(id)) if (!selected.has(a)) upstream.add(a);
  const candidates = [...upstream]
    .map((id) => graph.nodes.get(id)!)
    .filter((node): node is Extract<GraphNode, { kind: 'model' | 'seed' }> => (node.kind === 'model' && node.config.materialized !== 'ephemeral') || node.kind === 'seed');
  const existing = options.favorState ? new Set<string>() : await options.existing(candidates.map((n) => n.relation));
  const deferred: DeferredRef[] = [];
  for (const node of candidates) {
    if (existing.has(relationKey(node.relation))) continue;
    const built = previous.nodes.get(node.uniqueId)?.builtAt;
    if (!built) continue;
    if (built.database !== null && options.database !== null && built.database !== options.database) {
      throw new UsageError('defer-database', `--defer: ${node.name} was built in database "${built.database}", and PostgreSQL cannot read across databases (this target is "${options.database}")`, {
        hint: 'run CI in the production database under another schema (a target with a different schema), or build the parent with +',
      });
    }
    const to = { schema: built.schema, identifier: built.alias };
    if (relationKey(to) !== relationKey(node.relation)) deferred.push({ uniqueId: node.uniqueId, from: node.relation, to });
  }
  return { compiled: rewriteRelations(compiled, selected, deferred), deferred };
}
