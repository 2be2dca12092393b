/**
 * HyperLogLog with Redis's exact encoding (src/hyperloglog.c of Redis 7.0),
 * so a PF key's bytes are the same in Kache and Redis for the same
 * additions: GET, DUMP/RESTORE and RDB carry it both ways unchanged.
 *
 * The value is a string: a 16-byte header (`HYLL`, the encoding byte, three
 * zero bytes, the cached cardinality as 8 little-endian bytes whose top bit
 * set means "stale"), then the registers, 16384 of them (p = 14), either
 * dense (6 bits each, least significant bits first: 12288 bytes) or sparse
 * (run-length opcodes: ZERO `00xxxxxx` 1–64 zero registers, XZERO
 * `01xxxxxx yyyyyyyy` 1–16384 zero registers, VAL `1vvvvvxx` 1–4 registers
 * holding 1–32). A new HLL is sparse; it becomes dense when a register needs
 * more than 32 or the sparse form would grow past `hll-sparse-max-bytes`.
 *
 * Elements are hashed with MurmurHash64A, seed 0xadc83b19, reading 8-byte
 * words little-endian as Redis does on every platform. The 64-bit
 * arithmetic runs on two 32-bit halves (a BigInt per step costs ~20x). The
 * estimate is Redis 7.0's: the register histogram through Otmar Ertl's
 * improved estimator (`hllTau`/`hllSigma`, arXiv:1702.01284).
 *
 * Working copies are `Uint8Array`s: a value is decoded from its one-byte
 * string, changed, and encoded back ({@link HyperLogLog.toString}). The
 * header is read straight from the string ({@link cachedCardinality}), so a
 * PFCOUNT served from the cache copies nothing.
 *
 * @module
 */
import { bytesToString, stringToBytes } from "./bytes.ts";

/** Register index bits: 2^14 registers, a standard error of 1.04/sqrt(16384) = 0.81 %. */
const P = 14;
/** Hash bits left for the run of zeros after the index. */
const Q = 64 - P;
export const REGISTERS = 1 << P;
const REGISTER_MAX = 63;
export const HEADER_BYTES = 16;
/** Header plus 16384 registers of 6 bits. */
export const DENSE_BYTES = HEADER_BYTES + (REGISTERS * 6) / 8;
const DENSE = 0;
const SPARSE = 1;
/** Redis's default `hll-sparse-max-bytes`. */
export const DEFAULT_SPARSE_MAX_BYTES = 3000;

const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;
/** 0.5 / ln(2), Redis's HLL_ALPHA_INF. */
const ALPHA_INF = 0.721347520444481703680;
/** Redis's seed for element hashes. */
const SEED = 0xadc83b19;

/** The error for a string that is not an HLL, as Redis words it. */
export const NOT_HYPERLOGLOG = "WRONGTYPE Key is not a valid HyperLogLog string value.";
/** The error for an HLL whose sparse registers do not add up, as Redis words it. */
export const CORRUPTED_HYPERLOGLOG = "INVALIDOBJ Corrupted HLL object detected";

// MurmurHash64A's multiplier, in 32-bit halves.
const M_HIGH = 0xc6a4a793;
const M_LOW = 0x5bd1e995;

/** The result halves of the last {@link multiply}: module state avoids an allocation per step. */
let productHigh = 0;
let productLow = 0;

/** (high, low) × M mod 2^64, into productHigh/productLow. */
function multiply(high: number, low: number): void {
  // The low halves' full 64-bit product from 16-bit limbs (each partial product < 2^32,
  // sums < 2^53, so plain numbers are exact); the cross terms only matter mod 2^32.
  const a0 = low & 0xffff;
  const a1 = low >>> 16;
  const b0 = M_LOW & 0xffff;
  const b1 = M_LOW >>> 16;
  const c0 = a0 * b0;
  let c1 = (c0 >>> 16) + a1 * b0;
  let c2 = Math.floor(c1 / 0x10000);
  c1 = (c1 % 0x10000) + a0 * b1;
  c2 += Math.floor(c1 / 0x10000) + a1 * b1;
  productLow = (((c1 & 0xffff) << 16) | (c0 & 0xffff)) >>> 0;
  productHigh = (c2 + Math.imul(high, M_LOW) + Math.imul(low, M_HIGH)) >>> 0;
}

