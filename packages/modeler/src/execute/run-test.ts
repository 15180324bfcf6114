import type { TestStep } from '../plan/steps.js';
import type { StepOutcome } from './materialize.js';
import { runModelQuery } from './model-query.js';
import type { Session } from './session.js';

/** Counts the rows the test query returns, and judges them by severity, warn_if and error_if. */
export async function runTest(session: Session, step: TestStep): Promise<StepOutcome> {
  const limit = step.limit ? ` limit ${step.limit}` : '';
  const result = await runModelQuery(session, 'select count(*) as failures from (\n', step.sql, `${limit}\n) as reel_test`);
  const failures = Number((result.rows[0] as { failures: string }).failures);
  const errors = step.severity === 'error' && compare(failures, step.errorIf);
  const warns = compare(failures, step.warnIf);
  const status = errors ? 'fail' : warns ? 'warn' : 'pass';
  const message = status === 'pass' ? 'PASS' : `${status.toUpperCase()} ${failures}`;
  return { status, message, failures };
}

/** `!=0`, `>10`, `>=5`: the comparisons dbt allows in warn_if and error_if. */
export function compare(value: number, condition: string): boolean {
  const match = /^\s*(>=|<=|!=|=|>|<)\s*(\d+)\s*$/.exec(condition);
  if (!match) return value !== 0;
  const limit = Number(match[2]);
  switch (match[1]) {
    case '>=':
      return value >= limit;
    case '<=':
      return value <= limit;
    case '!=':
      return value !== limit;
    case '=':
      return value === limit;
    case '>':
      return value > limit;
    default:
      return value < limit;
  }
}
