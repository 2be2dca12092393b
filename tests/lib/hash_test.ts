import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { Hash, PACKED_MAX_FIELDS, PACKED_MAX_LENGTH } from "../../lib/hash.ts";
import { hashBytes, packedHashBytes } from "../../lib/memory.ts";
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

/** A hash past the packed limits: a value longer than a packed hash holds moves it to the table. */
function tableHash(): Hash {
  const hash = new Hash();
  hash.set("long", "x".repeat(PACKED_MAX_LENGTH + 1));
  hash.delete("long");
  strictEqual(hash.packed, false);
  return hash;
}

Deno.test("A packed Hash.delete keeps the other fields in order, as Redis's listpack does", () => {
  const hash = new Hash();
  for (const field of ["a", "b", "c", "d"]) hash.set(field, field.toUpperCase());
  strictEqual(hash.packed, true);
  strictEqual(hash.delete("b"), true);
  strictEqual(hash.delete("b"), false);
  deepStrictEqual(hash.fieldList(), ["a", "c", "d"]);
  deepStrictEqual(hash.valueList(), ["A", "C", "D"]);
  deepStrictEqual(hash.entryAt(1), ["c", "C"]);
  throws(() => hash.entryAt(3), RangeError);
  hash.checkInvariants();
});

Deno.test("A hash moves to the table past either packed limit, keeping every field", () => {
  const longValue = new Hash();
  longValue.set("a", "1");
  longValue.set("b", "x".repeat(PACKED_MAX_LENGTH));
  strictEqual(longValue.packed, true);
  // A field or value of 65 bytes, new or replacing one: the table from then on.
  strictEqual(longValue.set("b", "y".repeat(PACKED_MAX_LENGTH + 1)), false);
  strictEqual(longValue.packed, false);
  deepStrictEqual([...longValue.entries()], [["a", "1"], ["b", "y".repeat(PACKED_MAX_LENGTH + 1)]]);
  longValue.checkInvariants();
  const longField = new Hash();
  longField.set("a", "1");
  strictEqual(longField.set("f".repeat(PACKED_MAX_LENGTH + 1), "2"), true);
  strictEqual(longField.packed, false);
  strictEqual(longField.get("f".repeat(PACKED_MAX_LENGTH + 1)), "2");
  const many = new Hash();
  for (let i = 0; i < PACKED_MAX_FIELDS; i++) many.set(`f${i}`, `${i}`);
  strictEqual(many.packed, true);
  // Overwriting a field of a full packed hash adds nothing, so it stays packed.
  strictEqual(many.set("f0", "again"), false);
  strictEqual(many.packed, true);
  strictEqual(many.set("one-more", "x"), true);
  strictEqual(many.packed, false);
  strictEqual(many.size, PACKED_MAX_FIELDS + 1);
  strictEqual(many.get("f0"), "again");
  strictEqual(many.get(`f${PACKED_MAX_FIELDS - 1}`), `${PACKED_MAX_FIELDS - 1}`);
  many.checkInvariants();
  // And never back, as Redis never turns a hashtable back into a listpack.
  many.delete("one-more");
  strictEqual(many.packed, false);
});

Deno.test("Packed fields and values hold every byte value, the length bytes included", () => {
  const hash = new Hash();
  const bytes = (start: number) =>
    String.fromCharCode(...Array.from({ length: PACKED_MAX_LENGTH }, (_, i) => (start + i) % 256));
  for (let start = 0; start < 256; start += PACKED_MAX_LENGTH) {
    hash.set(bytes(start), bytes(start + 1));
  }
  hash.set("", "");
  strictEqual(hash.packed, true);
  strictEqual(hash.size, 5);
  for (let start = 0; start < 256; start += PACKED_MAX_LENGTH) {
    strictEqual(hash.get(bytes(start)), bytes(start + 1));
  }
  strictEqual(hash.get(""), "");
  // A field equal to the tail of another entry's bytes is not found inside it.
  strictEqual(hash.get(bytes(1).slice(1)), undefined);
  hash.checkInvariants();
});

Deno.test("Hash.delete moves the last slot into the hole in the table", () => {
  const hash = tableHash();
  for (const field of ["a", "b", "c", "d"]) hash.set(field, field.toUpperCase());
  strictEqual(hash.delete("b"), true);
  strictEqual(hash.delete("b"), false);
  deepStrictEqual(hash.fieldList(), ["a", "d", "c"]);
  deepStrictEqual(hash.valueList(), ["A", "D", "C"]);
  deepStrictEqual(hash.entryAt(1), ["d", "D"]);
  throws(() => hash.entryAt(3), RangeError);
  hash.checkInvariants();
});

Deno.test("A packed Hash.byteSize is its object and its one string", () => {
  const hash = new Hash();
  strictEqual(hash.byteSize, packedHashBytes(0));
  hash.set("field", "value");
  // Each entry: a length char, the field, a length char, the value.
  strictEqual(hash.byteSize, packedHashBytes(1 + 5 + 1 + 5));
  strictEqual(hash.takeByteDelta(), hash.byteSize);
  hash.delete("field");
  strictEqual(hash.byteSize, packedHashBytes(0));
});

Deno.test("Hash.byteSize follows fields and values both ways in the table", () => {
  const hash = tableHash();
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

Deno.test("Hash agrees with a Map model over random operations, packed and past the limits", () => {
  // Seeds 1-4 stay packed (64 fields, short values); 5-8 reach 200 fields or 70-byte values.
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const random = seededRandom(seed);
    const hash = new Hash();
    const model = new Map<string, string>();
    const fields = seed <= 4 ? 64 : 200;
    const longest = seed <= 4 ? 40 : seed % 2 === 0 ? 70 : 50;
    for (let step = 0; step < 5000; step++) {
      const field = `f${Math.floor(random() * fields)}`;
      const choice = random();
      if (choice < 0.5) {
        const value = "v".repeat(Math.floor(random() * longest));
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
    strictEqual(hash.packed, seed <= 4);
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
