/**
 * WATCH bookkeeping: which sessions watch which keys of which database, and
 * marking them when a watched key changes so their next EXEC aborts (Redis's
 * per-database `watched_keys` dict and `touchWatchedKey`).
 *
 * The registry is the keyspace's observer, so every change path (commands,
 * lazy and active expiry, eviction, FLUSHALL, SWAPDB) reaches it without the
 * command families knowing WATCH exists. A change to a key nobody watches
 * costs one map lookup, and nothing at all while no session watches anything.
 * Watches belong to a database number, not to its data: after SWAPDB a
 * session still watches the same index, as in Redis.
 *
 * @module
 */
import type { Keyspace, KeyspaceObserver } from "./keyspace.ts";
import type { Session } from "./session.ts";

/**
 * What a session knew of a watched key, which decides whether a flush or
 * swap of its database counts as a change (Redis's `watchedKey.expired`).
 */
const enum Seen {
  /** Absent when watched (and unchanged since, or the session is marked already). */
  Absent,
  /** Holding a value when watched. */
  Present,
  /** Present but past its deadline since a SWAPDB brought it: its expiry is no change. */
  Expired,
}

/** key → the sessions watching it, each with what it saw. */
type KeyWatchers = Map<string, Map<Session, Seen>>;

export class WatchRegistry implements KeyspaceObserver {
  /**
   * database index → its watched keys. Per session, whether the key existed
   * when it was watched: FLUSHDB marks a session only for keys that exist,
   * as Redis's `touchAllWatchedKeysInDb` does, and a key created since then
   * has marked the session already.
   */
  readonly #byDatabase = new Map<number, KeyWatchers>();
  #keyCount = 0;

  /** Keys watched by at least one session, over all databases (INFO's `watched_keys`). */
  get keyCount(): number {
    return this.#keyCount;
  }

  /**
   * Starts watching `key` of database `db` for `session`. `exists` says
   * whether the key holds a live value now; it only matters to FLUSHDB and
   * SWAPDB, and the default (true) errs towards aborting.
   */
  watch(session: Session, db: number, key: string, exists = true): void {
    let sessionKeys = session.watched.get(db);
    if (sessionKeys === undefined) {
      sessionKeys = new Set();
      session.watched.set(db, sessionKeys);
    } else if (sessionKeys.has(key)) {
      return;
    }
    sessionKeys.add(key);
    let keys = this.#byDatabase.get(db);
    if (keys === undefined) {
      keys = new Map();
      this.#byDatabase.set(db, keys);
    }
    let watchers = keys.get(key);
    if (watchers === undefined) {
      watchers = new Map();
      keys.set(key, watchers);
      this.#keyCount++;
    }
    watchers.set(session, exists ? Seen.Present : Seen.Absent);
  }

  /** Forgets every key `session` watches (EXEC, DISCARD, UNWATCH, RESET, disconnect). */
  unwatch(session: Session): void {
    for (const [db, sessionKeys] of session.watched) {
      const keys = this.#byDatabase.get(db);
      if (keys === undefined) continue;
      for (const key of sessionKeys) {
        const watchers = keys.get(key);
        if (watchers === undefined) continue;
        watchers.delete(session);
        if (watchers.size > 0) continue;
        keys.delete(key);
        this.#keyCount--;
      }
      if (keys.size === 0) this.#byDatabase.delete(db);
    }
    session.watched.clear();
    session.watchTouched = false;
  }

  modified(key: string, keyspace: Keyspace): void {
    this.#touch(key, keyspace, false);
  }

  expired(key: string, keyspace: Keyspace): void {
    this.#touch(key, keyspace, true);
  }

  /** An evicted key counts as changed, as Redis's `signalModifiedKey` on eviction. */
  evicted(key: string, keyspace: Keyspace): void {
    this.#touch(key, keyspace, false);
  }

  /**
   * FLUSHDB marks watchers of keys that existed; SWAPDB (`swappedWith`: the
   * keyspace now holds the other database's data) also those of keys the
   * incoming data holds live, as Redis 7.0's `touchAllWatchedKeysInDb`. A
   * key arriving already past its deadline is no change, nor is its expiry.
   */
  flushed(keyspace: Keyspace, swappedWith?: Keyspace): void {
    const keys = this.#byDatabase.get(keyspace.index);
    if (keys === undefined) return;
    for (const [key, watchers] of keys) {
      const arrivingLive = swappedWith !== undefined && keyspace.holds(key);
      const arrivingExpired = swappedWith !== undefined && !arrivingLive &&
        keyspace.holdsExpired(key);
      for (const [session, seen] of watchers) {
        if (seen === Seen.Present || arrivingLive) {
          session.watchTouched = true;
        } else if (seen === Seen.Expired) {
          if (!arrivingExpired) watchers.set(session, Seen.Absent);
        } else if (arrivingExpired) {
          watchers.set(session, Seen.Expired);
        }
      }
    }
  }

  #touch(key: string, keyspace: Keyspace, expired: boolean): void {
    // Most writes happen with nothing watched: skip the lookups entirely.
    if (this.#keyCount === 0) return;
    const watchers = this.#byDatabase.get(keyspace.index)?.get(key);
    if (watchers === undefined) return;
    for (const [session, seen] of watchers) {
      if (expired && seen === Seen.Expired) watchers.set(session, Seen.Absent);
      else session.watchTouched = true;
    }
  }
}
