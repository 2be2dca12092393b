/**
 * String commands: GET, SET and its variants, counters, ranges and LCS.
 *
 * A string value is stored as the one-byte JS string itself, so GET is one map
 * lookup and SET one map store. Decisions that shape the module:
 *
 * - SET and GETEX share one option parser, a transcription of Redis's
 *   `parseExtendedStringArgumentsOrReply`, so both accept and refuse exactly
 *   what Redis does (EX twice is fine, the last wins; EX with PX is a syntax
 *   error) and check in Redis's order (syntax, then expire time, then type).
 * - Counters are exact signed 64-bit integers: JS numbers while the result is
 *   float64-exact, bigint only beyond 2^53.
 * - INCRBYFLOAT computes in x87 80-bit extended precision, as Redis does with
 *   `long double` on x86-64, and prints with `%.17Lf` minus trailing zeros, so
 *   `0.1 + 0.2` is `0.3` and `1000.1 + 0` is `1000.09999999999999998`, as in
 *   Redis. The arithmetic is exact bigint work (lib/long_double.ts).
 * - The longest string is 512 MiB, Redis's default `proto-max-bulk-len`,
 *   lowered to V8's own limit on string length (24 bytes less).
 *
 * @module
 */
import {
  CommandError,
  NOT_FLOAT,
  NOT_INTEGER,
  OVERFLOW,
  SYNTAX,
  wrongArity,
  WRONGTYPE,
} from "../errors.ts";
import {
  addLongDouble,
  formatLongDouble,
  LONG_DOUBLE_ZERO,
  parseLongDouble,
} from "../long_double.ts";
import { notify } from "../notify.ts";
import { addInt64, INT64_MAX, INT64_MIN, normalizeInteger, parseInteger } from "../numbers.ts";
import { NotifyClass } from "../pubsub.ts";
import { array, bulk, bulkOrNil, integer, map, NIL, OK, ONE, type Reply, ZERO } from "../reply.ts";
import { integerArgument, isKeyword, numberArgument } from "./arguments.ts";
import type { ArgumentDoc, CommandContext, CommandSpec } from "./types.ts";

/** Redis's default proto-max-bulk-len (512 MiB)… */
const PROTO_MAX_BULK_LEN = 512 * 1024 * 1024;
/** …capped by V8, whose strings hold at most 2^29 - 24 characters on 64-bit hosts. */
export const MAX_STRING_LENGTH = Math.min(PROTO_MAX_BULK_LEN, 2 ** 29 - 24);

const STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
const OFFSET_OUT_OF_RANGE = "ERR offset is out of range";
const DECREMENT_OVERFLOW = "ERR decrement would overflow";
const NAN_OR_INFINITY = "ERR increment would produce NaN or Infinity";
const LCS_NOT_STRINGS = "ERR The specified keys must contain string values";
const LCS_LEN_AND_IDX = "ERR If you want both the length and indexes, please just use IDX.";
const LCS_TOO_BIG = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";

function invalidExpireTime(command: string): CommandError {
  return new CommandError(`ERR invalid expire time in '${command}' command`);
}

/** Refuses a string that would grow past {@link MAX_STRING_LENGTH} (Redis's `checkStringLength`). */
function checkStringLength(size: number, append: number): void {
  if (size + append > MAX_STRING_LENGTH) throw new CommandError(STRING_TOO_LONG);
}

// ---------------------------------------------------------------------------
// SET / GETEX options

/** Option bits, as Redis's OBJ_SET_* flags. */
const NX = 1;
const XX = 2;
const GET = 4;
const KEEPTTL = 8;
const PERSIST = 16;
const EX = 32;
const PX = 64;
const EXAT = 128;
const PXAT = 256;
const ANY_EXPIRY = EX | PX | EXAT | PXAT;
const EXPIRY_TOKENS: ReadonlyMap<string, number> = new Map([
  ["EX", EX],
  ["PX", PX],
  ["EXAT", EXAT],
  ["PXAT", PXAT],
]);

