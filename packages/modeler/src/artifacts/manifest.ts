import { createHash } from 'node:crypto';
import type { CompiledProject } from '../compile.js';
import type { ColumnInfo, GraphNode } from '../graph/nodes.js';
import { quoteRelation } from '../sql/quote.js';
import { artifactMetadata, type InvocationInfo } from './metadata.js';

const sha = (text: string) => ({ name: 'sha256', checksum: createHash('sha256').update(text).digest('hex') });

function columns(list: readonly ColumnInfo[]): Record<string, unknown> {
  return Object.fromEntries(list.map((c) => [c.name, { name: c.name, description: c.description, meta: c.meta, data_type: c.dataType ?? null, constraints: [], quote: null, tags: [...c.tags] }]));
}

function fqn(projectName: string, node: GraphNode): string[] {
  if (node.kind === 'model') return [projectName, ...(node.folder ? node.folder.split('/') : []), node.name];
  if (node.kind === 'source') return [projectName, node.sourceName, node.tableName];
  return [projectName, node.name];
}

type Section = 'nodes' | 'sources' | 'exposures';

interface ManifestContext {
  readonly compiled: CompiledProject;
  readonly projectName: string;
  readonly database: string | null;
}

/** One node's manifest entry and the section it belongs in. */
function manifestEntry(node: GraphNode, { compiled, projectName, database }: ManifestContext): [Section, Record<string, unknown>] {
  const common = {
    name: node.name,
    package_name: projectName,
    path: node.file,
    original_file_path: node.file,
    unique_id: node.uniqueId,
    fqn: fqn(projectName, node),
    description: node.description,
    tags: [...node.tags],
    meta: node.meta,
  };
  switch (node.kind) {
    case 'model':
      return ['nodes', {
        ...common,
        database,
        schema: node.relation.schema,
        resource_type: 'model',
        alias: node.relation.identifier,
        checksum: sha(node.rawSql),
        config: {
          enabled: node.config.enabled,
          alias: node.config.alias ?? null,
          schema: node.config.schema ?? null,
          tags: [...node.config.tags],
          meta: node.config.meta,
          materialized: node.config.materialized,
          incremental_strategy: node.config.materialized === 'incremental' ? node.config.incrementalStrategy : null,
          unique_key: node.config.uniqueKey.length === 0 ? null : node.config.uniqueKey.length === 1 ? node.config.uniqueKey[0] : [...node.config.uniqueKey],
          persist_docs: node.config.persistDocs,
          indexes: node.config.indexes,
          full_refresh: node.config.fullRefresh ?? null,
        },
        columns: columns(node.columns),
        patch_path: node.propertiesFile ? `${projectName}://${node.propertiesFile}` : null,
        raw_code: node.rawSql,
        language: 'sql',
        compiled_path: `target/compiled/${projectName}/${node.file}`,
        compiled: true,
        compiled_code: node.compiledSql,
        relation_name: node.config.materialized === 'ephemeral' ? null : quoteRelation(node.relation),
        depends_on: { macros: [], nodes: [...node.dependsOn] },
        refs: node.dependsOn.filter((id) => !id.startsWith('source.')).map((id) => ({ name: compiled.graph.nodes.get(id)?.name ?? id, package: null, version: null })),
        sources: node.dependsOn.filter((id) => id.startsWith('source.')).map((id) => id.split('.').slice(2)),
        access: 'protected',
      }];
    case 'seed':
      return ['nodes', {
        ...common,
        database,
        schema: node.relation.schema,
        resource_type: 'seed',
        alias: node.relation.identifier,
        checksum: sha(node.absolutePath),
        config: { enabled: true, tags: [...node.tags], meta: node.meta, materialized: 'seed', column_types: node.columnTypes, delimiter: node.delimiter },
        columns: columns(node.columns),
        relation_name: quoteRelation(node.relation),
        root_path: compiled.project.root,
        depends_on: { macros: [] },
      }];
    case 'test':
      return ['nodes', {
        ...common,
        database,
        schema: `${compiled.target.schemaPrefix ? compiled.target.schemaPrefix + '_' : ''}${compiled.target.schema}_dbt_test__audit`,
        resource_type: 'test',
        alias: node.name,
        checksum: sha(node.rawSql),
        config: { enabled: node.config.enabled, severity: node.config.severity.toUpperCase(), warn_if: node.config.warnIf, error_if: node.config.errorIf, where: node.config.where ?? null, limit: node.config.limit ?? null, tags: [...node.config.tags], meta: {}, materialized: 'test' },
        raw_code: node.rawSql,
        language: 'sql',
        compiled: true,
        compiled_code: node.sql,
        depends_on: { macros: [], nodes: [...node.dependsOn] },
        refs: node.dependsOn.filter((id) => !id.startsWith('source.')).map((id) => ({ name: compiled.graph.nodes.get(id)?.name ?? id, package: null, version: null })),
        sources: node.dependsOn.filter((id) => id.startsWith('source.')).map((id) => id.split('.').slice(2)),
        ...(node.testType === 'generic'
          ? { column_name: node.columnName ?? null, attached_node: node.attachedTo ?? null, test_metadata: { name: node.testName, kwargs: { ...node.args, ...(node.columnName ? { column_name: node.columnName } : {}) }, namespace: null } }
          : {}),
      }];
    case 'source':
      return ['sources', {
        ...common,
        database,
        schema: node.relation.schema,
        resource_type: 'source',
        source_name: node.sourceName,
        source_description: '',
        loader: '',
        identifier: node.relation.identifier,
        columns: columns(node.columns),
        loaded_at_field: node.loadedAtField ?? null,
        relation_name: quoteRelation(node.relation),
        config: { enabled: true },
      }];
    case 'exposure':
      return ['exposures', {
        ...common,
        resource_type: 'exposure',
        type: node.exposureType,
        owner: { email: node.owner.email ?? null, name: node.owner.name ?? null },
        label: node.label ?? null,
        maturity: node.maturity ?? null,
        url: node.url ?? null,
        depends_on: { macros: [], nodes: [...node.dependsOn] },
        refs: [],
        sources: [],
      }];
  }
}

