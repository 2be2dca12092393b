/**
 * RESP, the Redis wire protocol: a request decoder that parses exactly what
 * redis-server 7.0 accepts (multibulk and inline requests, same limits, same
 * `ERR Protocol error: …` texts), and a reply encoder for RESP2 and RESP3.
 *
 * Both sit on the hot path, so they work on byte arrays directly: the decoder
 * reads lengths digit by digit and slices arguments straight out of the caller's
 * buffer into one-byte strings; the encoder writes into one reusable buffer and
 * prints integers digit by digit instead of building strings per reply.
 *
 * The decoder is incremental and O(n) over a stream: a request split across
 * reads is resumed where parsing stopped (arguments already sliced are kept),
 * and a pending bulk is not looked at again until all its bytes have arrived.
 *
 * For a client that has not authenticated, {@link RespDecoder.unauthenticated}
 * applies Redis's limits (10 arguments, 16 KiB each) as each header is read,
 * before any buffer grows for it, and decodes one request per call so the
 * caller can run AUTH before the next request is judged.
 *
 * @module
 */
import {
  type ArgumentDecoder,
  argumentDecoder,
  bytesToString,
  commandName,
  copyBytes,
  writeString,
} from "../bytes.ts";
import { formatDouble } from "../format.ts";
import { UNAUTHENTICATED_MAX_ARGS, UNAUTHENTICATED_MAX_BULK } from "../protection.ts";
import { splitArgs } from "../split_args.ts";
import { type HandlerReply, OK, type Reply, type ViewReply } from "../reply.ts";
import {
  flattenOutput,
  LARGE_STRING_BYTES,
  type Output,
  outputLength,
  type OutputPart,
} from "./output.ts";

/** What one {@link RespDecoder.decode} call found. */
export interface RespDecodeResult {
  /** Complete requests in arrival order; each is argv of one-byte strings. */
  requests: string[][];
  /** Bytes from `start` used by `requests` (and skipped empty requests). */
  consumed: number;
  /** Redis's reply text for broken framing; the connection must then be closed. */
  error?: string;
  /**
   * More input is buffered but decoding stopped after one request (while
   * unauthenticated): run the requests, then call decode again before reading.
   */
  more?: boolean;
}

/** Limits on what a client may send; defaults are Redis's. */
export interface RespDecoderOptions {
  /** Largest bulk argument in bytes (Redis `proto-max-bulk-len`, 512 MiB). */
  maxBulkLength?: number;
  /** Most arguments in one multibulk request (1 Mi; Redis 7.0 itself allows up to 2^31-1). */
  maxMultibulkLength?: number;
  /** Longest inline request line, and longest `*`/`$` count line (Redis: 64 KiB). */
  maxInlineLength?: number;
  /**
   * Long arguments remember the bytes they came from (lib/bytes.ts
   * `bytesToSourcedString`), so storing one while its request runs
   * (`runningRequest(argv)`) copies bytes. The caller then calls
   * `forgetSources()` before it changes bytes it has decoded.
   */
  sourced?: boolean;
}

const CR = 0x0d;
const LF = 0x0a;
const STAR = 0x2a;
const DOLLAR = 0x24;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_1 = 0x31;
const DIGIT_9 = 0x39;

/** string2ll refuses strings this long (LONG_STR_SIZE). */
const MAX_NUMBER_LENGTH = 21;
/** Redis keeps multibulk counts in an int. */
const INT_MAX = 2147483647;

const INVALID_MULTIBULK = "ERR Protocol error: invalid multibulk length";
const INVALID_BULK = "ERR Protocol error: invalid bulk length";
const UNBALANCED_QUOTES = "ERR Protocol error: unbalanced quotes in request";
const TOO_BIG_INLINE = "ERR Protocol error: too big inline request";
const TOO_BIG_MULTIBULK = "ERR Protocol error: too big mbulk count string";
const TOO_BIG_BULK = "ERR Protocol error: too big bulk count string";
const UNAUTHENTICATED_MULTIBULK = "ERR Protocol error: unauthenticated multibulk length";
const UNAUTHENTICATED_BULK = "ERR Protocol error: unauthenticated bulk length";

/** Requests announcing at most this many arguments get their argv allocated at its full size. */
const PREALLOCATED_ARGUMENTS = 64;

/** Line searches report these instead of an index. */
const INCOMPLETE = -1;
const TOO_LONG = -2;

