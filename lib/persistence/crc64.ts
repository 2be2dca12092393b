/**
 * CRC-64/Jones as Redis computes it (`crc64.c`): reflected, polynomial
 * 0xad93d23594c935a9, initial value 0, no final xor. It closes every RDB
 * file (eight bytes, little-endian) and covers the whole snapshot, so it
 * has to keep up with the encoder.
 *
 * Decisions that shape the module:
 * - No BigInt on the hot path: the 64-bit register is two uint32 halves,
 *   and every table is split into a low-half and a high-half Int32Array.
 * - Slicing-by-8 (the algorithm Redis's `crcspeed.c` uses): eight 256-entry
 *   tables fold eight input bytes per step with 16 table loads instead of
 *   eight dependent byte steps, about 5× the byte-at-a-time speed.
 *
 * @module
 */

/** The reflected (bit-reversed) Jones polynomial: reverse64(0xad93d23594c935a9). */
const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

/**
 * `LO[k * 256 + b]` and `HI[k * 256 + b]`: the CRC of byte `b` followed by `k`
 * zero bytes, as two halves. Table 0 is the classic byte-wise table.
 */
const LO = new Int32Array(8 * 256);
const HI = new Int32Array(8 * 256);

for (let b = 0; b < 256; b++) {
  let lo = b;
  let hi = 0;
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1;
    lo = (lo >>> 1) | (hi << 31);
    hi = hi >>> 1;
    if (carry) {
      lo ^= POLY_LO;
      hi ^= POLY_HI;
    }
  }
  LO[b] = lo;
  HI[b] = hi;
}
for (let k = 1; k < 8; k++) {
  for (let b = 0; b < 256; b++) {
    const lo = LO[(k - 1) * 256 + b]!;
    const hi = HI[(k - 1) * 256 + b]!;
    const index = lo & 0xff;
    LO[k * 256 + b] = ((lo >>> 8) | (hi << 24)) ^ LO[index]!;
    HI[k * 256 + b] = (hi >>> 8) ^ HI[index]!;
  }
}

/**
 * A running CRC-64/Jones over bytes fed in any number of pieces.
 *
 * @example Redis's check value
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const crc = new Crc64();
 * crc.update(new TextEncoder().encode("123456789"));
 * strictEqual(crc.value(), 0xe9c6d914c4b8d9can);
 * ```
 */
export class Crc64 {
  /** Low 32 bits of the register (signed storage, read with `>>> 0`). */
  #lo = 0;
  /** High 32 bits of the register. */
  #hi = 0;

  /** Folds `bytes[start, end)` into the checksum. */
  update(bytes: Uint8Array, start = 0, end = bytes.length): this {
    let lo = this.#lo;
    let hi = this.#hi;
    let i = start;
    const fastEnd = end - 7;
    while (i < fastEnd) {
      const a = lo ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) |
        (bytes[i + 3]! << 24));
      const c = hi ^ (bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) |
        (bytes[i + 7]! << 24));
      // The first byte of the eight has seven bytes after it, so it uses table 7.
      const i7 = 0x700 | (a & 0xff);
      const i6 = 0x600 | ((a >>> 8) & 0xff);
      const i5 = 0x500 | ((a >>> 16) & 0xff);
      const i4 = 0x400 | (a >>> 24);
      const i3 = 0x300 | (c & 0xff);
      const i2 = 0x200 | ((c >>> 8) & 0xff);
      const i1 = 0x100 | ((c >>> 16) & 0xff);
      const i0 = c >>> 24;
      lo = LO[i7]! ^ LO[i6]! ^ LO[i5]! ^ LO[i4]! ^ LO[i3]! ^ LO[i2]! ^ LO[i1]! ^ LO[i0]!;
      hi = HI[i7]! ^ HI[i6]! ^ HI[i5]! ^ HI[i4]! ^ HI[i3]! ^ HI[i2]! ^ HI[i1]! ^ HI[i0]!;
      i += 8;
    }
    for (; i < end; i++) {
      const index = (lo ^ bytes[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ LO[index]!;
      hi = (hi >>> 8) ^ HI[index]!;
    }
    this.#lo = lo;
    this.#hi = hi;
    return this;
  }

  /** The checksum so far as an unsigned 64-bit integer. */
  value(): bigint {
    return (BigInt(this.#hi >>> 0) << 32n) | BigInt(this.#lo >>> 0);
  }

  /** Writes the checksum so far as 8 little-endian bytes (the RDB trailer) at `offset`. */
  writeTo(target: Uint8Array, offset: number): void {
    const lo = this.#lo;
    const hi = this.#hi;
    target[offset] = lo;
    target[offset + 1] = lo >>> 8;
    target[offset + 2] = lo >>> 16;
    target[offset + 3] = lo >>> 24;
    target[offset + 4] = hi;
    target[offset + 5] = hi >>> 8;
    target[offset + 6] = hi >>> 16;
    target[offset + 7] = hi >>> 24;
  }
}

/**
 * CRC-64/Jones of `bytes` in one call.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(crc64(new Uint8Array()), 0n);
 * ```
 */
export function crc64(bytes: Uint8Array): bigint {
  return new Crc64().update(bytes).value();
}
