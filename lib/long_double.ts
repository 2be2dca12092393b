/**
 * Redis's `long double` arithmetic (x87 80-bit extended precision on x86-64),
 * emulated exactly with bigint, for INCRBYFLOAT and HINCRBYFLOAT: parsing as
 * glibc's `strtold`, one correctly rounded addition, and printing as
 * `%.17Lf` without trailing zeros. So `0.1 + 0.2` is `0.3` and
 * `1000.1 + 0` is `1000.09999999999999998`, as in Redis.
 *
 * @example Adding as Redis does
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const a = parseLongDouble("0.1");
 * const b = parseLongDouble("0.2");
 * if (typeof a !== "object" || typeof b !== "object") throw new Error("finite expected");
 * strictEqual(formatLongDouble(addLongDouble(a, b)!), "0.3");
 * ```
 *
 * @module
 */

/** A finite x87 extended value: `mantissa × 2^exponent`, |mantissa| < 2^64. */
export interface LongDouble {
  readonly mantissa: bigint;
  readonly exponent: number;
}

/** What parsing a float argument can give besides a finite value. */
export type ParsedLongDouble = LongDouble | "infinite" | undefined;

export const LONG_DOUBLE_ZERO: LongDouble = { mantissa: 0n, exponent: 0 };
const MANTISSA_BITS = 64;
const MANTISSA_LIMIT = 1n << 64n;
/** Exponent of the smallest subnormal, 2^-16445 (normal values reach down to 2^-16382). */
const MIN_EXPONENT = -16445;
/** Largest exponent of a finite value, which stays below 2^16384. */
const MAX_EXPONENT = 16384 - MANTISSA_BITS;
/** Redis refuses float strings this long or longer (`MAX_LONG_DOUBLE_CHARS`). */
const MAX_FLOAT_CHARS = 5 * 1024;
const TEN_TO_17 = 10n ** 17n;

