/**
 * List commands: Redis 7.0's L* family without the blocking forms (those are
 * in blocking.ts), with Redis's argument order of checks and its error texts
 * (`t_list.c`).
 *
 * Every write goes through {@link Keyspace.storeCollection}, so WATCH, dirty
 * counting, blocked clients and the append-only file see it, and a list that
 * ends up empty is removed (and `del` notified), as Redis removes it.
 *
 * @module
 */
import {
  CommandError,
  COUNT_POSITIVE,
  NO_SUCH_KEY,
  NOT_POSITIVE,
  NUMKEYS_POSITIVE,
  SYNTAX,
  wrongArity,
} from "../errors.ts";
import type { Keyspace } from "../keyspace.ts";
import { List } from "../list.ts";
import { notify, notifyRemoval } from "../notify.ts";
import { NotifyClass } from "../pubsub.ts";
import {
  array,
  bulk,
  bulkArray,
  EMPTY_ARRAY,
  integer,
  NIL,
  NIL_ARRAY,
  OK,
  type Reply,
  ZERO,
} from "../reply.ts";
import { isKeyword, numberArgument } from "./arguments.ts";
import type { ArgumentDoc, CommandContext, CommandSpec } from "./types.ts";

const OUT_OF_RANGE = "ERR index out of range";
const RANK_ZERO = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the " +
  "second ... or use negative to start from the end of the list";

/** Which end of a list: LEFT is the head (index 0), RIGHT the tail. */
export type End = "LEFT" | "RIGHT";

/** The list at `key`, WRONGTYPE for another kind. */
export function listAt(keyspace: Keyspace, key: string): List | undefined {
  return keyspace.getCollection(key, List);
}

/** LEFT or RIGHT in any case, else Redis's syntax error. */
export function parseEnd(text: string): End {
  if (isKeyword(text, "LEFT")) return "LEFT";
  if (isKeyword(text, "RIGHT")) return "RIGHT";
  throw new CommandError(SYNTAX);
}

/** Redis's `getPositiveLongFromObjectOrReply`: its one message also answers a non-integer. */
function positiveArgument(text: string, message = NOT_POSITIVE): number {
  const value = numberArgument(text, message);
  if (value < 0) throw new CommandError(message);
  return value;
}

/** A count or numkeys of BLMPOP/LMPOP: at least 1, `message` otherwise (not an integer too). */
export function atLeastOne(text: string, message: string): number {
  const value = numberArgument(text, message);
  if (value < 1) throw new CommandError(message);
  return value;
}

/**
 * Keeps a list edited by a pop: notifies `lpop`/`rpop`, and `del` when it
 * emptied (storing removes the key then), as Redis's `listElementsRemoved`.
 */
export function storeAfterPop(
  context: CommandContext,
  keyspace: Keyspace,
  key: string,
  list: List,
  end: End,
): void {
  keyspace.storeCollection(key, list);
  notifyRemoval(context, NotifyClass.list, end === "LEFT" ? "lpop" : "rpop", key);
}

/** Pops up to `count` elements from one end, in pop order. */
export function popElements(list: List, end: End, count: number): string[] {
  const popped: string[] = [];
  for (let i = 0; i < count && list.size > 0; i++) {
    popped.push(end === "LEFT" ? list.popFront()! : list.popBack()!);
  }
  return popped;
}

/**
 * LMOVE's work once the source is known to hold elements: checks the
 * destination's type before anything moves, pops, pushes, notifies
 * (destination first, as Redis) and replies the element.
 */
export function moveElement(
  context: CommandContext,
  keyspace: Keyspace,
  source: List,
  keys: { from: string; to: string },
  ends: { from: End; to: End },
): Reply {
  const destination = listAt(keyspace, keys.to) ?? new List();
  const value = ends.from === "LEFT" ? source.popFront()! : source.popBack()!;
  if (ends.to === "LEFT") destination.pushFront(value);
  else destination.pushBack(value);
  keyspace.storeCollection(keys.to, destination);
  notify(context, NotifyClass.list, ends.to === "LEFT" ? "lpush" : "rpush", keys.to);
  storeAfterPop(context, keyspace, keys.from, source, ends.from);
  return bulk(value);
}

