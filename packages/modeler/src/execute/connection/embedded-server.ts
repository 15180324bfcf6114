import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConnectionError, ReelError } from '../../errors/index.js';
import {
  clusterLogFile,
  createClusterDirectory,
  ensureDatabase,
  findRunningServer,
  locateCluster,
  prepareCluster,
  readPassword,
  serverUrl,
  startServer,
  stopServer,
  type EmbeddedCluster,
} from './embedded-cluster.js';
import { currentProcess, isAlive, processRef, readRegistry, withRegistryLock, writeRegistry, type ProcessRef } from './embedded-lease-registry.js';

/** A share in the project's embedded PostgreSQL server. */
export interface EmbeddedLease {
  /** postgres://… URL of the running server, database `reel` (created if missing). */
  readonly url: string;
  /** Gives the lease back; the server stops when the last lease is released. Idempotent. */
  release(): Promise<void>;
}

export interface EmbeddedServerOptions {
  /** Progress lines (initdb, start, stop); never contains the password. */
  readonly log?: (line: string) => void;
}

/**
 * Starts the project's embedded PostgreSQL 18 (data under `<projectRoot>/.reel/postgres`) or joins
 * the one already running, and leases it. Any number of processes may hold leases at once; the
 * server stops when the last is released, when the last holder exits or is interrupted, or, if the
 * last holder is killed outright, within about a second by its watchdog.
 *
 * @example
 * const lease = await acquireEmbeddedServer(projectRoot, { log: console.log });
 * try {
 *   const client = new pg.Client({ connectionString: lease.url });
 *   …
 * } finally {
 *   await lease.release();
 * }
 */
export async function acquireEmbeddedServer(projectRoot: string, options: EmbeddedServerOptions = {}): Promise<EmbeddedLease> {
  const log = options.log ?? (() => undefined);
  const root = resolve(projectRoot);
  const { url, holding } = await inOrder(root, async () => {
    try {
      const cluster = holdings.get(root)?.cluster ?? (await locateCluster(root));
      await createClusterDirectory(cluster, log);
      const leasedUrl = await withRegistryLock(cluster.directory, cluster.logFile, () => acquireLocked(cluster, log));
      const current = holdings.get(root) ?? { count: 0, cluster, log };
      current.count += 1;
      holdings.set(root, current);
      installExitHandlers();
      return { url: leasedUrl, holding: current };
    } catch (error) {
      throw asConnectionError(error, 'started', clusterLogFile(root));
    }
  });
  let releasing: Promise<void> | undefined;
  return {
    url,
    release: () => (releasing ??= releaseOne(root, holding)),
  };
}

const WATCHDOG_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'embedded-watchdog.mjs');
const WATCHDOG_INTERVAL_MS = 1_000;

interface Holding {
  count: number;
  readonly cluster: EmbeddedCluster;
  readonly log: (line: string) => void;
}

/** Leases this process holds, by project root; the lease file lists the process once however many it holds. */
const holdings = new Map<string, Holding>();
const queues = new Map<string, Promise<unknown>>();

/** Runs acquires and releases of one project one after another within this process. */
function inOrder<T>(root: string, work: () => Promise<T>): Promise<T> {
  const next = (queues.get(root) ?? Promise.resolve()).then(work, work);
  const settled = next.catch(() => undefined);
  queues.set(root, settled);
  void settled.then(() => {
    if (queues.get(root) === settled) queues.delete(root);
  });
  return next;
}

async function acquireLocked(cluster: EmbeddedCluster, log: (line: string) => void): Promise<string> {
  await prepareCluster(cluster, log);
  const password = await readPassword(cluster);
  const registry = await readRegistry(cluster.directory);
  const self = currentProcess();
  const others = registry.leases.filter((lease) => lease.pid !== self.pid && isAlive(lease));
  // The lease and the watchdog are on record before the server starts: a holder killed at any
  // later moment leaves a server that the watchdog stops.
  const watchdog = registry.watchdog && isAlive(registry.watchdog) ? registry.watchdog : spawnWatchdog(cluster);
  await writeRegistry(cluster.directory, { leases: [...others, self], watchdog });
  try {
    let server = await findRunningServer(cluster, log);
    const started = server === undefined;
    server ??= await startServer(cluster, log);
    try {
      await ensureDatabase(cluster, server.port, password);
    } catch (error) {
      if (started) await stopServer(cluster).catch(() => undefined);
      throw error;
    }
    log(`embedded PostgreSQL ${started ? 'ready' : 'already running'} at ${serverUrl(server.port)}`);
    return serverUrl(server.port, password);
  } catch (error) {
    // With no lease left, the watchdog stops whatever runs and exits.
    await writeRegistry(cluster.directory, { leases: others, watchdog }).catch(() => undefined);
    throw error;
  }
}

