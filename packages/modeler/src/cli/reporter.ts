import pc from 'picocolors';
import type { CompiledProject } from '../compile.js';
import type { NodeResult } from '../execute/execute-plan.js';
import type { NodeStep } from '../plan/steps.js';
import { isStructured } from './json-log-output.js';
import { formatError, type Output } from './output.js';

const LABEL: Record<NodeStep['kind'], string> = {
  view: 'view model',
  table: 'table model',
  'materialized-view': 'materialized view model',
  incremental: 'incremental model',
  seed: 'seed',
  test: 'test',
  snapshot: 'snapshot',
  'unit-test': 'unit test',
};

/** Live progress lines in dbt's shape, then a summary table and every failure in full. */
export class Reporter {
  private readonly width = 80;

  constructor(
    private readonly output: Output,
    private readonly compiled: CompiledProject,
  ) {}

  start(step: NodeStep, index: number, total: number): void {
    if (isStructured(this.output)) {
      this.output.event('NodeStart', 'info', `START ${this.describe(step).trim()}`, { node_info: this.nodeInfo(step, 'started'), index, total });
      return;
    }
    this.output.out(`${this.counter(index, total)} START ${this.describe(step)} ${pc.dim('[RUN]')}`);
  }

  finish(step: NodeStep, result: NodeResult, index: number, total: number): void {
    const status = STATUS[result.status](result.status === 'success' ? 'OK' : result.status.toUpperCase());
    const detail = result.status === 'skipped' ? result.message : `${result.status === 'error' ? 'ERROR' : result.message} in ${result.executionTime.toFixed(2)}s`;
    if (isStructured(this.output)) {
      const level = result.status === 'error' || result.status === 'fail' ? 'error' : result.status === 'warn' ? 'warn' : 'info';
      this.output.event('NodeFinished', level, `${result.status.toUpperCase()} ${this.describe(step).trim()} [${detail}]`, {
        node_info: { ...this.nodeInfo(step, result.status), node_started_at: result.startedAt, node_finished_at: result.completedAt },
        status: result.status,
        execution_time: result.executionTime,
        message: result.error ? result.error.toString() : result.message,
        failures: result.failures ?? null,
        rows_affected: result.rowsAffected ?? null,
        warnings: result.warnings,
        index,
        total,
      });
      return;
    }
    this.output.out(`${this.counter(index, total)} ${status} ${this.describe(step)} [${detail}]`);
    for (const warning of result.warnings) this.output.out(`    ${pc.yellow('warning:')} ${warning}`);
  }

  summary(results: readonly NodeResult[], elapsedSeconds: number): void {
    const kinds = ['seed', 'snapshot', 'model', 'test', 'unit_test'] as const;
    const statuses = ['success', 'pass', 'warn', 'fail', 'error', 'skipped'] as const;
    const counts = new Map<string, number>();
    for (const result of results) {
      const kind = this.compiled.graph.nodes.get(result.uniqueId)?.kind ?? 'model';
      const key = `${kind}:${result.status === 'pass' ? 'success' : result.status}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const header = ['', 'ok', 'warn', 'fail', 'error', 'skipped', 'total'];
    const rows = kinds
      .map((kind) => {
        const get = (s: string) => counts.get(`${kind}:${s}`) ?? 0;
        const row = [get('success'), get('warn'), get('fail'), get('error'), get('skipped')];
        return [kind + 's', ...row.map(String), String(row.reduce((a, b) => a + b, 0))];
      })
      .filter((row) => row[6] !== '0');
    void statuses;
    this.output.out('');
    this.output.out(`Finished ${results.length} node${results.length === 1 ? '' : 's'} in ${elapsedSeconds.toFixed(2)}s.`);
    const table = [header, ...rows];
    const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const row of table) this.output.out('  ' + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '));
    const failed = results.filter((r) => r.status === 'error' || r.status === 'fail' || r.status === 'warn');
    if (failed.length > 0) this.output.out('');
    for (const result of failed) {
      const node = this.compiled.graph.nodes.get(result.uniqueId);
      const color = result.status === 'warn' ? pc.yellow : pc.red;
      if (result.error) this.output.out(`${color(result.status.toUpperCase())} ${node?.kind} ${node?.name}\n  ${formatError(result.error)}`);
      else if (node?.kind === 'unit_test') this.output.out(`${color(result.status.toUpperCase())} unit test ${node.name} of ${this.compiled.graph.nodes.get(node.model)?.name ?? node.model} (${node.file}:${node.line})\n  ${result.message.replaceAll('\n', '\n  ')}`);
      else this.output.out(`${color(result.status.toUpperCase())} ${node?.kind} ${node?.name}: ${result.failures ?? 0} failing row${result.failures === 1 ? '' : 's'} (${node?.file}:${node?.line})`);
    }
    const bad = results.filter((r) => r.status === 'error' || r.status === 'fail').length;
    this.output.out('');
    this.output.out(bad === 0 ? pc.green('Completed successfully.') : pc.red(`Completed with ${bad} failure${bad === 1 ? '' : 's'}.`));
  }

  private nodeInfo(step: NodeStep, status: string): Record<string, unknown> {
    const node = this.compiled.graph.nodes.get(step.nodeId);
    return {
      unique_id: step.nodeId,
      node_name: node?.name ?? step.nodeId,
      resource_type: node?.kind ?? null,
      materialized: step.kind,
      node_path: node?.file ?? null,
      node_status: status,
      node_relation: 'relation' in step ? { schema: step.relation.schema, alias: step.relation.identifier } : null,
    };
  }

  private counter(index: number, total: number): string {
    return pc.dim(`${String(index).padStart(String(total).length)} of ${total}`);
  }

  private describe(step: NodeStep): string {
    const node = this.compiled.graph.nodes.get(step.nodeId);
    const name = !('relation' in step) ? (node?.name ?? step.nodeId) : `${step.relation.schema}.${step.relation.identifier}`;
    const text = `${LABEL[step.kind]} ${name}`;
    return text.length > this.width - 30 ? text : text.padEnd(this.width - 30, ' ');
  }
}

const STATUS: Record<NodeResult['status'], (s: string) => string> = {
  success: pc.green,
  pass: pc.green,
  warn: pc.yellow,
  fail: pc.red,
  error: pc.red,
  skipped: pc.yellow,
};
