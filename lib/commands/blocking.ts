/**
 * The blocking pops: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
 * BZPOPMAX and BZMPOP, with Redis 7.0's semantics (`t_list.c`, `t_zset.c`,
 * `blocked.c`).
 *
 * A command that finds data behaves as its non-blocking form and is logged
 * to the AOF as that form (LPOP, LMOVE, ZPOPMIN …), as Redis rewrites it.
 * One that finds none registers a {@link Waiter} with the table's
 * {@link BlockingRegistry} and the server parks the connection; the waiter's
 * `serve` does the pop when a key it waits on gets a value, logs that pop to
 * the AOF in the same non-blocking form, and hands back the reply. Where a
 * client may not block (inside MULTI/EXEC or a script) the command answers
 * at once as on a timeout: a null array, or a null for BLMOVE/BRPOPLPUSH.
 *
 * @module
 */
import { CommandError, COUNT_POSITIVE, NUMKEYS_POSITIVE, SYNTAX, WRONGTYPE } from "../errors.ts";
import type { Keyspace } from "../keyspace.ts";
import { List } from "../list.ts";
import { notifyRemoval } from "../notify.ts";
import { NotifyClass } from "../pubsub.ts";
import { parseFloat64 } from "../numbers.ts";
import { array, bulk, double, error, NIL, NIL_ARRAY, type Reply } from "../reply.ts";
import { SortedSet } from "../zset.ts";
import { isKeyword } from "./arguments.ts";
import {
  atLeastOne,
  type End,
  listAt,
  moveElement,
  multiPopFrom,
  parseEnd,
  parseMultiPop,
  popElements,
  storeAfterPop,
  WHERE_ARGUMENT,
} from "./list.ts";
import type { ArgumentDoc, CommandContext, CommandSpec } from "./types.ts";
import { pairsReply } from "./zset.ts";

const TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range";
const TIMEOUT_NEGATIVE = "ERR timeout is negative";
/** 2^63: Redis converts the milliseconds to a `long long`; x86 turns anything beyond into LLONG_MIN. */
const LONG_LONG_LIMIT = 2 ** 63;

/**
 * A timeout in seconds (a double) as Redis's `getTimeoutFromObjectOrReply`
 * reads it: rounded up to whole milliseconds; 0 waits forever. Returns the
 * milliseconds to wait (0 = forever).
 */
export function parseTimeout(text: string): number {
  const seconds = parseFloat64(text) ?? beyondDouble(text);
  if (seconds === undefined) throw new CommandError(TIMEOUT_NOT_FLOAT);
  const milliseconds = Math.ceil(seconds * 1000);
  // Infinite or past 2^63 ms, Redis's cast yields a negative number on x86.
  if (!(Math.abs(milliseconds) < LONG_LONG_LIMIT) || milliseconds < 0) {
    throw new CommandError(TIMEOUT_NEGATIVE);
  }
  return milliseconds === 0 ? 0 : milliseconds;
}

/** Decimal numbers a double cannot hold but Redis's `long double` can (|exponent| ≤ 4931). */
const LONG_DOUBLE_ONLY = /^[+-]?(?:\d+\.?\d*|\.\d+)[eE]([+-]?\d+)$/;

/**
 * A decimal timeout beyond a double's range that Redis reads as a `long
 * double`: too large counts as ±Infinity (its cast then makes it negative),
 * too small as the smallest magnitude of its sign (rounded up: 1 ms, or -0
 * which waits forever). Undefined when even a `long double` cannot hold it.
 */
function beyondDouble(text: string): number | undefined {
  const exponent = LONG_DOUBLE_ONLY.exec(text)?.[1];
  if (exponent === undefined || Math.abs(Number(exponent)) > 4931) return undefined;
  const value = Number(text);
  const negative = text.startsWith("-");
  if (!Number.isFinite(value)) return negative ? -Infinity : Infinity;
  return value === 0 ? (negative ? -Number.MIN_VALUE : Number.MIN_VALUE) : undefined;
}

