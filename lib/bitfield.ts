/**
 * BITFIELD's integers: signed (`i1`…`i64`) and unsigned (`u1`…`u63`) fields
 * at any bit offset of a bitmap, most significant bit first (SETBIT's
 * order), and Redis's three overflow policies.
 *
 * Values are bigints: a field holds up to 64 bits and the arithmetic must
 * wrap exactly as Redis's `uint64_t`/`int64_t` code does, which JS numbers
 * cannot. {@link checkOverflow} is a transcription of Redis's
 * `checkSignedBitfieldOverflow` and `checkUnsignedBitfieldOverflow`,
 * including how a SET of a negative value into an unsigned field counts as
 * an overflow (the value is taken as its 64-bit two's complement).
 *
 * @module
 */

/** A field's type: signedness and width. */
export interface FieldType {
  readonly signed: boolean;
  readonly bits: number;
}

/** What happens when a result does not fit the field (BITFIELD's OVERFLOW). */
export type OverflowPolicy = "WRAP" | "SAT" | "FAIL";

/**
 * Parses a field type as Redis does: `i` or `u`, then 1–64 bits for signed,
 * 1–63 for unsigned (a u64 could not be replied as a signed 64-bit integer).
 *
 * @example
 * ```ts
 * import { parseFieldType } from "./bitfield.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseFieldType("i16"), { signed: true, bits: 16 });
 * assert.equal(parseFieldType("u64"), undefined);
 * ```
 */
export function parseFieldType(text: string): FieldType | undefined {
  const sign = text[0];
  if (sign !== "i" && sign !== "u") return undefined;
  const digits = text.slice(1);
  // string2ll's rules: no sign, no leading zero, decimal digits only.
  if (!/^[1-9][0-9]{0,18}$/.test(digits)) return undefined;
  const bits = Number(digits);
  const signed = sign === "i";
  if (bits > (signed ? 64 : 63)) return undefined;
  return { signed, bits };
}

/** The field of `type.bits` bits at bit `offset`, as an unsigned value; bits past the end read as 0. */
function readUnsigned(bytes: Uint8Array, offset: number, bits: number): bigint {
  let value = 0n;
  let bitsTaken = 0;
  let position = offset;
  // Whole bytes and byte pieces at a time: at most nine steps for 64 bits.
  while (bitsTaken < bits) {
    const byteIndex = Math.floor(position / 8);
    const bitInByte = position % 8;
    const take = Math.min(8 - bitInByte, bits - bitsTaken);
    const byte = byteIndex < bytes.length ? bytes[byteIndex]! : 0;
    const piece = (byte >> (8 - bitInByte - take)) & ((1 << take) - 1);
    value = (value << BigInt(take)) | BigInt(piece);
    bitsTaken += take;
    position += take;
  }
  return value;
}

/**
 * The value of the field of `type` at bit `offset` (bits past the end of
 * `bytes` read as 0): sign-extended for signed types.
 *
 * @example
 * ```ts
 * import { readField } from "./bitfield.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(readField(new Uint8Array([0xf0]), { signed: true, bits: 4 }, 0), -1n);
 * assert.equal(readField(new Uint8Array([0xf0]), { signed: false, bits: 4 }, 2), 12n);
 * ```
 */
export function readField(bytes: Uint8Array, type: FieldType, offset: number): bigint {
  const raw = readUnsigned(bytes, offset, type.bits);
  return type.signed ? BigInt.asIntN(type.bits, raw) : raw;
}

/**
 * Writes the low `type.bits` bits of `value` at bit `offset`; `bytes` must
 * already reach the field's last bit.
 */
export function writeField(
  bytes: Uint8Array,
  type: FieldType,
  offset: number,
  value: bigint,
): void {
  const bits = type.bits;
  const raw = BigInt.asUintN(bits, value);
  let bitsLeft = bits;
  let position = offset;
  while (bitsLeft > 0) {
    const byteIndex = Math.floor(position / 8);
    const bitInByte = position % 8;
    const take = Math.min(8 - bitInByte, bitsLeft);
    const piece = Number((raw >> BigInt(bitsLeft - take)) & BigInt((1 << take) - 1));
    const shift = 8 - bitInByte - take;
    const mask = ((1 << take) - 1) << shift;
    bytes[byteIndex] = (bytes[byteIndex]! & ~mask) | (piece << shift);
    bitsLeft -= take;
    position += take;
  }
}

/** `value` as C's `int64_t` (two's complement wrap). */
function int64(value: bigint): bigint {
  return BigInt.asIntN(64, value);
}

/**
 * Whether `value + increment` overflows the field, and if so the value the
 * policy gives (undefined for FAIL): Redis's `check*BitfieldOverflow`.
 * `value` is a field value (or, for SET, the 64-bit argument with
 * `increment` 0); `increment` is a signed 64-bit integer.
 *
 * @example Saturating and wrapping an 8-bit unsigned field
 * ```ts
 * import { checkOverflow } from "./bitfield.ts";
 * import assert from "node:assert/strict";
 *
 * const u8 = { signed: false, bits: 8 };
 * assert.deepEqual(checkOverflow(u8, 250n, 10n, "SAT"), { overflow: true, result: 255n });
 * assert.deepEqual(checkOverflow(u8, 250n, 10n, "WRAP"), { overflow: true, result: 4n });
 * assert.deepEqual(checkOverflow(u8, 250n, 5n, "WRAP"), { overflow: false, result: 255n });
 * ```
 */
export function checkOverflow(
  type: FieldType,
  value: bigint,
  increment: bigint,
  policy: OverflowPolicy,
): { overflow: boolean; result: bigint | undefined } {
  const bits = BigInt(type.bits);
  if (type.signed) {
    const max = type.bits === 64 ? (1n << 63n) - 1n : (1n << (bits - 1n)) - 1n;
    const min = -max - 1n;
    const maxIncrement = int64(max - value);
    const minIncrement = int64(min - value);
    const wide = type.bits !== 64;
    let direction = 0;
    if (
      value > max || (wide && increment > maxIncrement) ||
      (value >= 0n && increment > 0n && increment > maxIncrement)
    ) {
      direction = 1;
    } else if (
      value < min || (wide && increment < minIncrement) ||
      (value < 0n && increment < 0n && increment < minIncrement)
    ) {
      direction = -1;
    }
    if (direction === 0) return { overflow: false, result: value + increment };
    if (policy === "FAIL") return { overflow: true, result: undefined };
    if (policy === "SAT") return { overflow: true, result: direction > 0 ? max : min };
    // WRAP: add as uint64, then sign-extend from the field's top bit.
    return { overflow: true, result: BigInt.asIntN(type.bits, value + increment) };
  }
  const max = (1n << bits) - 1n;
  // Redis holds the value as uint64_t: a negative SET argument is a huge unsigned value.
  const unsigned = BigInt.asUintN(64, value);
  const maxIncrement = int64(max - unsigned);
  const minIncrement = int64(-unsigned);
  let direction = 0;
  if (unsigned > max || (increment > 0n && increment > maxIncrement)) direction = 1;
  else if (increment < 0n && increment < minIncrement) direction = -1;
  if (direction === 0) return { overflow: false, result: unsigned + increment };
  if (policy === "FAIL") return { overflow: true, result: undefined };
  if (policy === "SAT") return { overflow: true, result: direction > 0 ? max : 0n };
  return { overflow: true, result: BigInt.asUintN(type.bits, unsigned + increment) };
}
