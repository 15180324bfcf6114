// The built-in dashboards in the browser: reads the page's JSON (#page-data), fetches
// /api/dashboards/<name> for the filters, and draws cards, tables and ECharts charts (tree-shaken:
// only the charts and components used are bundled). No inline script, nothing from another site.
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, HeatmapChart, LineChart, GridComponent, LegendComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

type EChartsOption = echarts.EChartsCoreOption;

interface PageData {
  dashboard: string;
  firstDay: string | null;
  lastDay: string | null;
  regions: string[];
}

/** What the page drew last, for people and tests: the API answer and each chart's option. */
interface DrawnDashboard {
  dashboard: string;
  query: string;
  data: unknown;
  charts: Record<string, EChartsOption>;
}

declare global {
  interface Window {
    reelDashboard?: DrawnDashboard;
  }
}

const page = JSON.parse(document.getElementById('page-data')?.textContent ?? '{}') as PageData;
const root = document.getElementById('dashboard') as HTMLElement;
const form = document.getElementById('filters') as HTMLFormElement;
const charts: echarts.ECharts[] = [];
let drawn = 0;

const number = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 });

function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function card(key: string, label: string, value: string): HTMLElement {
  const box = element('div', { class: 'card', 'data-kpi': key });
  box.append(element('div', { class: 'card-label' }, label), element('div', { class: 'card-value' }, value));
  return box;
}

function table(id: string, headings: string[], rows: (string | number | null)[][]): HTMLElement {
  const t = element('table', { id });
  const head = element('tr');
  for (const h of headings) head.append(element('th', { scope: 'col' }, h));
  t.append(element('thead'), element('tbody'));
  t.tHead!.append(head);
  for (const row of rows) {
    const tr = element('tr');
    for (const cell of row) tr.append(element('td', typeof cell === 'number' ? { class: 'num' } : {}, cell === null ? '–' : typeof cell === 'number' ? number.format(cell) : cell));
    t.tBodies[0]!.append(tr);
  }
  return t;
}

function chart(id: string, option: EChartsOption, drawnCharts: Record<string, EChartsOption>, height = 320): HTMLElement {
  const box = element('div', { class: 'chart', id });
  box.style.height = `${height}px`;
  root.append(box);
  const instance = echarts.init(box, undefined, { renderer: 'canvas' });
  instance.setOption({ animation: false, tooltip: { trigger: 'item' }, ...option });
  charts.push(instance);
  drawnCharts[id] = option;
  return box;
}

function notice(text: string, kind = 'notice'): void {
  root.append(element('p', { class: kind, role: kind === 'error' ? 'alert' : 'status' }, text));
}

type Row = Record<string, unknown>;

