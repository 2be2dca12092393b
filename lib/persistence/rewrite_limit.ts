/**
 * Redis 7's `aofRewriteLimited`: after three automatic AOF rewrites in a
 * row have failed (a full disk, say), the next automatic one waits a
 * minute, then two, four, … up to an hour, instead of starting again on
 * every cron tick. A success resets it. BGREWRITEAOF by a user is never
 * limited. The clock is passed in.
 *
 * @module
 */

/** Consecutive failures before the limit starts (Redis's AOF_REWRITE_LIMITE_THRESHOLD). */
const THRESHOLD = 3;
/** The longest wait, in minutes (AOF_REWRITE_LIMITE_MAX_MINUTES). */
const MAX_DELAY_MINUTES = 60;

/**
 * Counts consecutive rewrite failures and says when an automatic rewrite
 * may start.
 *
 * @example Three failures, then a minute's wait
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const limit = new RewriteLimit();
 * for (let i = 0; i < 3; i++) limit.failed();
 * strictEqual(limit.limited(0), 1); // a wait of 1 minute begins
 * strictEqual(limit.limited(59_999), -1); // still waiting
 * strictEqual(limit.limited(60_000), 0); // may start
 * ```
 */
export class RewriteLimit {
  /** INFO aof_rewrites_consecutive_failures. */
  consecutiveFailures = 0;
  #delayMinutes = 0;
  /** Unix ms before which automatic rewrites wait; 0 when no wait is running. */
  #nextRewriteAt = 0;

  failed(): void {
    this.consecutiveFailures++;
  }

  succeeded(): void {
    this.consecutiveFailures = 0;
  }

  /**
   * 0 when an automatic rewrite may start at `now` (Unix ms); -1 while a
   * wait runs; or the minutes of a wait that begins now (for the log): a
   * wait begins, doubling the last one, on the first call that finds the
   * limit reached, as Redis's does.
   */
  limited(now: number): number {
    if (this.consecutiveFailures < THRESHOLD) {
      this.#delayMinutes = 0;
      this.#nextRewriteAt = 0;
      return 0;
    }
    if (this.#nextRewriteAt !== 0) {
      if (now < this.#nextRewriteAt) return -1;
      this.#nextRewriteAt = 0;
      return 0;
    }
    this.#delayMinutes = this.#delayMinutes === 0
      ? 1
      : Math.min(this.#delayMinutes * 2, MAX_DELAY_MINUTES);
    this.#nextRewriteAt = now + this.#delayMinutes * 60_000;
    return this.#delayMinutes;
  }
}
