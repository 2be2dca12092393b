/**
 * Startup loading: a snapshot (dump.rdb, or an AOF base) into the keyspace,
 * and the append-only files replayed command by command. Synchronous, on
 * purpose: it runs before the server listens, so nothing else waits, and
 * files are read in 4 MiB chunks so a large one never sits in memory whole.
 *
 * Policy, as Redis: keys whose deadline has passed are dropped as they are
 * read; a torn last command of the last incremental file is cut off with a
 * warning when `aof-load-truncated` is on; anything else wrong stops startup
 * with the file and the byte offset.
 *
 * @module
 */
import type { Databases } from "../lib/databases.ts";
import { AofFormatError, AofParser } from "../lib/persistence/aof_loader.ts";
import type { AofManifest } from "../lib/persistence/aof_manifest.ts";
import { valueFromRdb } from "../lib/persistence/rdb_value.ts";
import { type RdbEntry, RdbError, RdbReader } from "../lib/persistence/rdb_reader.ts";
import type { Logger } from "./log.ts";

const READ_CHUNK = 4 * 1024 * 1024;

/** A file that stops startup, with where it went wrong. */
export class LoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LoadError";
  }
}

/** What a snapshot load did. */
export interface RdbLoadResult {
  readonly keys: number;
  /** Keys in the file whose deadline had already passed. */
  readonly expired: number;
  readonly bytes: number;
  /** The file's auxiliary fields (redis-ver, ctime, a replica's repl-id …). */
  readonly aux: ReadonlyMap<string, string>;
}

/** Feeds a file to `push` in chunks; returns its size. */
function readChunks(path: string, push: (chunk: Uint8Array) => void): number {
  const file = Deno.openSync(path, { read: true });
  const buffer = new Uint8Array(READ_CHUNK);
  let total = 0;
  try {
    while (true) {
      const count = file.readSync(buffer);
      if (count === null) break;
      push(buffer.subarray(0, count));
      total += count;
    }
  } finally {
    file.close();
  }
  return total;
}

/** Puts RDB entries into databases, counting them; see {@link rdbEntryStore}. */
export interface RdbEntryStore {
  store(entry: RdbEntry): void;
  readonly keys: number;
  readonly expired: number;
}

/**
 * Stores each entry read from an RDB into `databases`. Keys whose deadline
 * passed at the databases' `now` are dropped, unless `keepExpired`: a
 * replica keeps them, since only its master's DEL removes keys (Redis's
 * rdbLoad skips expired keys only on a master).
 */
export function rdbEntryStore(databases: Databases, keepExpired = false): RdbEntryStore {
  const now = databases.shared.now;
  const counts = {
    keys: 0,
    expired: 0,
    store(entry: RdbEntry): void {
      if (entry.expiresAtMs !== undefined && entry.expiresAtMs <= now) {
        counts.expired++;
        if (!keepExpired) return;
      }
      const keyspace = databases.at(entry.db);
      keyspace.set(entry.key, valueFromRdb(entry.value));
      if (entry.expiresAtMs !== undefined) keyspace.setExpiry(entry.key, entry.expiresAtMs);
      counts.keys++;
    },
  };
  return counts;
}

/**
 * Loads an RDB file into `databases`, dropping keys expired at their shared
 * `now` (unless `keepExpired`, see {@link rdbEntryStore}). Throws
 * {@link LoadError} naming the file and offset if it cannot be read, or if
 * it holds a database beyond `databases` (as Redis refuses to start).
 */
export function loadRdbFile(
  path: string,
  databases: Databases,
  onFunction?: (code: string) => string | undefined,
  keepExpired = false,
): RdbLoadResult {
  const entries = rdbEntryStore(databases, keepExpired);
  const reader = new RdbReader((entry) => entries.store(entry), {
    databases: databases.count,
    onFunction,
  });
  let bytes: number;
  let aux: ReadonlyMap<string, string>;
  try {
    bytes = readChunks(path, (chunk) => reader.push(chunk));
    aux = reader.end().aux;
  } catch (error) {
    if (error instanceof RdbError) {
      throw new LoadError(`Cannot load the RDB file ${path}: ${error.message}`);
    }
    throw error;
  }
  return { keys: entries.keys, expired: entries.expired, bytes, aux };
}

