import assert from "node:assert/strict";
import { Databases } from "../../lib/databases.ts";
import { Hash } from "../../lib/hash.ts";
import type { Keyspace } from "../../lib/keyspace.ts";
import { List } from "../../lib/list.ts";
import { MemberSet } from "../../lib/member_set.ts";
import { readRdb } from "../../lib/persistence/rdb_reader.ts";
import { Stream } from "../../lib/stream.ts";
import { formatId, MAX_ID, MIN_ID } from "../../lib/stream_id.ts";
import { SortedSet } from "../../lib/zset.ts";
import { BackgroundSnapshot, releaseSnapshotWorker, saveSnapshot } from "../../server/snapshot.ts";

const SETTINGS = { compression: true, checksum: true };
const NOW = 1_700_000_000_000;

/** A value in a form `deepEqual` compares: hashes and sets in sorted order, lists in order. */
type ModelValue =
  | string
  | [string, number][]
  | { hash: [string, string][] }
  | { set: string[] }
  | { list: string[] }
  | { stream: [string, readonly string[]][] };

function modelOf(
  value: string | Iterable<[string, number]> | Hash | MemberSet | List | Stream,
): ModelValue {
  if (typeof value === "string") return value;
  if (value instanceof Stream) {
    return {
      stream: value.range(MIN_ID, MAX_ID).map((entry) => [formatId(entry.id), entry.fields]),
    };
  }
  if (value instanceof Hash) return { hash: [...value.entries()].sort() };
  if (value instanceof MemberSet) return { set: value.memberList().sort() };
  if (value instanceof List) return { list: [...value.values()] };
  return [...value].map(([m, s]) => [m, s]);
}
type Model = Map<string, { value: ModelValue; expiresAtMs: number | undefined }>;

/** A deterministic pseudo-random generator, so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The live data as a plain model: what a snapshot taken now must hold. */
function copyOf(keyspace: Keyspace): Model {
  const model: Model = new Map();
  for (const [key, value] of keyspace.rawEntries()) {
    const expiresAtMs = keyspace.rawExpiry(key);
    if (expiresAtMs !== undefined && expiresAtMs <= keyspace.now) continue;
    model.set(key, {
      value: modelOf(
        typeof value === "string" || !(value instanceof SortedSet) ? value : value.entries(),
      ),
      expiresAtMs,
    });
  }
  return model;
}

function readModel(bytes: Uint8Array): Model {
  const model: Model = new Map();
  const info = readRdb(bytes, (entry) => {
    assert.ok(!model.has(entry.key), `key ${entry.key} written twice`);
    model.set(entry.key, { value: modelOf(entry.value), expiresAtMs: entry.expiresAtMs });
  });
  assert.equal(info.checksum, "verified");
  return model;
}

function fill(keyspace: Keyspace, next: () => number, count: number): void {
  for (let i = 0; i < count; i++) {
    const key = `key:${i}`;
    if (i % 10 === 5) {
      const hash = new Hash();
      for (let f = 0; f < (i % 1000 === 5 ? 2000 : 4); f++) hash.set(`f${f}`, `v${next()}`);
      keyspace.set(key, hash);
    } else if (i % 10 === 7) {
      keyspace.set(key, MemberSet.of(["a", "b", String(i)]));
    } else if (i % 10 === 0) {
      const zset = new SortedSet();
      const members = i % 1000 === 0 ? 3000 : 5;
      for (let m = 0; m < members; m++) zset.add(`m${m}`, Math.floor(next() * 100));
      keyspace.set(key, zset);
    } else if (i % 10 === 3) {
      const list = new List();
      const elements = i % 1000 === 5 ? 3000 : 5;
      for (let e = 0; e < elements; e++) list.pushBack(`e${e}`);
      keyspace.set(key, list);
    } else {
      keyspace.set(key, `value ${i} ${"\x00\xff".repeat(i % 7)}`);
    }
    if (i % 3 === 0) keyspace.setExpiry(key, NOW + 1_000 + Math.floor(next() * 100_000));
  }
}

