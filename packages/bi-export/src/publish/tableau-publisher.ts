import { open, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { XMLBuilder } from 'fast-xml-parser';
import { PublishError } from '../errors.js';
import { HttpClient, type HttpClientOptions, type HttpRequest } from './http-client.js';
import { multipartMixed } from './multipart-mixed.js';
import type { TableauConfig } from './publish-config.js';

/** One file to publish as a data source. */
export interface TableauUpload {
  /** The data source's name on the site. */
  readonly name: string;
  readonly path: string;
  readonly description?: string;
}

export interface TableauPublishResult {
  readonly siteId: string;
  readonly projectId: string;
  readonly datasources: readonly { name: string; file: string; bytes: number; chunks: number; jobId?: string; datasourceId?: string }[];
}

interface Job {
  id: string;
  finishCode?: string;
  progress?: string;
  completedAt?: string;
  statusNotes?: { statusNote?: { type?: string; text?: string }[] };
}

const xml = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: true });

/**
 * `bi publish tableau`: signs in with a personal access token, then publishes each file as a data
 * source with overwrite: in one multipart/mixed request when small, else through a file upload
 * session in chunks (PUT per chunk), finished by the publish request with the upload session id.
 * Parquet extracts are published as jobs, polled until they finish; `.tds` files synchronously.
 * JSON answers (Accept: application/json); the publish payloads are the documented XML.
 */
export class TableauPublisher {
  readonly http: HttpClient;
  private token: string | undefined;
  private siteId = '';

