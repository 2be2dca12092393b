import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type BitOperation,
  combineBits,
  countBits,
  findBit,
  popcount,
  resolveBitRange,
} from "../../lib/bitmap.ts";

/** A one-byte string as its bits, most significant first (the model). */
function bitsOf(value: string): number[] {
  const bits: number[] = [];
  for (let i = 0; i < value.length; i++) {
    for (let bit = 7; bit >= 0; bit--) bits.push((value.charCodeAt(i) >> bit) & 1);
  }
  return bits;
}

const byteString = fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 24 })
  .map((codes) => String.fromCharCode(...codes));
/** Bytes that are mostly 0x00 or 0xff, where BITPOS skips whole bytes. */
const runString = fc.array(fc.constantFrom(0, 0xff, 0xff, 0, 0x80, 0x01, 0x7f), { maxLength: 24 })
  .map((codes) => String.fromCharCode(...codes));

Deno.test("popcount counts the set bits of every byte value", () => {
  for (let value = 0; value < 256; value++) {
    assert.equal(
      popcount(String.fromCharCode(value)),
      bitsOf(String.fromCharCode(value)).filter(Boolean).length,
    );
  }
});

Deno.test("resolveBitRange follows Redis's negative indexes and clamping", () => {
  assert.deepEqual(resolveBitRange(6, 1, 1, "BYTE"), { first: 8, last: 15 });
  assert.deepEqual(resolveBitRange(6, -5, -1, "BIT"), { first: 43, last: 47 });
  assert.deepEqual(resolveBitRange(6, -100, 100, "BYTE"), { first: 0, last: 47 });
  assert.deepEqual(resolveBitRange(6, 0, undefined, "BIT"), { first: 0, last: 47 });
  const empty = resolveBitRange(0, 0, -1, "BYTE");
  assert.ok(empty.first > empty.last);
  const reversed = resolveBitRange(6, 3, 1, "BYTE");
  assert.ok(reversed.first > reversed.last);
});

Deno.test("countBits agrees with counting bit by bit over any range", () => {
  fc.assert(
    fc.property(
      byteString,
      fc.integer({ min: -60, max: 60 }),
      fc.integer({ min: -60, max: 60 }),
      fc.boolean(),
      (value, start, end, inBits) => {
        const range = resolveBitRange(value.length, start, end, inBits ? "BIT" : "BYTE");
        const bits = bitsOf(value);
        let expected = 0;
        for (let i = range.first; i <= range.last; i++) expected += bits[i]!;
        assert.equal(countBits(value, range), expected);
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("findBit agrees with a bit-by-bit search, zero padding included", () => {
  fc.assert(
    fc.property(
      fc.oneof(byteString, runString),
      fc.constantFrom(0 as const, 1 as const),
      fc.integer({ min: -40, max: 40 }),
      fc.option(fc.integer({ min: -40, max: 40 })),
      fc.boolean(),
      (value, bit, start, end, inBits) => {
        const range = resolveBitRange(
          value.length,
          start,
          end ?? undefined,
          inBits ? "BIT" : "BYTE",
        );
        const bits = bitsOf(value);
        let expected = -1;
        for (let i = range.first; i <= range.last; i++) {
          if (bits[i] === bit) {
            expected = i;
            break;
          }
        }
        if (expected === -1 && bit === 0 && end === null && range.first <= range.last) {
          expected = range.last + 1;
        }
        assert.equal(findBit(value, bit, range, end === null), expected);
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("combineBits matches byte-wise AND, OR, XOR and NOT with zero padding", () => {
  fc.assert(
    fc.property(
      fc.constantFrom<BitOperation>("AND", "OR", "XOR", "NOT"),
      fc.array(byteString, { minLength: 1, maxLength: 4 }),
      (operation, sources) => {
        const used = operation === "NOT" ? sources.slice(0, 1) : sources;
        const length = Math.max(...used.map((source) => source.length));
        const expected: number[] = [];
        for (let i = 0; i < length; i++) {
          const bytes = used.map((source) => i < source.length ? source.charCodeAt(i) : 0);
          let byte = bytes[0]!;
          for (const other of bytes.slice(1)) {
            byte = operation === "AND"
              ? byte & other
              : operation === "OR"
              ? byte | other
              : byte ^ other;
          }
          expected.push(operation === "NOT" ? ~byte & 0xff : byte);
        }
        assert.deepEqual([...combineBits(operation, used)], expected);
      },
    ),
    { numRuns: 1000 },
  );
});
