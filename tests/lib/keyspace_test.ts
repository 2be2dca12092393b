import assert from "node:assert/strict";
import { CommandError, WRONGTYPE } from "../../lib/errors.ts";
import { Keyspace, type KeyspaceObserver, typeOf } from "../../lib/keyspace.ts";
import { SortedSet } from "../../lib/zset.ts";
import { seededRandom as prng } from "../../lib/random.ts";

const T0 = 1_700_000_000_000;

/** Records every observer call in order, e.g. `modified:a`, `expired:b`, `flushed`. */
class RecordingObserver implements KeyspaceObserver {
  readonly events: string[] = [];
  modified(key: string): void {
    this.events.push(`modified:${key}`);
  }
  expired(key: string): void {
    this.events.push(`expired:${key}`);
  }
  flushed(): void {
    this.events.push("flushed");
  }
  take(): string[] {
    return this.events.splice(0);
  }
}

function createKeyspace(): { keyspace: Keyspace; observer: RecordingObserver } {
  const keyspace = new Keyspace();
  keyspace.now = T0;
  const observer = new RecordingObserver();
  keyspace.observer = observer;
  return { keyspace, observer };
}

function zsetOf(...pairs: [string, number][]): SortedSet {
  const zset = new SortedSet();
  for (const [member, score] of pairs) zset.add(member, score);
  return zset;
}

/** A keyspace holding `k` with a TTL of 100 ms, and the clock moved to its deadline. */
function expiredKey(): { keyspace: Keyspace; observer: RecordingObserver } {
  const created = createKeyspace();
  created.keyspace.set("k", "v");
  created.keyspace.setExpiry("k", T0 + 100);
  created.keyspace.now = T0 + 100;
  created.observer.take();
  return created;
}

Deno.test("Keyspace keeps a key until its deadline and drops it at the deadline", () => {
  const { keyspace } = createKeyspace();
  keyspace.set("k", "v");
  keyspace.setExpiry("k", T0 + 100);
  keyspace.now = T0 + 99;
  assert.equal(keyspace.get("k"), "v");
  assert.equal(keyspace.getExpiry("k"), T0 + 100);
  keyspace.now = T0 + 100;
  assert.equal(keyspace.get("k"), undefined);
});

Deno.test("Keyspace.get removes an expired key and reports it as expired", () => {
  const { keyspace, observer } = expiredKey();
  assert.equal(keyspace.size, 1, "not yet swept: counted as Redis's DBSIZE does");
  assert.equal(keyspace.get("k"), undefined);
  assert.equal(keyspace.size, 0);
  assert.equal(keyspace.expiresCount, 0);
  assert.equal(keyspace.expiredCount, 1);
  assert.deepEqual(observer.take(), ["expired:k"]);
  assert.equal(keyspace.get("k"), undefined);
  assert.deepEqual(observer.take(), [], "reported once");
});

Deno.test("Keyspace never returns an expired key from any accessor", () => {
  const accessors: [string, (keyspace: Keyspace) => unknown, unknown][] = [
    ["get", (keyspace) => keyspace.get("k"), undefined],
    ["has", (keyspace) => keyspace.has("k"), false],
    ["getString", (keyspace) => keyspace.getString("k"), undefined],
    ["getSortedSet", (keyspace) => keyspace.getCollection("k", SortedSet), undefined],
    ["getExpiry", (keyspace) => keyspace.getExpiry("k"), undefined],
    ["keys", (keyspace) => [...keyspace.keys()], []],
    ["delete", (keyspace) => keyspace.delete("k"), false],
    ["persist", (keyspace) => keyspace.persist("k"), false],
    ["randomKey", (keyspace) => keyspace.randomKey(() => 0), undefined],
  ];
  for (const [name, access, expected] of accessors) {
    const { keyspace } = expiredKey();
    assert.deepEqual(access(keyspace), expected, name);
  }
});

Deno.test("Keyspace.keys skips expired keys among live ones", () => {
  const { keyspace } = createKeyspace();
  for (let i = 0; i < 10; i++) {
    keyspace.set(`k${i}`, "v");
    if (i % 3 === 0) keyspace.setExpiry(`k${i}`, T0 + 10 * (i + 1));
  }
  keyspace.now = T0 + 40;
  assert.deepEqual([...keyspace.keys()], ["k1", "k2", "k4", "k5", "k6", "k7", "k8", "k9"]);
});

