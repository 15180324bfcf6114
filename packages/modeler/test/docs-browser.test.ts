// The docs site in a real headless Chromium (Debian's, never a downloaded one): opened from
// file:// and through `model docs serve`, searched, navigated through the lineage graph.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runModel } from './cli.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { SHOP_FILES } from './docs-fixture.js';
import { removeProject, writeProject } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must install Debian's chromium (see .ci/run)`);
if (!haveChromium) console.warn(`docs browser tests skipped: ${CHROMIUM} is absent (apt-get install chromium); in CI they run`);

/** Retries `read` until the assertion holds (pages render asynchronously). */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 10_000, interval: 50 });

/** Moves the open site to a page by its hash route, as a link would. */
const show = (page: Page, hash: string) => page.evaluate(`location.hash = ${JSON.stringify(hash)}`);

const CLI = fileURLToPath(new URL('../bin/model.js', import.meta.url));

describe.skipIf(!haveChromium)('the docs site in Chromium', () => {
  let db: TestDatabase;
  let root: string;
  let env: Record<string, string>;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('reel_docs_browser');
    env = { DATABASE_URL: db.url };
    // A model whose column lineage cannot be resolved, apart from the rest of the graph.
    root = writeProject({ ...SHOP_FILES, 'models/countdown.sql': 'with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select n from r' }, { name: 'shop' });
    const build = await runModel(['build', '--project-dir', root], env);
    expect(build.code, build.stdout).toBe(0);
    const docs = await runModel(['docs', 'generate', '--project-dir', root], env);
    expect(docs.code, docs.stderr).toBe(0);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  afterAll(async () => {
    await browser?.close();
    if (root) removeProject(root);
    await db?.drop();
  });

  async function open(url: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    // Nothing may be fetched from anywhere but the site itself.
    page.on('request', (request) => {
      if (!request.url().startsWith(url.replace(/index\.html$/, ''))) errors.push(`request outside the site: ${request.url()}`);
    });
    await page.goto(url);
    await page.waitForSelector('html[data-rendered]');
    return page;
  }

  it('opened from file://: search a model, read its column lineage, follow the lineage graph upstream', async () => {
    const page = await open(pathToFileURL(join(root, 'target', 'docs', 'index.html')).href);
    await poll(() => page.locator('h1').first().textContent()).toBe('shop');

    await page.locator('#search').fill('fct_ord');
    // The model itself first (its name starts with the query), then the tests named after it, then
    // a test that only its group (the node it tests) matches.
    await poll(() => page.locator('#node-list .node-name').allTextContents()).toEqual([
      'fct_orders',
      'not_null_fct_orders_order_id',
      'relationships_fct_orders_customer_id__customer_id__ref_dim_customers_',
      'unique_fct_orders_order_id',
      'no_negative_amounts',
    ]);
    await page.keyboard.press('Enter');
    await page.waitForURL(/#!\/model\/model\.shop\.fct_orders$/);
    await poll(() => page.locator('h1').first().textContent()).toBe('fct_orders');

    // Columns with built types, and each column's upstream columns with how they are derived.
    const amount = page.locator('table.columns tr', { has: page.locator('th', { hasText: 'amount_cents' }) });
    await poll(() => amount.locator('td').nth(0).first().textContent()).toBe('numeric');
    await poll(() => amount.locator('.upstream li', { hasText: 'stg_orders.amount_usd' }).first().textContent()).toContain('transformed');
    const name = page.locator('table.columns tr', { has: page.locator('th', { hasText: 'customer_name' }) });
    // Its value comes from dim_customers; which rows there are is decided by the join keys.
    await poll(() => name.locator('.upstream li').allTextContents()).toEqual(['direct dim_customers.customer_name', 'join dim_customers.customer_id', 'join stg_orders.customer_id']);

    // The column graph of a column: its upstream columns, across models, down to the seed.
    await name.locator('th a').click();
    await page.waitForURL(/\?col=customer_name$/);
    const columnGraph = page.locator('#column-lineage svg');
    await poll(() => columnGraph.locator('a.graph-node').count()).toBe(4);
    await poll(() => columnGraph.locator('a.graph-node[href$="seed.shop.raw_customers?col=name"]').count()).toBe(1);

    // The tests of the model, with their last results.
    await poll(() => page.locator('section', { hasText: 'last results from run_results.json' }).locator('.status-pass').count()).toBe(4);

    // The lineage graph, focused on the model: click an upstream node and land on its page.
    const graph = page.locator('section[aria-labelledby="lineage-title"] svg');
    await poll(() => graph.locator('a.graph-node.focus').count()).toBe(1);
    await graph.locator('a.graph-node[href$="model.shop.stg_orders"]').click();
    await page.waitForURL(/#!\/model\/model\.shop\.stg_orders$/);
    await poll(() => page.locator('h1').first().textContent()).toBe('stg_orders');
    await poll(() => page.locator('section[aria-labelledby="lineage-title"] a.graph-node.focus').first().textContent()).toContain('stg_orders');

    // The ER diagram of the marts, from the relationships test.
    await page.locator('.site-links a', { hasText: 'ER diagram' }).click();
    await poll(() => page.locator('svg.erd a.erd-table').count()).toBe(3);
    await poll(() => page.locator('svg.erd path.erd-edge').count()).toBe(1);
    await poll(() => page.locator('pre', { hasText: 'erDiagram' }).first().textContent()).toContain('dim_customers ||--o{ fct_orders : "customer_id"');

    expect(errors).toEqual([]);
    await page.close();
  });

  it('the lineage graph grows and shrinks with its +N / N+ depth controls', async () => {
    const page = await open(pathToFileURL(join(root, 'target', 'docs', 'index.html')).href);
    await show(page, '#!/model/model.shop.fct_orders');
    await poll(() => page.locator('h1').first().textContent()).toBe('fct_orders');
    const lineage = page.locator('section[aria-labelledby="lineage-title"]');
    const names = async () => (await lineage.locator('svg a.graph-node').evaluateAll((links) => links.map((a) => a.getAttribute('href')!.replace(/.*\./, '')))).sort();
    const button = (name: string) => lineage.getByRole('button', { name });

    // Two levels each way by default: tests are left out, the exposure is downstream.
    await poll(() => lineage.locator('code.selector').textContent()).toBe('2+fct_orders+2');
    await poll(names).toEqual(['customer_revenue', 'dim_customers', 'fct_orders', 'raw_orders', 'revenue_dashboard', 'stg_customers', 'stg_orders']);
    // 3+: the seed behind dim_customers appears.
    await button('More upstream levels').click();
    await poll(() => lineage.locator('code.selector').textContent()).toBe('3+fct_orders+2');
    await poll(names).toEqual(['customer_revenue', 'dim_customers', 'fct_orders', 'raw_customers', 'raw_orders', 'revenue_dashboard', 'stg_customers', 'stg_orders']);
    // +1, then no downstream levels: the exposure, then customer_revenue, leave.
    await button('Fewer downstream levels').click();
    await poll(() => lineage.locator('code.selector').textContent()).toBe('3+fct_orders+1');
    await poll(names).toEqual(['customer_revenue', 'dim_customers', 'fct_orders', 'raw_customers', 'raw_orders', 'stg_customers', 'stg_orders']);
    await button('Fewer downstream levels').click();
    await poll(() => lineage.locator('code.selector').textContent()).toBe('3+fct_orders');
    await poll(names).toEqual(['dim_customers', 'fct_orders', 'raw_customers', 'raw_orders', 'stg_customers', 'stg_orders']);
    // 1+: only the direct parents.
    await button('Fewer upstream levels').click();
    await button('Fewer upstream levels').click();
    await poll(() => lineage.locator('code.selector').textContent()).toBe('1+fct_orders');
    await poll(names).toEqual(['dim_customers', 'fct_orders', 'stg_orders']);
    await poll(() => lineage.locator('.graph-note').textContent()).toBe('3 nodes.');

    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows why a column\'s lineage is unresolved', async () => {
    const page = await open(pathToFileURL(join(root, 'target', 'docs', 'index.html')).href);
    await show(page, '#!/model/model.shop.countdown');
    await poll(() => page.locator('h1').first().textContent()).toBe('countdown');
    const n = page.locator('table.columns tr', { has: page.locator('th', { hasText: /^n$/ }) });
    await poll(() => n.locator('.upstream li.unresolved').allTextContents()).toEqual(['unresolved: recursive CTE "r" is only followed through its non-recursive part']);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('served by `model docs serve --port N` on the port asked for', async () => {
    // A port that is free now: listen on 0, note the port, close, then ask for it.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    let server: ChildProcess | undefined;
    try {
      server = spawn(process.execPath, [CLI, 'docs', 'serve', '--port', String(port), '--project-dir', root], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server!.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /Serving .*target\/docs\/ at (http:\/\/127\.0\.0\.1:\d+\/) \(Ctrl\+C to stop\)/.exec(out);
          if (match) resolve(match[1]!);
        });
        server!.stderr!.on('data', (chunk: Buffer) => reject(new Error(chunk.toString())));
        server!.on('exit', (code) => reject(new Error(`docs serve exited ${code}: ${out}`)));
      });
      expect(url).toBe(`http://127.0.0.1:${port}/`);
      const page = await open(url);
      await page.locator('#node-list a[href$="model.shop.dim_customers"]').click();
      await poll(() => page.locator('h1').first().textContent()).toBe('dim_customers');
      await poll(() => page.locator('section[aria-labelledby="lineage-title"] a.graph-node').count()).toBe(5);
      await page.locator('pre.sql').first().waitFor();
      await poll(() => page.locator('pre.sql').first().textContent()).toContain('"staging"."stg_customers"');
      expect(errors).toEqual([]);
      await page.close();
    } finally {
      if (server && server.exitCode === null) {
        const exited = new Promise((resolve) => server!.once('exit', resolve));
        server.kill('SIGTERM');
        await exited;
      }
    }
  });
});
