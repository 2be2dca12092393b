/**
 * The keyspace: every key with its value, plus the TTL heap.
 *
 * Values are stored directly in one `Map` (a string value is the one-byte
 * string itself, a sorted set is its {@link SortedSet}), so a key without a TTL
 * costs one map entry and nothing more; deadlines live only in the
 * {@link TtlHeap}, as Redis keeps its separate `expires` dict.
 *
 * SCAN walks a second table of the keys ({@link ScanIndex}), whose
 * positions survive inserts and deletes as a `Map`'s do not, so SCAN
 * cursors are plain numbers as in Redis. It costs ~22 bytes per key and,
 * only when a key is created or removed, one hash of it.
 *
 * Time is injected: the dispatcher sets {@link Keyspace.now} once per command
 * (Redis's `commandTimeSnapshot`), so a command never sees a key half-expire.
 * Every read checks the deadline first (lazy expiry); {@link Keyspace.expireDue}
 * removes due keys in bounded batches for the active timer. A key is gone at
 * its deadline (Redis keeps it for that one millisecond, showing PTTL 0).
 *
 * Every write keeps a running estimate of the data's heap size
 * ({@link Keyspace.usedMemory}, INFO's `used_memory`; see lib/memory.ts): a
 * few additions per write and no per-key field, so it is always on. The
 * eviction policies (lib/eviction.ts) pick their victims through the cursors
 * below; a server without maxmemory never calls them.
 *
 * While a background snapshot runs, every change point calls
 * {@link Keyspace.snapshotHook} first (copy-on-write without a copy: the
 * snapshot writes out the old value before it goes); otherwise the hook is
 * unset and costs one check.
 *
 * One keyspace is one database (SELECT's index, {@link Keyspace.index}); a
 * server's databases share one {@link KeyspaceShared}: the command clock,
 * the change counter and the statistics are the server's, as in Redis, so
 * the dispatcher sets "now" once whichever database a command touches.
 * SWAPDB swaps contents ({@link Keyspace.swapContents}), never indexes, so
 * whatever is keyed by a keyspace (SCAN cursors, blocked clients, WATCH)
 * stays with its database number as Redis keeps it.
 *
 * @module
 */
import type { CollectionClass, TypeName } from "./collection.ts";
import { CommandError, WRONGTYPE } from "./errors.ts";
import { HASH_ENTRY_BYTES, keyEntryBytes, stringBytes, TTL_ENTRY_BYTES } from "./memory.ts";
import { ScanIndex, type ScanStep } from "./scan_index.ts";
import { TtlHeap } from "./ttl_heap.ts";
import type { Hash } from "./hash.ts";
import type { MemberSet } from "./member_set.ts";
import type { List } from "./list.ts";
import type { Stream } from "./stream.ts";
import type { SortedSet } from "./zset.ts";

export type { TypeName } from "./collection.ts";

/**
 * The value kinds that are not strings; each implements lib/collection.ts's
 * `Collection`. A closed union (not the interface) so code that writes or
 * copies values narrows to the exact kind.
 */
export type CollectionValue = SortedSet | List | Hash | MemberSet | Stream;

/** A string value is the one-byte string itself. */
export type Value = string | CollectionValue;

/**
 * Told about changes the server must react to (WATCH, AOF, notifications).
 * Each call names the database (`keyspace.index`) the change happened in.
 */
export interface KeyspaceObserver {
  /** A key's value or TTL changed, or the key was removed by a command. */
  modified(key: string, keyspace: Keyspace): void;
  /** A key reached its deadline and was removed (lazily or by the active sweep). */
  expired(key: string, keyspace: Keyspace): void;
  /**
   * Every key was dropped at once (FLUSHALL/FLUSHDB), or (SWAPDB) the
   * database's contents were exchanged with those of `swappedWith`.
   */
  flushed(keyspace: Keyspace, swappedWith?: Keyspace): void;
  /** A key that did not exist was stored; called only while {@link Keyspace.reportNewKeys} is set. */
  created?(key: string, keyspace: Keyspace): void;
  /** A key was removed to free memory: the eviction code calls this after deleting it. */
  evicted?(key: string, keyspace: Keyspace): void;
}

