/**
 * Stream commands without consumer groups: XADD, XLEN, XRANGE, XREVRANGE,
 * XDEL, XTRIM, XSETID and XREAD (BLOCK included), transcribed from Redis
 * 7.0's `t_stream.c` for replies, error texts, checking order, keyspace
 * events and propagation. XREADGROUP and the group commands are in
 * lib/commands/stream_group.ts; the shared pieces (ID arguments, entry
 * replies, the blocking read) are exported from here.
 *
 * Propagation follows Redis: XADD is logged with the ID it generated and,
 * when it trimmed approximately, with `=` and the exact length or first ID
 * it left, so a replay trims the same entries; XREAD logs nothing.
 *
 * @module
 */
import type { Waiter } from "../blocking.ts";
import { CommandError, SYNTAX, wrongArity } from "../errors.ts";
import type { Keyspace } from "../keyspace.ts";
import { notify } from "../notify.ts";
import { NotifyClass } from "../pubsub.ts";
import {
  array,
  bulk,
  bulkArray,
  EMPTY_ARRAY,
  integer,
  map,
  NIL,
  NIL_ARRAY,
  OK,
  type Reply,
  ZERO,
} from "../reply.ts";
import { Stream, type StreamEntry, type StreamNodeLimits, type TrimRequest } from "../stream.ts";
import {
  compareIds,
  formatId,
  isZeroId,
  MAX_ID,
  MIN_ID,
  nextId,
  type ParsedId,
  parseId,
  previousId,
  type StreamId,
  UINT64_MAX,
} from "../stream_id.ts";
import type { ConsumerGroup } from "../stream_group.ts";
import { integerArgument, isKeyword } from "./arguments.ts";
import type { ArgumentDoc, CommandContext, CommandSpec, KeyPositions } from "./types.ts";

export const INVALID_ID = "ERR Invalid stream ID specified as stream command argument";
const ID_NOT_GREATER =
  "ERR The ID specified in XADD is equal or smaller than the target stream top item";
const ID_ZERO = "ERR The ID specified in XADD must be greater than 0-0";
const EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items";
const TOO_LARGE = "ERR Elements are too large to be stored";
const BOTH_STRATEGIES =
  "ERR syntax error, MAXLEN and MINID options at the same time are not compatible";
const LIMIT_WITHOUT_STRATEGY =
  "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy";
const LIMIT_WITHOUT_APPROXIMATION =
  "ERR syntax error, LIMIT cannot be used without the special ~ option";
const XTRIM_WITHOUT_STRATEGY = "ERR syntax error, XTRIM must be called with a trimming strategy";
const TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range";
const TIMEOUT_NEGATIVE = "ERR timeout is negative";
/** XREAD … BLOCK without COUNT serves at most this many entries per stream (Redis's XREAD_BLOCKED_DEFAULT_COUNT). */
export const BLOCKED_DEFAULT_COUNT = 1000;

/** An ID argument (Redis's `streamParseIDOrReply`), throwing Redis's error when invalid. */
export function idArgument(
  text: string,
  options: { missingSeq?: StreamId["seq"]; strict?: boolean } = {},
): StreamId {
  const id = parseId(text, { missingSeq: options.missingSeq ?? 0, strict: options.strict });
  if (id === undefined) throw new CommandError(INVALID_ID);
  return { ms: id.ms, seq: id.seq };
}

/**
 * A range bound (Redis's `streamParseIntervalIDOrReply`): `(` makes it
 * exclusive, which is applied by stepping to the next (start) or previous
 * (end) ID, with Redis's errors when there is none.
 */
export function rangeBound(text: string, side: "start" | "end"): StreamId {
  const exclusive = text.length > 1 && text[0] === "(";
  const missingSeq = side === "start" ? 0 : UINT64_MAX;
  if (!exclusive) return idArgument(text, { missingSeq });
  const id = idArgument(text.slice(1), { missingSeq, strict: true });
  const stepped = side === "start" ? nextId(id) : previousId(id);
  if (stepped === undefined) throw new CommandError(`ERR invalid ${side} ID for the interval`);
  return stepped;
}

/** The stream at `key` (WRONGTYPE for another kind). */
export function streamAt(keyspace: Keyspace, key: string): Stream | undefined {
  return keyspace.getCollection(key, Stream);
}

