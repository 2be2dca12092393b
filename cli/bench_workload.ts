/**
 * What `kache bench` sends and how it recognises replies, with no I/O.
 *
 * Two pluggable halves keep the load generator protocol- and test-agnostic:
 * a {@link BenchWorkload} says which commands each connection repeats, and a
 * {@link BenchProtocol} encodes them and counts complete replies in a read
 * buffer. Every request is encoded once, before the clock starts, into one
 * contiguous {@link RequestRing}, so sending a pipeline of P requests is a
 * single `subarray` and a single write: the generator does almost no work per
 * request and stays far from being the bottleneck.
 *
 * Random keys work as in redis-benchmark: a command holds the 12-byte
 * placeholder `__rand_int__`, the ring remembers where each one landed, and
 * before a batch is sent its placeholders are overwritten in place with
 * 12 zero-padded digits — no re-encoding, no allocation per request.
 *
 * @module
 */
import { bytesToString } from "../lib/bytes.ts";
import { encodeKacheRequest, KacheStatus } from "../lib/protocol/kache.ts";
import { encodeRespRequest } from "../lib/protocol/resp_reply.ts";
import { seededRandom } from "../lib/random.ts";

/** A command as its arguments (one-byte strings). */
export type Command = readonly string[];

/** The commands each connection sends, in order, over and over. */
export interface BenchWorkload {
  /** Short name, the `-t` name, used as the test name in reports. */
  readonly name: string;
  /** What redis-benchmark calls the same test ("SET", "ZRANGE myzset 0 9"); the CSV's test column. */
  readonly title: string;
  /** Commands sent once, on one connection, before the clock starts (populating a set to read). */
  readonly setup: readonly Command[];
  /** The command list connection number `connection` (0-based) repeats. */
  commandsFor(connection: number): readonly Command[];
}

/**
 * Counts complete replies as bytes arrive. A counter is per connection because
 * a reply may be split across reads; it never decodes reply contents beyond
 * what tells an error apart.
 */
export interface ReplyCounter {
  /** Bytes the last {@link ReplyCounter.scan} used; the caller keeps the rest for the next read. */
  consumed: number;
  /** Error replies among those the last scan counted. */
  errorReplies: number;
  /** Their texts, in order (read only for error replies, so counting stays cheap). */
  readonly errorTexts: string[];
  /** Set when the bytes cannot be replies of this protocol: the connection must stop. */
  failure: string | undefined;
  /** Counts up to `limit` complete replies in `bytes[start, end)` and returns how many. */
  scan(bytes: Uint8Array, start: number, end: number, limit: number): number;
}

/** A wire protocol as the load generator needs it. */
export interface BenchProtocol {
  /** Short name for reports ("kache"). */
  readonly name: string;
  /** Encodes one request. */
  encode(command: Command): Uint8Array;
  /** A fresh reply counter for one connection. */
  createReplyCounter(): ReplyCounter;
}

/** Replies larger than this are treated as corrupt framing rather than buffered. */
const MAX_REPLY_LENGTH = 512 * 1024 * 1024;

/**
 * Counts binary-protocol response frames by their `u32` length alone, reading
 * only the status `u32`: status 3 (error) is the one status that means the
 * request failed for this workload — not-found and the like are ordinary
 * answers.
 */
class KacheReplyCounter implements ReplyCounter {
  consumed = 0;
  errorReplies = 0;
  readonly errorTexts: string[] = [];
  failure: string | undefined = undefined;

  scan(bytes: Uint8Array, start: number, end: number, limit: number): number {
    let offset = start;
    let replies = 0;
    let errors = 0;
    this.errorTexts.length = 0;
    while (replies < limit && end - offset >= 8) {
      const length = readU32(bytes, offset);
      if (length < 4 || length > MAX_REPLY_LENGTH) {
        this.failure = `bad response length ${length}`;
        break;
      }
      if (end - offset - 4 < length) break;
      if (readU32(bytes, offset + 4) === KacheStatus.error) {
        errors++;
        // An error item is tag 1, u32 length, then the message.
        const item = offset + 8;
        const textLength = length >= 9 && bytes[item] === 1 ? readU32(bytes, item + 1) : 0;
        this.errorTexts.push(
          textLength > 0 && textLength <= length - 9
            ? bytesToString(bytes, item + 5, item + 5 + textLength)
            : "(status 3: error)",
        );
      }
      offset += 4 + length;
      replies++;
    }
    this.consumed = offset - start;
    this.errorReplies = errors;
    return replies;
  }
}

