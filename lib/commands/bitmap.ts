/**
 * Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS,
 * BITOP, BITFIELD and BITFIELD_RO, with Redis 7.0's replies, error texts
 * and checking order (arguments, then the key's type).
 *
 * Strings are the keyspace's one-byte strings (read with `getString`,
 * stored with `set`), so a write builds the new string from the untouched
 * head and tail around the bytes it changed ({@link spliceBytes}); the
 * counting and searching live in lib/bitmap.ts, the field arithmetic in
 * lib/bitfield.ts. Writes keep the key's TTL, as Redis edits in place;
 * BITOP's destination is stored anew (no TTL), or deleted when the result
 * is empty.
 *
 * The longest bitmap is the longest string (strings.ts's
 * {@link MAX_STRING_LENGTH}, Redis's 512 MiB `proto-max-bulk-len` within
 * V8's limit): a bit offset at or past it is refused with Redis's
 * "bit offset is not an integer or out of range".
 *
 * @module
 */
import { type BitOperation, combineBits, countBits, findBit, resolveBitRange } from "../bitmap.ts";
import {
  checkOverflow,
  type FieldType,
  type OverflowPolicy,
  parseFieldType,
  readField,
  writeField,
} from "../bitfield.ts";
import { bytesToString, stringToBytes } from "../bytes.ts";
import { CommandError, NOT_INTEGER, SYNTAX } from "../errors.ts";
import { notify } from "../notify.ts";
import { normalizeInteger, parseInteger } from "../numbers.ts";
import { NotifyClass } from "../pubsub.ts";
import { array, integer, NIL, ONE, type Reply, ZERO } from "../reply.ts";
import { integerArgument, isKeyword } from "./arguments.ts";
import { MAX_STRING_LENGTH } from "./strings.ts";
import type { ArgumentDoc, CommandContext, CommandSpec } from "./types.ts";

const BAD_OFFSET = "ERR bit offset is not an integer or out of range";
const BAD_BIT_VALUE = "ERR bit is not an integer or out of range";
const BAD_BITPOS_BIT = "ERR The bit argument must be 1 or 0.";
const BITOP_NOT_ONE_KEY = "ERR BITOP NOT must be called with a single source key.";
const BAD_FIELD_TYPE =
  "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";
const BAD_OVERFLOW = "ERR Invalid OVERFLOW type specified";
const READONLY_BITFIELD = "ERR BITFIELD_RO only supports the GET subcommand";

/**
 * A bit offset argument (Redis's `getBitOffsetFromArgument`). With
 * `fieldBits`, `#N` means the N-th field of that width: N × bits, wrapping
 * as Redis's 64-bit multiplication does.
 */
function bitOffsetArgument(text: string, fieldBits?: number): number {
  const indexed = fieldBits !== undefined && text.startsWith("#");
  const parsed = parseInteger(indexed ? text.slice(1) : text);
  if (parsed === undefined) throw new CommandError(BAD_OFFSET);
  // The common case (a plain offset that is a safe integer) needs no bigint.
  if (!indexed && typeof parsed === "number") {
    if (parsed < 0 || Math.floor(parsed / 8) >= MAX_STRING_LENGTH) {
      throw new CommandError(BAD_OFFSET);
    }
    return parsed;
  }
  const offset = indexed ? BigInt.asIntN(64, BigInt(parsed) * BigInt(fieldBits)) : BigInt(parsed);
  if (offset < 0n || offset >> 3n >= BigInt(MAX_STRING_LENGTH)) {
    throw new CommandError(BAD_OFFSET);
  }
  return Number(offset);
}

/**
 * `value` with `patch` written at byte `start`, zero-padded when `start`
 * lies past its end: the untouched head and tail are sliced, not copied
 * byte by byte.
 */
function spliceBytes(value: string, start: number, patch: string): string {
  if (start >= value.length) return value + "\0".repeat(start - value.length) + patch;
  return value.slice(0, start) + patch + value.slice(start + patch.length);
}

