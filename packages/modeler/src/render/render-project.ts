import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import Handlebars from 'handlebars';
import { ConfigError, GraphError, RenderError, didYouMean, type ReelError } from '../errors/index.js';
import { modelConfigSchema, testConfigSchema, type ModelConfigInput, type SeedConfigInput, type TestConfigInput } from '../load/config-schema.js';
import { mergeConfig, toList } from '../load/folder-config.js';
import type { CompileCache } from '../cache/compile-cache.js';
import type { LoadedProject } from '../load/load-project.js';
import type { ProjectFile } from '../load/project-files.js';
import { readTestUse, type ColumnProperties, type ModelProperties, type Placed, type TestUse } from '../load/property-files.js';
import {
  makeNode,
  type ColumnInfo,
  type ExposureNode,
  type GraphNode,
  type ModelConfig,
  type ModelNode,
  type SeedNode,
  type SourceNode,
  type TestConfig,
  type TestNode,
} from '../graph/nodes.js';
import { quoteIdent, quoteRelation, type Relation } from '../sql/quote.js';
import { builtinTestProblem, builtinTestSql, isBuiltinTest } from './builtin-tests.js';
import { renderFlat } from './flat-template.js';
import { registerHelpers, renderFailure, type HelperContext } from './helpers.js';
import { newRenderState, type RefTarget, type RenderState } from './render-state.js';
import { SourceMap, stripMarkers } from './source-map.js';
import { readStaticConfig } from './static-config.js';
import { draftSnapshots, renderSnapshot, snapshotRefTarget } from './render-snapshots.js';
import { buildUnitTests } from './render-unit-tests.js';
import { fileNodeFields } from './file-node-fields.js';
import { PROJECT_FILE } from '../load/project-file.js';
import { buildMacroIndex, macrosCalledBy, type Macro } from './macro-index.js';
import { parseTemplate, type ParsedTemplate } from './template.js';

/** Where relations go: the target's schema, and a prefix for every schema (dev isolation). */
export interface NamingTarget {
  readonly schema: string;
  readonly schemaPrefix?: string;
}

export interface RenderOptions {
  readonly target: NamingTarget;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Parse results kept between runs (see compile-cache.ts). */
  readonly cache?: CompileCache;
}

export interface RenderResult {
  readonly nodes: readonly GraphNode[];
  readonly errors: readonly ReelError[];
  /** The project's macros by name (partials and helpers from modules). */
  readonly macros: ReadonlyMap<string, Macro>;
  /** on-run-start and on-run-end, rendered. */
  readonly runHooks: { readonly start: readonly string[]; readonly end: readonly string[] };
}

interface ModelDraft {
  readonly file: ProjectFile;
  readonly template: ParsedTemplate;
  readonly config: ModelConfig;
  readonly relation: Relation;
  readonly uniqueId: string;
  readonly properties?: Placed<ModelProperties>;
}

