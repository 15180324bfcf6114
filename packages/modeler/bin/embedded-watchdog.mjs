// The watchdog of one project's embedded PostgreSQL server, so that no server outlives every Reel
// process that leased it (for example one killed with SIGKILL). src/execute/connection/embedded-server.ts
// starts it detached, with its settings as one JSON argument, and records it in
// .reel/postgres/leases.json before it starts the server. Every interval it checks whether a
// leaseholder is alive; when none is, it takes the lock, checks again, stops the server if one runs,
// and exits. It also exits once the record names another watchdog or none (a release stopped the
// server), or the folder is gone.
//
// Plain JavaScript beside the CLI (not under src/) so that the same file serves the TypeScript
// sources under vitest and the compiled dist/: both sit three folders below the package root.
// The lease format and lock settings must match embedded-lease-registry.ts.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

const { directory, dataDirectory, pgCtl, owner, intervalMs = 1000 } = JSON.parse(process.argv[2] ?? '{}');
const registryFile = join(directory, 'leases.json');
const lockOptions = {
  lockfilePath: join(directory, 'server.lock'),
  realpath: false,
  stale: 10_000,
  retries: { retries: 600, factor: 1, minTimeout: 100, maxTimeout: 100 },
  onCompromised: () => undefined,
};

function log(message) {
  console.log(`${new Date().toISOString()} watchdog ${process.pid}: ${message}`);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A zombie counts as gone (see pidAlive in embedded-lease-registry.ts).
function pidExists(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

function startTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(ref) {
  if (!pidExists(ref.pid)) return false;
  if (ref.start === null) return true;
  const start = startTime(ref.pid);
  return start === null || start === ref.start;
}

function readRegistry() {
  try {
    const parsed = JSON.parse(readFileSync(registryFile, 'utf8'));
    return { leases: Array.isArray(parsed.leases) ? parsed.leases : [], watchdog: parsed.watchdog ?? null };
  } catch {
    return undefined;
  }
}

function writeRegistry(registry) {
  const temporary = `${registryFile}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(registry, null, 2)}\n`);
  renameSync(temporary, registryFile);
}

function stopServer() {
  return new Promise((resolve) => {
    const child = spawn(pgCtl, ['stop', `--pgdata=${dataDirectory}`, '--mode=fast', '--wait', '--timeout=60', '--silent'], {
      cwd: directory,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'inherit', 'inherit'],
      ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    });
    child.on('error', (error) => resolve(error.message));
    child.on('close', (code) => resolve(`exit code ${code}`));
  });
}

/** Returns true when the watchdog's work is done. */
async function checkUnderLock() {
  let unlock;
  try {
    unlock = await lockfile.lock(directory, lockOptions);
  } catch (error) {
    if (!existsSync(directory)) return true;
    log(`could not take the lock (${error.message}); trying again`);
    return false;
  }
  try {
    const registry = readRegistry();
    if (registry && registry.watchdog?.pid !== process.pid) {
      log('no longer on record as the watchdog; exiting');
      return true;
    }
    if (registry?.leases.some(isAlive)) return false;
    if (existsSync(join(dataDirectory, 'postmaster.pid'))) {
      log('no leaseholder is alive; stopping the server');
      log(`pg_ctl stop: ${await stopServer()}`);
    }
    writeRegistry({ leases: [], watchdog: null });
    return true;
  } finally {
    await unlock().catch(() => undefined);
  }
}

log(`watching ${dataDirectory}`);
for (;;) {
  await sleep(intervalMs);
  if (!existsSync(directory)) break;
  if (readRegistry()?.leases.some(isAlive)) continue;
  if (await checkUnderLock()) break;
}
