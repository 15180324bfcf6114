import { join, relative } from 'node:path';
import type { CompiledProject } from '../compile.js';
import { CompileFailedError, ReelError } from '../errors/index.js';
import type { NodeResult } from '../execute/execute-plan.js';

/**
 * GitHub Actions workflow commands (`::error file=…,line=…::message`), which the checks page shows
 * on the changed file's line. On when GITHUB_ACTIONS=true, or with REEL_ANNOTATIONS=github.
 */
export function annotationsEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.REEL_ANNOTATIONS === 'github' || (env.GITHUB_ACTIONS === 'true' && env.REEL_ANNOTATIONS !== 'none');
}

interface Annotation {
  readonly level: 'error' | 'warning';
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly title: string;
  readonly message: string;
}

/** One annotation per failed, errored or warning node, at the file and line that declares it. */
export function resultAnnotations(compiled: CompiledProject, results: readonly NodeResult[], env: Readonly<Record<string, string | undefined>>): string[] {
  const out: string[] = [];
  for (const result of results) {
    if (result.status !== 'fail' && result.status !== 'error' && result.status !== 'warn') continue;
    const node = compiled.graph.nodes.get(result.uniqueId);
    const place = result.error?.file ? result.error : node;
    out.push(
      workflowCommand(
        {
          level: result.status === 'warn' ? 'warning' : 'error',
          file: place?.file ? repoPath(compiled.project.root, place.file, env) : undefined,
          line: place?.line,
          column: result.error?.column,
          title: `${node?.kind ?? 'node'} ${node?.name ?? result.uniqueId} ${result.status === 'fail' ? 'failed' : result.status === 'warn' ? 'warns' : 'errored'}`,
          message: result.error
            ? `${result.error.message}${result.error.hint ? `\nfix: ${result.error.hint}` : ''}`
            : result.failures !== undefined
              ? `${result.failures} failing row${result.failures === 1 ? '' : 's'}; see them with \`model compile -s ${node?.name ?? result.uniqueId}\` and run the query`
              : result.message,
        },
      ),
    );
  }
  return out;
}

/** Annotations for errors that stopped a command (every compile error, at its place). */
export function errorAnnotations(error: unknown, projectRoot: string | undefined, env: Readonly<Record<string, string | undefined>>): string[] {
  const errors = error instanceof CompileFailedError ? error.errors : error instanceof ReelError ? [error] : [];
  return errors.map((e) =>
    workflowCommand({
      level: 'error',
      file: e.file ? (projectRoot ? repoPath(projectRoot, e.file, env) : e.file) : undefined,
      line: e.line,
      column: e.column,
      title: e.code,
      message: e.hint ? `${e.message}\nfix: ${e.hint}` : e.message,
    }),
  );
}

/** The file relative to the repository root (GITHUB_WORKSPACE), as GitHub matches annotations. */
function repoPath(projectRoot: string, file: string, env: Readonly<Record<string, string | undefined>>): string {
  return relative(env.GITHUB_WORKSPACE ?? process.cwd(), join(projectRoot, file));
}

function workflowCommand(a: Annotation): string {
  const properties = [
    a.file ? `file=${escapeProperty(a.file)}` : '',
    a.line ? `line=${a.line}` : '',
    a.column ? `col=${a.column}` : '',
    `title=${escapeProperty(a.title)}`,
  ].filter(Boolean);
  return `::${a.level} ${properties.join(',')}::${escapeData(a.message)}`;
}

// As @actions/core escapes them.
const escapeData = (s: string) => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const escapeProperty = (s: string) => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');

/** Lint findings as warnings on their lines. */
export function lintAnnotations(projectRoot: string, findings: readonly { rule: string; file: string; line: number; column?: number; message: string; hint: string }[], env: Readonly<Record<string, string | undefined>>): string[] {
  return findings.map((f) => workflowCommand({ level: 'warning', file: repoPath(projectRoot, f.file, env), line: f.line, column: f.column, title: `lint ${f.rule}`, message: `${f.message}\nfix: ${f.hint}` }));
}
