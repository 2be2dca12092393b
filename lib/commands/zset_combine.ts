/**
 * Union, intersection and difference of sorted sets: the shared core of
 * ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD (Redis's
 * `zunionInterDiffGenericCommand`).
 *
 * Redis's order of checks is kept because clients see it: numkeys, then the
 * key count, then WRONGTYPE for every input, and only then the options. So
 * is its arithmetic: a weighted score that is NaN (0 × inf) counts as 0, and
 * a SUM of inf and -inf is 0. Intersection walks the smallest input and
 * probes the others from smallest to largest, as Redis does, which also fixes
 * the order floating-point sums are taken in. Plain sets are accepted as
 * inputs, every member with score 1, as Redis accepts them.
 *
 * @module
 */
import { CommandError, SYNTAX, WRONGTYPE } from "../errors.ts";
import type { Keyspace } from "../keyspace.ts";
import { MemberSet } from "../member_set.ts";
import { SortedSet } from "../zset.ts";
import { floatArgument, numberArgument } from "./arguments.ts";

export type CombineOperation = "union" | "inter" | "diff";
export type Aggregate = "sum" | "min" | "max";

/** Which optional words a command takes after its keys. */
export interface CombineShape {
  readonly operation: CombineOperation;
  /** Lower-case command name, for the numkeys error. */
  readonly command: string;
  /** ZUNION, ZINTER and ZDIFF reply with members and accept WITHSCORES; STORE forms do not. */
  readonly withScoresAllowed: boolean;
  /** ZINTERCARD: LIMIT instead of WEIGHTS/AGGREGATE. */
  readonly cardinalityOnly?: boolean;
}

/** What the combining reads of an input: a sorted set, or a plain set seen as one. */
interface ScoredInput {
  readonly size: number;
  entries(): Iterable<[member: string, score: number]>;
  score(member: string): number | undefined;
}

