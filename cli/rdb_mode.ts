/**
 * `kache client --rdb <file>`: a snapshot of the server fetched over the
 * replication protocol, as redis-cli 7.0's `getRDB`: `REPLCONF capa eof`,
 * `REPLCONF rdb-only 1`, then `SYNC`, whose answer is the RDB payload framed
 * by a length or by an end mark (lib/replication/sync_payload.ts reads
 * both). The file is written as the bytes arrive and fsynced at the end;
 * `-` writes the RDB to standard output. Progress goes to stderr in
 * redis-cli's words.
 *
 * Unlike redis-cli 7.0, the end mark of a diskless transfer never reaches
 * standard output, and an existing file is truncated first (redis-cli
 * rewrites it in place, leaving old bytes past a shorter RDB's end).
 *
 * @module
 */
import { SyncPayloadError, SyncPayloadReader } from "../lib/replication/sync_payload.ts";
import type { KacheConnection } from "./connection.ts";
import { messageOf, osErrorText, writeAll, writeErr } from "./output.ts";

/** Sends one REPLCONF, printing it as redis-cli does; an error reply is not fatal. */
export async function replconf(connection: KacheConnection, option: string, value: string) {
  writeErr(`sending REPLCONF ${option} ${value}\n`);
  const reply = await connection.send(["REPLCONF", option, value]);
  if (reply.type === "error") writeErr(`REPLCONF ${option} error: ${reply.message}\n`);
}

/** Where the RDB goes: a file, or stdout for `-`. */
interface Target {
  write(bytes: Uint8Array): Promise<void>;
  finish(): Promise<void>;
}

async function openTarget(path: string): Promise<Target> {
  if (path === "-") {
    return {
      write: (bytes) => Promise.resolve(writeAll(Deno.stdout, bytes)),
      finish: () => Promise.resolve(),
    };
  }
  const file = await Deno.open(path, { write: true, create: true, truncate: true, mode: 0o644 });
  return {
    write: async (bytes) => {
      for (let written = 0; written < bytes.length;) {
        written += await file.write(bytes.subarray(written));
      }
    },
    finish: async () => {
      try {
        await file.sync();
      } catch (error) {
        throw new Error(`Fail to fsync '${path}': ${messageOf(error)}`);
      } finally {
        file.close();
      }
    },
  };
}

/** Fetches the RDB into `path`; resolves with the exit code. */
export async function rdbMode(connection: KacheConnection, path: string): Promise<number> {
  try {
    await replconf(connection, "capa", "eof");
    await replconf(connection, "rdb-only", "1");
  } catch {
    writeErr("\nI/O error\n");
    return 1;
  }
  let target: Target;
  try {
    target = await openTarget(path);
  } catch (error) {
    writeErr(`Error opening '${path}': ${osErrorText(error)}\n`);
    return 1;
  }
  const reader = new SyncPayloadReader();
  const { promise: transferred, resolve: settle } = Promise.withResolvers<string | undefined>();
  connection.readRaw(async (bytes) => {
    try {
      const hadFraming = reader.framing !== undefined;
      const step = reader.push(bytes);
      const framing = reader.framing;
      if (!hadFraming && framing !== undefined) {
        writeErr(
          framing.kind === "eof"
            ? `SYNC sent to master, writing bytes of bulk transfer until EOF marker to '${path}'\n`
            : `SYNC sent to master, writing ${framing.length} bytes to '${path}'\n`,
        );
      }
      for (const chunk of step.rdb) {
        try {
          await target.write(chunk);
        } catch (error) {
          throw new Error(`Error writing data to file: ${messageOf(error)}`);
        }
      }
      if (step.finished) settle(undefined);
    } catch (error) {
      if (!(error instanceof SyncPayloadError)) settle(messageOf(error));
      // As redis-cli: the server's own line when it refused SYNC.
      else settle(`SYNC with master failed: ${error.refusal ?? error.message}`);
    }
  });
  const closed = connection.closed.then(() =>
    reader.framing === undefined
      ? "Error reading bulk length while SYNCing"
      : "I/O Error reading RDB payload from socket"
  );
  try {
    await connection.writeRaw(new TextEncoder().encode("SYNC\r\n"));
  } catch {
    writeErr("Error writing to master\n");
    return 1;
  }
  const failure = await Promise.race([transferred, closed]);
  // Close the connection before the fsync, which may take time, as redis-cli does.
  connection.close();
  if (failure !== undefined) {
    writeErr(`${failure}\n`);
    await target.finish().catch(() => {});
    return 1;
  }
  const framing = reader.framing!;
  writeErr(
    framing.kind === "eof"
      ? `Transfer finished with success after ${reader.bytesRead} bytes\n`
      : "Transfer finished with success.\n",
  );
  try {
    await target.finish();
  } catch (error) {
    writeErr(`${messageOf(error)}\n`);
    return 1;
  }
  return 0;
}
