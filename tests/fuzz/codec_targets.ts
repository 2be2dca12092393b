/**
 * Fuzz targets for the four decoders: RespDecoder and KacheDecoder (requests,
 * server side), RespReplyDecoder and KacheResponseDecoder (replies, client
 * side). One case builds a valid pipelined stream, usually mutates it, and
 * checks the decoder's contract:
 *
 * - it never throws, and reports broken framing as a value;
 * - `consumed` is a whole number within the input;
 * - fed the same bytes in random chunks (as reads deliver them, with the
 *   unconsumed tail moved around the buffer and unrelated bytes after `end`),
 *   it gives exactly what one call over the whole input gives: the same items,
 *   the same error, the same bytes consumed (prefix consistency);
 * - an unmutated stream decodes back to what was encoded.
 *
 * Cases are plain functions of a {@link Random}, shared by the test suite and
 * the long `deno task fuzz` run, so a failure from either is replayed from its
 * seed and index.
 *
 * @module
 */
import {
  encodeKacheRequest,
  KacheDecoder,
  KacheEncoder,
  KacheResponseDecoder,
  type KacheStatus,
} from "../../lib/protocol/kache.ts";
import { encodeReply, RespDecoder } from "../../lib/protocol/resp.ts";
import { RespReplyDecoder } from "../../lib/protocol/resp_reply.ts";
import {
  array,
  boolean,
  bulk,
  double,
  error,
  integer,
  map,
  NIL,
  NIL_ARRAY,
  push,
  type Reply,
  set,
  status,
  verbatim,
} from "../../lib/reply.ts";
import { hexPreview, mutate, Random, randomCuts, type WireFormat } from "./mutate.ts";
import { concatBytes } from "../../lib/bytes.ts";

/** The decoders under test. */
export type CodecName = "resp-request" | "kache-request" | "resp-reply" | "kache-response";

export const CODECS: readonly CodecName[] = [
  "resp-request",
  "kache-request",
  "resp-reply",
  "kache-response",
];

/** A broken contract, with what is needed to replay it. */
export interface CodecFailure {
  readonly codec: CodecName;
  readonly problem: string;
  /** Decoder options of the case, as JSON. */
  readonly options: string;
  /** The input's bytes, hex, shortened for long inputs. */
  readonly input: string;
}

/** What any of the four decoders returns, reduced to what the checks compare. */
interface Decoded {
  readonly items: readonly unknown[];
  readonly consumed: number;
  readonly error?: string;
}

interface StreamDecoder {
  decode(bytes: Uint8Array, start: number, end: number): Decoded;
}

/** One case's ingredients: a decoder factory, a valid stream and what it should decode to. */
interface Target {
  readonly format: WireFormat;
  readonly options: Record<string, number>;
  create(): StreamDecoder;
  /** A valid stream and its expected items (canonical strings) or item count. */
  validStream(random: Random): { bytes: Uint8Array; expected: string[] | number };
}

// ---------------------------------------------------------------------------
// Valid streams

const WORDS = [
  "GET",
  "SET",
  "PING",
  "ZADD",
  "k",
  "v",
  "",
  "hello world",
  "a\r\nb",
  "\x00\xff",
  "*1",
  "$3",
  '"quoted"',
  "it's",
  "\\x41",
  "-1",
  "9223372036854775807",
  "\r\n",
];

/** One argument: words, printable text, all-256-byte binaries, digits, sometimes long. */
export function randomArgument(random: Random): string {
  const roll = random.int(10);
  if (roll < 3) return random.pick(WORDS);
  if (roll < 6) {
    let text = "";
    for (let i = random.skewed(24); i > 0; i--) text += String.fromCharCode(random.range(33, 126));
    return text;
  }
  if (roll < 8) {
    let text = "";
    for (let i = random.skewed(48); i > 0; i--) text += String.fromCharCode(random.int(256));
    return text;
  }
  if (roll < 9) return String(random.next() - 2147483648);
  return String.fromCharCode(random.range(97, 122)).repeat(random.range(100, 3000));
}

function randomArgv(random: Random): string[] {
  const argv: string[] = [];
  for (let i = random.range(1, 7); i > 0; i--) argv.push(randomArgument(random));
  return argv;
}