function draw(name: string, data: Row, drawnCharts: Record<string, EChartsOption>): void {
  switch (name) {
    case 'kpi': {
      const t = data.totals as Record<string, number>;
      const days = data.days as Row[];
      const cards = element('div', { class: 'cards' });
      cards.append(
        card('watchHours', 'Watch hours', number.format(t.watchHours!)),
        card('averageDau', 'Average DAU', number.format(t.averageDau!)),
        card('averageMau', 'Average MAU', number.format(t.averageMau!)),
        card('dauPerMau', 'DAU / MAU', percent.format(t.dauPerMau!)),
        card('hoursPerActiveDay', 'Hours per active member-day', number.format(t.hoursPerActiveDay!)),
        card('sessionsPerActiveDay', 'Sessions per active member-day', number.format(t.sessionsPerActiveDay!)),
        card('churnRate', 'Churn rate (cancels per subscriber)', percent.format(t.churnRate!)),
      );
      root.append(cards);
      const x = days.map((d) => d.day as string);
      chart('chart-active', { legend: {}, tooltip: { trigger: 'axis' }, xAxis: { type: 'category', data: x }, yAxis: { type: 'value' }, series: [{ name: 'DAU', type: 'line', data: days.map((d) => d.dau), showSymbol: false }, { name: 'MAU', type: 'line', data: days.map((d) => d.mau), showSymbol: false }] }, drawnCharts);
      chart('chart-watch', { tooltip: { trigger: 'axis' }, xAxis: { type: 'category', data: x }, yAxis: { type: 'value', name: 'hours' }, series: [{ name: 'Watch hours', type: 'bar', data: days.map((d) => d.watch_hours) }] }, drawnCharts, 240);
      return;
    }
    case 'popularity': {
      const cells = data.cells as Row[];
      const regions = [...new Set(cells.map((c) => c.region as string))].sort();
      const hours = Array.from({ length: 24 }, (_, h) => String(h));
      const max = Math.max(1, ...cells.map((c) => c.views as number));
      chart('chart-heatmap', {
        tooltip: { position: 'top' },
        grid: { left: 150, right: 20, bottom: 80 },
        xAxis: { type: 'category', data: hours, name: 'local hour', splitArea: { show: true } },
        yAxis: { type: 'category', data: regions, splitArea: { show: true } },
        visualMap: { min: 0, max, calculable: true, orient: 'horizontal', left: 'center', bottom: 0 },
        series: [{ name: 'Views', type: 'heatmap', data: cells.map((c) => [c.hour, regions.indexOf(c.region as string), c.views]) }],
      }, drawnCharts, 60 + 40 * Math.max(regions.length, 3));
      root.append(element('h2', {}, 'Top titles'), table('top-titles', ['Title', 'Genre', 'Format', 'Views', 'Watch hours'], (data.top as Row[]).map((r) => [r.title as string, r.genre as string, r.format as string, r.views as number, r.watch_hours as number])));
      return;
    }
    case 'engagement': {
      const groups = data.groups as Row[];
      const genres = [...new Set(groups.map((g) => g.genre as string))].sort();
      const formats = [...new Set(groups.map((g) => g.format as string))].sort();
      const value = (genre: string, format: string) => (groups.find((g) => g.genre === genre && g.format === format)?.watch_hours as number | undefined) ?? 0;
      chart('chart-genre-format', {
        legend: {},
        tooltip: { trigger: 'axis' },
        grid: { bottom: 90 },
        xAxis: { type: 'category', data: genres, axisLabel: { rotate: 40 } },
        yAxis: { type: 'value', name: 'watch hours' },
        series: formats.map((f) => ({ name: f, type: 'bar', data: genres.map((g) => value(g, f)) })),
      }, drawnCharts);
      root.append(table('genre-format', ['Genre', 'Format', 'Views', 'Watch hours', 'Mean completion'], groups.map((g) => [g.genre as string, g.format as string, g.views as number, g.watch_hours as number, g.avg_completion === null ? null : percent.format(g.avg_completion as number)])));
      return;
    }
    case 'ratings': {
      const months = data.months as Row[];
      const x = [...new Set(months.map((m) => m.month as string))].sort();
      const totals = new Map<string, number>();
      for (const m of months) totals.set(m.genre as string, (totals.get(m.genre as string) ?? 0) + (m.ratings as number));
      const genres = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([g]) => g);
      chart('chart-ratings', {
        legend: {},
        tooltip: { trigger: 'axis' },
        xAxis: { type: 'category', data: x },
        yAxis: { type: 'value', min: 1, max: 5, name: 'mean stars' },
        series: genres.map((g) => ({ name: g, type: 'line', data: x.map((month) => months.find((m) => m.month === month && m.genre === g)?.avg_stars ?? null) })),
      }, drawnCharts);
      root.append(table('ratings', ['Month', 'Genre', 'Ratings', 'Mean stars'], months.map((m) => [m.month as string, m.genre as string, m.ratings as number, (m.avg_stars as number).toFixed(2)])));
      return;
    }
    case 'retention': {
      const cells = data.cells as Row[];
      const cohorts = [...new Set(cells.map((c) => c.cohort as string))].sort();
      const months = [...new Set(cells.map((c) => c.month as number))].sort((a, b) => a - b).map(String);
      chart('chart-retention', {
        tooltip: { position: 'top' },
        grid: { left: 100, right: 20, bottom: 80 },
        xAxis: { type: 'category', data: months, name: 'months since signup' },
        yAxis: { type: 'category', data: cohorts, inverse: true },
        visualMap: { min: 0, max: 1, calculable: true, orient: 'horizontal', left: 'center', bottom: 0 },
        series: [{ name: 'Retention', type: 'heatmap', data: cells.map((c) => [months.indexOf(String(c.month)), cohorts.indexOf(c.cohort as string), c.retention]), label: { show: cohorts.length <= 12, formatter: (p: { value: number[] }) => `${Math.round(p.value[2]! * 100)}%` } }],
      }, drawnCharts, 100 + 28 * Math.max(cohorts.length, 4));
      root.append(table('retention', ['Cohort', 'Months since signup', 'Cohort size', 'Active', 'Retention'], cells.map((c) => [c.cohort as string, String(c.month), c.cohort_size as number, c.active_members as number, percent.format(c.retention as number)])));
      return;
    }
    case 'churn-risk': {
      if (!data.available) {
        notice(data.message as string);
        return;
      }
      const cards = element('div', { class: 'cards' });
      for (const b of data.bands as Row[]) cards.append(card(`band-${b.band as string}`, `${b.band as string} risk`, number.format(b.members as number)));
      root.append(cards, element('p', { class: 'hint' }, 'The current scores of the churn model (the date range does not apply).'));
      root.append(table('at-risk', ['Member', 'Score', 'Band', 'Region', 'Plan', 'Days since last view', 'Watch-hour change (28 d)', 'Payment failures (28 d)'], (data.members as Row[]).map((m) => [m.user_id as string, (m.score as number).toFixed(3), m.band as string, m.region as string, m.plan as string, m.recency_days as number, m.watch_hours_change as number, m.payment_failures as number])));
      return;
    }
  }
}

