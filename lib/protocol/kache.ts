/**
 * The binary Kache protocol, wire-compatible with the original C++ server.
 * All integers are little-endian.
 *
 * Request: `u32 len`, then `len` bytes holding `u32 nargs` and `nargs` times
 * `u32 arglen` + bytes. Response: `u32 len` (= 4 + data bytes), `u32 status`,
 * then at most one tag-length-value item (see {@link KacheTag}).
 *
 * Both sides are here: the server decodes requests and encodes responses, the
 * client and the load generator encode requests and decode responses. The
 * decoders are incremental — hand them whatever bytes arrived, get back every
 * complete frame and how many bytes those used — and report malformed framing
 * as a value, never by throwing, because the connection loop must survive it.
 *
 * @module
 */
import {
  type ArgumentDecoder,
  argumentDecoder,
  bytesToString,
  commandName,
  writeString,
} from "../bytes.ts";
import { UNAUTHENTICATED_MAX_ARGS, UNAUTHENTICATED_MAX_BULK } from "../protection.ts";
import { type HandlerReply, materialize, type Reply } from "../reply.ts";
import {
  flattenOutput,
  LARGE_STRING_BYTES,
  type Output,
  outputLength,
  type OutputPart,
} from "./output.ts";

/** Response status codes of the original server. */
export const KacheStatus = {
  ok: 0,
  /** Unknown command, or wrong argument count; no data follows. */
  unknown: 1,
  notFound: 2,
  error: 3,
  badArgument: 4,
  wrongType: 5,
} as const;
export type KacheStatus = typeof KacheStatus[keyof typeof KacheStatus];

/**
 * Kache's addition to the original statuses: an unsolicited pub/sub frame (a
 * message, or a (un)subscribe confirmation) whose item is an array.
 */
export const KACHE_PUSH_STATUS = 6;

/** Tags of the tag-length-value item in a response. */
export const KacheTag = {
  nil: 0,
  error: 1,
  string: 2,
  integer: 3,
  double: 4,
  array: 5,
} as const;

/** The original server's limits: 4096-byte frames and at most 64 arguments per request. */
export const ORIGINAL_MAX_FRAME = 4096;
export const ORIGINAL_MAX_ARGS = 64;

export interface KacheDecoderOptions {
  /** Largest request body (bytes after the length field) accepted. */
  maxFrameLength?: number;
  /** Most arguments one request may carry. */
  maxArgs?: number;
  /**
   * Long arguments remember the bytes they came from (lib/bytes.ts
   * `bytesToSourcedString`), as the RESP decoder's option of this name: the
   * caller then calls `forgetSources()` before it changes bytes it has decoded.
   */
  sourced?: boolean;
}

export interface KacheDecodeResult {
  /** Each complete request as argv (one-byte strings). */
  readonly requests: string[][];
  /** Bytes used by those requests; the caller keeps the rest for the next call. */
  readonly consumed: number;
  /** Set when framing is broken; the connection must be closed after replying. */
  readonly error?: string;
  /** Decoding stopped after one request (unauthenticated): run it, then decode again. */
  readonly more?: boolean;
}

/**
 * The largest frame an unauthenticated client may send: RESP's pre-AUTH
 * limits (10 arguments of 16 KiB) written as one binary request.
 */
export const UNAUTHENTICATED_MAX_FRAME = 4 +
  UNAUTHENTICATED_MAX_ARGS * (4 + UNAUTHENTICATED_MAX_BULK);

/** Incremental decoder of request frames. */
export class KacheDecoder {
  readonly maxFrameLength: number;
  readonly maxArgs: number;
  /** Bytes the next frame needs in total (header included); lets the caller size its buffer. */
  bytesNeeded = 4;
  /**
   * The client has not authenticated: frames are held to RESP's pre-AUTH
   * limits (checked on the length field, before any buffer grows) and each
   * call returns at most one request, so AUTH runs before the next is judged.
   */
  unauthenticated = false;

  readonly #decodeArgument: ArgumentDecoder;

  constructor(options: KacheDecoderOptions = {}) {
    this.maxFrameLength = options.maxFrameLength ?? 512 * 1024 * 1024;
    this.maxArgs = options.maxArgs ?? 1024 * 1024;
    this.#decodeArgument = argumentDecoder(options.sourced);
  }

