// `model build` with OpenLineage: a failing model ends in FAIL with its error, the nodes it skips in
// ABORT, every event also goes to a local HTTP receiver, and no secret of the environment is written
// to target/ or sent in an event.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel, type CliRun } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { removeProject, writeProject } from './fixture.js';

const API_KEY = 'ol-key-5be1c0';
const DB_PASSWORD = 'db-pw-77a1e9';
const DB_TOKEN = 'db-tok-30c2f4';
const OL_TOKEN = 'ol-tok-9d3b62';
const SECRETS = [API_KEY, DB_PASSWORD, DB_TOKEN, OL_TOKEN];

// The published spec lives beside the clone (see artifacts-conformance.test.ts, which fails in CI without it).
const OPENLINEAGE_SCHEMAS = resolve(fileURLToPath(new URL('../../../../shared/schemas/openlineage', import.meta.url)));
const haveSchemas = existsSync(join(OPENLINEAGE_SCHEMAS, 'OpenLineage.json'));

interface Received {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface Event {
  eventType: string;
  run: { runId: string; facets?: Record<string, { message?: string; programmingLanguage?: string }> };
  job: { name: string };
  outputs: { name: string; facets?: Record<string, unknown> }[];
}

/** Every file under `dir`, with its text. */
function filesUnder(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => ({ path: join(entry.parentPath, entry.name), text: readFileSync(join(entry.parentPath, entry.name), 'latin1') }));
}

