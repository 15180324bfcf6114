// The portal's server through fastify.inject, on the real models project built from a small
// simulated dataset: sign-in, sessions, security headers, region scoping and parameter validation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { createPortal } from '../src/serve/create-portal.js';
import { CHURN_SCORES_MISSING } from '../src/serve/dashboard-data.js';
import { servePortal } from '../src/serve/serve-portal.js';
import { buildPortalProject, portalUsers, portalUsersYaml, type PortalProject } from './portal-project.js';

let built: PortalProject;
let pool: pg.Pool;
let app: FastifyInstance;
let now = Date.now();
const ORIGIN = 'http://localhost:80';

const embedRoutes: FastifyPluginAsync = async (embed) => {
  embed.get('/reports/powerbi', async (request, reply) => reply.type('text/html').send(embed.portalPage(request, { title: 'Power BI', body: '<div id="report"></div>' })));
  embed.get('/api/embed/whoami', async (request) => ({ user: request.portalUser }));
};

beforeAll(async () => {
  built = await buildPortalProject('reel_bi_portal_server', { users: 300, days: 40 });
  pool = new pg.Pool({ connectionString: built.db.url, max: 4 });
  // cleanUp() drops the database with (force) after pool.end(): a connection still closing then is
  // terminated by the server, which is expected.
  pool.on('error', () => undefined);
  const config = await portalUsers([
    { name: 'root', password: 'root-password-1', role: 'admin', regions: ['*'] },
    { name: 'eve', password: 'eve-password-1', role: 'viewer', regions: ['Europe'] },
  ]);
  app = await createPortal({
    config: { ...config, session: { idleMs: 60_000, absoluteMs: 600_000 } },
    pool,
    cacheMs: 0,
    now: () => now,
    extensions: { routes: embedRoutes, csp: { frameSrc: ['https://app.powerbi.com'], connectSrc: ['https://api.powerbi.com'] }, nav: [{ href: '/reports/powerbi', label: 'Power BI' }] },
  });
}, 180_000);
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await built?.cleanUp();
});

async function signIn(name: string, password: string, headers: Record<string, string> = { origin: ORIGIN }) {
  return app.inject({ method: 'POST', url: '/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'localhost:80', ...headers }, payload: new URLSearchParams({ name, password, next: '/dashboards/kpi' }).toString() });
}

async function cookieOf(name: string, password: string): Promise<string> {
  const response = await signIn(name, password);
  expect(response.statusCode, response.body).toBe(303);
  const cookie = response.cookies.find((c) => c.name === 'reel_session')!;
  return `reel_session=${cookie.value}`;
}

const api = (cookie: string, url: string) => app.inject({ method: 'GET', url, headers: { cookie } });
const sqlNumber = async (sql: string, values: unknown[] = []) => Number((await pool.query(sql, values)).rows[0].n);

describe('the portal without a session', () => {
  it('answers APIs with 401 JSON and sends pages to the sign-in page', async () => {
    const apiResponse = await app.inject('/api/dashboards/kpi');
    expect(apiResponse.statusCode).toBe(401);
    expect(apiResponse.json()).toEqual({ error: 'not signed in', fix: 'sign in at /sign-in' });
    for (const url of ['/', '/dashboards/kpi?region=Europe', '/reports/powerbi', '/no/such/page']) {
      const page = await app.inject(url);
      expect(page.statusCode, url).toBe(303);
      expect(page.headers.location, url).toBe(`/sign-in?next=${encodeURIComponent(url)}`);
    }
    expect((await app.inject('/api/embed/whoami')).statusCode).toBe(401);
    const signInPage = await app.inject('/sign-in');
    expect(signInPage.statusCode).toBe(200);
    expect(signInPage.body).toContain('<form class="sign-in" method="post" action="/sign-in">');
  });

  it('sends the Content-Security-Policy and the other security headers on every response', async () => {
    for (const url of ['/sign-in', '/api/dashboards/kpi', '/dashboards/kpi', '/assets/portal.page.css', '/assets/nothing.js']) {
      const response = await app.inject(url);
      const csp = String(response.headers['content-security-policy']);
      expect(csp, url).toContain("default-src 'self'");
      expect(csp, url).toContain("script-src 'self';");
      expect(csp, url).toContain("frame-ancestors 'none'");
      expect(csp, url).toContain('frame-src https://app.powerbi.com;');
      expect(csp, url).toContain("connect-src 'self' https://api.powerbi.com;");
      expect(csp, url).not.toContain('unsafe-eval');
      expect(response.headers['x-content-type-options'], url).toBe('nosniff');
      expect(response.headers['referrer-policy'], url).toBe('same-origin');
    }
    const asset = await app.inject('/assets/dashboard.page.js?v=abc');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject('/assets/..%2Fpackage.json')).statusCode).toBe(404);
  });
});

