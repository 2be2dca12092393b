/**
 * Conversions between bytes and one-byte strings (char code = byte value),
 * the representation of every key, value and argument in Kache.
 *
 * WHATWG `TextDecoder("latin1")` is windows-1252 and remaps 0x80–0x9F, so it
 * must not be used here; `node:buffer`'s latin1 is byte-exact.
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** From this length a native copy beats a char-code loop when writing. */
const NATIVE_COPY_MIN = 64;
const UTF8 = new TextEncoder();

/** The Buffer view last used for decoding: reusing it saves creating one per string. */
let cachedView: Buffer | undefined;

function bufferView(bytes: Uint8Array): Buffer {
  // Long-lived arrays read often (the keyspace's arena chunks) are Buffers already.
  if (bytes instanceof Buffer) return bytes;
  const view = cachedView;
  if (view !== undefined && view.buffer === bytes.buffer) return view;
  return cachedView = Buffer.from(bytes.buffer);
}

/** Decodes `bytes[start, end)` into a one-byte string. */
export function bytesToString(bytes: Uint8Array, start = 0, end = bytes.length): string {
  // Keys and small values: fromCharCode with the bytes as arguments builds the string with no
  // temporary array (16 bytes: 33 ns against 83 through an array and 90 through the native
  // latin1 call, which is the faster one above that).
  if (end - start <= 16) return shortString(bytes, start, end);
  const offset = bytes.byteOffset;
  return bufferView(bytes).toString("latin1", offset + start, offset + end);
}

/** `b[s, e)` as a string, for at most 16 bytes (one case per length, so no array is built). */
// deno-fmt-ignore
function shortString(b: Uint8Array, s: number, e: number): string {
  switch (e - s) {
    case 1: return String.fromCharCode(b[s]!);
    case 2: return String.fromCharCode(b[s]!, b[s + 1]!);
    case 3: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!);
    case 4: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
    case 5: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
    case 6: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
    case 7: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!);
    case 8: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!);
    case 9: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!);
    case 10: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!);
    case 11: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!);
    case 12: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!);
    case 13: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!);
    case 14: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!);
    case 15: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!);
    case 16: return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!, b[s + 15]!);
    default: return "";
  }
}

/** The bytes of `parts`, one after the other, in one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/** Encodes a one-byte string into new bytes. */
export function stringToBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  writeString(bytes, 0, text);
  return bytes;
}

/**
 * Writes a one-byte string into `bytes` at `offset` and returns the offset after it.
 * The caller guarantees room for `text.length` bytes.
 */
export function writeString(bytes: Uint8Array, offset: number, text: string): number {
  const length = text.length;
  if (length >= SOURCED_MIN && running !== undefined) {
    const source = sourceOf(text);
    if (source >= 0) {
      const start = sourceStarts[source]!;
      return copyBytes(bytes, offset, sourceBytes[source]!, start, start + length);
    }
  }
  // Native UTF-8 encoding equals latin1 for ASCII and runs at GB/s on long strings (50x a
  // loop at 4 KiB); below 64 bytes the call costs more than the loop. Non-ASCII text shows
  // as read/written counts that differ from the length, and falls back to the loop.
  if (length >= NATIVE_COPY_MIN) {
    const { read, written } = UTF8.encodeInto(text, bytes.subarray(offset, offset + length));
    if (read === length && written === length) return offset + length;
  }
  for (let i = 0; i < length; i++) bytes[offset + i] = text.charCodeAt(i);
  return offset + length;
}

/**
 * Copies `source[start, end)` into `target` at `offset` and returns the offset after it.
 * The caller guarantees room.
 */
export function copyBytes(
  target: Uint8Array,
  offset: number,
  source: Uint8Array,
  start: number,
  end: number,
): number {
  // A native copy needs a view of the source, which costs more than a short loop.
  if (end - start >= NATIVE_COPY_MIN) {
    target.set(source.subarray(start, end), offset);
    return offset + end - start;
  }
  for (let i = start; i < end; i++) target[offset++] = source[i]!;
  return offset;
}

