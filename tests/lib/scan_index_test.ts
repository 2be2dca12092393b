import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import fc from "fast-check";
import { cursorBits, ScanIndex } from "../../lib/scan_index.ts";

/** Runs a walk to completion, calling `between` after each step; returns every key visited. */
function walkAll(index: ScanIndex, count: number, between: () => void = () => {}): string[] {
  const seen: string[] = [];
  let cursor = 0;
  for (let steps = 0; steps < 1_000_000; steps++) {
    const step = index.scan(cursor, count);
    seen.push(...step.keys);
    if (step.cursor === 0) return seen;
    cursor = step.cursor;
    between();
  }
  throw new Error("walk did not finish");
}

Deno.test("ScanIndex.scan returns every key of an unchanging index exactly once", () => {
  const keys = Array.from({ length: 1000 }, (_, i) => `key:${i}`);
  const index = ScanIndex.from(keys);
  strictEqual(index.size, 1000);
  for (const count of [1, 3, 10, 999, 1000, 5000]) {
    deepStrictEqual(walkAll(index, count).sort(), [...keys].sort());
  }
});

Deno.test("ScanIndex.scan of an empty index ends at once with cursor 0", () => {
  deepStrictEqual(new ScanIndex().scan(0, 10), { cursor: 0, keys: [] });
  deepStrictEqual(new ScanIndex().scan(12345, 10), { cursor: 0, keys: [] });
});

Deno.test("ScanIndex.scan returns every key present throughout while keys come and go", () => {
  // Inserts and deletes between steps make the table double and shrink mid-walk.
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 400 }),
      fc.integer({ min: 1, max: 50 }),
      fc.array(
        fc.record({
          kind: fc.constantFrom("insert", "delete", "reinsert", "burst", "purge"),
          key: fc.integer({ min: 0, max: 2000 }),
        }),
        { maxLength: 200 },
      ),
      (initial, count, changes) => {
        const live = new Set<string>();
        const index = new ScanIndex();
        const add = (key: string) => {
          if (!live.has(key)) {
            live.add(key);
            index.add(key);
          }
        };
        const remove = (key: string) => {
          if (live.delete(key)) ok(index.delete(key));
          else ok(!index.delete(key));
        };
        for (let i = 0; i < initial; i++) add(String(i));
        const initialKeys = [...live];
        const touched = new Set<string>();
        let next = 0;
        const seen = walkAll(index, count, () => {
          for (let n = 0; n < 3 && next < changes.length; n++, next++) {
            const { kind, key } = changes[next]!;
            const name = String(key);
            if (kind === "burst") {
              for (let i = 0; i < 200; i++) add(`burst:${key}:${i}`);
            } else if (kind === "purge") {
              for (const old of [...live].slice(0, 150)) {
                touched.add(old);
                remove(old);
              }
            } else {
              touched.add(name);
              if (kind !== "insert") remove(name);
              if (kind !== "delete") add(name);
            }
          }
        });
        const returned = new Set(seen);
        for (const key of initialKeys) {
          if (!touched.has(key)) ok(returned.has(key), `key ${key} present throughout was missed`);
        }
        strictEqual(index.size, live.size);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("ScanIndex keeps any number of concurrent walks exact, with no state between calls", () => {
  const index = ScanIndex.from(Array.from({ length: 5000 }, (_, i) => `k${i}`));
  const walks = Array.from({ length: 100 }, () => ({ cursor: 0, seen: new Set<string>() }));
  let active = walks.length;
  for (let round = 0; active > 0 && round < 10_000; round++) {
    active = 0;
    for (const walk of walks) {
      if (round > 0 && walk.cursor === 0) continue;
      const step = index.scan(walk.cursor, 7);
      for (const key of step.keys) walk.seen.add(key);
      walk.cursor = step.cursor;
      if (walk.cursor !== 0) active++;
    }
  }
  for (const walk of walks) strictEqual(walk.seen.size, 5000);
});

Deno.test("ScanIndex.scan accepts any cursor, made up or from a bigger table, and ends", () => {
  const index = ScanIndex.from(Array.from({ length: 100 }, (_, i) => `k${i}`));
  for (const made of [1, 77, 2 ** 31 + 5, 2 ** 40 + 3, 2n ** 64n - 1n]) {
    let cursor: number | bigint = made;
    let steps = 0;
    do {
      const step = index.scan(cursor, 10);
      cursor = step.cursor;
      ok(cursor < 2 ** 32);
    } while (cursor !== 0 && ++steps < 1000);
    strictEqual(cursor, 0);
  }
});

Deno.test("ScanIndex.delete reports absent keys and empty strings are keys like any other", () => {
  const index = ScanIndex.from(["", "a"]);
  ok(!index.delete("b"));
  ok(index.delete(""));
  ok(!index.delete(""));
  deepStrictEqual(walkAll(index, 10), ["a"]);
});

Deno.test("ScanIndex shrinks its table when most keys are gone", () => {
  const index = ScanIndex.from(Array.from({ length: 100_000 }, (_, i) => `k${i}`));
  const full = index.byteSize;
  for (let i = 0; i < 99_990; i++) index.delete(`k${i}`);
  ok(index.byteSize < full / 100, `${index.byteSize} bytes for 10 keys (was ${full})`);
  deepStrictEqual(
    walkAll(index, 3).sort(),
    Array.from({ length: 10 }, (_, i) => `k${99_990 + i}`).sort(),
  );
});

Deno.test("cursorBits keeps the low 32 bits of any parsed cursor", () => {
  strictEqual(cursorBits(5), 5);
  strictEqual(cursorBits(2 ** 32 + 5), 5);
  strictEqual(cursorBits(2n ** 64n - 1n), 2 ** 32 - 1);
});
