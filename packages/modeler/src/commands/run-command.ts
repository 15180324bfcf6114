import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { annotationsEnabled, resultAnnotations } from '../ci/annotations.js';
import { junitReport } from '../ci/junit-report.js';
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
import { ExecutionError, ReelError, UsageError } from '../errors/index.js';
import { abandonAtomicDeploy, planAtomicDeploy, prepareAtomicDeploy, switchAtomicDeploy, type AtomicDeploy } from '../execute/atomic-deploy.js';
import { printErrors } from '../cli/output.js';
import { PROJECT_FILE } from '../load/project-file.js';
import { quoteRelation, relationKey, type Relation } from '../sql/quote.js';
import { breakingChangeReport } from '../state/breaking-changes.js';
import { selectionContext } from '../state/selection-state.js';
import type pg from 'pg';

export interface RunCommandOptions extends CommonOptions {
  readonly command: Command;
  readonly select?: readonly string[];
  readonly exclude?: readonly string[];
  readonly threads?: number;
  readonly fullRefresh?: boolean;
  readonly format?: boolean;
  /** --state: a folder with a previous manifest.json (state:, result:, --defer). */
  readonly state?: string;
  /** Read unselected parents the target lacks from where the --state run built them. */
  readonly defer?: boolean;
  /** With defer: read every unselected parent from the --state run, even if built here. */
  readonly favorState?: boolean;
  /** Build into fresh schemas and switch them in with the live ones in one transaction. */
  readonly atomic?: boolean;
  /** Instead of select/exclude: exactly these nodes (`model retry`). */
  readonly only?: ReadonlySet<string>;
}

