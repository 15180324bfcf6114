import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../modeler/test/database.js';
import { exportMarts } from '../src/export-marts.js';
import { main } from '../src/cli.js';
import { publishToPowerBi, publishToTableau } from '../src/publish-extracts.js';
import { PowerBiFake } from './fakes/powerbi-fake.js';
import { TableauFake } from './fakes/tableau-fake.js';
import { inlineProject } from './inline-project.js';

// Publishing the extracts of a small inline project to local fakes of the Power BI and Tableau
// REST APIs, which check every request against the documented shapes and limits.
let db: TestDatabase;
let out: string;
let project: string;
const PLAYS = 25_001;
const SECRET = 'client-secret-7f3a9c';
const PAT = 'pat-secret-41b8e2';

beforeAll(async () => {
  db = await createTestDatabase('reel_bi_publish');
  project = await inlineProject(db, PLAYS);
  out = mkdtempSync(join(tmpdir(), 'reel-bi-publish-'));
  await exportMarts({ projectDir: project, outDir: out, env: { DATABASE_URL: db.url } });
});
afterAll(async () => {
  await db?.drop();
  rmSync(out, { recursive: true, force: true });
  rmSync(project, { recursive: true, force: true });
});

function capture() {
  const lines: string[] = [];
  return { lines, output: { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) }, text: () => lines.join('\n') };
}

/** Every file under a folder, as text, to check that no secret was written. */
function allText(dir: string): string {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name)).toString('latin1'))
    .join('\n');
}

