/**
 * What SCAN, ZSCAN (and the other *SCAN commands) share besides the cursor
 * mechanism itself (lib/scan_index.ts): parsing the cursor and the options
 * as Redis does.
 *
 * @module
 */
import { CommandError, NOT_INTEGER, SYNTAX } from "./errors.ts";
import { globToRegExp } from "./glob.ts";
import { parseInteger } from "./numbers.ts";

/** strtoul's range: cursors up to 2^64 - 1 are valid, however unlikely. */
const CURSOR_MAX = 2n ** 64n - 1n;
const MAX_SAFE_CURSOR = BigInt(Number.MAX_SAFE_INTEGER);

export const INVALID_CURSOR = "ERR invalid cursor";

/**
 * Parses a SCAN cursor as Redis does (`strtoul`, base 10): optional sign,
 * digits up to 2^64 - 1, a negative value wrapping around as unsigned, the
 * empty string meaning 0, and no surrounding spaces.
 */
export function parseScanCursor(text: string): number | bigint {
  if (text === "") return 0;
  if (!/^[+-]?[0-9]+$/.test(text)) throw new CommandError(INVALID_CURSOR);
  const negative = text.charCodeAt(0) === 45;
  const digits = text.charCodeAt(0) === 43 || negative ? text.slice(1) : text;
  if (digits.length <= 15) {
    const value = Number(digits);
    if (!negative || value === 0) return value;
  }
  const magnitude = BigInt(digits);
  if (magnitude > CURSOR_MAX) throw new CommandError(INVALID_CURSOR);
  const value = negative ? (CURSOR_MAX + 1n - magnitude) % (CURSOR_MAX + 1n) : magnitude;
  return value <= MAX_SAFE_CURSOR ? Number(value) : value;
}

/** SCAN's MATCH, COUNT and TYPE options. */
export interface ScanOptions {
  /** Compiled MATCH pattern; undefined when absent or `*`. */
  readonly match: RegExp | undefined;
  /** Items to visit per call, at least 1 (default 10). */
  readonly count: number;
  /** TYPE name as given (compare case-insensitively); undefined when absent. */
  readonly type: string | undefined;
}

export interface ScanOptionsSettings {
  /** Index of the first option word (2 for SCAN, 3 for ZSCAN). */
  readonly from: number;
  /** TYPE is accepted only when walking the keyspace itself. */
  readonly allowType: boolean;
}

/**
 * Parses the options after the cursor as Redis's `scanGenericCommand` does:
 * each may repeat (the last wins), COUNT must be a positive integer (a
 * non-integer is NOT_INTEGER, below 1 a syntax error), anything else is a
 * syntax error.
 */
export function parseScanOptions(
  argv: readonly string[],
  settings: ScanOptionsSettings,
): ScanOptions {
  let match: RegExp | undefined;
  let count = 10;
  let type: string | undefined;
  for (let i = settings.from; i < argv.length; i += 2) {
    const option = argv[i]!.toUpperCase();
    const value = argv[i + 1];
    if (value === undefined) throw new CommandError(SYNTAX);
    if (option === "COUNT") {
      const parsed = parseInteger(value);
      if (parsed === undefined) throw new CommandError(NOT_INTEGER);
      if (parsed < 1) throw new CommandError(SYNTAX);
      count = Number(parsed);
    } else if (option === "MATCH") {
      match = value === "*" ? undefined : globToRegExp(value);
    } else if (option === "TYPE" && settings.allowType) {
      type = value;
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  return { match, count, type };
}
