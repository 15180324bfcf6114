// The docs site's browser app: a sidebar to search every node, and pages reached by hash routes
// (#!/overview, #!/erd, #!/<kind>/<unique_id>[?col=<column>]), which work from file:// too.
import { h } from './dom.js';
import { erdPage } from './erd-page.js';
import { nodePage, type PageState } from './node-page.js';
import { overviewPage } from './overview-page.js';
import { Sidebar } from './search.js';
import { Store } from './store.js';

interface Route {
  readonly page: 'overview' | 'erd' | 'node' | 'missing';
  readonly node?: number;
  readonly params: URLSearchParams;
  readonly text: string;
}

function parse(store: Store, hash: string): Route {
  const text = hash.replace(/^#!?\/?/, '');
  const [path = '', query = ''] = text.split('?');
  const params = new URLSearchParams(query);
  if (path === '' || path === 'overview') return { page: 'overview', params, text };
  if (path === 'erd') return { page: 'erd', params, text };
  const slash = path.indexOf('/');
  const id = slash < 0 ? '' : safeDecode(path.slice(slash + 1));
  const node = store.number(id);
  return node === undefined ? { page: 'missing', params, text } : { page: 'node', node, params, text };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function start(): void {
  const root = document.getElementById('app')!;
  const index = window.REEL_DOCS;
  if (!index) {
    root.append(h('p', { class: 'page' }, 'data.js did not load: generate the site again with `model docs generate`.'));
    return;
  }
  const store = new Store(index);
  const sidebar = new Sidebar(store);
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  root.append(h('a', { href: '#main', class: 'skip-link', onClick: (event) => { event.preventDefault(); main.focus(); } }, 'Skip to content'), sidebar.element, main);
  const state: PageState = { depth: { up: 2, down: 2 } };
  let routing = 0;
  let lastPage = '';
  let first = true;

  const show = async () => {
    const mine = ++routing;
    const route = parse(store, location.hash);
    let page: HTMLElement;
    try {
      if (route.page === 'overview') page = overviewPage(store);
      else if (route.page === 'erd') page = await erdPage(store, route.params.get('scope') === 'all' ? 'all' : route.params.get('scope') === 'marts' ? 'marts' : undefined);
      else if (route.page === 'node') page = await nodePage(store, route.node!, route.params.get('col') ?? undefined, state);
      else page = h('article', { class: 'page' }, h('h1', { id: 'page-title' }, 'Not found'), h('p', {}, `Nothing in this project is called “${route.text}”. Search for it in the sidebar.`));
    } catch (error) {
      page = h('article', { class: 'page' }, h('h1', { id: 'page-title' }, 'Could not show this page'), h('p', {}, (error as Error).message));
    }
    if (mine !== routing) return;
    const wasFirst = first;
    first = false;
    const samePage = route.page === 'node' && lastPage === `node/${route.node}`;
    const scroll = main.scrollTop;
    main.replaceChildren(page);
    lastPage = route.page === 'node' ? `node/${route.node}` : route.page;
    document.title = `${route.page === 'node' ? `${store.name(route.node!)} · ` : route.page === 'erd' ? 'ER diagram · ' : ''}${store.index.project} · Reel docs`;
    sidebar.setCurrent(route.page === 'node' ? store.href(route.node!) : undefined);
    if (samePage) {
      main.scrollTop = scroll;
      document.getElementById('column-lineage')?.scrollIntoView({ block: 'nearest' });
    } else {
      main.scrollTop = 0;
      if (route.params.get('col')) requestAnimationFrame(() => document.getElementById('column-lineage')?.scrollIntoView({ block: 'start' }));
      if (!wasFirst && !sidebar.element.contains(document.activeElement)) {
        const title = document.getElementById('page-title');
        title?.setAttribute('tabindex', '-1');
        title?.focus({ preventScroll: true });
      }
    }
  };

  window.addEventListener('hashchange', () => void show());
  void show().then(() => {
    // For the benchmark: when the node list and the first page have been painted.
    requestAnimationFrame(() =>
      setTimeout(() => {
        window.REEL_DOCS_RENDERED = performance.now();
        document.documentElement.dataset['rendered'] = 'true';
      }, 0),
    );
  });
}

start();
