import { join } from 'node:path';
import { PublishError } from '../errors.js';
import type { ExtractFile, ExtractManifest } from '../extract/extract-manifest.js';
import type { MartSchema } from '../schema/mart.js';
import { measuresFor } from '../semantic/kpi-measures.js';
import { HttpClient, type HttpClientOptions, type HttpRequest } from './http-client.js';
import { parquetJsonBatches } from './parquet-rows.js';
import type { PowerBiConfig } from './publish-config.js';

/** The push dataset definition (REST `CreateDatasetRequest`). */
export interface PushDataset {
  readonly name: string;
  readonly defaultMode: 'Push';
  readonly tables: readonly PushTable[];
  readonly relationships?: readonly { name: string; fromTable: string; fromColumn: string; toTable: string; toColumn: string; crossFilteringBehavior: 'OneDirection' }[];
}

export interface PushTable {
  readonly name: string;
  readonly columns: readonly { name: string; dataType: string }[];
  readonly measures?: readonly { name: string; expression: string; formatString?: string; description?: string }[];
}

export interface PowerBiPublishResult {
  readonly datasetId: string;
  readonly created: boolean;
  readonly tables: readonly { name: string; rows: number; requests: number }[];
  readonly warnings: readonly string[];
}

/** Rows a basicFIFO push table keeps (older rows are dropped); a table without a policy keeps 5 million. */
const FIFO_ROWS = 200_000;
const MAX_ROWS = 5_000_000;

/** The push dataset for the Parquet extracts of a manifest: typed tables, KPI measures, relationships. */
export function pushDataset(manifest: ExtractManifest, files: readonly ExtractFile[], name: string): PushDataset {
  const marts = files.map((f) => ({ name: f.mart, columns: f.columns.map((c) => ({ name: c.name })) }));
  const measures = measuresFor({ marts } as unknown as MartSchema);
  const names = new Set(files.map((f) => f.mart));
  const relationships = manifest.relationships
    .map((r) => ({ from: r.from.split('.'), to: r.to.split('.'), test: r.test }))
    .filter((r) => names.has(r.from[0]!) && names.has(r.to[0]!))
    .map((r) => ({ name: `${r.from[0]}_${r.from[1]}__${r.to[0]}`, fromTable: r.from[0]!, fromColumn: r.from[1]!, toTable: r.to[0]!, toColumn: r.to[1]!, crossFilteringBehavior: 'OneDirection' as const }));
  return {
    name,
    defaultMode: 'Push',
    tables: files.map((f) => {
      const own = measures.filter((m) => m.table === f.mart).map((m) => ({ name: m.name, expression: m.expression, formatString: m.formatString, description: m.description }));
      return { name: f.mart, columns: f.columns.map((c) => ({ name: c.name, dataType: c.powerbi_type })), ...(own.length > 0 ? { measures: own } : {}) };
    }),
    ...(relationships.length > 0 ? { relationships } : {}),
  };
}

/**
 * `bi publish powerbi`: a push dataset from the extracts (created on first publish, its tables'
 * schemas updated after), then per table a full refresh: the rows are deleted and the Parquet
 * extract posted in batches of at most 10,000 rows, paced to the per-minute request limit.
 * Client-credentials token from Azure AD; retries with backoff honour Retry-After.
 */
export class PowerBiPublisher {
  readonly http: HttpClient;
  private token: { value: string; expiresAt: number } | undefined;
  private readonly posts: number[] = [];

  constructor(
    private readonly config: PowerBiConfig,
    http: Omit<HttpClientOptions, 'service' | 'secrets' | 'dryRun'> & { dryRun?: boolean },
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.http = new HttpClient({
      ...http,
      service: 'Power BI',
      secrets: () => [config.clientSecret, ...(this.token ? [this.token.value] : [])],
      dryRun: http.dryRun ? { respond: dryRunResponse } : undefined,
    });
  }

  private get groupUrl(): string {
    return `${this.config.apiUrl}/v1.0/myorg/groups/${encodeURIComponent(this.config.workspaceId)}`;
  }