function bytesOfLatin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Printable, no quotes, no backslash: safe as a bare inline word. */
function isBareWord(arg: string): boolean {
  if (arg.length === 0) return false;
  for (let i = 0; i < arg.length; i++) {
    const code = arg.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f || code === 0x22 || code === 0x27 || code === 0x5c) {
      return false;
    }
  }
  return true;
}

/** An inline argument in double quotes with `\xHH` escapes, as redis-cli would type it. */
function quotedWord(arg: string): string {
  let out = '"';
  for (let i = 0; i < arg.length; i++) {
    const code = arg.charCodeAt(i);
    if (code === 0x22 || code === 0x5c) out += "\\" + arg[i];
    else if (code < 0x20 || code >= 0x7f) out += "\\x" + code.toString(16).padStart(2, "0");
    else out += arg[i];
  }
  return out + '"';
}

/** RESP multibulk framing of argv, as clients send it. */
function multibulk(argv: readonly string[]): string {
  let out = `*${argv.length}\r\n`;
  for (const arg of argv) out += `$${arg.length}\r\n${arg}\r\n`;
  return out;
}

function respRequestStream(random: Random): { bytes: Uint8Array; expected: string[] } {
  const parts: string[] = [];
  const expected: string[] = [];
  for (let i = random.range(1, 8); i > 0; i--) {
    const roll = random.int(20);
    if (roll === 0) {
      // Requests that decode to nothing: Redis skips them.
      parts.push(random.pick(["*0\r\n", "*-1\r\n", "\r\n", "\n", "   \r\n"]));
      continue;
    }
    const argv = randomArgv(random);
    expected.push(canonical(argv));
    if (roll < 15) {
      parts.push(multibulk(argv));
    } else {
      // A line starting with `*` is multibulk, so a first word like that goes in quotes.
      const words = argv.map((arg, i) =>
        isBareWord(arg) && !(i === 0 && arg.startsWith("*")) && random.chance(0.7)
          ? arg
          : quotedWord(arg)
      );
      parts.push(words.join(random.pick([" ", "  ", "\t"])) + random.pick(["\r\n", "\n"]));
    }
  }
  return { bytes: bytesOfLatin1(parts.join("")), expected };
}

function kacheRequestStream(random: Random): { bytes: Uint8Array; expected: string[] } {
  const frames: Uint8Array[] = [];
  const expected: string[] = [];
  for (let i = random.range(1, 8); i > 0; i--) {
    const argv = random.chance(0.05) ? [] : randomArgv(random);
    expected.push(canonical(argv));
    frames.push(encodeKacheRequest(argv));
  }
  return { bytes: concatBytes(frames), expected };
}

/** A random reply tree, at most `depth` aggregates deep. */
export function randomReply(random: Random, depth = 3): Reply {
  const roll = random.int(depth > 0 ? 16 : 12);
  switch (roll) {
    case 0:
      return NIL;
    case 1:
      return NIL_ARRAY;
    case 2:
      return status(random.pick(["OK", "PONG", "QUEUED", "some status"]));
    case 3:
      return error(random.pick(["ERR syntax error", "WRONGTYPE Operation", "NOAUTH x"]));
    case 4:
      return integer(
        random.chance(0.5)
          ? random.next() - 2147483648
          : BigInt.asIntN(64, BigInt(random.next()) << 32n | BigInt(random.next())),
      );
    case 5:
      return double(
        random.pick([0, -0, 1.5, -2.25, 1e300, 5e-324, Infinity, -Infinity, random.float()]),
      );
    case 6:
    case 7:
      return bulk(randomArgument(random));
    case 8:
      return boolean(random.chance(0.5));
    case 9:
      return {
        kind: "big-number",
        value: BigInt(random.next()) ** 3n * (random.chance(0.5) ? -1n : 1n),
      };
    case 10:
      return verbatim(randomArgument(random), random.pick(["txt", "mkd"]));
    case 11:
      return integer(random.pick([0, 1, -1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]));
    case 12:
      return array(replyItems(random, depth));
    case 13:
      return set(replyItems(random, depth));
    case 14:
      return push(replyItems(random, depth));
    default: {
      const entries: [Reply, Reply][] = [];
      for (let i = random.skewed(4); i > 0; i--) {
        entries.push([randomReply(random, depth - 1), randomReply(random, depth - 1)]);
      }
      return map(entries);
    }
  }
}

