/**
 * RDB snapshots of the databases: {@link saveSnapshot} writes one on the spot
 * (SAVE, shutdown), {@link BackgroundSnapshot} writes one while the server
 * keeps serving (BGSAVE, save rules, AOF rewrites).
 *
 * The background snapshot has no fork and no pause; it follows Dragonfly:
 * - The cut is the moment it starts. It walks the keyspace in slices of a
 *   millisecond or two between requests, encoding with the RdbWriter on the
 *   main thread. Slices come from a zero-delay timer when the server is idle;
 *   under load, timers wait behind a stream of I/O, so the server also calls
 *   {@link BackgroundSnapshot.nudge} after each batch of requests, which runs
 *   a slice once the last one ended a slice's length ago: the walk then gets
 *   at most about half the time, whatever the load.
 * - Copy-on-write without copies: while it runs, the keyspace calls
 *   the cut's `beforeChange` before any key is changed,
 *   removed or (a sorted set) handed out for editing. A key the walk has not
 *   reached is written out right then, old value and TTL, and marked as
 *   visited so the walk skips it; a key that did not exist at the cut is
 *   marked too and never written. So the file is exactly the data at the
 *   cut, at the cost of one set entry per key for the snapshot's duration.
 *   The bytes encoded that way, ahead of the walk because a command was
 *   about to change the key, are Kache's analogue of the pages a forked
 *   Redis child copies on write: {@link BackgroundSnapshot.cowBytes}
 *   (INFO's current_cow_size, rdb_last_cow_size, aof_last_cow_size).
 *   A FLUSHALL swaps in fresh maps, so the walk just goes on over the old
 *   ones, which nothing changes any more. A SWAPDB moves each database's
 *   hook with its maps, so writes to them still reach the right cut.
 * - Databases are written in index order, each after a SELECTDB; a key
 *   written out early (before a change) that belongs to another database
 *   than the walk's gets a SELECTDB of its own, and the walk's is restored.
 * - The disk work (CRC-64, writes, fsync, rename) happens in a Web Worker
 *   (snapshot_worker.ts) fed transferred chunks, with a bound on the bytes
 *   in flight so a slow disk slows the walk instead of filling memory.
 *   A diskless replication sync gives a {@link SnapshotStream} instead of a
 *   path: the chunks go to the replicas' sockets, the CRC-64 is folded on
 *   the main thread, and the same bound makes slow replicas slow the walk.
 *
 * @module
 */
import type { Databases } from "../lib/databases.ts";
import type { KeyspaceSnapshotHook, KeyspaceSnapshotSource, Value } from "../lib/keyspace.ts";
import { Crc64 } from "../lib/persistence/crc64.ts";
import { RdbWriter } from "../lib/persistence/rdb_writer.ts";
import { commitFile, removeQuietly, temporaryPathFor, writeAllSync } from "./durable_file.ts";
import type { SnapshotWorkerReply, SnapshotWorkerRequest } from "./snapshot_worker.ts";

/** Shards of {@link KeySet}: a power of two. */
const KEY_SET_SHARDS = 256;

/**
 * A set of keys split over many Sets. One Set of a million keys doubles its
 * table in one step that takes ~200 ms, a pause no request should sit
 * behind; each shard here grows a 256th of that. Keys are spread by a few
 * of their characters (cheap, and keys usually differ near their end); keys
 * that collide only make a shard bigger, never a wrong answer.
 */
class KeySet {
  readonly #shards = Array.from({ length: KEY_SET_SHARDS }, () => new Set<string>());

  #shard(key: string): Set<string> {
    const length = key.length;
    const hash = length === 0 ? 0 : (key.charCodeAt(length - 1) * 31 +
      key.charCodeAt(length >> 1) * 7 + key.charCodeAt(length > 1 ? length - 2 : 0) + length);
    return this.#shards[(hash | 0) & (KEY_SET_SHARDS - 1)]!;
  }

  has(key: string): boolean {
    return this.#shard(key).has(key);
  }

  add(key: string): void {
    this.#shard(key).add(key);
  }
}

