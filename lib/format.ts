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
