/**
 * Consumer-group commands: XREADGROUP (BLOCK included), XGROUP, XACK,
 * XPENDING, XCLAIM, XAUTOCLAIM and XINFO, transcribed from Redis 7.0's
 * `t_stream.c` and `blocked.c` for replies, error texts, checking order,
 * keyspace events and propagation.
 *
 * Propagation is Redis's: a delivery by XREADGROUP, XCLAIM or XAUTOCLAIM is
 * logged as the idempotent `XCLAIM key group consumer 0 id TIME ms
 * RETRYCOUNT n FORCE JUSTID LASTID id` that recreates the pending entry, a
 * NOACK read as `XGROUP SETID … ENTRIESREAD n`, so the AOF and replicas
 * hold the same groups.
 *
 * Commands that only touch group state (XREADGROUP, XACK, XCLAIM, XGROUP
 * SETID …) count as changes but, as in Redis, do not signal the key: WATCH
 * and client-side caching are not invalidated by them.
 *
 * @module
 */
import { CommandError, SYNTAX } from "../errors.ts";
import type { Keyspace } from "../keyspace.ts";
import { notify } from "../notify.ts";
import { NotifyClass } from "../pubsub.ts";
import {
  array,
  bulk,
  EMPTY_ARRAY,
  error,
  integer,
  map,
  NIL,
  NIL_ARRAY,
  OK,
  ONE,
  type Reply,
  ZERO,
} from "../reply.ts";
import { Stream } from "../stream.ts";
import {
  compareIds,
  formatId,
  MAX_ID,
  MIN_ID,
  nextId,
  parseId,
  type StreamId,
} from "../stream_id.ts";
import { type Consumer, type ConsumerGroup, INVALID_ENTRIES_READ } from "../stream_group.ts";
import { integerArgument, isKeyword } from "./arguments.ts";
import { helpReply } from "./help.ts";
import {
  BLOCKED_DEFAULT_COUNT,
  blockRead,
  entryReply,
  groupAt,
  idArgument,
  parseReadRequest,
  rangeBound,
  readReply,
  type ReadRequest,
  streamAt,
  streamsKeys,
} from "./stream.ts";
import type { ArgumentDoc, CommandContext, CommandSpec } from "./types.ts";

function noGroup(key: string, group: string): CommandError {
  return new CommandError(`NOGROUP No such key '${key}' or consumer group '${group}'`);
}

/** Redis's `addReplySubcommandSyntaxError`. */
function subcommandSyntaxError(argv: readonly string[]): CommandError {
  return new CommandError(
    `ERR unknown subcommand or wrong number of arguments for '${argv[1]!.slice(0, 128)}'. Try ${
      argv[0]!.toUpperCase()
    } HELP.`,
  );
}

/** The consumer `name`, its seen time refreshed, or a new one (Redis's lookup-or-create). */
function consumerFor(
  context: CommandContext,
  key: string,
  group: ConsumerGroup,
  name: string,
  created?: () => void,
): Consumer {
  const now = context.keyspace.now;
  const found = group.consumer(name);
  if (found !== undefined) {
    found.seenTime = now;
    return found;
  }
  const consumer = group.createConsumer(name, now);
  context.keyspace.dirty++;
  notify(context, NotifyClass.stream, "xgroup-createconsumer", key);
  created?.();
  return consumer;
}

/** The XCLAIM Redis logs for a delivery (`streamPropagateXCLAIM`). */
function claimCommand(
  key: string,
  groupName: string,
  group: ConsumerGroup,
  id: StreamId,
  entry: { consumer: Consumer; deliveryTime: number; deliveryCount: number },
): string[] {
  return [
    "XCLAIM",
    key,
    groupName,
    entry.consumer.name,
    "0",
    formatId(id),
    "TIME",
    String(entry.deliveryTime),
    "RETRYCOUNT",
    String(entry.deliveryCount),
    "FORCE",
    "JUSTID",
    "LASTID",
    formatId(group.lastId),
  ];
}

/** The XGROUP SETID Redis logs for a NOACK read or an XCLAIM LASTID (`streamPropagateGroupID`). */
function setIdCommand(key: string, groupName: string, group: ConsumerGroup): string[] {
  return [
    "XGROUP",
    "SETID",
    key,
    groupName,
    formatId(group.lastId),
    "ENTRIESREAD",
    String(group.entriesRead),
  ];
}

/**
 * Serves new entries (IDs after `after`) to `consumer` (Redis's
 * `streamReplyWithRange` with a group): advances the group, records pending
 * entries unless NOACK, and adds the commands to log to `propagated`.
 */
