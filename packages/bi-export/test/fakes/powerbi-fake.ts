import { randomUUID } from 'node:crypto';
import { FakeServer, type FakeReply, type RecordedRequest } from './fake-server.js';

/**
 * A fake of Azure AD's token endpoint and the Power BI REST API for push datasets, checking every
 * request against the documented shapes and limits: client-credentials form, bearer token,
 * CreateDatasetRequest (Push mode, ≤ 75 tables and columns, known data types, relationships between
 * existing columns), PUT table, DELETE rows, POST rows (1 to 10,000 rows whose values match the
 * column types). It keeps the rows, so tests can compare them with the extracts. For embedding:
 * GET report and GenerateToken (GenerateTokenRequestV2: at most 50 reports, datasets and target
 * workspaces, known ids, an effective identity with username, roles and datasets exactly when the
 * dataset has row-level security, roles that exist, a positive lifetimeInMinutes).
 */
export interface PowerBiFakeOptions {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly workspaceId: string;
  /** Reports in the workspace, for embedding (GET report, GenerateToken). */
  readonly reports?: readonly FakeReport[];
  /** Embed token lifetime when the request sets none (default 60 minutes). */
  readonly embedTokenMinutes?: number;
}

/** A report to embed; with `rlsRoles` its dataset has row-level security and these roles. */
export interface FakeReport {
  readonly id: string;
  readonly name: string;
  readonly datasetId: string;
  readonly rlsRoles?: readonly string[];
}

/** An embed token the fake gave, with the request it answered. */
export interface IssuedEmbedToken {
  readonly token: string;
  readonly expiration: string;
  readonly request: any;
}

interface FakeTable {
  name: string;
  columns: { name: string; dataType: string }[];
  measures?: { name: string; expression: string }[];
}

export interface FakeDataset {
  id: string;
  name: string;
  retention: string;
  tables: FakeTable[];
  relationships: { fromTable: string; fromColumn: string; toTable: string; toColumn: string }[];
  rows: Map<string, Record<string, unknown>[]>;
}

const TYPES = new Set(['int64', 'double', 'boolean', 'datetime', 'string', 'decimal']);
const SCOPE = 'https://analysis.windows.net/powerbi/api/.default';

export class PowerBiFake extends FakeServer {
  readonly datasets: FakeDataset[] = [];
  readonly embedTokens: IssuedEmbedToken[] = [];
  private readonly tokens = new Set<string>();

  constructor(readonly options: PowerBiFakeOptions) {
    super((request) => this.route(request));
  }

  /** Forgets every Azure AD token given so far: the next call with one is answered 403 TokenExpired, as Power BI does. */
  expireAccessTokens(): void {
    this.tokens.clear();
  }

