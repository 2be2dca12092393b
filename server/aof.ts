/**
 * The append-only file as it is written: every write command (as
 * lib/persistence/propagate.ts turns it into what to log) encoded as RESP
 * multibulk and appended to the current incremental file of Redis 7's
 * multi-part layout (lib/persistence/aof_manifest.ts).
 *
 * Decisions that shape the module:
 * - One writer loop ({@link AppendOnlyFile.#pump}) does all file work with
 *   Deno's async file API, which runs it on the runtime's blocking-I/O
 *   threads, so the event loop never waits on the disk. Commands encoded
 *   while a write is in flight are written together by the next one: group
 *   commit falls out of it.
 * - `appendfsync always`: a batch's replies wait (the connection's
 *   afterBatch promise) until every byte appended so far is written and
 *   fdatasync'ed, so no client is told "OK" about data a crash could lose.
 *   `everysec`: written as soon as possible, fdatasync once a second.
 *   `no`: written, never synced by us.
 * - Everything the loop does is a job in one FIFO queue, so a rewrite's
 *   switch to a new incremental file, the manifest updates and the writes
 *   happen in exactly the order they were asked for: a write to a new file
 *   is never acknowledged before the manifest naming that file is durable.
 * - A failed write or fsync is retried once a second, as Redis retries in
 *   its cron, and while it fails {@link AppendOnlyFile.failure} says why:
 *   persistence refuses writes with `-MISCONF` meanwhile, so the log cannot
 *   grow without bound. Bytes are written exactly once: a job that was
 *   written and then failed to fsync retries only the fsync, and a write
 *   cut short is truncated back to where it began (or, if that fails too,
 *   only its unwritten rest is retried), as Redis's flushAppendOnlyFile does.
 *
 * @module
 */
import { AofEncoder } from "../lib/persistence/aof_encoder.ts";
import {
  type AofManifest,
  type AofManifestFile,
  baseName,
  formatAofManifest,
  incrName,
  manifestName,
} from "../lib/persistence/aof_manifest.ts";
import { writeFileAtomic } from "./durable_file.ts";
import type { Logger } from "./log.ts";
import { systemErrorText } from "../lib/persistence/disk_errors.ts";

/** Redis's appendfsync values. */
export type FsyncPolicy = "always" | "everysec" | "no";

/** The file operations the writer uses: Deno's file, or a test's that fails on cue. */
export interface AofFile {
  write(bytes: Uint8Array): Promise<number>;
  syncData(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): void;
}

/** Opens (creating it if needed) a file for appending, and says how long it is. */
export type OpenAofFile = (
  path: string,
) => Promise<{ readonly file: AofFile; readonly size: number }>;

/** {@link OpenAofFile} on the real file system. */
export async function openForAppend(path: string): Promise<{ file: AofFile; size: number }> {
  const file = await Deno.open(path, { append: true, create: true });
  try {
    return { file, size: (await file.stat()).size };
  } catch (cause) {
    file.close();
    throw cause;
  }
}

/** An incremental file being appended to. */
interface IncrTarget {
  readonly entry: AofManifestFile;
  file: AofFile | undefined;
  /** Bytes this process wrote to it. */
  written: number;
  /** Its length: what it held when opened plus what was written since. */
  size: number;
}

type Job =
  | { readonly kind: "write"; readonly target: IncrTarget; readonly bytes: Uint8Array; end: number }
  | { readonly kind: "open"; readonly target: IncrTarget; readonly manifest?: AofManifest }
  | { readonly kind: "close"; readonly target: IncrTarget }
  | { readonly kind: "manifest"; readonly manifest: AofManifest; readonly obsolete: string[] }
  | { readonly kind: "sync" };

interface Waiter {
  readonly until: number;
  readonly resolve: () => void;
  /** Whether the batch logged commands of its own (else it only waits to read durable data). */
  readonly logged: boolean;
}

/** A rewrite in progress, as {@link AppendOnlyFile.startRewrite} set it up. */
export interface AofRewrite {
  /** Where the snapshot that becomes the new base must be written. */
  readonly basePath: string;
  readonly base: AofManifestFile;
  /** The incremental file started at the cut. */
  readonly incr: AofManifestFile;
  /** The files the new base replaces, deleted once the new manifest is in place. */
  readonly replaced: readonly AofManifestFile[];
}

/** Pause before retrying after a failed write, as Redis retries once a second. */
const RETRY_MILLISECONDS = 1000;

