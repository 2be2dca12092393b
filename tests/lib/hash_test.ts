import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { Hash } from "../../lib/hash.ts";
import { hashBytes } from "../../lib/memory.ts";
import { seededRandom } from "../../lib/random.ts";

Deno.test("Hash.set reports new fields and overwrites values", () => {
  const hash = new Hash();
  strictEqual(hash.set("a", "1"), true);
  strictEqual(hash.set("b", "2"), true);
  strictEqual(hash.set("a", "3"), false);
  strictEqual(hash.size, 2);
  strictEqual(hash.get("a"), "3");
  strictEqual(hash.get("c"), undefined);
  deepStrictEqual([...hash.entries()], [["a", "3"], ["b", "2"]]);
  hash.checkInvariants();
});

Deno.test("Hash.delete moves the last slot into the hole", () => {
  const hash = new Hash();
  for (const field of ["a", "b", "c", "d"]) hash.set(field, field.toUpperCase());
  strictEqual(hash.delete("b"), true);
  strictEqual(hash.delete("b"), false);
  deepStrictEqual(hash.fieldList(), ["a", "d", "c"]);
  deepStrictEqual(hash.valueList(), ["A", "D", "C"]);
  deepStrictEqual(hash.entryAt(1), ["d", "D"]);
  throws(() => hash.entryAt(3), RangeError);
  hash.checkInvariants();
});

Deno.test("Hash.byteSize follows fields and values both ways", () => {
  const hash = new Hash();
  const empty = hash.byteSize;
  hash.set("field", "value");
  strictEqual(hash.takeByteDelta(), hash.byteSize);
  hash.set("field", "a much longer value than before");
  const delta = hash.takeByteDelta();
  strictEqual(delta > 0, true);
  hash.delete("field");
  strictEqual(hash.byteSize, empty);
  strictEqual(hash.byteSize, hashBytes(0, 0));
  strictEqual(hash.reportedBytes + hash.takeByteDelta(), empty);
});

Deno.test("Hash.scan returns every field present throughout while fields come and go", () => {
  const hash = new Hash();
  for (let i = 0; i < 1000; i++) hash.set(`f${i}`, String(i));
  const seen = new Set<string>();
  let cursor: number | bigint = 0;
  let round = 0;
  do {
    const step = hash.scan(cursor, 10);
    for (const field of step.keys) seen.add(field);
    cursor = step.cursor;
    // Churn between steps: fields below 500 stay throughout, the rest come and go.
    hash.delete(`f${500 + (round % 500)}`);
    hash.set(`late${round++}`, "x");
  } while (cursor !== 0);
  for (let i = 0; i < 500; i++) ok(seen.has(`f${i}`), `f${i} was missed`);
});

Deno.test("Hash agrees with a Map model over random operations", () => {
  for (const seed of [1, 2, 3, 4]) {
    const random = seededRandom(seed);
    const hash = new Hash();
    const model = new Map<string, string>();
    for (let step = 0; step < 5000; step++) {
      const field = `f${Math.floor(random() * 64)}`;
      const choice = random();
      if (choice < 0.5) {
        const value = "v".repeat(Math.floor(random() * 40));
        strictEqual(hash.set(field, value), !model.has(field));
        model.set(field, value);
      } else if (choice < 0.8) {
        strictEqual(hash.delete(field), model.delete(field));
      } else if (hash.size > 0) {
        const [picked, value] = hash.entryAt(Math.floor(random() * hash.size));
        strictEqual(model.get(picked), value);
      }
      strictEqual(hash.get(field), model.get(field));
      strictEqual(hash.has(field), model.has(field));
      strictEqual(hash.size, model.size);
      if (step % 500 === 0) hash.checkInvariants();
    }
    hash.checkInvariants();
    deepStrictEqual(new Map(hash.entries()), model);
  }
});

Deno.test("Hash slot picks are uniform: every field is drawn about equally", () => {
  const hash = new Hash();
  for (let i = 0; i < 10; i++) hash.set(`f${i}`, "");
  hash.delete("f3");
  hash.delete("f7");
  const random = seededRandom(9);
  const counts = new Map<string, number>();
  for (let i = 0; i < 8000; i++) {
    const [field] = hash.entryAt(Math.floor(random() * hash.size));
    counts.set(field, (counts.get(field) ?? 0) + 1);
  }
  strictEqual(counts.size, 8);
  // Expected 1000 each; the bound is over 6 standard deviations (~30).
  for (const count of counts.values()) strictEqual(Math.abs(count - 1000) < 200, true);
});
