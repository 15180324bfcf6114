import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { CompiledProject } from '../compile.js';
import type { ColumnInfo, GraphNode, ModelNode, SeedNode, SnapshotNode, TestNode } from '../graph/nodes.js';
import { quoteRelation } from '../sql/quote.js';
import { snapshotManifestEntry } from './snapshot-manifest-entry.js';
import { unitTestManifestEntry } from './unit-test-manifest-entry.js';
import { artifactMetadata, type InvocationInfo } from './metadata.js';

const sha = (text: string) => ({ name: 'sha256', checksum: createHash('sha256').update(text).digest('hex') });

function columns(list: readonly ColumnInfo[]): Record<string, unknown> {
  return Object.fromEntries(list.map((c) => [c.name, { name: c.name, description: c.description, meta: c.meta, data_type: c.dataType ?? null, constraints: [], quote: null, tags: [...c.tags] }]));
}

/** `refs` and `sources` of a node that reads others. */
function readsFields(dependsOn: readonly string[], compiled: CompiledProject): Record<string, unknown> {
  return {
    refs: dependsOn.filter((id) => !id.startsWith('source.')).map((id) => ({ name: compiled.graph.nodes.get(id)?.name ?? id, package: null, version: null })),
    sources: dependsOn.filter((id) => id.startsWith('source.')).map((id) => id.split('.').slice(2)),
  };
}

/** The SQL file fields of a model or snapshot. */
function codeFields(node: ModelNode | SnapshotNode, projectName: string): Record<string, unknown> {
  return {
    patch_path: node.propertiesFile ? `${projectName}://${node.propertiesFile}` : null,
    raw_code: node.rawSql,
    language: 'sql',
    compiled_path: `target/compiled/${projectName}/${node.file}`,
    compiled: true,
    compiled_code: node.compiledSql,
  };
}

/** dbt's fqn: the project, the folders below models/ (or snapshots/) and the name. */
export function fqn(projectName: string, node: GraphNode): string[] {
  if (node.kind === 'model' || node.kind === 'snapshot') return [projectName, ...(node.folder ? node.folder.split('/') : []), node.name];
  if (node.kind === 'source') return [projectName, node.sourceName, node.tableName];
  return [projectName, node.name];
}

type Section = 'nodes' | 'sources' | 'exposures' | 'unit_tests';

export interface ManifestContext {
  readonly compiled: CompiledProject;
  readonly projectName: string;
  readonly database: string | null;
}

/** The `config` of a model's, seed's or test's manifest entry (also what `state:modified.configs` compares). */
export function configEntry(node: ModelNode | SeedNode | TestNode, placement = true): Record<string, unknown> {
  switch (node.kind) {
    case 'model':
      return {
        enabled: node.config.enabled,
        ...(placement ? { alias: node.config.alias ?? null, schema: node.config.schema ?? null } : {}),
        tags: [...node.config.tags],
        meta: node.config.meta,
        materialized: node.config.materialized,
        incremental_strategy: node.config.materialized === 'incremental' ? node.config.incrementalStrategy : null,
        on_schema_change: node.config.onSchemaChange,
        unique_key: node.config.uniqueKey.length === 0 ? null : node.config.uniqueKey.length === 1 ? node.config.uniqueKey[0] : [...node.config.uniqueKey],
        persist_docs: node.config.persistDocs,
        indexes: node.config.indexes,
        'pre-hook': node.config.preHooks.map((sql, index) => ({ sql, transaction: true, index })),
        'post-hook': node.config.postHooks.map((sql, index) => ({ sql, transaction: true, index })),
        grants: node.config.grants,
        contract: { enforced: node.config.contract.enforced, alias_types: true },
        full_refresh: node.config.fullRefresh ?? null,
      };
    case 'seed':
      return { enabled: true, tags: [...node.tags], meta: node.meta, materialized: 'seed', column_types: node.columnTypes, delimiter: node.delimiter };
    case 'test':
      return { enabled: node.config.enabled, severity: node.config.severity.toUpperCase(), warn_if: node.config.warnIf, error_if: node.config.errorIf, where: node.config.where ?? null, limit: node.config.limit ?? null, tags: [...node.config.tags], meta: {}, materialized: 'test' };
  }
}

/** A generic test's `test_metadata` (its name and arguments). */
export function testMetadata(node: TestNode): Record<string, unknown> | undefined {
  if (node.testType !== 'generic') return undefined;
  return { name: node.testName, kwargs: { ...node.args, ...(node.columnName ? { column_name: node.columnName } : {}) }, namespace: null };
}

