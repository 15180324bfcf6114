import { randomUUID } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { FakeServer, parseMultipart, type FakeReply, type RecordedRequest } from './fake-server.js';

/**
 * A fake of Tableau's REST API for publishing data sources, checking every request against the
 * documented shapes and limits: sign-in with a personal access token (JSON), X-Tableau-Auth on
 * every other call, Query Projects, Initiate / Append to File Upload (multipart/mixed with an
 * empty request_payload and a tableau_file part, at most 64 MB per chunk), Publish Data Source
 * (multipart/mixed with a request_payload <tsRequest><datasource name><project id/></...> and a
 * tableau_datasource file part of at most 64 MB, or an uploadSessionId), datasourceType matching
 * the file, overwrite, asJob, and Query Job (finishCode once the job is done). For embedding: the
 * connected-app sign-in that <tableau-viz> posts (`POST /vizportal/api/web/v1/auth/embed/signin`,
 * JSON {siteName, jwt}, with CORS for the portal's origin), which verifies the JWT (HS256 signature
 * with the shared secret, kid, iss, aud 'tableau', sub, scp, exp at most 10 minutes after iat, a
 * jti never seen before); trusted tickets (`POST /trusted`, redeemed once at `/trusted/{ticket}/…`);
 * view pages; and a stub of the v2 JS API at /javascripts/api/tableau-2.min.js.
 */
export interface TableauFakeOptions {
  readonly apiVersion: string;
  readonly site: string;
  readonly patName: string;
  readonly patSecret: string;
  readonly projects?: readonly string[];
  /** Polls a job takes before it finishes (default 2). */
  readonly jobPolls?: number;
  /** finishCode of finished jobs (default '0', success). */
  readonly jobFinishCode?: string;
  /** The connected app whose JWTs the embed sign-in accepts. */
  readonly connectedApp?: { readonly clientId: string; readonly secretId: string; readonly secretValue: string };
  /** Tableau users (for the JWT sub and trusted tickets); any name when absent. */
  readonly users?: readonly string[];
}

/** An embed sign-in the fake saw: the JWT's claims, and whether it accepted it (and why not). */
export interface EmbedSignIn {
  readonly siteName: unknown;
  /** The JWT posted (tests find their own sign-in by it). */
  readonly jwt?: unknown;
  readonly header?: Record<string, unknown>;
  readonly claims?: JWTPayload;
  readonly accepted: boolean;
  readonly reason?: string;
}

const SIGN_IN = '/vizportal/api/web/v1/auth/embed/signin';

export interface PublishedDataSource {
  id: string;
  name: string;
  projectId: string;
  type: string;
  filename: string;
  content: Buffer;
  viaUploadSession: boolean;
  chunks: number;
  overwrites: number;
}

const MAX_BYTES = 64 * 1024 * 1024;
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_' });

export class TableauFake extends FakeServer {
  readonly siteId = randomUUID();
  readonly datasources: PublishedDataSource[] = [];
  readonly projects: { id: string; name: string }[];
  readonly embedSignIns: EmbedSignIn[] = [];
  readonly tickets = new Map<string, { username: string; site: string; redeemed: boolean }>();
  private readonly jtis = new Set<string>();
  private readonly tokens = new Set<string>();
  private readonly uploads = new Map<string, Buffer[]>();
  private readonly jobs = new Map<string, { polls: number; datasource: string }>();

  constructor(readonly options: TableauFakeOptions) {
    super((request) => this.route(request));
    this.projects = (options.projects ?? ['default']).map((name) => ({ id: randomUUID(), name }));
  }

