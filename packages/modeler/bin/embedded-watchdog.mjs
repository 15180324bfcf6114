// The watchdog of one running embedded PostgreSQL server, so that no server outlives every Reel
// process that leased it (for example one killed with SIGKILL). src/execute/connection/embedded-server.ts
// starts one per server, detached, with its settings as one JSON argument. Every interval it reads
// .reel/postgres/leases.json; when no leaseholder is alive it takes the lock, checks again, stops the
// server and exits. It also exits when the server it watches is gone or a newer watchdog took over.
//
// Plain JavaScript beside the CLI (not under src/) so that the same file serves the TypeScript
// sources under vitest and the compiled dist/: both sit three folders below the package root.
// The lease format and lock settings must match embedded-lease-registry.ts.
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

const { directory, dataDirectory, pgCtl, owner, postmasterPid, intervalMs = 1000 } = JSON.parse(process.argv[2] ?? '{}');
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

function pidExists(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
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

function watchedServerRunning() {
  try {
    const pid = Number(readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid === postmasterPid && pidExists(pid);
  } catch {
    return false;
  }
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
    log(`could not take the lock (${error.message}); trying again`);
    return false;
  }
  try {
    const registry = readRegistry();
    if (!watchedServerRunning()) return true;
    if (registry && registry.watchdog?.pid !== process.pid) {
      log('another watchdog guards the server; exiting');
      return true;
    }
    if (registry?.leases.some(isAlive)) return false;
    log(`no leaseholder is alive; stopping postmaster ${postmasterPid}`);
    log(`pg_ctl stop: ${await stopServer()}`);
    writeRegistry({ leases: [], watchdog: null });
    return true;
  } finally {
    await unlock().catch(() => undefined);
  }
}

log(`watching postmaster ${postmasterPid} of ${dataDirectory}`);
for (;;) {
  await sleep(intervalMs);
  if (!watchedServerRunning()) {
    log('the server stopped; exiting');
    break;
  }
  const registry = readRegistry();
  if (registry?.leases.some(isAlive)) continue;
  if (await checkUnderLock()) break;
}
