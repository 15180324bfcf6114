import { describe, expect, it } from 'vitest';
import { SessionStore } from './session-store.js';
import { SignInThrottle } from './sign-in-throttle.js';

const user = { name: 'ana', role: 'viewer', regions: ['Europe'] } as const;

describe('sessions', () => {
  it('have random 32-byte ids and end after the idle time without use', () => {
    let now = 0;
    const store = new SessionStore({ idleMs: 1000, absoluteMs: 10_000 }, () => now);
    const session = store.create(user);
    expect(Buffer.from(session.id, 'base64url')).toHaveLength(32);
    expect(store.create(user).id).not.toBe(session.id);
    now = 999;
    expect(store.touch(session.id)?.user).toEqual(user);
    now = 1998; // used at 999: still within the idle time
    expect(store.touch(session.id)).toBeDefined();
    now = 2999;
    expect(store.touch(session.id)).toBeUndefined();
    expect(store.touch('not-an-id')).toBeUndefined();
  });

  it('end at the absolute lifetime however much they are used, and on sign-out', () => {
    let now = 0;
    const store = new SessionStore({ idleMs: 1000, absoluteMs: 3000 }, () => now);
    const session = store.create(user);
    for (now = 500; now <= 3000; now += 500) expect(store.touch(session.id), String(now)).toBeDefined();
    now = 3001;
    expect(store.touch(session.id)).toBeUndefined();
    const other = store.create(user);
    store.end(other.id);
    expect(store.touch(other.id)).toBeUndefined();
  });
});

describe('sign-in throttling', () => {
  it('lets a few failures pass, then makes each next attempt wait twice as long, per user', () => {
    let now = 0;
    const throttle = new SignInThrottle({ freeAttempts: 3, baseDelayMs: 1000, maxDelayMs: 4000, forgetMs: 60_000 }, () => now);
    for (let i = 0; i < 3; i++) {
      expect(throttle.waitMs('ana')).toBe(0);
      throttle.failed('ana');
    }
    expect(throttle.waitMs('ANA')).toBe(1000);
    expect(throttle.waitMs('bob')).toBe(0);
    now = 1000;
    throttle.failed('ana');
    expect(throttle.waitMs('ana')).toBe(2000);
    throttle.failed('ana');
    throttle.failed('ana');
    expect(throttle.waitMs('ana')).toBe(4000);
    throttle.succeeded('ana');
    expect(throttle.waitMs('ana')).toBe(0);
  });
});
