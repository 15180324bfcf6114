import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, ReelError } from '../errors/index.js';
import {
  MODEL_CONFIG_KEYS,
  SEED_CONFIG_KEYS,
  TEST_CONFIG_KEYS,
  modelConfigSchema,
  seedConfigSchema,
  testConfigSchema,
  type ModelConfigInput,
  type SeedConfigInput,
  type TestConfigInput,
} from './config-schema.js';
import { FolderConfig } from './folder-config.js';
import { SNAPSHOT_CONFIG_KEYS, snapshotConfigSchema, type SnapshotConfigInput } from './snapshot-config-schema.js';
import { PROJECT_FILE, readProjectSettings, type ProjectSettings } from './project-file.js';
import { findFiles, findFolders, type ProjectFile } from './project-files.js';
import { readPropertyFile, type PropertyFileContents } from './property-files.js';
import { parseYaml, type YamlFile } from './yaml-file.js';

/** Everything read from disk for one project: the input of the render stage. */
export interface LoadedProject {
  readonly root: string;
  readonly settings: ProjectSettings;
  readonly projectFile: YamlFile;
  readonly vars: Readonly<Record<string, unknown>>;
  readonly models: readonly ProjectFile[];
  readonly seeds: readonly ProjectFile[];
  readonly snapshots: readonly ProjectFile[];
  readonly singularTests: readonly ProjectFile[];
  readonly genericTests: readonly ProjectFile[];
  readonly partials: readonly ProjectFile[];
  readonly helperModules: readonly ProjectFile[];
  readonly properties: PropertyFileContents;
  readonly modelFolders: FolderConfig<ModelConfigInput>;
  readonly seedFolders: FolderConfig<SeedConfigInput>;
  readonly snapshotFolders: FolderConfig<SnapshotConfigInput>;
  readonly testFolders: FolderConfig<TestConfigInput>;
}

export interface LoadOptions {
  /** `--vars`: override the project's vars. */
  readonly vars?: Readonly<Record<string, unknown>>;
}

export interface LoadResult {
  readonly project?: LoadedProject;
  readonly errors: readonly ReelError[];
}

/** Reads reel_project.yml, every model, seed, test, macro and property file under `root`. */
export function loadProject(root: string, options: LoadOptions = {}): LoadResult {
  const absoluteRoot = resolve(root);
  const projectPath = join(absoluteRoot, PROJECT_FILE);
  if (!existsSync(projectPath)) {
    return {
      errors: [
        new ConfigError('no-project', `no ${PROJECT_FILE} in ${absoluteRoot}`, {
          hint: 'run the command inside a Reel project, pass --project-dir DIR, or create one with `model init DIR`',
        }),
      ],
    };
  }
  const errors: ReelError[] = [];
  const parsed = parseYaml(PROJECT_FILE, readFileSync(projectPath, 'utf8'));
  errors.push(...parsed.errors);
  if (!parsed.file) return { errors };
  const configErrors: ConfigError[] = [];
  const settings = readProjectSettings(parsed.file, configErrors);
  errors.push(...configErrors);
  if (!settings) return { errors };

  const sqlFiles = findFiles(absoluteRoot, settings.modelPaths, ['.sql']);
  const testFiles = findFiles(absoluteRoot, settings.testPaths, ['.sql']);
  const genericTests = testFiles.filter((f) => f.folder === 'generic' || f.folder.startsWith('generic/'));
  const singularTests = testFiles.filter((f) => !genericTests.includes(f));
  const macroFiles = findFiles(absoluteRoot, settings.macroPaths, ['.sql', '.hbs', '.js', '.mjs']);

  const properties: PropertyFileContents = { sources: [], models: [], seeds: [], snapshots: [], unitTests: [], exposures: [] };
  const yamlFiles = findFiles(absoluteRoot, [...new Set([...settings.modelPaths, ...settings.seedPaths, ...settings.testPaths, ...settings.snapshotPaths])], ['.yml', '.yaml']);
  for (const yamlFile of yamlFiles) {
    const result = parseYaml(yamlFile.path, yamlFile.text);
    errors.push(...result.errors);
    if (result.file) readPropertyFile(result.file, properties, configErrors);
  }

  const folderOptions = { projectName: settings.name, file: parsed.file, errors: configErrors };
  const modelFolders = FolderConfig.build({
    ...folderOptions,
    tree: settings.models,
    section: 'models',
    folders: findFolders(absoluteRoot, settings.modelPaths),
    schema: modelConfigSchema,
    configKeys: MODEL_CONFIG_KEYS,
  });
  const seedFolders = FolderConfig.build({
    ...folderOptions,
    tree: settings.seeds,
    section: 'seeds',
    folders: findFolders(absoluteRoot, settings.seedPaths),
    schema: seedConfigSchema,
    configKeys: SEED_CONFIG_KEYS,
  });
  const snapshotFolders = FolderConfig.build({
    ...folderOptions,
    tree: settings.snapshots,
    section: 'snapshots',
    folders: findFolders(absoluteRoot, settings.snapshotPaths),
    schema: snapshotConfigSchema,
    configKeys: SNAPSHOT_CONFIG_KEYS,
  });
  const testFolders = FolderConfig.build({
    ...folderOptions,
    tree: settings.tests,
    section: 'tests',
    folders: findFolders(absoluteRoot, settings.testPaths),
    schema: testConfigSchema,
    configKeys: TEST_CONFIG_KEYS,
  });
  errors.push(...configErrors.filter((e) => !errors.includes(e)));

  return {
    errors,
    project: {
      root: absoluteRoot,
      settings,
      projectFile: parsed.file,
      vars: { ...settings.vars, ...(options.vars ?? {}) },
      models: sqlFiles,
      seeds: findFiles(absoluteRoot, settings.seedPaths, ['.csv']),
      snapshots: findFiles(absoluteRoot, settings.snapshotPaths, ['.sql']),
      singularTests,
      genericTests,
      partials: macroFiles.filter((f) => f.path.endsWith('.sql') || f.path.endsWith('.hbs')),
      helperModules: macroFiles.filter((f) => f.path.endsWith('.js') || f.path.endsWith('.mjs')),
      properties,
      modelFolders,
      seedFolders,
      snapshotFolders,
      testFolders,
    },
  };
}