/**
 * Parses `bytes[start, end)` as Redis's `string2ll` does (no sign `+`, no
 * leading zeros, no `-0`) and returns the value, or NaN where Redis refuses it.
 * Values past 2^53 are approximate, which is fine: every caller rejects them
 * by range, and out-of-range negatives are caught exactly below.
 */
function parseLength(bytes: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length === 0 || length >= MAX_NUMBER_LENGTH) return NaN;
  let i = start;
  const negative = bytes[i] === MINUS;
  if (negative) i++;
  const first = bytes[i];
  if (first === DIGIT_0 && length === 1) return 0;
  if (first === undefined || first < DIGIT_1 || first > DIGIT_9 || i >= end) return NaN;
  let value = first - DIGIT_0;
  for (i++; i < end; i++) {
    const digit = bytes[i]! - DIGIT_0;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  if (!negative) return value;
  // A negative count is an empty request, unless it is below LLONG_MIN: then it is invalid.
  if (end - start - 1 === 19 && bytesToString(bytes, start + 1, end) > "9223372036854775808") {
    return NaN;
  }
  return -value;
}

/**
 * Incremental RESP request parser with redis-server's rules and error texts.
 *
 * Feed it the connection's buffered bytes; it returns every complete request
 * and how many bytes they used. Contract: the next call's `bytes[start…]` must
 * begin with the bytes that were not consumed, followed by any new ones; the
 * decoder remembers its progress in a pending request relative to that point.
 *
 * Deviations from redis-server, all on malformed input: Redis stops reading a
 * line at a NUL byte (C strings) and so waits for more data; here a NUL is an
 * ordinary byte of the line (inline arguments still end at it, as in Redis).
 * "too big" errors depend only on the line's length, not on how reads were
 * chunked, so a line longer than the limit is always refused.
 *
 * @example Decoding a pipelined stream
 * ```ts
 * import { RespDecoder } from "./resp.ts";
 * import assert from "node:assert/strict";
 *
 * const bytes = new TextEncoder().encode("*1\r\n$4\r\nPING\r\nECHO hi\r\n*2\r\n$3\r\nGET");
 * const decoder = new RespDecoder();
 * const { requests, consumed } = decoder.decode(bytes, 0, bytes.length);
 * assert.deepEqual(requests, [["PING"], ["ECHO", "hi"]]);
 * assert.equal(consumed, 23);
 * ```
 */
export class RespDecoder {
  readonly #maxBulkLength: number;
  readonly #maxMultibulkLength: number;
  readonly #maxInlineLength: number;
  readonly #decodeArgument: ArgumentDecoder;

  // A multibulk request cut short by the end of the input. Offsets are relative
  // to the request's first byte because the caller may move its buffer.
  /** Arguments sliced so far, or null when no multibulk request is pending. */
  #argv: string[] | null = null;
  /** Arguments the pending request announced. */
  #count = 0;
  /** Arguments still to read. */
  #remaining = 0;
  /** Where parsing resumes: at a `$` header, or at bulk data once its length is known. */
  #offset = 0;
  /** Length of the bulk whose header was read, -1 while its header is pending. */
  #bulkLength = -1;
  /**
   * How far the pending line was searched for its end, relative to the line, so
   * a line dribbling in byte by byte is scanned once, not once per read.
   */
  #scanned = 0;
  /** Bytes the input must hold from the request start before the pending bulk is complete. */
  #needed = 0;
  /**
   * The client has not authenticated: Redis's pre-AUTH limits apply and each
   * call returns at most one request. The caller sets it before decoding.
   */
  unauthenticated = false;

  constructor(options: RespDecoderOptions = {}) {
    this.#maxBulkLength = options.maxBulkLength ?? 512 * 1024 * 1024;
    this.#maxMultibulkLength = Math.min(options.maxMultibulkLength ?? 1024 * 1024, INT_MAX);
    this.#maxInlineLength = options.maxInlineLength ?? 64 * 1024;
    this.#decodeArgument = argumentDecoder(options.sourced);
  }

  /**
   * Bytes (counted from the first unconsumed byte) the buffer must hold before
   * the pending request can complete, or 0 when unknown. A connection can size
   * its buffer with it and skip decoding until that many bytes are in.
   */
  get bytesNeeded(): number {
    return this.#needed;
  }