/**
 * What a server's databases share: the command clock, the change counter,
 * the statistics and who is told about changes (see the module comment).
 */
export class KeyspaceShared {
  /** "Now" in Unix milliseconds for the command being run; set by the dispatcher. */
  now = 0;
  /** Changes since the last save, as Redis's `server.dirty`. */
  dirty = 0;
  /** Keys removed by expiry since start, for INFO's `expired_keys`. */
  expiredCount = 0;
  /** Keys removed to stay within maxmemory since start, for INFO's `evicted_keys`. */
  evictedCount = 0;
  observer: KeyspaceObserver | undefined;
  /**
   * What a passed deadline does, as Redis's `expireIfNeeded` decides by role:
   * "delete" on a master (the key is removed, lazily or by the sweep, and
   * reported); on a replica "hide" for its own clients (the key reads as
   * missing but stays, since only the master's DEL removes it) and "keep"
   * while the master's stream runs (the master decides what exists).
   */
  expiry: "delete" | "hide" | "keep" = "delete";
  /** Tell the observer about new keys (`new` notifications); off, a store costs no extra lookup. */
  reportNewKeys = false;
}

/**
 * The clients blocked on keys of one keyspace (lib/blocking.ts): told about
 * every store of a key while anyone waits, so BLPOP and friends wake when
 * their key gets a value (Redis's `signalKeyAsReady` from `dbAdd`).
 */
export interface KeyspaceWaits {
  /** `key` was just given a value (new, replaced or edited in place). */
  stored(key: string): void;
  /** The stream at `key` was removed (deleted, expired, evicted). */
  removed(key: string): void;
}

/**
 * Told just before data changes while a snapshot is being written
 * (server/snapshot.ts), so the snapshot can take the old value first and
 * stay one point in time without copying the keyspace or pausing.
 */
export interface KeyspaceSnapshotHook {
  /**
   * `key` is about to be stored, removed, expired, evicted or given another
   * TTL; or, being a sorted set, is being handed out, since the caller may
   * edit it in place. Called while the old value and TTL are still in place.
   */
  beforeChange(key: string): void;
  /**
   * Every key is about to be dropped at once (FLUSHALL/FLUSHDB); the
   * keyspace unsets its hook right after.
   */
  beforeFlush(): void;
}

/**
 * The data as it stands when a snapshot starts. It stays bound to the
 * maps of that moment, so after a flush (which swaps in new ones) it still
 * reads the old data, which nothing changes any more.
 */
export interface KeyspaceSnapshotSource {
  /** Keys held and not expired at the time of the call. */
  readonly size: number;
  /** Of those, the keys with a TTL. */
  readonly expiresCount: number;
  /** Every key with its value, expired ones included; follows later inserts and deletes. */
  entries(): IterableIterator<[string, Value]>;
  /** The value without an expiry check. */
  value(key: string): Value | undefined;
  /** The deadline without an expiry check. */
  expiry(key: string): number | undefined;
}

/** TTLs INFO's `avg_ttl` reads exactly; above, it samples this many. */
const AVG_TTL_SAMPLES = 1000;

export function typeOf(value: Value): TypeName {
  return typeof value === "string" ? "string" : value.typeName;
}

export class Keyspace {
  /** The database number (SELECT's index); fixed for the keyspace's life. */
  readonly index: number;
  /** What every database of the server shares (see {@link KeyspaceShared}). */
  readonly shared: KeyspaceShared;
  /** Set only while a snapshot is being written; otherwise every change pays one check. */
  snapshotHook: KeyspaceSnapshotHook | undefined;
  /**
   * Per-key state of an LFU eviction policy (a packed number, see
   * lib/eviction.ts), present only while one is active. A key's entry goes
   * when the key goes, so the map never outgrows the keyspace.
   */
  accessCounters: Map<string, number> | undefined;
  /** Set only while a client blocks on a key here (BLPOP …); otherwise a store pays one check. */
  waits: KeyspaceWaits | undefined;

