// The Power BI report page: gets an embed config (embed token, embedUrl, region filters) from
// /api/embed/powerbi, embeds the report with powerbi-client (bundled, no CDN), keeps the user's
// region filters, and swaps in a fresh token before the old one expires.
import { factories, models, service, type Report } from 'powerbi-client';
import { container, fail, fetchEmbedInfo, showStatus, state } from './embed-page-data.js';

interface PowerBiEmbedInfo {
  type: 'report';
  id: string;
  embedUrl: string;
  accessToken: string;
  tokenType: 'Embed';
  expiry: string;
  /** Until it expires, from the server's clock (the page's own may be off). */
  expiresInMs: number;
  filters: models.IBasicFilter[];
}

/** Refresh this long before the token expires… */
const REFRESH_BEFORE_MS = 2 * 60_000;
/** …but never sooner than this after the last one, so a short-lived token cannot make the page hammer the portal. */
const MIN_REFRESH_WAIT_MS = 30_000;
const powerbi = new service.Service(factories.hpmFactory, factories.wpmpFactory, factories.routerFactory);

let refreshTimer: ReturnType<typeof setTimeout> | undefined;

function scheduleRefresh(report: Report, expiresInMs: number): void {
  clearTimeout(refreshTimer);
  const wait = Math.max(MIN_REFRESH_WAIT_MS, expiresInMs - REFRESH_BEFORE_MS);
  refreshTimer = setTimeout(() => void refresh(report), wait);
}

async function refresh(report: Report): Promise<void> {
  try {
    const info = await fetchEmbedInfo<PowerBiEmbedInfo>();
    await report.setAccessToken(info.accessToken);
    state.tokenRefreshes++;
    scheduleRefresh(report, info.expiresInMs);
  } catch (error) {
    fail(`The report's access could not be renewed: ${(error as Error).message ?? String(error)}. Reload the page.`);
  }
}

async function main(): Promise<void> {
  let info: PowerBiEmbedInfo;
  try {
    info = await fetchEmbedInfo<PowerBiEmbedInfo>();
  } catch (error) {
    fail(`The Power BI report cannot be shown: ${(error as Error).message}`);
    return;
  }
  const config: models.IReportEmbedConfiguration = {
    type: 'report',
    id: info.id,
    embedUrl: info.embedUrl,
    accessToken: info.accessToken,
    tokenType: models.TokenType.Embed,
    permissions: models.Permissions.Read,
    filters: info.filters,
    settings: { panes: { filters: { visible: false } } },
  };
  const report = powerbi.embed(container, config) as Report;
  report.on('loaded', () => {
    state.events.push('loaded');
    showStatus('Report loaded.');
  });
  report.on('rendered', () => state.events.push('rendered'));
  report.on('error', (event) => {
    const detail = (event as CustomEvent<models.IError>).detail;
    if (detail?.message === 'TokenExpired' || detail?.detailedMessage?.includes('expired')) {
      void refresh(report);
      return;
    }
    fail(`Power BI reported an error: ${detail?.detailedMessage ?? detail?.message ?? 'unknown error'}`);
  });
  state.filters = info.filters;
  scheduleRefresh(report, info.expiresInMs);
}

void main();
