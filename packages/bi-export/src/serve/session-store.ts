import { randomBytes } from 'node:crypto';
import type { PortalUser } from './portal-user.js';
import type { SessionSettings } from './portal-config.js';

export interface Session {
  readonly id: string;
  readonly user: PortalUser;
  readonly createdAt: number;
  lastSeenAt: number;
}

/**
 * Sessions held by the server, never in the cookie: the cookie carries only a random 32-byte id.
 * A session ends when unused for `idleMs`, `absoluteMs` after sign-in, or on sign-out.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly settings: SessionSettings,
    private readonly now: () => number = Date.now,
  ) {}

  create(user: PortalUser): Session {
    this.sweep();
    const id = randomBytes(32).toString('base64url');
    const at = this.now();
    const session: Session = { id, user, createdAt: at, lastSeenAt: at };
    this.sessions.set(id, session);
    return session;
  }

  /** The live session with this id (its idle clock restarted), or undefined. */
  touch(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const session = this.sessions.get(id);
    if (!session) return undefined;
    const at = this.now();
    if (at - session.lastSeenAt > this.settings.idleMs || at - session.createdAt > this.settings.absoluteMs) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastSeenAt = at;
    return session;
  }

  /** When the session ends if unused from now on: its idle timeout or its absolute lifetime, whichever comes first. */
  endsAt(session: Session): number {
    return Math.min(session.lastSeenAt + this.settings.idleMs, session.createdAt + this.settings.absoluteMs);
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const at = this.now();
    for (const [id, s] of this.sessions) if (at - s.lastSeenAt > this.settings.idleMs || at - s.createdAt > this.settings.absoluteMs) this.sessions.delete(id);
  }
}
