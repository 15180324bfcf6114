// The lineage graph of one node: its neighbourhood up to N levels upstream and M downstream
// (dbt's `N+name+M`), at most CAP nodes, nearest levels first. Tests are left out (they are on the
// node's page), except the focus itself.
import { drawGraph, showGraph, type DrawEdge, type DrawNode } from './draw-graph.js';
import { h, plural } from './dom.js';
import type { Store } from './store.js';

export const CAP = 150;
const MAX_DEPTH = 20;

export interface Neighbourhood {
  readonly nodes: readonly number[];
  /** Nodes within the depths, drawn or not. */
  readonly total: number;
  readonly capped: boolean;
  /** How many levels upstream and downstream actually hold nodes. */
  readonly upLevels: number;
  readonly downLevels: number;
}

export function neighbourhood(store: Store, focus: number, up: number, down: number, cap = CAP): Neighbourhood {
  const testKind = store.index.kindNames.indexOf('test');
  const seen = new Set<number>([focus]);
  const walk = (depth: number, next: (n: number) => readonly number[]): number[][] => {
    const levels: number[][] = [];
    let frontier = [focus];
    for (let d = 0; d < depth && frontier.length > 0; d++) {
      const level: number[] = [];
      for (const n of frontier) {
        for (const m of next(n)) {
          if (seen.has(m) || store.index.kinds[m] === testKind) continue;
          seen.add(m);
          level.push(m);
        }
      }
      if (level.length > 0) levels.push(level);
      frontier = level;
    }
    return levels;
  };
  const upLevels = walk(up, (n) => store.parents(n));
  const downLevels = walk(down, (n) => store.children(n));
  const nodes = [focus];
  let capped = false;
  for (let d = 0; d < Math.max(upLevels.length, downLevels.length); d++) {
    for (const level of [upLevels[d], downLevels[d]]) {
      for (const n of level ?? []) {
        if (nodes.length >= cap) {
          capped = true;
          break;
        }
        nodes.push(n);
      }
    }
  }
  return { nodes, total: seen.size, capped, upLevels: upLevels.length, downLevels: downLevels.length };
}

/** The "Lineage" section of a node page, with its depth controls. */
export function nodeGraphSection(store: Store, focus: number, depth: { up: number; down: number }): HTMLElement {
  const canvas = h('div', { class: 'graph-canvas', tabindex: '-1' });
  const note = h('p', { class: 'graph-note', role: 'status' });
  const selector = h('code', { class: 'selector' });
  const upValue = h('span', { class: 'depth-value' });
  const downValue = h('span', { class: 'depth-value' });
  let fit = false;
  const fitButton = h('button', { type: 'button', class: 'small', 'aria-pressed': 'false', onClick: () => {
    fit = !fit;
    fitButton.setAttribute('aria-pressed', String(fit));
    canvas.classList.toggle('fit', fit);
  } }, 'Fit');
  const step = (which: 'up' | 'down', by: number) => () => {
    depth[which] = Math.max(0, Math.min(MAX_DEPTH, depth[which] + by));
    draw();
  };
  const control = (which: 'up' | 'down', label: string, value: HTMLElement) =>
    h(
      'span',
      { class: 'depth', role: 'group', 'aria-label': `${label} levels` },
      h('button', { type: 'button', class: 'small', 'aria-label': `Fewer ${label} levels`, onClick: step(which, -1) }, '−'),
      value,
      h('button', { type: 'button', class: 'small', 'aria-label': `More ${label} levels`, onClick: step(which, 1) }, '+'),
    );
  const draw = () => {
    const around = neighbourhood(store, focus, depth.up, depth.down);
    upValue.textContent = `${depth.up} up`;
    downValue.textContent = `${depth.down} down`;
    selector.textContent = `${depth.up ? `${depth.up}+` : ''}${store.name(focus)}${depth.down ? `+${depth.down}` : ''}`;
    const drawn = new Set(around.nodes);
    const nodes: DrawNode[] = around.nodes.map((n) => ({
      key: String(n),
      label: store.name(n),
      sublabel: store.group(n) ? `${store.kind(n)} · ${store.group(n)}` : store.kind(n),
      href: store.href(n),
      className: `kind-${store.kind(n)} status-${store.status(n) || 'none'}`,
      title: `${store.kind(n)} ${store.name(n)}${store.status(n) ? ` (last run: ${store.status(n)})` : ''}`,
    }));
    const edges: DrawEdge[] = [];
    for (const n of around.nodes) {
      for (const p of store.parents(n)) if (drawn.has(p)) edges.push({ from: String(p), to: String(n) });
    }
    const graph = drawGraph(nodes, edges, { focus: String(focus), label: `Lineage of ${store.name(focus)}`, markerId: 'node-arrow' });
    showGraph(canvas, graph);
    note.textContent = around.capped
      ? `Showing the nearest ${around.nodes.length} of ${around.total.toLocaleString('en')} nodes within these levels (capped at ${CAP}); lower the levels or open a neighbour to see the rest.`
      : around.nodes.length === 1
        ? 'No upstream or downstream nodes.'
        : `${plural(around.nodes.length, 'node')}.`;
  };
  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': 'lineage-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'lineage-title' }, 'Lineage'), h('div', { class: 'graph-toolbar' }, control('up', 'upstream', upValue), selector, control('down', 'downstream', downValue), fitButton)),
    canvas,
    note,
  );
  // Drawn once the section is in the document, so the canvas can scroll to the focus node.
  requestAnimationFrame(draw);
  return section;
}
