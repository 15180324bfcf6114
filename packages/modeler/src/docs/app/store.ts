// The site's data: the index from data.js (always there), and node details and SQL loaded per
// chunk by adding a <script> (a page opened from file:// cannot fetch).
import { LINEAGE_KINDS, type NodeDetail, type NodeKind, type NodeRecord, type SiteIndex, type SqlTuple } from '../site-data.js';

declare global {
  interface Window {
    REEL_DOCS?: SiteIndex;
    REEL_DOCS_CHUNK?: (kind: ChunkKind, n: number, rows: unknown[]) => void;
    /** performance.now() when the first page and the node list were painted (read by the benchmark). */
    REEL_DOCS_RENDERED?: number;
  }
}

type ChunkKind = 'nodes' | 'sql';

export class Store {
  readonly index: SiteIndex;
  private childrenCache: number[][] | undefined;
  private numbers: Map<string, number> | undefined;
  private searchTexts: string[] | undefined;
  private readonly decoded = new Map<number, NodeDetail>();
  private readonly loaded = new Map<string, unknown[]>();
  private readonly pending = new Map<string, Promise<unknown[]>>();
  private readonly waiting = new Map<string, (rows: unknown[]) => void>();

  constructor(index: SiteIndex) {
    this.index = index;
    window.REEL_DOCS_CHUNK = (kind, n, rows) => {
      const key = `${kind}/${n}`;
      this.loaded.set(key, rows);
      this.waiting.get(key)?.(rows);
      this.waiting.delete(key);
    };
  }

  get size(): number {
    return this.index.ids.length;
  }

  kind(n: number): NodeKind {
    return this.index.kindNames[this.index.kinds[n]!]!;
  }

  name(n: number): string {
    return this.index.names[n]!;
  }

  id(n: number): string {
    return this.index.ids[n] || `${this.kind(n)}.${this.index.project}.${this.name(n)}`;
  }

  /** The second line of a node in lists: a model's folder, a source's name, a test's node. */
  group(n: number): string {
    return this.index.groupNames[this.index.groups[n]!] ?? '';
  }

  /** Last status in run_results.json, or ''. */
  status(n: number): string {
    return this.index.statuses[n] ?? '';
  }

  /** The node number of a unique_id, or undefined. */
  number(id: string): number | undefined {
    if (!this.numbers) {
      this.numbers = new Map();
      for (let i = 0; i < this.size; i++) this.numbers.set(this.id(i), i);
    }
    return this.numbers.get(id);
  }

  /** Lower-case text search matches per node (name, group, tags), built on the first search. */
  searchText(): readonly string[] {
    if (!this.searchTexts) {
      const { names, tags } = this.index;
      const groups = this.index.groupNames.map((g) => g.toLowerCase());
      this.searchTexts = names.map((name, i) => {
        const tag = tags[i];
        return `${name.toLowerCase()} ${groups[this.index.groups[i]!]}${tag ? ` ${tag.toLowerCase()}` : ''}`;
      });
    }
    return this.searchTexts;
  }

  parents(n: number): readonly number[] {
    return this.index.parents[n]!;
  }

  children(n: number): readonly number[] {
    if (!this.childrenCache) {
      const children: number[][] = Array.from({ length: this.size }, () => []);
      this.index.parents.forEach((parents, child) => {
        for (const parent of parents) children[parent]!.push(child);
      });
      this.childrenCache = children;
    }
    return this.childrenCache[n]!;
  }

  href(n: number, column?: string): string {
    const base = `#!/${this.kind(n)}/${encodeURIComponent(this.id(n))}`;
    return column === undefined ? base : `${base}?col=${encodeURIComponent(column)}`;
  }

  async detail(n: number): Promise<NodeDetail> {
    const cached = this.decoded.get(n);
    if (cached) return cached;
    const rows = await this.chunk('nodes', Math.floor(n / this.index.chunkSize));
    const detail = decode(rows[n % this.index.chunkSize] as NodeRecord);
    this.decoded.set(n, detail);
    return detail;
  }

  async sql(n: number): Promise<{ raw: string; compiled: string }> {
    const rows = await this.chunk('sql', Math.floor(n / this.index.chunkSize));
    const [raw, compiled] = rows[n % this.index.chunkSize] as SqlTuple;
    return { raw, compiled };
  }

  private chunk(kind: ChunkKind, n: number): Promise<unknown[]> {
    const key = `${kind}/${n}`;
    const done = this.loaded.get(key);
    if (done) return Promise.resolve(done);
    let promise = this.pending.get(key);
    if (!promise) {
      promise = new Promise<unknown[]>((resolve, reject) => {
        this.waiting.set(key, resolve);
        const script = document.createElement('script');
        script.src = `${kind}/${n}.js`;
        const fail = () => {
          this.pending.delete(key);
          this.waiting.delete(key);
          reject(new Error(`could not load ${kind}/${n}.js; generate the site again with \`model docs generate\``));
        };
        script.onerror = fail;
        script.onload = () => {
          script.remove();
          if (this.waiting.has(key)) fail();
        };
        document.head.append(script);
      });
      this.pending.set(key, promise);
    }
    return promise;
  }
}

const TYPE_FROM = ['', 'catalog', 'declared'] as const;

function decode(record: NodeRecord): NodeDetail {
  return {
    description: record.description ?? '',
    path: record.path,
    relation: record.relation ?? null,
    materialized: record.materialized ?? null,
    tags: record.tags ?? [],
    columns: (record.columns ?? []).map(([name, type, typeFrom, description]) => ({ name, type, typeFrom: TYPE_FROM[typeFrom], description })),
    tests: (record.tests ?? []).map(([test, column, type, severity, status, failures]) => ({ test, column, type, severity, status, failures })),
    run: record.run ?? null,
    lineage: record.lineage
      ? {
          columns: record.lineage.columns.map(([column, edges, unresolved]) => ({
            column,
            edges: edges.map(([node, edgeColumn, kind, relation]) => ({ node, column: edgeColumn, kind: LINEAGE_KINDS[kind] ?? 'transformed', relation: relation ?? '' })),
            ...(unresolved === undefined ? {} : { unresolved }),
          })),
          warnings: record.lineage.warnings ?? [],
        }
      : null,
    catalog: record.catalog ?? null,
    facts: record.facts ?? [],
    url: record.url ?? null,
  };
}
