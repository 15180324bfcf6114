import type pg from 'pg';
import { quoteIdent } from '@reel/modeler';
import { dashboardStatements, kpiTotals, type DashboardFilter, type DashboardName, type KpiDay } from './dashboard-queries.js';

/** What the portal knows about the marts: the days with data and the regions. */
export interface MartBounds {
  readonly firstDay: string | null;
  readonly lastDay: string | null;
  readonly regions: readonly string[];
  /** The first signup month of retention_cohorts_by_region (cohorts start before the first view). */
  readonly firstCohort: string | null;
}

export const CHURN_SCORES_MISSING = 'No churn scores yet: run `ml train churn` and `ml score churn`, then `model build -s tag:ml`, to build marts.at_risk_members.';

/**
 * Runs a dashboard's statements on the pool and shapes the JSON its page draws. Answers are kept
 * for `cacheMs` per dashboard, date range and region scope: the marts change only when rebuilt.
 */
export class DashboardData {
  private readonly cache = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { schema?: string; cacheMs?: number; now?: () => number } = {},
  ) {}

  private cached<T>(key: string, ttl: number, load: () => Promise<T>): Promise<T> {
    const now = (this.options.now ?? Date.now)();
    const hit = this.cache.get(key);
    if (hit && now - hit.at < ttl) return hit.value as Promise<T>;
    const value = load();
    if (ttl > 0) {
      this.cache.set(key, { at: now, value });
      value.catch(() => this.cache.delete(key));
      if (this.cache.size > 5000) this.cache.delete(this.cache.keys().next().value!);
    }
    return value;
  }

  /** Asked only for defaults (a request without from or to, a page): kept at least 10 s even with the cache off. */
  bounds(): Promise<MartBounds> {
    return this.cached('bounds', Math.max(10_000, this.options.cacheMs ?? 60_000), async () => {
      const relation = `${this.options.schema ?? 'marts'}.kpi_daily_by_region`;
      const exists = await this.pool.query<{ found: string | null }>('select to_regclass($1)::text as found', [relation]);
      if (!exists.rows[0]?.found) return { firstDay: null, lastDay: null, regions: [], firstCohort: null };
      const schema = quoteIdent(this.options.schema ?? 'marts');
      const { rows } = await this.pool.query<{ first_day: string | null; last_day: string | null; regions: string[] | null; first_cohort: string | null }>(
        `select min(date_day)::text as first_day, max(date_day)::text as last_day, array_agg(distinct region order by region) as regions,
           (select min(cohort_month)::text from ${schema}.${quoteIdent('retention_cohorts_by_region')}) as first_cohort
         from ${schema}.${quoteIdent('kpi_daily_by_region')}`,
      );
      const row = rows[0];
      return { firstDay: row?.first_day ?? null, lastDay: row?.last_day ?? null, regions: row?.regions ?? [], firstCohort: row?.first_cohort ?? row?.first_day ?? null };
    });
  }

  /**
   * The dashboard's JSON text for the filter (whose regions are already the user's scope): kept
   * serialised, so that a cached answer costs no query and no JSON.stringify.
   */
  load(name: DashboardName, filter: DashboardFilter): Promise<string> {
    const key = `${name}|${filter.from}|${filter.to}|${filter.regions === null ? '*' : [...filter.regions].sort().join('\u0000')}`;
    return this.cached(key, this.options.cacheMs ?? 60_000, async () => JSON.stringify(await this.query(name, filter)));
  }

  private async query(name: DashboardName, filter: DashboardFilter): Promise<unknown> {
    const schema = this.options.schema ?? 'marts';
    if (name === 'churn-risk') {
      const exists = await this.pool.query<{ found: string | null }>('select to_regclass($1)::text as found', [`${schema}.at_risk_members`]);
      if (!exists.rows[0]?.found) return { available: false, message: CHURN_SCORES_MISSING };
    }
    const statements = dashboardStatements(name, filter, schema);
    const results = await Promise.all(statements.map((s) => this.pool.query(s.text, s.values as unknown[])));
    const data = Object.fromEntries(statements.map((s, i) => [s.name, results[i]!.rows]));
    const shared = { filter: { from: filter.from, to: filter.to, regions: filter.regions } };
    if (name === 'kpi') return { ...shared, totals: kpiTotals(data.days as KpiDay[]), days: data.days };
    if (name === 'churn-risk') return { ...shared, available: true, ...data };
    return { ...shared, ...data };
  }
}

