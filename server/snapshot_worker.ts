/**
 * The disk half of a background snapshot, in a Web Worker so the event
 * loop never waits on it: it takes the RDB bytes the main thread encodes,
 * folds them into the CRC-64, writes them to a temporary file, and at the
 * end writes the checksum, fsyncs, renames over the target and fsyncs the
 * directory. Chunks arrive as transferred ArrayBuffers (no copy), and each
 * one is acknowledged once written so the main thread can bound how much is
 * in flight.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { Crc64 } from "../lib/persistence/crc64.ts";
import { commitFile, removeQuietly, writeAllSync } from "./durable_file.ts";

/** What the main thread sends. */
export type SnapshotWorkerRequest =
  | {
    readonly type: "open";
    /** Where the bytes go until they are complete. */
    readonly temporaryPath: string;
    /** What the file is renamed to once complete and fsynced. */
    readonly path: string;
    /** Write the CRC-64 over the last chunk's eight placeholder bytes (rdbchecksum). */
    readonly checksum: boolean;
  }
  | {
    readonly type: "chunk";
    readonly bytes: Uint8Array;
    /** The file's last chunk: it ends with the EOF opcode and eight bytes for the checksum. */
    readonly last: boolean;
  };

/** What the worker answers. */
export type SnapshotWorkerReply =
  | { readonly type: "written"; readonly bytes: number }
  | { readonly type: "done"; readonly bytes: number }
  | { readonly type: "error"; readonly message: string };

const CHECKSUM_BYTES = 8;

let file: Deno.FsFile | undefined;
let temporaryPath = "";
let path = "";
let checksum = true;
let total = 0;
let failed = false;
let crc = new Crc64();

function reply(message: SnapshotWorkerReply): void {
  self.postMessage(message);
}

function handle(request: SnapshotWorkerRequest): void {
  if (request.type === "open") {
    // One worker serves snapshot after snapshot (server/snapshot.ts keeps it): each starts afresh.
    temporaryPath = request.temporaryPath;
    path = request.path;
    checksum = request.checksum;
    total = 0;
    crc = new Crc64();
    file = Deno.openSync(temporaryPath, { write: true, create: true, truncate: true });
    return;
  }
  if (file === undefined) throw new Error("Snapshot worker got a chunk before open");
  const bytes = request.bytes;
  if (request.last) {
    const body = bytes.length - CHECKSUM_BYTES;
    if (checksum) {
      crc.update(bytes, 0, body);
      crc.writeTo(bytes, body);
    }
  } else if (checksum) {
    crc.update(bytes);
  }
  writeAllSync(file, bytes);
  total += bytes.length;
  if (!request.last) {
    reply({ type: "written", bytes: bytes.length });
    return;
  }
  file.syncSync();
  file.close();
  file = undefined;
  commitFile(temporaryPath, path);
  reply({ type: "done", bytes: total });
}

self.onmessage = (event: MessageEvent<SnapshotWorkerRequest>) => {
  if (failed) return;
  try {
    handle(event.data);
  } catch (error) {
    failed = true;
    try {
      file?.close();
    } catch {
      // Closing is best effort once writing failed.
    }
    removeQuietly(temporaryPath);
    reply({ type: "error", message: error instanceof Error ? error.message : String(error) });
  }
};
