import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../src/artifacts/catalog.js';
import { compileOrThrow } from '../src/compile.js';
import { openDatabase } from '../src/execute/connection/open-database.js';
import { resolveTarget } from '../src/execute/connection/resolve-target.js';
import { runModel } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { writeProject } from './fixture.js';

// The published schemas live beside the clone (../shared/schemas, see its README), not in it.
const SCHEMAS = resolve(fileURLToPath(new URL('../../../../shared/schemas', import.meta.url)));
const haveSchemas = existsSync(join(SCHEMAS, 'dbt/manifest-v12.json'));
if (!haveSchemas && process.env.CI) throw new Error(`${SCHEMAS} is missing: CI must check out ../shared beside the clone, the schema validation of the artifacts needs it (see ../shared/schemas/README.md)`);
if (!haveSchemas) console.warn(`artifact schema validation skipped: ${SCHEMAS} is absent (it is beside the clone in CI)`);

const PASSWORD = 'pw-s3cret-9f2';

let db: TestDatabase;
let root: string;
let env: Record<string, string>;

function ajv(): Ajv2020 {
  const instance = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  (addFormats as unknown as (a: Ajv2020) => void)(instance);
  return instance;
}

function explain(validate: ValidateFunction): string {
  return (validate.errors ?? []).slice(0, 15).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`).join('\n');
}

const read = (name: string) => JSON.parse(readFileSync(join(root, 'target', name), 'utf8'));

beforeAll(async () => {
  db = await createTestDatabase('reel_conformance');
  const url = new URL(db.url);
  url.password = PASSWORD; // the server trusts local connections; the password must still never leak
  env = { DATABASE_URL: url.toString() };
  await db.query('create schema raw; create table raw.plays (id int, member int, seconds int, loaded_at timestamptz default now()); insert into raw.plays values (1, 1, 30), (2, 1, 90), (3, 2, 15)');
  root = writeProject({
    'reel_project.yml': 'name: conform\nvars:\n  min_seconds: 20\nmodels:\n  conform:\n    +schema: marts\n',
    'seeds/members.csv': 'member,plan\n1,basic\n2,premium\n',
    'models/sources.yml':
      'sources:\n  - name: raw\n    schema: raw\n    loaded_at_field: loaded_at\n    freshness:\n      warn_after: {count: 1, period: day}\n    tables:\n      - name: plays\n        description: one row per play\n        columns:\n          - {name: id, tests: [unique, not_null]}\n',
    'models/stg_plays.sql': 'select id as play_id, member as member_id, seconds from {{source "raw" "plays"}}',
    'models/fct_plays.sql':
      '{{config materialized="incremental" unique_key="play_id"}}\nselect p.play_id, p.member_id, m.plan, p.seconds, p.seconds >= {{var "min_seconds"}} as is_real\nfrom {{ref "stg_plays"}} as p join {{ref "members"}} as m on m.member = p.member_id\n',
    'models/member_totals.sql': '{{config materialized="table"}}\nselect member_id, sum(seconds) as seconds, count(*) as plays from {{ref "fct_plays"}} group by member_id',
    'models/props.yml':
      'models:\n  - name: fct_plays\n    description: plays with their member\'s plan\n    config:\n      indexes:\n        - {columns: [play_id], unique: true}\n    columns:\n      - {name: play_id, description: the play, tests: [unique, not_null]}\n      - name: member_id\n        tests:\n          - relationships: {to: ref(\'members\'), field: member}\n      - name: plan\n        tests:\n          - accepted_values: {values: [basic, premium]}\n  - name: member_totals\n    columns:\n      - name: plays\n        tests:\n          - accepted_values: {values: [2], quote: false, config: {severity: warn}}\n',
    'tests/no_negative_seconds.sql': 'select * from {{ref "fct_plays"}} where seconds < 0',
    'snapshots/members_snapshot.sql': '{{config unique_key="member" strategy="check" check_cols="all" hard_deletes="new_record"}}\nselect member, plan from {{ref "members"}}\n',
    'models/unit_tests.yml': "unit_tests:\n  - name: plays_keep_their_seconds\n    model: stg_plays\n    given:\n      - input: source('raw', 'plays')\n        rows: [{id: 1, member: 1, seconds: 30}]\n    expect:\n      rows: [{play_id: 1, seconds: 30}]\n",
    'models/exposures.yml': 'exposures:\n  - name: weekly_report\n    type: dashboard\n    owner: {name: Ana, email: ana@example.com}\n    depends_on: [ref(\'member_totals\')]\n',
  });
  const run = await runModel(['build', '--project-dir', root], env);
  expect(run.code, run.stdout).toBe(0);
  expect(run.stdout).toContain('WARN test accepted_values_member_totals_plays');
}, 60_000);

afterAll(async () => {
  await db?.drop();
});

describe.skipIf(!haveSchemas)('artifacts validate against the published schemas', () => {
  it('manifest.json is a dbt manifest v12', () => {
    const validate = ajv().compile(JSON.parse(readFileSync(join(SCHEMAS, 'dbt/manifest-v12.json'), 'utf8')));
    const manifest = read('manifest.json');
    expect(validate(manifest), explain(validate)).toBe(true);
    expect(Object.keys(manifest.nodes)).toContain('model.conform.fct_plays');
    expect(manifest.nodes['snapshot.conform.members_snapshot']).toMatchObject({ resource_type: 'snapshot', config: { strategy: 'check', check_cols: 'all', hard_deletes: 'new_record' } });
    expect(Object.keys(manifest.unit_tests)).toEqual(['unit_test.conform.stg_plays.plays_keep_their_seconds']);
    expect(manifest.parent_map['model.conform.fct_plays']).toEqual(['model.conform.stg_plays', 'seed.conform.members']);
  });

  it('run_results.json is a dbt run_results v6', () => {
    const validate = ajv().compile(JSON.parse(readFileSync(join(SCHEMAS, 'dbt/run-results-v6.json'), 'utf8')));
    const results = read('run_results.json');
    expect(validate(results), explain(validate)).toBe(true);
    expect(results.results.map((r: { status: string }) => r.status)).toContain('warn');
  });

  it('catalog.json is a dbt catalog v1, read from pg_catalog', async () => {
    const target = resolveTarget({ projectRoot: root, profile: 'conform', env });
    const compiled = await compileOrThrow(root, { target: { schema: target.schema }, vars: {}, env });
    const database = await openDatabase(target, { projectRoot: root });
    const catalog = await readCatalog(database, compiled).finally(() => database.close());
    const validate = ajv().compile(JSON.parse(readFileSync(join(SCHEMAS, 'dbt/catalog-v1.json'), 'utf8')));
    expect(validate(catalog), explain(validate)).toBe(true);
    const fact = catalog.nodes['model.conform.fct_plays']!;
    expect(fact.metadata.type).toBe('BASE TABLE');
    expect(Object.values(fact.columns).map((c) => `${c.index}:${c.name}:${c.type}`)).toEqual(['1:play_id:integer', '2:member_id:integer', '3:plan:text', '4:seconds:integer', '5:is_real:boolean']);
    expect(catalog.nodes['model.conform.stg_plays']!.metadata.type).toBe('VIEW');
    expect(catalog.sources['source.conform.raw.plays']!.columns.loaded_at!.type).toBe('timestamp with time zone');
  });

  it('OpenLineage events are valid run events with valid facets, in START/COMPLETE pairs', () => {
    const validator = ajv();
    const facetFiles = readdirSync(join(SCHEMAS, 'openlineage/facets'));
    const core = JSON.parse(readFileSync(join(SCHEMAS, 'openlineage/OpenLineage.json'), 'utf8'));
    validator.addSchema(core);
    const facetSchemas = new Map<string, ValidateFunction>();
    for (const file of facetFiles) {
      const schema = JSON.parse(readFileSync(join(SCHEMAS, 'openlineage/facets', file), 'utf8'));
      validator.addSchema(schema);
      for (const key of Object.keys(schema.properties)) facetSchemas.set(key, validator.getSchema(schema.$id)!);
    }
    const validateEvent = validator.getSchema(core.$id)!;
    const events = readFileSync(join(root, 'target/openlineage.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const checkFacets = (facets: Record<string, unknown> | undefined) => {
      for (const [key, value] of Object.entries(facets ?? {})) {
        const validate = facetSchemas.get(key);
        expect(validate, `a schema for facet ${key}`).toBeDefined();
        expect(validate!({ [key]: value }), `${key}: ${explain(validate!)}`).toBe(true);
      }
    };
    for (const event of events) {
      expect(validateEvent(event), explain(validateEvent)).toBe(true);
      checkFacets(event.run.facets);
      checkFacets(event.job.facets);
      for (const dataset of [...event.inputs, ...event.outputs]) {
        checkFacets(dataset.facets);
        checkFacets(dataset.inputFacets);
      }
    }
    const byJob = (name: string) => events.filter((e) => e.job.name === name);
    const fact = byJob('model.conform.fct_plays');
    expect(fact.map((e) => e.eventType)).toEqual(['START', 'COMPLETE']);
    expect(fact[0].run.runId).toBe(fact[1].run.runId);
    const output = fact[1].outputs[0];
    expect(output.namespace).toMatch(/^postgres:\/\/127\.0\.0\.1:5432$/);
    expect(output.name).toBe(`${new URL(db.url).pathname.slice(1)}.marts.fct_plays`);
    expect(output.facets.schema.fields.map((f: { name: string; type: string }) => `${f.name}:${f.type}`)).toContain('plan:text');
    expect(fact[1].inputs.map((i: { name: string }) => i.name.split('.').slice(1).join('.')).sort()).toEqual(['marts.stg_plays', 'public.members']);
    const plan = output.facets.columnLineage.fields.plan.inputFields;
    expect(plan).toEqual([expect.objectContaining({ name: expect.stringMatching(/\.public\.members$/), field: 'plan', transformations: [expect.objectContaining({ type: 'DIRECT', subtype: 'IDENTITY' })] })]);
    const joins = output.facets.columnLineage.dataset.map((f: { field: string; transformations: { subtype: string }[] }) => `${f.field}:${f.transformations[0]!.subtype}`);
    expect(joins).toEqual(expect.arrayContaining(['member:JOIN', 'member_id:JOIN']));
    const totals = byJob('model.conform.member_totals')[1].outputs[0].facets.columnLineage.fields;
    expect(totals.seconds.inputFields[0].transformations[0].subtype).toBe('AGGREGATION');
    const warned = events.find((e) => e.job.name.includes('accepted_values_member_totals_plays') && e.eventType === 'COMPLETE');
    expect(warned.inputs[0].inputFacets.dataQualityAssertions.assertions).toEqual([{ assertion: 'accepted_values', success: false, column: 'plays', severity: 'warn' }]);
  });
});

// Needs no schema, so it runs everywhere.
it('no artifact holds the password', () => {
  const files = readdirSync(join(root, 'target'), { recursive: true, withFileTypes: true }).filter((file) => file.isFile());
  expect(files.map((file) => file.name)).toEqual(expect.arrayContaining(['manifest.json', 'run_results.json', 'openlineage.ndjson']));
  for (const file of files) {
    const text = readFileSync(join(file.parentPath, file.name), 'utf8');
    expect(text.includes(PASSWORD), `${file.name} holds the password`).toBe(false);
  }
});

describe('OpenLineage over HTTP', () => {
  it('posts every event, in order, to OPENLINEAGE_URL with the API key, and retries a 503', async () => {
    const { createServer } = await import('node:http');
    const received: { auth: string | undefined; body: { eventType: string; job: { name: string } } }[] = [];
    let failures = 1;
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        if (request.url !== '/api/v1/lineage' || request.method !== 'POST') {
          response.writeHead(404).end();
          return;
        }
        if (failures-- > 0) {
          response.writeHead(503, { 'retry-after': '0' }).end();
          return;
        }
        received.push({ auth: request.headers.authorization, body: JSON.parse(body) });
        response.writeHead(201).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const run = await runModel(['run', '-s', 'fct_plays', '--project-dir', root], { ...env, OPENLINEAGE_URL: `http://127.0.0.1:${port}/`, OPENLINEAGE_API_KEY: 'key-123' });
      expect(run.code).toBe(0);
      expect(run.stderr).not.toContain('OpenLineage');
      expect(received.map((r) => `${r.body.eventType} ${r.body.job.name}`)).toEqual(['START model.conform.fct_plays', 'COMPLETE model.conform.fct_plays']);
      expect(received.every((r) => r.auth === 'Bearer key-123')).toBe(true);
    } finally {
      server.close();
    }
    // A receiver that refuses: the build still succeeds, with one warning naming the fix.
    const refused = await runModel(['run', '-s', 'fct_plays', '--project-dir', root], { ...env, OPENLINEAGE_URL: `http://127.0.0.1:${port}` });
    expect(refused.code).toBe(0);
    expect(refused.stderr).toMatch(/warning: OpenLineage: could not send events to http:\/\/127\.0\.0\.1:\d+\/api\/v1\/lineage/);
  }, 60_000);
});
