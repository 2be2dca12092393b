import { strictEqual } from "node:assert/strict";
import fc from "fast-check";
import { Crc64, crc64 } from "../../../lib/persistence/crc64.ts";
import { hexToBytes } from "./rdb_support.ts";

/** Bit-at-a-time CRC-64/Jones with BigInt: slow, obviously right. */
function referenceCrc64(bytes: Uint8Array): bigint {
  const poly = 0x95ac9329ac4bc9b5n; // reverse64(0xad93d23594c935a9)
  let crc = 0n;
  for (const byte of bytes) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return crc;
}

Deno.test("crc64 gives Redis's check value for 123456789", () => {
  strictEqual(crc64(new TextEncoder().encode("123456789")), 0xe9c6d914c4b8d9can);
});

Deno.test("crc64 of nothing is zero", () => {
  strictEqual(crc64(new Uint8Array()), 0n);
});

Deno.test("crc64 matches the bitwise definition for any bytes", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      strictEqual(crc64(bytes), referenceCrc64(bytes));
    }),
    { numRuns: 300 },
  );
});

Deno.test("Crc64.update over any split equals one pass", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 100 }),
      fc.array(fc.nat(), { maxLength: 5 }),
      (bytes, cuts) => {
        const points = [0, ...cuts.map((cut) => cut % (bytes.length + 1)).sort((a, b) => a - b)];
        const crc = new Crc64();
        for (let i = 0; i < points.length; i++) {
          crc.update(bytes, points[i], points[i + 1] ?? bytes.length);
        }
        strictEqual(crc.value(), crc64(bytes));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("Crc64.writeTo stores the checksum little-endian", () => {
  const crc = new Crc64().update(new TextEncoder().encode("123456789"));
  const out = new Uint8Array(10);
  crc.writeTo(out, 1);
  strictEqual(
    Array.from(out, (b) => b.toString(16).padStart(2, "0")).join(""),
    "00cad9b8c414d9c6e900",
  );
});

Deno.test("crc64 matches the checksum redis-server put on a DUMP payload", () => {
  // DUMP of a 21-byte string from redis-server 7.0: type, LZF value, RDB version, CRC-64 LE.
  const payload = hexToBytes("00c30615016161e00a000a00fd0cb36807413f68");
  const body = payload.subarray(0, payload.length - 8);
  const stored = payload.subarray(payload.length - 8);
  const expected = new Uint8Array(8);
  new Crc64().update(body).writeTo(expected, 0);
  strictEqual(expected.join(","), stored.join(","));
});
