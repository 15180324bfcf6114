import { describe, expect, it } from 'vitest';
import { builtinTestSql, type BuiltinTestName } from '../render/builtin-tests.js';
import { quoteIdent } from '../sql/quote.js';
import { shapeFormatter } from './format-by-shape.js';
import { formatOne } from './format-sql.js';

const relation = (schema: string, name: string) => `${quoteIdent(schema)}.${quoteIdent(name)}`;
const names = ['id', 'a', 'user_id', 'x'.repeat(63), 'Mixed Case', 'with "quotes"', 'ünïcode_列', 'select', 'count(*)', "it's"];

function cases(): { name: BuiltinTestName; sql: string }[] {
  const out: { name: BuiltinTestName; sql: string }[] = [];
  names.forEach((column, i) => {
    const model = relation(i % 2 ? 'analytics_marts' : 's', names[(i + 3) % names.length]!);
    const to = relation('staging', names[(i + 5) % names.length]!);
    out.push({ name: 'unique', sql: builtinTestSql('unique', { model, column, args: {} }) });
    out.push({ name: 'not_null', sql: builtinTestSql('not_null', { model, column, args: {} }) });
    out.push({ name: 'relationships', sql: builtinTestSql('relationships', { model, column, to, args: { to: "ref('p')", field: names[(i + 7) % names.length] } }) });
    const values = i % 3 === 0 ? ['a', 'b'] : i % 3 === 1 ? ['say "hi"', "it's", 'back\\slash', ...Array.from({ length: 12 }, (_, k) => `value_${k}`)] : [1, 2, 3];
    out.push({ name: 'accepted_values', sql: builtinTestSql('accepted_values', { model, column, args: { values } }) });
  });
  return out;
}

describe('shapeFormatter', () => {
  it('formats every built-in test exactly as sql-formatter does, whatever its identifiers', () => {
    const byShape = shapeFormatter(formatOne);
    for (const { sql } of cases()) expect(byShape(sql)).toBe(formatOne(sql));
  });

  it('formats each shape once', () => {
    let calls = 0;
    const byShape = shapeFormatter((sql) => (calls++, formatOne(sql)));
    const all = cases().filter((c) => c.name !== 'accepted_values');
    for (const { sql } of all) byShape(sql);
    expect(all.length).toBe(30);
    expect(calls).toBe(3);
  });

  it('falls back to formatting the statement when the placeholders do not come back in order', () => {
    const reorder = (sql: string) => sql.replace(/^select (\S+) from (\S+)$/, 'select $2 from $1');
    const byShape = shapeFormatter(reorder);
    expect(byShape('select "a" from "b"')).toBe('select "b" from "a"');
  });
});
