/**
 * Memory-bounded caching: Redis's `maxmemory` and its eviction policies.
 * Before each command the command table asks {@link Eviction.fit} to bring
 * the keyspace's size estimate (lib/memory.ts) within `maxmemory`, evicting
 * keys by the policy; a command flagged `denyoom` is refused with
 * {@link OOM} when that fails. A server without maxmemory never calls in here.
 *
 * Decisions that shape the module:
 * - LRU is CLOCK (second chance), the classic approximation: a hand walks
 *   the keys in a fixed cyclic order (the keyspace's `Map` order, where new
 *   keys join at the end), and evicts the first key not used since the hand
 *   last passed it, clearing the "used" bits it passes. The bits live in a
 *   table indexed by a hash of the key, 8 to 32 bits (1 to 4 bytes) per key,
 *   so there is no per-key entry to add or remove. Keys sharing a bit blur
 *   together: with half of 10,000 keys used, 2.4% of the used keys lost their
 *   second chance (tests/lib/eviction_test.ts). Moving each used key to the
 *   back of the `Map` would give exact LRU at no memory, but a move costs
 *   ~550 ns at 100,000 keys (3.5 lookups: V8's table fills with holes until
 *   it rehashes) where marking costs ~90 ns, and it breaks SCAN: a walk is
 *   bounded by the key count at its start, so keys read during a walk come
 *   round again and crowd out others, which it then misses.
 * - volatile-ttl takes the TTL heap's top: the nearest deadline, exactly.
 * - LFU is Redis's: an 8-bit logarithmic counter (`lfu-log-factor` 10) that
 *   loses one per idle minute (`lfu-decay-time` 1), packed with its minute
 *   stamp into one small integer in {@link Keyspace.accessCounters}: one map
 *   entry (~40 bytes, counted in the estimate) per key used since it was
 *   created, kept only under an LFU policy (volatile-lfu: only for keys with
 *   a TTL). As Redis, victims are approximated by sampling
 *   `maxmemory-samples` keys per choice into a pool of the 16 best candidates
 *   kept across choices.
 * - Sampling walks a rotating cursor instead of drawing random keys: a random
 *   key of a `Map` costs O(n). The random policies skip a random number
 *   (below `maxmemory-samples`) of keys along that walk, which makes the
 *   order unrelated to use, though not independent draws.
 * - Every database is a candidate, as Redis samples every db: each choice
 *   first draws a database with chance proportional to its keys (for the
 *   volatile policies, its keys with a TTL), then applies the policy there;
 *   volatile-ttl takes the nearest deadline of all. The CLOCK bits mix the
 *   database index into the hash, and the LFU pool holds candidates of any
 *   database.
 * - Eviction runs until the estimate is within the limit, however many keys
 *   that takes (Redis bounds each round by time and finishes in the
 *   background; lowering maxmemory a long way therefore pauses once).
 *
 * @module
 */
import { type CommandSpec, keyPositions, lastKeyIndex } from "./commands/types.ts";
import type { Databases } from "./databases.ts";
import { AccessCounters, type Keyspace } from "./keyspace.ts";

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
  /** How slowly hits raise an LFU counter (Redis's `lfu-log-factor`, default 10). */
  readonly lfuLogFactor?: number;
  /** Idle minutes per point an LFU counter loses, 0 for never (`lfu-decay-time`, default 1). */
  readonly lfuDecayTime?: number;
}

/** A counter's value for a key first seen (Redis's LFU_INIT_VAL), so new keys are not evicted first. */
const LFU_INIT = 5;
/** Redis's default `lfu-log-factor`: about a million hits saturate the counter at 255. */
const LFU_LOG_FACTOR = 10;
/** Redis's default `lfu-decay-time`: the counter loses one per this many idle minutes. */
export const LFU_DECAY_MINUTES = 1;
/** Candidates kept between choices (Redis's EVPOOL_SIZE). */
const POOL_SIZE = 16;
/** Used-bits per key the CLOCK table keeps at least: a key shares its bit less than 1 in 8. */
const CLOCK_BITS_PER_KEY = 8;
/** The CLOCK table's smallest size in bits (128 bytes). */
const CLOCK_MIN_BITS = 1 << 10;
/**
 * Used keys the hand may pass in one choice before it takes the next key
 * anyway, so a keyspace where every key was just used cannot stall a write.
 */