/** The current incremental file and everything waiting to go into it. */
export class AppendOnlyFile {
  /** Where the files and the manifest live (`dir/appenddirname`). */
  readonly directory: string;
  readonly appendfilename: string;
  fsync: FsyncPolicy;
  readonly #log: Logger;
  readonly #open: OpenAofFile;
  /** Called whenever {@link AppendOnlyFile.failure} changes. */
  readonly #onStatusChange: () => void;
  readonly #retryMilliseconds: number;
  /** Why the last write (or open, or manifest update) failed; undefined once one succeeds. */
  #writeError: string | undefined;
  /** Why the last fsync failed; undefined once one succeeds (Redis's aof_bio_fsync_status). */
  #fsyncError: string | undefined;
  /** Wakes the writer loop from its pause between retries (close does not wait a second). */
  #wakeRetry: (() => void) | undefined;
  /** Set by close: the next failure ends the loop instead of being retried. */
  #closing = false;
  #manifest: AofManifest;
  /**
   * False until a manifest of ours is on disk: AOF just switched on, whose
   * first rewrite writes the first manifest. Until then the files stay out
   * of any manifest, since without a base they do not hold the data.
   */
  #hasManifest: boolean;
  /** Incremental files started while there was no manifest, for the first rewrite to delete. */
  #unlisted: AofManifestFile[] = [];
  #target: IncrTarget;
  readonly #encoder = new AofEncoder();
  readonly #queue: Job[] = [];
  readonly #waiters: Waiter[] = [];
  /**
   * The database the file's last SELECT named; -1 at the start of a file, so
   * its first command selects one (a file may be replayed on its own).
   */
  #selectedDb = -1;
  /** Bytes ever appended, written, and written plus fsynced: positions in one stream. */
  #appended = 0;
  #written = 0;
  #synced = 0;
  /** #appended when the connection's current batch began: bytes past it are that batch's. */
  #batchStart = 0;
  #pumping: Promise<void> | undefined;
  #pumpScheduled = false;
  #closed = false;
  /** Bytes of every file in the manifest plus what was written since (INFO aof_current_size). */
  #currentSize: number;
  /** aof_current_size when the last rewrite finished (or at open), for automatic rewrites. */
  baseSize: number;