  private route(request: RecordedRequest): FakeReply {
    const tokenPath = `/${this.options.tenantId}/oauth2/v2.0/token`;
    if (request.path === tokenPath) return this.token(request);
    if (request.path.endsWith('/oauth2/v2.0/token')) return error(400, 'invalid_request', "AADSTS90002: Tenant not found.");

    const auth = request.headers.authorization;
    if (!auth) return error(401, 'PowerBINotAuthorizedException', 'The request has no Authorization header');
    if (!auth.startsWith('Bearer ') || !this.tokens.has(auth.slice(7))) return error(403, 'TokenExpired', 'Access token has expired or is not valid');

    if (request.path === '/v1.0/myorg/GenerateToken') return request.method === 'POST' ? this.generateToken(json(request)) : error(405, 'MethodNotAllowed', 'POST only');

    const group = /^\/v1\.0\/myorg\/groups\/([^/]+)(\/.*)$/.exec(request.path);
    if (!group) return error(404, 'NotFound', `no such endpoint ${request.method} ${request.path}`);
    if (decodeURIComponent(group[1]!) !== this.options.workspaceId) return error(404, 'PowerBIEntityNotFound', 'Workspace not found');
    const rest = group[2]!;
    let m: RegExpExecArray | null;

    if ((m = /^\/reports\/([^/]+)$/.exec(rest)) && request.method === 'GET') {
      const report = this.options.reports?.find((r) => r.id === decodeURIComponent(m![1]!));
      if (!report) return error(404, 'PowerBIEntityNotFound', 'Report not found');
      return ok({ id: report.id, name: report.name, reportType: 'PowerBIReport', datasetId: report.datasetId, datasetWorkspaceId: this.options.workspaceId, embedUrl: `https://app.powerbi.com/reportEmbed?reportId=${report.id}&groupId=${this.options.workspaceId}&w=2`, webUrl: `https://app.powerbi.com/groups/${this.options.workspaceId}/reports/${report.id}` });
    }
    if (rest === '/datasets' && request.method === 'GET') {
      return ok({ value: this.datasets.map((d) => ({ id: d.id, name: d.name, addRowsAPIEnabled: true })) });
    }
    if (rest === '/datasets' && request.method === 'POST') {
      const policy = request.query.get('defaultRetentionPolicy') ?? 'None';
      if (!['None', 'basicFIFO'].includes(policy)) return error(400, 'InvalidRequest', `defaultRetentionPolicy ${policy} is not None or basicFIFO`);
      const body = json(request);
      const problem = checkDataset(body);
      if (problem) return error(400, 'InvalidRequest', problem);
      const dataset: FakeDataset = { id: randomUUID(), name: body.name, retention: policy, tables: body.tables, relationships: body.relationships ?? [], rows: new Map(body.tables.map((t: FakeTable) => [t.name, []])) };
      this.datasets.push(dataset);
      return { status: 201, body: { id: dataset.id, name: dataset.name, defaultRetentionPolicy: policy } };
    }
    if ((m = /^\/datasets\/([^/]+)\/tables$/.exec(rest)) && request.method === 'GET') {
      const dataset = this.datasets.find((d) => d.id === m![1]);
      return dataset ? ok({ value: dataset.tables.map((t) => ({ name: t.name })) }) : error(404, 'ItemNotFound', 'Dataset not found');
    }
    if ((m = /^\/datasets\/([^/]+)\/tables\/([^/]+)$/.exec(rest)) && request.method === 'PUT') {
      const dataset = this.datasets.find((d) => d.id === m![1]);
      if (!dataset) return error(404, 'ItemNotFound', 'Dataset not found');
      const name = decodeURIComponent(m[2]!);
      const index = dataset.tables.findIndex((t) => t.name === name);
      if (index === -1) return error(404, 'ItemNotFound', `Table ${name} not found`);
      const body = json(request);
      const problem = checkTable(body);
      if (problem) return error(400, 'InvalidRequest', problem);
      if (body.name !== name) return error(400, 'InvalidRequest', 'the table name in the body differs from the one in the URL');
      dataset.tables[index] = body;
      return ok(body);
    }
    if ((m = /^\/datasets\/([^/]+)\/tables\/([^/]+)\/rows$/.exec(rest))) {
      const dataset = this.datasets.find((d) => d.id === m![1]);
      if (!dataset) return error(404, 'ItemNotFound', 'Dataset not found');
      const name = decodeURIComponent(m[2]!);
      const table = dataset.tables.find((t) => t.name === name);
      if (!table) return error(404, 'ItemNotFound', `Table ${name} not found`);
      if (request.method === 'DELETE') {
        dataset.rows.set(name, []);
        return ok(undefined);
      }
      if (request.method === 'POST') {
        const body = json(request);
        if (!Array.isArray(body?.rows)) return error(400, 'InvalidRequest', 'the body must be {"rows": [...]}');
        if (body.rows.length === 0) return error(400, 'InvalidRequest', 'no rows');
        if (body.rows.length > 10_000) return error(400, 'InvalidRequest', `Request has ${body.rows.length} rows; the maximum is 10000 rows per request`);
        const types = new Map(table.columns.map((c) => [c.name, c.dataType.toLowerCase()]));
        for (const [i, row] of (body.rows as Record<string, unknown>[]).entries()) {
          for (const [key, value] of Object.entries(row)) {
            const type = types.get(key);
            if (!type) return error(400, 'InvalidRequest', `row ${i}: ${key} is not a column of ${name}`);
            if (!valueFits(type, value)) return error(400, 'InvalidRequest', `row ${i}: ${JSON.stringify(value)} is not a valid ${type} for column ${key}`);
          }
        }
        dataset.rows.get(name)!.push(...body.rows);
        return ok(undefined);
      }
    }
    return error(404, 'NotFound', `no such endpoint ${request.method} ${request.path}`);
  }

