import type pg from 'pg';
import { BiInputError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { columnType } from './column-type.js';
import { findMarts, findRelationshipTests, type MartNode } from './find-marts.js';
import { freezeMart, freezeRelationship, type Mart, type MartColumn, type MartRelationship, type MartSchema } from './mart.js';
import type { ProjectArtifacts } from './read-artifacts.js';

export interface LoadMartSchemaOptions {
  /** Mart names to keep (all when empty). */
  readonly select?: readonly string[];
  /** Reads column types of relations the catalog lacks; without it such marts are an error. */
  readonly database?: Pick<pg.Pool, 'query'>;
  /** For messages: the project folder as the user wrote it. */
  readonly shownProjectDir?: string;
}

/**
 * The selected marts with their typed columns and the relationships among them: names and tests
 * from the manifest, column types from the catalog, or from pg_catalog for marts the catalog lacks.
 */
export async function loadMartSchema(artifacts: ProjectArtifacts, options: LoadMartSchemaOptions = {}): Promise<MartSchema> {
  const shown = options.shownProjectDir ?? artifacts.projectDir;
  const chosen = selectMarts(artifacts, options.select ?? [], shown);

  const columns = new Map<string, MartColumn[]>();
  const skipped: string[] = [];
  let fromCatalog = 0;
  for (const mart of chosen) {
    const entry = artifacts.catalog?.nodes[mart.uniqueId];
    if (!entry) continue;
    const list = Object.values(entry.columns).sort((a, b) => a.index - b.index);
    columns.set(mart.uniqueId, list.map((c) => ({ name: c.name, type: columnType(c.type), description: mart.columnDescriptions.get(c.name) ?? '' })));
    fromCatalog++;
  }
  const missing = chosen.filter((m) => !columns.has(m.uniqueId));
  if (missing.length > 0) {
    if (!options.database) {
      throw new BiInputError('no-catalog', `the column types of ${missing.map((m) => m.name).join(', ')} are not in ${shown}/target/catalog.json: run \`model docs generate --project-dir ${shown}\``);
    }
    const found = await readColumnsFromDatabase(options.database, missing);
    for (const mart of missing) {
      const list = found.get(`${mart.schema}.${mart.name}`);
      if (!list || list.length === 0) {
        // Exporting every mart skips the ones this database lacks (e.g. left out of the build with
        // --exclude); a mart asked for by name must be there.
        if ((options.select ?? []).length === 0) {
          skipped.push(mart.name);
          continue;
        }
        throw new BiInputError('mart-not-built', `mart ${mart.name} is in the manifest but ${mart.schema}.${mart.name} is not in the database: run \`model build --project-dir ${shown}\` against this database first`);
      }
      columns.set(mart.uniqueId, list.map((c) => ({ ...c, description: mart.columnDescriptions.get(c.name) ?? '' })));
    }
  }

  if (skipped.length === chosen.length) {
    throw new BiInputError('marts-not-built', `none of the marts of ${shown} is in the database: run \`model build --project-dir ${shown}\` against this database first`);
  }
  const marts: Mart[] = chosen.filter((m) => columns.has(m.uniqueId)).map((m) =>
    freezeMart({ uniqueId: m.uniqueId, name: m.name, schema: m.schema, description: m.description, columns: columns.get(m.uniqueId)!, uniqueColumns: m.uniqueColumns }),
  );
  const byId = new Map(marts.map((m) => [m.uniqueId, m]));
  const relationships: MartRelationship[] = [];
  for (const test of findRelationshipTests(artifacts.manifest)) {
    const from = byId.get(test.fromId);
    const to = byId.get(test.toId);
    if (!from || !to || from === to) continue;
    if (!from.columns.some((c) => c.name === test.fromColumn) || !to.columns.some((c) => c.name === test.toColumn)) continue;
    relationships.push(freezeRelationship({ testId: test.testId, fromMart: from.name, fromColumn: test.fromColumn, toMart: to.name, toColumn: test.toColumn }));
  }
  return Object.freeze({
    projectDir: artifacts.projectDir,
    projectName: artifacts.manifest.metadata.project_name ?? 'reel',
    marts: Object.freeze(marts),
    relationships: Object.freeze(relationships),
    skipped: Object.freeze(skipped),
    typesFrom: fromCatalog === marts.length ? 'catalog' : fromCatalog === 0 ? 'database' : 'catalog and database',
  });
}

/**
 * The marts named by `select` (all when empty), checked against the manifest without a database:
 * an unknown name is an error with the nearest mart's name, a model of another layer says so.
 */
export function selectMarts(artifacts: ProjectArtifacts, select: readonly string[], shown: string): MartNode[] {
  const all = findMarts(artifacts.manifest);
  if (all.length === 0) {
    throw new BiInputError('no-marts', `the manifest of ${shown} has no marts (no models in a marts folder or schema): add models under models/marts and run \`model build --project-dir ${shown}\``);
  }
  if (select.length === 0) return [...all];
  const byName = new Map(all.map((m) => [m.name, m]));
  const chosen: MartNode[] = [];
  for (const name of select) {
    const mart = byName.get(name);
    if (mart) {
      if (!chosen.includes(mart)) chosen.push(mart);
      continue;
    }
    const other = Object.values(artifacts.manifest.nodes).find((n) => n.resource_type === 'model' && (n.name === name || n.alias === name));
    if (other) {
      throw new BiInputError('not-a-mart', `${name} is a model of the ${other.fqn?.[1] ?? other.schema ?? 'project'} layer, not a mart: select marts only (${all.map((m) => m.name).join(', ')})`);
    }
    throw new BiInputError('unknown-mart', `there is no mart named "${name}" in ${shown}${didYouMean(name, byName.keys())}: choose from ${all.map((m) => m.name).join(', ')}`);
  }
  return chosen;
}

interface ColumnRow {
  schema: string;
  relation: string;
  name: string;
  type: string;
}

/** Column names and types, in order, of the given relations, from pg_catalog in one query. */
async function readColumnsFromDatabase(database: Pick<pg.Pool, 'query'>, marts: readonly MartNode[]): Promise<Map<string, { name: string; type: ReturnType<typeof columnType> }[]>> {
  const result = await database.query<ColumnRow>(
    `select n.nspname as schema, c.relname as relation, a.attname as name, pg_catalog.format_type(a.atttypid, a.atttypmod) as type
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where (n.nspname, c.relname) in (select * from unnest($1::text[], $2::text[]))
        and c.relkind in ('r', 'p', 'v', 'm', 'f')
      order by n.nspname, c.relname, a.attnum`,
    [marts.map((m) => m.schema), marts.map((m) => m.name)],
  );
  const found = new Map<string, { name: string; type: ReturnType<typeof columnType> }[]>();
  for (const row of result.rows) {
    const key = `${row.schema}.${row.relation}`;
    const list = found.get(key) ?? [];
    list.push({ name: row.name, type: columnType(row.type) });
    found.set(key, list);
  }
  return found;
}
