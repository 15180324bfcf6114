import { z } from 'zod';
import type { ConfigError } from '../errors/index.js';
import { checkYaml, modelConfigSchema, seedConfigSchema, testConfigSchema } from './config-schema.js';
import { snapshotConfigSchema } from './snapshot-config-schema.js';
import type { YamlFile, YamlPath } from './yaml-file.js';

const name = z.string().min(1);
const testEntry = z.union([z.string().min(1), z.record(z.string(), z.unknown())]);
const tests = z.array(testEntry);
const meta = z.record(z.string(), z.unknown());
const tags = z.union([z.string(), z.array(z.string())]);

const columnSchema = z.strictObject({
  name,
  description: z.string().optional(),
  data_type: z.string().optional(),
  tests: tests.optional(),
  data_tests: tests.optional(),
  meta: meta.optional(),
  tags: tags.optional(),
  quote: z.boolean().optional(),
  constraints: z.array(z.strictObject({
    type: z.enum(['not_null', 'primary_key', 'unique', 'check']),
    expression: z.string().optional(),
    name: z.string().optional(),
  })).optional(),
});

const duration = z.strictObject({ count: z.number().int().positive(), period: z.enum(['minute', 'hour', 'day']) });
const freshness = z.strictObject({ warn_after: duration.optional(), error_after: duration.optional(), filter: z.string().optional() }).nullable();

const sourceTableSchema = z.strictObject({
  name,
  identifier: z.string().optional(),
  description: z.string().optional(),
  columns: z.array(columnSchema).optional(),
  tests: tests.optional(),
  data_tests: tests.optional(),
  meta: meta.optional(),
  tags: tags.optional(),
  loaded_at_field: z.string().optional(),
  freshness: freshness.optional(),
});

const sourceSchema = z.strictObject({
  name,
  schema: z.string().optional(),
  database: z.string().optional(),
  description: z.string().optional(),
  loader: z.string().optional(),
  meta: meta.optional(),
  tags: tags.optional(),
  loaded_at_field: z.string().optional(),
  freshness: freshness.optional(),
  tables: z.array(sourceTableSchema).min(1),
});

const modelSchema = z.strictObject({
  name,
  description: z.string().optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  columns: z.array(columnSchema).optional(),
  tests: tests.optional(),
  data_tests: tests.optional(),
  meta: meta.optional(),
  docs: z.record(z.string(), z.unknown()).optional(),
});

const exposureSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use letters, digits and underscores'),
  label: z.string().optional(),
  type: z.enum(['dashboard', 'notebook', 'analysis', 'ml', 'application']),
  owner: z.strictObject({ name: z.string().optional(), email: z.string().optional() }),
  depends_on: z.array(z.string()).optional(),
  description: z.string().optional(),
  url: z.string().optional(),
  maturity: z.enum(['low', 'medium', 'high']).optional(),
  tags: tags.optional(),
  meta: meta.optional(),
});

const fixtureRows = z.union([z.string(), z.array(z.record(z.string(), z.unknown()))]);
const fixtureFormat = z.enum(['dict', 'csv', 'sql']);

/** dbt 1.8's unit test entry. */
const unitTestSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use letters, digits and underscores'),
  model: name,
  description: z.string().optional(),
  given: z.array(z.strictObject({ input: name, rows: fixtureRows.optional(), format: fixtureFormat.optional(), fixture: z.string().optional() })).optional(),
  expect: z.strictObject({ rows: fixtureRows.optional(), format: fixtureFormat.optional(), fixture: z.string().optional() }),
  overrides: z.strictObject({ macros: z.record(z.string(), z.unknown()).optional(), vars: z.record(z.string(), z.unknown()).optional(), env_vars: z.record(z.string(), z.unknown()).optional() }).optional(),
  config: z.strictObject({ tags: tags.optional(), meta: meta.optional(), enabled: z.boolean().optional() }).optional(),
});

const propertyFileSchema = z.strictObject({
  version: z.union([z.number(), z.string()]).optional(),
  sources: z.array(sourceSchema).optional(),
  models: z.array(modelSchema).optional(),
  seeds: z.array(modelSchema).optional(),
  snapshots: z.array(modelSchema).optional(),
  unit_tests: z.array(unitTestSchema).optional(),
  exposures: z.array(exposureSchema).optional(),
  macros: z.array(z.record(z.string(), z.unknown())).optional(),
});

