import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';
import { parseSync } from 'libpg-query';
import type { CompiledProject } from '../compile.js';
import type { GraphNode } from '../graph/nodes.js';
import { LineageCache, type CachedColumn, type CachedEdge, type CachedLineage, type CachedLookup } from '../cache/lineage-cache.js';
import type { SnapshotNode } from '../graph/snapshot-node.js';
import { resolveModelLineage } from './column-lineage.js';
import { MORE_COLUMNS, type ArtifactEdge, type ColumnEdge, type ColumnsOf, type LineageArtifact, type LineageKind } from './types.js';

/** One relation of a catalog: its columns by name, each with its position (1-based). */
export interface CatalogTableLike {
  readonly columns: Readonly<Record<string, { readonly name: string; readonly index: number }>>;
}

/** What lineage needs of target/catalog.json (dbt catalog v1): columns of models, seeds and snapshots (`nodes`) and of sources. */
export interface CatalogLike {
  readonly nodes: Readonly<Record<string, CatalogTableLike>>;
  readonly sources: Readonly<Record<string, CatalogTableLike>>;
}

type ArtifactNode = LineageArtifact['nodes'][string];
type ArtifactColumn = ArtifactNode['columns'][number];

export interface ProjectLineageOptions {
  /** Lineage of queries seen before (target/.reel-cache); without it every query is parsed. */
  readonly cache?: LineageCache;
}

/**
 * Column lineage of every model and snapshot, for target/lineage.json. Nodes are resolved parents
 * first, so a model's `select *` over another model expands to the columns resolved for it. The
 * columns of a relation are, in order of preference: the catalog's, the ones resolved for that
 * node, the ones declared in YAML. Ephemeral models are inlined as CTEs by the compiler, so lineage
 * goes through them to their own upstream columns. A snapshot's columns are its select's, then the
 * columns the snapshot adds (dbt_scd_id, dbt_valid_from, …), marked `produced_by: 'snapshot'`.
 * Synchronous: `await loadParser()` first.
 *
 * @example
 * ```ts
 * await loadParser();
 * const artifact = projectLineage(compiled, catalog);
 * artifact.nodes['model.demo.dim_users'].columns[0];
 * // { column: 'user_id', edges: [{ node: 'model.demo.stg_users', relation: 'staging.stg_users', column: 'user_id', kind: 'direct' }] }
 * ```
 */
export function projectLineage(compiled: CompiledProject, catalog?: CatalogLike, options: ProjectLineageOptions = {}): LineageArtifact {
  const cache = options.cache ?? LineageCache.disabled();
  const relations = new RelationIndex(compiled.graph.nodes.values());
  const columns = new ColumnSources(compiled, catalog);
  const columnsOf = (schema: string | null, name: string): readonly string[] | undefined => {
    const id = relations.find(schema, name);
    return id === undefined ? undefined : columns.of(id);
  };
  const nodes: Record<string, ArtifactNode> = {};
  let parserChecked = false;
  for (const id of compiled.graph.topologicalOrder()) {
    const node = compiled.graph.nodes.get(id);
    if (node?.kind !== 'model' && node?.kind !== 'snapshot') continue;
    let found = cache.lineage(node.compiledSql, columnsOf);
    if (!found) {
      if (!parserChecked) assertParserLoaded();
      parserChecked = true;
      try {
        found = resolveQuery(node.compiledSql, columnsOf);
      } catch (error) {
        nodes[id] = { columns: [], warnings: [`${node.kind} "${node.name}": the compiled SQL could not be parsed for lineage: ${(error as Error).message}`] };
        continue;
      }
      cache.store(node.compiledSql, found);
    }
    const artifactEdges = new Map<CachedEdge, ArtifactEdge>();
    const artifactColumns = found.columns.map((column) => artifactColumn(column, relations, artifactEdges));
    if (node.kind === 'snapshot') artifactColumns.push(...snapshotColumns(node, artifactColumns));
    if (found.known) columns.resolved(id, artifactColumns.map((column) => column.column));
    nodes[id] = { columns: artifactColumns, warnings: found.warnings };
  }
  return { version: 1, generated_at: new Date().toISOString(), nodes };
}

/** Resolves one query's lineage, noting every relation it asked the columns of and the answer. */
function resolveQuery(sql: string, columnsOf: (schema: string | null, name: string) => readonly string[] | undefined): CachedLineage {
  const lookups = new Map<string, CachedLookup>();
  const recording: ColumnsOf = (relation) => {
    const schema = relation.schema ?? null;
    const key = `${schema === null ? '-' : `+${schema}`}\u0000${relation.name}`;
    let lookup = lookups.get(key);
    if (!lookup) lookups.set(key, (lookup = [schema, relation.name, columnsOf(schema, relation.name) ?? null]));
    return lookup[2] ?? undefined;
  };
  const { lineage, columnsKnown } = resolveModelLineage(sql, recording);
  const tuples = new Map<ColumnEdge, CachedEdge>();
  const tuple = (edge: ColumnEdge): CachedEdge => {
    let found = tuples.get(edge);
    if (!found) tuples.set(edge, (found = [edge.relation.schema ?? null, edge.relation.name, edge.column, edge.kind]));
    return found;
  };
  return {
    lookups: [...lookups.values()],
    columns: lineage.columns.map((column): CachedColumn => (column.unresolved === undefined ? [column.column, column.edges.map(tuple)] : [column.column, column.edges.map(tuple), column.unresolved])),
    warnings: lineage.warnings,
    known: columnsKnown,
  };
}