/**
 * Redis's MurmurHash64A of a one-byte string (char code = byte), seed
 * 0xadc83b19, as `[high, low]` 32-bit halves.
 *
 * @example The hash Redis computes for "a": register 0x9b43b1a7 & 0x3fff = 12711
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(murmurHash64A("a"), [0x53d2470a, 0x9b43b1a7]);
 * ```
 */
export function murmurHash64A(data: string): [number, number] {
  hashElement(data);
  return [hashHigh, hashLow];
}

let hashHigh = 0;
let hashLow = 0;

/** MurmurHash64A of `data` into hashHigh/hashLow. */
function hashElement(data: string): void {
  const length = data.length;
  // h = seed ^ (len * m): len as a 64-bit number (high half 0 below 2^32 bytes).
  multiply(0, length);
  let high = productHigh;
  let low = (productLow ^ SEED) >>> 0;
  const words = length - (length & 7);
  let i = 0;
  for (; i < words; i += 8) {
    // Little-endian, as Redis reads a word on every platform.
    const kLow = (data.charCodeAt(i) | (data.charCodeAt(i + 1) << 8) |
      (data.charCodeAt(i + 2) << 16) | (data.charCodeAt(i + 3) << 24)) >>> 0;
    const kHigh = (data.charCodeAt(i + 4) | (data.charCodeAt(i + 5) << 8) |
      (data.charCodeAt(i + 6) << 16) | (data.charCodeAt(i + 7) << 24)) >>> 0;
    multiply(kHigh, kLow);
    // k ^= k >> 47; k *= m
    multiply(productHigh, (productLow ^ (productHigh >>> 15)) >>> 0);
    // h ^= k; h *= m
    multiply((high ^ productHigh) >>> 0, (low ^ productLow) >>> 0);
    high = productHigh;
    low = productLow;
  }
  const tail = length & 7;
  if (tail !== 0) {
    // The tail bytes land at bits 0..55 of a little-endian word, then h *= m.
    for (let j = tail - 1; j >= 0; j--) {
      const byte = data.charCodeAt(i + j);
      if (j >= 4) high = (high ^ (byte << ((j - 4) * 8))) >>> 0;
      else low = (low ^ (byte << (j * 8))) >>> 0;
    }
    multiply(high, low);
    high = productHigh;
    low = productLow;
  }
  // h ^= h >> 47; h *= m; h ^= h >> 47
  low = (low ^ (high >>> 15)) >>> 0;
  multiply(high, low);
  hashHigh = productHigh;
  hashLow = (productLow ^ (productHigh >>> 15)) >>> 0;
}

/**
 * Redis's hllPatLen: the register an element goes to, and the length of
 * its hash's "000…1" run counted from bit 14 (1 to 51), packed as
 * `index * 64 + run`.
 */
export function patternOf(element: string): number {
  hashElement(element);
  const index = hashLow & (REGISTERS - 1);
  const rest = hashLow >>> P; // hash bits 14..31
  let run: number;
  if (rest !== 0) run = 32 - Math.clz32(rest & -rest);
  else if (hashHigh !== 0) run = 32 - P + 32 - Math.clz32(hashHigh & -hashHigh);
  else run = Q + 1;
  return index * 64 + run;
}

/**
 * Whether `value` is an HLL as Redis's isHLLObjectOrReply checks it: at
 * least a header, `HYLL`, a known encoding, and a dense one of exact size.
 * (The sparse opcodes are checked when they are walked.)
 */
export function isHyperLogLog(value: string): boolean {
  if (value.length < HEADER_BYTES) return false;
  if (value.charCodeAt(0) !== 0x48 || value.charCodeAt(1) !== 0x59) return false; // "HY"
  if (value.charCodeAt(2) !== 0x4c || value.charCodeAt(3) !== 0x4c) return false; // "LL"
  const encoding = value.charCodeAt(4);
  if (encoding > SPARSE) return false;
  return encoding !== DENSE || value.length === DENSE_BYTES;
}

/**
 * The cardinality cached in an HLL's header, or undefined when the
 * stale bit (the top bit of its last byte) is set. A value above 2^53
 * (only a hand-made header holds one) comes back as a bigint.
 */
export function cachedCardinality(value: string): number | bigint | undefined {
  const top = value.charCodeAt(15);
  if ((top & 0x80) !== 0) return undefined;
  const low = (value.charCodeAt(8) | (value.charCodeAt(9) << 8) | (value.charCodeAt(10) << 16) |
    (value.charCodeAt(11) << 24)) >>> 0;
  const high = (value.charCodeAt(12) | (value.charCodeAt(13) << 8) |
    (value.charCodeAt(14) << 16) | (top << 24)) >>> 0;
  if (high < 0x200000) return high * 0x100000000 + low;
  return (BigInt(high) << 32n) | BigInt(low);
}