/** Reads a little-endian u32 without allocating a DataView per read buffer. */
function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) |
    (bytes[offset + 3]! << 24)) >>> 0;
}

/** The binary Kache protocol (the original server's). */
export const kacheProtocol: BenchProtocol = {
  name: "kache",
  encode: encodeKacheRequest,
  createReplyCounter: () => new KacheReplyCounter(),
};

const CR = 13;
const LF = 10;
const MINUS = 45;
/** Aggregates larger than this are treated as corrupt framing rather than waited for. */
const MAX_AGGREGATE_LENGTH = 1 << 30;
/** {@link RespReplyCounter}'s "not all here yet" and "not RESP" answers. */
const INCOMPLETE = -1;
const BROKEN = -2;

/**
 * Counts RESP replies by walking their framing: type byte, header line,
 * bulk lengths jumped over, aggregate element counts added to what is still
 * owed. Nothing is decoded into values. A reply split across reads is simply
 * walked again from its start on the next scan; the replies this bench asks
 * for are a few dozen bytes, so that costs less than keeping walk state.
 * Only a top-level error (`-`, RESP3 `!`) counts as an error reply; an error
 * nested in an array (EXEC) is part of a successful answer.
 */
class RespReplyCounter implements ReplyCounter {
  consumed = 0;
  errorReplies = 0;
  readonly errorTexts: string[] = [];
  failure: string | undefined = undefined;

  scan(bytes: Uint8Array, start: number, end: number, limit: number): number {
    let offset = start;
    let replies = 0;
    let errors = 0;
    this.errorTexts.length = 0;
    while (replies < limit && offset < end) {
      const type = bytes[offset]!;
      const next = this.#skipReply(bytes, offset, end);
      if (next < 0) break;
      // 33 is "!", RESP3's blob error: its text follows the length line.
      if (type === MINUS || type === 33) {
        errors++;
        let textStart = offset + 1;
        if (type === 33) textStart = bytes.indexOf(LF, offset) + 1;
        let textEnd = bytes.indexOf(CR, textStart);
        if (textEnd < 0 || textEnd > next) textEnd = next;
        this.errorTexts.push(bytesToString(bytes, textStart, textEnd));
      }
      offset = next;
      replies++;
    }
    this.consumed = offset - start;
    this.errorReplies = errors;
    return replies;
  }

  /** The offset just past the complete reply at `offset`, or INCOMPLETE, or BROKEN. */
  #skipReply(bytes: Uint8Array, offset: number, end: number): number {
    let owed = 1;
    let position = offset;
    while (owed > 0) {
      if (position >= end) return INCOMPLETE;
      const type = bytes[position]!;
      let lineEnd = position + 1;
      while (lineEnd < end && bytes[lineEnd] !== CR) lineEnd++;
      if (lineEnd + 1 >= end) return INCOMPLETE;
      if (bytes[lineEnd + 1] !== LF) return this.#broken("a line not ended by CRLF");
      owed--;
      const next = lineEnd + 2;
      switch (type) {
        case 43: // + status
        case 45: // - error
        case 58: // : integer
        case 95: // _ RESP3 null
        case 44: // , RESP3 double
        case 35: // # RESP3 boolean
        case 40: // ( RESP3 big number
          position = next;
          break;
        case 36: // $ bulk string
        case 33: // ! RESP3 blob error
        case 61: { // = RESP3 verbatim string
          const length = parseLength(bytes, position + 1, lineEnd);
          if (length === undefined || length < -1 || length > MAX_REPLY_LENGTH) {
            return this.#broken("a bad bulk length");
          }
          if (length === -1) {
            position = next;
            break;
          }
          position = next + length + 2;
          if (position > end) return INCOMPLETE;
          if (bytes[position - 2] !== CR || bytes[position - 1] !== LF) {
            return this.#broken("a bulk string not ended by CRLF");
          }
          break;
        }
        case 42: // * array
        case 126: // ~ RESP3 set
        case 62: // > RESP3 push
        case 37: { // % RESP3 map: two elements per entry
          const length = parseLength(bytes, position + 1, lineEnd);
          if (length === undefined || length < -1 || length > MAX_AGGREGATE_LENGTH) {
            return this.#broken("a bad aggregate length");
          }
          if (length > 0) owed += type === 37 ? 2 * length : length;
          position = next;
          break;
        }
        default:
          return this.#broken(`unexpected byte ${type} where a reply starts`);
      }
    }
    return position;
  }

  #broken(reason: string): number {
    this.failure = reason;
    return BROKEN;
  }
}