/** LPUSH, RPUSH, LPUSHX, RPUSHX. */
function pushCommand(
  context: CommandContext,
  argv: readonly string[],
  end: End,
  onlyExisting: boolean,
): Reply {
  const { keyspace } = context;
  const key = argv[1]!;
  let list = listAt(keyspace, key);
  if (list === undefined) {
    if (onlyExisting) return ZERO;
    list = new List();
  }
  for (let i = 2; i < argv.length; i++) {
    if (end === "LEFT") list.pushFront(argv[i]!);
    else list.pushBack(argv[i]!);
  }
  keyspace.storeCollection(key, list);
  notify(context, NotifyClass.list, end === "LEFT" ? "lpush" : "rpush", key);
  return integer(list.size);
}

/** LPOP and RPOP, with the optional count. */
function popCommand(context: CommandContext, argv: readonly string[], end: End): Reply {
  if (argv.length > 3) throw new CommandError(wrongArity(argv[0]!));
  const counted = argv.length === 3;
  const count = counted ? positiveArgument(argv[2]!) : 1;
  const { keyspace } = context;
  const key = argv[1]!;
  const list = listAt(keyspace, key);
  if (list === undefined) return counted ? NIL_ARRAY : NIL;
  if (counted && count === 0) return EMPTY_ARRAY;
  const popped = popElements(list, end, count);
  storeAfterPop(context, keyspace, key, list, end);
  return counted ? bulkArray(popped) : bulk(popped[0]!);
}

/**
 * Redis's range arithmetic (`addListRangeReply`, LTRIM): negative indexes
 * count from the end; [start, stop] clamped to the list, or undefined when empty.
 */
export function clampListRange(
  start: number,
  stop: number,
  length: number,
): [number, number] | undefined {
  if (start < 0) start += length;
  if (stop < 0) stop += length;
  if (start < 0) start = 0;
  if (start > stop || start >= length) return undefined;
  if (stop >= length) stop = length - 1;
  return [start, stop];
}

function rangeCommand(context: CommandContext, argv: readonly string[]): Reply {
  const start = numberArgument(argv[2]!);
  const stop = numberArgument(argv[3]!);
  const list = listAt(context.keyspace, argv[1]!);
  if (list === undefined) return EMPTY_ARRAY;
  const range = clampListRange(start, stop, list.size);
  return range === undefined ? EMPTY_ARRAY : bulkArray(list.slice(range[0], range[1]));
}

function indexCommand(context: CommandContext, argv: readonly string[]): Reply {
  const list = listAt(context.keyspace, argv[1]!);
  if (list === undefined) return NIL;
  let index = numberArgument(argv[2]!);
  if (index < 0) index += list.size;
  const value = list.at(index);
  return value === undefined ? NIL : bulk(value);
}

function setCommand(context: CommandContext, argv: readonly string[]): Reply {
  const { keyspace } = context;
  const key = argv[1]!;
  const list = listAt(keyspace, key);
  if (list === undefined) throw new CommandError(NO_SUCH_KEY);
  let index = numberArgument(argv[2]!);
  if (index < 0) index += list.size;
  if (index < 0 || index >= list.size) throw new CommandError(OUT_OF_RANGE);
  list.set(index, argv[3]!);
  keyspace.storeCollection(key, list);
  notify(context, NotifyClass.list, "lset", key);
  return OK;
}

function insertCommand(context: CommandContext, argv: readonly string[]): Reply {
  let after: boolean;
  if (isKeyword(argv[2], "AFTER")) after = true;
  else if (isKeyword(argv[2], "BEFORE")) after = false;
  else throw new CommandError(SYNTAX);
  const { keyspace } = context;
  const key = argv[1]!;
  const list = listAt(keyspace, key);
  if (list === undefined) return ZERO;
  const pivot = argv[3]!;
  let index = 0;
  for (const element of list.values()) {
    if (element === pivot) break;
    index++;
  }
  if (index === list.size) return integer(-1);
  list.insertAt(after ? index + 1 : index, argv[4]!);
  keyspace.storeCollection(key, list);
  notify(context, NotifyClass.list, "linsert", key);
  return integer(list.size);
}