// ---------------------------------------------------------------------------
// SETBIT / GETBIT

function setbitCommand(context: CommandContext, argv: readonly string[]): Reply {
  const offset = bitOffsetArgument(argv[2]!);
  const on = parseInteger(argv[3]!);
  if (on !== 0 && on !== 1) throw new CommandError(BAD_BIT_VALUE);
  const keyspace = context.keyspace;
  const key = argv[1]!;
  const current = keyspace.getString(key);
  const byteIndex = Math.floor(offset / 8);
  const value = current ?? "";
  const byte = byteIndex < value.length ? value.charCodeAt(byteIndex) : 0;
  const mask = 1 << (7 - (offset % 8));
  const previous = (byte & mask) === 0 ? 0 : 1;
  // Redis writes (and notifies) when the key is new, grows, or the bit changes.
  if (current === undefined || byteIndex >= value.length || previous !== on) {
    const updated = on === 1 ? byte | mask : byte & ~mask;
    keyspace.set(key, spliceBytes(value, byteIndex, String.fromCharCode(updated)), true);
    notify(context, NotifyClass.string, "setbit", key);
  }
  return previous === 1 ? ONE : ZERO;
}

function getbitCommand(context: CommandContext, argv: readonly string[]): Reply {
  const offset = bitOffsetArgument(argv[2]!);
  const value = context.keyspace.getString(argv[1]!);
  if (value === undefined) return ZERO;
  const byteIndex = Math.floor(offset / 8);
  if (byteIndex >= value.length) return ZERO;
  return (value.charCodeAt(byteIndex) >> (7 - (offset % 8))) & 1 ? ONE : ZERO;
}

// ---------------------------------------------------------------------------
// BITCOUNT / BITPOS

/** BYTE or BIT, as the optional last word of BITCOUNT and BITPOS. */
function rangeUnit(text: string): "BYTE" | "BIT" {
  if (isKeyword(text, "BIT")) return "BIT";
  if (isKeyword(text, "BYTE")) return "BYTE";
  throw new CommandError(SYNTAX);
}

function bitcountCommand(context: CommandContext, argv: readonly string[]): Reply {
  // Redis looks the key up first: a missing key is 0 whatever the arguments say.
  const value = context.keyspace.getString(argv[1]!);
  if (value === undefined) return ZERO;
  if (argv.length === 2) {
    return integer(countBits(value, resolveBitRange(value.length, 0, undefined, "BYTE")));
  }
  if (argv.length !== 4 && argv.length !== 5) throw new CommandError(SYNTAX);
  const start = integerArgument(argv[2]!);
  const end = integerArgument(argv[3]!);
  // Both negative and reversed is empty before anything else (mixed number/bigint compare is exact).
  if (start < 0 && end < 0 && start > end) return ZERO;
  const unit = argv.length === 5 ? rangeUnit(argv[4]!) : "BYTE";
  return integer(countBits(value, resolveBitRange(value.length, Number(start), Number(end), unit)));
}

function bitposCommand(context: CommandContext, argv: readonly string[]): Reply {
  const bit = integerArgument(argv[2]!);
  if (bit !== 0 && bit !== 1) throw new CommandError(BAD_BITPOS_BIT);
  // A missing key is an endless run of zeros.
  const value = context.keyspace.getString(argv[1]!);
  if (value === undefined) return integer(bit === 1 ? -1 : 0);
  if (argv.length > 6) throw new CommandError(SYNTAX);
  let start = 0;
  let end: number | undefined;
  let unit: "BYTE" | "BIT" = "BYTE";
  if (argv.length >= 4) {
    start = Number(integerArgument(argv[3]!));
    // Redis reads the unit before the end.
    if (argv.length === 6) unit = rangeUnit(argv[5]!);
    if (argv.length >= 5) end = Number(integerArgument(argv[4]!));
  }
  const range = resolveBitRange(value.length, start, end, unit);
  return integer(findBit(value, bit === 1 ? 1 : 0, range, end === undefined));
}

