/**
 * Eviction policies on a keyspace with an injected clock and random source:
 * which keys go first under each policy, when nothing can go, and how the
 * command table refuses writes (and transactions) while memory stays full.
 */
import assert from "node:assert/strict";
import { Eviction, type EvictionPolicy, OOM } from "../../lib/eviction.ts";
import { Databases } from "../../lib/databases.ts";
import type { Keyspace, KeyspaceObserver } from "../../lib/keyspace.ts";
import { HASH_ENTRY_BYTES, keyEntryBytes, stringBytes } from "../../lib/memory.ts";
import { array, bulk, error, NIL, NIL_ARRAY, OK, QUEUED, type Reply } from "../../lib/reply.ts";
import { seededRandom } from "../../lib/random.ts";
import { SortedSet } from "../../lib/zset.ts";
import { createHarness, type Harness } from "../support/command_harness.ts";

/** Every test key ("k00".."k99") holds "v", so each costs the same. */
const KEY_BYTES = keyEntryBytes("k00", 1);
/** An LFU counter of such a key: its map entry and its own copy of the key's string. */
const COUNTER_BYTES = HASH_ENTRY_BYTES + stringBytes(3);
const MINUTE = 60_000;

function name(index: number): string {
  return `k${String(index).padStart(2, "0")}`;
}

interface Fixture {
  readonly keyspace: Keyspace;
  readonly eviction: Eviction;
}

/** `count` keys k00.. in that order, and a limit of exactly `limit` such keys. */
function fixture(
  policy: EvictionPolicy,
  options: { count: number; limit: number; random?: () => number; samples?: number },
): Fixture {
  const databases = new Databases(16);
  const keyspace = databases.at(0);
  keyspace.now = 1_000 * MINUTE;
  const eviction = new Eviction(databases, options.random ?? (() => 0));
  for (let i = 0; i < options.count; i++) keyspace.set(name(i), "v");
  limitData(eviction, keyspace, policy, options.limit * KEY_BYTES, options.samples);
  return { keyspace, eviction };
}

/**
 * Sets the limit so that `bytes` of data (as the keyspace counts it) fit
 * beside the policy's own bookkeeping (the CLOCK table of the LRU policies).
 */
function limitData(
  eviction: Eviction,
  keyspace: Keyspace,
  policy: EvictionPolicy,
  bytes: number,
  samples = 5,
): void {
  eviction.configure({ maxmemory: Number.MAX_SAFE_INTEGER, policy, samples });
  const bookkeeping = eviction.usedMemory - keyspace.usedMemory;
  eviction.configure({ maxmemory: bytes === 0 ? 0 : bytes + bookkeeping, policy, samples });
}

function present(keyspace: Keyspace): string[] {
  return [...keyspace.keys()].sort();
}

function range(from: number, to: number): string[] {
  const names: string[] = [];
  for (let i = from; i < to; i++) names.push(name(i));
  return names;
}

Deno.test("allkeys-lru evicts the least recently used keys first", () => {
  const { keyspace, eviction } = fixture("allkeys-lru", { count: 10, limit: 10 });
  eviction.touch("k00", keyspace);
  eviction.touch("k05", keyspace);
  for (let i = 10; i < 15; i++) keyspace.set(name(i), "v");
  assert.equal(eviction.fit(), true);
  assert.deepEqual(present(keyspace), ["k00", "k05", ...range(7, 15)]);
  assert.equal(keyspace.evictedCount, 5);
  assert.equal(keyspace.usedMemory, 10 * KEY_BYTES);
});

Deno.test("allkeys-lru never evicts a key read since the hand last passed it", () => {
  const { keyspace, eviction } = fixture("allkeys-lru", { count: 50, limit: 50 });
  const evicted: string[] = [];
  keyspace.observer = {
    modified() {},
    expired() {},
    flushed() {},
    evicted: (key) => evicted.push(key),
  };
  const hot = ["k03", "k17", "k29", "k41", "k48"];
  // Each round reads the hot keys and writes a new one (a write of a new key is no use of it).
  for (let round = 0; round < 500; round++) {
    for (const key of hot) eviction.touch(key, keyspace);
    keyspace.set(`new${round}`, "v");
    assert.equal(eviction.fit(), true);
  }
  assert.equal(evicted.length, 500);
  assert.deepEqual(evicted.filter((key) => hot.includes(key)), []);
  for (const key of hot) assert.ok(keyspace.has(key), key);
  // Cold keys went in insertion order, and the newest writes are still there.
  assert.deepEqual(evicted.slice(0, 3), ["k00", "k01", "k02"]);
  assert.ok(keyspace.has("new499"));
});

