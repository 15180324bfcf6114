import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionError } from '../src/errors/index.js';
import { acquireEmbeddedServer, type EmbeddedLease } from '../src/execute/connection/embedded-server.js';
import { pidAlive } from '../src/execute/connection/embedded-lease-registry.js';

// Real servers, real processes. Children run the TypeScript sources through a tiny loader that
// transpiles with the workspace's `typescript`, so no build is needed.

const SERVER_MODULE = pathToFileURL(fileURLToPath(new URL('../src/execute/connection/embedded-server.ts', import.meta.url))).href;
const require = createRequire(import.meta.url);

let support: string;
let registerHooks: string;
let childScript: string;
const projects: { root: string; folder: string }[] = [];
const children: ChildProcessWithoutNullStreams[] = [];
const leases: EmbeddedLease[] = [];

beforeAll(() => {
  support = mkdtempSync(join(tmpdir(), 'reel-embedded-support-'));
  writeFileSync(
    join(support, 'ts-hooks.mjs'),
    `import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from ${JSON.stringify(pathToFileURL(require.resolve('typescript')).href)};
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
    const url = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const fileName = fileURLToPath(url);
  const { outputText } = ts.transpileModule(readFileSync(fileName, 'utf8'), {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
  });
  return { format: 'module', source: outputText, shortCircuit: true };
}
`,
  );
  registerHooks = join(support, 'register.mjs');
  writeFileSync(registerHooks, `import { register } from 'node:module';\nregister('./ts-hooks.mjs', import.meta.url);\n`);
  childScript = join(support, 'lease-holder.mjs');
  writeFileSync(
    childScript,
    `const [serverModule, pgModule, root] = process.argv.slice(2);
const send = (message) => process.stdout.write(JSON.stringify(message) + '\\n');
try {
  const { acquireEmbeddedServer } = await import(serverModule);
  const { default: pg } = await import(pgModule);
  const lease = await acquireEmbeddedServer(root);
  const client = new pg.Client({ connectionString: lease.url });
  await client.connect();
  const { rows } = await client.query('select current_database() as database, version() as version');
  await client.end();
  send({ event: 'acquired', url: lease.url, ...rows[0] });
  process.stdin.on('data', async (data) => {
    if (!String(data).includes('release')) return;
    await lease.release();
    send({ event: 'released' });
    process.exit(0);
  });
} catch (error) {
  send({ event: 'error', code: error.code, message: error.message, hint: error.hint });
  process.exit(1);
}
`,
  );
});

afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.allSettled(leases.splice(0).map((lease) => lease.release()));
  for (const { root, folder } of projects.splice(0)) {
    await forceStop(root);
    rmSync(folder, { recursive: true, force: true });
  }
});

afterAll(() => {
  rmSync(support, { recursive: true, force: true });
});

function newProject(name = ''): string {
  // mkdtemp makes a 0700 root-owned folder: the server user must still get in.
  const folder = mkdtempSync(join(tmpdir(), 'reel-embedded-'));
  const root = join(folder, name);
  mkdirSync(root, { recursive: true });
  projects.push({ root, folder });
  return root;
}

async function acquire(root: string, log?: (line: string) => void): Promise<EmbeddedLease> {
  const lease = await acquireEmbeddedServer(root, { log });
  leases.push(lease);
  return lease;
}

const pidFile = (root: string) => join(root, '.reel', 'postgres', 'data', 'postmaster.pid');

function postmasterPid(root: string): number | undefined {
  try {
    return Number(readFileSync(pidFile(root), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

function watchdogPid(root: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(root, '.reel', 'postgres', 'leases.json'), 'utf8')) as { watchdog: { pid: number } | null }).watchdog?.pid;
  } catch {
    return undefined;
  }
}