/** Renders every template of a loaded project into nodes with compiled SQL and dependencies. */
export async function renderProject(project: LoadedProject, options: RenderOptions): Promise<RenderResult> {
  const errors: ReelError[] = [];
  const configErrors: ConfigError[] = [];
  const env = options.env ?? process.env;
  const projectName = project.settings.name;
  const schemaFor = (custom: string | undefined): string => {
    const base = custom ?? options.target.schema;
    return options.target.schemaPrefix ? `${options.target.schemaPrefix}_${base}` : base;
  };

  const hb = Handlebars.create();
  const modelProperties = indexProperties(project.properties.models, 'model', errors);
  const seedProperties = indexProperties(project.properties.seeds, 'seed', errors);

  // Parse every model and read its static config, so that every relation name is known up front.
  const drafts: ModelDraft[] = [];
  const disabled = new Set<string>();
  const byName = new Map<string, { path: string; kind: string }>();
  for (const file of project.models) {
    let template: ParsedTemplate;
    try {
      template = parseTemplate(hb, file.path, file.text, options.cache);
    } catch (error) {
      errors.push(error as ReelError);
      continue;
    }
    const properties = modelProperties.get(file.name);
    const inline = readStaticConfig(template.configCalls, modelConfigSchema, file.path, project.vars, env, configErrors);
    const merged = mergeConfig(mergeConfig(project.modelFolders.resolve(file.folder) as Record<string, unknown>, properties?.value.config ?? {}), inline) as ModelConfigInput;
    if (merged.enabled === false) {
      disabled.add(file.name);
      continue;
    }
    if (!claimName(byName, file.name, file.path, 'model', errors)) continue;
    const config = modelConfig(merged);
    drafts.push({
      file,
      template,
      config,
      properties,
      uniqueId: `model.${projectName}.${file.name}`,
      relation: { schema: schemaFor(config.schema), identifier: config.alias ?? file.name },
    });
  }

  const seeds: SeedNode[] = [];
  for (const file of project.seeds) {
    const properties = seedProperties.get(file.name);
    const config = mergeConfig(project.seedFolders.resolve(file.folder) as Record<string, unknown>, properties?.value.config ?? {}) as SeedConfigInput;
    if (config.enabled === false) {
      disabled.add(file.name);
      continue;
    }
    if (!claimName(byName, file.name, file.path, 'seed', errors)) continue;
    seeds.push(
      makeNode<SeedNode>({
        kind: 'seed',
        uniqueId: `seed.${projectName}.${file.name}`,
        name: file.name,
        file: file.path,
        line: 1,
        description: properties?.value.description ?? '',
        tags: toList(config.tags),
        meta: { ...(config.meta ?? {}), ...(properties?.value.meta ?? {}) },
        dependsOn: [],
        relation: { schema: schemaFor(config.schema), identifier: config.alias ?? file.name },
        absolutePath: file.absolutePath,
        columnTypes: config.column_types ?? {},
        delimiter: config.delimiter ?? ',',
        columns: columnsOf(properties?.value.columns ?? []),
        fullRefresh: config.full_refresh,
      }),
    );
  }

  const snapshotDrafts = draftSnapshots(project, {
    hb,
    properties: indexProperties(project.properties.snapshots, 'snapshot', errors),
    schemaFor,
    env,
    cache: options.cache,
    claim: (file) => claimName(byName, file.name, file.path, 'snapshot', errors),
    disabled,
    errors,
    configErrors,
  });

  for (const [name, placed] of [...modelProperties, ...seedProperties]) {
    if (!byName.has(name) && !disabled.has(name)) {
      const kind = project.properties.models.includes(placed) ? 'model' : 'seed';
      errors.push(
        placed.file.error(
          [...placed.path, 'name'],
          `${kind} "${name}" is described here but no ${kind === 'model' ? '.sql' : '.csv'} file defines it${didYouMean(name, byName.keys())}`,
          `rename the entry or add ${kind === 'model' ? 'models/…/' + name + '.sql' : 'seeds/' + name + '.csv'}`,
        ),
      );
    }
  }

  const sources = buildSources(project, errors);

  const nodes = new Map<string, RefTarget>();
  for (const draft of drafts) {
    nodes.set(draft.file.name, { uniqueId: draft.uniqueId, name: draft.file.name, kind: 'model', relation: draft.relation, ephemeral: draft.config.materialized === 'ephemeral' });
  }
  for (const seed of seeds) nodes.set(seed.name, { uniqueId: seed.uniqueId, name: seed.name, kind: 'seed', relation: seed.relation, ephemeral: false });
  for (const draft of snapshotDrafts) nodes.set(draft.file.name, snapshotRefTarget(draft));
  const sourceTargets = new Map<string, RefTarget>();
  for (const source of sources) {
    sourceTargets.set(`${source.sourceName}.${source.tableName}`, { uniqueId: source.uniqueId, name: source.name, kind: 'source', relation: source.relation, ephemeral: false });
  }

  const helperContext: HelperContext = { vars: project.vars, env, nodes, sources: sourceTargets, disabled };
  registerHelpers(hb, helperContext);
  registerPartials(hb, project.partials, errors);
  const macros = buildMacroIndex(hb, project.partials, await registerHelperModules(hb, project.helperModules, errors));

  const render = (template: ParsedTemplate, state: RenderState, context: Record<string, unknown>) => {
    try {
      const data = { reel: state };
      let output = template.flat ? renderFlat(hb, template.flat, context, data) : undefined;
      if (output === undefined) {
        const compiled = hb.compile(template.ast, { noEscape: true, strict: true, knownHelpersOnly: false });
        output = compiled(context, { data });
      }
      return stripMarkers(output, template.file);
    } catch (error) {
      state.errors.push(renderFailure(error, template.file, state.nodeName, hb, template));
      return undefined;
    }
  };

  /** on-run-start / on-run-end: templates with var, env and the macros, but no model of their own. */
  const renderRunHooks = (hooks: readonly string[]): string[] =>
    hooks.map((hook) => {
      const state = newRenderState(PROJECT_FILE, 'on-run', { schema: options.target.schema, identifier: 'on_run' });
      try {
        const text = render(parseTemplate(hb, PROJECT_FILE, hook), state, {})?.text ?? '';
        errors.push(...dedupe(state.errors));
        return text;
      } catch (error) {
        errors.push(error as ReelError);
        return '';
      }
    });

  const result: GraphNode[] = [...sources, ...seeds];
  for (const draft of drafts) {
    const state = newRenderState(draft.file.path, draft.file.name, draft.relation);
    const self = quoteRelation(draft.relation);
    const full = render(draft.template, state, templateContext(self, false));
    const renderHooks = (hooks: readonly string[]) =>
      hooks.map((hook) => {
        try {
          return render(parseTemplate(hb, draft.file.path, hook), state, templateContext(self, false))?.text ?? '';
        } catch (error) {
          state.errors.push(error as ReelError);
          return '';
        }
      });
    const hooks = draft.config.preHooks.length + draft.config.postHooks.length > 0 ? { pre: renderHooks(draft.config.preHooks), post: renderHooks(draft.config.postHooks) } : undefined;
    let incremental: ReturnType<typeof render>;
    if (draft.config.materialized === 'incremental') {
      incremental = draft.template.usesIncremental ? render(draft.template, state, templateContext(self, true)) : full;
    }
    errors.push(...dedupe(state.errors));
    // SQL rendered with errors is not worth parsing: its problems are the ones already reported.
    if (!full || state.errors.length > 0) continue;
    if (draft.config.contract.enforced) errors.push(...contractProblems(draft));
    result.push(
      makeNode<ModelNode>({
        kind: 'model',
        ...fileNodeFields(draft, state.dependsOn),
        macros: macrosCalledBy(draft.template, macros),
        ...(hooks ? { hooks } : {}),
        columns: columnsOf(draft.properties?.value.columns ?? []),
        compiledSql: full.text,
        sourceMap: full.map,
        incrementalSql: incremental?.text,
        incrementalSourceMap: incremental?.map,
      }),
    );
  }

  for (const draft of snapshotDrafts) {
    const snapshot = renderSnapshot(draft, render, (self) => templateContext(self, false), (p) => columnsOf(p?.value.columns ?? []), errors);
    if (snapshot) result.push(snapshot);
  }

  const tests = new TestBuilder(project, hb, nodes, sourceTargets, render, errors, configErrors, options.cache);
  for (const draft of drafts) {
    const props = draft.properties;
    if (props) tests.addDeclared(nodes.get(draft.file.name)!, props.value.tests, props.value.columns, props.file, props.path);
  }
  for (const seed of seeds) {
    const props = seedProperties.get(seed.name);
    if (props) tests.addDeclared(nodes.get(seed.name)!, props.value.tests, props.value.columns, props.file, props.path);
  }
  for (const placed of project.properties.sources) {
    placed.value.tables.forEach((table, i) => {
      const target = sourceTargets.get(`${placed.value.name}.${table.name}`);
      if (target) tests.addDeclared(target, [...(table.tests ?? []), ...(table.data_tests ?? [])], table.columns ?? [], placed.file, [...placed.path, 'tables', i]);
    });
  }
  for (const draft of snapshotDrafts) {
    if (draft.properties) tests.addDeclared(nodes.get(draft.file.name)!, draft.properties.value.tests, draft.properties.value.columns, draft.properties.file, draft.properties.path);
  }
  for (const file of project.singularTests) tests.addSingular(file);
  result.push(...tests.nodes);
  const declared = new Map(result.map((node) => [node.uniqueId, 'columns' in node ? node.columns : []]));
  result.push(
    ...buildUnitTests(project, {
      models: new Map(drafts.map((d) => [d.file.name, { name: d.file.name, uniqueId: d.uniqueId, file: d.file.path, template: d.template, relation: d.relation }])),
      resolve: (text) => resolveYamlRef(text, nodes, sourceTargets),
      columnsOf: (id) => declared.get(id) ?? [],
      render,
      context: templateContext,
      errors,
    }),
  );

  result.push(...buildExposures(project, nodes, sourceTargets, errors));
  errors.push(...configErrors);
  const runHooks = { start: renderRunHooks(project.settings.onRunStart), end: renderRunHooks(project.settings.onRunEnd) };
  return { nodes: result, errors, macros, runHooks };
}

