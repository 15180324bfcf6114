/**
 * Where BI tools should connect for live queries: host, port, database and user name. Never a
 * password: Power BI and Tableau ask for it themselves (or take it from their credential stores).
 */
export interface ConnectionInfo {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username?: string;
}

/** `host:port`, the server form Power BI's PostgreSQL connector takes. */
export function serverAddress(info: ConnectionInfo): string {
  const host = info.host.includes(':') && !info.host.startsWith('[') ? `[${info.host}]` : info.host;
  return `${host}:${info.port}`;
}

/** Host, port, database and user of a postgres:// URL (the password is dropped). */
export function connectionInfoFromUrl(url: string): ConnectionInfo {
  const parsed = new URL(url);
  const host = decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, '')) || parsed.searchParams.get('host') || 'localhost';
  return {
    host,
    port: parsed.port ? Number(parsed.port) : 5432,
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres',
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
  };
}

/** Applies `--server host:port`, `--database` and `--username` given on the command line. */
export function overrideConnectionInfo(info: ConnectionInfo, overrides: { server?: string; database?: string; username?: string }): ConnectionInfo {
  let { host, port } = info;
  if (overrides.server) {
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(overrides.server);
    if (match) {
      host = match[1]!.replace(/^\[|\]$/g, '');
      if (match[2]) port = Number(match[2]);
    }
  }
  return {
    host,
    port,
    database: overrides.database ?? info.database,
    ...((overrides.username ?? info.username) !== undefined ? { username: overrides.username ?? info.username } : {}),
  };
}
