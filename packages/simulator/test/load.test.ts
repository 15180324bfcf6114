import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../modeler/test/database.js';
import { FEED_NAMES } from '../src/feeds.js';
import { loadRun } from '../src/load.js';
import { appendDays } from '../src/simulate.js';
import { run, tempDir } from './run.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('reel_sim');
});
afterAll(async () => {
  await db?.drop();
});

const counts = async () => Object.fromEntries(await Promise.all(FEED_NAMES.map(async (name) => [name, Number((await db.query(`select count(*) as n from raw.${name}`))[0]!.n)])));

describe('simulate --load', () => {
  it('loads every feed with COPY, keeps malformed lines as rejects, and a rerun does not duplicate rows', async () => {
    const { out, record } = await run({ users: 400, days: 45, seed: 3, dirt: { malformed_line: 0.01 } });
    const options = { projectDir: tempDir(), env: { DATABASE_URL: db.url } };
    const report = await loadRun(out, options);
    const rejects = await db.query<{ feed: string; n: string }>('select feed, count(*) as n from raw.load_rejects group by feed');
    const rejected = Number(rejects.find((r) => r.feed === 'views')?.n ?? 0);
    expect(rejected).toBeGreaterThan(10);
    expect(report.feeds.views.rejected).toBe(rejected);
    // Every line of every file is a loaded row or a kept reject.
    for (const name of FEED_NAMES) {
      expect(report.feeds[name].rows + report.feeds[name].rejected, name).toBe(record.batches[0]!.rows[name]);
    }
    const first = await counts();
    expect(first.views).toBe(report.feeds.views.rows);
    const [sample] = await db.query<{ reason: string; line_number: string }>("select reason, line_number from raw.load_rejects where feed = 'views' order by line_number limit 1");
    expect(sample!.reason).toMatch(/^(6|9) fields where 8 were expected$/);

    await loadRun(out, options);
    expect(await counts()).toEqual(first);
    expect(Number((await db.query('select count(*) as n from raw.load_rejects'))[0]!.n)).toBe(rejected);

    // After an append, a load holds both batches.
    const appended = await appendDays(out, 7);
    await loadRun(out, options);
    const after = await counts();
    expect(after.views).toBeGreaterThan(first.views);
    expect(after.views + Number((await db.query("select count(*) as n from raw.load_rejects where feed = 'views'"))[0]!.n)).toBe(appended.batches[0]!.rows.views + appended.batches[1]!.rows.views);
  });

  it('leaves the previous rows in place when a load fails, and refuses a folder whose last run did not finish', async () => {
    const { out } = await run({ users: 150, days: 30, seed: 4 });
    // The connection comes from the project's profile (named in its reel_project.yml) and --target.
    const projectDir = tempDir();
    writeFileSync(join(projectDir, 'reel_project.yml'), 'name: streaming\nprofile: reel\n');
    writeFileSync(join(projectDir, 'profiles.yml'), `reel:\n  target: dev\n  outputs:\n    dev: {type: embedded}\n    ci: {url: '${db.url}'}\n`);
    const options = { projectDir, target: 'ci', env: {} };
    await loadRun(out, options);
    const before = await counts();
    // Same size, but no longer UTF-8 half way through: PostgreSQL rejects the COPY.
    const views = readFileSync(join(out, 'views.csv'));
    views[Math.floor(views.length / 2)] = 0xff;
    writeFileSync(join(out, 'views.csv'), views);
    const failure = await loadRun(out, options).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(String(failure)).toMatch(/^loading .*views\.csv into raw\.views failed: invalid byte sequence for encoding "UTF8": 0xff/);
    expect(String(failure)).toContain('fix: nothing was changed in that table; fix the cause and load again');
    expect(await counts()).toEqual(before);

    writeFileSync(join(out, 'views.csv'), Buffer.concat([views, Buffer.from('1,2,3\n')]));
    const torn = await loadRun(out, options).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(String(torn)).toMatch(/views\.csv is \d+ bytes, not the \d+ run\.json recorded: the last simulate in .* did not finish/);
  });
});
