import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as model } from '@reel/modeler';
import { copyModelsProject } from '@reel/models/copy-project';
import { loadRun, simulate } from '@reel/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../modeler/test/database.js';
import { main } from '../src/cli.js';

// End to end against the real server: a small simulated platform, the models project built up to
// user_churn_signals, `ml train churn` and `ml score churn`, then the ml-tagged marts on the scores.
// The project is copied so that its target/ is this file's own.
const project = mkdtempSync(join(tmpdir(), 'reel-ml-project-'));
copyModelsProject(project);
const out = mkdtempSync(join(tmpdir(), 'reel-ml-data-'));
const store = mkdtempSync(join(tmpdir(), 'reel-ml-models-'));
let db: TestDatabase;

// eslint-disable-next-line no-control-regex
const plain = (lines: string[]) => lines.join('\n').replace(/\u001b\[[0-9;]*m/g, '');

async function ml(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o: string[] = [];
  const e: string[] = [];
  const code = await main([...args, '--database-url', db.url, '--project-dir', project, '--models-dir', store], { out: (l) => o.push(l), err: (l) => e.push(l) }, { NO_COLOR: '1' });
  return { code, out: plain(o), err: plain(e) };
}

async function modelCommand(args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await model([...args, '--project-dir', project, '--threads', '2'], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { DATABASE_URL: db.url, NO_COLOR: '1' });
  return { code, output: plain(lines) };
}

const number = async (sql: string) => Number((await db.query<{ n: string }>(sql))[0]!.n);

beforeAll(async () => {
  db = await createTestDatabase('reel_ml');
  // 90 days: five weekly snapshots have their 30-day outcome, enough for a time split.
  await simulate({ users: 500, days: 90, start: '2024-01-01', seed: 11, out });
  await loadRun(out, { projectDir: project, env: { DATABASE_URL: db.url } });
  // Only what churn needs, without the project's data tests (models.test.ts runs those): seeds, then
  // user_churn_signals and dim_users with their parents.
  expect((await modelCommand(['seed'])).code).toBe(0);
  const built = await modelCommand(['run', '-s', '+user_churn_signals', '+dim_users', '--exclude', 'tag:ml']);
  expect(built.output).toContain('Completed successfully');
});
afterAll(async () => {
  await db?.drop();
});

describe('churn on the streaming project', () => {
  it('trains against its baselines and the oracle, scores into ml.churn_scores, and at_risk_members builds on them', async () => {
    const train = await ml(['train', 'churn', '--truth', join(out, 'truth/churn_truth.csv'), '--epochs', '6']);
    expect(train.err).toBe('');
    expect(train.code).toBe(0);
    expect(train.out).toMatch(/^TensorFlow\.js backend: (tensorflow|wasm|cpu)/);
    expect(train.out).toMatch(/split by snapshot_date: train [\d,]+ rows on 2024-01-29 … 2024-02-12 \(3 snapshot_date values\)/);
    const version = /Saved churn\/(\d{8}-\d{6})/.exec(train.out)![1]!;
    const dir = join(store, 'churn', version);
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    expect(Object.keys(metrics.models)).toEqual(['neural', 'logistic_regression', 'recency_rule', 'oracle']);
    // The oracle is joined on every test row, and knows far more than any model can.
    expect(metrics.oracle.matched).toBe(metrics.oracle.testRows);
    expect(metrics.models.oracle.roc_auc).toBeGreaterThan(0.85);
    for (const name of ['neural', 'logistic_regression', 'recency_rule']) expect(metrics.models[name].roc_auc, name).toBeGreaterThan(0.5);
    const card = readFileSync(join(dir, 'model-card.md'), 'utf8');
    expect(card).toContain('| oracle (true probabilities) |');
    expect(card).toContain(`Source: marts.user_churn_signals (`);

    const score = await ml(['score', 'churn']);
    expect(score.err).toBe('');
    expect(score.code).toBe(0);
    expect(score.out).toContain(`Wrote `);
    const members = await number('select count(distinct user_id) as n from marts.user_churn_signals');
    const check = async () => {
      expect(await number('select count(*) as n from ml.churn_scores')).toBe(members);
      expect(await number(`select count(*) as n from ml.churn_scores where model_version = '${version}' and score between 0 and 1 and risk_band in ('high', 'medium', 'low')`)).toBe(members);
    };
    await check();
    // A second scoring replaces the rows, it does not add to them.
    expect((await ml(['score', 'churn', '--version', version])).code).toBe(0);
    await check();
    const high = await number("select count(*) as n from ml.churn_scores where risk_band = 'high'");
    expect(high / members).toBeGreaterThan(0.03);
    expect(high / members).toBeLessThan(0.3);

    const marts = await modelCommand(['build', '-s', 'tag:ml']);
    expect(marts.output).toContain('Completed successfully');
    expect(await number('select count(*) as n from marts.at_risk_members')).toBe(
      await number("select count(*) as n from ml.churn_scores as s join marts.dim_users as u using (user_id) where s.risk_band in ('high', 'medium') and not u.is_churned"),
    );
    expect(await number('select min(risk_rank) as n from marts.at_risk_members')).toBe(1);
  });

  it('explains a database source that cannot be trained on in one sentence', async () => {
    await db.query('create table public.no_rows (like marts.user_churn_signals)');
    await db.query("create table public.bad_label as select * from marts.user_churn_signals where snapshot_date = '2024-01-29'");
    await db.query('update public.bad_label set churned_next_30d = 7 where user_id in (select user_id from public.bad_label limit 3)');
    const error = async (args: string[]) => {
      const run = await ml(['train', 'churn', ...args]);
      expect(run.code, run.out + run.err).toBe(2);
      return run.err;
    };
    expect(await error(['--table', 'public.no_rows'])).toBe('public.no_rows has no rows\n    fix: point the config at a source with rows');
    expect(await error(['--table', 'public.bad_label'])).toBe(
      'the label column churned_next_30d in public.bad_label is not binary: besides 0/1 it holds "7"\n    fix: use a 0/1 or true/false column as the label (empty for rows whose outcome is not known yet)',
    );
    expect(await error(['--table', 'marts.user_churn_signal'])).toMatch(/^the table marts\.user_churn_signal does not exist in postgres:\/\/.*\n    fix: check the name/);
    expect(await error(['--query', 'select user_id, snapshot_date, churned_next_30d, tenure_days from marts.user_churn_signals'])).toBe(
      'columns "recency_days" (the recency column), "sessions_28d" (a numeric feature), "active_days_28d" (a numeric feature), "watch_hours_28d" (a numeric feature), "watch_hours_prior_28d" (a numeric feature), "watch_hours_change" (a numeric feature), "sessions_7d" (a numeric feature), "watch_hours_7d" (a numeric feature), "completion_rate_28d" (a numeric feature), "rating_drift" (a numeric feature), "payment_failures_28d" (a numeric feature), "price_rise_45d" (a boolean feature), "plan" (a categorical feature) and "price" (a numeric feature) are not in the query given in the config, whose columns are: user_id, snapshot_date, churned_next_30d, tenure_days\n    fix: fix the column names in the config file (--config), or pick another source',
    );
  });
});