/** Past this many raised registers, {@link addToDense} leaves the work to {@link HyperLogLog}. */
const DENSE_SPLICES_MAX = 8;

/**
 * PFADD's fast path for a dense value: adds `elements` reading the
 * registers straight from the string, and returns the new value (stale
 * cache bit set) with how many registers grew; the same string and 0 when
 * none did. A dense HLL is 12 KB and most additions to one change nothing,
 * so this skips decoding it into bytes and encoding it back (~8x the time
 * of a single-element PFADD); each raised register splices two characters,
 * and past {@link DENSE_SPLICES_MAX} of them it returns undefined so the
 * caller takes the byte-array path. `value` must be a valid dense HLL.
 */
export function addToDense(
  value: string,
  elements: readonly string[],
): { value: string; updated: number } | undefined {
  let result = value;
  let updated = 0;
  for (const element of elements) {
    const pattern = patternOf(element);
    const count = pattern & 63;
    const bit = (pattern >>> 6) * 6;
    const at = HEADER_BYTES + (bit >>> 3);
    const shift = bit & 7;
    const b0 = result.charCodeAt(at);
    const spans = shift > 2;
    const b1 = spans ? result.charCodeAt(at + 1) : 0;
    if (count <= (((b0 >>> shift) | (b1 << (8 - shift))) & REGISTER_MAX)) continue;
    if (++updated > DENSE_SPLICES_MAX) return undefined;
    const first = ((b0 & ~(REGISTER_MAX << shift)) | (count << shift)) & 0xff;
    const replaced = spans
      ? String.fromCharCode(
        first,
        (b1 & ~(REGISTER_MAX >>> (8 - shift))) | (count >>> (8 - shift)),
      )
      : String.fromCharCode(first);
    result = result.slice(0, at) + replaced + result.slice(at + replaced.length);
  }
  if (updated === 0) return { value, updated };
  const stale = String.fromCharCode(result.charCodeAt(15) | 0x80);
  return { value: result.slice(0, 15) + stale + result.slice(16), updated };
}

/** The 6-bit dense register `index` of `bytes` (registers from HEADER_BYTES). */
function denseRegister(bytes: Uint8Array, index: number): number {
  const bit = index * 6;
  const at = HEADER_BYTES + (bit >>> 3);
  const shift = bit & 7;
  // A register starting at bit 0..2 of its byte fits in it; the last register (shift 2)
  // has no next byte, where Redis reads the string's terminating zero.
  if (shift <= 2) return (bytes[at]! >>> shift) & REGISTER_MAX;
  return ((bytes[at]! >>> shift) | (bytes[at + 1]! << (8 - shift))) & REGISTER_MAX;
}

function setDenseRegister(bytes: Uint8Array, index: number, value: number): void {
  const bit = index * 6;
  const at = HEADER_BYTES + (bit >>> 3);
  const shift = bit & 7;
  bytes[at] = (bytes[at]! & ~(REGISTER_MAX << shift)) | (value << shift);
  if (shift > 2) {
    const rest = 8 - shift;
    bytes[at + 1] = (bytes[at + 1]! & ~(REGISTER_MAX >>> rest)) | (value >>> rest);
  }
}

/** Redis's hllSigma (Ertl). */
function sigma(x: number): number {
  if (x === 1) return Infinity;
  let y = 1;
  let z = x;
  let previous: number;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (previous !== z);
  return z;
}

/** Redis's hllTau (Ertl). */
function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let y = 1;
  let z = 1 - x;
  let previous: number;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (previous !== z);
  return z / 3;
}

/** Redis 7.0's hllCount from a register histogram (counts of each register value 0..63). */
function estimate(histogram: Int32Array): number {
  const m = REGISTERS;
  let z = m * tau((m - histogram[Q + 1]!) / m);
  for (let j = Q; j >= 1; j--) {
    z += histogram[j]!;
    z *= 0.5;
  }
  z += m * sigma(histogram[0]! / m);
  // llroundl: halves away from zero; the value is never negative.
  return Math.round((ALPHA_INF * m * m) / z);
}

/**
 * The estimate for plain registers, one byte each (Redis's internal
 * HLL_RAW encoding, PFCOUNT of several keys).
 */
