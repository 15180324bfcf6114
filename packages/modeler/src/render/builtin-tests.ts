import { quoteIdent, quoteLiteral } from '../sql/quote.js';

/** SQL for the four generic tests every dbt user knows; each returns the failing rows. */
export interface BuiltinTestInput {
  /** The relation under test, quoted. */
  readonly model: string;
  /** The test's `where` config: only rows that match are tested. */
  readonly where?: string;
  readonly column?: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** For relationships: the parent relation, already resolved. */
  readonly to?: string;
}

export const BUILTIN_TESTS = ['unique', 'not_null', 'accepted_values', 'relationships'] as const;
export type BuiltinTestName = (typeof BUILTIN_TESTS)[number];

export function isBuiltinTest(name: string): name is BuiltinTestName {
  return (BUILTIN_TESTS as readonly string[]).includes(name);
}

export function builtinTestSql(name: BuiltinTestName, input: BuiltinTestInput): string {
  const column = quoteIdent(input.column ?? '');
  const from = (alias?: string) => {
    if (input.where !== undefined) return `(select * from ${input.model} where ${input.where}) as ${alias ?? 'dbt_subquery'}`;
    return alias ? `${input.model} as ${alias}` : input.model;
  };
  switch (name) {
    case 'unique':
      return `select ${column} as unique_field, count(*) as n_records\nfrom ${from()}\nwhere ${column} is not null\ngroup by ${column}\nhaving count(*) > 1`;
    case 'not_null':
      return `select ${column}\nfrom ${from()}\nwhere ${column} is null`;
    case 'accepted_values': {
      const quote = input.args.quote !== false;
      const values = (input.args.values as unknown[]).map((v) => (quote ? quoteLiteral(String(v)) : String(v)));
      return `select ${column} as value_field, count(*) as n_records\nfrom ${from()}\nwhere ${column} not in (${values.join(', ')})\ngroup by ${column}`;
    }
    case 'relationships': {
      const field = quoteIdent(String(input.args.field));
      return `select child.${column} as from_field\nfrom ${from('child')}\nleft join ${input.to} as parent on child.${column} = parent.${field}\nwhere child.${column} is not null and parent.${field} is null`;
    }
  }
}

/** What each built-in test requires, checked before rendering. */
export function builtinTestProblem(name: BuiltinTestName, column: string | undefined, args: Readonly<Record<string, unknown>>): string | undefined {
  if (column === undefined) return `${name} must be declared on a column (under columns:)`;
  if (name === 'accepted_values' && (!Array.isArray(args.values) || args.values.length === 0)) return 'accepted_values needs values: [a, b, ...]';
  if (name === 'relationships') {
    if (typeof args.to !== 'string') return 'relationships needs to: ref(\'parent_model\')';
    if (typeof args.field !== 'string') return 'relationships needs field: the parent column';
  }
  return undefined;
}