  #values = new Map<string, Value>();
  #ttl = new TtlHeap();
  /** Every key again, in a table SCAN's stateless cursors can walk (lib/scan_index.ts). */
  #scanIndex = new ScanIndex();
  /** Running estimate of the data's heap bytes, LFU counters aside (see {@link Keyspace.usedMemory}). */
  #usedBytes = 0;
  /** Where {@link Keyspace.nextKey} resumes; a `Map` iterator survives inserts and deletes. */
  #keyCursor: Iterator<string> | undefined;
  /** Where {@link Keyspace.nextVolatileKey} resumes in the TTL heap. */
  #volatileCursor: Iterator<[string, number]> | undefined;

  /** A standalone keyspace (tests, tools) gets its own shared state; a server passes one. */
  constructor(index = 0, shared = new KeyspaceShared()) {
    this.index = index;
    this.shared = shared;
  }

  /** "Now" in Unix milliseconds for the command being run (shared by every database). */
  get now(): number {
    return this.shared.now;
  }

  set now(milliseconds: number) {
    this.shared.now = milliseconds;
  }

  /** Changes since the last save in every database, as Redis's `server.dirty`. */
  get dirty(): number {
    return this.shared.dirty;
  }

  set dirty(changes: number) {
    this.shared.dirty = changes;
  }

  /** Keys removed by expiry since start, in every database (INFO's `expired_keys`). */
  get expiredCount(): number {
    return this.shared.expiredCount;
  }

  set expiredCount(count: number) {
    this.shared.expiredCount = count;
  }

  /** Keys evicted since start, in every database (INFO's `evicted_keys`). */
  get evictedCount(): number {
    return this.shared.evictedCount;
  }

  set evictedCount(count: number) {
    this.shared.evictedCount = count;
  }

  /** Told about every change, in every database sharing {@link Keyspace.shared}. */
  get observer(): KeyspaceObserver | undefined {
    return this.shared.observer;
  }

  set observer(observer: KeyspaceObserver | undefined) {
    this.shared.observer = observer;
  }

  /** Whether the observer hears of new keys (shared by every database). */
  get reportNewKeys(): boolean {
    return this.shared.reportNewKeys;
  }

  set reportNewKeys(on: boolean) {
    this.shared.reportNewKeys = on;
  }

  /** Keys held, including expired keys not yet swept (as Redis's DBSIZE). */
  get size(): number {
    return this.#values.size;
  }

  /** Keys with a TTL. */
  get expiresCount(): number {
    return this.#ttl.size;
  }

  /** Keys whose TTL has passed but which neither an access nor the sweep has removed yet. */
  dueCount(now: number): number {
    return this.#ttl.countDue(now);
  }

  /**
   * Estimated heap bytes of the data: keys, values, TTLs and LFU counters
   * (see lib/memory.ts). A running total, so reading it is O(1).
   */
  get usedMemory(): number {
    const counters = this.accessCounters;
    return this.#usedBytes + (counters === undefined ? 0 : counters.size * HASH_ENTRY_BYTES);
  }