function deliverNew(
  context: CommandContext,
  target: { key: string; groupName: string; stream: Stream; group: ConsumerGroup },
  consumer: Consumer,
  options: { after: StreamId; count: number; noAck: boolean },
  propagated: string[][],
): Reply {
  const { key, groupName, stream, group } = target;
  const now = context.keyspace.now;
  const start = nextId(options.after) ?? MIN_ID;
  const items: Reply[] = [];
  let advanced = false;
  for (const entry of stream.range(start, MAX_ID, options.count)) {
    const id = entry.id;
    if (compareIds(id, group.lastId) > 0) {
      if (group.entriesRead !== INVALID_ENTRIES_READ && !stream.rangeHasTombstones(id, undefined)) {
        group.entriesRead++;
      } else if (stream.entriesAdded !== 0) {
        group.entriesRead = stream.estimateDistance(id) ?? INVALID_ENTRIES_READ;
      }
      group.lastId = id;
      if (options.noAck) advanced = true;
    }
    items.push(entryReply(entry));
    if (!options.noAck) {
      const pending = group.deliver(id, consumer, now);
      propagated.push(claimCommand(key, groupName, group, id, pending));
    }
  }
  if (advanced) propagated.push(setIdCommand(key, groupName, group));
  return array(items);
}

/**
 * Serves `consumer`'s own pending entries from `start` (Redis's
 * `streamReplyWithRangeFromConsumerPEL`): entries since deleted come back
 * as [id, nil]; each served one counts as delivered again.
 */
function deliverHistory(
  context: CommandContext,
  stream: Stream,
  consumer: Consumer,
  start: StreamId,
  count: number,
): Reply {
  const now = context.keyspace.now;
  const items: Reply[] = [];
  for (const pending of consumer.pending.from(start)) {
    if (count !== 0 && items.length >= count) break;
    const entry = stream.get(pending.id);
    if (entry === undefined) {
      items.push(array([bulk(formatId(pending.id)), NIL_ARRAY]));
    } else {
      items.push(entryReply(entry));
      pending.deliveryTime = now;
      pending.deliveryCount++;
    }
  }
  return array(items);
}

/** XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key [key …] id [id …]. */
function readGroup(context: CommandContext, argv: readonly string[]): Reply {
  const request = parseReadRequest(context, argv);
  const { name: groupName, consumer: consumerName } = request.group!;
  const { keyspace } = context;
  const groups: ConsumerGroup[] = [];
  const after: (StreamId | ">")[] = [];
  for (let i = 0; i < request.keys.length; i++) {
    const key = request.keys[i]!;
    const group = streamAt(keyspace, key)?.group(groupName);
    if (group === undefined) {
      throw new CommandError(
        `NOGROUP No such key '${key}' or consumer group '${groupName}' in XREADGROUP with GROUP option`,
      );
    }
    groups.push(group);
    const text = request.idTexts[i]!;
    if (text === "$") {
      throw new CommandError(
        "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
      );
    }
    after.push(text === ">" ? ">" : idArgument(text, { strict: true }));
  }
  const propagated: string[][] = [];
  const results: [string, Reply][] = [];
  for (let i = 0; i < request.keys.length; i++) {
    const key = request.keys[i]!;
    const stream = streamAt(keyspace, key)!;
    const group = groups[i]!;
    const from = after[i]!;
    if (
      from === ">" && (stream.size === 0 || compareIds(stream.lastValidId(), group.lastId) <= 0)
    ) {
      continue;
    }
    const consumer = consumerFor(context, key, group, consumerName, () => {
      if (request.noAck) {
        propagated.push(["XGROUP", "CREATECONSUMER", key, groupName, consumerName]);
      }
    });
    const reply = from === ">"
      ? deliverNew(context, { key, groupName, stream, group }, consumer, {
        after: group.lastId,
        count: request.count,
        noAck: request.noAck,
      }, propagated)
      : deliverHistory(context, stream, consumer, nextId(from) ?? MIN_ID, request.count);
    results.push([key, reply]);
    keyspace.dirty++;
    keyspace.resized(key);
  }
  context.session.propagateAs = propagated;
  if (results.length !== 0) return readReply(context, results);
  if (request.timeout === undefined) return NIL_ARRAY;
  return blockRead(
    context,
    request,
    (key, keyspace) => serveBlockedGroup(context, request, key, keyspace),
    true,
  );
}

