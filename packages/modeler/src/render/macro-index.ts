import type Handlebars from 'handlebars';
import type { ProjectFile } from '../load/project-files.js';
import { parseTemplate, type ParsedTemplate } from './template.js';

/**
 * A project macro: a partial (`macros/*.sql|hbs`, used as `{{> name}}`) or a helper exported by a
 * module (`macros/*.js`). `uses` names the other project macros it calls, so a change to a macro
 * marks every model that reaches it, directly or not, as modified (`state:modified.macros`).
 */
export interface Macro {
  readonly name: string;
  readonly kind: 'partial' | 'helper';
  /** Project-relative file; a module's helpers share it. */
  readonly file: string;
  /** The source compared between runs: a partial's text, or its whole module's. */
  readonly text: string;
  readonly uses: readonly string[];
}

/** Every project macro by name. Partials are parsed to find the macros they call themselves. */
export function buildMacroIndex(hb: typeof Handlebars, partials: readonly ProjectFile[], helpers: ReadonlyMap<string, ProjectFile>): Map<string, Macro> {
  const index = new Map<string, Macro>();
  for (const [name, file] of helpers) index.set(name, { name, kind: 'helper', file: file.path, text: file.text, uses: [] });
  const parsed: [ProjectFile, ParsedTemplate | undefined][] = partials.map((file) => {
    try {
      return [file, parseTemplate(hb, file.path, file.text)];
    } catch {
      return [file, undefined]; // reported when the partial is rendered
    }
  });
  const names = new Set([...index.keys(), ...partials.map((p) => p.name)]);
  for (const [file, template] of parsed) {
    if (index.has(file.name)) continue;
    index.set(file.name, { name: file.name, kind: 'partial', file: file.path, text: file.text, uses: template ? macrosCalledBy(template, names) : [] });
  }
  return index;
}

/** The project macros a template calls directly, sorted. */
export function macrosCalledBy(template: ParsedTemplate, macroNames: ReadonlySet<string> | ReadonlyMap<string, unknown>): string[] {
  const used = new Set<string>();
  for (const name of template.partialCalls.keys()) if (macroNames.has(name)) used.add(name);
  for (const name of template.helperNames) if (macroNames.has(name)) used.add(name);
  return [...used].sort();
}

/** `names` and every macro they reach through other macros. */
export function macroClosure(names: readonly string[], index: ReadonlyMap<string, Macro>): Set<string> {
  const out = new Set<string>();
  const stack = [...names];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (out.has(name)) continue;
    out.add(name);
    for (const next of index.get(name)?.uses ?? []) stack.push(next);
  }
  return out;
}