export type ColumnProperties = z.infer<typeof columnSchema>;
export type SourceProperties = z.infer<typeof sourceSchema>;
export type SourceTableProperties = z.infer<typeof sourceTableSchema>;
export type ExposureProperties = z.infer<typeof exposureSchema>;
export type UnitTestProperties = z.infer<typeof unitTestSchema>;

/** An entry of a property file, with the file and YAML path it came from. */
export interface Placed<T> {
  readonly value: T;
  readonly file: YamlFile;
  readonly path: YamlPath;
}

export interface ModelProperties {
  readonly name: string;
  readonly description?: string;
  readonly config: Record<string, unknown>;
  readonly columns: readonly ColumnProperties[];
  readonly tests: readonly unknown[];
  readonly meta?: Record<string, unknown>;
}

export interface PropertyFileContents {
  sources: Placed<SourceProperties>[];
  models: Placed<ModelProperties>[];
  seeds: Placed<ModelProperties>[];
  snapshots: Placed<ModelProperties>[];
  unitTests: Placed<UnitTestProperties>[];
  exposures: Placed<ExposureProperties>[];
}

export function readPropertyFile(file: YamlFile, into: PropertyFileContents, errors: ConfigError[]): void {
  if (file.value === null || file.value === undefined) return;
  const value = checkYaml(propertyFileSchema, file.value, file, [], 'property file', errors);
  if (!value) return;
  value.sources?.forEach((source, i) => into.sources.push({ value: source, file, path: ['sources', i] }));
  for (const [section, schema, list] of [
    ['models', modelConfigSchema, into.models],
    ['seeds', seedConfigSchema, into.seeds],
    ['snapshots', snapshotConfigSchema, into.snapshots],
  ] as const) {
    value[section]?.forEach((entry, i) => {
      const path = [section, i];
      const config = entry.config
        ? (checkYaml(schema as z.ZodType<Record<string, unknown>>, entry.config, file, [...path, 'config'], `${section.slice(0, -1)} config`, errors) ?? {})
        : {};
      list.push({
        value: {
          name: entry.name,
          description: entry.description,
          config,
          columns: entry.columns ?? [],
          tests: [...(entry.tests ?? []), ...(entry.data_tests ?? [])],
          meta: entry.meta,
        },
        file,
        path,
      });
    });
  }
  value.exposures?.forEach((exposure, i) => into.exposures.push({ value: exposure, file, path: ['exposures', i] }));
  value.unit_tests?.forEach((test, i) => into.unitTests.push({ value: test, file, path: ['unit_tests', i] }));
}

/** A generic test as written under `tests:`/`data_tests:`, not yet resolved to its definition. */
export interface TestUse {
  readonly testName: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly config: Readonly<Record<string, unknown>>;
  readonly customName?: string;
  readonly file: YamlFile;
  readonly path: YamlPath;
}

const TEST_CONFIG_SHORTHANDS = ['severity', 'where', 'warn_if', 'error_if', 'limit', 'enabled', 'tags'];

export function readTestUse(entry: unknown, file: YamlFile, path: YamlPath, errors: ConfigError[]): TestUse | undefined {
  if (typeof entry === 'string') return { testName: entry, args: {}, config: {}, file, path };
  const keys = Object.keys(entry as object);
  if (keys.length !== 1) {
    errors.push(
      file.error(path, `a test entry must have exactly one key, the test's name; found ${keys.map((k) => `"${k}"`).join(', ')}`, 'write e.g. `- accepted_values: {values: [a, b]}`'),
    );
    return undefined;
  }
  const testName = keys[0]!;
  const raw = (entry as Record<string, unknown>)[testName] ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    errors.push(file.error([...path, testName], `arguments of test "${testName}" should be a mapping`));
    return undefined;
  }
  const args: Record<string, unknown> = {};
  let config: Record<string, unknown> = {};
  let customName: string | undefined;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === 'config') {
      config = { ...config, ...(checkYaml(testConfigSchema, value, file, [...path, testName, 'config'], 'test config', errors) ?? {}) };
    } else if (key === 'name') {
      customName = String(value);
    } else if (key === 'arguments' && typeof value === 'object' && value !== null) {
      Object.assign(args, value);
    } else if (TEST_CONFIG_SHORTHANDS.includes(key)) {
      config = { ...config, ...(checkYaml(testConfigSchema, { [key]: value }, file, [...path, testName], 'test config', errors) ?? {}) };
    } else {
      args[key] = value;
    }
  }
  return { testName, args, config, customName, file, path };
}
