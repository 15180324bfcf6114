import { existsSync, readFileSync } from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Node } from 'yaml';
import { BiConfigError } from '../errors.js';
import { isCspSource } from '../serve/content-security.js';
import type { PortalUser } from '../serve/portal-user.js';
import { didYouMean } from '../suggest.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The `powerbi:` section of the portal config, with the client secret from POWERBI_CLIENT_SECRET. */
export interface PowerBiEmbedConfig {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly workspaceId: string;
  readonly reportId: string;
  /** Nav label (default "Power BI"). */
  readonly label: string;
  /**
   * RLS role for a user limited to regions; `{region}` becomes each region (e.g. "Region {region}",
   * or "Region" for one role keyed on the username). Required when any user is limited to regions:
   * without it the token would read every region.
   */
  readonly rlsRole?: string;
  /** RLS role for a user who sees every region (e.g. "All regions"); required with rls_role when any user has regions ['*']. */
  readonly allRegionsRole?: string;
  /** The model column holding the region, for the report filter. */
  readonly filter: { readonly table: string; readonly column: string };
  /** Embed token lifetime in minutes: 0 (the service's default) or 5 to 1440; never longer than the portal session's idle time. */
  readonly lifetimeMinutes: number;
  readonly apiUrl: string;
  readonly authorityUrl: string;
}

/** The `tableau:` section of the portal config, with the secret from TABLEAU_CONNECTED_APP_SECRET. */
export interface TableauEmbedConfig {
  readonly serverUrl: string;
  /** The site's contentUrl ('' for Default). */
  readonly site: string;
  /** The view's path under the site, e.g. `views/Reel/Overview`. */
  readonly view: string;
  readonly label: string;
  readonly auth: 'connected-app' | 'trusted-ticket';
  /** Connected app: client id (JWT iss), secret id (kid), secret value (from the environment). */
  readonly clientId: string;
  readonly secretId: string;
  readonly secretValue: string;
  /** JWT lifetime in minutes, at most 10 (Tableau's limit). */
  readonly tokenMinutes: number;
  /** Portal user name → Tableau user name (default: the same name). */
  readonly users: ReadonlyMap<string, string>;
  /** The JWT user attribute that carries the regions for RLS (default Region; ['*'] for a user who sees every region). */
  readonly regionAttribute: string;
  /**
   * Trusted tickets carry no regions: a region-limited user gets one only when this says the
   * workbook itself limits rows by Tableau user (`workbook-user-filter`).
   */
  readonly trustedTicketRegionScope?: 'workbook-user-filter';
}

export interface EmbedConfig {
  readonly powerbi?: PowerBiEmbedConfig;
  readonly tableau?: TableauEmbedConfig;
}

const POWERBI_KEYS = ['tenant_id', 'client_id', 'workspace_id', 'report_id', 'label', 'rls_role', 'all_regions_role', 'filter', 'lifetime_minutes', 'api_url', 'authority_url'];
const TABLEAU_KEYS = ['server_url', 'site', 'view', 'label', 'auth', 'client_id', 'secret_id', 'token_minutes', 'users', 'region_attribute', 'trusted_ticket_region_scope'];
const SECRET_KEYS = ['client_secret', 'secret', 'secret_value', 'password'];
/** Names the connected-app JWT sets itself (registered claims, `scp`, and the header's `kid`): a user attribute must not take one. */
export const JWT_RESERVED_NAMES = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'scp', 'kid'] as const;

/** parseEmbedConfig of a file (the portal config); `shownAs` names it in messages. No file: no embeds. */
export function loadEmbedConfig(file: string, shownAs: string, env: Env, users?: Iterable<PortalUser>): EmbedConfig {
  return existsSync(file) ? parseEmbedConfig(readFileSync(file, 'utf8'), shownAs, env, users) : {};
}

/** "ana (Europe, Asia)", and how many more, for messages about region-limited users. */
function someUsers(users: readonly PortalUser[]): string {
  const [first] = users;
  const more = users.length > 1 ? ` and ${users.length - 1} more user${users.length > 2 ? 's' : ''}` : '';
  return `${first!.name} (${first!.regions.join(', ')})${more}`;
}

