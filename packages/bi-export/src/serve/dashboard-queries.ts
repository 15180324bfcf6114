import { quoteIdent } from '@reel/modeler';

/** The filters of a dashboard request, after the user's region scope is applied. */
export interface DashboardFilter {
  /** First and last day, inclusive (YYYY-MM-DD). */
  readonly from: string;
  readonly to: string;
  /** The regions whose rows may be read; null for every region (only for users who see all). */
  readonly regions: readonly string[] | null;
}

/** One parameterised statement: identifiers quoted, every value in `values`. */
export interface DashboardStatement {
  readonly name: string;
  readonly text: string;
  readonly values: readonly unknown[];
}

export const DASHBOARD_NAMES = ['kpi', 'popularity', 'engagement', 'ratings', 'retention', 'churn-risk'] as const;
export type DashboardName = (typeof DASHBOARD_NAMES)[number];

export const DASHBOARD_TITLES: Record<DashboardName, string> = {
  kpi: 'KPI overview',
  popularity: 'Popularity by region and local hour',
  engagement: 'Genre × format engagement',
  ratings: 'Rating trends',
  retention: 'Retention cohorts',
  'churn-risk': 'Churn risk',
};

/** The region condition every statement carries: $1 is the regions array, or null for all. */
const regionIn = (column: string) => `($1::text[] is null or ${column} = any($1::text[]))`;
const REGION = regionIn('region');

/**
 * The statements behind a dashboard, on the marts in `schema`: each filters by `region = any($1)`
 * (the user's scope, never their raw input) and by the date range in $2 and $3.
 */
export function dashboardStatements(name: DashboardName, filter: DashboardFilter, schema = 'marts'): DashboardStatement[] {
  const t = (relation: string) => `${quoteIdent(schema)}.${quoteIdent(relation)}`;
  const values = [filter.regions, filter.from, filter.to];
  const days = `date_day between $2::date and $3::date and ${REGION}`;
  const months = (column: string) => `${column} between date_trunc('month', $2::date)::date and $3::date and ${REGION}`;
  switch (name) {
    case 'kpi':
      return [
        {
          name: 'days',
          text: `select date_day::text as day, sum(dau)::int as dau, sum(mau)::int as mau, sum(watch_hours)::float8 as watch_hours, sum(sessions)::int as sessions,
                  sum(new_members)::int as new_members, sum(churned_members)::int as churned_members, sum(subscribers)::int as subscribers
                 from ${t('kpi_daily_by_region')} where ${days} group by date_day order by date_day`,
          values,
        },
      ];
    case 'popularity':
      return [
        {
          name: 'cells',
          text: `select region, local_hour::int as hour, sum(views)::int as views, sum(watch_hours)::float8 as watch_hours
                 from ${t('views_by_region_hour_daily')} where ${days} group by region, local_hour order by region, local_hour`,
          values,
        },
        {
          // Running totals: the range's views are the total on its last day minus the total on the
          // day before its first (rows of two days, whatever the range's length). Grouped by the id
          // alone (title, genre and format follow it), which hashes faster than four keys.
          name: 'top',
          text: `with last as (select least($3::date, max(date_day)) as day from ${t('show_views_running_by_region')})
                 select r.show_id, min(r.show_title) as title, min(r.genre) as genre, min(r.format) as format,
                  sum(case when r.date_day = last.day then r.views_to_date else -r.views_to_date end)::int as views,
                  round(sum(case when r.date_day = last.day then r.watch_hours_to_date else -r.watch_hours_to_date end), 1)::float8 as watch_hours
                 from ${t('show_views_running_by_region')} as r, last
                 where r.date_day in ($2::date - 1, last.day) and $2::date <= last.day and ${regionIn('r.region')}
                 group by r.show_id order by views desc, r.show_id limit 10`,
          values,
        },
      ];
    case 'engagement':
      return [
        {
          name: 'groups',
          text: `select genre, format, sum(views)::int as views, round(sum(watch_hours), 1)::float8 as watch_hours,
                  round(sum(completion_total) / nullif(sum(views_with_completion), 0), 3)::float8 as avg_completion
                 from ${t('genre_format_daily_by_region')} where ${days} group by genre, format order by genre, format`,
          values,
        },
      ];
    case 'ratings':
      return [
        {
          name: 'months',
          text: `select rated_month::text as month, genre, sum(ratings)::int as ratings, round(sum(stars_total)::numeric / sum(ratings), 3)::float8 as avg_stars
                 from ${t('ratings_monthly_by_region')} where ${months('rated_month')} group by rated_month, genre order by rated_month, genre`,
          values,
        },
      ];
    case 'retention':
      // Every cohort and region has a row, so the cohort's size is the sum over its regions' rows.
      return [
        {
          name: 'cells',
          text: `with picked as (select * from ${t('retention_cohorts_by_region')} where ${months('cohort_month')}),
                 sizes as (select cohort_month, sum(cohort_size) as cohort_size from (select distinct cohort_month, region, cohort_size from picked) as s group by cohort_month)
                 select p.cohort_month::text as cohort, p.months_since_signup as month, s.cohort_size::int as cohort_size, sum(p.active_members)::int as active_members,
                  round(sum(p.active_members)::numeric / s.cohort_size, 4)::float8 as retention
                 from picked as p join sizes as s using (cohort_month)
                 group by p.cohort_month, p.months_since_signup, s.cohort_size having sum(p.active_members) > 0 order by p.cohort_month, p.months_since_signup`,
          values,
        },
      ];
    case 'churn-risk':
      // The current scores: the date range does not apply.
      return [
        {
          name: 'bands',
          text: `select risk_band as band, count(*)::int as members from ${t('at_risk_members')} where ${REGION} group by risk_band order by risk_band`,
          values: [filter.regions],
        },
        {
          name: 'members',
          text: `select user_id::text as user_id, round(churn_score::numeric, 3)::float8 as score, risk_band as band, region, current_plan as plan,
                  recency_days::int as recency_days, round(watch_hours_change::numeric, 1)::float8 as watch_hours_change, payment_failures_28d::int as payment_failures
                 from ${t('at_risk_members')} where ${REGION} order by churn_score desc, user_id limit 50`,
          values: [filter.regions],
        },
      ];
  }
}

