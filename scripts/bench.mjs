// pnpm bench [name]: runs every benchmark (packages/*/bench/<name>.bench.mjs) or the one named,
// prints its figures and appends them to bench-results/<name>.jsonl for comparison over time.
import { appendFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = new URL('..', import.meta.url).pathname;
const wanted = process.argv[2];
const found = [];
for (const pkg of readdirSync(join(root, 'packages'))) {
  const dir = join(root, 'packages', pkg, 'bench');
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.bench.mjs')) found.push({ name: file.replace('.bench.mjs', ''), path: join(dir, file), pkg });
  }
}
const chosen = wanted ? found.filter((b) => b.name === wanted) : found;
if (chosen.length === 0) {
  console.error(`no benchmark named "${wanted}"; there are: ${found.map((b) => b.name).join(', ') || 'none'}`);
  process.exit(2);
}
mkdirSync(join(root, 'bench-results'), { recursive: true });
for (const bench of chosen) {
  console.log(`\n== bench ${bench.name} (packages/${bench.pkg}) ==`);
  const module = await import(pathToFileURL(bench.path).href);
  // Load averages before and after: on a shared machine a slow figure can be another process's.
  const loadBefore = loadavg().map((l) => Number(l.toFixed(2)));
  const report = await module.default();
  const load = { before: loadBefore, after: loadavg().map((l) => Number(l.toFixed(2))) };
  console.table(report.results);
  if (report.notes) for (const note of report.notes) console.log(note);
  console.log(`load average (1, 5, 15 min): ${load.before.join(' ')} before, ${load.after.join(' ')} after`);
  const line = JSON.stringify({ at: new Date().toISOString(), node: process.version, load, ...report });
  appendFileSync(join(root, 'bench-results', `${bench.name}.jsonl`), line + '\n');
  console.log(`written to bench-results/${bench.name}.jsonl`);
}
