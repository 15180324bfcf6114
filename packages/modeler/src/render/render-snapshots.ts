import type Handlebars from 'handlebars';
import { ConfigError, didYouMean, type ReelError } from '../errors/index.js';
import { makeNode, type ColumnInfo } from '../graph/nodes.js';
import type { SnapshotConfig, SnapshotNode } from '../graph/snapshot-node.js';
import type { CompileCache } from '../cache/compile-cache.js';
import { mergeConfig, toList } from '../load/folder-config.js';
import type { LoadedProject } from '../load/load-project.js';
import type { ProjectFile } from '../load/project-files.js';
import type { ModelProperties, Placed } from '../load/property-files.js';
import { snapshotConfigSchema, type SnapshotConfigInput } from '../load/snapshot-config-schema.js';
import { quoteRelation, type Relation } from '../sql/quote.js';
import { fileNodeFields } from './file-node-fields.js';
import { newRenderState, type RefTarget, type RenderState } from './render-state.js';
import type { SourceMap } from './source-map.js';
import { readStaticConfig } from './static-config.js';
import { parseTemplate, type ParsedTemplate } from './template.js';

/** A snapshot file parsed and configured, before rendering (its relation is known to refs). */
export interface SnapshotDraft {
  readonly file: ProjectFile;
  readonly template: ParsedTemplate;
  readonly config: SnapshotConfig;
  readonly relation: Relation;
  readonly uniqueId: string;
  readonly properties?: Placed<ModelProperties>;
}

export interface SnapshotDraftOptions {
  readonly hb: typeof Handlebars;
  readonly properties: ReadonlyMap<string, Placed<ModelProperties>>;
  readonly schemaFor: (custom: string | undefined) => string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cache?: CompileCache;
  /** Claims the name across models, seeds and snapshots; false when already taken (reported). */
  readonly claim: (file: ProjectFile) => boolean;
  readonly disabled: Set<string>;
  readonly errors: ReelError[];
  readonly configErrors: ConfigError[];
}

/**
 * Reads `snapshots/*.sql`: config from reel_project.yml (`snapshots:`), a `snapshots:` property
 * entry and `{{config}}` in the file, nearest last; then checks what each strategy needs.
 */
export function draftSnapshots(project: LoadedProject, options: SnapshotDraftOptions): SnapshotDraft[] {
  const drafts: SnapshotDraft[] = [];
  for (const file of project.snapshots) {
    let template: ParsedTemplate;
    try {
      template = parseTemplate(options.hb, file.path, file.text, options.cache);
    } catch (error) {
      options.errors.push(error as ReelError);
      continue;
    }
    const properties = options.properties.get(file.name);
    const inline = readStaticConfig(template.configCalls, snapshotConfigSchema, file.path, project.vars, options.env, options.configErrors);
    const merged = mergeConfig(mergeConfig(project.snapshotFolders.resolve(file.folder) as Record<string, unknown>, properties?.value.config ?? {}), inline) as SnapshotConfigInput;
    if (merged.enabled === false) {
      options.disabled.add(file.name);
      continue;
    }
    if (!options.claim(file)) continue;
    const config = snapshotConfig(merged, file, properties, options.errors);
    if (!config) continue;
    drafts.push({
      file,
      template,
      config,
      properties,
      uniqueId: `snapshot.${project.settings.name}.${file.name}`,
      relation: { schema: options.schemaFor(config.schema), identifier: config.alias ?? file.name },
    });
  }
  for (const [name, placed] of options.properties) {
    if (drafts.some((d) => d.file.name === name) || options.disabled.has(name) || project.snapshots.some((f) => f.name === name)) continue;
    options.errors.push(
      placed.file.error([...placed.path, 'name'], `snapshot "${name}" is described here but no .sql file defines it${didYouMean(name, project.snapshots.map((f) => f.name))}`, `rename the entry or add ${project.settings.snapshotPaths[0]}/${name}.sql`),
    );
  }
  return drafts;
}

