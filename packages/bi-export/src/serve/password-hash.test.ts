import { describe, expect, it } from 'vitest';
import { hashPassword, isPasswordHash, verifyPassword } from './password-hash.js';

const cheap = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  it('writes a self-describing scrypt hash with the default cost, salted afresh each time', async () => {
    const hash = await hashPassword('correct horse battery');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await hashPassword('correct horse battery')).not.toBe(hash);
    expect(await verifyPassword('correct horse battery', hash)).toBe(true);
  });

  it('verifies with the parameters written in the hash, and refuses wrong passwords', async () => {
    const hash = await hashPassword('s3cret pass', cheap);
    expect(hash.startsWith('scrypt$1024$8$1$')).toBe(true);
    expect(await verifyPassword('s3cret pass', hash)).toBe(true);
    expect(await verifyPassword('s3cret pasS', hash)).toBe(false);
    expect(await verifyPassword('', hash)).toBe(false);
    // The same text in another Unicode normal form is the same password.
    const composed = await hashPassword('caf\u00e9-latte', cheap);
    expect(await verifyPassword('cafe\u0301-latte', composed)).toBe(true);
  });

  it('never matches a malformed hash', async () => {
    const hash = await hashPassword('pw-12345678', cheap);
    for (const bad of ['', 'pw-12345678', hash.replace('scrypt$', 'bcrypt$'), hash.replace('$1024$', '$1000$'), hash.slice(0, -20), `${hash}$x`]) {
      expect(isPasswordHash(bad), bad).toBe(false);
      expect(await verifyPassword('pw-12345678', bad), bad).toBe(false);
    }
  });
});
