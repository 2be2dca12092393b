/**
 * A hash index of a collection's keys that SCAN-style cursors walk without
 * any state on the server, as Redis's `dictScan` walks its hash table.
 *
 * Why not walk the collection's `Map`: a `Map` offers no position that
 * survives changes (its compaction renumbers entries), so a cursor into it
 * must hold a live iterator, and a table of live iterators either grows
 * without bound, pins the collections it walks, or forgets walks and then
 * misses keys. Here a cursor is only a number, so nothing is kept between
 * calls, any number of walks can run at once, and a made-up cursor costs
 * what any other does.
 *
 * How: every key sits in the bucket `hash(key) & mask` of a chained table
 * whose bucket count is a power of two, and a cursor names the next bucket
 * in *reverse-binary* order (the high bit of the bucket index increments
 * first). When the table doubles, bucket `b` splits into `b` and
 * `b + size`, both of which come after every bucket already visited in that
 * order; when it halves, the two merge into one that has not been passed
 * either. So, as Redis promises: a key present for a whole iteration is
 * returned at least once; a key may be returned twice if the table shrank
 * meanwhile; keys added or removed during the iteration may or may not be.
 * Only the cursor's low 32 bits matter (the table never has more buckets).
 *
 * Cost: 12 bytes per key (a reference to the key the collection already
 * holds, and a chain link) plus 4 per bucket, and on every insert or
 * delete one hash of the key and a walk of its bucket's short chain. Hashes
 * are not stored: a resize rehashes the keys, O(n) once per doubling or
 * halving, as the `Map`'s own rehash. The hash is seeded per process, but is
 * not a keyed cryptographic hash as Redis's SipHash is.
 *
 * Use: a collection calls {@link ScanIndex.add} for each key it gains and
 * {@link ScanIndex.delete} for each it loses, and answers a scan with
 * {@link ScanIndex.scan}. A collection that is rarely scanned may build its
 * index on the first scan ({@link ScanIndex.from}) and feed it from then on.
 *
 * @module
 */

/** Buckets a table starts with and never shrinks below. */
const MIN_BUCKETS = 8;
/** Marks the end of a chain and of the free list. */
const END = -1;
/** Seeds every index's hash: an attacker who cannot read memory cannot aim keys at a bucket. */
const SEED = (Math.random() * 2 ** 32) >>> 0;

/**
 * Hashes a string to 32 bits: FNV-1a over its chars from a per-process
 * seed, then Murmur3's finalizer so the low bits (the bucket) depend on
 * every char. One multiply per char: half the cost of Murmur3's char step.
 */
