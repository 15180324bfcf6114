import { newInvocation } from '../artifacts/metadata.js';
import { selectNodes } from '../graph/select.js';
import { selectionContext } from '../state/selection-state.js';
import type { Output } from '../cli/output.js';
import { commandContext, compileWith, type CommonOptions } from './context.js';
import { writeCompiled } from './write-compiled.js';

export interface CompileCommandOptions extends CommonOptions {
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly state?: string;
  readonly format?: boolean;
}

/** `model compile`: no database; writes target/compiled and target/manifest.json. */
export async function compileCommand(options: CompileCommandOptions, output: Output): Promise<number> {
  const started = performance.now();
  const context = commandContext(options);
  const compiled = await compileWith(context);
  // Selected before target/ is written: --state may be target/ itself.
  const selected = options.select?.length ? selectNodes(compiled.graph, options.select, options.exclude, selectionContext(compiled, options.state)) : undefined;
  await writeCompiled(compiled, newInvocation(), databaseName(context.target.url), { format: options.format ?? true, reuse: context.partialParse });
  if (selected) {
    const { formatOne } = await import('../format/format-sql.js');
    for (const id of compiled.graph.topologicalOrder(selected)) {
      const node = compiled.graph.nodes.get(id)!;
      if (node.kind === 'model') output.out(`-- ${node.name} (${node.file})\n${formatOne(node.compiledSql)}\n`);
      else if (node.kind === 'test') output.out(`-- ${node.name} (${node.file})\n${formatOne(node.sql)}\n`);
    }
  }
  const counts = countNodes(compiled.graph.nodes.values());
  output.out(`Compiled ${counts} in ${((performance.now() - started) / 1000).toFixed(2)}s → ${compiled.project.settings.targetPath}/`);
  return 0;
}

export function countNodes(nodes: Iterable<{ kind: string }>): string {
  const counts = new Map<string, number>();
  for (const node of nodes) counts.set(node.kind, (counts.get(node.kind) ?? 0) + 1);
  const order = ['model', 'seed', 'snapshot', 'test', 'unit_test', 'source', 'exposure'];
  return order
    .filter((k) => counts.has(k))
    .map((k) => `${counts.get(k)} ${k}${counts.get(k) === 1 ? '' : 's'}`)
    .join(', ');
}

export function databaseName(url: string | undefined): string | null {
  if (!url) return 'reel';
  try {
    return decodeURIComponent(new URL(url).pathname.slice(1)) || null;
  } catch {
    return null;
  }
}
