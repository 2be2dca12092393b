/**
 * The client side of RESP: an incremental decoder of RESP2 and RESP3
 * *replies* into {@link ClientReply} trees, the request encoder, and the
 * mapping of binary Kache responses onto the same tree, so one renderer
 * (`cli/render.ts`) and one set of test helpers serve both protocols.
 *
 * The decoder keeps a stack of the aggregates it is inside, so a reply that
 * arrives in many reads is parsed once: each call consumes every complete
 * element and leaves only the unfinished one (a header line or a bulk body)
 * for the caller to hand back with more bytes. Re-parsing from the start of
 * the reply on every read would make a large LRANGE quadratic.
 *
 * Strings are one-byte strings (char code = byte), as everywhere in Kache.
 * Integers and big numbers are bigint: the wire carries up to 64 bits and
 * more, and a reader of replies must not round them.
 *
 * @module
 */
import { bytesToString, writeString } from "../bytes.ts";
import { formatDouble } from "../format.ts";
import { KACHE_PUSH_STATUS, type KacheItem, type KacheResponse, KacheStatus } from "./kache.ts";

/** RESP3 attributes (`|`) that preceded a reply; most clients ignore them, we keep them. */
export type ReplyAttributes = readonly (readonly [ClientReply, ClientReply])[];

interface ReplyBase {
  /** Present only when a RESP3 attribute preceded this reply. */
  readonly attributes?: ReplyAttributes;
}

/** `+OK`: a simple (status) string. */
export interface ClientStatusReply extends ReplyBase {
  readonly type: "status";
  readonly value: string;
}
/** `-ERR …` or RESP3 `!` blob error; `message` includes the code (`ERR`, `WRONGTYPE` …). */
export interface ClientErrorReply extends ReplyBase {
  readonly type: "error";
  readonly message: string;
}
export interface ClientIntegerReply extends ReplyBase {
  readonly type: "integer";
  readonly value: bigint;
}
/** `$`: a binary-safe string. */
export interface ClientBulkReply extends ReplyBase {
  readonly type: "bulk";
  readonly value: string;
}
/** RESP2 `$-1`, RESP3 `_`, Kache nil. */
export interface ClientNullReply extends ReplyBase {
  readonly type: "null";
}
/** RESP2 `*-1` (EXEC aborted, BLPOP timed out): kept apart from `null` so tests can tell them apart. */
export interface ClientNullArrayReply extends ReplyBase {
  readonly type: "null-array";
}
/** RESP3 `,` or Kache tag 4. `text` is what the server sent, which is what redis-cli prints. */
export interface ClientDoubleReply extends ReplyBase {
  readonly type: "double";
  readonly value: number;
  readonly text: string;
}
export interface ClientBooleanReply extends ReplyBase {
  readonly type: "boolean";
  readonly value: boolean;
}
export interface ClientBigNumberReply extends ReplyBase {
  readonly type: "big-number";
  readonly value: bigint;
}
/** RESP3 `=`: `format` is the three-letter type (`txt`, `mkd`), `value` the text after it. */
export interface ClientVerbatimReply extends ReplyBase {
  readonly type: "verbatim";
  readonly format: string;
  readonly value: string;
}
export interface ClientArrayReply extends ReplyBase {
  readonly type: "array";
  readonly items: readonly ClientReply[];
}
export interface ClientSetReply extends ReplyBase {
  readonly type: "set";
  readonly items: readonly ClientReply[];
}
/** RESP3 `>`: out-of-band data such as pub/sub messages and invalidations. */
export interface ClientPushReply extends ReplyBase {
  readonly type: "push";
  readonly items: readonly ClientReply[];
}
export interface ClientMapReply extends ReplyBase {
  readonly type: "map";
  readonly entries: readonly (readonly [ClientReply, ClientReply])[];
}
/**
 * A binary Kache response whose status says more than its item: any status
 * but OK, except `error` carrying an error item (that is a plain error
 * reply). Also a response with status OK and no item at all.
 */
export interface ClientStatusCodeReply extends ReplyBase {
  readonly type: "status-code";
  readonly status: number;
  /** Undefined when the response carried no data. */
  readonly item: ClientReply | undefined;
}