const DECIMAL_FLOAT = /^([+-]?)(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?$/;
const HEX_FLOAT =
  /^([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?$/;
const INFINITY_FLOAT = /^[+-]?inf(?:inity)?$/i;

function bitLength(value: bigint): number {
  return value.toString(2).length;
}

/**
 * Rounds `numerator / denominator × 2^scale` (both positive) to extended
 * precision, ties to even, as the FPU does. Undefined when the result
 * overflows to infinity or a nonzero value underflows to zero (strtold's
 * ERANGE, which Redis refuses).
 */
function roundExtended(
  numerator: bigint,
  denominator: bigint,
  scale: number,
  negative: boolean,
): LongDouble | undefined {
  // n/d lies in (2^(k-1), 2^(k+1)), so this exponent leaves a quotient of 64 or 65 bits.
  let exponent = Math.max(
    MIN_EXPONENT,
    bitLength(numerator) - bitLength(denominator) + scale - MANTISSA_BITS,
  );
  let [quotient, remainder, divisor] = divideScaled(numerator, denominator, scale - exponent);
  if (quotient >= MANTISSA_LIMIT) {
    exponent++;
    [quotient, remainder, divisor] = divideScaled(numerator, denominator, scale - exponent);
  }
  const twice = remainder * 2n;
  if (twice > divisor || (twice === divisor && (quotient & 1n) === 1n)) quotient++;
  if (quotient === MANTISSA_LIMIT) {
    quotient >>= 1n;
    exponent++;
  }
  if (quotient === 0n || exponent > MAX_EXPONENT) return undefined;
  return { mantissa: negative ? -quotient : quotient, exponent };
}

/** `floor(n × 2^shift / d)`, its remainder and the divisor it is over. */
function divideScaled(n: bigint, d: bigint, shift: number): [bigint, bigint, bigint] {
  const numerator = shift >= 0 ? n << BigInt(shift) : n;
  const divisor = shift >= 0 ? d : d << BigInt(-shift);
  const quotient = numerator / divisor;
  return [quotient, numerator - quotient * divisor, divisor];
}

/**
 * Parses a float as Redis's `string2ld` does with glibc's `strtold`: decimal
 * and hexadecimal forms, `inf`/`infinity`, no spaces, NaN and out-of-range
 * values refused.
 */
export function parseLongDouble(text: string): ParsedLongDouble {
  if (text.length === 0 || text.length >= MAX_FLOAT_CHARS) return undefined;
  const decimal = DECIMAL_FLOAT.exec(text);
  if (decimal !== null) {
    const [, sign, whole = "", fraction = "", fractionOnly = "", exponentText = "0"] = decimal;
    const fractionDigits = fraction + fractionOnly;
    const digits = (whole + fractionDigits).replace(/^0+/, "");
    if (digits === "") return LONG_DOUBLE_ZERO;
    const exponent = Number(exponentText) - fractionDigits.length;
    // The value lies in [10^(magnitude-1), 10^magnitude): past LDBL_MAX (1.19e4932), or
    // below half the smallest subnormal (3.6e-4951), without building huge powers of ten.
    const magnitude = digits.length + exponent;
    if (magnitude > 4934 || magnitude < -4951) return undefined;
    const mantissa = BigInt(digits);
    return exponent >= 0
      ? roundExtended(mantissa * 10n ** BigInt(exponent), 1n, 0, sign === "-")
      : roundExtended(mantissa, 10n ** BigInt(-exponent), 0, sign === "-");
  }
  const hex = HEX_FLOAT.exec(text);
  if (hex !== null) {
    const [, sign, whole = "", fraction = "", fractionOnly = "", exponentText = "0"] = hex;
    const fractionDigits = fraction + fractionOnly;
    const mantissa = BigInt("0x" + whole + fractionDigits);
    if (mantissa === 0n) return LONG_DOUBLE_ZERO;
    // Mantissas hold at most 20480 bits, so clamping here keeps every overflow and underflow.
    const scale = Math.max(-50_000, Math.min(50_000, Number(exponentText))) -
      4 * fractionDigits.length;
    return roundExtended(mantissa, 1n, scale, sign === "-");
  }
  return INFINITY_FLOAT.test(text) ? "infinite" : undefined;
}

/** Exact sum, rounded once; undefined when it overflows. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | undefined {
  const exponent = Math.min(a.exponent, b.exponent);
  const sum = (a.mantissa << BigInt(a.exponent - exponent)) +
    (b.mantissa << BigInt(b.exponent - exponent));
  if (sum === 0n) return LONG_DOUBLE_ZERO;
  return roundExtended(sum < 0n ? -sum : sum, 1n, exponent, sum < 0n);
}

/** A finite float64 as the long double C converts it to (exactly: every double is one). */
export function longDoubleFromDouble(value: number): LongDouble {
  if (value === 0) return LONG_DOUBLE_ZERO;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  // Subnormals have no implicit leading bit and the exponent of the smallest normal.
  const magnitude = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  return { mantissa: bits >> 63n === 1n ? -magnitude : magnitude, exponent };
}

/** `%.17Lf` (exact decimal expansion, ties to even) without trailing zeros, "-0" as "0". */
export function formatLongDouble(value: LongDouble): string {
  const negative = value.mantissa < 0n;
  const magnitude = negative ? -value.mantissa : value.mantissa;
  let scaled: bigint;
  if (value.exponent >= 0) {
    scaled = (magnitude << BigInt(value.exponent)) * TEN_TO_17;
  } else {
    const numerator = magnitude * TEN_TO_17;
    const shift = BigInt(-value.exponent);
    scaled = numerator >> shift;
    const remainder = numerator - (scaled << shift);
    const half = 1n << (shift - 1n);
    if (remainder > half || (remainder === half && (scaled & 1n) === 1n)) scaled++;
  }
  if (scaled === 0n) return "0";
  const digits = scaled.toString().padStart(18, "0");
  const fraction = digits.slice(-17).replace(/0+$/, "");
  return (negative ? "-" : "") + digits.slice(0, -17) + (fraction === "" ? "" : "." + fraction);
}
