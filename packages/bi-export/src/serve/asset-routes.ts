import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsync } from 'fastify';
import { ASSETS_DIR } from './page-layout.js';

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', map: 'application/json; charset=utf-8', txt: 'text/plain; charset=utf-8' };
const NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css|map|txt)$/;

/**
 * GET /assets/<name>: the bundles of dist/portal-app. Pages link them as `?v=<content hash>`, so a
 * versioned URL is cached for a year (immutable); a plain one is revalidated.
 */
export const assetRoutes: FastifyPluginAsync = async (app) => {
  const files = new Map<string, Buffer | null>();
  // Browsers ask for it on every site; the portal has none.
  app.get('/favicon.ico', { config: { public: true } }, async (_request, reply) => reply.code(204).header('cache-control', 'public, max-age=86400').send());
  app.get<{ Params: { name: string }; Querystring: { v?: string } }>('/assets/:name', { config: { public: true } }, async (request, reply) => {
    const { name } = request.params;
    if (!NAME.test(name)) return reply.code(404).send({ error: 'no such asset' });
    if (!files.has(name)) files.set(name, await readFile(`${ASSETS_DIR}${name}`).catch(() => null));
    const body = files.get(name);
    if (!body) return reply.code(404).send({ error: `no such asset: ${name} (run pnpm build)` });
    return reply
      .type(TYPES[name.slice(name.lastIndexOf('.') + 1)]!)
      .header('cache-control', request.query.v ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(body);
  });
};