/** A decoded reply, from either protocol. */
export type ClientReply =
  | ClientStatusReply
  | ClientErrorReply
  | ClientIntegerReply
  | ClientBulkReply
  | ClientNullReply
  | ClientNullArrayReply
  | ClientDoubleReply
  | ClientBooleanReply
  | ClientBigNumberReply
  | ClientVerbatimReply
  | ClientArrayReply
  | ClientSetReply
  | ClientPushReply
  | ClientMapReply
  | ClientStatusCodeReply;

export interface RespReplyDecodeResult {
  /** Every reply completed by this call, in order. */
  readonly replies: ClientReply[];
  /** Bytes used; the caller passes the rest again, followed by new bytes, on the next call. */
  readonly consumed: number;
  /** Set when the stream is not valid RESP; the connection is unusable after it. */
  readonly error?: string;
}

export interface RespReplyDecoderOptions {
  /** Largest bulk string, verbatim string or blob error accepted (default 1 GiB). */
  maxBulkLength?: number;
}

/** An aggregate being filled: its items so far and how many it still needs. */
interface OpenAggregate {
  readonly type: "array" | "set" | "push" | "map" | "attribute";
  readonly items: ClientReply[];
  /** Items still to come (a map of n entries needs 2n). */
  remaining: number;
  readonly attributes: ReplyAttributes | undefined;
}

const CR = 13;
const LF = 10;

/**
 * Incremental decoder of RESP2/RESP3 replies.
 *
 * @example Decoding a reply split across two reads
 * ```ts
 * import { RespReplyDecoder } from "./resp_reply.ts";
 * const decoder = new RespReplyDecoder();
 * const first = new TextEncoder().encode("*2\r\n:1\r\n$3\r\nab");
 * const a = decoder.decode(first, 0, first.length);
 * // a.replies is empty, a.consumed === 8: ":1" is taken, "$3…" waits.
 * const rest = new TextEncoder().encode("$3\r\nabc\r\n");
 * const b = decoder.decode(rest, 0, rest.length);
 * // b.replies[0] is { type: "array", items: [integer 1n, bulk "abc"] }
 * ```
 */
export class RespReplyDecoder {
  readonly maxBulkLength: number;
  /** Aggregates opened but not complete, innermost last; survives between calls. */
  #stack: OpenAggregate[] = [];
  /** An attribute map waiting for the reply it describes. */
  #pendingAttributes: ReplyAttributes | undefined;

  constructor(options: RespReplyDecoderOptions = {}) {
    this.maxBulkLength = options.maxBulkLength ?? 1024 * 1024 * 1024;
  }

