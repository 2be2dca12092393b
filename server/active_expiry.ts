/**
 * The active half of expiry: one timer sleeps until the earliest deadline in
 * the TTL heap, removes due keys in bounded batches, and yields to I/O
 * between batches, so a million keys expiring at once never freezes the
 * server. Lazy checks on access cover whatever the sweep has not reached yet.
 * It serves every database: the timer is armed for the earliest deadline of
 * any, and a batch takes due keys from each in turn.
 *
 * @module
 */
import type { Databases } from "../lib/databases.ts";

/** The longest delay setTimeout honours. */
const MAX_TIMER_DELAY = 2 ** 31 - 1;

export class ActiveExpiry {
  readonly #databases: Databases;
  /** Most keys removed per turn of the event loop (the original server used 2000). */
  batchSize: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The deadline the timer is set for; a nearer new deadline re-arms it. */
  #armedFor = Infinity;
  #stopped = false;
  /** While true (a script is running in slices), keys do not expire under it: retry later. */
  paused: (() => boolean) | undefined;
  /** Timer wake-ups so far (INFO's expire cycles, and tests). */
  sweeps = 0;
  /**
   * Sweeps that stopped at their batch limit with keys still due (INFO's
   * `expired_time_cap_reached_count`: Redis's cycle stops at a time limit, this one at a count).
   */
  capReached = 0;
  /** Told how long each sweep that removed keys took, in whole ms (LATENCY's "expire-cycle"). */
  onSweep: ((millis: number) => void) | undefined;

  constructor(databases: Databases, batchSize: number) {
    this.#databases = databases;
    this.batchSize = batchSize;
  }

  /** DEBUG SET-ACTIVE-EXPIRE: while false, keys expire only when accessed (as in Redis). */
  get enabled(): boolean {
    return this.#enabled;
  }

  set enabled(enabled: boolean) {
    this.#enabled = enabled;
    if (enabled) this.reschedule();
    else if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#armedFor = Infinity;
    }
  }

  #enabled = true;

  /** Arms the timer for the earliest deadline of any database if that is nearer than the armed one. */
  reschedule(): void {
    if (this.#stopped || !this.#enabled) return;
    const deadline = this.#databases.nextDeadline();
    if (deadline === undefined || deadline >= this.#armedFor) return;
    this.#arm(deadline, Math.max(0, deadline - Date.now()));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(deadline: number, delay: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = deadline;
    // setTimeout turns delays past 2^31-1 ms (24.8 days) into 1 ms, which would spin;
    // waking early instead just finds nothing due and re-arms.
    this.#timer = setTimeout(() => this.#sweep(), Math.min(delay, MAX_TIMER_DELAY));
  }

  #sweep(): void {
    this.sweeps++;
    this.#timer = undefined;
    this.#armedFor = Infinity;
    const databases = this.#databases;
    if (this.paused?.() === true) {
      // A running script must see the keyspace unchanged, as Redis runs no timers meanwhile.
      this.#arm(databases.nextDeadline() ?? Date.now() + 10, 10);
      return;
    }
    const now = databases.shared.now = Date.now();
    const started = performance.now();
    let removed = 0;
    for (const keyspace of databases.created()) {
      if (removed === this.batchSize) break;
      removed += keyspace.expireDue(this.batchSize - removed);
    }
    if (removed > 0) this.onSweep?.(Math.floor(performance.now() - started));
    const next = databases.nextDeadline();
    if (next === undefined) return;
    // A full batch means more may be due now: come back right after pending I/O.
    if (removed === this.batchSize && next <= now) {
      this.capReached++;
      this.#arm(next, 0);
    } else this.#arm(next, Math.max(0, next - Date.now()));
  }
}