/** The decimal integer in `bytes[start, end)`, optionally negative; undefined if not one. */
function parseLength(bytes: Uint8Array, start: number, end: number): number | undefined {
  let position = start;
  const negative = bytes[position] === MINUS;
  if (negative) position++;
  if (position >= end || end - position > 15) return undefined;
  let value = 0;
  for (; position < end; position++) {
    const digit = bytes[position]! - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

/** RESP2 requests as redis-benchmark and every Redis client send them. */
export const respProtocol: BenchProtocol = {
  name: "resp",
  encode: encodeRespRequest,
  createReplyCounter: () => new RespReplyCounter(),
};

/**
 * A small, fast, seedable PRNG (mulberry32) returning floats in [0, 1).
 * `Math.random` cannot be seeded, and runs must be reproducible by `--seed`.
 */
export function createRandom(seed: number): () => number {
  return seededRandom(seed);
}

/** A uniform integer in [min, max]. */
function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** The original benchmark's fixed opening of every command list. */
export const ORIGINAL_FIXED_COMMANDS: readonly Command[] = [
  ["set", "user:1:name", "Alice"],
  ["set", "user:2:name", "Bob"],
  ["set", "user:3:name", "Charlie"],
  ["get", "user:1:name"],
  ["get", "user:2:name"],
  ["del", "user:3:name"],
  ["zadd", "leaderboard", "100", "Alice"],
  ["zadd", "leaderboard", "200", "Bob"],
  ["zscore", "leaderboard", "Bob"],
  ["zquery", "leaderboard", "100", "Alice", "0", "3"],
  ["zrem", "leaderboard", "Alice"],
];

/** How many random commands follow the fixed ones in the original benchmark. */
export const ORIGINAL_RANDOM_COUNT = 50;

/** One random command of the original mix: set, get, del, zadd or zquery, equally likely. */
export function originalRandomCommand(random: () => number): Command {
  const kind = randomInt(random, 0, 4);
  const n = randomInt(random, 1, 1000);
  switch (kind) {
    case 0:
      return ["set", `user:${n}:name`, `value${n}`];
    case 1:
      return ["get", `user:${n}:name`];
    case 2:
      return ["del", `user:${n}:name`];
    case 3:
      return ["zadd", "leaderboard", String(randomInt(random, 0, 1000)), `user${n}`];
    default:
      return [
        "zquery",
        "leaderboard",
        "0",
        `user${n}`,
        String(randomInt(random, 0, 4)),
        String(randomInt(random, 1, 10)),
      ];
  }
}

/**
 * Mixes the run's seed with a connection number so each connection gets its
 * own stream that does not depend on how many connections there are.
 */
function connectionSeed(seed: number, connection: number): number {
  let h = (seed ^ Math.imul(connection + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The original C++ benchmark's workload: per connection, the 11 fixed commands
 * then 50 random ones drawn once, 61 in all, sent in that order every repeat.
 */
export function originalWorkload(seed: number): BenchWorkload {
  return {
    name: "original",
    title: "original",
    setup: [],
    commandsFor(connection: number): readonly Command[] {
      const random = createRandom(connectionSeed(seed, connection));
      const commands = [...ORIGINAL_FIXED_COMMANDS];
      for (let i = 0; i < ORIGINAL_RANDOM_COUNT; i++) commands.push(originalRandomCommand(random));
      return commands;
    },
  };
}

/**
 * A connection's command list encoded back to back, long enough that any run
 * of up to `window` consecutive requests starting inside the first period is
 * contiguous — so a pipelined batch never needs copying, even when it wraps
 * around the end of the list.
 */
export interface RequestRing {
  /** All encoded requests, concatenated. */
  readonly bytes: Uint8Array;
  /** `offsets[i]` is where request `i` starts; one extra entry marks the end. */
  readonly offsets: readonly number[];
  /** Number of distinct requests (the command list's length). */
  readonly period: number;
  /** Where each `__rand_int__` placeholder starts in `bytes`, in order. */
  readonly randomSlots: Int32Array;
  /** `slotIndex[i]` is the first of request `i`'s entries in `randomSlots`; one extra marks the end. */
  readonly slotIndex: Int32Array;
}

/** redis-benchmark's random-key placeholder: 12 bytes, replaced by 12 digits. */
export const RANDOM_PLACEHOLDER = "__rand_int__";

/** Largest `-r`: 12 decimal digits is all the placeholder holds. */
export const MAX_KEYSPACE = 1e12;

const PLACEHOLDER_BYTES = Uint8Array.from(RANDOM_PLACEHOLDER, (char) => char.charCodeAt(0));

/** Offsets of every placeholder in `bytes`, in order. */
function findPlaceholders(bytes: Uint8Array): number[] {
  const found: number[] = [];
  const first = PLACEHOLDER_BYTES[0]!;
  outer: for (let i = 0; i + PLACEHOLDER_BYTES.length <= bytes.length; i++) {
    if (bytes[i] !== first) continue;
    for (let j = 1; j < PLACEHOLDER_BYTES.length; j++) {
      if (bytes[i + j] !== PLACEHOLDER_BYTES[j]) continue outer;
    }
    found.push(i);
    i += PLACEHOLDER_BYTES.length - 1;
  }
  return found;
}

/** Encodes `commands` once into a ring that serves batches of up to `window` requests. */
export function encodeRequestRing(
  commands: readonly Command[],
  protocol: BenchProtocol,
  window: number,
): RequestRing {
  if (commands.length === 0) throw new RangeError("A workload needs at least one command");
  const encoded = commands.map((command) => protocol.encode(command));
  const placeholders = encoded.map(findPlaceholders);
  const total = commands.length + Math.max(0, window - 1);
  const offsets = [0];
  let size = 0;
  let slots = 0;
  for (let i = 0; i < total; i++) {
    size += encoded[i % encoded.length]!.length;
    slots += placeholders[i % encoded.length]!.length;
    offsets.push(size);
  }
  const bytes = new Uint8Array(size);
  const randomSlots = new Int32Array(slots);
  const slotIndex = new Int32Array(total + 1);
  let slot = 0;
  for (let i = 0; i < total; i++) {
    bytes.set(encoded[i % encoded.length]!, offsets[i]!);
    slotIndex[i] = slot;
    for (const at of placeholders[i % encoded.length]!) randomSlots[slot++] = offsets[i]! + at;
  }
  slotIndex[total] = slot;
  return { bytes, offsets, period: commands.length, randomSlots, slotIndex };
}

/** The bytes of `count` consecutive requests starting at request `start` (< period). */
export function requestBatch(ring: RequestRing, start: number, count: number): Uint8Array {
  return ring.bytes.subarray(ring.offsets[start]!, ring.offsets[start + count]!);
}

/**
 * Overwrites the placeholders of `count` requests from `start` with fresh
 * random numbers in [0, keyspace), 12 digits zero-padded, as redis-benchmark
 * `-r` does: each placeholder draws its own number.
 */
export function fillRandomKeys(
  ring: RequestRing,
  start: number,
  count: number,
  keyspace: number,
  random: () => number,
): void {
  const { bytes, randomSlots, slotIndex } = ring;
  const last = slotIndex[start + count]!;
  for (let slot = slotIndex[start]!; slot < last; slot++) {
    let value = Math.floor(random() * keyspace);
    // Digits right to left; `%` and division on doubles stay exact below 2^53.
    for (let at = randomSlots[slot]! + 11, end = at - 12; at > end; at--) {
      const digit = value % 10;
      bytes[at] = 48 + digit;
      value = (value - digit) / 10;
    }
  }
}

/** The random stream that fills connection `connection`'s keys, apart from its command stream. */
export function keyRandom(seed: number, connection: number): () => number {
  return createRandom(connectionSeed(seed ^ 0x5bd1e995, connection));
}

/**
 * Splits a total request count across connections as evenly as possible
 * (the first `total % connections` send one more).
 */
export function splitRequests(total: number, connections: number): number[] {
  const base = Math.floor(total / connections);
  const extra = total % connections;
  return Array.from({ length: connections }, (_, i) => base + (i < extra ? 1 : 0));
}

/** The `-t` test names, in the order a run goes through them when several are named. */
export const BENCH_TESTS = [
  "set",
  "get",
  "incr",
  "zadd",
  "zrange",
  "zquery",
  "mixed",
  "original",
] as const;

/** One `-t` test name. */
export type BenchTest = typeof BENCH_TESTS[number];

/** What shapes the redis-benchmark-style workloads. */
export interface WorkloadOptions {
  /** Bytes in each SET value (`-d`); redis-benchmark's values are that many `x`. */
  readonly valueSize: number;
  /** Whether `-r` randomises keys: redis-benchmark then also randomises ZADD's score. */
  readonly randomKeys: boolean;
  /** Seeds the mixed and original lists. */
  readonly seed: number;
}

/** Members `zrange` and `zquery` put into `myzset` before the clock starts. */
export const ZSET_SETUP_MEMBERS = 100;

/**
 * Fills `myzset` with {@link ZSET_SETUP_MEMBERS} members, one ZADD each so
 * the binary protocol's original four-argument `zadd` accepts them too.
 */
export function zsetSetupCommands(): Command[] {
  return Array.from(
    { length: ZSET_SETUP_MEMBERS },
    (_, i) => ["ZADD", "myzset", String(i), `element:${i}`],
  );
}

/** Commands in each connection's mixed list. */
export const MIXED_LIST_LENGTH = 100;

/**
 * One command of the mixed test: GET 50%, SET 35%, ZADD 15% — a read-heavy
 * cache with a leaderboard beside it, on redis-benchmark's keys.
 */
export function mixedCommand(random: () => number, options: WorkloadOptions): Command {
  const draw = random();
  if (draw < 0.5) return ["GET", `key:${RANDOM_PLACEHOLDER}`];
  if (draw < 0.85) return ["SET", `key:${RANDOM_PLACEHOLDER}`, "x".repeat(options.valueSize)];
  return zaddCommand(options);
}

function zaddCommand(options: WorkloadOptions): Command {
  const score = options.randomKeys ? RANDOM_PLACEHOLDER : "0";
  return ["ZADD", "myzset", score, `element:${RANDOM_PLACEHOLDER}`];
}

/** A workload that repeats one command, as each redis-benchmark test does. */
function singleCommand(
  name: BenchTest,
  title: string,
  command: Command,
  setup: readonly Command[] = [],
): BenchWorkload {
  return { name, title, setup, commandsFor: () => [command] };
}

/**
 * The workload of a `-t` test. set, get, incr and zadd send exactly what
 * redis-benchmark's tests of those names send; zrange is its custom-command
 * `ZRANGE myzset 0 9` after populating myzset; zquery is Kache's own range
 * read (10 members with scores, like `ZRANGE myzset 0 9 WITHSCORES`); mixed
 * is {@link mixedCommand}'s mix; original is {@link originalWorkload}.
 */
export function benchWorkload(test: BenchTest, options: WorkloadOptions): BenchWorkload {
  switch (test) {
    case "set":
      return singleCommand(test, "SET", [
        "SET",
        `key:${RANDOM_PLACEHOLDER}`,
        "x".repeat(options.valueSize),
      ]);
    case "get":
      return singleCommand(test, "GET", ["GET", `key:${RANDOM_PLACEHOLDER}`]);
    case "incr":
      return singleCommand(test, "INCR", ["INCR", `counter:${RANDOM_PLACEHOLDER}`]);
    case "zadd":
      return singleCommand(test, "ZADD", zaddCommand(options));
    case "zrange":
      return singleCommand(
        test,
        "ZRANGE myzset 0 9",
        ["ZRANGE", "myzset", "0", "9"],
        zsetSetupCommands(),
      );
    case "zquery":
      // Limit counts array items: 20 items are 10 member-score pairs.
      return singleCommand(
        test,
        "ZQUERY myzset 0 element:0 0 20",
        ["ZQUERY", "myzset", "0", "element:0", "0", "20"],
        zsetSetupCommands(),
      );
    case "mixed":
      return {
        name: test,
        title: "MIXED",
        setup: [],
        commandsFor(connection: number): readonly Command[] {
          const random = createRandom(connectionSeed(options.seed, connection));
          return Array.from({ length: MIXED_LIST_LENGTH }, () => mixedCommand(random, options));
        },
      };
    case "original":
      return originalWorkload(options.seed);
  }
}
