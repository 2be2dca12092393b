/**
 * The keyspace's memory estimate: the running total equals a recount from
 * scratch after any sequence of writes, and it tracks what V8's heap really
 * grows by within 25%.
 *
 * The heap comparison needs `gc()`, which only `--expose-gc` provides, so
 * this file doubles as the probe: run as a main module it loads each scenario
 * into a fresh keyspace and prints the estimate beside the heap growth; the
 * test spawns it that way and checks the numbers.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { bytesToString } from "../../lib/bytes.ts";
import { Databases } from "../../lib/databases.ts";
import { Eviction } from "../../lib/eviction.ts";
import { Keyspace } from "../../lib/keyspace.ts";
import {
  COLLECTION_SLOT_BYTES,
  HASH_ENTRY_BYTES,
  keyEntryBytes,
  SMALL_SORTED_SET_MEMBER_BYTES,
  smallSortedSetBytes,
  sortedSetBytes,
  stringBytes,
  TTL_ENTRY_BYTES,
} from "../../lib/memory.ts";
import { List } from "../../lib/list.ts";
import { Hash, PACKED_MAX_FIELDS, PACKED_MAX_LENGTH } from "../../lib/hash.ts";
import { MemberSet } from "../../lib/member_set.ts";
import { SMALL_MAX_LENGTH, SortedSet } from "../../lib/zset.ts";

/** What the running total should be, counted from scratch. */
function recount(keyspace: Keyspace): number {
  let bytes = keyspace.expiresCount * TTL_ENTRY_BYTES;
  for (const [key, value] of keyspace.rawEntries()) {
    bytes += typeof value === "string"
      ? keyEntryBytes(key, value.length)
      : keyEntryBytes(key) + COLLECTION_SLOT_BYTES + value.byteSize;
  }
  let counters = 0;
  for (const [key] of keyspace.rawEntries()) {
    if (keyspace.accessCounters?.has(key)) counters += HASH_ENTRY_BYTES + stringBytes(key.length);
  }
  return bytes + counters;
}