function templateContext(self: string, isIncremental: boolean): Record<string, unknown> {
  const context = Object.create({ toString: () => self }) as Record<string, unknown>;
  context.is_incremental = isIncremental;
  return context;
}

function modelConfig(merged: ModelConfigInput): ModelConfig {
  const uniqueKey = toList(merged.unique_key);
  return {
    materialized: merged.materialized ?? 'view',
    schema: merged.schema,
    alias: merged.alias,
    tags: toList(merged.tags),
    enabled: merged.enabled ?? true,
    uniqueKey,
    incrementalStrategy: merged.incremental_strategy ?? (uniqueKey.length > 0 ? 'merge' : 'append'),
    onSchemaChange: merged.on_schema_change ?? 'ignore',
    contract: { enforced: merged.contract?.enforced ?? false },
    preHooks: hooksOf(merged.pre_hook),
    postHooks: hooksOf(merged.post_hook),
    grants: Object.fromEntries(Object.entries(merged.grants ?? {}).map(([privilege, roles]) => [privilege.toLowerCase(), typeof roles === 'string' ? [roles] : roles])),
    fullRefresh: merged.full_refresh,
    indexes: (merged.indexes ?? []).map((i) => ({ columns: i.columns, unique: i.unique ?? false, ...(i.type ? { type: i.type } : {}) })),
    meta: merged.meta ?? {},
    persistDocs: { relation: merged.persist_docs?.relation ?? false, columns: merged.persist_docs?.columns ?? false },
  };
}