export function hashKey(key: string): number {
  let hash = SEED;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  hash ^= key.length;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** Reverses the 32 bits of `value`. */
function reverseBits(value: number): number {
  value = ((value >>> 1) & 0x55555555) | ((value & 0x55555555) << 1);
  value = ((value >>> 2) & 0x33333333) | ((value & 0x33333333) << 2);
  value = ((value >>> 4) & 0x0f0f0f0f) | ((value & 0x0f0f0f0f) << 4);
  value = ((value >>> 8) & 0x00ff00ff) | ((value & 0x00ff00ff) << 8);
  return ((value >>> 16) | (value << 16)) >>> 0;
}

/**
 * The bucket after `position` in reverse-binary order over `mask + 1`
 * buckets, or 0 once the walk is complete. The bits above the mask are set
 * so the carry of the reversed increment passes them.
 */
export function nextReverseCursor(position: number, mask: number): number {
  return reverseBits((reverseBits((position | ~mask) >>> 0) + 1) >>> 0);
}

/** The low 32 bits of a parsed cursor: all a table of at most 2^32 buckets reads. */
export function cursorBits(cursor: number | bigint): number {
  return typeof cursor === "bigint"
    ? Number(BigInt.asUintN(32, cursor))
    : cursor >= 0 && cursor < 2 ** 32
    ? cursor
    : Number(BigInt.asUintN(32, BigInt(cursor)));
}

/** One scan call's result: the next cursor (0 when the walk is done) and the keys visited. */
export interface ScanStep {
  readonly cursor: number;
  readonly keys: string[];
}

/**
 * A chained hash table of keys, walked by stateless reverse-binary cursors.
 *
 * @example Scanning while keys come and go
 * ```ts
 * import { ScanIndex } from "./scan_index.ts";
 * import assert from "node:assert/strict";
 *
 * const index = ScanIndex.from(["a", "b", "c"]);
 * const seen = new Set<string>();
 * let cursor = 0;
 * do {
 *   const step = index.scan(cursor, 1);
 *   for (const key of step.keys) seen.add(key);
 *   index.add(`new-${seen.size}`); // grows the table mid-walk
 *   cursor = step.cursor;
 * } while (cursor !== 0);
 * assert.ok(seen.has("a") && seen.has("b") && seen.has("c"));
 * ```
 */
export class ScanIndex {
  /** Per bucket: the first node of its chain, or END. */
  #heads = new Int32Array(MIN_BUCKETS).fill(END);
  /** Per node: the next node in its chain (or in the free list), or END. */
  #next = new Int32Array(MIN_BUCKETS);
  /** Per node: its key, or undefined when the node is free. */
  #keys: (string | undefined)[] = [];
  #free = END;
  /** Nodes below this were handed out at least once; the rest are fresh. */
  #used = 0;
  #size = 0;

  /** An index holding `keys`, which must be distinct. */
  static from(keys: Iterable<string>): ScanIndex {
    const index = new ScanIndex();
    for (const key of keys) index.add(key);
    return index;
  }

  /** Keys held. */
  get size(): number {
    return this.#size;
  }

  /** Heap bytes of the index beyond the keys themselves (which the collection holds). */
  get byteSize(): number {
    return this.#heads.byteLength + this.#next.byteLength + this.#next.length * 8;
  }

  /** Adds `key`, which the caller knows is not in the index. */
  add(key: string): void {
    let node = this.#free;
    if (node !== END) {
      this.#free = this.#next[node]!;
    } else {
      if (this.#used === this.#next.length) this.#growNodes();
      node = this.#used++;
    }
    this.#keys[node] = key;
    this.#size++;
    // Load factor 1, as Redis's dict: chains stay a node or two long.
    if (this.#size > this.#heads.length) {
      this.#rebuild(this.#heads.length * 2);
      return;
    }
    const bucket = hashKey(key) & (this.#heads.length - 1);
    this.#next[node] = this.#heads[bucket]!;
    this.#heads[bucket] = node;
  }

  /** Removes `key`; returns whether it was there. */
  delete(key: string): boolean {
    const bucket = hashKey(key) & (this.#heads.length - 1);
    let previous = END;
    let node = this.#heads[bucket]!;
    while (node !== END && this.#keys[node] !== key) {
      previous = node;
      node = this.#next[node]!;
    }
    if (node === END) return false;
    if (previous === END) this.#heads[bucket] = this.#next[node]!;
    else this.#next[previous] = this.#next[node]!;
    this.#keys[node] = undefined;
    this.#next[node] = this.#free;
    this.#free = node;
    this.#size--;
    // Shrinking below an eighth full (Redis: a tenth) keeps a scan from crossing empty buckets.
    if (this.#heads.length > MIN_BUCKETS && this.#size * 8 < this.#heads.length) {
      this.#rebuild(Math.max(MIN_BUCKETS, this.#heads.length / 4));
    }
    return true;
  }

  /** Drops every key. */
  clear(): void {
    this.#heads = new Int32Array(MIN_BUCKETS).fill(END);
    this.#next = new Int32Array(MIN_BUCKETS);
    this.#keys = [];
    this.#free = END;
    this.#used = 0;
    this.#size = 0;
  }

  /**
   * Visits buckets from `cursor` until at least `count` keys were collected
   * (or `count * 10` buckets were looked at, as Redis bounds a call over a
   * sparse table), and returns them with the cursor to continue from.
   * The index must not change during the call; the caller filters the keys
   * afterwards (expired, MATCH, TYPE).
   */
  scan(cursor: number | bigint, count: number): ScanStep {
    const keys: string[] = [];
    if (this.#size === 0) return { cursor: 0, keys };
    const heads = this.#heads;
    const next = this.#next;
    const mask = heads.length - 1;
    let position = cursorBits(cursor);
    let budget = count * 10;
    do {
      for (let node = heads[position & mask]!; node !== END; node = next[node]!) {
        keys.push(this.#keys[node]!);
      }
      position = nextReverseCursor(position, mask);
    } while (position !== 0 && --budget > 0 && keys.length < count);
    return { cursor: position, keys };
  }

  /** Doubles the node arrays. */
  #growNodes(): void {
    const next = new Int32Array(this.#next.length * 2);
    next.set(this.#next);
    this.#next = next;
  }

  /**
   * Rehashes every key into `buckets` buckets, packing the nodes to the front
   * and sizing the node arrays to twice the keys: O(n), once per doubling or
   * quartering, as the `Map`'s own rehash.
   */
  #rebuild(buckets: number): void {
    const keys: string[] = [];
    for (let node = 0; node < this.#used; node++) {
      const key = this.#keys[node];
      if (key !== undefined) keys.push(key);
    }
    const heads = new Int32Array(buckets).fill(END);
    const next = new Int32Array(Math.max(MIN_BUCKETS, keys.length * 2));
    const mask = buckets - 1;
    for (let node = 0; node < keys.length; node++) {
      const bucket = hashKey(keys[node]!) & mask;
      next[node] = heads[bucket]!;
      heads[bucket] = node;
    }
    this.#heads = heads;
    this.#next = next;
    this.#keys = keys;
    this.#free = END;
    this.#used = keys.length;
  }
}
