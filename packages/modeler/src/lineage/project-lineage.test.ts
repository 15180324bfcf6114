import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeProject, writeProject } from '../../test/fixture.js';
import { LineageCache } from '../cache/lineage-cache.js';
import { compileOrThrow, type CompiledProject } from '../compile.js';
import { loadParser } from '../validate/validate-sql.js';
import { projectLineage, type CatalogLike } from './project-lineage.js';
import type { ArtifactEdge, LineageArtifact } from './types.js';

const FILES = {
  'reel_project.yml': 'name: demo\nmodels:\n  demo:\n    staging:\n      +schema: staging\n    marts:\n      +schema: marts\n',
  'models/staging/sources.yml': `sources:
  - name: raw
    tables:
      - name: users
      - name: orders
        columns:
          - name: id
          - name: user_id
          - name: amount
          - name: status
`,
  'models/staging/stg_users.sql': 'select id as user_id, name, lower(email) as email from {{source "raw" "users"}}',
  'models/staging/stg_orders.sql': 'select * from {{source "raw" "orders"}}',
  'models/staging/paid_orders.sql': `{{config materialized="ephemeral"}}\nselect user_id, amount from {{ref "stg_orders"}} where status = 'paid'`,
  'models/marts/dim_users.sql': 'select * from {{ref "stg_users"}}',
  'models/marts/fct_revenue.sql': `select u.user_id, u.name, count(p.amount) as orders, sum(p.amount) as revenue
from {{ref "dim_users"}} u
left join {{ref "paid_orders"}} p on p.user_id = u.user_id
group by 1, 2`,
};

/** Edges of one column as `kind node|relation.column`. */
function edgesOf(artifact: LineageArtifact, node: string, column: string): string[] | undefined {
  const found = artifact.nodes[node]?.columns.find((c) => c.column === column);
  return found?.edges.map((edge: ArtifactEdge) => `${edge.kind} ${edge.node ?? `(${edge.relation})`}.${edge.column}`);
}

function columnsOf(artifact: LineageArtifact, node: string): string[] | undefined {
  return artifact.nodes[node]?.columns.map((column) => column.column);
}

