// The ER diagram: tables (marts by default) with their columns, and the relationships declared as
// `relationships` tests, laid out by dagre and drawn as SVG; the same diagram as Mermaid text.
import { graphlib, layout } from '@dagrejs/dagre';
import type { ErdRelationship } from '../site-data.js';
import { h, plural, s } from './dom.js';
import { textWidth } from './draw-graph.js';
import type { Store } from './store.js';

const CAP = 120;
const MAX_COLUMNS = 24;
const HEAD = 30;
const ROW = 20;
const NAME_FONT = 'bold 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const ROW_FONT = '12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace';

type Scope = 'marts' | 'all';

interface ErdEntity {
  readonly node: number;
  readonly columns: readonly { readonly name: string; readonly type: string }[];
}

interface Box {
  readonly entity: ErdEntity;
  readonly rows: readonly { name: string; type: string; mark: string }[];
  readonly more: number;
  readonly width: number;
  readonly height: number;
}

export async function erdPage(store: Store, scope: Scope | undefined): Promise<HTMLElement> {
  const { marts, relationships } = store.index.erd;
  const hasMarts = marts.length > 0;
  const chosen: Scope = scope ?? (hasMarts ? 'marts' : 'all');
  const page = h('article', { class: 'page', 'aria-labelledby': 'page-title' });
  page.append(
    h(
      'header',
      { class: 'page-head' },
      h('h1', { id: 'page-title' }, 'ER diagram'),
      h('p', { class: 'page-sub' }, 'Tables and the relationships declared as ', h('code', {}, 'relationships'), ' tests (a foreign key column → the referenced column).'),
      h(
        'div',
        { class: 'filters', role: 'group', 'aria-label': 'Which tables' },
        hasMarts ? h('a', { href: '#!/erd?scope=marts', class: 'filter', 'aria-current': chosen === 'marts' ? 'page' : undefined }, 'Marts') : null,
        h('a', { href: '#!/erd?scope=all', class: 'filter', 'aria-current': chosen === 'all' ? 'page' : undefined }, hasMarts ? 'Marts and every related table' : 'Every related table'),
      ),
    ),
  );
  let tables = chosen === 'marts' ? [...marts] : [...new Set([...marts, ...relationships.flatMap((r) => [r.from, r.to])])].sort((a, b) => a - b);
  if (tables.length === 0) {
    page.append(h('section', { class: 'card' }, h('p', {}, 'No relationships declared yet. Add a test like this to a model’s column in a property file:'), h('pre', { class: 'sql' }, "tests:\n  - relationships: {to: \"ref('dim_users')\", field: user_id}")));
    return page;
  }
  const capped = tables.length > CAP;
  if (capped) {
    // Keep the tables with the most relationships.
    const degree = new Map<number, number>();
    for (const r of relationships) for (const n of [r.from, r.to]) degree.set(n, (degree.get(n) ?? 0) + 1);
    tables = [...tables].sort((a, b) => (degree.get(b) ?? 0) - (degree.get(a) ?? 0) || a - b).slice(0, CAP);
  }
  const details = await Promise.all(tables.map((n) => store.detail(n)));
  const shown: ErdEntity[] = tables.map((node, i) => ({ node, columns: details[i]!.columns.map((c) => ({ name: c.name, type: c.type })) }));
  const nodes = new Set(shown.map((e) => e.node));
  const edges = relationships.filter((r) => nodes.has(r.from) && nodes.has(r.to));
  const svgCard = h('div', { class: 'graph-canvas erd-canvas', tabindex: '0', 'aria-label': 'ER diagram' });
  svgCard.append(drawErd(store, shown, edges));
  page.append(
    h(
      'section',
      { class: 'card', 'aria-label': 'Diagram' },
      svgCard,
      h('p', { class: 'graph-note', role: 'status' }, `${plural(shown.length, 'table')}, ${plural(edges.length, 'relationship')}${capped ? ` (capped at ${CAP} tables: those with the most relationships)` : ''}.`),
    ),
  );
  page.append(
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'rel-title' },
      h('h2', { id: 'rel-title' }, 'Relationships'),
      edges.length === 0
        ? h('p', { class: 'muted' }, 'None among these tables.')
        : h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              {},
              h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'From (many)'), h('th', { scope: 'col' }, 'To (one)'), h('th', { scope: 'col' }, 'Test'))),
              h(
                'tbody',
                {},
                ...edges.map((r) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, h('a', { href: store.href(r.from, r.fromColumn) }, `${store.name(r.from)}.${r.fromColumn}`)),
                    h('td', {}, h('a', { href: store.href(r.to, r.toColumn) }, `${store.name(r.to)}.${r.toColumn}`)),
                    h('td', {}, h('a', { href: store.href(r.test), class: `badge status status-${store.status(r.test) || 'none'}` }, store.status(r.test) || 'not run')),
                  ),
                ),
              ),
            ),
          ),
    ),
  );
  page.append(h('section', { class: 'card' }, h('details', {}, h('summary', {}, 'Mermaid'), h('pre', { class: 'sql', tabindex: '0' }, mermaid(store, shown, edges)))));
  return page;
}

