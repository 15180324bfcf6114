import { createHash } from 'node:crypto';
import { XMLBuilder } from 'fast-xml-parser';
import type { Mart, MartRelationship, MartSchema } from '../schema/mart.js';
import type { ConnectionInfo } from './connection-info.js';
import type { GeneratedFiles } from './powerbi-project.js';

export interface TableauOptions {
  /** Folder under the output folder (default "tableau"). */
  readonly folder?: string;
}

/** A group of marts joined by relationships into one Tableau data source (a tree, as Tableau requires). */
export interface StarGroup {
  readonly marts: readonly Mart[];
  readonly relationships: readonly MartRelationship[];
  /** Relationships left out because they would close a cycle. */
  readonly dropped: readonly MartRelationship[];
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, indentBy: '  ', suppressEmptyNode: true, suppressBooleanAttributes: false });

/**
 * Tableau data sources (`.tds`, Tableau 2020.2+ object model) with a live PostgreSQL connection
 * (server, port, database and user name, never a password): one per mart, and one per group of
 * marts linked by `relationships` tests (`reel_star.tds` for the largest), whose tables are related
 * in the object graph rather than joined. Pure: returns the files.
 */
export function tableauDataSources(schema: MartSchema, connection: ConnectionInfo, options: TableauOptions = {}): GeneratedFiles {
  const folder = options.folder ?? 'tableau';
  const files: GeneratedFiles = new Map();
  for (const mart of schema.marts) files.set(`${folder}/${mart.name}.tds`, dataSourceXml(mart.name, { marts: [mart], relationships: [], dropped: [] }, connection));
  starGroups(schema).forEach((group, i) => {
    const name = i === 0 ? 'reel_star' : `reel_star_${i + 1}`;
    files.set(`${folder}/${name}.tds`, dataSourceXml(name, group, connection));
  });
  return files;
}

/**
 * The connected groups of marts (two or more), largest first. Within a group the relationships
 * form a spanning tree: one that would close a cycle is dropped (and reported), since Tableau's
 * relationships between logical tables cannot loop.
 */
export function starGroups(schema: MartSchema): StarGroup[] {
  const parent = new Map(schema.marts.map((m) => [m.name, m.name]));
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(x, root);
    return root;
  };
  const kept: MartRelationship[] = [];
  const dropped: MartRelationship[] = [];
  // The fact with the most dimensions keeps all of its relationships; a cycle is closed (and
  // broken) by a smaller fact's.
  const byCentrality = [...schema.relationships].sort((x, y) => manySide(schema, y.fromMart) - manySide(schema, x.fromMart));
  for (const r of byCentrality) {
    const a = find(r.fromMart);
    const b = find(r.toMart);
    if (a === b) dropped.push(r);
    else {
      parent.set(a, b);
      kept.push(r);
    }
  }
  const groups = new Map<string, Mart[]>();
  for (const mart of schema.marts) groups.set(find(mart.name), [...(groups.get(find(mart.name)) ?? []), mart]);
  return [...groups.values()]
    .filter((marts) => marts.length > 1)
    .map((marts) => {
      const names = new Set(marts.map((m) => m.name));
      // Facts first (tables on the many side), so that their columns keep the plain names.
      const order = [...marts].sort((a, b) => manySide(schema, b.name) - manySide(schema, a.name) || a.name.localeCompare(b.name));
      return { marts: order, relationships: kept.filter((r) => names.has(r.fromMart)), dropped: dropped.filter((r) => names.has(r.fromMart)) };
    })
    .sort((a, b) => b.marts.length - a.marts.length || a.marts[0]!.name.localeCompare(b.marts[0]!.name));
}

const manySide = (schema: MartSchema, name: string) => schema.relationships.filter((r) => r.fromMart === name).length;

const bracket = (name: string) => `[${name.replaceAll(']', ']]')}]`;
const objectId = (name: string) => `${name}_${createHash('sha1').update(name).digest('hex').slice(0, 32).toUpperCase()}`;

