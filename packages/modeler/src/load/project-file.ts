import { z } from 'zod';
import type { ConfigError } from '../errors/index.js';
import { checkYaml } from './config-schema.js';
import type { YamlFile } from './yaml-file.js';

export const PROJECT_FILE = 'reel_project.yml';

const pathList = z.array(z.string().min(1)).min(1);

const projectShape = {
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use letters, digits and underscores, starting with a letter'),
  version: z.union([z.string(), z.number()]).optional(),
  'config-version': z.number().optional(),
  profile: z.string().optional(),
  'model-paths': pathList.optional(),
  'seed-paths': pathList.optional(),
  'test-paths': pathList.optional(),
  'macro-paths': pathList.optional(),
  'snapshot-paths': pathList.optional(),
  'target-path': z.string().min(1).optional(),
  'clean-targets': z.array(z.string().min(1)).optional(),
  vars: z.record(z.string(), z.unknown()).optional(),
  models: z.record(z.string(), z.unknown()).optional(),
  seeds: z.record(z.string(), z.unknown()).optional(),
  snapshots: z.record(z.string(), z.unknown()).optional(),
  tests: z.record(z.string(), z.unknown()).optional(),
  data_tests: z.record(z.string(), z.unknown()).optional(),
  'on-run-start': z.union([z.string(), z.array(z.string())]).optional(),
  'on-run-end': z.union([z.string(), z.array(z.string())]).optional(),
};
const projectSchema = z.strictObject(projectShape);
// Unknown keys are reported, then ignored, so that one typo does not hide every other error.
const lenientProjectSchema = z.object(projectShape);

/** reel_project.yml after validation, with dbt's defaults filled in. */
export interface ProjectSettings {
  readonly name: string;
  readonly profile: string;
  readonly modelPaths: readonly string[];
  readonly seedPaths: readonly string[];
  readonly testPaths: readonly string[];
  readonly macroPaths: readonly string[];
  readonly snapshotPaths: readonly string[];
  readonly targetPath: string;
  readonly cleanTargets: readonly string[];
  readonly vars: Readonly<Record<string, unknown>>;
  /** Raw folder-config trees, resolved per node by FolderConfig. */
  readonly models: Readonly<Record<string, unknown>>;
  readonly seeds: Readonly<Record<string, unknown>>;
  readonly snapshots: Readonly<Record<string, unknown>>;
  readonly tests: Readonly<Record<string, unknown>>;
  /** SQL templates run once before and after every run, test, seed or build. */
  readonly onRunStart: readonly string[];
  readonly onRunEnd: readonly string[];
}

export function readProjectSettings(file: YamlFile, errors: ConfigError[]): ProjectSettings | undefined {
  if (file.value === null || typeof file.value !== 'object' || Array.isArray(file.value)) {
    errors.push(file.error([], `${PROJECT_FILE} must be a mapping with at least "name:"`, 'start it with `name: my_project`'));
    return undefined;
  }
  const value = checkYaml(projectSchema, file.value, file, [], 'project', errors) ?? lenientProjectSchema.safeParse(file.value).data;
  if (!value) return undefined;
  const targetPath = value['target-path'] ?? 'target';
  return {
    name: value.name,
    profile: value.profile ?? value.name,
    modelPaths: value['model-paths'] ?? ['models'],
    seedPaths: value['seed-paths'] ?? ['seeds'],
    testPaths: value['test-paths'] ?? ['tests'],
    macroPaths: value['macro-paths'] ?? ['macros'],
    snapshotPaths: value['snapshot-paths'] ?? ['snapshots'],
    targetPath,
    cleanTargets: value['clean-targets'] ?? [targetPath],
    vars: value.vars ?? {},
    models: value.models ?? {},
    seeds: value.seeds ?? {},
    snapshots: value.snapshots ?? {},
    tests: { ...(value.tests ?? {}), ...(value.data_tests ?? {}) },
    onRunStart: [value['on-run-start'] ?? []].flat(),
    onRunEnd: [value['on-run-end'] ?? []].flat(),
  };
}
