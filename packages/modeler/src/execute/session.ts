import type pg from 'pg';

/** One connection inside one transaction: what every materialization runs on. */
export interface Session {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
  readonly client: pg.PoolClient;
}

export async function inTransaction<T>(client: pg.PoolClient, work: (session: Session) => Promise<T>): Promise<T> {
  await client.query('begin');
  try {
    const result = await work({ client, query: (sql, values) => client.query(sql, values) });
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    throw error;
  }
}