/** Local field names: the first table keeps a column's name, later ones get `name (table)`. */
function localNames(marts: readonly Mart[]): Map<string, string> {
  const taken = new Set<string>();
  const names = new Map<string, string>();
  for (const mart of marts) {
    for (const column of mart.columns) {
      const local = taken.has(column.name) ? `${column.name} (${mart.name})` : column.name;
      taken.add(local);
      names.set(`${mart.name}.${column.name}`, local);
    }
  }
  return names;
}

function dataSourceXml(name: string, group: StarGroup, connection: ConnectionInfo): string {
  const connectionName = `postgres.${createHash('sha1').update(`${connection.host}:${connection.port}/${connection.database}`).digest('hex').slice(0, 28)}`;
  const relation = (mart: Mart) => ({ '@_connection': connectionName, '@_name': mart.name, '@_table': `${bracket(mart.schema)}.${bracket(mart.name)}`, '@_type': 'table' });
  const local = localNames(group.marts);
  const single = group.marts.length === 1;
  const records = group.marts.flatMap((mart) =>
    mart.columns.map((column, i) => ({
      '@_class': 'column',
      'remote-name': column.name,
      'remote-type': column.type.tableau.remoteType,
      'local-name': bracket(local.get(`${mart.name}.${column.name}`)!),
      'parent-name': bracket(mart.name),
      'remote-alias': column.name,
      ordinal: i + 1,
      'local-type': column.type.tableau.localType,
      aggregation: column.type.tableau.aggregation,
      'contains-null': 'true',
      'object-id': bracket(objectId(mart.name)),
    })),
  );
  const document = {
    '?xml': { '@_version': '1.0', '@_encoding': 'utf-8' },
    datasource: {
      '@_formatted-name': name,
      '@_inline': 'true',
      '@_source-platform': 'linux',
      '@_version': '18.1',
      '@_xmlns:user': 'http://www.tableausoftware.com/xml/user',
      'document-format-change-manifest': { ObjectModelEncapsulateLegacy: '', ObjectModelTableType: '', SchemaViewerObjectModel: '' },
      connection: {
        '@_class': 'federated',
        'named-connections': {
          'named-connection': {
            '@_caption': connection.host,
            '@_name': connectionName,
            connection: {
              '@_authentication': 'username-password',
              '@_class': 'postgres',
              '@_dbname': connection.database,
              '@_odbc-native-protocol': 'yes',
              '@_one-time-sql': '',
              '@_port': String(connection.port),
              '@_server': connection.host,
              '@_username': connection.username ?? '',
            },
          },
        },
        relation: single ? relation(group.marts[0]!) : { '@_type': 'collection', relation: group.marts.map(relation) },
        'metadata-records': { 'metadata-record': records },
      },
      column: group.marts.flatMap((mart) =>
        mart.columns
          .filter((c) => c.description)
          .map((c) => ({ '@_datatype': c.type.tableau.localType, '@_name': bracket(local.get(`${mart.name}.${c.name}`)!), '@_role': c.type.tableau.localType === 'real' ? 'measure' : 'dimension', desc: { formatted_text: { run: c.description } } })),
      ),
      'object-graph': {
        objects: { object: group.marts.map((mart) => ({ '@_caption': mart.name, '@_id': objectId(mart.name), properties: { '@_context': '', relation: relation(mart) } })) },
        ...(group.relationships.length > 0
          ? {
              relationships: {
                relationship: group.relationships.map((r) => ({
                  expression: { '@_op': '=', expression: [{ '@_op': bracket(local.get(`${r.fromMart}.${r.fromColumn}`)!) }, { '@_op': bracket(local.get(`${r.toMart}.${r.toColumn}`)!) }] },
                  'first-end-point': { '@_object-id': objectId(r.fromMart) },
                  'second-end-point': { '@_object-id': objectId(r.toMart) },
                })),
              },
            }
          : {}),
      },
    },
  };
  return builder.build(document) as string;
}
