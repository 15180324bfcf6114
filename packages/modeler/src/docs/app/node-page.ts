// A node's page: what it is, its lineage graph, columns with their types, tests and column
// lineage, the column graph of a chosen column, its neighbours and its SQL.
import type { ColumnLineageRow, NodeDetail } from '../site-data.js';
import { columnGraphSection } from './column-graph.js';
import { h, plural } from './dom.js';
import { nodeGraphSection } from './node-graph.js';
import type { Store } from './store.js';

export interface PageState {
  /** Graph depths, kept while moving from page to page. */
  readonly depth: { up: number; down: number };
}

export async function nodePage(store: Store, n: number, column: string | undefined, state: PageState): Promise<HTMLElement> {
  const detail = await store.detail(n);
  const kind = store.kind(n);
  const page = h('article', { class: 'page node-page', 'aria-labelledby': 'page-title' });
  page.append(header(store, n, detail));
  if (detail.description) page.append(h('p', { class: 'description' }, detail.description));
  else if (kind !== 'test') page.append(h('p', { class: 'description muted' }, 'No description.'));
  if (detail.facts.length > 0 || detail.url) {
    page.append(
      h(
        'dl',
        { class: 'facts' },
        ...detail.facts.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]),
        ...(detail.url ? [h('dt', {}, 'url'), h('dd', {}, h('a', { href: detail.url, rel: 'noopener noreferrer', target: '_blank' }, detail.url))] : []),
      ),
    );
  }
  page.append(nodeGraphSection(store, n, state.depth));
  if (detail.columns.length > 0 || detail.lineage) page.append(columnsSection(store, n, detail, column));
  if (column !== undefined) {
    const known = detail.columns.some((c) => c.name.toLowerCase() === column.toLowerCase()) || detail.lineage?.columns.some((c) => c.column.toLowerCase() === column.toLowerCase());
    page.append(
      known
        ? columnGraphSection(store, n, column)
        : h('section', { class: 'card', id: 'column-lineage' }, h('p', {}, `${store.name(n)} has no column named “${column}”. `, h('a', { href: store.href(n) }, 'Back to the model'))),
    );
  }
  if (detail.tests.length > 0) page.append(testsSection(store, detail));
  page.append(neighboursSection(store, n));
  if (kind === 'model' || kind === 'snapshot' || kind === 'test') page.append(sqlSection(store, n));
  return page;
}

function header(store: Store, n: number, detail: NodeDetail): HTMLElement {
  const kind = store.kind(n);
  const badges = [
    h('span', { class: `badge kind-${kind}` }, kind),
    detail.materialized ? h('span', { class: 'badge' }, detail.materialized) : null,
    detail.catalog?.type ? h('span', { class: 'badge' }, detail.catalog.type.toLowerCase()) : null,
    detail.catalog?.rows !== null && detail.catalog?.rows !== undefined ? h('span', { class: 'badge' }, `≈ ${plural(detail.catalog.rows, 'row')}`) : null,
    detail.run ? h('span', { class: `badge status status-${detail.run.status}`, title: detail.run.message ?? '' }, `last run: ${detail.run.status}${detail.run.seconds !== null ? ` in ${detail.run.seconds.toFixed(2)}s` : ''}${detail.run.failures ? ` · ${plural(detail.run.failures, 'failing row')}` : ''}`) : null,
    ...detail.tags.map((tag) => h('span', { class: 'badge tag' }, `#${tag}`)),
  ];
  return h(
    'header',
    { class: 'page-head' },
    h('h1', { id: 'page-title' }, store.name(n)),
    h('div', { class: 'badges' }, ...badges),
    h('p', { class: 'page-sub' }, detail.relation ? h('code', {}, detail.relation) : null, detail.relation && detail.path ? ' · ' : null, detail.path ? h('span', { class: 'path' }, detail.path) : null, ' · ', h('code', { class: 'muted' }, store.id(n))),
    detail.run?.message && detail.run.status !== 'success' && detail.run.status !== 'pass' ? h('p', { class: `run-message status-${detail.run.status}` }, detail.run.message) : null,
  );
}

function columnsSection(store: Store, n: number, detail: NodeDetail, selected: string | undefined): HTMLElement {
  const lineage = new Map<string, ColumnLineageRow>();
  for (const row of detail.lineage?.columns ?? []) lineage.set(row.column.toLowerCase(), row);
  const testsByColumn = new Map<string, typeof detail.tests[number][]>();
  for (const test of detail.tests) {
    if (test.column === null) continue;
    const key = test.column.toLowerCase();
    testsByColumn.set(key, [...(testsByColumn.get(key) ?? []), test]);
  }
  const isModel = store.kind(n) === 'model' || store.kind(n) === 'snapshot';
  const rows = detail.columns.map((column) => {
    const key = column.name.toLowerCase();
    const mine = lineage.get(key);
    const upstream = isModel ? upstreamCell(store, mine, !!detail.lineage) : null;
    return h(
      'tr',
      { class: selected?.toLowerCase() === key ? 'selected' : undefined, id: `col-${key}` },
      h('th', { scope: 'row' }, isModel ? h('a', { href: store.href(n, column.name), title: `Column lineage of ${column.name}` }, column.name) : column.name),
      h('td', {}, column.type ? h('code', { class: column.typeFrom === 'declared' ? 'declared' : undefined, title: column.typeFrom === 'declared' ? 'declared in a property file (not built yet)' : 'from the database catalog' }, column.type) : h('span', { class: 'muted' }, '—')),
      h('td', {}, column.description || null),
      h('td', {}, ...(testsByColumn.get(key) ?? []).map((t) => h('a', { href: store.href(t.test), class: `badge status status-${t.status || 'none'}`, title: `${store.name(t.test)}${t.status ? `: ${t.status}` : ''}` }, t.type))),
      isModel ? h('td', { class: 'upstream-cell' }, upstream) : null,
    );
  });
  const warnings = detail.lineage?.warnings ?? [];
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'columns-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'columns-title' }, 'Columns'), h('span', { class: 'muted' }, store.index.has.catalog ? 'types from the database catalog where built' : 'declared types (no catalog: the site was generated without a database)')),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'columns' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Column'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Description'), h('th', { scope: 'col' }, 'Tests'), isModel ? h('th', { scope: 'col' }, 'Upstream columns') : null)),
        h('tbody', {}, ...rows),
      ),
    ),
    warnings.length > 0 ? h('ul', { class: 'unresolved-list' }, ...warnings.map((w) => h('li', { class: 'unresolved' }, w))) : null,
  );
}