  /**
   * Continues the files `manifest` lists (already loaded): appends go to its
   * last incremental file, and `currentSize` is the files' total size. With
   * `existing` instead (AOF switched on at run time; the manifest found on
   * disk, if any, is stale), call {@link AppendOnlyFile.startRewrite} at
   * once: its base and a new incremental file replace every file there.
   */
  constructor(
    options: {
      readonly directory: string;
      readonly appendfilename: string;
      readonly fsync: FsyncPolicy;
      readonly log: Logger;
      /** Defaults to {@link openForAppend}; tests pass files that fail. */
      readonly open?: OpenAofFile;
      readonly onStatusChange?: () => void;
      /** Pause between retries of a failed operation; tests shorten Redis's second. */
      readonly retryMilliseconds?: number;
    },
    manifest: AofManifest | { readonly existing: AofManifest | undefined },
    currentSize: number,
  ) {
    this.directory = options.directory;
    this.appendfilename = options.appendfilename;
    this.fsync = options.fsync;
    this.#log = options.log;
    this.#open = options.open ?? openForAppend;
    this.#onStatusChange = options.onStatusChange ?? (() => {});
    this.#retryMilliseconds = options.retryMilliseconds ?? RETRY_MILLISECONDS;
    if ("existing" in manifest) {
      this.#hasManifest = false;
      this.#manifest = manifest.existing ?? { base: undefined, incr: [], history: [] };
      const seq = Math.max(0, ...this.#allFiles().map((file) => file.seq)) + 1;
      const entry: AofManifestFile = { name: incrName(this.appendfilename, seq), seq, type: "i" };
      this.#unlisted.push(entry);
      this.#target = { entry, file: undefined, written: 0, size: 0 };
    } else {
      this.#hasManifest = true;
      this.#manifest = manifest;
      const last = manifest.incr[manifest.incr.length - 1];
      if (last === undefined) throw new Error("The AOF manifest lists no incremental file");
      this.#target = { entry: last, file: undefined, written: 0, size: 0 };
    }
    this.#currentSize = currentSize;
    this.baseSize = currentSize;
  }

  /**
   * False while no manifest of these files is on disk yet (AOF switched on
   * at run time and its first rewrite not done): a restart would not find them.
   */
  get hasManifest(): boolean {
    return this.#hasManifest;
  }

  /** INFO aof_current_size: the files plus everything appended since. */
  get currentSize(): number {
    return this.#currentSize + (this.#appended - this.#written);
  }

  /** "ok" or "err", INFO's aof_last_write_status: a write or an fsync is failing. */
  get lastWriteStatus(): "ok" | "err" {
    return this.failure === undefined ? "ok" : "err";
  }

  /**
   * Why the AOF cannot be written or fsynced right now (the system's error
   * text, for Redis's MISCONF reply), or undefined while all is well.
   */
  get failure(): string | undefined {
    return this.#writeError ?? this.#fsyncError;
  }

  /**
   * Bytes appended but not yet written to the file (Redis's AOF buffer,
   * INFO's `mem_aof_buffer`): they wait in memory while a write is in flight
   * or the disk fails, and maxmemory does not count them.
   */
  get unwrittenBytes(): number {
    return this.#appended - this.#written;
  }

  /** Bytes appended but not yet fsynced. */
  get unsyncedBytes(): number {
    return this.#appended - this.#synced;
  }

  /**
   * Logs one command of database `db` (none for MULTI/EXEC), preceded by a
   * SELECT when the file's last one named another database, as Redis's
   * `feedAppendOnlyFile`. Cheap: it only encodes; the writer loop picks it up.
   */
  append(argv: readonly string[], db?: number): void {
    if (this.#closed) return;
    const before = this.#encoder.length;
    if (db !== undefined && db !== this.#selectedDb) {
      this.#encoder.append(["SELECT", String(db)]);
      this.#selectedDb = db;
    }
    this.#encoder.append(argv);
    this.#appended += this.#encoder.length - before;
    this.#schedulePump();
  }

  /** A connection's batch begins (for {@link AppendOnlyFile.afterBatch}). */
  beforeBatch(): void {
    this.#batchStart = this.#appended;
  }

  /**
   * With `always`, a promise that settles once everything appended so far
   * is on disk (the batch's replies wait for it); otherwise undefined.
   * While writing fails, a batch that logged nothing (reads, PING, INFO,
   * refused writes) does not wait, and those waiting when it began failing
   * are let go: only the clients whose writes are not yet durable wait,
   * until the disk takes them (or shutdown closes their connections).
   */
  afterBatch(): Promise<void> | undefined {
    if (this.fsync !== "always" || this.#synced >= this.#appended) return undefined;
    const logged = this.#appended !== this.#batchStart;
    if (this.failure !== undefined && !logged) return undefined;
    const until = this.#appended;
    const durable = new Promise<void>((resolve) => this.#waiters.push({ until, resolve, logged }));
    this.#schedulePump();
    return durable;
  }

  /** The once-a-second fsync of `everysec`. */
  syncEverySecond(): void {
    if (
      this.fsync === "everysec" && this.#synced < this.#written &&
      !this.#queue.some((job) => job.kind === "sync")
    ) {
      this.#queue.push({ kind: "sync" });
      this.#schedulePump();
    }
  }

  /**
   * Starts a rewrite at this instant (the cut): later commands go to a new
   * incremental file, which the manifest lists at once after the current
   * ones, so the files stay loadable whatever happens to the rewrite. Returns
   * where the new base goes; call {@link AppendOnlyFile.finishRewrite} once
   * it is written there, or {@link AppendOnlyFile.abandonRewrite}.
   */
  startRewrite(): AofRewrite {
    const oldTarget = this.#target;
    this.#sealEncoded();
    const incrSeq = Math.max(0, ...this.#allFiles().map((file) => file.seq)) + 1;
    const baseSeq = (this.#manifest.base?.seq ?? 0) + 1;
    const incr: AofManifestFile = {
      name: incrName(this.appendfilename, incrSeq),
      seq: incrSeq,
      type: "i",
    };
    const base: AofManifestFile = {
      name: baseName(this.appendfilename, baseSeq),
      seq: baseSeq,
      type: "b",
    };
    const replaced = this.#allFiles();
    this.#target = { entry: incr, file: undefined, written: 0, size: 0 };
    this.#queue.push({ kind: "close", target: oldTarget });
    if (this.#hasManifest) {
      this.#manifest = { ...this.#manifest, incr: [...this.#manifest.incr, incr] };
      this.#queue.push({ kind: "open", target: this.#target, manifest: this.#manifest });
    } else {
      this.#unlisted.push(incr);
      this.#queue.push({ kind: "open", target: this.#target });
    }
    // Redis starts every incremental file by selecting the database of its first command.
    this.#selectedDb = -1;
    return { basePath: `${this.directory}/${base.name}`, base, incr, replaced };
  }

  /** Installs the rewrite's base: a manifest of it and the files since the cut; old ones go. */
  finishRewrite(rewrite: AofRewrite, baseBytes: number): void {
    this.#manifest = { base: rewrite.base, incr: [rewrite.incr], history: [] };
    this.#hasManifest = true;
    this.#unlisted = [];
    this.#queue.push({
      kind: "manifest",
      manifest: this.#manifest,
      obsolete: rewrite.replaced.map((file) => file.name),
    });
    // Only one rewrite runs at a time, so the current file is the one started at its cut.
    this.#currentSize = baseBytes + this.#target.written;
    this.baseSize = this.currentSize;
    this.#schedulePump();
  }

  /** A failed rewrite: its base is dropped; the manifest keeps listing every incremental file. */
  abandonRewrite(rewrite: AofRewrite): void {
    Deno.remove(rewrite.basePath).catch(() => {});
  }

  /**
   * Writes and fsyncs everything appended so far and closes the file (shutdown,
   * CONFIG SET appendonly no). Later appends are ignored. Tries once: if the
   * disk still fails, it logs how much could not be saved and gives up, so a
   * full disk never keeps the process from exiting.
   */
  async close(): Promise<void> {
    this.#sealEncoded();
    this.#queue.push({ kind: "close", target: this.#target });
    this.#closed = true;
    this.#closing = true;
    this.#wakeRetry?.();
    this.#schedulePump();
    while (this.#pumping !== undefined || this.#pumpScheduled) {
      await (this.#pumping ?? new Promise((resolve) => setTimeout(resolve, 0)));
    }
  }

  #allFiles(): AofManifestFile[] {
    const manifest = this.#manifest;
    return [
      ...(manifest.base === undefined ? [] : [manifest.base]),
      ...manifest.history,
      ...manifest.incr,
      ...this.#unlisted,
    ];
  }

  /** Turns the encoded commands into a write job for the current file. */
  #sealEncoded(): void {
    if (this.#encoder.length === 0) return;
    this.#queue.push({
      kind: "write",
      target: this.#target,
      bytes: this.#encoder.take(),
      end: this.#appended,
    });
  }

  #schedulePump(): void {
    if (this.#pumping !== undefined || this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    // After the current batch: everything it appends goes out in one write.
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.#pumping ??= this.#pump().finally(() => this.#pumping = undefined);
    });
  }