Deno.test("Keyspace.keys tolerates deleting keys while iterating", () => {
  const { keyspace } = createKeyspace();
  for (let i = 0; i < 5; i++) keyspace.set(`k${i}`, "v");
  const seen: string[] = [];
  for (const key of keyspace.keys()) {
    seen.push(key);
    keyspace.delete(key);
  }
  assert.deepEqual(seen, ["k0", "k1", "k2", "k3", "k4"]);
  assert.equal(keyspace.size, 0);
});

Deno.test("Keyspace.expireDue removes due keys in deadline order up to its batch limit", () => {
  const { keyspace, observer } = createKeyspace();
  const deadlines = [70, 10, 90, 30, 50, 20, 80, 40, 60, 100];
  deadlines.forEach((offset, i) => {
    keyspace.set(`k${i}`, "v");
    keyspace.setExpiry(`k${i}`, T0 + offset);
  });
  keyspace.set("forever", "v");
  observer.take();
  keyspace.now = T0 + 70;
  assert.equal(keyspace.expireDue(3), 3);
  assert.deepEqual(observer.take(), ["expired:k1", "expired:k5", "expired:k3"]);
  assert.equal(keyspace.nextDeadline(), T0 + 40);
  assert.equal(keyspace.expireDue(100), 4);
  assert.deepEqual(observer.take(), ["expired:k7", "expired:k4", "expired:k8", "expired:k0"]);
  assert.equal(keyspace.expireDue(100), 0);
  assert.equal(keyspace.expireDue(0), 0);
  assert.equal(keyspace.nextDeadline(), T0 + 80);
  assert.equal(keyspace.size, 4);
  assert.equal(keyspace.expiredCount, 7);
  assert.deepEqual([...keyspace.keys()].sort(), ["forever", "k2", "k6", "k9"]);
});

Deno.test("Keyspace.expireDue never removes more than its limit from a mass expiry", () => {
  const { keyspace } = createKeyspace();
  for (let i = 0; i < 10_000; i++) {
    keyspace.set(`k${i}`, "v");
    keyspace.setExpiry(`k${i}`, T0 + 1 + (i % 7));
  }
  keyspace.now = T0 + 1000;
  const batches: number[] = [];
  while (keyspace.expiresCount > 0) batches.push(keyspace.expireDue(2000));
  assert.deepEqual(batches, [2000, 2000, 2000, 2000, 2000]);
  assert.equal(keyspace.size, 0);
});

Deno.test("Keyspace.setExpiry with a deadline now or past deletes the key as a modification", () => {
  for (const deadline of [T0, T0 - 1, 0, -Infinity]) {
    const { keyspace, observer } = createKeyspace();
    keyspace.set("k", "v");
    observer.take();
    const dirty = keyspace.dirty;
    keyspace.setExpiry("k", deadline);
    assert.equal(keyspace.get("k"), undefined);
    assert.equal(keyspace.size, 0);
    assert.equal(keyspace.expiresCount, 0);
    assert.equal(keyspace.expiredCount, 0);
    assert.deepEqual(observer.take(), ["modified:k"]);
    assert.equal(keyspace.dirty, dirty + 1);
  }
});

Deno.test("Keyspace.setExpiry moves an existing deadline", () => {
  const { keyspace } = createKeyspace();
  keyspace.set("k", "v");
  keyspace.setExpiry("k", T0 + 100);
  keyspace.setExpiry("k", T0 + 50);
  assert.equal(keyspace.getExpiry("k"), T0 + 50);
  assert.equal(keyspace.nextDeadline(), T0 + 50);
  keyspace.setExpiry("k", T0 + 500);
  assert.equal(keyspace.getExpiry("k"), T0 + 500);
  assert.equal(keyspace.expiresCount, 1);
});

Deno.test("Keyspace.set drops the TTL unless keepTtl", () => {
  const { keyspace } = createKeyspace();
  keyspace.set("a", "1");
  keyspace.setExpiry("a", T0 + 100);
  keyspace.set("a", "2");
  assert.equal(keyspace.getExpiry("a"), undefined);
  assert.equal(keyspace.expiresCount, 0);

  keyspace.set("b", "1");
  keyspace.setExpiry("b", T0 + 100);
  keyspace.set("b", "2", true);
  assert.equal(keyspace.getExpiry("b"), T0 + 100);
  keyspace.now = T0 + 100;
  assert.equal(keyspace.get("b"), undefined);
});

