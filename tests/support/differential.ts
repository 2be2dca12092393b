/**
 * The differential harness: one client on redis-server and one on Kache fed
 * the same commands, replies compared byte for byte after the normalizations
 * listed in tests/e2e/differential_test.ts's header; and the seeded picker the
 * random command generators draw from. Shared by every differential test file.
 *
 * @module
 */
import assert from "node:assert/strict";
import { stringToBytes } from "../../lib/bytes.ts";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { seededRandom } from "../../lib/random.ts";
import { type RawReply, RawRespClient } from "./resp_client.ts";

export type Argv = readonly string[];

/** Commands whose float replies are scores (normalization 1). */
const SCORE_COMMANDS = new Set([
  "zscore",
  "zmscore",
  "zincrby",
  "zpopmin",
  "zpopmax",
  "zmpop",
  "bzpopmin",
  "bzpopmax",
  "bzmpop",
]);
/**
 * Commands whose reply is a whole unordered collection (a hash or a set; SPOP
 * when its count takes the whole set): compared as sorted multisets, HGETALL
 * as sorted (field, value) pairs
 * (normalization 5 in tests/e2e/differential_hash_set_test.ts).
 */
export const UNORDERED_REPLIES: ReadonlySet<string> = new Set([
  "hgetall",
  "hkeys",
  "hvals",
  "smembers",
  "sinter",
  "sunion",
  "sdiff",
  "spop",
]);
/** Integer replies that depend on when the command arrived (normalization 2), with tolerance. */
const CLOCK_TOLERANCE: Readonly<Record<string, number>> = {
  ttl: 1,
  pttl: 1000,
  expiretime: 1,
  pexpiretime: 1000,
};

/**
 * Stream replies that hold times (XPENDING's idle, XINFO's idle, seen-time
 * and delivery times): integers may differ by this many milliseconds, since
 * the two servers see each command a moment apart (normalization 6).
 */
const STREAM_CLOCK_TOLERANCE = 1500;
const STREAM_CLOCK_COMMANDS = new Set(["xpending", "xinfo"]);

/** Whether two replies have the same shape and values, integers within `tolerance`. */
function agreeWithin(a: ClientReply, b: ClientReply, tolerance: number): boolean {
  if (a.type !== b.type) return false;
  if (a.type === "integer" && b.type === "integer") {
    return Math.abs(Number(a.value - b.value)) <= tolerance;
  }
  const itemsOf = (reply: ClientReply): readonly ClientReply[] | undefined =>
    reply.type === "map"
      ? reply.entries.flat()
      : reply.type === "array" || reply.type === "set" || reply.type === "push"
      ? reply.items
      : undefined;
  const [left, right] = [itemsOf(a), itemsOf(b)];
  if (left === undefined || right === undefined) {
    return JSON.stringify(shape(a, false)) === JSON.stringify(shape(b, false));
  }
  return left.length === right.length &&
    left.every((item, index) => agreeWithin(item, right[index]!, tolerance));
}

function hasScores(argv: Argv): boolean {
  const name = argv[0]!.toLowerCase();
  if (SCORE_COMMANDS.has(name)) return true;
  const options = argv.map((arg) => arg.toLowerCase());
  return options.includes("withscores") || (name === "zadd" && options.includes("incr"));
}

/** A reply as plain data for deepEqual; `number` stands for a normalized score. */
type Shape = string | number | null | Shape[];

