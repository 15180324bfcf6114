import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MlInputError, MlRunError } from '../errors.js';

/** File names every version holds, whatever its task. */
export const VERSION_FILE = 'version.json';
export const METRICS_FILE = 'metrics.json';
export const MODEL_CARD_FILE = 'model-card.md';
export const PREPROCESSING_FILE = 'preprocessing.json';

/** Where `ml` keeps models unless `--models-dir` or REEL_MODELS_DIR says otherwise. */
export const DEFAULT_MODELS_DIR = 'data/models';

/** The fields of `version.json` a task gives when saving (the store adds task, version and time). */
export interface VersionFields {
  /** The TensorFlow.js backend it was trained on (tensorflow, wasm or cpu). */
  readonly backend: string;
  /** One line on the data it was trained on, e.g. `marts.user_churn_signals (9,412 labelled rows)`. */
  readonly data: string;
  /** Headline figures `ml list` shows, e.g. `{ test_auc: 0.81 }`. */
  readonly summary: Readonly<Record<string, number | string | null>>;
  readonly [key: string]: unknown;
}

/** What `version.json` holds: the same fields for every task, plus the task's own. */
export interface VersionInfo extends VersionFields {
  readonly task: string;
  /** Sortable, from the UTC time it was trained: `20240315-093012`. */
  readonly version: string;
  readonly createdAt: string;
}

/**
 * `metrics.json` of any task: one row of figures per model (the model and its baselines), all on
 * the same evaluation rows. `ml evaluate` prints it as a table.
 */
export interface MetricsFile {
  readonly task: string;
  readonly version: string;
  /** What the figures were computed on, e.g. `test split: 1,729 rows on 2024-02-26, 105 churners`. */
  readonly evaluatedOn: string;
  /** The model scoring uses. */
  readonly primary: string;
  readonly models: Readonly<Record<string, Readonly<Record<string, number | null>>>>;
  readonly [key: string]: unknown;
}

/** What a task hands the store to save: its files, and its fields of `version.json`. */
export interface VersionContent {
  readonly files: Readonly<Record<string, string | Uint8Array>>;
  readonly info: VersionFields;
}

/** One saved version, read back. */
export interface StoredVersion {
  readonly task: string;
  readonly version: string;
  readonly dir: string;
  readonly info: VersionInfo;
  has(file: string): boolean;
  read(file: string): Buffer;
  readText(file: string): string;
  readJson<T>(file: string): T;
}

const TASK_NAME = /^[a-z][a-z0-9_-]*$/;
const VERSION_NAME = /^\d{8}-\d{6}$/;

/**
 * The model registry on disk: `<root>/<task>/<version>/` with `version.json`, the weights, the
 * fitted preprocessing, `metrics.json` and `model-card.md`. A version is written into a hidden
 * folder and renamed into place, so a reader never sees half of one.
 *
 * @example
 * ```ts
 * const store = new ModelStore('data/models');
 * const saved = store.save('churn', (version) => ({
 *   files: { 'metrics.json': JSON.stringify({ ...metrics, version }) },
 *   info: { backend: 'wasm', data: 'marts.user_churn_signals', summary: { test_auc: 0.8 } },
 * }));
 * store.get('latest', 'churn').readJson<MetricsFile>('metrics.json');
 * ```
 */
export class ModelStore {
  readonly root: string;

  constructor(root: string = DEFAULT_MODELS_DIR) {
    this.root = resolve(root);
  }

