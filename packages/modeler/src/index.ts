/**
 * @reel/modeler: a dbt-like compiler and runner for SQL models on PostgreSQL.
 *
 * @example
 * ```ts
 * import { compileProject, resolveTarget, openDatabase } from '@reel/modeler';
 * const target = resolveTarget({ projectRoot: '.', profile: 'reel' });
 * const result = await compileProject('.', { target });
 * const db = await openDatabase(target, { projectRoot: '.' });
 * ```
 */
export { compileProject, compileOrThrow, type CompiledProject, type CompileOptions, type CompileResult } from './compile.js';
export { main as runCli } from './cli/main.js';
export {
  ReelError,
  ConfigError,
  RenderError,
  GraphError,
  SqlError,
  ExecutionError,
  ConnectionError,
  UsageError,
  CompileFailedError,
  type SourcePlace,
} from './errors/index.js';
export { readProfileName } from './commands/context.js';
export { resolveTarget, redactUrl, type ResolvedTarget, type TargetOptions } from './execute/connection/resolve-target.js';
export { openDatabase, type Database, type OpenOptions } from './execute/connection/open-database.js';
export { acquireEmbeddedServer, type EmbeddedLease } from './execute/connection/embedded-server.js';
export { DependencyGraph } from './graph/dependency-graph.js';
export { selectNodes, type SelectionContext } from './graph/select.js';
export { selectionContext } from './state/selection-state.js';
export { compareWithState, type StateComparison, type Modification } from './state/compare-state.js';
export { readPreviousState, type PreviousState } from './state/previous-state.js';
export type { NodeState } from './state/node-state.js';
export type { GraphNode, ModelNode, SeedNode, SourceNode, TestNode, ExposureNode, SnapshotNode, UnitTestNode, ColumnInfo } from './graph/nodes.js';
export { buildPlan, type Command, type PlanOptions } from './plan/build-plan.js';
export type { Plan, Step, NodeStep } from './plan/steps.js';
export { executePlan, type NodeResult, type NodeStatus } from './execute/execute-plan.js';
export { quoteIdent, quoteLiteral, quoteRelation, type Relation } from './sql/quote.js';
export { writeDocsSite, type WriteDocsOptions } from './docs/write-docs-site.js';
export type { DocsInput } from './docs/docs-input.js';
