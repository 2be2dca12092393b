/**
 * The iteration order of redis-cli's own hash table (Redis 7.0's dict.c),
 * which `--bigkeys` and `--memkeys` print their summary in. That order is
 * not fixed: it follows the SipHash-1-2 of each type name (with redis-cli's
 * all-zero seed) and how far the table's incremental rehash has got, which
 * advances one bucket per lookup — one per key surveyed. A survey of one key
 * lists `string` first, a survey of seven lists `list` first. To print the
 * same bytes as redis-cli, {@link RedisCliDict} replays the same table:
 * sizes, buckets, chains with the newest entry first, and rehash steps.
 *
 * @module
 */

const MASK64 = (1n << 64n) - 1n;

function rotl(x: bigint, bits: bigint): bigint {
  return ((x << bits) | (x >> (64n - bits))) & MASK64;
}

/**
 * SipHash-1-2 with an all-zero key, as Redis's siphash.c computes it, of a
 * one-byte string (char code = byte).
 *
 * @example
 * ```ts
 * import { sipHash12 } from "./redis_cli_dict.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(typeof sipHash12("string"), "bigint");
 * assert.equal(sipHash12("string"), sipHash12("string"));
 * ```
 */
export function sipHash12(data: string): bigint {
  let v0 = 0x736f6d6570736575n;
  let v1 = 0x646f72616e646f6dn;
  let v2 = 0x6c7967656e657261n;
  let v3 = 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & MASK64;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK64;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK64;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK64;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const word = (start: number, length: number) => {
    let m = 0n;
    for (let i = length - 1; i >= 0; i--) m = (m << 8n) | BigInt(data.charCodeAt(start + i) & 0xff);
    return m;
  };
  const whole = data.length - (data.length % 8);
  for (let i = 0; i < whole; i += 8) {
    const m = word(i, 8);
    v3 ^= m;
    round();
    v0 ^= m;
  }
  const b = ((BigInt(data.length) << 56n) | word(whole, data.length - whole)) & MASK64;
  v3 ^= b;
  round();
  v0 ^= b;
  v2 ^= 0xffn;
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

interface Entry<V> {
  readonly key: string;
  readonly hash: bigint;
  readonly value: V;
}

/** A table's buckets; each chain lists its newest entry first, as dict.c links them. */
type Table<V> = Entry<V>[][];

/** dict.c's DICT_HT_INITIAL_SIZE. */
const INITIAL_SIZE = 4;
/** Empty buckets one rehash step may skip (dict.c: `n*10`). */
const EMPTY_VISITS = 10;

/**
 * A map from string keys that iterates as redis-cli's dict does. Only what
 * the surveys use: add a new key, find a key, and walk the values.
 *
 * @example Seven keys surveyed list `list` first, as redis-cli does
 * ```ts
 * import { RedisCliDict } from "./redis_cli_dict.ts";
 * import assert from "node:assert/strict";
 *
 * const types = new RedisCliDict<string>();
 * for (const name of ["string", "list", "set", "hash", "zset", "stream"]) types.add(name, name);
 * for (let i = 0; i < 7; i++) types.find("string");
 * assert.deepEqual([...types.values()], ["list", "hash", "string", "stream", "set", "zset"]);
 * ```
 */
export class RedisCliDict<V> {
  #tables: [Table<V>, Table<V> | undefined] = [[], undefined];
  #used: [number, number] = [0, 0];
  /** The next bucket of table 0 to move; -1 when not rehashing. */
  #rehashIndex = -1;
  /** Hashes of the keys seen: a survey looks a type name up per key, and a BigInt SipHash is slow. */
  readonly #hashes = new Map<string, bigint>();

  /** Adds a key that is not in the table yet (dictAdd). */
  add(key: string, value: V): void {
    if (this.#rehashIndex >= 0) this.#rehashStep();
    this.#expandIfNeeded();
    const which = this.#rehashIndex >= 0 ? 1 : 0;
    const table = this.#tables[which]!;
    const hash = this.#hash(key);
    table[Number(hash & BigInt(table.length - 1))]!.unshift({ key, hash, value });
    this.#used[which]++;
  }

  /** The value of `key` (dictFind), moving the rehash on one step as dictFind does. */
  find(key: string): V | undefined {
    if (this.#used[0] + this.#used[1] === 0) return undefined;
    if (this.#rehashIndex >= 0) this.#rehashStep();
    const hash = this.#hash(key);
    for (const table of this.#tables) {
      if (table === undefined) continue;
      const chain = table[Number(hash & BigInt(table.length - 1))]!;
      const entry = chain.find((candidate) => candidate.key === key);
      if (entry !== undefined) return entry.value;
    }
    return undefined;
  }

  /** The values in redis-cli's iteration order: table 0's buckets, then table 1's. */
  *values(): Generator<V> {
    for (const table of this.#tables) {
      for (const chain of table ?? []) {
        for (const entry of chain) yield entry.value;
      }
    }
  }

  #hash(key: string): bigint {
    let hash = this.#hashes.get(key);
    if (hash === undefined) {
      hash = sipHash12(key);
      this.#hashes.set(key, hash);
    }
    return hash;
  }

  #expandIfNeeded(): void {
    if (this.#rehashIndex >= 0) return;
    const size = this.#tables[0].length;
    if (size === 0) {
      this.#tables[0] = emptyTable(INITIAL_SIZE);
    } else if (this.#used[0] >= size) {
      let grown = INITIAL_SIZE;
      while (grown < this.#used[0] + 1) grown *= 2;
      this.#tables[1] = emptyTable(grown);
      this.#rehashIndex = 0;
    }
  }

  /** dictRehash(d, 1): moves one non-empty bucket of table 0, skipping at most 10 empty ones. */
  #rehashStep(): void {
    const [from, to] = this.#tables;
    if (this.#used[0] !== 0) {
      let emptyVisits = EMPTY_VISITS;
      while (from[this.#rehashIndex]!.length === 0) {
        this.#rehashIndex++;
        if (--emptyVisits === 0) return;
      }
      for (const entry of from[this.#rehashIndex]!) {
        to![Number(entry.hash & BigInt(to!.length - 1))]!.unshift(entry);
        this.#used[0]--;
        this.#used[1]++;
      }
      from[this.#rehashIndex] = [];
      this.#rehashIndex++;
    }
    if (this.#used[0] === 0) {
      this.#tables = [to!, undefined];
      this.#used = [this.#used[1], 0];
      this.#rehashIndex = -1;
    }
  }
}

function emptyTable<V>(size: number): Table<V> {
  return Array.from({ length: size }, () => []);
}