  async publish(manifest: ExtractManifest, outDir: string, files: readonly ExtractFile[]): Promise<PowerBiPublishResult> {
    const definition = pushDataset(manifest, files, this.config.datasetName);
    const warnings: string[] = [];
    for (const file of files) {
      const cap = this.config.retention === 'basicFIFO' ? FIFO_ROWS : MAX_ROWS;
      if (file.rows > cap) {
        warnings.push(`${file.mart} has ${file.rows.toLocaleString('en')} rows but a ${this.config.retention} push table keeps ${cap.toLocaleString('en')}${this.config.retention === 'basicFIFO' ? ' (the newest); publish with --retention none to keep up to 5,000,000' : ''}`);
      }
    }
    for (const warning of warnings) this.log(`warning: ${warning}`);

    const existing = (await this.request<{ value: { id: string; name: string }[] }>({ method: 'GET', url: `${this.groupUrl}/datasets` })).value.find((d) => d.name === definition.name);
    let datasetId: string;
    if (existing) {
      datasetId = existing.id;
      const tables = (await this.request<{ value: { name: string }[] }>({ method: 'GET', url: `${this.groupUrl}/datasets/${datasetId}/tables` })).value.map((t) => t.name);
      const missing = definition.tables.filter((t) => !tables.includes(t.name)).map((t) => t.name);
      if (missing.length > 0) {
        throw new PublishError('dataset-tables', `the push dataset "${definition.name}" has no table ${missing.join(', ')}, and tables cannot be added to a push dataset: delete the dataset in Power BI, or publish to another with POWERBI_DATASET_NAME or --dataset-name`);
      }
      for (const table of definition.tables) {
        await this.request({ method: 'PUT', url: `${this.groupUrl}/datasets/${datasetId}/tables/${encodeURIComponent(table.name)}`, json: table });
      }
      this.log(`Power BI: push dataset "${definition.name}" (${datasetId}) found; table schemas updated`);
    } else {
      const created = await this.request<{ id: string }>({ method: 'POST', url: `${this.groupUrl}/datasets?defaultRetentionPolicy=${this.config.retention === 'basicFIFO' ? 'basicFIFO' : 'None'}`, json: definition });
      datasetId = created.id;
      this.log(`Power BI: push dataset "${definition.name}" created (${datasetId})`);
    }

    const results: { name: string; rows: number; requests: number }[] = [];
    for (const file of files) {
      const rowsUrl = `${this.groupUrl}/datasets/${datasetId}/tables/${encodeURIComponent(file.mart)}/rows`;
      await this.request({ method: 'DELETE', url: rowsUrl });
      let rows = 0;
      let requests = 0;
      const started = performance.now();
      for await (const batch of parquetJsonBatches(join(outDir, file.path), file.columns, this.config.rowsPerRequest)) {
        await this.pace();
        await this.request({ method: 'POST', url: rowsUrl, json: { rows: batch }, display: `{"rows": [${batch.length.toLocaleString('en')} rows]} first: ${JSON.stringify(batch[0])}` });
        rows += batch.length;
        requests++;
      }
      results.push({ name: file.mart, rows, requests });
      this.log(`Power BI: ${file.mart.padEnd(34)} ${rows.toLocaleString('en').padStart(10)} rows in ${requests} request${requests === 1 ? '' : 's'} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    }
    return { datasetId, created: !existing, tables: results, warnings };
  }

  /** Waits while the last `requestsPerMinute` row posts all fell in the past minute. */
  private async pace(): Promise<void> {
    if (this.http.dryRun) return;
    const limit = this.config.requestsPerMinute;
    const now = Date.now();
    while (this.posts.length > 0 && now - this.posts[0]! >= 60_000) this.posts.shift();
    if (this.posts.length >= limit) {
      const wait = 60_000 - (now - this.posts[0]!);
      this.log(`Power BI: ${limit} row requests in the past minute (the dataset's limit); waiting ${(wait / 1000).toFixed(1)} s`);
      await new Promise((resolve) => setTimeout(resolve, wait));
      this.posts.shift();
    }
    this.posts.push(Date.now());
  }

  private async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return this.token.value;
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.config.clientId,
      client_secret: this.config.clientSecret,
      scope: 'https://analysis.windows.net/powerbi/api/.default',
    }).toString();
    const response = await this.http.send({
      method: 'POST',
      url: `${this.config.authorityUrl}/${encodeURIComponent(this.config.tenantId)}/oauth2/v2.0/token`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
    const token = response.json<{ access_token?: string; expires_in?: number }>();
    if (!token?.access_token) throw new PublishError('no-token', 'Azure AD answered the token request without an access_token: check POWERBI_TENANT_ID and POWERBI_CLIENT_ID');
    // Renewed five minutes before it expires, so that a long publish never sends a stale one.
    this.token = { value: token.access_token, expiresAt: Date.now() + Math.max(60, (token.expires_in ?? 3600) - 300) * 1000 };
    return this.token.value;
  }

  private async request<T = unknown>(request: Omit<HttpRequest, 'headers' | 'body'> & { json?: unknown }): Promise<T> {
    const token = await this.accessToken();
    const body = request.json === undefined ? undefined : JSON.stringify(request.json);
    const response = await this.http.send({
      method: request.method,
      url: request.url,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body } : {}),
      ...(request.display !== undefined ? { display: request.display } : body !== undefined ? { display: JSON.stringify(request.json, null, 2) } : {}),
    });
    return response.json<T>();
  }
}

/** What --dry-run pretends the service answered, so that the whole flow prints. */
function dryRunResponse(request: HttpRequest): unknown {
  if (request.url.includes('/oauth2/')) return { token_type: 'Bearer', expires_in: 3599, access_token: 'dry-run-token' };
  if (request.method === 'GET' && request.url.endsWith('/datasets')) return { value: [] };
  if (request.method === 'POST' && request.url.includes('/datasets?')) return { id: '<new dataset id>' };
  return undefined;
}
