/**
 * Slows password guessing per user name: after `freeAttempts` failures in a row, each further attempt
 * must wait, doubling from `baseDelayMs` up to `maxDelayMs`. A success clears the count; counts
 * older than `forgetMs` are forgotten.
 */
export class SignInThrottle {
  private readonly failures = new Map<string, { count: number; lastAt: number }>();

  constructor(
    private readonly options: { freeAttempts: number; baseDelayMs: number; maxDelayMs: number; forgetMs: number } = { freeAttempts: 5, baseDelayMs: 1000, maxDelayMs: 15 * 60_000, forgetMs: 60 * 60_000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until `name` may try again (0: now). */
  waitMs(name: string): number {
    const entry = this.failures.get(name.toLowerCase());
    if (!entry) return 0;
    const at = this.now();
    if (at - entry.lastAt > this.options.forgetMs) {
      this.failures.delete(name.toLowerCase());
      return 0;
    }
    if (entry.count < this.options.freeAttempts) return 0;
    const delay = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (entry.count - this.options.freeAttempts));
    return Math.max(0, entry.lastAt + delay - at);
  }

  failed(name: string): void {
    const key = name.toLowerCase();
    const entry = this.failures.get(key);
    this.failures.set(key, { count: (entry?.count ?? 0) + 1, lastAt: this.now() });
    if (this.failures.size > 100_000) this.failures.delete(this.failures.keys().next().value!);
  }

  succeeded(name: string): void {
    this.failures.delete(name.toLowerCase());
  }
}
