/**
 * Encoder for listpacks, byte for byte as Redis 7.0's `listpack.c` builds
 * them by appending, so DUMP of a small sorted set gives Redis's exact
 * payload. (Snapshots need none: Redis turns a ZSET_2 back into a listpack
 * on load.) See listpack.ts for the layout.
 *
 * An element is a one-byte string, stored as an integer when it is the
 * canonical text of a signed 64-bit integer (Redis's `lpStringToInt64`), or
 * a bigint, stored as an integer (`lpAppendInteger`).
 *
 * @module
 */
import { parseInteger } from "../numbers.ts";

const HEADER_SIZE = 6;
const END = 0xff;
const UNKNOWN_COUNT = 65535;

/**
 * The listpack holding `elements` in order.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { decodeListpack } from "./listpack.ts";
 * const listpack = encodeListpack(["a", 5n, "-4096", "text".repeat(20)]);
 * deepStrictEqual(decodeListpack(listpack), ["a", "5", "-4096", "text".repeat(20)]);
 * ```
 */
export function encodeListpack(elements: readonly (string | bigint)[]): Uint8Array {
  const parts: number[] = [];
  for (const element of elements) {
    const start = parts.length;
    const integer = typeof element === "bigint" ? element : integerOf(element);
    if (integer !== undefined) writeInteger(parts, integer);
    else writeString(parts, element as string);
    writeBacklen(parts, parts.length - start);
  }
  const total = HEADER_SIZE + parts.length + 1;
  const bytes = new Uint8Array(total);
  bytes[0] = total & 0xff;
  bytes[1] = (total >>> 8) & 0xff;
  bytes[2] = (total >>> 16) & 0xff;
  bytes[3] = (total >>> 24) & 0xff;
  const count = Math.min(elements.length, UNKNOWN_COUNT);
  bytes[4] = count & 0xff;
  bytes[5] = count >>> 8;
  bytes.set(parts, HEADER_SIZE);
  bytes[total - 1] = END;
  return bytes;
}

/** The integer a string stands for in a listpack, if it is canonical and shorter than 21 bytes. */
function integerOf(text: string): bigint | undefined {
  const value = parseInteger(text);
  return value === undefined ? undefined : BigInt(value);
}

/** `lpEncodeIntegerGetType`: the smallest of the 7-, 13-, 16-, 24-, 32- and 64-bit forms. */
function writeInteger(out: number[], value: bigint): void {
  if (value >= 0n && value <= 127n) {
    out.push(Number(value));
    return;
  }
  if (value >= -4096n && value <= 4095n) {
    const v = Number(value < 0n ? (1n << 13n) + value : value);
    out.push((v >> 8) | 0xc0, v & 0xff);
    return;
  }
  const [tag, size] = value >= -32768n && value <= 32767n
    ? [0xf1, 2]
    : value >= -8388608n && value <= 8388607n
    ? [0xf2, 3]
    : value >= -2147483648n && value <= 2147483647n
    ? [0xf3, 4]
    : [0xf4, 8];
  let v = BigInt.asUintN(size * 8, value);
  out.push(tag);
  for (let i = 0; i < size; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
}

/** 6-bit, 12-bit or 32-bit length, then the bytes. */
function writeString(out: number[], text: string): void {
  const length = text.length;
  if (length < 64) {
    out.push(0x80 | length);
  } else if (length < 4096) {
    out.push(0xe0 | (length >> 8), length & 0xff);
  } else {
    out.push(0xf0, length & 0xff, (length >>> 8) & 0xff, (length >>> 16) & 0xff, length >>> 24);
  }
  for (let i = 0; i < length; i++) out.push(text.charCodeAt(i));
}

/** `lpEncodeBacklen`: the entry's size, 7 bits per byte, high part first. */
function writeBacklen(out: number[], length: number): void {
  if (length <= 127) {
    out.push(length);
  } else if (length < 16383) {
    out.push(length >> 7, (length & 127) | 128);
  } else if (length < 2097151) {
    out.push(length >> 14, ((length >> 7) & 127) | 128, (length & 127) | 128);
  } else if (length < 268435455) {
    out.push(
      length >> 21,
      ((length >> 14) & 127) | 128,
      ((length >> 7) & 127) | 128,
      (length & 127) | 128,
    );
  } else {
    out.push(
      Math.floor(length / 2 ** 28),
      ((length >> 21) & 127) | 128,
      ((length >> 14) & 127) | 128,
      ((length >> 7) & 127) | 128,
      (length & 127) | 128,
    );
  }
}

/**
 * Bytes the integer `value` takes as one listpack element, backlen included
 * (`lpEncodeIntegerGetType` plus one backlen byte), without encoding it.
 */
export function listpackIntegerSize(value: number | bigint): number {
  if (typeof value === "number") {
    if (value >= 0 && value <= 127) return 2;
    if (value >= -4096 && value <= 4095) return 3;
    if (value >= -32768 && value <= 32767) return 4;
    if (value >= -8388608 && value <= 8388607) return 5;
    if (value >= -2147483648 && value <= 2147483647) return 6;
    return 10;
  }
  return listpackIntegerSize(
    value >= -2147483648n && value <= 2147483647n ? Number(value) : 2 ** 40,
  );
}

/** Bytes the one-byte string `text` takes as one listpack element, as {@link encodeListpack} writes it. */
export function listpackElementSize(text: string): number {
  const integer = text.length <= 20 ? parseInteger(text) : undefined;
  if (integer !== undefined) return listpackIntegerSize(integer);
  const length = text.length;
  const encoded = length < 64 ? 1 + length : length < 4096 ? 2 + length : 5 + length;
  return encoded +
    (encoded <= 127
      ? 1
      : encoded < 16383
      ? 2
      : encoded < 2097151
      ? 3
      : encoded < 268435455
      ? 4
      : 5);
}
