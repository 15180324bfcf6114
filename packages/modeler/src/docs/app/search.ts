// The sidebar: a search box, kind filters and the list of matching nodes. Search scans the
// prebuilt lower-case index once per keystroke (a few milliseconds at 30,000 nodes) and shows at
// most LIMIT results, best first: exact name, name prefix, name contains, then other matches.
import type { NodeKind } from '../site-data.js';
import { h, plural } from './dom.js';
import type { Store } from './store.js';

const LIMIT = 100;
const FILTERS: readonly { kind: NodeKind | 'all'; label: string }[] = [
  { kind: 'all', label: 'All' },
  { kind: 'model', label: 'Models' },
  { kind: 'source', label: 'Sources' },
  { kind: 'seed', label: 'Seeds' },
  { kind: 'snapshot', label: 'Snapshots' },
  { kind: 'exposure', label: 'Exposures' },
  { kind: 'test', label: 'Tests' },
];

export interface SearchResult {
  readonly nodes: readonly number[];
  readonly total: number;
}

/** Nodes whose index text holds every word of `query`, ranked, at most `limit` of them. */
export function search(store: Store, query: string, kind: NodeKind | 'all', limit = LIMIT): SearchResult {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const phrase = words.join(' ');
  const kindNumber = kind === 'all' ? -1 : store.index.kindNames.indexOf(kind);
  // The first render lists nodes without a query: no need to build the search text for it.
  const texts = words.length > 0 ? store.searchText() : [];
  const { names, kinds } = store.index;
  const buckets: number[][] = [[], [], [], []];
  let total = 0;
  for (let i = 0; i < names.length; i++) {
    if (kindNumber >= 0 && kinds[i] !== kindNumber) continue;
    const text = words.length > 0 ? texts[i]! : '';
    let all = true;
    for (const word of words) {
      if (text.indexOf(word) < 0) {
        all = false;
        break;
      }
    }
    if (!all) continue;
    total++;
    let rank = 3;
    if (phrase) {
      const name = names[i]!.toLowerCase();
      rank = name === phrase ? 0 : name.startsWith(phrase) ? 1 : name.includes(phrase) ? 2 : 3;
    }
    const bucket = buckets[rank]!;
    if (bucket.length < limit) bucket.push(i);
  }
  return { nodes: buckets.flat().slice(0, limit), total };
}

export class Sidebar {
  readonly element: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly list: HTMLUListElement;
  private readonly count: HTMLElement;
  private readonly filterButtons = new Map<string, HTMLButtonElement>();
  private kind: NodeKind | 'all' = 'all';
  private scheduled = false;
  private current: string | undefined;

  constructor(private readonly store: Store) {
    const counts = new Map<string, number>();
    for (const k of store.index.kinds) counts.set(store.index.kindNames[k]!, (counts.get(store.index.kindNames[k]!) ?? 0) + 1);
    this.input = h('input', {
      id: 'search',
      type: 'search',
      autocomplete: 'off',
      spellcheck: 'false',
      placeholder: 'Search models, sources, tests…',
      'aria-controls': 'node-list',
      'aria-describedby': 'result-count',
      onInput: () => this.schedule(),
      onKeydown: (event) => this.onInputKey(event as KeyboardEvent),
    });
    const filters = h('div', { class: 'filters', role: 'group', 'aria-label': 'Show only' });
    for (const filter of FILTERS) {
      const n = filter.kind === 'all' ? store.size : (counts.get(filter.kind) ?? 0);
      if (filter.kind !== 'all' && n === 0) continue;
      const button = h('button', { type: 'button', class: 'filter', 'aria-pressed': String(filter.kind === 'all'), onClick: () => this.setKind(filter.kind) }, filter.label, ' ', h('span', { class: 'filter-count' }, n.toLocaleString('en')));
      this.filterButtons.set(filter.kind, button);
      filters.append(button);
    }
    this.count = h('p', { id: 'result-count', class: 'result-count', 'aria-live': 'polite' });
    this.list = h('ul', { id: 'node-list', class: 'node-list', 'aria-label': 'Nodes', onKeydown: (event) => this.onListKey(event as KeyboardEvent) });
    this.element = h(
      'nav',
      { class: 'sidebar', 'aria-label': 'Project' },
      h('div', { class: 'brand' }, h('a', { href: '#!/overview', class: 'brand-link' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '◆'), ' ', store.index.project), h('span', { class: 'brand-sub' }, 'Reel docs')),
      h('ul', { class: 'site-links' }, h('li', {}, h('a', { href: '#!/overview' }, 'Overview')), h('li', {}, h('a', { href: '#!/erd' }, 'ER diagram'))),
      h('label', { for: 'search', class: 'search-label' }, 'Search ', h('kbd', {}, '/')),
      this.input,
      filters,
      this.count,
      this.list,
    );
    document.addEventListener('keydown', (event) => {
      const target = event.target as HTMLElement;
      if (event.key === '/' && !event.ctrlKey && !event.metaKey && !/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) {
        event.preventDefault();
        this.input.focus();
        this.input.select();
      }
    });
    this.render();
  }

  /** Marks the node shown in the main pane. */
  setCurrent(href: string | undefined): void {
    this.current = href;
    for (const link of this.list.querySelectorAll('a')) {
      if (link.getAttribute('href') === href) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }

  private setKind(kind: NodeKind | 'all'): void {
    this.kind = kind;
    for (const [k, button] of this.filterButtons) button.setAttribute('aria-pressed', String(k === kind));
    this.render();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  private render(): void {
    const query = this.input.value.trim();
    const result = search(this.store, query, this.kind);
    const items = result.nodes.map((n) => {
      const href = this.store.href(n);
      const status = this.store.status(n);
      return h(
        'li',
        {},
        h(
          'a',
          { href, class: 'node-link', 'aria-current': href === this.current ? 'page' : undefined },
          h('span', { class: `kind-dot kind-${this.store.kind(n)}`, title: this.store.kind(n), 'aria-hidden': 'true' }),
          h('span', { class: 'node-link-text' }, h('span', { class: 'node-name' }, this.store.name(n)), h('span', { class: 'node-group' }, `${this.store.kind(n)}${this.store.group(n) ? ` · ${this.store.group(n)}` : ''}`)),
          status && status !== 'success' && status !== 'pass' ? h('span', { class: `status status-${status}` }, status) : null,
        ),
      );
    });
    this.list.replaceChildren(...items);
    const what = this.kind === 'all' ? 'nodes' : `${this.kind}s`;
    this.count.textContent =
      result.total === 0 ? (query ? `No ${what} match “${query}”.` : `No ${what} in this project yet.`) : result.total > result.nodes.length ? `Showing ${result.nodes.length} of ${result.total.toLocaleString('en')} ${what}; type to narrow.` : plural(result.total, what.replace(/s$/, ''), what);
  }

  private onInputKey(event: KeyboardEvent): void {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      this.list.querySelector('a')?.focus();
    } else if (event.key === 'Enter') {
      const first = this.list.querySelector('a');
      if (first) {
        event.preventDefault();
        location.hash = first.getAttribute('href')!;
      }
    } else if (event.key === 'Escape') {
      this.input.value = '';
      this.render();
    }
  }

  private onListKey(event: KeyboardEvent): void {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    const links = [...this.list.querySelectorAll('a')];
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    if (at < 0) return;
    event.preventDefault();
    if (event.key === 'ArrowUp' && at === 0) this.input.focus();
    else links[Math.min(links.length - 1, Math.max(0, at + (event.key === 'ArrowDown' ? 1 : -1)))]!.focus();
  }
}
