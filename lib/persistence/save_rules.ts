/**
 * Redis's `save` setting: pairs of "after this many seconds, if at least this
 * many changes" that trigger a background snapshot. Pure, so the config table
 * parses it and the server checks it with the clock passed in.
 *
 * @module
 */

/** One rule: snapshot once `seconds` have passed since the last save and `changes` writes happened. */
export interface SaveRule {
  readonly seconds: number;
  readonly changes: number;
}

/** Redis's text when `save` is not pairs of integers. */
export const INVALID_SAVE = "Invalid save parameters";

/**
 * Reads `"3600 1 300 100"` into rules; `""` means none. Returns undefined for
 * anything else (an odd count, a non-integer, a negative number).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(parseSaveRules("900 1 60 10000"), [
 *   { seconds: 900, changes: 1 },
 *   { seconds: 60, changes: 10000 },
 * ]);
 * deepStrictEqual(parseSaveRules(""), []);
 * deepStrictEqual(parseSaveRules("900"), undefined);
 * ```
 */
export function parseSaveRules(text: string): SaveRule[] | undefined {
  const words = text.trim().split(/\s+/).filter((word) => word !== "");
  if (words.length % 2 !== 0) return undefined;
  const rules: SaveRule[] = [];
  for (let i = 0; i < words.length; i += 2) {
    if (!/^\d+$/.test(words[i]!) || !/^\d+$/.test(words[i + 1]!)) return undefined;
    const seconds = Number(words[i]);
    const changes = Number(words[i + 1]);
    if (!Number.isSafeInteger(seconds) || !Number.isSafeInteger(changes)) return undefined;
    rules.push({ seconds, changes });
  }
  return rules;
}

/** The rules as CONFIG GET shows them: `"3600 1 300 100"`, or `""` for none. */
export function formatSaveRules(rules: readonly SaveRule[]): string {
  return rules.map((rule) => `${rule.seconds} ${rule.changes}`).join(" ");
}

/**
 * Redis's serverCron check: the first rule that is due, given the changes
 * since the last save and the seconds elapsed since it (strictly more than
 * the rule's, as Redis compares), or undefined.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const rules = parseSaveRules("60 10")!;
 * strictEqual(dueSaveRule(rules, 10, 61)?.seconds, 60);
 * strictEqual(dueSaveRule(rules, 9, 61), undefined);
 * ```
 */
export function dueSaveRule(
  rules: readonly SaveRule[],
  changes: number,
  elapsedSeconds: number,
): SaveRule | undefined {
  return rules.find((rule) => changes >= rule.changes && elapsedSeconds > rule.seconds);
}
