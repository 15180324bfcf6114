// pnpm analysis: answers the four business questions and tells the KPI story from the marts, as
// docs/analysis.md with SVG charts (Vega-Lite, rendered headless) in docs/analysis/. Run after
// `model build`; uses the same connection as `model` (DATABASE_URL, profile, embedded).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { openDatabase, readProfileName, resolveTarget } from '@reel/modeler';

const project = fileURLToPath(new URL('..', import.meta.url));
export const DOCS = fileURLToPath(new URL('../../../docs/', import.meta.url));

async function svg(spec) {
  const { spec: compiled } = compile({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 560, height: 260, ...spec });
  return new vega.View(vega.parse(compiled), { renderer: 'none' }).toSVG();
}

const rows = async (pool, sql) => (await pool.query(sql)).rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v])));
const pct = (x) => `${(100 * x).toFixed(1)} %`;

/** The page and its charts, computed from the marts reachable through `pool`. */
export async function analyse(pool, dataset) {
  const charts = [];
  const chart = async (file, title, spec) => {
    charts.push({ file, svg: await svg({ title, ...spec }) });
    return `![${title}](analysis/${file})`;
  };

  const hours = await rows(pool, `select region, local_hour, sum(views)::bigint as views from marts.content_popularity_by_region_hour group by 1, 2 order by 1, 2`);
  const regionTotals = new Map();
  for (const h of hours) regionTotals.set(h.region, (regionTotals.get(h.region) ?? 0) + h.views);
  const hourShares = hours.map((h) => ({ ...h, share: h.views / regionTotals.get(h.region) }));
  const peaks = [...regionTotals.keys()].map((region) => hourShares.filter((h) => h.region === region).sort((a, b) => b.share - a.share)[0]);
  const top = await rows(pool, `
    select region, show_title, genre, format, views from (
      select region, show_title, genre, format, sum(views)::bigint as views,
        rank() over (partition by region order by sum(views) desc, show_title) as r
      from marts.content_popularity_by_region_hour where daypart = 'evening' group by 1, 2, 3, 4) as t
    where r <= 3 order by region, r`);

  const churn = await rows(pool, `
    select
      case when recency_days <= 3 then '0-3 days' when recency_days <= 7 then '4-7 days' when recency_days <= 14 then '8-14 days' else '15+ days' end as recency,
      count(*) as members, avg(churned_next_30d)::float as churn_rate
    from marts.user_churn_signals where churned_next_30d is not null group by 1 order by min(recency_days)`);
  const drivers = (await rows(pool, `
    select
      avg(churned_next_30d)::float as overall,
      avg(churned_next_30d) filter (where watch_hours_change < 0)::float as falling,
      avg(churned_next_30d) filter (where watch_hours_change >= 0)::float as steady,
      avg(churned_next_30d) filter (where payment_failures_28d > 0)::float as payment_failure,
      avg(churned_next_30d) filter (where price_rise_45d)::float as price_rise,
      count(*) as snapshots
    from marts.user_churn_signals where churned_next_30d is not null`))[0];

  const genres = await rows(pool, `
    select genre, format, sum(watch_hours)::float as watch_hours, (sum(avg_completion * sessions) / sum(sessions))::float as completion,
      (sum(sessions)::float / nullif(sum(viewers), 0)) as sessions_per_viewer
    from marts.genre_format_engagement group by 1, 2 order by 3 desc`);
  const ratings = await rows(pool, `
    select rated_month::text as month, release_cohort, (sum(avg_stars * ratings) / sum(ratings))::float as avg_stars, sum(ratings)::int as ratings
    from marts.rating_trends_monthly where release_cohort is not null group by 1, 2 having sum(ratings) >= 20 order by 1, 2`);
  const kpis = await rows(pool, `select date_day::text as day, dau, wau, mau, watch_hours::float as watch_hours, new_members, churned_members, reactivated_members from marts.kpi_daily where mau > 0 order by 1`);
  const retention = await rows(pool, `select cohort_month::text as cohort, months_since_signup, retention::float as retention from marts.retention_cohorts where cohort_month >= (select min(date_day) - interval '12 months' from marts.kpi_daily where mau > 0) order by 1, 2`);
  const last = kpis.at(-2) ?? kpis.at(-1);
  const cohortsAt = (months) => retention.filter((r) => r.months_since_signup === months);
  // Cohorts that signed up inside the data, with the month asked about over before it ends: members
  // who joined earlier and are still here would be survivors only.
  const firstDay = kpis[0]?.day ?? '';
  const lastDay = kpis.at(-1)?.day ?? '';
  const addMonths = (day, n) => { const d = new Date(`${day}T00:00:00Z`); d.setUTCMonth(d.getUTCMonth() + n); return d.toISOString().slice(0, 10); };
  const observed = (months) => cohortsAt(months).filter((r) => r.cohort >= firstDay.slice(0, 8) + '01' && addMonths(r.cohort, months + 1) <= addMonths(lastDay, 0));
  const avgRetention = (months) => observed(months).reduce((s, r) => s + r.retention, 0) / Math.max(1, observed(months).length);
  const total = (field) => kpis.reduce((s, k) => s + Number(k[field] ?? 0), 0);
  const topGenre = genres[0];
  const bestCompletion = [...genres].filter((g) => g.watch_hours > (topGenre?.watch_hours ?? 0) / 10).sort((a, b) => b.completion - a.completion)[0];
  const cohorts = [...new Set(ratings.map((r) => r.release_cohort))].sort();
  const cohortMean = (cohort) => {
    const list = ratings.filter((r) => r.release_cohort === cohort);
    return list.reduce((s, r) => s + r.avg_stars * r.ratings, 0) / Math.max(1, list.reduce((s, r) => s + r.ratings, 0));
  };

  const md = [
    '# What the marts say',
    '',
    `Generated by \`pnpm analysis\` from the marts of \`packages/models\`, built on ${dataset}. Every number and`,
    'chart below comes from the marts; rerun the command after a build to refresh them.',
    '',
    '## 1. Which content is most popular by region and time of day?',
    '',
    peakSentence(peaks),
    '',
    '| region | peak local hour | share of the day\'s views in that hour |',
    '|---|---|---|',
    ...peaks.map((p) => `| ${p.region} | ${p.local_hour}:00 | ${pct(p.share)} |`),
    '',
    await chart('views-by-local-hour.svg', 'Share of views by local hour', {
      data: { values: hourShares },
      mark: { type: 'line', point: true },
      encoding: { x: { field: 'local_hour', type: 'ordinal', title: 'local hour' }, y: { field: 'share', type: 'quantitative', axis: { format: '%' }, title: 'share of views' }, color: { field: 'region', type: 'nominal' } },
    }),
    '',
    'Top shows in the evening (18:00–22:59 local), by region:',
    '',
    '| region | show | genre | format | views |',
    '|---|---|---|---|---|',
    ...top.map((t) => `| ${t.region} | ${t.show_title} | ${t.genre} | ${t.format} | ${t.views} |`),
    '',
    '## 2. Which members show signs of churn?',
    '',
    `Over ${drivers.snapshots} member-week snapshots with a complete 30-day outcome, ${pct(drivers.overall)} of members cancelled within 30 days.`,
    `Members whose watch time fell against the prior 28 days churned at ${pct(drivers.falling ?? 0)} (steady or rising: ${pct(drivers.steady ?? 0)});`,
    `after a payment failure, ${pct(drivers.payment_failure ?? 0)}; within 45 days of a price rise, ${pct(drivers.price_rise ?? 0)}. ${recencySentence(churn, drivers)}`,
    '',
    '| days since last view | snapshots | churn within 30 days |',
    '|---|---|---|',
    ...churn.map((c) => `| ${c.recency} | ${c.members} | ${pct(c.churn_rate)} |`),
    '',
    await chart('churn-by-recency.svg', 'Churn within 30 days by days since the last view', {
      data: { values: churn },
      mark: 'bar',
      encoding: { x: { field: 'recency', type: 'ordinal', sort: null, title: 'days since last view' }, y: { field: 'churn_rate', type: 'quantitative', axis: { format: '%' }, title: 'churned within 30 days' } },
    }),
    '',
    '## 3. Which genres and formats drive engagement?',
    '',
    topGenre ? `${topGenre.genre} (${topGenre.format}) leads watch time with ${topGenre.watch_hours.toFixed(0)} hours; among genres with at least a tenth of that, ${bestCompletion.genre} (${bestCompletion.format}) is watched to the end most (average completion ${pct(bestCompletion.completion)}).` : '',
    '',
    '| genre | format | watch hours | completion | sessions per viewer |',
    '|---|---|---|---|---|',
    ...genres.slice(0, 10).map((g) => `| ${g.genre} | ${g.format} | ${g.watch_hours.toFixed(0)} | ${pct(g.completion)} | ${g.sessions_per_viewer.toFixed(2)} |`),
    '',
    await chart('genre-format-watch-hours.svg', 'Watch hours by genre and format', {
      data: { values: genres.slice(0, 16) },
      mark: 'bar',
      encoding: { y: { field: 'genre', type: 'nominal', sort: '-x', title: null }, x: { field: 'watch_hours', type: 'quantitative', title: 'watch hours' }, color: { field: 'format', type: 'nominal' } },
    }),
    '',
    '## 4. Do ratings reveal content quality trends?',
    '',
    cohorts.length > 1 ? `${cohortMean(cohorts.at(-1)) > cohortMean(cohorts[0]) + 0.05 ? 'Newer releases rate higher' : cohortMean(cohorts.at(-1)) < cohortMean(cohorts[0]) - 0.05 ? 'Older releases rate higher' : 'Release age makes little difference'}: titles released ${cohorts[0]}–${cohorts[0] + 4} average ${cohortMean(cohorts[0]).toFixed(2)} stars, those released ${cohorts.at(-1)}–${cohorts.at(-1) + 4} ${cohortMean(cohorts.at(-1)).toFixed(2)}.` : '',
    '',
    await chart('ratings-by-month-and-cohort.svg', 'Average stars by month and release cohort', {
      data: { values: ratings },
      mark: { type: 'line', point: true },
      encoding: { x: { field: 'month', type: 'ordinal', title: 'month rated' }, y: { field: 'avg_stars', type: 'quantitative', scale: { zero: false }, title: 'average stars' }, color: { field: 'release_cohort', type: 'ordinal', title: 'released from' } },
    }),
    '',
    '## KPIs: watch time, active members, retention',
    '',
    last ? `On ${last.day}: ${last.dau} daily, ${last.wau} weekly and ${last.mau} monthly active members (DAU/MAU ${pct(last.dau / last.mau)}), ${last.watch_hours.toFixed(0)} hours watched.` : '',
    `Over the ${kpis.length} days, ${total('new_members')} members joined, ${total('churned_members')} cancelled and ${total('reactivated_members')} reactivated a cancelled subscription; ${watchTrend(kpis)}`,
    observed(1).length > 0 ? `Of the ${observed(1).length} signup cohort${observed(1).length === 1 ? '' : 's'} that joined within the data and whose next month is complete, on average ${pct(avgRetention(1))} are still watching one month later.` : 'No signup cohort in the data has a complete month after its signup month yet.',
    '',
    await chart('active-members.svg', 'Daily, weekly and monthly active members', {
      data: { values: kpis.flatMap((k) => ['dau', 'wau', 'mau'].map((m) => ({ day: k.day, measure: m.toUpperCase(), members: k[m] }))) },
      mark: 'line',
      encoding: { x: { field: 'day', type: 'temporal', title: null }, y: { field: 'members', type: 'quantitative', title: 'members' }, color: { field: 'measure', type: 'nominal', title: null } },
    }),
    '',
    await chart('retention-cohorts.svg', 'Retention by signup month', {
      data: { values: retention },
      mark: 'rect',
      encoding: { x: { field: 'months_since_signup', type: 'ordinal', title: 'months since signup' }, y: { field: 'cohort', type: 'ordinal', title: 'signup month' }, color: { field: 'retention', type: 'quantitative', scale: { scheme: 'blues' }, legend: { format: '%' } } },
    }),
    '',
  ].join('\n');
  return { markdown: md, charts };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = resolveTarget({ projectRoot: project, profile: readProfileName(project) });
  const database = await openDatabase(target, { projectRoot: project, threads: 1 });
  try {
    const dataset = process.env.REEL_ANALYSIS_DATASET ?? describeRun(join(project, '..', '..', 'data', 'raw', 'run.json'));
    const { markdown, charts } = await analyse(database.pool, dataset);
    mkdirSync(join(DOCS, 'analysis'), { recursive: true });
    for (const c of charts) writeFileSync(join(DOCS, 'analysis', c.file), c.svg);
    writeFileSync(join(DOCS, 'analysis.md'), markdown);
    console.log(`wrote docs/analysis.md and ${charts.length} charts in docs/analysis/`);
  } finally {
    await database.close();
  }
}

