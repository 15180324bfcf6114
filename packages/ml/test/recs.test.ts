import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as model } from '@reel/modeler';
import { copyModelsProject } from '@reel/models/copy-project';
import { loadRun, simulate } from '@reel/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../modeler/test/database.js';
import { main } from '../src/cli.js';
import { SeededRandom } from '../src/seeded-random.js';

// Recommendations end to end against the real server: a small simulated platform (1,000 members,
// 60 days), the models project built up to the viewing and rating marts, `ml train recs` against
// both baselines and `ml score recs` into ml.recommendations; then the same command on MovieLens-like
// files, and the messages for bad input. The project is copied so that its target/ is this file's own.
const project = mkdtempSync(join(tmpdir(), 'reel-recs-project-'));
copyModelsProject(project);
const out = mkdtempSync(join(tmpdir(), 'reel-recs-data-'));
const store = mkdtempSync(join(tmpdir(), 'reel-recs-models-'));
const files = mkdtempSync(join(tmpdir(), 'reel-recs-files-'));
let db: TestDatabase;

// eslint-disable-next-line no-control-regex
const plain = (lines: string[]) => lines.join('\n').replace(/\u001b\[[0-9;]*m/g, '');

async function ml(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const o: string[] = [];
  const e: string[] = [];
  const code = await main([...args, '--database-url', db.url, '--project-dir', project, '--models-dir', store], { out: (l) => o.push(l), err: (l) => e.push(l) }, { NO_COLOR: '1' }, files);
  return { code, out: plain(o), err: plain(e) };
}

async function modelCommand(args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await model([...args, '--project-dir', project, '--threads', '2'], { out: (l) => lines.push(l), err: (l) => lines.push(l) }, { DATABASE_URL: db.url, NO_COLOR: '1' });
  return { code, output: plain(lines) };
}

const number = async (sql: string) => Number((await db.query<{ n: string }>(sql))[0]!.n);
const savedVersion = (output: string) => /Saved recs\/(\d{8}-\d{6})/.exec(output)![1]!;
const readJson = (version: string, file: string) => JSON.parse(readFileSync(join(store, 'recs', version, file), 'utf8'));

/** The shows a member finished (every title of the show to 90 % completion), as scoring defines them. */
const FINISHED_SHOWS = `
  with finished as (select user_id, content_id, min(show_id) as show_id from marts.fct_views where completion >= 0.9 group by 1, 2),
       titles as (select show_id, greatest(1, count(*) filter (where content_id <> show_id)) as n from marts.dim_content group by 1)
  select f.user_id, f.show_id from finished as f join titles as t on t.show_id = f.show_id
  group by 1, 2, t.n having count(*) filter (where f.content_id <> f.show_id or t.n = 1) >= t.n`;

beforeAll(async () => {
  db = await createTestDatabase('reel_recs');
  await simulate({ users: 1000, days: 60, start: '2024-01-01', seed: 7, out });
  await loadRun(out, { projectDir: project, env: { DATABASE_URL: db.url } });
  // Only what recommendations read, without the data tests (models.test.ts runs those).
  expect((await modelCommand(['seed'])).code).toBe(0);
  const built = await modelCommand(['run', '-s', '+fct_views', '+fct_ratings', '+dim_content', '--exclude', 'tag:ml']);
  expect(built.output).toContain('Completed successfully');
});
afterAll(async () => {
  await db?.drop();
});

describe('recommendations on the streaming project', () => {
  it('trains against both baselines on a time split, and scores into ml.recommendations without finished titles', async () => {
    const train = await ml(['train', 'recs', '--steps', '150', '--seed', '3']);
    expect(train.err).toBe('');
    expect(train.code).toBe(0);
    expect(train.out).toMatch(/^TensorFlow\.js backend: (tensorflow|wasm|cpu)/);
    expect(train.out).toMatch(/read [\d,]+ interactions from marts\.fct_views \+ marts\.fct_ratings \(by show\): [\d,]+ users, [\d,]+ items/);
    expect(train.out).toMatch(/time-based holdout at 2024-02-\d\d \d\d:\d\d UTC \(20 % of the events after it\): [\d,]+ train pairs; .* [\d,]+ users evaluated/);
    const version = savedVersion(train.out);
    const metrics = readJson(version, 'metrics.json');
    expect(Object.keys(metrics.models)).toEqual(['two_tower', 'popularity', 'item_knn']);
    expect(metrics.primary).toBe('two_tower');
    expect(metrics.users).toBeGreaterThan(300);
    for (const row of Object.values(metrics.models) as Record<string, number>[]) {
      expect(row.ndcg_at_k).toBeGreaterThan(0.05);
      expect(row.ndcg_at_k).toBeLessThanOrEqual(1);
      expect(row.coverage).toBeGreaterThan(0);
    }
    // Personalised models reach more of the catalog than the one list popularity gives everybody.
    expect(metrics.models.two_tower.coverage).toBeGreaterThan(metrics.models.popularity.coverage);
    const card = readFileSync(join(store, 'recs', version, 'model-card.md'), 'utf8');
    expect(card).toContain(`# Recommendation model ${version}`);
    expect(card).toContain('| model | NDCG@10 | precision@10 | recall@10 | MAP@10 | hit rate@10 | coverage@10 | train s |');
    expect(card).toMatch(/NDCG@10 of the two-tower model: \*\*[\d.]+× popularity's\*\* and \*\*[\d.]+× item-kNN's\*\*/);
    expect(readJson(version, 'version.json')).toMatchObject({ task: 'recs', protocol: 'time', k: 10, refit: true });

    const score = await ml(['score', 'recs', '--top', '5']);
    expect(score.err).toBe('');
    expect(score.code).toBe(0);
    expect(score.out).toMatch(/Wrote [\d,]+ rows \(top 5 for [\d,]+ users\) to ml\.recommendations .* users\/s; model version \d{8}-\d{6}\)/);
    const members = await number('select count(distinct user_id) as n from marts.fct_views where is_real_view');
    expect(await number('select count(distinct user_id) as n from ml.recommendations')).toBeGreaterThan(0.95 * members);
    // Five distinct shows per member, ranked 1–5, scores not increasing, all from this version.
    expect(await number('select count(*) as n from (select user_id from ml.recommendations group by 1 having count(*) <> 5 or count(distinct content_id) <> 5 or min(rank) <> 1 or max(rank) <> 5) as bad')).toBe(0);
    expect(await number('select count(*) as n from ml.recommendations as a join ml.recommendations as b on b.user_id = a.user_id and b.rank = a.rank + 1 where b.score > a.score')).toBe(0);
    expect(await number(`select count(*) as n from ml.recommendations where model_version <> '${version}'`)).toBe(0);
    // Every recommendation is a show of the catalog, and none is one the member has finished.
    expect(await number('select count(*) as n from ml.recommendations as r left join marts.dim_content as c on c.content_id = r.content_id and c.show_id = r.content_id where c.content_id is null')).toBe(0);
    expect(await number(`select count(*) as n from (${FINISHED_SHOWS}) as f`)).toBeGreaterThan(500);
    expect(await number(`select count(*) as n from ml.recommendations as r join (${FINISHED_SHOWS}) as f on f.user_id = r.user_id and f.show_id = r.content_id`)).toBe(0);

    // --exclude seen leaves out everything watched or rated, the series in progress too.
    expect((await ml(['score', 'recs', '--top', '5', '--exclude', 'seen'])).code).toBe(0);
    expect(await number('select count(*) as n from ml.recommendations as r where exists (select 1 from marts.fct_views as v where v.user_id = r.user_id and v.show_id = r.content_id and v.is_real_view)')).toBe(0);
  });
});

