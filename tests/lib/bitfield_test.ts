import assert from "node:assert/strict";
import fc from "fast-check";
import {
  checkOverflow,
  type FieldType,
  type OverflowPolicy,
  parseFieldType,
  readField,
  writeField,
} from "../../lib/bitfield.ts";

const fieldType = fc.record({ signed: fc.boolean(), bits: fc.integer({ min: 1, max: 64 }) })
  .map(({ signed, bits }): FieldType => ({ signed, bits: signed ? bits : Math.min(bits, 63) }));
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

function limits(type: FieldType): [bigint, bigint] {
  const bits = BigInt(type.bits);
  return type.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
}

Deno.test("parseFieldType takes i1..i64 and u1..u63 only", () => {
  assert.deepEqual(parseFieldType("i64"), { signed: true, bits: 64 });
  assert.deepEqual(parseFieldType("u63"), { signed: false, bits: 63 });
  assert.deepEqual(parseFieldType("u1"), { signed: false, bits: 1 });
  for (const bad of ["u64", "i65", "i0", "u", "x8", "i08", "i+8", "I8", "i 8", "i-1", ""]) {
    assert.equal(parseFieldType(bad), undefined, bad);
  }
});

Deno.test("writeField then readField gives back the value at any offset, bits around untouched", () => {
  fc.assert(
    fc.property(
      fieldType,
      fc.integer({ min: 0, max: 40 }),
      int64,
      fc.uint8Array({ minLength: 14, maxLength: 14 }),
      (type, offset, value, initial) => {
        const bytes = initial.slice();
        writeField(bytes, type, offset, value);
        const expected = type.signed
          ? BigInt.asIntN(type.bits, value)
          : BigInt.asUintN(type.bits, value);
        assert.equal(readField(bytes, type, offset), expected);
        // Every bit outside [offset, offset + bits) is as it was.
        for (let bit = 0; bit < bytes.length * 8; bit++) {
          if (bit >= offset && bit < offset + type.bits) continue;
          const mask = 0x80 >> (bit % 8);
          assert.equal(bytes[bit >> 3]! & mask, initial[bit >> 3]! & mask);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("readField reads bits past the end as zeros", () => {
  assert.equal(readField(new Uint8Array([0xff]), { signed: false, bits: 16 }, 4), 0xf000n);
  assert.equal(readField(new Uint8Array([]), { signed: true, bits: 64 }, 100), 0n);
});

Deno.test("checkOverflow: an increment overflows exactly when the true sum leaves the field's range", () => {
  fc.assert(
    fc.property(
      fieldType,
      int64,
      int64,
      fc.constantFrom<OverflowPolicy>("WRAP", "SAT", "FAIL"),
      (type, raw, increment, policy) => {
        const [min, max] = limits(type);
        const value = type.signed ? BigInt.asIntN(type.bits, raw) : BigInt.asUintN(type.bits, raw);
        const sum = value + increment;
        const { overflow, result } = checkOverflow(type, value, increment, policy);
        assert.equal(overflow, sum < min || sum > max);
        if (!overflow) return assert.equal(result, sum);
        if (policy === "FAIL") return assert.equal(result, undefined);
        if (policy === "SAT") return assert.equal(result, sum > max ? max : min);
        assert.equal(
          result,
          type.signed ? BigInt.asIntN(type.bits, sum) : BigInt.asUintN(type.bits, sum),
        );
      },
    ),
    { numRuns: 5000 },
  );
});

Deno.test("checkOverflow: SET of a negative value into an unsigned field is an overflow, as in Redis", () => {
  const u8: FieldType = { signed: false, bits: 8 };
  assert.deepEqual(checkOverflow(u8, -1n, 0n, "SAT"), { overflow: true, result: 255n });
  assert.deepEqual(checkOverflow(u8, -1n, 0n, "WRAP"), { overflow: true, result: 255n });
  assert.deepEqual(checkOverflow(u8, -256n, 0n, "WRAP"), { overflow: true, result: 0n });
  const i64: FieldType = { signed: true, bits: 64 };
  assert.deepEqual(checkOverflow(i64, 2n ** 63n - 1n, 1n, "WRAP"), {
    overflow: true,
    result: -(2n ** 63n),
  });
  assert.deepEqual(checkOverflow(i64, -(2n ** 63n), -1n, "SAT"), {
    overflow: true,
    result: -(2n ** 63n),
  });
});