/** The keys without repeats, in order (Redis's `blockForKeys` skips a key already listed). */
function distinct(keys: readonly string[]): string[] {
  return [...new Set(keys)];
}

/**
 * Parks the client on `keys` with `serve` as its way to take data, or, where
 * it may not block, returns `instead` at once. Returns the placeholder reply
 * the wire never sends (the session's `blocked` state tells it to wait).
 */
function block(
  context: CommandContext,
  keys: readonly string[],
  timeout: number,
  serve: (key: string, keyspace: Keyspace) => Reply | undefined,
  instead: Reply,
): Reply {
  if (!context.commands.mayBlock(context)) return instead;
  const keyspace = context.keyspace;
  context.commands.blocking.block({
    session: context.session,
    keyspace,
    keys: distinct(keys),
    deadline: timeout === 0 ? 0 : keyspace.now + timeout,
    serve,
  });
  return instead;
}

/** Pops one element from `list` for BLPOP/BRPOP: replies [key, element]. */
function popOne(
  context: CommandContext,
  keyspace: Keyspace,
  key: string,
  list: List,
  end: End,
): Reply {
  const [value] = popElements(list, end, 1);
  storeAfterPop(context, keyspace, key, list, end);
  return array([bulk(key), bulk(value!)]);
}

/** BLPOP and BRPOP: key [key …] timeout. */
function blockingPop(context: CommandContext, argv: readonly string[], end: End): Reply {
  const timeout = parseTimeout(argv[argv.length - 1]!);
  const keys = argv.slice(1, -1);
  const { keyspace, commands } = context;
  const popName = end === "LEFT" ? "LPOP" : "RPOP";
  for (const key of keys) {
    const list = listAt(keyspace, key);
    if (list === undefined) continue;
    context.session.propagateAs = [[popName, key]];
    return popOne(context, keyspace, key, list, end);
  }
  return block(context, keys, timeout, (key, keyspace) => {
    const list = keyspace.get(key);
    if (!(list instanceof List)) return undefined;
    commands.onWrite?.([popName, key], context);
    return popOne(context, keyspace, key, list, end);
  }, NIL_ARRAY);
}

/** BLMOVE and BRPOPLPUSH once parsed: `logged` names the form the AOF gets. */
function blockingMove(
  context: CommandContext,
  keys: { from: string; to: string },
  ends: { from: End; to: End },
  timeout: number,
  logged: "LMOVE" | "RPOPLPUSH",
): Reply {
  const { keyspace, commands } = context;
  const propagated = logged === "LMOVE"
    ? ["LMOVE", keys.from, keys.to, ends.from, ends.to]
    : ["RPOPLPUSH", keys.from, keys.to];
  const source = listAt(keyspace, keys.from);
  if (source !== undefined) {
    context.session.propagateAs = [propagated];
    return moveElement(context, keyspace, source, keys, ends);
  }
  return block(context, [keys.from], timeout, (_key, keyspace) => {
    const list = keyspace.get(keys.from);
    if (!(list instanceof List)) return undefined;
    // A destination of another type ends the wait with WRONGTYPE and moves nothing (Redis 7.0).
    const destination = keyspace.get(keys.to);
    if (destination !== undefined && !(destination instanceof List)) return error(WRONGTYPE);
    commands.onWrite?.(propagated, context);
    return moveElement(context, keyspace, list, keys, ends);
  }, NIL);
}

/** BLMPOP timeout numkeys key [key …] LEFT|RIGHT [COUNT count]. */
function blockingMultiPop(context: CommandContext, argv: readonly string[]): Reply {
  const request = parseMultiPop(argv, 2);
  const timeout = parseTimeout(argv[1]!);
  const { keyspace, commands } = context;
  for (const key of request.keys) {
    const list = listAt(keyspace, key);
    if (list === undefined) continue;
    const { reply, propagated } = multiPopFrom(context, keyspace, key, list, request);
    context.session.propagateAs = [propagated];
    return reply;
  }
  return block(context, request.keys, timeout, (key, keyspace) => {
    const list = keyspace.get(key);
    if (!(list instanceof List)) return undefined;
    const { reply, propagated } = multiPopFrom(context, keyspace, key, list, request);
    commands.onWrite?.(propagated, context);
    return reply;
  }, NIL_ARRAY);
}