Deno.test("allkeys-lru's hashed used-bits rarely cost a used key its second chance", () => {
  const databases = new Databases(16);
  const keyspace = databases.at(0);
  const eviction = new Eviction(databases);
  for (let i = 0; i < 10_000; i++) keyspace.set(`user:${i}`, "v");
  limitData(eviction, keyspace, "allkeys-lru", keyspace.usedMemory);
  const used = new Set<string>();
  for (let i = 0; i < 10_000; i += 2) used.add(`user:${i}`);
  for (const key of used) eviction.touch(key, keyspace);
  const evicted: string[] = [];
  keyspace.observer = {
    modified() {},
    expired() {},
    flushed() {},
    evicted: (key) => evicted.push(key),
  };
  limitData(eviction, keyspace, "allkeys-lru", keyspace.usedMemory / 2);
  assert.equal(eviction.fit(), true);
  // Exact LRU would evict exactly the 5,000 unused keys; a shared bit lets a few used ones go.
  const lost = evicted.filter((key) => used.has(key)).length;
  assert.ok(lost < 250, `${lost} used keys evicted`);
});

Deno.test("allkeys-lru still evicts when every key was just used", () => {
  const { keyspace, eviction } = fixture("allkeys-lru", { count: 2_000, limit: 1_000 });
  for (let i = 0; i < 2_000; i++) eviction.touch(`k${String(i).padStart(2, "0")}`, keyspace);
  assert.equal(eviction.fit(), true);
  assert.ok(keyspace.size <= 1_000);
});

Deno.test("volatile-lru evicts only keys with a TTL, least recently used first", () => {
  const { keyspace, eviction } = fixture("volatile-lru", { count: 10, limit: 9 });
  for (const key of ["k02", "k04", "k06"]) keyspace.setExpiry(key, keyspace.now + MINUTE);
  const ttlBytes = keyspace.usedMemory - 10 * KEY_BYTES;
  limitData(eviction, keyspace, "volatile-lru", 8 * KEY_BYTES + ttlBytes / 3);
  eviction.touch("k02", keyspace);
  assert.equal(eviction.fit(), true);
  assert.deepEqual(present(keyspace), ["k00", "k01", "k02", "k03", "k05", "k07", "k08", "k09"]);
});

Deno.test("volatile-lru takes a key with a TTL beyond a long run of keys without one", () => {
  const { keyspace, eviction } = fixture("volatile-lru", { count: 0, limit: 0 });
  for (let i = 0; i < 3000; i++) keyspace.set(`plain${i}`, "v");
  keyspace.set("volatile", "v");
  keyspace.setExpiry("volatile", keyspace.now + MINUTE);
  limitData(eviction, keyspace, "volatile-lru", keyspace.usedMemory - 1);
  assert.equal(eviction.fit(), true);
  assert.equal(keyspace.has("volatile"), false);
  assert.equal(keyspace.size, 3000);
});

for (const policy of ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"] as const) {
  Deno.test(`${policy} without keys with a TTL evicts nothing and reports failure`, () => {
    const { keyspace, eviction } = fixture(policy, { count: 10, limit: 5 });
    assert.equal(eviction.fit(), false);
    assert.equal(keyspace.size, 10);
    assert.equal(keyspace.evictedCount, 0);
  });
}

Deno.test("noeviction never evicts", () => {
  const { keyspace, eviction } = fixture("noeviction", { count: 10, limit: 5 });
  assert.equal(eviction.fit(), false);
  assert.equal(keyspace.size, 10);
});

Deno.test("a fit keyspace evicts nothing, and maxmemory 0 means no limit", () => {
  const within = fixture("allkeys-lru", { count: 10, limit: 10 });
  assert.equal(within.eviction.fit(), true);
  assert.equal(within.keyspace.size, 10);
  const unlimited = fixture("allkeys-lru", { count: 10, limit: 0 });
  assert.equal(unlimited.eviction.fit(), true);
  assert.equal(unlimited.keyspace.size, 10);
});

