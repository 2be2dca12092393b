/**
 * The keyspace: every key with its value, plus the TTL heap.
 *
 * Keys and values live in one {@link KeyTable} (lib/key_table.ts): each key
 * with its string value is one record of bytes in an arena outside V8's
 * heap, so a key without a TTL costs its record and a bucket slot (~56
 * bytes with a 16-byte key and value) and nothing the collector traces;
 * a collection (sorted set, list…) stays an object the record points at.
 * The API still speaks one-byte strings: a string value is built from its
 * bytes when read. Deadlines live only in the {@link TtlHeap}, as Redis
 * keeps its separate `expires` dict.
 *
 * SCAN walks the table's buckets in reverse-binary order, so its cursors
 * are plain numbers with Redis's guarantees.
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
import { NO_ADDRESS } from "./arena.ts";
import { KeyTable } from "./key_table.ts";
import { HASH_ENTRY_BYTES, stringBytes, TTL_ENTRY_BYTES } from "./memory.ts";
import type { ScanStep } from "./scan_index.ts";
import type { ViewReply } from "./reply.ts";
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
  /**
   * Held in a typed array: a millisecond time does not fit a small integer,
   * and V8 boxes such a number in a new 16-byte heap object on each store
   * to a field (every command sets "now").
   */
  readonly #now = new Float64Array(1);
  /** "Now" in Unix milliseconds for the command being run; set by the dispatcher. */
  get now(): number {
    return this.#now[0]!;
  }

  set now(milliseconds: number) {
    this.#now[0] = milliseconds;
  }
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
 * table and TTL heap of that moment, so after a flush (which swaps in new ones) it still
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

/**
 * Per-key state of an LFU eviction policy (a packed number, see
 * lib/eviction.ts). The keys are JS strings of their own (the keyspace
 * holds its keys as bytes), so the running size counts their bytes too.
 */
export class AccessCounters {
  readonly #counters = new Map<string, number>();
  #keyBytes = 0;

  /** Keys with a counter. */
  get size(): number {
    return this.#counters.size;
  }

  /** Heap bytes: a map entry and the key's string per counter. */
  get byteSize(): number {
    return this.#counters.size * HASH_ENTRY_BYTES + this.#keyBytes;
  }

  get(key: string): number | undefined {
    return this.#counters.get(key);
  }

  has(key: string): boolean {
    return this.#counters.has(key);
  }

  set(key: string, packed: number): void {
    const counters = this.#counters;
    if (!counters.has(key)) this.#keyBytes += stringBytes(key.length);
    counters.set(key, packed);
  }