function queryFromForm(): URLSearchParams {
  const values = new FormData(form);
  const query = new URLSearchParams();
  for (const key of ['from', 'to', 'region']) {
    const value = values.get(key);
    if (typeof value === 'string' && value !== '') query.set(key, value);
  }
  return query;
}

async function load(): Promise<void> {
  const query = queryFromForm();
  const seq = ++drawn;
  document.documentElement.removeAttribute('data-rendered');
  root.setAttribute('aria-busy', 'true');
  const response = await fetch(`/api/dashboards/${encodeURIComponent(page.dashboard)}?${query}`, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  if (response.status === 401) {
    location.assign(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`);
    return;
  }
  const data = (await response.json()) as Row;
  if (seq !== drawn) return;
  for (const c of charts.splice(0)) c.dispose();
  root.replaceChildren();
  const drawnCharts: Record<string, EChartsOption> = {};
  if (!response.ok) notice(`${data.error as string}${data.fix ? ` (${data.fix as string})` : ''}`, 'error');
  else draw(page.dashboard, data, drawnCharts);
  window.reelDashboard = { dashboard: page.dashboard, query: query.toString(), data, charts: drawnCharts };
  root.removeAttribute('aria-busy');
  history.replaceState(null, '', `${location.pathname}?${query}`);
  document.documentElement.dataset.rendered = String(seq);
}

// Filters from the address (a reload or a shared link keeps them), else the page's defaults.
const initial = new URLSearchParams(location.search);
for (const key of ['from', 'to', 'region']) {
  const field = form.elements.namedItem(key) as HTMLInputElement | HTMLSelectElement | null;
  const value = initial.get(key);
  if (field && value !== null) field.value = value;
}
form.addEventListener('submit', (event) => {
  event.preventDefault();
  void load();
});
window.addEventListener('resize', () => charts.forEach((c) => c.resize()));
void load();
