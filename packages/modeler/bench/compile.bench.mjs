// pnpm bench compile: `model compile` as a whole process on generated layered projects of 1,000 and
// 10,000 models (two tests each): cold (empty target/), warm (unchanged project, partial-parse cache)
// and after editing one model, with and without formatting. Baselines in the same run: node's own
// start-up, and a process that only reads every project file. Targets: 1,000 ≤ 0.5 s, 10,000 ≤ 2 s, memory ≤ 500 MB, linear cost.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProject } from './generate-project.mjs';
import { measure, repeat } from './measure.mjs';

const cli = fileURLToPath(new URL('../bin/model.js', import.meta.url));
const sizes = (process.env.REEL_BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const times = Number(process.env.REEL_BENCH_REPEAT ?? 3);

const readAll = `
const fs = require('fs'), path = require('path');
let bytes = 0;
(function walk(d) { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else bytes += fs.readFileSync(p, 'utf8').length; } })(process.argv[1]);
`;

export default function run() {
  const results = [];
  for (const models of sizes) {
    const root = join(tmpdir(), `reel-bench-compile-${models}`);
    generateProject(root, models);
    const clean = () => rmSync(join(root, 'target'), { recursive: true, force: true });
    const env = { DATABASE_URL: 'postgres://bench@127.0.0.1:1/unused' };
    const startup = repeat(times, () => measure(['-e', '']));
    const read = repeat(times, () => measure(['-e', readAll, join(root, 'models')]));
    const compile = (format) => measure([cli, 'compile', ...(format ? [] : ['--no-format']), '--project-dir', root], { env });
    // Cold: no target/ (no partial-parse cache, no compiled files). Warm: the same project again.
    const coldNoFormat = repeat(times, () => compile(false), clean);
    const warmNoFormat = repeat(times, () => compile(false));
    const coldFormatted = repeat(Math.min(times, 2), () => compile(true), clean);
    const warmFormatted = repeat(times, () => compile(true));
    // The edit loop: one model changed since the last compile.
    const edited = join(root, 'models', 'marts', 'group_000', readdirSync(join(root, 'models', 'marts', 'group_000')).find((f) => f.endsWith('.sql')));
    const original = readFileSync(edited, 'utf8');
    let edits = 0;
    const oneChanged = repeat(times, () => compile(true), () => writeFileSync(edited, `${original}-- edit ${++edits}\n`));
    writeFileSync(edited, original);
    const tests = countTests(root);
    const memory = [coldNoFormat, warmNoFormat, coldFormatted, warmFormatted, oneChanged].map((r) => r.rssMiB);
    results.push({
      models,
      tests,
      node_startup_s: round(startup.seconds),
      read_files_s: round(read.seconds),
      cold_no_format_s: round(coldNoFormat.seconds),
      warm_no_format_s: round(warmNoFormat.seconds),
      cold_formatted_s: round(coldFormatted.seconds),
      warm_formatted_s: round(warmFormatted.seconds),
      one_model_changed_s: round(oneChanged.seconds),
      peak_memory_mib: Math.round(Math.max(...memory)),
      cold_per_model_ms: round(((coldNoFormat.seconds - startup.seconds) * 1000) / models, 3),
      target_s: models <= 1000 ? 0.5 : 2,
    });
    rmSync(root, { recursive: true, force: true });
  }
  return { name: 'compile', results };
}

function countTests(root) {
  let n = 0;
  const walk = (d) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.yml')) n += (readFileSync(p, 'utf8').match(/tests: \[unique, not_null\]/g) ?? []).length * 2;
    }
  };
  walk(join(root, 'models'));
  return n;
}

function round(value, digits = 3) {
  return Number(value.toFixed(digits));
}