  delete(key: string): void {
    if (this.#counters.delete(key)) this.#keyBytes -= stringBytes(key.length);
  }
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
  accessCounters: AccessCounters | undefined;
  /** Set only while a client blocks on a key here (BLPOP …); otherwise a store pays one check. */
  waits: KeyspaceWaits | undefined;

  #table = new KeyTable();
  #ttl = new TtlHeap();
  /**
   * Running estimate of the collections' and TTLs' heap bytes (the table
   * counts its own; see {@link Keyspace.usedMemory}).
   */
  #usedBytes = 0;
  /**
   * The last lookup: its key, "now" at the time and the record found (or
   * NO_ADDRESS). Any change to the data forgets it ({@link Keyspace.modified}
   * and every removal).
   */
  #lastKey: string | undefined;
  /** A typed array, not a field, for the reason given at {@link KeyspaceShared.now}. */
  readonly #lastNow = new Float64Array(1);
  #lastAddress = NO_ADDRESS;
  /** {@link Keyspace.prefetch}'s scratch list of keys, reused from batch to batch. */
  readonly #prefetchKeys: string[] = [];
  /** The table address {@link Keyspace.nextKey} resumes from (records never move while unchanged). */
  #keyCursor = 0;
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
    return this.#table.size;
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
   * Bytes of the data: the table's records and buckets, and the estimated
   * heap bytes of collections, TTLs and LFU counters (see lib/memory.ts).
   * Running totals, so reading it is O(1).
   */
  get usedMemory(): number {
    const counters = this.accessCounters;
    return this.#table.byteSize + this.#usedBytes + (counters?.byteSize ?? 0);
  }

  /**
   * Bytes of the arena chunks that hold the keys and string values, free
   * slots included: what the process holds for them outside V8's heap.
   */
  get arenaBytes(): number {
    return this.#table.reservedBytes;
  }

  /**
   * What `key` with `value` adds to {@link Keyspace.usedMemory} (MEMORY
   * USAGE): its record and bucket share, a collection's estimate, a TTL.
   */
  entryBytes(key: string, value: Value): number {
    return this.#table.entryBytes(key, value) +
      (typeof value === "string" ? 0 : value.reportedBytes) +
      (this.#ttl.has(key) ? TTL_ENTRY_BYTES : 0);
  }

  /**
   * Warms the CPU cache for the key of each of a pipelined batch's requests
   * (its second argument, where nearly every command names its first key)
   * before they run one by one; see {@link KeyTable.prefetch}. Reads only.
   */
  prefetch(requests: readonly (readonly string[])[]): void {
    const keys = this.#prefetchKeys;
    let count = 0;
    for (const argv of requests) if (argv.length > 1) keys[count++] = argv[1]!;
    if (count > 1) this.#table.prefetch(keys, count);
    // The batch's strings are not kept alive by the scratch array.
    keys.fill("", 0, count);
  }

  /** The record of `key`'s live value, or NO_ADDRESS (an expired key is removed on the spot). */
  #find(key: string): number {
    let address: number;
    // The same key again in the same millisecond with no change between (a read command's
    // hit/miss count, then its handler): the record is known, without a second hash lookup.
    if (key === this.#lastKey && this.shared.now === this.#lastNow[0]) {
      address = this.#lastAddress;
    } else {
      address = this.#table.find(key);
      this.#lastKey = key;
      this.#lastNow[0] = this.shared.now;
      this.#lastAddress = address;
    }
    if (address === NO_ADDRESS) return NO_ADDRESS;
    // Checking the heap only when TTLs exist keeps TTL-free workloads at one map lookup.
    if (this.#ttl.size !== 0 && this.#expireIfDue(key)) return NO_ADDRESS;
    return address;
  }

  /** The live value of `key`, or undefined (an expired key is removed on the spot). */
  get(key: string): Value | undefined {
    const address = this.#find(key);
    if (address === NO_ADDRESS) return undefined;
    const value = this.#table.valueAt(address);
    // A collection handed out may be edited in place: a snapshot in progress takes it first.
    if (this.snapshotHook !== undefined && typeof value !== "string") {
      this.snapshotHook.beforeChange(key);
    }
    return value;
  }

  /** Whether `key` holds a live value (an expired key is removed on the spot). */
  has(key: string): boolean {
    return this.#find(key) !== NO_ADDRESS;
  }

  /**
   * The string at `key` as a view of its stored bytes, valid until the next
   * change to this keyspace (see {@link ViewReply}); throws WRONGTYPE for
   * another type.
   */
  getStringView(key: string): ViewReply | undefined {
    const address = this.#find(key);
    if (address === NO_ADDRESS) return undefined;
    const view = this.#table.viewAt(address);
    if (view === undefined) throw new CommandError(WRONGTYPE);
    return view;
  }

  /** Whether `key` holds a value whose deadline has not passed, without expiring or reporting anything. */
  holds(key: string): boolean {
    return this.#table.has(key) && !this.#isDue(key);
  }

  /** Whether `key` is still held though its deadline has passed (not yet removed). */
  holdsExpired(key: string): boolean {
    return this.#table.has(key) && this.#isDue(key);
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
    // An expired key is gone (as Redis's lookupKeyWrite): KEEPTTL must not revive its deadline.
    if (keepTtl && this.#ttl.size !== 0) this.#expireIfDue(key);
    // Stored first: a full arena throws before the TTL is touched.
    this.#table.store(key, value);
    if (!keepTtl && this.#ttl.size !== 0 && this.#ttl.delete(key)) {
      this.#usedBytes -= TTL_ENTRY_BYTES;
    }
    this.#lastKey = undefined;
    this.#account(this.#table.lastCollection, value);
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
    const table = this.#table;
    this.#lastKey = undefined;
    const outcome = table.store(key, collection);
    const previous = outcome === "unchanged" ? collection : table.lastCollection;
    if (outcome === "created" && this.shared.reportNewKeys) {
      this.shared.observer?.created?.(key, this);
    }
    this.#account(previous, collection);
    this.modified(key);
    this.waits?.stored(key);
  }

  /** Removes a key; returns whether it existed (and had not expired). */
  delete(key: string): boolean {
    // As get() decides, without building the string value it would return.
    if (!this.#table.has(key) || (this.#ttl.size !== 0 && this.#expireIfDue(key))) return false;
    this.snapshotHook?.beforeChange(key);
    this.#table.delete(key);
    this.#forget(key, this.#table.lastCollection);
    this.modified(key);
    return true;
  }

  /**
   * Brings the memory total up to date for a collection edited in place by
   * a command Redis does not count as changing the key (XREADGROUP, XACK and
   * XCLAIM change a stream's groups): no WATCH, no notification, no dirty count.
   */
  resized(key: string): void {
    const value = this.#table.get(key);
    if (value === undefined || typeof value === "string") return;
    this.#usedBytes += value.takeByteDelta();
  }

  /** Records a change made in place (a sorted set edited by a command). */
  modified(key: string): void {
    this.#lastKey = undefined;
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

  /** Every live key, in the table's address order; safe against changes during iteration. */
  *keys(): IterableIterator<string> {
    for (const key of this.#table.keys()) {
      if (this.#ttl.size === 0 || !this.#isDue(key)) yield key;
    }
  }

  /**
   * One SCAN step from `cursor`: at least `count` keys when that many remain,
   * expired ones included (the caller checks each with {@link Keyspace.get}).
   * Every key present for a whole iteration is returned at least once.
   */
  scan(cursor: number | bigint, count: number): ScanStep {
    return this.#table.scan(cursor, count);
  }

  /** Raw iteration for snapshots: keys with values, expired ones included. */
  rawEntries(): IterableIterator<[string, Value]> {
    return this.#table.entries();
  }

  /** The deadline without an expiry check, for snapshots. */
  rawExpiry(key: string): number | undefined {
    return this.#ttl.get(key);
  }

  /** The data as it stands now, for a snapshot (see {@link KeyspaceSnapshotSource}). */
  snapshotSource(): KeyspaceSnapshotSource {
    const table = this.#table;
    const ttl = this.#ttl;
    return {
      size: table.size,
      expiresCount: ttl.size,
      entries: () => table.entries(),
      value: (key) => table.get(key),
      expiry: (key) => ttl.get(key),
    };
  }

  /** A uniformly random live key, or undefined when empty. `random` yields [0, 1). */
  randomKey(random: () => number): string | undefined {
    // An expired key drawn is removed by get(); a bounded retry keeps a mostly-expired table cheap.
    for (let attempt = 0; attempt < 16 && this.#table.size > 0; attempt++) {
      const key = this.#table.randomKey(random)!;
      if (this.get(key) !== undefined) return key;
    }
    for (const key of this.keys()) return key;
    return undefined;
  }

  /**
   * Drops every key in O(1): the old table (its arena chunks with it) and
   * heap become garbage for V8 to free; a snapshot source still reads them.
   */
  flush(): void {
    this.snapshotHook?.beforeFlush();
    const changed = this.#table.size;
    this.#table = new KeyTable();
    this.#lastKey = undefined;
    this.#ttl = new TtlHeap();
    this.#usedBytes = 0;
    this.#keyCursor = 0;
    this.#volatileCursor = undefined;
    if (this.accessCounters !== undefined) this.accessCounters = new AccessCounters();
    this.snapshotHook = undefined;
    this.shared.dirty += changed;
    this.shared.observer?.flushed(this);
  }

  /**
   * SWAPDB: exchanges every key, TTL and counter with `other` in O(1),
   * keeping both indexes. A snapshot being written follows its data: each
   * hook moves with the table it reads, so writes to it still reach it.
   */
  swapContents(other: Keyspace): void {
    if (other === this) return;
    const table = this.#table;
    this.#table = other.#table;
    other.#table = table;
    this.#lastKey = other.#lastKey = undefined;
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
   * The next key of an endless walk in the table's address order (front
   * first), or undefined when there are none. The walk resumes where it
   * stopped: a fresh walk would skip, one by one, every hole that evictions
   * left at the table's front, making a run of evictions quadratic.
   */
  nextKey(): string | undefined {
    const table = this.#table;
    let address = table.recordFrom(this.#keyCursor);
    if (address === NO_ADDRESS) address = table.recordFrom(0);
    if (address === NO_ADDRESS) return undefined;
    this.#keyCursor = table.after(address);
    return table.keyAt(address);
  }

  /** Restarts both walks from the front (a new eviction policy starts afresh). */
  rewindCursors(): void {
    this.#keyCursor = 0;
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
    if (!this.#table.has(key)) return false;
    this.snapshotHook?.beforeChange(key);
    this.#table.delete(key);
    this.#forget(key, this.#table.lastCollection);
    const shared = this.shared;
    shared.evictedCount++;
    shared.dirty++;
    shared.observer?.evicted?.(key, this);
    return true;
  }

  /**
   * Brings the collections' total up to date after storing `value` over
   * `previous`, the collection it replaced (none: a new key or a string,
   * which the table counts itself).
   */
  #account(previous: CollectionValue | undefined, value: Value): void {
    // Read first: `previous` may be `value` itself, a sorted set edited in place.
    const before = previous === undefined ? 0 : previous.reportedBytes;
    this.#usedBytes += (typeof value === "string" ? 0 : settledBytes(value)) - before;
  }

  /**
   * Takes a key just removed from the table out of the totals, the TTL heap
   * and the LFU counters; `collection` is its value if not a string.
   */
  #forget(key: string, collection: CollectionValue | undefined): void {
    this.#lastKey = undefined;
    if (collection !== undefined) this.#usedBytes -= collection.reportedBytes;
    if (this.#ttl.delete(key)) this.#usedBytes -= TTL_ENTRY_BYTES;
    this.accessCounters?.delete(key);
    // XREADGROUP waiters end when their stream goes (Redis's signalDeletedKeyAsReady).
    if (this.waits !== undefined && collection?.typeName === "stream") this.waits.removed(key);
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
    const held = this.#table.delete(key);
    this.#lastKey = undefined;
    this.#usedBytes -= TTL_ENTRY_BYTES;
    if (held) this.#forget(key, this.#table.lastCollection);
    const shared = this.shared;
    shared.expiredCount++;
    shared.dirty++;
    shared.observer?.expired(key, this);
  }
}

/** A collection's current estimate, which the running total takes on as it is stored. */
function settledBytes(value: CollectionValue): number {
  value.takeByteDelta();
  return value.reportedBytes;
}
