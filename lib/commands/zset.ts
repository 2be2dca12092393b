/**
 * Sorted-set commands: Redis 7's Z* family (with ZRANK/ZREVRANK WITHSCORE
 * from 7.2) and Kache's own ZQUERY, the original server's paginated seek.
 *
 * Every write goes through {@link Keyspace.storeCollection}, `set` or `delete`,
 * so WATCH, dirty counting and the append-only file see it, and a set that
 * ends up empty is removed, as Redis removes it.
 *
 * Reply shapes follow Redis 7: scores are `double` replies (RESP3 `,`, a bulk
 * string on RESP2) except in ZSCAN, which sends them as strings on both;
 * WITHSCORES lists are flat on RESP2 and arrays of [member, score] pairs on
 * RESP3 — the one place a handler looks at the session's protocol, because
 * the reply's shape, not just its encoding, differs.
 *
 * @module
 */
import {
  CommandError,
  COUNT_POSITIVE,
  NOT_POSITIVE,
  NUMKEYS_POSITIVE,
  SYNTAX,
  wrongArity,
} from "../errors.ts";
import { formatDouble } from "../format.ts";
import { notify, notifyRemoval } from "../notify.ts";
import { NotifyClass } from "../pubsub.ts";
import {
  array,
  bulk,
  double,
  EMPTY_ARRAY,
  integer,
  NIL,
  NIL_ARRAY,
  type Reply,
  ZERO,
} from "../reply.ts";
import { SortedSet } from "../zset.ts";
import { floatArgument, isKeyword, numberArgument } from "./arguments.ts";
import { scanCollection } from "./collection_scan.ts";
import { parseRandomCount, randomPicks } from "./random_picks.ts";
import type { CommandContext, CommandSpec } from "./types.ts";
import {
  combine,
  type CombineShape,
  intersectionSize,
  parseCombineRequest,
} from "./zset_combine.ts";
import {
  clampRankRange,
  parseLexRange,
  parseRangeQuery,
  parseScoreRange,
  type RangeCommandShape,
  selectRange,
} from "./zset_ranges.ts";

const NAN_RESULT = "ERR resulting score is not a number (NaN)";
const XX_AND_NX = "ERR XX and NX options at the same time are not compatible";
const GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible";
const INCR_PAIRS = "ERR INCR option supports a single increment-element pair";

export type Pair = [member: string, score: number];

/** ZADD's and ZINCRBY's flags after parsing. */
interface AddOptions {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  ch: boolean;
  incr: boolean;
}

/** How a list of pairs is sent: members only, flat member/score, or [member, score] arrays. */
export type PairsShape = "members" | "flat" | "nested";

/** WITHSCORES lists: flat on RESP2, nested pairs on RESP3 (Redis 7). */
function withScoresShape(context: CommandContext, withScores: boolean): PairsShape {
  if (!withScores) return "members";
  return context.session.protocol === 3 ? "nested" : "flat";
}

export function pairsReply(pairs: readonly Pair[], shape: PairsShape): Reply {
  switch (shape) {
    case "members":
      return array(pairs.map(([member]) => bulk(member)));
    case "nested":
      return array(pairs.map(([member, score]) => array([bulk(member), double(score)])));
    case "flat": {
      const items: Reply[] = [];
      for (const [member, score] of pairs) items.push(bulk(member), double(score));
      return array(items);
    }
  }
}

/**
 * Stores a computed set at `key` (notifying `event`), or deletes the key when
 * the set is empty (notifying `del`); replies its size.
 */
function storeResult(context: CommandContext, key: string, zset: SortedSet, event: string): Reply {
  const keyspace = context.keyspace;
  if (zset.size === 0) {
    if (keyspace.delete(key)) notify(context, NotifyClass.generic, "del", key);
    return ZERO;
  }
  keyspace.set(key, zset);
  notify(context, NotifyClass.zset, event, key);
  return integer(zset.size);
}

