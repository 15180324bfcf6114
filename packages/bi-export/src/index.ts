/**
 * @reel/bi-export: the marts to BI tools. Extracts (Parquet, CSV) streamed from PostgreSQL, a Power
 * BI project (TMDL) and `.pbids`, Tableau `.tds` data sources, and publishing to Power BI push
 * datasets and Tableau data sources.
 *
 * @example
 * ```ts
 * import { exportMarts, publishToTableau } from '@reel/bi-export';
 * await exportMarts({ projectDir: 'packages/models', outDir: 'data/processed' });
 * await publishToTableau({ outDir: 'data/processed', dryRun: true, log: console.log });
 * ```
 */
export { main as runCli } from './cli.js';
export { exportMarts, type ExportOptions, type ExportResult, type MartTiming } from './export-marts.js';
export { publishToPowerBi, publishToTableau, type PublishOptions, type PowerBiPublishOptions, type TableauPublishOptions } from './publish-extracts.js';
export { BiConfigError, BiInputError, ExportError, PublishError } from './errors.js';
export { readExtractManifest, type ExtractManifest, type ExtractFile, type ExtractColumn, type ArtifactFile, type ExtractFormat } from './extract/extract-manifest.js';
export { columnType, type ColumnType, type PushDataType, type TmdlDataType } from './schema/column-type.js';
export type { Mart, MartColumn, MartRelationship, MartSchema } from './schema/mart.js';
export { loadMartSchema } from './schema/load-mart-schema.js';
export { readProjectArtifacts } from './schema/read-artifacts.js';
export { powerBiProject, pbids } from './semantic/powerbi-project.js';
export { tableauDataSources, starGroups } from './semantic/tableau-datasource.js';
export { KPI_MEASURES, measuresFor, type KpiMeasure } from './semantic/kpi-measures.js';
export { pushDataset, type PushDataset, type PowerBiPublishResult } from './publish/powerbi-publisher.js';
export type { TableauPublishResult, TableauUpload } from './publish/tableau-publisher.js';
export { retryAfterMs } from './publish/http-client.js';
