/**
 * Hash commands: Redis 7.0's H* family, transcribed from its `t_hash.c` for
 * replies, error texts, checking order and keyspace events.
 *
 * Every write edits the {@link Hash} in place and hands it back with
 * {@link Keyspace.storeCollection}, which deletes a hash left empty and tells
 * WATCH, the AOF and the memory total.
 *
 * Reply shapes follow Redis 7: HGETALL is a map (a flat array on RESP2);
 * HRANDFIELD WITHVALUES is flat on RESP2 and [field, value] pairs on RESP3 —
 * the one place a handler looks at the protocol, because the shape differs.
 *
 * @module
 */
import { CommandError, NOT_FLOAT, OVERFLOW, wrongArity } from "../errors.ts";
import { Hash } from "../hash.ts";
import {
  addLongDouble,
  formatLongDouble,
  LONG_DOUBLE_ZERO,
  parseLongDouble,
} from "../long_double.ts";
import { notify, notifyRemoval } from "../notify.ts";
import { addInt64, parseInteger } from "../numbers.ts";
import { NotifyClass } from "../pubsub.ts";
import {
  array,
  bulk,
  bulkArray,
  bulkOrNil,
  EMPTY_ARRAY,
  integer,
  map,
  NIL,
  OK,
  ONE,
  type Reply,
  ZERO,
} from "../reply.ts";
import { integerArgument } from "./arguments.ts";
import { scanCollection } from "./collection_scan.ts";
import { parseRandomCount, randomIndex, randomPicks } from "./random_picks.ts";
import type { CommandContext, CommandSpec } from "./types.ts";

const NOT_INTEGER_VALUE = "ERR hash value is not an integer";
const NOT_FLOAT_VALUE = "ERR hash value is not a float";
const NAN_OR_INFINITY_INCREMENT = "ERR value is NaN or Infinity";
const NAN_OR_INFINITY_RESULT = "ERR increment would produce NaN or Infinity";

const KEY = { first: 1, last: 1, step: 1 } as const;
const KEY_ARGUMENT = { name: "key", type: "key" } as const;
const FIELD = { name: "field", type: "string" } as const;
const FIELDS = { name: "field", type: "string", multiple: true } as const;
const FIELD_VALUES = {
  name: "data",
  type: "block",
  multiple: true,
  arguments: [FIELD, { name: "value", type: "string" }],
} as const;

/** The hash at `key` for a write: the stored one, or a new one the caller stores. */
function hashForWrite(context: CommandContext, key: string): Hash {
  return context.keyspace.getCollection(key, Hash) ?? new Hash();
}

/** HSET and HMSET (Redis's `hsetCommand`): pairs after the key; replies fields added / OK. */
function setFields(context: CommandContext, argv: readonly string[], legacy: boolean): Reply {
  if (argv.length % 2 === 1) throw new CommandError(wrongArity(argv[0]!));
  const key = argv[1]!;
  const hash = hashForWrite(context, key);
  let created = 0;
  for (let i = 2; i < argv.length; i += 2) if (hash.set(argv[i]!, argv[i + 1]!)) created++;
  context.keyspace.storeCollection(key, hash);
  notify(context, NotifyClass.hash, "hset", key);
  return legacy ? OK : integer(created);
}

function setIfNew(context: CommandContext, argv: readonly string[]): Reply {
  const key = argv[1]!;
  const hash = hashForWrite(context, key);
  if (hash.has(argv[2]!)) return ZERO;
  hash.set(argv[2]!, argv[3]!);
  context.keyspace.storeCollection(key, hash);
  notify(context, NotifyClass.hash, "hset", key);
  return ONE;
}

function deleteFields(context: CommandContext, argv: readonly string[]): Reply {
  const key = argv[1]!;
  const hash = context.keyspace.getCollection(key, Hash);
  if (hash === undefined) return ZERO;
  let deleted = 0;
  for (let i = 2; i < argv.length && hash.size > 0; i++) if (hash.delete(argv[i]!)) deleted++;
  if (deleted === 0) return ZERO;
  context.keyspace.storeCollection(key, hash);
  notifyRemoval(context, NotifyClass.hash, "hdel", key);
  return integer(deleted);
}

function incrementBy(context: CommandContext, argv: readonly string[]): Reply {
  const increment = integerArgument(argv[3]!);
  const key = argv[1]!;
  const field = argv[2]!;
  const hash = hashForWrite(context, key);
  const current = hash.get(field);
  let base: number | bigint = 0;
  if (current !== undefined) {
    const parsed = parseInteger(current);
    if (parsed === undefined) throw new CommandError(NOT_INTEGER_VALUE);
    base = parsed;
  }
  const result = addInt64(base, increment);
  if (result === undefined) throw new CommandError(OVERFLOW);
  hash.set(field, String(result));
  context.keyspace.storeCollection(key, hash);
  notify(context, NotifyClass.hash, "hincrby", key);
  return integer(result);
}

