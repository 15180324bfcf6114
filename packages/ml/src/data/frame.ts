import { closest, distance } from 'fastest-levenshtein';
import { MlInputError } from '../errors.js';
import type { ChurnDataConfig, FeatureKind } from './data-config.js';

/** A feature's values by row: numbers (NaN when missing) or category names (null when missing). */
export type FeatureColumn =
  | { readonly kind: 'numeric' | 'boolean'; readonly values: Float64Array }
  | { readonly kind: 'categorical'; readonly values: readonly (string | null)[] };

/** The rows of a churn source, by column, parsed by kind. */
export interface Frame {
  /** Where the rows came from, for messages: `marts.user_churn_signals`, `churn.csv`. */
  readonly description: string;
  readonly rows: number;
  readonly ids: readonly string[];
  /** The time column's values as text (ISO dates sort as text), when the config names one. */
  readonly times?: readonly (string | null)[];
  /** 0 or 1; NaN where the outcome is not known yet. Absent when the source has no label column. */
  readonly labels?: Float64Array;
  readonly features: ReadonlyMap<string, FeatureColumn>;
  /** The recency baseline's column, when the config names one. */
  readonly recency?: Float64Array;
  /** The id column's SQL type in a database source (`bigint`), so scores join back without casts. */
  readonly idType?: string;
}

const MISSING = new Set(['', 'na', 'n/a', 'nan', 'null', 'none', '\\n']);
const TRUE = new Set(['1', 't', 'true', 'yes', 'y']);
const FALSE = new Set(['0', 'f', 'false', 'no', 'n']);

/** The columns to read from the source, each once, in the order the builder expects them. */
export function requiredColumns(config: ChurnDataConfig, withLabel: boolean): { name: string; role: string }[] {
  const out = new Map<string, string>();
  const add = (name: string | undefined, role: string) => {
    if (name && !out.has(name)) out.set(name, role);
  };
  add(config.id, 'the id');
  if (withLabel) add(config.label, 'the label');
  add(config.time, 'the time column');
  add(config.recency, 'the recency column');
  for (const feature of config.features) add(feature.name, `a ${feature.kind} feature`);
  return [...out].map(([name, role]) => ({ name, role }));
}

/**
 * Checks that every column the config names is there; the error names each missing one, its role,
 * the nearest existing name, and lists the columns there are.
 */
export function checkColumns(config: ChurnDataConfig, available: readonly string[], description: string, withLabel: boolean): void {
  const have = new Set(available);
  const missing = requiredColumns(config, withLabel).filter((c) => !have.has(c.name));
  if (missing.length === 0) return;
  const named = missing.map((c) => {
    const near = available.length ? closest(c.name, [...available]) : undefined;
    const suggestion = near && distanceIsSmall(c.name, near) ? ` (did you mean "${near}"?)` : '';
    return `"${c.name}" (${c.role})${suggestion}`;
  });
  throw new MlInputError(
    'missing-column',
    `${missing.length === 1 ? 'column' : 'columns'} ${joinAnd(named)} ${missing.length === 1 ? 'is' : 'are'} not in ${description}, whose columns are: ${available.join(', ') || 'none'}`,
    { hint: 'fix the column names in the config file (--config), or pick another source' },
  );
}

/** Turns text records (columns as in `requiredColumns`) into a Frame, checking each value. */
export class FrameBuilder {
  private readonly columns: { name: string; role: string }[];
  private readonly index = new Map<string, number>();
  private readonly ids: string[] = [];
  private readonly times: (string | null)[] = [];
  private readonly labels: number[] = [];
  private readonly recency: number[] = [];
  private readonly numeric = new Map<string, number[]>();
  private readonly categorical = new Map<string, (string | null)[]>();
  private readonly strings = new Map<string, string>();
  private readonly badLabels = new Set<string>();

  constructor(
    private readonly config: ChurnDataConfig,
    private readonly description: string,
    private readonly withLabel: boolean,
    /** Line number of the first record in the source (2 for a CSV file with a header), for messages. */
    private readonly firstLine?: number,
  ) {
    this.columns = requiredColumns(config, withLabel);
    this.columns.forEach((c, i) => this.index.set(c.name, i));
    for (const f of config.features) {
      if (f.kind === 'categorical') this.categorical.set(f.name, []);
      else this.numeric.set(f.name, []);
    }
  }

  get columnNames(): string[] {
    return this.columns.map((c) => c.name);
  }