function boxOf(store: Store, entity: ErdEntity, edges: readonly ErdRelationship[]): Box {
  const keys = new Map<string, string>();
  for (const r of edges) {
    if (r.to === entity.node) keys.set(r.toColumn.toLowerCase(), 'PK');
    if (r.from === entity.node && !keys.has(r.fromColumn.toLowerCase())) keys.set(r.fromColumn.toLowerCase(), 'FK');
  }
  let columns = entity.columns.map((c) => ({ name: c.name, type: c.type, mark: keys.get(c.name.toLowerCase()) ?? '' }));
  for (const [key, mark] of keys) if (!columns.some((c) => c.name.toLowerCase() === key)) columns.push({ name: key, type: '', mark });
  let more = 0;
  if (columns.length > MAX_COLUMNS) {
    const keep = new Set(columns.filter((c) => c.mark).slice(0, MAX_COLUMNS));
    for (const c of columns) if (keep.size < MAX_COLUMNS) keep.add(c);
    more = columns.length - keep.size;
    columns = columns.filter((c) => keep.has(c));
  }
  const widest = Math.max(textWidth(store.name(entity.node), NAME_FONT) + 20, ...columns.map((c) => textWidth(`${c.mark ? 'PK ' : ''}${c.name}`, ROW_FONT) + textWidth(c.type, ROW_FONT) + 40));
  return { entity, rows: columns, more, width: Math.ceil(Math.min(420, Math.max(140, widest))), height: HEAD + ROW * (columns.length + (more ? 1 : 0)) + 6 };
}

