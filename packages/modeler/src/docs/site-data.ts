// The data the docs site's browser app reads, shaped in Node by shape-site-data.ts. Types and
// constants only: the app (src/docs/app/) imports them too, so nothing here may import Node modules.
//
// Three kinds of file, all plain scripts (a page opened from file:// cannot fetch JSON):
//   data.js          window.REEL_DOCS = SiteIndex                 loaded by index.html; the first render needs only it
//   nodes/<n>.js     REEL_DOCS_CHUNK('nodes', n, NodeRecord[])    loaded when a page shows a node of chunk n
//   sql/<n>.js       REEL_DOCS_CHUNK('sql', n, SqlTuple[])        loaded when a page shows a node's SQL
// Node number i (its index in SiteIndex.ids) is in chunk floor(i / chunkSize), at i % chunkSize.

export type NodeKind = 'model' | 'source' | 'seed' | 'snapshot' | 'exposure' | 'test';

/** How an output column comes from an upstream column (the kinds of src/lineage/types.ts). */
export type LineageKindName = 'direct' | 'renamed' | 'transformed' | 'aggregated' | 'filter' | 'join';

/** data.js: everything the list, the search and the node graph need, in columns (one entry per node). */
export interface SiteIndex {
  readonly version: 1;
  readonly project: string;
  readonly generatedAt: string;
  readonly chunkSize: number;
  readonly chunkCount: number;
  readonly kindNames: readonly NodeKind[];
  /** Index into `kindNames`. */
  readonly kinds: readonly number[];
  readonly names: readonly string[];
  /** The unique_id, or '' when it is `<kind>.<project>.<name>` (most nodes: 30% of data.js saved). */
  readonly ids: readonly string[];
  /**
   * Index into `groupNames`: a short second line for lists and what search matches besides the
   * name (the folder of a model, a source's name, the node a test is attached to).
   */
  readonly groups: readonly number[];
  readonly groupNames: readonly string[];
  /** Direct parents as node numbers. */
  readonly parents: readonly (readonly number[])[];
  /** Tags of the nodes that have any, space-separated. */
  readonly tags: Readonly<Record<number, string>>;
  /** Last status from run_results.json of the nodes that were in the last run. */
  readonly statuses: Readonly<Record<number, string>>;
  readonly erd: ErdData;
  /** Whether the generator had a catalog, run results and column lineage (pages say when not). */
  readonly has: { readonly catalog: boolean; readonly runResults: boolean; readonly lineage: boolean };
}

// nodes/<n>.js holds one NodeRecord per node: fields left out when empty, repeated rows as tuples
// (a project of 10,000 models has some 100,000 lineage edges). The app decodes them to NodeDetail.

/** 0: no type known, 1: from the catalog, 2: declared in a property file. */
export type TypeFrom = 0 | 1 | 2;
export type ColumnTuple = readonly [name: string, type: string, typeFrom: TypeFrom, description: string];
export type TestTuple = readonly [test: number, column: string | null, type: string, severity: string, status: string, failures: number | null];
/** `relation` only when `node` is -1 (a relation outside the project); `kind` indexes LINEAGE_KINDS. */
export type EdgeTuple = readonly [node: number, column: string, kind: number, relation?: string];
export type LineageColumnTuple = readonly [column: string, edges: readonly EdgeTuple[], unresolved?: string];

export const LINEAGE_KINDS: readonly LineageKindName[] = ['direct', 'renamed', 'transformed', 'aggregated', 'filter', 'join'];

export interface NodeRecord {
  readonly path: string;
  readonly description?: string;
  readonly relation?: string;
  readonly materialized?: string;
  readonly tags?: readonly string[];
  readonly columns?: readonly ColumnTuple[];
  readonly tests?: readonly TestTuple[];
  readonly run?: RunRow;
  readonly lineage?: { readonly columns: readonly LineageColumnTuple[]; readonly warnings?: readonly string[] };
  readonly catalog?: { readonly type: string; readonly rows: number | null };
  readonly facts?: readonly (readonly [string, string])[];
  readonly url?: string;
}

/** A column as a page shows it. */
export interface ColumnRow {
  readonly name: string;
  /** From the catalog when the relation is built, else the declared data_type, else ''. */
  readonly type: string;
  readonly typeFrom: 'catalog' | 'declared' | '';
  readonly description: string;
}

/** A test of a node, with its last result. */
export interface TestRow {
  /** Node number of the test. */
  readonly test: number;
  readonly column: string | null;
  /** unique, not_null, relationships, … or 'singular'. */
  readonly type: string;
  readonly severity: string;
  readonly status: string;
  readonly failures: number | null;
}

/** One upstream column of an output column. `node` is -1 when the relation is not in the project. */
export interface LineageEdgeRow {
  readonly node: number;
  readonly relation: string;
  readonly column: string;
  readonly kind: LineageKindName;
}

export interface ColumnLineageRow {
  readonly column: string;
  readonly edges: readonly LineageEdgeRow[];
  readonly unresolved?: string;
}

export interface RunRow {
  readonly status: string;
  readonly seconds: number | null;
  readonly failures: number | null;
  readonly message: string | null;
}

/** What a node's page shows, except SQL (a NodeRecord decoded). */
export interface NodeDetail {
  readonly description: string;
  readonly path: string;
  readonly relation: string | null;
  readonly materialized: string | null;
  readonly tags: readonly string[];
  readonly columns: readonly ColumnRow[];
  readonly tests: readonly TestRow[];
  readonly run: RunRow | null;
  /** Column lineage of a model; null when none was computed for it. */
  readonly lineage: { readonly columns: readonly ColumnLineageRow[]; readonly warnings: readonly string[] } | null;
  /** Relation type and size from the catalog (VIEW, BASE TABLE; approximate rows). */
  readonly catalog: { readonly type: string; readonly rows: number | null } | null;
  /** Extra labelled facts: source name, loaded_at_field, exposure owner and type, test kwargs, … */
  readonly facts: readonly (readonly [string, string])[];
  /** An exposure's URL (http or https only). */
  readonly url: string | null;
}

/** sql/<n>.js: [raw, compiled] per node; '' when there is none. */
export type SqlTuple = readonly [raw: string, compiled: string];

/**
 * The ER diagram: the relationships declared as `relationships` tests, and which models and seeds
 * are marts (in a marts folder or schema). Columns come from the tables' node records.
 */
export interface ErdData {
  readonly marts: readonly number[];
  readonly relationships: readonly ErdRelationship[];
}

export interface ErdRelationship {
  /** The node holding the foreign key (the test's model) and its column. */
  readonly from: number;
  readonly fromColumn: string;
  /** The referenced node (`to:`) and its column (`field:`). */
  readonly to: number;
  readonly toColumn: string;
  readonly test: number;
}
