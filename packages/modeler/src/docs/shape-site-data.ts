import type { ArtifactEdge, LineageArtifact } from '../lineage/types.js';
import type { CatalogShape, CatalogTableShape, DocsInput, ManifestEntry, ManifestShape, RunResultShape, RunResultsShape } from './docs-input.js';
import { LINEAGE_KINDS, type ColumnTuple, type EdgeTuple, type ErdData, type ErdRelationship, type LineageColumnTuple, type LineageKindName, type NodeKind, type NodeRecord, type SiteIndex, type SqlTuple, type TestTuple } from './site-data.js';

/** Nodes per lazily loaded file: small enough to load in a few milliseconds, few enough files. */
export const CHUNK_SIZE = 200;

/** The order of kinds in lists and node numbers. */
const KINDS: readonly NodeKind[] = ['model', 'source', 'seed', 'snapshot', 'exposure', 'test'];

interface Entry {
  readonly entry: ManifestEntry;
  readonly kind: NodeKind;
  readonly name: string;
  readonly rank: number;
}

export interface SiteData {
  readonly index: SiteIndex;
  /** One array per chunk, in node order. */
  readonly details: readonly (readonly NodeRecord[])[];
  readonly sql: readonly (readonly SqlTuple[])[];
}

/** The index, and each chunk's node records and SQL made when asked for (so they need not all be held at once). */
export interface SiteShape {
  readonly index: SiteIndex;
  chunk(n: number): { readonly details: readonly NodeRecord[]; readonly sql: readonly SqlTuple[] };
}

/**
 * Shapes the artifacts for the browser: one compact index for lists, search and graphs, and per
 * node a small record with what its page shows. Reads only what pages show, so connection details
 * or anything else in the artifacts never reach the site.
 */
export function shapeSiteData(input: DocsInput, generatedAt = new Date().toISOString()): SiteData {
  const shape = shapeSite(input, generatedAt);
  const chunks = Array.from({ length: shape.index.chunkCount }, (_, n) => shape.chunk(n));
  return { index: shape.index, details: chunks.map((c) => c.details), sql: chunks.map((c) => c.sql) };
}