function upstreamCell(store: Store, row: ColumnLineageRow | undefined, hasLineage: boolean): HTMLElement {
  if (!row) return h('span', { class: 'muted' }, hasLineage ? 'not in the lineage' : store.index.has.lineage ? 'no lineage for this model' : '—');
  const list = h(
    'ul',
    { class: 'upstream' },
    ...row.edges.map((edge) =>
      h(
        'li',
        { class: edge.kind === 'filter' || edge.kind === 'join' ? 'row-input' : undefined },
        h('span', { class: `lineage-kind lineage-${edge.kind}` }, edge.kind),
        ' ',
        edge.node >= 0 ? h('a', { href: store.href(edge.node, edge.column) }, `${store.name(edge.node)}.${edge.column}`) : h('span', { title: 'not a node of this project' }, `${edge.relation}.${edge.column}`),
      ),
    ),
  );
  if (row.unresolved) list.append(h('li', { class: 'unresolved' }, `unresolved: ${row.unresolved}`));
  if (row.edges.length === 0 && !row.unresolved) list.append(h('li', { class: 'muted' }, 'no upstream column (a constant or an expression without columns)'));
  return list;
}

function testsSection(store: Store, detail: NodeDetail): HTMLElement {
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'tests-title' },
    h('div', { class: 'card-head' }, h('h2', { id: 'tests-title' }, 'Tests'), h('span', { class: 'muted' }, store.index.has.runResults ? 'last results from run_results.json' : 'not run yet (no run_results.json)')),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Test'), h('th', { scope: 'col' }, 'Column'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Severity'), h('th', { scope: 'col' }, 'Last result'))),
        h(
          'tbody',
          {},
          ...detail.tests.map((t) =>
            h(
              'tr',
              {},
              h('th', { scope: 'row' }, h('a', { href: store.href(t.test) }, store.name(t.test))),
              h('td', {}, t.column ?? h('span', { class: 'muted' }, '—')),
              h('td', {}, t.type),
              h('td', {}, t.severity),
              h('td', {}, t.status ? h('span', { class: `badge status status-${t.status}` }, `${t.status}${t.failures ? ` (${plural(t.failures, 'row')})` : ''}`) : h('span', { class: 'muted' }, 'not run')),
            ),
          ),
        ),
      ),
    ),
  );
}

function neighboursSection(store: Store, n: number): HTMLElement {
  const testKind = store.index.kindNames.indexOf('test');
  const list = (nodes: readonly number[], empty: string) => {
    const shown = nodes.filter((m) => store.index.kinds[m] !== testKind);
    if (shown.length === 0) return h('p', { class: 'muted' }, empty);
    return h('ul', { class: 'link-list' }, ...shown.map((m) => h('li', {}, h('a', { href: store.href(m) }, h('span', { class: `kind-dot kind-${store.kind(m)}`, 'aria-hidden': 'true' }), store.name(m)), h('span', { class: 'muted' }, ` ${store.kind(m)}`))));
  };
  return h(
    'section',
    { class: 'card two-columns', 'aria-label': 'Neighbours' },
    h('div', {}, h('h2', {}, 'Upstream'), list(store.parents(n), 'Nothing upstream.')),
    h('div', {}, h('h2', {}, 'Downstream'), list(store.children(n), 'Nothing downstream.')),
  );
}

function sqlSection(store: Store, n: number): HTMLElement {
  const compiled = h('pre', { class: 'sql', tabindex: '0', 'aria-label': 'Compiled SQL' }, 'Loading…');
  const raw = h('pre', { class: 'sql', tabindex: '0', 'aria-label': 'Template' }, 'Loading…');
  store
    .sql(n)
    .then((sql) => {
      compiled.textContent = sql.compiled || '(none)';
      raw.textContent = sql.raw || '(none)';
    })
    .catch((error: Error) => {
      compiled.textContent = error.message;
      raw.textContent = error.message;
    });
  return h(
    'section',
    { class: 'card', 'aria-labelledby': 'sql-title' },
    h('h2', { id: 'sql-title' }, 'SQL'),
    h('details', { open: true }, h('summary', {}, 'Compiled'), compiled),
    h('details', {}, h('summary', {}, 'Template (raw)'), raw),
  );
}