Deno.test("allkeys-lfu evicts rarely used keys before a frequently used one", () => {
  const { keyspace, eviction } = fixture("allkeys-lfu", { count: 10, limit: 1 });
  for (let i = 0; i < 10; i++) eviction.touch(name(i), keyspace);
  for (let i = 0; i < 20; i++) eviction.touch("k07", keyspace);
  assert.equal(eviction.frequency("k07", keyspace), 26);
  assert.equal(eviction.frequency("k03", keyspace), 6);
  assert.equal(eviction.frequency("never-used", keyspace), 5);
  // The counters count too: room for one key and its counter.
  const limit = KEY_BYTES + COUNTER_BYTES;
  limitData(eviction, keyspace, "allkeys-lfu", limit);
  assert.equal(eviction.fit(), true);
  assert.deepEqual(present(keyspace), ["k07"]);
});

Deno.test("allkeys-lfu still finds a victim when every pooled candidate is gone", () => {
  const { keyspace, eviction } = fixture("allkeys-lfu", { count: 40, limit: 39, samples: 16 });
  assert.equal(eviction.fit(), true);
  keyspace.set("k40", "v");
  assert.equal(eviction.fit(), true);
  // The pool now holds 16 candidates at the initial frequency; all of them disappear.
  keyspace.flush();
  for (const key of ["x00", "y00", "z00"]) {
    keyspace.set(key, "v");
    for (let i = 0; i < 3; i++) eviction.touch(key, keyspace);
  }
  limitData(eviction, keyspace, "allkeys-lfu", keyspace.usedMemory - 1, 16);
  assert.equal(eviction.fit(), true);
  assert.equal(keyspace.size, 2);
});

Deno.test("keys that expire while eviction samples them count as freed memory", () => {
  const { keyspace, eviction } = fixture("volatile-lfu", { count: 10, limit: 10 });
  for (let i = 0; i < 10; i++) keyspace.setExpiry(name(i), keyspace.now + 1);
  keyspace.now += 2;
  limitData(eviction, keyspace, "volatile-lfu", 1);
  assert.equal(eviction.fit(), true);
  assert.equal(keyspace.size, 0);
  assert.equal(keyspace.expiredCount, 10);
  assert.equal(keyspace.evictedCount, 0);
});

Deno.test("LFU counters grow logarithmically, as Redis's lfu-log-factor 10", () => {
  let draw = 0.5;
  const { keyspace, eviction } = fixture("allkeys-lfu", {
    count: 1,
    limit: 10,
    random: () => draw,
  });
  assert.equal(eviction.frequency("k00", keyspace), 5);
  eviction.touch("k00", keyspace);
  // At the initial value every hit counts; one above it, a hit counts with p = 1/11.
  assert.equal(eviction.frequency("k00", keyspace), 6);
  eviction.touch("k00", keyspace);
  assert.equal(eviction.frequency("k00", keyspace), 6);
  for (let i = 0; i < 100; i++) eviction.touch("k00", keyspace);
  assert.equal(eviction.frequency("k00", keyspace), 6);
  draw = 0.05;
  eviction.touch("k00", keyspace);
  assert.equal(eviction.frequency("k00", keyspace), 7);
  assert.equal(keyspace.accessCounters?.size, 1);
});

Deno.test("lfu-log-factor and lfu-decay-time change how LFU counters grow and decay", () => {
  const { keyspace, eviction } = fixture("allkeys-lfu", { count: 0, limit: 1, random: () => 0.5 });
  const configure = (lfuLogFactor: number, lfuDecayTime: number) =>
    eviction.configure({
      maxmemory: Number.MAX_SAFE_INTEGER,
      policy: "allkeys-lfu",
      samples: 5,
      lfuLogFactor,
      lfuDecayTime,
    });
  // Factor 0: every hit counts (p = 1 / (base * 0 + 1)), up to the 8-bit cap.
  configure(0, 0);
  keyspace.set("k", "v");
  for (let i = 0; i < 10; i++) eviction.touch("k", keyspace);
  assert.equal(eviction.frequency("k", keyspace), 15);
  for (let i = 0; i < 300; i++) eviction.touch("k", keyspace);
  assert.equal(eviction.frequency("k", keyspace), 255);
  // Decay time 0: an idle hour takes nothing away.
  keyspace.now += 60 * MINUTE;
  assert.equal(eviction.frequency("k", keyspace), 255);
  // Decay time 10: thirty idle minutes take three points.
  configure(0, 10);
  keyspace.now += 30 * MINUTE;
  assert.equal(eviction.frequency("k", keyspace), 255 - 9);
});