function parseScore(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (lower === "inf" || lower === "+inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return undefined;
  return Number(text);
}

export function shape(reply: ClientReply, scores: boolean): Shape {
  switch (reply.type) {
    case "status":
      return `+${reply.value}`;
    case "error":
      return `-${reply.message}`;
    case "integer":
      return `:${reply.value}`;
    case "bulk": {
      const score = scores ? parseScore(reply.value) : undefined;
      return score ?? `$${reply.value}`;
    }
    case "double":
      return scores ? reply.value : `,${reply.text}`;
    case "null":
      return "_";
    case "null-array":
      return "*-1";
    case "boolean":
      return `#${reply.value}`;
    case "big-number":
      return `(${reply.value}`;
    case "verbatim":
      return `=${reply.format}:${reply.value}`;
    case "array":
    case "set":
    case "push":
      return [reply.type, ...reply.items.map((item) => shape(item, scores))];
    case "map":
      return [
        "map",
        ...reply.entries.map(([key, value]) => [shape(key, scores), shape(value, scores)]),
      ];
    case "status-code":
      return `status ${reply.status}`;
  }
}

export function show(raw: string): string {
  return JSON.stringify(raw);
}

/** HELLO's reply without the fields that legitimately differ (normalization 4). */
function helloShape(reply: ClientReply): Shape {
  const pairs: [ClientReply, ClientReply][] = reply.type === "map"
    ? reply.entries.map(([key, value]) => [key, value])
    : reply.type === "array"
    ? reply.items.flatMap((item, index, items) =>
      index % 2 === 0 ? [[item, items[index + 1]!] as [ClientReply, ClientReply]] : []
    )
    : [];
  if (pairs.length === 0) return shape(reply, false);
  return [
    reply.type,
    ...pairs.map(([key, value]): Shape => {
      const name = key.type === "bulk" ? key.value : "";
      return [
        shape(key, false),
        name === "version" || name === "id" ? "ignored" : shape(value, false),
      ];
    }),
  ];
}

/**
 * The elements of a KEYS reply, or of a SCAN/ZSCAN reply that returned
 * cursor 0, in sorted order (normalization 3); undefined for any other reply.
 */
function unordered(name: string, reply: ClientReply): string[] | undefined {
  let items = reply.type === "array" ? reply.items : undefined;
  if (name !== "keys") {
    const cursor = items?.[0];
    const elements = items?.[1];
    if (cursor?.type !== "bulk" || cursor.value !== "0" || elements?.type !== "array") {
      return undefined;
    }
    items = elements.items;
  }
  if (items === undefined) return undefined;
  const shapes = items.map((item) => JSON.stringify(shape(item, name === "zscan")));
  // ZSCAN returns member, score, member, score … (HSCAN field, value …): sort whole pairs.
  const groups = name === "zscan" || name === "hscan"
    ? shapes.flatMap((member, index) => index % 2 === 0 ? [`${member} ${shapes[index + 1]}`] : [])
    : shapes;
  return groups.sort();
}

/**
 * A collection reply as its type and sorted elements; a RESP2 HGETALL (an
 * array of field, value, …) and a RESP3 map are sorted as pairs. Anything
 * else (an error) is kept as it is.
 */
function sortedElements(reply: ClientReply, pairs: boolean): Shape {
  const text = (item: ClientReply) => JSON.stringify(shape(item, false));
  if (reply.type === "map") {
    return ["map", ...reply.entries.map(([k, v]) => `${text(k)} ${text(v)}`).sort()];
  }
  if (reply.type !== "array" && reply.type !== "set") return shape(reply, false);
  const items = reply.items.map(text);
  const groups = pairs
    ? items.flatMap((item, index) => index % 2 === 0 ? [`${item} ${items[index + 1]}`] : [])
    : items;
  return [reply.type, ...groups.sort()];
}

/** Whether two replies to `argv` agree, after the normalizations listed at the top. */
export function agree(argv: Argv, redis: RawReply, kache: RawReply): boolean {
  if (redis.raw === kache.raw) return true;
  const name = argv[0]!.toLowerCase();
  const tolerance = CLOCK_TOLERANCE[name];
  if (tolerance !== undefined) {
    const [a, b] = [redis.reply, kache.reply];
    return a.type === "integer" && b.type === "integer" && a.value >= 0n && b.value >= 0n &&
      Math.abs(Number(a.value - b.value)) <= tolerance;
  }
  if (
    name === "keys" || name === "scan" || name === "zscan" || name === "hscan" || name === "sscan"
  ) {
    const [a, b] = [unordered(name, redis.reply), unordered(name, kache.reply)];
    return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
  }
  if (UNORDERED_REPLIES.has(name)) {
    const pairs = name === "hgetall";
    return JSON.stringify(sortedElements(redis.reply, pairs)) ===
      JSON.stringify(sortedElements(kache.reply, pairs));
  }
  if (STREAM_CLOCK_COMMANDS.has(name)) {
    return agreeWithin(redis.reply, kache.reply, STREAM_CLOCK_TOLERANCE);
  }
  if (name === "hello") {
    return JSON.stringify(helloShape(redis.reply)) === JSON.stringify(helloShape(kache.reply));
  }
  if (hasScores(argv)) {
    return JSON.stringify(shape(redis.reply, true)) === JSON.stringify(shape(kache.reply, true));
  }
  return false;
}

/**
 * One client on each server, fed the same commands. Tracks MULTI so the
 * replies inside EXEC are normalized by the commands that were queued.
 */
export class Pair {
  readonly redis: RawRespClient;
  readonly kache: RawRespClient;
  readonly label: string;
  /** Commands queued since MULTI, or undefined outside a transaction. */
  #queued: Argv[] | undefined;
  /** Disagreements not yet reported: see {@link Pair.assertAgreed}. */
  #disagreements: string[] = [];

  constructor(redis: RawRespClient, kache: RawRespClient, label: string) {
    this.redis = redis;
    this.kache = kache;
    this.label = label;
  }

  static async open(redisPort: number, kachePort: number, label = "client"): Promise<Pair> {
    const redis = await RawRespClient.connect(redisPort);
    try {
      return new Pair(redis, await RawRespClient.connect(kachePort), label);
    } catch (error) {
      redis.close();
      throw error;
    }
  }

  /** Sends `argv` to both servers and fails the test when the replies disagree. */
  async run(...argv: string[]): Promise<RawReply> {
    const redis = await this.redis.send(argv);
    const kache = await this.kache.send(argv);
    this.#check(argv, redis, kache);
    return redis;
  }

  /**
   * Fails with every disagreement since the last call. Collecting them lets
   * one run show all differences in a sequence, not only the first.
   */
  assertAgreed(): void {
    const found = this.#disagreements;
    this.#disagreements = [];
    if (found.length > 0) assert.fail(`${found.length} disagreement(s):\n${found.join("\n")}`);
  }

  /** Runs each command in order. */
  async runAll(commands: readonly Argv[]): Promise<void> {
    for (const argv of commands) await this.run(...argv);
  }

  #check(argv: Argv, redis: RawReply, kache: RawReply): void {
    const name = argv[0]!.toLowerCase();
    let same: boolean;
    if (name === "exec" && this.#queued !== undefined && redis.reply.type === "array") {
      same = this.#execAgrees(redis, kache);
    } else {
      same = agree(argv, redis, kache);
    }
    this.#track(argv, redis);
    if (!same) {
      this.#disagreements.push(
        `${this.label}: Redis and Kache disagree on ${JSON.stringify(argv)}\n` +
          `  redis: ${show(redis.raw)}\n  kache: ${show(kache.raw)}`,
      );
    }
  }

  #execAgrees(redis: RawReply, kache: RawReply): boolean {
    if (redis.raw === kache.raw) return true;
    const [a, b] = [redis.reply, kache.reply];
    if (a.type !== "array" || b.type !== "array" || a.items.length !== b.items.length) return false;
    const queued = this.#queued!;
    return a.items.every((item, index) => {
      const argv = queued[index] ?? ["exec"];
      const other = b.items[index]!;
      const raw = (reply: ClientReply) => JSON.stringify(shape(reply, false));
      return agree(argv, { raw: raw(item), reply: item }, { raw: raw(other), reply: other });
    });
  }

  #track(argv: Argv, redis: RawReply): void {
    const name = argv[0]!.toLowerCase();
    if (this.#queued === undefined) {
      if (name === "multi" && redis.reply.type === "status") this.#queued = [];
    } else if (name === "exec" || name === "discard") {
      this.#queued = undefined;
    } else if (redis.reply.type === "status" && redis.reply.value === "QUEUED") {
      this.#queued.push(argv);
    }
  }

  close(): void {
    this.redis.close();
    this.kache.close();
  }
}