export interface KpiDay {
  readonly day: string;
  readonly dau: number;
  readonly mau: number;
  readonly watch_hours: number;
  readonly sessions: number;
  readonly new_members: number;
  readonly churned_members: number;
  readonly subscribers: number;
}

export interface KpiTotals {
  readonly watchHours: number;
  readonly averageDau: number;
  readonly averageMau: number;
  /** Average DAU / average MAU (stickiness), 0–1. */
  readonly dauPerMau: number;
  /** Hours watched per active member-day. */
  readonly hoursPerActiveDay: number;
  readonly sessionsPerActiveDay: number;
  readonly churnedMembers: number;
  /** Cancels in the range per average subscriber, 0–1. */
  readonly churnRate: number;
}

/** The KPI cards from the daily rows (sums and averages over the range). */
export function kpiTotals(days: readonly KpiDay[]): KpiTotals {
  const sum = (pick: (d: KpiDay) => number) => days.reduce((s, d) => s + pick(d), 0);
  const n = days.length || 1;
  const dau = sum((d) => d.dau);
  const round = (v: number, digits: number) => Number(v.toFixed(digits));
  const averageMau = sum((d) => d.mau) / n;
  const averageSubscribers = sum((d) => d.subscribers) / n;
  return {
    watchHours: round(sum((d) => d.watch_hours), 1),
    averageDau: round(dau / n, 1),
    averageMau: round(averageMau, 1),
    dauPerMau: averageMau ? round(dau / n / averageMau, 3) : 0,
    hoursPerActiveDay: dau ? round(sum((d) => d.watch_hours) / dau, 2) : 0,
    sessionsPerActiveDay: dau ? round(sum((d) => d.sessions) / dau, 2) : 0,
    churnedMembers: sum((d) => d.churned_members),
    churnRate: averageSubscribers ? round(sum((d) => d.churned_members) / averageSubscribers, 4) : 0,
  };
}
