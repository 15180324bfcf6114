import { describe, expect, it } from 'vitest';
import { writeProject } from '../../test/fixture.js';
import { compileProject } from '../compile.js';
import { loadProject } from './load-project.js';

async function errorsOf(files: Record<string, string>): Promise<string[]> {
  const result = await compileProject(writeProject(files), { target: { schema: 'public' }, env: {} });
  return result.ok ? [] : result.errors.map((e) => e.toString());
}

describe('loading a project', () => {
  it('says when there is no project', () => {
    const result = loadProject('/nonexistent-reel-dir');
    expect(result.errors.map(String)).toEqual([
      'no reel_project.yml in /nonexistent-reel-dir\n    fix: run the command inside a Reel project, pass --project-dir DIR, or create one with `model init DIR`',
    ]);
  });

  it('reports YAML syntax errors with their line', async () => {
    expect(await errorsOf({ 'models/a.sql': 'select 1', 'models/schema.yml': 'models:\n  - name: a\n   description: bad indent\n' })).toEqual([
      'models/schema.yml:3:1  invalid YAML: Sequence item without - indicator\n    fix: check the indentation and quoting on this line',
    ]);
  });

  it('finds typos in project keys, folder config and property files, with suggestions', async () => {
    const errors = await errorsOf({
      'reel_project.yml': 'name: demo\nmodel-path: [models]\nmodels:\n  demo:\n    stagng:\n      +schema: staging\n    staging:\n      +materialised: table\n',
      'models/staging/a.sql': 'select 1 as id',
      'models/schema.yml': 'models:\n  - name: a\n    descripton: typo\n    config:\n      materialized: tabel\n',
    });
    expect(errors).toEqual([
      'models/schema.yml:3:5  unknown property file key "descripton" in models.0; did you mean "description"?\n    fix: valid keys are: name, description, config, columns, tests, data_tests, meta, docs',
      'reel_project.yml:2:1  unknown project key "model-path"; did you mean "model-paths"?\n    fix: valid keys are: name, version, config-version, profile, model-paths, seed-paths, test-paths, macro-paths, snapshot-paths, target-path, clean-targets, vars, models, seeds, snapshots, tests, data_tests, on-run-start, on-run-end',
      'reel_project.yml:5:5  "stagng" in models.demo is neither a config key nor a folder of the project; did you mean "staging"?\n    fix: config keys start with "+" (e.g. +materialized: table); other keys must name an existing subfolder',
      'reel_project.yml:8:7  unknown models config key "materialised" in models.demo.staging; did you mean "materialized"?\n    fix: valid keys are: materialized, schema, alias, tags, enabled, unique_key, incremental_strategy, on_schema_change, pre_hook, post_hook, pre-hook, post-hook, contract, grants, full_refresh, indexes, meta, docs, persist_docs',
    ]);
  });

  it('checks config values, in files and in {{config}}', async () => {
    const errors = await errorsOf({
      'models/a.sql': '{{config materialized="tabel" uniqe_key="id"}}\nselect 1 as id',
      'models/schema.yml': 'models:\n  - name: a\n    config:\n      materialized: tabel\n',
    });
    expect(errors).toEqual([
      'models/a.sql:1:1  materialized is "tabel"; did you mean "table"?\n    fix: use one of "view", "table", "incremental", "materialized_view", "ephemeral"',
      'models/a.sql:1:1  unknown config key "uniqe_key"; did you mean "unique_key"?\n    fix: valid keys are: materialized, schema, alias, tags, enabled, unique_key, incremental_strategy, on_schema_change, pre_hook, post_hook, pre-hook, post-hook, contract, grants, full_refresh, indexes, meta, docs, persist_docs',
      'models/schema.yml:4:21  models.0.config.materialized is "tabel"; did you mean "table"?\n    fix: use one of "view", "table", "incremental", "materialized_view", "ephemeral"',
    ]);
  });

  it('names both files of a duplicate model, and properties for a missing one', async () => {
    const errors = await errorsOf({
      'models/a/users.sql': 'select 1 as id',
      'models/b/users.sql': 'select 2 as id',
      'models/schema.yml': 'models:\n  - name: user\n',
    });
    expect(errors).toEqual([
      'models/b/users.sql:1:1  model "users" is defined twice: models/a/users.sql and models/b/users.sql\n    fix: node names must be unique across models and seeds; rename one of the files',
      'models/schema.yml:2:11  model "user" is described here but no .sql file defines it; did you mean "users"?\n    fix: rename the entry or add models/…/user.sql',
    ]);
  });
});
