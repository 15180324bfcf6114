import { beforeAll, describe, expect, it } from 'vitest';
import { loadParser } from '../validate/validate-sql.js';
import { resolveColumnLineage, resolveModelLineage } from './column-lineage.js';
import type { ColumnEdge, ModelLineage, RelationName } from './types.js';

const KNOWN: Readonly<Record<string, readonly string[]>> = {
  'staging.users': ['id', 'name', 'email', 'created_at', 'country'],
  'staging.orders': ['id', 'user_id', 'amount', 'status', 'ordered_at'],
  'staging.profiles': ['user_id', 'bio'],
  payments: ['id', 'order_id', 'amount'],
};

/** raw.* relations have unknown columns. */
function columnsOf(relation: RelationName): readonly string[] | undefined {
  return KNOWN[relation.schema === undefined ? relation.name : `${relation.schema}.${relation.name}`];
}

function edgeText(edge: ColumnEdge): string {
  return `${edge.kind} ${edge.relation.schema === undefined ? '' : `${edge.relation.schema}.`}${edge.relation.name}.${edge.column}`;
}

/** Output columns in order, each with its edges as `kind schema.relation.column`. */
function edgesByColumn(lineage: ModelLineage): [string, string[]][] {
  return lineage.columns.map((column) => [column.column, column.edges.map(edgeText)]);
}

function unresolvedByColumn(lineage: ModelLineage): Record<string, string> {
  return Object.fromEntries(lineage.columns.flatMap((column) => (column.unresolved === undefined ? [] : [[column.column, column.unresolved]])));
}

interface Case {
  readonly name: string;
  readonly sql: string;
  readonly columns: readonly [string, readonly string[]][];
  readonly unresolved?: Readonly<Record<string, string>>;
  readonly warnings?: readonly string[];
}

