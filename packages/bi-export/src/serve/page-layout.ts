import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PortalUser } from './portal-user.js';

/** A link in the portal's navigation bar. */
export interface NavLink {
  readonly href: string;
  readonly label: string;
}

export interface PageOptions {
  readonly title: string;
  /** The signed-in user (shown with a sign-out button); none on the sign-in page. */
  readonly user?: PortalUser;
  readonly nav?: readonly NavLink[];
  /** The path of this page, to mark its link current. */
  readonly current?: string;
  /** Trusted HTML: escape anything that comes from a user or the data with escapeHtml. */
  readonly body: string;
  /** Bundles under /assets, e.g. ['dashboard.page.js'] (from src/portal-app/*.page.ts). */
  readonly scripts?: readonly string[];
  /** Style sheets under /assets besides portal.page.css, e.g. ['embed.page.css']. */
  readonly styles?: readonly string[];
  /** Data for the page's script, as JSON in <script type="application/json" id="page-data"> (no inline script). */
  readonly data?: unknown;
}

/** The folder `node scripts/bundle-apps.mjs` writes, served as /assets. */
export const ASSETS_DIR = fileURLToPath(new URL('../../dist/portal-app/', import.meta.url));

const versions = new Map<string, string>();

/** `/assets/<name>?v=<content hash>`: the URL changes when the file does, so it can be cached for ever. */
export function assetUrl(name: string): string {
  let version = versions.get(name);
  if (version === undefined) {
    const file = `${ASSETS_DIR}${name}`;
    version = existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('base64url').slice(0, 12) : 'missing';
    versions.set(name, version);
  }
  return `/assets/${encodeURI(name)}?v=${version}`;
}

export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that is safe inside <script type="application/json"> (no `</script>`, no HTML comment). */
export function jsonForHtml(value: unknown): string {
  return JSON.stringify(value ?? null).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/**
 * The portal's HTML shell: header with navigation and the user, the body, and the page's bundles.
 * Embedded-report pages use it too, so every page looks the same.
 *
 * @example
 * ```ts
 * reply.type('text/html').send(renderPage({ title: 'Power BI', user: request.portalUser, nav, body: '<div id="report"></div>', scripts: ['powerbi.page.js'] }));
 * ```
 */
export function renderPage(options: PageOptions): string {
  const nav = (options.nav ?? [])
    .map((link) => `<a href="${escapeHtml(link.href)}"${link.href === options.current ? ' aria-current="page"' : ''}>${escapeHtml(link.label)}</a>`)
    .join('');
  const user = options.user
    ? `<div class="user"><span class="user-name">${escapeHtml(options.user.name)}</span> <span class="user-scope">${escapeHtml(options.user.role)} · ${escapeHtml(options.user.regions.includes('*') ? 'all regions' : options.user.regions.join(', '))}</span>
<form method="post" action="/sign-out"><button type="submit">Sign out</button></form></div>`
    : '';
  const styles = ['portal.page.css', ...(options.styles ?? [])].map((s) => `<link rel="stylesheet" href="${escapeHtml(assetUrl(s))}">`).join('\n');
  const scripts = (options.scripts ?? []).map((s) => `<script src="${escapeHtml(assetUrl(s))}" defer></script>`).join('\n');
  const data = options.data === undefined ? '' : `<script type="application/json" id="page-data">${jsonForHtml(options.data)}</script>\n`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(options.title)} · Reel</title>
${styles}
${data}${scripts}
</head>
<body>
<header class="top"><a class="brand" href="/">Reel</a><nav>${nav}</nav>${user}</header>
<main>
<h1>${escapeHtml(options.title)}</h1>
${options.body}
</main>
</body>
</html>
`;
}
