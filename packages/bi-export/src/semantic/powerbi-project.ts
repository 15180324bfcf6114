import type { Mart, MartColumn, MartSchema } from '../schema/mart.js';
import { serverAddress, type ConnectionInfo } from './connection-info.js';
import { measuresFor } from './kpi-measures.js';
import { mString, stableGuid, tmdlColumnRef, tmdlDescription, tmdlName } from './tmdl-syntax.js';

/** Generated files: path (relative to the output folder) → content. */
export type GeneratedFiles = Map<string, string>;

export interface PowerBiProjectOptions {
  /** Project name: `<name>.pbip`, `<name>.SemanticModel`, `<name>.Report` (default "Reel"). */
  readonly name?: string;
  /** Folder under the output folder (default "powerbi"). */
  readonly folder?: string;
}

const SOURCE_EXPRESSION = 'Reel source';
const SCHEMAS = 'https://developer.microsoft.com/json-schemas/fabric';

/**
 * A Power BI Desktop project (PBIP) for the marts: the semantic model in TMDL (typed columns, the
 * star schema's relationships from the `relationships` tests, KPI measures in DAX, import
 * partitions reading PostgreSQL through one shared M expression), a minimal report bound to it,
 * and a `.pbids` connection file. Pure: returns the files, writes nothing.
 */
export function powerBiProject(schema: MartSchema, connection: ConnectionInfo, options: PowerBiProjectOptions = {}): GeneratedFiles {
  const name = options.name ?? 'Reel';
  const base = options.folder ?? 'powerbi';
  const model = `${base}/${name}.SemanticModel`;
  const report = `${base}/${name}.Report`;
  const files: GeneratedFiles = new Map();
  const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

  files.set(`${base}/${name}.pbip`, json({ $schema: `${SCHEMAS}/pbip/pbipProperties/1.0.0/schema.json`, version: '1.0', artifacts: [{ report: { path: `${name}.Report` } }], settings: { enableAutoRecovery: true } }));
  files.set(`${model}/definition.pbism`, json({ $schema: `${SCHEMAS}/item/semanticModel/definitionProperties/1.0.0/schema.json`, version: '4.0', settings: {} }));
  files.set(`${model}/definition/database.tmdl`, `database ${tmdlName(name)}\n\tcompatibilityLevel: 1567\n`);
  files.set(`${model}/definition/model.tmdl`, modelTmdl(schema));
  files.set(`${model}/definition/expressions.tmdl`, expressionsTmdl(connection));
  const keys = keyColumns(schema);
  for (const mart of schema.marts) files.set(`${model}/definition/tables/${mart.name}.tmdl`, tableTmdl(mart, schema, keys.get(mart.name)));
  files.set(`${model}/definition/relationships.tmdl`, relationshipsTmdl(schema));

  files.set(`${report}/definition.pbir`, json({ $schema: `${SCHEMAS}/item/report/definitionProperties/2.0.0/schema.json`, version: '4.0', datasetReference: { byPath: { path: `../${name}.SemanticModel` } } }));
  files.set(`${report}/definition/version.json`, json({ $schema: `${SCHEMAS}/item/report/definition/versionMetadata/1.0.0/schema.json`, version: '2.0.0' }));
  files.set(`${report}/definition/report.json`, json({
    $schema: `${SCHEMAS}/item/report/definition/report/1.0.0/schema.json`,
    themeCollection: { baseTheme: { name: 'CY24SU10', reportVersionAtImport: '5.61', type: 'SharedResources' } },
  }));
  files.set(`${report}/definition/pages/pages.json`, json({ $schema: `${SCHEMAS}/item/report/definition/pagesMetadata/1.0.0/schema.json`, pageOrder: ['overview'], activePageName: 'overview' }));
  files.set(`${report}/definition/pages/overview/page.json`, json({ $schema: `${SCHEMAS}/item/report/definition/page/1.0.0/schema.json`, name: 'overview', displayName: 'Overview', displayOption: 'FitToPage', height: 720, width: 1280 }));

  files.set(`${base}/${name}.pbids`, pbids(connection));
  files.set(`${base}/.gitignore`, '**/.pbi/localSettings.json\n**/.pbi/cache.abf\n');
  return files;
}

/** A Power BI data source file: opening it starts Get Data on the PostgreSQL database. */
export function pbids(connection: ConnectionInfo, mode: 'Import' | 'DirectQuery' = 'Import'): string {
  return (
    JSON.stringify(
      { version: '0.1', connections: [{ details: { protocol: 'postgresql', address: { server: serverAddress(connection), database: connection.database } }, options: {}, mode }] },
      null,
      2,
    ) + '\n'
  );
}

