// The embed-token service against the local Power BI and Tableau fakes: config parsing (region
// rules against the users), Azure AD token caching and renewal, GenerateToken with the RLS identity
// and a lifetime within the session, retries on 429, connected-app JWTs checked by the fake's
// sign-in, trusted tickets, the routes behind the real portal's session gate, and the CSP sources.
import type { FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEmbedConfig, type EmbedConfig } from '../src/embed/embed-config.js';
import { embedCspSources, embedNav } from '../src/embed/embed-csp.js';
import { embedExtensions } from '../src/embed/embed-routes.js';
import { PowerBiEmbedService } from '../src/embed/powerbi-embed-service.js';
import { TableauEmbedService } from '../src/embed/tableau-embed-service.js';
import { createPortal } from '../src/serve/create-portal.js';
import type { PortalUser } from '../src/serve/portal-user.js';
import { PowerBiFake, type FakeReport } from './fakes/powerbi-fake.js';
import { TableauFake } from './fakes/tableau-fake.js';
import { portalUsers } from './portal-project.js';

const PBI_SECRET = 'pbi-client-secret-93ac';
const TABLEAU_SECRET = 'tableau-connected-app-secret-5d1e07';
const ana: PortalUser = { name: 'ana', role: 'analyst', regions: ['Europe', 'Latin America'] };
const root: PortalUser = { name: 'root', role: 'admin', regions: ['*'] };
const REPORT = { id: 'report-1', name: 'Reel', datasetId: 'dataset-1', rlsRoles: ['Region Europe', 'Region Latin America', 'Region North America', 'All regions'] };
/** A report on a dataset without row-level security: Power BI gives anyone a token that reads all of it. */
const OPEN_REPORT = { id: 'report-2', name: 'Open', datasetId: 'dataset-2' };
const fast = { sleep: async () => undefined };
/** A pool that is never used: the embed routes and the sign-in do not query the marts. */
const unusedPool = () => new pg.Pool({ connectionString: 'postgres://unused@127.0.0.1:1/unused', max: 1 });

function yaml(powerbi: string, tableau: string): string {
  return `users: []\npowerbi:\n${powerbi}\ntableau:\n${tableau}\n`;
}
const powerbiYaml = (url: string) => `  tenant_id: tenant-1
  client_id: client-1
  workspace_id: ws-1
  report_id: report-1
  rls_role: "Region {region}"
  all_regions_role: All regions
  filter: {table: dim_region, column: region}
  api_url: ${url}
  authority_url: ${url}`;
const tableauYaml = (url: string, extra = '') => `  server_url: ${url}
  site: reel
  view: views/Reel/Overview
  client_id: ca-client-1
  secret_id: ca-secret-id-1
  users: {ana: ana@example.com}${extra}`;
const env = { POWERBI_CLIENT_SECRET: PBI_SECRET, TABLEAU_CONNECTED_APP_SECRET: TABLEAU_SECRET };
const withoutRoles = (text: string) => text.replace('  rls_role: "Region {region}"\n  all_regions_role: All regions\n', '');

/** The BiConfigError parseEmbedConfig throws, or undefined. */
function configError(text: string, environment: Record<string, string>, users?: PortalUser[]): (Error & { hint?: string }) | undefined {
  try {
    parseEmbedConfig(text, 'portal.yml', environment, users);
  } catch (e) {
    return e as Error & { hint?: string };
  }
  return undefined;
}