/** ZADD and ZINCRBY (Redis's `zaddGenericCommand`): options, then scores, then the key. */
export function addMembers(context: CommandContext, argv: readonly string[], incr: boolean): Reply {
  const options: AddOptions = { nx: false, xx: false, gt: false, lt: false, ch: false, incr };
  let index = 2;
  options: for (; index < argv.length; index++) {
    const word = argv[index]!;
    // Options are at most four letters; longer words are scores, not worth upper-casing.
    if (word.length > 4) break;
    switch (word.toUpperCase()) {
      case "NX":
        options.nx = true;
        break;
      case "XX":
        options.xx = true;
        break;
      case "GT":
        options.gt = true;
        break;
      case "LT":
        options.lt = true;
        break;
      case "CH":
        options.ch = true;
        break;
      case "INCR":
        options.incr = true;
        break;
      default:
        break options;
    }
  }
  const pairCount = (argv.length - index) / 2;
  if (pairCount === 0 || !Number.isInteger(pairCount)) throw new CommandError(SYNTAX);
  if (options.nx && options.xx) throw new CommandError(XX_AND_NX);
  if ((options.nx && (options.gt || options.lt)) || (options.gt && options.lt)) {
    throw new CommandError(GT_LT_NX);
  }
  if (options.incr && pairCount > 1) throw new CommandError(INCR_PAIRS);
  // Every score is checked before anything changes: the command applies fully or not at all.
  const scores = new Float64Array(pairCount);
  for (let i = 0; i < pairCount; i++) scores[i] = floatArgument(argv[index + 2 * i]!);

  const key = argv[1]!;
  const keyspace = context.keyspace;
  const existing = keyspace.getCollection(key, SortedSet);
  if (existing === undefined && options.xx) return options.incr ? NIL : ZERO;
  const zset = existing ?? new SortedSet();
  let added = 0;
  let updated = 0;
  let result: number | undefined;
  for (let i = 0; i < pairCount; i++) {
    const member = argv[index + 2 * i + 1]!;
    let score = scores[i]!;
    const current = zset.score(member);
    if (current === undefined) {
      if (options.xx) continue;
      zset.add(member, score);
      added++;
      result = score;
      continue;
    }
    if (options.nx) continue;
    if (options.incr) {
      score += current;
      // Only INCR can meet NaN (inf + -inf), and it has a single pair, so nothing changed yet.
      if (score !== score) throw new CommandError(NAN_RESULT);
    }
    if ((options.lt && score >= current) || (options.gt && score <= current)) continue;
    result = score;
    if (score !== current) {
      zset.add(member, score);
      updated++;
    }
  }
  if (added + updated > 0) keyspace.storeCollection(key, zset);
  if (added + updated > 0) notify(context, NotifyClass.zset, options.incr ? "zincr" : "zadd", key);
  if (options.incr) return result === undefined ? NIL : double(result);
  return integer(options.ch ? added + updated : added);
}

/** ZRANK and ZREVRANK, with Redis 7.2's WITHSCORE. */
function rankCommand(context: CommandContext, argv: readonly string[], reverse: boolean): Reply {
  if (argv.length > 4) throw new CommandError(wrongArity(argv[0]!));
  const withScore = argv.length === 4;
  if (withScore && !isKeyword(argv[3], "WITHSCORE")) throw new CommandError(SYNTAX);
  const zset = context.keyspace.getCollection(argv[1]!, SortedSet);
  if (zset === undefined) return NIL;
  const member = argv[2]!;
  const rank = zset.rank(member);
  if (rank === undefined) return withScore ? NIL_ARRAY : NIL;
  const position = integer(reverse ? zset.size - 1 - rank : rank);
  return withScore ? array([position, double(zset.score(member)!)]) : position;
}

/** The ZRANGE family: parse, select by rank arithmetic, reply. */
function rangeCommand(
  context: CommandContext,
  argv: readonly string[],
  shape: RangeCommandShape,
): Reply {
  const query = parseRangeQuery(argv, 1, shape);
  const zset = context.keyspace.getCollection(argv[1]!, SortedSet);
  if (zset === undefined) return EMPTY_ARRAY;
  return pairsReply(selectRange(zset, query), withScoresShape(context, query.withScores));
}

/** ZPOPMIN and ZPOPMAX. Redis 7.0 answers a fourth word with a syntax error. */
function popCommand(context: CommandContext, argv: readonly string[], max: boolean): Reply {
  if (argv.length > 3) throw new CommandError(SYNTAX);
  const counted = argv.length === 3;
  const count = counted ? numberArgument(argv[2]!, NOT_POSITIVE) : 1;
  if (count < 0) throw new CommandError(NOT_POSITIVE);
  const key = argv[1]!;
  const zset = context.keyspace.getCollection(key, SortedSet);
  if (zset === undefined || count === 0) return EMPTY_ARRAY;
  const pairs = max ? zset.popMax(count) : zset.popMin(count);
  context.keyspace.storeCollection(key, zset);
  notifyRemoval(context, NotifyClass.zset, max ? "zpopmax" : "zpopmin", key);
  // RESP3 nests the pairs only when a count was given; a lone pop stays flat.
  return pairsReply(pairs, counted ? withScoresShape(context, true) : "flat");
}

/** ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX, once the ranks are known. */
function removeRanks(
  context: CommandContext,
  key: string,
  ranks: (zset: SortedSet) => [number, number] | undefined,
  event: string,
): Reply {
  const zset = context.keyspace.getCollection(key, SortedSet);
  if (zset === undefined) return ZERO;
  const range = ranks(zset);
  if (range === undefined) return ZERO;
  const pairs = zset.range(range[0], range[1]);
  for (const [member] of pairs) zset.remove(member);
  context.keyspace.storeCollection(key, zset);
  notifyRemoval(context, NotifyClass.zset, event, key);
  return integer(pairs.length);
}

/** First and last rank as [first, last], or undefined when the first is -1 (nothing in range). */
function rankPair(first: number, last: number): [number, number] | undefined {
  return first < 0 ? undefined : [first, last];
}

/** ZRANDMEMBER key count [WITHSCORES] (Redis's `zrandmemberWithCountCommand`). */
function randomMembers(context: CommandContext, argv: readonly string[]): Reply {
  const { count, withValues } = parseRandomCount(argv, "WITHSCORES");
  const zset = context.keyspace.getCollection(argv[1]!, SortedSet);
  if (zset === undefined || count === 0) return EMPTY_ARRAY;
  const shape = withScoresShape(context, withValues);
  const pairs = randomPicks(count, {
    size: zset.size,
    // Each draw is one O(log n) select by rank.
    at: (rank) => zset.at(rank)!,
    // The whole set, highest first, the order Redis 7 sends it in.
    all: () => zset.rangeReverse(0, zset.size - 1),
    random: () => context.server.random(),
  });
  return pairsReply(pairs, shape);
}

/** ZSCAN key cursor [MATCH pattern] [COUNT count]: [next cursor, [member, score, …]]. */
function scanMembers({ keyspace }: CommandContext, argv: readonly string[]): Reply {
  // Scores are strings here on both protocols, as in Redis 7.
  return scanCollection(keyspace, argv, {
    type: SortedSet,
    replies: {
      // A small set comes whole, lowest score first, as from Redis's listpack.
      wholePage(zset, matches) {
        const items: Reply[] = [];
        for (const [member, score] of zset.entries()) {
          if (matches(member)) items.push(bulk(member), bulk(formatDouble(score)));
        }
        return items;
      },
      pushKey: (zset, member, items) =>
        items.push(bulk(member), bulk(formatDouble(zset.score(member)!))),
    },
  });
}

/** ZMPOP numkeys key [key …] MIN|MAX [COUNT count]: pops from the first non-empty key. */
function multiPop(context: CommandContext, argv: readonly string[]): Reply {
  const keyCount = numberArgument(argv[1]!, NUMKEYS_POSITIVE);
  if (keyCount < 1) throw new CommandError(NUMKEYS_POSITIVE);
  const whereIndex = 2 + keyCount;
  if (whereIndex >= argv.length) throw new CommandError(SYNTAX);
  const where = argv[whereIndex]!.toUpperCase();
  if (where !== "MIN" && where !== "MAX") throw new CommandError(SYNTAX);
  let count: number | undefined;
  for (let index = whereIndex + 1; index < argv.length; index++) {
    if (count !== undefined || !isKeyword(argv[index], "COUNT") || index + 1 >= argv.length) {
      throw new CommandError(SYNTAX);
    }
    count = numberArgument(argv[++index]!, COUNT_POSITIVE);
    if (count < 1) throw new CommandError(COUNT_POSITIVE);
  }
  for (let index = 2; index < whereIndex; index++) {
    const key = argv[index]!;
    const zset = context.keyspace.getCollection(key, SortedSet);
    if (zset === undefined) continue;
    const pairs = where === "MIN" ? zset.popMin(count ?? 1) : zset.popMax(count ?? 1);
    context.keyspace.storeCollection(key, zset);
    notifyRemoval(context, NotifyClass.zset, where === "MIN" ? "zpopmin" : "zpopmax", key);
    // Pairs are nested on both protocols here, as in Redis.
    return array([bulk(key), pairsReply(pairs, "nested")]);
  }
  return NIL_ARRAY;
}

