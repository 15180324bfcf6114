import { format } from 'sql-formatter';

/** Formats one statement with sql-formatter (PostgreSQL); a statement it cannot handle is kept as written. */
export function formatOne(sql: string): string {
  try {
    return format(sql, { language: 'postgresql', keywordCase: 'preserve', tabWidth: 2 });
  } catch {
    return sql;
  }
}
