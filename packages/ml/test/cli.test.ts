import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { SeededRandom } from '../src/seeded-random.js';

// The CLI on CSV sources (no database): training end to end, reproducibility, list and evaluate,
// and the one-sentence messages for bad input.
const dir = mkdtempSync(join(tmpdir(), 'reel-ml-cli-'));

async function ml(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (l) => out.push(l), err: (l) => err.push(l) }, { NO_COLOR: '1', REEL_ML_BACKEND: process.env.REEL_ML_BACKEND }, dir);
  // eslint-disable-next-line no-control-regex
  const plain = (lines: string[]) => lines.join('\n').replace(/\u001b\[[0-9;]*m/g, '');
  return { code, out: plain(out), err: plain(err) };
}

/** Members whose churn depends on x1 (up), x2 (down, sometimes missing), plan and a flag. */
function writeChurnCsv(file: string, rows: number, seed: number): void {
  const random = new SeededRandom(seed);
  const lines = ['id,x1,x2,plan,autopay,churned'];
  for (let i = 0; i < rows; i++) {
    const x1 = random.float() * 4 - 2;
    const x2 = random.float() * 4 - 2;
    const plan = ['basic', 'standard', 'premium'][random.int(3)]!;
    const autopay = random.float() < 0.5;
    const logit = -2 + 1.6 * x1 - 1.1 * x2 + (plan === 'basic' ? 0.8 : 0) - (autopay ? 0.7 : 0);
    const churned = random.float() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    lines.push([1000 + i, x1.toFixed(3), random.float() < 0.1 ? '' : x2.toFixed(3), plan, autopay ? 'true' : 'false', churned].join(','));
  }
  writeFileSync(join(dir, file), `${lines.join('\n')}\n`);
}

writeChurnCsv('members.csv', 1500, 7);
writeFileSync(
  join(dir, 'members.yml'),
  ['source: {csv: members.csv}', 'id: id', 'label: churned', 'time: null', 'recency: null', 'features:', '  x1: numeric', '  x2: numeric', '  plan: categorical', '  autopay: boolean', ''].join('\n'),
);
const train = (store: string, extra: string[] = []) => ml(['train', 'churn', '--config', 'members.yml', '--models-dir', store, '--epochs', '10', '--batch-size', '64', '--hidden', '8', '--seed', '3', ...extra]);

describe('ml train churn on a CSV file', () => {
  it('trains, beats nothing-better-than-chance, saves a version with its card, and says which backend ran', async () => {
    const run = await train('store-a');
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^TensorFlow\.js backend: (tensorflow|wasm|cpu)/);
    expect(run.out).toContain('split stratified at random (seed 3)');
    const version = /Saved churn\/(\d{8}-\d{6})/.exec(run.out)![1]!;
    const metrics = JSON.parse(readFileSync(join(dir, 'store-a', 'churn', version, 'metrics.json'), 'utf8'));
    expect(Object.keys(metrics.models)).toEqual(['neural', 'logistic_regression']);
    // The truth is a logistic model of these columns: both should find it.
    expect(metrics.models.neural.roc_auc).toBeGreaterThan(0.75);
    expect(metrics.models.logistic_regression.roc_auc).toBeGreaterThan(0.75);
    const card = readFileSync(join(dir, 'store-a', 'churn', version, 'model-card.md'), 'utf8');
    expect(card).toContain(`# Churn model ${version}`);
    expect(card).toContain('| model | ROC AUC | PR AUC | log loss | Brier | churners in top 10 % |');
    expect(card).toMatch(/with a missing indicator for x2/);

    const list = await ml(['list', '--models-dir', 'store-a']);
    expect(list.code).toBe(0);
    expect(list.out).toContain(`churn  ${version}`);
    const evaluate = await ml(['evaluate', '--version', version.slice(0, 8), '--models-dir', 'store-a']);
    expect(evaluate.code).toBe(0);
    expect(evaluate.out).toContain('metrics on the test split: 225 rows');
    expect(evaluate.out).toMatch(/(neural|logistic_regression) \*\s+225/);
    expect(evaluate.out).toContain('model card: ');
  });

  it('gives the same model for the same seed', async () => {
    const first = await train('store-b');
    const second = await train('store-c');
    expect([first.code, second.code]).toEqual([0, 0]);
    const read = (store: string, out: string, file: string) => readFileSync(join(dir, store, 'churn', /Saved churn\/(\S+)/.exec(out)![1]!, file));
    expect(read('store-c', second.out, 'weights.bin').equals(read('store-b', first.out, 'weights.bin'))).toBe(true);
    expect(JSON.parse(read('store-c', second.out, 'metrics.json').toString()).models).toEqual(JSON.parse(read('store-b', first.out, 'metrics.json').toString()).models);
  });
});