function columnsOf(columns: readonly ColumnProperties[]): ColumnInfo[] {
  return columns.map((c) => ({ name: c.name, description: c.description ?? '', dataType: c.data_type, meta: c.meta ?? {}, tags: toList(c.tags), ...(c.constraints?.length ? { constraints: c.constraints } : {}) }));
}

function claimName(byName: Map<string, { path: string; kind: string }>, name: string, path: string, kind: string, errors: ReelError[]): boolean {
  const existing = byName.get(name);
  if (existing) {
    errors.push(
      new GraphError('duplicate-name', `${kind} "${name}" is defined twice: ${existing.path} and ${path}`, {
        file: path,
        line: 1,
        column: 1,
        node: name,
        hint: 'node names must be unique across models and seeds; rename one of the files',
      }),
    );
    return false;
  }
  byName.set(name, { path, kind });
  return true;
}

function indexProperties(list: readonly Placed<ModelProperties>[], kind: string, errors: ReelError[]): Map<string, Placed<ModelProperties>> {
  const map = new Map<string, Placed<ModelProperties>>();
  for (const placed of list) {
    const existing = map.get(placed.value.name);
    if (existing) {
      const first = existing.file.placeOf([...existing.path, 'name']);
      errors.push(
        placed.file.error(
          [...placed.path, 'name'],
          `${kind} "${placed.value.name}" is described twice (also at ${first.file}:${first.line ?? '?'})`,
          'merge the two entries into one',
        ),
      );
      continue;
    }
    map.set(placed.value.name, placed);
  }
  return map;
}

