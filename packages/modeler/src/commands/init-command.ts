import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Output } from '../cli/output.js';
import { UsageError } from '../errors/index.js';

/** The starter project `model init` writes: a seed and three layered models with tests. */
export function starterFiles(name: string): Record<string, string> {
  return {
    'reel_project.yml': `name: ${name}
profile: ${name}

# Folder-level config, inherited by subfolders (as in dbt). Keys starting with + are config.
models:
  ${name}:
    staging:
      +schema: staging
      +materialized: view
    intermediate:
      +schema: intermediate
    marts:
      +schema: marts
      +materialized: table

seeds:
  ${name}:
    +schema: raw

vars:
  min_seconds: 60
`,
    '.gitignore': 'target/\n.reel/\n',
    'seeds/plays.csv': `play_id,user_id,title,country,started_at,seconds_watched
1,10,The Crown,GB,2024-03-01 20:15:00,3100
2,10,The Crown,GB,2024-03-02 21:05:00,2900
3,11,Dark,DE,2024-03-01 22:40:00,45
4,12,Narcos,US,2024-03-02 19:30:00,3300
5,12,Dark,us ,2024-03-03 18:00:00,2500
`,
    'seeds/properties.yml': `seeds:
  - name: plays
    description: Raw viewing sessions, as the platform exports them.
    config:
      column_types:
        started_at: timestamp
`,
    'models/staging/stg_plays.sql': `-- Types, names and cleaning: one staging model per raw feed.
select
  play_id,
  user_id,
  title,
  upper(trim(country)) as country_code,
  started_at,
  seconds_watched
from {{ref "plays"}}
where seconds_watched >= 0
`,
    'models/intermediate/int_user_titles.sql': `-- Sessions long enough to count as a real view, per user and title.
select
  user_id,
  title,
  count(*) as sessions,
  sum(seconds_watched) as seconds_watched
from {{ref "stg_plays"}}
where seconds_watched >= {{var "min_seconds"}}
group by user_id, title
`,
    'models/marts/title_popularity.sql': `{{config tags="daily"}}
select
  title,
  count(distinct user_id) as viewers,
  sum(sessions) as sessions,
  round(sum(seconds_watched) / 3600.0, 2) as hours_watched
from {{ref "int_user_titles"}}
group by title
`,
    'models/schema.yml': `models:
  - name: stg_plays
    description: One row per viewing session, cleaned.
    columns:
      - name: play_id
        description: The session's id.
        tests: [unique, not_null]
      - name: country_code
        tests:
          - accepted_values:
              values: [GB, DE, US]
  - name: int_user_titles
    description: Real views per user and title.
    columns:
      - name: user_id
        tests: [not_null]
  - name: title_popularity
    description: Viewers and hours watched per title.
    columns:
      - name: title
        tests: [unique, not_null]
      - name: viewers
        tests: [not_null]
`,
    'tests/no_negative_hours.sql': `-- A singular test: returns the rows that break the rule.
select * from {{ref "title_popularity"}} where hours_watched < 0
`,
    'macros/README.md': 'Handlebars partials (`*.sql`, `*.hbs`, used as `{{> name}}`) and helper modules (`*.js`).\n',
  };
}

/** `model init DIR`: writes a starter project into a new or empty folder. */
export async function initCommand(dir: string, output: Output): Promise<number> {
  const root = resolve(dir);
  if (existsSync(root) && readdirSync(root).length > 0) {
    throw new UsageError('init-not-empty', `${dir} already exists and is not empty; nothing was written`, { hint: 'choose a new folder name, or empty the folder first' });
  }
  const name = basename(root).replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1') || 'reel_project';
  for (const [path, text] of Object.entries(starterFiles(name))) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  output.out(`Created project ${name} in ${root}`);
  output.out('Next: cd into it and run `model build` (with no database configured it starts an embedded PostgreSQL under .reel/).');
  return 0;
}
