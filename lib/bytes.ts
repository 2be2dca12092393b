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

/** Up to this length JS beats the native call's fixed cost (keys and small values). */
const SHORT_STRING = 12;

/** The Buffer view last used for decoding: reusing it saves creating one per string. */
let cachedView: Buffer | undefined;

function bufferView(bytes: Uint8Array): Buffer {
  const view = cachedView;
  if (view !== undefined && view.buffer === bytes.buffer) return view;
  return cachedView = Buffer.from(bytes.buffer);
}

/** Decodes `bytes[start, end)` into a one-byte string. */
export function bytesToString(bytes: Uint8Array, start = 0, end = bytes.length): string {
  const length = end - start;
  if (length <= SHORT_STRING) {
    // One fromCharCode call over a small array: ~70 ns for 8 bytes, half of the native call.
    const codes = new Array<number>(length);
    for (let i = 0; i < length; i++) codes[i] = bytes[start + i]!;
    return String.fromCharCode.apply(null, codes);
  }
  const offset = bytes.byteOffset;
  return bufferView(bytes).toString("latin1", offset + start, offset + end);
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

/** UTF-8 text (what a person types) to a one-byte string of its bytes. */
export function utf8ToBinary(text: string): string {
  return Buffer.from(text, "utf8").toString("latin1");
}

/** A one-byte string holding UTF-8 bytes back to text, for display. */
export function binaryToUtf8(binary: string): string {
  return Buffer.from(binary, "latin1").toString("utf8");
}
