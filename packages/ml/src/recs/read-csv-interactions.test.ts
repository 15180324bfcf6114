import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { meanRating } from './interaction-data.js';
import { parseColumnMapping, type ColumnMapping } from './interaction-source.js';
import { parseTime, quantile, readCsvInteractions, sniffDelimiter } from './read-csv-interactions.js';

const dir = mkdtempSync(join(tmpdir(), 'reel-recs-csv-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const read = (path: string, options: { columns?: ColumnMapping; delimiter?: string; header?: boolean } = {}) => readCsvInteractions({ kind: 'csv', file: path, ...options });

describe('reading interactions from CSV and TSV files', () => {
  it('reads the MovieLens u.data layout (tab-separated, no header) and sums repeated pairs', async () => {
    const path = file('u.data', '196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n196\t242\t5\t881250999\n');
    const data = await read(path);
    expect(data.users).toEqual(['22', '186', '196']);
    expect(data.items).toEqual(['242', '302', '377']);
    expect(data.events).toBe(4);
    expect(data.signals).toEqual({ time: true, rating: true, seconds: false, completion: false });
    expect(data.early.length).toBe(3);
    // User 196 (index 2) rated item 242 (index 0) twice: 3 and 5.
    const p = Array.from(data.early.user).findIndex((u, k) => u === 2 && data.early.item[k] === 0);
    expect(data.early.events[p]).toBe(2);
    expect(meanRating(data.early, p)).toBe(4);
    expect(data.early.firstAt[p]).toBe(881250949_000);
    expect(data.early.lastAt[p]).toBe(881250999_000);
    expect(data.userIdType).toBe('bigint');
  });

  it('reads ratings.csv with a header, recognising the columns by name', async () => {
    const path = file('ratings.csv', 'userId,movieId,rating,timestamp\n1,31,2.5,1260759144\n1,1029,3.0,1260759179\n2,31,4.0,1260759182\n');
    const data = await read(path);
    expect(data.users).toEqual(['1', '2']);
    expect(data.items).toEqual(['31', '1029']);
    expect(data.description).toBe('ratings.csv (3 lines)');
  });

  it('takes a mapping by header name or by position, a :: separator, and ISO times', async () => {
    const named = file('named.csv', 'who,what,when\nu1,x,2024-01-02T10:00:00Z\nu2,y,2024-01-03\n');
    const data = await read(named, { columns: parseColumnMapping('user=who,item=what,timestamp=when') });
    expect(data.users).toEqual(['u1', 'u2']);
    expect(data.early.firstAt[0]).toBe(Date.parse('2024-01-02T10:00:00Z'));
    expect(data.userIdType).toBe('text');
    const ml1m = file('ratings.dat', '1::1193::5::978300760\n1::661::3::978302109\n');
    expect((await read(ml1m)).items).toEqual(['661', '1193']);
    const skipped = file('skip.tsv', 'x\t7\t9\n');
    expect((await read(skipped, { columns: parseColumnMapping('-,user,item') })).users).toEqual(['7']);
  });

  it('splits the events at a cut-off for the time-based holdout', async () => {
    const path = file('timed.csv', 'user,item,timestamp\n1,a,100\n1,b,200\n1,a,300\n2,a,400\n');
    const data = await readCsvInteractions({ kind: 'csv', file: path }, { testShare: 0.25 });
    // The 75th percentile of 100, 200, 300, 400 s (percentile_disc) is 300 s.
    expect(data.cutoff).toBe(300_000);
    expect(data.early.length).toBe(2);
    expect(data.late!.length).toBe(2);
  });

  it('says what is wrong, where, and how to fix it', async () => {
    await expect(read(file('empty.csv', ''))).rejects.toThrow(`${dir}/empty.csv is empty: there are no interactions to train on`);
    await expect(read(file('header-only.csv', 'userId,movieId,rating\n'))).rejects.toThrow(`${dir}/header-only.csv has a header line but no interactions`);
    await expect(read(file('no-item.csv', 'userId,rating,timestamp\n1,4,10\n'))).rejects.toThrow(`${dir}/no-item.csv has no column recognisable as the item (its columns are userId, rating, timestamp)`);
    await expect(read(file('typo.csv', 'userId,movieId,rating\n1,2,3\n'), { columns: parseColumnMapping('item=movieID') })).rejects.toThrow(`${dir}/typo.csv has no column "movieID" (the item); its columns are userId, movieId, rating — did you mean "movieId"?`);
    await expect(read(file('short.tsv', '1\t2\t3\t4\n5\t6\n'))).rejects.toThrow(`${dir}/short.tsv line 2 has 2 fields where 4 are expected (user,item,rating,timestamp)`);
    await expect(read(file('bad.csv', 'user,item,rating\n1,2,4\n1,3,x\n'))).rejects.toThrow(`${dir}/bad.csv line 3: the rating "x" is not a number`);
    await expect(read(join(dir, 'missing.csv'))).rejects.toThrow(`the interactions file ${dir}/missing.csv does not exist`);
    await expect(read(file('untimed.csv', 'user,item\n1,2\n')).then(() => readCsvInteractions({ kind: 'csv', file: join(dir, 'untimed.csv') }, { testShare: 0.2 }))).rejects.toThrow(
      `the time-based holdout needs a timestamp column, and ${dir}/untimed.csv has none (its columns are read as user,item)`,
    );
    expect(() => parseColumnMapping('user,item,stars')).toThrow('--columns names "stars", which is not one of user, item, rating, timestamp, seconds, completion');
  });

  it('parses times and sniffs separators', () => {
    expect(parseTime('881250949')).toBe(881250949_000);
    expect(parseTime('1700000000000')).toBe(1700000000000);
    expect(parseTime('2024-01-01T00:00:00Z')).toBe(Date.UTC(2024, 0, 1));
    expect(parseTime('soon')).toBeNaN();
    expect(sniffDelimiter('1\t2')).toBe('\t');
    expect(sniffDelimiter('1::2::3')).toBe('::');
    expect(sniffDelimiter('a;b')).toBe(';');
    expect(quantile(Float64Array.from([4, 1, 3, 2, Number.NaN]), 0.5)).toBe(2);
  });
});