Deno.test("LFU counters decay by one per idle minute, so an old favourite goes first", () => {
  const { keyspace, eviction } = fixture("allkeys-lfu", { count: 0, limit: 1 });
  keyspace.set("old", "v");
  for (let i = 0; i < 30; i++) eviction.touch("old", keyspace);
  assert.equal(eviction.frequency("old", keyspace), 35);
  keyspace.now += 30 * MINUTE;
  keyspace.set("new", "v");
  for (let i = 0; i < 10; i++) eviction.touch("new", keyspace);
  assert.equal(eviction.frequency("old", keyspace), 5);
  assert.equal(eviction.frequency("new", keyspace), 15);
  const limit = keyEntryBytes("new", 1) + COUNTER_BYTES;
  limitData(eviction, keyspace, "allkeys-lfu", limit);
  assert.equal(eviction.fit(), true);
  assert.deepEqual(present(keyspace), ["new"]);
});

Deno.test("volatile-lfu evicts only keys with a TTL, least frequent first", () => {
  const { keyspace, eviction } = fixture("volatile-lfu", { count: 10, limit: 9 });
  for (const key of ["k01", "k02", "k03"]) keyspace.setExpiry(key, keyspace.now + MINUTE);
  for (const key of ["k01", "k02", "k03", "k04"]) eviction.touch(key, keyspace);
  for (let i = 0; i < 5; i++) eviction.touch("k01", keyspace);
  for (let i = 0; i < 5; i++) eviction.touch("k03", keyspace);
  // Keys without a TTL get no counter: volatile-lfu would never look at it.
  assert.equal(keyspace.accessCounters?.has("k04"), false);
  const evicted: string[] = [];
  keyspace.observer = {
    modified() {},
    expired() {},
    flushed() {},
    evicted: (key) => evicted.push(key),
  };
  limitData(eviction, keyspace, "volatile-lfu", 6 * KEY_BYTES);
  assert.equal(eviction.fit(), false);
  assert.equal(evicted[0], "k02");
  assert.deepEqual(evicted.slice(1).sort(), ["k01", "k03"]);
  assert.deepEqual(present(keyspace), range(0, 10).filter((key) => !/k0[123]/.test(key)));
});

Deno.test("allkeys-random evicts until within the limit", () => {
  const draws = [0.9, 0.1, 0.5, 0.3, 0.7];
  let next = 0;
  const { keyspace, eviction } = fixture("allkeys-random", {
    count: 20,
    limit: 15,
    random: () => draws[next++ % draws.length]!,
  });
  assert.equal(eviction.fit(), true);
  assert.equal(keyspace.size, 15);
  assert.equal(keyspace.evictedCount, 5);
  // Skipping along the walk, it did not simply take the five oldest keys.
  assert.notDeepEqual(present(keyspace), range(5, 20));
});

Deno.test("volatile-random evicts only keys with a TTL", () => {
  const { keyspace, eviction } = fixture("volatile-random", { count: 20, limit: 8 });
  for (let i = 0; i < 20; i += 2) keyspace.setExpiry(name(i), keyspace.now + MINUTE);
  assert.equal(eviction.fit(), false);
  assert.deepEqual(present(keyspace), range(0, 20).filter((_, i) => i % 2 === 1));
});

Deno.test("volatile-ttl evicts the nearest deadlines first", () => {
  const { keyspace, eviction } = fixture("volatile-ttl", { count: 10, limit: 8 });
  const deadlines: Record<string, number> = { k03: 300, k01: 100, k07: 200, k05: 400 };
  for (const [key, offset] of Object.entries(deadlines)) {
    keyspace.setExpiry(key, keyspace.now + offset * MINUTE);
  }
  limitData(eviction, keyspace, "volatile-ttl", 8 * KEY_BYTES + 2 * 60);
  assert.equal(eviction.fit(), true);
  assert.deepEqual(
    present(keyspace),
    range(0, 10).filter((key) => key !== "k01" && key !== "k07"),
  );
});

Deno.test("eviction frees sorted sets by their estimated size", () => {
  const { keyspace, eviction } = fixture("allkeys-lru", { count: 0, limit: 0 });
  const zset = new SortedSet();
  for (let i = 0; i < 1000; i++) zset.add(`member${i}`, i);
  keyspace.storeCollection("big", zset);
  keyspace.set("small", "v");
  limitData(eviction, keyspace, "allkeys-lru", 10_000);
  assert.equal(eviction.fit(), true);
  assert.deepEqual(present(keyspace), ["small"]);
});