  add(record: readonly string[]): void {
    const row = this.ids.length;
    const at = (name: string) => record[this.index.get(name)!] ?? '';
    const id = at(this.config.id).trim();
    if (isMissing(id)) throw this.badValue(row, `has no ${this.config.id} (the id)`, 'every row needs an id');
    this.ids.push(this.intern(id));
    if (this.config.time) {
      const t = at(this.config.time).trim();
      this.times.push(isMissing(t) ? null : this.intern(t));
    }
    if (this.withLabel) {
      const text = at(this.config.label).trim().toLowerCase();
      if (isMissing(text)) this.labels.push(Number.NaN);
      else if (TRUE.has(text)) this.labels.push(1);
      else if (FALSE.has(text)) this.labels.push(0);
      else {
        this.badLabels.add(at(this.config.label).trim());
        this.labels.push(Number.NaN);
      }
    }
    if (this.config.recency) this.recency.push(this.number(row, this.config.recency, at(this.config.recency), 'numeric'));
    for (const f of this.config.features) {
      const text = at(f.name);
      if (f.kind === 'categorical') this.categorical.get(f.name)!.push(isMissing(text.trim()) ? null : this.intern(text.trim()));
      else this.numeric.get(f.name)!.push(this.number(row, f.name, text, f.kind));
    }
  }

  finish(idType?: string): Frame {
    if (this.badLabels.size > 0) {
      const shown = [...this.badLabels].slice(0, 5).map((v) => JSON.stringify(v));
      throw new MlInputError(
        'label-not-binary',
        `the label column ${this.config.label} in ${this.description} is not binary: besides 0/1 it holds ${joinAnd(shown)}${this.badLabels.size > 5 ? ` and ${this.badLabels.size - 5} more values` : ''}`,
        { hint: 'use a 0/1 or true/false column as the label (empty for rows whose outcome is not known yet)' },
      );
    }
    const features = new Map<string, FeatureColumn>();
    for (const f of this.config.features) {
      features.set(f.name, f.kind === 'categorical' ? { kind: 'categorical', values: this.categorical.get(f.name)! } : { kind: f.kind, values: Float64Array.from(this.numeric.get(f.name)!) });
    }
    return {
      description: this.description,
      rows: this.ids.length,
      ids: this.ids,
      ...(this.config.time ? { times: this.times } : {}),
      ...(this.withLabel ? { labels: Float64Array.from(this.labels) } : {}),
      ...(this.config.recency ? { recency: Float64Array.from(this.recency) } : {}),
      features,
      ...(idType ? { idType } : {}),
    };
  }

  private number(row: number, column: string, raw: string, kind: FeatureKind): number {
    const text = raw.trim();
    if (isMissing(text.toLowerCase())) return Number.NaN;
    if (kind === 'boolean') {
      const lower = text.toLowerCase();
      if (TRUE.has(lower)) return 1;
      if (FALSE.has(lower)) return 0;
      throw this.badValue(row, `has ${JSON.stringify(text)} in ${column}, which is declared boolean`, `declare ${column} categorical in the config, or use true/false or 1/0`);
    }
    const value = Number(text);
    if (!Number.isFinite(value)) throw this.badValue(row, `has ${JSON.stringify(text)} in ${column}, which is declared numeric`, `declare ${column} categorical in the config, or clean the source`);
    return value;
  }

  private badValue(row: number, what: string, hint: string): MlInputError {
    const where = this.firstLine === undefined ? `row ${row + 1} of ${this.description}` : `line ${row + this.firstLine} of ${this.description}`;
    return new MlInputError('bad-value', `${where} ${what}`, { hint });
  }

  private intern(text: string): string {
    let found = this.strings.get(text);
    if (found === undefined) {
      found = text;
      this.strings.set(text, text);
    }
    return found;
  }
}

/** The id, label, time, recency and features of the given rows only. */
export function selectRows(frame: Frame, rows: ArrayLike<number>): Frame {
  const pick = <T>(values: readonly T[]) => Array.from(rows, (r) => values[r]!);
  const pickNumbers = (values: Float64Array) => Float64Array.from(rows, (r) => values[r]!);
  const features = new Map<string, FeatureColumn>();
  for (const [name, column] of frame.features) {
    features.set(name, column.kind === 'categorical' ? { kind: 'categorical', values: pick(column.values) } : { kind: column.kind, values: pickNumbers(column.values) });
  }
  return {
    ...frame,
    rows: rows.length,
    ids: pick(frame.ids),
    ...(frame.times ? { times: pick(frame.times) } : {}),
    ...(frame.labels ? { labels: pickNumbers(frame.labels) } : {}),
    ...(frame.recency ? { recency: pickNumbers(frame.recency) } : {}),
    features,
  };
}

/** Compares time values: as numbers when both are numbers, otherwise as text (ISO dates and times). */
export function compareTimes(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

function isMissing(text: string): boolean {
  return MISSING.has(text.toLowerCase());
}

function distanceIsSmall(a: string, b: string): boolean {
  return distance(a.toLowerCase(), b.toLowerCase()) <= Math.max(2, Math.floor(a.length / 3));
}

export function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
