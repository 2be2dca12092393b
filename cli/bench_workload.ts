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
 * @module
 */
import { encodeKacheRequest, KacheStatus } from "../lib/protocol/kache.ts";

/** A command as its arguments (one-byte strings). */
export type Command = readonly string[];

/** The commands each connection sends, in order, over and over. */
export interface BenchWorkload {
  /** Short name, used as the test name in reports. */
  readonly name: string;
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
  failure: string | undefined = undefined;

  scan(bytes: Uint8Array, start: number, end: number, limit: number): number {
    let offset = start;
    let replies = 0;
    let errors = 0;
    while (replies < limit && end - offset >= 8) {
      const length = readU32(bytes, offset);
      if (length < 4 || length > MAX_REPLY_LENGTH) {
        this.failure = `bad response length ${length}`;
        break;
      }
      if (end - offset - 4 < length) break;
      if (readU32(bytes, offset + 4) === KacheStatus.error) errors++;
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

/**
 * A small, fast, seedable PRNG (mulberry32) returning floats in [0, 1).
 * `Math.random` cannot be seeded, and runs must be reproducible by `--seed`.
 */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
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
}

/** Encodes `commands` once into a ring that serves batches of up to `window` requests. */
export function encodeRequestRing(
  commands: readonly Command[],
  protocol: BenchProtocol,
  window: number,
): RequestRing {
  if (commands.length === 0) throw new RangeError("A workload needs at least one command");
  const encoded = commands.map((command) => protocol.encode(command));
  const total = commands.length + Math.max(0, window - 1);
  const offsets = [0];
  let size = 0;
  for (let i = 0; i < total; i++) {
    size += encoded[i % encoded.length]!.length;
    offsets.push(size);
  }
  const bytes = new Uint8Array(size);
  for (let i = 0; i < total; i++) bytes.set(encoded[i % encoded.length]!, offsets[i]!);
  return { bytes, offsets, period: commands.length };
}

/** The bytes of `count` consecutive requests starting at request `start` (< period). */
export function requestBatch(ring: RequestRing, start: number, count: number): Uint8Array {
  return ring.bytes.subarray(ring.offsets[start]!, ring.offsets[start + count]!);
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
