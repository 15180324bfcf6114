import { MlInputError } from '../errors.js';

/** What a column of an interactions source can hold. `user` and `item` are required. */
export const ROLES = ['user', 'item', 'rating', 'timestamp', 'seconds', 'completion'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Which column is which: by header name (`user=userId,item=movieId`), or by position for a file
 * without a header (`user,item,rating,timestamp`; `-` skips a field).
 */
export type ColumnMapping =
  | { readonly kind: 'names'; readonly names: Readonly<Partial<Record<Role, string>>> }
  | { readonly kind: 'positions'; readonly roles: readonly (Role | null)[] };

/** Where interactions come from. */
export type InteractionSource =
  /** `marts.fct_views` (real views) and `marts.fct_ratings`, by show (a series and its episodes are one item) or by title. */
  | { readonly kind: 'marts'; readonly level: 'show' | 'title'; readonly schema: string }
  | { readonly kind: 'table'; readonly table: string; readonly columns?: ColumnMapping }
  | {
      readonly kind: 'csv';
      readonly file: string;
      readonly columns?: ColumnMapping;
      /** A single character, `tab`, or `::` (MovieLens 1M); sniffed from the first line when absent. */
      readonly delimiter?: string;
      /** Whether the first line names the columns; guessed when absent. */
      readonly header?: boolean;
    };

/** The MovieLens `u.data` layout, assumed for a file without header and without --columns. */
export const DEFAULT_POSITIONS: readonly Role[] = ['user', 'item', 'rating', 'timestamp'];

/** Column names recognised without a mapping (compared lower-case, without `_`, `-` and spaces). */
const ALIASES: Readonly<Record<Role, readonly string[]>> = {
  user: ['user', 'userid', 'users', 'memberid', 'customerid', 'viewerid', 'visitorid', 'uid'],
  item: ['item', 'itemid', 'movieid', 'contentid', 'showid', 'titleid', 'productid', 'trackid', 'songid', 'bookid', 'isbn', 'iid'],
  rating: ['rating', 'ratings', 'stars', 'score', 'preference'],
  timestamp: ['timestamp', 'time', 'ts', 'datetime', 'date', 'ratedat', 'startedat', 'watchedat', 'createdat', 'eventtime'],
  seconds: ['seconds', 'secondswatched', 'watchseconds', 'watchtime', 'playtime'],
  completion: ['completion', 'completionrate', 'progress'],
};

const normalise = (name: string) => name.toLowerCase().replace(/[\s_-]/g, '');

/**
 * Parses `--columns`: `user,item,rating,timestamp` (positions; `-` skips a field) or
 * `user=userId,item=movieId,rating=rating` (header names). `time` is accepted for `timestamp`.
 */
export function parseColumnMapping(text: string): ColumnMapping {
  const parts = text.split(',').map((p) => p.trim());
  const role = (word: string): Role => {
    const w = word.toLowerCase() === 'time' ? 'timestamp' : word.toLowerCase();
    if ((ROLES as readonly string[]).includes(w)) return w as Role;
    throw new MlInputError('bad-columns', `--columns names "${word}", which is not one of ${ROLES.join(', ')}`, { hint: 'write --columns user,item,rating,timestamp (by position) or --columns user=userId,item=movieId (by header name)' });
  };
  if (parts.some((p) => p.includes('='))) {
    const names: Partial<Record<Role, string>> = {};
    for (const part of parts) {
      const [key, value] = part.split('=', 2).map((s) => s.trim());
      if (!key || !value) throw new MlInputError('bad-columns', `--columns part "${part}" is not role=column`, { hint: 'write --columns user=userId,item=movieId,rating=rating,timestamp=timestamp' });
      names[role(key)] = value;
    }
    return { kind: 'names', names };
  }
  const roles = parts.map((p) => (p === '-' || p === '' ? null : role(p)));
  const seen = new Set<Role>();
  for (const r of roles) {
    if (r && seen.has(r)) throw new MlInputError('bad-columns', `--columns names ${r} twice`, { hint: 'name each of user, item, rating, timestamp at most once; `-` skips a field' });
    if (r) seen.add(r);
  }
  return { kind: 'positions', roles };
}

/** The role each header column plays, from the aliases (first match wins), for sources with a header and no mapping. */
export function guessRoles(header: readonly string[]): Partial<Record<Role, string>> {
  const out: Partial<Record<Role, string>> = {};
  for (const r of ROLES) {
    const match = header.find((h) => ALIASES[r].includes(normalise(h)) && !Object.values(out).includes(h));
    if (match !== undefined) out[r] = match;
  }
  return out;
}

/** Whether a line looks like a header: one of its fields is a column name we know, or one the mapping names. */
export function looksLikeHeader(fields: readonly string[], mapping?: ColumnMapping): boolean {
  if (mapping?.kind === 'names') return true;
  const known = new Set(Object.values(ALIASES).flat());
  return fields.some((f) => known.has(normalise(f)));
}

/** `marts.fct_views + marts.fct_ratings (by show)`, `ratings.csv`: for messages and the model card. */
export function describeInteractionSource(source: InteractionSource): string {
  switch (source.kind) {
    case 'marts':
      return `${source.schema}.fct_views + ${source.schema}.fct_ratings (by ${source.level})`;
    case 'table':
      return source.table;
    case 'csv':
      return source.file;
  }
}

/** A mapping written back as `--columns` takes it. */
export function formatColumnMapping(mapping: ColumnMapping): string {
  return mapping.kind === 'names'
    ? Object.entries(mapping.names)
        .map(([r, c]) => `${r}=${c}`)
        .join(',')
    : mapping.roles.map((r) => r ?? '-').join(',');
}