const CASES: readonly Case[] = [
  {
    name: 'direct and renamed columns',
    sql: 'select id, name as user_name from staging.users',
    columns: [
      ['id', ['direct staging.users.id']],
      ['user_name', ['renamed staging.users.name']],
    ],
  },
  {
    name: 'quoted relation and column names, as the compiler writes them',
    sql: 'select "id", "users"."name", "Kind" from "staging"."users", "Raw"."Events"',
    columns: [
      ['id', ['direct staging.users.id']],
      ['name', ['direct staging.users.name']],
      ['Kind', ['direct Raw.Events.Kind']],
    ],
  },
  {
    name: 'expressions transform, and unnamed ones get PostgreSQL names',
    sql: `select upper(name), coalesce(email, name), extract(year from created_at), case when country = 'DE' then 1 else 0 end, id + 1, id::text,
            nullif(email, ''), greatest(id, 0), email is null, case when true then 1 else country end, 'x'::text, (id)
          from staging.users`,
    columns: [
      ['upper', ['transformed staging.users.name']],
      ['coalesce', ['transformed staging.users.email', 'transformed staging.users.name']],
      ['extract', ['transformed staging.users.created_at']],
      ['case', ['transformed staging.users.country']],
      ['?column?', ['transformed staging.users.id']],
      ['id', ['transformed staging.users.id']],
      ['nullif', ['transformed staging.users.email']],
      ['greatest', ['transformed staging.users.id']],
      ['?column?', ['transformed staging.users.email']],
      ['country', ['transformed staging.users.country']],
      ['text', []],
      ['id', ['direct staging.users.id']],
    ],
  },
  {
    name: 'aggregates, GROUP BY and HAVING; count(*) has no column edge',
    sql: "select user_id, count(*) as n, sum(amount) as total from staging.orders where status = 'paid' group by user_id having max(amount) > 10",
    columns: [
      ['user_id', ['direct staging.orders.user_id', 'filter staging.orders.amount', 'filter staging.orders.status']],
      ['n', ['filter staging.orders.amount', 'filter staging.orders.status', 'filter staging.orders.user_id']],
      ['total', ['aggregated staging.orders.amount', 'filter staging.orders.status', 'filter staging.orders.user_id']],
    ],
  },
  {
    name: 'an aggregate with DISTINCT and FILTER aggregates every column inside; an aggregate inside an expression stays aggregated',
    sql: "select count(distinct user_id) filter (where status = 'paid') as payers, round(avg(amount), 2) as average, string_agg(status, ',' order by ordered_at) from staging.orders",
    columns: [
      ['payers', ['aggregated staging.orders.status', 'aggregated staging.orders.user_id']],
      ['average', ['aggregated staging.orders.amount']],
      ['string_agg', ['aggregated staging.orders.ordered_at', 'aggregated staging.orders.status']],
    ],
  },
  {
    name: 'joins with aliases: ON columns are join edges of every column',
    sql: 'select u.id, o.amount from staging.users u join staging.orders o on o.user_id = u.id',
    columns: [
      ['id', ['direct staging.users.id', 'join staging.orders.user_id']],
      ['amount', ['direct staging.orders.amount', 'join staging.orders.user_id', 'join staging.users.id']],
    ],
  },
  {
    name: 'unqualified columns resolve to the one FROM item that has them',
    sql: 'select amount, bio from staging.orders o left join staging.profiles p on p.user_id = o.user_id',
    columns: [
      ['amount', ['direct staging.orders.amount', 'join staging.orders.user_id', 'join staging.profiles.user_id']],
      ['bio', ['direct staging.profiles.bio', 'join staging.orders.user_id', 'join staging.profiles.user_id']],
    ],
  },
  {
    name: 'JOIN USING: one merged column from both sides',
    sql: 'select user_id, bio from staging.orders join staging.profiles using (user_id)',
    columns: [
      ['user_id', ['direct staging.orders.user_id', 'direct staging.profiles.user_id']],
      ['bio', ['direct staging.profiles.bio', 'join staging.orders.user_id', 'join staging.profiles.user_id']],
    ],
  },
  {
    name: 'LEFT JOIN USING keeps the left column, FULL JOIN coalesces both',
    sql: 'select l.user_id, f.user_id as full_id from (select user_id from staging.orders left join staging.profiles using (user_id)) l, (select user_id from staging.orders full join staging.profiles using (user_id)) f',
    columns: [
      ['user_id', ['direct staging.orders.user_id', 'join staging.profiles.user_id']],
      ['full_id', ['transformed staging.orders.user_id', 'transformed staging.profiles.user_id']],
    ],
  },
  {
    name: '* over a USING join: the merged column first, then each side',
    sql: 'select * from staging.profiles join staging.orders using (user_id)',
    columns: [
      ['user_id', ['direct staging.orders.user_id', 'direct staging.profiles.user_id']],
      ['bio', ['direct staging.profiles.bio', 'join staging.orders.user_id', 'join staging.profiles.user_id']],
      ['id', ['direct staging.orders.id', 'join staging.orders.user_id', 'join staging.profiles.user_id']],
      ['amount', ['direct staging.orders.amount', 'join staging.orders.user_id', 'join staging.profiles.user_id']],
      ['status', ['direct staging.orders.status', 'join staging.orders.user_id', 'join staging.profiles.user_id']],
      ['ordered_at', ['direct staging.orders.ordered_at', 'join staging.orders.user_id', 'join staging.profiles.user_id']],
    ],
  },
  {
    name: '* and alias.* expand through columnsOf',
    sql: 'select p.*, o.amount from staging.profiles p join staging.orders o on o.user_id = p.user_id where o.status <> $$x$$',
    columns: [
      ['user_id', ['direct staging.profiles.user_id', 'join staging.orders.user_id', 'filter staging.orders.status']],
      ['bio', ['direct staging.profiles.bio', 'join staging.orders.user_id', 'join staging.profiles.user_id', 'filter staging.orders.status']],
      ['amount', ['direct staging.orders.amount', 'join staging.orders.user_id', 'join staging.profiles.user_id', 'filter staging.orders.status']],
    ],
  },
  {
    name: 'schema.table.column and table.column',
    sql: 'select staging.users.id, users.name, payments.amount from staging.users join payments on payments.id = users.id',
    columns: [
      ['id', ['direct staging.users.id', 'join payments.id']],
      ['name', ['direct staging.users.name', 'join payments.id', 'join staging.users.id']],
      ['amount', ['direct payments.amount', 'join payments.id', 'join staging.users.id']],
    ],
  },
  {
    name: 'a CTE: its WHERE filters every column read from it',
    sql: "with paid as (select user_id, amount as paid_amount from staging.orders where status = 'paid') select user_id, paid_amount * 2 as doubled from paid",
    columns: [
      ['user_id', ['direct staging.orders.user_id', 'filter staging.orders.status']],
      ['doubled', ['transformed staging.orders.amount', 'filter staging.orders.status']],
    ],
  },
  {
    name: 'CTEs referencing CTEs, one read twice',
    sql: "with a as (select id, name from staging.users), b as (select id from a where name like 'x%') select a.id, a.name from a join b on a.id = b.id",
    columns: [
      ['id', ['direct staging.users.id', 'filter staging.users.name']],
      ['name', ['direct staging.users.name', 'join staging.users.id']],
    ],
  },
  {
    name: 'a WITH inside a CTE',
    sql: 'with outer_cte as (with inner_cte as (select id as user_id from staging.users) select user_id from inner_cte) select user_id from outer_cte',
    columns: [['user_id', ['renamed staging.users.id']]],
  },
  {
    name: 'a CTE name shadows a table of the same name; a qualified name does not',
    sql: 'with payments as (select id as order_id from staging.orders) select p.order_id, q.amount from payments p, public.payments q',
    columns: [
      ['order_id', ['renamed staging.orders.id']],
      ['amount', ['direct public.payments.amount']],
    ],
  },
  {
    name: 'a subquery in FROM',
    sql: 'select s.total, user_id from (select user_id, sum(amount) as total from staging.orders group by user_id) s',
    columns: [
      ['total', ['aggregated staging.orders.amount', 'filter staging.orders.user_id']],
      ['user_id', ['direct staging.orders.user_id']],
    ],
  },
  {
    name: 'subquery column aliases',
    sql: 'select x from (select id from staging.users) as s(x)',
    columns: [['x', ['renamed staging.users.id']]],
  },
  {
    name: 'UNION ALL: column i from column i of each branch',
    sql: 'select id, name from staging.users union all select user_id, bio from staging.profiles',
    columns: [
      ['id', ['direct staging.users.id', 'renamed staging.profiles.user_id']],
      ['name', ['direct staging.users.name', 'renamed staging.profiles.bio']],
    ],
  },
  {
    name: 'INTERSECT and UNION over three branches',
    sql: 'select id from staging.users intersect select user_id from staging.orders union select user_id from staging.profiles',
    columns: [['id', ['direct staging.users.id', 'renamed staging.orders.user_id', 'renamed staging.profiles.user_id']]],
  },
  {
    name: 'EXCEPT: the right branch only removes rows',
    sql: 'select id from staging.users except select user_id from staging.profiles',
    columns: [['id', ['direct staging.users.id', 'filter staging.profiles.user_id']]],
  },
  {
    name: 'window functions: arguments, PARTITION BY and ORDER BY are transformed, also through a named window',
    sql: 'select id, row_number() over (partition by country order by created_at) as rn, sum(id) over w as running from staging.users window w as (order by created_at)',
    columns: [
      ['id', ['direct staging.users.id']],
      ['rn', ['transformed staging.users.country', 'transformed staging.users.created_at']],
      ['running', ['transformed staging.users.created_at', 'transformed staging.users.id']],
    ],
  },
  {
    name: 'a window that extends a named window',
    sql: 'select lag(name) over (w order by created_at) as previous from staging.users window w as (partition by country)',
    columns: [['previous', ['transformed staging.users.country', 'transformed staging.users.created_at', 'transformed staging.users.name']]],
  },
  {
    name: 'a scalar subquery: its columns and its WHERE shape the value',
    sql: 'select u.id, (select max(o.amount) from staging.orders o where o.user_id = u.id) as max_amount, (select name from staging.users limit 1) from staging.users u',
    columns: [
      ['id', ['direct staging.users.id']],
      ['max_amount', ['transformed staging.orders.user_id', 'transformed staging.users.id', 'aggregated staging.orders.amount']],
      ['name', ['transformed staging.users.name']],
    ],
  },
  {
    name: 'EXISTS and IN subqueries in WHERE filter',
    sql: "select id from staging.users u where exists (select 1 from staging.orders o where o.user_id = u.id and o.status = 'paid') and u.country in (select bio from staging.profiles)",
    columns: [['id', ['direct staging.users.id', 'filter staging.orders.status', 'filter staging.orders.user_id', 'filter staging.profiles.bio', 'filter staging.users.country']]],
  },
  {
    name: 'LATERAL subquery with a correlated reference, ORDER BY with LIMIT',
    sql: 'select u.id, l.last_amount from staging.users u cross join lateral (select o.amount as last_amount from staging.orders o where o.user_id = u.id order by o.ordered_at desc limit 1) l',
    columns: [
      ['id', ['direct staging.users.id', 'filter staging.orders.ordered_at', 'filter staging.orders.user_id']],
      ['last_amount', ['renamed staging.orders.amount', 'filter staging.orders.ordered_at', 'filter staging.orders.user_id', 'filter staging.users.id']],
    ],
  },
  {
    name: 'DISTINCT ON: its expressions and the ORDER BY decide which rows are kept',
    sql: 'select distinct on (user_id) user_id, amount from staging.orders order by user_id, ordered_at desc',
    columns: [
      ['user_id', ['direct staging.orders.user_id', 'filter staging.orders.ordered_at']],
      ['amount', ['direct staging.orders.amount', 'filter staging.orders.ordered_at', 'filter staging.orders.user_id']],
    ],
  },
  {
    name: 'GROUP BY position, ORDER BY an output name with LIMIT',
    sql: 'select country, max(created_at) as last_signup from staging.users group by 1 order by last_signup desc limit 3',
    columns: [
      ['country', ['direct staging.users.country', 'filter staging.users.created_at']],
      ['last_signup', ['aggregated staging.users.created_at', 'filter staging.users.country']],
    ],
  },
  {
    name: 'VALUES and generate_series in FROM have no upstream columns',
    sql: "select g, v.label, gs from generate_series(1, 3) g, (values (1, 'a'), (2, 'b')) as v(n, label), generate_series(1, 2) as s(gs)",
    columns: [
      ['g', []],
      ['label', []],
      ['gs', []],
    ],
  },
  {
    name: 'a function in FROM over a column: its columns come from the argument',
    sql: 'select u.id, tag, e.key from staging.users u, unnest(u.tags) as tag, jsonb_each(u.attributes) e',
    columns: [
      ['id', ['direct staging.users.id']],
      ['tag', ['transformed staging.users.tags']],
      ['key', ['transformed staging.users.attributes']],
    ],
  },
  {
    name: 'a table with unknown columns: columns of the only such item are taken from it',
    sql: "select e.event_id, payload->>'kind' as kind, name from raw.events e join staging.users u on u.id = e.user_id",
    columns: [
      ['event_id', ['direct raw.events.event_id', 'join raw.events.user_id', 'join staging.users.id']],
      ['kind', ['transformed raw.events.payload', 'join raw.events.user_id', 'join staging.users.id']],
      ['name', ['direct staging.users.name', 'join raw.events.user_id', 'join staging.users.id']],
    ],
  },
  {
    name: 'select * through CTEs over a table with unknown columns passes named columns through',
    sql: 'with source as (select * from raw.events), renamed as (select event_id as id, kind from source) select id, kind from renamed',
    columns: [
      ['id', ['renamed raw.events.event_id']],
      ['kind', ['direct raw.events.kind']],
    ],
  },
  {
    name: 'DISTINCT: every selected column decides which rows there are',
    sql: 'select distinct country, upper(name) as name from staging.users',
    columns: [
      ['country', ['direct staging.users.country', 'filter staging.users.name']],
      ['name', ['transformed staging.users.name', 'filter staging.users.country']],
    ],
  },
  {
    name: 'GROUP BY an output name that is no input column',
    sql: 'select country as c, count(*) from staging.users group by c',
    columns: [
      ['c', ['renamed staging.users.country']],
      ['count', ['filter staging.users.country']],
    ],
  },
  {
    name: 'ORDER BY with LIMIT over a UNION names its output columns',
    sql: '(select id, created_at from staging.users) union all (select id, ordered_at from staging.orders) order by 2 desc, id limit 10',
    columns: [
      ['id', ['direct staging.orders.id', 'direct staging.users.id', 'filter staging.orders.ordered_at', 'filter staging.users.created_at']],
      ['created_at', ['direct staging.users.created_at', 'renamed staging.orders.ordered_at', 'filter staging.orders.id', 'filter staging.users.id']],
    ],
  },
  {
    name: 'an aliased join hides its tables; a USING alias names the merged column',
    sql: 'select j.bio, x.user_id from (staging.orders join staging.profiles using (user_id) as x) as j',
    unresolved: { user_id: '"x.user_id": no FROM item is named x' },
    columns: [
      ['bio', ['direct staging.profiles.bio', 'join staging.orders.user_id', 'join staging.profiles.user_id']],
      ['user_id', ['join staging.orders.user_id', 'join staging.profiles.user_id']],
    ],
  },
  {
    name: 'a USING alias names the merged column',
    sql: 'select x.user_id as merged from staging.orders join staging.profiles using (user_id) as x',
    columns: [['merged', ['renamed staging.orders.user_id', 'renamed staging.profiles.user_id']]],
  },
  {
    name: 'a whole-row reference reads every column',
    sql: 'select row_to_json(p) as doc, count(p.*) over () as total from staging.profiles p',
    columns: [
      ['doc', ['transformed staging.profiles.bio', 'transformed staging.profiles.user_id']],
      ['total', ['transformed staging.profiles.bio', 'transformed staging.profiles.user_id']],
    ],
  },
  {
    name: 'a subquery without an alias',
    sql: 'select * from (select id, 1 as one from staging.users)',
    columns: [
      ['id', ['direct staging.users.id']],
      ['one', []],
    ],
  },
  {
    name: 'JSON_TABLE columns come from its document',
    sql: "select u.id, jt.kind from staging.users u, json_table(u.email::jsonb, '$' columns (kind text path '$.kind', nested path '$.tags[*]' columns (tag text path '$'))) jt",
    columns: [
      ['id', ['direct staging.users.id']],
      ['kind', ['transformed staging.users.email']],
    ],
  },
  {
    name: 'count(*) alone',
    sql: 'select count(*) from staging.orders',
    columns: [['count', []]],
  },
];