/** MovieLens-like ratings: two audiences, each rating its own half of 40 films high and a few others low. */
function movieLensLines(users: number, seed: number): string[][] {
  const random = new SeededRandom(seed);
  const lines: string[][] = [];
  for (let u = 1; u <= users; u++) {
    const own = u % 2 === 0 ? 0 : 20;
    const rated = new Map<number, number>();
    while (rated.size < 12) {
      const mine = rated.size < 10;
      const item = mine ? own + 1 + random.int(20) : 20 - own + 1 + random.int(20);
      if (!rated.has(item)) rated.set(item, mine ? 4 + random.int(2) : 1 + random.int(3));
    }
    // Rated in random order, a minute apart.
    const order = random.shuffle([...rated]);
    order.forEach(([item, stars], k) => lines.push([String(u), String(item), String(stars), String(880_000_000 + u * 1000 + 60 * k)]));
  }
  return lines;
}

describe('recommendations on interaction files', () => {
  it('evaluates a MovieLens-like file (u.data: tab-separated, no header) with the same command', async () => {
    writeFileSync(join(files, 'u.data'), `${movieLensLines(120, 3).map((l) => l.join('\t')).join('\n')}\n`);
    const run = await ml(['train', 'recs', '--csv', 'u.data', '--protocol', 'random', '--steps', '120', '--batch-users', '64', '--factors', '8', '--learning-rate', '0.05', '--neighbours', '20']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain('read 1,440 interactions from u.data (1,440 lines): 120 users, 40 items, 1,440 user–item pairs');
    expect(run.out).toMatch(/per-user random 75\/25: 1,080 train pairs; 360 held-out pairs, [\d,]+ not relevant/);
    const metrics = readJson(savedVersion(run.out), 'metrics.json');
    // Popularity cannot tell the audiences apart; the personalised models can.
    expect(metrics.models.two_tower.ndcg_at_k).toBeGreaterThan(1.5 * metrics.models.popularity.ndcg_at_k);
    expect(metrics.models.item_knn.ndcg_at_k).toBeGreaterThan(1.5 * metrics.models.popularity.ndcg_at_k);
  });

  it('reads ratings.csv with a header, for leave-last-out, and scores its users into ml.recommendations', async () => {
    const lines = movieLensLines(80, 4);
    writeFileSync(join(files, 'ratings.csv'), `userId,movieId,rating,timestamp\n${lines.map((l) => l.join(',')).join('\n')}\n`);
    const run = await ml(['train', 'recs', '--csv', 'ratings.csv', '--protocol', 'leave-last-out', '--steps', '60', '--batch-users', '32', '--factors', '8']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/leave-last-out \(each user's latest item\): 880 train pairs; 80 held-out pairs/);
    const score = await ml(['score', 'recs', '--top', '3']);
    expect(score.code).toBe(0);
    // Without completions, everything a user rated counts as watched: never recommended back.
    expect(await number('select count(distinct user_id) as n from ml.recommendations')).toBe(80);
    const rated = new Set(lines.map(([u, i]) => `${u}:${i}`));
    const rows = await db.query<{ user_id: string; content_id: string }>('select user_id, content_id from ml.recommendations');
    expect(rows.filter((r) => rated.has(`${r.user_id}:${r.content_id}`))).toEqual([]);
  });

  it('reads any table with a column mapping', async () => {
    const lines = movieLensLines(60, 5);
    await db.query('create table public.plays (member bigint, film text, stars integer, watched_at timestamptz)');
    await db.query('insert into public.plays select a, b, c, to_timestamp(d) from unnest($1::bigint[], $2::text[], $3::int[], $4::float8[]) as t(a, b, c, d)', [
      lines.map((l) => l[0]),
      lines.map((l) => `film-${l[1]}`),
      lines.map((l) => l[2]),
      lines.map((l) => l[3]),
    ]);
    const run = await ml(['train', 'recs', '--table', 'public.plays', '--columns', 'user=member,item=film,rating=stars,timestamp=watched_at', '--steps', '40', '--batch-users', '32', '--factors', '8']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toContain('read 720 interactions from public.plays: 60 users, 40 items, 720 user–item pairs');
    const typo = await ml(['train', 'recs', '--table', 'public.plays', '--columns', 'user=membr,item=film']);
    expect(typo.code).toBe(2);
    expect(typo.err).toBe('public.plays has no column "membr" (the user); its columns are member, film, stars, watched_at — did you mean "member"?\n    fix: name the user column with --columns user=<column>');
  });

  it('says in one sentence what is wrong with a file, where, and how to fix it', async () => {
    writeFileSync(join(files, 'empty.tsv'), '');
    const empty = await ml(['train', 'recs', '--csv', 'empty.tsv']);
    expect(empty.code).toBe(2);
    expect(empty.err).toBe(`${files}/empty.tsv is empty: there are no interactions to train on\n    fix: give a file with one interaction per line, e.g. user,item,rating,timestamp`);

    writeFileSync(join(files, 'no-item.csv'), 'userId,rating,timestamp\n1,4,978300760\n');
    const missing = await ml(['train', 'recs', '--csv', 'no-item.csv']);
    expect(missing.code).toBe(2);
    expect(missing.err).toBe(`${files}/no-item.csv has no column recognisable as the item (its columns are userId, rating, timestamp)\n    fix: say which it is with --columns item=<column>`);

    writeFileSync(join(files, 'typo.csv'), 'userId,movieId,rating,timestamp\n1,2,4,978300760\n');
    const typo = await ml(['train', 'recs', '--csv', 'typo.csv', '--columns', 'user=userId,item=movieID']);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('has no column "movieID" (the item); its columns are userId, movieId, rating, timestamp — did you mean "movieId"?');

    writeFileSync(join(files, 'bad-line.tsv'), '1\t2\t4\t978300760\n1\t3\tfive\t978300761\n');
    const bad = await ml(['train', 'recs', '--csv', 'bad-line.tsv']);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe(`${files}/bad-line.tsv line 2: the rating "five" is not a number\n    fix: fix that line, or check which field --columns maps to the rating`);

    const table = await ml(['train', 'recs', '--table', 'public.no_such_table']);
    expect(table.code).toBe(2);
    expect(table.err).toContain('the table public.no_such_table does not exist in');
  });
});
