import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { BiConfigError } from '../errors.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface PowerBiConfig {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly workspaceId: string;
  readonly datasetName: string;
  readonly apiUrl: string;
  readonly authorityUrl: string;
  readonly retention: 'basicFIFO' | 'none';
  /** Rows per POST rows request (at most the documented 10,000). */
  readonly rowsPerRequest: number;
  /** POST rows requests per minute per dataset (documented limit 120). */
  readonly requestsPerMinute: number;
}

export interface TableauConfig {
  readonly serverUrl: string;
  readonly apiVersion: string;
  /** The site's contentUrl ('' for the Default site). */
  readonly site: string;
  readonly patName: string;
  readonly patSecret: string;
  readonly projectName: string;
  readonly projectId?: string;
  /** Files this large or larger go up in chunks (default and documented maximum 64 MB). */
  readonly chunkThresholdBytes: number;
  /** Bytes per chunk (default 16 MB, at most 64 MB). */
  readonly chunkBytes: number;
  readonly jobPollMs: number;
  readonly jobTimeoutMs: number;
}

const MB = 1024 * 1024;

/**
 * Publish settings: environment variables first, then the profile file (`--profile` or
 * REEL_BI_PROFILE, YAML with `powerbi:` and `tableau:` sections whose keys are the variable names
 * without the prefix, in lower case: `client_secret`, `pat_name`, …).
 */
export class PublishSettings {
  private readonly profile: Record<string, Record<string, unknown>>;

  constructor(
    private readonly env: Env,
    private readonly profilePath?: string,
  ) {
    this.profile = {};
    const path = profilePath ?? env.REEL_BI_PROFILE;
    if (path) {
      if (!existsSync(path)) throw new BiConfigError('no-profile-file', `the profile file ${path} does not exist: create it (YAML with powerbi: and tableau: sections) or leave out --profile and set the environment variables`);
      try {
        const value = parseYaml(readFileSync(path, 'utf8')) as Record<string, Record<string, unknown>> | null;
        this.profile = value ?? {};
      } catch (error) {
        throw new BiConfigError('bad-profile-file', `the profile file ${path} is not valid YAML (${(error as Error).message.split('\n')[0]}): fix it, or set the environment variables instead`);
      }
    }
  }

  /** A setting by its environment variable name, e.g. POWERBI_CLIENT_ID → powerbi.client_id. */
  get(name: string): string | undefined {
    const fromEnv = this.env[name];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    const [section, ...rest] = name.toLowerCase().split('_');
    const value = this.profile[section!]?.[rest.join('_')];
    return value === undefined || value === null ? undefined : String(value);
  }

  /** Settings that must all be present: one error naming every missing one. */
  require(service: string, names: readonly string[]): Record<string, string> {
    const missing = names.filter((n) => this.get(n) === undefined);
    if (missing.length > 0) {
      const where = this.profilePath ?? this.env.REEL_BI_PROFILE;
      throw new BiConfigError(
        'missing-setting',
        `publishing to ${service} needs ${missing.join(', ')}: set ${missing.length === 1 ? 'it' : 'them'} in the environment${where ? ` or in ${where}` : ' (or in a profile file given with --profile)'}; see docs/bi.md`,
      );
    }
    return Object.fromEntries(names.map((n) => [n, this.get(n)!]));
  }

  number(name: string, fallback: number, min: number, max: number): number {
    const text = this.get(name);
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) {
      throw new BiConfigError('bad-setting', `${name} is ${text}, but must be a number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}: change it`);
    }
    return value;
  }
}

export function powerBiConfig(settings: PublishSettings, overrides: { datasetName?: string; retention?: string } = {}): PowerBiConfig {
  const s = settings.require('Power BI', ['POWERBI_TENANT_ID', 'POWERBI_CLIENT_ID', 'POWERBI_CLIENT_SECRET', 'POWERBI_WORKSPACE_ID']);
  const retention = overrides.retention ?? settings.get('POWERBI_RETENTION') ?? 'basicFIFO';
  if (retention !== 'basicFIFO' && retention !== 'none') {
    throw new BiConfigError('bad-setting', `the retention policy is ${retention}, but Power BI push datasets take basicFIFO or none: change POWERBI_RETENTION or --retention`);
  }
  return {
    tenantId: s.POWERBI_TENANT_ID!,
    clientId: s.POWERBI_CLIENT_ID!,
    clientSecret: s.POWERBI_CLIENT_SECRET!,
    workspaceId: s.POWERBI_WORKSPACE_ID!,
    datasetName: overrides.datasetName ?? settings.get('POWERBI_DATASET_NAME') ?? 'Reel',
    apiUrl: trimSlash(settings.get('POWERBI_API_URL') ?? 'https://api.powerbi.com'),
    authorityUrl: trimSlash(settings.get('POWERBI_AUTHORITY_URL') ?? 'https://login.microsoftonline.com'),
    retention,
    rowsPerRequest: settings.number('POWERBI_ROWS_PER_REQUEST', 10_000, 1, 10_000),
    requestsPerMinute: settings.number('POWERBI_REQUESTS_PER_MINUTE', 120, 1, 100_000),
  };
}

export function tableauConfig(settings: PublishSettings, overrides: { chunkBytes?: number; chunkThresholdBytes?: number } = {}): TableauConfig {
  const s = settings.require('Tableau', ['TABLEAU_SERVER_URL', 'TABLEAU_PAT_NAME', 'TABLEAU_PAT_SECRET']);
  return {
    serverUrl: trimSlash(s.TABLEAU_SERVER_URL!),
    apiVersion: settings.get('TABLEAU_API_VERSION') ?? '3.24',
    site: settings.get('TABLEAU_SITE') ?? '',
    patName: s.TABLEAU_PAT_NAME!,
    patSecret: s.TABLEAU_PAT_SECRET!,
    projectName: settings.get('TABLEAU_PROJECT') ?? 'default',
    ...(settings.get('TABLEAU_PROJECT_ID') ? { projectId: settings.get('TABLEAU_PROJECT_ID') } : {}),
    chunkThresholdBytes: overrides.chunkThresholdBytes ?? settings.number('TABLEAU_CHUNK_THRESHOLD_BYTES', 64 * MB, 1, 64 * MB),
    chunkBytes: overrides.chunkBytes ?? settings.number('TABLEAU_CHUNK_BYTES', 16 * MB, 1, 64 * MB),
    jobPollMs: settings.number('TABLEAU_JOB_POLL_MS', 2000, 1, 600_000),
    jobTimeoutMs: settings.number('TABLEAU_JOB_TIMEOUT_MS', 30 * 60_000, 1, 24 * 3_600_000),
  };
}

const trimSlash = (url: string) => url.replace(/\/+$/, '');