/** ZUNION, ZINTER, ZDIFF (reply) and their STORE forms (store at argv[1]). */
function combineCommand(
  context: CommandContext,
  argv: readonly string[],
  shape: CombineShape,
): Reply {
  // Exactly the STORE forms refuse WITHSCORES, and they take the destination first.
  const store = !shape.withScoresAllowed;
  const request = parseCombineRequest(context.keyspace, argv, store ? 2 : 1, shape);
  const result = combine(request);
  if (store) return storeResult(context, argv[1]!, result, shape.command);
  return pairsReply(
    result.size === 0 ? [] : result.range(0, result.size - 1),
    withScoresShape(context, request.withScores),
  );
}

const KEY = { first: 1, last: 1, step: 1 } as const;
const RANGE_LIMIT = {
  name: "offset_count",
  type: "block",
  token: "LIMIT",
  optional: true,
  arguments: [{ name: "offset", type: "integer" }, { name: "count", type: "integer" }],
} as const;
const WITHSCORES = {
  name: "withscores",
  type: "pure-token",
  token: "WITHSCORES",
  optional: true,
} as const;
const SORT_BY = {
  name: "sortby",
  type: "oneof",
  optional: true,
  arguments: [
    { name: "byscore", type: "pure-token", token: "BYSCORE" },
    { name: "bylex", type: "pure-token", token: "BYLEX" },
  ],
} as const;
const REV = { name: "rev", type: "pure-token", token: "REV", optional: true } as const;
const WEIGHTS = {
  name: "weight",
  type: "integer",
  token: "WEIGHTS",
  optional: true,
  multiple: true,
} as const;
const AGGREGATE = {
  name: "aggregate",
  type: "oneof",
  token: "AGGREGATE",
  optional: true,
  arguments: [
    { name: "sum", type: "pure-token", token: "SUM" },
    { name: "min", type: "pure-token", token: "MIN" },
    { name: "max", type: "pure-token", token: "MAX" },
  ],
} as const;
const KEY_ARGUMENT = { name: "key", type: "key" } as const;
const KEYS_ARGUMENT = { name: "key", type: "key", multiple: true } as const;
const NUMKEYS = { name: "numkeys", type: "integer" } as const;
const DESTINATION = { name: "destination", type: "key" } as const;
const MEMBER = { name: "member", type: "string" } as const;
const MEMBERS = { name: "member", type: "string", multiple: true } as const;
const COUNT_OPTION = { name: "count", type: "integer", optional: true } as const;
const WITHSCORE = {
  name: "withscore",
  type: "pure-token",
  token: "WITHSCORE",
  optional: true,
} as const;
const RANGE_COMPLEXITY =
  "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.";
const LIMITED_RANGE_COMPLEXITY =
  "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).";
const POP_COMPLEXITY =
  "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.";
const REMOVE_RANGE_COMPLEXITY =
  "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.";
const INTER_COMPLEXITY =
  "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.";
const DIFF_COMPLEXITY =
  "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.";