export function countRegisters(registers: Uint8Array): number {
  const histogram = new Int32Array(64);
  for (let i = 0; i < REGISTERS; i++) histogram[registers[i]! & 63]!++;
  return estimate(histogram);
}

/** What adding an element did: 1 a register grew, 0 nothing changed, -1 the sparse form is corrupt. */
export type AddResult = 1 | 0 | -1;

/**
 * One HLL being read or changed, decoded from its string. Construct with
 * {@link HyperLogLog.empty} or {@link HyperLogLog.fromString}.
 *
 * @example Count, then keep it as Redis would
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const hll = HyperLogLog.empty();
 * for (const element of ["a", "b", "c"]) hll.add(element);
 * strictEqual(hll.count(), 3);
 * strictEqual(hll.toString().slice(0, 4), "HYLL");
 * ```
 */
export class HyperLogLog {
  /** Header and registers; for a sparse HLL only the first #length bytes are used. */
  #bytes: Uint8Array;
  #length: number;

  private constructor(bytes: Uint8Array, length: number) {
    this.#bytes = bytes;
    this.#length = length;
  }

  /** A new HLL: sparse, every register zero (one XZERO opcode), as Redis's createHLLObject. */
  static empty(): HyperLogLog {
    const length = HEADER_BYTES + Math.ceil(REGISTERS / SPARSE_XZERO_MAX_LEN) * 2;
    const bytes = new Uint8Array(length);
    bytes.set([0x48, 0x59, 0x4c, 0x4c, SPARSE]);
    let left = REGISTERS;
    for (let at = HEADER_BYTES; left > 0; at += 2) {
      const run = Math.min(left, SPARSE_XZERO_MAX_LEN);
      writeXzero(bytes, at, run);
      left -= run;
    }
    return new HyperLogLog(bytes, length);
  }

  /** The HLL held in `value`, or undefined when {@link isHyperLogLog} rejects it. */
  static fromString(value: string): HyperLogLog | undefined {
    if (!isHyperLogLog(value)) return undefined;
    const bytes = stringToBytes(value);
    return new HyperLogLog(bytes, bytes.length);
  }

  get encoding(): "dense" | "sparse" {
    return this.#bytes[4] === DENSE ? "dense" : "sparse";
  }

  /** The value as Redis stores it: a one-byte string. */
  toString(): string {
    return bytesToString(this.#bytes, 0, this.#length);
  }

  /**
   * Adds `element` (a one-byte string). A sparse HLL turns dense when a
   * register needs more than 32 or the result would pass `sparseMaxBytes`.
   * The caller marks the cache stale ({@link HyperLogLog.invalidateCache})
   * when anything changed, as PFADD does once at its end.
   */
  add(element: string, sparseMaxBytes = DEFAULT_SPARSE_MAX_BYTES): AddResult {
    const pattern = patternOf(element);
    return this.raise(pattern >>> 6, pattern & 63, sparseMaxBytes);
  }

  /** Sets register `index` to `count` if it holds less (Redis's hllDenseSet / hllSparseSet). */
  raise(index: number, count: number, sparseMaxBytes = DEFAULT_SPARSE_MAX_BYTES): AddResult {
    const bytes = this.#bytes;
    if (bytes[4] === DENSE) {
      if (count <= denseRegister(bytes, index)) return 0;
      setDenseRegister(bytes, index, count);
      return 1;
    }
    return this.#sparseRaise(index, count, sparseMaxBytes);
  }

  /** Marks the cached cardinality stale (sets the top bit of the header's last byte). */
  invalidateCache(): void {
    this.#bytes[15]! |= 0x80;
  }

  /** Stores `cardinality` as the header's cached cardinality (top bit clear: valid). */
  setCachedCardinality(cardinality: number): void {
    const view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset + 8, 8);
    view.setBigUint64(0, BigInt(cardinality), true);
  }

