/**
 * LZF, the compressor Redis applies to RDB strings longer than 20 bytes when
 * `rdbcompression` is on (Marc Lehmann's liblzf, `lzf_c.c` / `lzf_d.c`).
 *
 * The format is a sequence of runs, each opened by a control byte `c`:
 * - `c < 32`: `c + 1` literal bytes follow;
 * - otherwise a back reference: length `(c >> 5) + 2` (when `c >> 5` is 7, the
 *   next byte is added to it), distance `((c & 31) << 8) + next byte + 1`
 *   back from the end of the output.
 *
 * Decisions that shape the module:
 * - Decompression is exact and strict: a corrupt stream raises a RangeError
 *   naming the input offset, and the caller (the RDB reader) turns it into a
 *   file offset. Nothing is ever read or written out of bounds.
 * - The compressor's output is valid LZF but need not match liblzf byte for
 *   byte (no format requires that). Its hash table is reused between calls
 *   without clearing: slots hold positions plus a base that grows with every
 *   call, so entries from earlier inputs read as stale. That keeps compressing
 *   many small strings from paying for a 64 KiB memset each.
 *
 * @module
 */

/** Longest literal run one control byte can announce. */
const MAX_LITERAL = 32;
/** Farthest back a reference can point (13 bits of distance). */
const MAX_OFFSET = 1 << 13;
/** Longest match one reference can encode: 2 + 7 + 255. */
const MAX_MATCH = 264;
const HASH_BITS = 14;
/** Each slot holds `base + position` of the last 3-byte sequence seen with that hash. */
const hashTable = new Int32Array(1 << HASH_BITS);
/** Added to positions of the current call; always above every value from earlier calls. */
let hashBase = 1;

/**
 * Decompresses an LZF stream that must expand to exactly `outputLength` bytes.
 * Throws a RangeError, naming the offset in `input`, on anything else.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * // "aaaaaaaa": one literal "a", then a 7-byte reference one byte back.
 * deepStrictEqual(lzfDecompress(new Uint8Array([0, 97, 160, 0]), 8), new Uint8Array(8).fill(97));
 * ```
 */
export function lzfDecompress(input: Uint8Array, outputLength: number): Uint8Array {
  const output = new Uint8Array(outputLength);
  const inputEnd = input.length;
  let ip = 0;
  let op = 0;
  while (ip < inputEnd) {
    const control = input[ip++]!;
    if (control < 32) {
      const length = control + 1;
      if (ip + length > inputEnd) {
        throw new RangeError(`LZF literal run of ${length} bytes cut short at input offset ${ip}`);
      }
      if (op + length > outputLength) {
        throw new RangeError(`LZF output exceeds ${outputLength} bytes at input offset ${ip - 1}`);
      }
      for (let i = 0; i < length; i++) output[op++] = input[ip++]!;
      continue;
    }
    const controlAt = ip - 1;
    let length = control >> 5;
    if (length === 7) {
      if (ip >= inputEnd) throw new RangeError(`LZF reference cut short at input offset ${ip}`);
      length += input[ip++]!;
    }
    length += 2;
    if (ip >= inputEnd) throw new RangeError(`LZF reference cut short at input offset ${ip}`);
    const distance = ((control & 0x1f) << 8) + input[ip++]! + 1;
    let ref = op - distance;
    if (ref < 0) {
      throw new RangeError(`LZF reference before the start of output at input offset ${controlAt}`);
    }
    if (op + length > outputLength) {
      throw new RangeError(`LZF output exceeds ${outputLength} bytes at input offset ${controlAt}`);
    }
    // Byte by byte on purpose: a reference may overlap the bytes it produces (runs).
    for (let i = 0; i < length; i++) output[op++] = output[ref++]!;
  }
  if (op !== outputLength) {
    throw new RangeError(`LZF stream expands to ${op} bytes, not the ${outputLength} announced`);
  }
  return output;
}

/**
 * Compresses `input[0, inputLength)` into `output`, returning the compressed
 * length, or 0 when the result would not fit in `output` (liblzf's contract,
 * which Redis uses to keep a string uncompressed unless it saves 4 bytes).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * const input = new TextEncoder().encode("abcabcabcabcabcabcabcabcabcabc");
 * const output = new Uint8Array(input.length);
 * const length = lzfCompress(input, input.length, output);
 * deepStrictEqual(lzfDecompress(output.subarray(0, length), input.length), input);
 * ```
 */
export function lzfCompress(input: Uint8Array, inputLength: number, output: Uint8Array): number {
  const outputEnd = output.length;
  if (inputLength === 0) return 0;
  if (hashBase > 0x3fffffff - inputLength) {
    hashTable.fill(0);
    hashBase = 1;
  }
  const base = hashBase;
  // The next call's positions start above every value this call can store.
  hashBase += inputLength + 1;
  // `runStart` is the control byte of the literal run being built; `literals` its length so far.
  let runStart = 0;
  let literals = 0;
  let op = 1;
  let ip = 0;
  const matchEnd = inputLength - 2;
  while (ip < matchEnd) {
    const hash = Math.imul(
      (input[ip]! << 16) | (input[ip + 1]! << 8) | input[ip + 2]!,
      0x9e3779b1,
    ) >>> (32 - HASH_BITS);
    const stored = hashTable[hash]!;
    hashTable[hash] = base + ip;
    const ref = stored - base;
    const distance = ip - ref - 1;
    if (
      stored >= base && distance < MAX_OFFSET && input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]
    ) {
      const maxLength = Math.min(MAX_MATCH, inputLength - ip);
      let length = 3;
      while (length < maxLength && input[ref + length] === input[ip + length]) length++;
      // Close the literal run (or drop its unused control byte), then emit up to 3 bytes.
      if (op - (literals === 0 ? 1 : 0) + 3 > outputEnd) return 0;
      if (literals > 0) output[runStart] = literals - 1;
      else op--;
      const code = length - 2;
      if (code < 7) {
        output[op++] = (distance >> 8) + (code << 5);
      } else {
        output[op++] = (distance >> 8) + (7 << 5);
        output[op++] = code - 7;
      }
      output[op++] = distance & 0xff;
      ip += length;
      // Hash the positions the match skipped so later data can refer into it.
      for (let p = ip - length + 1; p < ip && p < matchEnd; p++) {
        hashTable[
          Math.imul((input[p]! << 16) | (input[p + 1]! << 8) | input[p + 2]!, 0x9e3779b1) >>>
          (32 - HASH_BITS)
        ] = base + p;
      }
      if (op >= outputEnd) return 0;
      runStart = op++;
      literals = 0;
      continue;
    }
    if (op >= outputEnd) return 0;
    output[op++] = input[ip++]!;
    if (++literals === MAX_LITERAL) {
      output[runStart] = MAX_LITERAL - 1;
      if (op >= outputEnd) return 0;
      runStart = op++;
      literals = 0;
    }
  }
  while (ip < inputLength) {
    if (op >= outputEnd) return 0;
    output[op++] = input[ip++]!;
    if (++literals === MAX_LITERAL) {
      output[runStart] = MAX_LITERAL - 1;
      if (ip === inputLength) return op;
      if (op >= outputEnd) return 0;
      runStart = op++;
      literals = 0;
    }
  }
  if (literals > 0) output[runStart] = literals - 1;
  else op--;
  return op;
}