/** Serves an XREADGROUP parked on `key` (Redis's `serveClientsBlockedOnStreamKey` and friends). */
function serveBlockedGroup(
  context: CommandContext,
  request: ReadRequest,
  key: string,
  keyspace: Keyspace,
): Reply | undefined {
  const value = keyspace.get(key);
  if (!(value instanceof Stream)) return error("UNBLOCKED the stream key no longer exists");
  const { name: groupName, consumer: consumerName } = request.group!;
  const group = value.group(groupName);
  if (group === undefined) {
    return error("NOGROUP the consumer group this client was blocked on no longer exists");
  }
  if (compareIds(value.lastId, group.lastId) <= 0) return undefined;
  const propagated: string[][] = [];
  const consumer = consumerFor(context, key, group, consumerName, () => {
    if (request.noAck) propagated.push(["XGROUP", "CREATECONSUMER", key, groupName, consumerName]);
  });
  const reply = deliverNew(context, { key, groupName, stream: value, group }, consumer, {
    after: group.lastId,
    count: request.count || BLOCKED_DEFAULT_COUNT,
    noAck: request.noAck,
  }, propagated);
  keyspace.dirty++;
  keyspace.resized(key);
  for (const command of propagated) context.commands.onWrite?.(command, context);
  return readReply(context, [[key, reply]]);
}

/** XGROUP's subcommands, with Redis's shared checks (`xgroupCommand`). */
function xgroup(context: CommandContext, argv: readonly string[]): Reply {
  const subcommand = argv[1]!.toUpperCase();
  const { keyspace } = context;
  let stream: Stream | undefined;
  let group: ConsumerGroup | undefined;
  let makeStream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  const key = argv[2]!;
  const groupName = argv[3]!;
  if (argv.length >= 4) {
    const create = subcommand === "CREATE";
    const setId = subcommand === "SETID";
    for (let i = 5; i < argv.length;) {
      if (create && isKeyword(argv[i], "MKSTREAM")) {
        makeStream = true;
        i++;
      } else if ((create || setId) && isKeyword(argv[i], "ENTRIESREAD") && i + 1 < argv.length) {
        const value = integerArgument(argv[i + 1]!);
        if (value < 0 && value !== -1) {
          throw new CommandError("ERR value for ENTRIESREAD must be positive or -1");
        }
        entriesRead = Number(value);
        i += 2;
      } else {
        throw subcommandSyntaxError(argv);
      }
    }
    stream = streamAt(keyspace, key);
  }
  if (argv.length >= 4 && !makeStream) {
    if (stream === undefined) {
      throw new CommandError(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
      );
    }
    group = stream.group(groupName);
    if (
      group === undefined &&
      (subcommand === "SETID" || subcommand === "CREATECONSUMER" || subcommand === "DELCONSUMER")
    ) {
      throw new CommandError(
        `NOGROUP No such consumer group '${groupName}' for key name '${key}'`,
      );
    }
  }
  if (subcommand === "CREATE" && argv.length >= 5 && argv.length <= 8) {
    let id: StreamId;
    if (argv[4] === "$") id = stream?.lastId ?? MIN_ID;
    else id = idArgument(argv[4]!, { strict: true });
    if (stream === undefined) {
      stream = new Stream();
      keyspace.storeCollection(key, stream);
    }
    if (stream.group(groupName) !== undefined) {
      throw new CommandError("BUSYGROUP Consumer Group name already exists");
    }
    stream.createGroup(groupName, id, entriesRead);
    keyspace.dirty++;
    keyspace.resized(key);
    notify(context, NotifyClass.stream, "xgroup-create", key);
    return OK;
  }
  if (subcommand === "SETID" && (argv.length === 5 || argv.length === 7)) {
    const id = argv[4] === "$" ? stream!.lastId : idArgument(argv[4]!);
    group!.lastId = id;
    group!.entriesRead = entriesRead;
    keyspace.dirty++;
    notify(context, NotifyClass.stream, "xgroup-setid", key);
    return OK;
  }
  if (subcommand === "DESTROY" && argv.length === 4) {
    if (group === undefined) return ZERO;
    stream!.groups!.delete(groupName);
    keyspace.dirty++;
    keyspace.resized(key);
    notify(context, NotifyClass.stream, "xgroup-destroy", key);
    // XREADGROUP clients blocked on the group end with NOGROUP (Redis signals the key ready).
    keyspace.waits?.stored(key);
    return ONE;
  }
  if (subcommand === "CREATECONSUMER" && argv.length === 5) {
    if (group!.consumer(argv[4]!) !== undefined) return ZERO;
    group!.createConsumer(argv[4]!, keyspace.now);
    keyspace.dirty++;
    keyspace.resized(key);
    notify(context, NotifyClass.stream, "xgroup-createconsumer", key);
    return ONE;
  }
  if (subcommand === "DELCONSUMER" && argv.length === 5) {
    const consumer = group!.consumer(argv[4]!);
    if (consumer === undefined) return ZERO;
    const pending = group!.deleteConsumer(consumer);
    keyspace.dirty++;
    keyspace.resized(key);
    notify(context, NotifyClass.stream, "xgroup-delconsumer", key);
    return integer(pending);
  }
  throw subcommandSyntaxError(argv);
}

