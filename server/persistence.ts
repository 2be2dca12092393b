/**
 * Durability, tying the pieces together as redis-server does: which file to
 * load at startup (the append-only files when `appendonly yes` and they
 * exist, else dump.rdb), SAVE/BGSAVE/BGREWRITEAOF/SHUTDOWN, the `save`
 * rules and automatic AOF rewrites (a cron ten times a second), logging
 * every write to the AOF, and INFO's persistence section.
 *
 * Decisions that shape the module:
 * - One background snapshot at a time (each database has one snapshot hook),
 *   shared by BGSAVE and AOF rewrites; the other one waits, scheduled, as
 *   Redis's single child process makes it wait.
 * - The AOF is a sink of the change stream (lib/change_stream.ts), which
 *   decides what is logged, wraps EXEC and scripts in MULTI … EXEC (so a
 *   crash in the middle of writing a transaction drops it whole at load),
 *   and feeds replication the same commands.
 * - Loading runs the AOF's commands through the command table with a
 *   session of its own, before the server listens and before the AOF is
 *   opened for writing, so nothing is propagated while loading.
 * - A failing disk is loud, as in Redis: while the AOF cannot be written or
 *   fsynced, or after a failed BGSAVE with save points set and
 *   `stop-writes-on-bgsave-error yes`, the command table refuses write
 *   commands with Redis's `-MISCONF` text (CommandTable.writesRefused);
 *   reads go on, and writes resume by themselves once the disk works.
 *
 * @module
 */
import type { ChangeSink, ChangeStream } from "../lib/change_stream.ts";
import type { CommandContext } from "../lib/commands/types.ts";
import type { CommandTable } from "../lib/commands/table.ts";
import type { Config } from "../lib/config.ts";
import type { Databases } from "../lib/databases.ts";
import {
  type AofManifest,
  baseName,
  formatAofManifest,
  incrName,
  manifestName,
  parseAofManifest,
} from "../lib/persistence/aof_manifest.ts";
import { MISCONF_RDB, misconfAof } from "../lib/persistence/disk_errors.ts";
import { RewriteLimit } from "../lib/persistence/rewrite_limit.ts";
import { dueSaveRule, parseSaveRules } from "../lib/persistence/save_rules.ts";
import { error, OK, type Reply, status } from "../lib/reply.ts";
import { type AofRewrite, AppendOnlyFile, type FsyncPolicy } from "./aof.ts";
import {
  checkWritableSync,
  removeLeftoverTemporaries,
  syncDirectory,
  writeFileAtomicSync,
} from "./durable_file.ts";
import { loadAppendOnlyFiles, LoadError, loadRdbFile } from "./loading.ts";
import type { Logger } from "./log.ts";
import {
  BackgroundSnapshot,
  releaseSnapshotWorker,
  saveSnapshot,
  type SnapshotSettings,
  type SnapshotStream,
} from "./snapshot.ts";

/** What persistence needs of the server around it. */
export interface PersistenceHost {
  readonly config: Config;
  readonly databases: Databases;
  readonly commands: CommandTable;
  readonly log: Logger;
  /** A command context with a session of its own, for replaying the AOF. */
  loadingContext(): CommandContext;
  /** The code of every function library, for snapshots. */
  functionCodes(): string[];
  /** Installs a function library read from a snapshot; returns why it failed, if it did. */
  loadFunction(code: string): string | undefined;
  /** SHUTDOWN: close every connection now, then let the process finish exiting. */
  requestExit(): void;
  /** The change stream (lib/change_stream.ts): the AOF is one of its sinks. */
  readonly stream: ChangeStream;
  /**
   * Auxiliary fields for every snapshot beside ctime and used-mem: a
   * replica's `repl-id`, `repl-offset` and `repl-stream-db`, which let it
   * resume with a partial resync after a restart.
   */
  snapshotAux?(): Readonly<Record<string, string | number>> | undefined;
}

/** How a shutdown treats the snapshot: as the save rules say, always, or never. */
export type ShutdownSave = "default" | "save" | "nosave";

/** Redis waits this long after a failed BGSAVE before the save rules try again. */
const BGSAVE_RETRY_SECONDS = 5;

interface RunningSnapshot {
  readonly job: BackgroundSnapshot;
  /** "replication": streamed to replicas' sockets (diskless), no file and no save counted. */
  readonly kind: "rdb" | "aof" | "replication";
  /** The databases' dirty count at the cut: what a successful save subtracts. */
  readonly dirtyAtCut: number;
  readonly rewrite?: AofRewrite;
}