Deno.test("an evicted key is reported to the observer as evicted", () => {
  const { keyspace, eviction } = fixture("allkeys-lru", { count: 3, limit: 2 });
  const events: string[] = [];
  const observer: KeyspaceObserver = {
    modified: (key) => events.push(`modified:${key}`),
    expired: (key) => events.push(`expired:${key}`),
    flushed: () => events.push("flushed"),
    evicted: (key) => events.push(`evicted:${key}`),
  };
  keyspace.observer = observer;
  assert.equal(eviction.fit(), true);
  assert.deepEqual(events, ["evicted:k00"]);
});

// ---------------------------------------------------------------------------
// Through the command table

/** A harness whose table enforces `limit` keys' worth of memory under `policy`. */
function limited(policy: EvictionPolicy, limit: number): Harness & { eviction: Eviction } {
  const harness = createHarness();
  const eviction = new Eviction(harness.databases, () => 0);
  limitData(eviction, harness.keyspace, policy, limit * KEY_BYTES);
  harness.commands.eviction = eviction;
  return Object.assign(harness, { eviction });
}

function fill(harness: Harness, count: number): void {
  for (let i = 0; i < count; i++) assert.deepEqual(harness.run("SET", name(i), "v"), OK);
}

Deno.test("noeviction refuses writes with Redis's OOM error while reads and deletes work", () => {
  const harness = limited("noeviction", 3);
  fill(harness, 4);
  assert.deepEqual(harness.run("SET", "k09", "v"), error(OOM));
  assert.equal(OOM, "OOM command not allowed when used memory > 'maxmemory'.");
  assert.deepEqual(harness.run("GET", "k00"), bulk("v"));
  assert.deepEqual(harness.run("DEL", "k00", "k01"), { kind: "integer", value: 2 });
  assert.deepEqual(harness.run("SET", "k09", "v"), OK);
  assert.equal(harness.commands.stats.get("set")?.rejected, 1);
});

Deno.test("a volatile policy with no keys with a TTL refuses writes", () => {
  const harness = limited("volatile-lru", 3);
  fill(harness, 4);
  assert.deepEqual(harness.run("ZADD", "z", "1", "a"), error(OOM));
  assert.equal(harness.keyspace.size, 4);
});

Deno.test("reads through the table keep keys recently used under allkeys-lru", () => {
  const harness = limited("allkeys-lru", 5);
  fill(harness, 5);
  assert.deepEqual(harness.run("GET", "k00"), bulk("v"));
  assert.deepEqual(harness.run("SET", "k05", "v"), OK);
  assert.deepEqual(harness.run("SET", "k06", "v"), OK);
  // The write that went over the limit is evicted for by the next command.
  harness.run("PING");
  assert.deepEqual(present(harness.keyspace), ["k00", "k03", "k04", "k05", "k06"]);
  assert.equal(harness.keyspace.evictedCount, 2);
});

Deno.test("lowering maxmemory at runtime evicts on the next command", () => {
  const harness = limited("allkeys-lru", 100);
  fill(harness, 10);
  limitData(harness.eviction, harness.keyspace, "allkeys-lru", 4 * KEY_BYTES);
  assert.deepEqual(harness.run("SET", "k10", "v"), OK);
  assert.deepEqual(present(harness.keyspace), range(6, 11));
  harness.run("PING");
  assert.deepEqual(present(harness.keyspace), range(7, 11));
});

Deno.test("inside MULTI a full memory refuses every command but EXEC and DISCARD", () => {
  const harness = limited("noeviction", 2);
  fill(harness, 3);
  assert.deepEqual(harness.run("MULTI"), OK);
  assert.deepEqual(harness.run("GET", "k00"), error(OOM));
  assert.deepEqual(
    harness.run("EXEC"),
    error("EXECABORT Transaction discarded because of previous errors."),
  );
  assert.deepEqual(harness.run("MULTI"), OK);
  assert.deepEqual(harness.run("DISCARD"), OK);
});

Deno.test("EXEC of queued writes aborts when memory filled up after queueing", () => {
  const harness = limited("noeviction", 3);
  fill(harness, 3);
  assert.deepEqual(harness.run("MULTI"), OK);
  assert.deepEqual(harness.run("SET", "k10", "v"), QUEUED);
  assert.deepEqual(harness.run("GET", "k00"), QUEUED);
  limitData(harness.eviction, harness.keyspace, "noeviction", 2 * KEY_BYTES);
  assert.deepEqual(
    harness.run("EXEC"),
    error(`EXECABORT Transaction discarded because of: ${OOM}`),
  );
  assert.equal(harness.session.queued, undefined);
  assert.equal(harness.keyspace.has("k10"), false);
  assert.deepEqual(harness.run("EXEC"), error("ERR EXEC without MULTI"));
});

