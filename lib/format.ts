/**
 * Number formatting shared by every codec and command that prints a float64.
 *
 * Doubles print as the shortest decimal that round-trips, the rule Redis ≥ 7.2
 * follows, so scores survive a reply → parse cycle exactly. JavaScript's own
 * `String(n)` is already shortest-round-trip; only the infinities are spelled
 * the Redis way. Exponent thresholds follow JavaScript (`1e+21`, `1e-7`), which
 * can differ from Redis's `%.17g`-style switch to exponent notation.
 *
 * @module
 */
import { longDoubleFromDouble } from "./long_double.ts";

/**
 * Formats a float64 as Redis replies print it: shortest round-trip decimal,
 * integers without `.0`, `inf` / `-inf` for the infinities.
 *
 * @example Formatting scores
 * ```ts
 * import { formatDouble } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatDouble(3), "3");
 * assert.equal(formatDouble(1.5), "1.5");
 * assert.equal(formatDouble(-Infinity), "-inf");
 * ```
 */
export function formatDouble(n: number): string {
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  // NaN never reaches a reply (commands reject it); spell it as Redis would anyway.
  if (n !== n) return "nan";
  return String(n);
}

/**
 * A string in double quotes with redis-cli's escapes (`sdscatrepr`): `\\`,
 * `\"`, `\n`, `\r`, `\t`, `\a`, `\b`, printable ASCII as is, every other byte
 * as `\xNN` in lower-case hex.
 */
export function quoteString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    switch (code) {
      case 0x5c:
        out += "\\\\";
        break;
      case 0x22:
        out += '\\"';
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x07:
        out += "\\a";
        break;
      case 0x08:
        out += "\\b";
        break;
      default:
        out += code >= 0x20 && code <= 0x7e
          ? value[i]
          : "\\x" + (code & 0xff).toString(16).padStart(2, "0");
    }
  }
  return out + '"';
}

/**
 * C's `printf("%.Nf")` of a double: the exact binary value rounded to
 * `digits` decimals, ties to even, `inf`/`-inf`/`nan` spelled as glibc
 * does. (`toFixed` differs on ties and switches to exponents from 1e21.)
 *
 * @example
 * ```ts
 * import { formatFixed } from "./format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatFixed(200, 6), "200.000000");
 * assert.equal(formatFixed(0.0078125, 6), "0.007812");
 * assert.equal(formatFixed(-Infinity, 6), "-inf");
 * ```
 */
export function formatFixed(value: number, digits: number): string {
  if (value !== value) return "nan";
  if (value === Infinity) return "inf";
  if (value === -Infinity) return "-inf";
  const negative = value < 0 || Object.is(value, -0);
  const { mantissa, exponent } = longDoubleFromDouble(Math.abs(value));
  let scaled = mantissa * 10n ** BigInt(digits);
  if (exponent >= 0) {
    scaled <<= BigInt(exponent);
  } else {
    const shift = BigInt(-exponent);
    const whole = scaled >> shift;
    const remainder = scaled - (whole << shift);
    const half = 1n << (shift - 1n);
    scaled = remainder > half || (remainder === half && (whole & 1n) === 1n) ? whole + 1n : whole;
  }
  const text = scaled.toString().padStart(digits + 1, "0");
  const point = text.length - digits;
  const fixed = digits === 0 ? text : `${text.slice(0, point)}.${text.slice(point)}`;
  return negative ? `-${fixed}` : fixed;
}