function alive(pid: number | undefined): boolean {
  return pid !== undefined && pidAlive(pid);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

/** Whatever a failed test left running: immediate shutdown of the server, and its watchdog. */
async function forceStop(root: string): Promise<void> {
  const watchdog = watchdogPid(root);
  if (alive(watchdog)) process.kill(watchdog!, 'SIGKILL');
  const pid = postmasterPid(root);
  if (alive(pid)) {
    process.kill(pid!, 'SIGQUIT');
    await waitFor(() => !alive(pid), 10_000);
  }
}

async function query(url: string, sql: string): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(sql)).rows[0] as Record<string, unknown>;
  } finally {
    await client.end();
  }
}

async function connectionError(url: string): Promise<string | undefined> {
  try {
    await query(url, 'select 1');
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

async function expectStopped(root: string, url: string, pid: number | undefined): Promise<void> {
  expect(existsSync(pidFile(root))).toBe(false);
  // pg_ctl stop returns once postmaster.pid is gone, a moment before the process is.
  expect(await waitFor(() => !alive(pid), 2_000)).toBe(true);
  expect(await connectionError(url)).toBe('ECONNREFUSED');
}

interface ChildMessage {
  readonly event: 'acquired' | 'released' | 'error';
  readonly url?: string;
  readonly database?: string;
  readonly version?: string;
  readonly message?: string;
}

/** A separate Node process that acquires a lease and then waits for "release" on stdin. */
function startHolder(root: string) {
  const child = spawn(process.execPath, ['--import', registerHooks, childScript, SERVER_MODULE, pathToFileURL(require.resolve('pg')).href, root]);
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const messages = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    exited,
    async next(): Promise<ChildMessage> {
      const line = await messages.next();
      if (line.done) throw new Error(`lease holder ended without a message: ${stderr}`);
      return JSON.parse(line.value as string) as ChildMessage;
    },
  };
}

describe('acquireEmbeddedServer', () => {
  it('runs PostgreSQL 18 from .reel/postgres and stops it when the lease is released', async () => {
    const root = newProject();
    const lines: string[] = [];
    const lease = await acquire(root, (line) => lines.push(line));

    expect(lease.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/reel$/);
    expect(new URL(lease.url).port).not.toBe('5432');
    const row = await query(lease.url, 'select version(), current_database() as database');
    expect(row.version).toMatch(/^PostgreSQL 18\./);
    expect(row.database).toBe('reel');

    const data = join(root, '.reel', 'postgres', 'data');
    expect(existsSync(join(data, 'PG_VERSION'))).toBe(true);
    expect(statSync(data).mode & 0o777).toBe(0o700);
    if (process.getuid?.() === 0) expect(statSync(data).uid).not.toBe(0);
    const password = decodeURIComponent(new URL(lease.url).password);
    expect(lines.some((line) => line.includes('127.0.0.1'))).toBe(true);
    expect(lines.join('\n')).not.toContain(password);

    const pid = postmasterPid(root);
    const watchdog = watchdogPid(root);
    expect(alive(pid)).toBe(true);
    expect(alive(watchdog)).toBe(true);

    await lease.release();
    await expectStopped(root, lease.url, pid);
    await lease.release();
    expect(await waitFor(() => !alive(watchdog), 3_000)).toBe(true);
  });

  it('shares one server between processes that acquire at the same time', async () => {
    const root = newProject();
    const first = startHolder(root);
    const second = startHolder(root);
    const [a, b] = await Promise.all([first.next(), second.next()]);
    expect(a).toMatchObject({ event: 'acquired', database: 'reel' });
    expect(b).toMatchObject({ event: 'acquired', database: 'reel' });
    expect(a.version).toMatch(/^PostgreSQL 18\./);
    expect(b.url).toBe(a.url);

    const here = await acquire(root);
    expect(here.url).toBe(a.url);
    const pid = postmasterPid(root);
    await here.release();
    expect(await connectionError(a.url!)).toBeUndefined();

    first.child.stdin.write('release\n');
    expect(await first.next()).toMatchObject({ event: 'released' });
    expect(await connectionError(a.url!)).toBeUndefined();

    second.child.stdin.write('release\n');
    expect(await second.next()).toMatchObject({ event: 'released' });
    await expectStopped(root, a.url!, pid);
  });

  it('has the watchdog stop the server when its last holder is killed', async () => {
    const root = newProject();
    const holder = startHolder(root);
    const { url } = await holder.next();
    const pid = postmasterPid(root);
    const watchdog = watchdogPid(root);
    expect(alive(pid)).toBe(true);

    holder.child.kill('SIGKILL');
    await holder.exited;
    expect(await waitFor(() => !alive(pid), 8_000)).toBe(true);
    await expectStopped(root, url!, pid);
    expect(await waitFor(() => !alive(watchdog), 3_000)).toBe(true);
  });

  it('releases on SIGTERM and then dies of the signal', async () => {
    const root = newProject();
    const holder = startHolder(root);
    const { url } = await holder.next();
    const pid = postmasterPid(root);

    holder.child.kill('SIGTERM');
    expect(await holder.exited).toEqual({ code: null, signal: 'SIGTERM' });
    // Stopped by the holder itself before it died, not a second later by the watchdog.
    await expectStopped(root, url!, pid);
  });

  it('restarts after the server was killed and ignores a postmaster.pid of another process', async () => {
    const root = newProject();
    const lines: string[] = [];
    const first = await acquire(root, (line) => lines.push(line));
    const killed = postmasterPid(root);
    process.kill(killed!, 'SIGKILL');
    expect(await waitFor(() => !alive(killed), 5_000)).toBe(true);

    const second = await acquire(root, (line) => lines.push(line));
    expect(lines.some((line) => line.startsWith('removed a stale postmaster.pid'))).toBe(true);
    expect(postmasterPid(root)).not.toBe(killed);
    expect(await query(second.url, 'select 1 as one')).toEqual({ one: 1 });
    await first.release();
    expect(await connectionError(second.url)).toBeUndefined();
    const pid = postmasterPid(root);
    await second.release();
    await expectStopped(root, second.url, pid);

    // A leftover pid file naming a live process that is not this server (here: the test itself).
    writeFileSync(pidFile(root), `${process.pid}\n${join(root, '.reel', 'postgres', 'data')}\n0\n5999\n`);
    const third = await acquire(root);
    expect(await query(third.url, 'select 1 as one')).toEqual({ one: 1 });
    const thirdPid = postmasterPid(root);
    expect(thirdPid).not.toBe(process.pid);
    await third.release();
    await expectStopped(root, third.url, thirdPid);
  });

  it('reports a server that does not start as a ConnectionError naming the log', async () => {
    const root = newProject();
    await (await acquire(root)).release();
    appendFileSync(join(root, '.reel', 'postgres', 'data', 'postgresql.auto.conf'), "shared_buffers = 'plenty'\n");

    const failure = await acquireEmbeddedServer(root).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionError);
    const error = failure as ConnectionError;
    expect(error.code).toBe('embedded-start-failed');
    expect(error.message).toBe('the embedded PostgreSQL server did not start');
    expect(error.hint).toContain('invalid value for parameter "shared_buffers": "plenty"');
    expect(error.hint).toContain(join(root, '.reel', 'postgres', 'server.log'));
    expect(existsSync(pidFile(root))).toBe(false);
  });

  it('turns off the unix socket when the project path is too long for one', async () => {
    const root = newProject('a-project-folder-whose-name-is-long-enough-to-overflow-a-unix-socket-path');
    const lease = await acquire(root);
    expect(await query(lease.url, 'select 1 as one')).toEqual({ one: 1 });
    expect(readdirSync(join(root, '.reel', 'postgres')).some((name) => name.startsWith('.s.PGSQL'))).toBe(false);
    await lease.release();
  });
});