  /** The estimate from the registers (ignoring the cache); undefined for a corrupt sparse form. */
  count(): number | undefined {
    const histogram = new Int32Array(64);
    const bytes = this.#bytes;
    if (bytes[4] === DENSE) {
      // 16 registers per 12 bytes, as Redis's unrolled hllDenseRegHisto.
      for (let at = HEADER_BYTES; at < DENSE_BYTES; at += 12) {
        for (let group = at; group < at + 12; group += 3) {
          const b0 = bytes[group]!;
          const b1 = bytes[group + 1]!;
          const b2 = bytes[group + 2]!;
          histogram[b0 & 63]!++;
          histogram[((b0 >>> 6) | (b1 << 2)) & 63]!++;
          histogram[((b1 >>> 4) | (b2 << 4)) & 63]!++;
          histogram[b2 >>> 2]!++;
        }
      }
      return estimate(histogram);
    }
    let index = 0;
    const end = this.#length;
    for (let at = HEADER_BYTES; at < end;) {
      const op = bytes[at]!;
      if ((op & 0xc0) === 0) {
        const run = (op & 0x3f) + 1;
        index += run;
        histogram[0]! += run;
        at++;
      } else if ((op & 0xc0) === 0x40) {
        const run = xzeroRun(bytes, at, end);
        index += run;
        histogram[0]! += run;
        at += 2;
      } else {
        const run = (op & 3) + 1;
        index += run;
        histogram[((op >>> 2) & 0x1f) + 1]! += run;
        at++;
      }
    }
    return index === REGISTERS ? estimate(histogram) : undefined;
  }

  /**
   * Raises each of `registers` (one byte per register) to this HLL's
   * value where it is higher (Redis's hllMerge). Returns false for a
   * corrupt sparse form.
   */
  mergeInto(registers: Uint8Array): boolean {
    const bytes = this.#bytes;
    if (bytes[4] === DENSE) {
      for (let i = 0; i < REGISTERS; i++) {
        const value = denseRegister(bytes, i);
        if (value > registers[i]!) registers[i] = value;
      }
      return true;
    }
    let index = 0;
    const end = this.#length;
    for (let at = HEADER_BYTES; at < end;) {
      const op = bytes[at]!;
      if ((op & 0xc0) === 0) {
        index += (op & 0x3f) + 1;
        at++;
      } else if ((op & 0xc0) === 0x40) {
        index += xzeroRun(bytes, at, end);
        at += 2;
      } else {
        let run = (op & 3) + 1;
        const value = ((op >>> 2) & 0x1f) + 1;
        if (index + run > REGISTERS) break;
        while (run-- > 0) {
          if (value > registers[index]!) registers[index] = value;
          index++;
        }
        at++;
      }
    }
    return index === REGISTERS;
  }

  /**
   * Turns a sparse HLL dense (Redis's hllSparseToDense), keeping the
   * header. Returns false, changing nothing, for a corrupt sparse form.
   */
  toDense(): boolean {
    const sparse = this.#bytes;
    if (sparse[4] === DENSE) return true;
    const dense = new Uint8Array(DENSE_BYTES);
    dense.set(sparse.subarray(0, HEADER_BYTES));
    dense[4] = DENSE;
    let index = 0;
    const end = this.#length;
    for (let at = HEADER_BYTES; at < end;) {
      const op = sparse[at]!;
      if ((op & 0xc0) === 0) {
        index += (op & 0x3f) + 1;
        at++;
      } else if ((op & 0xc0) === 0x40) {
        index += xzeroRun(sparse, at, end);
        at += 2;
      } else {
        let run = (op & 3) + 1;
        const value = ((op >>> 2) & 0x1f) + 1;
        if (index + run > REGISTERS) break;
        while (run-- > 0) setDenseRegister(dense, index++, value);
        at++;
      }
    }
    if (index !== REGISTERS) return false;
    this.#bytes = dense;
    this.#length = DENSE_BYTES;
    return true;
  }

  /** Redis's hllSparseSet, step for step, so the opcodes come out byte-identical. */
  #sparseRaise(index: number, count: number, sparseMaxBytes: number): AddResult {
    if (count > SPARSE_VAL_MAX_VALUE) return this.#promote(index, count);
    // Room for the worst split (XZERO into XZERO-VAL-XZERO: 3 more bytes).
    this.#reserve(this.#length + 3);
    const bytes = this.#bytes;
    let end = this.#length;

    // Step 1: find the opcode covering register `index`.
    let at = HEADER_BYTES;
    let first = 0;
    let previous = -1;
    let span = 0;
    while (at < end) {
      const op = bytes[at]!;
      let opLength = 1;
      if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
      else if ((op & 0x80) !== 0) span = (op & 3) + 1;
      else {
        span = xzeroRun(bytes, at, end);
        opLength = 2;
      }
      if (index <= first + span - 1) break;
      previous = at;
      at += opLength;
      first += span;
    }
    if (span === 0 || at >= end) return -1;

