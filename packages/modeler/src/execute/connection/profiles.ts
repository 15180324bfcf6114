import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { z } from 'zod';
import { ConfigError, didYouMean } from '../../errors/index.js';
import { checkYaml } from '../../load/config-schema.js';
import { parseYaml } from '../../load/yaml-file.js';

export const PROFILES_FILE = 'profiles.yml';

const outputSchema = z.strictObject({
  type: z.enum(['postgres', 'embedded']).optional(),
  url: z.string().optional(),
  host: z.string().optional(),
  port: z.union([z.number().int(), z.string()]).optional(),
  user: z.string().optional(),
  password: z.union([z.string(), z.number()]).optional(),
  pass: z.union([z.string(), z.number()]).optional(),
  dbname: z.string().optional(),
  database: z.string().optional(),
  schema: z.string().optional(),
  schema_prefix: z.string().optional(),
  threads: z.number().int().positive().optional(),
  sslmode: z.enum(['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full']).optional(),
  connect_timeout: z.number().int().positive().optional(),
  search_path: z.string().optional(),
});

const profileSchema = z.strictObject({
  target: z.string(),
  outputs: z.record(z.string(), outputSchema),
});

export type ProfileOutput = z.infer<typeof outputSchema>;

export interface ProfileTarget {
  readonly name: string;
  readonly output: ProfileOutput;
  readonly file: string;
}

/** Where profiles.yml is looked for: --profiles-dir, $REEL_PROFILES_DIR, the project, ~/.reel. */
export function findProfilesFile(projectRoot: string, profilesDir: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const candidates = [profilesDir, env.REEL_PROFILES_DIR, projectRoot, join(homedir(), '.reel')].filter((d): d is string => Boolean(d));
  for (const dir of candidates) {
    const path = join(dir, PROFILES_FILE);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Reads one target of one profile; `{{env "NAME"}}` is replaced before parsing. */
export function readProfileTarget(path: string, profile: string, target: string | undefined, env: Readonly<Record<string, string | undefined>>): ProfileTarget {
  const hb = Handlebars.create();
  // A variable that is not set only matters in the target in use (as in dbt): it is marked here
  // and reported if the chosen target holds the mark.
  hb.registerHelper('env', (name: unknown, ...rest: unknown[]) => {
    const fallback = rest.length > 1 ? rest[0] : undefined;
    const value = env[String(name)];
    if (value !== undefined) return value;
    if (fallback !== undefined) return String(fallback);
    return `${MISSING_MARK}${String(name)}__`;
  });
  let text: string;
  try {
    text = hb.compile(readFileSync(path, 'utf8'), { noEscape: true })({});
  } catch (error) {
    throw new ConfigError('profiles-template', `cannot render ${PROFILES_FILE}: ${(error as Error).message.split('\n')[0]}`, { file: path, hint: 'use {{env "NAME"}} to read environment variables' });
  }
  const parsed = parseYaml(path, text);
  if (!parsed.file) throw parsed.errors[0]!;
  const file = parsed.file;
  const all = file.value as Record<string, unknown>;
  if (!all || typeof all !== 'object' || !(profile in all)) {
    throw new ConfigError('no-profile', `${PROFILES_FILE} has no profile "${profile}"${didYouMean(profile, Object.keys(all ?? {}))}`, {
      file: path,
      line: 1,
      hint: `add a top-level "${profile}:" entry with target: and outputs:, or set profile: in reel_project.yml`,
    });
  }
  const errors: ConfigError[] = [];
  const value = checkYaml(profileSchema, all[profile], file, [profile], 'profile', errors);
  if (!value) throw errors[0]!;
  const name = target ?? value.target;
  const output = value.outputs[name];
  if (!output) {
    throw new ConfigError('no-target', `profile "${profile}" has no target "${name}"${didYouMean(name, Object.keys(value.outputs))}`, {
      ...file.placeOf([profile], 'outputs'),
      hint: `targets are: ${Object.keys(value.outputs).join(', ')}`,
    });
  }
  for (const [key, field] of Object.entries(output)) {
    const mark = typeof field === 'string' ? new RegExp(`${MISSING_MARK}(.+?)__`).exec(field) : null;
    if (!mark) continue;
    throw new ConfigError('profiles-env', `target "${name}" reads environment variable ${mark[1]}, which is not set`, {
      ...file.placeOf([profile, 'outputs', name, key]),
      hint: `export ${mark[1]}=… or give a default: {{env "${mark[1]}" "default"}}`,
    });
  }
  return { name, output, file: path };
}

const MISSING_MARK = '__REEL_UNSET_ENV_';
