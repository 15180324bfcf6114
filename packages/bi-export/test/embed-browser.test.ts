// The embed pages in a real headless Chromium (Debian's, never a downloaded one), mounted in the
// real portal (createPortal, sign-in, CSP) with the local Power BI and Tableau fakes. Power BI's
// report host is answered by a stub page speaking powerbi-client's postMessage protocol
// (window-post-message-proxy + http-post-message: answer POST /report/load with 202, then post the
// loaded and rendered events); the Tableau server's https origin is routed to the Tableau fake,
// which verifies the connected-app JWT that <tableau-viz> posts to its embed sign-in.
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEmbedConfig } from '../src/embed/embed-config.js';
import { embedExtensions } from '../src/embed/embed-routes.js';
import { createPortal } from '../src/serve/create-portal.js';
import { PowerBiFake } from './fakes/powerbi-fake.js';
import { TableauFake, type EmbedSignIn } from './fakes/tableau-fake.js';
import { portalUsers } from './portal-project.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (see .ci/run)`);

const TABLEAU_ORIGIN = 'https://tableau.reel.test';
const PBI_SECRET = 'pbi-browser-secret-1f2e';
const TABLEAU_SECRET = 'tableau-browser-secret-8c7d6e';
/** What the embed page recorded (window.reelEmbed), read as a string so the test needs no DOM types. */
interface EmbedState {
  events: string[];
  error?: string;
  tokenRefreshes: number;
}
const embedState = async (page: Page) => ((await page.evaluate('window.reelEmbed')) ?? { events: [], tokenRefreshes: 0 }) as EmbedState;
const poll = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 15_000, interval: 50 });
/** Real time for the page to act on a fake-clock jump (fetches run on real time). */
const settle = () => new Promise((resolve) => setTimeout(resolve, 500));

/** The report host's page: answers the SDK's requests and records what it was sent. */
const POWERBI_STUB = `<!doctype html><html><body><p>Fake Power BI report</p><script>
window.received = [];
window.addEventListener('message', function (event) {
  var m = event.data;
  if (!m || typeof m !== 'object' || typeof m.url !== 'string') return;
  window.received.push(m);
  var reply = function (statusCode, body) { event.source.postMessage({ headers: { id: m.headers && m.headers.id }, statusCode: statusCode, body: body }, '*'); };
  if (m.method === 'POST' && m.url === '/report/load') {
    reply(202, null);
    var uid = m.headers.uid;
    var emit = function (name) { event.source.postMessage({ method: 'POST', url: '/reports/' + uid + '/events/' + name, headers: {}, body: {} }, '*'); };
    setTimeout(function () { emit('loaded'); emit('rendered'); }, 50);
  } else {
    reply(200, {});
  }
});
</script></body></html>`;