describe('embed config', () => {
  it('reads both sections, secrets from the environment', () => {
    const config = parseEmbedConfig(yaml(powerbiYaml('https://api.example.com'), tableauYaml('https://tableau.example.com')), 'portal.yml', env);
    expect(config.powerbi).toMatchObject({ tenantId: 'tenant-1', reportId: 'report-1', clientSecret: PBI_SECRET, rlsRole: 'Region {region}', filter: { table: 'dim_region', column: 'region' }, apiUrl: 'https://api.example.com' });
    expect(config.tableau).toMatchObject({ serverUrl: 'https://tableau.example.com', site: 'reel', auth: 'connected-app', tokenMinutes: 5, secretValue: TABLEAU_SECRET, regionAttribute: 'Region' });
    expect(embedNav(config)).toEqual([{ href: '/reports/powerbi', label: 'Power BI' }, { href: '/reports/tableau', label: 'Tableau' }]);
    expect(embedCspSources(config)).toEqual({ frameSrc: ['https://app.powerbi.com', 'https://tableau.example.com'], connectSrc: ['https://tableau.example.com'], scriptSrc: [] });
    expect(parseEmbedConfig('users: []\n', 'portal.yml', {})).toEqual({});
  });

  it.each([
    [yaml(powerbiYaml('https://a.example.com').replace('report_id', 'reprot_id'), tableauYaml('https://t.example.com')), env, /^portal\.yml:6:3 {2}unknown key "reprot_id" in powerbi: \(did you mean "report_id"\?\)$/],
    [yaml(`${powerbiYaml('https://a.example.com')}\n  client_secret: x`, tableauYaml('https://t.example.com')), env, /^portal\.yml:12:3 {2}powerbi\.client_secret: secrets do not belong in the config file$/],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://t.example.com')), { POWERBI_CLIENT_SECRET: PBI_SECRET }, /^portal\.yml:13:3 {2}tableau: is configured but TABLEAU_CONNECTED_APP_SECRET is not set$/],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://t.example.com', '\n  token_minutes: 15')), env, /^portal\.yml:19:18 {2}tableau\.token_minutes must be a whole number from 1 to 10$/],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://t.example.com', '\n  auth: trusted-tickets')), env, /tableau\.auth is "trusted-tickets" \(did you mean "trusted-ticket"\?\)$/],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('http://tableau.example.com')), env, /^portal\.yml:13:15 {2}tableau\.server_url "http:\/\/tableau\.example\.com" is not https$/],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://my_host.example.com')), env, /^portal\.yml:13:15 {2}tableau\.server_url "https:\/\/my_host\.example\.com" cannot be written in the portal's Content-Security-Policy$/],
    [yaml(`${powerbiYaml('https://a.example.com')}\n  lifetime_minutes: 3`, tableauYaml('https://t.example.com')), env, /^portal\.yml:12:21 {2}powerbi\.lifetime_minutes is 3; it must be 0 \(the service's default\) or from 5 to 1440$/],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://t.example.com', "\n  region_attribute: ''")), env, /^portal\.yml:19:21 {2}tableau\.region_attribute must be a non-empty string$/],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://t.example.com', '\n  region_attribute:')), env, /^portal\.yml:19:20 {2}tableau\.region_attribute must be a non-empty string$/],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://t.example.com', '\n  region_attribute: [Region]')), env, /^portal\.yml:19:21 {2}tableau\.region_attribute must be a non-empty string$/],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://t.example.com', '\n  region_attribute: scp')), env, /^portal\.yml:19:21 {2}tableau\.region_attribute "scp" is a name the JWT already uses \(iss, sub, aud, exp, nbf, iat, jti, scp, kid\)$/],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://t.example.com', '\n  region_attribute: Sub')), env, /^portal\.yml:19:21 {2}tableau\.region_attribute "Sub" is a name the JWT already uses/],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://t.example.com', '\n  trusted_ticket_region_scope: workbook-user-filter')), env, /^portal\.yml:19:32 {2}tableau\.trusted_ticket_region_scope applies only to auth: trusted-ticket$/],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://t.example.com', '\n  auth: trusted-ticket\n  trusted_ticket_region_scope: user-filter')), env, /^portal\.yml:20:32 {2}tableau\.trusted_ticket_region_scope is "user-filter"$/],
  ])('refuses a bad config with file, line and fix (%#)', (text, environment, message) => {
    const error = configError(text, environment);
    expect(error?.message).toMatch(message);
    expect(error?.hint).toBeTruthy();
    expect(error?.message).not.toContain(PBI_SECRET);
  });

  it.each([
    [yaml(withoutRoles(powerbiYaml('https://a.example.com')), tableauYaml('https://t.example.com')), [root, ana], 'portal.yml:3:3  powerbi: has no rls_role, but ana (Europe, Latin America) is limited to regions: without an RLS identity the embed token reads every region', 'add rls_role: "Region {region}"'],
    [yaml(withoutRoles(powerbiYaml('https://a.example.com')), tableauYaml('https://t.example.com')), [ana, { ...ana, name: 'bo' }, { ...ana, name: 'cy' }], 'portal.yml:3:3  powerbi: has no rls_role, but ana (Europe, Latin America) and 2 more users are limited to regions: without an RLS identity the embed token reads every region', 'the report filter alone can be removed'],
    [yaml(powerbiYaml('https://a.example.com').replace('  all_regions_role: All regions\n', ''), tableauYaml('https://t.example.com')), [ana, root], "portal.yml:3:3  powerbi: has no all_regions_role, but root sees every region (regions ['*']), so no RLS role can be given to them", 'add all_regions_role: "All regions"'],
    [yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://t.example.com', '\n  auth: trusted-ticket')), [root, ana], 'portal.yml:19:9  tableau.auth is trusted-ticket, which carries no region limit, but ana (Europe, Latin America) is limited to regions', 'trusted_ticket_region_scope: workbook-user-filter'],
  ])('checks the region rules against the users file (%#)', (text, users, message, hint) => {
    const error = configError(text, env, users);
    expect(error?.message).toBe(message);
    expect(error?.hint).toContain(hint);
  });

  it('accepts what the users allow: no RLS when every user sees every region, trusted tickets when the workbook filters by user', () => {
    const open = parseEmbedConfig(yaml(withoutRoles(powerbiYaml('https://a.example.com')), tableauYaml('https://t.example.com')), 'portal.yml', env, [root]);
    expect(open.powerbi).not.toHaveProperty('rlsRole');
    const ticket = parseEmbedConfig(yaml(powerbiYaml('https://a.example.com'), tableauYaml('https://t.example.com', '\n  auth: trusted-ticket\n  trusted_ticket_region_scope: workbook-user-filter\n  region_attribute: Territory')), 'portal.yml', env, [root, ana]);
    expect(ticket.tableau).toMatchObject({ auth: 'trusted-ticket', trustedTicketRegionScope: 'workbook-user-filter', regionAttribute: 'Territory' });
    expect(parseEmbedConfig(yaml(`${powerbiYaml('https://a.example.com')}\n  lifetime_minutes: 5`, tableauYaml('https://t.example.com')), 'portal.yml', env).powerbi!.lifetimeMinutes).toBe(5);
  });

  it('admits a Tableau server on this machine over plain http (the fakes), in the config and in the CSP', async () => {
    const config = parseEmbedConfig(yaml(powerbiYaml('https://a.example.com'), tableauYaml('http://127.0.0.1:8080')), 'portal.yml', env);
    const pool = unusedPool();
    const app = await createPortal({ config: await portalUsers([{ name: 'ana', password: 'ana-password-1', role: 'analyst', regions: ['Europe'] }]), pool, extensions: embedExtensions(config) });
    try {
      const csp = String((await app.inject('/sign-in')).headers['content-security-policy']);
      expect(csp).toContain('frame-src https://app.powerbi.com http://127.0.0.1:8080;');
      expect(csp).toContain("connect-src 'self' http://127.0.0.1:8080;");
    } finally {
      await app.close();
      await pool.end();
    }
  });
});

