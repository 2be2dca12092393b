import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { bytesToString, stringToBytes } from "../../lib/bytes.ts";
import {
  addToDense,
  cachedCardinality,
  countRegisters,
  DENSE_BYTES,
  HEADER_BYTES,
  HyperLogLog,
  isHyperLogLog,
  murmurHash64A,
  patternOf,
  REGISTERS,
} from "../../lib/hyperloglog.ts";
import { seededRandom } from "../../lib/random.ts";

const MASK = (1n << 64n) - 1n;
const M = 0xc6a4a7935bd1e995n;

/** Redis's MurmurHash64A in BigInt, straight from hyperloglog.c: the reference. */
function referenceHash(data: string): bigint {
  const length = data.length;
  let h = (0xadc83b19n ^ (BigInt(length) * M)) & MASK;
  const words = length - (length & 7);
  for (let i = 0; i < words; i += 8) {
    let k = 0n;
    for (let j = 7; j >= 0; j--) k = (k << 8n) | BigInt(data.charCodeAt(i + j));
    k = (k * M) & MASK;
    k ^= k >> 47n;
    k = (k * M) & MASK;
    h ^= k;
    h = (h * M) & MASK;
  }
  const tail = length & 7;
  if (tail !== 0) {
    for (let j = tail - 1; j >= 0; j--) h ^= BigInt(data.charCodeAt(words + j)) << BigInt(8 * j);
    h = (h * M) & MASK;
  }
  h ^= h >> 47n;
  h = (h * M) & MASK;
  h ^= h >> 47n;
  return h;
}

function randomBytes(random: () => number, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += String.fromCharCode(Math.floor(random() * 256));
  return text;
}

/** The 16384 registers of `hll`, one byte each. */
function registersOf(hll: HyperLogLog): Uint8Array {
  const registers = new Uint8Array(REGISTERS);
  strictEqual(hll.mergeInto(registers), true);
  return registers;
}

Deno.test("murmurHash64A equals Redis's 64-bit arithmetic for every length and byte", () => {
  const random = seededRandom(1);
  for (let n = 0; n < 2000; n++) {
    const data = randomBytes(random, n % 40);
    const [high, low] = murmurHash64A(data);
    strictEqual((BigInt(high) << 32n) | BigInt(low), referenceHash(data), JSON.stringify(data));
  }
  const allBytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
  const [high, low] = murmurHash64A(allBytes);
  strictEqual((BigInt(high) << 32n) | BigInt(low), referenceHash(allBytes));
});

Deno.test("patternOf takes the low 14 bits as register and counts the zero run to at most 51", () => {
  const random = seededRandom(2);
  for (let n = 0; n < 500; n++) {
    const data = randomBytes(random, 1 + (n % 12));
    const hash = referenceHash(data);
    let rest = (hash >> 14n) | (1n << 50n);
    let run = 1;
    while ((rest & 1n) === 0n) {
      run++;
      rest >>= 1n;
    }
    strictEqual(patternOf(data), Number(hash & 0x3fffn) * 64 + run);
  }
});

