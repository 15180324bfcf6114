import { join } from 'node:path';
import { newInvocation } from '../artifacts/metadata.js';
import { buildRunResults } from '../artifacts/run-results.js';
import { writeJsonAtomic } from '../artifacts/write-json.js';
import { Reporter } from '../cli/reporter.js';
import type { Output } from '../cli/output.js';
import { openDatabase } from '../execute/connection/open-database.js';
import { executePlan } from '../execute/execute-plan.js';
import { selectNodes } from '../graph/select.js';
import { buildPlan, type Command } from '../plan/build-plan.js';
import { countNodes, databaseName } from './compile-command.js';
import { commandContext, compileWith, type CommonOptions } from './context.js';
import { targetDir, writeCompiled } from './write-compiled.js';

export interface RunCommandOptions extends CommonOptions {
  readonly command: Command;
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly threads?: number;
  readonly fullRefresh?: boolean;
  readonly format?: boolean;
}

/** `model run | test | seed | build`: compile, plan, execute; exit 0 when all passed, 1 otherwise. */
export async function runCommand(options: RunCommandOptions, output: Output): Promise<number> {
  const started = performance.now();
  const invocation = newInvocation();
  const context = commandContext(options);
  const compiled = await compileWith(context);
  // Formatting and writing target/compiled happens in worker threads while the plan runs.
  const writing = writeCompiled(compiled, invocation, databaseName(context.target.url), { format: options.format ?? true });
  writing.catch(() => undefined);
  const selected = selectNodes(compiled.graph, options.select ?? [], options.exclude ?? []);
  const plan = buildPlan(compiled, { command: options.command, selected, fullRefresh: options.fullRefresh });
  const threads = options.threads ?? context.target.threads ?? 4;
  output.out(`Reel · project ${compiled.project.settings.name} · target ${context.target.name} (${context.target.display}) · ${countNodes(compiled.graph.nodes.values())}`);
  if (plan.steps.length === 0) {
    await writing;
    output.out('Nothing to do: the selection matched no nodes this command runs.');
    return 0;
  }
  const database = await openDatabase(context.target, { projectRoot: context.root, threads });
  const reporter = new Reporter(output, compiled);
  output.out(`Running ${plan.steps.length} node${plan.steps.length === 1 ? '' : 's'} on ${threads} thread${threads === 1 ? '' : 's'} (PostgreSQL ${database.serverVersion})`);
  output.out('');
  let results;
  let lineageWarnings: string[] = [];
  try {
    const { openLineageForRun } = await import('../lineage/openlineage-run.js');
    const emitter = await openLineageForRun(compiled, context.target, database, context.env, targetDir(compiled));
    results = await executePlan(plan, compiled, database.pool, {
      threads,
      events: {
        onStart: (s, i, t) => {
          emitter?.start(s);
          reporter.start(s, i, t);
        },
        onFinish: (s, r, i, t) => {
          emitter?.finish(s, r);
          reporter.finish(s, r, i, t);
        },
      },
    });
    if (emitter) lineageWarnings = (await emitter.flush()).warnings;
  } finally {
    await database.close();
  }
  await writing;
  const elapsed = (performance.now() - started) / 1000;
  writeJsonAtomic(
    join(targetDir(compiled), 'run_results.json'),
    buildRunResults(compiled, results, invocation, elapsed, { which: options.command, select: options.select ?? [], exclude: options.exclude ?? [], threads, full_refresh: options.fullRefresh ?? false, target: context.target.name }),
  );
  reporter.summary(results, elapsed);
  for (const warning of lineageWarnings) output.err(`warning: ${warning}`);
  return results.some((r) => r.status === 'error' || r.status === 'fail') ? 1 : 0;
}