const CLOCK_SWEEP_LIMIT = 1000;
/** Keys without a TTL volatile-lru's hand passes before it takes any key with one. */
const VOLATILE_WALK_LIMIT = 1000;

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
  "object|encoding",
  "object|refcount",
  "object|idletime",
  "object|freq",
]);

/** What a use records: nothing, a CLOCK used-bit, or an LFU counter bump. */
type Tracking = "none" | "recency" | "frequency" | "volatile-frequency";

interface Candidate {
  readonly keyspace: Keyspace;
  readonly key: string;
  readonly frequency: number;
}

/** A key chosen for eviction, with its database. */
interface Victim {
  readonly keyspace: Keyspace;
  readonly key: string;
}

/**
 * Applies the memory limit to a server's databases.
 *
 * @example The nearest deadline goes first under volatile-ttl
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Databases } from "./databases.ts";
 * const databases = new Databases(16);
 * const keyspace = databases.at(0);
 * const eviction = new Eviction(databases);
 * keyspace.set("a", "1");
 * keyspace.set("b", "2");
 * keyspace.setExpiry("a", 5_000);
 * keyspace.setExpiry("b", 1_000);
 * eviction.configure({ maxmemory: keyspace.usedMemory - 1, policy: "volatile-ttl", samples: 5 });
 * strictEqual(eviction.fit(), true);
 * strictEqual(keyspace.has("b"), false);
 * strictEqual(keyspace.has("a"), true);
 * ```
 */
export class Eviction {
  readonly #databases: Databases;
  readonly #random: () => number;
  #maxmemory = 0;
  #policy: EvictionPolicy = "noeviction";
  #samples = 5;
  #lfuLogFactor = LFU_LOG_FACTOR;
  #lfuDecayTime = LFU_DECAY_MINUTES;
  #tracking: Tracking = "none";
  /** LFU candidates, most frequent first, so the best victim pops off the end. */
  #pool: Candidate[] = [];
  /** CLOCK's used-bits, allocated while an LRU policy is on. */
  #clock: UsedBits | undefined;
  /**
   * Bytes the clients' buffers hold beyond their base (set by the server).
   * They count against maxmemory as in Redis, so a client's big backlog
   * makes room for itself by evicting keys.
   */
  clientMemory: () => number = () => 0;

  /** `random` yields [0, 1) (injected for tests). */
  constructor(databases: Databases, random: () => number = Math.random) {
    this.#databases = databases;
    this.#random = random;
  }

