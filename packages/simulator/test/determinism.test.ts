import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FEED_NAMES, TRUTH_NAMES } from '../src/feeds.js';
import { appendDays, simulate } from '../src/simulate.js';
import { run, tempDir } from './run.js';

const files = [...FEED_NAMES.map((n) => `${n}.csv`), ...TRUTH_NAMES.map((n) => `truth/${n}.csv`), 'truth/dirt.json'];
const read = (out: string, file: string) => readFileSync(join(out, file));

describe('simulate', () => {
  it('writes byte-identical files for the same arguments, and different ones for another seed', async () => {
    const a = await run({ seed: 5 });
    const b = await run({ seed: 5 });
    const c = await run({ seed: 6 });
    for (const file of files) expect(read(a.out, file).equals(read(b.out, file)), file).toBe(true);
    expect(read(a.out, 'views.csv').equals(read(c.out, 'views.csv'))).toBe(false);
    expect(a.record.batches[0]!.sha256).toEqual(b.record.batches[0]!.sha256);
    expect(a.record.batches[0]!.rows.views).toBeGreaterThan(5000);
  });

  it('appends only the rows that arrived in the new days, and cuts back an interrupted append', async () => {
    const { out, record } = await run({ seed: 9 });
    const before = Object.fromEntries(FEED_NAMES.map((n) => [n, read(out, `${n}.csv`)]));
    const appended = await appendDays(out, 14);
    expect(appended.batches).toHaveLength(2);
    expect(appended.batches[1]).toMatchObject({ index: 1, from: '2024-03-01', to: '2024-03-15' });
    for (const name of FEED_NAMES) {
      const after = read(out, `${name}.csv`);
      // The old bytes are untouched: the batch only adds lines.
      expect(after.subarray(0, before[name]!.length).equals(before[name]!), name).toBe(true);
      const added = after.subarray(before[name]!.length).toString('utf8').split('\n').filter(Boolean);
      expect(added.length, name).toBe(appended.batches[1]!.rows[name]);
      // Every new row arrived in the new days (late rows of older days included).
      for (const line of added) expect(line.slice(line.lastIndexOf(',') + 1) >= '2024-03-01', line).toBe(true);
    }
    expect(appended.batches[1]!.rows.views).toBeGreaterThan(1000);
    expect(appended.users_total).toBeGreaterThan(record.users_total);

    // A second append: members who joined in the first keep their lives (no one appears twice).
    await appendDays(out, 10);
    const ids = readFileSync(join(out, 'users.csv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split(',')[0]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(300);

    // An append that died half-way leaves bytes that run.json does not count: the next one cuts them off.
    const twice = tempDir();
    await simulate({ users: 300, days: 60, start: '2024-01-01', seed: 9, out: twice });
    const { appendFileSync } = await import('node:fs');
    appendFileSync(join(twice, 'views.csv'), '999,1,c000001,tv,2024-03-02T20:00:00+01:00,12');
    await appendDays(twice, 14);
    const once = tempDir();
    await simulate({ users: 300, days: 60, start: '2024-01-01', seed: 9, out: once });
    await appendDays(once, 14);
    for (const name of FEED_NAMES) expect(read(twice, `${name}.csv`).equals(read(once, `${name}.csv`)), name).toBe(true);
  });
});