  /**
   * Saves a new version of `task` and returns it. `content` gets the version's name (cards and
   * metrics mention it) and returns the files and the task's fields of `version.json`. `now` fixes
   * the name in tests.
   */
  save(task: string, content: (version: string) => VersionContent, now: Date = new Date()): StoredVersion {
    if (!TASK_NAME.test(task)) throw new MlRunError('bad-task-name', `"${task}" is not a task name (lower-case letters, digits, - and _)`);
    const taskDir = join(this.root, task);
    mkdirSync(taskDir, { recursive: true });
    let time = now.getTime();
    // The next free second: versions stay sortable and unique even when trained in the same second.
    while (existsSync(join(taskDir, versionName(new Date(time))))) time += 1000;
    const version = versionName(new Date(time));
    const { files, info } = content(version);
    for (const name of Object.keys(files)) {
      if (name === VERSION_FILE || name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new MlRunError('bad-file-name', `a model version cannot hold a file named "${name}"`);
    }
    const staging = join(taskDir, `.${version}.${process.pid}.partial`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    try {
      const full: VersionInfo = { ...info, task, version, createdAt: now.toISOString() };
      for (const [name, content] of Object.entries(files)) writeFileSync(join(staging, name), content);
      writeFileSync(join(staging, VERSION_FILE), `${JSON.stringify(full, null, 2)}\n`);
      renameSync(staging, join(taskDir, version));
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      throw new MlRunError('save-failed', `could not save the ${task} model under ${taskDir}: ${(error as Error).message}`, { hint: 'check that the folder is writable and the disk has space', cause: error });
    }
    return this.open(task, version);
  }

  /** Every saved version, oldest first, of one task or of all. */
  list(task?: string): StoredVersion[] {
    if (!existsSync(this.root)) return [];
    const tasks = task ? [task] : readdirSync(this.root, { withFileTypes: true }).filter((e) => e.isDirectory() && TASK_NAME.test(e.name)).map((e) => e.name).sort();
    const out: StoredVersion[] = [];
    for (const t of tasks) {
      const dir = join(this.root, t);
      if (!existsSync(dir)) continue;
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && VERSION_NAME.test(entry.name) && existsSync(join(dir, entry.name, VERSION_FILE))) out.push(this.open(t, entry.name));
      }
    }
    return out.sort((a, b) => a.task.localeCompare(b.task) || a.version.localeCompare(b.version));
  }

  /** The newest version of `task`, if any. */
  latest(task: string): StoredVersion | undefined {
    return this.list(task).at(-1);
  }

  /**
   * The version named `version` (`latest` for the newest; a unique prefix will do) of `task`, or
   * of whichever task has it. Unknown or ambiguous names are input errors listing what there is.
   */
  get(version: string, task?: string): StoredVersion {
    const all = this.list(task);
    const where = `${this.root}${task ? `/${task}` : ''}`;
    if (all.length === 0) {
      throw new MlInputError('no-models', `there are no ${task ?? ''}${task ? ' ' : ''}models in ${where}`, { hint: `train one first with \`ml train ${task ?? 'churn'}\`, or point --models-dir at the folder that holds them` });
    }
    if (version === 'latest') {
      const tasks = new Set(all.map((v) => v.task));
      if (tasks.size > 1) throw new MlInputError('ambiguous-version', `"latest" is ambiguous: there are models of ${[...tasks].join(' and ')} in ${this.root}`, { hint: `add --task ${[...tasks][0]}` });
      return all.at(-1)!;
    }
    const found = all.filter((v) => v.version === version);
    const matches = found.length > 0 ? found : all.filter((v) => v.version.startsWith(version));
    if (matches.length === 1) return matches[0]!;
    const listing = all.slice(-5).map((v) => `${v.task}/${v.version}`).join(', ');
    if (matches.length === 0) {
      throw new MlInputError('unknown-version', `there is no model version "${version}" in ${where}; the newest are ${listing}`, { hint: 'run `ml list` to see every version, or use --version latest' });
    }
    throw new MlInputError('ambiguous-version', `model version "${version}" matches ${matches.map((v) => `${v.task}/${v.version}`).join(', ')}`, { hint: matches.some((v) => v.task !== matches[0]!.task) ? 'add --task churn or --task recs' : 'give more of the version' });
  }

  private open(task: string, version: string): StoredVersion {
    const dir = join(this.root, task, version);
    const read = (file: string) => readFileSync(join(dir, file));
    const readText = (file: string) => read(file).toString('utf8');
    const readJson = <T>(file: string): T => {
      try {
        return JSON.parse(readText(file)) as T;
      } catch (error) {
        throw new MlRunError('unreadable-model', `${join(dir, file)} cannot be read: ${(error as Error).message.split('\n')[0]}`, { hint: 'the version is damaged; train it again or delete the folder', cause: error });
      }
    };
    return { task, version, dir, info: readJson<VersionInfo>(VERSION_FILE), has: (file) => existsSync(join(dir, file)), read, readText, readJson };
  }
}

/** `20240315-093012` for 2024-03-15 09:30:12 UTC. */
export function versionName(at: Date): string {
  const iso = at.toISOString();
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}