export const SORTED_SET_COMMANDS: readonly CommandSpec[] = [
  {
    name: "zadd",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    keys: KEY,
    group: "sorted-set",
    summary: "Add one or more members to a sorted set, or update its score if it already exists",
    since: "1.2.0",
    complexity:
      "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
    arguments: [
      KEY_ARGUMENT,
      {
        name: "condition",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "nx", type: "pure-token", token: "NX" },
          { name: "xx", type: "pure-token", token: "XX" },
        ],
      },
      {
        name: "comparison",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "gt", type: "pure-token", token: "GT" },
          { name: "lt", type: "pure-token", token: "LT" },
        ],
      },
      { name: "change", type: "pure-token", token: "CH", optional: true },
      { name: "increment", type: "pure-token", token: "INCR", optional: true },
      {
        name: "score_member",
        type: "block",
        multiple: true,
        arguments: [{ name: "score", type: "double" }, MEMBER],
      },
    ],
    handler(context, argv) {
      return addMembers(context, argv, false);
    },
  },
  {
    name: "zincrby",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    keys: KEY,
    group: "sorted-set",
    summary: "Increment the score of a member in a sorted set",
    since: "1.2.0",
    complexity: "O(log(N)) where N is the number of elements in the sorted set.",
    arguments: [KEY_ARGUMENT, { name: "increment", type: "integer" }, MEMBER],
    handler(context, argv) {
      // Redis runs ZINCRBY through ZADD's parser, so `ZINCRBY k nx m` is a syntax error there too.
      return addMembers(context, argv, true);
    },
  },
  {
    name: "zrem",
    arity: -3,
    flags: ["write", "fast"],
    keys: KEY,
    group: "sorted-set",
    summary: "Remove one or more members from a sorted set",
    since: "1.2.0",
    complexity:
      "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
    arguments: [KEY_ARGUMENT, MEMBERS],
    handler(context, argv) {
      const keyspace = context.keyspace;
      const key = argv[1]!;
      const zset = keyspace.getCollection(key, SortedSet);
      if (zset === undefined) return ZERO;
      let removed = 0;
      for (let i = 2; i < argv.length; i++) if (zset.remove(argv[i]!)) removed++;
      if (removed > 0) keyspace.storeCollection(key, zset);
      if (removed > 0) notifyRemoval(context, NotifyClass.zset, "zrem", key);
      return integer(removed);
    },
  },
  {
    name: "zscore",
    arity: 3,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "sorted-set",
    summary: "Get the score associated with the given member in a sorted set",
    since: "1.2.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, MEMBER],
    handler({ keyspace }, argv) {
      const score = keyspace.getCollection(argv[1]!, SortedSet)?.score(argv[2]!);
      return score === undefined ? NIL : double(score);
    },
  },
  {
    name: "zmscore",
    arity: -3,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "sorted-set",
    summary: "Get the score associated with the given members in a sorted set",
    since: "6.2.0",
    complexity: "O(N) where N is the number of members being requested.",
    arguments: [KEY_ARGUMENT, MEMBERS],
    handler({ keyspace }, argv) {
      const zset = keyspace.getCollection(argv[1]!, SortedSet);
      const items: Reply[] = [];
      for (let i = 2; i < argv.length; i++) {
        const score = zset?.score(argv[i]!);
        items.push(score === undefined ? NIL : double(score));
      }
      return array(items);
    },
  },
  {
    name: "zcard",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "sorted-set",
    summary: "Get the number of members in a sorted set",
    since: "1.2.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    handler({ keyspace }, argv) {
      return integer(keyspace.getCollection(argv[1]!, SortedSet)?.size ?? 0);
    },
  },
  {
    name: "zcount",
    arity: 4,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "sorted-set",
    summary: "Count the members in a sorted set with scores within the given values",
    since: "2.0.0",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    arguments: [KEY_ARGUMENT, { name: "min", type: "double" }, { name: "max", type: "double" }],
    handler({ keyspace }, argv) {
      const [min, max] = parseScoreRange(argv[2]!, argv[3]!);
      return integer(keyspace.getCollection(argv[1]!, SortedSet)?.countInScoreRange(min, max) ?? 0);
    },
  },
  {
    name: "zlexcount",
    arity: 4,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "sorted-set",
    summary: "Count the number of members in a sorted set between a given lexicographical range",
    since: "2.8.9",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    arguments: [KEY_ARGUMENT, { name: "min", type: "string" }, { name: "max", type: "string" }],
    handler({ keyspace }, argv) {
      const [min, max] = parseLexRange(argv[2]!, argv[3]!);
      return integer(keyspace.getCollection(argv[1]!, SortedSet)?.countInLexRange(min, max) ?? 0);
    },
  },
  {
    name: "zrank",
    arity: -3,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "sorted-set",
    summary: "Determine the index of a member in a sorted set",
    since: "2.0.0",
    complexity: "O(log(N))",
    arguments: [KEY_ARGUMENT, MEMBER, WITHSCORE],
    handler(context, argv) {
      return rankCommand(context, argv, false);
    },
  },
  {
    name: "zrevrank",
    arity: -3,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "sorted-set",
    summary:
      "Determine the index of a member in a sorted set, with scores ordered from high to low",
    since: "2.0.0",
    complexity: "O(log(N))",
    arguments: [KEY_ARGUMENT, MEMBER, WITHSCORE],
    handler(context, argv) {
      return rankCommand(context, argv, true);
    },
  },
  {
    name: "zrange",
    arity: -4,
    flags: ["readonly"],
    keys: KEY,
    group: "sorted-set",
    summary: "Return a range of members in a sorted set",
    since: "1.2.0",
    complexity: RANGE_COMPLEXITY,
    arguments: [
      KEY_ARGUMENT,
      { name: "start", type: "string" },
      { name: "stop", type: "string" },
      SORT_BY,
      REV,
      RANGE_LIMIT,
      WITHSCORES,
    ],
    handler(context, argv) {
      return rangeCommand(context, argv, {});
    },
  },
  {
    name: "zrangestore",
    arity: -5,
    flags: ["write", "denyoom"],
    keys: { first: 1, last: 2, step: 1 },
    group: "sorted-set",
    summary: "Store a range of members from sorted set into another key",
    since: "6.2.0",
    complexity:
      "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
    arguments: [
      { name: "dst", type: "key" },
      { name: "src", type: "key" },
      { name: "min", type: "string" },
      { name: "max", type: "string" },
      SORT_BY,
      REV,
      RANGE_LIMIT,
    ],
    handler(context, argv) {
      const query = parseRangeQuery(argv, 2, { store: true });
      const source = context.keyspace.getCollection(argv[2]!, SortedSet);
      const result = new SortedSet();
      if (source !== undefined) {
        for (const [member, score] of selectRange(source, query)) result.add(member, score);
      }
      return storeResult(context, argv[1]!, result, "zrangestore");
    },
  },
  {
    name: "zrangebyscore",
    arity: -4,
    flags: ["readonly"],
    keys: KEY,
    group: "sorted-set",
    summary: "Return a range of members in a sorted set, by score",
    since: "1.0.5",
    complexity: LIMITED_RANGE_COMPLEXITY,
    arguments: [
      KEY_ARGUMENT,
      { name: "min", type: "double" },
      { name: "max", type: "double" },
      WITHSCORES,
      RANGE_LIMIT,
    ],
    handler(context, argv) {
      return rangeCommand(context, argv, { by: "score", reverse: false });
    },
  },
  {
    name: "zrevrangebyscore",
    arity: -4,
    flags: ["readonly"],
    keys: KEY,
    group: "sorted-set",
    summary:
      "Return a range of members in a sorted set, by score, with scores ordered from high to low",
    since: "2.2.0",
    complexity: LIMITED_RANGE_COMPLEXITY,
    arguments: [
      KEY_ARGUMENT,
      { name: "max", type: "double" },
      { name: "min", type: "double" },
      WITHSCORES,
      RANGE_LIMIT,
    ],
    handler(context, argv) {
      return rangeCommand(context, argv, { by: "score", reverse: true });
    },
  },
  {
    name: "zrangebylex",
    arity: -4,
    flags: ["readonly"],
    keys: KEY,
    group: "sorted-set",
    summary: "Return a range of members in a sorted set, by lexicographical range",
    since: "2.8.9",
    complexity: LIMITED_RANGE_COMPLEXITY,
    arguments: [
      KEY_ARGUMENT,
      { name: "min", type: "string" },
      { name: "max", type: "string" },
      RANGE_LIMIT,
    ],
    handler(context, argv) {
      return rangeCommand(context, argv, { by: "lex", reverse: false });
    },
  },
  {
    name: "zrevrangebylex",
    arity: -4,
    flags: ["readonly"],
    keys: KEY,
    group: "sorted-set",
    summary:
      "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
    since: "2.8.9",
    complexity: LIMITED_RANGE_COMPLEXITY,
    arguments: [
      KEY_ARGUMENT,
      { name: "max", type: "string" },
      { name: "min", type: "string" },
      RANGE_LIMIT,
    ],
    handler(context, argv) {
      return rangeCommand(context, argv, { by: "lex", reverse: true });
    },
  },
  {
    name: "zrevrange",
    arity: -4,
    flags: ["readonly"],
    keys: KEY,
    group: "sorted-set",
    summary:
      "Return a range of members in a sorted set, by index, with scores ordered from high to low",
    since: "1.2.0",
    complexity: RANGE_COMPLEXITY,
    arguments: [
      KEY_ARGUMENT,
      { name: "start", type: "integer" },
      { name: "stop", type: "integer" },
      WITHSCORES,
    ],
    handler(context, argv) {
      return rangeCommand(context, argv, { by: "rank", reverse: true });
    },
  },
  {
    name: "zpopmin",
    arity: -2,
    flags: ["write", "fast"],
    keys: KEY,
    group: "sorted-set",
    summary: "Remove and return members with the lowest scores in a sorted set",
    since: "5.0.0",
    complexity: POP_COMPLEXITY,
    arguments: [KEY_ARGUMENT, COUNT_OPTION],
    handler(context, argv) {
      return popCommand(context, argv, false);
    },
  },
  {
    name: "zpopmax",
    arity: -2,
    flags: ["write", "fast"],
    keys: KEY,
    group: "sorted-set",
    summary: "Remove and return members with the highest scores in a sorted set",
    since: "5.0.0",
    complexity: POP_COMPLEXITY,
    arguments: [KEY_ARGUMENT, COUNT_OPTION],
    handler(context, argv) {
      return popCommand(context, argv, true);
    },
  },
  {
    name: "zmpop",
    arity: -4,
    flags: ["write"],
    group: "sorted-set",
    summary: "Remove and return members with scores in a sorted set",
    since: "7.0.0",
    complexity:
      "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
    arguments: [
      NUMKEYS,
      KEYS_ARGUMENT,
      {
        name: "where",
        type: "oneof",
        arguments: [
          { name: "min", type: "pure-token", token: "MIN" },
          { name: "max", type: "pure-token", token: "MAX" },
        ],
      },
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: multiPop,
  },
  {
    name: "zremrangebyrank",
    arity: 4,
    flags: ["write"],
    keys: KEY,
    group: "sorted-set",
    summary: "Remove all members in a sorted set within the given indexes",
    since: "2.0.0",
    complexity: REMOVE_RANGE_COMPLEXITY,
    arguments: [
      KEY_ARGUMENT,
      { name: "start", type: "integer" },
      { name: "stop", type: "integer" },
    ],
    handler(context, argv) {
      const start = numberArgument(argv[2]!);
      const stop = numberArgument(argv[3]!);
      return removeRanks(
        context,
        argv[1]!,
        (zset) => clampRankRange(start, stop, zset.size),
        "zremrangebyrank",
      );
    },
  },
  {
    name: "zremrangebyscore",
    arity: 4,
    flags: ["write"],
    keys: KEY,
    group: "sorted-set",
    summary: "Remove all members in a sorted set within the given scores",
    since: "1.2.0",
    complexity: REMOVE_RANGE_COMPLEXITY,
    arguments: [KEY_ARGUMENT, { name: "min", type: "double" }, { name: "max", type: "double" }],
    handler(context, argv) {
      const [min, max] = parseScoreRange(argv[2]!, argv[3]!);
      return removeRanks(
        context,
        argv[1]!,
        (zset) =>
          rankPair(zset.firstRankInScoreRange(min, max), zset.lastRankInScoreRange(min, max)),
        "zremrangebyscore",
      );
    },
  },
  {
    name: "zremrangebylex",
    arity: 4,
    flags: ["write"],
    keys: KEY,
    group: "sorted-set",
    summary: "Remove all members in a sorted set between the given lexicographical range",
    since: "2.8.9",
    complexity: REMOVE_RANGE_COMPLEXITY,
    arguments: [KEY_ARGUMENT, { name: "min", type: "string" }, { name: "max", type: "string" }],
    handler(context, argv) {
      const [min, max] = parseLexRange(argv[2]!, argv[3]!);
      return removeRanks(
        context,
        argv[1]!,
        (zset) => rankPair(zset.firstRankInLexRange(min, max), zset.lastRankInLexRange(min, max)),
        "zremrangebylex",
      );
    },
  },
  {
    name: "zrandmember",
    arity: -2,
    flags: ["readonly"],
    keys: KEY,
    group: "sorted-set",
    summary: "Get one or multiple random elements from a sorted set",
    since: "6.2.0",
    complexity: "O(N) where N is the number of elements returned",
    arguments: [
      KEY_ARGUMENT,
      {
        name: "options",
        type: "block",
        optional: true,
        arguments: [{ name: "count", type: "integer" }, WITHSCORES],
      },
    ],
    handler(context, argv) {
      if (argv.length >= 3) return randomMembers(context, argv);
      const zset = context.keyspace.getCollection(argv[1]!, SortedSet);
      if (zset === undefined) return NIL;
      return bulk(zset.at(Math.floor(context.server.random() * zset.size))![0]);
    },
  },
  {
    name: "zscan",
    arity: -3,
    flags: ["readonly"],
    keys: KEY,
    group: "sorted-set",
    summary: "Incrementally iterate sorted sets elements and associated scores",
    since: "2.8.0",
    complexity:
      "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
    arguments: [
      KEY_ARGUMENT,
      { name: "cursor", type: "integer" },
      { name: "pattern", type: "pattern", token: "MATCH", optional: true },
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: scanMembers,
  },
  {
    name: "zunionstore",
    arity: -4,
    flags: ["write", "denyoom"],
    keys: KEY,
    group: "sorted-set",
    summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
    since: "2.0.0",
    complexity:
      "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
    arguments: [DESTINATION, NUMKEYS, KEYS_ARGUMENT, WEIGHTS, AGGREGATE],
    handler(context, argv) {
      return combineCommand(context, argv, {
        operation: "union",
        command: "zunionstore",
        withScoresAllowed: false,
      });
    },
  },
  {
    name: "zinterstore",
    arity: -4,
    flags: ["write", "denyoom"],
    keys: KEY,
    group: "sorted-set",
    summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
    since: "2.0.0",
    complexity: INTER_COMPLEXITY,
    arguments: [DESTINATION, NUMKEYS, KEYS_ARGUMENT, WEIGHTS, AGGREGATE],
    handler(context, argv) {
      return combineCommand(context, argv, {
        operation: "inter",
        command: "zinterstore",
        withScoresAllowed: false,
      });
    },
  },
  {
    name: "zdiffstore",
    arity: -4,
    flags: ["write", "denyoom"],
    keys: KEY,
    group: "sorted-set",
    summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
    since: "6.2.0",
    complexity: DIFF_COMPLEXITY,
    arguments: [DESTINATION, NUMKEYS, KEYS_ARGUMENT],
    handler(context, argv) {
      return combineCommand(context, argv, {
        operation: "diff",
        command: "zdiffstore",
        withScoresAllowed: false,
      });
    },
  },
  {
    name: "zunion",
    arity: -3,
    flags: ["readonly"],
    group: "sorted-set",
    summary: "Add multiple sorted sets",
    since: "6.2.0",
    complexity:
      "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
    arguments: [NUMKEYS, KEYS_ARGUMENT, WEIGHTS, AGGREGATE, WITHSCORES],
    handler(context, argv) {
      return combineCommand(context, argv, {
        operation: "union",
        command: "zunion",
        withScoresAllowed: true,
      });
    },
  },
  {
    name: "zinter",
    arity: -3,
    flags: ["readonly"],
    group: "sorted-set",
    summary: "Intersect multiple sorted sets",
    since: "6.2.0",
    complexity: INTER_COMPLEXITY,
    arguments: [NUMKEYS, KEYS_ARGUMENT, WEIGHTS, AGGREGATE, WITHSCORES],
    handler(context, argv) {
      return combineCommand(context, argv, {
        operation: "inter",
        command: "zinter",
        withScoresAllowed: true,
      });
    },
  },
  {
    name: "zdiff",
    arity: -3,
    flags: ["readonly"],
    group: "sorted-set",
    summary: "Subtract multiple sorted sets",
    since: "6.2.0",
    complexity: DIFF_COMPLEXITY,
    arguments: [NUMKEYS, KEYS_ARGUMENT, WITHSCORES],
    handler(context, argv) {
      return combineCommand(context, argv, {
        operation: "diff",
        command: "zdiff",
        withScoresAllowed: true,
      });
    },
  },
  {
    name: "zintercard",
    arity: -3,
    flags: ["readonly"],
    group: "sorted-set",
    summary: "Intersect multiple sorted sets and return the cardinality of the result",
    since: "7.0.0",
    complexity:
      "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
    arguments: [
      NUMKEYS,
      KEYS_ARGUMENT,
      { name: "limit", type: "integer", token: "LIMIT", optional: true },
    ],
    handler({ keyspace }, argv) {
      const request = parseCombineRequest(keyspace, argv, 1, {
        operation: "inter",
        command: "zintercard",
        withScoresAllowed: false,
        cardinalityOnly: true,
      });
      return integer(intersectionSize(request));
    },
  },
  {
    name: "zquery",
    arity: 6,
    flags: ["readonly"],
    keys: KEY,
    group: "sorted-set",
    summary:
      "Kache: from the first member at or after (score, member), moved by offset ranks, return members and scores until the reply holds at least limit items",
    since: "1.0.0",
    complexity: "O(log(N)+M) with M the number of members returned.",
    arguments: [
      KEY_ARGUMENT,
      { name: "score", type: "double" },
      MEMBER,
      { name: "offset", type: "integer" },
      { name: "limit", type: "integer" },
    ],
    handler({ keyspace }, argv) {
      const score = floatArgument(argv[2]!);
      const offset = numberArgument(argv[4]!);
      const limit = numberArgument(argv[5]!);
      const zset = keyspace.getCollection(argv[1]!, SortedSet);
      if (zset === undefined) return EMPTY_ARRAY;
      return pairsReply(zset.query(score, argv[3]!, offset, limit), "flat");
    },
  },
];
