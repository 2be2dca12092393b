/**
 * Writing a whole buffer to a connection: `Deno.Conn.write` may write only
 * part of it when the socket's send buffer is full.
 *
 * @module
 */

export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(offset === 0 ? bytes : bytes.subarray(offset));
  }
}