/** How a snapshot is encoded. */
export interface SnapshotSettings {
  /** LZF-compress long strings (rdbcompression). */
  readonly compression: boolean;
  /** End the file with its CRC-64 (rdbchecksum). */
  readonly checksum: boolean;
  /** Auxiliary fields besides ctime and used-mem (an AOF base sets `aof-base` 1). */
  readonly aux?: Readonly<Record<string, string | number>>;
  /** Function libraries' code (FUNCTION LOAD), saved before the keys as Redis 7 does. */
  readonly functions?: readonly string[];
}

/**
 * Where a snapshot goes instead of a file (diskless replication): called
 * with each chunk in order, the last ending with the checksum; its promise
 * settles once the chunk has left, which paces the walk as the worker's
 * acknowledgements do, and a rejection fails the snapshot.
 */
export type SnapshotStream = (bytes: Uint8Array) => Promise<void>;

/** What the snapshot's bytes are handed to: the file worker, or a {@link StreamTarget}. */
interface SnapshotTarget {
  onmessage: ((event: MessageEvent<SnapshotWorkerReply>) => void) | null;
  postMessage(request: SnapshotWorkerRequest, transfer: Transferable[]): void;
  terminate(): void;
}

/**
 * The worker's protocol on the main thread, for a stream: folds the chunks
 * into the CRC-64 as the worker does and answers "written", then "done"
 * after the last chunk left.
 */
class StreamTarget implements SnapshotTarget {
  onmessage: ((event: MessageEvent<SnapshotWorkerReply>) => void) | null = null;
  readonly #stream: SnapshotStream;
  #checksum = true;
  readonly #crc = new Crc64();
  #total = 0;
  #stopped = false;

  constructor(stream: SnapshotStream) {
    this.#stream = stream;
  }

  postMessage(request: SnapshotWorkerRequest): void {
    if (request.type === "open") {
      this.#checksum = request.checksum;
      return;
    }
    const { bytes, last } = request;
    if (this.#checksum) {
      const body = last ? bytes.length - CHECKSUM_BYTES : bytes.length;
      this.#crc.update(bytes, 0, body);
      if (last) this.#crc.writeTo(bytes, body);
    }
    this.#total += bytes.length;
    const total = this.#total;
    this.#stream(bytes).then(
      () =>
        this.#reply(
          last ? { type: "done", bytes: total } : { type: "written", bytes: bytes.length },
        ),
      (cause) =>
        this.#reply({
          type: "error",
          message: cause instanceof Error ? cause.message : String(cause),
        }),
    );
  }

  terminate(): void {
    this.#stopped = true;
  }

  #reply(data: SnapshotWorkerReply): void {
    if (!this.#stopped) this.onmessage?.({ data } as MessageEvent<SnapshotWorkerReply>);
  }
}

/** The RDB trailer's checksum bytes. */
const CHECKSUM_BYTES = 8;

/**
 * The file worker of the last snapshot that succeeded, kept for the next
 * one: `new Worker` blocks the main thread for 60–140 ms (measured on a
 * 2-core VM with 260k keys, 2026-12-04), a pause every BGSAVE and AOF
 * rewrite would otherwise cost its clients (INFO's latest_fork_usec shows
 * it). A worker whose snapshot failed or was aborted is terminated instead:
 * it may be stuck on a failing disk.
 */
let spareWorker: Worker | undefined;

function fileWorker(): Worker {
  const worker = spareWorker ??
    new Worker(new URL("./snapshot_worker.ts", import.meta.url).href, { type: "module" });
  spareWorker = undefined;
  return worker;
}

/** Terminates the file worker kept for the next snapshot, if any (at shutdown). */
export function releaseSnapshotWorker(): void {
  spareWorker?.terminate();
  spareWorker = undefined;
}

/** A snapshot written. */
export interface SnapshotResult {
  /** Bytes of the file. */
  readonly bytes: number;
  /** Keys written (keys already expired at the cut are left out). */
  readonly keys: number;
}

/** Work per slice before yielding to I/O: the most a request waits behind the walk. */
const SLICE_MILLISECONDS = 1;
/** Keys between clock reads inside a slice. */
const KEYS_PER_CLOCK_READ = 64;
/** Encoded bytes the worker may have queued before the walk waits for it. */
const MAX_IN_FLIGHT = 4 * 1024 * 1024;
/** The synchronous save writes whenever this much is encoded. */
const SYNC_WRITE_BYTES = 1024 * 1024;

