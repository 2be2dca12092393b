/**
 * Range arguments of the sorted-set commands, parsed and answered the way
 * Redis's `t_zset.c` does: score intervals (`(1.5`, `-inf`), lex intervals
 * (`[a`, `(b`, `-`, `+`), rank ranges with negative indexes, and the one
 * ZRANGE algorithm that ZRANGE, ZRANGESTORE and the legacy ZRANGEBYSCORE,
 * ZREVRANGE… variants share (Redis's `zrangeGenericCommand`).
 *
 * Decisions that shape the module:
 * - Score bounds are read with C `strtod` rules, not the stricter rules of
 *   ZADD scores, because that is what Redis's `zslParseRange` uses: leading
 *   blanks, hex floats, overflow to `inf`, and even an empty string (0) are
 *   accepted.
 * - LIMIT offset/count and every range become rank arithmetic on the
 *   order-statistic tree, so skipping `offset` members is O(log n), never a
 *   walk (Redis walks them one by one).
 *
 * @module
 */
import { CommandError, NOT_INTEGER, SYNTAX } from "../errors.ts";
import type { LexBound, ScoreBound, SortedSet } from "../zset.ts";
import { parseHexFloat } from "../numbers.ts";
import { numberArgument } from "./arguments.ts";

const SCORE_RANGE_ERROR = "ERR min or max is not a float";
const LEX_RANGE_ERROR = "ERR min or max not valid string range item";
const LIMIT_NEEDS_BY =
  "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
const WITHSCORES_WITH_BYLEX =
  "ERR syntax error, WITHSCORES not supported in combination with BYLEX";

/** C's isspace set, which strtod skips before a number. */
const BLANKS = "[\\t\\n\\v\\f\\r ]*";
const DECIMAL = new RegExp(`^${BLANKS}[+-]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][+-]?\\d+)?$`);
const LEADING_BLANKS = new RegExp(`^${BLANKS}`);
const INFINITY = new RegExp(`^${BLANKS}([+-]?)inf(?:inity)?$`, "i");

/**
 * Reads `text` as C's `strtod` would, requiring it to consume the whole
 * string (Redis's `eptr[0] != '\0'` check); undefined otherwise or for NaN.
 * strtod converts nothing in "" and leaves the end pointer at the
 * terminator, so "" reads as 0, as Redis accepts it.
 *
 * @example What strtod accepts and ZADD would not
 * ```ts
 * import { parseStrtod } from "./zset_ranges.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(parseStrtod(" 0x1.8p1"), 3);
 * assert.equal(parseStrtod("1e400"), Infinity);
 * assert.equal(parseStrtod(""), 0);
 * assert.equal(parseStrtod("1 "), undefined);
 * ```
 */
export function parseStrtod(text: string): number | undefined {
  if (text.length === 0) return 0;
  if (DECIMAL.test(text)) return Number(text);
  const infinity = INFINITY.exec(text);
  if (infinity !== null) return infinity[1] === "-" ? -Infinity : Infinity;
  return parseHexFloat(text.replace(LEADING_BLANKS, ""));
}

/** One end of a score interval: `(` makes it exclusive (Redis's `zslParseRange`). */
function parseScoreBound(text: string): ScoreBound | undefined {
  const exclusive = text.charCodeAt(0) === 40; // "("
  const value = parseStrtod(exclusive ? text.slice(1) : text);
  return value === undefined ? undefined : { value, exclusive };
}

/**
 * A score interval, or Redis's "min or max is not a float" error.
 *
 * @example An exclusive lower bound
 * ```ts
 * import { parseScoreRange } from "./zset_ranges.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseScoreRange("(1", "+inf"), [
 *   { value: 1, exclusive: true },
 *   { value: Infinity, exclusive: false },
 * ]);
 * ```
 */
export function parseScoreRange(min: string, max: string): [ScoreBound, ScoreBound] {
  const low = parseScoreBound(min);
  const high = parseScoreBound(max);
  if (low === undefined || high === undefined) throw new CommandError(SCORE_RANGE_ERROR);
  return [low, high];
}

/** One end of a lex interval (Redis's `zslParseLexRangeItem`). */
function parseLexBound(text: string): LexBound | undefined {
  switch (text[0]) {
    case "+":
      return text.length === 1 ? { kind: "max" } : undefined;
    case "-":
      return text.length === 1 ? { kind: "min" } : undefined;
    case "(":
      return { kind: "exclusive", value: text.slice(1) };
    case "[":
      return { kind: "inclusive", value: text.slice(1) };
    default:
      return undefined;
  }
}

/**
 * A lex interval, or Redis's "min or max not valid string range item" error.
 *
 * @example From "b" inclusive to the end
 * ```ts
 * import { parseLexRange } from "./zset_ranges.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseLexRange("[b", "+"), [{ kind: "inclusive", value: "b" }, { kind: "max" }]);
 * ```
 */
export function parseLexRange(min: string, max: string): [LexBound, LexBound] {
  const low = parseLexBound(min);
  const high = parseLexBound(max);
  if (low === undefined || high === undefined) throw new CommandError(LEX_RANGE_ERROR);
  return [low, high];
}

/**
 * Resolves Redis rank indexes (negative counts from the end) against a set of
 * `size` members: the inclusive [start, stop] clamped into the set, or
 * undefined when the range is empty.
 *
 * @example The last two of five
 * ```ts
 * import { clampRankRange } from "./zset_ranges.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(clampRankRange(-2, 100, 5), [3, 4]);
 * assert.equal(clampRankRange(3, 1, 5), undefined);
 * ```
 */
