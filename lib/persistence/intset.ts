/**
 * Decoder for intsets, the encoding Redis writes for small sets whose members
 * are all integers (RDB type 11, SET_INTSET; `set-max-intset-entries`, 512 by
 * default). Kache writes plain sets; this is for loading Redis's files.
 *
 * Layout (Redis's `intset.c`): the width of every element in bytes (u32 LE:
 * 2, 4 or 8), the element count (u32 LE), then the elements as signed
 * little-endian integers of that width, ascending and distinct.
 *
 * @module
 */
import { readSignedLE } from "./listpack.ts";

const HEADER_SIZE = 8;

/**
 * Decodes an intset into its members as decimal strings. Throws a RangeError
 * when it is malformed: a bad width, a length that disagrees with the count,
 * or elements out of order (which would hide duplicates).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * // Width 2, two elements: -1 and 300.
 * const intset = new Uint8Array([2, 0, 0, 0, 2, 0, 0, 0, 0xff, 0xff, 0x2c, 0x01]);
 * deepStrictEqual(decodeIntset(intset), ["-1", "300"]);
 * ```
 */
export function decodeIntset(bytes: Uint8Array): string[] {
  if (bytes.length < HEADER_SIZE) {
    throw new RangeError(`intset of ${bytes.length} bytes is shorter than its header`);
  }
  const width = readU32(bytes, 0);
  if (width !== 2 && width !== 4 && width !== 8) {
    throw new RangeError(`intset element width ${width} at offset 0 is not 2, 4 or 8`);
  }
  const count = readU32(bytes, 4);
  if (bytes.length !== HEADER_SIZE + count * width) {
    throw new RangeError(
      `intset of ${count} elements of ${width} bytes cannot take ${bytes.length} bytes`,
    );
  }
  const members: string[] = [];
  let previous: bigint | undefined;
  for (let i = 0; i < count; i++) {
    const at = HEADER_SIZE + i * width;
    const text = readSignedLE(bytes, at, width);
    const value = BigInt(text);
    if (previous !== undefined && value <= previous) {
      throw new RangeError(`intset element ${text} at offset ${at} is not above the previous one`);
    }
    previous = value;
    members.push(text);
  }
  return members;
}

function readU32(bytes: Uint8Array, p: number): number {
  return (bytes[p]! | bytes[p + 1]! << 8 | bytes[p + 2]! << 16 | bytes[p + 3]! << 24) >>> 0;
}
