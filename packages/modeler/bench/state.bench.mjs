// pnpm bench state: slim CI's selection `state:modified+` against a previous manifest, in generated
// layered projects of 1,000 and 10,000 models (two tests each), after editing one staging model.
// Timed in-process on the compiled project: reading --state's manifest.json, comparing every node
// and selecting the modified models with their descendants (target ≤ 0.5 s at 10,000). Baselines in
// the same run: selecting the same models by name (`<model>+`, no state), JSON.parse of the
// manifest alone, and the selection from manifest.json alone (no reel_state.json). Also `model ls -s state:modified+ --state` as a whole process against `model ls
// -s <model>+`, for what CI sees end to end (compile included).
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProject } from './generate-project.mjs';
import { measure, median } from './measure.mjs';

const cli = fileURLToPath(new URL('../bin/model.js', import.meta.url));
const sizes = (process.env.REEL_BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const times = Number(process.env.REEL_BENCH_REPEAT ?? 5);
const env = { DATABASE_URL: 'postgres://bench@127.0.0.1:1/unused' };

export default async function run() {
  const { compileOrThrow, selectNodes, selectionContext } = await import('../dist/index.js');
  const results = [];
  for (const models of sizes) {
    const root = join(tmpdir(), `reel-bench-state-${models}`);
    generateProject(root, models);
    measure([cli, 'compile', '--no-format', '--project-dir', root], { env });
    // As CI keeps production's target/: manifest.json with Reel's compact reel_state.json beside it;
    // and, for dbt-style setups that keep only the manifest, manifest.json alone.
    const state = join(root, 'prod-state');
    const manifestOnly = join(root, 'prod-manifest-only');
    mkdirSync(state, { recursive: true });
    mkdirSync(manifestOnly, { recursive: true });
    cpSync(join(root, 'target', 'manifest.json'), join(state, 'manifest.json'));
    cpSync(join(root, 'target', 'reel_state.json'), join(state, 'reel_state.json'));
    cpSync(join(root, 'target', 'manifest.json'), join(manifestOnly, 'manifest.json'));
    const staging = join(root, 'models', 'staging', readdirSync(join(root, 'models', 'staging')).find((d) => !d.endsWith('.yml')));
    const file = readdirSync(staging).find((f) => f.endsWith('.sql'));
    const name = file.replace(/\.sql$/, '');
    writeFileSync(join(staging, file), `${readFileSync(join(staging, file), 'utf8')}\n-- changed in this pull request\n`);

    const compiled = await compileOrThrow(root, { target: { schema: 'public' }, partialParse: true });
    const time = (fn) => {
      const runs = [];
      let value;
      for (let i = 0; i < times; i++) {
        const started = performance.now();
        value = fn();
        runs.push((performance.now() - started) / 1000);
      }
      return { seconds: median(runs), value };
    };
    const byState = time(() => selectNodes(compiled.graph, ['state:modified+'], [], selectionContext(compiled, state)));
    const fromManifest = time(() => selectNodes(compiled.graph, ['state:modified+'], [], selectionContext(compiled, manifestOnly)));
    const byName = time(() => selectNodes(compiled.graph, [`${name}+`]));
    const parseOnly = time(() => JSON.parse(readFileSync(join(state, 'manifest.json'), 'utf8')));
    if (fromManifest.value.size !== byName.value.size || byState.value.size !== byName.value.size || [...byName.value].some((id) => !byState.value.has(id))) {
      throw new Error(`state:modified+ selected ${byState.value.size} nodes, ${name}+ ${byName.value.size}: they should be the same`);
    }
    const lsState = measure([cli, 'ls', '--project-dir', root, '-s', 'state:modified+', '--state', state], { env });
    const lsName = measure([cli, 'ls', '--project-dir', root, '-s', `${name}+`], { env });
    results.push({
      models,
      manifest_mib: round(statSync(join(state, 'manifest.json')).size / 1024 / 1024, 1),
      selected: byState.value.size,
      state_modified_plus_s: round(byState.seconds),
      manifest_only_s: round(fromManifest.seconds),
      baseline_by_name_s: round(byName.seconds),
      baseline_parse_manifest_s: round(parseOnly.seconds),
      ls_state_process_s: round(lsState.seconds),
      ls_by_name_process_s: round(lsName.seconds),
      target_s: 0.5,
      met: byState.seconds <= 0.5,
      load_average: Number(loadavg()[0].toFixed(1)),
    });
    rmSync(root, { recursive: true, force: true });
  }
  return {
    name: 'state',
    results,
    notes: [
      `state_modified_plus_s: read --state (manifest.json + reel_state.json) + compare every node + select, in-process on the compiled project (median of ${times}); manifest_only_s: the same from manifest.json alone`,
    ],
  };
}

const round = (n, digits = 3) => Number(n.toFixed(digits));
