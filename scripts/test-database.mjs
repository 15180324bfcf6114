// Vitest global setup: tests use DATABASE_URL (CI: the machine's PostgreSQL). When it is unset and no
// server answers on 127.0.0.1:5432, start the embedded PostgreSQL so a fresh machine still runs every test.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function answers(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

export default async function setup() {
  if (process.env.DATABASE_URL) return undefined;
  if (await answers(DEFAULT_URL)) {
    process.env.DATABASE_URL = DEFAULT_URL;
    return undefined;
  }
  const { acquireEmbeddedServer } = await import('@reel/modeler');
  const dir = join(tmpdir(), 'reel-test-server');
  mkdirSync(dir, { recursive: true });
  const lease = await acquireEmbeddedServer(dir);
  process.env.DATABASE_URL = lease.url;
  process.stdout.write(`No PostgreSQL on 127.0.0.1:5432 and no DATABASE_URL: tests use an embedded server.\n`);
  return () => lease.release();
}
