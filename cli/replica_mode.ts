/**
 * `kache client --replica`: watch what a server sends its replicas, as
 * redis-cli 7.0's `slaveMode`: `REPLCONF capa eof`, `REPLCONF
 * rdb-filter-only ""` (no keys wanted; a server that does not know it sends
 * them anyway), `SYNC`; the RDB payload is read and dropped, then every
 * command of the replication stream is printed as a CSV line
 * (`"set","a","1"`) until Ctrl-C or the server hangs up. Progress goes to
 * stderr in redis-cli's words.
 *
 * After a diskless transfer (ended by a mark), redis-cli waits a second and
 * sends `REPLCONF ACK 0`, which a Redis master needs before it streams
 * commands; so does this. (redis-cli then reads the first command as the
 * ACK's reply and does not print it; here it is printed.)
 *
 * @module
 */
import { encodeRespRequest, RespReplyDecoder } from "../lib/protocol/resp_reply.ts";
import { SyncPayloadError, SyncPayloadReader } from "../lib/replication/sync_payload.ts";
import { REPLID_LENGTH } from "../lib/replication/replica_handshake.ts";
import type { KacheConnection } from "./connection.ts";
import { messageOf, sleep, writeErr, writeOut } from "./output.ts";
import { replconf } from "./rdb_mode.ts";
import { renderReply } from "./render.ts";

/** Follows the replication stream until the connection ends; resolves with the exit code. */
export async function replicaMode(connection: KacheConnection): Promise<number> {
  try {
    await replconf(connection, "capa", "eof");
    await replconf(connection, "rdb-filter-only", "");
  } catch {
    writeErr("\nI/O error\n");
    return 1;
  }
  const reader = new SyncPayloadReader();
  const decoder = new RespReplyDecoder();
  /** Replication stream bytes not yet decoded into a whole command. */
  let pending = new Uint8Array(0);
  let synced = false;
  const { promise: failed, resolve: fail } = Promise.withResolvers<string>();
  const printCommands = (bytes: Uint8Array) => {
    const joined = new Uint8Array(pending.length + bytes.length);
    joined.set(pending);
    joined.set(bytes, pending.length);
    const step = decoder.decode(joined, 0, joined.length);
    writeOut(step.replies.map((reply) => renderReply(reply, "csv")).join(""));
    pending = joined.slice(step.consumed);
    if (step.error !== undefined) fail(`Error: ${step.error}`);
  };
  connection.readRaw((bytes) => {
    if (synced) {
      printCommands(bytes);
      return;
    }
    let step;
    try {
      const hadFraming = reader.framing !== undefined;
      step = reader.push(bytes);
      const framing = reader.framing;
      if (!hadFraming && framing !== undefined) {
        writeErr(
          framing.kind === "eof"
            ? "SYNC with master, discarding bytes of bulk transfer until EOF marker...\n"
            : `SYNC with master, discarding ${framing.length} bytes of bulk transfer...\n`,
        );
      }
    } catch (error) {
      fail(
        error instanceof SyncPayloadError
          ? `SYNC with master failed: ${error.refusal ?? error.message}`
          : messageOf(error),
      );
      return;
    }
    if (!step.finished) return;
    synced = true;
    if (reader.framing!.kind === "eof") {
      // redis-cli counts the end mark in the bytes it read.
      writeErr(
        `SYNC done after ${
          reader.bytesRead + REPLID_LENGTH
        } bytes. Logging commands from master.\n`,
      );
      void acknowledge(connection);
    } else {
      writeErr("SYNC done. Logging commands from master.\n");
    }
    printCommands(step.rest);
  });
  try {
    await connection.writeRaw(new TextEncoder().encode("SYNC\r\n"));
  } catch {
    writeErr("Error writing to master\n");
    return 1;
  }
  const closed = connection.closed.then(() =>
    synced ? "Error: Server closed the connection" : "Error reading bulk length while SYNCing"
  );
  writeErr(`${await Promise.race([failed, closed])}\n`);
  connection.close();
  return 1;
}

/** After a diskless transfer: a second's wait, then `REPLCONF ACK 0`, as redis-cli does. */
async function acknowledge(connection: KacheConnection): Promise<void> {
  await sleep(1);
  writeErr("sending REPLCONF ACK 0\n");
  await connection.writeRaw(encodeRespRequest(["REPLCONF", "ACK", "0"])).catch(() => {});
}