describe('bi publish powerbi', () => {
  let fake: PowerBiFake;
  let env: Record<string, string>;
  beforeEach(async () => {
    await fake?.stop();
    fake = await new PowerBiFake({ tenantId: 'tenant-1', clientId: 'client-1', clientSecret: SECRET, workspaceId: 'ws-1' }).start();
    env = { POWERBI_TENANT_ID: 'tenant-1', POWERBI_CLIENT_ID: 'client-1', POWERBI_CLIENT_SECRET: SECRET, POWERBI_WORKSPACE_ID: 'ws-1', POWERBI_API_URL: fake.url, POWERBI_AUTHORITY_URL: fake.url };
  });
  afterAll(async () => fake?.stop());

  it('creates a typed push dataset, clears each table, and posts its rows in batches of at most 10,000', async () => {
    const result = await publishToPowerBi({ outDir: out, env });
    expect(result.created).toBe(true);
    const dataset = fake.datasets[0]!;
    expect(dataset.retention).toBe('basicFIFO');
    const plays = dataset.tables.find((t) => t.name === 'fct_plays')!;
    expect(Object.fromEntries(plays.columns.map((c) => [c.name, c.dataType]))).toEqual({
      play_id: 'Int64', user_id: 'Int64', played_at: 'DateTime', played_at_local: 'DateTime', played_on: 'DateTime', seconds: 'Int64', small: 'Int64',
      score: 'Double', ratio: 'Double', price: 'Decimal', done: 'Boolean', title: 'String', tags: 'String', note: 'String',
    });
    expect(dataset.relationships).toEqual([expect.objectContaining({ fromTable: 'fct_plays', fromColumn: 'user_id', toTable: 'dim_people', toColumn: 'user_id' })]);

    const calls = fake.requests.filter((r) => r.path.includes('/tables/fct_plays/rows'));
    expect(calls[0]!.method).toBe('DELETE');
    const posted = calls.filter((r) => r.method === 'POST').map((r) => (JSON.parse(r.body.toString()) as { rows: unknown[] }).rows.length);
    expect(posted).toEqual([10_000, 10_000, 5_001]);

    // The rows the service holds are the mart's rows.
    const held = dataset.rows.get('fct_plays')! as Record<string, unknown>[];
    expect(held).toHaveLength(PLAYS);
    const expected = await db.query<Record<string, unknown>>(
      `select play_id::int as play_id, seconds, price::float8 as price, done, title, array_to_string(tags, ', ') as tags, to_char(played_on, 'YYYY-MM-DD"T00:00:00"') as played_on,
              to_char(played_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as played_at from marts.fct_plays order by play_id`,
    );
    const got = [...held].sort((a, b) => Number(a.play_id) - Number(b.play_id)).map((r) => ({ play_id: r.play_id, seconds: r.seconds, price: r.price, done: r.done, title: r.title, tags: r.tags, played_on: r.played_on, played_at: r.played_at }));
    expect(got).toEqual(expected);
    expect(dataset.rows.get('dim_people')).toHaveLength(50);
  });

  it('on the next publish finds the dataset, updates the table schemas and replaces the rows', async () => {
    await publishToPowerBi({ outDir: out, env });
    await publishToPowerBi({ outDir: out, env, select: ['fct_plays'] });
    expect(fake.datasets).toHaveLength(1);
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/datasets'))).toHaveLength(1);
    expect(fake.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('/tables/fct_plays'))).toHaveLength(1);
    expect(fake.datasets[0]!.rows.get('fct_plays')).toHaveLength(PLAYS);
  });

  it('retries throttled (429) and failed (5xx) requests, waiting as long as Retry-After says', async () => {
    fake.throttle(/\/tables\/fct_plays\/rows$/, 1, '1', 'POST');
    fake.fail(/\/tables\/dim_people\/rows$/, 2, 503, 'POST');
    const log = capture();
    await publishToPowerBi({ outDir: out, env, retryBaseMs: 20, log: log.output.out });
    const posts = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/tables/fct_plays/rows'));
    expect(posts[0]!.status).toBe(429);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(990);
    expect(fake.requests.filter((r) => r.path.endsWith('/tables/dim_people/rows') && r.status === 503)).toHaveLength(2);
    expect(fake.datasets[0]!.rows.get('fct_plays')).toHaveLength(PLAYS);
    expect(fake.datasets[0]!.rows.get('dim_people')).toHaveLength(50);
    expect(log.text()).toContain('Power BI answered 429 to POST');
    expect(log.text()).toContain('(Retry-After: 1)');
  });

  it('--dry-run prints the requests with the secret masked and sends nothing', async () => {
    const run = capture();
    expect(await main(['publish', 'powerbi', '--out', out, '--dry-run'], run.output, env)).toBe(0);
    expect(fake.requests).toHaveLength(0);
    expect(run.text()).toContain(`POST ${fake.url}/tenant-1/oauth2/v2.0/token`);
    expect(run.text()).toContain('client_secret=***');
    expect(run.text()).toContain(`POST ${fake.url}/v1.0/myorg/groups/ws-1/datasets?defaultRetentionPolicy=basicFIFO`);
    expect(run.text()).toContain('"rows": [10,000 rows]');
    expect(run.text()).not.toContain(SECRET);
  });

  it('says in one sentence what is wrong: a bad secret (exit 1), a missing setting (exit 2)', async () => {
    const bad = capture();
    expect(await main(['publish', 'powerbi', '--out', out], bad.output, { ...env, POWERBI_CLIENT_SECRET: 'wrong-secret-value' })).toBe(1);
    expect(bad.lines).toHaveLength(1);
    expect(bad.text()).toContain('Power BI answered 401 Unauthorized to POST');
    expect(bad.text()).toContain('AADSTS7000215: Invalid client secret provided.');
    expect(bad.text()).not.toContain('wrong-secret-value');

    const missing = capture();
    const { POWERBI_WORKSPACE_ID: _, ...partial } = env;
    expect(await main(['publish', 'powerbi', '--out', out], missing.output, partial)).toBe(2);
    expect(missing.text()).toMatch(/^.*bi: publishing to Power BI needs POWERBI_WORKSPACE_ID: set it in the environment/);
    expect(missing.lines).toHaveLength(1);
  });

  it('never prints or writes a secret', async () => {
    const run = capture();
    expect(await main(['publish', 'powerbi', '--out', out, '--verbose'], run.output, env)).toBe(0);
    expect(run.text()).toContain('Authorization: Bearer ***');
    expect(run.text()).not.toContain(SECRET);
    expect(run.text()).not.toMatch(/fake-token-/);
    expect(allText(out)).not.toContain(SECRET);
  });

  it('the fake answers like the service: 400 above 10,000 rows or for a wrong type, 401 without a token', async () => {
    await publishToPowerBi({ outDir: out, env, select: ['dim_people'] });
    const tokenReply = await fetch(`${fake.url}/tenant-1/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'client-1', client_secret: SECRET, scope: 'https://analysis.windows.net/powerbi/api/.default' }),
    });
    const token = ((await tokenReply.json()) as { access_token: string }).access_token;
    const rowsUrl = `${fake.url}/v1.0/myorg/groups/ws-1/datasets/${fake.datasets[0]!.id}/tables/dim_people/rows`;
    const post = (body: unknown, auth = true) => fetch(rowsUrl, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    expect((await post({ rows: Array.from({ length: 10_001 }, (_, i) => ({ user_id: i })) })).status).toBe(400);
    expect((await post({ rows: [{ user_id: 'seven' }] })).status).toBe(400);
    expect((await post({ rows: [{ nope: 1 }] })).status).toBe(400);
    expect((await post({ rows: [{ user_id: 7 }] }, false)).status).toBe(401);
    expect((await post({ rows: [{ user_id: 7, name: 'x' }] })).status).toBe(200);
  });
});

describe('bi publish tableau', () => {
  let fake: TableauFake;
  let env: Record<string, string>;
  const start = async (options: Partial<ConstructorParameters<typeof TableauFake>[0]> = {}) => {
    await fake?.stop();
    fake = await new TableauFake({ apiVersion: '3.24', site: 'reel', patName: 'reel-bot', patSecret: PAT, projects: ['default', 'Analytics'], ...options }).start();
    env = { TABLEAU_SERVER_URL: fake.url, TABLEAU_SITE: 'reel', TABLEAU_PAT_NAME: 'reel-bot', TABLEAU_PAT_SECRET: PAT, TABLEAU_PROJECT: 'Analytics', TABLEAU_JOB_POLL_MS: '10' };
  };
  beforeEach(async () => start());
  afterAll(async () => fake?.stop());

  it('publishes the Parquet extracts in one multipart/mixed request each, overwriting, and polls the jobs', async () => {
    const result = await publishToTableau({ outDir: out, env });
    expect(result.datasources.map((d) => d.name).sort()).toEqual(['dim_people', 'fct_plays']);
    for (const ds of fake.datasources) {
      expect(ds.content.equals(readFileSync(join(out, `${ds.name}.parquet`)))).toBe(true);
      expect(ds.viaUploadSession).toBe(false);
      expect(ds.projectId).toBe(fake.projects.find((p) => p.name === 'Analytics')!.id);
    }
    const publishes = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/datasources'));
    expect(publishes.map((r) => Object.fromEntries(r.query))).toEqual([
      { datasourceType: 'parquet', overwrite: 'true', asJob: 'true' },
      { datasourceType: 'parquet', overwrite: 'true', asJob: 'true' },
    ]);
    expect(String(publishes[0]!.headers['content-type'])).toMatch(/^multipart\/mixed; boundary=/);
    expect(fake.requests.filter((r) => r.path.includes('/jobs/'))).toHaveLength(4);
    expect(fake.requests.at(-1)!.path).toBe('/api/3.24/auth/signout');

    await publishToTableau({ outDir: out, env, select: ['dim_people'] });
    expect(fake.datasources.find((d) => d.name === 'dim_people')!.overwrites).toBe(1);
  });

  it('uploads a file above the threshold in chunks that reassemble to the file', async () => {
    const size = statSync(join(out, 'fct_plays.parquet')).size;
    await publishToTableau({ outDir: out, env, select: ['fct_plays'], chunkThresholdBytes: 4096, chunkBytes: 50_000 });
    const ds = fake.datasources[0]!;
    expect(ds.viaUploadSession).toBe(true);
    expect(ds.chunks).toBe(Math.ceil(size / 50_000));
    expect(ds.content.equals(readFileSync(join(out, 'fct_plays.parquet')))).toBe(true);
    const finish = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/datasources'))!;
    expect(finish.query.get('uploadSessionId')).toBeTruthy();
    expect(finish.query.get('datasourceType')).toBe('parquet');
    expect(fake.requests.filter((r) => r.method === 'PUT' && r.path.includes('/fileUploads/'))).toHaveLength(ds.chunks);
  });

  it('publishes the .tds live connections, and retries a throttled chunk after Retry-After', async () => {
    fake.throttle(/\/fileUploads\/[^/]+$/, 1, '1', 'PUT');
    const run = capture();
    expect(await main(['publish', 'tableau', '--out', out, '--format', 'tds', '--select', 'reel_star', '--chunk-threshold', '1KB', '--chunk-bytes', '2KB'], run.output, env)).toBe(0);
    const ds = fake.datasources[0]!;
    expect(ds.name).toBe('reel_star');
    expect(ds.type).toBe('tds');
    expect(ds.content.equals(readFileSync(join(out, 'tableau', 'reel_star.tds')))).toBe(true);
    const puts = fake.requests.filter((r) => r.method === 'PUT');
    expect(puts[0]!.status).toBe(429);
    expect(puts[1]!.at - puts[0]!.at).toBeGreaterThanOrEqual(990);
    expect(fake.requests.some((r) => r.path.includes('/jobs/'))).toBe(false);
    expect(run.text()).not.toContain(PAT);
  });

  it('reports a failed job, a wrong token and an unknown mart in one sentence', async () => {
    await start({ jobFinishCode: '1' });
    const failed = capture();
    expect(await main(['publish', 'tableau', '--out', out, '--select', 'dim_people'], failed.output, env)).toBe(1);
    expect(failed.text()).toMatch(/bi: Tableau job \S+ publishing dim_people failed: The extract could not be created from the file; see the job/);

    const denied = capture();
    expect(await main(['publish', 'tableau', '--out', out], denied.output, { ...env, TABLEAU_PAT_SECRET: 'not-the-secret' })).toBe(1);
    expect(denied.text()).toContain('Tableau answered 401 Unauthorized to POST');
    expect(denied.text()).toContain('Signin Error: Error signing in to Tableau Server');
    expect(denied.text()).not.toContain('not-the-secret');

    const unknown = capture();
    expect(await main(['publish', 'tableau', '--out', out, '--select', 'dim_peeple'], unknown.output, env)).toBe(2);
    expect(unknown.text()).toContain('has no extract of a mart named "dim_peeple" (did you mean "dim_people"?)');
  });

  it('--dry-run prints the sign-in with the secret masked and sends nothing', async () => {
    const run = capture();
    expect(await main(['publish', 'tableau', '--out', out, '--dry-run', '--chunk-threshold', '4096', '--chunk-bytes', '100000'], run.output, env)).toBe(0);
    expect(fake.requests).toHaveLength(0);
    expect(run.text()).toContain(`POST ${fake.url}/api/3.24/auth/signin`);
    expect(run.text()).toContain('"personalAccessTokenSecret":"***"');
    expect(run.text()).toContain('X-Tableau-Auth: ***');
    expect(run.text()).toMatch(/PUT .*\/fileUploads\/<upload session id>/);
    expect(run.text()).not.toContain(PAT);
  });
});