/** XACK key group id [id …]. */
function acknowledge(context: CommandContext, argv: readonly string[]): Reply {
  const found = groupAt(context.keyspace, argv[1]!, argv[2]!);
  if (found === undefined) return ZERO;
  const ids = argv.slice(3).map((text) => idArgument(text, { strict: true }));
  let acknowledged = 0;
  for (const id of ids) if (found.group.acknowledge(id)) acknowledged++;
  if (acknowledged !== 0) {
    context.keyspace.dirty += acknowledged;
    context.keyspace.resized(argv[1]!);
  }
  return integer(acknowledged);
}

/** XPENDING key group [[IDLE min-idle-time] start end count [consumer]]. */
function pending(context: CommandContext, argv: readonly string[]): Reply {
  const summary = argv.length === 3;
  if (!summary && (argv.length < 6 || argv.length > 9)) throw new CommandError(SYNTAX);
  let start = MIN_ID;
  let end = MAX_ID;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | undefined;
  if (!summary) {
    let startIndex = 3;
    if (isKeyword(argv[3], "IDLE")) {
      minIdle = Number(integerArgument(argv[4]!));
      if (argv.length < 8) throw new CommandError(SYNTAX);
      startIndex += 2;
    }
    const value = integerArgument(argv[startIndex + 2]!);
    count = value < 0 ? 0 : Number(value);
    start = rangeBound(argv[startIndex]!, "start");
    end = rangeBound(argv[startIndex + 1]!, "end");
    if (startIndex + 3 < argv.length) consumerName = argv[startIndex + 3];
  }
  const key = argv[1]!;
  const found = groupAt(context.keyspace, key, argv[2]!);
  if (found === undefined) throw noGroup(key, argv[2]!);
  const group = found.group;
  if (summary) {
    const size = group.pending.size;
    if (size === 0) return array([ZERO, NIL, NIL, NIL_ARRAY]);
    const consumers: Reply[] = [];
    for (const consumer of group.sortedConsumers()) {
      if (consumer.pending.size === 0) continue;
      consumers.push(array([bulk(consumer.name), bulk(String(consumer.pending.size))]));
    }
    return array([
      integer(size),
      bulk(formatId(group.pending.first()!.id)),
      bulk(formatId(group.pending.last()!.id)),
      array(consumers),
    ]);
  }
  let list = group.pending;
  if (consumerName !== undefined) {
    const consumer = group.consumer(consumerName);
    if (consumer === undefined) return EMPTY_ARRAY;
    list = consumer.pending;
  }
  const now = context.keyspace.now;
  const items: Reply[] = [];
  if (count === 0) return EMPTY_ARRAY;
  for (const entry of list.from(start)) {
    if (compareIds(entry.id, end) > 0) break;
    const idle = now - entry.deliveryTime;
    if (minIdle !== 0 && idle < minIdle) continue;
    items.push(array([
      bulk(formatId(entry.id)),
      bulk(entry.consumer.name),
      integer(Math.max(0, idle)),
      integer(entry.deliveryCount),
    ]));
    if (items.length === count) break;
  }
  return array(items);
}

/** An integer option with its own error text (Redis's `getLongLongFromObjectOrReply` with a message). */
function integerOption(text: string, message: string): number {
  return Number(integerArgument(text, `ERR ${message}`));
}