Deno.test("EXEC of reads only runs while memory is full", () => {
  const harness = limited("allkeys-lru", 100);
  fill(harness, 3);
  assert.deepEqual(harness.run("MULTI"), OK);
  assert.deepEqual(harness.run("GET", "k00"), QUEUED);
  limitData(harness.eviction, harness.keyspace, "noeviction", 2 * KEY_BYTES);
  assert.deepEqual(harness.run("EXEC"), array([bulk("v")]));
});

Deno.test("an evicted watched key aborts the watcher's EXEC", () => {
  const harness = limited("allkeys-lru", 3);
  fill(harness, 3);
  assert.deepEqual(harness.run("WATCH", "k00"), OK);
  const other = harness.newSession();
  assert.deepEqual(other.run("SET", "k05", "v"), OK);
  assert.deepEqual(other.run("GET", "k05"), bulk("v"));
  assert.equal(harness.keyspace.has("k00"), false);
  assert.deepEqual(harness.run("MULTI"), OK);
  assert.deepEqual(harness.run("GET", "k01"), QUEUED);
  assert.deepEqual(harness.run("EXEC"), NIL_ARRAY);
});

Deno.test("SCAN returns every key under allkeys-lru while keys are read during the walk", () => {
  const harness = limited("allkeys-lru", 100);
  fill(harness, 4);
  const seen = new Set<string>();
  let cursor = "0";
  let page = 0;
  do {
    const reply = harness.run("SCAN", cursor, "COUNT", "1");
    assert.equal(reply.kind, "array");
    const [next, keys] = (reply as { items: readonly Reply[] }).items as readonly [Reply, Reply];
    cursor = (next as { value: string }).value;
    for (const key of (keys as { items: readonly Reply[] }).items) {
      seen.add((key as { value: string }).value);
    }
    // Reading keys behind and ahead of the walk must not make it skip any.
    if (page++ === 0) {
      assert.deepEqual(harness.run("GET", "k00"), bulk("v"));
      assert.deepEqual(harness.run("GET", "k02"), bulk("v"));
    }
  } while (cursor !== "0" && page < 20);
  assert.deepEqual([...seen].sort(), range(0, 4));
});

Deno.test("without a memory limit, commands leave the key order and counters alone", () => {
  const harness = createHarness();
  fill(harness, 3);
  assert.deepEqual(harness.run("GET", "k00"), bulk("v"));
  assert.deepEqual(harness.run("GET", "missing"), NIL);
  assert.deepEqual([...harness.keyspace.keys()], ["k00", "k01", "k02"]);
  assert.equal(harness.keyspace.accessCounters, undefined);
});

Deno.test("eviction takes keys from every database, in proportion to their keys", () => {
  for (const policy of ["allkeys-lru", "allkeys-random", "allkeys-lfu"] as const) {
    const databases = new Databases(16);
    const eviction = new Eviction(databases, seededRandom(3));
    for (let i = 0; i < 400; i++) databases.at(0).set(name(i), "v");
    for (let i = 0; i < 400; i++) databases.at(5).set(name(i), "v");
    const data = databases.usedMemory;
    eviction.configure({ maxmemory: Number.MAX_SAFE_INTEGER, policy, samples: 5 });
    const bookkeeping = eviction.usedMemory - data;
    eviction.configure({ maxmemory: Math.floor(data / 2) + bookkeeping, policy, samples: 5 });
    assert.equal(eviction.fit(), true, policy);
    const [zero, five] = [databases.at(0).size, databases.at(5).size];
    assert.ok(zero + five <= 400, `${policy}: ${zero} + ${five} keys left`);
    assert.ok(zero > 100 && five > 100, `${policy}: ${zero} and ${five} keys left`);
    assert.equal(databases.shared.evictedCount, 800 - zero - five);
  }
});

Deno.test("volatile-ttl takes the nearest deadline of any database", () => {
  const databases = new Databases(16);
  const eviction = new Eviction(databases);
  databases.at(0).set("later", "v");
  databases.at(0).setExpiry("later", 9_000);
  databases.at(7).set("soon", "v");
  databases.at(7).setExpiry("soon", 2_000);
  eviction.configure({
    maxmemory: databases.usedMemory - 1,
    policy: "volatile-ttl",
    samples: 5,
  });
  assert.equal(eviction.fit(), true);
  assert.equal(databases.at(7).has("soon"), false);
  assert.equal(databases.at(0).has("later"), true);
});
