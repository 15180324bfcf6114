import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// scrypt's cost parameters (RFC 7914): N = 2^15, r = 8, p = 1 uses 32 MiB and ~50 ms per hash,
// OWASP's recommended minimum. They are written into the hash so they can be raised later.
const DEFAULT = { N: 2 ** 15, r: 8, p: 1 } as const;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** `scrypt$N$r$p$salt$hash` with salt and hash in base64url. */
const HASH_PATTERN = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]{16,})\$([A-Za-z0-9_-]{32,})$/;

function derive(password: string, salt: Buffer, params: { N: number; r: number; p: number }, keyBytes: number): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((done, fail) => scrypt(password.normalize('NFC'), salt, keyBytes, options, (error, key) => (error ? fail(error) : done(key))));
}

/**
 * A self-describing scrypt hash of `password`, for the portal's users file.
 *
 * @example
 * ```ts
 * const hash = await hashPassword('correct horse'); // 'scrypt$32768$8$1$…$…'
 * await verifyPassword('correct horse', hash); // true
 * ```
 */
export async function hashPassword(password: string, params: { N: number; r: number; p: number } = DEFAULT): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, params, KEY_BYTES);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** Whether `hash` has the shape hashPassword writes (checked when the users file is read). */
export function isPasswordHash(hash: string): boolean {
  const match = HASH_PATTERN.exec(hash);
  if (!match) return false;
  const N = Number(match[1]);
  return N >= 2 && (N & (N - 1)) === 0 && N <= 2 ** 20 && Number(match[2]) >= 1 && Number(match[3]) >= 1;
}

/** Whether `password` matches `hash`, compared in constant time. A malformed hash never matches. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (!isPasswordHash(hash)) return false;
  const [, N, r, p, salt, expected] = HASH_PATTERN.exec(hash)!;
  const want = Buffer.from(expected!, 'base64url');
  const key = await derive(password, Buffer.from(salt!, 'base64url'), { N: Number(N), r: Number(r), p: Number(p) }, want.length);
  return key.length === want.length && timingSafeEqual(key, want);
}
