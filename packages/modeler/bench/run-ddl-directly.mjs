// The build benchmark's baseline: the same compiled SQL as `create view` statements, run one after
// another on one connection, in dependency order, straight from target/manifest.json.
import { readFileSync } from 'node:fs';
import pg from 'pg';

const [manifestPath, url] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const models = Object.values(manifest.nodes).filter((n) => n.resource_type === 'model');
const byId = new Map(models.map((m) => [m.unique_id, m]));
const done = new Set();
const order = [];
const visit = (m) => {
  if (done.has(m.unique_id)) return;
  done.add(m.unique_id);
  for (const parent of m.depends_on.nodes) if (byId.has(parent)) visit(byId.get(parent));
  order.push(m);
};
models.forEach(visit);
const client = new pg.Client({ connectionString: url });
await client.connect();
for (const schema of new Set(order.map((m) => m.schema))) await client.query(`create schema if not exists "${schema}"`);
for (const m of order) await client.query(`create view ${m.relation_name} as\n${m.compiled_code}`);
await client.end();