  /** Parses every complete request in `bytes[start, end)`. Never throws. */
  decode(bytes: Uint8Array, start: number, end: number): RespDecodeResult {
    const requests: string[][] = [];
    // A pending bulk is incomplete until this many bytes are in: O(1) per read of a large value.
    if (end - start < this.#needed) return { requests, consumed: 0 };
    this.#needed = 0;
    let frame = start;
    let error: string | undefined;
    parse: while (frame < end) {
      let argv: string[];
      let count: number;
      let remaining: number;
      let pos: number;
      let bulkLength: number;
      if (this.#argv !== null) {
        argv = this.#argv;
        count = this.#count;
        remaining = this.#remaining;
        pos = frame + this.#offset;
        bulkLength = this.#bulkLength;
        this.#argv = null;
      } else if (bytes[frame] !== STAR) {
        const lineFeed = this.#findLineEnd(bytes, frame, end, LF);
        if (lineFeed === INCOMPLETE) break;
        if (lineFeed === TOO_LONG) {
          error = TOO_BIG_INLINE;
          break;
        }
        const lineEnd = lineFeed > frame && bytes[lineFeed - 1] === CR ? lineFeed - 1 : lineFeed;
        const inline = splitArgs(bytesToString(bytes, frame, lineEnd));
        if (inline === undefined) {
          error = UNBALANCED_QUOTES;
          break;
        }
        frame = lineFeed + 1;
        if (inline.length > 0) {
          requests.push(inline);
          if (this.unauthenticated) break;
        }
        continue;
      } else {
        const cr = this.#findLineEnd(bytes, frame, end, CR);
        if (cr === INCOMPLETE) break;
        if (cr === TOO_LONG) {
          error = TOO_BIG_MULTIBULK;
          break;
        }
        count = parseLength(bytes, frame + 1, cr);
        if (!(count <= this.#maxMultibulkLength)) {
          error = INVALID_MULTIBULK;
          break;
        }
        if (count > UNAUTHENTICATED_MAX_ARGS && this.unauthenticated) {
          error = UNAUTHENTICATED_MULTIBULK;
          break;
        }
        // The byte after `\r` is skipped unchecked, as Redis does.
        pos = cr + 2;
        if (count <= 0) {
          frame = pos;
          continue;
        }
        // Sized up front when small: grown by push, a 2-word argv got a 17-slot backing store
        // (152 bytes per GET). A huge announced count is not trusted with memory before its data.
        argv = count <= PREALLOCATED_ARGUMENTS ? new Array<string>(count) : [];
        remaining = count;
        bulkLength = -1;
      }
      while (remaining > 0) {
        if (bulkLength < 0) {
          const cr = this.#findLineEnd(bytes, pos, end, CR);
          if (cr < 0) {
            if (cr === TOO_LONG) {
              error = TOO_BIG_BULK;
            } else {
              this.#save(argv, count, remaining, pos - frame, -1);
            }
            break parse;
          }
          const first = bytes[pos]!;
          if (first !== DOLLAR) {
            // Redis sends the byte raw but turns CR/LF into spaces so the reply stays one line.
            const shown = first === CR || first === LF ? " " : String.fromCharCode(first);
            error = `ERR Protocol error: expected '$', got '${shown}'`;
            break parse;
          }
          bulkLength = parseLength(bytes, pos + 1, cr);
          if (!(bulkLength >= 0 && bulkLength <= this.#maxBulkLength)) {
            error = INVALID_BULK;
            break parse;
          }
          if (bulkLength > UNAUTHENTICATED_MAX_BULK && this.unauthenticated) {
            error = UNAUTHENTICATED_BULK;
            break parse;
          }
          pos = cr + 2;
        }
        // The two bytes after the data are skipped unchecked, as Redis does.
        if (end - pos < bulkLength + 2) {
          this.#save(argv, count, remaining, pos - frame, bulkLength);
          this.#needed = pos - frame + bulkLength + 2;
          break parse;
        }
        // The name is usually one of a few: the same string each time, with its hash kept.
        const index = count - remaining;
        argv[index] = index === 0
          ? commandName(bytes, pos, pos + bulkLength)
          : this.#decodeArgument(bytes, pos, pos + bulkLength, argv);
        pos += bulkLength + 2;
        bulkLength = -1;
        remaining--;
      }
      requests.push(argv);
      frame = pos;
      if (this.unauthenticated) break;
    }
    if (error === undefined) {
      // Unauthenticated, parsing stops after the first request: the rest waits for the caller.
      return this.unauthenticated && requests.length > 0 && frame < end
        ? { requests, consumed: frame - start, more: true }
        : { requests, consumed: frame - start };
    }
    // The connection closes after a framing error; start clean should the object be reused.
    this.#argv = null;
    this.#needed = 0;
    this.#scanned = 0;
    return { requests, consumed: frame - start, error };
  }

  #save(
    argv: string[],
    count: number,
    remaining: number,
    offset: number,
    bulkLength: number,
  ): void {
    this.#argv = argv;
    this.#count = count;
    this.#remaining = remaining;
    this.#offset = offset;
    this.#bulkLength = bulkLength;
  }

  /**
   * Finds the `terminator` that ends the line starting at `line`. Redis refuses
   * a line once more than the inline limit is buffered without its end; a `\r`
   * also needs the byte after it present. Returns the index, INCOMPLETE or TOO_LONG.
   */
  #findLineEnd(bytes: Uint8Array, line: number, end: number, terminator: number): number {
    const limit = Math.min(end, line + this.#maxInlineLength + 1);
    let i = line + this.#scanned;
    while (i < limit && bytes[i] !== terminator) i++;
    if (i < limit) {
      if (terminator === CR && i + 1 >= end) {
        this.#scanned = i - line;
        return INCOMPLETE;
      }
      this.#scanned = 0;
      return i;
    }
    if (end - line > this.#maxInlineLength) return TOO_LONG;
    this.#scanned = i - line;
    return INCOMPLETE;
  }
}

/** Bytes of a short ASCII constant. */
function ascii(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  writeString(bytes, 0, text);
  return bytes;
}

// Prebuilt replies (as Redis's `shared.*`), copied byte by byte.
const OK_BYTES = ascii("+OK\r\n");
const NIL_RESP2 = ascii("$-1\r\n");
const NIL_ARRAY_RESP2 = ascii("*-1\r\n");
const NULL_RESP3 = ascii("_\r\n");
const TRUE_RESP3 = ascii("#t\r\n");
const FALSE_RESP3 = ascii("#f\r\n");
const ONE_RESP2 = ascii(":1\r\n");
const ZERO_RESP2 = ascii(":0\r\n");

/** Room for a type byte, a 20-digit length or integer, and CRLF. */
const HEADER_ROOM = 24;
/** take() drops a buffer grown beyond this, so one huge reply does not pin memory for good. */
const SHRINK_ABOVE = 1024 * 1024;

/**
 * Encodes replies as RESP2 or RESP3 into one growable buffer that is reused
 * between batches: a connection writes every reply of a read batch, then
 * {@link RespEncoder.take}s the bytes for one socket write.
 *
 * @example Encoding a batch
 * ```ts
 * import { RespEncoder } from "./resp.ts";
 * import { integer, NIL, OK } from "../reply.ts";
 * import assert from "node:assert/strict";
 *
 * const encoder = new RespEncoder();
 * encoder.write(OK, 2);
 * encoder.write(integer(42), 2);
 * encoder.write(NIL, 3);
 * assert.equal(new TextDecoder().decode(encoder.take()), "+OK\r\n:42\r\n_\r\n");
 * ```
 */
export class RespEncoder {
  readonly #initialSize: number;
  #buffer: Uint8Array;
  #length = 0;
  /**
   * Output before `#partStart`, when a big string value was written: views of
   * the buffer alternating with the strings (see lib/protocol/output.ts).
   */
  #parts: OutputPart[] | undefined;
  /** Where the buffer's bytes not yet in `#parts` begin. */
  #partStart = 0;
  /** Length of the strings in `#parts`. */
  #stringBytes = 0;
  /** The buffer of the output last taken to send (see {@link RespEncoder.takeOutputToSend}). */
  #spare: Uint8Array | undefined;

  constructor(initialSize = 16384) {
    this.#initialSize = Math.max(64, initialSize);
    this.#buffer = new Uint8Array(this.#initialSize);
  }

  /** Bytes written since the last {@link RespEncoder.take}. */
  get length(): number {
    return this.#length + this.#stringBytes;
  }

  /**
   * Returns the bytes written so far and starts over. The result is a view of
   * the internal buffer, not a copy: it is valid only until the next `write`.
   */
  take(): Uint8Array {
    const output = this.takeOutput();
    return output instanceof Uint8Array ? output : flattenOutput(output);
  }

  /**
   * Like {@link RespEncoder.take}, but string values of at least
   * {@link LARGE_STRING_BYTES} come back as the strings, between views of the
   * buffer, instead of being copied in. The views are valid until the next `write`.
   */
  takeOutput(): Output {
    const parts = this.#parts;
    const bytes = this.#buffer.subarray(this.#partStart, this.#length);
    this.#length = 0;
    this.#parts = undefined;
    this.#partStart = 0;
    this.#stringBytes = 0;
    if (this.#buffer.length > SHRINK_ABOVE) this.#buffer = new Uint8Array(this.#initialSize);
    if (parts === undefined) return bytes;
    parts.push(bytes);
    return parts;
  }

  /**
   * Like {@link RespEncoder.takeOutput}, for a socket write that runs while
   * the next replies are encoded: two buffers alternate, so the bytes stay
   * valid until the encoder writes after the next call of this method, and
   * the write needs no copy. The caller finishes each such write before it
   * calls this again.
   */
  takeOutputToSend(): Output {
    const buffer = this.#buffer;
    const output = this.takeOutput();
    // Nothing to send, or the buffer was dropped for its size: the current one is not in use.
    if (outputLength(output) === 0 || this.#buffer !== buffer) return output;
    this.#buffer = this.#spare ?? new Uint8Array(this.#initialSize);
    this.#spare = buffer;
    return output;
  }

  /** Appends one reply in the given protocol version. */
  write(reply: HandlerReply, protocol: 2 | 3): void {
    if (reply.kind === "view") this.#writeView(reply);
    else this.#write(reply, protocol === 3);
  }

  /** A bulk string copied from where its bytes are stored (valid only now, see ViewReply). */
  #writeView(view: ViewReply): void {
    const length = view.end - view.start;
    this.#reserve(length + HEADER_ROOM + 2);
    this.#writeHeader(DOLLAR, length);
    const buffer = this.#buffer;
    let pos = copyBytes(buffer, this.#length, view.bytes, view.start, view.end);
    buffer[pos++] = CR;
    buffer[pos++] = LF;
    this.#length = pos;
  }

  #write(reply: Reply, resp3: boolean): void {
    switch (reply.kind) {
      case "bulk":
        this.#writeBulk(reply.value);
        return;
      case "status":
        if (reply === OK) {
          this.#writeBytes(OK_BYTES);
          return;
        }
        this.#writeLine(0x2b, reply.text);
        return;
      case "integer":
        this.#writeInteger(reply.value);
        return;
      case "nil":
        this.#writeBytes(resp3 ? NULL_RESP3 : NIL_RESP2);
        return;
      case "nil-array":
        this.#writeBytes(resp3 ? NULL_RESP3 : NIL_ARRAY_RESP2);
        return;
      case "error":
        this.#writeLine(0x2d, reply.message);
        return;
      case "array":
        this.#writeItems(0x2a, reply.items, resp3);
        return;
      case "double":
        if (resp3) this.#writeLine(0x2c, reply.text ?? formatDouble(reply.value));
        else this.#writeBulk(reply.text ?? formatDouble(reply.value));
        return;
      case "map": {
        const entries = reply.entries;
        this.#writeHeader(resp3 ? 0x25 : 0x2a, resp3 ? entries.length : entries.length * 2);
        for (const [key, value] of entries) {
          this.#write(key, resp3);
          this.#write(value, resp3);
        }
        return;
      }
      case "set":
        this.#writeItems(resp3 ? 0x7e : 0x2a, reply.items, resp3);
        return;
      case "push":
        this.#writeItems(resp3 ? 0x3e : 0x2a, reply.items, resp3);
        return;
      case "boolean":
        if (resp3) this.#writeBytes(reply.value ? TRUE_RESP3 : FALSE_RESP3);
        else this.#writeBytes(reply.value ? ONE_RESP2 : ZERO_RESP2);
        return;
      case "big-number":
        if (resp3) this.#writeLine(0x28, reply.value.toString());
        else this.#writeBulk(reply.value.toString());
        return;
      case "verbatim":
        if (resp3) {
          // The format is always three bytes on the wire (`txt`, `mkd`).
          const format = (reply.format + "   ").slice(0, 3);
          this.#writeBulkAs(0x3d, format + ":" + reply.value);
        } else {
          this.#writeBulk(reply.value);
        }
        return;
    }
  }

  #writeItems(type: number, items: readonly Reply[], resp3: boolean): void {
    this.#writeHeader(type, items.length);
    for (let i = 0; i < items.length; i++) this.#write(items[i]!, resp3);
  }

  #writeBulk(value: string): void {
    this.#writeBulkAs(0x24, value);
  }

  /** `<type><length>\r\n<bytes>\r\n`, the shape of bulk and verbatim strings. */
  #writeBulkAs(type: number, value: string): void {
    const large = value.length >= LARGE_STRING_BYTES;
    this.#reserve((large ? 0 : value.length) + HEADER_ROOM + 2);
    const buffer = this.#buffer;
    let pos = this.#length;
    buffer[pos++] = type;
    pos = writeDigits(buffer, pos, value.length);
    buffer[pos++] = CR;
    buffer[pos++] = LF;
    if (large) {
      (this.#parts ??= []).push(buffer.subarray(this.#partStart, pos), value);
      this.#partStart = pos;
      this.#stringBytes += value.length;
    } else {
      pos = writeString(buffer, pos, value);
    }
    buffer[pos++] = CR;
    buffer[pos++] = LF;
    this.#length = pos;
  }

  /** `<type><text>\r\n`; CR and LF become spaces (as Redis does for errors) to keep one line. */
  #writeLine(type: number, text: string): void {
    if (text.indexOf("\r") !== -1 || text.indexOf("\n") !== -1) {
      text = text.replaceAll("\r", " ").replaceAll("\n", " ");
    }
    this.#reserve(text.length + 3);
    const buffer = this.#buffer;
    let pos = this.#length;
    buffer[pos++] = type;
    pos = writeString(buffer, pos, text);
    buffer[pos++] = CR;
    buffer[pos++] = LF;
    this.#length = pos;
  }

  /** `<type><count>\r\n` for aggregates. */
  #writeHeader(type: number, count: number): void {
    this.#reserve(HEADER_ROOM);
    const buffer = this.#buffer;
    let pos = this.#length;
    buffer[pos++] = type;
    pos = writeDigits(buffer, pos, count);
    buffer[pos++] = CR;
    buffer[pos++] = LF;
    this.#length = pos;
  }