/** `model run | test | seed | build`: compile, plan, execute; exit 0 when all passed, 1 otherwise. */
export async function runCommand(options: RunCommandOptions, output: Output): Promise<number> {
  const started = performance.now();
  const invocation = newInvocation();
  const context = commandContext(options);
  let compiled = await compileWith(context);
  if ((options.defer || options.favorState) && !options.state) {
    throw new UsageError('defer-needs-state', '--defer reads unbuilt parents from a previous run, but no --state was given', { hint: 'add --state <dir> holding that run\'s manifest.json' });
  }
  // Read before target/ is written: --state may be target/ itself.
  const selectionState = selectionContext(compiled, options.state);
  const excluded = options.exclude?.length && !options.only ? selectNodes(compiled.graph, options.exclude, [], selectionState) : undefined;
  const selected = options.only ? new Set([...options.only].filter((id) => compiled.graph.nodes.has(id))) : selectNodes(compiled.graph, options.select ?? [], options.exclude ?? [], selectionState);
  const threads = options.threads ?? context.target.threads ?? 4;
  if (selectionState.state) for (const line of breakingChangeReport(compiled, selectionState.state.comparison())) output.err(`warning: ${line}`);
  output.out(`Reel · project ${compiled.project.settings.name} · target ${context.target.name} (${context.target.display}) · ${countNodes(compiled.graph.nodes.values())}`);
  let plan = buildPlan(compiled, { command: options.command, selected, excluded, fullRefresh: options.fullRefresh });
  if (plan.steps.length === 0) {
    await writeCompiled(compiled, invocation, databaseName(context.target.url), { format: options.format ?? true, reuse: context.partialParse });
    output.out('Nothing to do: the selection matched no nodes this command runs.');
    return 0;
  }
  const database = await openDatabase(context.target, { projectRoot: context.root, threads });
  if (options.defer && selectionState.previous) {
    try {
      const { deferUnselected } = await import('../state/defer.js');
      const result = await deferUnselected(compiled, selected, selectionState.previous, {
        favorState: options.favorState ?? false,
        database: databaseName(context.target.url),
        existing: async (relations) => existingRelations(database.pool, relations),
      });
      compiled = result.compiled;
      plan = buildPlan(compiled, { command: options.command, selected, excluded, fullRefresh: options.fullRefresh });
      for (const d of result.deferred) output.out(`Deferring ${compiled.graph.nodes.get(d.uniqueId)?.name ?? d.uniqueId} to ${quoteRelation(d.to)} (from --state ${options.state})`);
    } catch (error) {
      await database.close();
      throw error;
    }
  }
  const liveCompiled = compiled;
  let deploy: AtomicDeploy | undefined;
  if (options.atomic) {
    const built = new Set(plan.steps.filter((s) => s.kind !== 'test' && s.kind !== 'unit-test').map((s) => s.nodeId));
    deploy = planAtomicDeploy(compiled, selected, built, options.fullRefresh ?? false);
    compiled = deploy.compiled;
    plan = buildPlan(compiled, { command: options.command, selected, excluded, fullRefresh: options.fullRefresh });
    try {
      await prepareAtomicDeploy(database.pool, deploy);
    } catch (error) {
      await database.close();
      throw error;
    }
    output.out(`Atomic: building into ${deploy.schemas.map((s) => s.next).join(', ')}; ${deploy.schemas.map((s) => s.live).join(', ')} switch${deploy.schemas.length === 1 ? 'es' : ''} over only if every node succeeds`);
  }
  // Formatting and writing target/compiled happens in worker threads while the plan runs.
  const writing = writeCompiled(liveCompiled, invocation, databaseName(context.target.url), { format: options.format ?? true, reuse: context.partialParse });
  writing.catch(() => undefined);
  const reporter = new Reporter(output, compiled);
  output.out(`Running ${plan.steps.length} node${plan.steps.length === 1 ? '' : 's'} on ${threads} thread${threads === 1 ? '' : 's'} (PostgreSQL ${database.serverVersion})`);
  output.out('');
  let results;
  let lineageWarnings: string[] = [];
  let endFailure: ReelError | undefined;
  let atomicMessage: string | undefined;
  try {
    await runProjectHooks(database.pool, 'on-run-start', compiled.runHooks?.start ?? []);
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
    if (deploy) {
      if (results.some((r) => r.status === 'error' || r.status === 'fail')) {
        await abandonAtomicDeploy(database.pool, deploy);
        atomicMessage = `Nothing was switched: ${deploy.schemas.map((s) => s.live).join(', ')} are as they were.`;
      } else {
        try {
          const summary = await switchAtomicDeploy(database.pool, deploy);
          atomicMessage = `Switched ${summary.schemas.join(', ')} in one transaction: ${summary.replaced} relation${summary.replaced === 1 ? '' : 's'} replaced, ${summary.kept} kept, ${summary.recreated} dependent view${summary.recreated === 1 ? '' : 's'} recreated.`;
        } catch (error) {
          await abandonAtomicDeploy(database.pool, deploy).catch(() => undefined);
          endFailure = error instanceof ReelError ? error : new ExecutionError('atomic-switch', `the switch failed and was rolled back: ${(error as Error).message}`, { cause: error });
        }
      }
    }
    // on-run-end runs after failures too (dbt does): it often records how the run went.
    await runProjectHooks(database.pool, 'on-run-end', compiled.runHooks?.end ?? []).catch((error: ReelError) => {
      endFailure = error;
    });
  } finally {
    await database.close();
  }
  await writing;
  const elapsed = (performance.now() - started) / 1000;
  writeJsonAtomic(
    join(targetDir(compiled), 'run_results.json'),
    buildRunResults(compiled, results, invocation, elapsed, {
      which: options.command,
      select: options.select ?? [],
      exclude: options.exclude ?? [],
      threads,
      full_refresh: options.fullRefresh ?? false,
      target: context.target.name,
      vars: options.vars ?? null,
      state: options.state ?? null,
      defer: options.defer ?? false,
      favor_state: options.favorState ?? false,
      ...(options.only ? { retry: true } : {}),
    }),
  );
  writeFileSync(join(targetDir(compiled), 'junit.xml'), junitReport(compiled, results, elapsed));
  reporter.summary(results, elapsed);
  if (annotationsEnabled(context.env)) for (const line of resultAnnotations(compiled, results, context.env)) output.out(line);
  for (const warning of lineageWarnings) output.err(`warning: ${warning}`);
  if (atomicMessage) output.out(atomicMessage);
  if (endFailure) {
    printErrors(output, endFailure);
    return 1;
  }
  return results.some((r) => r.status === 'error' || r.status === 'fail') ? 1 : 0;
}

/** Which of `relations` exist (tables, views, materialized views), by relationKey. */
async function existingRelations(pool: pg.Pool, relations: readonly Relation[]): Promise<Set<string>> {
  if (relations.length === 0) return new Set();
  const found = await pool.query<{ schema: string; name: string }>(
    `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     join unnest($1::text[], $2::text[]) as wanted(schema, name) on wanted.schema = n.nspname and wanted.name = c.relname
     where c.relkind in ('r', 'v', 'm', 'p', 'f')`,
    [relations.map((r) => r.schema), relations.map((r) => r.identifier)],
  );
  return new Set(found.rows.map((r) => relationKey({ schema: r.schema, identifier: r.name })));
}

/** on-run-start / on-run-end, one statement at a time; the first failure stops them. */
async function runProjectHooks(pool: pg.Pool, which: 'on-run-start' | 'on-run-end', hooks: readonly string[]): Promise<void> {
  for (const [i, sql] of hooks.entries()) {
    try {
      await pool.query(sql);
    } catch (error) {
      throw new ExecutionError('run-hook-failed', `${which} hook ${i + 1} of ${hooks.length} failed: ${(error as Error).message}`, {
        file: PROJECT_FILE,
        hint: `fix the SQL under ${which}: in ${PROJECT_FILE}${which === 'on-run-start' ? '; nothing was built' : ''}`,
        cause: error,
      });
    }
  }
}
