import { ConfigError, ConnectionError } from '../../errors/index.js';
import { findProfilesFile, readProfileTarget, type ProfileOutput } from './profiles.js';

/** Where a command's database is, decided without connecting. */
export interface ResolvedTarget {
  readonly name: string;
  readonly kind: 'url' | 'embedded';
  /** For kind url: the connection string (may hold a password: never print it, use `display`). */
  readonly url?: string;
  /** The connection with any password masked, safe to print and write to artifacts. */
  readonly display: string;
  readonly schema: string;
  readonly schemaPrefix?: string;
  readonly threads?: number;
  /** How it was chosen, for `model debug`. */
  readonly origin: string;
}

export interface TargetOptions {
  readonly projectRoot: string;
  readonly profile: string;
  readonly target?: string;
  readonly profilesDir?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The one connection resolver: `--target` picks a profiles.yml target; otherwise DATABASE_URL;
 * otherwise the profile's default target; otherwise the embedded PostgreSQL under .reel/.
 */
export function resolveTarget(options: TargetOptions): ResolvedTarget {
  const env = options.env ?? process.env;
  const profilesPath = findProfilesFile(options.projectRoot, options.profilesDir, env);
  if (options.target !== undefined) {
    if (!profilesPath) {
      throw new ConfigError('no-profiles', `--target ${options.target} needs a profiles.yml, and none was found`, {
        hint: 'create profiles.yml in the project (or ~/.reel/, or pass --profiles-dir) with the target under outputs:',
      });
    }
    return fromProfile(profilesPath, options.profile, options.target, env);
  }
  const url = env.DATABASE_URL;
  if (url !== undefined && url !== '') return fromUrl(url, 'DATABASE_URL', 'DATABASE_URL', 'public');
  if (profilesPath) {
    try {
      return fromProfile(profilesPath, options.profile, undefined, env);
    } catch (error) {
      // A profiles.yml in ~/.reel for other projects must not break a project that has none of its own.
      if (error instanceof ConfigError && error.code === 'no-profile' && !profilesPath.startsWith(options.projectRoot)) return embedded();
      throw error;
    }
  }
  return embedded();
}

function embedded(): ResolvedTarget {
  return { name: 'embedded', kind: 'embedded', display: 'embedded PostgreSQL (.reel/postgres)', schema: 'public', origin: 'no DATABASE_URL or profiles.yml: the embedded default' };
}

function fromProfile(path: string, profile: string, target: string | undefined, env: Readonly<Record<string, string | undefined>>): ResolvedTarget {
  const { name, output } = readProfileTarget(path, profile, target, env);
  if (output.type === 'embedded') return { ...embedded(), name, schema: output.schema ?? 'public', schemaPrefix: output.schema_prefix, threads: output.threads, origin: `${path}: target ${name}` };
  const url = output.url ?? urlFromParts(output);
  const resolved = fromUrl(url, name, `${path}: target ${name}`, output.schema ?? 'public');
  return { ...resolved, schemaPrefix: output.schema_prefix, threads: output.threads };
}

function urlFromParts(output: ProfileOutput): string {
  const url = new URL('postgres://localhost');
  url.hostname = output.host ?? 'localhost';
  url.port = String(output.port ?? 5432);
  if (output.user) url.username = encodeURIComponent(output.user);
  const password = output.password ?? output.pass;
  if (password !== undefined) url.password = encodeURIComponent(String(password));
  url.pathname = `/${encodeURIComponent(output.dbname ?? output.database ?? 'postgres')}`;
  if (output.sslmode) url.searchParams.set('sslmode', output.sslmode);
  if (output.connect_timeout) url.searchParams.set('connect_timeout', String(output.connect_timeout));
  return url.toString();
}

function fromUrl(url: string, name: string, origin: string, schema: string): ResolvedTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConnectionError('bad-url', `${origin} is not a valid connection string`, { hint: 'use postgres://user:password@host:5432/database' });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConnectionError('bad-url', `${origin} must start with postgres:// or postgresql://, not ${parsed.protocol}//`, { hint: 'use postgres://user:password@host:5432/database' });
  }
  return { name, kind: 'url', url, display: redactUrl(url), schema, origin };
}

/** The URL with its password masked. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '****';
    for (const key of [...parsed.searchParams.keys()]) if (/pass|secret|token/i.test(key)) parsed.searchParams.set(key, '****');
    return parsed.toString();
  } catch {
    return '(unparseable connection string)';
  }
}
