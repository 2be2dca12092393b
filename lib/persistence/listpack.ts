/**
 * Decoder for listpacks, the compact list encoding Redis ≥ 7.0 writes for
 * small sorted sets (RDB type 17, ZSET_LISTPACK: member, score, member,
 * score…) and for the nodes of a list (RDB type 18, QUICKLIST_2). Kache
 * writes every sorted set in snapshots as ZSET_2, which Redis converts back
 * to a listpack on load when it is small. DUMP and list nodes are written
 * with listpack_writer.ts.
 *
 * Layout (Redis's `listpack.c`): a 6-byte header (total bytes u32 LE,
 * element count u16 LE, 65535 meaning "count them"), the entries, and a
 * 0xFF terminator. Each entry is an encoding byte, its data, and a
 * "backlen" (the entry's size, 7 bits per byte, for walking backwards).
 *
 * Decisions that shape the module:
 * - Integers come back as their decimal text: listpack stores a string as an
 *   integer only when the text is exactly the canonical form of that integer,
 *   so the text is the value Redis was given, byte for byte.
 * - It is strict: every length is checked against the buffer and every
 *   backlen against the entry it closes, so a corrupt blob raises a
 *   RangeError naming the offset instead of reading out of bounds.
 *
 * @module
 */
import { bytesToString } from "../bytes.ts";

const HEADER_SIZE = 6;
const END = 0xff;
/** Header count meaning "too many to count here: walk the entries". */
const UNKNOWN_COUNT = 65535;

/**
 * Decodes a listpack into its elements as one-byte strings.
 * Throws a RangeError naming the offset within `bytes` when it is malformed.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * // Two entries: the string "a" (6-bit length) and the integer 5 (7-bit uint).
 * const listpack = new Uint8Array([12, 0, 0, 0, 2, 0, 0x81, 97, 2, 5, 1, 0xff]);
 * deepStrictEqual(decodeListpack(listpack), ["a", "5"]);
 * ```
 */
export function decodeListpack(bytes: Uint8Array): string[] {
  const length = bytes.length;
  if (length < HEADER_SIZE + 1) {
    throw new RangeError(`listpack of ${length} bytes is shorter than its header`);
  }
  const total = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  if (total !== length) {
    throw new RangeError(`listpack header says ${total} bytes but the blob has ${length}`);
  }
  const count = bytes[4]! | (bytes[5]! << 8);
  const elements: string[] = [];
  let p = HEADER_SIZE;
  while (true) {
    if (p >= length) throw new RangeError(`listpack has no terminator (offset ${p})`);
    const start = p;
    const b = bytes[p]!;
    if (b === END) break;
    let dataStart: number;
    let dataLength: number;
    let value: string | undefined;
    if (b < 0x80) {
      // 0xxxxxxx: 7-bit unsigned integer.
      value = String(b);
      dataStart = p + 1;
      dataLength = 0;
    } else if ((b & 0xc0) === 0x80) {
      // 10xxxxxx: string of up to 63 bytes.
      dataStart = p + 1;
      dataLength = b & 0x3f;
    } else if ((b & 0xe0) === 0xc0) {
      // 110xxxxx yyyyyyyy: 13-bit signed integer.
      need(bytes, p, 2);
      const raw = ((b & 0x1f) << 8) | bytes[p + 1]!;
      value = String(raw >= 1 << 12 ? raw - (1 << 13) : raw);
      dataStart = p + 2;
      dataLength = 0;
    } else if ((b & 0xf0) === 0xe0) {
      // 1110xxxx yyyyyyyy: string of up to 4095 bytes.
      need(bytes, p, 2);
      dataStart = p + 2;
      dataLength = ((b & 0x0f) << 8) | bytes[p + 1]!;
    } else if (b === 0xf0) {
      need(bytes, p, 5);
      dataStart = p + 5;
      dataLength = (bytes[p + 1]! | (bytes[p + 2]! << 8) | (bytes[p + 3]! << 16) |
        (bytes[p + 4]! << 24)) >>> 0;
    } else if (b >= 0xf1 && b <= 0xf4) {
      // 16-, 24-, 32- and 64-bit signed integers, little-endian.
      const size = b === 0xf1 ? 2 : b === 0xf2 ? 3 : b === 0xf3 ? 4 : 8;
      need(bytes, p, 1 + size);
      value = readSignedLE(bytes, p + 1, size);
      dataStart = p + 1 + size;
      dataLength = 0;
    } else {
      throw new RangeError(`listpack entry at offset ${p} has invalid encoding byte ${b}`);
    }
    const dataEnd = dataStart + dataLength;
    if (dataEnd > length) {
      throw new RangeError(`listpack entry at offset ${p} runs past the end of the blob`);
    }
    elements.push(value ?? bytesToString(bytes, dataStart, dataEnd));
    p = skipBacklen(bytes, start, dataEnd);
  }
  if (p !== length - 1) {
    throw new RangeError(`listpack has ${length - 1 - p} bytes after its terminator`);
  }
  if (count !== UNKNOWN_COUNT && count !== elements.length) {
    throw new RangeError(`listpack header counts ${count} elements but holds ${elements.length}`);
  }
  return elements;
}

function need(bytes: Uint8Array, p: number, size: number): void {
  if (p + size > bytes.length) {
    throw new RangeError(`listpack entry at offset ${p} runs past the end of the blob`);
  }
}

/**
 * Checks the backlen after the entry `[start, dataEnd)` and returns the offset
 * after it. Redis's `lpEncodeBacklen` thresholds (127, 16382, …) are kept exactly.
 */
function skipBacklen(bytes: Uint8Array, start: number, dataEnd: number): number {
  const size = dataEnd - start;
  const backlenSize = size <= 127
    ? 1
    : size < 16383
    ? 2
    : size < 2097151
    ? 3
    : size < 268435455
    ? 4
    : 5;
  const end = dataEnd + backlenSize;
  if (end > bytes.length) {
    throw new RangeError(`listpack entry at offset ${start} runs past the end of the blob`);
  }
  // The first byte holds the highest 7 bits; every later byte is flagged with 0x80.
  let encoded = bytes[dataEnd]!;
  for (let i = dataEnd + 1; i < end; i++) encoded = encoded * 128 + (bytes[i]! & 0x7f);
  if (encoded !== size) {
    throw new RangeError(`listpack entry at offset ${start} has backlen ${encoded}, not ${size}`);
  }
  return end;
}

/** Decimal text of the `size`-byte little-endian two's-complement integer at `p`. */
export function readSignedLE(bytes: Uint8Array, p: number, size: number): string {
  if (size === 8) {
    const lo = (bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16) |
      (bytes[p + 3]! << 24)) >>> 0;
    const hi = bytes[p + 4]! | (bytes[p + 5]! << 8) | (bytes[p + 6]! << 16) |
      (bytes[p + 7]! << 24);
    // Exact for every int64: BigInt only here, where a number could round.
    return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  }
  let value = 0;
  for (let i = size - 1; i >= 0; i--) value = value * 256 + bytes[p + i]!;
  const limit = 2 ** (8 * size);
  return String(value >= limit / 2 ? value - limit : value);
}
