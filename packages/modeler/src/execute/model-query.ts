import type { Session } from './session.js';

/** A database error, with the offset into the model's own SQL when PostgreSQL gave a position in it. */
export interface LocatedDatabaseError extends Error {
  code?: string;
  position?: string;
  detail?: string;
  hint?: string;
  where?: string;
  reelOffset?: number;
}

/** Runs `prefix + sql + suffix`, remembering where the model's SQL starts so errors map back to it. */
export async function runModelQuery(session: Session, prefix: string, sql: string, suffix = '', values?: unknown[]) {
  try {
    return await session.query(prefix + sql + suffix, values);
  } catch (error) {
    const located = error as LocatedDatabaseError;
    const position = located.position ? Number(located.position) - 1 - prefix.length : undefined;
    if (position !== undefined && position >= 0 && position < sql.length) located.reelOffset = position;
    throw located;
  }
}