describe('Power BI embed tokens', () => {
  let fake: PowerBiFake;
  let config: EmbedConfig;
  /** A report being rebound to another dataset (its datasetId changes under the portal). */
  const rebound: { -readonly [K in keyof FakeReport]: FakeReport[K] } = { id: 'report-3', name: 'Rebound', datasetId: 'dataset-1', rlsRoles: REPORT.rlsRoles };
  beforeAll(async () => {
    fake = await new PowerBiFake({ tenantId: 'tenant-1', clientId: 'client-1', clientSecret: PBI_SECRET, workspaceId: 'ws-1', reports: [REPORT, OPEN_REPORT, rebound] }).start();
    config = parseEmbedConfig(yaml(powerbiYaml(fake.url), tableauYaml('https://t.example.com')), 'portal.yml', env);
  });
  afterAll(async () => fake?.stop());
  const aadRequests = () => fake.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token')).length;
  const generateRequests = () => fake.requests.filter((r) => r.path === '/v1.0/myorg/GenerateToken');

  it('mints a token with the user\'s RLS identity and region filter; the AAD token and report are fetched once', async () => {
    const service = new PowerBiEmbedService(config.powerbi!, fast);
    const before = fake.requests.length;
    const info = await service.embedInfo(ana);
    expect(info).toMatchObject({ type: 'report', id: 'report-1', tokenType: 'Embed', embedUrl: expect.stringMatching(/^https:\/\/app\.powerbi\.com\/reportEmbed\?reportId=report-1/) });
    expect(info.accessToken).toBe(fake.embedTokens.at(-1)!.token);
    expect(Date.parse(info.expiry)).toBeGreaterThan(Date.now());
    expect(info.expiresInMs).toBeGreaterThan(59 * 60_000);
    expect(info.expiresInMs).toBeLessThanOrEqual(60 * 60_000);
    expect(info.filters).toEqual([{ $schema: 'http://powerbi.com/product/schema#basic', target: { table: 'dim_region', column: 'region' }, operator: 'In', values: ['Europe', 'Latin America'], filterType: 1, requireSingleSelection: false }]);
    expect(fake.embedTokens.at(-1)!.request).toEqual({ reports: [{ id: 'report-1' }], datasets: [{ id: 'dataset-1' }], identities: [{ username: 'ana', roles: ['Region Europe', 'Region Latin America'], datasets: ['dataset-1'] }] });
    const all = await service.embedInfo(root);
    expect(all.filters).toEqual([]);
    expect(fake.embedTokens.at(-1)!.request.identities).toEqual([{ username: 'root', roles: ['All regions'], datasets: ['dataset-1'] }]);
    const calls = fake.requests.slice(before).map((r) => `${r.method} ${r.path}`);
    expect(calls).toEqual(['POST /tenant-1/oauth2/v2.0/token', 'GET /v1.0/myorg/groups/ws-1/reports/report-1', 'POST /v1.0/myorg/GenerateToken', 'POST /v1.0/myorg/GenerateToken']);
  });

  it('waits as Retry-After says on 429, and renews the AAD token only near its expiry', async () => {
    let now = Date.now();
    const service = new PowerBiEmbedService(config.powerbi!, { sleep: async () => undefined }, () => now);
    fake.throttle(/GenerateToken/, 2, '3');
    await service.embedInfo(ana);
    expect(service.http.retries.map((r) => [r.status, r.waitedMs, r.retryAfter])).toEqual([[429, 3000, '3'], [429, 3000, '3']]);
    const tokens = () => fake.requests.filter((r) => r.path.endsWith('/oauth2/v2.0/token')).length;
    const count = tokens();
    now += 50 * 60_000;
    await service.embedInfo(ana);
    expect(tokens()).toBe(count);
    now += 6 * 60_000;
    await service.embedInfo(ana);
    expect(tokens()).toBe(count + 1);
  });

  it('refuses a token to a region-limited user when no RLS identity can be given, before asking Power BI', async () => {
    // On a dataset without RLS Power BI would give a token that reads every region.
    const noRls = new PowerBiEmbedService({ ...config.powerbi!, reportId: OPEN_REPORT.id, rlsRole: undefined, allRegionsRole: undefined }, fast);
    const before = fake.requests.length;
    await expect(noRls.embedInfo(ana)).rejects.toThrow('ana is limited to regions (Europe, Latin America) but powerbi.rls_role is not set, so the embed token would read every region: set rls_role in the portal config');
    expect(fake.requests.length).toBe(before);
    const everything = await noRls.embedInfo(root);
    expect(everything.filters).toEqual([]);
    expect(fake.embedTokens.at(-1)!.request).toEqual({ reports: [{ id: 'report-2' }], datasets: [{ id: 'dataset-2' }] });
  });

  it('keeps the embed token within the portal session: lifetimeInMinutes is the shorter of the configured one and the session', async () => {
    const now = Date.now();
    const service = new PowerBiEmbedService(config.powerbi!, fast, () => now);
    const info = await service.embedInfo(ana, now + 30 * 60_000);
    expect(fake.embedTokens.at(-1)!.request.lifetimeInMinutes).toBe(30);
    expect(info.expiresInMs).toBeGreaterThan(29 * 60_000);
    expect(info.expiresInMs).toBeLessThanOrEqual(30 * 60_000 + 1000);
    const configured = new PowerBiEmbedService({ ...config.powerbi!, lifetimeMinutes: 10 }, fast, () => now);
    await configured.embedInfo(ana, now + 30 * 60_000);
    expect(fake.embedTokens.at(-1)!.request.lifetimeInMinutes).toBe(10);
    await configured.embedInfo(ana, now + 90_000);
    expect(fake.embedTokens.at(-1)!.request.lifetimeInMinutes).toBe(1);
    await configured.embedInfo(ana);
    expect(fake.embedTokens.at(-1)!.request.lifetimeInMinutes).toBe(10);
  });

  it('shares one Azure AD token request and one report lookup between concurrent calls, cold or once the token is stale', async () => {
    let now = Date.now();
    const service = new PowerBiEmbedService(config.powerbi!, fast, () => now);
    const [aad, before] = [aadRequests(), fake.requests.length];
    await Promise.all([service.embedInfo(ana), service.embedInfo(root), service.embedInfo(ana)]);
    expect(aadRequests() - aad).toBe(1);
    expect(fake.requests.slice(before).filter((r) => r.method === 'GET').length).toBe(1);
    now += 56 * 60_000;
    await Promise.all([service.embedInfo(ana), service.embedInfo(root), service.embedInfo(ana)]);
    expect(aadRequests() - aad).toBe(2);
  });

  it('renews the Azure AD token once when Power BI refuses it (403 TokenExpired, 401), and gives up after that one retry', async () => {
    const service = new PowerBiEmbedService(config.powerbi!, fast);
    await service.embedInfo(ana);
    const [aad, generated] = [aadRequests(), generateRequests().length];
    fake.expireAccessTokens();
    await service.embedInfo(ana);
    expect(aadRequests() - aad).toBe(1);
    expect(generateRequests().slice(generated).map((r) => r.status)).toEqual([403, 200]);

    fake.fail(/GenerateToken/, 1, 401);
    await service.embedInfo(ana);
    expect(aadRequests() - aad).toBe(2);
    expect(generateRequests().slice(generated + 2).map((r) => r.status)).toEqual([401, 200]);

    fake.fail(/GenerateToken/, 2, 401);
    await expect(service.embedInfo(ana)).rejects.toThrow(/^Power BI answered 401 Unauthorized to POST .*\/v1\.0\/myorg\/GenerateToken: TokenExpired: Access token has expired/);
    expect(aadRequests() - aad).toBe(3);
    expect(generateRequests().slice(generated + 4).map((r) => r.status)).toEqual([401, 401]);
  });

  it('does not keep a failed report lookup, and looks the report up again after ten minutes', async () => {
    let now = Date.now();
    const service = new PowerBiEmbedService({ ...config.powerbi!, reportId: rebound.id }, fast, () => now);
    rebound.datasetId = '';
    await expect(service.embedInfo(ana)).rejects.toThrow('Power BI report report-3 has no embedUrl or datasetId: check powerbi.report_id');
    rebound.datasetId = 'dataset-1';
    await service.embedInfo(ana);
    expect(fake.embedTokens.at(-1)!.request.datasets).toEqual([{ id: 'dataset-1' }]);
    rebound.datasetId = 'dataset-3';
    now += 9 * 60_000;
    await service.embedInfo(ana);
    expect(fake.embedTokens.at(-1)!.request.datasets).toEqual([{ id: 'dataset-1' }]);
    now += 2 * 60_000;
    await service.embedInfo(ana);
    expect(fake.embedTokens.at(-1)!.request.datasets).toEqual([{ id: 'dataset-3' }]);
  });

  it('says what is wrong, without the secret, when the service refuses', async () => {
    const noAllRole = new PowerBiEmbedService({ ...config.powerbi!, allRegionsRole: undefined }, fast);
    await expect(noAllRole.embedInfo(root)).rejects.toThrow('root sees every region but powerbi.all_regions_role is not set, so no RLS role can be given: set all_regions_role in the portal config');
    const wrong = new PowerBiEmbedService({ ...config.powerbi!, clientSecret: 'wrong-secret-123' }, fast);
    const error = await wrong.embedInfo(ana).catch((e: Error) => e);
    expect(String(error)).toContain('AADSTS7000215: Invalid client secret provided.');
    expect(String(error)).not.toContain('wrong-secret-123');
  });
});

