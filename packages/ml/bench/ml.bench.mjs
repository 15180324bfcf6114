// pnpm bench ml: the ML models on a documented simulated dataset, on a fresh database of the
// machine's PostgreSQL (DATABASE_URL's server).
//
// Dataset: `simulate --users N --days 90 --start 2024-01-01 --seed 1` (N = 100,000 unless
// REEL_BENCH_USERS says otherwise, e.g. REEL_BENCH_USERS=10000 or 10000,100000), loaded into raw.*,
// then the models project's seeds and the models churn and recommendations read
// (`model seed`, `model run -s +user_churn_signals +dim_users +fct_views +fct_ratings +dim_content`).
// REEL_BENCH_EPOCHS caps the churn epochs.
//
// Churn: `ml train churn --truth …` (neural network, logistic regression, recency rule, and the
// oracle: the simulator's true probabilities on the same test rows), then `ml score churn`.
// Figures: test ROC AUC of each, the gap to the oracle, training time and peak memory of the train
// process, scoring throughput (members per second, end to end and predicting only).
// Targets: churn AUC within 0.02 of the oracle and above logistic regression.
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure } from '../../modeler/bench/measure.mjs';
import { admin, serverUrl } from '../../../scripts/bench-database.mjs';

const project = fileURLToPath(new URL('../../models/', import.meta.url));
const model = fileURLToPath(new URL('../../modeler/bin/model.js', import.meta.url));
const simulate = fileURLToPath(new URL('../../simulator/bin/simulate.js', import.meta.url));
const ml = fileURLToPath(new URL('../bin/ml.js', import.meta.url));
const sizes = (process.env.REEL_BENCH_USERS ?? '100000').split(',').map(Number);
const epochs = process.env.REEL_BENCH_EPOCHS ?? '60';
// REEL_BENCH_ML_TASKS=recs (or churn) runs one task only.
const tasks = (process.env.REEL_BENCH_ML_TASKS ?? 'churn,recs').split(',');
// REEL_BENCH_ML_DATABASE names another scratch database (and folders), for two runs side by side.
const DATABASE = process.env.REEL_BENCH_ML_DATABASE ?? 'reel_bench_ml';

/** The simulated platform, loaded and built up to the marts the models read. */
async function prepareDataset(users) {
  await admin(`drop database if exists ${DATABASE} with (force)`);
  await admin(`create database ${DATABASE}`);
  const url = new URL(serverUrl);
  url.pathname = `/${DATABASE}`;
  const env = { DATABASE_URL: url.toString(), CI: 'true' };
  const out = join(tmpdir(), `${DATABASE}-${users}`);
  const models = join(tmpdir(), `${DATABASE}-models-${users}`);
  rmSync(out, { recursive: true, force: true });
  rmSync(models, { recursive: true, force: true });
  measure([simulate, '--users', String(users), '--days', '90', '--start', '2024-01-01', '--seed', '1', '--out', out, '--load', '--project-dir', project], { env });
  measure([model, 'seed', '--project-dir', project], { env });
  // Churn reads user_churn_signals and dim_users; recommendations fct_views, fct_ratings and dim_content.
  const build = measure([model, 'run', '-s', '+user_churn_signals', '+dim_users', '+fct_views', '+fct_ratings', '+dim_content', '--exclude', 'tag:ml', '--project-dir', project], { env });
  return {
    users,
    env,
    out,
    models,
    buildSeconds: build.seconds,
    cleanup: async () => {
      rmSync(out, { recursive: true, force: true });
      rmSync(models, { recursive: true, force: true });
      await admin(`drop database if exists ${DATABASE} with (force)`);
    },
  };
}

async function churn(dataset) {
  const train = measure([ml, 'train', 'churn', '--project-dir', project, '--models-dir', dataset.models, '--truth', join(dataset.out, 'truth', 'churn_truth.csv'), '--epochs', epochs, '--batch-size', '1024'], { env: dataset.env });
  const version = /Saved churn\/(\d{8}-\d{6})/.exec(train.stdout)[1];
  const dir = join(dataset.models, 'churn', version);
  const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  const info = JSON.parse(readFileSync(join(dir, 'version.json'), 'utf8'));
  const score = measure([ml, 'score', 'churn', '--project-dir', project, '--models-dir', dataset.models], { env: dataset.env });
  const [, scored, scoreSeconds, predictSeconds] = /Wrote ([\d,]+) rows to ml\.churn_scores .* in ([\d.]+) s, ([\d.]+) s of it predicting/.exec(score.stdout);
  const members = Number(scored.replaceAll(',', ''));
  const auc = (name) => round(metrics.models[name]?.roc_auc);
  return [
    {
      task: 'churn',
      users: dataset.users,
      days: 90,
      backend: info.backend,
      labelled_rows: info.split.rows.train + info.split.rows.validation + info.split.rows.test,
      test_rows: info.split.rows.test,
      neural_auc: auc('neural'),
      logistic_auc: auc('logistic_regression'),
      recency_auc: auc('recency_rule'),
      oracle_auc: auc('oracle'),
      gap_to_oracle: round(metrics.models.oracle.roc_auc - metrics.models.neural.roc_auc),
      neural_pr_auc: round(metrics.models.neural.pr_auc),
      neural_top10_capture: round(metrics.models.neural.top10_capture),
      best_epoch: `${info.neural.bestEpoch}/${info.neural.epochs}`,
      train_models_s: info.timings.train_s,
      train_process_s: round(train.seconds, 1),
      train_peak_mib: Math.round(train.rssMiB),
      score_members: members,
      score_s: round(Number(scoreSeconds), 2),
      score_members_per_s: Math.round(members / Number(scoreSeconds)),
      predict_members_per_s: Math.round(members / Math.max(Number(predictSeconds), 1e-3)),
      score_peak_mib: Math.round(score.rssMiB),
      build_s: round(dataset.buildSeconds, 1),
    },
  ];
}

