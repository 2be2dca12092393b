/**
 * Memory-bounded caching: Redis's `maxmemory` and its eviction policies.
 * Before each command the command table asks {@link Eviction.fit} to bring
 * the keyspace's size estimate (lib/memory.ts) within `maxmemory`, evicting
 * keys by the policy; a command flagged `denyoom` is refused with
 * {@link OOM} when that fails. A server without maxmemory never calls in here.
 *
 * Decisions that shape the module:
 * - No per-key metadata where a policy does not need it. LRU is exact and
 *   free: every access moves the key to the back of the keyspace's `Map`
 *   ({@link Keyspace.markUsed}), so insertion order is recency order and the
 *   victim is simply the front key. volatile-lru walks from the front to the
 *   first key with a TTL (bounded; past the bound any key with a TTL will do).
 *   volatile-ttl takes the TTL heap's top: the nearest deadline, exactly.
 * - LFU is Redis's: an 8-bit logarithmic counter (`lfu-log-factor` 10) that
 *   loses one per idle minute (`lfu-decay-time` 1), packed with its minute
 *   stamp into one small integer in {@link Keyspace.accessCounters}: one map
 *   entry per key, kept only under an LFU policy (volatile-lfu: only for keys
 *   with a TTL). As Redis, victims are approximated by sampling
 *   `maxmemory-samples` keys per choice into a pool of the 16 best candidates
 *   kept across choices.
 * - Sampling walks a rotating cursor instead of drawing random keys: a random
 *   key of a `Map` costs O(n). The random policies skip a random number
 *   (below `maxmemory-samples`) of keys along that walk, which makes the
 *   order unrelated to use, though not independent draws.
 * - Eviction runs until the estimate is within the limit, however many keys
 *   that takes (Redis bounds each round by time and finishes in the
 *   background; lowering maxmemory a long way therefore pauses once).
 *
 * @module
 */
import type { CommandSpec } from "./commands/types.ts";
import type { Keyspace } from "./keyspace.ts";

/** Redis's `maxmemory-policy` values. */
export const EVICTION_POLICIES = [
  "noeviction",
  "allkeys-lru",
  "volatile-lru",
  "allkeys-lfu",
  "volatile-lfu",
  "allkeys-random",
  "volatile-random",
  "volatile-ttl",
] as const;

export type EvictionPolicy = (typeof EVICTION_POLICIES)[number];

/** Redis's reply to a `denyoom` command while memory cannot be brought within maxmemory. */
export const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

export interface MemoryLimits {
  /** Bytes the data may take, as the keyspace estimates them; 0 = no limit. */
  readonly maxmemory: number;
  readonly policy: EvictionPolicy;
  /** Keys looked at per choice by the sampling policies (Redis's `maxmemory-samples`). */
  readonly samples: number;
}

/** A counter's value for a key first seen (Redis's LFU_INIT_VAL), so new keys are not evicted first. */
const LFU_INIT = 5;
/** Redis's default `lfu-log-factor`: about a million hits saturate the counter at 255. */
const LFU_LOG_FACTOR = 10;
/** Redis's default `lfu-decay-time`: the counter loses one per this many idle minutes. */
const LFU_DECAY_MINUTES = 1;
/** Candidates kept between choices (Redis's EVPOOL_SIZE). */
const POOL_SIZE = 16;
/** Keys volatile-lru passes over looking for one with a TTL before taking any with a TTL. */
const LRU_WALK_LIMIT = 1000;

/**
 * Commands that look at keys without using them leave their LRU/LFU state
 * alone, as Redis's LOOKUP_NOTOUCH (and WATCH, which looks nothing up).
 */
const NO_TOUCH = new Set([
  "exists",
  "type",
  "ttl",
  "pttl",
  "expiretime",
  "pexpiretime",
  "watch",
  "memory|usage",
]);

/** What an access records: nothing, a move to the back, or an LFU counter bump. */
type Tracking = "none" | "recency" | "frequency" | "volatile-frequency";

interface Candidate {
  readonly key: string;
  readonly frequency: number;
}

