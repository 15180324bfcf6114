import { readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { ConnectionError } from '../../errors/index.js';

/**
 * A process, named so that a reused pid does not pass for it: `start` is the start time from
 * /proc/<pid>/stat (null where /proc does not exist, and then only the pid is compared).
 */
export interface ProcessRef {
  readonly pid: number;
  readonly start: string | null;
}

/**
 * `.reel/postgres/leases.json`: who holds the embedded server and which watchdog guards it.
 * bin/embedded-watchdog.mjs reads and writes the same format; change both together.
 */
export interface LeaseRegistry {
  readonly leases: readonly ProcessRef[];
  readonly watchdog: ProcessRef | null;
}

const REGISTRY_FILE = 'leases.json';
const LOCK_FILE = 'server.lock';
/** proper-lockfile treats a lock as abandoned once its mtime is this old (it refreshes it every stale/2). */
const LOCK_STALE_MS = 10_000;
const LOCK_WAIT_MS = 60_000;
const LOCK_RETRY_MS = 100;

export function registryPath(directory: string): string {
  return join(directory, REGISTRY_FILE);
}

export function lockPath(directory: string): string {
  return join(directory, LOCK_FILE);
}

export function processRef(pid: number): ProcessRef {
  return { pid, start: processStartTime(pid) };
}

let self: ProcessRef | undefined;
export function currentProcess(): ProcessRef {
  self ??= processRef(process.pid);
  return self;
}

export function isAlive(ref: ProcessRef): boolean {
  if (!pidAlive(ref.pid)) return false;
  if (ref.start === null) return true;
  const start = processStartTime(ref.pid);
  return start === null || start === ref.start;
}

/**
 * Whether a process runs. A zombie does not: where PID 1 reaps no orphans (some containers), a
 * daemonised postmaster or a killed holder stays a zombie that still answers signal 0.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name in field 2 may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export async function readRegistry(directory: string): Promise<LeaseRegistry> {
  let text: string;
  try {
    text = await readFile(registryPath(directory), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { leases: [], watchdog: null };
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<LeaseRegistry>;
  return { leases: Array.isArray(parsed.leases) ? parsed.leases : [], watchdog: parsed.watchdog ?? null };
}

/** Written to a temporary file and renamed, so the watchdog's unlocked reads never see half a file. */
export async function writeRegistry(directory: string, registry: LeaseRegistry): Promise<void> {
  const temporary = `${registryPath(directory)}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(registry, null, 2)}\n`);
  await rename(temporary, registryPath(directory));
}

/** Runs `work` while holding the cross-process lock on the embedded server of `directory`. */
export async function withRegistryLock<T>(directory: string, logFile: string, work: () => Promise<T>): Promise<T> {
  let unlock: () => Promise<void>;
  try {
    unlock = await lockfile.lock(directory, {
      lockfilePath: lockPath(directory),
      realpath: false,
      stale: LOCK_STALE_MS,
      retries: { retries: LOCK_WAIT_MS / LOCK_RETRY_MS, factor: 1, minTimeout: LOCK_RETRY_MS, maxTimeout: LOCK_RETRY_MS },
      // The default throws from a timer; a late lock refresh is not worth crashing the process.
      onCompromised: () => undefined,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    throw new ConnectionError('embedded-lock-timeout', `another Reel process kept the embedded PostgreSQL server locked for ${LOCK_WAIT_MS / 1000} s`, {
      hint: `if no other Reel command is running, remove ${lockPath(directory)}; server log: ${logFile}`,
      cause: error,
    });
  }
  try {
    return await work();
  } finally {
    await unlock().catch(() => undefined);
  }
}
