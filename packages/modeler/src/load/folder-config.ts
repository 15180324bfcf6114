import type { z } from 'zod';
import type { ConfigError } from '../errors/index.js';
import { closest } from '../errors/index.js';
import { checkYaml } from './config-schema.js';
import type { YamlFile, YamlPath } from './yaml-file.js';

type Config = Record<string, unknown>;

/**
 * Folder-level config from reel_project.yml, as in dbt: keys with `+` (or known config keys)
 * configure a folder and everything below it; other keys name subfolders.
 */
export class FolderConfig<T extends Config> {
  private constructor(private readonly byFolder: ReadonlyMap<string, T>) {}

  static build<T extends Config>(options: {
    tree: Readonly<Record<string, unknown>>;
    section: string;
    projectName: string;
    folders: ReadonlySet<string>;
    schema: z.ZodType<T>;
    configKeys: readonly string[];
    file: YamlFile;
    errors: ConfigError[];
  }): FolderConfig<T> {
    const byFolder = new Map<string, T>();
    const { file, errors, configKeys, folders } = options;

    const visit = (node: unknown, segments: string[], path: YamlPath): void => {
      if (node === null || node === undefined) return;
      if (typeof node !== 'object' || Array.isArray(node)) {
        errors.push(file.error(path, `${path.join('.')} should be a mapping of config keys (+key) and subfolders`));
        return;
      }
      const own: Config = {};
      for (const [key, value] of Object.entries(node as Config)) {
        const bare = key.startsWith('+') ? key.slice(1) : key;
        if (key.startsWith('+') || configKeys.includes(key)) {
          own[bare] = value;
          continue;
        }
        const folder = [...segments, key].join('/');
        if (folders.has(folder) || (segments.length === 0 && key === options.projectName)) {
          visit(value, segments.length === 0 && key === options.projectName && !folders.has(folder) ? [] : [...segments, key], [...path, key]);
          continue;
        }
        const childFolders = [...folders]
          .filter((f) => f.startsWith(segments.length ? segments.join('/') + '/' : '') && f.split('/').length === segments.length + 1)
          .map((f) => f.split('/').pop()!);
        const guess = closest(key, [...childFolders, ...configKeys.map((k) => '+' + k)]);
        const where = segments.length ? `folder ${segments.join('/')}` : 'the project';
        errors.push(
          file.error(
            path,
            `"${key}" in ${path.join('.')} is neither a config key nor a folder of ${where}${guess ? `; did you mean "${guess}"?` : ''}`,
            'config keys start with "+" (e.g. +materialized: table); other keys must name an existing subfolder',
            key,
          ),
        );
      }
      if (Object.keys(own).length > 0) {
        const plusPath = path;
        const checked = checkYaml(options.schema, own, file, plusPath, `${options.section} config`, errors);
        if (checked) byFolder.set(segments.join('/'), checked);
      }
    };
    visit(options.tree, [], [options.section]);
    return new FolderConfig(byFolder);
  }

  static empty<T extends Config>(): FolderConfig<T> {
    return new FolderConfig(new Map());
  }

  /** Config for a file in `folder` ("" for the root): every ancestor's config merged, nearest last. */
  resolve(folder: string): Partial<T> {
    const segments = folder ? folder.split('/') : [];
    let merged: Config = {};
    for (let depth = 0; depth <= segments.length; depth++) {
      const own = this.byFolder.get(segments.slice(0, depth).join('/'));
      if (own) merged = mergeConfig(merged, own);
    }
    return merged as Partial<T>;
  }
}

/** dbt's merge rules: tags accumulate, meta merges, everything else is overridden. */
export function mergeConfig<T extends Config>(base: T, over: Config): T {
  const out: Config = { ...base };
  for (const [given, value] of Object.entries(over)) {
    if (value === undefined) continue;
    // dbt spells hooks `pre-hook` in YAML and `pre_hook` in config(); a folder's hooks and a model's both run.
    const key = given === 'pre-hook' || given === 'post-hook' ? given.replace('-', '_') : given;
    if (key === 'pre_hook' || key === 'post_hook') {
      out[key] = [...hookList(base[key]), ...hookList(value)];
    } else if (key === 'tags') {
      out.tags = [...new Set([...toList(base.tags), ...toList(value)])];
    } else if (key === 'meta' && typeof value === 'object' && value !== null) {
      out.meta = { ...((base.meta as Config | undefined) ?? {}), ...(value as Config) };
    } else {
      out[key] = value;
    }
  }
  return out as T;
}

export function toList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.map(String);
  return String(value)
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

function hookList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}
