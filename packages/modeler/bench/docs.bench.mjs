// pnpm bench docs: `model docs generate --empty-catalog` (no database) as a whole process on the
// compile bench's generated projects of 1,000 and 10,000 models:
//   cold    no target/ at all (no partial-parse cache, no artifacts): REEL_BENCH_COLD_REPEAT runs (1);
//   warm    run again on the unchanged project (what CI or a second `docs generate` does);
//   edited  one model's SQL changed before each run (the edit → regenerate loop);
// and `model compile` warm as the baseline. Warm and edited figures are the minimum of
// REEL_BENCH_REPEAT runs (3), for wall time and for CPU time (user + system of all threads: on a
// machine shared with other work a truer figure than wall time), with the load average before
// each kind of run. Then, in headless Chromium, the site opened from file:// at the largest size:
// time to first render (navigation start until the node list and the first page are painted), a
// search keystroke, and a model page with its lineage graph. Targets: generate ≤ 5 s at 10,000
// models; first render ≤ 2 s.
import { appendFileSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateProject } from './generate-project.mjs';
import { measure, median } from './measure.mjs';

const cli = fileURLToPath(new URL('../bin/model.js', import.meta.url));
const sizes = (process.env.REEL_BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const times = Number(process.env.REEL_BENCH_REPEAT ?? 3);
const coldTimes = Number(process.env.REEL_BENCH_COLD_REPEAT ?? 1);
const CHROMIUM = '/usr/bin/chromium';

export default async function run() {
  const results = [];
  const notes = [];
  for (const models of sizes) {
    const root = join(tmpdir(), `reel-bench-docs-${models}`);
    const { names } = generateProject(root, models);
    const env = { DATABASE_URL: 'postgres://bench@127.0.0.1:1/unused' };
    const model = (...args) => measure([cli, ...args, '--project-dir', root], { env });
    const generate = () => model('docs', 'generate', '--empty-catalog');
    const load = () => Number(loadavg()[0].toFixed(2));

    const coldLoad = load();
    const cold = runs(coldTimes, generate, () => rmSync(join(root, 'target'), { recursive: true, force: true }));
    const warmLoad = load();
    const warm = runs(times, generate);
    const compileLoad = load();
    const compile = runs(times, () => model('compile'));
    // A mart model (the last one) gets another constant each run: its SQL, lineage and page change.
    const edited = join(root, 'models', 'marts', ...martPath(root, names.at(-1)));
    let edit = 0;
    const editedLoad = load();
    const afterEdit = runs(times, generate, () => appendFileSync(edited, `-- edit ${++edit}\n`));
    // Phases of the last run of each kind, as `docs generate` prints them (the catalog is empty here).
    const phasesOf = (kind, out) => Object.fromEntries([...out.stdout.matchAll(/(compile|lineage|site) ([\d.]+)s/g)].map((m) => [`${kind}_${m[1]}_s`, Number(m[2])]));
    const row = {
      models,
      tests: models * 2,
      cold_s: round(cold.seconds),
      cold_cpu_s: round(cold.cpuSeconds),
      warm_s: round(warm.seconds),
      warm_cpu_s: round(warm.cpuSeconds),
      edited_s: round(afterEdit.seconds),
      edited_cpu_s: round(afterEdit.cpuSeconds),
      compile_warm_s: round(compile.seconds),
      compile_warm_cpu_s: round(compile.cpuSeconds),
      ...phasesOf('cold', cold.last),
      ...phasesOf('warm', warm.last),
      ...phasesOf('edited', afterEdit.last),
      site_mib: round(sizeOf(join(root, 'target', 'docs')) / 1024 / 1024, 1),
      peak_memory_mib: Math.round(Math.max(cold.rssMiB, warm.rssMiB, afterEdit.rssMiB)),
      // 1-minute load average before the cold, warm, compile and edited runs.
      load_1m: [coldLoad, warmLoad, compileLoad, editedLoad].join(' '),
      target_generate_s: models >= 10000 ? 5 : undefined,
      warm_target_met: models >= 10000 ? warm.seconds <= 5 : undefined,
      cold_target_met: models >= 10000 ? cold.seconds <= 5 : undefined,
    };
    if (models === Math.max(...sizes)) Object.assign(row, await browserTimes(join(root, 'target', 'docs', 'index.html'), `model.bench.mar_model_${models - 1}`, notes));
    results.push(row);
    rmSync(root, { recursive: true, force: true });
  }
  notes.push('warm_s / edited_s: minimum of the runs; *_cpu_s: user + system CPU time of the process (all threads), minimum of the runs');
  return { name: 'docs', results, notes };
}

/** Runs `fn` `count` times (after `before` each): the minimum wall and CPU time, the largest memory, the last run's output. */
function runs(count, fn, before = () => {}) {
  const all = [];
  for (let i = 0; i < count; i++) {
    before();
    all.push(fn());
  }
  return {
    seconds: Math.min(...all.map((r) => r.seconds)),
    cpuSeconds: Math.min(...all.map((r) => r.cpuSeconds)),
    rssMiB: Math.max(...all.map((r) => r.rssMiB)),
    last: all.at(-1),
  };
}

/** The folder and file of a generated mart model (layers are split into folders of 25). */
function martPath(root, name) {
  for (const folder of readdirSync(join(root, 'models', 'marts'))) {
    if (existsSync(join(root, 'models', 'marts', folder, `${name}.sql`))) return [folder, `${name}.sql`];
  }
  throw new Error(`no model ${name} in ${root}/models/marts`);
}

/** First render, one search keystroke and one model page, in headless Chromium (median of `times`). */
async function browserTimes(indexHtml, modelId, notes) {
  if (!existsSync(CHROMIUM)) {
    notes.push(`first render not measured: ${CHROMIUM} is absent (apt-get install chromium)`);
    return {};
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const url = pathToFileURL(indexHtml).href;
  const firstRender = [];
  const search = [];
  const modelPage = [];
  try {
    for (let i = 0; i < times; i++) {
      const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
      const page = await context.newPage();
      await page.goto(url, { waitUntil: 'commit' });
      await page.waitForSelector('html[data-rendered]', { timeout: 60_000 });
      // performance.now() is measured from navigation start.
      firstRender.push(await page.evaluate(() => window.REEL_DOCS_RENDERED));
      search.push(
        await page.evaluate(async () => {
          const input = document.getElementById('search');
          const started = performance.now();
          input.value = 'mar_model_9';
          input.dispatchEvent(new Event('input'));
          await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
          return performance.now() - started;
        }),
      );
      modelPage.push(
        await page.evaluate(async (id) => {
          const started = performance.now();
          location.hash = `#!/model/${id}`;
          while (!document.querySelector('section[aria-labelledby="lineage-title"] svg')) await new Promise((resolve) => requestAnimationFrame(resolve));
          await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
          return performance.now() - started;
        }, modelId),
      );
      await context.close();
    }
  } finally {
    await browser.close();
  }
  return {
    first_render_s: round(median(firstRender) / 1000),
    search_keystroke_ms: Math.round(median(search)),
    model_page_ms: Math.round(median(modelPage)),
    target_first_render_s: 2,
    first_render_target_met: median(firstRender) / 1000 <= 2,
  };
}

function sizeOf(dir) {
  let bytes = 0;
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const info = statSync(path);
    bytes += info.isDirectory() ? sizeOf(path) : info.size;
  }
  return bytes;
}

function round(value, digits = 3) {
  return Number(value.toFixed(digits));
}