/** One entry as Redis replies it: [id, [field, value, …]]. */
export function entryReply(entry: StreamEntry): Reply {
  return array([bulk(formatId(entry.id)), bulkArray(entry.fields)]);
}

export function entriesReply(entries: readonly StreamEntry[]): Reply {
  return array(entries.map(entryReply));
}

/** Where nodes split, from `stream-node-max-bytes` and `stream-node-max-entries`. */
export function nodeLimits(context: CommandContext): StreamNodeLimits {
  const server = context.server;
  if (server.configNumber !== undefined) {
    return {
      maxBytes: server.configNumber("stream-node-max-bytes"),
      maxEntries: server.configNumber("stream-node-max-entries"),
    };
  }
  let maxBytes = 4096;
  let maxEntries = 100;
  for (const [name, value] of context.server.configGet(["stream-node-max-*"])) {
    if (name === "stream-node-max-bytes") maxBytes = Number(value);
    else if (name === "stream-node-max-entries") maxEntries = Number(value);
  }
  return { maxBytes, maxEntries };
}

/** XADD's and XTRIM's options, parsed (Redis's `streamParseAddOrTrimArgsOrReply`). */
interface AddTrimArguments {
  trim: TrimRequest | undefined;
  /** Index of MAXLEN/MINID's value, for the propagated rewrite. */
  trimArgumentIndex: number;
  /** XADD: the ID argument's index. */
  idIndex: number;
  /** XADD: the explicit ID, if not `*`. */
  id: ParsedId | undefined;
  noMakeStream: boolean;
}

