import type { CspExtensions } from '../serve/content-security.js';
import type { NavLink } from '../serve/page-layout.js';
import type { EmbedConfig } from './embed-config.js';

/** Where Power BI's embedded reports are served from (the embedUrl host the REST API returns). */
export const POWERBI_EMBED_HOSTS = ['https://app.powerbi.com'] as const;

/**
 * The Content-Security-Policy sources the embed pages need, and only those: Power BI's report
 * host in frame-src; the configured Tableau server's origin in frame-src and connect-src (the
 * connected-app sign-in) or, with trusted tickets, in script-src (its v2 JS API). Pass the result
 * as `extensions.csp` of createPortal.
 */
export function embedCspSources(config: EmbedConfig): CspExtensions {
  const frameSrc: string[] = [];
  const connectSrc: string[] = [];
  const scriptSrc: string[] = [];
  if (config.powerbi) frameSrc.push(...POWERBI_EMBED_HOSTS);
  if (config.tableau) {
    const origin = new URL(config.tableau.serverUrl).origin;
    frameSrc.push(origin);
    if (config.tableau.auth === 'connected-app') connectSrc.push(origin);
    else scriptSrc.push(origin);
  }
  return { frameSrc, connectSrc, scriptSrc };
}

/** Navigation links to the configured reports, for createPortal's `extensions.nav`. */
export function embedNav(config: EmbedConfig): NavLink[] {
  return [
    ...(config.powerbi ? [{ href: '/reports/powerbi', label: config.powerbi.label }] : []),
    ...(config.tableau ? [{ href: '/reports/tableau', label: config.tableau.label }] : []),
  ];
}
