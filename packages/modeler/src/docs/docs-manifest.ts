import type { CompiledProject } from '../compile.js';
import type { ColumnInfo } from '../graph/nodes.js';
import { fqn } from '../artifacts/manifest.js';
import { quoteRelation } from '../sql/quote.js';
import type { ManifestColumn, ManifestEntry, ManifestShape } from './docs-input.js';

/**
 * The manifest fields the docs site reads, straight from the compiled project, with the values
 * src/artifacts/manifest.ts writes (a test checks that both give the same site). `docs generate`
 * uses it instead of building the whole manifest a second time: at 10,000 models, the checksums,
 * refs and config of 30,000 full entries cost seconds on a large heap.
 */
export function docsManifest(compiled: CompiledProject): ManifestShape {
  const project = compiled.project.settings.name;
  const nodes: Record<string, ManifestEntry> = {};
  const sources: Record<string, ManifestEntry> = {};
  const exposures: Record<string, ManifestEntry> = {};
  const parentMap: Record<string, readonly string[]> = {};
  for (const node of compiled.graph.nodes.values()) {
    // Written out in each entry rather than spread: one object per entry, not two.
    switch (node.kind) {
      case 'model':
        nodes[node.uniqueId] = {
          unique_id: node.uniqueId, name: node.name, path: node.file, original_file_path: node.file, description: node.description, tags: node.tags,
          resource_type: 'model',
          fqn: fqn(project, node),
          schema: node.relation.schema,
          relation_name: node.config.materialized === 'ephemeral' ? null : quoteRelation(node.relation),
          config: {
            materialized: node.config.materialized,
            unique_key: node.config.uniqueKey.length === 0 ? null : node.config.uniqueKey.length === 1 ? node.config.uniqueKey[0] : node.config.uniqueKey,
            incremental_strategy: node.config.materialized === 'incremental' ? node.config.incrementalStrategy : null,
          },
          columns: columns(node.columns),
          raw_code: node.rawSql,
          compiled_code: node.compiledSql,
          depends_on: { nodes: node.dependsOn },
        };
        break;
      case 'snapshot':
        nodes[node.uniqueId] = {
          unique_id: node.uniqueId, name: node.name, path: node.file, original_file_path: node.file, description: node.description, tags: node.tags,
          resource_type: 'snapshot',
          fqn: fqn(project, node),
          schema: node.relation.schema,
          relation_name: quoteRelation(node.relation),
          config: {
            materialized: 'snapshot',
            strategy: node.config.strategy,
            unique_key: node.config.uniqueKey.length === 1 ? node.config.uniqueKey[0] : node.config.uniqueKey,
            updated_at: node.config.updatedAt ?? null,
            check_cols: node.config.strategy === 'check' ? node.config.checkCols : null,
            hard_deletes: node.config.hardDeletes,
          },
          columns: columns(node.columns),
          raw_code: node.rawSql,
          compiled_code: node.compiledSql,
          depends_on: { nodes: node.dependsOn },
        };
        break;
      case 'seed':
        nodes[node.uniqueId] = { unique_id: node.uniqueId, name: node.name, path: node.file, original_file_path: node.file, description: node.description, tags: node.tags, resource_type: 'seed', schema: node.relation.schema, relation_name: quoteRelation(node.relation), columns: columns(node.columns) };
        break;
      case 'test':
        nodes[node.uniqueId] = {
          unique_id: node.uniqueId, name: node.name, path: node.file, original_file_path: node.file, description: node.description, tags: node.tags,
          resource_type: 'test',
          config: { severity: node.config.severity.toUpperCase(), where: node.config.where ?? null },
          raw_code: node.rawSql,
          compiled_code: node.sql,
          depends_on: { nodes: node.dependsOn },
          ...(node.testType === 'generic'
            ? { column_name: node.columnName ?? null, attached_node: node.attachedTo ?? null, test_metadata: { name: node.testName, kwargs: node.columnName ? { ...node.args, column_name: node.columnName } : node.args } }
            : {}),
        };
        break;
      case 'source':
        sources[node.uniqueId] = {
          unique_id: node.uniqueId, name: node.name, path: node.file, original_file_path: node.file, description: node.description, tags: node.tags,
          resource_type: 'source',
          schema: node.relation.schema,
          source_name: node.sourceName,
          identifier: node.relation.identifier,
          loaded_at_field: node.loadedAtField ?? null,
          relation_name: quoteRelation(node.relation),
          columns: columns(node.columns),
        };
        break;
      case 'exposure':
        exposures[node.uniqueId] = {
          unique_id: node.uniqueId, name: node.name, path: node.file, original_file_path: node.file, description: node.description, tags: node.tags,
          resource_type: 'exposure',
          type: node.exposureType,
          owner: { email: node.owner.email ?? null, name: node.owner.name ?? null },
          label: node.label ?? null,
          maturity: node.maturity ?? null,
          url: node.url ?? null,
          depends_on: { nodes: node.dependsOn },
        };
        break;
    }
    const parents = compiled.graph.parents.get(node.uniqueId) ?? [];
    parentMap[node.uniqueId] = parents.length < 2 ? parents : [...parents].sort();
  }
  return { metadata: { project_name: project }, nodes, sources, exposures, parent_map: parentMap };
}

function columns(list: readonly ColumnInfo[]): Record<string, ManifestColumn> {
  const result: Record<string, ManifestColumn> = {};
  for (const c of list) result[c.name] = { name: c.name, description: c.description, data_type: c.dataType ?? null };
  return result;
}
