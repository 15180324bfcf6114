import { randomUUID } from 'node:crypto';
import type { CompiledProject } from '../compile.js';
import type { NodeResult } from '../execute/execute-plan.js';
import type { GraphNode } from '../graph/nodes.js';
import type { Relation } from '../sql/quote.js';
import type { ArtifactEdge, LineageArtifact, LineageKind } from './types.js';

export const PRODUCER = 'https://github.com/reel-analytics/reel/tree/v0.1.0/packages/modeler';
const SPEC = 'https://openlineage.io/spec/2-0-2/OpenLineage.json';
const FACET_SCHEMAS = {
  columnLineage: 'https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet',
  schema: 'https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet',
  sql: 'https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet',
  jobType: 'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet',
  errorMessage: 'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
  dataQualityAssertions: 'https://openlineage.io/spec/facets/1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet',
} as const;

const facet = (kind: keyof typeof FACET_SCHEMAS, body: Record<string, unknown>) => ({ _producer: PRODUCER, _schemaURL: FACET_SCHEMAS[kind], ...body });

export type RunEventType = 'START' | 'COMPLETE' | 'FAIL' | 'ABORT';

export interface RunEvent {
  readonly eventType: RunEventType;
  readonly eventTime: string;
  readonly producer: string;
  readonly schemaURL: string;
  readonly run: { readonly runId: string; readonly facets?: Record<string, unknown> };
  readonly job: { readonly namespace: string; readonly name: string; readonly facets?: Record<string, unknown> };
  readonly inputs: readonly Record<string, unknown>[];
  readonly outputs: readonly Record<string, unknown>[];
}

/** Where the datasets live: OpenLineage's Postgres naming, `postgres://host:port` and `database.schema.table`. */
export interface DatasetNaming {
  readonly namespace: string;
  readonly database: string;
}

export interface EventContext {
  readonly compiled: CompiledProject;
  readonly lineage?: LineageArtifact;
  readonly naming: DatasetNaming;
  /** The job namespace (OPENLINEAGE_NAMESPACE, else the project's name). */
  readonly jobNamespace: string;
}

export interface ColumnType {
  readonly name: string;
  readonly type: string;
}

/** OpenLineage's transformation type and subtype for each of Reel's lineage kinds. */
const TRANSFORMATION: Record<LineageKind, { type: 'DIRECT' | 'INDIRECT'; subtype: string }> = {
  direct: { type: 'DIRECT', subtype: 'IDENTITY' },
  renamed: { type: 'DIRECT', subtype: 'IDENTITY' },
  transformed: { type: 'DIRECT', subtype: 'TRANSFORMATION' },
  aggregated: { type: 'DIRECT', subtype: 'AGGREGATION' },
  filter: { type: 'INDIRECT', subtype: 'FILTER' },
  join: { type: 'INDIRECT', subtype: 'JOIN' },
};

function datasetName(naming: DatasetNaming, relation: Relation): string {
  return `${naming.database}.${relation.schema}.${relation.identifier}`;
}

function relationOf(node: GraphNode | undefined): Relation | undefined {
  if (!node) return undefined;
  if (node.kind === 'model' && node.config.materialized === 'ephemeral') return undefined;
  return node.kind === 'model' || node.kind === 'seed' || node.kind === 'source' ? node.relation : undefined;
}

/** Inputs: the relations a node reads (ephemeral parents are read through, as their SQL is inlined). */
function inputRelations(ctx: EventContext, node: GraphNode): Relation[] {
  const seen = new Set<string>();
  const out: Relation[] = [];
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    const parent = ctx.compiled.graph.nodes.get(id);
    if (!parent) return;
    const relation = relationOf(parent);
    if (relation) out.push(relation);
    else if (parent.kind === 'model') parent.dependsOn.forEach(visit);
  };
  node.dependsOn.forEach(visit);
  return out;
}

