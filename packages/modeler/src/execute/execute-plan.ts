import type pg from 'pg';
import type { CompiledProject } from '../compile.js';
import { ExecutionError, ReelError, SqlError } from '../errors/index.js';
import type { GraphNode, ModelNode } from '../graph/nodes.js';
import { assertNever, type NodeStep, type Plan } from '../plan/steps.js';
import { checkContract } from './contract.js';
import { applyGrants } from './grants.js';
import { persistDocs } from './persist-docs.js';
import { quoteIdent } from '../sql/quote.js';
import { materializeIncremental, materializeTable, materializeView, type StepOutcome } from './materialize.js';
import type { LocatedDatabaseError } from './model-query.js';
import { runTest } from './run-test.js';
import { runSnapshot } from './run-snapshot.js';
import { runUnitTest } from './run-unit-test.js';
import { loadSeed } from './seed-loader.js';
import { inTransaction, type Session } from './session.js';
import { readRelationKinds, tryFastPath } from './fast-path.js';
import type { RelationKind } from './relations.js';

export type NodeStatus = 'success' | 'error' | 'skipped' | 'pass' | 'fail' | 'warn';

export interface NodeResult {
  readonly uniqueId: string;
  readonly status: NodeStatus;
  readonly message: string;
  readonly error?: ReelError;
  readonly startedAt: string;
  readonly completedAt: string;
  /** Seconds. */
  readonly executionTime: number;
  readonly rowsAffected?: number;
  readonly failures?: number;
  readonly warnings: readonly string[];
  readonly threadId: string;
}

export interface ExecuteEvents {
  onStart?(step: NodeStep, index: number, total: number): void;
  onFinish?(step: NodeStep, result: NodeResult, index: number, total: number): void;
}

export interface ExecuteOptions {
  readonly threads: number;
  readonly events?: ExecuteEvents;
}

/**
 * Runs a plan on a pool: schemas first, then every node step once all it waits on succeeded,
 * up to `threads` at a time. A failed model or error-severity test skips everything waiting on it.
 * Each step runs in its own transaction, so a failure leaves the previous relation in place.
 */
export async function executePlan(plan: Plan, compiled: CompiledProject, pool: pg.Pool, options: ExecuteOptions): Promise<NodeResult[]> {
  const results = new Map<string, NodeResult>();
  const total = plan.steps.length;
  const schemaFailure = await createSchemas(plan, pool);
  const kinds = await readRelationKinds(pool, plan.schemas.map((s) => s.schema));

  const byId = new Map(plan.steps.map((s) => [s.nodeId, s]));
  const waiting = new Map(plan.steps.map((s) => [s.nodeId, new Set(s.waitsOn.filter((id) => byId.has(id)))]));
  const dependents = new Map<string, string[]>();
  for (const step of plan.steps) for (const parent of waiting.get(step.nodeId)!) dependents.set(parent, [...(dependents.get(parent) ?? []), step.nodeId]);

  const ready: NodeStep[] = plan.steps.filter((s) => waiting.get(s.nodeId)!.size === 0);
  let started = 0;
  let running = 0;
  const threadIds: string[] = Array.from({ length: Math.max(1, options.threads) }, (_, i) => `Thread-${i + 1}`);

  await new Promise<void>((resolveAll, rejectAll) => {
    const finish = (step: NodeStep, result: NodeResult, index: number) => {
      results.set(step.nodeId, result);
      options.events?.onFinish?.(step, result, index, total);
      const failed = result.status === 'error' || result.status === 'fail' || result.status === 'skipped';
      for (const child of dependents.get(step.nodeId) ?? []) {
        if (results.has(child)) continue;
        if (failed) skip(byId.get(child)!, step.nodeId);
        else {
          const left = waiting.get(child)!;
          left.delete(step.nodeId);
          if (left.size === 0) ready.push(byId.get(child)!);
        }
      }
    };
    const skip = (step: NodeStep, because: string) => {
      if (results.has(step.nodeId)) return;
      const now = new Date().toISOString();
      const cause = compiled.graph.nodes.get(because);
      const index = ++started;
      finish(step, { uniqueId: step.nodeId, status: 'skipped', message: `SKIP (upstream ${cause?.kind ?? 'node'} ${cause?.name ?? because} did not succeed)`, startedAt: now, completedAt: now, executionTime: 0, warnings: [], threadId: 'main' }, index);
    };
    const pump = () => {
      while (running < Math.max(1, options.threads) && ready.length > 0) {
        const step = ready.shift()!;
        const index = ++started;
        const threadId = threadIds.pop() ?? 'Thread-?';
        running++;
        options.events?.onStart?.(step, index, total);
        runStep(step, compiled, pool, schemaFailure, threadId, kinds)
          .then((result) => {
            running--;
            threadIds.push(threadId);
            finish(step, result, index);
            if (results.size === total) resolveAll();
            else pump();
          })
          .catch(rejectAll);
      }
      if (results.size === total && running === 0) resolveAll();
    };
    pump();
  });
  return plan.steps.map((s) => results.get(s.nodeId)!);
}