/**
 * Applies the memory limit to one keyspace.
 *
 * @example Least recently used keys go first
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Keyspace } from "./keyspace.ts";
 * const keyspace = new Keyspace();
 * const eviction = new Eviction(keyspace);
 * keyspace.set("a", "1");
 * keyspace.set("b", "2");
 * eviction.configure({ maxmemory: keyspace.usedMemory, policy: "allkeys-lru", samples: 5 });
 * eviction.touch("a");
 * keyspace.set("c", "3");
 * strictEqual(eviction.fit(), true);
 * strictEqual(keyspace.has("b"), false);
 * strictEqual(keyspace.has("a"), true);
 * ```
 */
export class Eviction {
  readonly #keyspace: Keyspace;
  readonly #random: () => number;
  #maxmemory = 0;
  #policy: EvictionPolicy = "noeviction";
  #samples = 5;
  #tracking: Tracking = "none";
  /** LFU candidates, most frequent first, so the best victim pops off the end. */
  #pool: Candidate[] = [];

  /** `random` yields [0, 1) (injected for tests). */
  constructor(keyspace: Keyspace, random: () => number = Math.random) {
    this.#keyspace = keyspace;
    this.#random = random;
  }

  /** Applies new settings; LFU counters exist only while an LFU policy is on. */
  configure(limits: MemoryLimits): void {
    const active = limits.maxmemory > 0;
    const policy = limits.policy;
    this.#tracking = !active
      ? "none"
      : policy === "allkeys-lru" || policy === "volatile-lru"
      ? "recency"
      : policy === "allkeys-lfu"
      ? "frequency"
      : policy === "volatile-lfu"
      ? "volatile-frequency"
      : "none";
    const lfu = this.#tracking === "frequency" ||
      this.#tracking === "volatile-frequency";
    const keyspace = this.#keyspace;
    if (lfu !== (keyspace.accessCounters !== undefined)) {
      keyspace.accessCounters = lfu ? new Map() : undefined;
    }
    if (policy !== this.#policy) {
      this.#pool = [];
      keyspace.rewindCursors();
    }
    this.#maxmemory = limits.maxmemory;
    this.#policy = policy;
    this.#samples = limits.samples;
  }