function replyItems(random: Random, depth: number): Reply[] {
  const items: Reply[] = [];
  for (let i = random.skewed(6); i > 0; i--) items.push(randomReply(random, depth - 1));
  return items;
}

/** RESP3 attributes precede the reply they describe and are not replies themselves. */
const ATTRIBUTE_PREFIXES = ["|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n", "|0\r\n"];

function respReplyStream(random: Random): { bytes: Uint8Array; expected: number } {
  const protocol = random.chance(0.5) ? 2 : 3;
  const parts: Uint8Array[] = [];
  let count = 0;
  for (let i = random.range(1, 8); i > 0; i--) {
    if (protocol === 3 && random.chance(0.1)) {
      parts.push(bytesOfLatin1(random.pick(ATTRIBUTE_PREFIXES)));
    }
    parts.push(encodeReply(randomReply(random), protocol));
    count++;
  }
  return { bytes: concatBytes(parts), expected: count };
}

const STATUSES: readonly KacheStatus[] = [0, 1, 2, 3, 4, 5];

function kacheResponseStream(random: Random): { bytes: Uint8Array; expected: number } {
  const encoder = new KacheEncoder(64);
  let count = 0;
  for (let i = random.range(1, 8); i > 0; i--) {
    if (random.chance(0.3)) {
      const item = random.chance(0.3) ? undefined : randomReply(random);
      encoder.writeResponse(random.pick(STATUSES), item);
    } else {
      encoder.writeReply(randomReply(random));
    }
    count++;
  }
  return { bytes: encoder.take().slice(), expected: count };
}

// ---------------------------------------------------------------------------
// Targets

type Options = Record<string, number>;

/** Limits other than the defaults, so the limit checks get fuzzed too. */
function randomOptions(codec: CodecName, random: Random): Options {
  if (random.chance(0.5)) return {};
  switch (codec) {
    case "resp-request":
      return {
        maxBulkLength: random.pick([0, 1, 16, 100, 4096]),
        maxMultibulkLength: random.pick([0, 1, 3, 10, 1000]),
        maxInlineLength: random.pick([1, 4, 16, 256, 4096]),
      };
    case "kache-request":
      return {
        maxFrameLength: random.pick([0, 4, 8, 64, 4096]),
        maxArgs: random.pick([0, 1, 2, 64]),
      };
    case "resp-reply":
      return { maxBulkLength: random.pick([0, 5, 100]) };
    case "kache-response":
      return { maxFrameLength: random.pick([4, 64, 4096]) };
  }
}

function respRequestDecoder(options: Options): StreamDecoder {
  const decoder = new RespDecoder(options);
  return {
    decode(bytes, start, end) {
      const result = decoder.decode(bytes, start, end);
      const needed = decoder.bytesNeeded;
      if (!(Number.isInteger(needed) && needed >= 0)) {
        throw new InvariantError(`bytesNeeded is ${needed}`);
      }
      return { items: result.requests, consumed: result.consumed, error: result.error };
    },
  };
}

function kacheRequestDecoder(options: Options): StreamDecoder {
  const decoder = new KacheDecoder(options);
  return {
    decode(bytes, start, end) {
      const result = decoder.decode(bytes, start, end);
      const needed = decoder.bytesNeeded;
      if (!(Number.isInteger(needed) && needed >= 4 && needed <= 4 + decoder.maxFrameLength)) {
        throw new InvariantError(`bytesNeeded is ${needed}`);
      }
      for (const argv of result.requests) {
        if (argv.length > decoder.maxArgs) throw new InvariantError("more arguments than maxArgs");
      }
      return { items: result.requests, consumed: result.consumed, error: result.error };
    },
  };
}

function respReplyDecoder(options: Options): StreamDecoder {
  const decoder = new RespReplyDecoder(options);
  return {
    decode(bytes, start, end) {
      const result = decoder.decode(bytes, start, end);
      return { items: result.replies, consumed: result.consumed, error: result.error };
    },
  };
}