function snapshotConfig(merged: SnapshotConfigInput, file: ProjectFile, properties: Placed<ModelProperties> | undefined, errors: ReelError[]): SnapshotConfig | undefined {
  const where = properties ? `the snapshots: entry in ${properties.file.path} or {{config}} in ${file.path}` : `{{config}} in ${file.path} or a snapshots: entry in a .yml file`;
  const problems: [string, string][] = [];
  const uniqueKey = toList(merged.unique_key);
  if (uniqueKey.length === 0) problems.push(['unique_key is not set', `set unique_key (the column, or list of columns, that identifies a row) in ${where}`]);
  if (!merged.strategy) problems.push(['strategy is not set', `set strategy: timestamp (with updated_at) or strategy: check (with check_cols) in ${where}`]);
  if (merged.strategy === 'timestamp' && !merged.updated_at) problems.push(['strategy timestamp needs updated_at', `set updated_at to the column that changes when a row changes, in ${where}`]);
  if (merged.strategy === 'check' && !merged.check_cols) problems.push(['strategy check needs check_cols', `set check_cols: all, or a list of the columns to compare, in ${where}`]);
  if (merged.strategy === 'timestamp' && merged.check_cols) problems.push(['check_cols is for strategy check', 'remove check_cols, or use strategy: check']);
  for (const [message, hint] of problems) {
    errors.push(new ConfigError('snapshot-config', `snapshot "${file.name}": ${message}`, { file: file.path, line: 1, column: 1, node: file.name, hint }));
  }
  if (problems.length > 0) return undefined;
  const names = merged.snapshot_meta_column_names ?? {};
  return {
    strategy: merged.strategy!,
    uniqueKey,
    updatedAt: merged.updated_at,
    checkCols: merged.check_cols ?? 'all',
    hardDeletes: merged.hard_deletes ?? (merged.invalidate_hard_deletes ? 'invalidate' : 'ignore'),
    schema: merged.schema ?? merged.target_schema,
    alias: merged.alias,
    tags: toList(merged.tags),
    enabled: true,
    meta: merged.meta ?? {},
    metaColumns: {
      scdId: names.dbt_scd_id ?? 'dbt_scd_id',
      updatedAt: names.dbt_updated_at ?? 'dbt_updated_at',
      validFrom: names.dbt_valid_from ?? 'dbt_valid_from',
      validTo: names.dbt_valid_to ?? 'dbt_valid_to',
      isCurrent: names.dbt_is_current ?? 'dbt_is_current',
      isDeleted: names.dbt_is_deleted ?? 'dbt_is_deleted',
    },
  };
}

export function snapshotRefTarget(draft: SnapshotDraft): RefTarget {
  return { uniqueId: draft.uniqueId, name: draft.file.name, kind: 'snapshot', relation: draft.relation, ephemeral: false };
}

type Render = (template: ParsedTemplate, state: RenderState, context: Record<string, unknown>) => { text: string; map: SourceMap } | undefined;

/** Renders each snapshot's select (refs and sources resolved, like a model's). */
export function renderSnapshot(
  draft: SnapshotDraft,
  render: Render,
  context: (self: string) => Record<string, unknown>,
  columnsOf: (properties: Placed<ModelProperties> | undefined) => ColumnInfo[],
  errors: ReelError[],
): SnapshotNode | undefined {
  const state = newRenderState(draft.file.path, draft.file.name, draft.relation);
  const rendered = render(draft.template, state, context(quoteRelation(draft.relation)));
  errors.push(...state.errors);
  if (!rendered || state.errors.length > 0) return undefined;
  return makeNode<SnapshotNode>({
    kind: 'snapshot',
    ...fileNodeFields(draft, state.dependsOn),
    columns: columnsOf(draft.properties),
    compiledSql: rendered.text.trim().replace(/;\s*$/, ''),
    sourceMap: rendered.map,
  });
}