function drawErd(store: Store, entities: readonly ErdEntity[], edges: readonly ErdRelationship[]): SVGSVGElement {
  const boxes = new Map(entities.map((e) => [e.node, boxOf(store, e, edges)]));
  // Related tables are laid out by dagre; tables without relationships go in rows below them
  // (dagre would stack them in one tall column).
  const related = new Set(edges.flatMap((r) => [r.from, r.to]));
  const graph = new graphlib.Graph();
  graph.setGraph({ rankdir: 'LR', nodesep: 28, ranksep: 90, marginx: 16, marginy: 16 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const [n, box] of boxes) if (related.has(n)) graph.setNode(String(n), { width: box.width, height: box.height });
  for (const r of edges) if (r.from !== r.to) graph.setEdge(String(r.from), String(r.to), {});
  layout(graph);
  const size = graph.graph() as { width?: number; height?: number };
  let width = related.size > 0 ? Math.ceil(size.width ?? 0) : 16;
  let height = related.size > 0 ? Math.ceil(size.height ?? 0) : 16;
  const rowWidth = Math.max(width, 1100);
  let x = 16;
  let y = height + (related.size > 0 ? 24 : 0);
  let rowHeight = 0;
  for (const [n, box] of boxes) {
    if (related.has(n)) continue;
    if (x > 16 && x + box.width > rowWidth) {
      x = 16;
      y += rowHeight + 28;
      rowHeight = 0;
    }
    graph.setNode(String(n), { x: x + box.width / 2, y: y + box.height / 2, width: box.width, height: box.height });
    x += box.width + 28;
    rowHeight = Math.max(rowHeight, box.height);
    width = Math.max(width, x);
    height = Math.max(height, y + rowHeight + 16);
  }
  const svg = s('svg', { class: 'graph erd', width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'Tables and relationships' });
  svg.append(
    s(
      'defs',
      {},
      s('marker', { id: 'erd-many', viewBox: '0 0 12 12', refX: '12', refY: '6', markerWidth: '12', markerHeight: '12', orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' }, s('path', { d: 'M0,6L12,0M0,6L12,6M0,6L12,12', class: 'erd-mark' })),
      s('marker', { id: 'erd-one', viewBox: '0 0 12 12', refX: '12', refY: '6', markerWidth: '12', markerHeight: '12', orient: 'auto', markerUnits: 'userSpaceOnUse' }, s('path', { d: 'M5,0L5,12M8,0L8,12M0,6L12,6', class: 'erd-mark' })),
    ),
  );
  const at = (n: number) => {
    const placed = graph.node(String(n)) as { x: number; y: number; width: number; height: number };
    return { left: placed.x - placed.width / 2, top: placed.y - placed.height / 2, right: placed.x + placed.width / 2, x: placed.x };
  };
  const rowY = (n: number, column: string) => {
    const box = boxes.get(n)!;
    const i = box.rows.findIndex((r) => r.name.toLowerCase() === column.toLowerCase());
    return at(n).top + HEAD + ROW * Math.max(0, i) + ROW / 2;
  };
  const lines = s('g', { class: 'edges' });
  for (const r of edges) {
    const from = at(r.from);
    const to = at(r.to);
    const y1 = rowY(r.from, r.fromColumn);
    const y2 = rowY(r.to, r.toColumn);
    let d: string;
    if (r.from === r.to) {
      d = `M${from.right},${y1}C${from.right + 50},${y1} ${from.right + 50},${y2} ${from.right},${y2}`;
    } else {
      const rightwards = to.x >= from.x;
      const x1 = rightwards ? from.right : from.left;
      const x2 = rightwards ? to.left : to.right;
      const bend = Math.max(40, Math.abs(x2 - x1) / 2) * (rightwards ? 1 : -1);
      d = `M${x1},${y1}C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
    }
    lines.append(s('path', { d, class: 'edge erd-edge', 'marker-start': 'url(#erd-many)', 'marker-end': 'url(#erd-one)' }, s('title', {}, `${store.name(r.from)}.${r.fromColumn} → ${store.name(r.to)}.${r.toColumn}`)));
  }
  const tables = s('g', { class: 'nodes' });
  for (const [n, box] of boxes) {
    const { left, top } = at(n);
    const group = s(
      'a',
      { href: store.href(n), class: `erd-table kind-${store.kind(n)}`, 'aria-label': `${store.kind(n)} ${store.name(n)}` },
      s('title', {}, `${store.name(n)} (${box.rows.length + box.more} columns)`),
      s('rect', { x: left, y: top, width: box.width, height: box.height, rx: 6, class: 'erd-body' }),
      s('path', { d: `M${left},${top + 6}a6,6 0 0 1 6,-6h${box.width - 12}a6,6 0 0 1 6,6v${HEAD - 6}h${-box.width}z`, class: 'erd-head' }),
      s('text', { x: left + 10, y: top + 19, class: 'erd-name' }, store.name(n)),
    );
    box.rows.forEach((row, i) => {
      const y = top + HEAD + ROW * i + 14;
      group.append(
        s('text', { x: left + 10, y, class: `erd-column${row.mark ? ' key' : ''}` }, row.mark ? s('tspan', { class: 'erd-key' }, `${row.mark} `) : null, row.name),
        s('text', { x: left + box.width - 10, y, class: 'erd-type' }, row.type),
      );
    });
    if (box.more) group.append(s('text', { x: left + 10, y: top + HEAD + ROW * box.rows.length + 14, class: 'erd-more' }, `+${box.more} more`));
    tables.append(group);
  }
  svg.append(lines, tables);
  return svg;
}

function mermaid(store: Store, entities: readonly ErdEntity[], edges: readonly ErdRelationship[]): string {
  const ident = (text: string) => text.replace(/[^A-Za-z0-9_]+/g, '_') || '_';
  const lines = ['erDiagram'];
  for (const r of edges) lines.push(`  ${ident(store.name(r.to))} ||--o{ ${ident(store.name(r.from))} : "${r.fromColumn.replace(/"/g, "'")}"`);
  for (const entity of entities) {
    lines.push(`  ${ident(store.name(entity.node))} {`);
    for (const column of entity.columns) lines.push(`    ${ident(column.type || 'unknown')} ${ident(column.name)}`);
    lines.push('  }');
  }
  return lines.join('\n');
}
