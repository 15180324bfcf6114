import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { MlInputError } from '../errors.js';

export const FEATURE_KINDS = ['numeric', 'categorical', 'boolean'] as const;
export type FeatureKind = (typeof FEATURE_KINDS)[number];

export interface FeatureSpec {
  readonly name: string;
  readonly kind: FeatureKind;
}

/** Where the rows come from: a table or view, a SQL query, or a CSV file. */
export type DataSource =
  | { readonly kind: 'table'; readonly table: string }
  | { readonly kind: 'query'; readonly sql: string }
  | { readonly kind: 'csv'; readonly file: string; readonly delimiter?: string };

/** How to read a churn training table: which column is what. */
export interface ChurnDataConfig {
  readonly source: DataSource;
  /** The member id: one score per id is written, for its latest row. */
  readonly id: string;
  /** 0/1 (or true/false): churned in the horizon. Empty for rows whose outcome is not known yet. */
  readonly label: string;
  /** Snapshot date or time to split by (train earlier, test later); absent → stratified random split. */
  readonly time?: string;
  /** Days since last activity, for the recency-rule baseline; absent → no such baseline. */
  readonly recency?: string;
  readonly features: readonly FeatureSpec[];
}

/** `marts.user_churn_signals`, as the models project builds it. */
export const DEFAULT_CHURN_CONFIG: ChurnDataConfig = Object.freeze({
  source: { kind: 'table', table: 'marts.user_churn_signals' },
  id: 'user_id',
  label: 'churned_next_30d',
  time: 'snapshot_date',
  recency: 'recency_days',
  features: [
    { name: 'tenure_days', kind: 'numeric' },
    { name: 'recency_days', kind: 'numeric' },
    { name: 'sessions_28d', kind: 'numeric' },
    { name: 'active_days_28d', kind: 'numeric' },
    { name: 'watch_hours_28d', kind: 'numeric' },
    { name: 'watch_hours_prior_28d', kind: 'numeric' },
    { name: 'watch_hours_change', kind: 'numeric' },
    { name: 'sessions_7d', kind: 'numeric' },
    { name: 'watch_hours_7d', kind: 'numeric' },
    { name: 'completion_rate_28d', kind: 'numeric' },
    { name: 'rating_drift', kind: 'numeric' },
    { name: 'payment_failures_28d', kind: 'numeric' },
    { name: 'price_rise_45d', kind: 'boolean' },
    { name: 'plan', kind: 'categorical' },
    { name: 'price', kind: 'numeric' },
  ],
} satisfies ChurnDataConfig);

const sourceSchema = z.union([
  z.strictObject({ table: z.string().min(1) }),
  z.strictObject({ query: z.string().min(1) }),
  z.strictObject({ csv: z.string().min(1), delimiter: z.string().length(1).optional() }),
]);

const configSchema = z.strictObject({
  source: sourceSchema.optional(),
  id: z.string().min(1).optional(),
  label: z.string().min(1).optional(),
  time: z.string().min(1).nullable().optional(),
  recency: z.string().min(1).nullable().optional(),
  features: z.record(z.string().min(1), z.enum(FEATURE_KINDS)).optional(),
});

/**
 * Reads a config file (JSON or YAML, by its content) over the defaults. Every key is optional:
 *
 * ```yaml
 * source: {csv: churn.csv}          # or {table: schema.name} or {query: "select …"}
 * id: customer_id
 * label: churned                    # 0/1 or true/false; empty = outcome not known yet
 * time: month                       # null → stratified random split
 * recency: days_since_last_login    # null → no recency baseline
 * features: {tenure: numeric, plan: categorical, autopay: boolean}
 * ```
 *
 * A CSV path is read relative to the config file.
 */
export function readChurnConfig(file: string): ChurnDataConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MlInputError('config-unreadable', `the config file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { hint: 'check the path given to --config' });
  }
  let value: unknown;
  try {
    value = parseYaml(text) ?? {};
  } catch (error) {
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new MlInputError('config-syntax', `the config file is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`, { file, line, hint: 'fix the syntax at that line' });
  }
  const result = configSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const at = issue.path.join('.') || 'the top level';
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown key "${issue.keys[0]}" at ${at}; the keys are ${Object.keys(at === 'the top level' ? configSchema.shape : {}).join(', ') || 'table, query or csv (with delimiter)'}`
        : issue.path[0] === 'features'
          ? `feature ${String(issue.path[1])} has the kind ${JSON.stringify((value as { features?: Record<string, unknown> }).features?.[String(issue.path[1])])}; the kinds are ${FEATURE_KINDS.join(', ')}`
          : issue.path[0] === 'source'
            ? 'source must be one of {table: schema.name}, {query: "select …"} or {csv: file.csv}'
            : `${at}: ${issue.message}`;
    throw new MlInputError('config-invalid', message, { file, hint: 'see docs/ml.md for the config format' });
  }
  const c = result.data;
  const source: DataSource | undefined = !c.source
    ? undefined
    : 'table' in c.source
      ? { kind: 'table', table: c.source.table }
      : 'query' in c.source
        ? { kind: 'query', sql: c.source.query }
        : { kind: 'csv', file: resolve(dirname(file), c.source.csv), ...(c.source.delimiter ? { delimiter: c.source.delimiter } : {}) };
  return withOverrides(DEFAULT_CHURN_CONFIG, {
    source,
    id: c.id,
    label: c.label,
    time: c.time,
    recency: c.recency,
    features: c.features ? Object.entries(c.features).map(([name, kind]) => ({ name, kind })) : undefined,
  });
}

/** `base` with the given keys replaced (null clears time or recency). */
export function withOverrides(
  base: ChurnDataConfig,
  overrides: { source?: DataSource; id?: string; label?: string; time?: string | null; recency?: string | null; features?: readonly FeatureSpec[] },
): ChurnDataConfig {
  const time = overrides.time === null ? undefined : (overrides.time ?? base.time);
  const recency = overrides.recency === null ? undefined : (overrides.recency ?? base.recency);
  return {
    source: overrides.source ?? base.source,
    id: overrides.id ?? base.id,
    label: overrides.label ?? base.label,
    ...(time ? { time } : {}),
    ...(recency ? { recency } : {}),
    features: overrides.features ?? base.features,
  };
}

/** `marts.user_churn_signals`, `query`, or the file name: for messages and model cards. */
export function describeSource(source: DataSource): string {
  switch (source.kind) {
    case 'table':
      return source.table;
    case 'query':
      return 'the query';
    case 'csv':
      return source.file;
  }
}