/** XCLAIM key group consumer min-idle-time id [id …] [IDLE ms] [TIME ms] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]. */
function claim(context: CommandContext, argv: readonly string[]): Reply {
  const { keyspace } = context;
  const key = argv[1]!;
  const groupName = argv[2]!;
  const found = groupAt(keyspace, key, groupName);
  if (found === undefined) throw noGroup(key, groupName);
  const { stream, group } = found;
  let minIdle = integerOption(argv[4]!, "Invalid min-idle-time argument for XCLAIM");
  if (minIdle < 0) minIdle = 0;
  const ids: StreamId[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const id = parseId(argv[j]!, { missingSeq: 0, strict: true });
    if (id === undefined) break;
    ids.push({ ms: id.ms, seq: id.seq });
  }
  const now = keyspace.now;
  let retryCount = -1;
  let deliveryTime = -1;
  let force = false;
  let justId = false;
  let lastId: StreamId = MIN_ID;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const option = argv[j]!;
    if (isKeyword(option, "FORCE")) {
      force = true;
    } else if (isKeyword(option, "JUSTID")) {
      justId = true;
    } else if (isKeyword(option, "IDLE") && more > 0) {
      deliveryTime = now - integerOption(argv[++j]!, "Invalid IDLE option argument for XCLAIM");
    } else if (isKeyword(option, "TIME") && more > 0) {
      deliveryTime = integerOption(argv[++j]!, "Invalid TIME option argument for XCLAIM");
    } else if (isKeyword(option, "RETRYCOUNT") && more > 0) {
      retryCount = integerOption(argv[++j]!, "Invalid RETRYCOUNT option argument for XCLAIM");
    } else if (isKeyword(option, "LASTID") && more > 0) {
      lastId = idArgument(argv[++j]!, { strict: true });
    } else {
      throw new CommandError(`ERR Unrecognized XCLAIM option '${option}'`);
    }
  }
  const propagated: string[][] = [];
  let propagateLastId = false;
  if (compareIds(lastId, group.lastId) > 0) {
    group.lastId = lastId;
    propagateLastId = true;
  }
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  let consumer: Consumer | undefined;
  const items: Reply[] = [];
  for (const id of ids) {
    let entry = group.pending.get(id);
    if (!stream.has(id)) {
      if (entry !== undefined) {
        propagated.push(claimCommand(key, groupName, group, id, entry));
        propagateLastId = false;
        keyspace.dirty++;
        group.acknowledge(id);
      }
      continue;
    }
    let unowned = false;
    if (force && entry === undefined) {
      unowned = true;
    } else if (entry === undefined) {
      continue;
    } else if (minIdle !== 0 && now - entry.deliveryTime < minIdle) {
      continue;
    }
    consumer ??= consumerFor(context, key, group, argv[3]!);
    // FORCE for an ID never delivered: a new pending entry, delivered once (Redis's streamCreateNACK).
    if (unowned) entry = group.addPending(id, consumer, deliveryTime, 1);
    else group.assign(entry!, consumer);
    const claimed = entry!;
    claimed.deliveryTime = deliveryTime;
    if (retryCount >= 0) claimed.deliveryCount = retryCount;
    else if (!justId) claimed.deliveryCount++;
    items.push(justId ? bulk(formatId(id)) : entryReply(stream.get(id)!));
    propagated.push(claimCommand(key, groupName, group, id, claimed));
    propagateLastId = false;
    keyspace.dirty++;
  }
  if (propagateLastId) {
    propagated.push(setIdCommand(key, groupName, group));
    keyspace.dirty++;
  }
  keyspace.resized(key);
  context.session.propagateAs = propagated;
  return array(items);
}

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]. */
function autoClaim(context: CommandContext, argv: readonly string[]): Reply {
  const { keyspace } = context;
  let minIdle = integerOption(argv[4]!, "Invalid min-idle-time argument for XAUTOCLAIM");
  if (minIdle < 0) minIdle = 0;
  const start = rangeBound(argv[5]!, "start");
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isKeyword(argv[j], "COUNT") && more > 0) {
      const value = integerArgument(argv[j + 1]!, "ERR COUNT must be > 0");
      // Redis's bound: LONG_MAX / 16, so COUNT × 16 bytes of IDs can be allocated.
      if (value < 1 || value > 576460752303423487n) throw new CommandError("ERR COUNT must be > 0");
      count = Number(value);
      j++;
    } else if (isKeyword(argv[j], "JUSTID")) {
      justId = true;
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  const key = argv[1]!;
  const groupName = argv[2]!;
  const found = groupAt(keyspace, key, groupName);
  if (found === undefined) throw noGroup(key, groupName);
  const { stream, group } = found;
  const now = keyspace.now;
  let attempts = count * 10;
  const claimed: Reply[] = [];
  const deleted: StreamId[] = [];
  const propagated: string[][] = [];
  let consumer: Consumer | undefined;
  let next: StreamId = MIN_ID;
  const candidates = group.pending.from(start);
  let candidate = candidates.next();
  for (; !candidate.done; candidate = candidates.next()) {
    if (attempts === 0 || count === 0) break;
    attempts--;
    const entry = candidate.value;
    const id = entry.id;
    if (!stream.has(id)) {
      propagated.push(claimCommand(key, groupName, group, id, entry));
      keyspace.dirty++;
      deleted.push(id);
      count--;
      // Removing it now would disturb the walk; it is removed below.
      continue;
    }
    if (minIdle !== 0 && now - entry.deliveryTime < minIdle) continue;
    consumer ??= consumerFor(context, key, group, argv[3]!);
    group.assign(entry, consumer);
    entry.deliveryTime = now;
    if (!justId) entry.deliveryCount++;
    claimed.push(justId ? bulk(formatId(id)) : entryReply(stream.get(id)!));
    count--;
    propagated.push(claimCommand(key, groupName, group, id, entry));
    keyspace.dirty++;
  }
  if (!candidate.done) next = candidate.value.id;
  for (const id of deleted) group.acknowledge(id);
  keyspace.resized(key);
  context.session.propagateAs = propagated;
  return array([
    bulk(formatId(next)),
    array(claimed),
    array(deleted.map((id) => bulk(formatId(id)))),
  ]);
}

