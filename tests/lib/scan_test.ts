import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { CommandError, NOT_INTEGER, SYNTAX } from "../../lib/errors.ts";
import {
  INVALID_CURSOR,
  parseScanCursor,
  parseScanOptions,
  POSITION_BITS,
  ScanCursors,
  type ScanRequest,
} from "../../lib/scan.ts";

function requestOver<K>(map: Map<K, unknown>, count: number): ScanRequest<K> {
  return {
    source: map,
    open: () => map.keys(),
    size: map.size,
    count,
    accept: (key) => map.has(key),
  };
}

/** Runs a walk to completion, calling `between` after each page. */
function walkAll<K>(
  cursors: ScanCursors,
  request: ScanRequest<K>,
  between: () => void = () => {},
): K[] {
  const seen: K[] = [];
  let cursor: number | bigint = 0;
  for (let pages = 0; pages < 100_000; pages++) {
    const page = cursors.scan(cursor, request);
    seen.push(...page.items);
    if (page.cursor === "0") return seen;
    cursor = parseScanCursor(page.cursor);
    between();
  }
  throw new Error("walk did not finish");
}

function expectCommandError(run: () => unknown, message: string): void {
  throws(run, (error) => error instanceof CommandError && error.message === message);
}

Deno.test("ScanCursors.scan returns every item of an unchanging map exactly once", () => {
  const map = new Map(Array.from({ length: 1000 }, (_, i) => [`key:${i}`, i]));
  for (const count of [1, 3, 10, 999, 1000, 5000]) {
    const seen = walkAll(new ScanCursors(), requestOver(map, count));
    deepStrictEqual(seen, [...map.keys()]);
  }
});

Deno.test("ScanCursors.scan of an empty map ends at once with cursor 0", () => {
  const map = new Map<string, number>();
  deepStrictEqual(new ScanCursors().scan(0, requestOver(map, 10)), { cursor: "0", items: [] });
});

Deno.test("ScanCursors.scan ends with cursor 0 on the page that reaches the end", () => {
  const map = new Map([["a", 1], ["b", 2], ["c", 3], ["d", 4]]);
  const cursors = new ScanCursors();
  const first = cursors.scan(0, requestOver(map, 2));
  deepStrictEqual(first.items, ["a", "b"]);
  ok(first.cursor !== "0");
  // The last two items fill the page exactly; no empty trailing page is needed.
  deepStrictEqual(cursors.scan(parseScanCursor(first.cursor), requestOver(map, 2)), {
    cursor: "0",
    items: ["c", "d"],
  });
  strictEqual(cursors.size, 0);
});

Deno.test("ScanCursors.scan counts refused items as visited, as Redis's COUNT does", () => {
  const map = new Map(Array.from({ length: 10 }, (_, i) => [i, i]));
  const cursors = new ScanCursors();
  const page = cursors.scan(0, { ...requestOver(map, 4), accept: (key) => key % 2 === 0 });
  deepStrictEqual(page.items, [0, 2]);
  ok(page.cursor !== "0");
});

Deno.test("ScanCursors.scan refuses the lookahead item if it was deleted between calls", () => {
  const map = new Map([["a", 1], ["b", 2], ["c", 3]]);
  const cursors = new ScanCursors();
  const first = cursors.scan(0, requestOver(map, 1));
  deepStrictEqual(first.items, ["a"]);
  map.delete("b");
  deepStrictEqual(cursors.scan(parseScanCursor(first.cursor), requestOver(map, 10)), {
    cursor: "0",
    items: ["c"],
  });
});

