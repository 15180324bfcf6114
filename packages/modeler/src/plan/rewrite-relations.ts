import type { CompiledProject } from '../compile.js';
import { updateNode, type GraphNode } from '../graph/nodes.js';
import { quoteRelation, type Relation } from '../sql/quote.js';

export interface RelationMove {
  readonly from: Relation;
  readonly to: Relation;
}

/**
 * The project with refs rewritten in the selected nodes' SQL (`from` → `to`, as quoted relation
 * names, which is how refs are rendered), and the nodes in `relocate` built at a new relation.
 * Used by --defer (read parents from elsewhere) and --atomic (build into the next schemas).
 */
export function rewriteRelations(compiled: CompiledProject, selected: ReadonlySet<string>, moves: readonly RelationMove[], relocate: ReadonlyMap<string, Relation> = new Map()): CompiledProject {
  if (moves.length === 0 && relocate.size === 0) return compiled;
  const pairs = moves.map((m) => [quoteRelation(m.from), quoteRelation(m.to)] as const);
  const rewrite = (sql: string) => pairs.reduce((text, [from, to]) => text.replaceAll(from, to), sql);
  const nodes = [...compiled.graph.nodes.values()].map((node): GraphNode => {
    if (!selected.has(node.uniqueId)) return node;
    const relation = relocate.get(node.uniqueId);
    switch (node.kind) {
      case 'model':
        return updateNode(node, {
          compiledSql: rewrite(node.compiledSql),
          ...(node.incrementalSql === undefined ? {} : { incrementalSql: rewrite(node.incrementalSql) }),
          ...(node.hooks ? { hooks: { pre: node.hooks.pre.map(rewrite), post: node.hooks.post.map(rewrite) } } : {}),
          ...(relation ? { relation } : {}),
        });
      case 'snapshot':
        return updateNode(node, { compiledSql: rewrite(node.compiledSql), ...(relation ? { relation } : {}) });
      case 'seed':
        return relation ? updateNode(node, { relation }) : node;
      case 'test':
        return updateNode(node, { sql: rewrite(node.sql) });
      default:
        return node;
    }
  });
  return { ...compiled, graph: compiled.graph.withNodes(nodes) };
}