  decode(bytes: Uint8Array, start: number, end: number): KacheDecodeResult {
    const requests: string[][] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = start;
    const unauthenticated = this.unauthenticated;
    const limits = unauthenticated
      ? {
        frame: Math.min(this.maxFrameLength, UNAUTHENTICATED_MAX_FRAME),
        args: Math.min(this.maxArgs, UNAUTHENTICATED_MAX_ARGS),
        argLength: UNAUTHENTICATED_MAX_BULK,
      }
      : { frame: this.maxFrameLength, args: this.maxArgs, argLength: Infinity };
    while (end - offset >= 4) {
      const length = view.getUint32(offset, true);
      if (length > limits.frame) {
        return {
          requests,
          consumed: offset - start,
          error: `${unauthenticated ? "unauthenticated " : ""}frame of ${length} bytes ` +
            `exceeds the limit of ${limits.frame}`,
        };
      }
      if (end - offset - 4 < length) {
        this.bytesNeeded = 4 + length;
        break;
      }
      const parsed = parseRequest(
        bytes,
        view,
        offset + 4,
        offset + 4 + length,
        limits,
        this.#decodeArgument,
      );
      if (typeof parsed === "string") {
        return { requests, consumed: offset - start, error: parsed };
      }
      requests.push(parsed);
      offset += 4 + length;
      this.bytesNeeded = 4;
      if (unauthenticated) {
        return end > offset
          ? { requests, consumed: offset - start, more: true }
          : { requests, consumed: offset - start };
      }
    }
    return { requests, consumed: offset - start };
  }
}

/** Parses one request body; returns argv or a description of what is malformed. */
function parseRequest(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  end: number,
  limits: { readonly args: number; readonly argLength: number },
  decodeArgument: ArgumentDecoder,
): string[] | string {
  if (end - start < 4) return "request too short to hold an argument count";
  const count = view.getUint32(start, true);
  if (count > limits.args) {
    return `request has ${count} arguments, more than the limit of ${limits.args}`;
  }
  // Each argument needs at least its 4-byte length: reject before allocating for it.
  if (count * 4 > end - start - 4) return "argument count does not fit in the request";
  const argv = new Array<string>(count);
  let offset = start + 4;
  for (let i = 0; i < count; i++) {
    if (end - offset < 4) return "argument length runs past the end of the request";
    const length = view.getUint32(offset, true);
    offset += 4;
    if (length > end - offset) return "argument runs past the end of the request";
    if (length > limits.argLength) {
      return `argument of ${length} bytes exceeds the limit of ${limits.argLength}`;
    }
    argv[i] = i === 0
      ? commandName(bytes, offset, offset + length)
      : decodeArgument(bytes, offset, offset + length, argv);
    offset += length;
  }
  if (offset !== end) return "trailing bytes after the last argument";
  return argv;
}

/** Encodes one request frame (client side). */
export function encodeKacheRequest(argv: readonly string[]): Uint8Array {
  let length = 4;
  for (const arg of argv) length += 4 + arg.length;
  const bytes = new Uint8Array(4 + length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, length, true);
  view.setUint32(4, argv.length, true);
  let offset = 8;
  for (const arg of argv) {
    view.setUint32(offset, arg.length, true);
    offset = writeString(bytes, offset + 4, arg);
  }
  return bytes;
}

/** take() drops a buffer grown beyond this (as the RESP encoder does). */
const SHRINK_ABOVE = 1024 * 1024;

/**
 * Writes response frames into one reusable, growable buffer, so a batch of
 * pipelined replies leaves in a single write.
 */
export class KacheEncoder {
  readonly #initialSize: number;
  #bytes: Uint8Array;
  #view: DataView;
  #length = 0;
  /**
   * Output before the buffer, once a big string value was written: earlier
   * buffers alternating with the strings (see lib/protocol/output.ts). After
   * each string the encoder starts a fresh buffer, so a part is never
   * written again except for its frame's header.
   */
  #parts: OutputPart[] | undefined;
  /** Bytes in `#parts`: the buffer's offset 0 is this far into the output. */
  #detached = 0;
  /** The buffer of the output last taken to send (see {@link KacheEncoder.takeOutputToSend}). */
  #spare: Uint8Array | undefined;
  #spareView: DataView | undefined;
  /** The buffer holding the current frame's header, once a string moved it out of `#bytes`. */
  #frameView: DataView | undefined;

  constructor(initialSize = 16 * 1024) {
    this.#initialSize = initialSize;
    this.#bytes = new Uint8Array(initialSize);
    this.#view = new DataView(this.#bytes.buffer);
  }

  get length(): number {
    return this.#detached + this.#length;
  }

  /**
   * The bytes written so far, as a view valid until the next write; resets the
   * buffer. Callers write the view out before encoding more.
   */
  take(): Uint8Array {
    const output = this.takeOutput();
    return output instanceof Uint8Array ? output : flattenOutput(output);
  }