/** One node's manifest entry and the section it belongs in. */
export function manifestEntry(node: GraphNode, { compiled, projectName, database }: ManifestContext): [Section, Record<string, unknown>] {
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
        config: configEntry(node),
        columns: columns(node.columns),
        ...codeFields(node, projectName),
        relation_name: node.config.materialized === 'ephemeral' ? null : quoteRelation(node.relation),
        depends_on: { macros: (node.macros ?? []).map((name) => macroId(projectName, name)), nodes: [...node.dependsOn] },
        ...readsFields(node.dependsOn, compiled),
        access: 'protected',
      }];
    case 'seed':
      return ['nodes', {
        ...common,
        database,
        schema: node.relation.schema,
        resource_type: 'seed',
        alias: node.relation.identifier,
        checksum: seedChecksum(node.absolutePath),
        config: configEntry(node),
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
        config: configEntry(node),
        raw_code: node.rawSql,
        language: 'sql',
        compiled: true,
        compiled_code: node.sql,
        depends_on: { macros: [], nodes: [...node.dependsOn] },
        ...readsFields(node.dependsOn, compiled),
        ...(node.testType === 'generic'
          ? { column_name: node.columnName ?? null, attached_node: node.attachedTo ?? null, test_metadata: testMetadata(node) }
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
    case 'snapshot':
      return ['nodes', { ...common, database, schema: node.relation.schema, checksum: sha(node.rawSql), columns: columns(node.columns), ...snapshotManifestEntry(node), ...codeFields(node, projectName), relation_name: quoteRelation(node.relation), depends_on: { macros: [], nodes: [...node.dependsOn] }, ...readsFields(node.dependsOn, compiled) }];
    case 'unit_test':
      return ['unit_tests', unitTestManifestEntry(node, projectName, compiled.graph.nodes.get(node.model)?.name ?? node.model, sha(JSON.stringify(node.definition)).checksum)];
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

/** The manifest's first piece, `{"metadata":{…}`: all that differs between two runs of an unchanged project. */
export function manifestHeader(compiled: CompiledProject, invocation: InvocationInfo): string {
  return `{"metadata":${JSON.stringify(manifestMetadata(compiled, invocation))}`;
}

/**
 * What lets a manifest reuse entries of the previous one (commands/write-compiled.ts): a key per
 * node (equal keys, equal entries), the previous manifest's bytes of an entry made from the same
 * key, and where each keyed entry ends up in the new one.
 */
export interface ManifestReuse {
  /** The key of a node's entry; undefined when it is always made again. */
  key(node: GraphNode): string | undefined;
  /** Where the previous manifest has `"id":{…}` of a node, when it was made from `key`. */
  previous(id: string, key: string): ManifestSlice | undefined;
  /** Where a keyed entry `"id":{…}` is in the new manifest, in bytes from the start. */
  written(id: string, key: string, start: number, end: number): void;
}

/** Bytes `start` to `end` of a manifest's text. */
export interface ManifestSlice {
  readonly text: Buffer;
  readonly start: number;
  readonly end: number;
}

/** One entry of a section: its text (or where the previous manifest has it) and its key. */
interface SectionEntry {
  readonly id: string;
  readonly key: string | undefined;
  readonly text: string | ManifestSlice;
}

/**
 * target/manifest.json in the shape of dbt's manifest v12, as JSON text in pieces: each entry is
 * serialised as soon as it is made, so a project of 10,000 models never holds the whole manifest
 * as objects (tens of megabytes of them). With `reuse`, an entry whose key has not changed is the
 * previous manifest's bytes of it.
 */
export function* manifestChunks(compiled: CompiledProject, invocation: InvocationInfo, database: string | null, reuse?: ManifestReuse): Generator<string | Buffer> {
  const context: ManifestContext = { compiled, projectName: compiled.project.settings.name, database };
  const entries = function* (wanted: Section): Generator<SectionEntry> {
    for (const node of compiled.graph.nodes.values()) {
      if (sectionOf(node) !== wanted) continue;
      const key = reuse?.key(node);
      const kept = key === undefined ? undefined : reuse!.previous(node.uniqueId, key);
      yield { id: node.uniqueId, key, text: kept ?? `${JSON.stringify(node.uniqueId)}:${JSON.stringify(manifestEntry(node, context)[1])}` };
    }
  };
  const edges = function* (map: ReadonlyMap<string, readonly string[]>): Generator<SectionEntry> {
    for (const id of compiled.graph.nodes.keys()) yield { id, key: undefined, text: `${JSON.stringify(id)}:${JSON.stringify([...(map.get(id) ?? [])].sort())}` };
  };
  const macros = function* (): Generator<SectionEntry> {
    for (const text of macroEntries(compiled, context.projectName)) yield { id: '', key: undefined, text };
  };
  const output = new SectionWriter(reuse);
  yield output.text(manifestHeader(compiled, invocation));
  yield* output.section('nodes', entries('nodes'));
  yield* output.section('sources', entries('sources'));
  yield* output.section('macros', macros());
  yield output.text(',"docs":{}');
  yield* output.section('exposures', entries('exposures'));
  yield output.text(',"metrics":{},"groups":{},"selectors":{},"disabled":{}');
  yield* output.section('parent_map', edges(compiled.graph.parents));
  yield* output.section('child_map', edges(compiled.graph.children));
  yield output.text(',"group_map":{},"saved_queries":{},"semantic_models":{}');
  yield* output.section('unit_tests', entries('unit_tests'));
  yield output.text('}');
}

const COMMA = 0x2c;

/**
 * Joins entries into pieces of up to 200, or into runs of the previous manifest's bytes (entries
 * kept in the same order are one run), counting bytes so that `reuse` learns where each keyed
 * entry is.
 */
class SectionWriter {
  private bytes = 0;

  constructor(private readonly reuse: ManifestReuse | undefined) {}

  text(text: string): string {
    if (this.reuse) this.bytes += Buffer.byteLength(text);
    return text;
  }

  /** `,"name":{…}`, in pieces. */
  *section(name: string, entries: Iterable<SectionEntry>): Generator<string | Buffer> {
    let piece = this.text(`,${JSON.stringify(name)}:{`);
    let run: { text: Buffer; start: number; end: number } | undefined;
    let count = 0;
    for (const entry of entries) {
      if (count > 0) piece += this.text(',');
      const start = this.bytes;
      if (typeof entry.text === 'string') {
        if (run) yield run.text.subarray(run.start, run.end);
        run = undefined;
        piece += this.text(entry.text);
      } else {
        const slice = entry.text;
        if (run && piece === ',' && run.text === slice.text && run.end + 1 === slice.start && slice.text[run.end] === COMMA) {
          // The comma and this entry follow the run in the previous manifest too.
          run.end = slice.end;
        } else {
          if (run) yield run.text.subarray(run.start, run.end);
          if (piece) yield piece;
          run = { ...slice };
        }
        piece = '';
        this.bytes += slice.end - slice.start;
      }
      if (entry.key !== undefined) this.reuse!.written(entry.id, entry.key, start, this.bytes);
      if (++count % 200 === 0 && piece) {
        yield piece;
        piece = '';
      }
    }
    if (run) yield run.text.subarray(run.start, run.end);
    yield piece + this.text('}');
  }
}

export const macroId = (projectName: string, name: string) => `macro.${projectName}.${name}`;

function* macroEntries(compiled: CompiledProject, projectName: string): Generator<string> {
  for (const macro of compiled.macros?.values() ?? []) {
    const id = macroId(projectName, macro.name);
    const entry = {
      name: macro.name,
      resource_type: 'macro',
      package_name: projectName,
      path: macro.file,
      original_file_path: macro.file,
      unique_id: id,
      macro_sql: macro.text,
      depends_on: { macros: macro.uses.map((name) => macroId(projectName, name)) },
      description: '',
      meta: {},
      patch_path: null,
      arguments: [],
    };
    yield `${JSON.stringify(id)}:${JSON.stringify(entry)}`;
  }
}

/**
 * A seed's checksum is its content's, so editing the CSV marks it modified (`state:modified`);
 * above 64 MiB (not read on every compile) its size and modification time stand in.
 */
export function seedChecksum(path: string): { name: string; checksum: string } {
  try {
    const stat = statSync(path);
    if (stat.size > 64 * 1024 * 1024) return { name: 'size-mtime', checksum: `${stat.size}-${stat.mtimeMs}` };
    return { name: 'sha256', checksum: createHash('sha256').update(readFileSync(path)).digest('hex') };
  } catch {
    return { name: 'path', checksum: path };
  }
}

function sectionOf(node: GraphNode): Section {
  return node.kind === 'source' ? 'sources' : node.kind === 'exposure' ? 'exposures' : node.kind === 'unit_test' ? 'unit_tests' : 'nodes';
}

/** The manifest as one object (for tests and small projects). */
export function buildManifest(compiled: CompiledProject, invocation: InvocationInfo, database: string | null): Record<string, unknown> {
  return JSON.parse([...manifestChunks(compiled, invocation, database)].join('')) as Record<string, unknown>;
}
