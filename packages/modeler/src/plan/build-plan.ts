import type { CompiledProject } from '../compile.js';
import type { GraphNode } from '../graph/nodes.js';
import { relationKey } from '../sql/quote.js';
import type { NodeStep, Plan } from './steps.js';

export type Command = 'run' | 'test' | 'seed' | 'snapshot' | 'build';

export interface PlanOptions {
  readonly command: Command;
  /** Unique ids chosen by --select/--exclude (before the command's resource filter). */
  readonly selected: ReadonlySet<string>;
  /** Nodes --exclude matched: tests among them are not brought back by indirect selection. */
  readonly excluded?: ReadonlySet<string>;
  readonly fullRefresh?: boolean;
}

const RUNS: Record<Command, readonly GraphNode['kind'][]> = {
  run: ['model'],
  test: ['test', 'unit_test'],
  seed: ['seed'],
  snapshot: ['snapshot'],
  build: ['seed', 'snapshot', 'model', 'test', 'unit_test'],
};

/**
 * Turns a compiled project and a selection into steps. Pure: the same input gives the same plan,
 * and no database is needed to check it.
 */
export function buildPlan(compiled: CompiledProject, options: PlanOptions): Plan {
  const { graph } = compiled;
  const kinds = RUNS[options.command];
  const runs = (node: GraphNode) => kinds.includes(node.kind) && !(node.kind === 'model' && node.config.materialized === 'ephemeral');
  const chosen = new Set([...options.selected].filter((id) => runs(graph.nodes.get(id)!)));
  // dbt's eager indirect selection: a test runs when any node it tests was selected.
  if (kinds.includes('test')) {
    for (const node of graph.nodes.values()) {
      if (node.kind === 'test' && node.config.enabled && !options.excluded?.has(node.uniqueId) && node.dependsOn.some((id) => options.selected.has(id))) chosen.add(node.uniqueId);
    }
  }
  // Unit tests: those of selected models (and those selected by name); disabled ones never.
  const unitTestsOf = new Map<string, string[]>();
  for (const node of graph.nodes.values()) {
    if (node.kind !== 'unit_test') continue;
    if (!node.enabled || !kinds.includes('unit_test')) chosen.delete(node.uniqueId);
    else if (options.selected.has(node.model) && !options.excluded?.has(node.uniqueId)) chosen.add(node.uniqueId);
    if (chosen.has(node.uniqueId)) unitTestsOf.set(node.model, [...(unitTestsOf.get(node.model) ?? []), node.uniqueId]);
  }

  // In build, a model's error-severity tests must pass before its children start.
  const testsOf = new Map<string, string[]>();
  if (options.command === 'build') {
    for (const id of chosen) {
      const node = graph.nodes.get(id)!;
      if (node.kind !== 'test' || !node.attachedTo) continue;
      testsOf.set(node.attachedTo, [...(testsOf.get(node.attachedTo) ?? []), id]);
    }
  }

  // Unit tests come right before their model (they need nothing built; their model waits for them).
  const order = graph.topologicalOrder().filter((id) => graph.nodes.get(id)!.kind !== 'unit_test');
  for (const [model, unitTests] of unitTestsOf) order.splice(order.indexOf(model), 0, ...unitTests);
  const waits = new Map<string, Set<string>>();
  const nearestChosen = (id: string): Set<string> => {
    const found = new Set<string>();
    const stack = [...(graph.parents.get(id) ?? [])];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const parent = stack.pop()!;
      if (seen.has(parent)) continue;
      seen.add(parent);
      if (chosen.has(parent)) found.add(parent);
      else stack.push(...(graph.parents.get(parent) ?? []));
    }
    return found;
  };
  for (const id of order) {
    if (!chosen.has(id)) continue;
    const node = graph.nodes.get(id)!;
    // A unit test reads nothing built: it runs first, and its model waits for it (as in dbt build).
    const wait = node.kind === 'unit_test' ? new Set<string>() : nearestChosen(id);
    for (const unitTest of unitTestsOf.get(id) ?? []) wait.add(unitTest);
    if (node.kind !== 'test') {
      for (const parent of [...wait]) {
        for (const test of testsOf.get(parent) ?? []) {
          if (!graph.nodes.get(test)!.dependsOn.includes(id)) wait.add(test);
        }
      }
    }
    waits.set(id, wait);
  }

  const steps: NodeStep[] = [];
  const schemas = new Set<string>();
  for (const id of order) {
    if (!chosen.has(id)) continue;
    const node = graph.nodes.get(id)!;
    const waitsOn = [...waits.get(id)!].sort();
    switch (node.kind) {
      case 'seed':
        schemas.add(node.relation.schema);
        steps.push({ kind: 'seed', nodeId: id, waitsOn, relation: node.relation, csvPath: node.absolutePath, file: node.file, columnTypes: node.columnTypes, delimiter: node.delimiter });
        break;
      case 'model': {
        schemas.add(node.relation.schema);
        const indexes = node.config.indexes.length > 0 ? { indexes: node.config.indexes } : {};
        const contract = node.config.contract.enforced
          ? { contract: { file: node.propertiesFile ?? node.file, columns: node.columns.map((c) => ({ name: c.name, dataType: c.dataType ?? '', constraints: c.constraints ?? [] })) } }
          : {};
        const base = { nodeId: id, waitsOn, relation: node.relation, sql: node.compiledSql, ...contract };
        switch (node.config.materialized) {
          case 'view':
            steps.push({ kind: 'view', ...base });
            break;
          case 'table':
            steps.push({ kind: 'table', ...base, ...indexes });
            break;
          case 'materialized_view':
            steps.push({ kind: 'materialized-view', ...base, ...indexes });
            break;
          case 'incremental':
            steps.push({
              kind: 'incremental',
              nodeId: id,
              waitsOn,
              relation: node.relation,
              fullSql: node.compiledSql,
              incrementalSql: node.incrementalSql ?? node.compiledSql,
              uniqueKey: node.config.uniqueKey,
              strategy: node.config.incrementalStrategy,
              onSchemaChange: node.config.onSchemaChange,
              ...contract,
              fullRefresh: (options.fullRefresh ?? false) && node.config.fullRefresh !== false,
              ...indexes,
            });
            break;
          case 'ephemeral':
            break;
        }
        break;
      }
      case 'snapshot':
        schemas.add(node.relation.schema);
        steps.push({ kind: 'snapshot', nodeId: id, waitsOn, relation: node.relation, sql: node.compiledSql, config: node.config });
        break;
      case 'unit_test':
        steps.push({ kind: 'unit-test', nodeId: id, waitsOn, sql: node.sql, given: node.given, expectRows: node.expectRows, ...(node.expectSql !== undefined ? { expectSql: node.expectSql } : {}) });
        break;
      case 'test':
        steps.push({ kind: 'test', nodeId: id, waitsOn, sql: node.sql, severity: node.config.severity, warnIf: node.config.warnIf, errorIf: node.config.errorIf, limit: node.config.limit });
        break;
      default:
        break;
    }
  }
  return { schemas: [...schemas].sort().map((schema) => ({ kind: 'create-schema', schema })), steps };
}

/** Relations the plan writes, to detect two models writing the same relation. */
export function writtenRelations(plan: Plan): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const step of plan.steps) {
    if (step.kind === 'test' || step.kind === 'unit-test') continue;
    const key = relationKey(step.relation);
    out.set(key, [...(out.get(key) ?? []), step.nodeId]);
  }
  return out;
}