function kacheResponseDecoder(options: Options): StreamDecoder {
  const decoder = new KacheResponseDecoder(options.maxFrameLength);
  return {
    decode(bytes, start, end) {
      const result = decoder.decode(bytes, start, end);
      return { items: result.responses, consumed: result.consumed, error: result.error };
    },
  };
}

const TARGETS: Record<
  CodecName,
  Omit<Target, "options" | "create"> & {
    create(options: Options): StreamDecoder;
  }
> = {
  "resp-request": { format: "resp", create: respRequestDecoder, validStream: respRequestStream },
  "kache-request": {
    format: "kache",
    create: kacheRequestDecoder,
    validStream: kacheRequestStream,
  },
  "resp-reply": { format: "resp", create: respReplyDecoder, validStream: respReplyStream },
  "kache-response": {
    format: "kache",
    create: kacheResponseDecoder,
    validStream: kacheResponseStream,
  },
};

function targetOf(codec: CodecName, options: Options): Target {
  const base = TARGETS[codec];
  return { ...base, options, create: () => base.create(options) };
}

// ---------------------------------------------------------------------------
// Checks

/** A broken decoder contract found while feeding input (not a throw from the decoder itself). */
class InvariantError extends Error {}

const CLOSE = Symbol("close");

/**
 * A canonical text for any decoded value (bigint, NaN, -0 and nested
 * aggregates included), built without recursion so a deeply nested reply
 * cannot overflow the checker's own stack.
 */
export function canonical(root: unknown): string {
  const parts: string[] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === CLOSE) {
      parts.push(")");
    } else if (typeof value === "string") {
      parts.push(JSON.stringify(value));
    } else if (typeof value === "bigint") {
      parts.push(`${value}n`);
    } else if (typeof value === "number") {
      parts.push(Object.is(value, -0) ? "-0" : String(value));
    } else if (Array.isArray(value)) {
      parts.push("[");
      stack.push(CLOSE);
      for (let i = value.length - 1; i >= 0; i--) stack.push(value[i]);
    } else if (typeof value === "object" && value !== null) {
      parts.push("{");
      stack.push(CLOSE);
      const keys = Object.keys(value).sort().reverse();
      for (const key of keys) {
        stack.push((value as Record<string, unknown>)[key]);
        stack.push(key + ":");
      }
    } else {
      parts.push(String(value));
    }
  }
  return parts.join(",");
}

/** Unrelated bytes a decoder must never look at: they sit past `end`. */
function fillGarbage(bytes: Uint8Array, from: number, random: Random): void {
  for (let i = from; i < bytes.length; i++) {
    bytes[i] = random.chance(0.3)
      ? random.pick([0x0d, 0x0a, 0x30, 0x31, 0x24, 0x2a])
      : random.next();
  }
}

/** A view on a larger buffer at a random offset, so DataView offsets get tested too. */
function offsetView(size: number, random: Random): Uint8Array {
  const before = random.int(8);
  const after = random.int(32);
  const backing = new Uint8Array(before + size + after);
  fillGarbage(backing, 0, random);
  return backing.subarray(before, before + size + after);
}

function checkResult(result: Decoded, available: number): void {
  if (!Number.isInteger(result.consumed) || result.consumed < 0 || result.consumed > available) {
    throw new InvariantError(`consumed ${result.consumed} of ${available} bytes`);
  }
  if (result.error !== undefined && typeof result.error !== "string") {
    throw new InvariantError("error is not a string");
  }
  if (!Array.isArray(result.items)) throw new InvariantError("items is not an array");
}

interface Outcome {
  items: string[];
  consumed: number;
  error: string | undefined;
}

/** One decode call over the whole input. */
function decodeWhole(target: Target, input: Uint8Array, random: Random): Outcome {
  const view = offsetView(input.length, random);
  const start = random.int(Math.min(4, view.length - input.length + 1));
  view.set(input, start);
  const result = target.create().decode(view, start, start + input.length);
  checkResult(result, input.length);
  return {
    items: result.items.map(canonical),
    consumed: result.consumed,
    error: result.error,
  };
}

/**
 * Feeds the input in chunks as a connection does: the unconsumed tail stays
 * in the buffer (sometimes moved to a fresh buffer), new bytes are appended.
 */
