import { join } from 'node:path';
import type { CompiledProject } from '../compile.js';
import type { Database } from '../execute/connection/open-database.js';
import type { ResolvedTarget } from '../execute/connection/resolve-target.js';
import type { Relation } from '../sql/quote.js';
import { OpenLineageEmitter, openLineageSettings } from './openlineage-emitter.js';
import type { DatasetNaming } from './openlineage-events.js';

/**
 * The emitter for one `model run|build|seed|test`, or undefined when OPENLINEAGE_DISABLED is set.
 * Column lineage is resolved here from the compiled SQL (and the declared columns), once per run.
 */
export async function openLineageForRun(compiled: CompiledProject, target: ResolvedTarget, database: Database, env: Readonly<Record<string, string | undefined>>, targetPath: string): Promise<OpenLineageEmitter | undefined> {
  const settings = openLineageSettings(env, join(targetPath, 'openlineage.ndjson'));
  if (!settings) return undefined;
  const [{ loadParser }, { projectLineage }] = await Promise.all([import('../validate/validate-sql.js'), import('./project-lineage.js')]);
  await loadParser();
  const lineage = projectLineage(compiled);
  return new OpenLineageEmitter({
    settings,
    context: { compiled, lineage, naming: await datasetNaming(target, database), jobNamespace: settings.namespace ?? compiled.project.settings.name },
    describe: (relation) => describeRelation(database, relation),
  });
}

/** `postgres://host:port` as the client names it (never with credentials), and the database. */
async function datasetNaming(target: ResolvedTarget, database: Database): Promise<DatasetNaming> {
  const row = (await database.pool.query<{ db: string; host: string | null; port: number | null }>(
    'select current_database() as db, host(inet_server_addr()) as host, inet_server_port() as port',
  )).rows[0]!;
  let host = row.host ?? 'localhost';
  let port = row.port ?? 5432;
  if (target.url) {
    try {
      const url = new URL(target.url);
      if (url.hostname) host = url.hostname;
      port = url.port ? Number(url.port) : 5432;
    } catch {
      // a key=value connection string: keep what the server says
    }
  }
  return { namespace: `postgres://${host}:${port}`, database: row.db };
}

async function describeRelation(database: Database, relation: Relation): Promise<{ name: string; type: string }[]> {
  const result = await database.pool.query<{ name: string; type: string }>(
    `select a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type
       from pg_catalog.pg_attribute a
       join pg_catalog.pg_class c on c.oid = a.attrelid
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = $2 and a.attnum > 0 and not a.attisdropped
      order by a.attnum`,
    [relation.schema, relation.identifier],
  );
  return result.rows;
}
