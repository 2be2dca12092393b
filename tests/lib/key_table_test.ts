/**
 * The keyspace's table against a `Map` model: random stores, replacements
 * of every size and type, deletes; every byte value in keys and values;
 * SCAN and walks over the whole table; arena growth under churn.
 */
import assert from "node:assert/strict";
import { KeyTable } from "../../lib/key_table.ts";
import type { Value } from "../../lib/keyspace.ts";
import { seededRandom } from "../../lib/random.ts";
import { SortedSet } from "../../lib/zset.ts";

function binary(random: () => number, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += String.fromCharCode(Math.floor(random() * 256));
  return text;
}

function scanAll(table: KeyTable, count: number): Set<string> {
  const seen = new Set<string>();
  let cursor = 0;
  do {
    const step = table.scan(cursor, count);
    for (const key of step.keys) seen.add(key);
    cursor = step.cursor;
  } while (cursor !== 0);
  return seen;
}

/**
 * One random change to `table` and the same to its `model`: a delete, a
 * sorted set, or a string value of a size across several classes (now and
 * then one past a slab, a dedicated chunk). Checks what the table reports.
 */
function randomChange(
  table: KeyTable,
  model: Map<string, Value>,
  keys: readonly string[],
  random: () => number,
  step: number,
): void {
  const key = keys[Math.floor(random() * keys.length)]!;
  const roll = random();
  if (roll < 0.35) {
    assert.equal(table.delete(key), model.delete(key), `delete at step ${step}`);
  } else if (roll < 0.4) {
    const zset = new SortedSet();
    zset.add("m", 1);
    const previous = model.get(key);
    const outcome = table.store(key, zset);
    assert.equal(outcome, previous === undefined ? "created" : "replaced");
    assert.equal(table.lastCollection, previous instanceof SortedSet ? previous : undefined);
    model.set(key, zset);
  } else {
    const length = roll > 0.999 ? 600_000 : Math.floor(random() * random() * 3000);
    const value = binary(random, length);
    const outcome = table.store(key, value);
    assert.equal(outcome === "created", !model.has(key), `store at step ${step}`);
    model.set(key, value);
  }
  assert.equal(table.size, model.size);
}

Deno.test("KeyTable matches a Map model under random stores, replacements and deletes", () => {
  const random = seededRandom(42);
  const table = new KeyTable();
  const model = new Map<string, Value>();
  const keys = Array.from({ length: 300 }, (_, i) => binary(random, i % 40));
  for (let step = 0; step < 20_000; step++) randomChange(table, model, keys, random, step);
  for (const key of keys) assert.equal(table.get(key), model.get(key));
  const walked = new Map(table.entries());
  assert.deepEqual(walked, model);
  assert.deepEqual(scanAll(table, 10), new Set(model.keys()));
});

Deno.test("KeyTable.prefetch reads ahead without changing a thing", () => {
  const random = seededRandom(7);
  const table = new KeyTable();
  table.prefetch(["absent", "also absent"], 2);
  const model = new Map<string, Value>();
  // Short keys in a table kept small give chains of several records; a batch of up to 200
  // keys outgrows the scratch arrays; values span slabs, a dedicated chunk and collections.
  const keys = Array.from({ length: 400 }, (_, i) => binary(random, i % 12));
  for (let step = 0; step < 5_000; step++) {
    randomChange(table, model, keys, random, step);
    if (step % 25 === 0) {
      const batch = Array.from(
        { length: 1 + Math.floor(random() * 200) },
        () => keys[Math.floor(random() * keys.length)]!,
      );
      const size = table.size;
      const bytes = table.byteSize;
      table.prefetch(batch, batch.length);
      assert.equal(table.size, size);
      assert.equal(table.byteSize, bytes);
      for (const key of batch) assert.equal(table.get(key), model.get(key), `after step ${step}`);
    }
  }
  assert.deepEqual(new Map(table.entries()), model);
});

Deno.test("KeyTable keeps all 256 byte values exact in keys and values", () => {
  const table = new KeyTable();
  let all = "";
  for (let byte = 0; byte < 256; byte++) all += String.fromCharCode(byte);
  for (let byte = 0; byte < 256; byte++) {
    table.store(String.fromCharCode(byte), all.slice(byte) + all.slice(0, byte));
  }
  table.store(all, all);
  for (let byte = 0; byte < 256; byte++) {
    assert.equal(table.get(String.fromCharCode(byte)), all.slice(byte) + all.slice(0, byte));
  }
  assert.equal(table.get(all), all);
  assert.equal(table.get(""), undefined);
  table.store("", "");
  assert.equal(table.get(""), "");
});