  constructor(
    private readonly config: TableauConfig,
    http: Omit<HttpClientOptions, 'service' | 'secrets' | 'dryRun'> & { dryRun?: boolean; sleep?: (ms: number) => Promise<void> },
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.http = new HttpClient({
      ...http,
      service: 'Tableau',
      secrets: () => [config.patSecret, ...(this.token ? [this.token] : [])],
      dryRun: http.dryRun ? { respond: dryRunResponse } : undefined,
    });
    this.sleep = http.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private readonly sleep: (ms: number) => Promise<void>;

  private get api(): string {
    return `${this.config.serverUrl}/api/${this.config.apiVersion}`;
  }

  async publish(uploads: readonly TableauUpload[]): Promise<TableauPublishResult> {
    await this.signIn();
    try {
      const projectId = await this.projectId();
      const datasources: { name: string; file: string; bytes: number; chunks: number; jobId?: string; datasourceId?: string }[] = [];
      for (const upload of uploads) {
        const started = performance.now();
        const result = await this.publishOne(upload, projectId);
        datasources.push(result);
        this.log(`Tableau: ${upload.name.padEnd(34)} ${basename(upload.path)} ${result.bytes.toLocaleString('en')} bytes${result.chunks > 0 ? ` in ${result.chunks} chunk${result.chunks === 1 ? '' : 's'}` : ''}${result.jobId ? `, job ${result.jobId} finished` : ''} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
      return { siteId: this.siteId, projectId, datasources };
    } finally {
      await this.signOut();
    }
  }

  private async signIn(): Promise<void> {
    const response = await this.http.send({
      method: 'POST',
      url: `${this.api}/auth/signin`,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ credentials: { personalAccessTokenName: this.config.patName, personalAccessTokenSecret: this.config.patSecret, site: { contentUrl: this.config.site } } }),
    });
    const credentials = response.json<{ credentials?: { token?: string; site?: { id?: string } } }>()?.credentials;
    if (!credentials?.token || !credentials.site?.id) throw new PublishError('bad-signin', 'Tableau answered the sign-in without a token and site: check TABLEAU_SERVER_URL and TABLEAU_API_VERSION');
    this.token = credentials.token;
    this.siteId = credentials.site.id;
  }

  private async signOut(): Promise<void> {
    if (!this.token) return;
    await this.http.send({ method: 'POST', url: `${this.api}/auth/signout`, headers: this.headers() }).catch(() => undefined);
    this.token = undefined;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'X-Tableau-Auth': this.token ?? '', Accept: 'application/json', ...extra };
  }

  private async projectId(): Promise<string> {
    if (this.config.projectId) return this.config.projectId;
    const name = this.config.projectName;
    const response = await this.http.send({ method: 'GET', url: `${this.api}/sites/${this.siteId}/projects?filter=${encodeURIComponent(`name:eq:${name}`)}`, headers: this.headers() });
    const project = response.json<{ projects?: { project?: { id: string; name: string }[] } }>()?.projects?.project?.find((p) => p.name === name);
    if (!project) throw new PublishError('no-project', `the Tableau site has no project named "${name}": create it, or set TABLEAU_PROJECT (or TABLEAU_PROJECT_ID) to an existing one`);
    return project.id;
  }

  private async publishOne(upload: TableauUpload, projectId: string): Promise<{ name: string; file: string; bytes: number; chunks: number; jobId?: string; datasourceId?: string }> {
    const type = extname(upload.path).slice(1).toLowerCase();
    if (!['parquet', 'tds', 'tdsx', 'hyper'].includes(type)) throw new PublishError('bad-file-type', `${upload.path} cannot be published: Tableau takes parquet, tds, tdsx or hyper files`);
    const bytes = (await stat(upload.path)).size;
    const asJob = type === 'parquet' || type === 'hyper';
    const payload = xml.build({ tsRequest: { datasource: { '@_name': upload.name, ...(upload.description ? { '@_description': upload.description } : {}), project: { '@_id': projectId } } } }) as string;
    const query = new URLSearchParams({ datasourceType: type, overwrite: 'true', ...(asJob ? { asJob: 'true' } : {}) });
    let chunks = 0;
    let body: ReturnType<typeof multipartMixed>;
    if (bytes >= this.config.chunkThresholdBytes) {
      const session = (await this.http.send({ method: 'POST', url: `${this.api}/sites/${this.siteId}/fileUploads`, headers: this.headers() })).json<{ fileUpload?: { uploadSessionId?: string } }>()?.fileUpload?.uploadSessionId;
      if (!session) throw new PublishError('no-upload-session', 'Tableau answered Initiate File Upload without an upload session id');
      const handle = await open(upload.path, 'r');
      try {
        for (let offset = 0; offset < bytes; offset += this.config.chunkBytes) {
          const chunk = new Uint8Array(Math.min(this.config.chunkBytes, bytes - offset));
          await handle.read(chunk, 0, chunk.length, offset);
          const part = multipartMixed([
            { name: 'request_payload', contentType: 'text/xml', body: '' },
            { name: 'tableau_file', filename: 'file', contentType: 'application/octet-stream', body: chunk },
          ]);
          await this.http.send({ method: 'PUT', url: `${this.api}/sites/${this.siteId}/fileUploads/${session}`, headers: this.headers({ 'Content-Type': part.contentType }), body: part.body, display: part.display });
          chunks++;
        }
      } finally {
        await handle.close();
      }
      query.set('uploadSessionId', session);
      body = multipartMixed([{ name: 'request_payload', contentType: 'text/xml', body: payload }]);
    } else {
      const handle = await open(upload.path, 'r');
      const content = new Uint8Array(bytes);
      try {
        await handle.read(content, 0, bytes, 0);
      } finally {
        await handle.close();
      }
      body = multipartMixed([
        { name: 'request_payload', contentType: 'text/xml', body: payload },
        { name: 'tableau_datasource', filename: basename(upload.path), contentType: 'application/octet-stream', body: content },
      ]);
    }
    const response = await this.http.send({ method: 'POST', url: `${this.api}/sites/${this.siteId}/datasources?${query}`, headers: this.headers({ 'Content-Type': body.contentType }), body: body.body, display: body.display });
    const answer = response.json<{ job?: Job; datasource?: { id: string } }>();
    if (answer?.job) {
      await this.waitForJob(answer.job.id, upload.name);
      return { name: upload.name, file: upload.path, bytes, chunks, jobId: answer.job.id };
    }
    return { name: upload.name, file: upload.path, bytes, chunks, ...(answer?.datasource?.id ? { datasourceId: answer.datasource.id } : {}) };
  }

  /** Polls Query Job until it has a finishCode: 0 success, 1 failure, 2 cancelled. */
  private async waitForJob(jobId: string, name: string): Promise<void> {
    const deadline = Date.now() + this.config.jobTimeoutMs;
    for (;;) {
      const job = (await this.http.send({ method: 'GET', url: `${this.api}/sites/${this.siteId}/jobs/${jobId}`, headers: this.headers() })).json<{ job?: Job }>()?.job;
      const code = job?.finishCode;
      if (code !== undefined && code !== null && code !== '') {
        if (String(code) === '0') return;
        const notes = (job?.statusNotes?.statusNote ?? []).map((n) => n.text).filter(Boolean).join('; ');
        throw new PublishError('job-failed', `Tableau job ${jobId} publishing ${name} ${String(code) === '2' ? 'was cancelled' : 'failed'}${notes ? `: ${notes}` : ''}; see the job in Tableau's Jobs page, fix the cause and publish again`);
      }
      if (Date.now() > deadline) {
        throw new PublishError('job-timeout', `Tableau job ${jobId} publishing ${name} had not finished after ${(this.config.jobTimeoutMs / 1000).toFixed(0)} s: check it in Tableau's Jobs page, or raise TABLEAU_JOB_TIMEOUT_MS`);
      }
      if (this.http.dryRun) return;
      await this.sleep(this.config.jobPollMs);
    }
  }
}

function dryRunResponse(request: HttpRequest): unknown {
  if (request.url.endsWith('/auth/signin')) return { credentials: { token: 'dry-run-token', site: { id: '<site id>', contentUrl: '' }, user: { id: '<user id>' } } };
  if (request.url.includes('/projects?')) {
    const name = decodeURIComponent(/filter=name%3Aeq%3A([^&]*)/.exec(request.url)?.[1] ?? 'default');
    return { projects: { project: [{ id: '<project id>', name }] } };
  }
  if (request.method === 'POST' && request.url.endsWith('/fileUploads')) return { fileUpload: { uploadSessionId: '<upload session id>', fileSize: '0' } };
  if (request.method === 'POST' && request.url.includes('/datasources?')) return request.url.includes('asJob=true') ? { job: { id: '<job id>', mode: 'Asynchronous', type: 'PublishDatasource' } } : { datasource: { id: '<datasource id>' } };
  if (request.url.includes('/jobs/')) return { job: { id: '<job id>', finishCode: '0', progress: '100' } };
  return undefined;
}
