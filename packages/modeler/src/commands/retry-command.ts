import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Output } from '../cli/output.js';
import { UsageError } from '../errors/index.js';
import type { Command } from '../plan/build-plan.js';
import type { CommonOptions } from './context.js';
import { runCommand } from './run-command.js';

export interface RetryCommandOptions extends CommonOptions {
  readonly threads?: number;
}

interface LastRun {
  readonly args?: {
    readonly which?: string;
    readonly full_refresh?: boolean;
    readonly vars?: string | null;
    readonly state?: string | null;
    readonly defer?: boolean;
    readonly favor_state?: boolean;
    readonly threads?: number;
  };
  readonly results?: readonly { readonly unique_id: string; readonly status: string }[];
}

const RETRIED = new Set(['error', 'fail', 'skipped']);
const COMMANDS = new Set<Command>(['run', 'test', 'seed', 'build']);

/**
 * `model retry`: reads target/run_results.json and runs the same command again on exactly the
 * nodes that errored, failed or were skipped, with the same flags (vars, full refresh, state, defer).
 */
export async function retryCommand(options: RetryCommandOptions, output: Output): Promise<number> {
  const root = resolve(options.projectDir ?? process.cwd());
  const path = join(root, 'target', 'run_results.json');
  if (!existsSync(path)) {
    throw new UsageError('retry-no-results', 'there is no target/run_results.json to retry from', { hint: 'run `model build` (or run, test, seed) first; retry reruns what it left failed' });
  }
  let last: LastRun;
  try {
    last = JSON.parse(readFileSync(path, 'utf8')) as LastRun;
  } catch {
    throw new UsageError('retry-bad-results', 'target/run_results.json is not valid JSON', { file: 'target/run_results.json', hint: 'run the command again instead of retrying' });
  }
  const which = last.args?.which as Command | undefined;
  if (!which || !COMMANDS.has(which)) {
    throw new UsageError('retry-unknown-command', `target/run_results.json was written by "${String(which)}", which cannot be retried`, { hint: 'retry follows run, test, seed or build' });
  }
  const again = new Set((last.results ?? []).filter((r) => RETRIED.has(r.status)).map((r) => r.unique_id));
  if (again.size === 0) {
    output.out(`Nothing to retry: every node of the last \`model ${which}\` succeeded.`);
    return 0;
  }
  output.out(`Retrying ${again.size} node${again.size === 1 ? '' : 's'} that errored, failed or were skipped in the last \`model ${which}\``);
  return runCommand(
    {
      ...options,
      command: which,
      only: again,
      vars: options.vars ?? last.args?.vars ?? undefined,
      fullRefresh: last.args?.full_refresh ?? false,
      state: last.args?.state ?? undefined,
      defer: last.args?.defer ?? false,
      favorState: last.args?.favor_state ?? false,
      threads: options.threads ?? last.args?.threads,
    },
    output,
  );
}