/** How a sorted-set pop replies: BZPOPMIN's flat [key, member, score] or BZMPOP's nested pairs. */
type ZsetPopShape = { kind: "single" } | { kind: "multi"; count: number };

/** Pops from `key`'s sorted set; returns the reply and the ZPOPMIN/ZPOPMAX form to log. */
function zsetPop(
  context: CommandContext,
  keyspace: Keyspace,
  key: string,
  zset: SortedSet,
  max: boolean,
  shape: ZsetPopShape,
): { reply: Reply; propagated: string[] } {
  const count = shape.kind === "single" ? 1 : shape.count;
  const pairs = max ? zset.popMax(count) : zset.popMin(count);
  keyspace.storeCollection(key, zset);
  notifyRemoval(context, NotifyClass.zset, max ? "zpopmax" : "zpopmin", key);
  const name = max ? "ZPOPMAX" : "ZPOPMIN";
  if (shape.kind === "single") {
    const [member, score] = pairs[0]!;
    return {
      reply: array([bulk(key), bulk(member), double(score)]),
      propagated: [name, key],
    };
  }
  return {
    reply: array([bulk(key), pairsReply(pairs, "nested")]),
    propagated: [name, key, String(pairs.length)],
  };
}

/** BZPOPMIN/BZPOPMAX (key … timeout) and BZMPOP, once parsed. */
function blockingZsetPop(
  context: CommandContext,
  keys: readonly string[],
  timeout: number,
  max: boolean,
  shape: ZsetPopShape,
): Reply {
  const { keyspace, commands } = context;
  for (const key of keys) {
    const zset = keyspace.getCollection(key, SortedSet);
    if (zset === undefined) continue;
    const { reply, propagated } = zsetPop(context, keyspace, key, zset, max, shape);
    context.session.propagateAs = [propagated];
    return reply;
  }
  return block(context, keys, timeout, (key, keyspace) => {
    const zset = keyspace.get(key);
    if (!(zset instanceof SortedSet)) return undefined;
    const { reply, propagated } = zsetPop(context, keyspace, key, zset, max, shape);
    commands.onWrite?.(propagated, context);
    return reply;
  }, NIL_ARRAY);
}

/** BZMPOP timeout numkeys key [key …] MIN|MAX [COUNT count]. */
function blockingZsetMultiPop(context: CommandContext, argv: readonly string[]): Reply {
  const keyCount = atLeastOne(argv[2]!, NUMKEYS_POSITIVE);
  const whereIndex = 3 + keyCount;
  if (whereIndex >= argv.length) throw new CommandError(SYNTAX);
  const where = argv[whereIndex]!;
  let max: boolean;
  if (isKeyword(where, "MIN")) max = false;
  else if (isKeyword(where, "MAX")) max = true;
  else throw new CommandError(SYNTAX);
  let count: number | undefined;
  for (let i = whereIndex + 1; i < argv.length; i++) {
    if (count !== undefined || !isKeyword(argv[i], "COUNT") || i + 1 >= argv.length) {
      throw new CommandError(SYNTAX);
    }
    count = atLeastOne(argv[++i]!, COUNT_POSITIVE);
  }
  const timeout = parseTimeout(argv[1]!);
  return blockingZsetPop(context, argv.slice(3, whereIndex), timeout, max, {
    kind: "multi",
    count: count ?? 1,
  });
}

const KEYS_THEN_TIMEOUT = { first: 1, last: -2, step: 1 } as const;
const KEYS_ARGUMENT: ArgumentDoc = { name: "key", type: "key", multiple: true };
const TIMEOUT_ARGUMENT: ArgumentDoc = { name: "timeout", type: "double" };

