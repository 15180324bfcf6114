import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { escapeHtml, renderPage } from './page-layout.js';
import { hashPassword, verifyPassword } from './password-hash.js';
import type { PortalAccount, SessionSettings } from './portal-config.js';
import { SESSION_COOKIE } from './portal-request.js';
import type { SessionStore } from './session-store.js';
import type { SignInThrottle } from './sign-in-throttle.js';

export interface AuthOptions {
  readonly accounts: ReadonlyMap<string, PortalAccount>;
  readonly sessions: SessionStore;
  readonly throttle: SignInThrottle;
  readonly session: SessionSettings;
  readonly secure: boolean;
}

/** A path on this site to go to after signing in; anything else (other sites, `//host`) goes home. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s]*$/.test(next) && !next.startsWith('/sign-') ? next : '/';
}

function signInPage(message: string | undefined, next: string, name = ''): string {
  return renderPage({
    title: 'Sign in',
    body: `<form class="sign-in" method="post" action="/sign-in">
${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>` : ''}
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label>User name <input name="name" autocomplete="username" required maxlength="200" value="${escapeHtml(name)}" autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="1000"></label>
<button type="submit">Sign in</button>
</form>`,
  });
}

/** GET/POST /sign-in and POST /sign-out: sessions in the server's store, the id in an httpOnly cookie. */
export const authRoutes = (options: AuthOptions): FastifyPluginAsync => async (app) => {
  // Unknown names are checked against a throwaway hash, so that they take as long as known ones.
  const decoy = await hashPassword('decoy password never used');

  const html = (reply: FastifyReply, status: number, page: string) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);

  app.get<{ Querystring: { next?: string } }>('/sign-in', { config: { public: true } }, async (request, reply) => {
    if (request.portalUser) return reply.redirect(safeNext(request.query.next), 303);
    return html(reply, 200, signInPage(undefined, safeNext(request.query.next)));
  });

  app.post<{ Body: { name?: string; password?: string; next?: string } }>(
    '/sign-in',
    {
      config: { public: true },
      schema: {
        body: {
          type: 'object',
          properties: { name: { type: 'string', maxLength: 200 }, password: { type: 'string', maxLength: 1000 }, next: { type: 'string', maxLength: 2000 } },
          required: ['name', 'password'],
        },
      },
    },
    async (request, reply) => {
      const { name = '', password = '' } = request.body;
      const next = safeNext(request.body.next);
      const wait = options.throttle.waitMs(name);
      if (wait > 0) {
        const seconds = Math.ceil(wait / 1000);
        reply.header('retry-after', String(seconds));
        return html(reply, 429, signInPage(`Too many failed sign-ins for this user: try again in ${seconds} s.`, next, name));
      }
      const account = options.accounts.get(name);
      const ok = await verifyPassword(password, account?.passwordHash ?? decoy);
      if (!account || !ok) {
        options.throttle.failed(name);
        request.log.warn({ user: name }, 'failed sign-in');
        return html(reply, 401, signInPage('Wrong user name or password.', next, name));
      }
      options.throttle.succeeded(name);
      // A new id at every sign-in (no session fixation); the old session, if any, ends.
      options.sessions.end(request.cookies[SESSION_COOKIE]);
      const session = options.sessions.create({ name: account.name, role: account.role, regions: account.regions });
      reply.setCookie(SESSION_COOKIE, session.id, {
        httpOnly: true,
        // Strict: the cookie never rides on a request another site starts, not even a link; the
        // price is signing in again after following a link from mail or chat.
        sameSite: 'strict',
        secure: options.secure,
        path: '/',
        maxAge: Math.floor(options.session.absoluteMs / 1000),
      });
      return reply.redirect(next, 303);
    },
  );

  app.post('/sign-out', { config: { public: true } }, async (request, reply) => {
    options.sessions.end(request.cookies[SESSION_COOKIE]);
    reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict', secure: options.secure });
    return reply.redirect('/sign-in', 303);
  });
};
