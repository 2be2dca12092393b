/**
 * Parsing numbers out of arguments exactly as Redis does, because clients
 * rely on what is rejected as much as on what is accepted: integers follow
 * `string2ll` (no spaces, no `+`, no leading zeros, signed 64-bit), floats
 * follow `strtold` with `inf` spelled out and NaN refused.
 *
 * Integers stay JS numbers while they are exact (|n| ≤ 2^53) and become
 * bigint only beyond, so the common path never allocates.
 *
 * @module
 */

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** Longest decimal that is always float64-exact: 15 digits (2^53 has 16). */
const EXACT_DIGITS = 15;

/**
 * Parses a signed 64-bit integer with Redis's `string2ll` rules, or returns
 * undefined. The result is a number when exactly representable, else a bigint.
 */
export function parseInteger(text: string): number | bigint | undefined {
  const length = text.length;
  if (length === 0 || length > 20) return undefined;
  let index = 0;
  const negative = text.charCodeAt(0) === 45; // "-"
  if (negative) {
    index = 1;
    if (length === 1) return undefined;
  }
  const first = text.charCodeAt(index);
  if (first === 48) { // "0": only "0" itself, never "-0" or "01"
    return length === 1 ? 0 : undefined;
  }
  if (first < 49 || first > 57) return undefined;
  const digits = length - index;
  if (digits <= EXACT_DIGITS) {
    let value = 0;
    for (; index < length; index++) {
      const code = text.charCodeAt(index);
      if (code < 48 || code > 57) return undefined;
      value = value * 10 + (code - 48);
    }
    return negative ? -value : value;
  }
  for (let i = index; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return undefined;
  }
  const big = BigInt(text);
  if (big < INT64_MIN || big > INT64_MAX) return undefined;
  return normalizeInteger(big);
}

/** A bigint back to a number when it is float64-exact, so equal values look alike. */
export function normalizeInteger(value: bigint): number | bigint {
  return value >= -9007199254740991n && value <= 9007199254740991n ? Number(value) : value;
}

/**
 * `base + increment` in signed 64 bits (INCRBY, HINCRBY), or undefined when it
 * overflows. Numbers while the sum is exact, bigint beyond.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(addInt64(2, 3), 5);
 * strictEqual(addInt64(9223372036854775807n, 1), undefined);
 * ```
 */
export function addInt64(
  base: number | bigint,
  increment: number | bigint,
): number | bigint | undefined {
  if (typeof base === "number" && typeof increment === "number") {
    // Both are safe integers, so a safe sum is exact; anything else is redone in bigint.
    const sum = base + increment;
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(base) + BigInt(increment);
  if (sum < INT64_MIN || sum > INT64_MAX) return undefined;
  return normalizeInteger(sum);
}

/** Like {@link parseInteger} but only when the result is a safe JS number (counts, indexes, TTLs). */
export function parseSafeInteger(text: string): number | undefined {
  const value = parseInteger(text);
  return typeof value === "number" ? value : undefined;
}

/**
 * Parses a float as Redis does for scores and INCRBYFLOAT (`strtold`):
 * decimal or exponent forms, `inf`/`+inf`/`-inf`/`infinity` in any case,
 * hex floats refused, no surrounding spaces, NaN refused.
 */
export function parseFloat64(text: string): number | undefined {
  const length = text.length;
  if (length === 0) return undefined;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(length - 1);
  // Number() also trims U+00A0, which strtod never skips.
  if (isSpace(first) || isSpace(last) || first === 0xa0 || last === 0xa0) return undefined;
  const value = Number(text);
  if (!Number.isNaN(value)) {
    // Number() reads "0b1" and "0o7", which strtod refuses; hex is strtod's own below.
    if (length > 1 && first === 48) {
      const second = text.charCodeAt(1) | 0x20;
      if (second === 0x62 || second === 0x6f) return undefined;
      if (second === 0x78) return finiteOrUndefined(parseHexFloat(text));
    }
    // strtod reports ERANGE on overflow and underflow, and Redis refuses both.
    if (!Number.isFinite(value) && !/inf/i.test(text)) return undefined;
    if (value === 0 && /[1-9]/.test(text.replace(/e.*$/i, ""))) return undefined;
    return value;
  }
  if (HEX_FLOAT_PREFIX.test(text)) return finiteOrUndefined(parseHexFloat(text));
  const lower = text.toLowerCase();
  if (lower === "inf" || lower === "+inf" || lower === "infinity" || lower === "+infinity") {
    return Infinity;
  }
  if (lower === "-inf" || lower === "-infinity") return -Infinity;
  return undefined;
}

/** Redis 7.0 reads scores with strtod, which takes C99 hex floats ("0x1.8p1" is 3). */
const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const HEX_FLOAT_PREFIX = /^[+-]?0[xX]/;

/** A C99 hex float such as `0x10`, `-0x1.8p1`; undefined when it is not one. */
export function parseHexFloat(text: string): number | undefined {
  const hex = HEX_FLOAT.exec(text);
  if (hex === null) return undefined;
  const whole = hex[2]!;
  const fraction = hex[3] ?? "";
  if (whole.length + fraction.length === 0) return undefined;
  // Number(bigint) rounds the mantissa to nearest; scaling by a power of two is exact.
  const mantissa = Number(BigInt(`0x${whole}${fraction}`));
  if (mantissa === 0) return hex[1] === "-" ? -0 : 0;
  const value = mantissa * 2 ** (Number(hex[4] ?? "0") - 4 * fraction.length);
  return hex[1] === "-" ? -value : value;
}

/** strtod's ERANGE on overflow, which Redis refuses. */
function finiteOrUndefined(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/** Formats an integer reply value (number or bigint) in decimal. */
export function formatInteger(value: number | bigint): string {
  return typeof value === "number" ? String(value) : value.toString();
}

const MEMORY_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 ** 2,
  mb: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1024 ** 3,
};

/** Redis's `memtoull`: digits with an optional unit (`1k`, `512mb`), any letter case. */
export function parseMemorySize(text: string): number | undefined {
  const match = /^(\d+)([a-z]*)$/i.exec(text);
  const unit = match ? MEMORY_UNITS[match[2]!.toLowerCase()] : undefined;
  return match && unit !== undefined ? Number(match[1]) * unit : undefined;
}