Deno.test("Keyspace.set with keepTtl on an already-expired key stores a live value", () => {
  // Redis's SET … KEEPTTL looks the key up first, which expires it: the new value has no TTL.
  const { keyspace, observer } = expiredKey();
  keyspace.set("k", "new", true);
  assert.equal(keyspace.get("k"), "new");
  assert.equal(keyspace.getExpiry("k"), undefined);
  assert.equal(keyspace.expiresCount, 0);
  assert.deepEqual(observer.take(), ["expired:k", "modified:k"]);
});

Deno.test("Keyspace.persist removes a TTL and reports whether there was one", () => {
  const { keyspace, observer } = createKeyspace();
  keyspace.set("k", "v");
  assert.equal(keyspace.persist("k"), false);
  assert.equal(keyspace.persist("missing"), false);
  keyspace.setExpiry("k", T0 + 100);
  observer.take();
  const dirty = keyspace.dirty;
  assert.equal(keyspace.persist("k"), true);
  assert.deepEqual(observer.take(), ["modified:k"]);
  assert.equal(keyspace.dirty, dirty + 1);
  assert.equal(keyspace.getExpiry("k"), undefined);
  keyspace.now = T0 + 1_000_000;
  assert.equal(keyspace.get("k"), "v");
  assert.equal(keyspace.persist("k"), false);
});

Deno.test("Keyspace.flush drops every key and TTL, adds their count to dirty and tells the observer", () => {
  const { keyspace, observer } = createKeyspace();
  keyspace.set("a", "1");
  keyspace.set("b", "2");
  keyspace.setExpiry("b", T0 + 10);
  keyspace.set("z", zsetOf(["m", 1]));
  observer.take();
  const dirty = keyspace.dirty;
  keyspace.flush();
  assert.equal(keyspace.size, 0);
  assert.equal(keyspace.expiresCount, 0);
  assert.equal(keyspace.nextDeadline(), undefined);
  assert.equal(keyspace.dirty, dirty + 3);
  assert.deepEqual(observer.take(), ["flushed"]);
  keyspace.now = T0 + 100;
  assert.equal(keyspace.expireDue(10), 0);
  assert.deepEqual(observer.take(), []);
});

Deno.test("Keyspace counts changes in dirty and skips no-ops", () => {
  const { keyspace } = createKeyspace();
  keyspace.set("a", "1");
  keyspace.set("a", "2");
  assert.equal(keyspace.dirty, 2);
  assert.equal(keyspace.delete("missing"), false);
  assert.equal(keyspace.dirty, 2);
  keyspace.setExpiry("a", T0 + 5);
  assert.equal(keyspace.dirty, 3);
  assert.equal(keyspace.delete("a"), true);
  assert.equal(keyspace.dirty, 4);
  keyspace.get("a");
  keyspace.has("b");
  [...keyspace.keys()];
  assert.equal(keyspace.dirty, 4, "reads are not changes");
});

Deno.test("Keyspace tells the observer about modifications, expiries and flushes", () => {
  const { keyspace, observer } = createKeyspace();
  keyspace.set("a", "1");
  keyspace.setExpiry("a", T0 + 10);
  keyspace.set("b", "2");
  keyspace.setExpiry("b", T0 + 20);
  keyspace.delete("b");
  keyspace.delete("b");
  keyspace.storeCollection("z", zsetOf(["m", 1]));
  keyspace.modified("z");
  keyspace.now = T0 + 10;
  keyspace.get("a");
  keyspace.flush();
  assert.deepEqual(observer.take(), [
    "modified:a",
    "modified:a",
    "modified:b",
    "modified:b",
    "modified:b",
    "modified:z",
    "modified:z",
    "expired:a",
    "flushed",
  ]);
});

Deno.test("Keyspace.getString throws WRONGTYPE for a sorted set", () => {
  const { keyspace } = createKeyspace();
  keyspace.set("z", zsetOf(["m", 1]));
  keyspace.set("s", "v");
  assert.throws(
    () => keyspace.getString("z"),
    (error: unknown) => error instanceof CommandError && error.message === WRONGTYPE,
  );
  assert.equal(keyspace.getString("s"), "v");
  assert.equal(keyspace.getString("missing"), undefined);
});

