import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestDatabase } from '../../modeler/test/database.js';

/**
 * A small inline models project: `reel_project.yml` and the `target/manifest.json` that
 * `model build` would write for two marts (a fact with one row per play, a dimension of people)
 * and one staging model, with a unique test and a relationships test; and the marts themselves in
 * the test database, with every type the exporter maps (arrays, fixed decimals, zoned and local
 * timestamps, NULLs, quotes, commas, new lines and non-ASCII text).
 */
export async function inlineProject(db: TestDatabase, plays: number): Promise<string> {
  await db.query(`create schema if not exists marts`);
  await db.query(`drop table if exists marts.fct_plays, marts.dim_people`);
  await db.query(`create table marts.dim_people (user_id bigint primary key, name text, region text)`);
  await db.query(`insert into marts.dim_people select g, case when g % 7 = 0 then 'O''Brien, "Jr"' when g % 11 = 0 then 'Zoë ' || g else 'person ' || g end, (array['Europe','Americas','Asia'])[1 + g % 3] from generate_series(1, 50) g`);
  await db.query(`create table marts.fct_plays (
      play_id bigint, user_id bigint, played_at timestamptz, played_at_local timestamp, played_on date,
      seconds integer, small smallint, score numeric, ratio double precision, price numeric(8,2), done boolean,
      title text, tags text[], note varchar(20))`);
  await db.query(
    `insert into marts.fct_plays
     select g, 1 + g % 50,
            timestamptz '2024-01-01 00:00:00+00' + g * interval '37 seconds' + (g % 1000) * interval '1 microsecond',
            timestamp '2024-01-01 00:00:00' + g * interval '41 seconds',
            date '2023-12-25' + (g % 40),
            case when g % 13 = 0 then null else g % 3600 end,
            (g % 300)::smallint,
            round((g % 97) / 7.0, 6),
            case when g % 17 = 0 then null else g / 3.0 end,
            (g % 5000) / 100.0,
            case when g % 19 = 0 then null else g % 2 = 0 end,
            case when g % 23 = 0 then '' when g % 29 = 0 then e'two\\nlines, "quoted"' else 'title ' || (g % 400) end,
            case when g % 31 = 0 then null else array['a' || (g % 3), 'b'] end,
            case when g % 2 = 0 then 'ä€' else null end
       from generate_series(1, $1::int) g`,
    [plays],
  );
  const dir = mkdtempSync(join(tmpdir(), 'reel-bi-project-'));
  writeFileSync(join(dir, 'reel_project.yml'), 'name: demo\nprofile: demo\n');
  mkdirSync(join(dir, 'target'), { recursive: true });
  const model = (name: string, folder: string, columns: Record<string, string>, description: string) => ({
    unique_id: `model.demo.${name}`,
    resource_type: 'model',
    name,
    fqn: ['demo', folder, name],
    schema: folder,
    alias: name,
    description,
    config: { materialized: 'table' },
    columns: Object.fromEntries(Object.entries(columns).map(([n, d]) => [n, { name: n, description: d }])),
  });
  const manifest = {
    metadata: { project_name: 'demo', generated_at: new Date().toISOString() },
    nodes: {
      'model.demo.fct_plays': model('fct_plays', 'marts', { play_id: 'One play.', seconds: 'Seconds played.' }, 'One row per play.'),
      'model.demo.dim_people': model('dim_people', 'marts', { user_id: 'The person.' }, 'One row per person.'),
      'model.demo.stg_plays': model('stg_plays', 'staging', {}, 'Staged plays.'),
      'test.demo.unique_dim_people_user_id': {
        unique_id: 'test.demo.unique_dim_people_user_id',
        resource_type: 'test',
        name: 'unique_dim_people_user_id',
        attached_node: 'model.demo.dim_people',
        test_metadata: { name: 'unique', kwargs: { column_name: 'user_id' } },
        depends_on: { nodes: ['model.demo.dim_people'] },
      },
      'test.demo.relationships_fct_plays_user_id': {
        unique_id: 'test.demo.relationships_fct_plays_user_id',
        resource_type: 'test',
        name: 'relationships_fct_plays_user_id',
        attached_node: 'model.demo.fct_plays',
        test_metadata: { name: 'relationships', kwargs: { to: "ref('dim_people')", field: 'user_id', column_name: 'user_id' } },
        depends_on: { nodes: ['model.demo.dim_people', 'model.demo.fct_plays'] },
      },
    },
  };
  writeFileSync(join(dir, 'target', 'manifest.json'), JSON.stringify(manifest));
  return dir;
}