  /**
   * Like {@link KacheEncoder.take}, but string values of at least
   * {@link LARGE_STRING_BYTES} come back as the strings, between byte parts,
   * instead of being copied in.
   */
  takeOutput(): Output {
    const parts = this.#parts;
    const out = this.#bytes.subarray(0, this.#length);
    this.#length = 0;
    this.#parts = undefined;
    this.#detached = 0;
    // A buffer grown for one big reply is dropped, so it does not stay with the connection.
    if (this.#bytes.length > SHRINK_ABOVE) this.#startBuffer();
    if (parts === undefined) return out;
    parts.push(out);
    return parts;
  }

  /**
   * Like {@link KacheEncoder.takeOutput}, for a socket write that runs while
   * the next replies are encoded: two buffers alternate, so the bytes stay
   * valid until the encoder writes after the next call of this method, and
   * the write needs no copy. The caller finishes each such write before it
   * calls this again.
   */
  takeOutputToSend(): Output {
    const bytes = this.#bytes;
    const output = this.takeOutput();
    // Nothing to send, or a fresh buffer already (dropped for its size, or after a big string).
    if (outputLength(output) === 0 || this.#bytes !== bytes) return output;
    const spare = this.#spare;
    const spareView = this.#spareView;
    this.#spare = bytes;
    this.#spareView = this.#view;
    if (spare === undefined || spareView === undefined) this.#startBuffer();
    else {
      this.#bytes = spare;
      this.#view = spareView;
    }
    return output;
  }

  /** Writes a response with an explicit status; `item` undefined means no data. */
  writeResponse(status: KacheStatus | typeof KACHE_PUSH_STATUS, item: Reply | undefined): void {
    this.#ensure(8);
    const frameStart = this.#length;
    const outputStart = this.#detached + frameStart;
    this.#length += 8;
    if (item !== undefined) this.#writeItem(item);
    const view = this.#frameView ?? this.#view;
    this.#frameView = undefined;
    view.setUint32(frameStart, this.#detached + this.#length - outputStart - 4, true);
    view.setUint32(frameStart + 4, status, true);
  }

  /** Writes a response for a Redis-style reply: errors get status `error`, all else `ok`. */
  writeReply(reply: HandlerReply): void {
    // The binary wire's GET is the original's; a view reaches here only from a Redis command.
    const item = materialize(reply);
    this.writeResponse(item.kind === "error" ? KacheStatus.error : KacheStatus.ok, item);
  }

  #writeItem(reply: Reply): void {
    switch (reply.kind) {
      case "nil":
      case "nil-array":
        this.#writeTag(KacheTag.nil);
        return;
      case "error":
        this.#writeText(KacheTag.error, reply.message);
        return;
      case "status":
        this.#writeText(KacheTag.string, reply.text);
        return;
      case "bulk":
        this.#writeText(KacheTag.string, reply.value);
        return;
      case "verbatim":
        this.#writeText(KacheTag.string, reply.value);
        return;
      case "big-number":
        this.#writeText(KacheTag.string, reply.value.toString());
        return;
      case "integer":
        this.#ensure(9);
        this.#bytes[this.#length] = KacheTag.integer;
        this.#view.setBigInt64(this.#length + 1, BigInt(reply.value), true);
        this.#length += 9;
        return;
      case "boolean":
        this.#writeItem({ kind: "integer", value: reply.value ? 1 : 0 });
        return;
      case "double":
        this.#ensure(9);
        this.#bytes[this.#length] = KacheTag.double;
        this.#view.setFloat64(this.#length + 1, reply.value, true);
        this.#length += 9;
        return;
      case "array":
      case "set":
      case "push":
        this.#writeArrayHeader(reply.items.length);
        for (const item of reply.items) this.#writeItem(item);
        return;
      case "map":
        this.#writeArrayHeader(reply.entries.length * 2);
        for (const [key, value] of reply.entries) {
          this.#writeItem(key);
          this.#writeItem(value);
        }
        return;
    }
  }

  #writeTag(tag: number): void {
    this.#ensure(1);
    this.#bytes[this.#length++] = tag;
  }

  #writeArrayHeader(count: number): void {
    this.#ensure(5);
    this.#bytes[this.#length] = KacheTag.array;
    this.#view.setUint32(this.#length + 1, count, true);
    this.#length += 5;
  }

  #writeText(tag: number, text: string): void {
    const large = text.length >= LARGE_STRING_BYTES;
    this.#ensure(5 + (large ? 0 : text.length));
    this.#bytes[this.#length] = tag;
    this.#view.setUint32(this.#length + 1, text.length, true);
    if (!large) {
      this.#length = writeString(this.#bytes, this.#length + 5, text);
      return;
    }
    this.#length += 5;
    (this.#parts ??= []).push(this.#bytes.subarray(0, this.#length), text);
    // The frame's header is in this buffer; it is filled in once the frame is complete.
    this.#frameView ??= this.#view;
    this.#detached += this.#length + text.length;
    this.#length = 0;
    this.#startBuffer();
  }