Deno.test("ScanCursors.scan returns every key present throughout despite concurrent changes", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 1, max: 50 }),
      fc.array(
        fc.record({
          kind: fc.constantFrom("insert", "delete", "reinsert"),
          key: fc.integer({ min: 0, max: 600 }),
        }),
        { maxLength: 200 },
      ),
      (initial, count, changes) => {
        const map = new Map<number, number>();
        for (let i = 0; i < initial; i++) map.set(i, i);
        const initialKeys = [...map.keys()];
        const removed = new Set<number>();
        let step = 0;
        const seen = walkAll(new ScanCursors(), requestOver(map, count), () => {
          // A few changes between pages: inserts, deletes, and delete-then-insert.
          for (let n = 0; n < 3 && step < changes.length; n++, step++) {
            const { kind, key } = changes[step]!;
            if (kind !== "insert" && map.delete(key)) removed.add(key);
            if (kind !== "delete") map.set(key, key);
          }
        });
        for (const key of initialKeys) {
          if (!removed.has(key)) ok(seen.includes(key), `key ${key} present throughout was missed`);
        }
        // Only a key deleted and added again may come back a second time.
        const counts = new Map<number, number>();
        for (const key of seen) counts.set(key, (counts.get(key) ?? 0) + 1);
        for (const [key, times] of counts) ok(times === 1 || removed.has(key));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("ScanCursors.scan ends after visiting as many items as the map held at the start", () => {
  const map = new Map(Array.from({ length: 10 }, (_, i) => [i, i]));
  let next = 10;
  let calls = 0;
  const seen = walkAll(new ScanCursors(), requestOver(map, 1), () => {
    calls++;
    // Churn faster than the walk: two new keys per page, and the newest but one deleted.
    map.set(next++, 0);
    map.set(next++, 0);
    map.delete(next - 2);
  });
  strictEqual(calls, 9);
  deepStrictEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // Without a size the walk chases new items until the churn stops.
  const unbounded = new Map(Array.from({ length: 10 }, (_, i) => [i, i]));
  let added = 0;
  const all = walkAll(new ScanCursors(), { ...requestOver(unbounded, 1), size: undefined }, () => {
    if (added < 30) unbounded.set(100 + added++, 0);
  });
  strictEqual(all.length, 40);
});

Deno.test("ScanCursors.scan keeps concurrent walks of one map apart", () => {
  const map = new Map(Array.from({ length: 100 }, (_, i) => [i, i]));
  const cursors = new ScanCursors();
  const request = requestOver(map, 7);
  let a: number | bigint = 0;
  let b: number | bigint = 0;
  const seenA: number[] = [];
  const seenB: number[] = [];
  let doneA = false;
  let doneB = false;
  while (!doneA || !doneB) {
    if (!doneA) {
      const page = cursors.scan(a, request);
      seenA.push(...page.items);
      doneA = page.cursor === "0";
      a = parseScanCursor(page.cursor);
    }
    if (!doneB) {
      const page = cursors.scan(b, { ...request, count: 13 });
      seenB.push(...page.items);
      doneB = page.cursor === "0";
      b = parseScanCursor(page.cursor);
    }
  }
  deepStrictEqual(seenA, [...map.keys()]);
  deepStrictEqual(seenB, [...map.keys()]);
});

Deno.test("ScanCursors.scan resumes a cursor only on the collection that issued it", () => {
  const first = new Map([["a", 1], ["b", 2], ["c", 3]]);
  const second = new Map([["x", 1], ["y", 2], ["z", 3]]);
  const cursors = new ScanCursors();
  const page = cursors.scan(0, requestOver(first, 1));
  // On another map the cursor falls back to skipping its position (1 item).
  deepStrictEqual(cursors.scan(parseScanCursor(page.cursor), requestOver(second, 10)), {
    cursor: "0",
    items: ["y", "z"],
  });
  // The walk of the first map is still there.
  deepStrictEqual(cursors.scan(parseScanCursor(page.cursor), requestOver(first, 10)).items, [
    "b",
    "c",
  ]);
});

Deno.test("ScanCursors.scan falls back to skipping the encoded position for an unknown cursor", () => {
  const map = new Map(Array.from({ length: 20 }, (_, i) => [i, i]));
  const cursors = new ScanCursors();
  const page = cursors.scan(0, requestOver(map, 5));
  const cursor = parseScanCursor(page.cursor);
  // Replaying a cursor (a client retry) after it was used gives the same continuation.
  const resumed = cursors.scan(cursor, requestOver(map, 5));
  const replayed = cursors.scan(cursor, requestOver(map, 5));
  deepStrictEqual(replayed.items, resumed.items);
  // A cursor from another process: position 12 in the low bits.
  const foreign = 987n * 2n ** BigInt(POSITION_BITS) + 12n;
  deepStrictEqual(new ScanCursors().scan(foreign, requestOver(map, 100)).items, [
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
  ]);
  // A position past the end finishes the walk.
  deepStrictEqual(new ScanCursors().scan(500, requestOver(map, 10)), { cursor: "0", items: [] });
});

Deno.test("ScanCursors evicts the least recently used walk beyond its capacity", () => {
  const map = new Map(Array.from({ length: 10 }, (_, i) => [i, i]));
  const cursors = new ScanCursors(2);
  const a = parseScanCursor(cursors.scan(0, requestOver(map, 1)).cursor);
  const b = parseScanCursor(cursors.scan(0, requestOver(map, 2)).cursor);
  const c = parseScanCursor(cursors.scan(0, requestOver(map, 3)).cursor);
  strictEqual(cursors.size, 2);
  map.delete(0); // makes the fallback visible: skipping 1 item now skips key 1
  // b and c resume their live walks, unaffected by the deletion behind them.
  deepStrictEqual(cursors.scan(c, requestOver(map, 1)).items, [3]);
  deepStrictEqual(cursors.scan(b, requestOver(map, 1)).items, [2]);
  // a was evicted: it restarts and skips one item, which is now key 1.
  deepStrictEqual(cursors.scan(a, requestOver(map, 1)).items, [2]);
  cursors.clear();
  strictEqual(cursors.size, 0);
});

Deno.test("ScanCursors hands out increasing cursors below 2^53", () => {
  const map = new Map(Array.from({ length: 100 }, (_, i) => [i, i]));
  const cursors = new ScanCursors();
  let previous = 0;
  for (let i = 0; i < 50; i++) {
    const cursor = Number(cursors.scan(0, requestOver(map, 1)).cursor);
    ok(cursor > previous && Number.isSafeInteger(cursor));
    previous = cursor;
  }
});

Deno.test("ScanCursors refuses a capacity that is not a positive integer", () => {
  throws(() => new ScanCursors(0), RangeError);
  throws(() => new ScanCursors(1.5), RangeError);
});

Deno.test("parseScanCursor follows strtoul: sign, wrap-around, empty string, no spaces", () => {
  strictEqual(parseScanCursor("0"), 0);
  strictEqual(parseScanCursor(""), 0);
  strictEqual(parseScanCursor("+0"), 0);
  strictEqual(parseScanCursor("-0"), 0);
  strictEqual(parseScanCursor("007"), 7);
  strictEqual(parseScanCursor("123456789"), 123456789);
  strictEqual(parseScanCursor("9007199254740991"), 9007199254740991);
  strictEqual(parseScanCursor("9007199254740992"), 9007199254740992n);
  strictEqual(parseScanCursor("18446744073709551615"), 18446744073709551615n);
  strictEqual(parseScanCursor("-1"), 18446744073709551615n);
  strictEqual(parseScanCursor("-18446744073709551615"), 1);
  for (
    const bad of [
      "18446744073709551616",
      "-18446744073709551616",
      " 0",
      "0 ",
      "abc",
      "-",
      "+",
      "1.5",
      "0x10",
    ]
  ) {
    expectCommandError(() => parseScanCursor(bad), INVALID_CURSOR);
  }
});

Deno.test("parseScanOptions reads MATCH, COUNT and TYPE, the last of each winning", () => {
  const options = parseScanOptions(
    ["scan", "0", "match", "a*", "COUNT", "5", "count", "7", "type", "ZSET"],
    { from: 2, allowType: true },
  );
  strictEqual(options.count, 7);
  strictEqual(options.type, "ZSET");
  ok(options.match?.test("abc"));
  ok(!options.match?.test("bc"));
  deepStrictEqual(parseScanOptions(["scan", "0", "MATCH", "*"], { from: 2, allowType: true }), {
    match: undefined,
    count: 10,
    type: undefined,
  });
});

Deno.test("parseScanOptions refuses bad counts, dangling options and TYPE where not allowed", () => {
  const settings = { from: 2, allowType: true };
  expectCommandError(() => parseScanOptions(["scan", "0", "count", "0"], settings), SYNTAX);
  expectCommandError(() => parseScanOptions(["scan", "0", "count", "-1"], settings), SYNTAX);
  expectCommandError(() => parseScanOptions(["scan", "0", "count", "x"], settings), NOT_INTEGER);
  expectCommandError(() => parseScanOptions(["scan", "0", "match"], settings), SYNTAX);
  expectCommandError(() => parseScanOptions(["scan", "0", "foo", "bar"], settings), SYNTAX);
  expectCommandError(
    () => parseScanOptions(["zscan", "k", "0", "type", "zset"], { from: 3, allowType: false }),
    SYNTAX,
  );
});