/** One random write, through the same keyspace calls the commands use. */
function mutate(keyspace: Keyspace, next: () => number, count: number): void {
  const key = `key:${Math.floor(next() * count * 1.2)}`;
  const choice = next();
  if (choice < 0.3) {
    keyspace.set(key, `new ${next()}`);
  } else if (choice < 0.45) {
    keyspace.delete(key);
  } else if (choice < 0.7) {
    const existing = keyspace.get(key);
    if (existing instanceof List) {
      // Edited in place, as LPUSH and RPOP do.
      existing.pushFront(`e${Math.floor(next() * 10)}`);
      existing.popBack();
      keyspace.storeCollection(key, existing);
    } else if (existing instanceof Hash) {
      existing.set(`f${Math.floor(next() * 10)}`, String(next()));
      existing.delete("f1");
      keyspace.storeCollection(key, existing);
    } else if (existing instanceof MemberSet) {
      existing.add(`m${Math.floor(next() * 10)}`);
      existing.remove("a");
      keyspace.storeCollection(key, existing);
    } else if (existing instanceof SortedSet) {
      // Edited in place, as ZADD and the binary protocol's zadd do.
      existing.add(`m${Math.floor(next() * 10)}`, next());
      existing.remove("m1");
      keyspace.storeCollection(key, existing);
    } else if (existing === undefined) {
      const zset = keyspace.getCollection(key, SortedSet) ?? new SortedSet();
      zset.add("fresh", 1);
      keyspace.storeCollection(key, zset);
    }
  } else if (choice < 0.85) {
    keyspace.setExpiry(key, NOW + 5_000 + Math.floor(next() * 1_000));
  } else {
    keyspace.persist(key);
  }
}