function newWriter(databases: Databases, settings: SnapshotSettings, now: number, crc: boolean) {
  return new RdbWriter({
    compression: settings.compression,
    checksum: crc,
    aux: { ctime: Math.floor(now / 1000), "used-mem": databases.usedMemory, ...settings.aux },
  });
}

/** Writes one entry unless it had expired by the cut; returns whether it was written. */
function writeEntry(
  writer: RdbWriter,
  key: string,
  value: Value,
  expiry: number | undefined,
  cut: number,
): boolean {
  if (expiry !== undefined && expiry <= cut) return false;
  writer.writeEntry(key, value, expiry);
  return true;
}

/**
 * Writes every database to `path` now, atomically (temporary file, fsync,
 * rename, directory fsync), blocking until done. Throws on I/O errors,
 * leaving any previous file in place.
 */
export function saveSnapshot(
  databases: Databases,
  path: string,
  settings: SnapshotSettings,
  now: number,
): SnapshotResult {
  const writer = newWriter(databases, settings, now, settings.checksum);
  writer.header();
  for (const code of settings.functions ?? []) writer.writeFunction(code);
  const temporary = temporaryPathFor(path, ".rdb");
  let bytes = 0;
  let keys = 0;
  try {
    const file = Deno.openSync(temporary, { write: true, create: true, truncate: true });
    try {
      const flush = () => {
        for (const chunk of writer.takeChunks()) {
          writeAllSync(file, chunk);
          bytes += chunk.length;
        }
      };
      for (const keyspace of databases.created()) {
        const source = keyspace.snapshotSource();
        if (source.size === 0) continue;
        writer.selectDb(keyspace.index, source.size, source.expiresCount);
        for (const [key, value] of source.entries()) {
          if (writeEntry(writer, key, value, source.expiry(key), now)) keys++;
          if (writer.bufferedBytes >= SYNC_WRITE_BYTES) flush();
        }
      }
      writer.finish();
      flush();
      file.syncSync();
    } finally {
      file.close();
    }
    commitFile(temporary, path);
  } catch (error) {
    removeQuietly(temporary);
    throw error;
  }
  return { bytes, keys };
}

/**
 * A snapshot written while the server keeps serving; see the module
 * comment. Starts at construction (the cut); {@link BackgroundSnapshot.done}
 * settles when the file is in place or the snapshot failed or was aborted.
 */
export class BackgroundSnapshot {
  /** Resolves once the file is complete and renamed into place; rejects on failure or abort. */
  readonly done: Promise<SnapshotResult>;
  /** Unix ms of the cut. */
  readonly startedAt: number;
  /**
   * Microseconds the main thread spent in the constructor (taking the cut,
   * starting the worker, hooking the databases): the pause a BGSAVE costs
   * the clients, where Redis reports the time fork() took (latest_fork_usec).
   */
  readonly startMicros: number;
  /** Keys the databases held at the cut: what the walk will have visited when done. */
  readonly keysAtCut: number;
  readonly #databases: Databases;
  /** One per database that held keys at the cut, in index order. */
  readonly #cuts: DatabaseCut[];
  /** Index into {@link BackgroundSnapshot.#cuts} of the database the walk is in. */
  #walking = 0;
  #entries: Iterator<[string, Value]> | undefined;
  /** The database the file's last SELECTDB named. */
  #selectedDb = -1;
  readonly #writer: RdbWriter;
  /** The file being written until it is renamed into place; none for a stream. */
  readonly #temporaryPath: string | undefined;
  readonly #worker: SnapshotTarget;
  #keys = 0;
  #cowBytes = 0;
  #inFlight = 0;
  #waitingForWorker = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** performance.now() when the last slice ended. */
  #lastSliceEnd = 0;
  #settled = false;
  #resolve!: (result: SnapshotResult) => void;
  #reject!: (error: Error) => void;