/** A small deterministic generator (mulberry32), so a failure replays. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("stringBytes is a 16-byte header plus the bytes, rounded up to 8", () => {
  assert.equal(stringBytes(0), 16);
  assert.equal(stringBytes(1), 24);
  assert.equal(stringBytes(8), 24);
  assert.equal(stringBytes(9), 32);
  assert.equal(stringBytes(1000), 1016);
});

Deno.test("A small SortedSet's byteSize is its arrays and its members' strings", () => {
  const zset = new SortedSet();
  zset.add("member", 1);
  assert.equal(zset.byteSize, smallSortedSetBytes(1, stringBytes(6)));
  assert.equal(zset.takeByteDelta(), zset.byteSize);
  zset.add("other", 2);
  assert.equal(zset.takeByteDelta(), SMALL_SORTED_SET_MEMBER_BYTES + stringBytes(5));
  zset.remove("member");
  assert.equal(zset.byteSize, smallSortedSetBytes(1, stringBytes(5)));
});

Deno.test("SortedSet.byteSize grows with members and their lengths and reports deltas", () => {
  // In the tree: a member longer than a small set holds moves it there.
  const zset = new SortedSet();
  zset.add("x".repeat(SMALL_MAX_LENGTH + 1), 0);
  zset.remove("x".repeat(SMALL_MAX_LENGTH + 1));
  assert.equal(zset.small, false);
  const empty = zset.byteSize;
  assert.equal(empty, sortedSetBytes(0, 8, 0));
  assert.equal(zset.takeByteDelta(), empty);
  zset.add("member", 1);
  assert.equal(zset.byteSize - empty, HASH_ENTRY_BYTES + stringBytes(6));
  zset.add("member", 2);
  assert.equal(zset.takeByteDelta(), HASH_ENTRY_BYTES + stringBytes(6));
  assert.equal(zset.reportedBytes, zset.byteSize);
  zset.remove("member");
  assert.equal(zset.takeByteDelta(), -(HASH_ENTRY_BYTES + stringBytes(6)));
  for (let i = 0; i < 100; i++) zset.add(`m${i}`, i);
  for (let i = 0; i < 100; i++) zset.remove(`m${i}`);
  // Growing and compacting the node arrays moves the estimate, and it comes back.
  assert.equal(zset.byteSize, empty);
});

Deno.test("Keyspace.usedMemory equals a recount after random writes, expiries and deletes", () => {
  const random = seeded(7);
  const databases = new Databases(1);
  const keyspace = databases.at(0);
  keyspace.now = 1_000;
  const eviction = new Eviction(databases, random);
  eviction.configure({ maxmemory: 1e12, policy: "allkeys-lfu", samples: 5 });
  const key = () => `k${Math.floor(random() * 60)}`;
  for (let step = 0; step < 5_000; step++) {
    const k = key();
    const choice = Math.floor(random() * 14);
    try {
      switch (choice) {
        case 0:
        case 1:
          keyspace.set(k, "v".repeat(Math.floor(random() * 40)), random() < 0.3);
          break;
        case 2: {
          const zset = keyspace.getCollection(k, SortedSet) ?? new SortedSet();
          const count = Math.floor(random() * 20);
          for (let i = 0; i < count; i++) zset.add(`m${Math.floor(random() * 50)}`, random());
          keyspace.storeCollection(k, zset);
          break;
        }
        case 3: {
          const zset = keyspace.getCollection(k, SortedSet);
          if (zset === undefined) break;
          for (let i = 0; i < 10; i++) zset.remove(`m${Math.floor(random() * 50)}`);
          keyspace.storeCollection(k, zset);
          break;
        }
        case 4:
          keyspace.delete(k);
          break;
        case 5:
          keyspace.setExpiry(k, keyspace.now + Math.floor(random() * 50));
          break;
        case 6:
          keyspace.persist(k);
          break;
        case 7: {
          // RENAME: the value moves to another key.
          const value = keyspace.get(k);
          if (value === undefined) break;
          const target = key();
          if (target === k) break;
          keyspace.set(target, value);
          keyspace.delete(k);
          break;
        }
        case 8:
          keyspace.now += Math.floor(random() * 10);
          keyspace.get(k);
          break;
        case 9:
          keyspace.expireDue(5);
          break;
        case 10:
          eviction.touch(k, keyspace);
          break;
        case 11:
          if (random() < 0.05) keyspace.flush();
          else keyspace.evict(k);
          break;
        case 12: {
          const hash = keyspace.getCollection(k, Hash) ?? new Hash();
          const field = `f${Math.floor(random() * 30)}`;
          if (random() < 0.6) hash.set(field, "v".repeat(Math.floor(random() * 30)));
          else hash.delete(field);
          keyspace.storeCollection(k, hash);
          break;
        }
        case 13: {
          const members = keyspace.getCollection(k, MemberSet) ?? new MemberSet();
          const member = `m${Math.floor(random() * 30)}`;
          if (random() < 0.6) members.add(member);
          else members.remove(member);
          keyspace.storeCollection(k, members);
          break;
        }
      }
    } catch {
      // WRONGTYPE: a key of one kind asked for as another.
    }
    assert.equal(keyspace.usedMemory, recount(keyspace), `after step ${step} (op ${choice})`);
  }
});

Deno.test("Keyspace.usedMemory equals a recount while lists grow, shrink and move", () => {
  const random = seeded(11);
  const keyspace = new Keyspace();
  const key = () => `list${Math.floor(random() * 8)}`;
  for (let step = 0; step < 3_000; step++) {
    const k = key();
    const list = keyspace.getCollection(k, List) ?? new List();
    const choice = random();
    if (choice < 0.5) {
      for (let i = Math.floor(random() * 30); i > 0; i--) list.pushFront("e".repeat(i));
    } else if (choice < 0.8) {
      for (let i = Math.floor(random() * 40); i > 0; i--) list.popBack();
    } else if (choice < 0.9 && list.size > 0) {
      list.set(Math.floor(random() * list.size), "x".repeat(Math.floor(random() * 50)));
    } else {
      list.remove("e", 0);
    }
    keyspace.storeCollection(k, list);
    assert.equal(keyspace.usedMemory, recount(keyspace), `after step ${step}`);
  }
});

Deno.test("Keyspace.usedMemory counts a key, its value and its TTL, and returns to 0", () => {
  const keyspace = new Keyspace();
  keyspace.now = 1;
  keyspace.set("key", "value");
  assert.equal(keyspace.usedMemory, keyEntryBytes("key", 5));
  keyspace.setExpiry("key", 100);
  assert.equal(keyspace.usedMemory, keyEntryBytes("key", 5) + TTL_ENTRY_BYTES);
  keyspace.set("key", "longer value", true);
  assert.equal(keyspace.usedMemory, keyEntryBytes("key", 12) + TTL_ENTRY_BYTES);
  keyspace.now = 100;
  assert.equal(keyspace.get("key"), undefined);
  assert.equal(keyspace.usedMemory, 0);
});

// ---------------------------------------------------------------------------
// Estimate against the real heap

interface Measurement {
  readonly scenario: string;
  readonly estimate: number;
  readonly heap: number;
}

/** Bytes the decoder would hand over: each string built from a byte buffer, all distinct. */
function decoded(text: string): string {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytesToString(bytes);
}

