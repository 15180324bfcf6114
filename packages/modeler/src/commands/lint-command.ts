import { join } from 'node:path';
import pc from 'picocolors';
import { annotationsEnabled, lintAnnotations } from '../ci/annotations.js';
import type { Output } from '../cli/output.js';
import { selectNodes } from '../graph/select.js';
import { addColumnTests, columnLine } from '../hygiene/add-key-tests.js';
import { lintKeyTests, lintModelSql, type LintFinding } from '../hygiene/lint-rules.js';
import { selectionContext } from '../state/selection-state.js';
import { loadParser } from '../validate/validate-sql.js';
import { commandContext, compileWith, type CommonOptions } from './context.js';

export interface LintCommandOptions extends CommonOptions {
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly state?: string;
  readonly fix?: boolean;
}

/** `model lint`: select *, unqualified columns in joins, untested keys; exit 1 while any remain. */
export async function lintCommand(options: LintCommandOptions, output: Output): Promise<number> {
  const context = commandContext(options);
  const compiled = await compileWith(context);
  await loadParser(); // a warm compile may not have needed it
  const selected = selectNodes(compiled.graph, options.select ?? [], options.exclude ?? [], selectionContext(compiled, options.state));
  const findings: LintFinding[] = [];
  for (const id of [...selected].sort()) {
    const node = compiled.graph.nodes.get(id)!;
    if (node.kind === 'model') findings.push(...lintModelSql(node));
  }
  for (const finding of lintKeyTests(compiled)) {
    if (!selected.has(`model.${compiled.project.settings.name}.${finding.node}`)) continue;
    findings.push(finding.addTests ? { ...finding, line: columnLine(join(context.root, finding.file), finding.addTests.model, finding.addTests.column) } : finding);
  }
  const remaining: LintFinding[] = [];
  let fixed = 0;
  for (const finding of findings) {
    if (options.fix && finding.addTests && addColumnTests(join(context.root, finding.file), finding.addTests.model, finding.addTests.column, finding.addTests.tests)) {
      fixed++;
      output.out(`${finding.file}  fixed ${finding.rule}: added ${finding.addTests.tests.join(', ')} to ${finding.addTests.model}.${finding.addTests.column}`);
      continue;
    }
    remaining.push(finding);
  }
  remaining.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  for (const f of remaining) {
    output.out(`${pc.bold(`${f.file}:${f.line}${f.column ? `:${f.column}` : ''}`)}  ${pc.yellow(f.rule)}  ${f.message}\n    ${pc.dim('fix:')} ${f.hint}`);
  }
  if (annotationsEnabled(context.env)) for (const line of lintAnnotations(compiled.project.root, remaining, context.env)) output.out(line);
  const fixable = remaining.filter((f) => f.addTests).length;
  output.out(`${remaining.length === 0 ? pc.green('No problems') : `${remaining.length} problem${remaining.length === 1 ? '' : 's'}`} in ${[...selected].filter((id) => id.startsWith('model.')).length} models${fixed ? `; fixed ${fixed}` : ''}${fixable && !options.fix ? `; ${fixable} fixable with --fix` : ''}.`);
  return remaining.length > 0 ? 1 : 0;
}
