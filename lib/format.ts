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