// ---------------------------------------------------------------------------
// BITOP

const BIT_OPERATIONS: readonly BitOperation[] = ["AND", "OR", "XOR", "NOT"];

function bitopCommand(context: CommandContext, argv: readonly string[]): Reply {
  const operation = BIT_OPERATIONS.find((name) => isKeyword(argv[1], name));
  if (operation === undefined) throw new CommandError(SYNTAX);
  if (operation === "NOT" && argv.length !== 4) throw new CommandError(BITOP_NOT_ONE_KEY);
  const keyspace = context.keyspace;
  const sources = argv.slice(3).map((key) => keyspace.getString(key) ?? "");
  const result = combineBits(operation, sources);
  const destination = argv[2]!;
  if (result.length > 0) {
    keyspace.set(destination, bytesToString(result));
    notify(context, NotifyClass.string, "set", destination);
  } else if (keyspace.delete(destination)) {
    notify(context, NotifyClass.generic, "del", destination);
  }
  return integer(result.length);
}

// ---------------------------------------------------------------------------
// BITFIELD

/** One parsed BITFIELD operation. */
interface FieldOperation {
  readonly kind: "GET" | "SET" | "INCRBY";
  readonly type: FieldType;
  readonly offset: number;
  /** SET's value or INCRBY's increment (signed 64-bit). */
  readonly value: bigint;
  readonly overflow: OverflowPolicy;
}

const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ["WRAP", "SAT", "FAIL"];

/** Redis's parsing loop in `bitfieldGeneric`: every error is found before the key is read. */
function parseFieldOperations(argv: readonly string[]): FieldOperation[] {
  const operations: FieldOperation[] = [];
  let overflow: OverflowPolicy = "WRAP";
  for (let index = 2; index < argv.length; index++) {
    const word = argv[index]!;
    const remaining = argv.length - index - 1;
    let kind: FieldOperation["kind"];
    if (isKeyword(word, "GET") && remaining >= 2) kind = "GET";
    else if (isKeyword(word, "SET") && remaining >= 3) kind = "SET";
    else if (isKeyword(word, "INCRBY") && remaining >= 3) kind = "INCRBY";
    else if (isKeyword(word, "OVERFLOW") && remaining >= 1) {
      const policy = OVERFLOW_POLICIES.find((name) => isKeyword(argv[index + 1], name));
      if (policy === undefined) throw new CommandError(BAD_OVERFLOW);
      overflow = policy;
      index++;
      continue;
    } else {
      throw new CommandError(SYNTAX);
    }
    const type = parseFieldType(argv[index + 1]!);
    if (type === undefined) throw new CommandError(BAD_FIELD_TYPE);
    const offset = bitOffsetArgument(argv[index + 2]!, type.bits);
    const value = kind === "GET" ? 0n : BigInt(integerArgument(argv[index + 3]!, NOT_INTEGER));
    operations.push({ kind, type, offset, value, overflow });
    index += kind === "GET" ? 2 : 3;
  }
  return operations;
}

/**
 * BITFIELD and BITFIELD_RO. Writes go to a copy of the bytes they reach
 * (from the lowest to the highest written byte), spliced back once at the
 * end; a GET reads its at most nine bytes from that copy where it covers
 * them and from the string elsewhere, so far-apart GETs copy nothing.
 */
