/**
 * Generic key commands: existence, deletion, renaming and copying, listing
 * (KEYS, SCAN, RANDOMKEY) and the TTL family (EXPIRE…, TTL…, PERSIST).
 *
 * Decisions that shape the module:
 *
 * - Deleting is O(1) whatever the value's size: the keyspace drops its
 *   reference and V8 reclaims the memory concurrently, so DEL and UNLINK are
 *   the same command (UNLINK's "in another thread" comes for free).
 * - Deadlines are absolute Unix milliseconds, computed with Redis's overflow
 *   checks in 64-bit arithmetic (bigint only when a float64 would be inexact).
 *   A deadline past 2^53 ms (the year 287396) is kept as the nearest float64,
 *   and replies clamp it to the signed 64-bit range.
 * - SCAN's cursor is a position in the keyspace's scan index (see
 *   `lib/scan_index.ts`), as in Redis: no state is kept between calls, and a
 *   full iteration returns every key present throughout at least once.
 * - MOVE and COPY … DB reach the other database through the server's
 *   databases; the session's own stays `context.keyspace`.
 *
 * @module
 */
import { CommandError, NO_SUCH_KEY, SYNTAX } from "../errors.ts";
import { globToRegExp } from "../glob.ts";
import { type Keyspace, typeOf, type Value } from "../keyspace.ts";
import { DB_OUT_OF_RANGE } from "../databases.ts";
import { notify, notifyIn } from "../notify.ts";
import { INT64_MAX, INT64_MIN, normalizeInteger } from "../numbers.ts";
import { NotifyClass } from "../pubsub.ts";
import {
  array,
  bulk,
  bulkArray,
  bulkOrNil,
  integer,
  OK,
  ONE,
  type Reply,
  status,
  ZERO,
} from "../reply.ts";
import { List } from "../list.ts";
import { parseScanCursor, parseScanOptions } from "../scan.ts";
import { Hash } from "../hash.ts";
import { MemberSet } from "../member_set.ts";
import { Stream } from "../stream.ts";
import { SortedSet } from "../zset.ts";
import { int32Argument, integerArgument, isKeyword } from "./arguments.ts";
import type { ArgumentDoc, CommandContext, CommandHandler, CommandSpec } from "./types.ts";

const SAME_OBJECT = "ERR source and destination objects are the same";

/** How many of `argv[1..]` exist, repeats counted (EXISTS, TOUCH). */
function countExisting(context: CommandContext, argv: readonly string[]): Reply {
  let count = 0;
  for (let i = 1; i < argv.length; i++) {
    if (context.keyspace.has(argv[i]!)) count++;
  }
  return integer(count);
}

function deleteKeys(context: CommandContext, argv: readonly string[]): Reply {
  let count = 0;
  for (let i = 1; i < argv.length; i++) {
    if (!context.keyspace.delete(argv[i]!)) continue;
    count++;
    notify(context, NotifyClass.generic, "del", argv[i]!);
  }
  return integer(count);
}

/** An independent copy: strings are immutable, collections are rebuilt element by element. */
function copyValue(value: Value): Value {
  if (typeof value === "string") return value;
  if (value instanceof List) {
    const list = new List();
    for (const element of value.values()) list.pushBack(element);
    return list;
  }
  if (value instanceof Hash) {
    const copy = new Hash();
    for (const [field, fieldValue] of value.entries()) copy.set(field, fieldValue);
    return copy;
  }
  if (value instanceof MemberSet) return MemberSet.of(value.members());
  if (value instanceof Stream) return value.copy();
  const copy = new SortedSet();
  for (const [member, score] of value.entries()) copy.add(member, score);
  return copy;
}

/** Redis's `renameGenericCommand`: the value moves with its TTL. */
function rename(context: CommandContext, argv: readonly string[], onlyIfNew: boolean): Reply {
  const keyspace = context.keyspace;
  const source = argv[1]!;
  const destination = argv[2]!;
  const value = keyspace.get(source);
  if (value === undefined) throw new CommandError(NO_SUCH_KEY);
  if (source === destination) return onlyIfNew ? ZERO : OK;
  if (onlyIfNew && keyspace.has(destination)) return ZERO;
  const deadline = keyspace.getExpiry(source);
  // Redis deletes a destination that exists and adds the key anew: it is a `new` key (class n).
  keyspace.delete(destination);
  keyspace.set(destination, value);
  if (deadline !== undefined) keyspace.setExpiry(destination, deadline);
  keyspace.delete(source);
  notify(context, NotifyClass.generic, "rename_from", source);
  notify(context, NotifyClass.generic, "rename_to", destination);
  return onlyIfNew ? ONE : OK;
}