Deno.test("HyperLogLog.empty is Redis's 18-byte sparse value with a stale-free zero cache", () => {
  const value = HyperLogLog.empty().toString();
  strictEqual(value, "HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
  strictEqual(isHyperLogLog(value), true);
  strictEqual(cachedCardinality(value), 0);
  strictEqual(HyperLogLog.fromString(value)!.count(), 0);
});

Deno.test("HyperLogLog.add gives Redis's bytes for a b c (recorded from redis-server 7.0)", () => {
  const hll = HyperLogLog.empty();
  for (const element of ["a", "b", "c"]) strictEqual(hll.add(element), 1);
  strictEqual(hll.add("a"), 0);
  hll.invalidateCache();
  strictEqual(
    hll.toString(),
    "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ",
  );
  strictEqual(hll.count(), 3);
  hll.setCachedCardinality(3);
  strictEqual(cachedCardinality(hll.toString()), 3);
});

Deno.test("sparse and dense forms hold the same registers and count the same", () => {
  const random = seededRandom(3);
  const sparse = HyperLogLog.empty();
  const dense = HyperLogLog.empty();
  strictEqual(dense.toDense(), true);
  strictEqual(dense.toString().length, DENSE_BYTES);
  for (let n = 1; n <= 3000; n++) {
    const element = randomBytes(random, 8);
    strictEqual(sparse.add(element, 1 << 20), dense.add(element, 1 << 20));
    if (n % 250 === 0) {
      strictEqual(sparse.encoding, "sparse");
      strictEqual(sparse.count(), dense.count());
      deepStrictEqual(registersOf(sparse), registersOf(dense));
    }
  }
  const promoted = HyperLogLog.fromString(sparse.toString())!;
  strictEqual(promoted.toDense(), true);
  deepStrictEqual(promoted.toString().slice(HEADER_BYTES), dense.toString().slice(HEADER_BYTES));
});

Deno.test("HyperLogLog.raise keeps every dense register apart from its neighbours", () => {
  const random = seededRandom(4);
  const hll = HyperLogLog.empty();
  hll.toDense();
  const expected = new Uint8Array(REGISTERS);
  for (let i = 0; i < REGISTERS; i++) {
    expected[i] = Math.floor(random() * 64);
    hll.raise(i, expected[i]!);
  }
  deepStrictEqual(registersOf(hll), expected);
  strictEqual(hll.count(), countRegisters(expected));
});

Deno.test("a sparse HLL turns dense past hll-sparse-max-bytes, and for a register above 32", () => {
  const random = seededRandom(5);
  const hll = HyperLogLog.empty();
  let added = 0;
  while (hll.encoding === "sparse") {
    hll.add(randomBytes(random, 10), 200);
    added++;
    if (hll.encoding === "sparse") strictEqual(hll.toString().length <= 200, true);
  }
  strictEqual(hll.toString().length, DENSE_BYTES);
  strictEqual(added > 20 && added < 200, true, `turned dense after ${added} additions`);

  const high = HyperLogLog.empty();
  strictEqual(high.raise(100, 32), 1);
  strictEqual(high.encoding, "sparse");
  strictEqual(high.raise(100, 33), 1);
  strictEqual(high.encoding, "dense");
  strictEqual(registersOf(high)[100], 33);
});

Deno.test("isHyperLogLog needs the header, a known encoding and the dense size", () => {
  const dense = HyperLogLog.empty();
  dense.toDense();
  const value = dense.toString();
  strictEqual(isHyperLogLog(value), true);
  strictEqual(isHyperLogLog(value.slice(0, -1)), false);
  strictEqual(isHyperLogLog("HYLL\x02" + value.slice(5)), false);
  strictEqual(isHyperLogLog("HYLl" + value.slice(4)), false);
  strictEqual(isHyperLogLog("HYLL\x01\0\0\0\0\0\0\0\0\0\0"), false);
  strictEqual(isHyperLogLog("hello"), false);
});

Deno.test("a corrupt sparse HLL is reported: add -1, count and merge refuse, toDense changes nothing", () => {
  // One XZERO covering 100 registers instead of 16384.
  const corrupt = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80" + String.fromCharCode(0x40, 99);
  const hll = HyperLogLog.fromString(corrupt)!;
  strictEqual(hll.count(), undefined);
  strictEqual(hll.mergeInto(new Uint8Array(REGISTERS)), false);
  strictEqual(hll.toDense(), false);
  strictEqual(hll.toString(), corrupt);
  strictEqual(hll.raise(5000, 3), -1);
  strictEqual(hll.raise(5000, 40), -1);
  // A VAL run past the last register.
  const overflow = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80" + String.fromCharCode(0x7f, 0xfe, 0x83);
  strictEqual(HyperLogLog.fromString(overflow)!.mergeInto(new Uint8Array(REGISTERS)), false);
});

Deno.test("cachedCardinality reads 8 little-endian bytes, stale when the top bit is set", () => {
  const header = (card: number[]) => "HYLL\x01\0\0\0" + bytesToString(new Uint8Array(card));
  strictEqual(cachedCardinality(header([1, 2, 0, 0, 0, 0, 0, 0])), 513);
  strictEqual(cachedCardinality(header([0, 0, 0, 0, 0, 0, 0, 0x80])), undefined);
  strictEqual(cachedCardinality(header([0, 0, 0, 0, 0, 0, 0, 0x7f])), 0x7f00000000000000n);
  deepStrictEqual(stringToBytes(header([255, 0, 0, 0, 0, 0, 0, 0])).length, HEADER_BYTES);
});

Deno.test("countRegisters estimates within 0.81 % x 3 on 200k distinct elements", () => {
  const registers = new Uint8Array(REGISTERS);
  const total = 200_000;
  for (let i = 0; i < total; i++) {
    const pattern = patternOf(`element:${i}`);
    const index = Math.floor(pattern / 64);
    registers[index] = Math.max(registers[index]!, pattern & 63);
  }
  const error = Math.abs(countRegisters(registers) - total) / total;
  strictEqual(error < 0.0081 * 3, true, `error ${error}`);
});

Deno.test("addToDense gives the bytes of the byte-array path, or leaves many raises to it", () => {
  const random = seededRandom(6);
  const base = HyperLogLog.empty();
  base.toDense();
  for (let i = 0; i < 20_000; i++) base.add(randomBytes(random, 6));
  base.setCachedCardinality(base.count()!);
  const value = base.toString();
  let fast = 0;
  for (let round = 0; round < 300; round++) {
    const elements = Array.from({ length: 1 + (round % 12) }, () => randomBytes(random, 6));
    const slow = HyperLogLog.fromString(value)!;
    let updated = 0;
    for (const element of elements) updated += slow.add(element);
    if (updated !== 0) slow.invalidateCache();
    const added = addToDense(value, elements);
    if (added === undefined) {
      strictEqual(updated > 8, true);
      continue;
    }
    fast++;
    strictEqual(added.updated, updated);
    strictEqual(added.value, slow.toString());
  }
  strictEqual(fast > 200, true, `${fast} of 300 took the fast path`);
  deepStrictEqual(addToDense(value, []), { value, updated: 0 });
});