/** Like shapeSiteData, with each chunk made on demand. */
export function shapeSite(input: DocsInput, generatedAt = new Date().toISOString()): SiteShape {
  const manifest = input.manifest as ManifestShape;
  const catalog = input.catalog as CatalogShape | undefined;
  const runResults = input.runResults as RunResultsShape | undefined;
  const lineage = input.lineage;

  const entries: Entry[] = [];
  for (const section of [manifest.nodes, manifest.sources, manifest.exposures]) {
    for (const entry of Object.values(section ?? {})) {
      const kind = kindOf(entry);
      if (kind) entries.push({ entry, kind, name: nameOf(entry), rank: KINDS.indexOf(kind) });
    }
  }
  entries.sort((a, b) => a.rank - b.rank || compare(a.name, b.name) || compare(a.entry.unique_id, b.entry.unique_id));
  const number = new Map<string, number>();
  entries.forEach(({ entry }, i) => number.set(entry.unique_id, i));

  const runs = new Map<string, RunResultShape>();
  for (const result of runResults?.results ?? []) runs.set(result.unique_id, result);
  const catalogOf = (id: string): CatalogTableShape | undefined => catalog?.nodes?.[id] ?? catalog?.sources?.[id];

  // Tests belong to the node they are attached to (a generic test), else to every node they read.
  const testsOf = new Map<number, TestTuple[]>();
  for (const { entry, kind } of entries) {
    if (kind !== 'test') continue;
    const owners = entry.attached_node && number.has(entry.attached_node) ? [entry.attached_node] : dependencies(entry);
    const run = runs.get(entry.unique_id);
    const row: TestTuple = [
      number.get(entry.unique_id)!,
      entry.column_name ?? null,
      entry.test_metadata?.name ?? 'singular',
      (entry.config?.severity ?? 'error').toLowerCase(),
      run?.status ?? '',
      typeof run?.failures === 'number' ? run.failures : null,
    ];
    for (const owner of owners) {
      const n = number.get(owner);
      if (n === undefined) continue;
      const list = testsOf.get(n) ?? [];
      list.push(row);
      testsOf.set(n, list);
    }
  }

  const project = manifest.metadata?.project_name ?? 'project';
  const ids: string[] = [];
  const kinds: number[] = [];
  const names: string[] = [];
  const groups: number[] = [];
  const groupNames: string[] = [];
  const groupNumber = new Map<string, number>();
  const parents: number[][] = [];
  const tags: Record<number, string> = {};
  const statuses: Record<number, string> = {};
  const nameOfId = (other: string) => {
    const n = number.get(other);
    return n === undefined ? undefined : entries[n]!.name;
  };
  entries.forEach(({ entry, kind, name, rank }, i) => {
    const id = entry.unique_id;
    ids.push(id === `${kind}.${project}.${name}` ? '' : id);
    kinds.push(rank);
    names.push(name);
    const group = groupOf(entry, kind, nameOfId);
    let g = groupNumber.get(group);
    if (g === undefined) {
      g = groupNames.push(group) - 1;
      groupNumber.set(group, g);
    }
    groups.push(g);
    const mine: number[] = [];
    for (const parent of manifest.parent_map?.[id] ?? dependencies(entry)) {
      const p = number.get(parent);
      if (p !== undefined && !mine.includes(p)) mine.push(p);
    }
    parents.push(mine);
    if (entry.tags?.length) tags[i] = entry.tags.join(' ');
    const run = runs.get(id);
    if (run?.status) statuses[i] = run.status;
  });
  const chunk = (n: number) => {
    const details: NodeRecord[] = [];
    const sql: SqlTuple[] = [];
    for (let i = n * CHUNK_SIZE; i < Math.min(entries.length, (n + 1) * CHUNK_SIZE); i++) {
      const { entry, kind } = entries[i]!;
      const id = entry.unique_id;
      details.push(nodeRecord(entry, kind, catalogOf(id), lineage?.nodes?.[id], testsOf.get(i), runs.get(id), number, nameOfId));
      sql.push([entry.raw_code ?? '', entry.compiled_code ?? '']);
    }
    return { details, sql };
  };

  const index: SiteIndex = {
    version: 1,
    project,
    generatedAt,
    chunkSize: CHUNK_SIZE,
    chunkCount: Math.ceil(entries.length / CHUNK_SIZE),
    kindNames: KINDS,
    kinds,
    names,
    ids,
    groups,
    groupNames,
    parents,
    tags,
    statuses,
    erd: erdOf(entries, number),
    has: { catalog: Object.keys(catalog?.nodes ?? {}).length + Object.keys(catalog?.sources ?? {}).length > 0, runResults: runResults !== undefined, lineage: lineage !== undefined },
  };
  return { index, chunk };
}

type LineageOfNode = LineageArtifact['nodes'][string];

