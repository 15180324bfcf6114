import pg from 'pg';
import { ConnectionError } from '../../errors/index.js';
import type { ResolvedTarget } from './resolve-target.js';

/** An open pool on the resolved target; `close` ends it and gives back an embedded server lease. */
export interface Database {
  readonly pool: pg.Pool;
  readonly target: ResolvedTarget;
  /** Server version, e.g. "15.19". */
  readonly serverVersion: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  readonly projectRoot: string;
  readonly threads?: number;
  readonly log?: (line: string) => void;
}

/** Opens the target and checks that it answers, turning every failure into one clear sentence. */
export async function openDatabase(target: ResolvedTarget, options: OpenOptions): Promise<Database> {
  let url = target.url;
  let release: (() => Promise<void>) | undefined;
  if (target.kind === 'embedded') {
    // Loaded only when used: the embedded server's modules cost start-up time.
    const { acquireEmbeddedServer } = await import('./embedded-server.js');
    const lease = await acquireEmbeddedServer(options.projectRoot, { log: options.log });
    url = lease.url;
    release = () => lease.release();
  }
  const pool = new pg.Pool({ connectionString: url, max: Math.max(1, options.threads ?? 4), application_name: 'reel', connectionTimeoutMillis: 15_000 });
  // An idle client that dies (server restart) must not crash the process.
  pool.on('error', () => undefined);
  let serverVersion: string;
  try {
    const result = await pool.query<{ server_version: string }>('show server_version');
    serverVersion = result.rows[0]!.server_version.split(' ')[0]!;
  } catch (error) {
    await pool.end().catch(() => undefined);
    await release?.();
    throw connectionFailure(error, target);
  }
  let closed = false;
  return {
    pool,
    target,
    serverVersion,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end().catch(() => undefined);
      await release?.();
    },
  };
}

function connectionFailure(error: unknown, target: ResolvedTarget): ConnectionError {
  const e = error as { code?: string; message?: string };
  const where = target.display;
  const reasons: Record<string, [string, string]> = {
    ECONNREFUSED: [`cannot connect to ${where}: connection refused`, 'is the server running and listening on that host and port?'],
    ENOTFOUND: [`cannot connect to ${where}: unknown host`, 'check the host name in the connection string'],
    EAI_AGAIN: [`cannot connect to ${where}: the host name could not be resolved`, 'check the host name and your network'],
    ETIMEDOUT: [`cannot connect to ${where}: timed out`, 'check the host, port and any firewall'],
    '28P01': [`cannot connect to ${where}: password authentication failed`, 'check the user and password (profiles.yml or DATABASE_URL)'],
    '28000': [`cannot connect to ${where}: the server rejected the user`, 'check the user name and pg_hba.conf'],
    '3D000': [`cannot connect to ${where}: the database does not exist`, 'create it (createdb NAME) or fix the database name'],
  };
  const known = e.code ? reasons[e.code] : undefined;
  const [message, hint] = known ?? [`cannot connect to ${where}: ${e.message ?? String(error)}`, 'check the connection settings (`model debug` shows which target is used and why)'];
  return new ConnectionError(`connect-${e.code ?? 'failed'}`, message, { hint, cause: error });
}