  private generateToken(body: any): FakeReply {
    const reports = this.options.reports ?? [];
    const list = (name: string): any[] | FakeReply => {
      const value = body?.[name] ?? [];
      if (!Array.isArray(value)) return error(400, 'InvalidRequest', `${name} must be an array`);
      if (value.length > 50) return error(400, 'InvalidRequest', `${name} has ${value.length} items; the maximum is 50`);
      if (value.some((item) => typeof item?.id !== 'string' || item.id === '')) return error(400, 'InvalidRequest', `every item of ${name} needs an id`);
      return value;
    };
    const requested = { reports: list('reports'), datasets: list('datasets'), targetWorkspaces: list('targetWorkspaces') };
    for (const value of Object.values(requested)) if (!Array.isArray(value)) return value;
    const [wantReports, wantDatasets] = [requested.reports as { id: string }[], requested.datasets as { id: string }[]];
    if (wantReports.length + wantDatasets.length === 0) return error(400, 'InvalidRequest', 'GenerateToken needs at least one report or dataset');
    for (const r of wantReports) if (!reports.some((known) => known.id === r.id)) return error(404, 'PowerBIEntityNotFound', `Report ${r.id} not found`);
    const datasets = new Map(reports.map((r) => [r.datasetId, r]));
    for (const d of wantDatasets) if (!datasets.has(d.id)) return error(404, 'PowerBIEntityNotFound', `Dataset ${d.id} not found`);
    const identities = body.identities ?? [];
    if (!Array.isArray(identities)) return error(400, 'InvalidRequest', 'identities must be an array');
    for (const identity of identities) {
      if (typeof identity?.username !== 'string' || identity.username === '' || identity.username.length > 256) return error(400, 'InvalidRequest', 'an effective identity needs a username (1 to 256 characters)');
      if (!Array.isArray(identity.datasets) || identity.datasets.length === 0) return error(400, 'InvalidRequest', `the identity ${identity.username} has no datasets`);
      if (identity.roles !== undefined && (!Array.isArray(identity.roles) || identity.roles.some((role: unknown) => typeof role !== 'string'))) return error(400, 'InvalidRequest', 'roles must be an array of role names');
      for (const id of identity.datasets) {
        if (!wantDatasets.some((d) => d.id === id)) return error(400, 'InvalidRequest', `the identity's dataset ${id} is not in datasets`);
        const unknown = (identity.roles ?? []).find((role: string) => !(datasets.get(id)?.rlsRoles ?? []).includes(role));
        if (unknown !== undefined) return error(400, 'InvalidRequest', `'${unknown}' is not a role of dataset ${id}`);
      }
    }
    for (const d of wantDatasets) {
      const rls = datasets.get(d.id)!.rlsRoles !== undefined;
      const identity = identities.find((i: { datasets: string[] }) => i.datasets.includes(d.id));
      if (rls && !identity) return error(400, 'InvalidRequest', `Creating embed token for accessing dataset ${d.id} requires effective identity to be provided`);
      if (rls && !(identity.roles?.length > 0)) return error(400, 'InvalidRequest', `Creating embed token for accessing dataset ${d.id} requires roles to be included in provided effective identity`);
      if (!rls && identity) return error(400, 'InvalidRequest', `Creating embed token for accessing dataset ${d.id} shouldn't have effective identity`);
    }
    const lifetime = body.lifetimeInMinutes ?? 0;
    if (!Number.isInteger(lifetime) || lifetime < 0) return error(400, 'InvalidRequest', 'lifetimeInMinutes must be a positive whole number');
    const minutes = Math.min(this.options.embedTokenMinutes ?? 60, lifetime || Infinity);
    const issued = { token: `fake-embed-${randomUUID()}`, expiration: new Date(Date.now() + minutes * 60_000).toISOString(), request: body };
    this.embedTokens.push(issued);
    return ok({ token: issued.token, tokenId: randomUUID(), expiration: issued.expiration });
  }

