import { macroId, type ManifestContext } from '../artifacts/manifest.js';
import type { CompiledProject } from '../compile.js';
import { macroClosure } from '../render/macro-index.js';
import { memoisedSha, nodeStateOf, type NodeState } from './node-state.js';
import type { PreviousState } from './previous-state.js';

/** Why a node counts as `state:modified` (dbt's sub-selectors `state:modified.<kind>`). */
export const MODIFICATIONS = ['body', 'configs', 'relation', 'persisted_descriptions', 'macros', 'contract', 'vars'] as const;
export type Modification = (typeof MODIFICATIONS)[number];

export interface StateComparison {
  /** Nodes the previous manifest does not have. */
  readonly added: ReadonlySet<string>;
  /** Nodes it has, with what changed; unchanged nodes are absent. */
  readonly modified: ReadonlyMap<string, ReadonlySet<Modification>>;
  /** Models whose enforced contract lost a column, changed a type or was dropped: what broke. */
  readonly breaking: ReadonlyMap<string, readonly string[]>;
}

const ASPECTS: readonly [Modification, keyof NodeState][] = [
  ['body', 'body'],
  ['configs', 'config'],
  ['relation', 'relation'],
  ['persisted_descriptions', 'persisted'],
  ['contract', 'contract'],
];

/**
 * Compares the compiled project with a previous run. Only what a user wrote counts: the raw SQL's
 * checksum, the configuration, the configured schema and alias (not the target's schema names, so
 * production's manifest compares cleanly with a CI target), persisted descriptions, and the text of
 * every macro a model reaches.
 */
export function compareWithState(compiled: CompiledProject, previous: PreviousState): StateComparison {
  const context: ManifestContext = { compiled, projectName: compiled.project.settings.name, database: null };
  const added = new Set<string>();
  const modified = new Map<string, Set<Modification>>();
  const breaking = new Map<string, string[]>();
  const sha = memoisedSha();
  const changedMacros = new Set<string>();
  for (const macro of compiled.macros?.values() ?? []) {
    if (previous.macros.get(macroId(context.projectName, macro.name)) !== sha(macro.text)) changedMacros.add(macro.name);
  }
  for (const node of compiled.graph.nodes.values()) {
    const before = previous.nodes.get(node.uniqueId);
    if (!before) {
      added.add(node.uniqueId);
      continue;
    }
    const now = nodeStateOf(node, context, sha);
    const kinds = new Set<Modification>();
    for (const [kind, aspect] of ASPECTS) if (!sameText(now[aspect] as string, before[aspect] as string)) kinds.add(kind);

    if (node.kind === 'model' && changedMacros.size > 0 && compiled.macros) {
      for (const name of macroClosure(node.macros ?? [], compiled.macros)) {
        if (changedMacros.has(name)) {
          kinds.add('macros');
          break;
        }
      }
    }
    // The same template can render differently (a var, an env value): compared when both runs know it.
    if (now.rendered && before.rendered && now.rendered !== before.rendered && !kinds.has('body') && !kinds.has('macros')) kinds.add('vars');
    if (kinds.size > 0) modified.set(node.uniqueId, kinds);
    if (kinds.has('contract') && before.contract !== '') {
      const reasons = breakingChanges(before.contract, now.contract);
      if (reasons.length > 0) breaking.set(node.uniqueId, reasons);
    }
  }
  return { added, modified, breaking };
}

/** What a new contract takes away from consumers of the old one: removed columns, changed types. */
function breakingChanges(before: string, now: string): string[] {
  if (now === '') return ['the contract is no longer enforced'];
  const old = JSON.parse(before) as [string, string | null][];
  const current = new Map(JSON.parse(now) as [string, string | null][]);
  return old.flatMap(([name, type]) => {
    if (!current.has(name)) return [`column ${name} removed`];
    const next = current.get(name) ?? null;
    return (next ?? '').toLowerCase() !== (type ?? '').toLowerCase() ? [`column ${name} changed type from ${type} to ${next}`] : [];
  });
}

/** Equal JSON texts; when the texts differ, equal values (a manifest written by dbt orders keys its own way). */
function sameText(a: string, b: string): boolean {
  if (a === b) return true;
  if (a === '' || b === '') return false;
  return sameJson(JSON.parse(a), JSON.parse(b));
}

/** Equal as JSON: key order does not matter and an undefined property is an absent one. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return (a ?? null) === (b ?? null);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    return a.length === other.length && a.every((value, i) => sameJson(value, other[i]));
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  for (const key in left) if (!sameJson(left[key], right[key])) return false;
  for (const key in right) if (!(key in left) && right[key] !== undefined) return false;
  return true;
}