function padded(prefix: string, length: number): string {
  return decoded(prefix.padEnd(length, "."));
}

const SCENARIOS: Record<string, (keyspace: Keyspace, databases: Databases) => void> = {
  "200k small strings"(keyspace) {
    for (let i = 0; i < 200_000; i++) keyspace.set(padded(`key:${i}`, 12), padded(`${i}`, 10));
  },
  "50k 100-byte strings with TTLs"(keyspace) {
    for (let i = 0; i < 50_000; i++) {
      const key = padded(`session:${i}`, 16);
      keyspace.set(key, padded(`${i}`, 100));
      keyspace.setExpiry(key, 1e13 + i * 37);
    }
  },
  "3k 4KB strings"(keyspace) {
    for (let i = 0; i < 3_000; i++) keyspace.set(padded(`blob:${i}`, 12), padded(`${i}`, 4096));
  },
  "20k sorted sets of 5"(keyspace) {
    for (let i = 0; i < 20_000; i++) {
      const zset = new SortedSet();
      for (let j = 0; j < 5; j++) zset.add(padded(`${i}:${j}`, 12), j);
      keyspace.storeCollection(padded(`z:${i}`, 10), zset);
    }
  },
  "3 sorted sets of 50k"(keyspace) {
    for (let i = 0; i < 3; i++) {
      const zset = new SortedSet();
      for (let j = 0; j < 50_000; j++) zset.add(padded(`${i}:${j}`, 16), j * 0.5);
      keyspace.storeCollection(padded(`board:${i}`, 10), zset);
    }
  },
  "20k lists of 5"(keyspace) {
    for (let i = 0; i < 20_000; i++) {
      const list = new List();
      for (let j = 0; j < 5; j++) list.pushBack(padded(`${i}:${j}`, 12));
      keyspace.storeCollection(padded(`l:${i}`, 10), list);
    }
  },
  "2 lists of 100k"(keyspace) {
    for (let i = 0; i < 2; i++) {
      const list = new List();
      for (let j = 0; j < 100_000; j++) list.pushBack(padded(`${i}:${j}`, 10));
      keyspace.storeCollection(padded(`queue:${i}`, 10), list);
    }
  },
  "20k hashes of 5"(keyspace) {
    for (let i = 0; i < 20_000; i++) {
      const hash = new Hash();
      for (let j = 0; j < 5; j++) hash.set(padded(`f${j}`, 8), padded(`${i}:${j}`, 12));
      keyspace.storeCollection(padded(`h:${i}`, 10), hash);
    }
  },
  "1 hash of 200k"(keyspace) {
    const hash = new Hash();
    for (let j = 0; j < 200_000; j++) hash.set(padded(`field:${j}`, 12), padded(`${j}`, 12));
    keyspace.storeCollection(padded("big", 10), hash);
  },
  "20k sets of 5"(keyspace) {
    for (let i = 0; i < 20_000; i++) {
      const members = new MemberSet();
      for (let j = 0; j < 5; j++) members.add(padded(`${i}:${j}`, 12));
      keyspace.storeCollection(padded(`s:${i}`, 10), members);
    }
  },
  "1 set of 200k"(keyspace) {
    const members = new MemberSet();
    for (let j = 0; j < 200_000; j++) members.add(padded(`member:${j}`, 16));
    keyspace.storeCollection(padded("big", 10), members);
  },
  "100k strings with LFU counters"(keyspace, databases) {
    const eviction = new Eviction(databases);
    eviction.configure({ maxmemory: 1e12, policy: "allkeys-lfu", samples: 5 });
    for (let i = 0; i < 100_000; i++) {
      const key = padded(`key:${i}`, 12);
      keyspace.set(key, padded(`${i}`, 20));
      eviction.touch(key, keyspace);
    }
  },
};

