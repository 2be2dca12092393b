/**
 * WATCH bookkeeping: which sessions watch which keys, and marking them when a
 * watched key changes so their next EXEC aborts (Redis's `watched_keys` dict
 * and `touchWatchedKey`).
 *
 * The registry is the keyspace's observer, so every change path (commands,
 * lazy and active expiry, eviction, FLUSHALL) reaches it without the command families
 * knowing WATCH exists. A change to a key nobody watches costs one map
 * lookup, and nothing at all while no session watches anything.
 *
 * @module
 */
import type { KeyspaceObserver } from "./keyspace.ts";
import type { Session } from "./session.ts";

export class WatchRegistry implements KeyspaceObserver {
  /**
   * key → the sessions watching it, each with whether the key existed when
   * it was watched. FLUSHALL marks a session only for keys that existed, as
   * Redis does: a key absent when watched and still absent is unchanged.
   */
  readonly #watchers = new Map<string, Map<Session, boolean>>();

  /** Keys watched by at least one session (INFO's `watched_keys`; tests check nothing leaks). */
  get keyCount(): number {
    return this.#watchers.size;
  }

  /**
   * Starts watching `key` for `session`. `exists` says whether the key holds
   * a live value now; it only matters to FLUSHALL, and the default (true)
   * errs towards aborting.
   */
  watch(session: Session, key: string, exists = true): void {
    if (session.watched.has(key)) return;
    session.watched.add(key);
    let watchers = this.#watchers.get(key);
    if (watchers === undefined) {
      watchers = new Map();
      this.#watchers.set(key, watchers);
    }
    watchers.set(session, exists);
  }

  /** Forgets every key `session` watches (EXEC, DISCARD, UNWATCH, RESET, disconnect). */
  unwatch(session: Session): void {
    for (const key of session.watched) {
      const watchers = this.#watchers.get(key);
      if (watchers === undefined) continue;
      watchers.delete(session);
      if (watchers.size === 0) this.#watchers.delete(key);
    }
    session.watched.clear();
    session.watchTouched = false;
  }

  modified(key: string): void {
    this.#touch(key);
  }

  expired(key: string): void {
    this.#touch(key);
  }

  /** An evicted key counts as changed, as Redis's `signalModifiedKey` on eviction. */
  evicted(key: string): void {
    this.#touch(key);
  }

  flushed(): void {
    for (const watchers of this.#watchers.values()) {
      for (const [session, existed] of watchers) {
        if (existed) session.watchTouched = true;
      }
    }
  }

  #touch(key: string): void {
    // Most writes happen with nothing watched: skip the lookup entirely.
    if (this.#watchers.size === 0) return;
    const watchers = this.#watchers.get(key);
    if (watchers === undefined) return;
    for (const session of watchers.keys()) session.watchTouched = true;
  }
}
