/**
 * The keyspace: every key with its value, plus the TTL heap.
 *
 * Values are stored directly in one `Map` (a string value is the one-byte
 * string itself, a sorted set is its {@link SortedSet}), so a key without a TTL
 * costs one map entry and nothing more; deadlines live only in the
 * {@link TtlHeap}, as Redis keeps its separate `expires` dict.
 *
 * Time is injected: the dispatcher sets {@link Keyspace.now} once per command
 * (Redis's `commandTimeSnapshot`), so a command never sees a key half-expire.
 * Every read checks the deadline first (lazy expiry); {@link Keyspace.expireDue}
 * removes due keys in bounded batches for the active timer. A key is gone at
 * its deadline (Redis keeps it for that one millisecond, showing PTTL 0).
 *
 * @module
 */
import { CommandError, WRONGTYPE } from "./errors.ts";
import { TtlHeap } from "./ttl_heap.ts";
import { SortedSet } from "./zset.ts";

export type Value = string | SortedSet;

/** Redis's TYPE names for Kache's value kinds. */
export type TypeName = "string" | "zset";

/** Told about changes the server must react to (WATCH, AOF, notifications). */
export interface KeyspaceObserver {
  /** A key's value or TTL changed, or the key was removed by a command. */
  modified(key: string): void;
  /** A key reached its deadline and was removed (lazily or by the active sweep). */
  expired(key: string): void;
  /** Every key was dropped at once (FLUSHALL/FLUSHDB). */
  flushed(): void;
}

export function typeOf(value: Value): TypeName {
  return typeof value === "string" ? "string" : "zset";
}

export class Keyspace {
  /** "Now" in Unix milliseconds for the command being run; set by the dispatcher. */
  now = 0;
  /** Changes since the last save, as Redis's `server.dirty`. */
  dirty = 0;
  /** Keys removed by expiry since start, for INFO's `expired_keys`. */
  expiredCount = 0;
  observer: KeyspaceObserver | undefined;

  #values = new Map<string, Value>();
  #ttl = new TtlHeap();

  /** Keys held, including expired keys not yet swept (as Redis's DBSIZE). */
  get size(): number {
    return this.#values.size;
  }

  /** Keys with a TTL. */
  get expiresCount(): number {
    return this.#ttl.size;
  }

