import { join } from 'node:path';
import { CompileCache } from './cache/compile-cache.js';
import { DependencyGraph } from './graph/dependency-graph.js';
import type { GraphNode } from './graph/nodes.js';
import { CompileFailedError, sortErrors, type ReelError } from './errors/index.js';
import { loadProject, type LoadedProject, type LoadOptions } from './load/load-project.js';
import type { Macro } from './render/macro-index.js';
import { renderProject, type NamingTarget } from './render/render-project.js';
import { validateSql } from './validate/validate-sql.js';

export interface CompileOptions extends LoadOptions {
  readonly target: NamingTarget;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Reuse parse results from target/.reel-cache (default true); false parses everything again. */
  readonly partialParse?: boolean;
}

/** A project that compiled without errors: every node with its final SQL, and the graph. */
export interface CompiledProject {
  readonly project: LoadedProject;
  readonly graph: DependencyGraph;
  readonly target: NamingTarget;
  /** The project's macros by name; absent in projects built by hand in tests. */
  readonly macros?: ReadonlyMap<string, Macro>;
  /** on-run-start / on-run-end SQL, rendered. */
  readonly runHooks?: { readonly start: readonly string[]; readonly end: readonly string[] };
}

export type CompileResult = { readonly ok: true; readonly compiled: CompiledProject } | { readonly ok: false; readonly errors: readonly ReelError[] };

/**
 * load → render → graph → validate. Never touches a database. Every error of every stage that
 * could run is returned together, sorted by file and line.
 */
export async function compileProject(root: string, options: CompileOptions): Promise<CompileResult> {
  const loaded = loadProject(root, options);
  if (!loaded.project) return { ok: false, errors: sortErrors(loaded.errors) };
  const errors: ReelError[] = [...loaded.errors];
  const cache = options.partialParse === false ? CompileCache.disabled() : CompileCache.open(join(loaded.project.root, loaded.project.settings.targetPath, '.reel-cache'));
  try {
    return await compileLoaded(loaded.project, options, cache, errors);
  } finally {
    cache.save();
  }
}

async function compileLoaded(project: LoadedProject, options: CompileOptions, cache: CompileCache, errors: ReelError[]): Promise<CompileResult> {
  const rendered = await renderProject(project, { target: options.target, env: options.env, cache });
  errors.push(...rendered.errors);
  const built = DependencyGraph.build(rendered.nodes);
  errors.push(...built.errors);
  if (built.errors.length > 0) return { ok: false, errors: sortErrors(errors) };
  const validated = await validateSql(built.graph, cache);
  errors.push(...validated.errors);
  if (errors.length > 0) return { ok: false, errors: sortErrors(errors) };
  return { ok: true, compiled: { project, graph: built.graph.withNodes(validated.nodes), target: options.target, macros: rendered.macros, runHooks: rendered.runHooks } };
}

/** Like compileProject, but throws CompileFailedError (all errors inside) when anything is wrong. */
export async function compileOrThrow(root: string, options: CompileOptions): Promise<CompiledProject> {
  const result = await compileProject(root, options);
  if (!result.ok) throw new CompileFailedError(result.errors);
  return result.compiled;
}