  /** Writes to the file at `path`, or hands the bytes to a {@link SnapshotStream}. */
  constructor(
    databases: Databases,
    path: string | SnapshotStream,
    settings: SnapshotSettings,
    now: number,
  ) {
    const started = performance.now();
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // Callers that only poll the state must not see an unhandled rejection.
    this.done.catch(() => {});
    this.startedAt = now;
    this.#databases = databases;
    this.#cuts = databases.created()
      .map((keyspace) => new DatabaseCut(this, keyspace.index, keyspace.snapshotSource()))
      .filter((cut) => cut.source.size > 0);
    this.keysAtCut = this.#cuts.reduce((sum, cut) => sum + cut.source.size, 0);
    // The worker computes the CRC, so the writer leaves eight zero bytes for it.
    this.#writer = newWriter(databases, settings, now, false);
    this.#writer.header();
    for (const code of settings.functions ?? []) this.#writer.writeFunction(code);
    this.#temporaryPath = typeof path === "string" ? temporaryPathFor(path, ".rdb") : undefined;
    this.#worker = typeof path === "string" ? fileWorker() : new StreamTarget(path);
    this.#worker.onmessage = (event: MessageEvent<SnapshotWorkerReply>) =>
      this.#onReply(event.data);
    if (this.#worker instanceof Worker) {
      this.#worker.onerror = (event) => {
        event.preventDefault();
        this.#fail(new Error(`Snapshot worker failed: ${event.message}`));
      };
    }
    this.#post({
      type: "open",
      temporaryPath: this.#temporaryPath ?? "",
      path: typeof path === "string" ? path : "",
      checksum: settings.checksum,
    });
    for (const cut of this.#cuts) databases.at(cut.db).snapshotHook = cut;
    this.#timer = setTimeout(() => this.#slice(), 0);
    this.startMicros = Math.round((performance.now() - started) * 1000);
  }

  /** Keys written so far. */
  get keys(): number {
    return this.#keys;
  }

  /**
   * Bytes of old values encoded ahead of the walk because a command was
   * about to change their key (see the module comment): what the snapshot
   * had to preserve from the writes made while it ran.
   */
  get cowBytes(): number {
    return this.#cowBytes;
  }

  /** Whether the snapshot is still running. */
  get running(): boolean {
    return !this.#settled;
  }

  /** Writes an entry of database `db` (out of the walk's order when a change comes first). */
  write(db: number, key: string, value: Value, expiry: number | undefined): void {
    if (expiry !== undefined && expiry <= this.startedAt) return;
    if (db !== this.#selectedDb) {
      this.#writer.selectDb(db);
      this.#selectedDb = db;
    }
    this.#writer.writeEntry(key, value, expiry);
    this.#keys++;
  }

  /** Writes an entry before a command changes it, counting its bytes in {@link cowBytes}. */
  writeBeforeChange(db: number, key: string, value: Value, expiry: number | undefined): void {
    const before = this.#writer.bufferedBytes;
    this.write(db, key, value, expiry);
    this.#cowBytes += this.#writer.bufferedBytes - before;
  }

  /**
   * Called after each batch of requests: runs a slice right after the
   * current one (a microtask, so the batch's reply is already on its way) if
   * the timer has let a slice's length pass without one.
   */
  nudge(): void {
    if (this.#timer === undefined || performance.now() - this.#lastSliceEnd < SLICE_MILLISECONDS) {
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    queueMicrotask(() => this.#slice());
  }

  /** Stops the snapshot and removes its temporary file; `done` rejects with `reason`. */
  abort(reason = "Snapshot aborted"): void {
    this.#fail(new Error(reason));
  }

  #slice(): void {
    this.#timer = undefined;
    if (this.#settled) return;
    this.#walk();
    this.#lastSliceEnd = performance.now();
  }

  #walk(): void {
    const deadline = performance.now() + SLICE_MILLISECONDS;
    let count = 0;
    try {
      while (true) {
        const cut = this.#cuts[this.#walking];
        if (cut === undefined) {
          this.#complete();
          return;
        }
        if (this.#entries === undefined) {
          // The database's first SELECTDB carries its size hints (RESIZEDB).
          this.#writer.selectDb(cut.db, cut.source.size, cut.source.expiresCount);
          this.#selectedDb = cut.db;
          this.#entries = cut.source.entries();
        }
        const next = this.#entries.next();
        if (next.done) {
          cut.finish();
          this.#walking++;
          this.#entries = undefined;
          continue;
        }
        const [key, value] = next.value;
        if (cut.visit(key)) this.write(cut.db, key, value, cut.source.expiry(key));
        if (++count % KEYS_PER_CLOCK_READ === 0 && performance.now() >= deadline) break;
      }
      this.#send(false);
    } catch (error) {
      this.#fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.#scheduleSlice();
  }

  #scheduleSlice(): void {
    if (this.#inFlight > MAX_IN_FLIGHT) {
      this.#waitingForWorker = true;
      return;
    }
    this.#timer = setTimeout(() => this.#slice(), 0);
  }

  #complete(): void {
    this.#unhook();
    this.#writer.finish();
    this.#send(true);
  }

  /** Transfers the encoded chunks to the worker; the last one carries the trailer. */
  #send(finished: boolean): void {
    const chunks = this.#writer.takeChunks();
    chunks.forEach((chunk, index) => {
      const last = finished && index === chunks.length - 1;
      if (!last) this.#inFlight += chunk.length;
      this.#post({ type: "chunk", bytes: chunk, last }, [chunk.buffer as ArrayBuffer]);
    });
  }

  #post(request: SnapshotWorkerRequest, transfer: Transferable[] = []): void {
    this.#worker.postMessage(request, transfer);
  }

  #onReply(reply: SnapshotWorkerReply): void {
    if (this.#settled) return;
    if (reply.type === "written") {
      this.#inFlight -= reply.bytes;
      if (this.#waitingForWorker && this.#inFlight <= MAX_IN_FLIGHT / 2) {
        this.#waitingForWorker = false;
        this.#timer = setTimeout(() => this.#slice(), 0);
      }
    } else if (reply.type === "done") {
      this.#settled = true;
      const worker = this.#worker;
      if (worker instanceof Worker && spareWorker === undefined) {
        worker.onmessage = null;
        worker.onerror = null;
        spareWorker = worker;
      } else {
        worker.terminate();
      }
      this.#resolve({ bytes: reply.bytes, keys: this.#keys });
    } else {
      this.#fail(new Error(reply.message));
    }
  }

  /** Takes this snapshot's hooks off every database (SWAPDB may have moved them). */
  #unhook(): void {
    for (const keyspace of this.#databases.created()) {
      const hook = keyspace.snapshotHook;
      if (hook instanceof DatabaseCut && hook.snapshot === this) keyspace.snapshotHook = undefined;
    }
    for (const cut of this.#cuts) cut.finish();
  }

  #fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#unhook();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#worker.terminate();
    if (this.#temporaryPath !== undefined) removeQuietly(this.#temporaryPath);
    this.#reject(error);
  }
}

