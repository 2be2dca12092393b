/**
 * A connection's encoded output as parts: bytes, and big string values kept
 * as the strings themselves.
 *
 * Copying a 4 MB value into the encoder's buffer, and that buffer into a
 * write, allocates two 4–8 MB buffers per reply. glibc's malloc keeps such
 * blocks once freed (its mmap threshold rises to the largest block freed),
 * so 200 clients that each read a 4 MB value once left the server ~1 GB
 * bigger for good. Kept as strings, big values are turned into bytes a small
 * piece at a time as the socket takes them (server/write.ts).
 *
 * @module
 */
import { writeString } from "../bytes.ts";

/** Bytes, or a one-byte string to be written as its bytes. */
export type OutputPart = Uint8Array | string;

/** What an encoder hands over: one buffer, or parts when it holds big strings. */
export type Output = Uint8Array | readonly OutputPart[];

/** String values at least this long stay strings in the output instead of being copied. */
export const LARGE_STRING_BYTES = 64 * 1024;

/** Total bytes of `output`. */
export function outputLength(output: Output): number {
  if (output instanceof Uint8Array) return output.length;
  let length = 0;
  for (const part of output) length += part.length;
  return length;
}

/** `output` as one buffer the caller owns (always a copy). */
export function flattenOutput(output: Output): Uint8Array {
  if (output instanceof Uint8Array) return output.slice();
  const bytes = new Uint8Array(outputLength(output));
  let offset = 0;
  for (const part of output) {
    if (typeof part === "string") offset = writeString(bytes, offset, part);
    else {
      bytes.set(part, offset);
      offset += part.length;
    }
  }
  return bytes;
}