  /** Decodes what it can from `bytes[start, end)`. Never throws on bad input. */
  decode(bytes: Uint8Array, start: number, end: number): RespReplyDecodeResult {
    const replies: ClientReply[] = [];
    let offset = start;
    while (offset < end) {
      const marker = bytes[offset]!;
      // Checked before waiting for CRLF, so garbage fails at once instead of filling memory.
      if (!REPLY_MARKERS.includes(marker)) {
        return fail(
          replies,
          offset - start,
          `unknown reply type byte ${quote(String.fromCharCode(marker))}`,
        );
      }
      const lineEnd = findLineEnd(bytes, offset + 1, end);
      if (lineEnd < 0) break;
      const line = bytesToString(bytes, offset + 1, lineEnd);
      const afterLine = lineEnd + 2;
      let value: ClientReply | undefined;
      let used = afterLine;
      switch (marker) {
        case 0x2b: // +
          value = { type: "status", value: line };
          break;
        case 0x2d: // -
          value = { type: "error", message: line };
          break;
        case 0x3a: { // :
          const integer = parseBigInt(line);
          if (integer === undefined) {
            return fail(replies, offset - start, `bad integer ${quote(line)}`);
          }
          value = { type: "integer", value: integer };
          break;
        }
        case 0x5f: // _
          if (line !== "") return fail(replies, offset - start, `bad null ${quote(line)}`);
          value = { type: "null" };
          break;
        case 0x2c: { // ,
          const double = parseDouble(line);
          if (double === undefined) {
            return fail(replies, offset - start, `bad double ${quote(line)}`);
          }
          value = { type: "double", value: double, text: line };
          break;
        }
        case 0x23: // #
          if (line !== "t" && line !== "f") {
            return fail(replies, offset - start, `bad boolean ${quote(line)}`);
          }
          value = { type: "boolean", value: line === "t" };
          break;
        case 0x28: { // (
          const big = parseBigInt(line);
          if (big === undefined) {
            return fail(replies, offset - start, `bad big number ${quote(line)}`);
          }
          value = { type: "big-number", value: big };
          break;
        }
        case 0x24: // $
        case 0x21: // !
        case 0x3d: { // =
          const length = parseLength(line);
          if (length === undefined || length > this.maxBulkLength) {
            return fail(replies, offset - start, `bad string length ${quote(line)}`);
          }
          if (length === -1) {
            if (marker !== 0x24) return fail(replies, offset - start, "null is only valid for $");
            value = { type: "null" };
            break;
          }
          if (end - afterLine < length + 2) break; // body not all here yet
          if (bytes[afterLine + length] !== CR || bytes[afterLine + length + 1] !== LF) {
            return fail(replies, offset - start, "string body not followed by CRLF");
          }
          const body = bytesToString(bytes, afterLine, afterLine + length);
          used = afterLine + length + 2;
          if (marker === 0x24) value = { type: "bulk", value: body };
          else if (marker === 0x21) value = { type: "error", message: body };
          else {
            if (length < 4 || body[3] !== ":") {
              return fail(replies, offset - start, "verbatim string without a format prefix");
            }
            value = { type: "verbatim", format: body.slice(0, 3), value: body.slice(4) };
          }
          break;
        }
        case 0x2a: // *
        case 0x7e: // ~
        case 0x3e: // >
        case 0x25: // %
        case 0x7c: { // |
          const count = parseLength(line);
          if (count === undefined) return fail(replies, offset - start, `bad count ${quote(line)}`);
          if (count === -1) {
            if (marker !== 0x2a) return fail(replies, offset - start, "null is only valid for *");
            value = { type: "null-array" };
            break;
          }
          const type = AGGREGATE_TYPES[marker]!;
          if (type === "attribute") {
            if (count === 0) {
              offset = afterLine; // an empty attribute map says nothing
              continue;
            }
            // An attribute map never takes pending attributes: they wait for the reply after it.
            this.#stack.push({ type, items: [], remaining: count * 2, attributes: undefined });
          } else if (count === 0) {
            value = closeAggregate(type, [], this.#takeAttributes());
            break;
          } else {
            const remaining = type === "map" ? count * 2 : count;
            this.#stack.push({ type, items: [], remaining, attributes: this.#takeAttributes() });
          }
          offset = afterLine;
          continue;
        }
      }
      if (value === undefined) break; // incomplete bulk body
      offset = used;
      this.#complete(value, replies);
    }
    return { replies, consumed: offset - start };
  }

  /** True when no reply is half-decoded (between replies). */
  get idle(): boolean {
    return this.#stack.length === 0 && this.#pendingAttributes === undefined;
  }

  /** Hands pending attributes to the reply starting now. */
  #takeAttributes(): ReplyAttributes | undefined {
    const attributes = this.#pendingAttributes;
    this.#pendingAttributes = undefined;
    return attributes;
  }

  /** Adds a finished value to its parent, closing every parent it fills. */
  #complete(value: ClientReply, replies: ClientReply[]): void {
    let done = value;
    if (this.#pendingAttributes !== undefined) {
      done = { ...done, attributes: this.#pendingAttributes };
      this.#pendingAttributes = undefined;
    }
    while (true) {
      const parent = this.#stack[this.#stack.length - 1];
      if (parent === undefined) {
        replies.push(done);
        return;
      }
      parent.items.push(done);
      if (--parent.remaining > 0) return;
      this.#stack.pop();
      if (parent.type === "attribute") {
        // An attribute is not an element of its parent: the reply it describes, next, is.
        this.#pendingAttributes = pairs(parent.items);
        return;
      }
      done = closeAggregate(parent.type, parent.items, parent.attributes);
    }
  }
}

/** The first byte of every RESP2/RESP3 reply type: `+ - : $ * _ , # ( ! = % ~ > |`. */
const REPLY_MARKERS: readonly number[] = Array.from("+-:$*_,#(!=%~>|", (c) => c.charCodeAt(0));

const AGGREGATE_TYPES: Record<number, OpenAggregate["type"]> = {
  0x2a: "array",
  0x7e: "set",
  0x3e: "push",
  0x25: "map",
  0x7c: "attribute",
};

type ValueAggregateType = Exclude<OpenAggregate["type"], "attribute">;