describe('Tableau embedding', () => {
  let fake: TableauFake;
  let config: EmbedConfig;
  beforeAll(async () => {
    fake = await new TableauFake({ apiVersion: '3.24', site: 'reel', patName: 'p', patSecret: 'p', connectedApp: { clientId: 'ca-client-1', secretId: 'ca-secret-id-1', secretValue: TABLEAU_SECRET }, users: ['ana@example.com', 'root'] }).start();
    config = parseEmbedConfig(yaml(powerbiYaml('https://a.example.com'), tableauYaml(fake.url)), 'portal.yml', env);
  });
  afterAll(async () => fake?.stop());
  const signIn = (jwt: string) => fetch(`${fake.url}/vizportal/api/web/v1/auth/embed/signin`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ siteName: 'reel', jwt }) });

  it('signs a connected-app JWT that the fake accepts once; a wrong secret is refused', async () => {
    const info = await new TableauEmbedService(config.tableau!).embedInfo(ana);
    expect(info).toMatchObject({ auth: 'connected-app', src: `${fake.url}/t/reel/views/Reel/Overview` });
    if (info.auth !== 'connected-app') throw new Error('unreachable');
    expect((await signIn(info.token)).status).toBe(200);
    const accepted = fake.embedSignIns.at(-1)!;
    expect(accepted.accepted).toBe(true);
    expect(accepted.header).toEqual({ alg: 'HS256', kid: 'ca-secret-id-1', iss: 'ca-client-1' });
    expect(accepted.claims).toMatchObject({ iss: 'ca-client-1', aud: 'tableau', sub: 'ana@example.com', scp: ['tableau:views:embed'], Region: ['Europe', 'Latin America'] });
    expect(accepted.claims!.exp! - accepted.claims!.iat!).toBe(300);
    expect((await signIn(info.token)).status).toBe(401);
    expect(fake.embedSignIns.at(-1)!.reason).toBe('the jti was used before');

    const forged = await new TableauEmbedService({ ...config.tableau!, secretValue: 'not-the-secret-0000' }).connectedAppToken(root);
    expect((await signIn(forged.token)).status).toBe(401);
    expect(fake.embedSignIns.at(-1)!.reason).toBe('the jwt was refused: signature verification failed');
    const rootToken = await new TableauEmbedService(config.tableau!).connectedAppToken(root);
    expect((await signIn(rootToken.token)).status).toBe(200);
    // Explicitly every region, so that a data policy can refuse a JWT that has no Region at all.
    expect(fake.embedSignIns.at(-1)!.claims).toMatchObject({ sub: 'root', Region: ['*'] });

    const tooLong = await new TableauEmbedService({ ...config.tableau!, tokenMinutes: 11 }).connectedAppToken(root);
    const refused = await signIn(tooLong.token);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ result: { errors: [{ code: 16, summary: 'LOGIN_FAILED', message: 'exp is more than 10 minutes after iat' }] } });
    const stranger = await new TableauEmbedService(config.tableau!).connectedAppToken({ ...ana, name: 'mallory' });
    expect(((await (await signIn(stranger.token)).json()) as { result: { errors: unknown[] } }).result.errors[0]).toMatchObject({ code: 5, summary: 'SYSTEM_USER_NOT_FOUND' });
  });

  it('puts the regions in the configured attribute, and ends the JWT no later than the portal session', async () => {
    const now = 1_700_000_000_000;
    const service = new TableauEmbedService({ ...config.tableau!, regionAttribute: 'Territory' }, {}, () => now);
    const capped = decodeJwt((await service.connectedAppToken(ana, now + 90_000)).token);
    expect(capped).toMatchObject({ iat: 1_700_000_000, exp: 1_700_000_090, Territory: ['Europe', 'Latin America'], scp: ['tableau:views:embed'] });
    expect(capped).not.toHaveProperty('Region');
    const info = await service.embedInfo(ana, now + 60 * 60_000);
    if (info.auth !== 'connected-app') throw new Error('unreachable');
    expect(decodeJwt(info.token).exp).toBe(1_700_000_000 + 300);
    expect(info.expiry).toBe(new Date((1_700_000_000 + 300) * 1000).toISOString());
  });

  it('refuses a trusted ticket to a region-limited user unless the workbook filters by user', async () => {
    const before = fake.requests.length;
    const unscoped = new TableauEmbedService({ ...config.tableau!, auth: 'trusted-ticket' });
    await expect(unscoped.embedInfo(ana)).rejects.toThrow('ana is limited to regions (Europe, Latin America) but a trusted ticket carries no region limit: use tableau.auth: connected-app, or set tableau.trusted_ticket_region_scope: workbook-user-filter once the workbook limits rows by Tableau user');
    expect(fake.requests.length).toBe(before);
    const info = await unscoped.embedInfo(root);
    expect(info.auth).toBe('trusted-ticket');
  });

  it('gets a trusted ticket for older Tableau Server, and says so when the server refuses', async () => {
    const service = new TableauEmbedService({ ...config.tableau!, auth: 'trusted-ticket', trustedTicketRegionScope: 'workbook-user-filter' });
    const info = await service.embedInfo(ana);
    expect(info).toMatchObject({ auth: 'trusted-ticket', apiScript: `${fake.url}/javascripts/api/tableau-2.min.js` });
    const ticket = /\/trusted\/([^/]+)\/t\/reel\/views\/Reel\/Overview$/.exec(info.src)![1]!;
    expect(fake.tickets.get(ticket)).toEqual({ username: 'ana@example.com', site: 'reel', redeemed: false });
    await expect(service.embedInfo({ ...ana, name: 'mallory' })).rejects.toThrow(/^Tableau refused a trusted ticket for mallory \(answered -1\): add the portal's address/);
  });
});

