import { PublishError } from '../errors.js';
import { HttpClient, type HttpClientOptions } from '../publish/http-client.js';
import type { PortalUser } from '../serve/portal-user.js';
import type { PowerBiEmbedConfig } from './embed-config.js';

/** A powerbi-models BasicFilter on the region column. */
export interface RegionFilter {
  readonly $schema: 'http://powerbi.com/product/schema#basic';
  readonly target: { readonly table: string; readonly column: string };
  readonly operator: 'In';
  readonly values: readonly string[];
  readonly filterType: 1;
  readonly requireSingleSelection: false;
}

/** What GET /api/embed/powerbi answers: the page passes it to `powerbi.embed` as the report config. */
export interface PowerBiEmbedInfo {
  readonly type: 'report';
  readonly id: string;
  readonly embedUrl: string;
  readonly accessToken: string;
  readonly tokenType: 'Embed';
  /** ISO time the embed token expires. */
  readonly expiry: string;
  /** Milliseconds from now until it expires: the page schedules its renewal from this, whatever its own clock says. */
  readonly expiresInMs: number;
  readonly filters: readonly RegionFilter[];
}

/** The effective identity for row-level security (GenerateTokenRequestV2 `identities[]`). */
export interface EffectiveIdentity {
  readonly username: string;
  readonly roles: readonly string[];
  readonly datasets: readonly string[];
}

/** RLS roles for a user: one per region from the role template, or the all-regions role. */
export function rlsRoles(config: Pick<PowerBiEmbedConfig, 'rlsRole' | 'allRegionsRole'>, user: PortalUser): string[] {
  if (!config.rlsRole) return [];
  if (user.regions.includes('*')) return config.allRegionsRole ? [config.allRegionsRole] : [];
  const roles = config.rlsRole.includes('{region}') ? user.regions.map((r) => config.rlsRole!.replaceAll('{region}', r)) : [config.rlsRole];
  return [...new Set(roles)];
}

/** The report filter for a user's regions (none for a user who sees every region). */
export function regionFilters(config: Pick<PowerBiEmbedConfig, 'filter'>, user: PortalUser): RegionFilter[] {
  if (user.regions.includes('*')) return [];
  return [{ $schema: 'http://powerbi.com/product/schema#basic', target: { table: config.filter.table, column: config.filter.column }, operator: 'In', values: [...user.regions], filterType: 1, requireSingleSelection: false }];
}

/** How long the report's embedUrl and datasetId are reused, so that rebinding the report needs no restart. */
export const REPORT_INFO_TTL_MS = 10 * 60_000;

/**
 * Mints Power BI embed tokens for the portal ("embed for your customers"): an Azure AD
 * client-credentials token (kept until five minutes before it expires; one request shared by
 * concurrent callers; renewed once when Power BI answers 401 or 403), the report's embedUrl and
 * datasetId (kept ten minutes), then `POST /v1.0/myorg/GenerateToken` (GenerateTokenRequestV2, the
 * API Microsoft recommends over the per-report GenerateTokenInGroup) for that report and its
 * dataset, with the user's effective identity when RLS is configured, and a lifetime no longer than
 * the portal session. A region-limited user without an RLS identity is refused. Retries honour
 * Retry-After.
 */
export class PowerBiEmbedService {
  readonly http: HttpClient;
  private aad: { value: string; expiresAt: number } | undefined;
  private aadRequest: Promise<string> | undefined;
  private report: { info: Promise<{ embedUrl: string; datasetId: string }>; expiresAt: number } | undefined;

  constructor(
    private readonly config: PowerBiEmbedConfig,
    http: Omit<HttpClientOptions, 'service' | 'secrets' | 'dryRun'> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.http = new HttpClient({ maxRetries: 3, retryBaseMs: 500, maxWaitMs: 10_000, ...http, service: 'Power BI', secrets: () => [config.clientSecret, ...(this.aad ? [this.aad.value] : [])] });
  }

