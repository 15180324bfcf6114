import { parseSync } from 'libpg-query';
import type { CompiledProject } from '../compile.js';
import type { GraphNode } from '../graph/nodes.js';
import { resolveModelLineage } from './column-lineage.js';
import { relationLabel } from './lineage-edge.js';
import type { ArtifactEdge, ColumnEdge, ColumnsOf, LineageArtifact, RelationName } from './types.js';

/** One relation of a catalog: its columns by name, each with its position (1-based). */
export interface CatalogTableLike {
  readonly columns: Readonly<Record<string, { readonly name: string; readonly index: number }>>;
}

/** What lineage needs of target/catalog.json (dbt catalog v1): columns of models and seeds (`nodes`) and of sources. */
export interface CatalogLike {
  readonly nodes: Readonly<Record<string, CatalogTableLike>>;
  readonly sources: Readonly<Record<string, CatalogTableLike>>;
}

type ArtifactNode = LineageArtifact['nodes'][string];

/**
 * Column lineage of every model, for target/lineage.json. Models are resolved parents first, so a
 * model's `select *` over another model expands to the columns resolved for it. The columns of a
 * relation are, in order of preference: the catalog's, the ones resolved for that model, the
 * ones declared in YAML. Ephemeral models are inlined as CTEs by the compiler, so lineage goes
 * through them to their own upstream columns. Synchronous: `await loadParser()` first.
 *
 * @example
 * ```ts
 * await loadParser();
 * const artifact = projectLineage(compiled, catalog);
 * artifact.nodes['model.demo.dim_users'].columns[0];
 * // { column: 'user_id', edges: [{ node: 'model.demo.stg_users', relation: 'staging.stg_users', column: 'user_id', kind: 'direct' }] }
 * ```
 */
export function projectLineage(compiled: CompiledProject, catalog?: CatalogLike): LineageArtifact {
  assertParserLoaded();
  const relations = new RelationIndex(compiled.graph.nodes.values());
  const columns = new ColumnSources(compiled, catalog);
  const columnsOf: ColumnsOf = (relation) => {
    const id = relations.find(relation);
    return id === undefined ? undefined : columns.of(id);
  };
  // Row edges are one object on every column of a model: map each once.
  const artifactEdges = new Map<ColumnEdge, ArtifactEdge>();
  const toArtifactEdge = (edge: ColumnEdge): ArtifactEdge => {
    let mapped = artifactEdges.get(edge);
    if (!mapped) {
      artifactEdges.set(edge, (mapped = { node: relations.find(edge.relation) ?? null, relation: relationLabel(edge.relation), column: edge.column, kind: edge.kind }));
    }
    return mapped;
  };
  const nodes: Record<string, ArtifactNode> = {};
  for (const id of compiled.graph.topologicalOrder()) {
    const node = compiled.graph.nodes.get(id);
    if (node?.kind !== 'model') continue;
    let resolved: ReturnType<typeof resolveModelLineage>;
    try {
      resolved = resolveModelLineage(node.compiledSql, columnsOf);
    } catch (error) {
      nodes[id] = { columns: [], warnings: [`model "${node.name}": the compiled SQL could not be parsed for lineage: ${(error as Error).message}`] };
      continue;
    }
    const { lineage } = resolved;
    artifactEdges.clear();
    if (resolved.columnsKnown) columns.resolved(id, lineage.columns.map((column) => column.column));
    nodes[id] = {
      columns: lineage.columns.map((column) => {
        const edges = column.edges.map(toArtifactEdge);
        return column.unresolved === undefined ? { column: column.column, edges } : { column: column.column, edges, unresolved: column.unresolved };
      }),
      warnings: lineage.warnings,
    };
  }
  return { version: 1, generated_at: new Date().toISOString(), nodes };
}

function assertParserLoaded(): void {
  try {
    parseSync('select');
  } catch (error) {
    throw new Error(`column lineage needs the SQL parser: await loadParser() before projectLineage (${(error as Error).message})`, { cause: error });
  }
}

/** Finds the model, seed or source a relation written in SQL names: by schema and identifier, or by a unique identifier. */
class RelationIndex {
  private readonly bySchema = new Map<string, Map<string, string>>();
  private readonly byIdentifier = new Map<string, string[]>();

  constructor(nodes: Iterable<GraphNode>) {
    for (const node of nodes) {
      if (node.kind !== 'model' && node.kind !== 'seed' && node.kind !== 'source') continue;
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

  find(relation: RelationName): string | undefined {
    if (relation.schema !== undefined) return this.bySchema.get(relation.schema)?.get(relation.name);
    const ids = this.byIdentifier.get(relation.name);
    return ids?.length === 1 ? ids[0] : undefined;
  }
}

/** Columns of a project node: the catalog's (by position), then those resolved in this walk, then the declared ones. */
class ColumnSources {
  private readonly fromCatalog = new Map<string, readonly string[] | undefined>();
  private readonly fromLineage = new Map<string, readonly string[]>();

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

  private declaredColumns(id: string): readonly string[] | undefined {
    const node = this.compiled.graph.nodes.get(id);
    if (!node || !('columns' in node) || node.columns.length === 0) return undefined;
    return node.columns.map((column) => column.name);
  }
}