function bitfieldCommand(
  context: CommandContext,
  argv: readonly string[],
  readOnly: boolean,
): Reply {
  const operations = parseFieldOperations(argv);
  const writes = operations.some((operation) => operation.kind !== "GET");
  if (writes && readOnly) throw new CommandError(READONLY_BITFIELD);
  const keyspace = context.keyspace;
  const key = argv[1]!;
  const current = keyspace.getString(key);
  const value = current ?? "";
  let firstWritten = Infinity;
  let lastWritten = -1;
  for (const { kind, type, offset } of operations) {
    if (kind === "GET") continue;
    firstWritten = Math.min(firstWritten, Math.floor(offset / 8));
    lastWritten = Math.max(lastWritten, Math.floor((offset + type.bits - 1) / 8));
  }
  if (lastWritten >= MAX_STRING_LENGTH) throw new CommandError(BAD_OFFSET);
  const window = new Uint8Array(writes ? lastWritten - firstWritten + 1 : 0);
  if (writes && firstWritten < value.length) {
    window.set(stringToBytes(value.slice(firstWritten, Math.min(value.length, lastWritten + 1))));
  }
  /** The bytes under a field, as they stand after the operations before it. */
  const fieldBytes = (offset: number, bits: number): Uint8Array => {
    const first = Math.floor(offset / 8);
    const bytes = new Uint8Array(Math.floor((offset + bits - 1) / 8) - first + 1);
    for (let i = 0; i < bytes.length; i++) {
      const index = first + i;
      bytes[i] = index >= firstWritten && index <= lastWritten
        ? window[index - firstWritten]!
        : index < value.length
        ? value.charCodeAt(index)
        : 0;
    }
    return bytes;
  };
  // A write that creates the key or grows the string counts as a change even when no bit moves.
  const grows = writes && (current === undefined || lastWritten >= value.length);
  let changes = 0;
  const replies: Reply[] = [];
  for (const operation of operations) {
    const { type, offset } = operation;
    const old = readField(fieldBytes(offset, type.bits), type, offset % 8);
    if (operation.kind === "GET") {
      replies.push(integer(normalizeInteger(old)));
      continue;
    }
    const increment = operation.kind === "INCRBY";
    const { result } = increment
      ? checkOverflow(type, old, operation.value, operation.overflow)
      : checkOverflow(type, operation.value, 0n, operation.overflow);
    // OVERFLOW FAIL: nothing written, nil replied.
    if (result === undefined) {
      replies.push(NIL);
      continue;
    }
    writeField(window, type, offset - firstWritten * 8, result);
    replies.push(integer(normalizeInteger(increment ? result : old)));
    if (grows || result !== old) changes++;
  }
  if (writes) {
    if (grows || changes > 0) {
      keyspace.set(key, spliceBytes(value, firstWritten, bytesToString(window)), true);
    }
    if (changes > 0) notify(context, NotifyClass.string, "setbit", key);
  }
  return array(replies);
}

// ---------------------------------------------------------------------------
// The table

const KEY_ARGUMENT: ArgumentDoc = { name: "key", type: "key" };
const FIRST_KEY = { first: 1, last: 1, step: 1 } as const;
const RANGE_UNIT: ArgumentDoc = {
  name: "unit",
  type: "oneof",
  optional: true,
  arguments: [
    { name: "byte", type: "pure-token", token: "BYTE" },
    { name: "bit", type: "pure-token", token: "BIT" },
  ],
};
const FIELD_ENCODING: ArgumentDoc = { name: "encoding", type: "string" };
const FIELD_OFFSET: ArgumentDoc = { name: "offset", type: "integer" };