function manifestMetadata(compiled: CompiledProject, invocation: InvocationInfo): Record<string, unknown> {
  const projectName = compiled.project.settings.name;
  return {
    ...artifactMetadata('https://schemas.getdbt.com/dbt/manifest/v12.json', invocation),
    project_name: projectName,
    project_id: createHash('md5').update(projectName).digest('hex'),
    adapter_type: 'postgres',
  };
}

/**
 * target/manifest.json in the shape of dbt's manifest v12, as JSON text in pieces: each entry is
 * serialised as soon as it is made, so a project of 10,000 models never holds the whole manifest
 * as objects (tens of megabytes of them).
 */
export function* manifestChunks(compiled: CompiledProject, invocation: InvocationInfo, database: string | null): Generator<string> {
  const context: ManifestContext = { compiled, projectName: compiled.project.settings.name, database };
  const entries = function* (wanted: Section): Generator<string> {
    for (const node of compiled.graph.nodes.values()) {
      if (sectionOf(node) !== wanted) continue;
      yield `${JSON.stringify(node.uniqueId)}:${JSON.stringify(manifestEntry(node, context)[1])}`;
    }
  };
  const edges = function* (map: ReadonlyMap<string, readonly string[]>): Generator<string> {
    for (const id of compiled.graph.nodes.keys()) yield `${JSON.stringify(id)}:${JSON.stringify([...(map.get(id) ?? [])].sort())}`;
  };
  yield `{"metadata":${JSON.stringify(manifestMetadata(compiled, invocation))}`;
  yield* section('nodes', entries('nodes'));
  yield* section('sources', entries('sources'));
  yield ',"macros":{},"docs":{}';
  yield* section('exposures', entries('exposures'));
  yield ',"metrics":{},"groups":{},"selectors":{},"disabled":{}';
  yield* section('parent_map', edges(compiled.graph.parents));
  yield* section('child_map', edges(compiled.graph.children));
  yield ',"group_map":{},"saved_queries":{},"semantic_models":{},"unit_tests":{}}';
}

function sectionOf(node: GraphNode): Section {
  return node.kind === 'source' ? 'sources' : node.kind === 'exposure' ? 'exposures' : 'nodes';
}

/** `,"name":{…}` in pieces of up to 200 entries. */
function* section(name: string, entries: Iterable<string>): Generator<string> {
  let piece = `,${JSON.stringify(name)}:{`;
  let count = 0;
  for (const entry of entries) {
    piece += count === 0 ? entry : `,${entry}`;
    if (++count % 200 === 0) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}}`;
}

/** The manifest as one object (for tests and small projects). */
export function buildManifest(compiled: CompiledProject, invocation: InvocationInfo, database: string | null): Record<string, unknown> {
  return JSON.parse([...manifestChunks(compiled, invocation, database)].join('')) as Record<string, unknown>;
}