/**
 * Reads the `powerbi:` and `tableau:` sections of the portal config (other sections are the
 * portal's). Secrets come only from the environment (POWERBI_CLIENT_SECRET,
 * TABLEAU_CONNECTED_APP_SECRET); a secret written in the file is refused. A mistake is one
 * BiConfigError naming file, line and fix. With `users` (the users file's accounts, as `bi serve`
 * passes them) the region rules are checked too: `rls_role` when any user is limited to regions,
 * `all_regions_role` when any has ['*'], and no trusted tickets for region-limited users unless the
 * workbook filters by user. (The services refuse such a user at run time either way.)
 *
 * @example
 * ```yaml
 * powerbi: {tenant_id: …, client_id: …, workspace_id: …, report_id: …, rls_role: "Region {region}", filter: {table: dim_region, column: region}}
 * tableau: {server_url: https://tableau.example.com, site: reel, view: views/Reel/Overview, client_id: …, secret_id: …}
 * ```
 */
export function parseEmbedConfig(text: string, file: string, env: Env, users?: Iterable<PortalUser>): EmbedConfig {
  const accounts = [...(users ?? [])];
  const limited = accounts.filter((u) => !u.regions.includes('*'));
  const everyRegion = accounts.filter((u) => u.regions.includes('*'));
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const fail = (node: Node | null | undefined, message: string, hint: string): never => {
    const place = node?.range ? lines.linePos(node.range[0]) : { line: 1, col: 1 };
    throw new BiConfigError('bad-embed-config', `${file}:${place.line}:${place.col}  ${message}`, { file, line: place.line, column: place.col, hint });
  };
  if (document.errors[0]) fail(undefined, `is not valid YAML: ${document.errors[0].message.split('\n')[0]}`, 'fix the YAML syntax');
  const root = document.contents;
  if (!isMap(root)) return {};

  const section = (name: string, allowed: readonly string[]) => {
    const node = root.get(name, true) as Node | undefined;
    if (node === undefined || node === null) return undefined;
    if (!isMap(node)) return fail(node, `${name}: must be a mapping`, `write ${name}: with one key per line; see docs/bi.md#embedding-power-bi-and-tableau`);
    const values = new Map<string, Node>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (SECRET_KEYS.includes(key)) fail(pair.key as Node, `${name}.${key}: secrets do not belong in the config file`, `remove it and set ${name === 'powerbi' ? 'POWERBI_CLIENT_SECRET' : 'TABLEAU_CONNECTED_APP_SECRET'} in the environment`);
      if (!allowed.includes(key)) fail(pair.key as Node, `unknown key "${key}" in ${name}:${didYouMean(key, allowed)}`, `valid keys are: ${allowed.join(', ')}`);
      // `key:` with no value points at the key.
      values.set(key, (pair.value ?? pair.key) as Node);
    }
    const where = node as Node;
    const str = (key: string, fallback?: string): string => {
      const value = values.get(key);
      if (value === undefined) {
        if (fallback !== undefined) return fallback;
        return fail(where, `${name}: has no ${key}`, `add ${key}:`);
      }
      if (!isScalar(value) || (typeof value.value !== 'string' && typeof value.value !== 'number') || String(value.value).trim() === '') return fail(value, `${name}.${key} must be a non-empty string`, `quote it: ${key}: "…"`);
      return String(value.value);
    };
    const num = (key: string, fallback: number, min: number, max: number): number => {
      const value = values.get(key);
      if (value === undefined) return fallback;
      const n = isScalar(value) ? Number(value.value) : NaN;
      if (!Number.isInteger(n) || n < min || n > max) fail(value, `${name}.${key} must be a whole number from ${min} to ${max}`, `change ${key}`);
      return n;
    };
    const url = (key: string, fallback?: string): string => {
      const text = str(key, fallback);
      let parsed: URL | undefined;
      try {
        parsed = new URL(text);
      } catch {
        // reported below
      }
      if (!parsed || !/^https?:$/.test(parsed.protocol)) fail(values.get(key), `${name}.${key} "${text}" is not an http(s) URL`, `write e.g. ${key}: https://host.example.com`);
      return text.replace(/\/+$/, '');
    };
    /** A URL the browser loads from: https, since the portal's CSP admits only https sources (plain http only on this machine, for tests). */
    const browserUrl = (key: string): string => {
      const text = url(key);
      const { protocol, hostname, origin } = new URL(text);
      if (protocol !== 'https:' && hostname !== '127.0.0.1' && hostname !== 'localhost') fail(values.get(key), `${name}.${key} "${text}" is not https`, 'the pages frame it, and the portal admits only https hosts (Tableau needs SSL for connected apps too): use its https address');
      if (!isCspSource(origin)) fail(values.get(key), `${name}.${key} "${text}" cannot be written in the portal's Content-Security-Policy`, 'use a host name of letters, digits, dots and dashes, e.g. https://tableau.example.com');
      return text;
    };
    const secret = (variable: string): string => {
      const value = env[variable];
      if (!value) fail(where, `${name}: is configured but ${variable} is not set`, `set ${variable} in the environment of \`bi serve\` (it is never read from the file)`);
      return value!;
    };
    return { values, where, str, num, url, browserUrl, secret, fail: (key: string, message: string, hint: string) => fail(values.get(key) ?? where, message, hint) };
  };

  const result: { powerbi?: PowerBiEmbedConfig; tableau?: TableauEmbedConfig } = {};
  const p = section('powerbi', POWERBI_KEYS);
  if (p) {
    const filterNode = p.values.get('filter');
    const filter = isMap(filterNode) ? { table: String(filterNode.get('table') ?? ''), column: String(filterNode.get('column') ?? '') } : undefined;
    if (!filter || !filter.table || !filter.column) p.fail('filter', 'powerbi.filter must give the table and column of the region', 'write filter: {table: dim_region, column: region}');
    const rlsRole = p.values.has('rls_role') ? p.str('rls_role') : undefined;
    const allRegionsRole = p.values.has('all_regions_role') ? p.str('all_regions_role') : undefined;
    if (allRegionsRole && !rlsRole) p.fail('all_regions_role', 'powerbi.all_regions_role needs rls_role too', 'add rls_role: "Region {region}" (the role of region-limited users), or remove all_regions_role');
    if (!rlsRole && limited.length > 0) {
      fail(p.where, `powerbi: has no rls_role, but ${someUsers(limited)} ${limited.length > 1 ? 'are' : 'is'} limited to regions: without an RLS identity the embed token reads every region`, 'add rls_role: "Region {region}" (the dataset\'s role per region, or one role keyed on the user name); the report filter alone can be removed in the browser');
    }
    if (rlsRole && !allRegionsRole && everyRegion.length > 0) {
      fail(p.where, `powerbi: has no all_regions_role, but ${everyRegion[0]!.name}${everyRegion.length > 1 ? ` and ${everyRegion.length - 1} more` : ''} ${everyRegion.length > 1 ? 'see' : 'sees'} every region (regions ['*']), so no RLS role can be given to them`, 'add all_regions_role: "All regions" (a role of the dataset that sees every row)');
    }
    const lifetimeMinutes = p.num('lifetime_minutes', 0, 0, 24 * 60);
    if (lifetimeMinutes > 0 && lifetimeMinutes < 5) {
      p.fail('lifetime_minutes', `powerbi.lifetime_minutes is ${lifetimeMinutes}; it must be 0 (the service's default) or from 5 to 1440`, 'the page renews the token 2 minutes before it expires, so a shorter one would be renewed almost at once: write lifetime_minutes: 5 or more, or 0');
    }
    result.powerbi = {
      tenantId: p.str('tenant_id'),
      clientId: p.str('client_id'),
      clientSecret: p.secret('POWERBI_CLIENT_SECRET'),
      workspaceId: p.str('workspace_id'),
      reportId: p.str('report_id'),
      label: p.str('label', 'Power BI'),
      ...(rlsRole ? { rlsRole } : {}),
      ...(allRegionsRole ? { allRegionsRole } : {}),
      filter: filter!,
      lifetimeMinutes,
      apiUrl: p.url('api_url', 'https://api.powerbi.com'),
      authorityUrl: p.url('authority_url', 'https://login.microsoftonline.com'),
    };
  }
  const t = section('tableau', TABLEAU_KEYS);
  if (t) {
    const auth = t.str('auth', 'connected-app');
    if (auth !== 'connected-app' && auth !== 'trusted-ticket') t.fail('auth', `tableau.auth is "${auth}"${didYouMean(auth, ['connected-app', 'trusted-ticket'])}`, 'write auth: connected-app (Tableau Cloud / Server 2023+) or auth: trusted-ticket (older Tableau Server)');
    const connected = auth === 'connected-app';
    const usersNode = t.values.get('users');
    const users = new Map<string, string>();
    if (usersNode !== undefined) {
      if (!isMap(usersNode)) t.fail('users', 'tableau.users must map portal user names to Tableau user names', 'write users: {ana: ana@example.com}');
      for (const pair of (usersNode as { items: { key: unknown; value: unknown }[] }).items) {
        if (!isScalar(pair.key) || !isScalar(pair.value) || String(pair.value.value ?? '').trim() === '') t.fail('users', 'tableau.users must map each portal user name to a Tableau user name', 'write users: {ana: ana@example.com}');
        users.set(String((pair.key as { value: unknown }).value), String((pair.value as { value: unknown }).value));
      }
    }
    const regionAttribute = t.str('region_attribute', 'Region');
    if ((JWT_RESERVED_NAMES as readonly string[]).includes(regionAttribute.toLowerCase())) {
      t.fail('region_attribute', `tableau.region_attribute "${regionAttribute}" is a name the JWT already uses (${JWT_RESERVED_NAMES.join(', ')})`, 'name the user attribute your data policy reads, e.g. region_attribute: Region');
    }
    let trustedTicketRegionScope: 'workbook-user-filter' | undefined;
    if (t.values.has('trusted_ticket_region_scope')) {
      const scope = t.str('trusted_ticket_region_scope');
      if (scope !== 'workbook-user-filter') t.fail('trusted_ticket_region_scope', `tableau.trusted_ticket_region_scope is "${scope}"${didYouMean(scope, ['workbook-user-filter'])}`, 'the only value is workbook-user-filter (the workbook limits rows by Tableau user itself)');
      if (connected) t.fail('trusted_ticket_region_scope', 'tableau.trusted_ticket_region_scope applies only to auth: trusted-ticket', `remove it: a connected-app JWT carries the regions in ${regionAttribute}`);
      trustedTicketRegionScope = 'workbook-user-filter';
    }
    if (!connected && !trustedTicketRegionScope && limited.length > 0) {
      t.fail('auth', `tableau.auth is trusted-ticket, which carries no region limit, but ${someUsers(limited)} ${limited.length > 1 ? 'are' : 'is'} limited to regions`, 'use auth: connected-app (its JWT carries the regions for a data policy), or, if the workbook itself limits rows by Tableau user (a user filter on USERNAME()), write trusted_ticket_region_scope: workbook-user-filter');
    }
    const view = t.str('view').replace(/^\/+/, '');
    if (!/^views\/[^/]+\/[^/]+/.test(view)) t.fail('view', `tableau.view "${view}" is not a view path`, 'write the path after the site, e.g. view: views/Reel/Overview');
    result.tableau = {
      serverUrl: t.browserUrl('server_url'),
      site: t.str('site', ''),
      view,
      label: t.str('label', 'Tableau'),
      auth: auth as TableauEmbedConfig['auth'],
      clientId: connected ? t.str('client_id') : '',
      secretId: connected ? t.str('secret_id') : '',
      secretValue: connected ? t.secret('TABLEAU_CONNECTED_APP_SECRET') : '',
      tokenMinutes: t.num('token_minutes', 5, 1, 10),
      users,
      regionAttribute,
      ...(trustedTicketRegionScope ? { trustedTicketRegionScope } : {}),
    };
  }
  return result;
}