/** HINCRBYFLOAT: Redis's `long double` sum (lib/long_double.ts); the AOF logs the HSET of it. */
function incrementByFloat(context: CommandContext, argv: readonly string[]): Reply {
  const increment = parseLongDouble(argv[3]!);
  if (increment === undefined) throw new CommandError(NOT_FLOAT);
  if (increment === "infinite") throw new CommandError(NAN_OR_INFINITY_INCREMENT);
  const key = argv[1]!;
  const field = argv[2]!;
  const hash = hashForWrite(context, key);
  const current = hash.get(field);
  const base = current === undefined ? LONG_DOUBLE_ZERO : parseLongDouble(current);
  if (base === undefined) throw new CommandError(NOT_FLOAT_VALUE);
  const sum = base === "infinite" ? undefined : addLongDouble(base, increment);
  if (sum === undefined) throw new CommandError(NAN_OR_INFINITY_RESULT);
  const text = formatLongDouble(sum);
  hash.set(field, text);
  context.keyspace.storeCollection(key, hash);
  notify(context, NotifyClass.hash, "hincrbyfloat", key);
  return bulk(text);
}

function getAll(context: CommandContext, argv: readonly string[]): Reply {
  const hash = context.keyspace.getCollection(argv[1]!, Hash);
  if (hash === undefined) return map([]);
  const entries: [Reply, Reply][] = [];
  for (const [field, value] of hash.entries()) entries.push([bulk(field), bulk(value)]);
  return map(entries);
}

/** Field/value pairs: flat on RESP2 (and without values), [field, value] arrays on RESP3. */
function pairsReply(
  context: CommandContext,
  pairs: readonly (readonly [string, string])[],
  withValues: boolean,
): Reply {
  if (!withValues) return array(pairs.map(([field]) => bulk(field)));
  if (context.session.protocol === 3) {
    return array(pairs.map(([field, value]) => array([bulk(field), bulk(value)])));
  }
  const items: Reply[] = [];
  for (const [field, value] of pairs) items.push(bulk(field), bulk(value));
  return array(items);
}

/** HRANDFIELD key count [WITHVALUES] (Redis's `hrandfieldWithCountCommand`). */
function randomFields(context: CommandContext, argv: readonly string[]): Reply {
  const { count, withValues } = parseRandomCount(argv, "WITHVALUES");
  const hash = context.keyspace.getCollection(argv[1]!, Hash);
  if (hash === undefined || count === 0) return EMPTY_ARRAY;
  // A packed hash walks its string for each entryAt: repeated picks index one array of it instead.
  const packedEntries = hash.packed ? [...hash.entries()] : undefined;
  const pairs = randomPicks(count, {
    size: hash.size,
    at: (index) => packedEntries?.[index] ?? hash.entryAt(index),
    all: () => [...hash.entries()],
    random: () => context.server.random(),
  });
  return pairsReply(context, pairs, withValues);
}

/** HSCAN key cursor [MATCH pattern] [COUNT count]: [next cursor, [field, value, …]]. */
function scanFields({ keyspace }: CommandContext, argv: readonly string[]): Reply {
  return scanCollection(keyspace, argv, {
    type: Hash,
    replies: {
      wholePage(hash, matches) {
        const items: Reply[] = [];
        for (const [field, value] of hash.entries()) {
          if (matches(field)) items.push(bulk(field), bulk(value));
        }
        return items;
      },
      pushKey: (hash, field, items) => items.push(bulk(field), bulk(hash.get(field)!)),
    },
  });
}

const RANDOM_FIELD_OPTIONS = {
  name: "options",
  type: "block",
  optional: true,
  arguments: [
    { name: "count", type: "integer" },
    { name: "withvalues", type: "pure-token", token: "WITHVALUES", optional: true },
  ],
} as const;

