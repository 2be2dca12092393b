/**
 * The keyspace's table: every key with its value as one record in a
 * {@link ByteArena}, indexed by a chained hash table in an `Int32Array`.
 *
 * Why not a `Map<string, Value>`: there every key and string value is a
 * JS string (16-byte header each) and the entry ~40 bytes more, all traced
 * by the collector and capped by V8's old space. Here a key with a 16-byte
 * string value is one 48-byte record plus 4 to 8 bytes of bucket, outside
 * the JS heap (see lib/arena.ts).
 *
 * A record is four int32 words, then the key's bytes, then the value's:
 * `[next in chain][hash][key length][value]`, where the value word is the
 * string value's byte length (≥ 0), or `~index` (< 0) of a collection in
 * a JS array beside the arena (sorted sets, lists… stay objects). The hash
 * is stored so a resize relinks records without reading keys, and a lookup
 * compares keys only when the hashes agree.
 *
 * Keys and values cross the API as one-byte strings (one char per byte,
 * lib/bytes.ts), as everywhere in Kache: keys are hashed and compared from
 * `charCodeAt` without a copy; a string value is materialized on read.
 *
 * The bucket count is a power of two and SCAN's cursors walk it in
 * reverse-binary order, so SCAN keeps Redis's guarantees (the reasoning is
 * in lib/scan_index.ts, which does the same for collections' members).
 * Load factor 1 as Redis's dict; shrinking below an eighth full.
 *
 * Resizing is incremental, as Redis's dict rehashes: relinking every record
 * at once reads each one (a cache miss apiece), which stalled every client
 * for 0.1 s at 1M keys and 0.5 s at 4M. Instead a resize allocates the new
 * bucket array and each lookup moves a couple of old buckets' chains into
 * it. Meanwhile a key's bucket is in the new array when its old bucket was
 * already moved (`hash & oldMask < #moved`), else in the old one, so a
 * lookup still reads one chain; SCAN visits both, as `dictScan` does.
 * A bucket holds its first record's address + 1 (a slot is at least two
 * units, so no record starts at the arena's last unit and this fits an
 * int32), 0 when empty: a new array is ready as allocated (zeroed pages the
 * system maps as they are first written) instead of a fill that touched
 * 32 MB at once for 8M buckets.
 *
 * @module
 */
import { ByteArena, NO_ADDRESS } from "./arena.ts";
import { bytesToString, writeString } from "./bytes.ts";
import type { CollectionValue, Value } from "./keyspace.ts";
import type { ViewReply } from "./reply.ts";
import {
  COLLECTION_SLOT_BYTES,
  KEY_BUCKET_BYTES,
  keyEntryBytes,
  RECORD_HEADER_BYTES,
} from "./memory.ts";
import { cursorBits, hashKey, nextReverseCursor, type ScanStep } from "./scan_index.ts";

/** Buckets a table starts with and never shrinks below. */
const MIN_BUCKETS = 8;
/** Old buckets with records a rehash step moves (Redis moves one per step). */
const REHASH_BUCKETS_PER_STEP = 2;
/** Empty old buckets a rehash step may pass over, so a step stays short in a sparse table. */
const REHASH_EMPTY_VISITS = 20;
/** Random buckets {@link KeyTable.randomKey} tries before walking from one. */
const RANDOM_TRIES = 64;

/**
 * What {@link KeyTable.store} did: made a new key, replaced a value, or
 * found the very collection already there (edited in place).
 */
export type StoreOutcome = "created" | "replaced" | "unchanged";

/**
 * Keys with string or collection values, stored off the JS heap.
 *
 * @example Storing, reading and removing
 * ```ts
 * import { KeyTable } from "./key_table.ts";
 * import assert from "node:assert/strict";
 *
 * const table = new KeyTable();
 * assert.equal(table.store("greeting", "hello"), "created");
 * assert.equal(table.get("greeting"), "hello");
 * assert.equal(table.delete("greeting"), true);
 * assert.equal(table.get("greeting"), undefined);
 * ```
 */