// Recommendations: `ml train recs` (two-tower model, popularity and item-kNN baselines, time-based
// holdout of the last 20 % of events, full ranking, k = 10; then trained again on all the data),
// then `ml score recs` (top 10 per member → ml.recommendations).
// Figures: NDCG@10 of each model and the two-tower's ratio to each baseline, precision, recall, MAP,
// hit rate and coverage of the two-tower model, training time (the evaluated model, the refit, the
// whole process) and peak memory, scoring throughput (members per second, ranking only and end to end).
// Targets: NDCG@10 ≥ 1.5 × popularity's and above item-kNN's. REEL_BENCH_RECS_STEPS sets --steps.
async function recs(dataset) {
  const steps = process.env.REEL_BENCH_RECS_STEPS ? ['--steps', process.env.REEL_BENCH_RECS_STEPS] : [];
  const train = measure([ml, 'train', 'recs', '--project-dir', project, '--models-dir', dataset.models, ...steps], { env: dataset.env });
  const version = /Saved recs\/(\d{8}-\d{6})/.exec(train.stdout)[1];
  const dir = join(dataset.models, 'recs', version);
  const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
  const info = JSON.parse(readFileSync(join(dir, 'version.json'), 'utf8'));
  const score = measure([ml, 'score', 'recs', '--project-dir', project, '--models-dir', dataset.models], { env: dataset.env });
  const [, rows, scoredUsers, scoreSeconds, rankSeconds] = /Wrote ([\d,]+) rows \(top \d+ for ([\d,]+) users.*in ([\d.]+) s, ([\d.]+) s of it ranking/.exec(score.stdout);
  const users = Number(scoredUsers.replaceAll(',', ''));
  const ndcg = (name) => round(metrics.models[name].ndcg_at_k);
  const tt = metrics.models.two_tower;
  return [
    {
      task: 'recs',
      users: dataset.users,
      days: 90,
      backend: info.backend,
      protocol: metrics.protocol,
      eval_users: metrics.users,
      catalog: metrics.catalog,
      two_tower_ndcg10: ndcg('two_tower'),
      popularity_ndcg10: ndcg('popularity'),
      item_knn_ndcg10: ndcg('item_knn'),
      vs_popularity: metrics.ndcgRatio.popularity,
      vs_item_knn: metrics.ndcgRatio.item_knn,
      two_tower_precision10: round(tt.precision_at_k),
      two_tower_recall10: round(tt.recall_at_k),
      two_tower_map10: round(tt.map_at_k),
      two_tower_hit_rate10: round(tt.hit_rate),
      two_tower_coverage10: round(tt.coverage),
      steps: info.twoTower.steps,
      train_model_s: info.timings.train_s,
      refit_s: info.timings.refit_s,
      read_s: info.timings.read_s,
      train_process_s: round(train.seconds, 1),
      train_peak_mib: Math.round(train.rssMiB),
      score_users: users,
      score_rows: Number(rows.replaceAll(',', '')),
      score_s: round(Number(scoreSeconds), 2),
      rank_users_per_s: Math.round(users / Math.max(Number(rankSeconds), 1e-3)),
      score_users_per_s: Math.round(users / Number(scoreSeconds)),
      score_peak_mib: Math.round(score.rssMiB),
    },
  ];
}

function recsNote(r) {
  return `recs at ${r.users.toLocaleString('en')} members (${r.protocol} holdout, ${r.eval_users.toLocaleString('en')} users evaluated): two-tower NDCG@10 ${r.two_tower_ndcg10} = ${r.vs_popularity}× popularity's ${r.popularity_ndcg10} (target ≥ 1.5× — ${r.vs_popularity >= 1.5 ? 'met' : 'NOT met'}) and ${r.vs_item_knn}× item-kNN's ${r.item_knn_ndcg10} (target above — ${r.vs_item_knn > 1 ? 'met' : 'NOT met'}); trained in ${r.train_model_s} s (+ ${r.refit_s} s refit), scored ${r.score_users.toLocaleString('en')} members at ${r.rank_users_per_s.toLocaleString('en')}/s ranking, ${r.score_users_per_s.toLocaleString('en')}/s end to end`;
}

export default async function run() {
  const results = [];
  const notes = [];
  for (const users of sizes) {
    const dataset = await prepareDataset(users);
    try {
      const rows = tasks.includes('churn') ? await churn(dataset) : [];
      results.push(...rows);
      for (const r of rows) {
        notes.push(
          `churn at ${users.toLocaleString('en')} members: neural AUC ${r.neural_auc} vs oracle ${r.oracle_auc} (gap ${r.gap_to_oracle}; target ≤ 0.02 — ${r.gap_to_oracle <= 0.02 ? 'met' : 'NOT met'}) and vs logistic regression ${r.logistic_auc} (target above — ${r.neural_auc > r.logistic_auc ? 'met' : 'NOT met'})`,
        );
      }
      const recsRows = tasks.includes('recs') ? await recs(dataset) : [];
      results.push(...recsRows);
      for (const r of recsRows) notes.push(recsNote(r));
    } finally {
      await dataset.cleanup();
    }
  }
  return { name: 'ml', results, notes: ['dataset: simulate --users N --days 90 --start 2024-01-01 --seed 1 (packages/ml/bench/ml.bench.mjs)', ...notes] };
}

const round = (v, d = 4) => (v === undefined || v === null || !Number.isFinite(v) ? null : Number(v.toFixed(d)));