describe('projectLineage', () => {
  let root: string;
  let compiled: CompiledProject;

  beforeAll(async () => {
    root = writeProject(FILES);
    compiled = await compileOrThrow(root, { target: { schema: 'public' }, env: {}, partialParse: false });
    await loadParser();
  });

  afterAll(() => removeProject(root));

  it('follows columns through the chain of models by unique_id', () => {
    const artifact = projectLineage(compiled);
    expect(artifact.version).toBe(1);
    expect(Object.keys(artifact.nodes).sort()).toEqual(['model.demo.dim_users', 'model.demo.fct_revenue', 'model.demo.paid_orders', 'model.demo.stg_orders', 'model.demo.stg_users']);

    expect(edgesOf(artifact, 'model.demo.stg_users', 'user_id')).toEqual(['renamed source.demo.raw.users.id']);
    expect(edgesOf(artifact, 'model.demo.stg_users', 'email')).toEqual(['transformed source.demo.raw.users.email']);
    // select * over a source: its declared YAML columns, which need not be all of them: the rest is unknown.
    expect(columnsOf(artifact, 'model.demo.stg_orders')).toEqual(['id', 'user_id', 'amount', 'status', '*']);
    expect(artifact.nodes['model.demo.stg_orders']!.columns.at(-1)!.unresolved).toMatch(/raw.*orders/);
    // select * over a model: the columns resolved for it.
    expect(columnsOf(artifact, 'model.demo.dim_users')).toEqual(['user_id', 'name', 'email']);
    expect(edgesOf(artifact, 'model.demo.dim_users', 'email')).toEqual(['direct model.demo.stg_users.email']);

    // The ephemeral model is an inlined CTE: the mart's edges go through it to stg_orders.
    expect(edgesOf(artifact, 'model.demo.fct_revenue', 'user_id')).toEqual(['direct model.demo.dim_users.user_id', 'join model.demo.stg_orders.user_id', 'filter model.demo.dim_users.name', 'filter model.demo.stg_orders.status']);
    expect(edgesOf(artifact, 'model.demo.fct_revenue', 'revenue')).toEqual([
      'aggregated model.demo.stg_orders.amount',
      'join model.demo.dim_users.user_id',
      'join model.demo.stg_orders.user_id',
      'filter model.demo.dim_users.name',
      'filter model.demo.stg_orders.status',
    ]);
    expect(artifact.nodes['model.demo.paid_orders']?.columns.map((c) => c.column)).toEqual(['user_id', 'amount']);
    expect(Object.values(artifact.nodes).flatMap((node) => [...node.warnings, ...node.columns.flatMap((c) => (c.column === '*' ? [] : (c.unresolved ?? [])))])).toEqual([
      'columns of raw.orders beyond its declared ones are unknown, so * cannot be expanded',
    ]);
  });

  it('does not take declared columns for all of a relation: a column they do not name stays unresolved in a join', async () => {
    const other = writeProject({
      'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: plays\n        columns: [{name: id}]\n      - name: members\n',
      'models/stg_plays.sql': 'select * from {{source "raw" "plays"}}',
      'models/play_seconds.sql': 'select p.id, seconds from {{ref "stg_plays"}} p join {{source "raw" "members"}} m on m.id = p.id',
      'seeds/plans.csv': 'plan,price\nbasic,9\n',
      'models/plan_prices.sql': 'select * from {{ref "plans"}}',
    });
    try {
      const artifact = projectLineage(await compileOrThrow(other, { target: { schema: 'public' }, env: {}, partialParse: false }));
      const seconds = artifact.nodes['model.demo.play_seconds']!.columns.find((c) => c.column === 'seconds')!;
      expect(seconds.unresolved).toBeDefined();
      expect(seconds.edges.filter((e) => e.kind !== 'join' && e.kind !== 'filter')).toEqual([]);
      expect(edgesOf(artifact, 'model.demo.play_seconds', 'id')).toContain('direct model.demo.stg_plays.id');
      // A seed's columns are its CSV header: all of them.
      expect(columnsOf(artifact, 'model.demo.plan_prices')).toEqual(['plan', 'price']);
      expect(edgesOf(artifact, 'model.demo.plan_prices', 'price')).toEqual(['direct seed.demo.plans.price']);
    } finally {
      removeProject(other);
    }
  });

  it('prefers the catalog, by column position', () => {
    const catalog: CatalogLike = {
      nodes: {},
      sources: {
        'source.demo.raw.orders': { columns: { status: { name: 'status', index: 2 }, id: { name: 'id', index: 1 }, total: { name: 'total', index: 3 } } },
      },
    };
    const artifact = projectLineage(compiled, catalog);
    expect(columnsOf(artifact, 'model.demo.stg_orders')).toEqual(['id', 'status', 'total']);
    expect(edgesOf(artifact, 'model.demo.paid_orders', 'amount')).toEqual(['filter model.demo.stg_orders.status']);
    expect(artifact.nodes['model.demo.paid_orders']?.columns.find((c) => c.column === 'amount')?.unresolved).toBe('column "amount" is in no FROM item');
  });

  it('reuses a cached query’s lineage only while the relations it reads have the same columns', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reel-lineage-cache-'));
    try {
      const catalog = (columns: Record<string, { name: string; index: number }>): CatalogLike => ({ nodes: {}, sources: { 'source.demo.raw.orders': { columns } } });
      const one = catalog({ id: { name: 'id', index: 1 } });
      const cache = LineageCache.open(dir);
      const first = projectLineage(compiled, one, { cache });
      cache.save();
      // Mark every cached result, to see which are used.
      const file = join(dir, 'lineage-cache.json');
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll('"warnings":[]', '"warnings":["cached"]'));
      const cached = projectLineage(compiled, one, { cache: LineageCache.open(dir) });
      expect(Object.values(cached.nodes).map((node) => node.warnings)).toEqual(Object.values(first.nodes).map(() => ['cached']));
      expect(Object.values(cached.nodes).map((node) => node.columns)).toEqual(Object.values(first.nodes).map((node) => node.columns));
      // raw.orders gained a column: what reads it (stg_orders, and through it paid_orders and fct_revenue) is resolved again.
      const two = projectLineage(compiled, catalog({ id: { name: 'id', index: 1 }, status: { name: 'status', index: 2 } }), { cache: LineageCache.open(dir) });
      expect(columnsOf(two, 'model.demo.stg_orders')).toEqual(['id', 'status']);
      expect(Object.fromEntries(Object.entries(two.nodes).map(([id, node]) => [id, node.warnings]))).toEqual({
        'model.demo.stg_users': ['cached'],
        'model.demo.stg_orders': [],
        'model.demo.paid_orders': [],
        'model.demo.dim_users': ['cached'],
        'model.demo.fct_revenue': [],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says when a select * cannot be expanded, and names relations outside the project', async () => {
    const other = writeProject({
      'models/a.sql': 'select * from analytics.events',
      'models/b.sql': 'select e.kind, count(*) as n from {{ref "a"}} e group by 1',
    });
    try {
      const artifact = projectLineage(await compileOrThrow(other, { target: { schema: 'public' }, env: {}, partialParse: false }));
      expect(artifact.nodes['model.demo.a']).toEqual({
        columns: [{ column: '*', edges: [], unresolved: 'columns of analytics.events are unknown, so * cannot be expanded' }],
        warnings: ['columns of analytics.events are unknown, so * cannot be expanded'],
      });
      // a's columns are unknown, so b's only FROM item is taken as having `kind`.
      expect(edgesOf(artifact, 'model.demo.b', 'kind')).toEqual(['direct model.demo.a.kind']);
      expect(edgesOf(artifact, 'model.demo.b', 'n')).toEqual(['filter model.demo.a.kind']);
    } finally {
      removeProject(other);
    }
  });
});
