/**
 * Writing a whole buffer, or a whole encoder output, to a connection:
 * `Deno.Conn.write` may write only part of it when the socket's send
 * buffer is full.
 *
 * @module
 */
import { writeString } from "../lib/bytes.ts";
import type { OutputPart } from "../lib/protocol/output.ts";

/** Big string parts go out in pieces this size, through one small buffer. */
const STRING_PIECE = 64 * 1024;

export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(offset === 0 ? bytes : bytes.subarray(offset));
  }
}

/**
 * Writes `parts` in order; string parts are converted a piece at a time, so
 * a 4 MB value costs a 64 KB buffer here instead of a copy of its size.
 * Byte parts must not change until this resolves.
 */
export async function writeParts(conn: Deno.Conn, parts: readonly OutputPart[]): Promise<void> {
  let piece: Uint8Array | undefined;
  for (const part of parts) {
    if (typeof part !== "string") {
      await writeAll(conn, part);
      continue;
    }
    piece ??= new Uint8Array(STRING_PIECE);
    for (let offset = 0; offset < part.length; offset += STRING_PIECE) {
      const end = writeString(piece, 0, part.substring(offset, offset + STRING_PIECE));
      await writeAll(conn, piece.subarray(0, end));
    }
  }
}
