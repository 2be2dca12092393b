/**
 * Where the RDB of a replica's full sync goes while it arrives, and how it
 * becomes the data (server/replica.ts picks one by `repl-diskless-load`):
 * through dump.rdb on disk, as Redis's default, or parsed from the socket
 * into databases of their own and swapped in whole (Redis's swapdb). Either
 * way keys past their deadline are kept (the master will DEL them) and the
 * function libraries are replaced.
 *
 * @module
 */
import type { Config } from "../lib/config.ts";
import { Databases } from "../lib/databases.ts";
import { RdbReader } from "../lib/persistence/rdb_reader.ts";
import { commitFile, removeQuietly, temporaryPathFor, writeAllSync } from "./durable_file.ts";
import { loadRdbFile, rdbEntryStore } from "./loading.ts";
import type { Logger } from "./log.ts";

/** The RDB of a full sync on its way in. */
export interface SyncSink {
  write(bytes: Uint8Array): void;
  /** The payload is complete: replace the data with it. */
  finish(): void;
  abort(): void;
}

/** What loading needs of the server. */
export interface SyncLoadHost {
  readonly config: Config;
  readonly databases: Databases;
  readonly log: Logger;
  /** The function libraries become these. */
  replaceFunctions(codes: string[]): void;
  /** The error a failed step throws (logged by the link, which then retries). */
  failed(text: string): Error;
}

/** Disk-based load: the payload becomes dump.rdb (temp file, fsync, rename), then loads. */
export function diskSink(host: SyncLoadHost): SyncSink {
  const { config, databases, log, failed } = host;
  const path = `${config.string("dir")}/${config.string("dbfilename")}`;
  const temporary = temporaryPathFor(path, ".rdb");
  let file: Deno.FsFile | undefined;
  try {
    file = Deno.openSync(temporary, { write: true, create: true, truncate: true });
  } catch (cause) {
    throw failed(
      `Opening the temp file needed for MASTER <-> REPLICA synchronization: ${describe(cause)}`,
    );
  }
  const opened = file;
  return {
    write: (bytes) => writeAllSync(opened, bytes),
    finish: () => {
      try {
        opened.syncSync();
        opened.close();
        file = undefined;
        commitFile(temporary, path);
      } catch (cause) {
        throw failed(
          `Failed trying to rename the temp DB into ${path} in MASTER <-> REPLICA ` +
            `synchronization: ${describe(cause)}`,
        );
      }
      log.notice("MASTER <-> REPLICA sync: Flushing old data");
      databases.flushAll();
      log.notice("MASTER <-> REPLICA sync: Loading DB in memory");
      const codes: string[] = [];
      try {
        databases.shared.now = Date.now();
        loadRdbFile(path, databases, (code) => {
          codes.push(code);
          return undefined;
        }, true);
      } catch (cause) {
        databases.flushAll();
        throw failed(
          `Failed trying to load the MASTER synchronization DB from disk: ${describe(cause)}`,
        );
      }
      host.replaceFunctions(codes);
    },
    abort: () => {
      try {
        file?.close();
      } catch {
        // Already closed.
      }
      removeQuietly(temporary);
    },
  };
}

/**
 * Diskless load: parsed from the socket into databases of its own while
 * the old data keeps serving, then swapped in whole (Redis's swapdb).
 */
export function parserSink(host: SyncLoadHost): SyncSink {
  const { databases, log, failed } = host;
  const loaded = new Databases(databases.count);
  loaded.shared.expiry = "keep";
  loaded.shared.now = Date.now();
  const entries = rdbEntryStore(loaded, true);
  const codes: string[] = [];
  const reader = new RdbReader((entry) => entries.store(entry), {
    databases: databases.count,
    onFunction: (code) => {
      codes.push(code);
      return undefined;
    },
  });
  const loadFailed = (cause: unknown) =>
    failed(`Failed trying to load the MASTER synchronization DB from socket: ${describe(cause)}`);
  return {
    write: (bytes) => {
      try {
        reader.push(bytes);
      } catch (cause) {
        throw loadFailed(cause);
      }
    },
    finish: () => {
      try {
        reader.end();
      } catch (cause) {
        throw loadFailed(cause);
      }
      log.notice("MASTER <-> REPLICA sync: Swapping active DB with loaded DB");
      const indexes = new Set(
        [...databases.created(), ...loaded.created()].map((db) => db.index),
      );
      for (const index of indexes) databases.at(index).swapContents(loaded.at(index));
      host.replaceFunctions(codes);
      log.notice("MASTER <-> REPLICA sync: Discarding old DB in background");
    },
    abort: () => {
      log.notice("MASTER <-> REPLICA sync: Discarding temporary DB in background");
    },
  };
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
