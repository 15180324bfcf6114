/** A schema-qualified relation name. */
export interface Relation {
  readonly schema: string;
  readonly identifier: string;
}

/** Quotes one identifier for PostgreSQL: `a"b` → `"a""b"`. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteRelation(relation: Relation): string {
  return `${quoteIdent(relation.schema)}.${quoteIdent(relation.identifier)}`;
}

/** A SQL literal for a value: strings single-quoted with quotes doubled, numbers and booleans as is. */
export function quoteLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = String(value);
  if (text.includes('\\')) return `E'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
  return `'${text.replaceAll("'", "''")}'`;
}

export function relationKey(relation: Relation): string {
  return `${relation.schema}.${relation.identifier}`;
}