/**
 * Hashes of 129 fields (40-byte fields and values): one packed first and
 * moved to the table at its 129th field, one in the table from its first.
 * Their heaps must match: the moved one's strings must not be views that
 * keep its packed string alive (they did, at 49.9 against 35.0 MB).
 */
function grownHashes(packedFirst: boolean): (keyspace: Keyspace) => void {
  return (keyspace) => {
    for (let i = 0; i < 2_000; i++) {
      const hash = new Hash();
      if (!packedFirst) {
        hash.set("x".repeat(PACKED_MAX_LENGTH + 1), "");
        hash.delete("x".repeat(PACKED_MAX_LENGTH + 1));
      }
      for (let j = 0; j <= PACKED_MAX_FIELDS; j++) {
        hash.set(padded(`field:${j}`, 40), padded(`${i}:${j}`, 40));
      }
      keyspace.storeCollection(padded(`grown:${i}`, 10), hash);
    }
  };
}

const RETENTION_SCENARIOS: Record<string, (keyspace: Keyspace, databases: Databases) => void> = {
  "hashes moved from packed to the table": grownHashes(true),
  "hashes in the table from the start": grownHashes(false),
};

function probe(scenarios: typeof SCENARIOS): Measurement[] {
  const gc = (globalThis as unknown as { gc: () => void }).gc;
  const heap = () => {
    gc();
    gc();
    const usage = Deno.memoryUsage();
    return usage.heapUsed + usage.external;
  };
  const results: Measurement[] = [];
  for (const [scenario, load] of Object.entries(scenarios)) {
    let databases: Databases | undefined = new Databases(1);
    const keyspace = databases.at(0);
    keyspace.now = 1;
    const before = heap();
    load(keyspace, databases);
    const after = heap();
    results.push({ scenario, estimate: keyspace.usedMemory, heap: after - before });
    databases = undefined;
  }
  return results;
}

/** Runs this file as the probe (with `gc()`) over one set of scenarios, by name. */
async function probed(which: "estimates" | "retention"): Promise<Measurement[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--v8-flags=--expose-gc", fileURLToPath(import.meta.url), which],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout)) as Measurement[];
}

if (import.meta.main) {
  console.log(
    JSON.stringify(probe(Deno.args[0] === "retention" ? RETENTION_SCENARIOS : SCENARIOS)),
  );
} else {
  Deno.test("A hash moved from packed to the table holds no view of its packed string", async () => {
    const [moved, fromStart] = await probed("retention");
    assert.ok(
      moved!.heap <= fromStart!.heap * 1.05,
      `moved ${moved!.heap} bytes, in the table from the start ${fromStart!.heap}`,
    );
  });

  Deno.test("Keyspace.usedMemory is within 25% of the heap the data takes", async () => {
    const results = await probed("estimates");
    assert.equal(results.length, Object.keys(SCENARIOS).length);
    for (const { scenario, estimate, heap } of results) {
      const error = (estimate - heap) / heap;
      assert.ok(
        Math.abs(error) <= 0.25,
        `${scenario}: estimate ${estimate}, heap ${heap} (${(error * 100).toFixed(1)}%)`,
      );
    }
  });
}