/** The group's lag, or nil when it cannot be known (Redis's `streamReplyWithCGLag`). */
function lagReply(stream: Stream, group: ConsumerGroup): Reply {
  if (stream.entriesAdded === 0) return ZERO;
  if (
    group.entriesRead !== INVALID_ENTRIES_READ &&
    !stream.rangeHasTombstones(group.lastId, undefined)
  ) {
    return integer(stream.entriesAdded - group.entriesRead);
  }
  const read = stream.estimateDistance(group.lastId);
  return read === undefined ? NIL : integer(stream.entriesAdded - read);
}

function entriesReadReply(group: ConsumerGroup): Reply {
  return group.entriesRead === INVALID_ENTRIES_READ ? NIL : integer(group.entriesRead);
}

/** XINFO STREAM key [FULL [COUNT count]]. */
function streamInfo(argv: readonly string[], stream: Stream): Reply {
  const options = argv.slice(3);
  let full = false;
  let count = 10;
  if (options.length !== 0) {
    if (options.length !== 1 && options.length !== 3) throw subcommandSyntaxError(argv);
    if (!isKeyword(options[0], "FULL")) throw subcommandSyntaxError(argv);
    full = true;
    if (options.length === 3) {
      if (!isKeyword(options[1], "COUNT")) throw subcommandSyntaxError(argv);
      const value = integerArgument(options[2]!);
      count = value < 0 ? 10 : Number(value);
    }
  }
  const entries: [Reply, Reply][] = [
    [bulk("length"), integer(stream.size)],
    [bulk("radix-tree-keys"), integer(stream.nodes.length)],
    [bulk("radix-tree-nodes"), integer(stream.radixTreeNodes())],
    [bulk("last-generated-id"), bulk(formatId(stream.lastId))],
    [bulk("max-deleted-entry-id"), bulk(formatId(stream.maxDeletedId))],
    [bulk("entries-added"), integer(stream.entriesAdded)],
    [bulk("recorded-first-entry-id"), bulk(formatId(stream.firstId))],
  ];
  if (!full) {
    const first = stream.range(MIN_ID, MAX_ID, 1)[0];
    const last = stream.range(MIN_ID, MAX_ID, 1, true)[0];
    entries.push(
      [bulk("groups"), integer(stream.groups?.size ?? 0)],
      [bulk("first-entry"), first === undefined ? NIL : entryReply(first)],
      [bulk("last-entry"), last === undefined ? NIL : entryReply(last)],
    );
    return map(entries);
  }
  const groups = stream.sortedGroups().map((group) => {
    const pendingItems: Reply[] = [];
    for (const entry of group.pending) {
      if (count !== 0 && pendingItems.length >= count) break;
      pendingItems.push(array([
        bulk(formatId(entry.id)),
        bulk(entry.consumer.name),
        integer(entry.deliveryTime),
        integer(entry.deliveryCount),
      ]));
    }
    const consumers = group.sortedConsumers().map((consumer) => {
      const own: Reply[] = [];
      for (const entry of consumer.pending) {
        if (count !== 0 && own.length >= count) break;
        own.push(array([
          bulk(formatId(entry.id)),
          integer(entry.deliveryTime),
          integer(entry.deliveryCount),
        ]));
      }
      return map([
        [bulk("name"), bulk(consumer.name)],
        [bulk("seen-time"), integer(consumer.seenTime)],
        [bulk("pel-count"), integer(consumer.pending.size)],
        [bulk("pending"), array(own)],
      ]);
    });
    return map([
      [bulk("name"), bulk(group.name)],
      [bulk("last-delivered-id"), bulk(formatId(group.lastId))],
      [bulk("entries-read"), entriesReadReply(group)],
      [bulk("lag"), lagReply(stream, group)],
      [bulk("pel-count"), integer(group.pending.size)],
      [bulk("pending"), array(pendingItems)],
      [bulk("consumers"), array(consumers)],
    ]);
  });
  entries.push(
    [bulk("entries"), array(stream.range(MIN_ID, MAX_ID, count).map(entryReply))],
    [bulk("groups"), array(groups)],
  );
  return map(entries);
}

const XINFO_HELP = [
  "CONSUMERS <key> <groupname>",
  "    Show consumers of <groupname>.",
  "GROUPS <key>",
  "    Show the stream consumer groups.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Show information about the stream.",
];

const XGROUP_HELP = [
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a new consumer group. Options are:",
  "    * MKSTREAM",
  "      Create the empty stream if it does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Set the group's entries_read counter (internal use).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Create a new consumer in the specified group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove the specified consumer.",
  "DESTROY <key> <groupname>",
  "    Remove the specified group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Set the current group ID and entries_read counter.",
];