  /**
   * The embed config for one user (a fresh embed token each call). `sessionEndsAt` (epoch ms) caps
   * the token's lifetime: it does not outlive the portal session.
   */
  async embedInfo(user: PortalUser, sessionEndsAt?: number): Promise<PowerBiEmbedInfo> {
    const roles = rlsRoles(this.config, user);
    // Checked before any call: without an identity the token would read every region, and the
    // report filter the page applies can be removed by the user.
    if (!user.regions.includes('*') && roles.length === 0) {
      throw new PublishError('no-rls-role', `${user.name} is limited to regions (${user.regions.join(', ')}) but powerbi.rls_role is not set, so the embed token would read every region: set rls_role in the portal config`);
    }
    if (this.config.rlsRole && roles.length === 0) {
      throw new PublishError('no-rls-role', `${user.name} sees every region but powerbi.all_regions_role is not set, so no RLS role can be given: set all_regions_role in the portal config`);
    }
    const lifetimeInMinutes = this.lifetimeMinutes(sessionEndsAt);
    const report = await this.reportInfo();
    const body = {
      reports: [{ id: this.config.reportId }],
      datasets: [{ id: report.datasetId }],
      ...(roles.length > 0 ? { identities: [{ username: user.name, roles, datasets: [report.datasetId] } satisfies EffectiveIdentity] } : {}),
      ...(lifetimeInMinutes !== undefined ? { lifetimeInMinutes } : {}),
    };
    const token = await this.call<{ token?: string; expiration?: string }>('POST', `${this.config.apiUrl}/v1.0/myorg/GenerateToken`, body);
    if (!token?.token || !token.expiration || Number.isNaN(Date.parse(token.expiration))) throw new PublishError('no-embed-token', 'Power BI answered GenerateToken without a token or expiration');
    const expiresInMs = Math.max(0, Date.parse(token.expiration) - this.now());
    return { type: 'report', id: this.config.reportId, embedUrl: report.embedUrl, accessToken: token.token, tokenType: 'Embed', expiry: token.expiration, expiresInMs, filters: regionFilters(this.config, user) };
  }

  /** lifetimeInMinutes: the configured one, cut to the session's remaining time (whole minutes, at least 1); undefined for the service's default. */
  private lifetimeMinutes(sessionEndsAt: number | undefined): number | undefined {
    const configured = this.config.lifetimeMinutes > 0 ? this.config.lifetimeMinutes : Infinity;
    const session = sessionEndsAt === undefined ? Infinity : Math.max(1, Math.floor((sessionEndsAt - this.now()) / 60_000));
    const minutes = Math.min(configured, session);
    return Number.isFinite(minutes) ? minutes : undefined;
  }

  private reportInfo(): Promise<{ embedUrl: string; datasetId: string }> {
    if (this.report && this.now() < this.report.expiresAt) return this.report.info;
    const info = this.call<{ embedUrl?: string; datasetId?: string }>('GET', `${this.config.apiUrl}/v1.0/myorg/groups/${encodeURIComponent(this.config.workspaceId)}/reports/${encodeURIComponent(this.config.reportId)}`)
      .then((r) => {
        if (!r?.embedUrl || !r.datasetId) throw new PublishError('bad-report', `Power BI report ${this.config.reportId} has no embedUrl or datasetId: check powerbi.report_id`);
        return { embedUrl: r.embedUrl, datasetId: r.datasetId };
      })
      .catch((error: unknown) => {
        // A failed lookup (the request, or the answer) is not kept: the next call asks again.
        if (this.report?.info === info) this.report = undefined;
        throw error;
      });
    this.report = { info, expiresAt: this.now() + REPORT_INFO_TTL_MS };
    return info;
  }

  /** The Azure AD token: the cached one, or one request shared by every caller until it settles. */
  private accessToken(): Promise<string> {
    if (this.aad && this.now() < this.aad.expiresAt) return Promise.resolve(this.aad.value);
    this.aadRequest ??= this.requestAccessToken().finally(() => {
      this.aadRequest = undefined;
    });
    return this.aadRequest;
  }

  private async requestAccessToken(): Promise<string> {
    const response = await this.http.send({
      method: 'POST',
      url: `${this.config.authorityUrl}/${encodeURIComponent(this.config.tenantId)}/oauth2/v2.0/token`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: this.config.clientId, client_secret: this.config.clientSecret, scope: 'https://analysis.windows.net/powerbi/api/.default' }).toString(),
    });
    const token = response.json<{ access_token?: string; expires_in?: number }>();
    if (!token?.access_token) throw new PublishError('no-token', 'Azure AD answered the token request without an access_token: check powerbi.tenant_id and client_id');
    this.aad = { value: token.access_token, expiresAt: this.now() + Math.max(60, (token.expires_in ?? 3600) - 300) * 1000 };
    return this.aad.value;
  }

  /** A Power BI call; on 401 or 403 (e.g. TokenExpired) once more with a fresh Azure AD token. */
  private async call<T>(method: 'GET' | 'POST', url: string, json?: unknown): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken();
      try {
        const response = await this.http.send({
          method,
          url,
          headers: { Authorization: `Bearer ${token}`, ...(json !== undefined ? { 'Content-Type': 'application/json' } : {}) },
          ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
        });
        return response.json<T>();
      } catch (error) {
        const refused = error instanceof PublishError && (error.status === 401 || error.status === 403);
        if (!refused || attempt > 0) throw error;
        // Drop the token Power BI refused (unless a concurrent caller has replaced it already).
        if (this.aad?.value === token) this.aad = undefined;
      }
    }
  }
}