export class Picker {
  readonly #random: () => number;
  constructor(seed: number) {
    this.#random = seededRandom(seed);
  }
  chance(probability: number): boolean {
    return this.#random() < probability;
  }
  int(below: number): number {
    return Math.floor(this.#random() * below);
  }
  one<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  some<T>(items: readonly T[], most: number): T[] {
    return Array.from({ length: 1 + this.int(most) }, () => this.one(items));
  }
}

export const SENTINEL = "end of transcript";

/**
 * What a server answers to raw `bytes` on a new connection: every reply up to
 * a trailing ECHO sentinel, or, when the bytes should make it close the
 * connection, everything it sends before closing.
 */
export async function transcript(port: number, bytes: string, closes: boolean): Promise<string> {
  const client = await RawRespClient.connect(port);
  try {
    const sentinel = closes ? "" : `*2\r\n$4\r\nECHO\r\n$${SENTINEL.length}\r\n${SENTINEL}\r\n`;
    await client.writeRaw(stringToBytes(bytes + sentinel));
    if (closes) return `${await client.readToEnd()}<closed>`;
    let text = "";
    while (true) {
      const { raw, reply } = await client.readReply();
      if (reply.type === "bulk" && reply.value === SENTINEL) return text;
      text += raw;
    }
  } finally {
    client.close();
  }
}