  /** The live value of `key`, or undefined (an expired key is removed on the spot). */
  get(key: string): Value | undefined {
    const value = this.#values.get(key);
    if (value === undefined) return undefined;
    // Checking the heap only when TTLs exist keeps TTL-free workloads at one map lookup.
    if (this.#ttl.size !== 0 && this.#expireIfDue(key)) return undefined;
    // A collection handed out may be edited in place: a snapshot in progress takes it first.
    if (this.snapshotHook !== undefined && typeof value !== "string") {
      this.snapshotHook.beforeChange(key);
    }
    return value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Whether `key` holds a value whose deadline has not passed, without expiring or reporting anything. */
  holds(key: string): boolean {
    return this.#values.has(key) && !this.#isDue(key);
  }

  /** Whether `key` is still held though its deadline has passed (not yet removed). */
  holdsExpired(key: string): boolean {
    return this.#values.has(key) && this.#isDue(key);
  }

  /** The string at `key`; throws WRONGTYPE for another type. */
  getString(key: string): string | undefined {
    const value = this.get(key);
    if (value === undefined || typeof value === "string") return value;
    throw new CommandError(WRONGTYPE);
  }

  /**
   * The collection at `key` if it is a `type` (e.g. `SortedSet`); throws
   * WRONGTYPE for another type. Edit it in place, then keep the change with
   * {@link Keyspace.storeCollection}.
   */
  getCollection<T extends CollectionValue>(key: string, type: CollectionClass<T>): T | undefined {
    const value = this.get(key);
    if (value === undefined || value instanceof type) return value;
    throw new CommandError(WRONGTYPE);
  }

  /** Stores `value`; drops any TTL unless `keepTtl` (as Redis's SET vs SET KEEPTTL). */
  set(key: string, value: Value, keepTtl = false): void {
    this.snapshotHook?.beforeChange(key);
    const shared = this.shared;
    const created = shared.reportNewKeys && this.get(key) === undefined;
    if (this.#ttl.size !== 0) {
      // An expired key is gone (as Redis's lookupKeyWrite): KEEPTTL must not revive its deadline.
      if (keepTtl) this.#expireIfDue(key);
      else if (this.#ttl.delete(key)) this.#usedBytes -= TTL_ENTRY_BYTES;
    }
    const previous = this.#values.get(key);
    this.#values.set(key, value);
    this.#account(key, previous, value);
    if (created) shared.observer?.created?.(key, this);
    this.modified(key);
    this.waits?.stored(key);
  }

  /**
   * Stores a collection that was filled in place, deleting the key if it
   * ended up empty (except a stream, which outlives its entries as in Redis).
   */
  storeCollection(key: string, collection: CollectionValue): void {
    this.snapshotHook?.beforeChange(key);
    if (collection.size === 0 && collection.typeName !== "stream") {
      this.delete(key);
      return;
    }
    const previous = this.#values.get(key);
    if (previous !== collection) {
      this.#values.set(key, collection);
      if (previous === undefined && this.shared.reportNewKeys) {
        this.shared.observer?.created?.(key, this);
      }
    }
    this.#account(key, previous, collection);
    this.modified(key);
    this.waits?.stored(key);
  }

  /** Removes a key; returns whether it existed (and had not expired). */
  delete(key: string): boolean {
    const value = this.get(key);
    if (value === undefined) return false;
    this.snapshotHook?.beforeChange(key);
    this.#values.delete(key);
    this.#forget(key, value);
    this.modified(key);
    return true;
  }

  /**
   * Brings the memory total up to date for a collection edited in place by
   * a command Redis does not count as changing the key (XREADGROUP, XACK and
   * XCLAIM change a stream's groups): no WATCH, no notification, no dirty count.
   */
  resized(key: string): void {
    const value = this.#values.get(key);
    if (value === undefined || typeof value === "string") return;
    this.#usedBytes += value.takeByteDelta();
  }

  /** Records a change made in place (a sorted set edited by a command). */
  modified(key: string): void {
    const shared = this.shared;
    shared.dirty++;
    shared.observer?.modified(key, this);
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
    // A replica sets the master's deadline even if its own clock says it passed (checkAlreadyExpired).
    if (deadline <= this.shared.now && this.shared.expiry === "delete") {
      this.delete(key);
      return;
    }
    this.snapshotHook?.beforeChange(key);
    const count = this.#ttl.size;
    this.#ttl.set(key, deadline);
    if (this.#ttl.size !== count) this.#usedBytes += TTL_ENTRY_BYTES;
    this.modified(key);
  }

  /** Removes a key's TTL; returns whether it had one. */
  persist(key: string): boolean {
    if (this.get(key) === undefined || !this.#ttl.has(key)) return false;
    this.snapshotHook?.beforeChange(key);
    this.#ttl.delete(key);
    this.#usedBytes -= TTL_ENTRY_BYTES;
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
    if (this.shared.expiry !== "delete") return 0;
    while (removed < limit) {
      const deadline = this.#ttl.peekDeadline();
      if (deadline === undefined || deadline > this.shared.now) break;
      this.snapshotHook?.beforeChange(this.#ttl.peekKey()!);
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

  /**
   * One SCAN step from `cursor`: at least `count` keys when that many remain,
   * expired ones included (the caller checks each with {@link Keyspace.get}).
   * Every key present for a whole iteration is returned at least once.
   */
  scan(cursor: number | bigint, count: number): ScanStep {
    return this.#scanIndex.scan(cursor, count);
  }

  /** Raw iteration for snapshots: keys with values, expired ones included. */
  rawEntries(): IterableIterator<[string, Value]> {
    return this.#values.entries();
  }

  /** The deadline without an expiry check, for snapshots. */
  rawExpiry(key: string): number | undefined {
    return this.#ttl.get(key);
  }

  /** The data as it stands now, for a snapshot (see {@link KeyspaceSnapshotSource}). */
  snapshotSource(): KeyspaceSnapshotSource {
    const values = this.#values;
    const ttl = this.#ttl;
    return {
      size: values.size,
      expiresCount: ttl.size,
      entries: () => values.entries(),
      value: (key) => values.get(key),
      expiry: (key) => ttl.get(key),
    };
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
    this.snapshotHook?.beforeFlush();
    const changed = this.#values.size;
    this.#values = new Map();
    this.#ttl = new TtlHeap();
    this.#scanIndex = new ScanIndex();
    this.#usedBytes = 0;
    this.#keyCursor = undefined;
    this.#volatileCursor = undefined;
    if (this.accessCounters !== undefined) this.accessCounters = new Map();
    this.snapshotHook = undefined;
    this.shared.dirty += changed;
    this.shared.observer?.flushed(this);
  }

  /**
   * SWAPDB: exchanges every key, TTL and counter with `other` in O(1),
   * keeping both indexes. A snapshot being written follows its data: each
   * hook moves with the maps it reads, so writes to them still reach it.
   */
  swapContents(other: Keyspace): void {
    if (other === this) return;
    const values = this.#values;
    this.#values = other.#values;
    other.#values = values;
    const ttl = this.#ttl;
    this.#ttl = other.#ttl;
    other.#ttl = ttl;
    const used = this.#usedBytes;
    this.#usedBytes = other.#usedBytes;
    other.#usedBytes = used;
    const counters = this.accessCounters;
    this.accessCounters = other.accessCounters;
    other.accessCounters = counters;
    const hook = this.snapshotHook;
    this.snapshotHook = other.snapshotHook;
    other.snapshotHook = hook;
    this.rewindCursors();
    other.rewindCursors();
    this.shared.observer?.flushed(this, other);
    this.shared.observer?.flushed(other, this);
  }

  /**
   * The mean time to live in ms of the keys with a TTL (INFO keyspace's
   * `avg_ttl`), 0 when none has one. Exact up to {@link AVG_TTL_SAMPLES}
   * keys; beyond, an estimate from that many random heap slots (any slot
   * holds a uniformly chosen key), as Redis's own figure is a sampled one.
   */
  averageTtl(random: () => number): number {
    const count = this.#ttl.size;
    if (count === 0) return 0;
    const now = this.shared.now;
    let sum = 0;
    let live = 0;
    const samples = Math.min(count, AVG_TTL_SAMPLES);
    for (let i = 0; i < samples; i++) {
      const slot = count <= AVG_TTL_SAMPLES ? i : Math.floor(random() * count);
      const remaining = this.#ttl.deadlineAt(slot)! - now;
      if (remaining <= 0) continue;
      sum += remaining;
      live++;
    }
    return live === 0 ? 0 : Math.round(sum / live);
  }

  /**
   * The next key of an endless walk in key order (front first), or undefined
   * when there are none. The walk resumes where it stopped: a fresh iterator
   * would skip, one by one, every hole that evictions left at the table's
   * front, making a run of evictions quadratic.
   */
  nextKey(): string | undefined {
    let next = this.#keyCursor?.next();
    if (next === undefined || next.done) {
      this.#keyCursor = this.#values.keys();
      next = this.#keyCursor.next();
    }
    return next.done ? undefined : next.value;
  }

  /** Restarts both walks from the front (a new eviction policy starts afresh). */
  rewindCursors(): void {
    this.#keyCursor = undefined;
    this.#volatileCursor = undefined;
  }

  /** Like {@link Keyspace.nextKey}, over the keys with a TTL in heap order. */
  nextVolatileKey(): string | undefined {
    let next = this.#volatileCursor?.next();
    if (next === undefined || next.done) {
      this.#volatileCursor = this.#ttl.entries();
      next = this.#volatileCursor.next();
    }
    return next.done ? undefined : next.value[0];
  }

  /** The key with the nearest deadline, for volatile-ttl eviction. */
  soonestExpiringKey(): string | undefined {
    return this.#ttl.peekKey();
  }

  /** Whether `key` has a deadline (no expiry check). */
  hasExpiry(key: string): boolean {
    return this.#ttl.has(key);
  }

  /**
   * Removes `key` to free memory; returns whether it was there. Counted in
   * {@link Keyspace.evictedCount} and reported as `evicted` (WATCH takes it as
   * a change, as Redis's `signalModifiedKey` on eviction).
   */
  evict(key: string): boolean {
    const value = this.#values.get(key);
    if (value === undefined) return false;
    this.snapshotHook?.beforeChange(key);
    this.#values.delete(key);
    this.#forget(key, value);
    const shared = this.shared;
    shared.evictedCount++;
    shared.dirty++;
    shared.observer?.evicted?.(key, this);
    return true;
  }

  /** Brings the running total up to date after storing `value` over `previous` (undefined: new key). */
  #account(key: string, previous: Value | undefined, value: Value): void {
    if (previous === undefined) this.#scanIndex.add(key);
    // Read first: `previous` may be `value` itself, a sorted set edited in place.
    const before = previous === undefined ? -keyEntryBytes(key) : countedBytes(previous);
    this.#usedBytes += settledBytes(value) - before;
  }

  /** Takes a key just removed from the map out of the total, the TTL heap and the LFU counters. */
  #forget(key: string, value: Value): void {
    this.#scanIndex.delete(key);
    this.#usedBytes -= keyEntryBytes(key) + countedBytes(value);
    if (this.#ttl.delete(key)) this.#usedBytes -= TTL_ENTRY_BYTES;
    this.accessCounters?.delete(key);
    // XREADGROUP waiters end when their stream goes (Redis's signalDeletedKeyAsReady).
    if (this.waits !== undefined && typeof value !== "string" && value.typeName === "stream") {
      this.waits.removed(key);
    }
  }

  #isDue(key: string): boolean {
    const deadline = this.#ttl.get(key);
    return deadline !== undefined && deadline <= this.shared.now && this.shared.expiry !== "keep";
  }

  #expireIfDue(key: string): boolean {
    if (!this.#isDue(key)) return false;
    if (this.shared.expiry === "hide") return true;
    this.snapshotHook?.beforeChange(key);
    this.#ttl.delete(key);
    this.#removeExpired(key);
    return true;
  }

  /** Removes a key whose deadline the caller has just taken off the heap. */
  #removeExpired(key: string): void {
    const value = this.#values.get(key);
    this.#values.delete(key);
    this.#usedBytes -= TTL_ENTRY_BYTES;
    if (value !== undefined) this.#forget(key, value);
    const shared = this.shared;
    shared.expiredCount++;
    shared.dirty++;
    shared.observer?.expired(key, this);
  }
}

/** What the running total holds for a stored value (a sorted set's last reported estimate). */
function countedBytes(value: Value): number {
  return typeof value === "string" ? stringBytes(value.length) : value.reportedBytes;
}

/** A value's current estimate, which the running total takes on as the value is stored. */
function settledBytes(value: Value): number {
  if (typeof value === "string") return stringBytes(value.length);
  value.takeByteDelta();
  return value.reportedBytes;
}