function buildSources(project: LoadedProject, errors: ReelError[]): SourceNode[] {
  const out: SourceNode[] = [];
  const seen = new Map<string, string>();
  for (const placed of project.properties.sources) {
    const source = placed.value;
    source.tables.forEach((table, i) => {
      const key = `${source.name}.${table.name}`;
      const place = () => placed.file.placeOf([...placed.path, 'tables', i, 'name']);
      if (seen.has(key)) {
        errors.push(new GraphError('duplicate-source', `source table "${key}" is declared twice (also in ${seen.get(key)})`, { ...place(), hint: 'declare each source table once' }));
        return;
      }
      seen.set(key, placed.file.path);
      out.push(
        makeNode<SourceNode>({
          kind: 'source',
          uniqueId: `source.${project.settings.name}.${source.name}.${table.name}`,
          name: table.name,
          file: placed.file.path,
          line: () => place().line ?? 1,
          description: table.description ?? source.description ?? '',
          tags: [...new Set([...toList(source.tags), ...toList(table.tags)])],
          meta: { ...(source.meta ?? {}), ...(table.meta ?? {}) },
          dependsOn: [],
          sourceName: source.name,
          tableName: table.name,
          // Source schemas are where raw data lives: never prefixed.
          relation: { schema: source.schema ?? source.name, identifier: table.identifier ?? table.name },
          columns: columnsOf(table.columns ?? []),
          loadedAtField: table.loaded_at_field ?? source.loaded_at_field,
          freshness: table.freshness !== undefined ? table.freshness : source.freshness, // null turns it off (dbt)
        }),
      );
    });
  }
  return out;
}

const REF_PATTERN = /^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$/;
const SOURCE_PATTERN = /^\s*source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*$/;