function columnLineageFacet(ctx: EventContext, nodeId: string): Record<string, unknown> | undefined {
  const lineage = ctx.lineage?.nodes[nodeId];
  if (!lineage) return undefined;
  const inputField = (edge: ArtifactEdge) => {
    const relation = relationOf(edge.node ? ctx.compiled.graph.nodes.get(edge.node) : undefined);
    const name = relation ? datasetName(ctx.naming, relation) : `${ctx.naming.database}.${edge.relation}`;
    return { namespace: ctx.naming.namespace, name, field: edge.column, transformations: [{ ...TRANSFORMATION[edge.kind], masking: false }] };
  };
  const fields: Record<string, { inputFields: unknown[] }> = {};
  const dataset = new Map<string, unknown>();
  for (const column of lineage.columns) {
    // The facet has no way to say "partly known": a column lineage could not resolve (or a `*` it
    // could not expand) is left out rather than sent with some of its inputs as if they were all.
    if (column.unresolved !== undefined || column.column === '*') continue;
    const values = column.edges.filter((e) => e.kind !== 'filter' && e.kind !== 'join');
    fields[column.column] = { inputFields: values.map(inputField) };
    for (const edge of column.edges) {
      if (edge.kind === 'filter' || edge.kind === 'join') dataset.set(`${edge.node ?? edge.relation}.${edge.column}.${edge.kind}`, inputField(edge));
    }
  }
  if (Object.keys(fields).length === 0 && dataset.size === 0) return undefined;
  return facet('columnLineage', { fields, ...(dataset.size > 0 ? { dataset: [...dataset.values()] } : {}) });
}

function jobFacets(node: GraphNode): Record<string, unknown> {
  const jobType = node.kind === 'test' ? 'TEST' : node.kind === 'seed' ? 'SEED' : 'MODEL';
  const facets: Record<string, unknown> = { jobType: facet('jobType', { processingType: 'BATCH', integration: 'REEL', jobType }) };
  const sql = node.kind === 'model' ? node.compiledSql : node.kind === 'test' ? node.sql : undefined;
  if (sql) facets.sql = facet('sql', { query: sql, dialect: 'postgres' });
  return facets;
}

/**
 * One run event for a node step. Models and seeds write their relation (with its schema and
 * column lineage when known); tests read the relation they check and report the assertion.
 */
export function runEvent(ctx: EventContext, nodeId: string, runId: string, type: RunEventType, detail: { result?: NodeResult; columns?: readonly ColumnType[] } = {}): RunEvent {
  const node = ctx.compiled.graph.nodes.get(nodeId);
  if (!node) throw new Error(`no node ${nodeId}`);
  const dataset = (relation: Relation) => ({ namespace: ctx.naming.namespace, name: datasetName(ctx.naming, relation) });
  const inputs: Record<string, unknown>[] = inputRelations(ctx, node).map(dataset);
  const outputs: Record<string, unknown>[] = [];
  const own = relationOf(node);
  if (own && node.kind !== 'source') {
    const facets: Record<string, unknown> = {};
    if (detail.columns?.length) facets.schema = facet('schema', { fields: detail.columns.map((c, i) => ({ name: c.name, type: c.type, ordinal_position: i + 1 })) });
    // A run that was skipped (ABORT) wrote nothing, so it has no column lineage to report.
    const lineage = type === 'START' || type === 'ABORT' ? undefined : columnLineageFacet(ctx, nodeId);
    if (lineage) facets.columnLineage = lineage;
    outputs.push({ ...dataset(own), ...(Object.keys(facets).length ? { facets } : {}) });
  }
  if (node.kind === 'test' && detail.result && type !== 'START') {
    const checked = relationOf(node.attachedTo ? ctx.compiled.graph.nodes.get(node.attachedTo) : undefined);
    const assertion = {
      assertion: node.testName,
      success: detail.result.status === 'pass',
      ...(node.columnName ? { column: node.columnName } : {}),
      severity: node.config.severity,
    };
    const target = checked ? inputs.find((i) => i.name === datasetName(ctx.naming, checked)) : undefined;
    if (target) target.inputFacets = { dataQualityAssertions: facet('dataQualityAssertions', { assertions: [assertion] }) };
  }
  const runFacets: Record<string, unknown> = {};
  if (type === 'FAIL' && detail.result) {
    runFacets.errorMessage = facet('errorMessage', { message: detail.result.error?.message ?? detail.result.message, programmingLanguage: 'SQL' });
  }
  return {
    eventType: type,
    eventTime: new Date().toISOString(),
    producer: PRODUCER,
    schemaURL: `${SPEC}#/$defs/RunEvent`,
    run: { runId, ...(Object.keys(runFacets).length ? { facets: runFacets } : {}) },
    job: { namespace: ctx.jobNamespace, name: nodeId, facets: jobFacets(node) },
    inputs,
    outputs,
  };
}

/**
 * The end event for a step's result: an error is FAIL, a skipped step ABORT. A data test that finds
 * rows still completed its run; the failure is in its assertion (success: false).
 */
export function endEventType(result: NodeResult): RunEventType {
  if (result.status === 'error') return 'FAIL';
  if (result.status === 'skipped') return 'ABORT';
  return 'COMPLETE';
}

export const newRunId = (): string => randomUUID();
