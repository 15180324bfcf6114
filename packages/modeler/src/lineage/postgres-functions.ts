/** PostgreSQL's built-in aggregate functions (pg_aggregate), which fold many rows into one value. */
const AGGREGATES: ReadonlySet<string> = new Set([
  'any_value', 'array_agg', 'avg', 'bit_and', 'bit_or', 'bit_xor', 'bool_and', 'bool_or', 'count', 'every',
  'json_agg', 'json_agg_strict', 'json_object_agg', 'json_object_agg_strict', 'json_object_agg_unique', 'json_object_agg_unique_strict',
  'jsonb_agg', 'jsonb_agg_strict', 'jsonb_object_agg', 'jsonb_object_agg_strict', 'jsonb_object_agg_unique', 'jsonb_object_agg_unique_strict',
  'max', 'min', 'range_agg', 'range_intersect_agg', 'string_agg', 'sum', 'xmlagg',
  'corr', 'covar_pop', 'covar_samp', 'regr_avgx', 'regr_avgy', 'regr_count', 'regr_intercept', 'regr_r2', 'regr_slope', 'regr_sxx', 'regr_sxy', 'regr_syy',
  'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp',
  'mode', 'percentile_cont', 'percentile_disc', 'rank', 'dense_rank', 'percent_rank', 'cume_dist',
]);

/** A built-in aggregate, called without OVER; `schema` is the qualifier as written, if any. */
export function isAggregateName(name: string, schema: string | undefined): boolean {
  return (schema === undefined || schema === 'pg_catalog') && AGGREGATES.has(name);
}

/**
 * Built-in set-returning functions whose result columns are fixed: a scalar result is one column
 * named after the alias or the function; others have named OUT columns.
 */
const FUNCTION_COLUMNS: ReadonlyMap<string, readonly string[] | 'scalar'> = new Map<string, readonly string[] | 'scalar'>([
  ['generate_series', 'scalar'],
  ['generate_subscripts', 'scalar'],
  ['regexp_split_to_table', 'scalar'],
  ['regexp_matches', 'scalar'],
  ['string_to_table', 'scalar'],
  ['json_object_keys', 'scalar'],
  ['jsonb_object_keys', 'scalar'],
  ['jsonb_path_query', 'scalar'],
  ['json_array_elements', ['value']],
  ['jsonb_array_elements', ['value']],
  ['json_array_elements_text', ['value']],
  ['jsonb_array_elements_text', ['value']],
  ['json_each', ['key', 'value']],
  ['jsonb_each', ['key', 'value']],
  ['json_each_text', ['key', 'value']],
  ['jsonb_each_text', ['key', 'value']],
]);

/** The result columns of a function in FROM, or undefined when they depend on the function's definition. */
export function functionColumns(name: string, schema: string | undefined, argCount: number): readonly string[] | 'scalar' | undefined {
  if (schema !== undefined && schema !== 'pg_catalog') return undefined;
  if (name === 'unnest') return argCount === 1 ? 'scalar' : undefined;
  return FUNCTION_COLUMNS.get(name);
}