describe('embed routes in the portal', () => {
  let app: FastifyInstance;
  let fake: PowerBiFake;
  let now = Date.now();
  const pool = unusedPool();
  beforeAll(async () => {
    fake = await new PowerBiFake({ tenantId: 'tenant-1', clientId: 'client-1', clientSecret: PBI_SECRET, workspaceId: 'ws-1', reports: [REPORT] }).start();
    const users = await portalUsers([{ name: 'ana', password: 'ana-password-1', role: 'analyst', regions: ['Europe', 'Latin America'] }]);
    const config = parseEmbedConfig(yaml(powerbiYaml(fake.url), tableauYaml('https://tableau.example.com')), 'portal.yml', env, users.accounts.values());
    // A session idle for 3 minutes ends: shorter than both vendors' tokens would be.
    app = await createPortal({ config: { ...users, session: { idleMs: 3 * 60_000, absoluteMs: 12 * 3_600_000 } }, pool, now: () => now, extensions: embedExtensions(config, { http: fast, now: () => now }) });
  });
  afterAll(async () => {
    await app?.close();
    await pool.end();
    await fake?.stop();
  });
  async function signIn(): Promise<string> {
    const response = await app.inject({ method: 'POST', url: '/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'name=ana&password=ana-password-1' });
    expect(response.statusCode).toBe(303);
    return `reel_session=${response.cookies.find((c) => c.name === 'reel_session')!.value}`;
  }

  it('answers /api/embed/* with 401 without a live session, by the portal\'s own session gate', async () => {
    const cookie = await signIn();
    now += 3 * 60_000 + 1;
    for (const url of ['/api/embed/powerbi', '/api/embed/tableau']) {
      for (const headers of [{}, { cookie: 'reel_session=forged' }, { cookie }]) {
        const response = await app.inject({ url, headers });
        expect(response.statusCode, `${url} ${JSON.stringify(headers)}`).toBe(401);
        expect(response.json()).toEqual({ error: 'not signed in', fix: 'sign in at /sign-in' });
      }
    }
    const page = await app.inject('/reports/powerbi');
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/sign-in?next=%2Freports%2Fpowerbi');
    expect(fake.embedTokens).toHaveLength(0);
  });

  it('serves the pages and the tokens to a signed-in user, never outliving the session, never with a secret', async () => {
    const cookie = await signIn();
    const page = await app.inject({ url: '/reports/powerbi', headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('powerbi.page.js');
    expect(page.body).toContain('{"api":"/api/embed/powerbi"}');
    const api = await app.inject({ url: '/api/embed/powerbi', headers: { cookie } });
    expect(api.statusCode).toBe(200);
    expect(api.headers['cache-control']).toBe('no-store');
    expect(api.json()).toMatchObject({ type: 'report', tokenType: 'Embed', filters: [{ values: ['Europe', 'Latin America'] }] });
    expect(fake.embedTokens.at(-1)!.request).toMatchObject({ identities: [{ username: 'ana', roles: ['Region Europe', 'Region Latin America'] }], lifetimeInMinutes: 3 });
    expect(api.json().expiresInMs).toBeLessThanOrEqual(3 * 60_000 + 1000);
    for (const response of [page, api]) expect(response.body).not.toContain(PBI_SECRET);
    const tableau = (await app.inject({ url: '/api/embed/tableau', headers: { cookie } })).json();
    const claims = decodeJwt(tableau.token);
    expect(claims.exp! - claims.iat!).toBe(180);
    expect(claims).toMatchObject({ sub: 'ana@example.com', Region: ['Europe', 'Latin America'] });
    fake.fail(/GenerateToken/, 4, 503);
    const failed = await app.inject({ url: '/api/embed/powerbi', headers: { cookie } });
    expect(failed.statusCode).toBe(502);
    expect(failed.json().error).toMatch(/^Power BI could not give an embed token: Power BI answered 503 Service Unavailable to POST .* after 4 attempts/);
  });
});
