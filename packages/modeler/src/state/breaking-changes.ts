import type { CompiledProject } from '../compile.js';
import type { StateComparison } from './compare-state.js';

/**
 * One line per contracted model whose change breaks what reads it (a removed column, a changed
 * type, a dropped contract), naming the models and exposures downstream. Models nobody reads are
 * not reported: changing them breaks no one.
 */
export function breakingChangeReport(compiled: CompiledProject, comparison: StateComparison): string[] {
  const lines: string[] = [];
  for (const [id, reasons] of comparison.breaking) {
    const node = compiled.graph.nodes.get(id);
    if (!node || node.kind !== 'model') continue;
    const consumers = [...compiled.graph.descendants(id, Infinity)]
      .map((d) => compiled.graph.nodes.get(d)!)
      .filter((d) => d.kind === 'model' || d.kind === 'exposure' || d.kind === 'snapshot')
      .map((d) => `${d.kind} ${d.name}`)
      .sort();
    if (consumers.length === 0) continue;
    const place = node.propertiesFile ?? node.file;
    lines.push(`${place}  breaking change to the contract of model ${node.name}: ${reasons.join('; ')} — read by ${consumers.join(', ')}\n    fix: keep the column (deprecate it first), or update every consumer in the same change`);
  }
  return lines;
}