/**
 * One database's part of a background snapshot: the data at the cut, the
 * keys already written, and the hook its keyspace calls before a change.
 */
class DatabaseCut implements KeyspaceSnapshotHook {
  readonly snapshot: BackgroundSnapshot;
  /** The database index the data had at the cut, which the file records. */
  readonly db: number;
  readonly source: KeyspaceSnapshotSource;
  /** Keys already written, or created after the cut: the walk skips them. */
  #visited = new KeySet();
  /** Set by a flush (the walk goes on over maps nothing changes) or once walked. */
  #detached = false;

  constructor(snapshot: BackgroundSnapshot, db: number, source: KeyspaceSnapshotSource) {
    this.snapshot = snapshot;
    this.db = db;
    this.source = source;
  }

  beforeChange(key: string): void {
    if (this.#detached || !this.visit(key)) return;
    const value = this.source.value(key);
    if (value !== undefined) {
      this.snapshot.writeBeforeChange(this.db, key, value, this.source.expiry(key));
    }
  }

  beforeFlush(): void {
    this.#detached = true;
  }

  /** Marks `key` written; false when it already was. */
  visit(key: string): boolean {
    if (this.#visited.has(key)) return false;
    this.#visited.add(key);
    return true;
  }

  /** The walk is past this database, or the snapshot ended: drop the visited set. */
  finish(): void {
    this.#detached = true;
    this.#visited = new KeySet();
  }
}