export const HASH_COMMANDS: readonly CommandSpec[] = [
  {
    name: "hset",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    keys: KEY,
    group: "hash",
    summary: "Set the string value of a hash field",
    since: "2.0.0",
    complexity:
      "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
    arguments: [KEY_ARGUMENT, FIELD_VALUES],
    handler: (context, argv) => setFields(context, argv, false),
  },
  {
    name: "hmset",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    keys: KEY,
    group: "hash",
    summary: "Set multiple hash fields to multiple values",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields being set.",
    arguments: [KEY_ARGUMENT, FIELD_VALUES],
    handler: (context, argv) => setFields(context, argv, true),
  },
  {
    name: "hsetnx",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    keys: KEY,
    group: "hash",
    summary: "Set the value of a hash field, only if the field does not exist",
    since: "2.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, FIELD, { name: "value", type: "string" }],
    handler: setIfNew,
  },
  {
    name: "hget",
    arity: 3,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "hash",
    summary: "Get the value of a hash field",
    since: "2.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, FIELD],
    handler(context, argv) {
      return bulkOrNil(context.keyspace.getCollection(argv[1]!, Hash)?.get(argv[2]!));
    },
  },
  {
    name: "hmget",
    arity: -3,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "hash",
    summary: "Get the values of all the given hash fields",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields being requested.",
    arguments: [KEY_ARGUMENT, FIELDS],
    handler(context, argv) {
      const hash = context.keyspace.getCollection(argv[1]!, Hash);
      const items: Reply[] = [];
      for (let i = 2; i < argv.length; i++) items.push(bulkOrNil(hash?.get(argv[i]!)));
      return array(items);
    },
  },
  {
    name: "hdel",
    arity: -3,
    flags: ["write", "fast"],
    keys: KEY,
    group: "hash",
    summary: "Delete one or more hash fields",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields to be removed.",
    arguments: [KEY_ARGUMENT, FIELDS],
    handler: deleteFields,
  },
  {
    name: "hexists",
    arity: 3,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "hash",
    summary: "Determine if a hash field exists",
    since: "2.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, FIELD],
    handler(context, argv) {
      return context.keyspace.getCollection(argv[1]!, Hash)?.has(argv[2]!) ? ONE : ZERO;
    },
  },
  {
    name: "hlen",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "hash",
    summary: "Get the number of fields in a hash",
    since: "2.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    handler(context, argv) {
      return integer(context.keyspace.getCollection(argv[1]!, Hash)?.size ?? 0);
    },
  },
  {
    name: "hstrlen",
    arity: 3,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "hash",
    summary: "Get the length of the value of a hash field",
    since: "3.2.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, FIELD],
    handler(context, argv) {
      return integer(context.keyspace.getCollection(argv[1]!, Hash)?.get(argv[2]!)?.length ?? 0);
    },
  },
  {
    name: "hkeys",
    arity: 2,
    flags: ["readonly"],
    keys: KEY,
    group: "hash",
    summary: "Get all the fields in a hash",
    since: "2.0.0",
    complexity: "O(N) where N is the size of the hash.",
    arguments: [KEY_ARGUMENT],
    handler(context, argv) {
      const hash = context.keyspace.getCollection(argv[1]!, Hash);
      return hash === undefined ? EMPTY_ARRAY : bulkArray(hash.fieldList());
    },
  },
  {
    name: "hvals",
    arity: 2,
    flags: ["readonly"],
    keys: KEY,
    group: "hash",
    summary: "Get all the values in a hash",
    since: "2.0.0",
    complexity: "O(N) where N is the size of the hash.",
    arguments: [KEY_ARGUMENT],
    handler(context, argv) {
      const hash = context.keyspace.getCollection(argv[1]!, Hash);
      return hash === undefined ? EMPTY_ARRAY : bulkArray(hash.valueList());
    },
  },
  {
    name: "hgetall",
    arity: 2,
    flags: ["readonly"],
    keys: KEY,
    group: "hash",
    summary: "Get all the fields and values in a hash",
    since: "2.0.0",
    complexity: "O(N) where N is the size of the hash.",
    arguments: [KEY_ARGUMENT],
    handler: getAll,
  },
  {
    name: "hincrby",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    keys: KEY,
    group: "hash",
    summary: "Increment the integer value of a hash field by the given number",
    since: "2.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, FIELD, { name: "increment", type: "integer" }],
    handler: incrementBy,
  },
  {
    name: "hincrbyfloat",
    arity: 4,
    flags: ["write", "denyoom", "fast"],
    keys: KEY,
    group: "hash",
    summary: "Increment the float value of a hash field by the given amount",
    since: "2.6.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, FIELD, { name: "increment", type: "double" }],
    handler: incrementByFloat,
  },
  {
    name: "hrandfield",
    arity: -2,
    flags: ["readonly"],
    keys: KEY,
    group: "hash",
    summary: "Get one or multiple random fields from a hash",
    since: "6.2.0",
    complexity: "O(N) where N is the number of fields returned",
    arguments: [KEY_ARGUMENT, RANDOM_FIELD_OPTIONS],
    handler(context, argv) {
      if (argv.length >= 3) return randomFields(context, argv);
      const hash = context.keyspace.getCollection(argv[1]!, Hash);
      if (hash === undefined) return NIL;
      return bulk(hash.entryAt(randomIndex(hash.size, () => context.server.random()))[0]);
    },
  },
  {
    name: "hscan",
    arity: -3,
    flags: ["readonly"],
    keys: KEY,
    group: "hash",
    summary: "Incrementally iterate hash fields and associated values",
    since: "2.8.0",
    complexity:
      "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
    arguments: [
      KEY_ARGUMENT,
      { name: "cursor", type: "integer" },
      { name: "pattern", type: "pattern", token: "MATCH", optional: true },
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: scanFields,
  },
];