export const BITMAP_COMMANDS: readonly CommandSpec[] = [
  {
    name: "setbit",
    arity: 4,
    flags: ["write", "denyoom"],
    keys: FIRST_KEY,
    group: "bitmap",
    summary: "Sets or clears the bit at offset in the string value stored at key",
    since: "2.2.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, { name: "offset", type: "integer" }, {
      name: "value",
      type: "integer",
    }],
    handler: setbitCommand,
  },
  {
    name: "getbit",
    arity: 3,
    flags: ["readonly", "fast"],
    keys: FIRST_KEY,
    group: "bitmap",
    summary: "Returns the bit value at offset in the string value stored at key",
    since: "2.2.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, { name: "offset", type: "integer" }],
    handler: getbitCommand,
  },
  {
    name: "bitcount",
    arity: -2,
    flags: ["readonly"],
    keys: FIRST_KEY,
    group: "bitmap",
    summary: "Count set bits in a string",
    since: "2.6.0",
    complexity: "O(N)",
    arguments: [KEY_ARGUMENT, {
      name: "index",
      type: "block",
      optional: true,
      arguments: [
        { name: "start", type: "integer" },
        { name: "end", type: "integer" },
        RANGE_UNIT,
      ],
    }],
    handler: bitcountCommand,
  },
  {
    name: "bitpos",
    arity: -3,
    flags: ["readonly"],
    keys: FIRST_KEY,
    group: "bitmap",
    summary: "Find first bit set or clear in a string",
    since: "2.8.7",
    complexity: "O(N)",
    arguments: [KEY_ARGUMENT, { name: "bit", type: "integer" }, {
      name: "index",
      type: "block",
      optional: true,
      arguments: [
        { name: "start", type: "integer" },
        {
          name: "end_index",
          type: "block",
          optional: true,
          arguments: [{ name: "end", type: "integer" }, RANGE_UNIT],
        },
      ],
    }],
    handler: bitposCommand,
  },
  {
    name: "bitop",
    arity: -4,
    flags: ["write", "denyoom"],
    keys: { first: 2, last: -1, step: 1 },
    group: "bitmap",
    summary: "Perform bitwise operations between strings",
    since: "2.6.0",
    complexity: "O(N)",
    arguments: [
      { name: "operation", type: "string" },
      { name: "destkey", type: "key" },
      { name: "key", type: "key", multiple: true },
    ],
    handler: bitopCommand,
  },
  {
    name: "bitfield",
    arity: -2,
    flags: ["write", "denyoom"],
    keys: FIRST_KEY,
    group: "bitmap",
    summary: "Perform arbitrary bitfield integer operations on strings",
    since: "3.2.0",
    complexity: "O(1) for each subcommand specified",
    arguments: [KEY_ARGUMENT, {
      name: "operation",
      type: "oneof",
      optional: true,
      multiple: true,
      arguments: [
        {
          name: "encoding_offset",
          type: "block",
          token: "GET",
          arguments: [FIELD_ENCODING, FIELD_OFFSET],
        },
        {
          name: "write",
          type: "block",
          arguments: [
            {
              name: "wrap_sat_fail",
              type: "oneof",
              token: "OVERFLOW",
              optional: true,
              arguments: [
                { name: "wrap", type: "pure-token", token: "WRAP" },
                { name: "sat", type: "pure-token", token: "SAT" },
                { name: "fail", type: "pure-token", token: "FAIL" },
              ],
            },
            {
              name: "write_operation",
              type: "oneof",
              arguments: [
                {
                  name: "encoding_offset_value",
                  type: "block",
                  token: "SET",
                  arguments: [FIELD_ENCODING, FIELD_OFFSET, { name: "value", type: "integer" }],
                },
                {
                  name: "encoding_offset_increment",
                  type: "block",
                  token: "INCRBY",
                  arguments: [FIELD_ENCODING, FIELD_OFFSET, { name: "increment", type: "integer" }],
                },
              ],
            },
          ],
        },
      ],
    }],
    handler: (context, argv) => bitfieldCommand(context, argv, false),
  },
  {
    name: "bitfield_ro",
    arity: -2,
    flags: ["readonly", "fast"],
    keys: FIRST_KEY,
    group: "bitmap",
    summary:
      "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
    since: "6.0.0",
    complexity: "O(1) for each subcommand specified",
    arguments: [KEY_ARGUMENT, {
      name: "encoding_offset",
      type: "block",
      token: "GET",
      optional: true,
      multiple: true,
      arguments: [FIELD_ENCODING, FIELD_OFFSET],
    }],
    handler: (context, argv) => bitfieldCommand(context, argv, true),
  },
];
