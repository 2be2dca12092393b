/**
 * Small shared readers for command arguments, so every command rejects bad
 * numbers with the same Redis error text and no handler re-implements them.
 *
 * @module
 */
import { CommandError, NOT_FLOAT, NOT_INTEGER } from "../errors.ts";
import { parseFloat64, parseInteger } from "../numbers.ts";

/** A signed 64-bit integer argument as a JS number (exact to 2^53) or bigint beyond. */
export function integerArgument(text: string, message = NOT_INTEGER): number | bigint {
  const value = parseInteger(text);
  if (value === undefined) throw new CommandError(message);
  return value;
}

/**
 * An integer argument as a JS number: counts, indexes, offsets. Values past
 * 2^53 are clamped, which is harmless for those uses (no set is that large).
 */
export function numberArgument(text: string, message = NOT_INTEGER): number {
  return Number(integerArgument(text, message));
}

/** Redis's text when a C `int` argument is a 64-bit integer out of that range. */
export const INT32_RANGE =
  "ERR value is out of range, value must between -2147483648 and 2147483647";

/**
 * A C `int` argument as Redis's `getIntFromObjectOrReply` reads it (database
 * indexes): `message`, when given, replaces both of its error texts.
 */
export function int32Argument(text: string, message?: string): number {
  const value = integerArgument(text, message ?? NOT_INTEGER);
  if (value < -(2 ** 31) || value >= 2 ** 31) throw new CommandError(message ?? INT32_RANGE);
  return Number(value);
}

/** A float argument (NaN refused, `inf` accepted), with Redis's error text. */
export function floatArgument(text: string, message = NOT_FLOAT): number {
  const value = parseFloat64(text);
  if (value === undefined) throw new CommandError(message);
  return value;
}

/** Whether `text` equals the upper-case `keyword` in any letter case. */
export function isKeyword(text: string | undefined, keyword: string): boolean {
  return text !== undefined && text.length === keyword.length && text.toUpperCase() === keyword;
}
