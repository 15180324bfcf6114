import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { FEED_NAMES } from '../src/feeds.js';
import { simulate } from '../src/simulate.js';
import { readCsv, tempDir } from './run.js';

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l), interactive: false }, { NO_COLOR: '1' });
  // eslint-disable-next-line no-control-regex
  const plain = (lines: string[]) => lines.join('\n').replace(/\u001b\[[0-9;]*m/g, '');
  return { code, stdout: plain(out), stderr: plain(err) };
}

const sample = fileURLToPath(new URL('./fixtures/netflix_titles_sample.csv', import.meta.url));

describe('the simulate command', () => {
  it('says what is wrong with an argument in one sentence, with exit code 2', async () => {
    expect(await cli(['--users', 'ten'])).toEqual({ code: 2, stdout: '', stderr: "error: option '--users <n>' argument 'ten' is invalid. --users must be a whole number from 1 to 100,000,000" });
    expect((await cli(['--start', '2024-02-30'])).stderr).toBe("error: option '--start <date>' argument '2024-02-30' is invalid. the start must be a date written YYYY-MM-DD, e.g. 2024-01-01");
    expect((await cli(['--dirt', 'late=0.5'])).stderr).toMatch(/^error: option '--dirt <kind=rate,...>' argument 'late=0.5' is invalid. "late" is not a kind of dirt; the kinds are exact_duplicate, /);
    const empty = tempDir();
    expect(await cli(['--append-days', '3', '--out', empty])).toEqual({ code: 2, stdout: '', stderr: `${empty} holds no simulation run (no run.json)\n    fix: start one first: simulate --users N --days D --out ${empty}` });
  });

  it('takes a real catalog in the Netflix format and keeps its values as they are', async () => {
    const out = tempDir();
    const run = await cli(['--users', '200', '--days', '40', '--start', '2021-09-01', '--catalog', sample, '--out', out, '--dirty-rate', '0']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const content = readCsv(join(out, 'content.csv'));
    const source = readCsv(sample);
    // Titles added after the run are not in the feed yet; every one that is keeps its values.
    const byId = new Map(content.map((c) => [c.content_id!, c]));
    const shown = source.filter((s) => byId.has(s.show_id!));
    expect(shown.length).toBeGreaterThan(250);
    for (const title of shown) {
      const row = byId.get(title.show_id!)!;
      expect([row.title, row.date_added, row.rating, row.duration, row.listed_in, row.description]).toEqual([title.title, title.date_added, title.rating, title.duration, title.listed_in, title.description]);
    }
    expect(content.some((c) => c.date_added!.startsWith(' '))).toBe(true);
    expect(content.some((c) => /^\d+ min$/.test(c.rating!) && c.duration === '')).toBe(true);
    expect(content.filter((c) => c.content_type === 'Episode').length).toBeGreaterThan(100);
    const views = readCsv(join(out, 'views.csv'));
    expect(views.length).toBeGreaterThan(1000);
    expect(views.every((v) => byId.has(v.content_id!))).toBe(true);

    const broken = tempDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(broken, 'titles.csv'), 'show_id,type,title\ns1,Movie,"Unclosed\n');
    const bad = await cli(['--catalog', join(broken, 'titles.csv'), '--out', broken]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^.*titles\.csv:2: Quote Not Closed: the parsing is finished with an opening quote at line 2\n    fix: the catalog must be a CSV file/);
  });

  it('gives the same bytes on worker threads (the built command) as on one thread', async () => {
    const bin = fileURLToPath(new URL('../bin/simulate.js', import.meta.url));
    const threaded = tempDir();
    const result = spawnSync(process.execPath, [bin, '--users', '4500', '--days', '20', '--seed', '8', '--out', threaded], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const single = tempDir();
    await simulate({ users: 4500, days: 20, start: '2024-01-01', seed: 8, out: single });
    for (const name of FEED_NAMES) expect(readFileSync(join(threaded, `${name}.csv`)).equals(readFileSync(join(single, `${name}.csv`))), name).toBe(true);
  }, 120_000);
});