/** XINFO CONSUMERS / GROUPS / STREAM: the key must hold a stream (`xinfoCommand`). */
function xinfo(context: CommandContext, argv: readonly string[]): Reply {
  const key = argv[2]!;
  const stream = streamAt(context.keyspace, key);
  if (stream === undefined) throw new CommandError("ERR no such key");
  const subcommand = argv[1]!.toUpperCase();
  if (subcommand === "CONSUMERS" && argv.length === 4) {
    const group = stream.group(argv[3]!);
    if (group === undefined) {
      throw new CommandError(
        `NOGROUP No such consumer group '${argv[3]}' for key name '${key}'`,
      );
    }
    const now = context.keyspace.now;
    return array(
      group.sortedConsumers().map((consumer) =>
        map([
          [bulk("name"), bulk(consumer.name)],
          [bulk("pending"), integer(consumer.pending.size)],
          [bulk("idle"), integer(Math.max(0, now - consumer.seenTime))],
        ])
      ),
    );
  }
  if (subcommand === "GROUPS" && argv.length === 3) {
    return array(
      stream.sortedGroups().map((group) =>
        map([
          [bulk("name"), bulk(group.name)],
          [bulk("consumers"), integer(group.consumers.size)],
          [bulk("pending"), integer(group.pending.size)],
          [bulk("last-delivered-id"), bulk(formatId(group.lastId))],
          [bulk("entries-read"), entriesReadReply(group)],
          [bulk("lag"), lagReply(stream, group)],
        ])
      ),
    );
  }
  if (subcommand === "STREAM") return streamInfo(argv, stream);
  throw subcommandSyntaxError(argv);
}

const KEY_ARGUMENT: ArgumentDoc = { name: "key", type: "key" };
const GROUP_ARGUMENT: ArgumentDoc = { name: "groupname", type: "string" };
const CONSUMER_ARGUMENT: ArgumentDoc = { name: "consumername", type: "string" };
const KEY_AT_2 = { first: 2, last: 2, step: 1 } as const;
const KEY = { first: 1, last: 1, step: 1 } as const;

function groupSubcommand(
  name: string,
  arity: number,
  flags: CommandSpec["flags"],
  summary: string,
  since: string,
  args: readonly ArgumentDoc[],
): CommandSpec {
  return {
    name: `xgroup|${name}`,
    arity,
    flags,
    keys: KEY_AT_2,
    group: "stream",
    summary,
    since,
    complexity: "O(1)",
    arguments: args,
    handler: xgroup,
  };
}

function infoSubcommand(
  name: string,
  arity: number,
  summary: string,
  args: readonly ArgumentDoc[],
): CommandSpec {
  return {
    name: `xinfo|${name}`,
    arity,
    flags: ["readonly"],
    keys: KEY_AT_2,
    group: "stream",
    summary,
    since: "5.0.0",
    complexity: "O(N)",
    arguments: args,
    handler: xinfo,
  };
}

