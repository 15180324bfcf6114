// pnpm bench docs: `model docs generate --empty-catalog` (no database) as a whole process on the
// compile bench's generated projects of 1,000 and 10,000 models, warm (partial-parse cache filled
// by a first compile), with `model compile` of the same project as the baseline; then, in headless
// Chromium, the site opened from file:// at the largest size: time to first render (navigation
// start until the node list and the first page are painted), a search keystroke, and a model page
// with its lineage graph. Targets: generate ≤ 5 s at 10,000 models; first render ≤ 2 s.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateProject } from './generate-project.mjs';
import { measure, median, repeat } from './measure.mjs';

const cli = fileURLToPath(new URL('../bin/model.js', import.meta.url));
const sizes = (process.env.REEL_BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const times = Number(process.env.REEL_BENCH_REPEAT ?? 3);
const CHROMIUM = '/usr/bin/chromium';

export default async function run() {
  const results = [];
  const notes = [];
  for (const models of sizes) {
    const root = join(tmpdir(), `reel-bench-docs-${models}`);
    generateProject(root, models);
    const env = { DATABASE_URL: 'postgres://bench@127.0.0.1:1/unused' };
    const model = (...args) => measure([cli, ...args, '--project-dir', root], { env });
    model('compile'); // fills the partial-parse cache: both commands below run warm
    const compile = repeat(times, () => model('compile'));
    let last;
    const generate = repeat(times, () => (last = model('docs', 'generate', '--empty-catalog')));
    const phases = Object.fromEntries([...last.stdout.matchAll(/(compile|catalog|lineage|site) ([\d.]+)s/g)].map((m) => [`${m[1]}_s`, Number(m[2])]));
    const row = {
      models,
      tests: models * 2,
      compile_s: round(compile.seconds),
      docs_generate_s: round(generate.seconds),
      docs_extra_s: round(generate.seconds - compile.seconds),
      ...Object.fromEntries(Object.entries(phases).map(([k, v]) => [`phase_${k}`, v])),
      site_mib: round(sizeOf(join(root, 'target', 'docs')) / 1024 / 1024, 1),
      peak_memory_mib: Math.round(generate.rssMiB),
      target_generate_s: models >= 10000 ? 5 : undefined,
    };
    if (models === Math.max(...sizes)) Object.assign(row, await browserTimes(join(root, 'target', 'docs', 'index.html'), `model.bench.mar_model_${models - 1}`, notes));
    results.push(row);
    rmSync(root, { recursive: true, force: true });
  }
  return { name: 'docs', results, notes };
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