function removeCommand(context: CommandContext, argv: readonly string[]): Reply {
  const count = numberArgument(argv[2]!);
  const { keyspace } = context;
  const key = argv[1]!;
  const list = listAt(keyspace, key);
  if (list === undefined) return ZERO;
  const removed = list.remove(argv[3]!, count);
  if (removed > 0) {
    keyspace.storeCollection(key, list);
    notifyRemoval(context, NotifyClass.list, "lrem", key);
  }
  return integer(removed);
}

function trimCommand(context: CommandContext, argv: readonly string[]): Reply {
  const start = numberArgument(argv[2]!);
  const stop = numberArgument(argv[3]!);
  const { keyspace } = context;
  const key = argv[1]!;
  const list = listAt(keyspace, key);
  if (list === undefined) return OK;
  const range = clampListRange(start, stop, list.size);
  if (range === undefined) list.trim(1, 0);
  else list.trim(range[0], range[1]);
  keyspace.storeCollection(key, list);
  notifyRemoval(context, NotifyClass.list, "ltrim", key);
  return OK;
}

/** LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]. */
function positionCommand(context: CommandContext, argv: readonly string[]): Reply {
  let rank = 1;
  let count = -1;
  let maxLength = 0;
  for (let i = 3; i < argv.length; i++) {
    const more = i + 1 < argv.length;
    if (isKeyword(argv[i], "RANK") && more) {
      rank = numberArgument(argv[++i]!);
      if (rank === 0) throw new CommandError(RANK_ZERO);
    } else if (isKeyword(argv[i], "COUNT") && more) {
      count = positiveArgument(argv[++i]!, "ERR COUNT can't be negative");
    } else if (isKeyword(argv[i], "MAXLEN") && more) {
      maxLength = positiveArgument(argv[++i]!, "ERR MAXLEN can't be negative");
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  const list = listAt(context.keyspace, argv[1]!);
  if (list === undefined) return count === -1 ? NIL : EMPTY_ARRAY;
  const element = argv[2]!;
  const fromTail = rank < 0;
  // Redis negates RANK in a `long`: -2^63 stays negative, so every match qualifies.
  const skip = rank === -(2 ** 63) ? 0 : Math.abs(rank) - 1;
  const size = list.size;
  const limit = maxLength === 0 ? size : Math.min(size, maxLength);
  const found: Reply[] = [];
  let matches = 0;
  for (let step = 0; step < limit; step++) {
    const index = fromTail ? size - 1 - step : step;
    if (list.at(index) !== element) continue;
    if (matches++ < skip) continue;
    if (count === -1) return integer(index);
    found.push(integer(index));
    if (count !== 0 && found.length >= count) break;
  }
  return count === -1 ? NIL : array(found);
}

function moveCommand(context: CommandContext, argv: readonly string[], ends: {
  from: End;
  to: End;
}): Reply {
  const { keyspace } = context;
  const source = listAt(keyspace, argv[1]!);
  if (source === undefined) return NIL;
  return moveElement(context, keyspace, source, { from: argv[1]!, to: argv[2]! }, ends);
}

/** The parsed tail of LMPOP/BLMPOP: the keys, the end and the count. */
export interface MultiPopRequest {
  readonly keys: readonly string[];
  readonly end: End;
  readonly count: number;
}

/** `numkeys key [key …] LEFT|RIGHT [COUNT count]` from `argv[at]`, as Redis's `lmpopGenericCommand`. */
export function parseMultiPop(argv: readonly string[], at: number): MultiPopRequest {
  const keyCount = atLeastOne(argv[at]!, NUMKEYS_POSITIVE);
  const whereIndex = at + 1 + keyCount;
  if (whereIndex >= argv.length) throw new CommandError(SYNTAX);
  const end = parseEnd(argv[whereIndex]!);
  let count: number | undefined;
  for (let i = whereIndex + 1; i < argv.length; i++) {
    if (count !== undefined || !isKeyword(argv[i], "COUNT") || i + 1 >= argv.length) {
      throw new CommandError(SYNTAX);
    }
    count = atLeastOne(argv[++i]!, COUNT_POSITIVE);
  }
  return { keys: argv.slice(at + 1, whereIndex), end, count: count ?? 1 };
}

/**
 * Pops up to `count` from `key`'s list for LMPOP/BLMPOP: replies [key,
 * elements] and has the command logged as `LPOP key n` / `RPOP key n`.
 */
export function multiPopFrom(
  context: CommandContext,
  keyspace: Keyspace,
  key: string,
  list: List,
  request: MultiPopRequest,
): { reply: Reply; propagated: string[] } {
  const popped = popElements(list, request.end, request.count);
  storeAfterPop(context, keyspace, key, list, request.end);
  return {
    reply: array([bulk(key), bulkArray(popped)]),
    propagated: [request.end === "LEFT" ? "LPOP" : "RPOP", key, String(popped.length)],
  };
}

function multiPopCommand(context: CommandContext, argv: readonly string[]): Reply {
  const request = parseMultiPop(argv, 1);
  const { keyspace } = context;
  for (const key of request.keys) {
    const list = listAt(keyspace, key);
    if (list === undefined) continue;
    const { reply, propagated } = multiPopFrom(context, keyspace, key, list, request);
    context.session.propagateAs = [propagated];
    return reply;
  }
  return NIL_ARRAY;
}

const KEY = { first: 1, last: 1, step: 1 } as const;
const KEY_ARGUMENT: ArgumentDoc = { name: "key", type: "key" };
const ELEMENTS: ArgumentDoc = { name: "element", type: "string", multiple: true };
const COUNT_OPTION: ArgumentDoc = { name: "count", type: "integer", optional: true };
export const WHERE_ARGUMENT = (name: string): ArgumentDoc => ({
  name,
  type: "oneof",
  arguments: [
    { name: "left", type: "pure-token", token: "LEFT" },
    { name: "right", type: "pure-token", token: "RIGHT" },
  ],
});

function pushSpec(name: string, end: End, onlyExisting: boolean): CommandSpec {
  const side = end === "LEFT" ? "Prepend" : "Append";
  return {
    name,
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keys: KEY,
    group: "list",
    summary: onlyExisting
      ? `${side} an element to a list, only if the list exists`
      : `${side} one or multiple elements to a list`,
    since: onlyExisting ? "2.2.0" : "1.0.0",
    complexity:
      "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    arguments: [KEY_ARGUMENT, ELEMENTS],
    handler(context, argv) {
      return pushCommand(context, argv, end, onlyExisting);
    },
  };
}

function popSpec(name: string, end: End): CommandSpec {
  return {
    name,
    arity: -2,
    flags: ["write", "fast"],
    keys: KEY,
    group: "list",
    summary: `Remove and get the ${end === "LEFT" ? "first" : "last"} elements in a list`,
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements returned",
    arguments: [KEY_ARGUMENT, COUNT_OPTION],
    handler(context, argv) {
      return popCommand(context, argv, end);
    },
  };
}

export const LIST_COMMANDS: readonly CommandSpec[] = [
  pushSpec("lpush", "LEFT", false),
  pushSpec("rpush", "RIGHT", false),
  pushSpec("lpushx", "LEFT", true),
  pushSpec("rpushx", "RIGHT", true),
  popSpec("lpop", "LEFT"),
  popSpec("rpop", "RIGHT"),
  {
    name: "llen",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "list",
    summary: "Get the length of a list",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    handler(context, argv) {
      return integer(listAt(context.keyspace, argv[1]!)?.size ?? 0);
    },
  },
  {
    name: "lrange",
    arity: 4,
    flags: ["readonly"],
    keys: KEY,
    group: "list",
    summary: "Get a range of elements from a list",
    since: "1.0.0",
    complexity:
      "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
    arguments: [KEY_ARGUMENT, { name: "start", type: "integer" }, {
      name: "stop",
      type: "integer",
    }],
    handler: rangeCommand,
  },
  {
    name: "lindex",
    arity: 3,
    flags: ["readonly"],
    keys: KEY,
    group: "list",
    summary: "Get an element from a list by its index",
    since: "1.0.0",
    complexity:
      "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
    arguments: [KEY_ARGUMENT, { name: "index", type: "integer" }],
    handler: indexCommand,
  },
  {
    name: "lset",
    arity: 4,
    flags: ["write", "denyoom"],
    keys: KEY,
    group: "list",
    summary: "Set the value of an element in a list by its index",
    since: "1.0.0",
    complexity:
      "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
    arguments: [KEY_ARGUMENT, { name: "index", type: "integer" }, {
      name: "element",
      type: "string",
    }],
    handler: setCommand,
  },
  {
    name: "linsert",
    arity: 5,
    flags: ["write", "denyoom"],
    keys: KEY,
    group: "list",
    summary: "Insert an element before or after another element in a list",
    since: "2.2.0",
    complexity:
      "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
    arguments: [
      KEY_ARGUMENT,
      {
        name: "where",
        type: "oneof",
        arguments: [
          { name: "before", type: "pure-token", token: "BEFORE" },
          { name: "after", type: "pure-token", token: "AFTER" },
        ],
      },
      { name: "pivot", type: "string" },
      { name: "element", type: "string" },
    ],
    handler: insertCommand,
  },
  {
    name: "lrem",
    arity: 4,
    flags: ["write"],
    keys: KEY,
    group: "list",
    summary: "Remove elements from a list",
    since: "1.0.0",
    complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
    arguments: [KEY_ARGUMENT, { name: "count", type: "integer" }, {
      name: "element",
      type: "string",
    }],
    handler: removeCommand,
  },
  {
    name: "ltrim",
    arity: 4,
    flags: ["write"],
    keys: KEY,
    group: "list",
    summary: "Trim a list to the specified range",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements to be removed by the operation.",
    arguments: [KEY_ARGUMENT, { name: "start", type: "integer" }, {
      name: "stop",
      type: "integer",
    }],
    handler: trimCommand,
  },
  {
    name: "lpos",
    arity: -3,
    flags: ["readonly"],
    keys: KEY,
    group: "list",
    summary: "Return the index of matching elements on a list",
    since: "6.0.6",
    complexity:
      "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
    arguments: [
      KEY_ARGUMENT,
      { name: "element", type: "string" },
      { name: "rank", type: "integer", token: "RANK", optional: true },
      { name: "num-matches", type: "integer", token: "COUNT", optional: true },
      { name: "len", type: "integer", token: "MAXLEN", optional: true },
    ],
    handler: positionCommand,
  },
  {
    name: "lmove",
    arity: 5,
    flags: ["write", "denyoom"],
    keys: { first: 1, last: 2, step: 1 },
    group: "list",
    summary: "Pop an element from a list, push it to another list and return it",
    since: "6.2.0",
    complexity: "O(1)",
    arguments: [
      { name: "source", type: "key" },
      { name: "destination", type: "key" },
      WHERE_ARGUMENT("wherefrom"),
      WHERE_ARGUMENT("whereto"),
    ],
    handler(context, argv) {
      return moveCommand(context, argv, { from: parseEnd(argv[3]!), to: parseEnd(argv[4]!) });
    },
  },
  {
    name: "rpoplpush",
    arity: 3,
    flags: ["write", "denyoom"],
    keys: { first: 1, last: 2, step: 1 },
    group: "list",
    summary: "Remove the last element in a list, prepend it to another list and return it",
    since: "1.2.0",
    complexity: "O(1)",
    arguments: [{ name: "source", type: "key" }, { name: "destination", type: "key" }],
    handler(context, argv) {
      return moveCommand(context, argv, { from: "RIGHT", to: "LEFT" });
    },
  },
  {
    name: "lmpop",
    arity: -4,
    flags: ["write"],
    group: "list",
    summary: "Pop elements from a list",
    since: "7.0.0",
    complexity:
      "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
    arguments: [
      { name: "numkeys", type: "integer" },
      { name: "key", type: "key", multiple: true },
      WHERE_ARGUMENT("where"),
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: multiPopCommand,
  },
];
