import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { PublishError } from '../errors.js';
import type { HttpClientOptions } from '../publish/http-client.js';
import type { PortalExtensions } from '../serve/create-portal.js';
import { renderPage, type PageOptions } from '../serve/page-layout.js';
import '../serve/portal-request.js';
import type { PortalUser } from '../serve/portal-user.js';
import type { EmbedConfig } from './embed-config.js';
import { embedCspSources, embedNav } from './embed-csp.js';
import { PowerBiEmbedService } from './powerbi-embed-service.js';
import { TableauEmbedService } from './tableau-embed-service.js';

export interface EmbedRoutesOptions {
  /** HTTP settings of the vendor calls (tests pass a fast sleep). */
  readonly http?: Omit<HttpClientOptions, 'service' | 'secrets' | 'dryRun'>;
  readonly now?: () => number;
}

/**
 * The embedding half of the portal: for each configured vendor a page (`GET /reports/powerbi`,
 * `GET /reports/tableau`) and a JSON endpoint minting a short-lived token for the signed-in user
 * (`GET /api/embed/powerbi`, `GET /api/embed/tableau`), plus the CSP sources and nav links.
 *
 * @example
 * ```ts
 * const embed = embedExtensions(parseEmbedConfig(text, 'portal.yml', process.env));
 * const app = await createPortal({ config, pool, extensions: embed });
 * ```
 */
export function embedExtensions(config: EmbedConfig, options: EmbedRoutesOptions = {}): Required<PortalExtensions> {
  return { routes: embedRoutes(config, options), csp: embedCspSources(config), nav: embedNav(config) };
}

/** The Fastify plugin alone (routes expect `request.portalUser` and `request.portalSessionEndsAt`, set by the portal's session hook). */
export function embedRoutes(config: EmbedConfig, options: EmbedRoutesOptions = {}): FastifyPluginAsync {
  return async (app) => {
    const page = (request: FastifyRequest, options: Omit<PageOptions, 'user' | 'nav'>) =>
      app.hasDecorator('portalPage') ? app.portalPage(request, options) : renderPage({ ...options, user: request.portalUser });
    const vendors = [
      config.powerbi && { name: 'powerbi', label: config.powerbi.label, service: new PowerBiEmbedService(config.powerbi, options.http, options.now) },
      config.tableau && { name: 'tableau', label: config.tableau.label, service: new TableauEmbedService(config.tableau, options.http, options.now) },
    ].filter((v) => !!v);
    for (const vendor of vendors) {
      app.get(`/reports/${vendor.name}`, async (request, reply) => {
        if (!request.portalUser) return reply.code(401).send({ error: 'not signed in', fix: 'sign in at /sign-in' });
        const body = `<div id="embed-status" role="status" class="embed-status">Loading the report…</div>\n<div id="embed-container" class="embed-container"></div>`;
        return reply
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(page(request, { title: vendor.label, current: `/reports/${vendor.name}`, body, scripts: [`${vendor.name}.page.js`], styles: ['embed.page.css'], data: { api: `/api/embed/${vendor.name}` } }));
      });
      app.get(`/api/embed/${vendor.name}`, async (request, reply) => {
        const user: PortalUser | undefined = request.portalUser;
        if (!user) return reply.code(401).send({ error: 'not signed in', fix: 'sign in at /sign-in' });
        // The token must not outlive the session it was minted for.
        return answer(reply, () => vendor.service.embedInfo(user, request.portalSessionEndsAt), vendor.label, request);
      });
    }
  };
}

async function answer(reply: FastifyReply, mint: () => Promise<unknown>, label: string, request: FastifyRequest) {
  reply.header('cache-control', 'no-store');
  try {
    return await mint();
  } catch (error) {
    if (!(error instanceof PublishError)) throw error;
    // The message is already masked by the HTTP client; it names the service and the fix.
    request.log.warn({ code: error.code, status: error.status }, `embed token for ${label} failed`);
    return reply.code(502).send({ error: `${label} could not give an embed token: ${error.message}`, fix: 'check the portal config and the service (see the portal log)' });
  }
}
