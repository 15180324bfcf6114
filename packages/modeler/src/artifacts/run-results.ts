import type { CompiledProject } from '../compile.js';
import type { NodeResult } from '../execute/execute-plan.js';
import { quoteRelation } from '../sql/quote.js';
import { artifactMetadata, type InvocationInfo } from './metadata.js';

/** target/run_results.json in the shape of dbt's run_results v6. */
export function buildRunResults(compiled: CompiledProject, results: readonly NodeResult[], invocation: InvocationInfo, elapsedSeconds: number, args: Record<string, unknown>) {
  return {
    metadata: artifactMetadata('https://schemas.getdbt.com/dbt/run-results/v6.json', invocation),
    results: results.map((result) => {
      const node = compiled.graph.nodes.get(result.uniqueId);
      const compiledCode = node?.kind === 'model' || node?.kind === 'snapshot' ? node.compiledSql : node?.kind === 'test' || node?.kind === 'unit_test' ? node.sql : null;
      const relation = node?.kind === 'model' || node?.kind === 'seed' || node?.kind === 'snapshot' ? quoteRelation(node.relation) : null;
      return {
        status: result.status === 'error' && node?.kind === 'test' ? 'error' : result.status,
        timing: result.status === 'skipped' ? [] : [{ name: 'execute', started_at: result.startedAt, completed_at: result.completedAt }],
        thread_id: result.threadId,
        execution_time: result.executionTime,
        adapter_response: result.rowsAffected === undefined ? {} : { _message: result.message, rows_affected: result.rowsAffected },
        message: result.error ? result.error.toString() : result.message,
        failures: result.failures ?? null,
        unique_id: result.uniqueId,
        compiled: compiledCode !== null,
        compiled_code: compiledCode,
        relation_name: relation,
      };
    }),
    elapsed_time: elapsedSeconds,
    args,
  };
}
