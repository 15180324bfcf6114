import { resolve } from 'node:path';
import type { CompiledProject } from '../compile.js';
import type { SelectionContext } from '../graph/select.js';
import { compareWithState, type StateComparison } from './compare-state.js';
import { readPreviousState, type PreviousState } from './previous-state.js';

/** The selection context for `--state DIR` (none without it); the comparison runs on first use. */
export function selectionContext(compiled: CompiledProject, stateDir: string | undefined, cwd = process.cwd()): SelectionContext & { readonly previous?: PreviousState } {
  if (!stateDir) return {};
  const previous = readPreviousState(resolve(cwd, stateDir), cwd);
  let comparison: StateComparison | undefined;
  return {
    previous,
    state: { dir: stateDir, results: previous.results, comparison: () => (comparison ??= compareWithState(compiled, previous)) },
  };
}
