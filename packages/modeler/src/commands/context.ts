import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadYaml } from '../load/yaml-file.js';
import { compileOrThrow, type CompiledProject } from '../compile.js';
import { UsageError } from '../errors/index.js';
import { resolveTarget, type ResolvedTarget } from '../execute/connection/resolve-target.js';
import { PROJECT_FILE } from '../load/project-file.js';

/** Options every command shares. */
export interface CommonOptions {
  readonly projectDir?: string;
  readonly target?: string;
  readonly profilesDir?: string;
  /** `--vars` as YAML or JSON text. */
  readonly vars?: string;
  /** false with --no-partial-parse. */
  readonly partialParse?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface CommandContext {
  readonly root: string;
  readonly target: ResolvedTarget;
  readonly vars: Record<string, unknown>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly partialParse: boolean;
}

export function commandContext(options: CommonOptions): CommandContext {
  const root = resolve(options.projectDir ?? process.cwd());
  const env = options.env ?? process.env;
  const vars = parseVars(options.vars);
  const profile = readProfileName(root);
  const target = resolveTarget({ projectRoot: root, profile, target: options.target, profilesDir: options.profilesDir, env });
  return { root, target, vars, env, partialParse: options.partialParse !== false };
}

export async function compileWith(context: CommandContext): Promise<CompiledProject> {
  return compileOrThrow(context.root, {
    target: { schema: context.target.schema, schemaPrefix: context.target.schemaPrefix },
    vars: context.vars,
    env: context.env,
    partialParse: context.partialParse,
  });
}

function parseVars(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = loadYaml(text);
  } catch (error) {
    throw new UsageError('bad-vars', `--vars is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`, { hint: `write --vars '{key: value, other: 2}'` });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError('bad-vars', '--vars must be a mapping', { hint: `write --vars '{key: value, other: 2}'` });
  }
  return value as Record<string, unknown>;
}

/** The profile name of the project in `root` (`profile:`, else `name:`), read before the full load. */
export function readProfileName(root: string): string {
  const path = join(root, PROJECT_FILE);
  if (!existsSync(path)) return 'default';
  try {
    const value = loadYaml(readFileSync(path, 'utf8')) as { profile?: unknown; name?: unknown } | null;
    return String(value?.profile ?? value?.name ?? 'default');
  } catch {
    // The full load reports the YAML error with its line.
    return 'default';
  }
}