/** UTF-8 text (what a person types) to a one-byte string of its bytes. */
export function utf8ToBinary(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/** A one-byte string holding UTF-8 bytes back to text, for display. */
export function binaryToUtf8(binary: string): string {
  return Buffer.from(binary, "latin1").toString("utf8");
}

/**
 * Strings at least this long are decoded with {@link bytesToSourcedString}:
 * a request's values, rarely its keys.
 */
const SOURCED_MIN = 128;
/** Decoded strings remembered at once with their bytes (a ring). */
const SOURCES = 64;
const sourceTexts: (string | undefined)[] = new Array(SOURCES);
const sourceOwners: (object | undefined)[] = new Array(SOURCES);
const sourceBytes: (Uint8Array | undefined)[] = new Array(SOURCES);
const sourceStarts = new Float64Array(SOURCES);
let nextSource = 0;
/** Sources remembered since the last forgetSources (at most SOURCES count). */
let remembered = 0;
/** The request running now (see {@link runningRequest}). */
let running: object | undefined;

/**
 * `bytes[start, end)` as {@link bytesToString} decodes it, remembering where a
 * long string came from, for the request `owner` (its argv), until
 * {@link forgetSources}: while that request runs ({@link runningRequest}),
 * writing the string with {@link writeString} copies those bytes instead of
 * encoding it: the encoder is native only for ASCII (a 4 KB value with other
 * bytes cost 3× Redis's CPU per SET, in a char-by-char loop), and took 6–25% of
 * the samples of 4 KB ASCII SETs. The caller must not change
 * `bytes[start, end)` before calling forgetSources.
 */
export function bytesToSourcedString(
  bytes: Uint8Array,
  start: number,
  end: number,
  owner: object,
): string {
  const text = bytesToString(bytes, start, end);
  if (end - start >= SOURCED_MIN) {
    const slot = nextSource;
    nextSource = (slot + 1) % SOURCES;
    sourceTexts[slot] = text;
    sourceOwners[slot] = owner;
    sourceBytes[slot] = bytes;
    sourceStarts[slot] = start;
    remembered++;
  }
  return text;
}

/** How a decoder turns one argument of `argv` into a string: {@link bytesToSourcedString} or not. */
export type ArgumentDecoder = (
  bytes: Uint8Array,
  start: number,
  end: number,
  argv: string[],
) => string;

/**
 * How a decoder turns its arguments into strings: remembering where long ones
 * came from ({@link bytesToSourcedString}) when `sourced`, else not.
 */
export function argumentDecoder(sourced: boolean | undefined): ArgumentDecoder {
  return sourced === true ? bytesToSourcedString : bytesToString;
}

/**
 * Names the request whose sources {@link writeString} may use (undefined:
 * none). Only its own arguments qualify: a string kept from an earlier request
 * (a list element) may come from bytes that were read over since.
 */
export function runningRequest(owner: object | undefined): void {
  running = owner;
}

/** Forgets every remembered source: their bytes are about to be reused. */
export function forgetSources(): void {
  if (remembered === 0) return;
  sourceTexts.fill(undefined);
  sourceOwners.fill(undefined);
  sourceBytes.fill(undefined);
  remembered = 0;
}

/** The slot of the running request's argument equal to `text`, or -1. */
function sourceOf(text: string): number {
  const count = Math.min(remembered, SOURCES);
  for (let age = 1; age <= count; age++) {
    const slot = (nextSource - age + SOURCES) % SOURCES;
    // Equal strings have equal bytes; a request has few long arguments to compare.
    if (sourceOwners[slot] === running && sourceTexts[slot] === text) return slot;
  }
  return -1;
}

/** Slots of the {@link commandName} cache; a power of two. */
const NAME_SLOTS = 256;
const nameCache: (string | undefined)[] = new Array(NAME_SLOTS);

/**
 * `bytes[start, end)` as a string like {@link bytesToString}, but a name seen
 * before comes back as the same string: a request's command name then costs no
 * allocation, and its hash, kept on the string by the first table lookup, is
 * not computed again. Names longer than 16 bytes are not cached.
 */
export function commandName(bytes: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length > 16) return bytesToString(bytes, start, end);
  let hash = length;
  for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + bytes[i]!) | 0;
  const slot = (hash ^ (hash >>> 8)) & (NAME_SLOTS - 1);
  const cached = nameCache[slot];
  if (cached !== undefined && cached.length === length) {
    let i = 0;
    while (i < length && cached.charCodeAt(i) === bytes[start + i]) i++;
    if (i === length) return cached;
  }
  return nameCache[slot] = shortString(bytes, start, end);
}