/** The database a MOVE or COPY … DB names, with Redis's errors for a bad or missing one. */
function otherDatabase(context: CommandContext, text: string): Keyspace {
  const index = int32Argument(text);
  const databases = context.server.databases;
  if (!databases.has(index)) throw new CommandError(DB_OUT_OF_RANGE);
  return databases.at(index);
}

function copyCommand(context: CommandContext, argv: readonly string[]): Reply {
  const keyspace = context.keyspace;
  let target = keyspace;
  let replace = false;
  for (let i = 3; i < argv.length; i++) {
    if (isKeyword(argv[i], "REPLACE")) {
      replace = true;
    } else if (isKeyword(argv[i], "DB") && i + 1 < argv.length) {
      target = otherDatabase(context, argv[++i]!);
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  const source = argv[1]!;
  const destination = argv[2]!;
  if (target === keyspace && source === destination) throw new CommandError(SAME_OBJECT);
  const value = keyspace.get(source);
  if (value === undefined) return ZERO;
  if (!replace && target.has(destination)) return ZERO;
  const deadline = keyspace.getExpiry(source);
  // As RENAME: a destination replaced is deleted and added anew, a `new` key.
  if (replace) target.delete(destination);
  target.set(destination, copyValue(value));
  if (deadline !== undefined) target.setExpiry(destination, deadline);
  notifyIn(context, target, NotifyClass.generic, "copy_to", destination);
  return ONE;
}

/** Redis's `moveCommand`: the key goes to another database with its TTL, unless one is there. */
function moveCommand(context: CommandContext, argv: readonly string[]): Reply {
  const keyspace = context.keyspace;
  const target = otherDatabase(context, argv[2]!);
  if (target === keyspace) throw new CommandError(SAME_OBJECT);
  const key = argv[1]!;
  const value = keyspace.get(key);
  if (value === undefined || target.has(key)) return ZERO;
  const deadline = keyspace.getExpiry(key);
  target.set(key, value);
  if (deadline !== undefined) target.setExpiry(key, deadline);
  keyspace.delete(key);
  notifyIn(context, keyspace, NotifyClass.generic, "move_from", key);
  notifyIn(context, target, NotifyClass.generic, "move_to", key);
  return ONE;
}

function keysCommand(context: CommandContext, argv: readonly string[]): Reply {
  const pattern = argv[1]!;
  const matcher = pattern === "*" ? undefined : globToRegExp(pattern);
  const keys: string[] = [];
  for (const key of context.keyspace.keys()) {
    if (matcher === undefined || matcher.test(key)) keys.push(key);
  }
  return bulkArray(keys);
}

function scanCommand(context: CommandContext, argv: readonly string[]): Reply {
  const cursor = parseScanCursor(argv[1]!);
  const { match, count, type } = parseScanOptions(argv, { from: 2, allowType: true });
  const keyspace = context.keyspace;
  const wantedType = type?.toLowerCase();
  const step = keyspace.scan(cursor, count);
  const keys: string[] = [];
  for (const key of step.keys) {
    if (match !== undefined && !match.test(key)) continue;
    // get() also drops a key that has expired, as Redis's scan does after MATCH.
    const value = keyspace.get(key);
    if (value === undefined) continue;
    if (wantedType === undefined || wantedType === typeOf(value)) keys.push(key);
  }
  return array([bulk(String(step.cursor)), bulkArray(keys)]);
}

// ---------------------------------------------------------------------------
// TTLs

function invalidExpireTime(command: string): CommandError {
  return new CommandError(`ERR invalid expire time in '${command}' command`);
}

/**
 * Redis's `expireGenericCommand` arithmetic: the time (which may be negative)
 * times the unit, plus the base, must stay within signed 64 bits.
 */
function expireDeadline(text: string, unit: 1 | 1000, base: number, command: string): number {
  const value = integerArgument(text);
  if (typeof value === "number") {
    // Safe operands with safe results are exact; anything larger is redone in bigint.
    const milliseconds = value * unit;
    const deadline = milliseconds + base;
    if (Number.isSafeInteger(milliseconds) && Number.isSafeInteger(deadline)) return deadline;
  }
  let milliseconds = BigInt(value);
  if (unit === 1000) {
    if (milliseconds > INT64_MAX / 1000n || milliseconds < INT64_MIN / 1000n) {
      throw invalidExpireTime(command);
    }
    milliseconds *= 1000n;
  }
  if (milliseconds > INT64_MAX - BigInt(base)) throw invalidExpireTime(command);
  return Number(milliseconds + BigInt(base));
}

const EXPIRE_NX = 1;
const EXPIRE_XX = 2;
const EXPIRE_GT = 4;
const EXPIRE_LT = 8;
const EXPIRE_CONDITIONS: ReadonlyMap<string, number> = new Map([
  ["NX", EXPIRE_NX],
  ["XX", EXPIRE_XX],
  ["GT", EXPIRE_GT],
  ["LT", EXPIRE_LT],
]);

/** Redis's `parseExtendedExpireArgumentsOrReply`: NX, XX, GT, LT after the time. */
function parseExpireConditions(argv: readonly string[]): number {
  let flags = 0;
  for (let i = 3; i < argv.length; i++) {
    const word = argv[i]!;
    const flag = word.length === 2 ? EXPIRE_CONDITIONS.get(word.toUpperCase()) : undefined;
    if (flag === undefined) throw new CommandError(`ERR Unsupported option ${word}`);
    flags |= flag;
  }
  if (flags & EXPIRE_NX && flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT)) {
    throw new CommandError("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (flags & EXPIRE_GT && flags & EXPIRE_LT) {
    throw new CommandError("ERR GT and LT options at the same time are not compatible");
  }
  return flags;
}

/**
 * EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT. A key without a TTL counts as
 * never expiring for GT and LT; a deadline already past deletes the key.
 */
function expireHandler(command: string, unit: 1 | 1000, absolute: boolean): CommandHandler {
  return (context, argv) => {
    const conditions = parseExpireConditions(argv);
    const keyspace = context.keyspace;
    const key = argv[1]!;
    const deadline = expireDeadline(argv[2]!, unit, absolute ? 0 : keyspace.now, command);
    if (!keyspace.has(key)) return ZERO;
    if (conditions !== 0) {
      const current = keyspace.getExpiry(key);
      if (conditions & EXPIRE_NX && current !== undefined) return ZERO;
      if (conditions & EXPIRE_XX && current === undefined) return ZERO;
      if (conditions & EXPIRE_GT && (current === undefined || deadline <= current)) return ZERO;
      if (conditions & EXPIRE_LT && current !== undefined && deadline >= current) return ZERO;
    }
    keyspace.setExpiry(key, deadline);
    notify(context, NotifyClass.generic, deadline <= keyspace.now ? "del" : "expire", key);
    return ONE;
  };
}

/** TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing key, -1 without a TTL. */
function ttlHandler(milliseconds: boolean, absolute: boolean): CommandHandler {
  return (context, argv) => {
    const keyspace = context.keyspace;
    const key = argv[1]!;
    if (!keyspace.has(key)) return integer(-2);
    const deadline = keyspace.getExpiry(key);
    if (deadline === undefined) return integer(-1);
    if (Number.isSafeInteger(deadline)) {
      const value = Math.max(0, absolute ? deadline : deadline - keyspace.now);
      // Seconds round half up, as Redis's (ttl + 500) / 1000.
      return integer(milliseconds ? value : Math.floor((value + 500) / 1000));
    }
    return integer(normalizeInteger(farTimeReply(deadline, keyspace.now, milliseconds, absolute)));
  };
}

/**
 * The TTL reply for a deadline past 2^53 ms, in bigint. Such a deadline is
 * stored as the nearest float64; clamping it to int64 makes the commonest
 * one, PEXPIREAT 9223372036854775807, come back exact.
 */
function farTimeReply(
  deadline: number,
  now: number,
  milliseconds: boolean,
  absolute: boolean,
): bigint {
  const exact = BigInt(deadline) > INT64_MAX ? INT64_MAX : BigInt(deadline);
  const value = absolute ? exact : exact - BigInt(now);
  return milliseconds ? value : (value + 500n) / 1000n;
}

// ---------------------------------------------------------------------------
// The table

const KEY_ARGUMENT: ArgumentDoc = { name: "key", type: "key" };
const KEYS_ARGUMENT: ArgumentDoc = { name: "key", type: "key", multiple: true };
const FIRST_KEY = { first: 1, last: 1, step: 1 } as const;
const ALL_KEYS = { first: 1, last: -1, step: 1 } as const;
const TWO_KEYS = { first: 1, last: 2, step: 1 } as const;
const EXPIRE_CONDITION_ARGUMENT: ArgumentDoc = {
  name: "condition",
  type: "oneof",
  optional: true,
  arguments: [
    { name: "nx", type: "pure-token", token: "NX" },
    { name: "xx", type: "pure-token", token: "XX" },
    { name: "gt", type: "pure-token", token: "GT" },
    { name: "lt", type: "pure-token", token: "LT" },
  ],
};

interface TimeCommand {
  readonly name: string;
  readonly summary: string;
  readonly since: string;
  /** Milliseconds rather than seconds. */
  readonly milliseconds: boolean;
  /** A Unix time rather than a duration from now. */
  readonly absolute: boolean;
}

/** The four TTL readers differ only in unit and base. */
function ttlSpec({ name, summary, since, milliseconds, absolute }: TimeCommand): CommandSpec {
  return {
    name,
    arity: 2,
    flags: ["readonly", "fast"],
    keys: FIRST_KEY,
    group: "generic",
    summary,
    since,
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    handler: ttlHandler(milliseconds, absolute),
  };
}

/** The four TTL setters differ only in unit and base. */
function expireSpec(
  { name, summary, since, milliseconds, absolute }: TimeCommand,
  time: ArgumentDoc,
): CommandSpec {
  return {
    name,
    arity: -3,
    flags: ["write", "fast"],
    keys: FIRST_KEY,
    group: "generic",
    summary,
    since,
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, time, EXPIRE_CONDITION_ARGUMENT],
    handler: expireHandler(name, milliseconds ? 1 : 1000, absolute),
  };
}

export const KEY_COMMANDS: readonly CommandSpec[] = [
  {
    name: "del",
    arity: -2,
    flags: ["write"],
    keys: ALL_KEYS,
    group: "generic",
    summary: "Delete a key",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys that will be removed. When a key to " +
      "remove holds a value other than a string, the individual complexity for this key is " +
      "O(M) where M is the number of elements in the list, set, sorted set or hash. Removing " +
      "a single key that holds a string value is O(1).",
    arguments: [KEYS_ARGUMENT],
    handler: deleteKeys,
  },
  {
    name: "unlink",
    arity: -2,
    flags: ["write", "fast"],
    keys: ALL_KEYS,
    group: "generic",
    summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but " +
      "non blocking.",
    since: "4.0.0",
    complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) " +
      "work in a different thread in order to reclaim memory, where N is the number of " +
      "allocations the deleted objects where composed of.",
    arguments: [KEYS_ARGUMENT],
    handler: deleteKeys,
  },
  {
    name: "exists",
    arity: -2,
    flags: ["readonly", "fast"],
    keys: ALL_KEYS,
    group: "generic",
    summary: "Determine if a key exists",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys to check.",
    arguments: [KEYS_ARGUMENT],
    handler: countExisting,
  },
  {
    name: "touch",
    arity: -2,
    flags: ["readonly", "fast"],
    keys: ALL_KEYS,
    group: "generic",
    summary: "Alters the last access time of a key(s). Returns the number of existing keys " +
      "specified.",
    since: "3.2.1",
    complexity: "O(N) where N is the number of keys that will be touched.",
    arguments: [KEYS_ARGUMENT],
    handler: countExisting,
  },
  {
    name: "type",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: FIRST_KEY,
    group: "generic",
    summary: "Determine the type stored at key",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    handler(context, argv) {
      const value = context.keyspace.get(argv[1]!);
      return status(value === undefined ? "none" : typeOf(value));
    },
  },
  {
    name: "rename",
    arity: 3,
    flags: ["write"],
    keys: TWO_KEYS,
    group: "generic",
    summary: "Rename a key",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, { name: "newkey", type: "key" }],
    handler: (context, argv) => rename(context, argv, false),
  },
  {
    name: "renamenx",
    arity: 3,
    flags: ["write", "fast"],
    keys: TWO_KEYS,
    group: "generic",
    summary: "Rename a key, only if the new key does not exist",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, { name: "newkey", type: "key" }],
    handler: (context, argv) => rename(context, argv, true),
  },
  {
    name: "copy",
    arity: -3,
    flags: ["write", "denyoom"],
    keys: TWO_KEYS,
    group: "generic",
    summary: "Copy a key",
    since: "6.2.0",
    complexity: "O(N) worst case for collections, where N is the number of nested items. " +
      "O(1) for string values.",
    arguments: [
      { name: "source", type: "key" },
      { name: "destination", type: "key" },
      { name: "destination-db", type: "integer", token: "DB", optional: true },
      { name: "replace", type: "pure-token", token: "REPLACE", optional: true },
    ],
    handler: copyCommand,
  },
  {
    name: "move",
    arity: 3,
    flags: ["write", "fast"],
    keys: { first: 1, last: 1, step: 1 },
    group: "generic",
    summary: "Move a key to another database",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [{ name: "key", type: "key" }, { name: "db", type: "integer" }],
    handler: moveCommand,
  },
  {
    name: "keys",
    arity: 2,
    flags: ["readonly"],
    group: "generic",
    summary: "Find all keys matching the given pattern",
    since: "1.0.0",
    complexity: "O(N) with N being the number of keys in the database, under the assumption " +
      "that the key names in the database and the given pattern have limited length.",
    arguments: [{ name: "pattern", type: "pattern" }],
    handler: keysCommand,
  },
  {
    name: "scan",
    arity: -2,
    flags: ["readonly"],
    group: "generic",
    summary: "Incrementally iterate the keys space",
    since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command " +
      "calls for the cursor to return back to 0. N is the number of elements inside the " +
      "collection.",
    arguments: [
      { name: "cursor", type: "integer" },
      { name: "pattern", type: "pattern", token: "MATCH", optional: true },
      { name: "count", type: "integer", token: "COUNT", optional: true },
      { name: "type", type: "string", token: "TYPE", optional: true },
    ],
    handler: scanCommand,
  },
  {
    name: "randomkey",
    arity: 1,
    flags: ["readonly"],
    group: "generic",
    summary: "Return a random key from the keyspace",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [],
    handler: (context) => bulkOrNil(context.keyspace.randomKey(() => context.server.random())),
  },
  expireSpec({
    name: "expire",
    summary: "Set a key's time to live in seconds",
    since: "1.0.0",
    milliseconds: false,
    absolute: false,
  }, { name: "seconds", type: "integer" }),
  expireSpec({
    name: "pexpire",
    summary: "Set a key's time to live in milliseconds",
    since: "2.6.0",
    milliseconds: true,
    absolute: false,
  }, { name: "milliseconds", type: "integer" }),
  expireSpec({
    name: "expireat",
    summary: "Set the expiration for a key as a UNIX timestamp",
    since: "1.2.0",
    milliseconds: false,
    absolute: true,
  }, { name: "unix-time-seconds", type: "unix-time" }),
  expireSpec({
    name: "pexpireat",
    summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
    since: "2.6.0",
    milliseconds: true,
    absolute: true,
  }, { name: "unix-time-milliseconds", type: "unix-time" }),
  ttlSpec({
    name: "ttl",
    summary: "Get the time to live for a key in seconds",
    since: "1.0.0",
    milliseconds: false,
    absolute: false,
  }),
  ttlSpec({
    name: "pttl",
    summary: "Get the time to live for a key in milliseconds",
    since: "2.6.0",
    milliseconds: true,
    absolute: false,
  }),
  ttlSpec({
    name: "expiretime",
    summary: "Get the expiration Unix timestamp for a key",
    since: "7.0.0",
    milliseconds: false,
    absolute: true,
  }),
  ttlSpec({
    name: "pexpiretime",
    summary: "Get the expiration Unix timestamp for a key in milliseconds",
    since: "7.0.0",
    milliseconds: true,
    absolute: true,
  }),
  {
    name: "persist",
    arity: 2,
    flags: ["write", "fast"],
    keys: FIRST_KEY,
    group: "generic",
    summary: "Remove the expiration from a key",
    since: "2.2.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    handler(context, argv) {
      if (!context.keyspace.persist(argv[1]!)) return ZERO;
      notify(context, NotifyClass.generic, "persist", argv[1]!);
      return ONE;
    },
  },
];
