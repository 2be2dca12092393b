/**
 * Decoder for zipmaps, the encoding Redis before 2.6 wrote for small hashes
 * (RDB type 9, HASH_ZIPMAP). Needed only to load very old files.
 *
 * Layout (Redis's `zipmap.c`): one byte of entry count (254 or more: count
 * them), then per entry the field's length, the field, the value's length, a
 * byte of free space, the value and that many unused bytes; 0xFF ends it. A
 * length is one byte below 254, or 254 followed by a u32 LE.
 *
 * @module
 */
import { bytesToString } from "../bytes.ts";

const END = 0xff;
const BIG_LENGTH = 254;

/**
 * Decodes a zipmap into field, value, field, value… as one-byte strings.
 * Throws a RangeError naming the offset when it is malformed.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * // One entry: "a" → "bc", no free bytes.
 * const zipmap = new Uint8Array([1, 1, 97, 2, 0, 98, 99, 0xff]);
 * deepStrictEqual(decodeZipmap(zipmap), ["a", "bc"]);
 * ```
 */
export function decodeZipmap(bytes: Uint8Array): string[] {
  const out: string[] = [];
  let p = 1;
  const readLength = (): number => {
    if (p >= bytes.length) throw new RangeError(`zipmap ends inside a length at offset ${p}`);
    const first = bytes[p++]!;
    if (first < BIG_LENGTH) return first;
    if (first === END) throw new RangeError(`zipmap ends inside an entry at offset ${p - 1}`);
    if (p + 4 > bytes.length) throw new RangeError(`zipmap ends inside a length at offset ${p}`);
    const length = (bytes[p]! | bytes[p + 1]! << 8 | bytes[p + 2]! << 16 | bytes[p + 3]! << 24) >>>
      0;
    p += 4;
    return length;
  };
  const readBytes = (length: number): string => {
    if (p + length > bytes.length) {
      throw new RangeError(`zipmap string of ${length} bytes at offset ${p} runs past its end`);
    }
    const text = bytesToString(bytes, p, p + length);
    p += length;
    return text;
  };
  if (bytes.length < 2) throw new RangeError(`zipmap of ${bytes.length} bytes is too short`);
  while (true) {
    if (p >= bytes.length) throw new RangeError(`zipmap has no end marker`);
    if (bytes[p] === END) {
      if (p !== bytes.length - 1) throw new RangeError(`zipmap has bytes after its end at ${p}`);
      return out;
    }
    out.push(readBytes(readLength()));
    const valueLength = readLength();
    if (p >= bytes.length) throw new RangeError(`zipmap ends inside an entry at offset ${p}`);
    const free = bytes[p++]!;
    out.push(readBytes(valueLength));
    if (p + free > bytes.length) throw new RangeError(`zipmap free space runs past its end`);
    p += free;
  }
}