/** Resolves `ref('x')`, `source('s', 't')` or a bare model name written in YAML. */
function resolveYamlRef(text: string, nodes: ReadonlyMap<string, RefTarget>, sources: ReadonlyMap<string, RefTarget>): RefTarget | { error: string } {
  const ref = REF_PATTERN.exec(text);
  const source = SOURCE_PATTERN.exec(text);
  if (source) {
    const key = `${source[1]}.${source[2]}`;
    return sources.get(key) ?? { error: `source "${key}" is not declared${didYouMean(key, sources.keys())}` };
  }
  const name = ref ? ref[1]! : text.trim();
  if (!ref && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return { error: `"${text}" is not a ref('model') or source('source', 'table')` };
  return nodes.get(name) ?? { error: `ref "${name}" does not match any model or seed${didYouMean(name, nodes.keys())}` };
}

type Render = (template: ParsedTemplate, state: RenderState, context: Record<string, unknown>) => { text: string; map: SourceMap } | undefined;

class TestBuilder {
  readonly nodes: TestNode[] = [];
  private readonly names = new Set<string>();
  private readonly generic = new Map<string, ParsedTemplate>();

  constructor(
    private readonly project: LoadedProject,
    private readonly hb: typeof Handlebars,
    private readonly refs: ReadonlyMap<string, RefTarget>,
    private readonly sources: ReadonlyMap<string, RefTarget>,
    private readonly render: Render,
    private readonly errors: ReelError[],
    private readonly configErrors: ConfigError[],
    private readonly cache: CompileCache | undefined,
  ) {
    for (const file of project.genericTests) {
      try {
        this.generic.set(file.name, parseTemplate(hb, file.path, file.text, this.cache));
      } catch (error) {
        errors.push(error as ReelError);
      }
    }
  }

  addDeclared(target: RefTarget, tableTests: readonly unknown[], columns: readonly ColumnProperties[], file: Placed<unknown>['file'], path: readonly (string | number)[]): void {
    tableTests.forEach((entry, i) => this.addUse(target, undefined, readTestUse(entry, file, [...path, testKey(file, path), i], this.configErrors)));
    columns.forEach((column, c) => {
      const list = [...(column.tests ?? []), ...(column.data_tests ?? [])];
      list.forEach((entry, i) => this.addUse(target, column.name, readTestUse(entry, file, [...path, 'columns', c, column.tests ? 'tests' : 'data_tests', i], this.configErrors)));
    });
  }

  private addUse(target: RefTarget, column: string | undefined, use: TestUse | undefined): void {
    if (!use) return;
    const place = () => use.file.placeOf(use.path);
    const builtin = isBuiltinTest(use.testName);
    const generic = this.generic.get(use.testName);
    if (!builtin && !generic) {
      this.errors.push(
        new ConfigError('unknown-test', `unknown test "${use.testName}"${didYouMean(use.testName, ['unique', 'not_null', 'accepted_values', 'relationships', ...this.generic.keys()])}`, {
          ...place(),
          hint: 'use unique, not_null, accepted_values or relationships, or define tests/generic/' + use.testName + '.sql',
        }),
      );
      return;
    }
    const config = this.testConfig(this.project.testFolders.resolve(''), use.config);
    const modelExpr = config.where ? `(select * from ${quoteRelation(target.relation)} where ${config.where}) as dbt_subquery` : quoteRelation(target.relation);
    const dependsOn = new Set([target.uniqueId]);
    let sql: string;
    if (builtin) {
      const problem = builtinTestProblem(use.testName as Parameters<typeof builtinTestProblem>[0], column, use.args);
      if (problem) {
        this.errors.push(new ConfigError('test-args', problem, { ...place(), node: target.name }));
        return;
      }
      let to: string | undefined;
      if (use.testName === 'relationships') {
        const parent = resolveYamlRef(String(use.args.to), this.refs, this.sources);
        if ('error' in parent) {
          this.errors.push(new GraphError('unknown-ref', `relationships to: ${parent.error}`, { ...use.file.placeOf([...use.path, use.testName, 'to']), node: target.name }));
          return;
        }
        dependsOn.add(parent.uniqueId);
        to = quoteRelation(parent.relation);
      }
      sql = builtinTestSql(use.testName as Parameters<typeof builtinTestSql>[0], { model: quoteRelation(target.relation), where: config.where, column, args: use.args, to });
    } else {
      const state = newRenderState(use.file.path, target.name);
      const context: Record<string, unknown> = { model: new Handlebars.SafeString(modelExpr), column_name: column === undefined ? undefined : new Handlebars.SafeString(quoteIdent(column)) };
      for (const [key, value] of Object.entries(use.args)) {
        if (typeof value === 'string' && (REF_PATTERN.test(value) || SOURCE_PATTERN.test(value))) {
          const resolved = resolveYamlRef(value, this.refs, this.sources);
          if ('error' in resolved) {
            this.errors.push(new GraphError('unknown-ref', `${use.testName} ${key}: ${resolved.error}`, { ...use.file.placeOf([...use.path, use.testName, key]), node: target.name }));
            return;
          }
          dependsOn.add(resolved.uniqueId);
          context[key] = new Handlebars.SafeString(quoteRelation(resolved.relation));
        } else context[key] = value;
      }
      const rendered = this.render(generic!, state, context);
      this.errors.push(...state.errors);
      if (!rendered) return;
      for (const id of state.dependsOn) dependsOn.add(id);
      sql = rendered.text;
    }
    const name = this.uniqueName(use.customName ?? defaultTestName(use.testName, target, column, use.args));
    this.nodes.push(
      makeNode<TestNode>({
        kind: 'test',
        uniqueId: `test.${this.project.settings.name}.${name}`,
        name,
        file: use.file.path,
        line: () => place().line ?? 1,
        description: '',
        tags: config.tags,
        meta: {},
        dependsOn: [...dependsOn].sort(),
        testType: 'generic',
        testName: use.testName,
        attachedTo: target.uniqueId,
        columnName: column,
        args: use.args,
        config,
        sql,
        rawSql: generic ? generic.file : `{{ ${use.testName} }}`,
      }),
    );
  }

  addSingular(file: ProjectFile): void {
    let template: ParsedTemplate;
    try {
      template = parseTemplate(this.hb, file.path, file.text, this.cache);
    } catch (error) {
      this.errors.push(error as ReelError);
      return;
    }
    const inline = readStaticConfig(template.configCalls, testConfigSchema, file.path, this.project.vars, process.env, this.configErrors);
    const config = this.testConfig(this.project.testFolders.resolve(file.folder), inline);
    if (!config.enabled) return;
    const state = newRenderState(file.path, file.name);
    const rendered = this.render(template, state, templateContext('', false));
    this.errors.push(...state.errors);
    if (!rendered) return;
    const name = this.uniqueName(file.name);
    this.nodes.push(
      makeNode<TestNode>({
        kind: 'test',
        uniqueId: `test.${this.project.settings.name}.${name}`,
        name,
        file: file.path,
        line: 1,
        description: '',
        tags: config.tags,
        meta: {},
        dependsOn: [...state.dependsOn].sort(),
        testType: 'singular',
        testName: file.name,
        args: {},
        config,
        sql: rendered.text.trim().replace(/;\s*$/, ''),
        rawSql: file.text,
        sourceMap: rendered.map,
      }),
    );
  }

  private testConfig(...layers: Partial<TestConfigInput>[]): TestConfig {
    let merged: Record<string, unknown> = {};
    for (const layer of layers) merged = mergeConfig(merged, layer);
    const c = merged as TestConfigInput;
    return {
      severity: (c.severity ?? 'error').toLowerCase() as 'error' | 'warn',
      warnIf: c.warn_if ?? '!=0',
      errorIf: c.error_if ?? '!=0',
      where: c.where,
      limit: c.limit,
      tags: toList(c.tags),
      enabled: c.enabled ?? true,
    };
  }

  private uniqueName(base: string): string {
    let name = base.length > 120 ? `${base.slice(0, 100)}_${hash(base)}` : base;
    if (this.names.has(name)) name = `${name}_${hash(name + this.names.size)}`;
    this.names.add(name);
    return name;
  }
}

function testKey(file: Placed<unknown>['file'], path: readonly (string | number)[]): string {
  const value = path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], file.value) as Record<string, unknown> | undefined;
  return value && 'data_tests' in value && !('tests' in value) ? 'data_tests' : 'tests';
}

