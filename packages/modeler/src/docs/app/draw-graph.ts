// Lays a small graph out with dagre and draws it as SVG. Every node is a link (<a href>), so a
// click or Enter opens its page. Callers pass only the nodes they want drawn: the site never lays
// out the whole project.
import { graphlib, layout } from '@dagrejs/dagre';
import { s } from './dom.js';

export interface DrawNode {
  readonly key: string;
  readonly label: string;
  /** A smaller second line (a column's model, a node's kind). */
  readonly sublabel?: string;
  readonly href?: string;
  readonly className?: string;
  /** Tooltip and accessible name. */
  readonly title: string;
}

export interface DrawEdge {
  readonly from: string;
  readonly to: string;
  readonly className?: string;
  readonly title?: string;
}

export interface DrawnGraph {
  readonly svg: SVGSVGElement;
  /** Where the focus node is, to scroll it into view. */
  readonly focus?: { x: number; y: number };
  readonly width: number;
  readonly height: number;
  readonly layoutMs: number;
}

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const SUBFONT = '10px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
let context: CanvasRenderingContext2D | null | undefined;

/** Text width in pixels for `font`, measured once per string by a canvas (a guess without one). */
export function textWidth(text: string, font = FONT): number {
  if (context === undefined) context = document.createElement('canvas').getContext('2d');
  if (!context) return text.length * 7;
  context.font = font;
  return context.measureText(text).width;
}

/** A smooth path through dagre's edge points. */
export function edgePath(points: readonly { x: number; y: number }[]): string {
  if (points.length === 0) return '';
  const [first, ...rest] = points;
  let d = `M${first!.x.toFixed(1)},${first!.y.toFixed(1)}`;
  if (rest.length === 1) return `${d}L${rest[0]!.x.toFixed(1)},${rest[0]!.y.toFixed(1)}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const p = rest[i]!;
    const q = rest[i + 1]!;
    d += `Q${p.x.toFixed(1)},${p.y.toFixed(1)} ${((p.x + q.x) / 2).toFixed(1)},${((p.y + q.y) / 2).toFixed(1)}`;
  }
  const last = rest[rest.length - 1]!;
  return `${d}L${last.x.toFixed(1)},${last.y.toFixed(1)}`;
}

export function arrowMarker(id: string): SVGDefsElement {
  return s(
    'defs',
    {},
    s('marker', { id, viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '8', markerHeight: '8', markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' }, s('path', { d: 'M0,0L10,5L0,10z', class: 'arrow-head' })),
  );
}

/** Lays out and draws `nodes` and `edges` left to right; `focus` is highlighted. */
export function drawGraph(nodes: readonly DrawNode[], edges: readonly DrawEdge[], options: { focus?: string; label: string; markerId: string }): DrawnGraph {
  const started = performance.now();
  const graph = new graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 14, ranksep: 56, marginx: 12, marginy: 12 });
  graph.setDefaultEdgeLabel(() => ({}));
  const height = (node: DrawNode) => (node.sublabel ? 38 : 28);
  for (const node of nodes) {
    const width = Math.ceil(Math.min(280, Math.max(textWidth(node.label), node.sublabel ? textWidth(node.sublabel, SUBFONT) : 0) + 24));
    graph.setNode(node.key, { width, height: height(node) });
  }
  for (const edge of edges) {
    if (graph.hasNode(edge.from) && graph.hasNode(edge.to) && edge.from !== edge.to) graph.setEdge(edge.from, edge.to, {});
  }
  layout(graph);
  const layoutMs = performance.now() - started;
  const size = graph.graph() as { width?: number; height?: number };
  const width = Math.ceil(size.width ?? 0);
  const totalHeight = Math.ceil(size.height ?? 0);

  const svg = s('svg', { class: 'graph', width, height: totalHeight, viewBox: `0 0 ${width} ${totalHeight}`, role: 'group', 'aria-label': options.label });
  svg.append(arrowMarker(options.markerId));
  const edgeLayer = s('g', { class: 'edges' });
  for (const edge of edges) {
    const placed = graph.edge(edge.from, edge.to) as { points?: { x: number; y: number }[] } | undefined;
    if (!placed?.points) continue;
    edgeLayer.append(s('path', { d: edgePath(placed.points), class: `edge ${edge.className ?? ''}`, 'marker-end': `url(#${options.markerId})` }, edge.title ? s('title', {}, edge.title) : null));
  }
  svg.append(edgeLayer);
  const nodeLayer = s('g', { class: 'nodes' });
  let focus: { x: number; y: number } | undefined;
  for (const node of nodes) {
    const placed = graph.node(node.key) as { x: number; y: number; width: number; height: number };
    const x = placed.x - placed.width / 2;
    const y = placed.y - placed.height / 2;
    if (node.key === options.focus) focus = { x: placed.x, y: placed.y };
    const body = [
      s('title', {}, node.title),
      s('rect', { x, y, width: placed.width, height: placed.height, rx: 6 }),
      node.sublabel ? s('text', { x: placed.x, y: y + 13, class: 'sublabel' }, clip(node.sublabel, placed.width - 16, SUBFONT)) : null,
      s('text', { x: placed.x, y: node.sublabel ? y + 29 : placed.y + 4, class: 'label' }, clip(node.label, placed.width - 16)),
    ];
    const className = `graph-node ${node.className ?? ''}${node.key === options.focus ? ' focus' : ''}`;
    nodeLayer.append(node.href ? s('a', { href: node.href, class: className, 'aria-label': node.title }, ...body) : s('g', { class: className }, ...body));
  }
  svg.append(nodeLayer);
  return { svg, focus, width, height: totalHeight, layoutMs };
}

function clip(text: string, max: number, font = FONT): string {
  if (textWidth(text, font) <= max) return text;
  let end = text.length;
  while (end > 1 && textWidth(`${text.slice(0, end)}…`, font) > max) end--;
  return `${text.slice(0, end)}…`;
}

/** Puts `drawn` into `canvas` and scrolls its focus node into the middle. */
export function showGraph(canvas: HTMLElement, drawn: DrawnGraph): void {
  canvas.replaceChildren(drawn.svg);
  if (drawn.focus) {
    canvas.scrollLeft = Math.max(0, drawn.focus.x - canvas.clientWidth / 2);
    canvas.scrollTop = Math.max(0, drawn.focus.y - canvas.clientHeight / 2);
  }
}