  private token(request: RecordedRequest): FakeReply {
    if (request.method !== 'POST') return error(405, 'invalid_request', 'POST only');
    if (!String(request.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return aad(400, 'invalid_request', 'AADSTS900144: The request body must be form encoded');
    const form = new URLSearchParams(request.body.toString());
    if (form.get('grant_type') !== 'client_credentials') return aad(400, 'unsupported_grant_type', 'AADSTS70003: grant_type must be client_credentials');
    if (form.get('scope') !== SCOPE) return aad(400, 'invalid_scope', `AADSTS70011: The provided value for scope ${form.get('scope')} is not valid`);
    if (form.get('client_id') !== this.options.clientId) return aad(400, 'unauthorized_client', 'AADSTS700016: Application not found in the directory');
    if (form.get('client_secret') !== this.options.clientSecret) return aad(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    const token = `fake-token-${randomUUID()}`;
    this.tokens.add(token);
    return ok({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
  }
}

const ok = (body: unknown): FakeReply => ({ status: 200, body });
const error = (status: number, code: string, message: string): FakeReply => ({ status, body: { error: { code, message } } });
const aad = (status: number, code: string, description: string): FakeReply => ({ status, body: { error: code, error_description: description } });

function json(request: RecordedRequest): any {
  if (!String(request.headers['content-type']).startsWith('application/json')) throw new Error('expected Content-Type application/json');
  return JSON.parse(request.body.toString());
}

function checkTable(table: any): string | undefined {
  if (typeof table?.name !== 'string' || table.name === '') return 'a table needs a name';
  if (!Array.isArray(table.columns) || table.columns.length === 0) return `table ${table.name} has no columns`;
  if (table.columns.length > 75) return `table ${table.name} has ${table.columns.length} columns; the maximum is 75`;
  for (const column of table.columns) {
    if (typeof column?.name !== 'string' || column.name === '') return `a column of ${table.name} has no name`;
    if (!TYPES.has(String(column.dataType).toLowerCase())) return `column ${table.name}.${column.name} has the unknown dataType ${column.dataType}`;
  }
  for (const measure of table.measures ?? []) {
    if (typeof measure?.name !== 'string' || typeof measure?.expression !== 'string') return `a measure of ${table.name} needs a name and an expression`;
  }
  return undefined;
}

function checkDataset(body: any): string | undefined {
  if (typeof body?.name !== 'string' || body.name === '') return 'the dataset needs a name';
  if (body.defaultMode !== undefined && body.defaultMode !== 'Push') return `defaultMode ${body.defaultMode} is not Push`;
  if (!Array.isArray(body.tables) || body.tables.length === 0) return 'the dataset has no tables';
  if (body.tables.length > 75) return `the dataset has ${body.tables.length} tables; the maximum is 75`;
  for (const table of body.tables) {
    const problem = checkTable(table);
    if (problem) return problem;
  }
  for (const r of body.relationships ?? []) {
    const from = body.tables.find((t: FakeTable) => t.name === r.fromTable);
    const to = body.tables.find((t: FakeTable) => t.name === r.toTable);
    if (!from?.columns.some((c: { name: string }) => c.name === r.fromColumn) || !to?.columns.some((c: { name: string }) => c.name === r.toColumn)) {
      return `relationship ${r.name} refers to a column that is not in the dataset`;
    }
    if (!['OneDirection', 'BothDirections', 'Automatic'].includes(r.crossFilteringBehavior ?? 'OneDirection')) return `relationship ${r.name} has an unknown crossFilteringBehavior`;
  }
  return undefined;
}

function valueFits(type: string, value: unknown): boolean {
  if (value === null) return true;
  switch (type) {
    case 'int64':
      return (typeof value === 'number' && Number.isInteger(value)) || (typeof value === 'string' && /^-?\d+$/.test(value));
    case 'double':
    case 'decimal':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'datetime':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/.test(value) && !Number.isNaN(Date.parse(value));
    case 'string':
      return typeof value === 'string' && value.length <= 4000;
    default:
      return false;
  }
}