  private route(request: RecordedRequest): FakeReply | Promise<FakeReply> {
    if (request.path === SIGN_IN) return request.method === 'OPTIONS' ? { status: 204, headers: cors(request) } : this.embedSignIn(request);
    if (request.path === '/trusted' && request.method === 'POST') return this.trusted(request);
    if (request.path === '/javascripts/api/tableau-2.min.js') return { status: 200, body: TABLEAU_V2_STUB, headers: { 'Content-Type': 'text/javascript' } };
    const ticketed = /^\/trusted\/([^/]+)(\/.*)$/.exec(request.path);
    if (ticketed) {
      const ticket = this.tickets.get(decodeURIComponent(ticketed[1]!));
      if (!ticket || ticket.redeemed) return { status: 401, body: '<!doctype html><title>Ticket</title><p>Invalid or used ticket', headers: { 'Content-Type': 'text/html' } };
      ticket.redeemed = true;
    }
    if (/^(\/trusted\/[^/]+)?(\/t\/[^/]+)?\/views\//.test(request.path)) return { status: 200, body: `<!doctype html><title>View</title><p>Fake Tableau view ${request.path}`, headers: { 'Content-Type': 'text/html' } };
    const api = `/api/${this.options.apiVersion}`;
    if (!request.path.startsWith(`${api}/`)) return error(404, '404000', 'Resource Not Found', `no API version in ${request.path}`);
    const path = request.path.slice(api.length);
    if (path === '/auth/signin' && request.method === 'POST') return this.signIn(request);

    const token = request.headers['x-tableau-auth'];
    if (typeof token !== 'string' || !this.tokens.has(token)) return error(401, '401002', 'Unauthorized Access', 'Invalid authentication credentials were provided.');
    if (path === '/auth/signout' && request.method === 'POST') {
      this.tokens.delete(token);
      return { status: 204 };
    }
    const site = /^\/sites\/([^/]+)(\/.*)$/.exec(path);
    if (!site || site[1] !== this.siteId) return error(404, '404000', 'Site not found', `no site ${site?.[1]}`);
    const rest = site[2]!;
    let m: RegExpExecArray | null;

    if (rest === '/projects' && request.method === 'GET') {
      const filter = /^name:eq:(.*)$/.exec(request.query.get('filter') ?? '');
      const list = filter ? this.projects.filter((p) => p.name === filter[1]) : this.projects;
      return ok({ pagination: { pageNumber: '1', pageSize: '100', totalAvailable: String(list.length) }, projects: { project: list } });
    }
    if (rest === '/fileUploads' && request.method === 'POST') {
      const id = `${randomUUID()}:0`;
      this.uploads.set(id, []);
      return { status: 201, body: { fileUpload: { uploadSessionId: id, fileSize: '0' } } };
    }
    if ((m = /^\/fileUploads\/([^/]+)$/.exec(rest)) && request.method === 'PUT') {
      const chunks = this.uploads.get(decodeURIComponent(m[1]!));
      if (!chunks) return error(404, '404003', 'Upload Session Not Found', 'no such upload session');
      const parts = parseMultipart(request.headers['content-type'], request.body);
      const payload = parts.find((p) => p.name === 'request_payload');
      const file = parts.find((p) => p.name === 'tableau_file');
      if (!payload || !file || parts.length !== 2) return error(400, '400000', 'Bad Request', 'Append to File Upload takes a request_payload part and a tableau_file part');
      if (file.body.length > MAX_BYTES) return error(400, '400016', 'Bad Request', 'A chunk may be at most 64 MB');
      if (file.contentType !== 'application/octet-stream') return error(400, '400000', 'Bad Request', 'tableau_file must be application/octet-stream');
      chunks.push(Buffer.from(file.body));
      const size = chunks.reduce((n, c) => n + c.length, 0);
      return ok({ fileUpload: { uploadSessionId: m[1], fileSize: String(Math.ceil(size / 1024 / 1024)) } });
    }
    if (rest === '/datasources' && request.method === 'POST') return this.publish(request);
    if ((m = /^\/jobs\/([^/]+)$/.exec(rest)) && request.method === 'GET') {
      const job = this.jobs.get(m[1]!);
      if (!job) return error(404, '404031', 'Job Not Found', 'no such job');
      job.polls++;
      const done = job.polls >= (this.options.jobPolls ?? 2);
      return ok({
        job: {
          id: m[1],
          mode: 'Asynchronous',
          type: 'PublishDatasource',
          progress: done ? '100' : '50',
          createdAt: new Date().toISOString(),
          ...(done ? { completedAt: new Date().toISOString(), finishCode: this.options.jobFinishCode ?? '0' } : {}),
          ...(done && (this.options.jobFinishCode ?? '0') !== '0' ? { statusNotes: { statusNote: [{ type: 'ErrorInfo', text: 'The extract could not be created from the file' }] } } : {}),
        },
      });
    }
    return error(404, '404000', 'Resource Not Found', `no such endpoint ${request.method} ${request.path}`);
  }

  private async embedSignIn(request: RecordedRequest): Promise<FakeReply> {
    const app = this.options.connectedApp;
    let body: { siteName?: unknown; jwt?: unknown };
    try {
      body = JSON.parse(request.body.toString()) as typeof body;
    } catch {
      body = {};
    }
    // Tableau's connected-app error codes: 5 SYSTEM_USER_NOT_FOUND, 16 LOGIN_FAILED (bad claims, exp over 10 minutes, …).
    const refuse = (reason: string, extra: Partial<EmbedSignIn> = {}): FakeReply => {
      this.embedSignIns.push({ siteName: body.siteName, jwt: body.jwt, accepted: false, reason, ...extra });
      const code = reason.startsWith('no user') ? 5 : 16;
      return { status: 401, body: { result: { errors: [{ code, summary: code === 5 ? 'SYSTEM_USER_NOT_FOUND' : 'LOGIN_FAILED', message: reason }] } }, headers: cors(request) };
    };
    if (request.method !== 'POST') return refuse('POST only');
    if (!String(request.headers['content-type']).startsWith('application/json')) return refuse('the sign-in body must be JSON');
    if (!app) return refuse('no connected app is enabled on this site');
    if (typeof body.jwt !== 'string') return refuse('no jwt in the body');
    if (body.siteName !== this.options.site) return refuse(`siteName ${JSON.stringify(body.siteName)} is not the site ${JSON.stringify(this.options.site)}`);
    let header: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(body.jwt) as Record<string, unknown>;
    } catch {
      return refuse('the jwt is not a JWT');
    }
    if (header.alg !== 'HS256') return refuse(`alg ${String(header.alg)} is not HS256`, { header });
    if (header.kid !== app.secretId) return refuse('the kid is not the connected app\'s secret id', { header });
    if (header.iss !== app.clientId) return refuse('the header iss is not the connected app\'s client id', { header });
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(body.jwt, new TextEncoder().encode(app.secretValue), { algorithms: ['HS256'], issuer: app.clientId, audience: 'tableau', requiredClaims: ['sub', 'jti', 'exp'] }));
    } catch (error) {
      return refuse(`the jwt was refused: ${(error as Error).message}`, { header });
    }
    const issuedAt = claims.iat ?? Math.floor(Date.now() / 1000);
    if (claims.exp! - issuedAt > 600) return refuse('exp is more than 10 minutes after iat', { header, claims });
    if (!Array.isArray(claims.scp) || !claims.scp.includes('tableau:views:embed')) return refuse('scp does not include tableau:views:embed', { header, claims });
    if (this.jtis.has(claims.jti!)) return refuse('the jti was used before', { header, claims });
    this.jtis.add(claims.jti!);
    if (this.options.users && !this.options.users.includes(claims.sub!)) return refuse(`no user ${claims.sub} on the site`, { header, claims });
    this.embedSignIns.push({ siteName: body.siteName, jwt: body.jwt, header, claims, accepted: true });
    return { status: 200, body: { result: { session: { siteName: body.siteName } } }, headers: { ...cors(request), 'Set-Cookie': `workgroup_session_id=${randomUUID()}; Path=/; Secure; HttpOnly; SameSite=None` } };
  }

  private trusted(request: RecordedRequest): FakeReply {
    const form = new URLSearchParams(request.body.toString());
    const username = form.get('username') ?? '';
    const site = form.get('target_site') ?? '';
    const text = (body: string): FakeReply => ({ status: 200, body, headers: { 'Content-Type': 'text/plain' } });
    if (!String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return text('-1');
    if (!username || site !== this.options.site || (this.options.users && !this.options.users.includes(username))) return text('-1');
    const ticket = `${randomUUID().replaceAll('-', '').slice(0, 24)}-${randomUUID().slice(0, 8)}`;
    this.tickets.set(ticket, { username, site, redeemed: false });
    return text(ticket);
  }

  private signIn(request: RecordedRequest): FakeReply {
    if (!String(request.headers['content-type']).startsWith('application/json')) return error(415, '415000', 'Unsupported Media Type', 'send JSON');
    const body = JSON.parse(request.body.toString()) as { credentials?: { personalAccessTokenName?: string; personalAccessTokenSecret?: string; site?: { contentUrl?: string } } };
    const c = body.credentials;
    if (c?.personalAccessTokenName !== this.options.patName || c.personalAccessTokenSecret !== this.options.patSecret) return error(401, '401001', 'Signin Error', 'Error signing in to Tableau Server');
    if (c.site?.contentUrl !== this.options.site) return error(401, '401001', 'Signin Error', `no site with the contentUrl ${c.site?.contentUrl}`);
    const token = `fake-${randomUUID()}`;
    this.tokens.add(token);
    return ok({ credentials: { token, site: { id: this.siteId, contentUrl: this.options.site }, user: { id: randomUUID() }, estimatedTimeToExpiration: '365:00:00' } });
  }

  private publish(request: RecordedRequest): FakeReply {
    const type = request.query.get('datasourceType');
    if (!type || !['tds', 'tdsx', 'tde', 'hyper', 'parquet'].includes(type)) return error(400, '400008', 'Bad Request', `datasourceType ${type} is not tds, tdsx, tde, hyper or parquet`);
    const parts = parseMultipart(request.headers['content-type'], request.body);
    const payload = parts.find((p) => p.name === 'request_payload');
    if (!payload) return error(400, '400000', 'Bad Request', 'no request_payload part');
    if (payload.contentType !== 'text/xml' && payload.contentType !== 'application/xml') return error(400, '400000', 'Bad Request', 'request_payload must be text/xml');
    const text = payload.body.toString();
    if (XMLValidator.validate(text) !== true) return error(400, '400000', 'Bad Request', 'request_payload is not well-formed XML');
    const datasource = parser.parse(text)?.tsRequest?.datasource;
    const name = datasource?.['@_name'];
    const projectId = datasource?.project?.['@_id'];
    if (!name || !projectId) return error(400, '400000', 'Bad Request', 'request_payload needs <tsRequest><datasource name="…"><project id="…"/></datasource></tsRequest>');
    if (!this.projects.some((p) => p.id === projectId)) return error(404, '404005', 'Project Not Found', 'no such project');

    const sessionId = request.query.get('uploadSessionId');
    let content: Buffer;
    let filename = '';
    let chunks = 0;
    if (sessionId) {
      if (parts.length !== 1) return error(400, '400000', 'Bad Request', 'with an uploadSessionId, the body has only the request_payload part');
      const uploaded = this.uploads.get(sessionId);
      if (!uploaded) return error(404, '404003', 'Upload Session Not Found', 'no such upload session');
      content = Buffer.concat(uploaded);
      chunks = uploaded.length;
      this.uploads.delete(sessionId);
    } else {
      const file = parts.find((p) => p.name === 'tableau_datasource');
      if (!file?.filename) return error(400, '400000', 'Bad Request', 'no tableau_datasource part with a filename');
      if (file.body.length > MAX_BYTES) return error(413, '413000', 'Payload Too Large', 'a file of more than 64 MB must be uploaded in chunks');
      if (!file.filename.toLowerCase().endsWith(`.${type}`)) return error(400, '400008', 'Bad Request', `the file ${file.filename} is not a ${type} file`);
      content = Buffer.from(file.body);
      filename = file.filename;
    }
    if (type === 'parquet' && content.subarray(0, 4).toString() !== 'PAR1') return error(400, '400011', 'Bad Request', 'the file is not Parquet');
    if (type === 'tds' && XMLValidator.validate(content.toString()) !== true) return error(400, '400011', 'Bad Request', 'the .tds file is not well-formed XML');

    const existing = this.datasources.find((d) => d.name === name && d.projectId === projectId);
    if (existing && request.query.get('overwrite') !== 'true') return error(409, '409004', 'Resource Conflict', `a data source named ${name} already exists in the project`);
    const record: PublishedDataSource = existing ?? { id: randomUUID(), name, projectId, type, filename, content, viaUploadSession: !!sessionId, chunks, overwrites: -1 };
    Object.assign(record, { type, filename, content, viaUploadSession: !!sessionId, chunks, overwrites: record.overwrites + 1 });
    if (!existing) this.datasources.push(record);
    if (request.query.get('asJob') === 'true') {
      const id = randomUUID();
      this.jobs.set(id, { polls: 0, datasource: record.id });
      return { status: 202, body: { job: { id, mode: 'Asynchronous', type: 'PublishDatasource', createdAt: new Date().toISOString() } } };
    }
    return { status: 201, body: { datasource: { id: record.id, name, project: { id: projectId } } } };
  }
}

const ok = (body: unknown): FakeReply => ({ status: 200, body });
/** CORS for a credentialed cross-origin request from the embedding page. */
const cors = (request: RecordedRequest): Record<string, string> => ({
  'Access-Control-Allow-Origin': String(request.headers.origin ?? '*'),
  'Access-Control-Allow-Credentials': 'true',
  'Access-Control-Allow-Methods': 'POST',
  'Access-Control-Allow-Headers': 'content-type',
  Vary: 'Origin',
});
/** Enough of the v2 JS API for a page to embed a view: an iframe on the URL, then onFirstInteractive. */
const TABLEAU_V2_STUB = `window.tableau = { Viz: function (element, url, options) {
  var frame = document.createElement('iframe'); frame.src = url; frame.style.width = '100%'; frame.style.height = '100%';
  frame.onload = function () { if (options && options.onFirstInteractive) options.onFirstInteractive({}); };
  element.appendChild(frame);
} };`;
const error = (status: number, code: string, summary: string, detail: string): FakeReply => ({ status, body: { error: { code, summary, detail } } });