export const STREAM_GROUP_COMMANDS: readonly CommandSpec[] = [
  {
    name: "xreadgroup",
    arity: -7,
    flags: ["write", "blocking"],
    movableKeys: streamsKeys(4),
    group: "stream",
    summary:
      "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.",
    since: "5.0.0",
    complexity:
      "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.",
    arguments: [
      {
        name: "group-block",
        type: "block",
        token: "GROUP",
        arguments: [{ name: "group", type: "string" }, { name: "consumer", type: "string" }],
      },
      { name: "count", type: "integer", token: "COUNT", optional: true },
      { name: "milliseconds", type: "integer", token: "BLOCK", optional: true },
      { name: "noack", type: "pure-token", token: "NOACK", optional: true },
      {
        name: "streams",
        type: "block",
        token: "STREAMS",
        arguments: [
          { name: "key", type: "key", multiple: true },
          { name: "ID", type: "string", multiple: true },
        ],
      },
    ],
    handler: readGroup,
  },
  {
    name: "xgroup",
    arity: -2,
    flags: [],
    group: "stream",
    summary: "A container for consumer groups commands",
    since: "5.0.0",
    complexity: "Depends on subcommand.",
    subcommands: [
      groupSubcommand(
        "create",
        -5,
        ["write", "denyoom"],
        "Create a consumer group.",
        "5.0.0",
        [KEY_ARGUMENT, GROUP_ARGUMENT, { name: "id", type: "string" }],
      ),
      groupSubcommand(
        "createconsumer",
        5,
        ["write", "denyoom"],
        "Create a consumer in a consumer group.",
        "6.2.0",
        [KEY_ARGUMENT, GROUP_ARGUMENT, CONSUMER_ARGUMENT],
      ),
      groupSubcommand(
        "delconsumer",
        5,
        ["write"],
        "Delete a consumer from a consumer group.",
        "5.0.0",
        [KEY_ARGUMENT, GROUP_ARGUMENT, CONSUMER_ARGUMENT],
      ),
      groupSubcommand(
        "destroy",
        4,
        ["write"],
        "Destroy a consumer group.",
        "5.0.0",
        [KEY_ARGUMENT, GROUP_ARGUMENT],
      ),
      groupSubcommand(
        "setid",
        -5,
        ["write"],
        "Set a consumer group to an arbitrary last delivered ID value.",
        "5.0.0",
        [KEY_ARGUMENT, GROUP_ARGUMENT, { name: "id", type: "string" }],
      ),
      {
        name: "xgroup|help",
        arity: 2,
        flags: ["loading", "stale"],
        group: "stream",
        summary: "Show helpful text about the different subcommands",
        since: "5.0.0",
        complexity: "O(1)",
        handler: (_context, argv) => helpReply(argv[0]!, XGROUP_HELP),
      },
    ],
  },
  {
    name: "xack",
    arity: -4,
    flags: ["write", "fast"],
    keys: KEY,
    group: "stream",
    summary:
      "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.",
    since: "5.0.0",
    complexity: "O(1) for each message ID processed.",
    arguments: [KEY_ARGUMENT, { name: "group", type: "string" }, {
      name: "ID",
      type: "string",
      multiple: true,
    }],
    handler: acknowledge,
  },
  {
    name: "xpending",
    arity: -3,
    flags: ["readonly"],
    keys: KEY,
    group: "stream",
    summary:
      "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.",
    since: "5.0.0",
    complexity:
      "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.",
    arguments: [
      KEY_ARGUMENT,
      { name: "group", type: "string" },
      {
        name: "filters",
        type: "block",
        optional: true,
        arguments: [
          { name: "min-idle-time", type: "integer", token: "IDLE", optional: true },
          { name: "start", type: "string" },
          { name: "end", type: "string" },
          { name: "count", type: "integer" },
          { name: "consumer", type: "string", optional: true },
        ],
      },
    ],
    handler: pending,
  },
  {
    name: "xclaim",
    arity: -6,
    flags: ["write", "fast"],
    keys: KEY,
    group: "stream",
    summary:
      "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.",
    since: "5.0.0",
    complexity: "O(log N) with N being the number of messages in the PEL of the consumer group.",
    arguments: [
      KEY_ARGUMENT,
      { name: "group", type: "string" },
      { name: "consumer", type: "string" },
      { name: "min-idle-time", type: "string" },
      { name: "ID", type: "string", multiple: true },
      { name: "ms", type: "integer", token: "IDLE", optional: true },
      { name: "unix-time-milliseconds", type: "unix-time", token: "TIME", optional: true },
      { name: "count", type: "integer", token: "RETRYCOUNT", optional: true },
      { name: "force", type: "pure-token", token: "FORCE", optional: true },
      { name: "justid", type: "pure-token", token: "JUSTID", optional: true },
      { name: "lastid", type: "string", token: "LASTID", optional: true },
    ],
    handler: claim,
  },
  {
    name: "xautoclaim",
    arity: -6,
    flags: ["write", "fast"],
    keys: KEY,
    group: "stream",
    summary:
      "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.",
    since: "6.2.0",
    complexity: "O(1) if COUNT is small.",
    arguments: [
      KEY_ARGUMENT,
      { name: "group", type: "string" },
      { name: "consumer", type: "string" },
      { name: "min-idle-time", type: "string" },
      { name: "start", type: "string" },
      { name: "count", type: "integer", token: "COUNT", optional: true },
      { name: "justid", type: "pure-token", token: "JUSTID", optional: true },
    ],
    handler: autoClaim,
  },
  {
    name: "xinfo",
    arity: -2,
    flags: [],
    group: "stream",
    summary: "A container for stream introspection commands",
    since: "5.0.0",
    complexity: "Depends on subcommand.",
    subcommands: [
      infoSubcommand("consumers", 4, "List the consumers in a consumer group", [
        KEY_ARGUMENT,
        GROUP_ARGUMENT,
      ]),
      infoSubcommand("groups", 3, "List the consumer groups of a stream", [KEY_ARGUMENT]),
      infoSubcommand("stream", -3, "Get information about a stream", [
        KEY_ARGUMENT,
        {
          name: "full-block",
          type: "block",
          optional: true,
          arguments: [
            { name: "full", type: "pure-token", token: "FULL" },
            { name: "count", type: "integer", token: "COUNT", optional: true },
          ],
        },
      ]),
      {
        name: "xinfo|help",
        arity: 2,
        flags: ["loading", "stale"],
        group: "stream",
        summary: "Show helpful text about the different subcommands",
        since: "5.0.0",
        complexity: "O(1)",
        handler: (_context, argv) => helpReply(argv[0]!, XINFO_HELP),
      },
    ],
  },
];
