/**
 * What ZRANDMEMBER, HRANDFIELD, SRANDMEMBER and SPOP share: reading the
 * count as Redis does, and drawing positions from the server's random source
 * (`ServerControl.random`), each draw O(1) over collections that can reach an
 * element by position in O(1) (lib/hash.ts, lib/member_set.ts) or O(log n)
 * (lib/zset.ts).
 *
 * @module
 */
import { CommandError, NOT_INTEGER, SYNTAX } from "../errors.ts";
import { INT64_MIN, parseInteger } from "../numbers.ts";
import { isKeyword } from "./arguments.ts";

const OUT_OF_RANGE = "ERR value is out of range";
const COUNT_RANGE =
  "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";
/** LONG_MAX / 2: with values (or scores) the reply holds twice the count, so Redis refuses more. */
const HALF_LONG_MAX = 4611686018427387903n;

/** Most elements one call with a negative count may return (about 100 MB of reply). */
export const MAX_RANDOM_DRAWS = 1_000_000;

/**
 * Redis streams such a reply; Kache builds it in memory, so it caps the size
 * rather than let one command exhaust the heap (-100000000 would abort V8).
 */
const RANDOM_DRAWS_LIMIT =
  `ERR count is out of range: Kache returns at most ${MAX_RANDOM_DRAWS} random members at once`;

/** A parsed `count [WITH…]` request: count < 0 allows repeats. */
export interface RandomCountRequest {
  readonly count: number;
  readonly withValues: boolean;
}

/**
 * Reads `argv[2]` as the count (−LONG_MAX..LONG_MAX) and an optional
 * `keyword` (WITHSCORES, WITHVALUES) after it, refusing what Redis refuses in
 * its order: the count, then the syntax, then the halved range with values,
 * then (Kache's own) the cap on repeated draws.
 */
export function parseRandomCount(argv: readonly string[], keyword: string): RandomCountRequest {
  const parsed = parseInteger(argv[2]!);
  if (parsed === undefined) throw new CommandError(NOT_INTEGER);
  if (parsed === INT64_MIN) throw new CommandError(COUNT_RANGE);
  if (argv.length > 4 || (argv.length === 4 && !isKeyword(argv[3], keyword))) {
    throw new CommandError(SYNTAX);
  }
  const withValues = argv.length === 4;
  if (withValues && (BigInt(parsed) < -HALF_LONG_MAX || BigInt(parsed) > HALF_LONG_MAX)) {
    throw new CommandError(OUT_OF_RANGE);
  }
  return { count: Number(parsed), withValues };
}

/** Refuses a negative count beyond {@link MAX_RANDOM_DRAWS} (call once the key exists). */
export function checkRepeatedDraws(count: number): void {
  if (-count > MAX_RANDOM_DRAWS) throw new CommandError(RANDOM_DRAWS_LIMIT);
}

/** A uniformly random position in `0..size-1`. */
export function randomIndex(size: number, random: () => number): number {
  return Math.floor(random() * size);
}

/** How {@link randomPicks} reaches a collection's elements. */
export interface PickSource<T> {
  /** Number of elements; positive. */
  readonly size: number;
  /** The element at `index` (0 ≤ index < size), O(1) or O(log n). */
  at(index: number): T;
  /** Every element, in the order a count of at least the size returns them. */
  all(): T[];
  /** The server's random source (`ServerControl.random`), uniform in [0, 1). */
  random(): number;
}

/**
 * The elements ZRANDMEMBER, HRANDFIELD and SRANDMEMBER return for a non-zero
 * `count`, as Redis picks them: a negative count draws −count times with
 * repeats (refused past {@link MAX_RANDOM_DRAWS}), a count of at least the
 * size returns every element, and a smaller one `count` distinct elements.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const letters = ["a", "b", "c"];
 * const source = {
 *   size: 3,
 *   at: (i: number) => letters[i]!,
 *   all: () => letters.slice(),
 *   random: Math.random,
 * };
 * strictEqual(randomPicks(-5, source).length, 5);
 * strictEqual(randomPicks(9, source).length, 3);
 * strictEqual(new Set(randomPicks(2, source)).size, 2);
 * ```
 */
export function randomPicks<T>(count: number, source: PickSource<T>): T[] {
  const size = source.size;
  const random = () => source.random();
  if (count < 0) {
    checkRepeatedDraws(count);
    const picks: T[] = [];
    for (let i = 0; i < -count; i++) picks.push(source.at(randomIndex(size, random)));
    return picks;
  }
  if (count >= size) return source.all();
  return distinctRandomIndexes(count, size, random).map((index) => source.at(index));
}

/**
 * `count` distinct uniformly random positions in `0..size-1` (count < size),
 * in random order: a partial Fisher-Yates shuffle with the swapped positions
 * in a Map, so it costs O(count) however large `size` is.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const picks = distinctRandomIndexes(3, 10, Math.random);
 * strictEqual(new Set(picks).size, 3);
 * ```
 */
export function distinctRandomIndexes(count: number, size: number, random: () => number): number[] {
  const swapped = new Map<number, number>();
  const picks: number[] = [];
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (size - i));
    picks.push(swapped.get(j) ?? j);
    swapped.set(j, swapped.get(i) ?? i);
  }
  return picks;
}