async function createSchemas(plan: Plan, pool: pg.Pool): Promise<Map<string, ReelError>> {
  const failures = new Map<string, ReelError>();
  if (plan.schemas.length === 0) return failures;
  const client = await pool.connect();
  try {
    const existing = await client.query<{ nspname: string }>('select nspname from pg_catalog.pg_namespace where nspname = any($1)', [plan.schemas.map((s) => s.schema)]);
    const have = new Set(existing.rows.map((r) => r.nspname));
    for (const step of plan.schemas) {
      if (have.has(step.schema)) continue;
      try {
        await client.query(`create schema if not exists ${quoteIdent(step.schema)}`);
      } catch (error) {
        failures.set(step.schema, new ExecutionError('create-schema', `cannot create schema ${step.schema}: ${(error as Error).message}`, { hint: 'grant the user CREATE on the database, or create the schema beforehand', cause: error }));
      }
    }
  } finally {
    client.release();
  }
  return failures;
}

async function runStep(step: NodeStep, compiled: CompiledProject, pool: pg.Pool, schemaFailures: Map<string, ReelError>, threadId: string, kinds: ReadonlyMap<string, RelationKind>): Promise<NodeResult> {
  const startedAt = new Date();
  const node = compiled.graph.nodes.get(step.nodeId)!;
  const done = (outcome: Omit<NodeResult, 'uniqueId' | 'startedAt' | 'completedAt' | 'executionTime' | 'threadId' | 'warnings'> & { warnings?: readonly string[] }): NodeResult => {
    const completedAt = new Date();
    return { ...outcome, warnings: outcome.warnings ?? [], uniqueId: step.nodeId, startedAt: startedAt.toISOString(), completedAt: completedAt.toISOString(), executionTime: (completedAt.getTime() - startedAt.getTime()) / 1000, threadId };
  };
  const schemaFailure = 'relation' in step ? schemaFailures.get(step.relation.schema) : undefined;
  if (schemaFailure) return done({ status: 'error', message: schemaFailure.message, error: schemaFailure });
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    const failure = new ExecutionError('connection-lost', `lost the database connection: ${(error as Error).message}`, { cause: error });
    return done({ status: 'error', message: failure.message, error: failure });
  }
  try {
    const outcome: StepOutcome =
      step.kind === 'test'
        ? await runReadOnly(client, step)
        : step.kind === 'unit-test'
          ? await runUnitTest({ client, query: (sql, values) => client.query(sql, values) }, step)
          : node.kind === 'model' && (node.hooks || Object.keys(node.config.grants).length > 0 || step.contract)
            ? await inTransaction(client, (session) => withHooksAndGrants(session, step, node))
            : ((await tryFastPath(client, step, kinds)) ?? (await inTransaction(client, (session) => dispatch(session, step))));
    if (step.kind !== 'test' && step.kind !== 'unit-test') await persistDocs(client, node);
    return done({ status: outcome.status, message: outcome.message, rowsAffected: outcome.rowsAffected, failures: outcome.failures, warnings: outcome.warnings ?? [] });
  } catch (error) {
    const failure = toNodeError(error, node);
    return done({ status: 'error', message: failure.message, error: failure });
  } finally {
    client.release();
  }
}