describe('resolveColumnLineage', () => {
  beforeAll(async () => {
    await loadParser();
  });

  it.each(CASES)('$name', (testCase) => {
    const lineage = resolveColumnLineage(testCase.sql, columnsOf);
    expect(edgesByColumn(lineage)).toEqual(testCase.columns);
    expect(unresolvedByColumn(lineage)).toEqual(testCase.unresolved ?? {});
    expect(lineage.warnings).toEqual(testCase.warnings ?? []);
  });

  it.each<{ name: string; sql: string; unresolved: Record<string, string>; warnings?: string[] }>([
    {
      name: 'an ambiguous column',
      sql: 'select id from staging.users u join staging.orders o on o.user_id = u.id',
      unresolved: { id: 'column "id" is ambiguous: it is in "u" and "o"' },
    },
    {
      name: 'a column in no FROM item',
      sql: 'select nope from staging.users',
      unresolved: { nope: 'column "nope" is in no FROM item' },
    },
    {
      name: 'a qualifier that names no FROM item',
      sql: 'select x.id from staging.users u',
      unresolved: { id: '"x.id": no FROM item is named x' },
    },
    {
      name: '* over a table with unknown columns',
      sql: 'select * from raw.events',
      unresolved: { '*': 'columns of raw.events are unknown, so * cannot be expanded' },
      warnings: ['columns of raw.events are unknown, so * cannot be expanded'],
    },
    {
      name: '* over a function with unknown columns',
      sql: 'select * from my_schema.my_function(1)',
      unresolved: { '*': 'columns of function my_function are unknown, so * cannot be expanded' },
      warnings: ['columns of function my_function are unknown, so * cannot be expanded'],
    },
    {
      name: 'a column that may be in either of two tables with unknown columns',
      sql: 'select kind from raw.events e join raw.sessions s on s.id = e.session_id',
      unresolved: { kind: 'column "kind" is in no FROM item with known columns; it may be in raw.events or raw.sessions, whose columns are unknown' },
    },
    {
      name: 'a column that is not in a CTE',
      sql: 'with a as (select id from staging.users) select a.name from a',
      unresolved: { name: 'column "name" is not a column of "a"' },
    },
    {
      name: 'a recursive CTE',
      sql: 'with recursive r(n) as (select 1 union all select n + 1 from r where n < 5) select n from r',
      unresolved: { n: 'recursive CTE "r" is only followed through its non-recursive part' },
    },
    {
      name: 'a UNION over unknown columns',
      sql: 'select id from staging.users union all select * from raw.events',
      unresolved: { id: 'cannot match column "id" with the other branch of the UNION: columns of raw.events are unknown' },
    },
    {
      name: 'a window that is not defined',
      sql: 'select sum(id) over missing as total from staging.users',
      unresolved: { total: 'window "missing" is not defined' },
    },
    {
      name: 'an unresolved WHERE column makes every column unresolved',
      sql: 'select id, name from staging.users where nope > 1',
      unresolved: { id: 'column "nope" is in no FROM item', name: 'column "nope" is in no FROM item' },
    },
  ])('unresolved: $name', ({ sql, unresolved, warnings }) => {
    const lineage = resolveColumnLineage(sql, columnsOf);
    expect(unresolvedByColumn(lineage)).toEqual(unresolved);
    expect(lineage.warnings).toEqual(warnings ?? []);
  });

  it('keeps the resolved part of an ambiguous statement', () => {
    const lineage = resolveColumnLineage('select id, amount from staging.users u join staging.orders o on o.user_id = u.id', columnsOf);
    expect(edgesByColumn(lineage)).toEqual([
      ['id', ['join staging.orders.user_id', 'join staging.users.id']],
      ['amount', ['direct staging.orders.amount', 'join staging.orders.user_id', 'join staging.users.id']],
    ]);
  });

  it('tells whether every output column is known by name', () => {
    expect(resolveModelLineage('select * from staging.users', columnsOf).columnsKnown).toBe(true);
    expect(resolveModelLineage('select id, * from raw.events', columnsOf).columnsKnown).toBe(false);
  });

  it('reports a statement that is not a single select', () => {
    expect(resolveColumnLineage('select 1; select 2', columnsOf).warnings).toEqual(['lineage needs a single select statement, not 2 statements']);
  });
});
