/**
 * Decoder for ziplists, the compact list encoding Redis before 7.0 wrote for
 * small sorted sets (RDB type 12, ZSET_ZIPLIST: member, score, member,
 * score…). Needed only to load files from Redis ≤ 6.2; nothing writes it.
 *
 * Layout (Redis's `ziplist.c`): a 10-byte header (total bytes u32 LE, offset
 * of the last entry u32 LE, entry count u16 LE, 65535 meaning "count them"),
 * the entries, and a 0xFF terminator. Each entry is the previous entry's
 * length (1 byte, or 0xFE and a u32 LE), an encoding, and the data.
 *
 * Like the listpack decoder it returns integers as their decimal text and
 * checks every length, so a corrupt blob raises a RangeError naming the
 * offset instead of reading out of bounds.
 *
 * @module
 */
import { bytesToString } from "../bytes.ts";
import { readSignedLE } from "./listpack.ts";

const HEADER_SIZE = 10;
const END = 0xff;
const UNKNOWN_COUNT = 65535;
/** A previous-entry length of 254 or more takes this marker and four more bytes. */
const BIG_PREVLEN = 0xfe;

/**
 * Decodes a ziplist into its elements as one-byte strings.
 * Throws a RangeError naming the offset within `bytes` when it is malformed.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * // Two entries: the string "a" and the immediate integer 5 (0xF1 + 5).
 * const ziplist = new Uint8Array([16, 0, 0, 0, 13, 0, 0, 0, 2, 0, 0, 1, 97, 3, 0xf6, 0xff]);
 * deepStrictEqual(decodeZiplist(ziplist), ["a", "5"]);
 * ```
 */
export function decodeZiplist(bytes: Uint8Array): string[] {
  const length = bytes.length;
  if (length < HEADER_SIZE + 1) {
    throw new RangeError(`ziplist of ${length} bytes is shorter than its header`);
  }
  const total = (bytes[0]! | (bytes[1]! << 8) | (bytes[2]! << 16) | (bytes[3]! << 24)) >>> 0;
  if (total !== length) {
    throw new RangeError(`ziplist header says ${total} bytes but the blob has ${length}`);
  }
  const count = bytes[8]! | (bytes[9]! << 8);
  const elements: string[] = [];
  let p = HEADER_SIZE;
  let previousSize = 0;
  while (true) {
    if (p >= length) throw new RangeError(`ziplist has no terminator (offset ${p})`);
    const start = p;
    if (bytes[p] === END) break;
    let prevlen = bytes[p]!;
    if (prevlen === BIG_PREVLEN) {
      need(bytes, p, 5);
      prevlen = (bytes[p + 1]! | (bytes[p + 2]! << 8) | (bytes[p + 3]! << 16) |
        (bytes[p + 4]! << 24)) >>> 0;
      p += 5;
    } else {
      p += 1;
    }
    if (prevlen !== previousSize) {
      throw new RangeError(
        `ziplist entry at offset ${start} says the previous entry has ${prevlen} bytes, ` +
          `not ${previousSize}`,
      );
    }
    need(bytes, p, 1);
    const b = bytes[p]!;
    const kind = b >> 6;
    let dataStart: number;
    let dataLength = 0;
    let value: string | undefined;
    if (kind === 0) {
      dataStart = p + 1;
      dataLength = b & 0x3f;
    } else if (kind === 1) {
      need(bytes, p, 2);
      dataStart = p + 2;
      dataLength = ((b & 0x3f) << 8) | bytes[p + 1]!;
    } else if (b === 0x80) {
      // The one big-endian length in the format.
      need(bytes, p, 5);
      dataStart = p + 5;
      dataLength = ((bytes[p + 1]! << 24) | (bytes[p + 2]! << 16) | (bytes[p + 3]! << 8) |
        bytes[p + 4]!) >>> 0;
    } else if (b >= 0xf1 && b <= 0xfd) {
      // 1111xxxx: an immediate integer 0..12 stored as xxxx - 1.
      value = String((b & 0x0f) - 1);
      dataStart = p + 1;
    } else {
      const size = b === 0xc0
        ? 2
        : b === 0xd0
        ? 4
        : b === 0xe0
        ? 8
        : b === 0xf0
        ? 3
        : b === 0xfe
        ? 1
        : 0;
      if (size === 0) {
        throw new RangeError(`ziplist entry at offset ${start} has invalid encoding byte ${b}`);
      }
      need(bytes, p, 1 + size);
      value = readSignedLE(bytes, p + 1, size);
      dataStart = p + 1 + size;
    }
    const end = dataStart + dataLength;
    if (end > length) {
      throw new RangeError(`ziplist entry at offset ${start} runs past the end of the blob`);
    }
    elements.push(value ?? bytesToString(bytes, dataStart, end));
    previousSize = end - start;
    p = end;
  }
  if (p !== length - 1) {
    throw new RangeError(`ziplist has ${length - 1 - p} bytes after its terminator`);
  }
  if (count !== UNKNOWN_COUNT && count !== elements.length) {
    throw new RangeError(`ziplist header counts ${count} elements but holds ${elements.length}`);
  }
  return elements;
}

function need(bytes: Uint8Array, p: number, size: number): void {
  if (p + size > bytes.length) {
    throw new RangeError(`ziplist entry at offset ${p} runs past the end of the blob`);
  }
}