async function runReadOnly(client: pg.PoolClient, step: NodeStep & { kind: 'test' }): Promise<StepOutcome> {
  const session: Session = { client, query: (sql, values) => client.query(sql, values) };
  return runTest(session, step);
}

/** A model's pre-hooks, its build, post-hooks and grants: one transaction, so a failing hook changes nothing. */
async function withHooksAndGrants(session: Session, step: NodeStep, node: ModelNode): Promise<StepOutcome> {
  const hook = async (sql: string, which: string, index: number) => {
    try {
      await session.query(sql);
    } catch (error) {
      throw new ExecutionError('hook-failed', `${which} ${index + 1} of model "${node.name}" failed: ${(error as Error).message}`, {
        file: node.file,
        line: node.line,
        node: node.name,
        hint: `fix the ${which.replace(' ', '_')} SQL in the model's config; nothing of the model was changed`,
        cause: error,
      });
    }
  };
  for (const [i, sql] of (node.hooks?.pre ?? []).entries()) await hook(sql, 'pre hook', i);
  if (step.contract) await checkContract(session, node.name, step.kind === 'incremental' ? step.fullSql : 'sql' in step ? step.sql : '', step.contract);
  const outcome = await dispatch(session, step);
  for (const [i, sql] of (node.hooks?.post ?? []).entries()) await hook(sql, 'post hook', i);
  if ('relation' in step) await applyGrants(session, step.relation, node.config.grants);
  return outcome;
}

function dispatch(session: Session, step: NodeStep): Promise<StepOutcome> {
  switch (step.kind) {
    case 'view':
      return materializeView(session, step);
    case 'table':
    case 'materialized-view':
      return materializeTable(session, step);
    case 'incremental':
      return materializeIncremental(session, step);
    case 'seed':
      return loadSeed(session, step);
    case 'test':
      return runTest(session, step);
    case 'snapshot':
      return runSnapshot(session, step);
    case 'unit-test':
      return runUnitTest(session, step);
    default:
      return assertNever(step);
  }
}

/** A database error becomes an error at the model's file and line; ours get the node attached. */
function toNodeError(error: unknown, node: GraphNode): ReelError {
  if (error instanceof ReelError) {
    if (error.file) return error;
    return new ExecutionError(error.code, error.message, { file: node.file, line: node.line, node: node.name, hint: error.hint, cause: error.cause ?? error });
  }
  const pgError = error as LocatedDatabaseError;
  const map = node.kind === 'model' || node.kind === 'test' ? node.sourceMap : undefined;
  const place = pgError.reelOffset !== undefined && map ? { file: map.file, ...map.locate(pgError.reelOffset) } : { file: node.file, line: node.line };
  const detail = [pgError.detail, pgError.hint].filter(Boolean).join('; ');
  const Kind = pgError.code?.startsWith('42') ? SqlError : ExecutionError;
  return new Kind(pgError.code ? `pg-${pgError.code}` : 'database', `database error in ${node.kind} "${node.name}": ${pgError.message}${detail ? ` (${detail})` : ''}`, {
    ...place,
    node: node.name,
    hint: hintFor(pgError.code),
    cause: error,
  });
}

function hintFor(code: string | undefined): string | undefined {
  switch (code) {
    case '42P01':
      return 'a relation it reads does not exist yet: build its parents first (model build -s +name) or check the source schema';
    case '42703':
      return 'a column it names does not exist in the relation it reads; check the parent model\'s columns';
    case '42501':
      return 'the database user lacks a privilege; grant it or use another target';
    default:
      return undefined;
  }
}
