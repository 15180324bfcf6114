import type { FastifyPluginAsync } from 'fastify';
import type { DashboardData, MartBounds } from './dashboard-data.js';
import { DASHBOARD_NAMES, DASHBOARD_TITLES, type DashboardName } from './dashboard-queries.js';
import { escapeHtml } from './page-layout.js';
import { regionScope } from './region-scope.js';

const DATE = '^\\d{4}-\\d{2}-\\d{2}$';
const MAX_DAYS = 3660;

interface DashboardQuery {
  from?: string;
  to?: string;
  region?: string[];
}

const querySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', pattern: DATE },
    to: { type: 'string', pattern: DATE },
    region: { type: 'array', maxItems: 20, items: { type: 'string', minLength: 1, maxLength: 100 } },
  },
} as const;

const isDay = (text: string) => !Number.isNaN(Date.parse(`${text}T00:00:00Z`)) && new Date(`${text}T00:00:00Z`).toISOString().startsWith(text);

/** Day arithmetic on YYYY-MM-DD strings. */
const dayNumber = (text: string) => Date.parse(`${text}T00:00:00Z`) / 86_400_000;

/** Without a from, a dashboard starts at the first day of data; retention at the first signup cohort. */
const defaultFrom = (name: DashboardName, bounds: MartBounds) => (name === 'retention' ? bounds.firstCohort : bounds.firstDay);

/**
 * The built-in dashboards: a page per dashboard (/dashboards/<name>) whose bundle draws the JSON of
 * GET /api/dashboards/<name>?from=&to=&region= (region repeatable). Every query is scoped to the
 * user's regions on the server.
 */
export const dashboardRoutes = (data: DashboardData): FastifyPluginAsync => async (app) => {
  app.get('/', async (_request, reply) => reply.redirect('/dashboards/kpi', 303));

  app.get<{ Params: { name: string } }>('/dashboards/:name', async (request, reply) => {
    const name = request.params.name as DashboardName;
    if (!DASHBOARD_NAMES.includes(name)) {
      return reply.code(404).type('text/html; charset=utf-8').send(app.portalPage(request, { title: 'Not found', body: `<p>There is no dashboard "${escapeHtml(request.params.name)}".</p>` }));
    }
    const user = request.portalUser!;
    const bounds = await data.bounds();
    const regions = user.regions.includes('*') ? bounds.regions : user.regions;
    const first = defaultFrom(name, bounds);
    const page = app.portalPage(request, {
      title: DASHBOARD_TITLES[name],
      current: `/dashboards/${name}`,
      body: `${bounds.lastDay ? '' : '<p class="notice" role="status">The marts are not built yet: run <code>model build</code> on the models project, then reload.</p>'}
<form class="filters" id="filters">
<label>From <input type="date" name="from" value="${escapeHtml(first ?? '')}" min="${escapeHtml(first ?? '')}" max="${escapeHtml(bounds.lastDay ?? '')}"></label>
<label>To <input type="date" name="to" value="${escapeHtml(bounds.lastDay ?? '')}" min="${escapeHtml(first ?? '')}" max="${escapeHtml(bounds.lastDay ?? '')}"></label>
<label>Region <select name="region"><option value="">${regions.length === 1 ? escapeHtml(regions[0]) : 'All my regions'}</option>${regions.length > 1 ? regions.map((r) => `<option>${escapeHtml(r)}</option>`).join('') : ''}</select></label>
<button type="submit">Apply</button>
</form>
<section id="dashboard" data-dashboard="${name}" aria-live="polite"></section>`,
      scripts: ['dashboard.page.js'],
      data: { dashboard: name, firstDay: first, lastDay: bounds.lastDay, regions },
    });
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
  });

  app.get('/api/me', async (request) => ({ user: request.portalUser }));

  app.get<{ Params: { name: string }; Querystring: DashboardQuery }>('/api/dashboards/:name', { schema: { querystring: querySchema } }, async (request, reply) => {
    const name = request.params.name as DashboardName;
    if (!DASHBOARD_NAMES.includes(name)) return reply.code(404).send({ error: `there is no dashboard "${request.params.name}"`, fix: `use one of ${DASHBOARD_NAMES.join(', ')}` });
    const bounds = request.query.from && request.query.to ? undefined : await data.bounds();
    const from = request.query.from ?? (bounds ? defaultFrom(name, bounds) : null);
    const to = request.query.to ?? bounds?.lastDay ?? null;
    if (from === null || to === null) return reply.code(409).send({ error: 'the marts are not built yet', fix: 'run `model build` on the models project' });
    for (const [key, value] of [['from', from], ['to', to]] as const) {
      if (!isDay(value)) return reply.code(400).send({ error: `${key} is ${value}, which is not a calendar day`, fix: 'write days as YYYY-MM-DD, e.g. 2024-01-31' });
    }
    if (from > to) return reply.code(400).send({ error: `from (${from}) is after to (${to})`, fix: 'swap them' });
    if (dayNumber(to) - dayNumber(from) > MAX_DAYS) return reply.code(400).send({ error: `the range ${from} to ${to} is longer than ${MAX_DAYS} days`, fix: 'choose a shorter range' });
    const scope = regionScope(request.portalUser!, request.query.region);
    if (!scope.ok) {
      request.log.warn({ user: request.portalUser!.name, forbidden: scope.forbidden }, 'region outside the user scope');
      return reply.code(403).send({ error: `you may not see ${scope.forbidden.join(', ')}`, fix: `leave out region, or choose among ${request.portalUser!.regions.join(', ')}` });
    }
    return reply.type('application/json; charset=utf-8').header('cache-control', 'private, no-store').send(await data.load(name, { from, to, regions: scope.regions }));
  });
};
