import type { PortalUser } from './portal-user.js';
import type { NavLink, PageOptions } from './page-layout.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user, set by the portal's onRequest hook after the session check; undefined on public routes without a session. */
    portalUser: PortalUser | undefined;
    /** When the signed-in user's session ends if unused from now on (epoch ms): short-lived tokens handed out must not outlive it. */
    portalSessionEndsAt: number | undefined;
  }
  interface FastifyInstance {
    /** The portal's navigation: the built-in dashboards, then the extensions' links. */
    readonly portalNav: readonly NavLink[];
    /** renderPage with the request's user and the portal's navigation filled in. */
    portalPage(request: FastifyRequest, page: Omit<PageOptions, 'user' | 'nav'>): string;
  }
  interface FastifyContextConfig {
    /** A route anyone may open without signing in (the sign-in page, the assets). */
    public?: boolean;
  }
}

export const SESSION_COOKIE = 'reel_session';