/** A plain set as a sorted-set input: every member scores 1 (Redis's `zuiInitIterator`). */
class UnitScores implements ScoredInput {
  readonly #members: MemberSet;
  constructor(members: MemberSet) {
    this.#members = members;
  }
  get size(): number {
    return this.#members.size;
  }
  *entries(): Iterable<[string, number]> {
    for (const member of this.#members.members()) yield [member, 1];
  }
  score(member: string): number | undefined {
    return this.#members.has(member) ? 1 : undefined;
  }
}

/** One input: its set (undefined when the key is missing) and its weight. */
interface CombineInput {
  readonly zset: ScoredInput | undefined;
  weight: number;
}

/** The input at `key`: a sorted set, a set seen as one, or undefined; WRONGTYPE for the rest. */
function inputAt(keyspace: Keyspace, key: string): ScoredInput | undefined {
  const value = keyspace.get(key);
  if (value === undefined || value instanceof SortedSet) return value;
  if (value instanceof MemberSet) return new UnitScores(value);
  throw new CommandError(WRONGTYPE);
}

export interface CombineRequest {
  readonly operation: CombineOperation;
  readonly inputs: readonly CombineInput[];
  readonly aggregate: Aggregate;
  readonly withScores: boolean;
  /** ZINTERCARD's LIMIT; 0 means none. */
  readonly limit: number;
}

const WEIGHT_ERROR = "ERR weight value is not a float";
const LIMIT_ERROR = "ERR LIMIT can't be negative";

/** Parses `numkeys key [key …] [options]` starting at `argv[numkeysIndex]`, looking the keys up. */
export function parseCombineRequest(
  keyspace: Keyspace,
  argv: readonly string[],
  numkeysIndex: number,
  shape: CombineShape,
): CombineRequest {
  const keyCount = numberArgument(argv[numkeysIndex]!);
  if (keyCount < 1) {
    throw new CommandError(`ERR at least 1 input key is needed for '${shape.command}' command`);
  }
  if (keyCount > argv.length - numkeysIndex - 1) throw new CommandError(SYNTAX);
  const inputs: CombineInput[] = [];
  let index = numkeysIndex + 1;
  for (let i = 0; i < keyCount; i++) {
    inputs.push({ zset: inputAt(keyspace, argv[index++]!), weight: 1 });
  }
  const weighted = shape.operation !== "diff" && !shape.cardinalityOnly;
  let aggregate: Aggregate = "sum";
  let withScores = false;
  let limit = 0;
  while (index < argv.length) {
    const word = argv[index]!.toUpperCase();
    const remaining = argv.length - index;
    if (weighted && word === "WEIGHTS" && remaining > keyCount) {
      index++;
      for (const input of inputs) input.weight = floatArgument(argv[index++]!, WEIGHT_ERROR);
    } else if (weighted && word === "AGGREGATE" && remaining >= 2) {
      const name = argv[index + 1]!.toLowerCase();
      if (name !== "sum" && name !== "min" && name !== "max") throw new CommandError(SYNTAX);
      aggregate = name;
      index += 2;
    } else if (shape.withScoresAllowed && word === "WITHSCORES") {
      withScores = true;
      index++;
    } else if (shape.cardinalityOnly && word === "LIMIT" && remaining >= 2) {
      limit = numberArgument(argv[index + 1]!, LIMIT_ERROR);
      if (limit < 0) throw new CommandError(LIMIT_ERROR);
      index += 2;
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  return { operation: shape.operation, inputs, aggregate, withScores, limit };
}

/**
 * The combined set; the inputs are only read.
 *
 * @example ZUNION 2 a b WEIGHTS 1 10
 * ```ts
 * import { combine, parseCombineRequest } from "./zset_combine.ts";
 * import { Keyspace } from "../keyspace.ts";
 * import { SortedSet } from "../zset.ts";
 * import assert from "node:assert/strict";
 *
 * const keyspace = new Keyspace();
 * const a = new SortedSet();
 * a.add("x", 1);
 * const b = new SortedSet();
 * b.add("x", 2);
 * b.add("y", 3);
 * keyspace.set("a", a);
 * keyspace.set("b", b);
 * const argv = ["ZUNION", "2", "a", "b", "WEIGHTS", "1", "10"];
 * const shape = { operation: "union", command: "zunion", withScoresAllowed: true } as const;
 * const result = combine(parseCombineRequest(keyspace, argv, 1, shape));
 * assert.deepEqual([...result.entries()], [["x", 21], ["y", 30]]);
 * ```
 */
export function combine(request: CombineRequest): SortedSet {
  switch (request.operation) {
    case "union":
      return union(request.inputs, request.aggregate);
    case "inter":
      return intersect(request.inputs, request.aggregate, (zset, member, score) => {
        zset.add(member, score);
        return true;
      });
    case "diff":
      return difference(request.inputs);
  }
}

/** ZINTERCARD: how many members the intersection has, stopping at `limit` when it is positive. */
export function intersectionSize(request: CombineRequest): number {
  let count = 0;
  intersect(request.inputs, "sum", () => ++count !== request.limit);
  return count;
}

function union(inputs: readonly CombineInput[], aggregate: Aggregate): SortedSet {
  const scores = new Map<string, number>();
  for (const { zset, weight } of inputs) {
    if (zset === undefined) continue;
    for (const [member, score] of zset.entries()) {
      const weighted = weightScore(score, weight);
      const previous = scores.get(member);
      scores.set(
        member,
        previous === undefined ? weighted : aggregateScores(previous, weighted, aggregate),
      );
    }
  }
  const result = new SortedSet();
  for (const [member, score] of scores) result.add(member, score);
  return result;
}

/**
 * Walks the smallest input and keeps members found in all others; `emit`
 * receives each (member, score) and returns false to stop early.
 */
function intersect(
  inputs: readonly CombineInput[],
  aggregate: Aggregate,
  emit: (result: SortedSet, member: string, score: number) => boolean,
): SortedSet {
  const result = new SortedSet();
  // Array.prototype.sort is stable, so equal sizes keep the order they were given in.
  const ordered = [...inputs].sort((a, b) => (a.zset?.size ?? 0) - (b.zset?.size ?? 0));
  const smallest = ordered[0]!;
  if (smallest.zset === undefined) return result;
  for (const [member, score] of smallest.zset.entries()) {
    let total = weightScore(score, smallest.weight);
    let inAll = true;
    for (let i = 1; i < ordered.length; i++) {
      const other = ordered[i]!;
      const value = other.zset!.score(member);
      if (value === undefined) {
        inAll = false;
        break;
      }
      // Unlike the first input's, these products are not NaN-checked (as in Redis):
      // the aggregate absorbs a NaN.
      total = aggregateScores(total, value * other.weight, aggregate);
    }
    if (inAll && !emit(result, member, total)) break;
  }
  return result;
}

function difference(inputs: readonly CombineInput[]): SortedSet {
  const result = new SortedSet();
  const [first, ...others] = inputs;
  if (first?.zset === undefined) return result;
  for (const [member, score] of first.zset.entries()) {
    if (!others.some((other) => other.zset?.score(member) !== undefined)) {
      result.add(member, score);
    }
  }
  return result;
}

/** weight × score, with Redis's rule that 0 × ±inf counts as 0. */
function weightScore(score: number, weight: number): number {
  const product = score * weight;
  return product !== product ? 0 : product;
}

/** Redis's `zunionInterAggregate`: SUM turns inf + -inf into 0; MIN/MAX ignore a NaN. */
function aggregateScores(target: number, value: number, aggregate: Aggregate): number {
  switch (aggregate) {
    case "sum": {
      const sum = target + value;
      return sum !== sum ? 0 : sum;
    }
    case "min":
      return value < target ? value : target;
    case "max":
      return value > target ? value : target;
  }
}
