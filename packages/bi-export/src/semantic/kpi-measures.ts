import type { MartSchema } from '../schema/mart.js';

/** A DAX measure and the mart columns it needs. */
export interface KpiMeasure {
  /** The table the measure lives on. */
  readonly table: string;
  readonly name: string;
  readonly expression: string;
  readonly formatString: string;
  readonly description: string;
  readonly requires: readonly (readonly [table: string, column: string])[];
}

const t = (table: string, column: string) => `'${table}'[${column}]`;

/**
 * The KPIs of the design (watch time, active users, engagement, churn rate, retention) as DAX
 * measures over the marts. Each is kept only when the marts it reads are exported.
 */
export const KPI_MEASURES: readonly KpiMeasure[] = [
  {
    table: 'fct_views',
    name: 'Watch Hours',
    expression: `DIVIDE(SUM(${t('fct_views', 'seconds_watched')}), 3600)`,
    formatString: '#,##0.0',
    description: 'Hours watched: the sum of seconds_watched over the sessions in context, divided by 3,600.',
    requires: [['fct_views', 'seconds_watched']],
  },
  {
    table: 'fct_views',
    name: 'Sessions',
    expression: `COUNTROWS('fct_views')`,
    formatString: '#,##0',
    description: 'Viewing sessions in context.',
    requires: [['fct_views', 'view_id']],
  },
  {
    table: 'fct_views',
    name: 'Active Users',
    expression: `DISTINCTCOUNT(${t('fct_views', 'user_id')})`,
    formatString: '#,##0',
    description: 'Members with at least one viewing session in context: DAU on a day, MAU over a month.',
    requires: [['fct_views', 'user_id']],
  },
  {
    table: 'fct_views',
    name: 'Watch Hours per Active User',
    expression: `DIVIDE([Watch Hours], [Active Users])`,
    formatString: '#,##0.00',
    description: 'Engagement: hours watched per active member.',
    requires: [['fct_views', 'seconds_watched'], ['fct_views', 'user_id']],
  },
  {
    table: 'kpi_daily',
    name: 'Average DAU',
    expression: `AVERAGE(${t('kpi_daily', 'dau')})`,
    formatString: '#,##0',
    description: 'Daily active members, averaged over the days in context.',
    requires: [['kpi_daily', 'dau']],
  },
  {
    table: 'kpi_daily',
    name: 'DAU / MAU',
    expression: `DIVIDE(SUM(${t('kpi_daily', 'dau')}), SUM(${t('kpi_daily', 'mau')}))`,
    formatString: '0.0%',
    description: 'Stickiness: daily over monthly active members, over the days in context.',
    requires: [['kpi_daily', 'dau'], ['kpi_daily', 'mau']],
  },
  {
    table: 'dim_users',
    name: 'Members',
    expression: `COUNTROWS('dim_users')`,
    formatString: '#,##0',
    description: 'Members in context.',
    requires: [['dim_users', 'user_id']],
  },
  {
    table: 'dim_users',
    name: 'Churn Rate',
    expression: `DIVIDE(CALCULATE(COUNTROWS('dim_users'), ${t('dim_users', 'is_churned')} = TRUE()), COUNTROWS('dim_users'))`,
    formatString: '0.0%',
    description: 'Share of the members in context whose latest subscription event is a cancellation.',
    requires: [['dim_users', 'is_churned']],
  },
  {
    table: 'user_churn_signals',
    name: 'Churn Rate Next 30 Days',
    expression: `AVERAGE(${t('user_churn_signals', 'churned_next_30d')})`,
    formatString: '0.0%',
    description: 'Share of member snapshots followed by a cancellation within 30 days (labelled snapshots only).',
    requires: [['user_churn_signals', 'churned_next_30d']],
  },
  {
    table: 'retention_cohorts',
    name: 'Retention Rate',
    expression: `DIVIDE(SUM(${t('retention_cohorts', 'active_members')}), SUM(${t('retention_cohorts', 'cohort_size')}))`,
    formatString: '0.0%',
    description: 'Members of the cohorts in context active in the month, as a share of the cohorts.',
    requires: [['retention_cohorts', 'active_members'], ['retention_cohorts', 'cohort_size']],
  },
];

/**
 * The KPI measures whose tables and columns are all in the schema. A measure may not share its
 * name with a column of its table (Power BI compares names without case), so such a measure
 * is renamed `<name> (KPI)`.
 */
export function measuresFor(schema: MartSchema): KpiMeasure[] {
  const has = (table: string, column: string) => schema.marts.some((m) => m.name === table && m.columns.some((c) => c.name === column));
  return KPI_MEASURES.filter((m) => m.requires.every(([table, column]) => has(table, column))).map((measure) => {
    const columns = schema.marts.find((m) => m.name === measure.table)!.columns;
    return columns.some((c) => c.name.toLowerCase() === measure.name.toLowerCase()) ? { ...measure, name: `${measure.name} (KPI)` } : measure;
  });
}