/** A node's page record, with empty fields left out. */
function nodeRecord(
  entry: ManifestEntry,
  kind: NodeKind,
  table: CatalogTableShape | undefined,
  lineage: LineageOfNode | undefined,
  tests: readonly TestTuple[] | undefined,
  run: RunResultShape | undefined,
  number: ReadonlyMap<string, number>,
  nameOfId: (id: string) => string | undefined,
): NodeRecord {
  const record: { -readonly [K in keyof NodeRecord]: NodeRecord[K] } = { path: entry.original_file_path ?? entry.path ?? '' };
  if (entry.description) record.description = entry.description;
  if (entry.relation_name) record.relation = entry.relation_name;
  if ((kind === 'model' || kind === 'snapshot') && entry.config?.materialized) record.materialized = entry.config.materialized;
  if (entry.tags?.length) record.tags = [...entry.tags];
  const columns = columnRows(entry, table, lineage?.columns);
  if (columns.length > 0) record.columns = columns;
  if (tests?.length) record.tests = tests;
  if (run) record.run = { status: run.status ?? '', seconds: typeof run.execution_time === 'number' ? run.execution_time : null, failures: typeof run.failures === 'number' ? run.failures : null, message: run.message ?? null };
  if (lineage) record.lineage = lineage.warnings?.length ? { columns: lineage.columns.map((c) => lineageTuple(c, number)), warnings: [...lineage.warnings] } : { columns: lineage.columns.map((c) => lineageTuple(c, number)) };
  if (table) record.catalog = { type: table.metadata?.type ?? '', rows: numberStat(table, 'num_rows') };
  const facts = factsOf(entry, kind, (other) => nameOfId(other) ?? other);
  if (facts.length > 0) record.facts = facts;
  if (kind === 'exposure' && typeof entry.url === 'string' && /^https?:\/\//i.test(entry.url)) record.url = entry.url;
  return record;
}

function kindOf(entry: ManifestEntry): NodeKind | undefined {
  const kind = entry.resource_type ?? entry.unique_id.split('.')[0];
  return (KINDS as readonly string[]).includes(kind ?? '') ? (kind as NodeKind) : undefined;
}

function nameOf(entry: ManifestEntry): string {
  return entry.name ?? entry.unique_id.split('.').pop() ?? entry.unique_id;
}

function dependencies(entry: ManifestEntry): readonly string[] {
  return entry.depends_on?.nodes ?? [];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function groupOf(entry: ManifestEntry, kind: NodeKind, nameOfId: (id: string) => string | undefined): string {
  switch (kind) {
    case 'model':
    case 'snapshot':
      return (entry.fqn ?? []).slice(1, -1).join('/') || (entry.schema ?? '');
    case 'source':
      return entry.source_name ?? '';
    case 'seed':
      return entry.schema ?? '';
    case 'exposure':
      return entry.type ?? '';
    case 'test': {
      const on = entry.attached_node ?? dependencies(entry)[0];
      return on ? (nameOfId(on) ?? '') : '';
    }
  }
}

/** Catalog columns in table order, then declared ones the catalog lacks, then ones only lineage knows. */
function columnRows(entry: ManifestEntry, table: CatalogTableShape | undefined, lineage: readonly { column: string }[] | undefined): ColumnTuple[] {
  const declared = new Map<string, { name: string; description: string; type: string }>();
  for (const [key, column] of Object.entries(entry.columns ?? {})) {
    const name = column.name ?? key;
    declared.set(name.toLowerCase(), { name, description: column.description ?? '', type: column.data_type ?? '' });
  }
  const rows: ColumnTuple[] = [];
  const seen = new Set<string>();
  const built = Object.entries(table?.columns ?? {}).map(([key, c]) => ({ name: c.name ?? key, type: c.type ?? '', index: c.index ?? 0, comment: c.comment ?? '' }));
  built.sort((a, b) => a.index - b.index);
  for (const column of built) {
    const mine = declared.get(column.name.toLowerCase());
    rows.push([column.name, column.type, column.type ? 1 : 0, mine?.description || column.comment || '']);
    seen.add(column.name.toLowerCase());
  }
  for (const [key, column] of declared) {
    if (seen.has(key)) continue;
    rows.push([column.name, column.type, column.type ? 2 : 0, column.description]);
    seen.add(key);
  }
  for (const { column } of lineage ?? []) {
    if (seen.has(column.toLowerCase())) continue;
    rows.push([column, '', 0, '']);
    seen.add(column.toLowerCase());
  }
  return rows;
}

function lineageTuple(column: { column: string; edges: readonly ArtifactEdge[]; unresolved?: string }, number: ReadonlyMap<string, number>): LineageColumnTuple {
  const edges = column.edges.map((edge): EdgeTuple => {
    const node = edge.node === null ? -1 : (number.get(edge.node) ?? -1);
    const known = LINEAGE_KINDS.indexOf(edge.kind as LineageKindName);
    const kind = known >= 0 ? known : LINEAGE_KINDS.indexOf('transformed');
    return node >= 0 ? [node, edge.column, kind] : [node, edge.column, kind, edge.relation];
  });
  return column.unresolved === undefined ? [column.column, edges] : [column.column, edges, column.unresolved];
}

function numberStat(table: CatalogTableShape, id: string): number | null {
  const value = table.stats?.[id]?.value;
  return typeof value === 'number' ? value : null;
}

function factsOf(entry: ManifestEntry, kind: NodeKind, nameOfId: (id: string) => string): [string, string][] {
  const facts: [string, string][] = [];
  const add = (label: string, value: unknown) => {
    if (value === null || value === undefined || value === '') return;
    facts.push([label, Array.isArray(value) ? value.join(', ') : String(value)]);
  };
  switch (kind) {
    case 'model':
      add('unique key', entry.config?.unique_key);
      if (entry.config?.materialized === 'incremental') add('strategy', entry.config.incremental_strategy);
      break;
    case 'source':
      add('source', entry.source_name);
      add('table', entry.identifier);
      add('loaded at field', entry.loaded_at_field);
      break;
    case 'seed':
      add('schema', entry.schema);
      break;
    case 'snapshot':
      add('strategy', entry.config?.strategy);
      add('unique key', entry.config?.unique_key);
      add('updated at', entry.config?.updated_at);
      add('check columns', entry.config?.check_cols);
      add('hard deletes', entry.config?.hard_deletes);
      break;
    case 'exposure':
      add('type', entry.type);
      add('label', entry.label);
      add('owner', [entry.owner?.name, entry.owner?.email].filter(Boolean).join(' · '));
      add('maturity', entry.maturity);
      break;
    case 'test': {
      add('test', entry.test_metadata?.name ?? 'singular');
      if (entry.attached_node) add('on', nameOfId(entry.attached_node));
      add('column', entry.column_name);
      for (const [key, value] of Object.entries(entry.test_metadata?.kwargs ?? {})) {
        if (key === 'column_name' || key === 'model') continue;
        add(key, typeof value === 'string' ? value : JSON.stringify(value));
      }
      add('severity', entry.config?.severity?.toLowerCase());
      add('where', entry.config?.where);
      break;
    }
  }
  return facts;
}

/** A model or seed in a marts folder or schema (`marts`, `bench_marts`, `dev_alice_marts`). */
function isMart(entry: ManifestEntry, kind: NodeKind): boolean {
  if (kind !== 'model' && kind !== 'seed') return false;
  return (entry.fqn ?? []).slice(1, -1).some((part) => /^marts?$/i.test(part)) || /(^|_)marts?$/i.test(entry.schema ?? '');
}

function erdOf(entries: readonly Entry[], number: ReadonlyMap<string, number>): ErdData {
  const relationships: ErdRelationship[] = [];
  const byName = new Map<string, string>();
  for (const { entry, kind, name } of entries) {
    if (kind === 'model' || kind === 'seed') byName.set(name, entry.unique_id);
    if (kind === 'source') byName.set(`${entry.source_name}.${name}`, entry.unique_id);
  }
  const marts: number[] = [];
  entries.forEach(({ entry, kind }, i) => {
    if (isMart(entry, kind)) marts.push(i);
    if (kind !== 'test' || entry.test_metadata?.name !== 'relationships') return;
    const kwargs = entry.test_metadata.kwargs ?? {};
    const from = entry.attached_node ?? undefined;
    const to = dependencies(entry).find((id) => id !== from) ?? referencedNode(kwargs['to'], byName);
    const fromColumn = String(kwargs['column_name'] ?? entry.column_name ?? '');
    const toColumn = String(kwargs['field'] ?? '');
    if (!from || !to || !number.has(from) || !number.has(to) || !fromColumn || !toColumn) return;
    relationships.push({ from: number.get(from)!, fromColumn, to: number.get(to)!, toColumn, test: i });
  });
  return { marts, relationships };
}

/** `ref('x')`, `ref("x")`, `source('a', 'b')` → unique_id. */
function referencedNode(to: unknown, byName: ReadonlyMap<string, string>): string | undefined {
  if (typeof to !== 'string') return undefined;
  const ref = /^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$/.exec(to);
  if (ref) return byName.get(ref[1]!);
  const source = /^\s*source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*$/.exec(to);
  if (source) return byName.get(`${source[1]}.${source[2]}`);
  return undefined;
}