  #startBuffer(): void {
    this.#bytes = new Uint8Array(this.#initialSize);
    this.#view = new DataView(this.#bytes.buffer);
  }

  #ensure(extra: number): void {
    const needed = this.#length + extra;
    if (needed <= this.#bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, this.#bytes.length * 2));
    grown.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = grown;
    this.#view = new DataView(grown.buffer);
  }
}

/** A decoded response item (client side). Integers are bigint: the wire carries i64. */
export type KacheItem =
  | { readonly tag: "nil" }
  | { readonly tag: "error"; readonly message: string }
  | { readonly tag: "string"; readonly value: string }
  | { readonly tag: "integer"; readonly value: bigint }
  | { readonly tag: "double"; readonly value: number }
  | { readonly tag: "array"; readonly items: readonly KacheItem[] };

export interface KacheResponse {
  readonly status: number;
  /** Undefined when the response carries no data. */
  readonly item: KacheItem | undefined;
}

export interface KacheResponseDecodeResult {
  readonly responses: KacheResponse[];
  readonly consumed: number;
  readonly error?: string;
}

/** Incremental decoder of response frames (client side). */
export class KacheResponseDecoder {
  readonly maxFrameLength: number;

  constructor(maxFrameLength = 1024 * 1024 * 1024) {
    this.maxFrameLength = maxFrameLength;
  }

  decode(bytes: Uint8Array, start: number, end: number): KacheResponseDecodeResult {
    const responses: KacheResponse[] = [];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = start;
    while (end - offset >= 4) {
      const length = view.getUint32(offset, true);
      if (length < 4 || length > this.maxFrameLength) {
        return { responses, consumed: offset - start, error: `bad response length ${length}` };
      }
      if (end - offset - 4 < length) break;
      const frameEnd = offset + 4 + length;
      const status = view.getUint32(offset + 4, true);
      let item: KacheItem | undefined;
      if (length > 4) {
        const cursor = { offset: offset + 8 };
        const parsed = readItem(bytes, view, cursor, frameEnd);
        if (typeof parsed === "string" || cursor.offset !== frameEnd) {
          return {
            responses,
            consumed: offset - start,
            error: typeof parsed === "string" ? parsed : "trailing bytes in response",
          };
        }
        item = parsed;
      }
      responses.push({ status, item });
      offset = frameEnd;
    }
    return { responses, consumed: offset - start };
  }
}

/**
 * Deepest array nesting accepted in a response. The server nests a few levels;
 * the reader recurses per level and V8's stack ends near 7,000 of them, where a
 * hostile frame of 40 KB would make decode throw instead of reporting an error.
 */
const MAX_NESTING = 1000;

function readItem(
  bytes: Uint8Array,
  view: DataView,
  cursor: { offset: number },
  end: number,
  depth = 0,
): KacheItem | string {
  if (cursor.offset >= end) return "truncated item";
  const tag = bytes[cursor.offset++];
  switch (tag) {
    case KacheTag.nil:
      return { tag: "nil" };
    case KacheTag.error:
    case KacheTag.string: {
      if (end - cursor.offset < 4) return "truncated string length";
      const length = view.getUint32(cursor.offset, true);
      cursor.offset += 4;
      if (end - cursor.offset < length) return "truncated string";
      const value = bytesToString(bytes, cursor.offset, cursor.offset + length);
      cursor.offset += length;
      return tag === KacheTag.error ? { tag: "error", message: value } : { tag: "string", value };
    }
    case KacheTag.integer: {
      if (end - cursor.offset < 8) return "truncated integer";
      const value = view.getBigInt64(cursor.offset, true);
      cursor.offset += 8;
      return { tag: "integer", value };
    }
    case KacheTag.double: {
      if (end - cursor.offset < 8) return "truncated double";
      const value = view.getFloat64(cursor.offset, true);
      cursor.offset += 8;
      return { tag: "double", value };
    }
    case KacheTag.array: {
      if (end - cursor.offset < 4) return "truncated array count";
      const count = view.getUint32(cursor.offset, true);
      cursor.offset += 4;
      // Every item takes at least its tag byte, so a larger count is corrupt.
      if (count > end - cursor.offset) return "array count exceeds the response";
      if (depth >= MAX_NESTING) return "arrays nested too deep";
      const items: KacheItem[] = [];
      for (let i = 0; i < count; i++) {
        const item = readItem(bytes, view, cursor, end, depth + 1);
        if (typeof item === "string") return item;
        items.push(item);
      }
      return { tag: "array", items };
    }
    default:
      return `unknown item tag ${tag}`;
  }
}