Deno.test("Keyspace.getCollection throws WRONGTYPE for a string", () => {
  const { keyspace } = createKeyspace();
  const zset = zsetOf(["m", 1]);
  keyspace.set("z", zset);
  keyspace.set("s", "v");
  assert.throws(
    () => keyspace.getCollection("s", SortedSet),
    (error: unknown) => error instanceof CommandError && error.message === WRONGTYPE,
  );
  assert.throws(() => keyspace.getCollection("s", SortedSet) ?? new SortedSet(), CommandError);
  assert.equal(keyspace.getCollection("z", SortedSet), zset);
  assert.equal(keyspace.getCollection("missing", SortedSet), undefined);
  assert.equal(typeOf(zset), "zset");
  assert.equal(typeOf(""), "string");
});

Deno.test("Keyspace.getCollection with a new set does not store the new set until storeCollection", () => {
  const { keyspace } = createKeyspace();
  const zset = keyspace.getCollection("z", SortedSet) ?? new SortedSet();
  assert.equal(keyspace.has("z"), false);
  zset.add("m", 1);
  keyspace.storeCollection("z", zset);
  assert.equal(keyspace.getCollection("z", SortedSet), zset);
  assert.equal(keyspace.getCollection("z", SortedSet) ?? new SortedSet(), zset);
});

Deno.test("Keyspace.storeCollection deletes the key when the set ends up empty", () => {
  const { keyspace, observer } = createKeyspace();
  const zset = zsetOf(["m", 1]);
  keyspace.storeCollection("z", zset);
  keyspace.setExpiry("z", T0 + 100);
  zset.remove("m");
  observer.take();
  keyspace.storeCollection("z", zset);
  assert.equal(keyspace.has("z"), false);
  assert.equal(keyspace.expiresCount, 0);
  assert.deepEqual(observer.take(), ["modified:z"]);
  keyspace.storeCollection("never", new SortedSet());
  assert.equal(keyspace.has("never"), false);
  assert.deepEqual(observer.take(), []);
});

Deno.test("Keyspace.storeCollection keeps the TTL of a set edited in place", () => {
  const { keyspace } = createKeyspace();
  const zset = zsetOf(["a", 1]);
  keyspace.storeCollection("z", zset);
  keyspace.setExpiry("z", T0 + 100);
  zset.add("b", 2);
  keyspace.storeCollection("z", zset);
  assert.equal(keyspace.getExpiry("z"), T0 + 100);
});

Deno.test("Keyspace.randomKey returns only live keys", () => {
  const { keyspace } = createKeyspace();
  for (let i = 0; i < 200; i++) {
    keyspace.set(`k${i}`, "v");
    // All but every 50th key expire.
    if (i % 50 !== 7) keyspace.setExpiry(`k${i}`, T0 + 1 + i);
  }
  keyspace.now = T0 + 1000;
  const random = prng(3);
  const live = new Set(["k7", "k57", "k107", "k157"]);
  for (let draw = 0; draw < 50; draw++) {
    const key = keyspace.randomKey(random);
    assert.ok(key !== undefined && live.has(key), `drew ${key}`);
  }
  // A constant draw keeps hitting one bucket: the walk on from it still ends at a live key.
  const constant = keyspace.randomKey(() => 0.999999);
  assert.ok(constant !== undefined && live.has(constant), `drew ${constant}`);
});

Deno.test("Keyspace.randomKey returns undefined once every key has expired", () => {
  const { keyspace } = createKeyspace();
  assert.equal(keyspace.randomKey(Math.random), undefined);
  for (let i = 0; i < 40; i++) {
    keyspace.set(`k${i}`, "v");
    keyspace.setExpiry(`k${i}`, T0 + 1);
  }
  keyspace.now = T0 + 1;
  assert.equal(keyspace.randomKey(prng(9)), undefined);
});

Deno.test("Keyspace raw accessors see expired keys that are not yet swept", () => {
  const { keyspace } = expiredKey();
  assert.deepEqual([...keyspace.rawEntries()], [["k", "v"]]);
  assert.equal(keyspace.rawExpiry("k"), T0 + 100);
});

Deno.test("Keyspace.prefetch of a pipelined batch only reads: nothing expires, nothing is reported", () => {
  const { keyspace, observer } = expiredKey();
  keyspace.set("live", "v");
  observer.take();
  keyspace.prefetch([["ping"], ["get", "k"], ["get", "live"], ["set", "new", "x"], []]);
  assert.equal(keyspace.holdsExpired("k"), true);
  assert.equal(keyspace.holds("new"), false);
  assert.deepEqual(observer.take(), []);
  assert.equal(keyspace.get("live"), "v");
});