/** A lease of a holding that was already given back (all at once, on a signal) releases nothing. */
function releaseOne(root: string, holding: Holding): Promise<void> {
  return inOrder(root, async () => {
    if (holdings.get(root) !== holding) return;
    holding.count -= 1;
    if (holding.count > 0) return;
    holdings.delete(root);
    if (holdings.size === 0) removeExitHandlers();
    try {
      await withRegistryLock(holding.cluster.directory, holding.cluster.logFile, () => releaseLocked(holding));
    } catch (error) {
      throw asConnectionError(error, 'stopped', holding.cluster.logFile);
    }
  });
}

async function releaseLocked({ cluster, log }: Holding): Promise<void> {
  const registry = await readRegistry(cluster.directory);
  const others = registry.leases.filter((lease) => lease.pid !== process.pid && isAlive(lease));
  if (others.length > 0) {
    await writeRegistry(cluster.directory, { leases: others, watchdog: registry.watchdog });
    return;
  }
  if (await findRunningServer(cluster, log)) {
    await stopServer(cluster);
    log('stopped the embedded PostgreSQL server');
  }
  // It would exit on its next check anyway, finding itself off the record; it cannot hold the lock, which is ours.
  if (registry.watchdog && isAlive(registry.watchdog)) {
    try {
      process.kill(registry.watchdog.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  await writeRegistry(cluster.directory, { leases: [], watchdog: null });
}

function spawnWatchdog(cluster: EmbeddedCluster): ProcessRef {
  if (!existsSync(WATCHDOG_SCRIPT)) {
    throw new ConnectionError('embedded-watchdog-missing', `the watchdog of the embedded PostgreSQL server is missing (${WATCHDOG_SCRIPT})`, {
      hint: `reinstall @reel/modeler (its bin/ folder must be shipped); server log: ${cluster.logFile}`,
    });
  }
  const config = {
    directory: cluster.directory,
    dataDirectory: cluster.dataDirectory,
    pgCtl: cluster.pgCtl,
    owner: cluster.owner ?? null,
    intervalMs: WATCHDOG_INTERVAL_MS,
  };
  const output = openSync(join(cluster.directory, 'watchdog.log'), 'a');
  try {
    const child = spawn(process.execPath, [WATCHDOG_SCRIPT, JSON.stringify(config)], {
      cwd: cluster.directory,
      detached: true,
      stdio: ['ignore', output, output],
    });
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${process.execPath} ${WATCHDOG_SCRIPT}`);
    return processRef(child.pid);
  } finally {
    closeSync(output);
  }
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let handlersInstalled = false;
let exiting = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const signal of EXIT_SIGNALS) process.on(signal, onExitSignal);
  process.on('beforeExit', onBeforeExit);
}

function removeExitHandlers(): void {
  if (!handlersInstalled) return;
  handlersInstalled = false;
  for (const signal of EXIT_SIGNALS) process.off(signal, onExitSignal);
  process.off('beforeExit', onBeforeExit);
}

/** Every lease of this process, released at once. */
async function releaseAll(): Promise<void> {
  await Promise.allSettled(
    [...holdings].map(([root, holding]) => {
      holding.count = 1;
      return releaseOne(root, holding);
    }),
  );
}

// Listening to a signal cancels its default action, so after releasing, the signal is raised again
// with our listener removed: the process then dies of it, with the status a shell expects. Another
// listener may stand in the way (signal-exit, which proper-lockfile uses, stands aside while anyone
// else listens), hence the fallback exit with 128 + the signal number. A second signal does not wait.
function onExitSignal(signal: NodeJS.Signals): void {
  const raiseAgain = () => {
    removeExitHandlers();
    process.kill(process.pid, signal);
    setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 1_000);
  };
  if (exiting) return raiseAgain();
  exiting = true;
  const patience = new Promise((done) => setTimeout(done, 10_000).unref());
  void Promise.race([releaseAll(), patience]).finally(raiseAgain);
}

// The event loop ran dry while leases are held: the program is done, so give them back.
// (After process.exit() no asynchronous work can run; the watchdog stops the server then.)
function onBeforeExit(): void {
  void releaseAll();
}

function asConnectionError(error: unknown, action: 'started' | 'stopped', logFile: string): ReelError {
  if (error instanceof ReelError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new ConnectionError(`embedded-${action === 'started' ? 'start' : 'stop'}-failed`, `the embedded PostgreSQL server could not be ${action}: ${reason}`, {
    hint: `server log: ${logFile}`,
    cause: error,
  });
}
