import { existsSync, readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { BiConfigError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { isPasswordHash } from './password-hash.js';
import type { PortalUser } from './portal-user.js';

/** A user of the users file: who they are, and the hash their password must match. */
export interface PortalAccount extends PortalUser {
  readonly passwordHash: string;
}

export interface SessionSettings {
  /** A session unused this long ends (default 30 minutes). */
  readonly idleMs: number;
  /** A session ends this long after sign-in, however used (default 12 hours). */
  readonly absoluteMs: number;
}

/** The portal's users file (`portal.yml`), read and checked. */
export interface PortalConfig {
  readonly file: string;
  readonly accounts: ReadonlyMap<string, PortalAccount>;
  readonly session: SessionSettings;
}

export const DEFAULT_SESSION: SessionSettings = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 };
const ROLES = ['admin', 'analyst', 'viewer'] as const;
// powerbi: and tableau: are read by the embedding (src/embed/embed-config.ts).
const TOP_KEYS = ['users', 'session', 'powerbi', 'tableau'];
const USER_KEYS = ['name', 'password_hash', 'role', 'regions'];
const SESSION_KEYS = ['idle_minutes', 'absolute_hours'];

/**
 * Reads the portal's users file: YAML with `users:` (name, password_hash from `bi users hash`, role
 * admin | analyst | viewer, regions: a list, or ['*'] for all) and an optional `session:`
 * (idle_minutes, absolute_hours). A mistake is one BiConfigError at its file and line.
 *
 * @example
 * ```yaml
 * users:
 *   - {name: ana, role: analyst, regions: [Europe], password_hash: "scrypt$32768$8$1$…$…"}
 * session: {idle_minutes: 30, absolute_hours: 12}
 * ```
 */
export function loadPortalConfig(file: string, shownAs = file): PortalConfig {
  if (!existsSync(file)) {
    throw new BiConfigError('no-portal-config', `the portal's users file ${shownAs} does not exist`, {
      file: shownAs,
      hint: 'create it with users: (name, role, regions, password_hash from `bi users hash`), or pass --config; see docs/bi.md#portal',
    });
  }
  return parsePortalConfig(readFileSync(file, 'utf8'), shownAs);
}

/** parsePortalConfig without the file system: `file` names the text in messages. */
export function parsePortalConfig(text: string, file: string): PortalConfig {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const fail = (offset: number | undefined, message: string, hint: string): never => {
    const place = offset === undefined ? { line: 1, col: 1 } : lines.linePos(offset);
    throw new BiConfigError('bad-portal-config', `${file}:${place.line}:${place.col}  ${message}`, { file, line: place.line, column: place.col, hint });
  };
  const at = (node: Node | null | undefined) => node?.range?.[0];
  const yamlError = document.errors[0];
  if (yamlError) fail(yamlError.pos[0], `is not valid YAML: ${yamlError.message.split('\n')[0]}`, 'fix the YAML syntax (indentation, quotes, colons)');

  const root = document.contents;
  if (!isMap(root)) fail(at(root), 'must be a mapping with a users: list', 'start the file with `users:` and one entry per user');
  const rootMap = root as Extract<typeof root, { items: unknown }> & { items: { key: Node; value: Node | null }[] };
  const keysOf = (map: { items: { key: unknown; value: unknown }[] }, allowed: readonly string[], where: string) => {
    const values = new Map<string, Node | null>();
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!allowed.includes(key)) fail(at(pair.key as Node), `unknown key "${key}" in ${where}${didYouMean(key, allowed)}`, `valid keys are: ${allowed.join(', ')}`);
      values.set(key, pair.value as Node | null);
    }
    return values;
  };
  const top = keysOf(rootMap, TOP_KEYS, 'the users file');

  const session = { ...DEFAULT_SESSION };
  const sessionNode = top.get('session');
  if (sessionNode) {
    if (!isMap(sessionNode)) fail(at(sessionNode), 'session: must be a mapping', 'write e.g. `session: {idle_minutes: 30, absolute_hours: 12}`');
    for (const [key, value] of keysOf(sessionNode as never, SESSION_KEYS, 'session:')) {
      const n = isScalar(value) ? Number(value.value) : NaN;
      const [min, max] = key === 'idle_minutes' ? [1, 24 * 60] : [1, 24 * 30];
      if (!Number.isFinite(n) || n < min! || n > max!) fail(at(value), `session.${key} must be a number from ${min} to ${max}`, `change ${key}`);
      if (key === 'idle_minutes') session.idleMs = n * 60_000;
      else session.absoluteMs = n * 3_600_000;
    }
  }

  const usersNode = top.get('users');
  if (!usersNode || !isSeq(usersNode) || usersNode.items.length === 0) {
    fail(at(usersNode) ?? at(root), 'users: must be a list with at least one user', 'add `- {name: ana, role: analyst, regions: [Europe], password_hash: "…"}` (the hash from `bi users hash`)');
  }
  const accounts = new Map<string, PortalAccount>();
  for (const [i, item] of (usersNode as { items: Node[] }).items.entries()) {
    if (!isMap(item)) fail(at(item), `users[${i}] must be a mapping with name, role, regions and password_hash`, 'write `- {name: …, role: …, regions: […], password_hash: "…"}`');
    const fields = keysOf(item as never, USER_KEYS, `users[${i}]`);
    for (const key of USER_KEYS) if (!fields.has(key)) fail(at(item), `users[${i}] has no ${key}`, key === 'password_hash' ? 'add password_hash: with the output of `bi users hash` (it reads the password from stdin)' : `add ${key}:`);
    const text = (key: string) => {
      const node = fields.get(key);
      if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') fail(at(node) ?? at(item), `users[${i}].${key} must be a non-empty string`, `quote it: ${key}: "…"`);
      return { value: String((node as { value: unknown }).value), node: node! };
    };
    const name = text('name');
    if (accounts.has(name.value)) fail(at(name.node), `the user "${name.value}" is listed twice`, 'remove or rename one of them');
    const role = text('role');
    if (!(ROLES as readonly string[]).includes(role.value)) fail(at(role.node), `users[${i}].role is "${role.value}"${didYouMean(role.value, ROLES)}`, `a role is one of ${ROLES.join(', ')}`);
    const hash = text('password_hash');
    if (!isPasswordHash(hash.value)) fail(at(hash.node), `users[${i}].password_hash is not a hash written by \`bi users hash\``, 'run `bi users hash` (it reads the password from stdin) and paste its output, quoted');
    const regionsNode = fields.get('regions');
    const regions = isSeq(regionsNode) ? regionsNode.items.map((r) => (isScalar(r) && typeof r.value === 'string' && r.value.trim() !== '' ? r.value : null)) : isScalar(regionsNode) && regionsNode.value === '*' ? ['*'] : [null];
    if (regions.length === 0 || regions.includes(null)) fail(at(regionsNode) ?? at(item), `users[${i}].regions must be a list of region names, or ['*'] for every region`, 'write e.g. regions: [Europe, Latin America]');
    accounts.set(name.value, Object.freeze({ name: name.value, role: role.value as PortalAccount['role'], regions: Object.freeze(regions as string[]), passwordHash: hash.value }));
  }
  return { file, accounts, session };
}