  #writeInteger(value: number | bigint): void {
    if (typeof value === "number" && Number.isSafeInteger(value)) {
      this.#reserve(HEADER_ROOM);
      const buffer = this.#buffer;
      let pos = this.#length;
      buffer[pos++] = 0x3a;
      if (value < 0) {
        buffer[pos++] = MINUS;
        value = -value;
      }
      pos = writeDigits(buffer, pos, value);
      buffer[pos++] = CR;
      buffer[pos++] = LF;
      this.#length = pos;
      return;
    }
    // Beyond 2^53 only bigint is exact. A non-integer or non-finite number is a
    // handler bug: print something well-formed rather than throw in the connection loop.
    const digits = typeof value === "bigint"
      ? value.toString()
      : Number.isFinite(value)
      ? BigInt(Math.trunc(value)).toString()
      : "0";
    this.#writeLine(0x3a, digits);
  }

  #writeBytes(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    const buffer = this.#buffer;
    let pos = this.#length;
    // Constants are a few bytes: a loop beats TypedArray.set's call overhead.
    for (let i = 0; i < bytes.length; i++) buffer[pos++] = bytes[i]!;
    this.#length = pos;
  }

  #reserve(size: number): void {
    if (this.#length + size <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + size));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }
}

/** Writes a non-negative safe integer in decimal at `pos`; returns the offset after it. */
function writeDigits(buffer: Uint8Array, pos: number, value: number): number {
  if (value < 10) {
    buffer[pos] = DIGIT_0 + value;
    return pos + 1;
  }
  let digits = 1;
  for (let bound = 10; value >= bound && digits < 16; bound *= 10) digits++;
  let p = pos + digits;
  do {
    const quotient = Math.floor(value / 10);
    buffer[--p] = DIGIT_0 + (value - quotient * 10);
    value = quotient;
  } while (value > 0);
  return pos + digits;
}

const sharedEncoder = new RespEncoder(256);

/**
 * Encodes one reply into new bytes (a copy the caller owns). Connections
 * should batch with {@link RespEncoder} instead.
 *
 * @example Encoding a nil in both protocols
 * ```ts
 * import { encodeReply } from "./resp.ts";
 * import { NIL } from "../reply.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(new TextDecoder().decode(encodeReply(NIL, 2)), "$-1\r\n");
 * assert.equal(new TextDecoder().decode(encodeReply(NIL, 3)), "_\r\n");
 * ```
 */
export function encodeReply(reply: Reply, protocol: 2 | 3): Uint8Array {
  sharedEncoder.write(reply, protocol);
  // flattenOutput copies whatever it gets, so a big value is copied once, not twice.
  return flattenOutput(sharedEncoder.takeOutput());
}
