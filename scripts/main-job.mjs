// pnpm start: the main job on a fresh machine. Simulates a default dataset (2,000 members, 90 days),
// loads it into the raw schema of the models project's database (the embedded PostgreSQL unless
// DATABASE_URL or a profile says otherwise), builds and tests the models project, trains and scores
// the churn model on it, then builds the marts that read the scores (tag ml). Last, it serves the
// portal (`bi serve`) on that database until Ctrl-C, with a demo admin and a one-region user whose
// random passwords it writes to .reel/ (git-ignored) — not when CI is set or with --no-serve.
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const serve = !process.argv.includes('--no-serve') && !process.env.CI;
const step = (title, args) => {
  process.stdout.write(`\n== ${title}\n`);
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

step('simulate 2,000 members over 90 days and load them into raw.*', [
  'packages/simulator/bin/simulate.js', '--users', '2000', '--days', '90', '--start', '2024-01-01', '--seed', '42', '--out', 'data/raw', '--load', '--project-dir', 'packages/models',
]);
// Models tagged ml read what `ml score` writes (ml.*), so they are built after it.
// --full-refresh: the simulation above replaces raw.*, so an incremental fct_views from an earlier run
// (say after `simulate --append-days`) must not keep its rows.
step('model build of packages/models (all but tag:ml)', ['packages/modeler/bin/model.js', 'build', '--project-dir', 'packages/models', '--exclude', 'tag:ml', '--full-refresh']);
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

/** .reel/portal.yml with a demo admin and a Europe-only viewer (random passwords, kept beside it), made once. */
async function demoUsers() {
  const dir = join(root, '.reel');
  const config = join(dir, 'portal.yml');
  const secrets = join(dir, 'portal-demo-passwords.json');
  if (existsSync(config) && existsSync(secrets)) return JSON.parse(readFileSync(secrets, 'utf8'));
  const { hashPassword } = await import('../packages/bi-export/dist/serve/password-hash.js');
  const users = [
    { name: 'admin', role: 'admin', regions: ['*'], password: randomBytes(12).toString('base64url') },
    { name: 'europe', role: 'viewer', regions: ['Europe'], password: randomBytes(12).toString('base64url') },
  ];
  const lines = ["# The portal's users (bi serve --config .reel/portal.yml), made by the main job. Hashes from `bi users hash`.", 'users:'];
  for (const u of users) lines.push(`  - {name: ${u.name}, role: ${u.role}, regions: ${JSON.stringify(u.regions)}, password_hash: "${await hashPassword(u.password)}"}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(config, `${lines.join('\n')}\n`, { mode: 0o600 });
  writeFileSync(secrets, `${JSON.stringify(users.map(({ name, password }) => ({ name, password })), null, 2)}\n`, { mode: 0o600 });
  return users;
}

if (serve) {
  const users = await demoUsers();
  process.stdout.write(`
== bi serve: the portal on the marts (Ctrl-C to stop; \`pnpm start --no-serve\` or CI=1 skips this)
Sign in as ${users.map((u) => `${u.name} / ${u.password}`).join(', or ')} (europe sees Europe only).
The passwords are in .reel/portal-demo-passwords.json, the users in .reel/portal.yml (both git-ignored).
`);
  spawnSync(process.execPath, ['packages/bi-export/bin/bi.js', 'serve', '--project-dir', 'packages/models', '--config', '.reel/portal.yml'], { cwd: root, stdio: 'inherit' });
}