export class Persistence {
  readonly #host: PersistenceHost;
  #aof: AppendOnlyFile | undefined;
  #snapshot: RunningSnapshot | undefined;
  #cron: ReturnType<typeof setInterval> | undefined;
  /** Unix seconds of the last successful save (LASTSAVE); startup counts as one, as in Redis. */
  lastSave = Math.floor(Date.now() / 1000);
  #lastBgsaveStatus: "ok" | "err" = "ok";
  #lastBgsaveTry = 0;
  #lastBgsaveSeconds = -1;
  #lastRewriteStatus: "ok" | "err" = "ok";
  #lastRewriteSeconds = -1;
  #lastRewriteTry = 0;
  /** Backs off automatic rewrites that keep failing, as Redis 7's aofRewriteLimited. */
  readonly #rewriteLimit = new RewriteLimit();
  #bgsaveScheduled = false;
  #rewriteScheduled = false;
  #saves = 0;
  #rewrites = 0;
  /** Microseconds the last background snapshot took to start (INFO's latest_fork_usec). */
  #latestStartMicros = 0;
  /** Bytes the last successful snapshot encoded ahead of its walk (rdb_last_cow_size). */
  #rdbLastCowBytes = 0;
  /** The same for the last successful AOF rewrite (aof_last_cow_size). */
  #aofLastCowBytes = 0;
  #lastEverySecondSync = 0;
  /** The auxiliary fields of the dump.rdb loaded at startup (empty when none was). */
  loadedAux: ReadonlyMap<string, string> = new Map();
  /** The AOF as a sink of the change stream, while it is open. */
  readonly #aofSink: ChangeSink = {
    append: (argv, db) => this.#aof?.append(argv, db),
  };

  constructor(host: PersistenceHost) {
    this.#host = host;
    host.config.onApply("appendonly", (value) => this.#setAppendOnly(value as boolean));
    host.config.onChange((name, value) => {
      if (name === "appendfsync" && this.#aof !== undefined) {
        this.#aof.fsync = value as FsyncPolicy;
      }
      if (name === "save" || name === "stop-writes-on-bgsave-error") this.#updateWritesRefused();
    });
  }

  /**
   * Redis's writeCommandsDeniedByDiskError: the `-MISCONF` reply writes get
   * while the data cannot be persisted, or undefined. A failed BGSAVE
   * counts only with save points set and stop-writes-on-bgsave-error yes.
   */
  get writesRefused(): string | undefined {
    const config = this.#host.config;
    if (
      this.#lastBgsaveStatus === "err" && config.boolean("stop-writes-on-bgsave-error") &&
      (parseSaveRules(config.string("save")) ?? []).length > 0
    ) {
      return MISCONF_RDB;
    }
    const failure = this.#aof?.failure;
    return failure === undefined ? undefined : misconfAof(failure);
  }

  /** Tells the command table whether to refuse writes; called whenever an input changes. */
  #updateWritesRefused(): void {
    this.#host.commands.writesRefused = this.writesRefused;
  }

  #setBgsaveStatus(status: "ok" | "err"): void {
    this.#lastBgsaveStatus = status;
    this.#updateWritesRefused();
  }

  /** AOF bytes waiting in memory for the disk (INFO's mem_aof_buffer). */
  get aofBufferBytes(): number {
    return this.#aof?.unwrittenBytes ?? 0;
  }

  /** Whether writes are being logged to the AOF. */
  get aofEnabled(): boolean {
    return this.#aof !== undefined;
  }

  #paths() {
    const config = this.#host.config;
    const dir = config.string("dir");
    return {
      dir,
      rdb: `${dir}/${config.string("dbfilename")}`,
      aofDirectory: `${dir}/${config.string("appenddirname")}`,
      appendfilename: config.string("appendfilename"),
    };
  }

  #settings(aofBase = false): SnapshotSettings {
    const config = this.#host.config;
    return {
      compression: config.boolean("rdbcompression"),
      checksum: config.boolean("rdbchecksum"),
      aux: { ...this.#host.snapshotAux?.(), ...(aofBase ? { "aof-base": 1 } : {}) },
      functions: this.#host.functionCodes(),
    };
  }

  /**
   * Loads the data at startup: the AOF files when appendonly is on and a
   * manifest exists, else dump.rdb if present. Throws {@link LoadError} (the
   * server must not start) when a file is corrupt.
   */
  load(): void {
    const { dir, rdb, aofDirectory, appendfilename } = this.#paths();
    const { databases, log } = this.#host;
    try {
      if (!Deno.statSync(dir).isDirectory) throw new LoadError(`'${dir}' is not a directory`);
    } catch (cause) {
      if (cause instanceof LoadError) throw cause;
      throw new LoadError(`Can't use dir '${dir}': ${(cause as Error).message}`);
    }
    for (const directory of [dir, aofDirectory]) {
      for (const name of removeLeftoverTemporaries(directory)) {
        log.notice(`Removed ${directory}/${name}, left by an interrupted save or rewrite`);
      }
    }
    const started = performance.now();
    databases.shared.now = Date.now();
    const manifest = this.#host.config.boolean("appendonly")
      ? readManifest(aofDirectory, appendfilename)
      : undefined;
    if (manifest !== undefined) {
      const context = this.#host.loadingContext();
      const commands = this.#host.commands;
      const result = loadAppendOnlyFiles(aofDirectory, manifest, databases, {
        truncatedOk: this.#host.config.boolean("aof-load-truncated"),
        log,
        manifestPath: `${aofDirectory}/${manifestName(appendfilename)}`,
        onFunction: (code) => this.#host.loadFunction(code),
        run: (argv) => {
          if (commands.lookup(argv[0]!) === undefined) {
            return `Unknown command '${argv[0]}'`;
          }
          databases.shared.now = Date.now();
          const reply = commands.execute(context, argv);
          if (reply.kind === "error") {
            // Redis goes on loading, and says so as its afterErrorReply does.
            commands.unexpectedErrorReplies++;
            log.warning(
              `== CRITICAL == This server is sending an error to its AOF-loading-client: ` +
                `'${reply.message}' after processing the command '${argv[0]!.toLowerCase()}'`,
            );
          }
          return undefined;
        },
      });
      this.#openAof(manifest, result.bytes);
      log.notice(
        `DB loaded from append only file: ${seconds(started)} seconds ` +
          `(${result.baseKeys} keys from the base, ${result.commands} commands replayed)`,
      );
    } else if (exists(rdb)) {
      const result = loadRdbFile(rdb, databases, (code) => this.#host.loadFunction(code));
      this.loadedAux = result.aux;
      log.notice(
        `DB loaded from disk: ${seconds(started)} seconds (${result.keys} keys` +
          (result.expired > 0 ? `, ${result.expired} expired keys skipped` : "") + ")",
      );
    }
    databases.shared.dirty = 0;
    if (this.#host.config.boolean("appendonly") && this.#aof === undefined) this.#createAof();
  }

  /**
   * Starts the cron (save rules, automatic rewrites, the everysec fsync),
   * `hz` times a second as Redis's serverCron checks them; CONFIG SET hz
   * restarts it at the new pace.
   */
  start(): void {
    if (this.#cron !== undefined) return;
    this.#startCron();
    this.#host.config.onChange((name) => {
      if (name === "hz" && this.#cron !== undefined) this.#startCron();
    });
  }

  #startCron(): void {
    clearInterval(this.#cron);
    this.#cron = setInterval(() => this.#tick(), 1000 / this.#host.config.number("hz"));
  }

  /** The connection's beforeBatch: marks where the batch's AOF bytes begin. */
  beforeBatch(): void {
    this.#aof?.beforeBatch();
  }

  /**
   * The connection's afterBatch (after the server closed the change stream's
   * transaction wrap): lets a background snapshot take its slice and, with
   * `always`, waits for the fsync.
   */
  afterBatch(): Promise<void> | undefined {
    this.#snapshot?.job.nudge();
    return this.#aof?.afterBatch();
  }

  /**
   * A BGSAVE for replicas, as Redis's startBgsaveForReplication with a disk
   * target: starts one now, calling `atCut` at its cut (the moment the file's
   * data is taken, before any other command runs), and resolves with the
   * file's path once written; it counts as a BGSAVE (LASTSAVE, INFO). Returns
   * undefined while another snapshot runs: Redis's replicas then wait for the
   * next BGSAVE, and so do ours.
   */
  bgsaveForReplication(atCut: () => void): Promise<string> | undefined {
    if (this.#snapshot !== undefined) return undefined;
    // A transaction's wrap must not straddle the cut: its EXEC would belong to neither side.
    this.#host.stream.closeTransaction();
    if (!this.#startBgsave()) return Promise.reject(new Error("Background save failed to start"));
    atCut();
    const path = this.#paths().rdb;
    return this.#snapshot!.job.done.then(() => path);
  }

  /**
   * A snapshot streamed to replicas (diskless, Redis's rdbSaveToSlavesSockets):
   * starts now, calling `atCut` at its cut, unless another snapshot runs
   * (undefined). It writes no file and counts as no save, as in Redis, but
   * holds the one snapshot slot: a BGSAVE meanwhile is refused.
   */
  snapshotToReplicas(stream: SnapshotStream, atCut: () => void): Promise<unknown> | undefined {
    if (this.#snapshot !== undefined) return undefined;
    this.#host.stream.closeTransaction();
    const job = new BackgroundSnapshot(this.#host.databases, stream, this.#settings(), Date.now());
    this.#latestStartMicros = job.startMicros;
    atCut();
    const running: RunningSnapshot = { job, kind: "replication", dirtyAtCut: 0 };
    this.#snapshot = running;
    // Redis's replication snapshot is an RDB child: its copy-on-write counts as rdb_last_cow_size.
    job.done.then(() => this.#rdbLastCowBytes = job.cowBytes, () => {});
    const finished = () => {
      if (this.#snapshot !== running) return;
      this.#snapshot = undefined;
      this.#runScheduled();
    };
    job.done.then(finished, finished);
    return job.done;
  }

  /** Microseconds the last background snapshot took to start: INFO's latest_fork_usec. */
  get latestStartMicros(): number {
    return this.#latestStartMicros;
  }

  /** SAVE, BGSAVE, BGREWRITEAOF and SHUTDOWN, as lib/commands/server.ts routes them. */
  admin(argv: readonly string[]): Reply {
    const name = argv[0]!.toLowerCase();
    const options = argv.slice(1).map((word) => word.toLowerCase());
    switch (name) {
      case "save":
        if (this.#snapshot !== undefined) return error("ERR Background save already in progress");
        return this.#saveNow() ? OK : error("ERR");
      case "bgsave":
        return this.#bgsaveCommand(options);
      case "bgrewriteaof":
        return this.#bgrewriteCommand();
      case "shutdown":
        return this.#shutdownCommand(options);
      case "debug":
        return options[0] === "reload" ? this.#debugReload(options.slice(1)) : error("ERR");
      default:
        return error(`ERR unknown persistence command '${argv[0]}'`);
    }
  }

  /**
   * What the process does on its way out (after connections are closed):
   * stops background work, writes and fsyncs the AOF, and saves a snapshot
   * if asked to or if save rules are set. Returns false if the save failed.
   */
  async close(save: ShutdownSave): Promise<boolean> {
    if (this.#cron !== undefined) clearInterval(this.#cron);
    this.#cron = undefined;
    this.#abortSnapshot("shutdown");
    releaseSnapshotWorker();
    let ok = true;
    if (this.#aof !== undefined) {
      this.#host.stream.closeTransaction();
      this.#host.stream.removeSink(this.#aofSink);
      this.#host.log.notice("Calling fsync() on the AOF file.");
      await this.#aof.close();
      this.#aof = undefined;
    }
    if (this.#shouldSaveOnExit(save)) {
      this.#host.log.notice("Saving the final RDB snapshot before exiting.");
      ok = this.#saveNow();
      if (ok) this.#host.log.notice("DB saved on disk");
    }
    return ok;
  }

  /** INFO's persistence section. */
  info(): [string, string | number][] {
    const running = this.#snapshot;
    const now = Date.now();
    const elapsed = (kind: "rdb" | "aof") =>
      running?.kind === kind ? Math.floor((now - running.job.startedAt) / 1000) : -1;
    // The current_* fields describe the background snapshot running now (0 when none runs), as
    // Redis's describe its fork child; "copy-on-write" is the bytes encoded ahead of the walk
    // (server/snapshot.ts), always up to date, so Redis's current_cow_size_age has no analogue.
    const job = running?.job;
    const keysTotal = job?.keysAtCut ?? 0;
    const fields: [string, string | number][] = [
      ["loading", 0],
      ["async_loading", 0],
      ["current_cow_size", job?.cowBytes ?? 0],
      ["current_fork_perc", (keysTotal === 0 ? 0 : (job!.keys * 100) / keysTotal).toFixed(2)],
      ["current_save_keys_processed", job?.keys ?? 0],
      ["current_save_keys_total", keysTotal],
      ["rdb_changes_since_last_save", this.#host.databases.shared.dirty],
      ["rdb_bgsave_in_progress", running !== undefined && running.kind !== "aof" ? 1 : 0],
      ["rdb_last_save_time", this.lastSave],
      ["rdb_last_bgsave_status", this.#lastBgsaveStatus],
      ["rdb_last_bgsave_time_sec", this.#lastBgsaveSeconds],
      ["rdb_current_bgsave_time_sec", elapsed("rdb")],
      ["rdb_saves", this.#saves],
      ["rdb_last_cow_size", this.#rdbLastCowBytes],
      ["aof_enabled", this.#aof === undefined ? 0 : 1],
      ["aof_rewrite_in_progress", running?.kind === "aof" ? 1 : 0],
      ["aof_rewrite_scheduled", this.#rewriteScheduled ? 1 : 0],
      ["aof_last_rewrite_time_sec", this.#lastRewriteSeconds],
      ["aof_current_rewrite_time_sec", elapsed("aof")],
      ["aof_last_bgrewrite_status", this.#lastRewriteStatus],
      ["aof_rewrites", this.#rewrites],
      ["aof_rewrites_consecutive_failures", this.#rewriteLimit.consecutiveFailures],
      ["aof_last_write_status", this.#aof?.lastWriteStatus ?? "ok"],
      ["aof_last_cow_size", this.#aofLastCowBytes],
      // Kache refuses loadmodule, so no module can ever start a fork: a fact of the configuration,
      // as io_threads_active and cluster_enabled are.
      ["module_fork_in_progress", 0],
    ];
    if (this.#aof !== undefined) {
      fields.push(
        ["aof_current_size", this.#aof.currentSize],
        ["aof_base_size", this.#aof.baseSize],
        ["aof_pending_rewrite", this.#rewriteScheduled ? 1 : 0],
        ["aof_buffer_length", this.#aof.unsyncedBytes],
      );
    }
    return fields;
  }

  // --- Commands ---

  #bgsaveCommand(options: string[]): Reply {
    const schedule = options.length === 1 && options[0] === "schedule";
    if (options.length > 0 && !schedule) return error("ERR syntax error");
    if (this.#snapshot !== undefined && this.#snapshot.kind !== "aof") {
      return error("ERR Background save already in progress");
    }
    if (this.#snapshot !== undefined) {
      if (!schedule) {
        return error(
          "ERR Another child process is active (AOF?): can't BGSAVE right now. " +
            "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.",
        );
      }
      this.#bgsaveScheduled = true;
      return status("Background saving scheduled");
    }
    return this.#startBgsave()
      ? status("Background saving started")
      : error("ERR Background save failed to start, see the server log");
  }

  #bgrewriteCommand(): Reply {
    if (this.#aof === undefined) {
      return error(
        "ERR Append only file is off: turn it on with CONFIG SET appendonly yes " +
          "(which rewrites it) or start with --appendonly yes",
      );
    }
    if (this.#snapshot?.kind === "aof") {
      return error("ERR Background append only file rewriting already in progress");
    }
    if (this.#snapshot !== undefined) {
      this.#rewriteScheduled = true;
      return status("Background append only file rewriting scheduled");
    }
    this.#startRewrite();
    return status("Background append only file rewriting started");
  }

  #shutdownCommand(options: string[]): Reply {
    let save: ShutdownSave = "default";
    for (const option of options) {
      if (option === "nosave" && save === "default") save = "nosave";
      else if (option === "save" && save === "default") save = "save";
      else if (option === "abort") return error("ERR No shutdown in progress.");
      else if (option !== "now" && option !== "force") return error("ERR syntax error");
    }
    const force = options.includes("force");
    this.#abortSnapshot("shutdown");
    if (this.#shouldSaveOnExit(save)) {
      this.#host.log.notice("Saving the final RDB snapshot before exiting.");
      if (!this.#saveNow() && !force) {
        return error("ERR Errors trying to SHUTDOWN. Check logs.");
      }
    }
    this.#host.log.notice("User requested shutdown...");
    this.#host.requestExit();
    return OK;
  }

  #shouldSaveOnExit(save: ShutdownSave): boolean {
    if (save === "default") {
      return (parseSaveRules(this.#host.config.string("save")) ?? []).length > 0;
    }
    return save === "save";
  }

  // --- Snapshots ---

  /** SAVE: a snapshot now, blocking; logs and returns false on failure. */
  /**
   * DEBUG RELOAD [NOSAVE]: saves the snapshot (unless NOSAVE), empties every
   * database and loads the snapshot back, as Redis's debug.c does. Redis's
   * MERGE and NOFLUSH are not offered.
   */
  #debugReload(options: string[]): Reply {
    if (options.some((option) => option !== "nosave")) {
      return error("ERR DEBUG RELOAD in Kache supports only the NOSAVE option.");
    }
    if (options.length === 0) {
      if (this.#snapshot !== undefined) return error("ERR Background save already in progress");
      if (!this.#saveNow()) return error("ERR");
    }
    const { databases, log } = this.#host;
    for (const keyspace of databases.created()) keyspace.flush();
    try {
      databases.shared.now = Date.now();
      loadRdbFile(this.#paths().rdb, databases, (code) => this.#host.loadFunction(code));
    } catch (cause) {
      log.warning(`DEBUG RELOAD could not load the snapshot: ${describe(cause)}`);
      return error("ERR Error trying to load the RDB dump");
    }
    log.warning("DB reloaded by DEBUG RELOAD");
    return OK;
  }

  #saveNow(): boolean {
    const { databases, log } = this.#host;
    const path = this.#paths().rdb;
    try {
      const result = saveSnapshot(databases, path, this.#settings(), Date.now());
      databases.shared.dirty = 0;
      this.lastSave = Math.floor(Date.now() / 1000);
      this.#setBgsaveStatus("ok");
      this.#saves++;
      log.notice(`DB saved on disk (${result.keys} keys, ${result.bytes} bytes)`);
      return true;
    } catch (cause) {
      log.warning(`Failed saving the DB to ${path}: ${describe(cause)}`);
      return false;
    }
  }

  #startBgsave(): boolean {
    const { databases, log } = this.#host;
    const path = this.#paths().rdb;
    this.#lastBgsaveTry = Date.now();
    let job: BackgroundSnapshot;
    try {
      job = new BackgroundSnapshot(databases, path, this.#settings(), Date.now());
      this.#latestStartMicros = job.startMicros;
    } catch (cause) {
      log.warning(`Can't start a background save: ${describe(cause)}`);
      this.#setBgsaveStatus("err");
      return false;
    }
    const running: RunningSnapshot = { job, kind: "rdb", dirtyAtCut: databases.shared.dirty };
    this.#snapshot = running;
    log.notice("Background saving started");
    job.done.then(
      (result) => {
        if (this.#snapshot !== running) return;
        this.#snapshot = undefined;
        databases.shared.dirty -= running.dirtyAtCut;
        this.lastSave = Math.floor(Date.now() / 1000);
        this.#setBgsaveStatus("ok");
        this.#lastBgsaveSeconds = Math.round((Date.now() - job.startedAt) / 1000);
        this.#rdbLastCowBytes = job.cowBytes;
        this.#saves++;
        log.notice(
          `Background saving terminated with success (${result.keys} keys, ${result.bytes} bytes)`,
        );
        this.#runScheduled();
      },
      (cause) => {
        if (this.#snapshot !== running) return;
        this.#snapshot = undefined;
        this.#setBgsaveStatus("err");
        this.#lastBgsaveSeconds = Math.round((Date.now() - job.startedAt) / 1000);
        log.warning(`Background saving error: ${describe(cause)}`);
        this.#runScheduled();
      },
    );
    return true;
  }

  /** Starts a rewrite now; false (logged, counted as a failure) when it cannot start. */
  #startRewrite(): boolean {
    const aof = this.#aof;
    if (aof === undefined) return false;
    const { databases, log } = this.#host;
    this.#rewriteScheduled = false;
    this.#lastRewriteTry = Date.now();
    this.#host.stream.closeTransaction();
    const rewrite = aof.startRewrite();
    let job: BackgroundSnapshot;
    try {
      job = new BackgroundSnapshot(databases, rewrite.basePath, this.#settings(true), Date.now());
      this.#latestStartMicros = job.startMicros;
    } catch (cause) {
      log.warning(`Can't start the AOF rewrite: ${describe(cause)}`);
      this.#lastRewriteStatus = "err";
      this.#rewriteLimit.failed();
      aof.abandonRewrite(rewrite);
      return false;
    }
    const running: RunningSnapshot = {
      job,
      kind: "aof",
      dirtyAtCut: databases.shared.dirty,
      rewrite,
    };
    this.#snapshot = running;
    log.notice("Background append only file rewriting started");
    job.done.then(
      (result) => {
        if (this.#snapshot !== running) return;
        this.#snapshot = undefined;
        this.#lastRewriteSeconds = Math.round((Date.now() - job.startedAt) / 1000);
        if (this.#aof === aof) {
          aof.finishRewrite(rewrite, result.bytes);
          this.#aofLastCowBytes = job.cowBytes;
          this.#lastRewriteStatus = "ok";
          this.#rewriteLimit.succeeded();
          this.#rewrites++;
          log.notice("Background AOF rewrite finished successfully");
        }
        this.#runScheduled();
      },
      (cause) => {
        if (this.#snapshot !== running) return;
        this.#snapshot = undefined;
        this.#lastRewriteStatus = "err";
        this.#rewriteLimit.failed();
        this.#lastRewriteSeconds = Math.round((Date.now() - job.startedAt) / 1000);
        aof.abandonRewrite(rewrite);
        log.warning(`Background AOF rewrite failed: ${describe(cause)}`);
        this.#runScheduled();
      },
    );
    return true;
  }

  #abortSnapshot(reason: string): void {
    const running = this.#snapshot;
    if (running === undefined) return;
    this.#snapshot = undefined;
    running.job.abort(`Background ${running.kind === "aof" ? "AOF rewrite" : "save"} ${reason}`);
    if (running.rewrite !== undefined) this.#aof?.abandonRewrite(running.rewrite);
  }

  /**
   * Starts what waited for the previous snapshot: a rewrite first, as Redis
   * does, unless failed rewrites are being backed off.
   */
  #runScheduled(): void {
    if (this.#snapshot !== undefined) return;
    if (this.#rewriteScheduled && this.#aof !== undefined && !this.#rewriteLimited()) {
      this.#startRewrite();
    } else if (this.#bgsaveScheduled) {
      this.#bgsaveScheduled = false;
      this.#startBgsave();
    }
  }

  #tick(): void {
    const now = Date.now();
    const aof = this.#aof;
    if (aof !== undefined && now - this.#lastEverySecondSync >= 1000) {
      this.#lastEverySecondSync = now;
      aof.syncEverySecond();
    }
    if (this.#snapshot !== undefined) return;
    this.#runScheduled();
    if (this.#snapshot !== undefined) return;
    const rules = parseSaveRules(this.#host.config.string("save")) ?? [];
    const elapsed = Math.floor(now / 1000) - this.lastSave;
    const rule = dueSaveRule(rules, this.#host.databases.shared.dirty, elapsed);
    const retryOk = this.#lastBgsaveStatus === "ok" ||
      now - this.#lastBgsaveTry > BGSAVE_RETRY_SECONDS * 1000;
    if (rule !== undefined && retryOk) {
      this.#host.log.notice(
        `${rule.changes} changes in ${rule.seconds} seconds. Saving...`,
      );
      this.#startBgsave();
      return;
    }
    if (
      aof !== undefined && !aof.hasManifest &&
      now - this.#lastRewriteTry > BGSAVE_RETRY_SECONDS * 1000 && !this.#rewriteLimited()
    ) {
      // The rewrite that writes the first manifest failed: the files are not loadable yet.
      this.#startRewrite();
      return;
    }
    if (aof !== undefined && this.#rewriteDue(aof) && !this.#rewriteLimited()) {
      this.#host.log.notice(
        `Starting automatic rewriting of AOF on ${
          Math.round((aof.currentSize / Math.max(1, aof.baseSize) - 1) * 100)
        }% growth`,
      );
      this.#startRewrite();
    }
  }

  /** Whether automatic rewrites wait after repeated failures; logs when a wait begins. */
  #rewriteLimited(): boolean {
    const minutes = this.#rewriteLimit.limited(Date.now());
    if (minutes > 0) {
      this.#host.log.warning(
        `Background AOF rewrite has repeatedly failed and triggered the limit, will retry in ${minutes} minutes`,
      );
    }
    return minutes !== 0;
  }

  #rewriteDue(aof: AppendOnlyFile): boolean {
    const config = this.#host.config;
    const percentage = config.number("auto-aof-rewrite-percentage");
    if (percentage === 0) return false;
    const current = aof.currentSize;
    if (current < config.number("auto-aof-rewrite-min-size")) return false;
    const base = Math.max(1, aof.baseSize);
    return (current - base) * 100 / base >= percentage;
  }

  // --- The append-only file ---

  #openAof(manifest: AofManifest, bytes: number): void {
    const { aofDirectory, appendfilename } = this.#paths();
    this.#attach(
      new AppendOnlyFile(
        {
          directory: aofDirectory,
          appendfilename,
          fsync: this.#host.config.string("appendfsync") as FsyncPolicy,
          log: this.#host.log,
          onStatusChange: () => this.#updateWritesRefused(),
        },
        manifest,
        bytes,
      ),
    );
  }

  /**
   * appendonly yes at startup without AOF files: writes them now (a base of
   * the loaded data, an empty incremental file, the manifest), so the next
   * start finds everything in them.
   */
  #createAof(): void {
    const { aofDirectory, appendfilename } = this.#paths();
    Deno.mkdirSync(aofDirectory, { recursive: true });
    syncDirectory(this.#paths().dir);
    const base = baseName(appendfilename, 1);
    const incr = incrName(appendfilename, 1);
    const result = saveSnapshot(
      this.#host.databases,
      `${aofDirectory}/${base}`,
      this.#settings(true),
      Date.now(),
    );
    Deno.writeFileSync(`${aofDirectory}/${incr}`, new Uint8Array(0));
    const manifest: AofManifest = {
      base: { name: base, seq: 1, type: "b" },
      incr: [{ name: incr, seq: 1, type: "i" }],
      history: [],
    };
    writeFileAtomicSync(`${aofDirectory}/${manifestName(appendfilename)}`, [
      new TextEncoder().encode(formatAofManifest(manifest)),
    ]);
    this.#host.log.notice(`Creating AOF base file ${base} and incr file ${incr} on server start`);
    this.#openAof(manifest, result.bytes);
  }

  #attach(aof: AppendOnlyFile): void {
    this.#aof = aof;
    this.#host.stream.addSink(this.#aofSink);
    this.#updateWritesRefused();
  }

  #detach(): AppendOnlyFile | undefined {
    const aof = this.#aof;
    this.#host.stream.removeSink(this.#aofSink);
    this.#aof = undefined;
    this.#updateWritesRefused();
    return aof;
  }

  /**
   * CONFIG SET appendonly: on starts a rewrite that creates the files; off
   * closes them. Returns Redis's refusal when the AOF cannot be started
   * (its directory cannot be written, say), and the setting stays off.
   */
  #setAppendOnly(on: boolean): string | undefined {
    if (on === (this.#aof !== undefined)) return undefined;
    if (!on) {
      if (this.#snapshot?.kind === "aof") this.#abortSnapshot("stopped: appendonly turned off");
      this.#detach()!.close().catch((cause) => {
        this.#host.log.warning(`Closing the AOF failed: ${describe(cause)}`);
      });
      return undefined;
    }
    const unable = "Unable to turn on AOF. Check server logs.";
    const { aofDirectory, appendfilename } = this.#paths();
    try {
      Deno.mkdirSync(aofDirectory, { recursive: true });
      checkWritableSync(aofDirectory);
    } catch (cause) {
      this.#host.log.warning(
        `Can't turn on the AOF: ${aofDirectory} cannot be written: ${describe(cause)}`,
      );
      return unable;
    }
    let existing: AofManifest | undefined;
    try {
      existing = readManifest(aofDirectory, appendfilename);
    } catch {
      existing = undefined;
    }
    this.#attach(
      new AppendOnlyFile(
        {
          directory: aofDirectory,
          appendfilename,
          fsync: this.#host.config.string("appendfsync") as FsyncPolicy,
          log: this.#host.log,
          onStatusChange: () => this.#updateWritesRefused(),
        },
        { existing },
        0,
      ),
    );
    if (this.#snapshot !== undefined) this.#rewriteScheduled = true;
    else if (!this.#startRewrite()) {
      this.#detach()?.close().catch(() => {});
      return unable;
    }
    return undefined;
  }
}

/** The manifest in `directory`, or undefined when there is none. */
function readManifest(directory: string, appendfilename: string): AofManifest | undefined {
  const path = `${directory}/${manifestName(appendfilename)}`;
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return undefined;
    throw cause;
  }
  try {
    return parseAofManifest(text);
  } catch (cause) {
    throw new LoadError(`Cannot read the AOF manifest ${path}: ${describe(cause)}`);
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return false;
    throw cause;
  }
}

function seconds(startedMs: number): string {
  return ((performance.now() - startedMs) / 1000).toFixed(3);
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