function parseAddTrimArguments(
  context: CommandContext,
  argv: readonly string[],
  xadd: boolean,
): AddTrimArguments {
  let strategy: TrimRequest["strategy"] | undefined;
  let approximate = false;
  let limit = 0;
  let limitGiven = false;
  let trimArgumentIndex = 0;
  let id: ParsedId | undefined;
  let noMakeStream = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const option = argv[i]!;
    if (xadd && option === "*") break;
    if ((isKeyword(option, "MAXLEN") || isKeyword(option, "MINID")) && more > 0) {
      if (strategy !== undefined) throw new CommandError(BOTH_STRATEGIES);
      approximate = false;
      const next = argv[i + 1]!;
      if (more >= 2 && next === "~") {
        approximate = true;
        i++;
      } else if (more >= 2 && next === "=") {
        i++;
      }
      if (isKeyword(option, "MAXLEN")) {
        const maxlen = integerArgument(argv[i + 1]!);
        if (maxlen < 0) throw new CommandError("ERR The MAXLEN argument must be >= 0.");
        strategy = { kind: "maxlen", maxlen: Number(maxlen) };
      } else {
        strategy = { kind: "minid", minid: idArgument(argv[i + 1]!, { strict: true }) };
      }
      i++;
      trimArgumentIndex = i;
    } else if (isKeyword(option, "LIMIT") && more > 0) {
      const value = integerArgument(argv[i + 1]!);
      if (value < 0) throw new CommandError("ERR The LIMIT argument must be >= 0.");
      limit = Number(value);
      limitGiven = true;
      i++;
    } else if (xadd && isKeyword(option, "NOMKSTREAM")) {
      noMakeStream = true;
    } else if (xadd) {
      id = parseId(option, { missingSeq: 0, strict: true, allowAutoSeq: true });
      if (id === undefined) throw new CommandError(INVALID_ID);
      break;
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  if (limit !== 0 && strategy === undefined) throw new CommandError(LIMIT_WITHOUT_STRATEGY);
  if (!xadd && strategy === undefined) throw new CommandError(XTRIM_WITHOUT_STRATEGY);
  if (context.session.mustObey) {
    limit = 0;
  } else if (limitGiven) {
    if (!approximate) throw new CommandError(LIMIT_WITHOUT_APPROXIMATION);
  } else if (approximate) {
    // At most 100 nodes per trim, as Redis caps the work when no LIMIT is given.
    limit = 100 * nodeLimits(context).maxEntries;
    if (limit <= 0) limit = 10000;
    if (limit > 1000000) limit = 1000000;
  } else {
    limit = 0;
  }
  return {
    trim: strategy === undefined ? undefined : { strategy, approximate, limit },
    trimArgumentIndex,
    idIndex: i,
    id,
    noMakeStream,
  };
}

/**
 * After an approximate trim, the propagated command says `=` and what the
 * trim left (Redis's `streamRewriteTrimArgument`), so a replay is exact.
 */
function rewriteTrim(
  propagated: string[],
  stream: Stream,
  parsed: AddTrimArguments,
): void {
  const trim = parsed.trim!;
  const index = parsed.trimArgumentIndex;
  propagated[index - 1] = "=";
  propagated[index] = trim.strategy.kind === "maxlen"
    ? String(stream.size)
    : formatId(stream.firstIdWithTombstones());
}

/** XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value …]. */
function add(context: CommandContext, argv: readonly string[]): Reply {
  const parsed = parseAddTrimArguments(context, argv, true);
  const fieldsStart = parsed.idIndex + 1;
  const pairs = argv.length - fieldsStart;
  if (pairs < 2 || pairs % 2 === 1) throw new CommandError(wrongArity(argv[0]!));
  const given = parsed.id;
  if (given !== undefined && given.seqGiven && isZeroId(given)) throw new CommandError(ID_ZERO);
  const { keyspace } = context;
  const key = argv[1]!;
  let stream = streamAt(keyspace, key);
  if (stream === undefined) {
    if (parsed.noMakeStream) return NIL;
    stream = new Stream();
  }
  if (stream.lastId.ms === UINT64_MAX && stream.lastId.seq === UINT64_MAX) {
    throw new CommandError(EXHAUSTED);
  }
  const result = stream.add(argv.slice(fieldsStart), {
    now: keyspace.now,
    id: given,
    limits: nodeLimits(context),
  });
  if (!result.ok) throw new CommandError(result.reason === "smaller" ? ID_NOT_GREATER : TOO_LARGE);
  const idText = formatId(result.id);
  const propagated = [...argv];
  const trim = parsed.trim;
  const trimmed = trim !== undefined && stream.trim(trim) !== 0;
  keyspace.storeCollection(key, stream);
  notify(context, NotifyClass.stream, "xadd", key);
  if (trimmed) notify(context, NotifyClass.stream, "xtrim", key);
  if (trim?.approximate) rewriteTrim(propagated, stream, parsed);
  if (given === undefined || !given.seqGiven) propagated[parsed.idIndex] = idText;
  context.session.propagateAs = [propagated];
  return bulk(idText);
}

/** XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]. */
function trim(context: CommandContext, argv: readonly string[]): Reply {
  const parsed = parseAddTrimArguments(context, argv, false);
  const key = argv[1]!;
  const stream = streamAt(context.keyspace, key);
  if (stream === undefined) return ZERO;
  const deleted = stream.trim(parsed.trim!);
  if (deleted !== 0) {
    notify(context, NotifyClass.stream, "xtrim", key);
    const propagated = [...argv];
    if (parsed.trim!.approximate) rewriteTrim(propagated, stream, parsed);
    context.session.propagateAs = [propagated];
    context.keyspace.storeCollection(key, stream);
    // Redis counts one change per entry.
    context.keyspace.dirty += deleted - 1;
  }
  return integer(deleted);
}

/** XRANGE and XREVRANGE. */
function range(context: CommandContext, argv: readonly string[], reverse: boolean): Reply {
  const start = rangeBound(reverse ? argv[3]! : argv[2]!, "start");
  const end = rangeBound(reverse ? argv[2]! : argv[3]!, "end");
  let count = -1;
  for (let i = 4; i < argv.length; i++) {
    if (isKeyword(argv[i], "COUNT") && i + 1 < argv.length) {
      const value = integerArgument(argv[++i]!);
      count = value < 0 ? 0 : Number(value);
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  const stream = streamAt(context.keyspace, argv[1]!);
  if (stream === undefined) return EMPTY_ARRAY;
  if (count === 0) return NIL_ARRAY;
  return entriesReply(stream.range(start, end, count === -1 ? 0 : count, reverse));
}

/** XDEL key id [id …]. */
function deleteEntries(context: CommandContext, argv: readonly string[]): Reply {
  const key = argv[1]!;
  const stream = streamAt(context.keyspace, key);
  if (stream === undefined) return ZERO;
  // Every ID is checked before any is deleted, so a bad one changes nothing.
  const ids = argv.slice(2).map((text) => idArgument(text, { strict: true }));
  let deleted = 0;
  for (const id of ids) if (stream.delete(id)) deleted++;
  if (deleted !== 0) {
    context.keyspace.storeCollection(key, stream);
    notify(context, NotifyClass.stream, "xdel", key);
    // Redis counts one change per entry.
    context.keyspace.dirty += deleted - 1;
  }
  return integer(deleted);
}

/** XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]. */
function setId(context: CommandContext, argv: readonly string[]): Reply {
  const key = argv[1]!;
  const id = idArgument(argv[2]!, { strict: true });
  let entriesAdded = -1;
  let maxDeleted: StreamId = MIN_ID;
  for (let i = 3; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    if (isKeyword(argv[i], "ENTRIESADDED") && more > 0) {
      const value = integerArgument(argv[++i]!);
      if (value < 0) throw new CommandError("ERR entries_added must be positive");
      entriesAdded = Number(value);
    } else if (isKeyword(argv[i], "MAXDELETEDID") && more > 0) {
      maxDeleted = idArgument(argv[++i]!, { strict: true });
      if (compareIds(id, maxDeleted) < 0) {
        throw new CommandError(
          "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
        );
      }
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  const stream = streamAt(context.keyspace, key);
  if (stream === undefined) throw new CommandError("ERR no such key");
  if (stream.size > 0) {
    if (compareIds(id, stream.lastValidId()) < 0) {
      throw new CommandError(
        "ERR The ID specified in XSETID is smaller than the target stream top item",
      );
    }
    if (entriesAdded !== -1 && stream.size > entriesAdded) {
      throw new CommandError(
        "ERR The entries_added specified in XSETID is smaller than the target stream length",
      );
    }
  }
  stream.lastId = id;
  if (entriesAdded !== -1) stream.entriesAdded = entriesAdded;
  if (!isZeroId(maxDeleted)) stream.maxDeletedId = maxDeleted;
  // Redis counts the change but does not signal the key (no WATCH abort).
  context.keyspace.dirty++;
  notify(context, NotifyClass.stream, "xsetid", key);
  return OK;
}

/** What XREAD and XREADGROUP were asked (Redis's `xreadCommand` parsing). */
export interface ReadRequest {
  /** Milliseconds to block (0 = forever), or undefined without BLOCK. */
  readonly timeout: number | undefined;
  /** Entries per stream, 0 = all. */
  readonly count: number;
  readonly keys: readonly string[];
  readonly idTexts: readonly string[];
  readonly group: { readonly name: string; readonly consumer: string } | undefined;
  readonly noAck: boolean;
}

/** Parses XREAD/XREADGROUP options up to STREAMS. */
export function parseReadRequest(context: CommandContext, argv: readonly string[]): ReadRequest {
  const readGroup = argv[0]!.length === 10;
  let timeout: number | undefined;
  let count = 0;
  let streamsAt = 0;
  let group: ReadRequest["group"];
  let noAck = false;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const option = argv[i]!;
    if (isKeyword(option, "BLOCK") && more > 0) {
      if (context.session.inScript) {
        throw new CommandError(
          `ERR ${argv[0]} command is not allowed with BLOCK option from scripts`,
        );
      }
      const value = integerArgument(argv[++i]!, TIMEOUT_NOT_INTEGER);
      if (value < 0) throw new CommandError(TIMEOUT_NEGATIVE);
      timeout = Number(value);
    } else if (isKeyword(option, "COUNT") && more > 0) {
      const value = integerArgument(argv[++i]!);
      count = value < 0 ? 0 : Number(value);
    } else if (isKeyword(option, "STREAMS") && more > 0) {
      streamsAt = i + 1;
      if ((argv.length - streamsAt) % 2 !== 0) {
        throw new CommandError(
          "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
        );
      }
      break;
    } else if (isKeyword(option, "GROUP") && more >= 2) {
      if (!readGroup) {
        throw new CommandError(
          "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
        );
      }
      group = { name: argv[i + 1]!, consumer: argv[i + 2]! };
      i += 2;
    } else if (isKeyword(option, "NOACK")) {
      if (!readGroup) {
        throw new CommandError(
          "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
        );
      }
      noAck = true;
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  if (streamsAt === 0) throw new CommandError(SYNTAX);
  if (readGroup && group === undefined) {
    throw new CommandError("ERR Missing GROUP option for XREADGROUP");
  }
  const half = (argv.length - streamsAt) / 2;
  return {
    timeout,
    count,
    keys: argv.slice(streamsAt, streamsAt + half),
    idTexts: argv.slice(streamsAt + half),
    group,
    noAck,
  };
}

/** XREAD/XREADGROUP's reply: [[key, entries] …] on RESP2, a map on RESP3. */
export function readReply(
  context: CommandContext,
  results: readonly (readonly [string, Reply])[],
): Reply {
  if (context.session.protocol === 3) {
    return map(results.map(([key, entries]) => [bulk(key), entries] as const));
  }
  return array(results.map(([key, entries]) => array([bulk(key), entries])));
}

/** XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key …] id [id …]. */
function read(context: CommandContext, argv: readonly string[]): Reply {
  const request = parseReadRequest(context, argv);
  const { keyspace } = context;
  const after: StreamId[] = [];
  for (let i = 0; i < request.keys.length; i++) {
    const stream = streamAt(keyspace, request.keys[i]!);
    const text = request.idTexts[i]!;
    if (text === "$") {
      after.push(stream?.lastId ?? MIN_ID);
    } else if (text === ">") {
      throw new CommandError(
        "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
      );
    } else {
      after.push(idArgument(text, { strict: true }));
    }
  }
  const results: [string, Reply][] = [];
  for (let i = 0; i < request.keys.length; i++) {
    const key = request.keys[i]!;
    const stream = streamAt(keyspace, key);
    if (stream === undefined || stream.size === 0) continue;
    const gt = after[i]!;
    if (compareIds(stream.lastValidId(), gt) <= 0) continue;
    const start = nextId(gt) ?? MIN_ID;
    results.push([key, entriesReply(stream.range(start, MAX_ID, request.count))]);
  }
  if (results.length !== 0) return readReply(context, results);
  if (request.timeout === undefined) return NIL_ARRAY;
  return blockRead(context, request, (key, keyspace) => {
    const index = request.keys.indexOf(key);
    const value = keyspace.get(key);
    if (!(value instanceof Stream)) return undefined;
    const gt = after[index]!;
    if (compareIds(value.lastId, gt) <= 0) return undefined;
    const start = nextId(gt) ?? MIN_ID;
    const entries = value.range(start, MAX_ID, request.count || BLOCKED_DEFAULT_COUNT);
    return readReply(context, [[key, entriesReply(entries)]]);
  }, false);
}

/**
 * Parks the client for XREAD/XREADGROUP, or (inside MULTI or a script)
 * answers as on a timeout, a null array.
 */
export function blockRead(
  context: CommandContext,
  request: ReadRequest,
  serve: Waiter["serve"],
  servesRemoval: boolean,
): Reply {
  if (!context.commands.mayBlock(context)) return NIL_ARRAY;
  const keyspace = context.keyspace;
  const timeout = request.timeout!;
  context.commands.blocking.block({
    session: context.session,
    keyspace,
    keys: [...new Set(request.keys)],
    deadline: timeout === 0 ? 0 : keyspace.now + timeout,
    serve,
    servesRemoval,
  });
  return NIL_ARRAY;
}

/**
 * XREAD's and XREADGROUP's keys as Redis 7.0's key spec finds them: the
 * first STREAMS from argument `startFrom` on, then the first half of what
 * follows it (rounded down); none without STREAMS or with too little after.
 */
export function streamsKeys(
  startFrom: number,
): (argv: readonly string[]) => KeyPositions | undefined {
  return (argv) => {
    for (let i = startFrom; i < argv.length; i++) {
      if (!isKeyword(argv[i], "STREAMS")) continue;
      const count = Math.floor((argv.length - i - 1) / 2);
      return count === 0 ? undefined : { first: i + 1, last: i + count, step: 1 };
    }
    return undefined;
  };
}

/** The group at `key`, for commands that need both (undefined when either is missing). */
export function groupAt(
  keyspace: Keyspace,
  key: string,
  name: string,
): { stream: Stream; group: ConsumerGroup } | undefined {
  const stream = streamAt(keyspace, key);
  const group = stream?.group(name);
  return group === undefined ? undefined : { stream: stream!, group };
}

const KEY = { first: 1, last: 1, step: 1 } as const;
const KEY_ARGUMENT: ArgumentDoc = { name: "key", type: "key" };
const TRIM_ARGUMENT: ArgumentDoc = {
  name: "trim",
  type: "block",
  optional: true,
  arguments: [
    {
      name: "strategy",
      type: "oneof",
      arguments: [
        { name: "maxlen", type: "pure-token", token: "MAXLEN" },
        { name: "minid", type: "pure-token", token: "MINID" },
      ],
    },
    {
      name: "operator",
      type: "oneof",
      optional: true,
      arguments: [
        { name: "equal", type: "pure-token", token: "=" },
        { name: "approximately", type: "pure-token", token: "~" },
      ],
    },
    { name: "threshold", type: "string" },
    { name: "count", type: "integer", token: "LIMIT", optional: true },
  ],
};

export const STREAM_COMMANDS: readonly CommandSpec[] = [
  {
    name: "xadd",
    arity: -5,
    flags: ["write", "denyoom", "fast"],
    keys: KEY,
    group: "stream",
    summary: "Appends a new entry to a stream",
    since: "5.0.0",
    complexity:
      "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
    arguments: [
      KEY_ARGUMENT,
      { name: "nomkstream", type: "pure-token", token: "NOMKSTREAM", optional: true },
      TRIM_ARGUMENT,
      {
        name: "id-selector",
        type: "oneof",
        arguments: [
          { name: "auto-id", type: "pure-token", token: "*" },
          { name: "id", type: "string" },
        ],
      },
      {
        name: "data",
        type: "block",
        multiple: true,
        arguments: [{ name: "field", type: "string" }, { name: "value", type: "string" }],
      },
    ],
    handler: add,
  },
  {
    name: "xtrim",
    arity: -4,
    flags: ["write"],
    keys: KEY,
    group: "stream",
    summary: "Trims the stream to (approximately if '~' is passed) a certain size",
    since: "5.0.0",
    complexity: "O(N), with N being the number of evicted entries.",
    arguments: [KEY_ARGUMENT, { ...TRIM_ARGUMENT, optional: false }],
    handler: trim,
  },
  {
    name: "xlen",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "stream",
    summary: "Return the number of entries in a stream",
    since: "5.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    handler(context, argv) {
      return integer(streamAt(context.keyspace, argv[1]!)?.size ?? 0);
    },
  },
  {
    name: "xrange",
    arity: -4,
    flags: ["readonly"],
    keys: KEY,
    group: "stream",
    summary: "Return a range of elements in a stream, with IDs matching the specified IDs interval",
    since: "5.0.0",
    complexity:
      "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
    arguments: [
      KEY_ARGUMENT,
      { name: "start", type: "string" },
      { name: "end", type: "string" },
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: (context, argv) => range(context, argv, false),
  },
  {
    name: "xrevrange",
    arity: -4,
    flags: ["readonly"],
    keys: KEY,
    group: "stream",
    summary:
      "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE",
    since: "5.0.0",
    complexity:
      "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).",
    arguments: [
      KEY_ARGUMENT,
      { name: "end", type: "string" },
      { name: "start", type: "string" },
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: (context, argv) => range(context, argv, true),
  },
  {
    name: "xdel",
    arity: -3,
    flags: ["write", "fast"],
    keys: KEY,
    group: "stream",
    summary:
      "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.",
    since: "5.0.0",
    complexity: "O(1) for each single item to delete in the stream, regardless of the stream size.",
    arguments: [KEY_ARGUMENT, { name: "id", type: "string", multiple: true }],
    handler: deleteEntries,
  },
  {
    name: "xsetid",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keys: KEY,
    group: "stream",
    summary: "An internal command for replicating stream values",
    since: "5.0.0",
    complexity: "O(1)",
    arguments: [
      KEY_ARGUMENT,
      { name: "last-id", type: "string" },
      { name: "entries_added", type: "integer", token: "ENTRIESADDED", optional: true },
      { name: "max_deleted_entry_id", type: "string", token: "MAXDELETEDID", optional: true },
    ],
    handler: setId,
  },
  {
    name: "xread",
    arity: -4,
    flags: ["readonly", "blocking"],
    movableKeys: streamsKeys(1),
    group: "stream",
    summary:
      "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.",
    since: "5.0.0",
    complexity:
      "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.",
    arguments: [
      { name: "count", type: "integer", token: "COUNT", optional: true },
      { name: "milliseconds", type: "integer", token: "BLOCK", optional: true },
      {
        name: "streams",
        type: "block",
        token: "STREAMS",
        arguments: [
          { name: "key", type: "key", multiple: true },
          { name: "id", type: "string", multiple: true },
        ],
      },
    ],
    handler: read,
  },
];
