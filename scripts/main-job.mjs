// pnpm start: the main job on a fresh machine. Simulates a default dataset (2,000 members, 90 days),
// loads it into the raw schema of the models project's database (the embedded PostgreSQL unless
// DATABASE_URL or a profile says otherwise), then builds and tests the models project.
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
step('model build of packages/models', ['packages/modeler/bin/model.js', 'build', '--project-dir', 'packages/models']);
process.stdout.write(`
Done. Where to look:
  data/raw/                    the raw feeds (CSV), data/raw/truth/ the hidden truth, data/raw/run.json
  packages/models/target/      compiled SQL, manifest.json and run_results.json
  the database                 schemas raw, staging, intermediate and marts; \`node packages/modeler/bin/model.js debug --project-dir packages/models\` says which database
`);
