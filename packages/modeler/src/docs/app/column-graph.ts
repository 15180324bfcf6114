// The column graph: a column's upstream columns, followed through every model's column lineage
// (loading their chunks as needed), at most CAP columns. Value inputs (direct, renamed,
// transformed, aggregated) are followed; filter and join inputs only when asked for.
import type { LineageKindName } from '../site-data.js';
import { drawGraph, showGraph, type DrawEdge, type DrawNode } from './draw-graph.js';
import { h, plural } from './dom.js';
import type { Store } from './store.js';

const CAP = 120;
const ROW_KINDS: ReadonlySet<LineageKindName> = new Set(['filter', 'join']);

interface ColumnKey {
  /** Node number, or -1 for a relation outside the project. */
  readonly node: number;
  readonly relation: string;
  readonly column: string;
}

const keyOf = (c: ColumnKey) => `${c.node < 0 ? c.relation : c.node}\u0000${c.column.toLowerCase()}`;

export interface ColumnGraph {
  readonly columns: readonly ColumnKey[];
  readonly edges: readonly { from: string; to: string; kind: LineageKindName }[];
  readonly unresolved: readonly { column: ColumnKey; reason: string }[];
  readonly capped: boolean;
  /** Filter and join inputs left out (when not asked for). */
  readonly rowInputs: number;
}

/** Walks upstream from `start`, level by level, loading each level's chunks together. */
export async function upstreamColumns(store: Store, start: ColumnKey, withRows: boolean, cap = CAP): Promise<ColumnGraph> {
  const columns: ColumnKey[] = [start];
  const seen = new Set([keyOf(start)]);
  const edges: { from: string; to: string; kind: LineageKindName }[] = [];
  const unresolved: { column: ColumnKey; reason: string }[] = [];
  let capped = false;
  let rowInputs = 0;
  let frontier = [start];
  while (frontier.length > 0) {
    const inProject = frontier.filter((c) => c.node >= 0);
    const details = await Promise.all(inProject.map((c) => store.detail(c.node)));
    const next: ColumnKey[] = [];
    inProject.forEach((column, i) => {
      const row = details[i]!.lineage?.columns.find((c) => c.column.toLowerCase() === column.column.toLowerCase());
      if (!row) return;
      if (row.unresolved) unresolved.push({ column, reason: row.unresolved });
      for (const edge of row.edges) {
        if (!withRows && ROW_KINDS.has(edge.kind)) {
          rowInputs++;
          continue;
        }
        const upstream: ColumnKey = { node: edge.node, relation: edge.relation, column: edge.column };
        const key = keyOf(upstream);
        if (!seen.has(key)) {
          if (columns.length >= cap) {
            capped = true;
            continue;
          }
          seen.add(key);
          columns.push(upstream);
          next.push(upstream);
        }
        edges.push({ from: key, to: keyOf(column), kind: edge.kind });
      }
    });
    frontier = next;
  }
  return { columns, edges, unresolved, capped, rowInputs };
}

/** The "Column lineage" section for one column of `focus`. */
export function columnGraphSection(store: Store, focus: number, column: string): HTMLElement {
  const canvas = h('div', { class: 'graph-canvas column-canvas', tabindex: '-1' });
  const note = h('p', { class: 'graph-note', role: 'status' }, 'Loading…');
  const problems = h('ul', { class: 'unresolved-list' });
  const rows = h('input', { type: 'checkbox', id: 'with-rows', onChange: () => void draw() });
  let drawing = 0;
  const draw = async () => {
    const mine = ++drawing;
    const graph = await upstreamColumns(store, { node: focus, relation: '', column }, rows.checked);
    if (mine !== drawing) return;
    const nodes: DrawNode[] = graph.columns.map((c) => ({
      key: keyOf(c),
      label: c.column,
      sublabel: c.node >= 0 ? `${store.kind(c.node)} · ${store.name(c.node)}` : `${c.relation} (not in the project)`,
      href: c.node >= 0 ? store.href(c.node, c.column) : undefined,
      className: c.node >= 0 ? `kind-${store.kind(c.node)}` : 'kind-external',
      title: c.node >= 0 ? `${store.name(c.node)}.${c.column}` : `${c.relation}.${c.column}`,
    }));
    const edges: DrawEdge[] = graph.edges.map((e) => ({ from: e.from, to: e.to, className: `lineage-${e.kind}`, title: e.kind }));
    const drawn = drawGraph(nodes, edges, { focus: keyOf({ node: focus, relation: '', column }), label: `Upstream columns of ${store.name(focus)}.${column}`, markerId: 'column-arrow' });
    showGraph(canvas, drawn);
    note.textContent =
      graph.columns.length === 1
        ? store.index.has.lineage
          ? graph.rowInputs > 0
            ? `No column feeds this value directly (a constant or count(*)); ${plural(graph.rowInputs, 'filter or join input')} decide its rows: tick “include filter and join inputs” to see them.`
            : 'No upstream columns recorded for this column.'
          : 'No column lineage in this site: generate it with `model docs generate` (lineage needs the project to compile).'
        : `${plural(graph.columns.length - 1, 'upstream column')}${graph.capped ? ` (capped at ${CAP}; open an upstream column to go further)` : ''}.`;
    problems.replaceChildren(
      ...graph.unresolved.map((u) => h('li', { class: 'unresolved' }, `${u.column.node >= 0 ? store.name(u.column.node) : u.column.relation}.${u.column.column} — unresolved: ${u.reason}`)),
    );
  };
  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': 'Edge kinds' },
    ...(['direct', 'renamed', 'transformed', 'aggregated', 'filter', 'join'] as const).map((kind) => h('li', {}, h('span', { class: `legend-line lineage-${kind}`, 'aria-hidden': 'true' }), kind)),
  );
  const section = h(
    'section',
    { class: 'card', id: 'column-lineage', 'aria-labelledby': 'column-lineage-title' },
    h(
      'div',
      { class: 'card-head' },
      h('h2', { id: 'column-lineage-title' }, 'Column lineage: ', h('code', {}, column)),
      h('div', { class: 'graph-toolbar' }, h('label', { class: 'check' }, rows, ' include filter and join inputs'), h('a', { href: store.href(focus), class: 'small-link' }, 'close')),
    ),
    canvas,
    note,
    problems,
    legend,
  );
  requestAnimationFrame(() => {
    draw().catch((error: Error) => {
      note.textContent = error.message;
    });
  });
  return section;
}