describe.skipIf(!haveChromium)('embedded reports in Chromium', () => {
  let powerbi: PowerBiFake;
  let tableau: TableauFake;
  let browser: Browser;
  const pool = new pg.Pool({ connectionString: 'postgres://unused@127.0.0.1:1/unused', max: 1 });
  const portals: FastifyInstance[] = [];

  async function portal(tableauSecret: string, options: { tableauAuth?: string; idleMs?: number } = {}): Promise<string> {
    const tableauAuth = options.tableauAuth ?? 'connected-app';
    const text = `powerbi:
  tenant_id: tenant-1
  client_id: client-1
  workspace_id: ws-1
  report_id: report-1
  rls_role: "Region {region}"
  filter: {table: dim_region, column: region}
  api_url: ${powerbi.url}
  authority_url: ${powerbi.url}
tableau:
  server_url: ${TABLEAU_ORIGIN}
  site: reel
  view: views/Reel/Overview
  client_id: ca-client-1
  secret_id: ca-secret-id-1
  auth: ${tableauAuth}
  users: {eve: eve@example.com}
${tableauAuth === 'trusted-ticket' ? '  trusted_ticket_region_scope: workbook-user-filter\n' : ''}`;
    const users = await portalUsers([{ name: 'eve', password: 'eve-password-1', role: 'viewer', regions: ['Europe'] }]);
    const config = options.idleMs ? { ...users, session: { ...users.session, idleMs: options.idleMs } } : users;
    const embed = embedExtensions(parseEmbedConfig(text, 'portal.yml', { POWERBI_CLIENT_SECRET: PBI_SECRET, TABLEAU_CONNECTED_APP_SECRET: tableauSecret }, config.accounts.values()), {
      // The portal's own calls to the Tableau server (trusted tickets) go to the fake, like the browser's.
      http: { sleep: async () => undefined, fetch: (url, init) => fetch(String(url).replace(TABLEAU_ORIGIN, tableau.url), init) },
    });
    const app = await createPortal({ config, pool, extensions: embed });
    await app.listen({ port: 0, host: '127.0.0.1' });
    portals.push(app);
    return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  }

  async function signedIn(base: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ baseURL: base });
    await context.route('https://app.powerbi.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: POWERBI_STUB }));
    await context.route(`${TABLEAU_ORIGIN}/**`, async (route) => {
      const url = new URL(route.request().url());
      const response = await route.fetch({ url: `${tableau.url}${url.pathname}${url.search}` });
      await route.fulfill({ response });
    });
    const signIn = await context.request.post('/sign-in', { form: { name: 'eve', password: 'eve-password-1' }, maxRedirects: 0 });
    expect(signIn.status()).toBe(303);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    return { context, page, errors };
  }

  /** The Tableau fake's sign-ins with the JWT this page was given (whatever other tests signed in). */
  async function signInsOf(minted: Promise<Response>): Promise<() => EmbedSignIn[]> {
    const { token } = (await (await minted).json()) as { token: string };
    return () => tableau.embedSignIns.filter((s) => s.jwt === token);
  }

  beforeAll(async () => {
    powerbi = await new PowerBiFake({ tenantId: 'tenant-1', clientId: 'client-1', clientSecret: PBI_SECRET, workspaceId: 'ws-1', reports: [{ id: 'report-1', name: 'Reel', datasetId: 'dataset-1', rlsRoles: ['Region Europe', 'Region Asia'] }], embedTokenMinutes: 10 }).start();
    tableau = await new TableauFake({ apiVersion: '3.24', site: 'reel', patName: 'p', patSecret: 'p', connectedApp: { clientId: 'ca-client-1', secretId: 'ca-secret-id-1', secretValue: TABLEAU_SECRET } }).start();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    for (const app of portals) await app.close();
    await pool.end();
    await powerbi?.stop();
    await tableau?.stop();
  });

  it('embeds the Power BI report with the embed token and the user\'s region filter', async () => {
    const { context, page, errors } = await signedIn(await portal(TABLEAU_SECRET));
    // The page's clock is an hour fast: the renewal is scheduled from the server's expiresInMs, not from it.
    await page.clock.install({ time: Date.now() + 60 * 60_000 });
    const response = await page.goto('/reports/powerbi');
    expect(response!.headers()['content-security-policy']).toContain('frame-src https://app.powerbi.com https://tableau.reel.test');
    await poll(() => embedState(page).then((s) => s.events)).toEqual(['loaded', 'rendered']);
    const frame = page.frames().find((f) => f.url().startsWith('https://app.powerbi.com/'))!;
    expect(frame.url()).toMatch(/^https:\/\/app\.powerbi\.com\/reportEmbed\?reportId=report-1&groupId=ws-1/);
    const load = ((await frame.evaluate('window.received')) as { url: string; body: any }[]).find((m) => m.url === '/report/load')!;
    expect(load.body).toMatchObject({ type: 'report', id: 'report-1', accessToken: powerbi.embedTokens.at(-1)!.token, tokenType: 1 });
    expect(load.body.filters).toEqual([expect.objectContaining({ $schema: 'http://powerbi.com/product/schema#basic', target: { table: 'dim_region', column: 'region' }, operator: 'In', values: ['Europe'] })]);
    expect(powerbi.embedTokens.at(-1)!.request.identities).toEqual([{ username: 'eve', roles: ['Region Europe'], datasets: ['dataset-1'] }]);
    await poll(() => page.locator('#embed-status').textContent()).toBe('Report loaded.');
    expect(await page.content()).not.toContain(PBI_SECRET);

    // The fake's tokens last 10 minutes here; the page asks for a fresh one 2 minutes before that and hands it to the report.
    const first = powerbi.embedTokens.at(-1)!.token;
    await page.clock.fastForward(7 * 60_000 + 50_000);
    await settle();
    expect((await embedState(page)).tokenRefreshes).toBe(0);
    await page.clock.fastForward(15_000);
    await poll(() => embedState(page).then((s) => s.tokenRefreshes)).toBe(1);
    const received = (await frame.evaluate('window.received')) as { url: string; body: unknown }[];
    expect(received.filter((m) => m.url === '/report/token').map((m) => m.body)).toEqual([powerbi.embedTokens.at(-1)!.token]);
    expect(powerbi.embedTokens.at(-1)!.token).not.toBe(first);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('renews a token cut short by a short session no sooner than 30 seconds', async () => {
    // Sessions idle for 2 minutes end: the token lasts 2 minutes, so "2 minutes before expiry" is now.
    const { context, page, errors } = await signedIn(await portal(TABLEAU_SECRET, { idleMs: 2 * 60_000 }));
    await page.clock.install();
    await page.goto('/reports/powerbi');
    await poll(() => embedState(page).then((s) => s.events)).toEqual(['loaded', 'rendered']);
    expect(powerbi.embedTokens.at(-1)!.request.lifetimeInMinutes).toBe(2);
    await page.clock.fastForward(25_000);
    await settle();
    expect((await embedState(page)).tokenRefreshes).toBe(0);
    await page.clock.fastForward(10_000);
    await poll(() => embedState(page).then((s) => s.tokenRefreshes)).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('signs <tableau-viz> in to the Tableau server with a connected-app JWT the server accepts', async () => {
    const { context, page } = await signedIn(await portal(TABLEAU_SECRET));
    const minted = page.waitForResponse((r) => r.url().endsWith('/api/embed/tableau'));
    await page.goto('/reports/tableau');
    const mine = await signInsOf(minted);
    await poll(() => mine().length).toBe(1);
    expect(mine()[0]).toMatchObject({ siteName: 'reel', accepted: true, claims: { sub: 'eve@example.com', aud: 'tableau', Region: ['Europe'] } });
    await poll(() => page.locator('tableau-viz iframe').getAttribute('src')).toMatch(/^https:\/\/tableau\.reel\.test\/t\/reel\/views\/Reel\/Overview\?/);
    await context.close();
  });

  it('falls back to a trusted ticket and the v2 JS API from the Tableau server when configured', async () => {
    const { context, page, errors } = await signedIn(await portal(TABLEAU_SECRET, { tableauAuth: 'trusted-ticket' }));
    const response = await page.goto('/reports/tableau');
    expect(response!.headers()['content-security-policy']).toContain(`script-src 'self' ${TABLEAU_ORIGIN}`);
    await poll(() => embedState(page).then((s) => s.events)).toEqual(['firstinteractive']);
    const src = (await page.locator('#embed-container iframe').getAttribute('src')) ?? '';
    const ticket = new RegExp(`^${TABLEAU_ORIGIN}/trusted/([^/]+)/t/reel/views/Reel/Overview$`).exec(src)?.[1];
    expect(ticket, src).toBeDefined();
    expect(tableau.tickets.get(ticket!)).toEqual({ username: 'eve@example.com', site: 'reel', redeemed: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the error when the Tableau server refuses a JWT signed with the wrong secret', async () => {
    const { context, page } = await signedIn(await portal('a-wrong-secret-0000'));
    const minted = page.waitForResponse((r) => r.url().endsWith('/api/embed/tableau'));
    await page.goto('/reports/tableau');
    const mine = await signInsOf(minted);
    await poll(() => mine().length).toBe(1);
    expect(mine()[0]).toMatchObject({ accepted: false, reason: 'the jwt was refused: signature verification failed' });
    await poll(() => embedState(page).then((s) => s.error ?? '')).toMatch(/^Tableau could not show the view: the server answered 401 \(.*the jwt was refused: signature verification failed.*\) — the sign-in was refused: check the connected app/);
    expect(await page.locator('#embed-status').getAttribute('role')).toBe('alert');
    await context.close();
  });
});
