import { describe, expect, it } from 'vitest';
import { BiConfigError } from '../errors.js';
import { DEFAULT_SESSION, parsePortalConfig } from './portal-config.js';

const HASH = 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA$BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

function failure(text: string): string {
  try {
    parsePortalConfig(text, '.reel/portal.yml');
  } catch (error) {
    expect(error).toBeInstanceOf(BiConfigError);
    const e = error as BiConfigError;
    return `${e.message}\n    fix: ${e.hint}`;
  }
  throw new Error('no error');
}

describe('the users file', () => {
  it('reads users, roles, region scopes and session lifetimes', () => {
    const config = parsePortalConfig(`users:\n  - {name: ana, role: analyst, regions: [Europe, Latin America], password_hash: "${HASH}"}\n  - name: root\n    role: admin\n    regions: ['*']\n    password_hash: "${HASH}"\nsession: {idle_minutes: 10, absolute_hours: 2}\n`, 'portal.yml');
    expect([...config.accounts.values()].map(({ name, role, regions }) => ({ name, role, regions }))).toEqual([
      { name: 'ana', role: 'analyst', regions: ['Europe', 'Latin America'] },
      { name: 'root', role: 'admin', regions: ['*'] },
    ]);
    expect(config.session).toEqual({ idleMs: 600_000, absoluteMs: 7_200_000 });
    expect(parsePortalConfig(`users:\n  - {name: a, role: viewer, regions: "*", password_hash: "${HASH}"}\n`, 'p.yml').session).toEqual(DEFAULT_SESSION);
  });

  it('says where each mistake is and how to fix it', () => {
    expect(failure(`users:\n  - {name: ana, role: admn, regions: [Europe], password_hash: "${HASH}"}\n`)).toBe(
      '.reel/portal.yml:2:23  users[0].role is "admn" (did you mean "admin"?)\n    fix: a role is one of admin, analyst, viewer',
    );
    expect(failure(`users:\n  - name: ana\n    role: viewer\n    regions: [Europe]\n    pasword_hash: x\n`)).toBe(
      '.reel/portal.yml:5:5  unknown key "pasword_hash" in users[0] (did you mean "password_hash"?)\n    fix: valid keys are: name, password_hash, role, regions',
    );
    expect(failure(`users:\n  - name: ana\n    role: viewer\n    regions: [Europe]\n    password_hash: hunter2\n`)).toBe(
      '.reel/portal.yml:5:20  users[0].password_hash is not a hash written by `bi users hash`\n    fix: run `bi users hash` (it reads the password from stdin) and paste its output, quoted',
    );
    expect(failure(`users:\n  - name: ana\n    role: viewer\n    password_hash: "${HASH}"\n`)).toBe(
      '.reel/portal.yml:2:5  users[0] has no regions\n    fix: add regions:',
    );
    expect(failure(`users:\n  - {name: ana, role: viewer, regions: [], password_hash: "${HASH}"}\n`)).toBe(
      ".reel/portal.yml:2:40  users[0].regions must be a list of region names, or ['*'] for every region\n    fix: write e.g. regions: [Europe, Latin America]",
    );
    expect(failure(`users:\n  - {name: ana, role: viewer, regions: [Europe], password_hash: "${HASH}"}\n  - {name: ana, role: admin, regions: ['*'], password_hash: "${HASH}"}\n`)).toBe(
      '.reel/portal.yml:3:12  the user "ana" is listed twice\n    fix: remove or rename one of them',
    );
    expect(failure('users:\n  - {name: ana\n')).toMatch(/^\.reel\/portal\.yml:\d+:\d+ {2}is not valid YAML: .+\n {4}fix: fix the YAML syntax/);
    expect(failure('session: {idle_minutes: 0}\nusers: []\n')).toBe('.reel/portal.yml:1:25  session.idle_minutes must be a number from 1 to 1440\n    fix: change idle_minutes');
    expect(failure('user: []\n')).toBe('.reel/portal.yml:1:1  unknown key "user" in the users file (did you mean "users"?)\n    fix: valid keys are: users, session, powerbi, tableau');
  });
});