describe('OpenLineage from `model build`', () => {
  let db: TestDatabase;
  let root: string;
  let env: Record<string, string>;
  let server: Server;
  const received: Received[] = [];
  let build: CliRun;

  beforeAll(async () => {
    db = await createTestDatabase('reel_openlineage');
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        received.push({ url: request.url ?? '', headers: request.headers, body });
        response.writeHead(201).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    // The server trusts local connections; the password and the unknown parameter must still never leak.
    const url = new URL(db.url);
    url.password = DB_PASSWORD;
    url.searchParams.set('token', DB_TOKEN);
    env = {
      DATABASE_URL: url.toString(),
      OPENLINEAGE_URL: `http://127.0.0.1:${port}/?token=${OL_TOKEN}`,
      OPENLINEAGE_API_KEY: API_KEY,
    };
    root = writeProject({
      'models/plays.sql': 'select 1 as play_id, 30 as seconds',
      'models/broken.sql': '{{config materialized="table"}}\nselect play_id, seconds / 0 as rate from {{ref "plays"}}',
      'models/after_broken.sql': 'select play_id, rate from {{ref "broken"}}',
      'models/last.sql': 'select play_id from {{ref "after_broken"}}',
      'models/counted.sql': 'with recursive n(i) as (select 1 union all select i + 1 from n where i < 3)\nselect n.i, p.seconds from n cross join {{ref "plays"}} as p',
      'models/schema.yml': 'models:\n  - name: broken\n    columns:\n      - {name: play_id, tests: [not_null]}\n',
    }, { name: 'ol' });
    build = await runModel(['build', '--project-dir', root], env);
  }, 60_000);

  afterAll(async () => {
    server?.close();
    if (root) removeProject(root);
    await db?.drop();
  });

  const fileEvents = (): Event[] => readFileSync(join(root, 'target', 'openlineage.ndjson'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  const byJob = (events: Event[], name: string) => events.filter((e) => e.job.name === name);

  it('ends a failing model in FAIL with the error message facet, and each node it skips in START then ABORT', () => {
    expect(build.code, build.stdout).toBe(1);
    expect(build.stderr).not.toContain('OpenLineage');
    const events = fileEvents();
    expect(byJob(events, 'model.ol.plays').map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);

    const broken = byJob(events, 'model.ol.broken');
    expect(broken.map((e) => e.eventType)).toEqual(['START', 'FAIL']);
    expect(broken[1]!.run.runId).toBe(broken[0]!.run.runId);
    expect(broken[1]!.run.facets?.errorMessage).toMatchObject({ message: expect.stringContaining('division by zero'), programmingLanguage: 'SQL' });

    // Skipped ones never ran: one run each, started and aborted, with no error of their own.
    for (const skipped of ['model.ol.after_broken', 'model.ol.last', 'test.ol.not_null_broken_play_id']) {
      const run = byJob(events, skipped);
      expect(run.map((e) => e.eventType), skipped).toEqual(['START', 'ABORT']);
      expect(run[1]!.run.runId).toBe(run[0]!.run.runId);
      expect(run[1]!.run.facets?.errorMessage).toBeUndefined();
    }
    // Nothing was written by the aborted model, so it reports no column lineage.
    expect(byJob(events, 'model.ol.after_broken')[1]!.outputs[0]!.facets?.columnLineage).toBeUndefined();
    // An ABORT comes after the FAIL that caused it.
    const order = events.map((e) => `${e.eventType} ${e.job.name}`);
    expect(order.indexOf('ABORT model.ol.after_broken')).toBeGreaterThan(order.indexOf('FAIL model.ol.broken'));
  });

  it('leaves a column whose lineage is unresolved out of the columnLineage facet instead of sending part of it', () => {
    const complete = byJob(fileEvents(), 'model.ol.counted').find((e) => e.eventType === 'COMPLETE')!;
    const fields = (complete.outputs[0]!.facets?.columnLineage as { fields: Record<string, { inputFields: { name: string; field: string }[] }> }).fields;
    expect(Object.keys(fields)).toEqual(['seconds']);
    expect(fields.seconds!.inputFields.map((f) => f.field)).toEqual(['seconds']);
  });

  it.skipIf(!haveSchemas)('FAIL and ABORT events are valid run events, the error message a valid facet', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const core = JSON.parse(readFileSync(join(OPENLINEAGE_SCHEMAS, 'OpenLineage.json'), 'utf8'));
    ajv.addSchema(core);
    const errorFacet = ajv.compile(JSON.parse(readFileSync(join(OPENLINEAGE_SCHEMAS, 'facets', 'ErrorMessageRunFacet.json'), 'utf8')));
    const validateEvent = ajv.getSchema(core.$id)!;
    const ends = fileEvents().filter((e) => e.eventType === 'FAIL' || e.eventType === 'ABORT');
    expect(ends.length).toBe(4);
    for (const event of ends) expect(validateEvent(event), JSON.stringify(validateEvent.errors)).toBe(true);
    const fail = ends.find((e) => e.eventType === 'FAIL')!;
    expect(errorFacet({ errorMessage: fail.run.facets!.errorMessage }), JSON.stringify(errorFacet.errors)).toBe(true);
  });

  it('posts the same events, in order, to the receiver with the API key as Bearer and the URL query kept', () => {
    const posted = received.map((r) => JSON.parse(r.body) as Event);
    expect(posted.map((e) => `${e.eventType} ${e.job.name} ${e.run.runId}`)).toEqual(fileEvents().map((e) => `${e.eventType} ${e.job.name} ${e.run.runId}`));
    expect(posted.map((e) => e.eventType)).toEqual(expect.arrayContaining(['FAIL', 'ABORT']));
    for (const request of received) {
      expect(request.url).toBe(`/api/v1/lineage?token=${OL_TOKEN}`);
      expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    }
  });

  it('never writes a secret to target/ (docs included) nor sends one in an event body', async () => {
    const docs = await runModel(['docs', 'generate', '--project-dir', root], env);
    expect(docs.code, docs.stderr).toBe(0);
    const files = filesUnder(join(root, 'target'));
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining([join(root, 'target', 'openlineage.ndjson'), join(root, 'target', 'docs', 'index.html')]));
    const leaks = files.flatMap((file) => SECRETS.filter((secret) => file.text.includes(secret)).map((secret) => `${file.path.slice(root.length + 1)} holds ${secret}`));
    expect(leaks).toEqual([]);
    expect(received.length).toBeGreaterThan(0);
    for (const request of received) {
      for (const secret of SECRETS) expect(request.body.includes(secret), `an event body holds ${secret}`).toBe(false);
      // The API key travels only in the Authorization header.
      const elsewhere = Object.entries(request.headers).filter(([name, value]) => name !== 'authorization' && String(value).includes(API_KEY));
      expect(elsewhere).toEqual([]);
      expect(request.url.includes(API_KEY)).toBe(false);
    }
    for (const secret of SECRETS) expect(`${build.stdout}\n${build.stderr}\n${docs.stdout}\n${docs.stderr}`.includes(secret), `output holds ${secret}`).toBe(false);
  }, 60_000);

  it('masks the receiver URL in the warning when it cannot be reached', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const run = await runModel(['run', '-s', 'plays', '--project-dir', root], { ...env, OPENLINEAGE_URL: `http://user-${OL_TOKEN}@127.0.0.1:${port}/?api_key=${OL_TOKEN}&sig=${OL_TOKEN}` });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stderr).toContain(`warning: OpenLineage: could not send events to http://127.0.0.1:${port}/api/v1/lineage?api_key=****&sig=****: fetch failed; they are in ${join(root, 'target', 'openlineage.ndjson')}`);
    expect(run.stderr.includes(OL_TOKEN)).toBe(false);
  }, 60_000);
});