function artifactColumn([column, edges, unresolved]: CachedColumn, relations: RelationIndex, artifactEdges: Map<CachedEdge, ArtifactEdge>): ArtifactColumn {
  const mapped = edges.map((edge): ArtifactEdge => {
    // Row edges are one tuple on every column of a query just resolved: map each once.
    let artifactEdge = artifactEdges.get(edge);
    if (!artifactEdge) {
      const [schema, name, upstream, kind] = edge;
      artifactEdges.set(edge, (artifactEdge = { node: relations.find(schema, name) ?? null, relation: schema === null ? name : `${schema}.${name}`, column: upstream, kind: kind as LineageKind }));
    }
    return artifactEdge;
  });
  return unresolved === undefined ? { column, edges: mapped } : { column, edges: mapped, unresolved };
}

/** The columns a snapshot adds to its select's (see execute/run-snapshot.ts), in the order it adds them. */
function snapshotColumns(node: SnapshotNode, selected: readonly ArtifactColumn[]): ArtifactColumn[] {
  const m = node.config.metaColumns;
  const names = [m.scdId, m.updatedAt, m.validFrom, m.validTo, m.isCurrent, ...(node.config.hardDeletes === 'new_record' ? [m.isDeleted] : [])];
  const taken = new Set(selected.map((column) => column.column));
  return names.filter((name) => !taken.has(name)).map((name) => ({ column: name, edges: [], produced_by: 'snapshot' }));
}

function assertParserLoaded(): void {
  try {
    parseSync('select');
  } catch (error) {
    throw new Error(`column lineage needs the SQL parser: await loadParser() before projectLineage (${(error as Error).message})`, { cause: error });
  }
}

/** Finds the model, seed, snapshot or source a relation written in SQL names: by schema and identifier, or by a unique identifier. */
class RelationIndex {
  private readonly bySchema = new Map<string, Map<string, string>>();
  private readonly byIdentifier = new Map<string, string[]>();

  constructor(nodes: Iterable<GraphNode>) {
    for (const node of nodes) {
      if (node.kind !== 'model' && node.kind !== 'seed' && node.kind !== 'source' && node.kind !== 'snapshot') continue;
      // An ephemeral model has no relation: references to it are inlined CTEs.
      if (node.kind === 'model' && node.config.materialized === 'ephemeral') continue;
      let schema = this.bySchema.get(node.relation.schema);
      if (!schema) this.bySchema.set(node.relation.schema, (schema = new Map()));
      schema.set(node.relation.identifier, node.uniqueId);
      const ids = this.byIdentifier.get(node.relation.identifier);
      if (ids) ids.push(node.uniqueId);
      else this.byIdentifier.set(node.relation.identifier, [node.uniqueId]);
    }
  }

  find(schema: string | null, name: string): string | undefined {
    if (schema !== null) return this.bySchema.get(schema)?.get(name);
    const ids = this.byIdentifier.get(name);
    return ids?.length === 1 ? ids[0] : undefined;
  }
}

/** Columns of a project node: the catalog's (by position), then those resolved in this walk, then the declared ones. */
class ColumnSources {
  private readonly fromCatalog = new Map<string, readonly string[] | undefined>();
  private readonly fromLineage = new Map<string, readonly string[]>();
  private readonly seedHeaders = new Map<string, readonly string[] | undefined>();

  constructor(
    private readonly compiled: CompiledProject,
    private readonly catalog: CatalogLike | undefined,
  ) {}

  resolved(id: string, columns: readonly string[]): void {
    this.fromLineage.set(id, columns);
  }

  of(id: string): readonly string[] | undefined {
    return this.catalogColumns(id) ?? this.fromLineage.get(id) ?? this.declaredColumns(id);
  }

  private catalogColumns(id: string): readonly string[] | undefined {
    if (!this.catalog) return undefined;
    if (!this.fromCatalog.has(id)) {
      const table = this.catalog.nodes[id] ?? this.catalog.sources[id];
      this.fromCatalog.set(id, table ? Object.values(table.columns).sort((a, b) => a.index - b.index).map((column) => column.name) : undefined);
    }
    return this.fromCatalog.get(id);
  }

  /**
   * A seed's columns are its CSV header. Columns declared in YAML are all of them only under an
   * enforced contract; otherwise they may be some of them (MORE_COLUMNS), which is what sources
   * usually declare.
   */
  private declaredColumns(id: string): readonly string[] | undefined {
    const node = this.compiled.graph.nodes.get(id);
    if (node?.kind === 'seed') {
      if (!this.seedHeaders.has(id)) this.seedHeaders.set(id, csvHeader(node.absolutePath, node.delimiter));
      const header = this.seedHeaders.get(id);
      if (header) return header;
    }
    if (!node || !('columns' in node) || node.columns.length === 0) return undefined;
    const names = node.columns.map((column) => column.name);
    return node.kind === 'model' && node.config.contract.enforced ? names : [...names, MORE_COLUMNS];
  }
}

function csvHeader(path: string, delimiter: string): string[] | undefined {
  try {
    const [header] = parseCsv(readFileSync(path), { delimiter, to_line: 1, bom: true }) as string[][];
    return header?.length ? header : undefined;
  } catch {
    return undefined;
  }
}