async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kache-snapshot-" });
  try {
    await body(dir);
  } finally {
    // The worker a successful snapshot keeps for the next would outlive the test.
    releaseSnapshotWorker();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("BackgroundSnapshot holds exactly the data at the cut while writers change it", async () => {
  await withDir(async (dir) => {
    const databases = new Databases(16);
    const keyspace = databases.at(0);
    keyspace.now = NOW;
    const next = random(7);
    const count = 40_000;
    fill(keyspace, next, count);
    const atCut = copyOf(keyspace);
    const snapshot = new BackgroundSnapshot(databases, `${dir}/dump.rdb`, SETTINGS, NOW);
    let writes = 0;
    let finished = false;
    snapshot.done.then(() => finished = true, () => finished = true);
    // Writes between the walk's slices, for as long as it runs (bounded).
    for (let round = 0; round < 10_000 && !finished; round++) {
      for (let i = 0; i < 50; i++) mutate(keyspace, next, count);
      writes += 50;
      // Some keys reach their deadline and are swept, as the active expiry does.
      keyspace.now += 1;
      keyspace.expireDue(20);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const result = await snapshot.done;
    assert.ok(writes > 1000, `only ${writes} writes happened during the snapshot`);
    assert.equal(keyspace.snapshotHook, undefined);
    const saved = readModel(await Deno.readFile(`${dir}/dump.rdb`));
    assert.equal(result.keys, atCut.size);
    assert.deepEqual(saved, atCut);
    assert.notDeepEqual(copyOf(keyspace), atCut);
  });
});

Deno.test("BackgroundSnapshot of several databases holds each at the cut across SWAPDB and flushes", async () => {
  await withDir(async (dir) => {
    const databases = new Databases(16);
    const used = [0, 4, 9];
    databases.shared.now = NOW;
    const next = random(11);
    const count = 15_000;
    for (const db of used) fill(databases.at(db), next, count);
    const atCut = new Map(used.map((db) => [db, copyOf(databases.at(db))]));
    const snapshot = new BackgroundSnapshot(databases, `${dir}/dump.rdb`, SETTINGS, NOW);
    let finished = false;
    snapshot.done.then(() => finished = true, () => finished = true);
    let rounds = 0;
    for (; rounds < 10_000 && !finished; rounds++) {
      for (let i = 0; i < 30; i++) mutate(databases.at(next() < 0.5 ? 0 : 4), next, count);
      // A database that held nothing at the cut gets data, then takes part in swaps.
      if (rounds === 2) fill(databases.at(7), next, 100);
      if (rounds % 5 === 1) databases.swap(4, next() < 0.5 ? 9 : 7);
      if (rounds === 3) databases.at(7).flush();
      databases.shared.now += 1;
      for (const keyspace of databases.created()) keyspace.expireDue(10);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await snapshot.done;
    assert.ok(rounds > 5, `the snapshot finished after ${rounds} rounds`);
    for (const keyspace of databases.created()) assert.equal(keyspace.snapshotHook, undefined);
    const saved = new Map<number, Model>();
    const info = readRdb(await Deno.readFile(`${dir}/dump.rdb`), (entry) => {
      let model = saved.get(entry.db);
      if (model === undefined) saved.set(entry.db, model = new Map());
      assert.ok(!model.has(entry.key), `key ${entry.key} of db ${entry.db} written twice`);
      model.set(entry.key, { value: modelOf(entry.value), expiresAtMs: entry.expiresAtMs });
    });
    assert.equal(info.checksum, "verified");
    assert.deepEqual(saved, atCut);
  });
});

Deno.test("BackgroundSnapshot leaves out keys created after the cut and keeps deleted ones", async () => {
  await withDir(async (dir) => {
    const databases = new Databases(16);
    const keyspace = databases.at(0);
    keyspace.now = NOW;
    for (let i = 0; i < 5_000; i++) keyspace.set(`k${i}`, String(i));
    const snapshot = new BackgroundSnapshot(databases, `${dir}/dump.rdb`, SETTINGS, NOW);
    for (let i = 0; i < 5_000; i++) keyspace.delete(`k${i}`);
    keyspace.set("late", "x");
    keyspace.delete("late");
    keyspace.set("k1", "recreated");
    await snapshot.done;
    const saved = readModel(await Deno.readFile(`${dir}/dump.rdb`));
    assert.equal(saved.size, 5_000);
    assert.equal(saved.get("k1")?.value, "1");
    assert.equal(saved.has("late"), false);
  });
});

Deno.test("BackgroundSnapshot.cowBytes counts the old values written ahead of the walk, once each", async () => {
  await withDir(async (dir) => {
    const databases = new Databases(16);
    const keyspace = databases.at(0);
    keyspace.now = NOW;
    for (let i = 0; i < 1_000; i++) keyspace.set(`k${i}`, "v".repeat(100));
    const snapshot = new BackgroundSnapshot(databases, `${dir}/dump.rdb`, SETTINGS, NOW);
    assert.equal(snapshot.keysAtCut, 1_000);
    assert.ok(snapshot.startMicros >= 0);
    // Nothing changed yet: nothing was preserved.
    assert.equal(snapshot.cowBytes, 0);
    // Before the first slice runs, ten keys change (twice each) and one key is created.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 10; i++) keyspace.set(`k${i}`, "new");
    }
    keyspace.set("created after the cut", "x");
    const preserved = snapshot.cowBytes;
    // Each old value is written once: type (1 byte), key (1 + 2), the value LZF-compressed
    // (about 10 bytes for "v" * 100; at most 1 + 100), and one SELECTDB (2) before the first.
    assert.ok(preserved >= 10 * 5 && preserved <= 2 + 10 * 105, `${preserved} bytes`);
    await snapshot.done;
    assert.equal(snapshot.cowBytes, preserved, "the walk itself adds nothing");
    assert.equal(
      readModel(await Deno.readFile(`${dir}/dump.rdb`)).get("k3")?.value,
      "v".repeat(100),
    );
  });
});

Deno.test("BackgroundSnapshots one after another share a worker and each file is whole", async () => {
  await withDir(async (dir) => {
    const databases = new Databases(16);
    const keyspace = databases.at(0);
    keyspace.now = NOW;
    for (let round = 0; round < 3; round++) {
      keyspace.set(`key:${round}`, "v".repeat(round * 1000));
      const snapshot = new BackgroundSnapshot(databases, `${dir}/dump${round}.rdb`, SETTINGS, NOW);
      const result = await snapshot.done;
      const file = await Deno.readFile(`${dir}/dump${round}.rdb`);
      // Each file's length and CRC-64 are its own, not carried over from the one before.
      assert.equal(result.bytes, file.length);
      const keys: string[] = [];
      assert.equal(readRdb(file, (entry) => keys.push(entry.key)).checksum, "verified");
      assert.equal(keys.length, round + 1);
    }
    // A failed snapshot does not hand its worker on: the next one still writes a whole file.
    const failed = new BackgroundSnapshot(databases, `${dir}/missing/dump.rdb`, SETTINGS, NOW);
    await assert.rejects(failed.done);
    const after = new BackgroundSnapshot(databases, `${dir}/after.rdb`, SETTINGS, NOW);
    await after.done;
    const file = await Deno.readFile(`${dir}/after.rdb`);
    assert.equal(readRdb(file, () => {}).checksum, "verified");
  });
});

Deno.test("BackgroundSnapshot survives a FLUSHALL during the walk", async () => {
  await withDir(async (dir) => {
    const databases = new Databases(16);
    const keyspace = databases.at(0);
    keyspace.now = NOW;
    const next = random(3);
    fill(keyspace, next, 30_000);
    const atCut = copyOf(keyspace);
    const snapshot = new BackgroundSnapshot(databases, `${dir}/dump.rdb`, SETTINGS, NOW);
    await new Promise((resolve) => setTimeout(resolve, 0));
    keyspace.flush();
    keyspace.set("key:1", "after flush");
    await snapshot.done;
    assert.deepEqual(readModel(await Deno.readFile(`${dir}/dump.rdb`)), atCut);
  });
});

Deno.test("saveSnapshot writes the data atomically and leaves out expired keys", async () => {
  await withDir(async (dir) => {
    const databases = new Databases(16);
    const keyspace = databases.at(0);
    keyspace.now = NOW;
    fill(keyspace, random(1), 2_000);
    keyspace.set("gone", "v");
    keyspace.setExpiry("gone", NOW + 10);
    keyspace.now = NOW + 20;
    const atSave = copyOf(keyspace);
    const result = saveSnapshot(databases, `${dir}/dump.rdb`, SETTINGS, keyspace.now);
    assert.equal(result.keys, atSave.size);
    assert.deepEqual(readModel(await Deno.readFile(`${dir}/dump.rdb`)), atSave);
    assert.deepEqual([...Deno.readDirSync(dir)].map((entry) => entry.name), ["dump.rdb"]);
  });
});

Deno.test("a failed BackgroundSnapshot rejects, unhooks and leaves no temporary file", async () => {
  await withDir(async (dir) => {
    const databases = new Databases(16);
    const keyspace = databases.at(0);
    keyspace.set("k", "v");
    const snapshot = new BackgroundSnapshot(databases, `${dir}/missing/dump.rdb`, SETTINGS, NOW);
    await assert.rejects(snapshot.done, /No such file|not found/i);
    assert.equal(keyspace.snapshotHook, undefined);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  });
});

Deno.test("an aborted BackgroundSnapshot removes its temporary file", async () => {
  await withDir(async (dir) => {
    const databases = new Databases(16);
    const keyspace = databases.at(0);
    for (let i = 0; i < 50_000; i++) keyspace.set(`k${i}`, "v".repeat(100));
    const snapshot = new BackgroundSnapshot(databases, `${dir}/dump.rdb`, SETTINGS, NOW);
    await new Promise((resolve) => setTimeout(resolve, 5));
    snapshot.abort("stop");
    await assert.rejects(snapshot.done, /stop/);
    assert.equal(keyspace.snapshotHook, undefined);
    // The worker may still be closing the file it had open; it is gone once terminated.
    assert.deepEqual([...Deno.readDirSync(dir)].filter((e) => e.name === "dump.rdb"), []);
  });
});