Deno.test("KeyTable.scan returns every key held for the whole walk while the table grows and shrinks", () => {
  const table = new KeyTable();
  for (let i = 0; i < 1000; i++) table.store(`stable:${i}`, "v");
  const seen = new Set<string>();
  let cursor = 0;
  let round = 0;
  do {
    const step = table.scan(cursor, 20);
    for (const key of step.keys) seen.add(key);
    // Alternately add many keys (the table doubles) and remove them (it shrinks).
    if (round % 10 === 3) { for (let i = 0; i < 3000; i++) table.store(`churn:${i}`, "x"); }
    if (round % 10 === 8) { for (let i = 0; i < 3000; i++) table.delete(`churn:${i}`); }
    round++;
    cursor = step.cursor;
  } while (cursor !== 0);
  for (let i = 0; i < 1000; i++) assert.ok(seen.has(`stable:${i}`), `stable:${i} missed`);
});

Deno.test("KeyTable resizes a few buckets per lookup, finding every key and scanning all meanwhile", () => {
  // Relinking all records in the store that crossed the load factor stalled every client
  // for 0.1 s at 1M keys; the store now only starts the resize.
  const table = new KeyTable();
  const held = new Set<string>();
  let next = 0;
  const grow = () => {
    const key = `key:${next++}`;
    table.store(key, "v");
    held.add(key);
  };
  while (held.size < 50_000) grow();
  while (table.resizing) table.has("absent");
  while (!table.resizing && held.size < 200_000) grow();
  const walk = () => {
    const seen = new Set<string>();
    let cursor = 0;
    do {
      const step = table.scan(cursor, 100);
      for (const key of step.keys) seen.add(key);
      cursor = step.cursor;
    } while (cursor !== 0);
    return seen;
  };
  assert.ok(table.resizing);
  assert.deepEqual(walk(), held);
  let lookups = 0;
  for (const key of held) {
    assert.equal(table.get(key), "v", key);
    lookups++;
    if (lookups === held.size >> 2) {
      assert.ok(table.resizing, "a quarter of the way through the keys, still resizing");
      assert.deepEqual(walk(), held);
      assert.ok(held.has(table.randomKey(Math.random)!));
    }
  }
  assert.equal(table.resizing, false, `still resizing after ${lookups} lookups`);
  assert.deepEqual(walk(), held);
  // Shrinking, the same way.
  for (const key of [...held]) {
    table.delete(key);
    held.delete(key);
    if (table.resizing) break;
  }
  assert.ok(table.resizing);
  assert.ok(held.size > 1000);
  assert.deepEqual(walk(), held);
  for (const key of held) assert.equal(table.get(key), "v");
  while (table.resizing) table.has("absent");
  assert.deepEqual(walk(), held);
  assert.equal(table.size, held.size);
});

Deno.test("KeyTable: deleting half the keys and writing them again keeps the arena within 1.2x", () => {
  const table = new KeyTable();
  const value = (i: number) => `value:${i}`.padEnd(16 + (i % 7) * 9, "#");
  for (let i = 0; i < 200_000; i++) table.store(`key:${i}`.padEnd(16, "."), value(i));
  const firstFill = table.reservedBytes;
  const firstBytes = table.byteSize;
  for (let i = 0; i < 200_000; i += 2) table.delete(`key:${i}`.padEnd(16, "."));
  for (let i = 0; i < 200_000; i += 2) table.store(`key:${i}`.padEnd(16, "."), value(i));
  assert.ok(table.reservedBytes <= firstFill * 1.2, `${table.reservedBytes} vs ${firstFill}`);
  assert.equal(table.byteSize, firstBytes);
  assert.equal(table.size, 200_000);
});

Deno.test("KeyTable.randomKey draws keys from every part of the table", () => {
  const table = new KeyTable();
  const random = seededRandom(5);
  assert.equal(table.randomKey(random), undefined);
  for (let i = 0; i < 64; i++) table.store(`k${i}`, "v");
  const drawn = new Set<string>();
  for (let i = 0; i < 5000; i++) drawn.add(table.randomKey(random)!);
  assert.equal(drawn.size, 64);
});
