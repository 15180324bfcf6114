/**
 * @reel/bi-export: the marts to BI tools. Extracts (Parquet, CSV) streamed from PostgreSQL, a Power
 * BI project (TMDL) and `.pbids`, Tableau `.tds` data sources, publishing to Power BI push datasets
 * and Tableau data sources, and the portal (`bi serve`: sign-in and built-in dashboards).
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
export { createPortal, mergePortalExtensions, type PortalOptions, type PortalExtensions } from './serve/create-portal.js';
export { servePortal, type ServeOptions, type RunningPortal } from './serve/serve-portal.js';
export { renderPage, escapeHtml, assetUrl, type PageOptions, type NavLink } from './serve/page-layout.js';
export { loadPortalConfig, parsePortalConfig, type PortalConfig, type PortalAccount, type SessionSettings } from './serve/portal-config.js';
export { hashPassword, verifyPassword } from './serve/password-hash.js';
export type { CspExtensions } from './serve/content-security.js';
export { seesEveryRegion, type PortalUser } from './serve/portal-user.js';
export { regionScope } from './serve/region-scope.js';
export { parseEmbedConfig, loadEmbedConfig, type EmbedConfig, type PowerBiEmbedConfig, type TableauEmbedConfig } from './embed/embed-config.js';
export { embedExtensions, embedRoutes } from './embed/embed-routes.js';
export { embedCspSources, embedNav } from './embed/embed-csp.js';