/** What replaying the append-only files did. */
export interface AofLoadResult {
  /** Keys the base held. */
  readonly baseKeys: number;
  /** Commands replayed from the incremental files. */
  readonly commands: number;
  /** Bytes of every file, after any truncation. */
  readonly bytes: number;
  /** Bytes cut off a torn tail (0 when the files ended cleanly). */
  readonly truncatedBytes: number;
}

/** Options of {@link loadAppendOnlyFiles}. */
export interface AofLoadOptions {
  /** Runs one command; returns an error message to stop the load with. */
  readonly run: (argv: string[]) => string | undefined;
  /** aof-load-truncated: cut a torn last command off instead of refusing to start. */
  readonly truncatedOk: boolean;
  readonly log: Logger;
  readonly manifestPath: string;
  /** Installs a function library found in the RDB base. */
  readonly onFunction?: (code: string) => string | undefined;
}

/** Replays the files `manifest` lists, base first, into `databases`. */
export function loadAppendOnlyFiles(
  directory: string,
  manifest: AofManifest,
  databases: Databases,
  options: AofLoadOptions,
): AofLoadResult {
  let baseKeys = 0;
  let bytes = 0;
  if (manifest.base !== undefined) {
    const path = `${directory}/${manifest.base.name}`;
    if (manifest.base.name.endsWith(".rdb")) {
      const loaded = loadRdbFile(path, databases, options.onFunction);
      baseKeys = loaded.keys;
      bytes += loaded.bytes;
    } else {
      const replayed = replayAofFile(path, false, options);
      bytes += replayed.bytes;
    }
  }
  let commands = 0;
  let truncatedBytes = 0;
  manifest.incr.forEach((file, index) => {
    const last = index === manifest.incr.length - 1;
    const replayed = replayAofFile(`${directory}/${file.name}`, last, options);
    commands += replayed.commands;
    bytes += replayed.bytes;
    truncatedBytes += replayed.truncatedBytes;
  });
  return { baseKeys, commands, bytes, truncatedBytes };
}

/** Replays one file of commands; a torn tail may be cut only from the last file. */
function replayAofFile(
  path: string,
  last: boolean,
  options: AofLoadOptions,
): { commands: number; bytes: number; truncatedBytes: number } {
  /** Where the open MULTI began: a transaction without EXEC at the end is dropped whole. */
  let multiAt: number | undefined;
  const parser = new AofParser((argv, offset) => {
    const name = argv[0]!.toLowerCase();
    if (name === "multi") multiAt = offset;
    else if (name === "exec") multiAt = undefined;
    const problem = options.run(argv);
    if (problem !== undefined) {
      throw new LoadError(
        `${problem} reading the append only file ${path} (command at offset ${offset})`,
      );
    }
  });
  let size: number;
  let end;
  try {
    size = readChunks(path, (chunk) => parser.push(chunk));
    end = parser.end();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new LoadError(`The append only file ${path} listed in the manifest is missing`);
    }
    if (error instanceof AofFormatError) {
      throw new LoadError(
        `Bad file format reading the append only file ${path}: ${error.message}. ` +
          `Make a backup of it, then use redis-check-aof --fix ${options.manifestPath}`,
      );
    }
    throw error;
  }
  const validLength = multiAt ?? end.validLength;
  if (validLength === size) return { commands: end.commands, bytes: size, truncatedBytes: 0 };
  const what = multiAt === undefined
    ? `a command cut short (${end.truncatedBytes} bytes at offset ${end.validLength})`
    : `a MULTI at offset ${multiAt} without its EXEC`;
  if (!last || !options.truncatedOk) {
    throw new LoadError(
      `Unexpected end of the append only file ${path}: it ends with ${what}. ` +
        (last
          ? "Start with --aof-load-truncated yes to drop it, or use redis-check-aof --fix " +
            options.manifestPath
          : "Only the last file may be cut short."),
    );
  }
  options.log.warning(
    `!!! Warning: short read while loading the append only file ${path}: it ends with ${what} !!!`,
  );
  Deno.truncateSync(path, validLength);
  options.log.warning(
    `AOF ${path} loaded anyway because aof-load-truncated is enabled; ` +
      `truncated to ${validLength} bytes`,
  );
  return { commands: end.commands, bytes: validLength, truncatedBytes: size - validLength };
}
