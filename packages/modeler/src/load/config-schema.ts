import { z } from 'zod';
import type { ConfigError } from '../errors/index.js';
import { didYouMean } from '../errors/index.js';
import type { YamlPath } from './yaml-file.js';

/** Anything that can turn a path inside a config value into an error at its source place. */
export interface ErrorPlacer {
  error(path: YamlPath, message: string, hint?: string, key?: string): ConfigError;
}

const stringList = z.union([z.string(), z.array(z.string())]);

export const MATERIALIZATIONS = ['view', 'table', 'incremental', 'materialized_view', 'ephemeral'] as const;
export type Materialization = (typeof MATERIALIZATIONS)[number];
export const INDEX_TYPES = ['btree', 'hash', 'gist', 'spgist', 'gin', 'brin'] as const;

/** dbt-postgres's `indexes` config: built on every table rebuild, kept on incremental tables. */
const indexSchema = z.strictObject({
  columns: z.array(z.string().min(1)).min(1),
  unique: z.boolean().optional(),
  type: z.enum(INDEX_TYPES).optional(),
});

export const INCREMENTAL_STRATEGIES = ['merge', 'delete+insert', 'append'] as const;
export type IncrementalStrategy = (typeof INCREMENTAL_STRATEGIES)[number];

/** dbt's `on_schema_change` for incremental models: what a run does when the model's columns changed. */
export const SCHEMA_CHANGE_POLICIES = ['ignore', 'fail', 'append_new_columns', 'sync_all_columns'] as const;
export type SchemaChangePolicy = (typeof SCHEMA_CHANGE_POLICIES)[number];

/** SQL run before or after a model is built: one statement or a list. */
const hookList = z.union([z.string(), z.array(z.string())]);

/** Every key a model may configure, in reel_project.yml, a property file or `{{config}}`. */
export const modelConfigSchema = z.strictObject({
  materialized: z.enum(MATERIALIZATIONS),
  schema: z.string().min(1),
  alias: z.string().min(1),
  tags: stringList,
  enabled: z.boolean(),
  unique_key: stringList,
  incremental_strategy: z.enum(INCREMENTAL_STRATEGIES),
  on_schema_change: z.enum(SCHEMA_CHANGE_POLICIES),
  pre_hook: hookList,
  post_hook: hookList,
  'pre-hook': hookList,
  'post-hook': hookList,
  contract: z.strictObject({ enforced: z.boolean(), alias_types: z.boolean().optional() }),
  grants: z.record(z.string().regex(/^[a-z ]+$/i, 'a privilege such as select, insert or all'), z.union([z.string().min(1), z.array(z.string().min(1))])),
  full_refresh: z.boolean(),
  indexes: z.array(indexSchema),
  meta: z.record(z.string(), z.unknown()),
  docs: z.strictObject({ show: z.boolean().optional(), node_color: z.string().optional() }),
  persist_docs: z.strictObject({ relation: z.boolean().optional(), columns: z.boolean().optional() }),
}).partial();

export const seedConfigSchema = z.strictObject({
  schema: z.string().min(1),
  alias: z.string().min(1),
  tags: stringList,
  enabled: z.boolean(),
  column_types: z.record(z.string(), z.string()),
  delimiter: z.string().length(1),
  meta: z.record(z.string(), z.unknown()),
  docs: z.strictObject({ show: z.boolean().optional(), node_color: z.string().optional() }),
  full_refresh: z.boolean(),
}).partial();

export const testConfigSchema = z.strictObject({
  severity: z.enum(['error', 'warn', 'ERROR', 'WARN']),
  enabled: z.boolean(),
  tags: stringList,
  where: z.string(),
  warn_if: z.string().regex(/^\s*(>=|<=|!=|=|>|<)\s*\d+\s*$/, 'expected a comparison such as ">10" or "!=0"'),
  error_if: z.string().regex(/^\s*(>=|<=|!=|=|>|<)\s*\d+\s*$/, 'expected a comparison such as ">10" or "!=0"'),
  limit: z.number().int().positive(),
  meta: z.record(z.string(), z.unknown()),
  alias: z.string(),
}).partial();

export type ModelConfigInput = z.infer<typeof modelConfigSchema>;
export type SeedConfigInput = z.infer<typeof seedConfigSchema>;
export type TestConfigInput = z.infer<typeof testConfigSchema>;

export const MODEL_CONFIG_KEYS = Object.keys(modelConfigSchema.shape);
export const SEED_CONFIG_KEYS = Object.keys(seedConfigSchema.shape);
export const TEST_CONFIG_KEYS = Object.keys(testConfigSchema.shape);

/**
 * Checks `value` against `schema`; each problem becomes a ConfigError at its YAML place,
 * unknown keys with "did you mean".
 */
export function checkYaml<T>(
  schema: z.ZodType<T>,
  value: unknown,
  file: ErrorPlacer,
  path: YamlPath,
  what: string,
  errors: ConfigError[],
): T | undefined {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    errors.push(issueToError(issue, file, path, what, schemaKeys(schemaAt(schema, issue.path as (string | number)[]))));
  }
  return undefined;
}

function issueToError(issue: z.core.$ZodIssue, file: ErrorPlacer, base: YamlPath, what: string, known: string[]): ConfigError {
  const path = [...base, ...(issue.path as (string | number)[])];
  const dotted = path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    return file.error(
      path,
      `unknown ${what} key "${key}"${dotted ? ` in ${dotted}` : ''}${didYouMean(key, known)}`,
      known.length ? `valid keys are: ${known.join(', ')}` : undefined,
      key,
    );
  }
  if (issue.code === 'invalid_value') {
    const values = issue.values.map((v) => JSON.stringify(v));
    const got = valueAt(issue.input);
    return file.error(
      path,
      `${dotted} is ${got}${typeof issue.input === 'string' ? didYouMean(issue.input, issue.values.map(String)) : ''}`,
      `use one of ${values.join(', ')}`,
    );
  }
  if (issue.code === 'invalid_type') {
    return file.error(path, `${dotted || what} should be ${article(issue.expected)} but is ${valueAt(issue.input)}`);
  }
  return file.error(path, `${dotted || what}: ${issue.message}`);
}

function valueAt(input: unknown): string {
  if (input === undefined) return 'missing';
  if (input === null) return 'empty';
  if (typeof input === 'string') return `"${input}"`;
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return `${typeof input} ${String(input)}`;
}

function article(expected: string): string {
  if (expected === 'object') return 'a mapping';
  if (expected === 'array') return 'a list';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

type SchemaDef = { type?: string; shape?: Record<string, unknown>; element?: unknown; innerType?: unknown; options?: unknown[] };

function defOf(schema: unknown): SchemaDef {
  return ((schema as { _zod?: { def?: SchemaDef } })?._zod?.def ?? {}) as SchemaDef;
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  for (let i = 0; i < 10; i++) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'union' && def.options) current = def.options.find((o) => defOf(o).type === 'object') ?? def.options[0];
    else return current;
  }
  return current;
}

/** The sub-schema that `path` points at, for naming the keys allowed there. */
function schemaAt(schema: unknown, path: readonly (string | number)[]): unknown {
  let current = unwrap(schema);
  for (const part of path) {
    const def = defOf(current);
    if (def.type === 'object' && def.shape) current = unwrap(def.shape[String(part)]);
    else if (def.type === 'array') current = unwrap(def.element);
    else if (def.type === 'record') current = unwrap((def as { valueType?: unknown }).valueType);
    else return undefined;
  }
  return current;
}

function schemaKeys(schema: unknown): string[] {
  const def = defOf(schema);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}
