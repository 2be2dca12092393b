import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import { lzfCompress, lzfDecompress } from "../../../lib/persistence/lzf.ts";
import { fromCodes, hexToBytes, stringToCodes } from "./rdb_support.ts";

/**
 * DUMP payloads redis-server 7.0.15 produced (rdbcompression yes) for these
 * values: type 0, then 0xC3, compressed length, original length, LZF data,
 * then the RDB version (2 bytes) and CRC-64 (8 bytes).
 */
const REDIS_VECTORS: ReadonlyArray<readonly [value: string, payload: string]> = [
  ["a".repeat(21), "00c30615016161e00a000a00fd0cb36807413f68"],
  ["abc".repeat(10), "00c30b1e0361626361e00f020162630a008874be6d67e59d2a"],
  [
    "The quick brown fox jumps over the lazy dog. ".repeat(2).trimEnd(),
    "00c33740591f54686520717569636b2062726f776e20666f78206a756d7073206f7665722074201e0a6c617a" +
    "7920646f672e2054200de01d2c01672e0a007a86b0ece8f2e2f4",
  ],
  [
    "0123456789".repeat(40),
    "00c31541900a3031323334353637383930e0ff09e1720d0138390a0015506817a6245060",
  ],
  [
    fromCodes(Array.from({ length: 300 }, (_, i) => (i * 7) % 13 + 97)),
    "00c318412c0d61686269636a646b656c666d6761e0ff0ce10b100167610a00ec92baa208ef27a3",
  ],
  [
    "x".repeat(1000) + "y".repeat(1000),
    "00c32047d0017878e0ff00e0ff00e0ff00e0c5000079e0ff00e0ff00e0ff00e0c4000179790a00a0984bdfec148e3b",
  ],
];

/** Splits a DUMP payload of an LZF string into (compressed data, original length). */
function parseVector(payload: Uint8Array): [Uint8Array, number] {
  let p = 2; // type byte, 0xC3
  const readLength = (): number => {
    const first = payload[p++]!;
    if (first >> 6 === 0) return first;
    if (first >> 6 === 1) return ((first & 0x3f) << 8) | payload[p++]!;
    throw new Error("vector uses a length form this parser does not need");
  };
  const packed = readLength();
  const length = readLength();
  return [payload.subarray(p, p + packed), length];
}

Deno.test("lzfDecompress expands what redis-server compressed", () => {
  for (const [value, hex] of REDIS_VECTORS) {
    const [packed, length] = parseVector(hexToBytes(hex));
    strictEqual(length, value.length);
    deepStrictEqual(lzfDecompress(packed, length), stringToCodes(value));
  }
});

Deno.test("lzfCompress output round-trips for any bytes", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 900 }))
          .map(([unit, times]) => {
            const out = new Uint8Array(unit.length * times);
            for (let i = 0; i < out.length; i++) out[i] = unit[i % unit.length]!;
            return out;
          }),
      ),
      (input) => {
        const output = new Uint8Array(input.length + 64);
        const length = lzfCompress(input, input.length, output);
        if (input.length === 0) return strictEqual(length, 0);
        ok(length > 0, "the output buffer has room, so compression must succeed");
        deepStrictEqual(lzfDecompress(output.subarray(0, length), input.length), input);
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("lzfCompress returns 0 when the output would not fit", () => {
  const random = new Uint8Array(100);
  for (let i = 0; i < random.length; i++) random[i] = (i * 151 + 7) % 256;
  strictEqual(lzfCompress(random, random.length, new Uint8Array(96)), 0);
  const runs = new Uint8Array(100).fill(65);
  const output = new Uint8Array(96);
  const length = lzfCompress(runs, runs.length, output);
  ok(length > 0 && length < 10, `100 equal bytes compress to a few bytes, got ${length}`);
});

Deno.test("lzfCompress shrinks the strings Redis shrinks", () => {
  for (const [value] of REDIS_VECTORS) {
    const input = stringToCodes(value);
    const length = lzfCompress(input, input.length, new Uint8Array(input.length - 4));
    ok(length > 0, `${JSON.stringify(value.slice(0, 20))}… should compress`);
  }
});

Deno.test("lzfDecompress rejects corrupt streams with a RangeError, never reading out of bounds", () => {
  throws(() => lzfDecompress(new Uint8Array([5, 1, 2]), 6), RangeError); // literal run cut short
  throws(() => lzfDecompress(new Uint8Array([0, 97, 0x20, 5]), 4), RangeError); // reference too far back
  throws(() => lzfDecompress(new Uint8Array([0, 97, 0xe0]), 10), RangeError); // reference cut short
  throws(() => lzfDecompress(new Uint8Array([0, 97, 0x20, 0]), 2), RangeError); // output too long
  throws(() => lzfDecompress(new Uint8Array([1, 97, 98]), 3), RangeError); // output too short
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 60 }), fc.nat(200), (input, length) => {
      try {
        strictEqual(lzfDecompress(input, length).length, length);
      } catch (error) {
        ok(error instanceof RangeError, String(error));
      }
    }),
    { numRuns: 1000 },
  );
});
