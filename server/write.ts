/**
 * Writing a whole buffer, or a whole encoder output, to a connection:
 * `Deno.Conn.write` may write only part of it when the socket's send
 * buffer is full.
 *
 * @module
 */
import { writeString } from "../lib/bytes.ts";
import type { OutputPart } from "../lib/protocol/output.ts";
import type { StreamConn } from "./stream.ts";

/** Output parts go out through a buffer of this size (see {@link writeParts}). */
const PIECE = 64 * 1024;

export async function writeAll(conn: StreamConn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(offset === 0 ? bytes : bytes.subarray(offset));
  }
}

/**
 * Writes `parts` in order through one 64 KB buffer: string parts are
 * converted into it a piece at a time, and small byte parts gathered with
 * them, so a 4 MB value costs 64 KB here instead of a copy of its size, and
 * a reply takes as few writes as its size needs. Byte parts must not change
 * until this resolves.
 */
export async function writeParts(conn: StreamConn, parts: readonly OutputPart[]): Promise<void> {
  const piece = new Uint8Array(PIECE);
  let filled = 0;
  for (const part of parts) {
    if (typeof part !== "string") {
      if (filled + part.length > PIECE && filled > 0) {
        await writeAll(conn, piece.subarray(0, filled));
        filled = 0;
      }
      if (part.length > PIECE) {
        await writeAll(conn, part);
      } else {
        piece.set(part, filled);
        filled += part.length;
      }
      continue;
    }
    for (let offset = 0; offset < part.length;) {
      const take = Math.min(PIECE - filled, part.length - offset);
      filled = writeString(piece, filled, part.substring(offset, offset + take));
      offset += take;
      if (filled === PIECE) {
        await writeAll(conn, piece);
        filled = 0;
      }
    }
  }
  if (filled > 0) await writeAll(conn, piece.subarray(0, filled));
}
