// Writes a layered project of `models` models for the benchmarks: 10% staging over sources,
// 30% intermediate, 60% marts; each model refs up to three earlier models and has two tests.
// As in real projects, each layer is split into folders of 25 models with their own property file.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function generateProject(root, models, { seed = 1 } = {}) {
  rmSync(root, { recursive: true, force: true });
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const layers = [
    ['staging', Math.max(1, Math.round(models * 0.1))],
    ['intermediate', Math.max(1, Math.round(models * 0.3))],
  ];
  layers.push(['marts', models - layers[0][1] - layers[1][1]]);
  writeFileSync(
    join(mkdir(root), 'reel_project.yml'),
    `name: bench\nmodels:\n  bench:\n    staging:\n      +schema: bench_staging\n    intermediate:\n      +schema: bench_intermediate\n    marts:\n      +schema: bench_marts\nvars:\n  min_amount: 0\n`,
  );
  const sourceTables = 20;
  writeFileSync(
    join(mkdir(join(root, 'models/staging')), 'sources.yml'),
    `sources:\n  - name: raw\n    schema: bench_raw\n    tables:\n${Array.from({ length: sourceTables }, (_, i) => `      - name: events_${i}\n`).join('')}`,
  );
  const names = [];
  let index = 0;
  const perFolder = 25;
  for (const [layer, count] of layers) {
    let dir;
    let props = [];
    const flush = () => {
      if (props.length > 0) writeFileSync(join(dir, '_models.yml'), `models:\n${props.join('')}`);
      props = [];
    };
    for (let i = 0; i < count; i++, index++) {
      if (i % perFolder === 0) {
        flush();
        dir = mkdir(join(root, 'models', layer, `group_${String(i / perFolder).padStart(3, '0')}`));
      }
      const name = `${layer.slice(0, 3)}_model_${index}`;
      let sql;
      if (layer === 'staging') {
        sql = `{{config materialized="view"}}\nselect\n  id,\n  user_id,\n  amount,\n  created_at\nfrom {{source "raw" "events_${index % sourceTables}"}}\nwhere amount >= {{var "min_amount"}}\n`;
      } else {
        const parents = [...new Set(Array.from({ length: 1 + Math.floor(random() * 3) }, () => names[Math.floor(random() * names.length)]))];
        const [first, ...rest] = parents;
        sql =
          `with base as (\n  select id, user_id, amount, created_at\n  from {{ref "${first}"}}\n)` +
          rest.map((p, j) => `,\nextra_${j} as (\n  select id, amount as amount_${j}\n  from {{ref "${p}"}}\n)`).join('') +
          `\nselect\n  base.id,\n  base.user_id,\n  base.amount${rest.map((_, j) => ` + coalesce(extra_${j}.amount_${j}, 0)`).join('')} as amount,\n  base.created_at\nfrom base\n` +
          rest.map((_, j) => `left join extra_${j} on extra_${j}.id = base.id\n`).join('');
      }
      writeFileSync(join(dir, `${name}.sql`), sql);
      props.push(`  - name: ${name}\n    description: Generated model ${index}.\n    columns:\n      - name: id\n        tests: [unique, not_null]\n`);
      names.push(name);
    }
    flush();
  }
  return { names, sourceTables };
}

function mkdir(dir) {
  mkdirSync(dir, { recursive: true });
  return dir;
}
