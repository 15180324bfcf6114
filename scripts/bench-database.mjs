// What the benchmarks share about the server they run on: its URL (DATABASE_URL, else the machine's
// PostgreSQL) and one-off admin statements (create and drop the benchmark's own database).
import pg from 'pg';

export const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Runs one statement on the server's admin database, on a connection of its own. */
export async function admin(sql) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
