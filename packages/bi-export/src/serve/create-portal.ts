import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import type pg from 'pg';
import { assetRoutes } from './asset-routes.js';
import { authRoutes } from './auth-routes.js';
import { contentSecurityPolicy, securityHeaders, type CspExtensions } from './content-security.js';
import { DashboardData } from './dashboard-data.js';
import { DASHBOARD_NAMES, DASHBOARD_TITLES } from './dashboard-queries.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { renderPage, type NavLink } from './page-layout.js';
import type { PortalConfig } from './portal-config.js';
import { SESSION_COOKIE } from './portal-request.js';
import { SessionStore } from './session-store.js';
import { SignInThrottle } from './sign-in-throttle.js';

/** What a plugin adds to the portal: routes (behind the same sign-in), CSP sources, nav links. */
export interface PortalExtensions {
  /** Registered after the portal's hooks: `request.portalUser` is set on every route but the public ones. */
  readonly routes?: FastifyPluginAsync;
  readonly csp?: CspExtensions;
  readonly nav?: readonly NavLink[];
}

/**
 * Several extensions as one: all their routes, CSP sources and nav links, in order. A route
 * declared by two of them is refused when the portal starts.
 *
 * @example
 * ```ts
 * const extensions = mergePortalExtensions(embedExtensions(embed), { routes: myRoutes, nav: [{ href: '/mine', label: 'Mine' }] });
 * ```
 */
export function mergePortalExtensions(...list: readonly (PortalExtensions | undefined)[]): PortalExtensions {
  const present = list.filter((e): e is PortalExtensions => e !== undefined);
  const sources = (key: keyof CspExtensions) => present.flatMap((e) => e.csp?.[key] ?? []);
  const routes = present.flatMap((e) => (e.routes ? [e.routes] : []));
  return {
    routes: async (app) => {
      for (const plugin of routes) await app.register(plugin);
    },
    csp: { frameSrc: sources('frameSrc'), scriptSrc: sources('scriptSrc'), connectSrc: sources('connectSrc'), imgSrc: sources('imgSrc') },
    nav: present.flatMap((e) => e.nav ?? []),
  };
}

export interface PortalOptions {
  /** The users file, read with loadPortalConfig. */
  readonly config: PortalConfig;
  /** A pool on the database whose marts the dashboards read. */
  readonly pool: pg.Pool;
  /** The schema of the marts (default marts). */
  readonly martsSchema?: string;
  /** Served over https (directly or behind a proxy): cookies get Secure, and HSTS is sent. */
  readonly secure?: boolean;
  /** How long a dashboard answer is reused (default 60 s; 0 turns the cache off). */
  readonly cacheMs?: number;
  readonly extensions?: PortalExtensions;
  readonly logger?: FastifyServerOptions['logger'];
  /** The clock of sessions and sign-in throttling (tests). */
  readonly now?: () => number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether a state-changing request comes from this site (Origin, else Sec-Fetch-Site). */
function sameOrigin(headers: Record<string, string | string[] | undefined>, protocol: string): boolean {
  const origin = headers.origin;
  if (typeof origin === 'string') {
    try {
      // Through URL on both sides, so that http://host:80 and http://host are the same origin.
      return new URL(origin).origin === new URL(`${protocol}://${String(headers.host)}`).origin;
    } catch {
      return false;
    }
  }
  const site = headers['sec-fetch-site'];
  // Browsers send Origin (or at least Sec-Fetch-Site) on every POST; a request with neither is not
  // from a browser, so it cannot carry a victim's cookie on another site's behalf.
  return site === undefined || site === 'same-origin' || site === 'none';
}

/**
 * The portal: sign-in against the users file, server-side sessions, the built-in dashboards and
 * their JSON API, the bundles under /assets, security headers on every response, and the
 * extensions' routes behind the same sign-in. Call `listen` on the result, or `inject` in tests.
 *
 * @example
 * ```ts
 * const app = await createPortal({ config: loadPortalConfig('.reel/portal.yml'), pool, extensions: { routes: embedRoutes, csp: { frameSrc: ['https://app.powerbi.com'] }, nav: [{ href: '/reports/powerbi', label: 'Power BI' }] } });
 * await app.listen({ port: 4280, host: '127.0.0.1' });
 * ```
 */
export async function createPortal(options: PortalOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    trustProxy: false,
    bodyLimit: 64 * 1024,
    // Unknown query parameters are refused (400), not silently dropped; a single ?region= is a list of one.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  const secure = options.secure ?? false;
  const headers = securityHeaders(contentSecurityPolicy(options.extensions?.csp), secure);
  const sessions = new SessionStore(options.config.session, options.now);
  const throttle = new SignInThrottle(undefined, options.now);
  const data = new DashboardData(options.pool, { schema: options.martsSchema, cacheMs: options.cacheMs });
  const nav: NavLink[] = [...DASHBOARD_NAMES.map((name) => ({ href: `/dashboards/${name}`, label: DASHBOARD_TITLES[name] })), ...(options.extensions?.nav ?? [])];

  await app.register(cookie);
  app.decorateRequest('portalUser', undefined);
  app.decorateRequest('portalSessionEndsAt', undefined);
  app.decorate('portalNav', nav);
  app.decorate('portalPage', (request, page) => renderPage({ ...page, user: request.portalUser, nav }));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 16 * 1024 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.headers(headers);
    if (!SAFE_METHODS.has(request.method) && !sameOrigin(request.headers, secure ? 'https' : request.protocol)) {
      return reply.code(403).send({ error: 'cross-origin request refused', fix: 'submit the form from the portal itself' });
    }
    const session = sessions.touch(request.cookies[SESSION_COOKIE]);
    request.portalUser = session?.user;
    request.portalSessionEndsAt = session ? sessions.endsAt(session) : undefined;
    if (session || request.routeOptions.config?.public) return;
    if (request.url.startsWith('/api/')) return reply.code(401).send({ error: 'not signed in', fix: 'sign in at /sign-in' });
    const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
    return reply.redirect(`/sign-in${next}`, 303);
  });

  app.setErrorHandler((error: Error & { validation?: unknown; statusCode?: number }, request, reply) => {
    if (error.validation) {
      return reply.code(400).send({ error: `bad request: ${error.message}`, fix: 'from and to are days (YYYY-MM-DD); region is a region name and may repeat; nothing else is accepted' });
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error(error);
    return reply.code(status).send({ error: status === 500 ? 'the portal failed to answer; see its log' : error.message });
  });

  await app.register(assetRoutes);
  await app.register(authRoutes({ accounts: options.config.accounts, sessions, throttle, session: options.config.session, secure }));
  await app.register(dashboardRoutes(data));
  if (options.extensions?.routes) await app.register(options.extensions.routes);
  return app;
}