export class KeyTable {
  readonly #arena = new ByteArena();
  /** Per bucket: its chain's first record's address + 1, or 0 (see the module notes). */
  #buckets: Int32Array = new Int32Array(MIN_BUCKETS);
  /** While resizing: the new bucket array that {@link KeyTable.#rehashStep} fills. */
  #target: Int32Array | undefined;
  /** While resizing: old buckets below this index were moved into #target. */
  #moved = 0;
  #size = 0;
  /**
   * What the last {@link KeyTable.find} saw besides the record: the key's
   * hash and the record before it in its chain. Typed, so storing an int32
   * hash boxes no number on each lookup.
   */
  readonly #found = new Int32Array(2);
  /** {@link KeyTable.prefetch}'s scratch: per key its hash, then its chain's head. */
  #prefetchHashes = new Int32Array(64);
  #prefetchHeads = new Int32Array(64);
  /**
   * What prefetch read, kept so the compiler cannot drop the reads: they
   * exist only to bring records into the cache.
   */
  #prefetchSink = 0;
  /** The collections records point at; a hole is a free index (listed in #freeObjects). */
  #objects: (CollectionValue | undefined)[] = [];
  #freeObjects: number[] = [];
  /**
   * The collection the last {@link KeyTable.store} replaced or the last
   * {@link KeyTable.delete} removed, else undefined: the caller's memory
   * total needs it, and a string value replaced needs no such report.
   */
  lastCollection: CollectionValue | undefined;

  /** Keys held. */
  get size(): number {
    return this.#size;
  }

  /**
   * Bytes the table holds: live records at their slot sizes, each key's
   * bucket share and each collection's slot (see lib/memory.ts).
   */
  get byteSize(): number {
    const collections = this.#objects.length - this.#freeObjects.length;
    return this.#arena.usedBytes + this.#size * KEY_BUCKET_BYTES +
      collections * COLLECTION_SLOT_BYTES;
  }

  /** Whether a resize is under way (lookups move its remaining buckets). */
  get resizing(): boolean {
    return this.#target !== undefined;
  }

  /** Bytes of the arena's chunks, free slots included (what the process holds for records). */
  get reservedBytes(): number {
    return this.#arena.reservedBytes;
  }

  /** The bytes one key with this value takes in the table: its record's slot and a bucket's share. */
  entryBytes(key: string, value: Value): number {
    return typeof value === "string"
      ? keyEntryBytes(key, value.length)
      : keyEntryBytes(key) + COLLECTION_SLOT_BYTES;
  }