  async #pump(): Promise<void> {
    while (true) {
      this.#sealEncoded();
      // Replies waiting on bytes already written (appendfsync just became always) need a sync.
      if (this.#queue.length === 0 && this.#waiters.length > 0) this.#queue.push({ kind: "sync" });
      const job = this.#queue[0];
      if (job === undefined) return;
      try {
        await this.#run(job);
        this.#queue.shift();
      } catch {
        if (this.#closing) {
          this.#abandonQueue();
          return;
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#retryMilliseconds);
          this.#wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wakeRetry = undefined;
      }
    }
  }

  /** Closing with the disk still failing: says what is lost, closes the files, lets waiters go. */
  #abandonQueue(): void {
    const unwritten = this.#appended - this.#written;
    const unsynced = this.#written - this.#synced;
    this.#log.warning(
      `Could not save the AOF before closing it (${this.failure}): ${unwritten} bytes ` +
        `not written` + (unsynced > 0 ? `, ${unsynced} written but not fsynced` : "") +
        `; the commands they hold are lost`,
    );
    for (const job of this.#queue) {
      if (job.kind === "write" || job.kind === "open" || job.kind === "close") {
        job.target.file?.close();
        job.target.file = undefined;
      }
    }
    this.#target.file?.close();
    this.#target.file = undefined;
    this.#queue.length = 0;
    this.#encoder.take();
    // Nothing more will be written: the held batches are answered (their connections are
    // being closed at shutdown; with appendonly turned off, nothing promises durability).
    this.#written = this.#appended;
    this.#markSynced(this.#appended);
  }

  /**
   * Runs one file operation, keeping the failure state: `write` errors
   * (writes, opens, manifests) and `fsync` errors are tracked apart, each
   * cleared by the next success of its own kind, as Redis keeps
   * aof_last_write_status and aof_bio_fsync_status.
   */
  async #attempt<T>(kind: "write" | "fsync", operation: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await operation();
    } catch (cause) {
      const reason = systemErrorText(cause);
      const before = this.failure;
      if (kind === "write") this.#writeError = reason;
      else this.#fsyncError = reason;
      if (before === undefined) {
        this.#releaseReaders();
        this.#log.warning(
          `${
            kind === "write" ? "Error writing to" : "Error fsyncing"
          } the AOF file ${this.directory}/${this.#target.entry.name}: ${reason}. ` +
            `Write commands are refused until it works again; retrying every second.`,
        );
        this.#onStatusChange();
      }
      throw cause;
    }
    const current = kind === "write" ? this.#writeError : this.#fsyncError;
    if (current !== undefined) {
      if (kind === "write") this.#writeError = undefined;
      else this.#fsyncError = undefined;
      if (this.failure === undefined) {
        this.#log.notice("AOF write error looks solved, Kache can write again.");
      }
      this.#onStatusChange();
    }
    return result;
  }

  async #run(job: Job): Promise<void> {
    switch (job.kind) {
      case "write": {
        const file = await this.#fileOf(job.target);
        if (job.bytes.length > 0) {
          await this.#attempt("write", () => this.#writeJob(job, file));
          // Written: if the fsync below fails, the retry must not write these bytes again.
          this.#queue[0] = { ...job, bytes: job.bytes.subarray(job.bytes.length) };
        }
        if (this.fsync === "always") {
          await this.#attempt("fsync", () => file.syncData());
          this.#markSynced(job.end);
        }
        return;
      }
      case "sync": {
        const target = this.#target.file;
        const upTo = this.#written;
        if (target !== undefined) await this.#attempt("fsync", () => target.syncData());
        this.#markSynced(upTo);
        return;
      }
      case "close": {
        const file = job.target.file;
        if (file !== undefined) {
          if (this.fsync !== "no") await this.#attempt("fsync", () => file.syncData());
          file.close();
          job.target.file = undefined;
        }
        this.#markSynced(this.#written);
        return;
      }
      case "open": {
        await this.#fileOf(job.target);
        if (job.manifest !== undefined) await this.#writeManifest(job.manifest);
        return;
      }
      case "manifest": {
        await this.#writeManifest(job.manifest);
        for (const name of job.obsolete) {
          await Deno.remove(`${this.directory}/${name}`).catch(() => {});
        }
        return;
      }
    }
  }

  /**
   * Writes a job's bytes. Cut short by an error, the file is truncated back
   * to where the job began so it still ends on a whole command and the retry
   * writes the job whole; if even that fails, what was written is counted
   * and only the rest is retried. Either way no byte lands twice.
   */
  async #writeJob(job: Extract<Job, { kind: "write" }>, file: AofFile): Promise<void> {
    const bytes = job.bytes;
    const target = job.target;
    let offset = 0;
    try {
      while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
    } catch (cause) {
      if (offset > 0) {
        try {
          await file.truncate(target.size);
          offset = 0;
        } catch (truncateError) {
          this.#log.warning(
            `Could not remove a partial write from the AOF (${
              systemErrorText(truncateError)
            }): the remaining ${bytes.length - offset} bytes will be written after it`,
          );
          this.#countWritten(target, offset);
          this.#queue[0] = { ...job, bytes: bytes.subarray(offset) };
        }
      }
      throw cause;
    }
    this.#countWritten(target, bytes.length);
  }

  async #fileOf(target: IncrTarget): Promise<AofFile> {
    if (target.file === undefined) {
      const opened = await this.#attempt(
        "write",
        () => this.#open(`${this.directory}/${target.entry.name}`),
      );
      target.file = opened.file;
      target.size = opened.size;
    }
    return target.file;
  }

  #writeManifest(manifest: AofManifest): Promise<void> {
    return this.#attempt("write", () =>
      writeFileAtomic(
        `${this.directory}/${manifestName(this.appendfilename)}`,
        new TextEncoder().encode(formatAofManifest(manifest)),
      ));
  }

  #countWritten(target: IncrTarget, bytes: number): void {
    this.#written += bytes;
    this.#currentSize += bytes;
    target.written += bytes;
    target.size += bytes;
  }

  /** The disk just failed: batches that logged nothing stop waiting for it. */
  #releaseReaders(): void {
    let kept = 0;
    for (const waiter of this.#waiters) {
      if (waiter.logged) this.#waiters[kept++] = waiter;
      else waiter.resolve();
    }
    this.#waiters.length = kept;
  }

  #markSynced(position: number): void {
    if (position <= this.#synced) return;
    this.#synced = position;
    let kept = 0;
    for (const waiter of this.#waiters) {
      if (waiter.until <= position) waiter.resolve();
      else this.#waiters[kept++] = waiter;
    }
    this.#waiters.length = kept;
  }
}