/** dbt's name for a generic test: `<test>_<model>_<args sorted by name, column_name included>`. */
function defaultTestName(test: string, target: RefTarget, column: string | undefined, args: Readonly<Record<string, unknown>>): string {
  const prefix = target.kind === 'source' ? `source_${test}_${target.uniqueId.split('.').slice(-2).join('_')}` : `${test}_${target.name}`;
  const all: Record<string, unknown> = column === undefined ? { ...args } : { ...args, column_name: column };
  const flat = Object.keys(all)
    .sort()
    .flatMap((key) => {
      const value = all[key];
      if (Array.isArray(value)) return value;
      if (value && typeof value === 'object') return Object.values(value);
      return [value];
    })
    .map((part) => pythonStr(part).replace(/[^0-9a-zA-Z_]+/g, '_'));
  return `${prefix}_${flat.join('__')}`;
}

/** How Python's str() writes a YAML value, for names identical to dbt's. */
function pythonStr(value: unknown): string {
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null || value === undefined) return 'None';
  return String(value);
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

function dedupe(errors: readonly ReelError[]): ReelError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = e.toString();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function registerPartials(hb: typeof Handlebars, partials: readonly ProjectFile[], errors: ReelError[]): void {
  const seen = new Map<string, string>();
  for (const file of partials) {
    const other = seen.get(file.name);
    if (other) {
      errors.push(new ConfigError('duplicate-macro', `macro "${file.name}" is defined twice: ${other} and ${file.path}`, { file: file.path, line: 1, hint: 'macro names come from file names; rename one' }));
      continue;
    }
    seen.set(file.name, file.path);
    hb.registerPartial(file.name, file.text);
  }
}