  /**
   * Evicts keys by the policy until the keyspace's estimate is within
   * maxmemory; false when it is still over because the policy finds nothing
   * to evict (noeviction, or a volatile policy without keys with a TTL).
   */
  fit(): boolean {
    if (this.#maxmemory === 0) return true;
    const keyspace = this.#keyspace;
    while (keyspace.usedMemory > this.#maxmemory) {
      const key = this.#pick();
      if (key === undefined || !keyspace.evict(key)) return false;
    }
    return true;
  }

  /** Records that a command used the keys `spec` declares in `argv` (after it ran). */
  recordAccess(spec: CommandSpec, argv: readonly string[]): void {
    if (this.#tracking === "none") return;
    const keys = spec.keys;
    if (keys === undefined || keys.first <= 0 || NO_TOUCH.has(spec.name)) return;
    const last = keys.last < 0 ? argv.length + keys.last : Math.min(keys.last, argv.length - 1);
    for (let i = keys.first; i <= last; i += keys.step) this.touch(argv[i]!);
  }

  /** Records one access to `key`, as the policy needs it (nothing for most). */
  touch(key: string): void {
    const keyspace = this.#keyspace;
    switch (this.#tracking) {
      case "none":
        return;
      case "recency":
        keyspace.markUsed(key);
        return;
      case "volatile-frequency":
        if (!keyspace.hasExpiry(key)) return;
        break;
      case "frequency":
        if (!keyspace.has(key)) return;
        break;
    }
    const counters = keyspace.accessCounters!;
    const now = minutes(keyspace.now);
    const packed = counters.get(key);
    const counter = packed === undefined
      ? LFU_INIT
      : logIncrement(decayed(packed, now), this.#random());
    counters.set(key, now * 256 + counter);
  }

  /** The key's LFU counter after decay (as Redis's OBJECT FREQ); LFU_INIT when untracked. */
  frequency(key: string): number {
    const packed = this.#keyspace.accessCounters?.get(key);
    return packed === undefined ? LFU_INIT : decayed(packed, minutes(this.#keyspace.now));
  }

  /** The next victim under the policy, or undefined when there is none. */
  #pick(): string | undefined {
    const keyspace = this.#keyspace;
    switch (this.#policy) {
      case "noeviction":
        return undefined;
      case "allkeys-lru":
        // Every live key sits at or after the cursor (each one it passes is evicted), so
        // the cursor's next key is the front of the recency order.
        return keyspace.nextKey();
      case "volatile-lru":
        return this.#pickVolatileLru();
      case "allkeys-lfu":
        return this.#pickLfu(false);
      case "volatile-lfu":
        return this.#pickLfu(true);
      case "allkeys-random":
        return this.#pickRandom(false);
      case "volatile-random":
        return this.#pickRandom(true);
      case "volatile-ttl":
        return keyspace.soonestExpiringKey();
    }
  }

  #pickVolatileLru(): string | undefined {
    const keyspace = this.#keyspace;
    if (keyspace.expiresCount === 0) return undefined;
    for (let i = 0; i < LRU_WALK_LIMIT; i++) {
      const key = keyspace.nextKey();
      if (key === undefined) break;
      if (keyspace.hasExpiry(key)) return key;
    }
    return keyspace.nextVolatileKey();
  }

  #pickRandom(volatile: boolean): string | undefined {
    const keyspace = this.#keyspace;
    if (volatile && keyspace.expiresCount === 0) return undefined;
    const skip = Math.floor(this.#random() * this.#samples);
    let key = volatile ? keyspace.nextVolatileKey() : keyspace.nextKey();
    for (let i = 0; i < skip && key !== undefined; i++) {
      key = volatile ? keyspace.nextVolatileKey() : keyspace.nextKey();
    }
    return key;
  }

  #pickLfu(volatile: boolean): string | undefined {
    const keyspace = this.#keyspace;
    if (volatile ? keyspace.expiresCount === 0 : keyspace.size === 0) return undefined;
    for (let i = 0; i < this.#samples; i++) {
      const key = volatile ? keyspace.nextVolatileKey() : keyspace.nextKey();
      if (key === undefined) break;
      this.#offer(key, this.frequency(key));
    }
    while (this.#pool.length > 0) {
      const key = this.#pool.pop()!.key;
      // The pool outlives its keys: skip any deleted (or, volatile, persisted) since.
      if (keyspace.has(key) && (!volatile || keyspace.hasExpiry(key))) return key;
    }
    return undefined;
  }

  /** Adds a sampled key to the pool unless the pool is full of less frequent keys. */
  #offer(key: string, frequency: number): void {
    const pool = this.#pool;
    const known = pool.findIndex((candidate) => candidate.key === key);
    if (known !== -1) pool.splice(known, 1);
    if (pool.length === POOL_SIZE && frequency >= pool[0]!.frequency) return;
    let at = pool.length;
    while (at > 0 && pool[at - 1]!.frequency < frequency) at--;
    pool.splice(at, 0, { key, frequency });
    if (pool.length > POOL_SIZE) pool.shift();
  }
}

/** Redis's LFU clock: minutes, 16 bits, wrapping every ~45 days. */
function minutes(now: number): number {
  return Math.floor(now / 60_000) & 0xffff;
}

/** Redis's LFUDecrAndReturn: the counter less one per idle decay period. */
function decayed(packed: number, now: number): number {
  const counter = packed & 0xff;
  const stamp = packed >>> 8;
  const elapsed = now >= stamp ? now - stamp : 65535 - stamp + now;
  const periods = Math.floor(elapsed / LFU_DECAY_MINUTES);
  return periods > counter ? 0 : counter - periods;
}

/** Redis's LFULogIncr: the higher the counter, the less likely a hit raises it. */
function logIncrement(counter: number, random: number): number {
  if (counter === 255) return 255;
  const base = Math.max(0, counter - LFU_INIT);
  return random < 1 / (base * LFU_LOG_FACTOR + 1) ? counter + 1 : counter;
}