interface StringOptions {
  readonly flags: number;
  /** The expire time argument, when EX/PX/EXAT/PXAT was given. */
  readonly expire: string | undefined;
}

/**
 * Redis's `parseExtendedStringArgumentsOrReply`: options after `from`; each
 * may repeat, but NX with XX, or two different expiry kinds, or an expiry
 * with KEEPTTL/PERSIST is a syntax error. SET takes NX, XX, GET, KEEPTTL;
 * GETEX takes PERSIST; both take EX, PX, EXAT, PXAT.
 */
function parseStringOptions(argv: readonly string[], forGetex: boolean): StringOptions {
  let flags = 0;
  let expire: string | undefined;
  for (let i = forGetex ? 2 : 3; i < argv.length; i++) {
    const word = argv[i]!;
    // Only short words can be options; upper-casing a long value would be wasted work.
    const option = word.length <= 7 ? word.toUpperCase() : "";
    const expiry = EXPIRY_TOKENS.get(option);
    if (!forGetex && option === "NX" && !(flags & XX)) {
      flags |= NX;
    } else if (!forGetex && option === "XX" && !(flags & NX)) {
      flags |= XX;
    } else if (!forGetex && option === "GET") {
      flags |= GET;
    } else if (!forGetex && option === "KEEPTTL" && !(flags & (PERSIST | ANY_EXPIRY))) {
      flags |= KEEPTTL;
    } else if (forGetex && option === "PERSIST" && !(flags & (KEEPTTL | ANY_EXPIRY))) {
      flags |= PERSIST;
    } else if (
      expiry !== undefined && i + 1 < argv.length &&
      !(flags & (KEEPTTL | PERSIST | (ANY_EXPIRY & ~expiry)))
    ) {
      flags |= expiry;
      expire = argv[++i];
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  return { flags, expire };
}

/**
 * The absolute deadline (Unix ms) for SET/GETEX's expire argument, as Redis's
 * `getExpireMillisecondsOrReply`: the time must be positive and, once made
 * absolute, fit in a signed 64-bit integer. Deadlines past 2^53 ms (the year
 * 287396) are kept as the nearest float64.
 */
function expireDeadline(text: string, flags: number, now: number, command: string): number {
  const value = integerArgument(text);
  if (value <= 0) throw invalidExpireTime(command);
  const inSeconds = (flags & (EX | EXAT)) !== 0;
  const relative = (flags & (EX | PX)) !== 0;
  if (typeof value === "number") {
    // Both terms are safe integers, so a safe result is an exact one.
    const deadline = (inSeconds ? value * 1000 : value) + (relative ? now : 0);
    if (Number.isSafeInteger(deadline)) return deadline;
  }
  let milliseconds = BigInt(value);
  if (inSeconds) {
    if (milliseconds > INT64_MAX / 1000n) throw invalidExpireTime(command);
    milliseconds *= 1000n;
  }
  if (relative) milliseconds += BigInt(now);
  if (milliseconds > INT64_MAX) throw invalidExpireTime(command);
  return Number(milliseconds);
}

interface SetRequest {
  readonly command: string;
  readonly flags: number;
  readonly expire: string | undefined;
  /** Replies when the value was stored, and when NX/XX stopped it (unless GET). */
  readonly stored: Reply;
  readonly aborted: Reply;
}

/** Redis's `setGenericCommand`, shared by SET, SETNX, SETEX and PSETEX. */
function setGeneric(
  context: CommandContext,
  argv: readonly [key: string, value: string],
  request: SetRequest,
): Reply {
  const keyspace = context.keyspace;
  const [key, value] = argv;
  const { flags } = request;
  const deadline = request.expire === undefined
    ? undefined
    : expireDeadline(request.expire, flags, keyspace.now, request.command);
  // Reading first also drops an expired key, so KEEPTTL never keeps a dead TTL.
  const existing = keyspace.get(key);
  let reply = request.stored;
  if (flags & GET) {
    if (existing !== undefined && typeof existing !== "string") {
      throw new CommandError(WRONGTYPE);
    }
    reply = bulkOrNil(existing);
  }
  if ((flags & NX && existing !== undefined) || (flags & XX && existing === undefined)) {
    return flags & GET ? reply : request.aborted;
  }
  keyspace.set(key, value, (flags & KEEPTTL) !== 0);
  notify(context, NotifyClass.string, "set", key);
  // A deadline already past deletes the key at once: the same as Redis storing it expired.
  if (deadline !== undefined) keyspace.setExpiry(key, deadline);
  if (deadline !== undefined) notify(context, NotifyClass.generic, "expire", key);
  // Redis keeps such a key until its expiry sweep reports it; here it is gone already.
  if (deadline !== undefined && deadline <= keyspace.now) {
    notify(context, NotifyClass.expired, "expired", key);
  }
  return reply;
}

function setCommand(context: CommandContext, argv: readonly string[]): Reply {
  // Plain SET is the hot path: no options, no lookup (set() drops any TTL itself).
  if (argv.length === 3) {
    context.keyspace.set(argv[1]!, argv[2]!);
    notify(context, NotifyClass.string, "set", argv[1]!);
    return OK;
  }
  const { flags, expire } = parseStringOptions(argv, false);
  return setGeneric(context, [argv[1]!, argv[2]!], {
    command: "set",
    flags,
    expire,
    stored: OK,
    aborted: NIL,
  });
}

function getexCommand(context: CommandContext, argv: readonly string[]): Reply {
  const { flags, expire } = parseStringOptions(argv, true);
  const keyspace = context.keyspace;
  const key = argv[1]!;
  const value = keyspace.getString(key);
  if (value === undefined) return NIL;
  if (expire !== undefined) {
    const deadline = expireDeadline(expire, flags, keyspace.now, "getex");
    keyspace.setExpiry(key, deadline);
    notify(context, NotifyClass.generic, deadline <= keyspace.now ? "del" : "expire", key);
  } else if (flags & PERSIST) {
    if (keyspace.persist(key)) notify(context, NotifyClass.generic, "persist", key);
  }
  return bulk(value);
}

// ---------------------------------------------------------------------------
// Integer counters

/** Redis's `incrDecrCommand`: the value must be a 64-bit integer string; the TTL is kept. */
function incrementBy(context: CommandContext, key: string, increment: number | bigint): Reply {
  const keyspace = context.keyspace;
  const current = keyspace.getString(key);
  let base: number | bigint = 0;
  if (current !== undefined) {
    const parsed = parseInteger(current);
    if (parsed === undefined) throw new CommandError(NOT_INTEGER);
    base = parsed;
  }
  const result = addInt64(base, increment);
  if (result === undefined) throw new CommandError(OVERFLOW);
  keyspace.set(key, String(result), true);
  notify(context, NotifyClass.string, "incrby", key);
  return integer(result);
}

function decrbyCommand(context: CommandContext, argv: readonly string[]): Reply {
  const decrement = integerArgument(argv[2]!);
  // -INT64_MIN does not fit in 64 bits, so Redis refuses it before looking at the key.
  if (decrement === INT64_MIN) throw new CommandError(DECREMENT_OVERFLOW);
  const increment = typeof decrement === "number" ? -decrement : normalizeInteger(-decrement);
  return incrementBy(context, argv[1]!, increment);
}

// ---------------------------------------------------------------------------
// INCRBYFLOAT

function incrbyfloatCommand(context: CommandContext, argv: readonly string[]): Reply {
  const keyspace = context.keyspace;
  const key = argv[1]!;
  const current = keyspace.getString(key);
  const base = current === undefined ? LONG_DOUBLE_ZERO : parseLongDouble(current);
  const increment = parseLongDouble(argv[2]!);
  if (base === undefined || increment === undefined) throw new CommandError(NOT_FLOAT);
  const sum = base === "infinite" || increment === "infinite"
    ? undefined
    : addLongDouble(base, increment);
  if (sum === undefined) throw new CommandError(NAN_OR_INFINITY);
  const text = formatLongDouble(sum);
  keyspace.set(key, text, true);
  notify(context, NotifyClass.string, "incrbyfloat", key);
  return bulk(text);
}

// ---------------------------------------------------------------------------
// Ranges

function getrangeCommand(context: CommandContext, argv: readonly string[]): Reply {
  let start = numberArgument(argv[2]!);
  let end = numberArgument(argv[3]!);
  const value = context.keyspace.getString(argv[1]!) ?? "";
  const length = value.length;
  // Redis's rules: both negative and reversed is empty; negatives count from the end.
  if (start < 0 && end < 0 && start > end) return bulk("");
  if (start < 0) start = Math.max(0, length + start);
  if (end < 0) end = Math.max(0, length + end);
  if (end >= length) end = length - 1;
  if (start > end || length === 0) return bulk("");
  return bulk(value.slice(start, end + 1));
}

function setrangeCommand(context: CommandContext, argv: readonly string[]): Reply {
  const offset = numberArgument(argv[2]!);
  if (offset < 0) throw new CommandError(OFFSET_OUT_OF_RANGE);
  const keyspace = context.keyspace;
  const key = argv[1]!;
  const patch = argv[3]!;
  const current = keyspace.getString(key);
  // Writing nothing never creates a key, and reports the current length.
  if (patch.length === 0) return integer(current?.length ?? 0);
  checkStringLength(offset, patch.length);
  const base = current ?? "";
  const head = base.length >= offset
    ? base.slice(0, offset)
    : base + "\0".repeat(offset - base.length);
  const updated = head + patch + base.slice(offset + patch.length);
  keyspace.set(key, updated, true);
  notify(context, NotifyClass.string, "setrange", key);
  return integer(updated.length);
}

// ---------------------------------------------------------------------------
// LCS

/**
 * Redis's `lcsCommand`: the classic dynamic-programming table, then a walk
 * back from its corner that rebuilds the subsequence and, for IDX, emits
 * the matching ranges from the last to the first.
 */
function lcsCommand(context: CommandContext, argv: readonly string[]): Reply {
  const keyspace = context.keyspace;
  const first = keyspace.get(argv[1]!);
  const second = keyspace.get(argv[2]!);
  if (
    (first !== undefined && typeof first !== "string") ||
    (second !== undefined && typeof second !== "string")
  ) {
    throw new CommandError(LCS_NOT_STRINGS);
  }
  const a = first ?? "";
  const b = second ?? "";
  let wantLength = false;
  let wantIndexes = false;
  let withMatchLength = false;
  let minMatchLength = 0;
  for (let i = 3; i < argv.length; i++) {
    const option = argv[i]!;
    if (isKeyword(option, "IDX")) {
      wantIndexes = true;
    } else if (isKeyword(option, "LEN")) {
      wantLength = true;
    } else if (isKeyword(option, "WITHMATCHLEN")) {
      withMatchLength = true;
    } else if (isKeyword(option, "MINMATCHLEN") && i + 1 < argv.length) {
      minMatchLength = Math.max(0, numberArgument(argv[++i]!));
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  if (wantIndexes && wantLength) throw new CommandError(LCS_LEN_AND_IDX);

  const aLength = a.length;
  const bLength = b.length;
  const width = bLength + 1;
  if ((aLength + 1) * width * 4 > PROTO_MAX_BULK_LEN) throw new CommandError(LCS_TOO_BIG);
  // table[i * width + j] = LCS length of a[0, i) and b[0, j).
  const table = new Uint32Array((aLength + 1) * width);
  for (let i = 1; i <= aLength; i++) {
    const code = a.charCodeAt(i - 1);
    for (let j = 1; j <= bLength; j++) {
      const at = i * width + j;
      table[at] = code === b.charCodeAt(j - 1)
        ? table[at - width - 1]! + 1
        : Math.max(table[at - width]!, table[at - 1]!);
    }
  }
  const total = table[aLength * width + bLength]!;
  if (wantLength && !wantIndexes) return integer(total);

  const result: string[] = new Array(total);
  const matches: Reply[] = [];
  let index = total;
  // aStart === aLength means "no range open", as in Redis.
  let aStart = aLength;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = aLength;
  let j = bLength;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      result[--index] = a[i - 1]!;
      if (aStart === aLength) {
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      i--;
      j--;
    } else {
      if (table[(i - 1) * width + j]! > table[i * width + j - 1]!) i--;
      else j--;
      if (aStart !== aLength) emit = true;
    }
    if (emit) {
      const matchLength = aEnd - aStart + 1;
      if (wantIndexes && (minMatchLength === 0 || matchLength >= minMatchLength)) {
        const match: Reply[] = [
          array([integer(aStart), integer(aEnd)]),
          array([integer(bStart), integer(bEnd)]),
        ];
        if (withMatchLength) match.push(integer(matchLength));
        matches.push(array(match));
      }
      aStart = aLength;
    }
  }
  if (wantIndexes) {
    return map([[bulk("matches"), array(matches)], [bulk("len"), integer(total)]]);
  }
  return bulk(result.join(""));
}

// ---------------------------------------------------------------------------
// The table

const KEY_ARGUMENT: ArgumentDoc = { name: "key", type: "key" };
const VALUE_ARGUMENT: ArgumentDoc = { name: "value", type: "string" };
const FIRST_KEY = { first: 1, last: 1, step: 1 } as const;
const ALL_KEYS = { first: 1, last: -1, step: 1 } as const;
const KEY_VALUE_PAIRS = { first: 1, last: -1, step: 2 } as const;
const KEY_VALUE_BLOCK: ArgumentDoc = {
  name: "key_value",
  type: "block",
  multiple: true,
  arguments: [KEY_ARGUMENT, VALUE_ARGUMENT],
};
const EXPIRY_ARGUMENTS: readonly ArgumentDoc[] = [
  { name: "seconds", type: "integer", token: "EX" },
  { name: "milliseconds", type: "integer", token: "PX" },
  { name: "unix-time-seconds", type: "unix-time", token: "EXAT" },
  { name: "unix-time-milliseconds", type: "unix-time", token: "PXAT" },
];

export const STRING_COMMANDS: readonly CommandSpec[] = [
  {
    name: "get",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Get the value of a key",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    // A view of the stored bytes: the wire copies them into its output, with no string between.
    handler: (context, argv) => context.keyspace.getStringView(argv[1]!) ?? NIL,
  },
  {
    name: "set",
    arity: -3,
    flags: ["write", "denyoom"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Set the string value of a key",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [
      KEY_ARGUMENT,
      VALUE_ARGUMENT,
      {
        name: "condition",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "nx", type: "pure-token", token: "NX" },
          { name: "xx", type: "pure-token", token: "XX" },
        ],
      },
      { name: "get", type: "pure-token", token: "GET", optional: true },
      {
        name: "expiration",
        type: "oneof",
        optional: true,
        arguments: [...EXPIRY_ARGUMENTS, { name: "keepttl", type: "pure-token", token: "KEEPTTL" }],
      },
    ],
    handler: setCommand,
  },
  {
    name: "setnx",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Set the value of a key, only if the key does not exist",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, VALUE_ARGUMENT],
    handler: (context, argv) =>
      setGeneric(context, [argv[1]!, argv[2]!], {
        command: "setnx",
        flags: NX,
        expire: undefined,
        stored: ONE,
        aborted: ZERO,
      }),
  },
  {
    name: "setex",
    arity: 4,
    flags: ["write", "denyoom"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Set the value and expiration of a key",
    since: "2.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, { name: "seconds", type: "integer" }, VALUE_ARGUMENT],
    handler: (context, argv) =>
      setGeneric(context, [argv[1]!, argv[3]!], {
        command: "setex",
        flags: EX,
        expire: argv[2]!,
        stored: OK,
        aborted: NIL,
      }),
  },
  {
    name: "psetex",
    arity: 4,
    flags: ["write", "denyoom"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Set the value and expiration in milliseconds of a key",
    since: "2.6.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, { name: "milliseconds", type: "integer" }, VALUE_ARGUMENT],
    handler: (context, argv) =>
      setGeneric(context, [argv[1]!, argv[3]!], {
        command: "psetex",
        flags: PX,
        expire: argv[2]!,
        stored: OK,
        aborted: NIL,
      }),
  },
  {
    name: "getset",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Set the string value of a key and return its old value",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, VALUE_ARGUMENT],
    handler(context, argv) {
      const old = context.keyspace.getString(argv[1]!);
      context.keyspace.set(argv[1]!, argv[2]!);
      notify(context, NotifyClass.string, "set", argv[1]!);
      return bulkOrNil(old);
    },
  },
  {
    name: "getdel",
    arity: 2,
    flags: ["write", "fast"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Get the value of a key and delete the key",
    since: "6.2.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    handler(context, argv) {
      const value = context.keyspace.getString(argv[1]!);
      if (value !== undefined) context.keyspace.delete(argv[1]!);
      if (value !== undefined) notify(context, NotifyClass.generic, "del", argv[1]!);
      return bulkOrNil(value);
    },
  },
  {
    name: "getex",
    arity: -2,
    flags: ["write", "fast"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Get the value of a key and optionally set its expiration",
    since: "6.2.0",
    complexity: "O(1)",
    arguments: [
      KEY_ARGUMENT,
      {
        name: "expiration",
        type: "oneof",
        optional: true,
        arguments: [...EXPIRY_ARGUMENTS, { name: "persist", type: "pure-token", token: "PERSIST" }],
      },
    ],
    handler: getexCommand,
  },
  {
    name: "mget",
    arity: -2,
    flags: ["readonly", "fast"],
    keys: ALL_KEYS,
    group: "string",
    summary: "Get the values of all the given keys",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys to retrieve.",
    arguments: [{ ...KEY_ARGUMENT, multiple: true }],
    handler(context, argv) {
      const items: Reply[] = [];
      for (let i = 1; i < argv.length; i++) {
        const value = context.keyspace.get(argv[i]!);
        items.push(typeof value === "string" ? bulk(value) : NIL);
      }
      return array(items);
    },
  },
  {
    name: "mset",
    arity: -3,
    flags: ["write", "denyoom"],
    keys: KEY_VALUE_PAIRS,
    group: "string",
    summary: "Set multiple keys to multiple values",
    since: "1.0.1",
    complexity: "O(N) where N is the number of keys to set.",
    arguments: [KEY_VALUE_BLOCK],
    handler(context, argv) {
      if (argv.length % 2 === 0) throw new CommandError(wrongArity("mset"));
      for (let i = 1; i < argv.length; i += 2) {
        context.keyspace.set(argv[i]!, argv[i + 1]!);
        notify(context, NotifyClass.string, "set", argv[i]!);
      }
      return OK;
    },
  },
  {
    name: "msetnx",
    arity: -3,
    flags: ["write", "denyoom"],
    keys: KEY_VALUE_PAIRS,
    group: "string",
    summary: "Set multiple keys to multiple values, only if none of the keys exist",
    since: "1.0.1",
    complexity: "O(N) where N is the number of keys to set.",
    arguments: [KEY_VALUE_BLOCK],
    handler(context, argv) {
      if (argv.length % 2 === 0) throw new CommandError(wrongArity("msetnx"));
      const keyspace = context.keyspace;
      for (let i = 1; i < argv.length; i += 2) {
        if (keyspace.has(argv[i]!)) return ZERO;
      }
      for (let i = 1; i < argv.length; i += 2) {
        keyspace.set(argv[i]!, argv[i + 1]!);
        notify(context, NotifyClass.string, "set", argv[i]!);
      }
      return ONE;
    },
  },
  {
    name: "incr",
    arity: 2,
    flags: ["write", "denyoom", "fast"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Increment the integer value of a key by one",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    handler: (context, argv) => incrementBy(context, argv[1]!, 1),
  },
  {
    name: "decr",
    arity: 2,
    flags: ["write", "denyoom", "fast"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Decrement the integer value of a key by one",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    handler: (context, argv) => incrementBy(context, argv[1]!, -1),
  },
  {
    name: "incrby",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Increment the integer value of a key by the given amount",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, { name: "increment", type: "integer" }],
    handler: (context, argv) => incrementBy(context, argv[1]!, integerArgument(argv[2]!)),
  },
  {
    name: "decrby",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Decrement the integer value of a key by the given number",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, { name: "decrement", type: "integer" }],
    handler: decrbyCommand,
  },
  {
    name: "incrbyfloat",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Increment the float value of a key by the given amount",
    since: "2.6.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, { name: "increment", type: "double" }],
    handler: incrbyfloatCommand,
  },
  {
    name: "append",
    arity: 3,
    flags: ["write", "denyoom", "fast"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Append a value to a key",
    since: "2.0.0",
    complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is " +
      "small and the already present value is of any size, since the dynamic string library " +
      "used by Redis will double the free space available on every reallocation.",
    arguments: [KEY_ARGUMENT, VALUE_ARGUMENT],
    handler(context, argv) {
      const keyspace = context.keyspace;
      const current = keyspace.getString(argv[1]!) ?? "";
      const suffix = argv[2]!;
      checkStringLength(current.length, suffix.length);
      // V8 concatenates into a rope in O(1); it is flattened once, when first read.
      const updated = current + suffix;
      keyspace.set(argv[1]!, updated, true);
      notify(context, NotifyClass.string, "append", argv[1]!);
      return integer(updated.length);
    },
  },
  {
    name: "strlen",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Get the length of the value stored in a key",
    since: "2.2.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    handler: (context, argv) => integer(context.keyspace.getString(argv[1]!)?.length ?? 0),
  },
  {
    name: "getrange",
    arity: 4,
    flags: ["readonly"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Get a substring of the string stored at a key",
    since: "2.4.0",
    complexity: "O(N) where N is the length of the returned string. The complexity is " +
      "ultimately determined by the returned length, but because creating a substring from an " +
      "existing string is very cheap, it can be considered O(1) for small strings.",
    arguments: [
      KEY_ARGUMENT,
      { name: "start", type: "integer" },
      { name: "end", type: "integer" },
    ],
    handler: getrangeCommand,
  },
  {
    name: "substr",
    arity: 4,
    flags: ["readonly"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Get a substring of the string stored at a key (the old name of GETRANGE)",
    since: "1.0.0",
    complexity: "O(N) where N is the length of the returned string.",
    arguments: [
      KEY_ARGUMENT,
      { name: "start", type: "integer" },
      { name: "end", type: "integer" },
    ],
    handler: getrangeCommand,
  },
  {
    name: "setrange",
    arity: 4,
    flags: ["write", "denyoom"],
    keys: FIRST_KEY,
    group: "string",
    summary: "Overwrite part of a string at key starting at the specified offset",
    since: "2.2.0",
    complexity: "O(1), not counting the time taken to copy the new string in place. Usually, " +
      "this string is very small so the amortized complexity is O(1). Otherwise, complexity is " +
      "O(M) with M being the length of the value argument.",
    arguments: [KEY_ARGUMENT, { name: "offset", type: "integer" }, VALUE_ARGUMENT],
    handler: setrangeCommand,
  },
  {
    name: "lcs",
    arity: -3,
    flags: ["readonly"],
    keys: { first: 1, last: 2, step: 1 },
    group: "string",
    summary: "Find longest common substring",
    since: "7.0.0",
    complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
    arguments: [
      { name: "key1", type: "key" },
      { name: "key2", type: "key" },
      { name: "len", type: "pure-token", token: "LEN", optional: true },
      { name: "idx", type: "pure-token", token: "IDX", optional: true },
      { name: "len", type: "integer", token: "MINMATCHLEN", optional: true },
      { name: "withmatchlen", type: "pure-token", token: "WITHMATCHLEN", optional: true },
    ],
    handler: lcsCommand,
  },
];