/** Registers the helpers exported by macros/*.js; returns each helper's module. */
async function registerHelperModules(hb: typeof Handlebars, modules: readonly ProjectFile[], errors: ReelError[]): Promise<Map<string, ProjectFile>> {
  const registered = new Map<string, ProjectFile>();
  for (const file of modules) {
    let exports: Record<string, unknown>;
    try {
      exports = (await import(pathToFileURL(file.absolutePath).href)) as Record<string, unknown>;
    } catch (error) {
      const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
      errors.push(new RenderError('macro-module', `cannot load helper module: ${message}`, { file: file.path, line: 1, hint: 'macros/*.js must be valid ES modules exporting helper functions', cause: error }));
      continue;
    }
    const helpers = { ...((exports.default as Record<string, unknown> | undefined) ?? {}), ...exports };
    delete helpers.default;
    for (const [name, helper] of Object.entries(helpers)) {
      if (typeof helper !== 'function') continue;
      if (hb.helpers[name] && ['ref', 'source', 'var', 'env', 'config'].includes(name)) {
        errors.push(new RenderError('macro-override', `helper module exports "${name}", which would replace a built-in helper`, { file: file.path, line: 1, hint: 'rename the export' }));
        continue;
      }
      hb.registerHelper(name, helper as Handlebars.HelperDelegate);
      registered.set(name, file);
    }
  }
  return registered;
}

function buildExposures(project: LoadedProject, nodes: ReadonlyMap<string, RefTarget>, sources: ReadonlyMap<string, RefTarget>, errors: ReelError[]): ExposureNode[] {
  return project.properties.exposures.map((placed) => {
    const value = placed.value;
    const dependsOn: string[] = [];
    (value.depends_on ?? []).forEach((text, i) => {
      const resolved = resolveYamlRef(text, nodes, sources);
      if ('error' in resolved) {
        errors.push(new GraphError('unknown-ref', `exposure "${value.name}" depends_on: ${resolved.error}`, { ...placed.file.placeOf([...placed.path, 'depends_on', i]), node: value.name }));
      } else dependsOn.push(resolved.uniqueId);
    });
    return makeNode<ExposureNode>({
      kind: 'exposure',
      uniqueId: `exposure.${project.settings.name}.${value.name}`,
      name: value.name,
      file: placed.file.path,
      line: () => placed.file.placeOf([...placed.path, 'name']).line ?? 1,
      description: value.description ?? '',
      tags: toList(value.tags),
      meta: value.meta ?? {},
      dependsOn,
      label: value.label,
      exposureType: value.type,
      owner: value.owner,
      url: value.url,
      maturity: value.maturity,
    });
  });
}

function hooksOf(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return (typeof value === 'string' ? [value] : [...value]).filter((sql) => sql.trim() !== '');
}

/** A contract needs every column declared with a data_type, and a relation to enforce it on. */
function contractProblems(draft: ModelDraft): ReelError[] {
  const placed = draft.properties;
  const where = { file: draft.file.path, line: 1, node: draft.file.name };
  if (draft.config.materialized === 'ephemeral') {
    return [new ConfigError('contract-ephemeral', `model "${draft.file.name}" is ephemeral, so its contract cannot be enforced`, { ...where, hint: 'materialize it as a view, table or incremental, or remove contract' })];
  }
  const columns = placed?.value.columns ?? [];
  if (!placed || columns.length === 0) {
    return [new ConfigError('contract-no-columns', `model "${draft.file.name}" enforces a contract but declares no columns`, { ...(placed ? placed.file.placeOf(placed.path) : where), node: draft.file.name, hint: 'list every column the model returns under columns:, each with a data_type' })];
  }
  return columns.flatMap((column, i) =>
    column.data_type
      ? []
      : [placed.file.error([...placed.path, 'columns', i], `column "${column.name}" of model "${draft.file.name}" has no data_type, and the model enforces a contract`, `add data_type (e.g. data_type: text) to ${column.name}`)],
  );
}