    const op = bytes[at]!;
    const isZero = (op & 0xc0) === 0;
    const isXzero = (op & 0xc0) === 0x40;
    const isVal = (op & 0x80) !== 0;
    const next = isXzero ? at + 2 : at + 1;
    const runLength = isZero ? (op & 0x3f) + 1 : isXzero ? xzeroRun(bytes, at, end) : (op & 3) + 1;

    updated: {
      // Step 2: the cases that change the opcode in place.
      if (isVal) {
        const old = ((op >>> 2) & 0x1f) + 1;
        if (old >= count) return 0;
        if (runLength === 1) {
          bytes[at] = valOpcode(count, 1);
          break updated;
        }
      }
      if (isZero && runLength === 1) {
        bytes[at] = valOpcode(count, 1);
        break updated;
      }

      // General case: split the opcode into up to three (at most 5 bytes).
      const sequence = new Uint8Array(5);
      let length = 0;
      const last = first + span - 1;
      if (isZero || isXzero) {
        if (index !== first) length = writeZeros(sequence, length, index - first);
        sequence[length++] = valOpcode(count, 1);
        if (index !== last) length = writeZeros(sequence, length, last - index);
      } else {
        const current = ((op >>> 2) & 0x1f) + 1;
        if (index !== first) sequence[length++] = valOpcode(current, index - first);
        sequence[length++] = valOpcode(count, 1);
        if (index !== last) sequence[length++] = valOpcode(current, last - index);
      }

      // Step 3: put the sequence in place of the old opcode.
      const delta = length - (isXzero ? 2 : 1);
      if (delta > 0 && end + delta > sparseMaxBytes) return this.#promote(index, count);
      if (delta !== 0 && next < end) bytes.copyWithin(next + delta, next, end);
      end += delta;
      bytes.set(sequence.subarray(0, length), at);
    }

    // Step 4: merge adjacent VAL opcodes of equal value, up to 5 opcodes from `previous`.
    let scan = previous >= 0 ? previous : HEADER_BYTES;
    let budget = 5;
    while (scan < end && budget-- > 0) {
      const here = bytes[scan]!;
      if ((here & 0xc0) === 0x40) {
        scan += 2;
        continue;
      }
      if ((here & 0xc0) === 0) {
        scan++;
        continue;
      }
      if (scan + 1 < end && (bytes[scan + 1]! & 0x80) !== 0) {
        const value = ((here >>> 2) & 0x1f) + 1;
        const there = bytes[scan + 1]!;
        if (value === ((there >>> 2) & 0x1f) + 1) {
          const merged = (here & 3) + 1 + (there & 3) + 1;
          if (merged <= SPARSE_VAL_MAX_LEN) {
            bytes[scan + 1] = valOpcode(value, merged);
            bytes.copyWithin(scan, scan + 1, end);
            end--;
            continue;
          }
        }
      }
      scan++;
    }
    this.#length = end;
    bytes[15]! |= 0x80;
    return 1;
  }

  /** Turns dense and then sets the register, which must change (Redis asserts it). */
  #promote(index: number, count: number): AddResult {
    if (!this.toDense()) return -1;
    setDenseRegister(this.#bytes, index, Math.max(count, denseRegister(this.#bytes, index)));
    return 1;
  }

  /** Grows the backing array (sparse only) to hold at least `length` bytes. */
  #reserve(length: number): void {
    if (length <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(length, this.#bytes.length * 2));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
  }
}

/**
 * The registers an XZERO opcode at `at` covers. A truncated one (its
 * second byte past `end`) reads 0 there, as Redis reads the string's
 * terminating zero.
 */
function xzeroRun(bytes: Uint8Array, at: number, end: number): number {
  const low = at + 1 < end ? bytes[at + 1]! : 0;
  return (((bytes[at]! & 0x3f) << 8) | low) + 1;
}

function valOpcode(value: number, run: number): number {
  return 0x80 | ((value - 1) << 2) | (run - 1);
}

function writeXzero(bytes: Uint8Array, at: number, run: number): void {
  bytes[at] = ((run - 1) >>> 8) | 0x40;
  bytes[at + 1] = (run - 1) & 0xff;
}

/** A ZERO opcode for up to 64 registers, else XZERO; returns the length after it. */
function writeZeros(bytes: Uint8Array, at: number, run: number): number {
  if (run > SPARSE_ZERO_MAX_LEN) {
    writeXzero(bytes, at, run);
    return at + 2;
  }
  bytes[at] = run - 1;
  return at + 1;
}
