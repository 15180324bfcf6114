import { GraphError } from '../errors/index.js';
import type { GraphNode } from './nodes.js';

/** Nodes and their edges (parent → child), with cycle detection and a topological order. */
export class DependencyGraph {
  readonly nodes: ReadonlyMap<string, GraphNode>;
  readonly parents: ReadonlyMap<string, readonly string[]>;
  readonly children: ReadonlyMap<string, readonly string[]>;

  private constructor(nodes: Map<string, GraphNode>, parents: Map<string, string[]>, children: Map<string, string[]>) {
    this.nodes = nodes;
    this.parents = parents;
    this.children = children;
  }

  /** Builds the graph; cycles come back as errors naming the whole chain. */
  static build(list: readonly GraphNode[]): { graph: DependencyGraph; errors: GraphError[] } {
    const nodes = new Map<string, GraphNode>();
    const parents = new Map<string, string[]>();
    const children = new Map<string, string[]>();
    for (const node of list) {
      nodes.set(node.uniqueId, node);
      parents.set(node.uniqueId, []);
      children.set(node.uniqueId, []);
    }
    for (const node of list) {
      for (const parent of node.dependsOn) {
        if (!nodes.has(parent)) continue;
        parents.get(node.uniqueId)!.push(parent);
        children.get(parent)!.push(node.uniqueId);
      }
    }
    const graph = new DependencyGraph(nodes, parents, children);
    return { graph, errors: graph.findCycles() };
  }

  /** The same graph with its nodes replaced by new versions with the same ids and edges. */
  withNodes(list: readonly GraphNode[]): DependencyGraph {
    const nodes = new Map<string, GraphNode>();
    for (const node of list) nodes.set(node.uniqueId, node);
    if (nodes.size !== this.nodes.size || [...nodes.keys()].some((id) => !this.nodes.has(id))) return DependencyGraph.build(list).graph;
    return new DependencyGraph(nodes, this.parents as Map<string, string[]>, this.children as Map<string, string[]>);
  }

  /** Every node in an order where parents come before children (stable by unique id). */
  topologicalOrder(ids: Iterable<string> = this.nodes.keys()): string[] {
    const wanted = new Set(ids);
    const indegree = new Map<string, number>();
    for (const id of wanted) indegree.set(id, (this.parents.get(id) ?? []).filter((p) => wanted.has(p)).length);
    const ready = [...wanted].filter((id) => indegree.get(id) === 0).sort();
    const order: string[] = [];
    for (let head = 0; head < ready.length; head++) {
      const id = ready[head]!;
      order.push(id);
      for (const child of this.children.get(id) ?? []) {
        if (!wanted.has(child)) continue;
        const left = indegree.get(child)! - 1;
        indegree.set(child, left);
        if (left === 0) ready.push(child);
      }
    }
    return order;
  }

  /** All ancestors (depth undefined = unlimited) of `id`, not including itself. */
  ancestors(id: string, depth = Infinity): Set<string> {
    return this.reach(id, this.parents, depth);
  }

  descendants(id: string, depth = Infinity): Set<string> {
    return this.reach(id, this.children, depth);
  }

  private reach(start: string, edges: ReadonlyMap<string, readonly string[]>, depth: number): Set<string> {
    const seen = new Set<string>();
    let frontier = [start];
    for (let level = 0; level < depth && frontier.length > 0; level++) {
      const next: string[] = [];
      for (const id of frontier) {
        for (const other of edges.get(id) ?? []) {
          if (seen.has(other) || other === start) continue;
          seen.add(other);
          next.push(other);
        }
      }
      frontier = next;
    }
    return seen;
  }

  private findCycles(): GraphError[] {
    const errors: GraphError[] = [];
    const state = new Map<string, 1 | 2>();
    const reported = new Set<string>();
    for (const root of [...this.nodes.keys()].sort()) {
      if (state.has(root)) continue;
      const stack: { id: string; next: number }[] = [{ id: root, next: 0 }];
      const onPath: string[] = [root];
      state.set(root, 1);
      while (stack.length > 0) {
        const frame = stack[stack.length - 1]!;
        const kids = this.children.get(frame.id) ?? [];
        if (frame.next >= kids.length) {
          state.set(frame.id, 2);
          stack.pop();
          onPath.pop();
          continue;
        }
        const child = kids[frame.next++]!;
        const childState = state.get(child);
        if (childState === 1) {
          const cycle = onPath.slice(onPath.indexOf(child));
          const key = [...cycle].sort().join(',');
          if (!reported.has(key)) {
            reported.add(key);
            errors.push(this.cycleError(cycle));
          }
        } else if (childState === undefined) {
          state.set(child, 1);
          stack.push({ id: child, next: 0 });
          onPath.push(child);
        }
      }
    }
    return errors;
  }

  private cycleError(cycle: string[]): GraphError {
    // Start the chain at the alphabetically first node so the message is stable.
    const names = cycle.map((id) => this.nodes.get(id)!.name);
    const start = names.indexOf([...names].sort()[0]!);
    const ordered = [...cycle.slice(start), ...cycle.slice(0, start)];
    const first = this.nodes.get(ordered[0]!)!;
    const chain = [...ordered, ordered[0]!].map((id) => this.nodes.get(id)!.name).join(' → ');
    return new GraphError('cycle', `dependency cycle: ${chain}`, {
      file: first.file,
      line: first.line,
      node: first.name,
      hint: 'a model cannot depend on itself through its refs; move the shared logic into a model both can ref',
    });
  }
}
