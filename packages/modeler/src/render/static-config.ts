import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { checkYaml, type ErrorPlacer } from '../load/config-schema.js';
import type { YamlPath } from '../load/yaml-file.js';
import { isSecretEnv } from './helpers.js';
import type { StaticCall, StaticValue } from './template.js';

/**
 * Reads `{{config ...}}` calls without running the template, so that every node's schema and
 * materialization is known before any template renders. Values must be literals, `(var "x")`
 * or `(env "X")`.
 */
export function readStaticConfig<T>(
  calls: readonly StaticCall[],
  schema: z.ZodType<T>,
  file: string,
  vars: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
  errors: ConfigError[],
): Partial<T> {
  let merged: Record<string, unknown> = {};
  for (const call of calls) {
    const values: Record<string, unknown> = {};
    let ok = true;
    for (const [key, raw] of Object.entries(call.hash)) {
      const evaluated = evaluate(raw, vars, env);
      if ('error' in evaluated) {
        errors.push(new ConfigError('config-not-static', `config ${key}: ${evaluated.error}`, { file, line: call.line, column: call.column, hint: 'use a literal ("table"), (var "name") or (env "NAME")' }));
        ok = false;
      } else values[key] = evaluated.value;
    }
    if (call.params.length > 0) {
      errors.push(new ConfigError('config-params', 'config takes key=value pairs only', { file, line: call.line, column: call.column, hint: 'write {{config materialized="table" tags="a,b"}}' }));
      ok = false;
    }
    if (!ok) continue;
    const placer: ErrorPlacer = {
      error: (_path: YamlPath, message: string, hint?: string) => new ConfigError('config', message, { file, line: call.line, column: call.column, hint }),
    };
    const checked = checkYaml(schema as z.ZodType<Record<string, unknown>>, values, placer, [], 'config', errors);
    if (checked) merged = { ...merged, ...checked };
  }
  return merged as Partial<T>;
}

function evaluate(
  value: StaticValue,
  vars: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): { value: unknown } | { error: string } {
  if (value === null || typeof value !== 'object') return { value };
  const [first, second] = value.params;
  if (value.helper === 'var' && typeof first === 'string') {
    if (Object.hasOwn(vars, first)) return { value: vars[first] };
    if (second !== undefined && typeof second !== 'object') return { value: second };
    return { error: `var "${first}" is not set and has no default` };
  }
  if (value.helper === 'env' && typeof first === 'string' && !isSecretEnv(first)) {
    const found = env[first];
    if (found !== undefined) return { value: found };
    if (second !== undefined && typeof second !== 'object') return { value: second };
    return { error: `environment variable ${first} is not set and has no default` };
  }
  return { error: `the value (${value.helper} …) cannot be read before rendering` };
}