describe('bad input is one sentence and exit code 2', () => {
  const error = async (args: string[]) => {
    const run = await ml(args);
    expect(run.code, run.out + run.err).toBe(2);
    return run.err;
  };

  it('names a missing column, its role, the nearest name, and the columns there are', async () => {
    writeFileSync(join(dir, 'typo.yml'), 'source: {csv: members.csv}\nid: id\nlabel: churned\ntime: null\nrecency: null\nfeatures: {x1: numeric, plna: categorical}\n');
    expect(await error(['train', 'churn', '--config', 'typo.yml', '--models-dir', 'store-x'])).toBe(
      `column "plna" (a categorical feature) (did you mean "plan"?) is not in ${join(dir, 'members.csv')}, whose columns are: id, x1, x2, plan, autopay, churned\n    fix: fix the column names in the config file (--config), or pick another source`,
    );
  });

  it('says which values make a label not binary', async () => {
    writeFileSync(join(dir, 'three.csv'), 'id,x1,plan,autopay,churned\n1,0.5,basic,true,0\n2,0.1,basic,false,2\n3,0.3,premium,true,1\n4,0.2,basic,true,yes?\n');
    writeFileSync(join(dir, 'three.yml'), 'source: {csv: three.csv}\nid: id\nlabel: churned\ntime: null\nrecency: null\nfeatures: {x1: numeric}\n');
    expect(await error(['train', 'churn', '--config', 'three.yml', '--models-dir', 'store-x'])).toBe(
      `the label column churned in ${join(dir, 'three.csv')} is not binary: besides 0/1 it holds "2" and "yes?"\n    fix: use a 0/1 or true/false column as the label (empty for rows whose outcome is not known yet)`,
    );
  });

  it('says a source is empty', async () => {
    writeFileSync(join(dir, 'header-only.csv'), 'id,x1,x2,plan,autopay,churned\n');
    writeFileSync(join(dir, 'empty.csv'), '');
    const config = (file: string) => ['--config', 'members.yml', '--csv', file, '--models-dir', 'store-x'];
    expect(await error(['train', 'churn', ...config('header-only.csv')])).toBe(`${join(dir, 'header-only.csv')} has no rows\n    fix: point the config at a source with rows`);
    expect(await error(['train', 'churn', ...config('empty.csv')])).toBe(`${join(dir, 'empty.csv')} is empty\n    fix: point the config at a CSV file with a header and rows`);
  });

  it('says a value does not fit its declared kind, with its line', async () => {
    writeFileSync(join(dir, 'words.csv'), 'id,x1,x2,plan,autopay,churned\n1,0.5,1,basic,true,0\n2,lots,1,basic,false,1\n');
    expect(await error(['train', 'churn', '--config', 'members.yml', '--csv', 'words.csv', '--models-dir', 'store-x'])).toBe(
      `line 3 of ${join(dir, 'words.csv')} has "lots" in x1, which is declared numeric\n    fix: declare x1 categorical in the config, or clean the source`,
    );
  });

  it('rejects bad flags, configs and versions', async () => {
    expect(await error(['train', 'churn', '--epochs', '0'])).toContain('--epochs must be a whole number from 1 to 10,000');
    writeFileSync(join(dir, 'kinds.yml'), 'features: {x1: number}\n');
    expect(await error(['train', 'churn', '--config', 'kinds.yml'])).toBe(`${join(dir, 'kinds.yml')}  feature x1 has the kind "number"; the kinds are numeric, categorical, boolean\n    fix: see docs/ml.md for the config format`);
    expect(await error(['evaluate', '--version', 'nope', '--models-dir', 'store-a'])).toMatch(/^there is no model version "nope" in .*store-a; the newest are churn\/\d{8}-\d{6}/);
    expect(await error(['train', 'churn', '--csv', 'a.csv', '--table', 'b'])).toBe('--table and --csv were both given; a run reads one source\n    fix: keep one of them');
  });
});