function modelTmdl(schema: MartSchema): string {
  const lines = [
    'model Model',
    '\tculture: en-US',
    '\tdefaultPowerBIDataSourceVersion: powerBI_V3',
    '\tsourceQueryCulture: en-US',
    '\tdataAccessOptions',
    '\t\tlegacyRedirects',
    '\t\treturnErrorValuesAsNull',
    '',
    `\tannotation PBI_QueryOrder = ${JSON.stringify([SOURCE_EXPRESSION, ...schema.marts.map((m) => m.name)])}`,
    '',
    ...schema.marts.map((m) => `ref table ${tmdlName(m.name)}`),
  ];
  return lines.join('\n') + '\n';
}

function expressionsTmdl(connection: ConnectionInfo): string {
  return [
    `/// The PostgreSQL database of the marts; every table's partition navigates from it.`,
    `expression ${tmdlName(SOURCE_EXPRESSION)} =`,
    '\t\tlet',
    `\t\t    Source = PostgreSQL.Database(${mString(serverAddress(connection))}, ${mString(connection.database)})`,
    '\t\tin',
    '\t\t    Source',
    '',
    '\tannotation PBI_ResultType = Table',
    '',
  ].join('\n');
}

/** Per mart, the column to mark `isKey`: the `toColumn` of a relationship that has a unique test. */
function keyColumns(schema: MartSchema): Map<string, string> {
  const keys = new Map<string, string>();
  for (const r of schema.relationships) {
    const to = schema.marts.find((m) => m.name === r.toMart);
    if (to?.uniqueColumns.includes(r.toColumn) && !keys.has(to.name)) keys.set(to.name, r.toColumn);
  }
  return keys;
}

const NOT_SUMMED = /(^|_)(id|key|hour|weekday|year|month|day|number|rank\w*|index|since_signup|cohort)$/;

function summarizeBy(column: MartColumn): 'sum' | 'none' {
  const numeric = column.type.tmdlType === 'int64' || column.type.tmdlType === 'double' || column.type.tmdlType === 'decimal';
  return numeric && !NOT_SUMMED.test(column.name) && !column.name.startsWith('rank') ? 'sum' : 'none';
}

function formatString(column: MartColumn): string | undefined {
  switch (column.type.kind) {
    case 'int32':
    case 'int64':
      return '0';
    case 'date':
      return 'yyyy-mm-dd';
    case 'timestamp':
    case 'timestamptz':
      return 'General Date';
    default:
      return undefined;
  }
}

function tableTmdl(mart: Mart, schema: MartSchema, key: string | undefined): string {
  const lines: string[] = [...tmdlDescription(mart.description, ''), `table ${tmdlName(mart.name)}`, ''];
  for (const measure of measuresFor(schema).filter((m) => m.table === mart.name)) {
    lines.push(...tmdlDescription(measure.description, '\t'), `\tmeasure ${tmdlName(measure.name)} = ${measure.expression}`, `\t\tformatString: ${measure.formatString}`, '');
  }
  for (const column of mart.columns) {
    lines.push(...tmdlDescription(column.description, '\t'), `\tcolumn ${tmdlName(column.name)}`, `\t\tdataType: ${column.type.tmdlType}`);
    if (column.name === key) lines.push('\t\tisKey');
    const format = formatString(column);
    if (format) lines.push(`\t\tformatString: ${format}`);
    lines.push(`\t\tsummarizeBy: ${summarizeBy(column)}`, `\t\tsourceColumn: ${column.name}`, '', '\t\tannotation SummarizationSetBy = Automatic');
    if (column.type.kind === 'date') lines.push('', '\t\tannotation UnderlyingDateTimeDataType = Date');
    lines.push('');
  }
  lines.push(
    `\tpartition ${tmdlName(mart.name)} = m`,
    '\t\tmode: import',
    '\t\tsource =',
    '\t\t\t\tlet',
    `\t\t\t\t    Source = #${mString(SOURCE_EXPRESSION)},`,
    `\t\t\t\t    Data = Source{[Schema = ${mString(mart.schema)}, Item = ${mString(mart.name)}]}[Data]`,
    '\t\t\t\tin',
    '\t\t\t\t    Data',
    '',
    '\tannotation PBI_ResultType = Table',
  );
  return lines.join('\n') + '\n';
}

function relationshipsTmdl(schema: MartSchema): string {
  const lines: string[] = [];
  for (const r of schema.relationships) {
    lines.push(
      `/// From the test ${r.testId}: every ${r.fromMart}.${r.fromColumn} is a ${r.toMart}.${r.toColumn}.`,
      `relationship ${stableGuid(r.testId)}`,
      `\tfromColumn: ${tmdlColumnRef(r.fromMart, r.fromColumn)}`,
      `\ttoColumn: ${tmdlColumnRef(r.toMart, r.toColumn)}`,
      '',
    );
  }
  return lines.join('\n');
}