/** What the evening peak table shows, in one sentence. */
function peakSentence(peaks) {
  const evening = peaks.filter((p) => Number(p.local_hour) >= 18 && Number(p.local_hour) <= 23);
  if (peaks.length > 0 && evening.length === peaks.length) return 'Viewing follows the local clock: every region peaks in the evening.';
  return `Viewing follows the local clock: ${evening.length} of ${peaks.length} regions peak in the evening (18:00–23:59 local).`;
}

/** Whether recency separates churners more than the other signals do (the spread of churn rates across its bands). */
function recencySentence(churn, drivers) {
  if (churn.length < 2) return 'By days since the last view:';
  const rates = churn.map((c) => c.churn_rate);
  const spread = Math.max(...rates) - Math.min(...rates);
  const others = [Math.abs((drivers.falling ?? 0) - (drivers.steady ?? 0)), (drivers.payment_failure ?? 0) - (drivers.overall ?? 0), (drivers.price_rise ?? 0) - (drivers.overall ?? 0)];
  return spread > Math.max(...others) ? `Recency is the sharpest signal (churn ranges over ${pct(spread)} between its bands):` : 'By days since the last view:';
}

/** The dataset of data/raw/run.json, as the page's first paragraph names it. */
function describeRun(path) {
  if (!existsSync(path)) return 'the dataset in raw.*';
  const { arguments: a, appended_days: appended } = JSON.parse(readFileSync(path, 'utf8'));
  const dirt = a.dirty_rate === 0 ? 'no dirt' : a.dirty_rate === 1 ? 'default dirt' : `dirt × ${a.dirty_rate}`;
  return `the dataset of data/raw/run.json (\`simulate --users ${a.users} --days ${a.days} --start ${a.start} --seed ${a.seed}\`${appended ? ` + ${appended} appended days` : ''}: ${a.users.toLocaleString('en')} members over ${a.days + (appended ?? 0)} days, ${dirt}${a.catalog ? ', the Netflix catalog' : ''}; \`pnpm start\` makes it)`;
}

/** Watch time of the last 28 days against the 28 before, in words. */
function watchTrend(kpis) {
  if (kpis.length < 56) return 'the data is too short to compare two 28-day periods of watch time.';
  const sum = (list) => list.reduce((s, k) => s + k.watch_hours, 0);
  const recent = sum(kpis.slice(-28));
  const before = sum(kpis.slice(-56, -28));
  const change = (recent - before) / before;
  return `watch time over the last 28 days was ${recent.toFixed(0)} hours, ${change >= 0 ? 'up' : 'down'} ${pct(Math.abs(change))} on the 28 days before.`;
}