function closeAggregate(
  type: ValueAggregateType,
  items: ClientReply[],
  attributes: ReplyAttributes | undefined,
): ClientReply {
  const extra = attributes === undefined ? {} : { attributes };
  switch (type) {
    case "map":
      return { type: "map", entries: pairs(items), ...extra };
    case "array":
    case "set":
    case "push":
      return { type, items, ...extra };
  }
}

function pairs(items: readonly ClientReply[]): [ClientReply, ClientReply][] {
  const entries: [ClientReply, ClientReply][] = [];
  for (let i = 0; i + 1 < items.length; i += 2) entries.push([items[i]!, items[i + 1]!]);
  return entries;
}

function fail(replies: ClientReply[], consumed: number, error: string): RespReplyDecodeResult {
  return { replies, consumed, error: `Protocol error: ${error}` };
}

/** Index of the CR of the first CRLF at or after `from`, or -1 when the line is incomplete. */
function findLineEnd(bytes: Uint8Array, from: number, end: number): number {
  let index = from;
  while (true) {
    index = bytes.indexOf(CR, index);
    if (index < 0 || index + 1 >= end) return -1;
    if (bytes[index + 1] === LF) return index;
    index++;
  }
}

function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? text.slice(0, 40) + "…" : text);
}

const INTEGER_PATTERN = /^[+-]?[0-9]+$/;

function parseBigInt(text: string): bigint | undefined {
  return INTEGER_PATTERN.test(text) ? BigInt(text) : undefined;
}

/** A length or count: -1 (null) or a non-negative safe integer. */
function parseLength(text: string): number | undefined {
  if (text === "-1") return -1;
  if (!/^[0-9]{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/** RESP3 doubles: decimal or exponent forms, `inf`, `-inf`, `nan`. */
function parseDouble(text: string): number | undefined {
  switch (text.toLowerCase()) {
    case "inf":
    case "+inf":
      return Infinity;
    case "-inf":
      return -Infinity;
    case "nan":
    case "-nan":
      return NaN;
  }
  if (!/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) return undefined;
  return Number(text);
}

/**
 * Encodes one request as a RESP array of bulk strings (what every client sends).
 * `argv` holds one-byte strings.
 */
export function encodeRespRequest(argv: readonly string[]): Uint8Array {
  let length = 3 + String(argv.length).length;
  for (const arg of argv) length += 5 + String(arg.length).length + arg.length;
  const bytes = new Uint8Array(length);
  let offset = writeString(bytes, 0, `*${argv.length}\r\n`);
  for (const arg of argv) {
    offset = writeString(bytes, offset, `$${arg.length}\r\n`);
    offset = writeString(bytes, offset, arg);
    bytes[offset++] = CR;
    bytes[offset++] = LF;
  }
  return bytes;
}

/** Names of the binary protocol's status codes, as the client shows them. */
export const KACHE_STATUS_NAMES: Readonly<Record<number, string>> = {
  [KacheStatus.ok]: "ok",
  [KacheStatus.unknown]: "unknown command",
  [KacheStatus.notFound]: "not found",
  [KacheStatus.error]: "error",
  [KacheStatus.badArgument]: "bad argument",
  [KacheStatus.wrongType]: "wrong type",
  [KACHE_PUSH_STATUS]: "push",
};

/**
 * Maps a binary Kache response onto a {@link ClientReply}: status OK with an
 * item, and status `error` with an error item, become the item itself;
 * anything else keeps its status in a `status-code` reply.
 */
export function fromKacheResponse(response: KacheResponse): ClientReply {
  const item = response.item === undefined ? undefined : fromKacheItem(response.item);
  if (item !== undefined) {
    if (response.status === KacheStatus.ok) return item;
    if (response.status === KacheStatus.error && item.type === "error") return item;
    // Pub/sub frames carry an array; they become pushes, as RESP3's `>` does.
    if (response.status === KACHE_PUSH_STATUS && item.type === "array") {
      return { type: "push", items: item.items };
    }
  }
  return { type: "status-code", status: response.status, item };
}

function fromKacheItem(item: KacheItem): ClientReply {
  switch (item.tag) {
    case "nil":
      return { type: "null" };
    case "error":
      return { type: "error", message: item.message };
    case "string":
      return { type: "bulk", value: item.value };
    case "integer":
      return { type: "integer", value: item.value };
    case "double":
      return { type: "double", value: item.value, text: formatDouble(item.value) };
    case "array":
      return { type: "array", items: item.items.map(fromKacheItem) };
  }
}
