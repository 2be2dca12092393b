/**
 * The original C++ server's nine commands, with its exact replies, for the
 * binary protocol. Their status codes (not-found, bad-argument, wrong-type)
 * have no place in a Redis reply, so they live in their own small table that
 * the binary connection consults before the Redis table; on RESP the same
 * names have their Redis meaning. They still run through the command table
 * (its checks, stats, AOF and MONITOR), under the Redis command of their name.
 *
 * Like the original, `expire` takes milliseconds, and a wrong argument count
 * answers status `unknown` with no data.
 *
 * @module
 */
import type { Keyspace } from "../keyspace.ts";
import { parseFloat64, parseInteger } from "../numbers.ts";
import { KacheStatus } from "../protocol/kache.ts";
import { array, bulk, double, integer, NIL, type Reply } from "../reply.ts";
import { SortedSet } from "../zset.ts";

export interface OriginalResult {
  readonly status: KacheStatus;
  /** Undefined when the response carries no data. */
  readonly item: Reply | undefined;
}

export interface OriginalCommand {
  /** Exact word count, name included: the original accepted no optional arguments. */
  readonly arity: number;
  readonly run: (keyspace: Keyspace, argv: readonly string[]) => OriginalResult;
}

const OK_NIL: OriginalResult = { status: KacheStatus.ok, item: NIL };
const NOT_FOUND_NIL: OriginalResult = { status: KacheStatus.notFound, item: NIL };
const WRONG_TYPE_NIL: OriginalResult = { status: KacheStatus.wrongType, item: NIL };
const BAD_ARGUMENT_NIL: OriginalResult = { status: KacheStatus.badArgument, item: NIL };
/** The answer to an unknown name or a wrong argument count: status `unknown`, no data. */
export const UNKNOWN: OriginalResult = { status: KacheStatus.unknown, item: undefined };

function ok(item: Reply): OriginalResult {
  return { status: KacheStatus.ok, item };
}

/** The key's sorted set, or the result to answer when it is missing or of another type. */
function sortedSetOr(keyspace: Keyspace, key: string): SortedSet | OriginalResult {
  const value = keyspace.get(key);
  if (value === undefined) return NOT_FOUND_NIL;
  if (!(value instanceof SortedSet)) return WRONG_TYPE_NIL;
  return value;
}

/** Scores must be numbers; NaN is refused, as Redis refuses it. */
function parseScore(text: string): number | undefined {
  return parseFloat64(text);
}

const ORIGINAL_COMMANDS = new Map<string, OriginalCommand>([
  ["get", {
    arity: 2,
    run(keyspace, [, key]) {
      const value = keyspace.get(key!);
      if (value === undefined) return NOT_FOUND_NIL;
      if (typeof value !== "string") return WRONG_TYPE_NIL;
      return ok(bulk(value));
    },
  }],
  ["set", {
    arity: 3,
    run(keyspace, [, key, value]) {
      keyspace.set(key!, value!);
      return OK_NIL;
    },
  }],
  ["del", {
    arity: 2,
    run(keyspace, [, key]) {
      return keyspace.delete(key!)
        ? ok(integer(1))
        : { status: KacheStatus.notFound, item: integer(0) };
    },
  }],
  ["expire", {
    arity: 3,
    run(keyspace, [, key, milliseconds]) {
      const ttl = parseInteger(milliseconds!);
      if (ttl === undefined) return BAD_ARGUMENT_NIL;
      if (!keyspace.has(key!)) return NOT_FOUND_NIL;
      if (ttl < 0) keyspace.persist(key!);
      else keyspace.setExpiry(key!, keyspace.now + Number(ttl));
      return OK_NIL;
    },
  }],
  ["persist", {
    arity: 2,
    run(keyspace, [, key]) {
      if (!keyspace.has(key!)) return NOT_FOUND_NIL;
      keyspace.persist(key!);
      return OK_NIL;
    },
  }],
  ["zadd", {
    arity: 4,
    run(keyspace, [, key, scoreText, member]) {
      const score = parseScore(scoreText!);
      if (score === undefined) return BAD_ARGUMENT_NIL;
      const value = keyspace.get(key!);
      if (value !== undefined && !(value instanceof SortedSet)) return WRONG_TYPE_NIL;
      const zset = value ?? new SortedSet();
      zset.add(member!, score);
      keyspace.storeCollection(key!, zset);
      return OK_NIL;
    },
  }],
  ["zrem", {
    arity: 3,
    run(keyspace, [, key, member]) {
      const zset = sortedSetOr(keyspace, key!);
      if (!(zset instanceof SortedSet)) return zset;
      if (!zset.remove(member!)) return NOT_FOUND_NIL;
      keyspace.storeCollection(key!, zset);
      return ok(integer(1));
    },
  }],
  ["zscore", {
    arity: 3,
    run(keyspace, [, key, member]) {
      const zset = sortedSetOr(keyspace, key!);
      if (!(zset instanceof SortedSet)) return zset;
      const score = zset.score(member!);
      return score === undefined ? NOT_FOUND_NIL : ok(double(score));
    },
  }],
  ["zquery", {
    arity: 6,
    run(keyspace, [, key, scoreText, member, offsetText, limitText]) {
      const score = parseScore(scoreText!);
      const offset = parseInteger(offsetText!);
      const limit = parseInteger(limitText!);
      if (score === undefined || offset === undefined || limit === undefined) {
        return BAD_ARGUMENT_NIL;
      }
      const zset = sortedSetOr(keyspace, key!);
      if (!(zset instanceof SortedSet)) return zset;
      const items: Reply[] = [];
      for (const [name, value] of zset.query(score, member!, Number(offset), Number(limit))) {
        items.push(bulk(name), double(value));
      }
      return ok(array(items));
    },
  }],
]);

/** The original command named `name` (any letter case), or undefined. */
export function originalCommand(name: string): OriginalCommand | undefined {
  return ORIGINAL_COMMANDS.get(name) ?? ORIGINAL_COMMANDS.get(name.toLowerCase());
}

/**
 * Runs argv as one of the original commands, or returns undefined when its
 * name is not one of them. Only the command itself: a server runs them
 * through the command table (lib/commands/dispatch.ts), which adds the
 * checks, stats, AOF and notifications.
 */
export function runOriginal(
  keyspace: Keyspace,
  argv: readonly string[],
): OriginalResult | undefined {
  const command = originalCommand(argv[0] ?? "");
  if (command === undefined) return undefined;
  if (argv.length !== command.arity) return UNKNOWN;
  return command.run(keyspace, argv);
}

/** Whether an original command's answer is a failure (INFO commandstats' `failed_calls`). */
export function originalFailed(result: OriginalResult): boolean {
  return result.status !== KacheStatus.ok && result.status !== KacheStatus.notFound;
}

/** The original commands' names, for help texts. */
export const ORIGINAL_COMMAND_NAMES: readonly string[] = [...ORIGINAL_COMMANDS.keys()];
