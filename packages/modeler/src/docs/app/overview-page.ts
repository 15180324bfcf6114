// The front page: what is in the project, what the site was made from, and what needs attention.
import { h, plural } from './dom.js';
import type { Store } from './store.js';

const ATTENTION = new Set(['fail', 'error', 'warn', 'skipped']);
const LIMIT = 50;

export function overviewPage(store: Store): HTMLElement {
  const { index } = store;
  const counts = new Map<string, number>();
  for (const k of index.kinds) counts.set(index.kindNames[k]!, (counts.get(index.kindNames[k]!) ?? 0) + 1);
  const attention: number[] = [];
  let attentionTotal = 0;
  for (const [key, status] of Object.entries(index.statuses)) {
    if (!ATTENTION.has(status)) continue;
    attentionTotal++;
    if (attention.length < LIMIT) attention.push(Number(key));
  }
  const exposureKind = index.kindNames.indexOf('exposure');
  const exposures: number[] = [];
  index.kinds.forEach((k, n) => {
    if (k === exposureKind) exposures.push(n);
  });
  const notes = [
    index.has.catalog ? null : 'Column types are the declared ones: the site was generated without a database catalog (`--empty-catalog`, or nothing built yet).',
    index.has.runResults ? null : 'No test results: there was no target/run_results.json (run `model build` first).',
    index.has.lineage ? null : 'No column lineage was computed for this site.',
  ].filter((note): note is string => note !== null);
  return h(
    'article',
    { class: 'page', 'aria-labelledby': 'page-title' },
    h('header', { class: 'page-head' }, h('h1', { id: 'page-title' }, index.project), h('p', { class: 'page-sub' }, `Generated ${new Date(index.generatedAt).toLocaleString('en')}. Press `, h('kbd', {}, '/'), ' to search.')),
    h(
      'ul',
      { class: 'stats' },
      ...index.kindNames.filter((k) => counts.has(k)).map((k) => h('li', { class: 'stat' }, h('span', { class: 'stat-value' }, (counts.get(k) ?? 0).toLocaleString('en')), h('span', { class: 'stat-label' }, `${k}s`))),
    ),
    notes.length > 0 ? h('section', { class: 'card notes' }, h('ul', {}, ...notes.map((note) => h('li', {}, note)))) : null,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'attention-title' },
      h('h2', { id: 'attention-title' }, 'Needs attention'),
      attention.length === 0
        ? h('p', { class: 'muted' }, index.has.runResults ? 'Everything in the last run passed.' : 'Nothing run yet.')
        : h(
            'ul',
            { class: 'link-list' },
            ...attention.map((n) => h('li', {}, h('span', { class: `badge status status-${store.status(n)}` }, store.status(n)), ' ', h('a', { href: store.href(n) }, store.name(n)), h('span', { class: 'muted' }, ` ${store.kind(n)}`))),
            attentionTotal > attention.length ? h('li', { class: 'muted' }, `and ${plural(attentionTotal - attention.length, 'more')}`) : null,
          ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'exposures-title' },
      h('h2', { id: 'exposures-title' }, 'Exposures'),
      exposures.length === 0
        ? h('p', { class: 'muted' }, 'No exposures declared.')
        : h('ul', { class: 'link-list' }, ...exposures.slice(0, LIMIT).map((n) => h('li', {}, h('a', { href: store.href(n) }, store.name(n)), h('span', { class: 'muted' }, ` ${store.group(n)}`)))),
    ),
    h('section', { class: 'card' }, h('h2', {}, 'Relationships'), h('p', {}, h('a', { href: '#!/erd' }, 'ER diagram'), ` of ${plural(index.erd.marts.length, 'mart')} and ${plural(index.erd.relationships.length, 'declared relationship')}.`)),
  );
}
