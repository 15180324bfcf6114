import { describe, expect, it } from 'vitest';
import { columnType } from '../schema/column-type.js';
import { freezeMart, freezeRelationship, type MartSchema } from '../schema/mart.js';
import { starGroups } from './tableau-datasource.js';
import { tmdlName } from './tmdl-syntax.js';

const mart = (name: string, ...columns: string[]) => freezeMart({ uniqueId: `model.p.${name}`, name, schema: 'marts', description: '', columns: columns.map((c) => ({ name: c, type: columnType('bigint'), description: '' })), uniqueColumns: [] });
const link = (from: string, column: string, to: string) => freezeRelationship({ testId: `test.${from}.${to}`, fromMart: from, fromColumn: column, toMart: to, toColumn: column });

describe('star groups', () => {
  it('groups related marts, facts first, and drops a relationship that would close a cycle', () => {
    const schema: MartSchema = {
      projectDir: '.', projectName: 'p', typesFrom: 'catalog', skipped: [],
      marts: [mart('a', 'x', 'y'), mart('b', 'x'), mart('c', 'y'), mart('d', 'z'), mart('e', 'z')],
      relationships: [link('a', 'x', 'b'), link('a', 'y', 'c'), link('b', 'x', 'c'), link('d', 'z', 'e')],
    };
    const groups = starGroups(schema);
    expect(groups.map((g) => g.marts.map((m) => m.name))).toEqual([['a', 'b', 'c'], ['d', 'e']]);
    expect(groups[0]!.dropped.map((r) => `${r.fromMart}->${r.toMart}`)).toEqual(['b->c']);
  });

  it('quotes TMDL names that are not plain identifiers', () => {
    expect(tmdlName('fct_views')).toBe('fct_views');
    expect(tmdlName('Watch Hours')).toBe("'Watch Hours'");
    expect(tmdlName("it's")).toBe("'it''s'");
  });
});