export function clampRankRange(
  start: number,
  stop: number,
  size: number,
): [number, number] | undefined {
  if (start < 0) start += size;
  if (stop < 0) stop += size;
  if (start < 0) start = 0;
  if (start > stop || start >= size) return undefined;
  return [start, Math.min(stop, size - 1)];
}

/** What a range selects, by kind: ranks, a score interval or a lex interval. */
export type RangeBounds =
  | { readonly by: "rank"; readonly start: number; readonly stop: number }
  | { readonly by: "score"; readonly min: ScoreBound; readonly max: ScoreBound }
  | { readonly by: "lex"; readonly min: LexBound; readonly max: LexBound };

/** A parsed ZRANGE-family request. */
export interface RangeQuery {
  readonly bounds: RangeBounds;
  /** Highest first; for score and lex ranges the arguments then read max before min. */
  readonly reverse: boolean;
  readonly withScores: boolean;
  /** LIMIT offset; a negative offset selects nothing, as in Redis. */
  readonly offset: number;
  /** LIMIT count; any negative count means "no limit", as in Redis. */
  readonly count: number;
}

/** How a command fixes the ZRANGE options: legacy variants pin the kind and direction. */
export interface RangeCommandShape {
  /** ZRANGESTORE: WITHSCORES is refused (scores are always stored). */
  readonly store?: boolean;
  /** Fixed kind (ZRANGEBYSCORE…); BYSCORE/BYLEX are then syntax errors, as a second one is. */
  readonly by?: RangeBounds["by"];
  /** Fixed direction (ZREVRANGE…); REV is then a syntax error, as a second REV is. */
  readonly reverse?: boolean;
}

/**
 * Parses `key min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`
 * starting at `argv[keyIndex]`, with Redis's checks in Redis's order: options,
 * then conflicts, then the range itself (`zrangeGenericCommand`).
 */
export function parseRangeQuery(
  argv: readonly string[],
  keyIndex: number,
  shape: RangeCommandShape,
): RangeQuery {
  let by = shape.by;
  let reverse = shape.reverse;
  let withScores = false;
  let offset = 0;
  let count = -1;
  for (let index = keyIndex + 3; index < argv.length; index++) {
    const word = argv[index]!.toUpperCase();
    const remaining = argv.length - index - 1;
    if (!shape.store && word === "WITHSCORES") {
      withScores = true;
    } else if (word === "LIMIT" && remaining >= 2) {
      offset = numberArgument(argv[index + 1]!, NOT_INTEGER);
      count = numberArgument(argv[index + 2]!, NOT_INTEGER);
      index += 2;
    } else if (reverse === undefined && word === "REV") {
      reverse = true;
    } else if (by === undefined && word === "BYSCORE") {
      by = "score";
    } else if (by === undefined && word === "BYLEX") {
      by = "lex";
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  by ??= "rank";
  reverse ??= false;
  // Redis tests the count against its "unset" value -1, so `LIMIT 0 -1` passes with ranks.
  if (count !== -1 && by === "rank") throw new CommandError(LIMIT_NEEDS_BY);
  if (withScores && by === "lex") throw new CommandError(WITHSCORES_WITH_BYLEX);
  // Reversed score and lex ranges are written max first.
  const first = argv[keyIndex + 1]!;
  const second = argv[keyIndex + 2]!;
  const [low, high] = reverse && by !== "rank" ? [second, first] : [first, second];
  let bounds: RangeBounds;
  if (by === "rank") {
    bounds = { by, start: numberArgument(low), stop: numberArgument(high) };
  } else if (by === "score") {
    const [min, max] = parseScoreRange(low, high);
    bounds = { by, min, max };
  } else {
    const [min, max] = parseLexRange(low, high);
    bounds = { by, min, max };
  }
  return { bounds, reverse, withScores, offset, count };
}

/**
 * The members a range query selects, in reply order, by O(log n) rank arithmetic.
 *
 * @example ZRANGE key 10 0 BYSCORE REV LIMIT 1 2
 * ```ts
 * import { parseRangeQuery, selectRange } from "./zset_ranges.ts";
 * import { SortedSet } from "../zset.ts";
 * import assert from "node:assert/strict";
 *
 * const zset = new SortedSet();
 * for (const [member, score] of [["a", 1], ["b", 2], ["c", 3], ["d", 4]] as const) {
 *   zset.add(member, score);
 * }
 * const argv = ["ZRANGE", "key", "10", "0", "BYSCORE", "REV", "LIMIT", "1", "2"];
 * assert.deepEqual(selectRange(zset, parseRangeQuery(argv, 1, {})), [["c", 3], ["b", 2]]);
 * ```
 */
export function selectRange(zset: SortedSet, query: RangeQuery): Array<[string, number]> {
  const bounds = query.bounds;
  if (bounds.by === "rank") {
    const ranks = clampRankRange(bounds.start, bounds.stop, zset.size);
    if (ranks === undefined) return [];
    return query.reverse ? zset.rangeReverse(ranks[0], ranks[1]) : zset.range(ranks[0], ranks[1]);
  }
  const first = bounds.by === "score"
    ? zset.firstRankInScoreRange(bounds.min, bounds.max)
    : zset.firstRankInLexRange(bounds.min, bounds.max);
  if (first < 0 || query.offset < 0) return [];
  const last = bounds.by === "score"
    ? zset.lastRankInScoreRange(bounds.min, bounds.max)
    : zset.lastRankInLexRange(bounds.min, bounds.max);
  const available = last - first + 1 - query.offset;
  const taken = query.count < 0 ? available : Math.min(available, query.count);
  if (taken <= 0) return [];
  if (!query.reverse) {
    const start = first + query.offset;
    return zset.range(start, start + taken - 1);
  }
  const stop = last - query.offset;
  return zset.range(stop - taken + 1, stop).reverse();
}
