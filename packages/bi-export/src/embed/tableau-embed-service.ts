import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { PublishError } from '../errors.js';
import { HttpClient, type HttpClientOptions } from '../publish/http-client.js';
import type { PortalUser } from '../serve/portal-user.js';
import type { TableauEmbedConfig } from './embed-config.js';

/** What GET /api/embed/tableau answers. */
export type TableauEmbedInfo =
  | { readonly auth: 'connected-app'; readonly src: string; readonly token: string; readonly expiry: string }
  | { readonly auth: 'trusted-ticket'; readonly src: string; readonly apiScript: string };

/** The Tableau user name of a portal user: the `tableau.users` mapping, else the same name. */
export function tableauUsername(config: Pick<TableauEmbedConfig, 'users'>, user: PortalUser): string {
  return config.users.get(user.name) ?? user.name;
}

/** The view's URL: `{server}/t/{site}/views/…` (no `/t/` on the Default site). */
export function viewUrl(config: Pick<TableauEmbedConfig, 'serverUrl' | 'site' | 'view'>, ticket?: string): string {
  const site = config.site ? `/t/${encodeURIComponent(config.site)}` : '';
  return `${config.serverUrl}${ticket ? `/trusted/${encodeURIComponent(ticket)}` : ''}${site}/${config.view}`;
}

/**
 * Tableau embedding: a connected-app JWT per page view (HS256, `kid` = secret id, `iss` = client
 * id, `aud` 'tableau', `sub` the Tableau user, a random `jti`, `scp` ['tableau:views:embed'], `exp`
 * at most 10 minutes away and never after the portal session ends, and the user's regions as a user
 * attribute for RLS — ['*'] for a user who sees every region, so a policy can refuse a JWT without
 * it), or, with `auth: trusted-ticket` for older Tableau Server, a ticket from `POST
 * {server}/trusted`, which carries no regions: refused for a region-limited user unless
 * `trusted_ticket_region_scope: workbook-user-filter` says the workbook limits rows by user.
 */
export class TableauEmbedService {
  readonly http: HttpClient;

  constructor(
    private readonly config: TableauEmbedConfig,
    http: Omit<HttpClientOptions, 'service' | 'secrets' | 'dryRun'> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.http = new HttpClient({ maxRetries: 3, retryBaseMs: 500, maxWaitMs: 10_000, ...http, service: 'Tableau', secrets: () => [config.secretValue] });
  }

  /** The embed config for one user; `sessionEndsAt` (epoch ms) caps the JWT's exp. */
  async embedInfo(user: PortalUser, sessionEndsAt?: number): Promise<TableauEmbedInfo> {
    if (this.config.auth === 'trusted-ticket') {
      return { auth: 'trusted-ticket', src: viewUrl(this.config, await this.trustedTicket(user)), apiScript: `${this.config.serverUrl}/javascripts/api/tableau-2.min.js` };
    }
    const { token, expiresAt } = await this.connectedAppToken(user, sessionEndsAt);
    return { auth: 'connected-app', src: viewUrl(this.config), token, expiry: new Date(expiresAt * 1000).toISOString() };
  }

  /** A connected-app JWT for one user (Tableau accepts each `jti` once), expiring no later than `sessionEndsAt`. */
  async connectedAppToken(user: PortalUser, sessionEndsAt?: number): Promise<{ token: string; expiresAt: number }> {
    const issuedAt = Math.floor(this.now() / 1000);
    const sessionEnd = sessionEndsAt === undefined ? Infinity : Math.floor(sessionEndsAt / 1000);
    const expiresAt = Math.max(issuedAt + 1, Math.min(issuedAt + this.config.tokenMinutes * 60, sessionEnd));
    // Every user gets the attribute (['*'] for all regions), so a data policy can deny a JWT without it.
    const claims: Record<string, unknown> = { [this.config.regionAttribute]: [...user.regions], scp: ['tableau:views:embed'] };
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: this.config.secretId, iss: this.config.clientId })
      .setIssuer(this.config.clientId)
      .setAudience('tableau')
      .setSubject(tableauUsername(this.config, user))
      .setJti(randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(new TextEncoder().encode(this.config.secretValue));
    return { token, expiresAt };
  }

  /** A trusted ticket: `POST {server}/trusted` with username and target_site; '-1' means refused. */
  async trustedTicket(user: PortalUser): Promise<string> {
    if (!user.regions.includes('*') && this.config.trustedTicketRegionScope !== 'workbook-user-filter') {
      throw new PublishError('no-region-limit', `${user.name} is limited to regions (${user.regions.join(', ')}) but a trusted ticket carries no region limit: use tableau.auth: connected-app, or set tableau.trusted_ticket_region_scope: workbook-user-filter once the workbook limits rows by Tableau user`);
    }
    const response = await this.http.send({
      method: 'POST',
      url: `${this.config.serverUrl}/trusted`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: tableauUsername(this.config, user), ...(this.config.site ? { target_site: this.config.site } : {}) }).toString(),
    });
    const ticket = response.text.trim();
    if (ticket === '-1' || ticket === '') {
      throw new PublishError('no-trusted-ticket', `Tableau refused a trusted ticket for ${tableauUsername(this.config, user)} (answered -1): add the portal's address to the server's trusted hosts (tsm authentication trusted configure -th) and check the user exists on site "${this.config.site}"`);
    }
    return ticket;
  }
}