  /** The live value of `key`, or undefined (an expired key is removed on the spot). */
  get(key: string): Value | undefined {
    const value = this.#values.get(key);
    if (value === undefined) return undefined;
    // Checking the heap only when TTLs exist keeps TTL-free workloads at one map lookup.
    if (this.#ttl.size !== 0 && this.#expireIfDue(key)) return undefined;
    return value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** The string at `key`; throws WRONGTYPE for another type. */
  getString(key: string): string | undefined {
    const value = this.get(key);
    if (value === undefined || typeof value === "string") return value;
    throw new CommandError(WRONGTYPE);
  }

  /** The sorted set at `key`; throws WRONGTYPE for another type. */
  getSortedSet(key: string): SortedSet | undefined {
    const value = this.get(key);
    if (value === undefined || value instanceof SortedSet) return value;
    throw new CommandError(WRONGTYPE);
  }

  /**
   * The sorted set at `key`, created empty (but not stored) when missing;
   * call {@link Keyspace.storeSortedSet} after adding to keep it.
   */
  getOrNewSortedSet(key: string): SortedSet {
    return this.getSortedSet(key) ?? new SortedSet();
  }

  /** Stores `value`; drops any TTL unless `keepTtl` (as Redis's SET vs SET KEEPTTL). */
  set(key: string, value: Value, keepTtl = false): void {
    if (this.#ttl.size !== 0) {
      // An expired key is gone (as Redis's lookupKeyWrite): KEEPTTL must not revive its deadline.
      if (keepTtl) this.#expireIfDue(key);
      else this.#ttl.delete(key);
    }
    this.#values.set(key, value);
    this.modified(key);
  }

  /** Stores a sorted set that was filled in place, deleting the key if it ended up empty. */
  storeSortedSet(key: string, zset: SortedSet): void {
    if (zset.size === 0) {
      this.delete(key);
      return;
    }
    if (this.#values.get(key) !== zset) this.#values.set(key, zset);
    this.modified(key);
  }

  /** Removes a key; returns whether it existed (and had not expired). */
  delete(key: string): boolean {
    if (this.get(key) === undefined) return false;
    this.#values.delete(key);
    this.#ttl.delete(key);
    this.modified(key);
    return true;
  }

  /** Records a change made in place (a sorted set edited by a command). */
  modified(key: string): void {
    this.dirty++;
    this.observer?.modified(key);
  }

  /** The key's absolute deadline in Unix ms, or undefined when it has none or is missing. */
  getExpiry(key: string): number | undefined {
    if (this.get(key) === undefined) return undefined;
    return this.#ttl.get(key);
  }

  /**
   * Gives an existing key a deadline. A deadline already past deletes the key
   * instead, as Redis does, and reports it as a deletion.
   */
  setExpiry(key: string, deadline: number): void {
    if (this.get(key) === undefined) return;
    if (deadline <= this.now) {
      this.delete(key);
      return;
    }
    this.#ttl.set(key, deadline);
    this.modified(key);
  }

  /** Removes a key's TTL; returns whether it had one. */
  persist(key: string): boolean {
    if (this.get(key) === undefined || !this.#ttl.delete(key)) return false;
    this.modified(key);
    return true;
  }

  /** The earliest deadline of any key, for scheduling the active sweep. */
  nextDeadline(): number | undefined {
    return this.#ttl.peekDeadline();
  }

  /**
   * Removes up to `limit` keys whose deadline is at or before `now`; returns how
   * many it removed. Bounded so a mass expiry never blocks the event loop.
   */
  expireDue(limit: number): number {
    let removed = 0;
    while (removed < limit) {
      const deadline = this.#ttl.peekDeadline();
      if (deadline === undefined || deadline > this.now) break;
      const key = this.#ttl.pop()!;
      this.#removeExpired(key);
      removed++;
    }
    return removed;
  }

  /** Every live key, in insertion order; safe against changes during iteration. */
  *keys(): IterableIterator<string> {
    for (const key of this.#values.keys()) {
      if (this.#ttl.size === 0 || !this.#isDue(key)) yield key;
    }
  }

  /** Raw iteration for snapshots and SCAN: keys with values, expired ones included. */
  rawEntries(): IterableIterator<[string, Value]> {
    return this.#values.entries();
  }

  /** The deadline without an expiry check, for snapshots. */
  rawExpiry(key: string): number | undefined {
    return this.#ttl.get(key);
  }

  /** A uniformly random live key, or undefined when empty. `random` yields [0, 1). */
  randomKey(random: () => number): string | undefined {
    // Sampling by index costs O(n) on a Map; a bounded retry keeps it rare to walk twice.
    for (let attempt = 0; attempt < 16 && this.#values.size > 0; attempt++) {
      const target = Math.floor(random() * this.#values.size);
      let index = 0;
      for (const key of this.#values.keys()) {
        if (index++ === target) {
          if (this.get(key) !== undefined) return key;
          break;
        }
      }
    }
    for (const key of this.keys()) return key;
    return undefined;
  }

  /** Drops every key in O(1): the old maps become garbage for V8 to sweep concurrently. */
  flush(): void {
    const changed = this.#values.size;
    this.#values = new Map();
    this.#ttl = new TtlHeap();
    this.dirty += changed;
    this.observer?.flushed();
  }

  #isDue(key: string): boolean {
    const deadline = this.#ttl.get(key);
    return deadline !== undefined && deadline <= this.now;
  }

  #expireIfDue(key: string): boolean {
    if (!this.#isDue(key)) return false;
    this.#ttl.delete(key);
    this.#removeExpired(key);
    return true;
  }

  #removeExpired(key: string): void {
    this.#values.delete(key);
    this.expiredCount++;
    this.dirty++;
    this.observer?.expired(key);
  }
}