function decodeChunked(target: Target, input: Uint8Array, random: Random): Outcome {
  const decoder = target.create();
  const items: string[] = [];
  let consumedTotal = 0;
  let buffer = offsetView(64, random);
  let start = 0;
  let end = 0;
  let previous = 0;
  for (const cut of randomCuts(input.length, random)) {
    const chunk = input.subarray(previous, cut);
    previous = cut;
    if (end + chunk.length > buffer.length || random.chance(0.3)) {
      const moved = offsetView(end - start + chunk.length + random.int(64), random);
      moved.set(buffer.subarray(start, end));
      end -= start;
      start = 0;
      buffer = moved;
    }
    buffer.set(chunk, end);
    end += chunk.length;
    fillGarbage(buffer, end, random);
    const result = decoder.decode(buffer, start, end);
    checkResult(result, end - start);
    for (const item of result.items) items.push(canonical(item));
    start += result.consumed;
    consumedTotal += result.consumed;
    if (result.error !== undefined) return { items, consumed: consumedTotal, error: result.error };
  }
  return { items, consumed: consumedTotal, error: undefined };
}

function sameItems(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

function firstDifference(a: readonly string[], b: readonly string[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return `item ${i}: ${(a[i] ?? "<none>").slice(0, 120)} vs ${
        (b[i] ?? "<none>").slice(0, 120)
      }`;
    }
  }
  return "no difference";
}

/** Which contract a case broke, or undefined. */
function check(
  target: Target,
  input: Uint8Array,
  expected: string[] | number | undefined,
  random: Random,
): string | undefined {
  let whole: Outcome;
  let chunked: Outcome;
  try {
    whole = decodeWhole(target, input, random);
    chunked = decodeChunked(target, input, random);
  } catch (cause) {
    if (cause instanceof InvariantError) return cause.message;
    return `decoder threw ${cause instanceof Error ? `${cause.name}: ${cause.message}` : cause}`;
  }
  if (whole.error !== chunked.error) {
    return `error differs when chunked: ${whole.error} vs ${chunked.error}`;
  }
  if (whole.consumed !== chunked.consumed) {
    return `consumed differs when chunked: ${whole.consumed} vs ${chunked.consumed}`;
  }
  if (!sameItems(whole.items, chunked.items)) {
    return `items differ when chunked: ${firstDifference(whole.items, chunked.items)}`;
  }
  if (expected === undefined) return undefined;
  if (whole.error !== undefined) return `valid stream failed: ${whole.error}`;
  if (whole.consumed !== input.length) {
    return `valid stream consumed ${whole.consumed} of ${input.length} bytes`;
  }
  if (typeof expected === "number") {
    if (whole.items.length !== expected) {
      return `valid stream gave ${whole.items.length} items, encoded ${expected}`;
    }
  } else if (!sameItems(whole.items, expected)) {
    return `valid stream decoded differently: ${firstDifference(expected, whole.items)}`;
  }
  return undefined;
}

/**
 * Runs one case against `codec`: a valid stream (kept intact with probability
 * 0.15, otherwise mutated) checked for the contracts in the module comment.
 */
export function fuzzCodecCase(codec: CodecName, random: Random): CodecFailure | undefined {
  const target = targetOf(codec, randomOptions(codec, random));
  const corpus = [target.validStream(random).bytes, target.validStream(random).bytes];
  const { bytes, expected } = target.validStream(random);
  const intact = random.chance(0.15);
  const input = intact ? bytes : mutate(bytes, random, { format: target.format, corpus });
  // Limits other than the defaults make valid streams fail on purpose: no round trip then.
  const roundTrip = intact && Object.keys(target.options).length === 0;
  const problem = check(target, input, roundTrip ? expected : undefined, random);
  if (problem === undefined) return undefined;
  return { codec, problem, options: JSON.stringify(target.options), input: hexPreview(input) };
}

/**
 * Checks one fixed input (a regression case) against `codec` with default
 * limits: returns the broken contract, or undefined.
 */
export function checkCodecInput(codec: CodecName, input: Uint8Array, seed = 1): string | undefined {
  return check(targetOf(codec, {}), input, undefined, new Random(seed));
}