  /**
   * Applies new settings; LFU counters exist only while an LFU policy is on,
   * with or without maxmemory (as in Redis, OBJECT FREQ reads them either way).
   */
  configure(limits: MemoryLimits): void {
    const active = limits.maxmemory > 0;
    const policy = limits.policy;
    this.#tracking = policy === "allkeys-lfu"
      ? "frequency"
      : policy === "volatile-lfu"
      ? "volatile-frequency"
      : active && (policy === "allkeys-lru" || policy === "volatile-lru")
      ? "recency"
      : "none";
    const lfu = this.#tracking === "frequency" ||
      this.#tracking === "volatile-frequency";
    // Under LFU a database's counters appear with its first use (see touch()).
    for (const keyspace of this.#databases.created()) {
      if (lfu !== (keyspace.accessCounters !== undefined)) {
        keyspace.accessCounters = lfu ? new AccessCounters() : undefined;
      }
      if (policy !== this.#policy) keyspace.rewindCursors();
    }
    if (this.#tracking !== "recency") this.#clock = undefined;
    else this.#clock ??= new UsedBits();
    if (policy !== this.#policy) this.#pool = [];
    this.#maxmemory = limits.maxmemory;
    this.#policy = policy;
    this.#samples = limits.samples;
    this.#lfuLogFactor = limits.lfuLogFactor ?? LFU_LOG_FACTOR;
    this.#lfuDecayTime = limits.lfuDecayTime ?? LFU_DECAY_MINUTES;
  }

  /** What maxmemory is compared with: every database's estimate, the CLOCK table, client buffers. */
  get usedMemory(): number {
    return this.#databases.usedMemory + (this.#clock?.byteLength ?? 0) + this.clientMemory();
  }

  /**
   * Evicts keys by the policy until the estimate ({@link Eviction.usedMemory})
   * is within maxmemory; false when it is still over because the policy finds
   * nothing to evict (noeviction, or a volatile policy without keys with a TTL).
   */
  fit(): boolean {
    if (this.#maxmemory === 0) return true;
    const databases = this.#databases;
    while (this.usedMemory > this.#maxmemory) {
      const keys = databases.size;
      const victim = this.#pick();
      // Looking at candidates may have expired some (lazily), which frees memory too.
      if (victim === undefined && databases.size < keys) continue;
      if (victim === undefined || !victim.keyspace.evict(victim.key)) return false;
    }
    return true;
  }

  /**
   * Records that a command is about to use the keys `spec` declares in
   * `argv`. Called before it runs, so a key it creates is not counted as
   * used: it joins the end of the key order, the last the CLOCK hand reaches,
   * and starts at LFU_INIT, as a new Redis object does.
   */
  recordAccess(spec: CommandSpec, argv: readonly string[], keyspace: Keyspace): void {
    if (this.#tracking === "none") return;
    if (NO_TOUCH.has(spec.name)) return;
    const keys = keyPositions(spec, argv);
    if (keys === undefined) return;
    const last = lastKeyIndex(keys, argv);
    for (let i = keys.first; i <= last; i += keys.step) this.touch(argv[i]!, keyspace);
  }

  /** Records one use of `key` of database `keyspace` if it exists, as the policy needs it. */
  touch(key: string, keyspace: Keyspace): void {
    switch (this.#tracking) {
      case "none":
        return;
      case "recency":
        if (keyspace.has(key)) this.#clock!.mark(key, keyspace.index, this.#databases.size);
        return;
      case "volatile-frequency":
        if (!keyspace.hasExpiry(key)) return;
        break;
      case "frequency":
        if (!keyspace.has(key)) return;
        break;
    }
    // A key without a counter has not been used since it was created: LFU_INIT, undecayed.
    const counters = keyspace.accessCounters ??= new AccessCounters();
    const now = minutes(keyspace.now);
    const packed = counters.get(key);
    const counter = packed === undefined ? LFU_INIT : decayed(packed, now, this.#lfuDecayTime);
    counters.set(key, now * 256 + logIncrement(counter, this.#random(), this.#lfuLogFactor));
  }

  /** The key's LFU counter after decay (as Redis's OBJECT FREQ); LFU_INIT when untracked. */
  frequency(key: string, keyspace: Keyspace): number {
    return lfuFrequency(keyspace, key, this.#lfuDecayTime);
  }

  /** The next victim under the policy, or undefined when there is none. */
  #pick(): Victim | undefined {
    const policy = this.#policy;
    if (policy === "noeviction") return undefined;
    if (policy === "volatile-ttl") return this.#pickSoonest();
    const volatile = policy.startsWith("volatile");
    const keyspace = this.#chooseDatabase(volatile);
    if (keyspace === undefined) return undefined;
    let key: string | undefined;
    switch (policy) {
      case "allkeys-lru":
      case "volatile-lru":
        key = this.#pickLru(keyspace, volatile);
        break;
      case "allkeys-lfu":
      case "volatile-lfu":
        return this.#pickLfu(keyspace, volatile);
      default:
        key = this.#pickRandom(keyspace, volatile);
    }
    return key === undefined ? undefined : { keyspace, key };
  }

  /**
   * A database drawn with chance proportional to its keys (with a TTL, for
   * the volatile policies), so every key is about as likely to be looked at
   * whichever database holds it; undefined when none has any.
   */
  #chooseDatabase(volatile: boolean): Keyspace | undefined {
    const created = this.#databases.created();
    if (created.length === 1) return created[0];
    let total = 0;
    for (const keyspace of created) total += volatile ? keyspace.expiresCount : keyspace.size;
    if (total === 0) return undefined;
    let target = Math.floor(this.#random() * total);
    for (const keyspace of created) {
      target -= volatile ? keyspace.expiresCount : keyspace.size;
      if (target < 0) return keyspace;
    }
    return created[created.length - 1];
  }

  /** volatile-ttl: the nearest deadline in any database. */
  #pickSoonest(): Victim | undefined {
    let soonest: Keyspace | undefined;
    let deadline = Infinity;
    for (const keyspace of this.#databases.created()) {
      const next = keyspace.nextDeadline();
      if (next !== undefined && next < deadline) {
        deadline = next;
        soonest = keyspace;
      }
    }
    const key = soonest?.soonestExpiringKey();
    return key === undefined ? undefined : { keyspace: soonest!, key };
  }

  /** The CLOCK hand: the next key not used since the hand last passed it. */
  #pickLru(keyspace: Keyspace, volatile: boolean): string | undefined {
    const clock = this.#clock!;
    let key: string | undefined;
    for (let passed = 0; passed <= CLOCK_SWEEP_LIMIT; passed++) {
      key = volatile ? this.#nextVolatileInKeyOrder(keyspace) : keyspace.nextKey();
      if (key === undefined || !clock.take(key, keyspace.index)) break;
    }
    return key;
  }

  /**
   * volatile-lru's hand: the key order, skipping keys without a TTL. (The
   * TTL heap's order will not do: removing a key moves another into its
   * slot, behind the hand.) Past a long run without TTLs, any key with one.
   */
  #nextVolatileInKeyOrder(keyspace: Keyspace): string | undefined {
    if (keyspace.expiresCount === 0) return undefined;
    for (let i = 0; i < VOLATILE_WALK_LIMIT; i++) {
      const key = keyspace.nextKey();
      if (key === undefined) break;
      if (keyspace.hasExpiry(key)) return key;
    }
    return keyspace.nextVolatileKey();
  }

  #pickRandom(keyspace: Keyspace, volatile: boolean): string | undefined {
    if (volatile && keyspace.expiresCount === 0) return undefined;
    const skip = Math.floor(this.#random() * this.#samples);
    let key = volatile ? keyspace.nextVolatileKey() : keyspace.nextKey();
    for (let i = 0; i < skip && key !== undefined; i++) {
      key = volatile ? keyspace.nextVolatileKey() : keyspace.nextKey();
    }
    return key;
  }

  #pickLfu(keyspace: Keyspace, volatile: boolean): Victim | undefined {
    if (volatile ? keyspace.expiresCount === 0 : keyspace.size === 0) return undefined;
    for (let i = 0; i < this.#samples; i++) {
      const key = volatile ? keyspace.nextVolatileKey() : keyspace.nextKey();
      if (key === undefined) break;
      this.#offer({ keyspace, key, frequency: this.frequency(key, keyspace) });
    }
    // Each choice takes one candidate, so the pool had room for the first sample: a live
    // key is in it, and only a live key of lower frequency can push that one out.
    while (this.#pool.length > 0) {
      const candidate = this.#pool.pop()!;
      const { keyspace: home, key } = candidate;
      // The pool outlives its keys: skip any deleted (or, volatile, persisted) since.
      if (home.has(key) && (!volatile || home.hasExpiry(key))) return candidate;
    }
    return undefined;
  }

  /** Adds a sampled key to the pool unless the pool is full of less frequent keys. */
  #offer(candidate: Candidate): void {
    const pool = this.#pool;
    const { keyspace, key, frequency } = candidate;
    const known = pool.findIndex((other) => other.key === key && other.keyspace === keyspace);
    if (known !== -1) pool.splice(known, 1);
    if (pool.length === POOL_SIZE && frequency >= pool[0]!.frequency) return;
    let at = pool.length;
    while (at > 0 && pool[at - 1]!.frequency < frequency) at--;
    pool.splice(at, 0, candidate);
    if (pool.length > POOL_SIZE) pool.shift();
  }
}

/** Whether `policy` keeps LFU counters (Redis's MAXMEMORY_FLAG_LFU). */
export function isLfuPolicy(policy: string): boolean {
  return policy === "allkeys-lfu" || policy === "volatile-lfu";
}

/** Whether `policy` keeps LRU or LFU data per key (Redis's MAXMEMORY_FLAG_NO_SHARED_INTEGERS). */
export function tracksAccess(policy: string): boolean {
  return isLfuPolicy(policy) || policy === "allkeys-lru" || policy === "volatile-lru";
}

/**
 * A key's LFU counter after decay by `decayTime` (`lfu-decay-time`), as
 * OBJECT FREQ reports it; LFU_INIT for a key not used since it was made.
 */
export function lfuFrequency(keyspace: Keyspace, key: string, decayTime: number): number {
  const packed = keyspace.accessCounters?.get(key);
  return packed === undefined ? LFU_INIT : decayed(packed, minutes(keyspace.now), decayTime);
}

/** Sets a key's LFU counter (RESTORE … FREQ); nothing while no LFU policy keeps counters. */
export function setLfuFrequency(keyspace: Keyspace, key: string, counter: number): void {
  keyspace.accessCounters?.set(key, minutes(keyspace.now) * 256 + counter);
}

/** Redis's LFU clock: minutes, 16 bits, wrapping every ~45 days. */
function minutes(now: number): number {
  return Math.floor(now / 60_000) & 0xffff;
}

/** Redis's LFUDecrAndReturn: the counter less one per `decayTime` idle minutes (0: no decay). */
function decayed(packed: number, now: number, decayTime: number): number {
  const counter = packed & 0xff;
  const stamp = packed >>> 8;
  const elapsed = now >= stamp ? now - stamp : 65535 - stamp + now;
  const periods = decayTime === 0 ? 0 : Math.floor(elapsed / decayTime);
  return periods > counter ? 0 : counter - periods;
}

/** Redis's LFULogIncr: the higher the counter (and `logFactor`), the less likely a hit raises it. */
function logIncrement(counter: number, random: number, logFactor: number): number {
  if (counter === 255) return 255;
  const base = Math.max(0, counter - LFU_INIT);
  return random < 1 / (base * logFactor + 1) ? counter + 1 : counter;
}

/**
 * CLOCK's used-bits, one per slot of a table indexed by a hash of the key.
 * The table grows with the keyspace (at least {@link CLOCK_BITS_PER_KEY} bits
 * per key); growing forgets every bit, which costs keys one second chance.
 */
class UsedBits {
  #words = new Uint32Array(CLOCK_MIN_BITS / 32);
  #mask = CLOCK_MIN_BITS - 1;

  get byteLength(): number {
    return this.#words.byteLength;
  }

  /** Marks `key` of database `db` used, first growing the table if `keys` no longer fit. */
  mark(key: string, db: number, keys: number): void {
    if (keys * CLOCK_BITS_PER_KEY > this.#mask + 1) this.#grow(keys);
    const slot = slotOf(key, db) & this.#mask;
    this.#words[slot >>> 5]! |= 1 << (slot & 31);
  }

  /** Whether `key` of database `db` was marked used since its bit was last taken; clears it. */
  take(key: string, db: number): boolean {
    const slot = slotOf(key, db) & this.#mask;
    const word = slot >>> 5;
    const bit = 1 << (slot & 31);
    const words = this.#words;
    if ((words[word]! & bit) === 0) return false;
    words[word]! &= ~bit;
    return true;
  }

  #grow(keys: number): void {
    let bits = this.#mask + 1;
    while (bits < keys * CLOCK_BITS_PER_KEY * 2) bits *= 2;
    this.#words = new Uint32Array(bits / 32);
    this.#mask = bits - 1;
  }
}

/** The key's hash, moved by its database so equal names in two databases rarely share a bit. */
function slotOf(key: string, db: number): number {
  return db === 0 ? hashKey(key) : (hashKey(key) ^ Math.imul(db, 0x9e3779b1)) >>> 0;
}

/**
 * FNV-1a over the key's bytes, then a final mix so the low bits (the ones a
 * power-of-two table uses) depend on every byte. A long key hashes its first
 * and last 32 bytes and its length, which keeps the cost per access bounded.
 */
function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  const length = key.length;
  if (length <= 64) {
    for (let i = 0; i < length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  } else {
    for (let i = 0; i < 32; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    for (let i = length - 32; i < length; i++) {
      hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    }
    hash = Math.imul(hash ^ length, 0x01000193);
  }
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  return (hash ^ (hash >>> 12)) >>> 0;
}