function blockingPopSpec(name: string, end: End): CommandSpec {
  const which = end === "LEFT" ? "first" : "last";
  return {
    name,
    arity: -3,
    flags: ["write", "noscript", "blocking"],
    keys: KEYS_THEN_TIMEOUT,
    group: "list",
    summary: `Remove and get the ${which} element in a list, or block until one is available`,
    since: "2.0.0",
    complexity: "O(N) where N is the number of provided keys.",
    arguments: [KEYS_ARGUMENT, TIMEOUT_ARGUMENT],
    handler(context, argv) {
      return blockingPop(context, argv, end);
    },
  };
}

function blockingZsetPopSpec(name: string, max: boolean): CommandSpec {
  const which = max ? "highest" : "lowest";
  return {
    name,
    arity: -3,
    flags: ["write", "noscript", "fast", "blocking"],
    keys: KEYS_THEN_TIMEOUT,
    group: "sorted-set",
    summary:
      `Remove and return the member with the ${which} score from one or more sorted sets, or block until one is available`,
    since: "5.0.0",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
    arguments: [KEYS_ARGUMENT, TIMEOUT_ARGUMENT],
    handler(context, argv) {
      const timeout = parseTimeout(argv[argv.length - 1]!);
      return blockingZsetPop(context, argv.slice(1, -1), timeout, max, { kind: "single" });
    },
  };
}

export const BLOCKING_COMMANDS: readonly CommandSpec[] = [
  blockingPopSpec("blpop", "LEFT"),
  blockingPopSpec("brpop", "RIGHT"),
  {
    name: "blmove",
    arity: 6,
    flags: ["write", "denyoom", "noscript", "blocking"],
    keys: { first: 1, last: 2, step: 1 },
    group: "list",
    summary:
      "Pop an element from a list, push it to another list and return it; or block until one is available",
    since: "6.2.0",
    complexity: "O(1)",
    arguments: [
      { name: "source", type: "key" },
      { name: "destination", type: "key" },
      WHERE_ARGUMENT("wherefrom"),
      WHERE_ARGUMENT("whereto"),
      TIMEOUT_ARGUMENT,
    ],
    handler(context, argv) {
      const ends = { from: parseEnd(argv[3]!), to: parseEnd(argv[4]!) };
      const timeout = parseTimeout(argv[5]!);
      return blockingMove(context, { from: argv[1]!, to: argv[2]! }, ends, timeout, "LMOVE");
    },
  },
  {
    name: "brpoplpush",
    arity: 4,
    flags: ["write", "denyoom", "noscript", "blocking"],
    keys: { first: 1, last: 2, step: 1 },
    group: "list",
    summary:
      "Pop an element from a list, push it to another list and return it; or block until one is available",
    since: "2.2.0",
    complexity: "O(1)",
    arguments: [
      { name: "source", type: "key" },
      { name: "destination", type: "key" },
      TIMEOUT_ARGUMENT,
    ],
    handler(context, argv) {
      const timeout = parseTimeout(argv[3]!);
      return blockingMove(
        context,
        { from: argv[1]!, to: argv[2]! },
        { from: "RIGHT", to: "LEFT" },
        timeout,
        "RPOPLPUSH",
      );
    },
  },
  {
    name: "blmpop",
    arity: -5,
    flags: ["write", "blocking"],
    group: "list",
    summary: "Pop elements from a list, or block until one is available",
    since: "7.0.0",
    complexity:
      "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
    arguments: [
      TIMEOUT_ARGUMENT,
      { name: "numkeys", type: "integer" },
      KEYS_ARGUMENT,
      WHERE_ARGUMENT("where"),
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: blockingMultiPop,
  },
  blockingZsetPopSpec("bzpopmin", false),
  blockingZsetPopSpec("bzpopmax", true),
  {
    name: "bzmpop",
    arity: -5,
    flags: ["write", "blocking"],
    group: "sorted-set",
    summary:
      "Remove and return members with scores in a sorted set or block until one is available",
    since: "7.0.0",
    complexity:
      "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
    arguments: [
      TIMEOUT_ARGUMENT,
      { name: "numkeys", type: "integer" },
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
    handler: blockingZsetMultiPop,
  },
];
