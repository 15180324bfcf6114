// The embed-token service against the local Power BI and Tableau fakes: config parsing, Azure AD
// token caching, GenerateToken with the RLS identity, retries on 429, connected-app JWTs checked
// by the fake's sign-in, trusted tickets, the Fastify routes and the CSP sources.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEmbedConfig, type EmbedConfig } from '../src/embed/embed-config.js';
import { embedCspSources, embedNav } from '../src/embed/embed-csp.js';
import { embedRoutes } from '../src/embed/embed-routes.js';
import { PowerBiEmbedService } from '../src/embed/powerbi-embed-service.js';
import { TableauEmbedService } from '../src/embed/tableau-embed-service.js';
import type { PortalUser } from '../src/serve/portal-user.js';
import { PowerBiFake } from './fakes/powerbi-fake.js';
import { TableauFake } from './fakes/tableau-fake.js';

const PBI_SECRET = 'pbi-client-secret-93ac';
const TABLEAU_SECRET = 'tableau-connected-app-secret-5d1e07';
const ana: PortalUser = { name: 'ana', role: 'analyst', regions: ['Europe', 'Latin America'] };
const root: PortalUser = { name: 'root', role: 'admin', regions: ['*'] };
const REPORT = { id: 'report-1', name: 'Reel', datasetId: 'dataset-1', rlsRoles: ['Region Europe', 'Region Latin America', 'Region North America', 'All regions'] };
const fast = { sleep: async () => undefined };

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
  ])('refuses a bad config with file, line and fix (%#)', (text, environment, message) => {
    let error: (Error & { hint?: string }) | undefined;
    try {
      parseEmbedConfig(text, 'portal.yml', environment);
    } catch (e) {
      error = e as Error & { hint?: string };
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain(PBI_SECRET);
  });
});

describe('Power BI embed tokens', () => {
  let fake: PowerBiFake;
  let config: EmbedConfig;
  beforeAll(async () => {
    fake = await new PowerBiFake({ tenantId: 'tenant-1', clientId: 'client-1', clientSecret: PBI_SECRET, workspaceId: 'ws-1', reports: [REPORT] }).start();
    config = parseEmbedConfig(yaml(powerbiYaml(fake.url), tableauYaml('https://t.example.com')), 'portal.yml', env);
  });
  afterAll(async () => fake?.stop());

  it('mints a token with the user\'s RLS identity and region filter; the AAD token and report are fetched once', async () => {
    const service = new PowerBiEmbedService(config.powerbi!, fast);
    const before = fake.requests.length;
    const info = await service.embedInfo(ana);
    expect(info).toMatchObject({ type: 'report', id: 'report-1', tokenType: 'Embed', embedUrl: expect.stringMatching(/^https:\/\/app\.powerbi\.com\/reportEmbed\?reportId=report-1/) });
    expect(info.accessToken).toBe(fake.embedTokens.at(-1)!.token);
    expect(Date.parse(info.expiry)).toBeGreaterThan(Date.now());
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

  it('says what is wrong, without the secret, when the service refuses', async () => {
    const noRls = new PowerBiEmbedService({ ...config.powerbi!, rlsRole: undefined, allRegionsRole: undefined }, fast);
    await expect(noRls.embedInfo(ana)).rejects.toThrow(/^Power BI answered 400 Bad Request to POST .*\/v1\.0\/myorg\/GenerateToken: InvalidRequest: Creating embed token for accessing dataset dataset-1 requires effective identity to be provided$/);
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
    expect(fake.embedSignIns.at(-1)!.claims).not.toHaveProperty('Region');

    const tooLong = await new TableauEmbedService({ ...config.tableau!, tokenMinutes: 11 }).connectedAppToken(root);
    const refused = await signIn(tooLong.token);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ result: { errors: [{ code: 16, summary: 'LOGIN_FAILED', message: 'exp is more than 10 minutes after iat' }] } });
    const stranger = await new TableauEmbedService(config.tableau!).connectedAppToken({ ...ana, name: 'mallory' });
    expect(((await (await signIn(stranger.token)).json()) as { result: { errors: unknown[] } }).result.errors[0]).toMatchObject({ code: 5, summary: 'SYSTEM_USER_NOT_FOUND' });
  });

  it('gets a trusted ticket for older Tableau Server, and says so when the server refuses', async () => {
    const service = new TableauEmbedService({ ...config.tableau!, auth: 'trusted-ticket' });
    const info = await service.embedInfo(ana);
    expect(info).toMatchObject({ auth: 'trusted-ticket', apiScript: `${fake.url}/javascripts/api/tableau-2.min.js` });
    const ticket = /\/trusted\/([^/]+)\/t\/reel\/views\/Reel\/Overview$/.exec(info.src)![1]!;
    expect(fake.tickets.get(ticket)).toEqual({ username: 'ana@example.com', site: 'reel', redeemed: false });
    await expect(service.embedInfo({ ...ana, name: 'mallory' })).rejects.toThrow(/^Tableau refused a trusted ticket for mallory \(answered -1\): add the portal's address/);
  });
});

describe('embed routes', () => {
  let app: FastifyInstance;
  let fake: PowerBiFake;
  beforeAll(async () => {
    fake = await new PowerBiFake({ tenantId: 'tenant-1', clientId: 'client-1', clientSecret: PBI_SECRET, workspaceId: 'ws-1', reports: [REPORT] }).start();
    const config = parseEmbedConfig(yaml(powerbiYaml(fake.url), tableauYaml('https://tableau.example.com')), 'portal.yml', env);
    app = Fastify();
    app.decorateRequest('portalUser', undefined);
    app.addHook('onRequest', async (request) => {
      request.portalUser = request.headers['x-user'] === 'ana' ? ana : undefined;
    });
    await app.register(embedRoutes(config, { http: fast }));
  });
  afterAll(async () => {
    await app?.close();
    await fake?.stop();
  });

  it('serves the pages and the token API to a signed-in user only, never with a secret', async () => {
    const page = await app.inject({ url: '/reports/powerbi', headers: { 'x-user': 'ana' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('powerbi.page.js');
    expect(page.body).toContain('{"api":"/api/embed/powerbi"}');
    const api = await app.inject({ url: '/api/embed/powerbi', headers: { 'x-user': 'ana' } });
    expect(api.statusCode).toBe(200);
    expect(api.headers['cache-control']).toBe('no-store');
    expect(api.json()).toMatchObject({ type: 'report', tokenType: 'Embed', filters: [{ values: ['Europe', 'Latin America'] }] });
    for (const response of [page, api]) expect(response.body).not.toContain(PBI_SECRET);
    expect((await app.inject({ url: '/api/embed/tableau' })).statusCode).toBe(401);
    fake.fail(/GenerateToken/, 4, 503);
    const failed = await app.inject({ url: '/api/embed/powerbi', headers: { 'x-user': 'ana' } });
    expect(failed.statusCode).toBe(502);
    expect(failed.json().error).toMatch(/^Power BI could not give an embed token: Power BI answered 503 Service Unavailable to POST .* after 4 attempts/);
  });
});
