import type { Output } from '../cli/output.js';
import { selectNodes } from '../graph/select.js';
import { breakingChangeReport } from '../state/breaking-changes.js';
import { selectionContext } from '../state/selection-state.js';
import { commandContext, compileWith, type CommonOptions } from './context.js';

export interface LsCommandOptions extends CommonOptions {
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  /** --state: a folder with a previous manifest.json, for state: and result: selectors. */
  readonly state?: string;
  readonly resourceType?: string;
  readonly output?: 'name' | 'path' | 'json' | 'selector';
}

/** `model ls`: the selected nodes, one per line. */
export async function lsCommand(options: LsCommandOptions, output: Output): Promise<number> {
  const context = commandContext(options);
  const compiled = await compileWith(context);
  const selection = selectionContext(compiled, options.state);
  const selected = selectNodes(compiled.graph, options.select ?? [], options.exclude ?? [], selection);
  if (selection.state) for (const line of breakingChangeReport(compiled, selection.state.comparison())) output.err(`warning: ${line}`);
  for (const id of [...selected].sort()) {
    const node = compiled.graph.nodes.get(id)!;
    if (options.resourceType && node.kind !== options.resourceType) continue;
    switch (options.output ?? 'selector') {
      case 'name':
        output.out(node.name);
        break;
      case 'path':
        output.out(node.file);
        break;
      case 'json':
        output.out(JSON.stringify({ unique_id: id, name: node.name, resource_type: node.kind, path: node.file, depends_on: node.dependsOn, tags: node.tags }));
        break;
      default:
        output.out(id);
    }
  }
  return 0;
}