describe('signing in and out', () => {
  it('sets an httpOnly SameSite=Strict session cookie holding only a random id', async () => {
    const response = await signIn('eve', 'eve-password-1');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/dashboards/kpi');
    const cookie = response.cookies.find((c) => c.name === 'reel_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(cookie.secure).toBeUndefined();
    expect(Buffer.from(cookie.value, 'base64url')).toHaveLength(32);
  });

  it('refuses wrong passwords and unknown users alike, then throttles the user', async () => {
    const wrong = await signIn('root', 'nope');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('Wrong user name or password.');
    expect((await signIn('nobody', 'nope')).body).toContain('Wrong user name or password.');
    for (let i = 0; i < 4; i++) await signIn('root', 'nope');
    const throttled = await signIn('root', 'root-password-1');
    expect(throttled.statusCode).toBe(429);
    expect(throttled.headers['retry-after']).toBe('1');
    now += 1001;
    expect((await signIn('root', 'root-password-1')).statusCode).toBe(303);
    // Others are not slowed down by root's failures.
    expect((await signIn('eve', 'eve-password-1')).statusCode).toBe(303);
  });

  it('behind https (--secure): Secure cookies, HSTS, and only the https origin may post', async () => {
    const secure = await createPortal({ config: await portalUsers([{ name: 'ana', password: 'ana-password-1', role: 'analyst', regions: ['Europe'] }]), pool, secure: true });
    try {
      const post = (origin: string) =>
        secure.inject({ method: 'POST', url: '/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'portal.example', origin }, payload: 'name=ana&password=ana-password-1' });
      expect((await post('http://portal.example')).statusCode).toBe(403);
      const response = await post('https://portal.example');
      expect(response.statusCode).toBe(303);
      expect(response.cookies.find((c) => c.name === 'reel_session')).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict' });
      expect(response.headers['strict-transport-security']).toBe('max-age=31536000');
    } finally {
      await secure.close();
    }
  });

  it('refuses a sign-in posted from another site', async () => {
    expect((await signIn('eve', 'eve-password-1', { origin: 'https://evil.example' })).statusCode).toBe(403);
    expect((await signIn('eve', 'eve-password-1', { 'sec-fetch-site': 'cross-site' })).statusCode).toBe(403);
    expect((await signIn('eve', 'eve-password-1', { origin: ORIGIN })).statusCode).toBe(303);
  });

  it('ends the session on sign-out, after the idle time, and after the absolute lifetime', async () => {
    let cookie = await cookieOf('eve', 'eve-password-1');
    expect((await api(cookie, '/api/me')).json()).toEqual({ user: { name: 'eve', role: 'viewer', regions: ['Europe'] } });
    const out = await app.inject({ method: 'POST', url: '/sign-out', headers: { cookie, origin: ORIGIN, host: 'localhost:80' } });
    expect(out.statusCode).toBe(303);
    expect(out.cookies.find((c) => c.name === 'reel_session')!.value).toBe('');
    expect((await api(cookie, '/api/me')).statusCode).toBe(401);

    cookie = await cookieOf('eve', 'eve-password-1');
    now += 59_000;
    expect((await api(cookie, '/api/me')).statusCode).toBe(200);
    now += 60_001;
    expect((await api(cookie, '/api/me')).statusCode).toBe(401);

    cookie = await cookieOf('eve', 'eve-password-1');
    for (let i = 0; i < 10; i++) {
      now += 55_000;
      expect((await api(cookie, '/api/me')).statusCode, String(i)).toBe(200);
    }
    now += 55_000;
    expect((await api(cookie, '/api/me')).statusCode).toBe(401);
  });
});

describe('dashboards and region scope', () => {
  let root: string;
  let eve: string;
  beforeAll(async () => {
    root = await cookieOf('root', 'root-password-1');
    eve = await cookieOf('eve', 'eve-password-1');
  });

  it('gives a user who sees every region the global numbers, equal to kpi_daily', async () => {
    const kpi = (await api(root, '/api/dashboards/kpi?from=2024-01-10&to=2024-01-20')).json();
    expect(kpi.filter).toEqual({ from: '2024-01-10', to: '2024-01-20', regions: null });
    expect(kpi.days).toHaveLength(11);
    expect(kpi.days.reduce((s: number, d: { dau: number }) => s + d.dau, 0)).toBe(await sqlNumber("select sum(dau) as n from marts.kpi_daily where date_day between '2024-01-10' and '2024-01-20'"));
    expect(kpi.totals.watchHours).toBeCloseTo(await sqlNumber("select sum(watch_hours) as n from marts.kpi_daily where date_day between '2024-01-10' and '2024-01-20'"), 0);
  });

  it("scopes a regional user to their region's rows, and refuses a forged region", async () => {
    const kpi = (await api(eve, '/api/dashboards/kpi?from=2024-01-10&to=2024-01-20')).json();
    expect(kpi.filter.regions).toEqual(['Europe']);
    expect(kpi.days.reduce((s: number, d: { dau: number }) => s + d.dau, 0)).toBe(await sqlNumber("select sum(dau) as n from marts.kpi_daily_by_region where region = 'Europe' and date_day between '2024-01-10' and '2024-01-20'"));
    for (const url of ['/api/dashboards/kpi?region=Asia%20Pacific', '/api/dashboards/popularity?region=Europe&region=North%20America', '/api/dashboards/engagement?region=%2A']) {
      const forged = await api(eve, url);
      expect(forged.statusCode, url).toBe(403);
      expect(forged.json().error, url).toMatch(/^you may not see /);
    }
    const popularity = (await api(eve, '/api/dashboards/popularity?from=2024-01-05&to=2024-01-25')).json();
    expect(new Set(popularity.cells.map((c: { region: string }) => c.region))).toEqual(new Set(['Europe']));
    // Counted afresh from fct_views, not from the marts the portal reads.
    const europeViews = "from marts.fct_views where is_real_view and region = 'Europe' and started_on_local between '2024-01-05' and '2024-01-25'";
    expect(popularity.top.map((t: { show_id: string; views: number }) => [String(t.show_id), t.views])).toEqual(
      (await pool.query(`select show_id::text, count(*)::int as n ${europeViews} group by show_id order by n desc, show_id limit 10`)).rows.map((r) => [r.show_id, r.n]),
    );
    expect(popularity.cells.reduce((s: number, c: { views: number }) => s + c.views, 0)).toBe(await sqlNumber(`select count(*) as n ${europeViews}`));
    const engagement = (await api(eve, '/api/dashboards/engagement?region=Europe&from=2024-01-05&to=2024-01-25')).json();
    expect(engagement.groups.reduce((s: number, g: { views: number }) => s + g.views, 0)).toBe(await sqlNumber(`select count(*) as n ${europeViews}`));
    const ratings = (await api(eve, '/api/dashboards/ratings')).json();
    expect(ratings.months.reduce((s: number, m: { ratings: number }) => s + m.ratings, 0)).toBe(await sqlNumber("select count(*) as n from marts.fct_ratings where region = 'Europe' and rated_month >= (select date_trunc('month', min(date_day)) from marts.kpi_daily_by_region)"));
    const retention = (await api(eve, '/api/dashboards/retention')).json();
    const first = retention.cells[0];
    expect(first.cohort_size).toBe(await sqlNumber("select count(*) as n from marts.dim_users where region = 'Europe' and date_trunc('month', signup_on) = $1::date", [first.cohort]));
  });

  it('says the churn scores are missing when ml has not scored', async () => {
    expect((await api(root, '/api/dashboards/churn-risk')).json()).toEqual({ available: false, message: CHURN_SCORES_MISSING });
  });

  it('refuses bad parameters with a clear 400', async () => {
    const cases: [string, RegExp][] = [
      ['/api/dashboards/kpi?from=yesterday', /^bad request: querystring\/from must match pattern/],
      ['/api/dashboards/kpi?from=2024-02-30', /^from is 2024-02-30, which is not a calendar day$/],
      ['/api/dashboards/kpi?from=2024-02-10&to=2024-02-01', /^from \(2024-02-10\) is after to \(2024-02-01\)$/],
      ['/api/dashboards/kpi?regoin=Europe', /^bad request: querystring must NOT have additional properties/],
      ['/api/dashboards/kpi?from=1990-01-01&to=2024-01-01', /is longer than 3660 days/],
    ];
    for (const [url, message] of cases) {
      const response = await api(root, url);
      expect(response.statusCode, url).toBe(400);
      expect(response.json().error, url).toMatch(message);
      expect(response.json().fix, url).toBeTruthy();
    }
    expect((await api(root, '/api/dashboards/nope')).statusCode).toBe(404);
  });

  it('renders pages with the navigation, the data as JSON and no inline script', async () => {
    const page = await api(eve, '/dashboards/popularity');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<a href="/dashboards/popularity" aria-current="page">Popularity by region and local hour</a>');
    expect(page.body).toContain('<a href="/reports/powerbi">Power BI</a>');
    const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBe(2);
    for (const [, attributes, content] of scripts) expect(attributes!.includes(' src="/assets/') || (attributes!.includes('type="application/json"') && content!.startsWith('{'))).toBe(true);
    const data = JSON.parse(/<script type="application\/json" id="page-data">(.*?)<\/script>/.exec(page.body)![1]!);
    expect(data).toMatchObject({ dashboard: 'popularity', regions: ['Europe'] });
  });

  it("lets an extension's routes read request.portalUser and render the shared layout", async () => {
    expect((await api(eve, '/api/embed/whoami')).json()).toEqual({ user: { name: 'eve', role: 'viewer', regions: ['Europe'] } });
    const page = await api(eve, '/reports/powerbi');
    expect(page.body).toContain('<a href="/reports/powerbi">Power BI</a>');
    expect(page.body).toContain('<span class="user-name">eve</span>');
  });
});

describe('bi serve and bi users hash on the command line', () => {
  it('reports a bad users file with its file and line, and exits 2 without a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reel-portal-config-'));
    try {
      writeFileSync(join(dir, 'portal.yml'), 'users:\n  - name: ana\n    role: boss\n');
      const lines: string[] = [];
      const code = await main(['serve', '--config', 'portal.yml', '--port', '0'], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { DATABASE_URL: built.db.url, NO_COLOR: '1' }, dir);
      expect(code).toBe(2);
      expect(lines.join('\n')).toBe('bi: portal.yml:2:5  users[0] has no password_hash; add password_hash: with the output of `bi users hash` (it reads the password from stdin)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('hashes a password read from stdin', async () => {
    const lines: string[] = [];
    const io = { readStdin: async () => 'a long enough password\n', stopped: async () => undefined };
    expect(await main(['users', 'hash'], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, {}, process.cwd(), io)).toBe(0);
    expect(lines[0]).toMatch(/^scrypt\$32768\$8\$1\$/);
    const short = await main(['users', 'hash'], { out: () => undefined, err: (l) => lines.push(l) }, {}, process.cwd(), { ...io, readStdin: async () => 'short\n' });
    expect(short).toBe(2);
  });

  it('bi serve refuses, before opening the database, Power BI without rls_role when a user is limited to regions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reel-portal-embed-'));
    try {
      const users = await portalUsersYaml([{ name: 'ana', role: 'analyst', regions: ['Europe'], password: 'correct horse battery' }]);
      writeFileSync(join(dir, 'portal.yml'), `${users}powerbi:\n  tenant_id: t-1\n  client_id: c-1\n  workspace_id: w-1\n  report_id: r-1\n  filter: {table: dim_region, column: region}\n`);
      const lines: string[] = [];
      const code = await main(['serve', '--config', 'portal.yml', '--port', '0'], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused', POWERBI_CLIENT_SECRET: 's', NO_COLOR: '1' }, dir);
      expect(code).toBe(2);
      expect(lines.join('\n')).toBe(
        'bi: portal.yml:7:3  powerbi: has no rls_role, but ana (Europe) is limited to regions: without an RLS identity the embed token reads every region; add rls_role: "Region {region}" (the dataset\'s role per region, or one role keyed on the user name); the report filter alone can be removed in the browser',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bi serve reads powerbi: and tableau: from the same file, adds their pages and vendor hosts to the CSP, beside other extensions', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reel-portal-embed-'));
    try {
      const users = await portalUsersYaml([{ name: 'ana', role: 'analyst', regions: ['Europe'], password: 'correct horse battery' }]);
      const embed = [
        'powerbi:',
        '  tenant_id: t-1',
        '  client_id: c-1',
        '  workspace_id: w-1',
        '  report_id: r-1',
        '  rls_role: "Region {region}"',
        '  filter: {table: dim_region, column: region}',
        'tableau:',
        '  server_url: https://tableau.example.com',
        '  site: reel',
        '  view: views/Reel/Overview',
        '  client_id: app-1',
        '  secret_id: kid-1',
        '',
      ].join('\n');
      writeFileSync(join(dir, 'portal.yml'), `${users}${embed}`);
      const whoami: FastifyPluginAsync = async (extra) => {
        extra.get('/api/embed/whoami', async (request) => ({ user: request.portalUser }));
      };
      const extensions = { routes: whoami, csp: { connectSrc: ['https://api.example.com'] }, nav: [{ href: '/api/embed/whoami', label: 'Who am I' }] };
      const portal = await servePortal({ projectDir: built.project, configFile: 'portal.yml', port: 0, host: '127.0.0.1', cwd: dir, extensions, env: { DATABASE_URL: built.db.url, POWERBI_CLIENT_SECRET: 's', TABLEAU_CONNECTED_APP_SECRET: 'x'.repeat(32) } });
      try {
        const signInPage = await fetch(new URL('sign-in', portal.url));
        const csp = signInPage.headers.get('content-security-policy') ?? '';
        expect(csp).toMatch(/frame-src[^;]*https:\/\/app\.powerbi\.com/);
        expect(csp).toMatch(/frame-src[^;]*https:\/\/tableau\.example\.com/);
        expect(csp).toMatch(/connect-src[^;]*https:\/\/tableau\.example\.com https:\/\/api\.example\.com/);
        expect((await fetch(new URL('reports/powerbi', portal.url), { redirect: 'manual' })).status).toBe(303);
        // The extensions passed in are served beside the embedded reports of the file, not instead of them.
        const signIn = await fetch(new URL('sign-in', portal.url), { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'name=ana&password=correct+horse+battery' });
        expect(signIn.status).toBe(303);
        const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
        const tableau = await fetch(new URL('reports/tableau', portal.url), { headers: { cookie } });
        expect(tableau.status).toBe(200);
        const page = await tableau.text();
        expect(page).toContain('tableau.page.js');
        expect(page).toContain('<a href="/api/embed/whoami">Who am I</a>');
        expect(await (await fetch(new URL('api/embed/whoami', portal.url), { headers: { cookie } })).json()).toEqual({ user: { name: 'ana', role: 'analyst', regions: ['Europe'] } });
      } finally {
        await portal.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
