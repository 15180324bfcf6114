/** Extra sources a plugin (e.g. the Power BI / Tableau embedding) needs in the Content-Security-Policy. */
export interface CspExtensions {
  readonly frameSrc?: readonly string[];
  readonly scriptSrc?: readonly string[];
  readonly connectSrc?: readonly string[];
  readonly imgSrc?: readonly string[];
}

// https hosts, and plain http only on this machine (the vendors' fakes in tests).
const SOURCE = /^(https:\/\/[A-Za-z0-9*.-]+(:\d+)?(\/[^\s;,']*)?|http:\/\/(localhost|127\.0\.0\.1)(:\d+)?|'self'|data:|blob:)$/;

/** Whether `source` may be written in the portal's CSP: an https source, http://localhost or http://127.0.0.1, 'self', data: or blob:. */
export function isCspSource(source: string): boolean {
  return SOURCE.test(source);
}

/**
 * The portal's Content-Security-Policy: everything from 'self', no inline script, no framing of the
 * portal, plus only the hosts in `extensions`. A source that is not an https origin (or
 * http://localhost / http://127.0.0.1 for tests, 'self', data:, blob:) is refused, so a typo cannot
 * open the policy.
 */
export function contentSecurityPolicy(extensions: CspExtensions = {}): string {
  const list = (name: string, extra: readonly string[] | undefined, base: string[] = ["'self'"]) => {
    for (const source of extra ?? []) if (!isCspSource(source)) throw new TypeError(`CSP ${name}: "${source}" is not an https source (write e.g. https://app.powerbi.com)`);
    return `${name} ${[...new Set([...base, ...(extra ?? [])])].join(' ')}`;
  };
  return [
    "default-src 'self'",
    list('script-src', extensions.scriptSrc),
    // ECharts sets inline styles on the elements it creates.
    "style-src 'self' 'unsafe-inline'",
    list('img-src', extensions.imgSrc, ["'self'", 'data:']),
    list('connect-src', extensions.connectSrc),
    list('frame-src', extensions.frameSrc, extensions.frameSrc?.length ? [] : ["'none'"]),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers on every response of the portal. */
export function securityHeaders(csp: string, secure: boolean): Record<string, string> {
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    ...(secure ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}