  /**
   * The record of `key`, or NO_ADDRESS. Leaves the key's hash and the record
   * before it in its chain (NO_ADDRESS for the head) in {@link KeyTable.#found}
   * for store and delete, which relink the chain.
   */
  find(key: string): number {
    if (this.#target !== undefined) this.#rehashStep();
    const hash = hashKey(key) | 0;
    const arena = this.#arena;
    let previous = NO_ADDRESS;
    let address = this.#headOf(hash);
    while (address !== NO_ADDRESS) {
      const words = arena.wordsOf(address);
      const word = arena.wordOffset(address);
      if (words[word + 1] === hash && words[word + 2] === key.length && this.#keyIs(address, key)) {
        break;
      }
      previous = address;
      address = words[word]!;
    }
    this.#found[0] = hash;
    this.#found[1] = previous;
    return address;
  }

  /**
   * Brings the buckets and records of `keys` (the first `count`) into the
   * CPU cache, so the lookups that follow do not each wait for memory.
   *
   * Why: with a table larger than the cache, a lookup's time is two or
   * three cache misses (bucket, record, the next in its chain), each
   * ~150–250 ns here, in series: under pipelining that was a quarter of
   * the server's CPU. Misses of different keys do not depend on each
   * other, so a pass that issues all the batch's bucket reads, then one
   * that issues all their records' reads, lets the processor wait for
   * them together (Redis 8 prefetches a batch's keys for the same reason).
   * Each pass is a short loop of independent loads; reading only warms
   * the cache and changes nothing.
   */
  prefetch(keys: readonly string[], count: number): void {
    if (this.#prefetchHashes.length < count) {
      this.#prefetchHashes = new Int32Array(count);
      this.#prefetchHeads = new Int32Array(count);
    }
    const hashes = this.#prefetchHashes;
    const heads = this.#prefetchHeads;
    const arena = this.#arena;
    for (let i = 0; i < count; i++) hashes[i] = hashKey(keys[i]!) | 0;
    for (let i = 0; i < count; i++) heads[i] = this.#headOf(hashes[i]!);
    let sink = 0;
    // The head's header (next, hash, key length, value word).
    for (let i = 0; i < count; i++) {
      const address = heads[i]!;
      if (address !== NO_ADDRESS) sink ^= arena.wordsOf(address)[arena.wordOffset(address) + 1]!;
    }
    // Then the head's last byte (a record can straddle two cache lines), or the next record
    // of the chain when the head holds another key.
    for (let i = 0; i < count; i++) {
      const address = heads[i]!;
      if (address === NO_ADDRESS) continue;
      const words = arena.wordsOf(address);
      const word = arena.wordOffset(address);
      if (words[word + 1] === hashes[i]) {
        const value = words[word + 3]!;
        const last = this.#valueStart(address) + (value < 0 ? 0 : value) - 1;
        sink ^= arena.bytesOf(address)[last]!;
        // A collection's object (and what its commands read first) is one miss further on.
        if (value < 0) sink ^= this.#objects[~value]!.warm();
      } else {
        const next = words[word]!;
        if (next !== NO_ADDRESS) sink ^= arena.wordsOf(next)[arena.wordOffset(next) + 1]!;
      }
    }
    this.#prefetchSink = sink;
  }

  /** The value of `key`, or undefined. */
  get(key: string): Value | undefined {
    const address = this.find(key);
    return address === NO_ADDRESS ? undefined : this.valueAt(address);
  }

  /** Whether `key` is held. */
  has(key: string): boolean {
    return this.find(key) !== NO_ADDRESS;
  }

  /** The value of the record at `address` (a string value is built from its bytes). */
  valueAt(address: number): Value {
    const arena = this.#arena;
    const words = arena.wordsOf(address);
    const word = arena.wordOffset(address);
    const value = words[word + 3]!;
    if (value < 0) return this.#objects[~value]!;
    const start = this.#valueStart(address);
    return bytesToString(arena.bytesOf(address), start, start + value);
  }

  /** The string value of the record at `address` as a view of its bytes; undefined for a collection. */
  viewAt(address: number): ViewReply | undefined {
    const arena = this.#arena;
    const words = arena.wordsOf(address);
    const word = arena.wordOffset(address);
    const value = words[word + 3]!;
    if (value < 0) return undefined;
    const start = this.#valueStart(address);
    return { kind: "view", bytes: arena.bytesOf(address), start, end: start + value };
  }

  /** The key of the record at `address`. */
  keyAt(address: number): string {
    const arena = this.#arena;
    const start = arena.byteOffset(address) + RECORD_HEADER_BYTES;
    const length = arena.wordsOf(address)[arena.wordOffset(address) + 2]!;
    return bytesToString(arena.bytesOf(address), start, start + length);
  }

  /**
   * Stores `value` at `key`; returns what it did (see {@link StoreOutcome}). Sets
   * {@link KeyTable.lastCollection} to the collection replaced, if any.
   * A value of the same slot size is written over the old one in place.
   */
  store(key: string, value: Value): StoreOutcome {
    const arena = this.#arena;
    const address = this.find(key);
    const hash = this.#found[0]!;
    const previous = this.#found[1]!;
    const isString = typeof value === "string";
    const recordBytes = RECORD_HEADER_BYTES + key.length + (isString ? value.length : 0);
    this.lastCollection = undefined;
    if (address !== NO_ADDRESS) {
      const words = arena.wordsOf(address);
      const word = arena.wordOffset(address);
      const old = words[word + 3]!;
      if (old < 0 && this.#objects[~old] === value) return "unchanged";
      const oldBytes = RECORD_HEADER_BYTES + key.length + (old < 0 ? 0 : old);
      const inPlace = ByteArena.slotBytes(oldBytes) === ByteArena.slotBytes(recordBytes);
      // Allocated before anything changes: a full arena throws with the old value intact.
      const fresh = inPlace ? address : arena.allocate(recordBytes);
      if (old < 0) {
        this.lastCollection = this.#objects[~old];
        this.#releaseObject(~old);
      }
      if (inPlace) {
        this.#writeValue(address, key.length, value);
        return "replaced";
      }
      this.#unlink(address, hash, previous);
      arena.free(address, oldBytes);
      this.#fill(fresh, key, hash, value);
      return "replaced";
    }
    this.#fill(arena.allocate(recordBytes), key, hash, value);
    this.#size++;
    // Load factor 1, as Redis's dict: chains stay a record or two long.
    if (this.#size > this.#buckets.length && this.#target === undefined) {
      this.#resize(this.#buckets.length * 2);
    }
    return "created";
  }

  /** Removes `key`; returns whether it was held. Sets {@link KeyTable.lastCollection} to a collection removed. */
  delete(key: string): boolean {
    const arena = this.#arena;
    const address = this.find(key);
    const hash = this.#found[0]!;
    const previous = this.#found[1]!;
    this.lastCollection = undefined;
    if (address === NO_ADDRESS) return false;
    const words = arena.wordsOf(address);
    const word = arena.wordOffset(address);
    const value = words[word + 3]!;
    if (value < 0) {
      this.lastCollection = this.#objects[~value];
      this.#releaseObject(~value);
    }
    this.#unlink(address, hash, previous);
    arena.free(address, RECORD_HEADER_BYTES + key.length + (value < 0 ? 0 : value));
    this.#size--;
    // Shrinking below an eighth full (Redis: a tenth) keeps a scan from crossing empty buckets.
    const buckets = this.#buckets.length;
    if (buckets > MIN_BUCKETS && this.#size * 8 < buckets && this.#target === undefined) {
      this.#resize(Math.max(MIN_BUCKETS, buckets / 4));
    }
    return true;
  }

  /**
   * One SCAN step: visits buckets from `cursor` until at least `count` keys
   * were collected (or `count * 10` buckets looked at, as Redis bounds a
   * call over a sparse table). See lib/scan_index.ts for the guarantees.
   */
  scan(cursor: number | bigint, count: number): ScanStep {
    const keys: string[] = [];
    if (this.#size === 0) return { cursor: 0, keys };
    const old = this.#buckets;
    const target = this.#target;
    let position = cursorBits(cursor);
    let budget = count * 10;
    if (target === undefined) {
      const mask = old.length - 1;
      do {
        this.#collectChain(old[position & mask]! - 1, keys);
        position = nextReverseCursor(position, mask);
      } while (position !== 0 && --budget > 0 && keys.length < count);
      return { cursor: position, keys };
    }
    // Mid-resize (Redis's dictScan with two tables): the smaller table's bucket, then every
    // bucket of the larger one that it splits into; the cursor then moves on in the smaller.
    const [small, large] = old.length < target.length ? [old, target] : [target, old];
    const smallMask = small.length - 1;
    const largeMask = large.length - 1;
    do {
      this.#collectChain(small[position & smallMask]! - 1, keys);
      do {
        this.#collectChain(large[position & largeMask]! - 1, keys);
        position = nextReverseCursor(position, largeMask);
      } while ((position & (smallMask ^ largeMask)) !== 0);
    } while (position !== 0 && --budget > 0 && keys.length < count);
    return { cursor: position, keys };
  }

  /**
   * The first record at or after `from` in address order (see
   * {@link ByteArena.nextRecord}), or NO_ADDRESS; resume from
   * {@link KeyTable.after} of it. Records never move unless their value
   * changes size, so a walk sees each key that stays unchanged exactly once.
   */
  recordFrom(from: number): number {
    return this.#arena.nextRecord(from);
  }

  /** Where a walk resumes after the record at `address`. */
  after(address: number): number {
    return this.#arena.after(address);
  }

  /** Every key with its value, in address order; follows inserts and deletes made meanwhile. */
  *entries(): IterableIterator<[string, Value]> {
    for (let address = this.recordFrom(0); address !== NO_ADDRESS;) {
      const entry: [string, Value] = [this.keyAt(address), this.valueAt(address)];
      address = this.recordFrom(this.after(address));
      yield entry;
    }
  }

  /** Every key, in address order; follows inserts and deletes made meanwhile. */
  *keys(): IterableIterator<string> {
    for (let address = this.recordFrom(0); address !== NO_ADDRESS;) {
      const key = this.keyAt(address);
      address = this.recordFrom(this.after(address));
      yield key;
    }
  }

  /**
   * A random key, or undefined when empty: a random non-empty bucket, then
   * a random record of its chain, as Redis's `dictGetRandomKey`. With at
   * least an eighth of the buckets filled, the tries seldom run out; then
   * the walk goes on from the last bucket tried.
   */
  randomKey(random: () => number): string | undefined {
    if (this.#size === 0) return undefined;
    // Mid-resize, a bucket drawn over both arrays (the old one's moved part is empty).
    const old = this.#buckets;
    const target = this.#target;
    const total = old.length + (target?.length ?? 0);
    /** The chain head of bucket `index` counted over the old array, then the new one. */
    const headAt = (index: number) =>
      (index < old.length ? old[index]! : target![index - old.length]!) - 1;
    let bucket = 0;
    for (let attempt = 0; attempt < RANDOM_TRIES; attempt++) {
      bucket = Math.floor(random() * total);
      const head = headAt(bucket);
      if (head !== NO_ADDRESS) return this.#randomOfChain(head, random);
    }
    while (headAt(bucket) === NO_ADDRESS) bucket = (bucket + 1) % total;
    return this.#randomOfChain(headAt(bucket), random);
  }

  /** Pushes the key of every record of the chain starting at `head`. */
  #collectChain(head: number, keys: string[]): void {
    const arena = this.#arena;
    for (let address = head; address !== NO_ADDRESS;) {
      keys.push(this.keyAt(address));
      address = arena.wordsOf(address)[arena.wordOffset(address)]!;
    }
  }

  #randomOfChain(head: number, random: () => number): string {
    const arena = this.#arena;
    let length = 0;
    for (let address = head; address !== NO_ADDRESS; length++) {
      address = arena.wordsOf(address)[arena.wordOffset(address)]!;
    }
    let address = head;
    for (let skip = Math.floor(random() * length); skip > 0; skip--) {
      address = arena.wordsOf(address)[arena.wordOffset(address)]!;
    }
    return this.keyAt(address);
  }

  #keyIs(address: number, key: string): boolean {
    const bytes = this.#arena.bytesOf(address);
    const start = this.#arena.byteOffset(address) + RECORD_HEADER_BYTES;
    for (let i = 0; i < key.length; i++) if (bytes[start + i] !== key.charCodeAt(i)) return false;
    return true;
  }

  /** Fills the record just allocated at `address` and links it at the head of its bucket. */
  #fill(address: number, key: string, hash: number, value: Value): void {
    const arena = this.#arena;
    const words = arena.wordsOf(address);
    const word = arena.wordOffset(address);
    const buckets = this.#bucketsOf(hash);
    const bucket = hash & (buckets.length - 1);
    words[word] = buckets[bucket]! - 1;
    words[word + 1] = hash;
    words[word + 2] = key.length;
    writeString(arena.bytesOf(address), arena.byteOffset(address) + RECORD_HEADER_BYTES, key);
    this.#writeValue(address, key.length, value);
    buckets[bucket] = address + 1;
  }

