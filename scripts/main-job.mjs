// pnpm start: the main job on a fresh machine. Simulates a default dataset (2,000 members, 90 days),
// loads it into the raw schema of the models project's database (the embedded PostgreSQL unless
// DATABASE_URL or a profile says otherwise), builds and tests the models project, trains and scores
// the churn model on it, then builds the marts that read the scores (tag ml).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const step = (title, args) => {
  process.stdout.write(`\n== ${title}\n`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

step('simulate 2,000 members over 90 days and load them into raw.*', [
  'packages/simulator/bin/simulate.js', '--users', '2000', '--days', '90', '--start', '2024-01-01', '--seed', '42', '--out', 'data/raw', '--load', '--project-dir', 'packages/models',
]);
// Models tagged ml read what `ml score` writes (ml.*), so they are built after it.
step('model build of packages/models (all but tag:ml)', ['packages/modeler/bin/model.js', 'build', '--project-dir', 'packages/models', '--exclude', 'tag:ml']);
// Few epochs keep the main job short; `pnpm bench ml` trains to convergence on 100k members.
step('ml train churn (against its baselines and the simulator\'s truth)', [
  'packages/ml/bin/ml.js', 'train', 'churn', '--project-dir', 'packages/models', '--truth', 'data/raw/truth/churn_truth.csv', '--epochs', '15',
]);
step('ml score churn into ml.churn_scores', ['packages/ml/bin/ml.js', 'score', 'churn', '--project-dir', 'packages/models']);
step('model build -s tag:ml (at_risk_members on the scores)', ['packages/modeler/bin/model.js', 'build', '--project-dir', 'packages/models', '-s', 'tag:ml']);
process.stdout.write(`
Done. Where to look:
  data/raw/                    the raw feeds (CSV), data/raw/truth/ the hidden truth, data/raw/run.json
  packages/models/target/      compiled SQL, manifest.json and run_results.json
  data/models/churn/           the churn model's versions: weights, preprocessing, metrics.json, model-card.md (\`node packages/ml/bin/ml.js list\`)
  the database                 schemas raw, staging, intermediate, marts and ml; \`node packages/modeler/bin/model.js debug --project-dir packages/models\` says which database
`);
