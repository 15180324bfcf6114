// pnpm bench [name]: runs every benchmark (packages/*/bench/<name>.bench.mjs) or the one named,
// prints its figures and appends them to bench-results/<name>.jsonl for comparison over time.
import { appendFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
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
  const report = await module.default();
  console.table(report.results);
  if (report.notes) for (const note of report.notes) console.log(note);
  const line = JSON.stringify({ at: new Date().toISOString(), node: process.version, ...report });
  appendFileSync(join(root, 'bench-results', `${bench.name}.jsonl`), line + '\n');
  console.log(`written to bench-results/${bench.name}.jsonl`);
}