  /** Writes the value word (and a string's bytes) of the record at `address`. */
  #writeValue(address: number, keyLength: number, value: Value): void {
    const arena = this.#arena;
    const words = arena.wordsOf(address);
    const word = arena.wordOffset(address);
    if (typeof value === "string") {
      words[word + 3] = value.length;
      const start = arena.byteOffset(address) + RECORD_HEADER_BYTES + keyLength;
      writeString(arena.bytesOf(address), start, value);
      return;
    }
    const index = this.#freeObjects.length > 0 ? this.#freeObjects.pop()! : this.#objects.length;
    this.#objects[index] = value;
    words[word + 3] = ~index;
  }

  #releaseObject(index: number): void {
    this.#objects[index] = undefined;
    this.#freeObjects.push(index);
  }

  /** The first record of the chain of `hash`, or NO_ADDRESS. */
  #headOf(hash: number): number {
    const buckets = this.#bucketsOf(hash);
    return buckets[hash & (buckets.length - 1)]! - 1;
  }

  /** Where the value's bytes of the record at `address` begin: after its header and key. */
  #valueStart(address: number): number {
    const arena = this.#arena;
    const keyLength = arena.wordsOf(address)[arena.wordOffset(address) + 2]!;
    return arena.byteOffset(address) + RECORD_HEADER_BYTES + keyLength;
  }

  /** The bucket array that holds the chain of `hash` (see the module notes on resizing). */
  #bucketsOf(hash: number): Int32Array {
    const target = this.#target;
    return target !== undefined && (hash & (this.#buckets.length - 1)) < this.#moved
      ? target
      : this.#buckets;
  }

  /** Takes the record at `address` (whose chain has `previous` before it) out of its chain. */
  #unlink(address: number, hash: number, previous: number): void {
    const arena = this.#arena;
    const next = arena.wordsOf(address)[arena.wordOffset(address)]!;
    if (previous !== NO_ADDRESS) {
      arena.wordsOf(previous)[arena.wordOffset(previous)] = next;
      return;
    }
    const buckets = this.#bucketsOf(hash);
    buckets[hash & (buckets.length - 1)] = next + 1;
  }

  /** Starts moving every record into `count` buckets; lookups finish it a few buckets at a time. */
  #resize(count: number): void {
    this.#target = new Int32Array(count);
    this.#moved = 0;
  }

  /**
   * Moves the next old buckets' records into the new array by their stored
   * hashes (never reading a key), and swaps the arrays once all moved.
   */
  #rehashStep(): void {
    const arena = this.#arena;
    const old = this.#buckets;
    const target = this.#target!;
    const mask = target.length - 1;
    let moves = REHASH_BUCKETS_PER_STEP;
    let emptyVisits = REHASH_EMPTY_VISITS;
    let moved = this.#moved;
    while (moved < old.length && moves > 0) {
      let address = old[moved]! - 1;
      old[moved++] = 0;
      if (address === NO_ADDRESS) {
        if (--emptyVisits === 0) break;
        continue;
      }
      moves--;
      while (address !== NO_ADDRESS) {
        const words = arena.wordsOf(address);
        const word = arena.wordOffset(address);
        const next = words[word]!;
        const bucket = words[word + 1]! & mask;
        words[word] = target[bucket]! - 1;
        target[bucket] = address + 1;
        address = next;
      }
    }
    this.#moved = moved;
    if (moved === old.length) {
      this.#buckets = target;
      this.#target = undefined;
      this.#moved = 0;
    }
  }
}
