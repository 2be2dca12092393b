/**
 * The command table and the one place commands are run: lookup by
 * case-insensitive name, the arity check, authentication, MULTI queueing and
 * turning a thrown {@link CommandError} into an error reply. No handler counts
 * its own arguments or catches its own errors. With maxmemory set, it is also
 * where memory is brought within the limit before a command and where a
 * command is refused when that fails (lib/eviction.ts); and where writes are
 * refused while the data cannot be persisted ({@link CommandTable.writesRefused}).
 *
 * Clients blocked on keys (BLPOP …) are served here too, once the outermost
 * command (a whole EXEC or script included) has finished, as Redis's
 * `handleClientsBlockedOnKeys` runs after `call()`.
 *
 * @module
 */
import { BlockingRegistry } from "../blocking.ts";
import { CommandError, unknownCommand, unknownSubcommand, wrongArity } from "../errors.ts";
import { type Eviction, OOM } from "../eviction.ts";
import { error, type HandlerReply, materialize, QUEUED, type Reply } from "../reply.ts";
import { monitorLine, Monitors } from "../monitor.ts";
import { SlowLog } from "../slowlog.ts";
import { LatencyMonitor } from "../latency.ts";
import { LatencyHistogram } from "../latency_histogram.ts";
import type { Tracking } from "../tracking.ts";
import { notifyOriginal } from "../notify.ts";
import { NotifyClass } from "../pubsub.ts";
import { KacheStatus } from "../protocol/kache.ts";
import {
  type OriginalCommand,
  originalFailed,
  type OriginalResult,
  UNKNOWN as ORIGINAL_UNKNOWN,
} from "./original.ts";
import { type CommandContext, type CommandSpec, lastKeyIndex } from "./types.ts";

/** Commands that act on the transaction itself and so are never queued. */
const TRANSACTION_CONTROL = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

export const NOAUTH = "NOAUTH Authentication required.";
/** Redis's `shared.roslaveerr`. */
export const READONLY_REPLICA = "READONLY You can't write against a read only replica.";
/** Redis's `shared.masterdownerr`. */
export const MASTERDOWN =
  "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/**
 * What a replica refuses its clients (server/replica.ts keeps it current);
 * the master's own link is never refused.
 */
export interface ReplicaGate {
  /** The session applying the master's stream, or undefined while unlinked. */
  master: unknown;
  /** replica-read-only: writes get {@link READONLY_REPLICA}. */
  readOnly: boolean;
  /** The link is down and replica-serve-stale-data is no: commands not flagged `stale` get {@link MASTERDOWN}. */
  refuseStale: boolean;
}
const NOT_IN_MULTI = "ERR Command not allowed inside a transaction";
/** Inside MULTI, memory may be full yet these still run (Redis's processCommand). */
const ALLOWED_WHEN_FULL_IN_MULTI = new Set(["exec", "discard", "quit", "reset"]);
/** Error codes INFO errorstats tracks, as Redis 7's ERROR_STATS_NUMBER; later codes count only in the total. */
export const MAX_ERROR_CODES = 128;
/** Read commands whose missed lookups raise no `keymiss` event (Redis's LOOKUP_NONOTIFY). */
const MISS_NOT_NOTIFIED = new Set([
  "object|encoding",
  "object|refcount",
  "object|idletime",
  "object|freq",
  "memory|usage",
]);
/** Commands whose error may be a command's error the script raised again, counted already. */
const SCRIPT_COMMANDS = new Set(["eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro"]);

/** Per-command counters for INFO commandstats. */
export class CommandStats {
  calls = 0;
  /** Calls that returned an error reply. */
  failed = 0;
  /** Calls refused before running (arity, auth, …). */
  rejected = 0;
  /** Durations of its calls (LATENCY HISTOGRAM, INFO latencystats), while latency-tracking is on. */
  histogram: LatencyHistogram | undefined;
  /** A typed array: past 2^31 µs a field would box the total in a new heap object per call. */
  readonly #usec = new Float64Array(1);

  /** Microseconds spent running it, when the table has a {@link CommandTable.clock}. */
  get usec(): number {
    return this.#usec[0]!;
  }

  set usec(micros: number) {
    this.#usec[0] = micros;
  }
}

export class CommandTable {
  readonly #byName = new Map<string, CommandSpec>();
  /** Lower- and upper-case spellings, so the usual requests resolve with one lookup. */
  readonly #bySpelling = new Map<string, CommandSpec>();
  readonly stats = new Map<string, CommandStats>();
  /**
   * The -BUSY error while a script runs past busy-reply-threshold (and other
   * clients are served between its slices); undefined otherwise. Only
   * commands flagged `allow_busy` run meanwhile.
   */
  busy: string | undefined;
  /** The memory limit; undefined while maxmemory is 0, so then a command pays one check. */
  eviction: Eviction | undefined;
  /** Clients waiting in blocking commands, served after each outermost command. */
  readonly blocking = new BlockingRegistry();
  /** Handlers running (1 for a client's command, more inside EXEC or a script). */
  #runDepth = 0;
  /**
   * A monotonic clock in microseconds (the server's, server/clock.ts), read
   * before and after each command for INFO commandstats and the slow log;
   * unset, commands are not timed, and {@link requestTime} reads the wall
   * clock for every request.
   */
  clock: (() => number) | undefined;
  /**
   * When the last top-level command ended, by {@link clock}; -1 once anything
   * else may have run since. A request that follows another one of the same
   * batch with nothing in between starts at this time: one clock read per
   * command instead of two (the read cost 6% of the CPU under `-P 16`).
   */
  get #lastEnd(): number {
    return this.#times[0]!;
  }

  set #lastEnd(micros: number) {
    this.#times[0] = micros;
  }

  /**
   * Clock readings kept in a typed array, since a field would box each in a new heap object:
   * {@link #lastEnd}, then the wall-clock milliseconds and the {@link clock} reading taken
   * together when the current run of contiguous requests began (see {@link requestTime}).
   */
  readonly #times = new Float64Array([-1, 0, 0]);

  /**
   * "Now" in wall-clock milliseconds for a client's request (Redis reads it
   * before each command). A request that follows another one of the same
   * batch with nothing in between derives it from the previous command's end
   * on the monotonic clock, counted from the run's first request, whose
   * wall-clock reading it keeps: one clock read per command instead of two.
   * Derived times lag the wall clock by under a millisecond (the first
   * reading is whole milliseconds), never run ahead of it, and never go back.
   */
  requestTime(contiguous: boolean): number {
    const times = this.#times;
    const lastEnd = times[0]!;
    if (contiguous && lastEnd >= 0 && this.clock !== undefined) {
      return Math.floor(times[1]! + (lastEnd - times[2]!) / 1000);
    }
    const wall = Date.now();
    // The run's monotonic reading is the one its first command starts at (#call): pending here.
    // No time derives from an earlier end until that command ran, even when this request is
    // turned away before the table (an unknown binary command, the subscribed-mode rule).
    this.#lastEnd = -1;
    times[1] = wall;
    times[2] = NaN;
    return wall;
  }
  /** Commands slower than `slowlog-log-slower-than` (SLOWLOG), fed while {@link clock} is set. */
  readonly slowLog = new SlowLog();
  /** Commands slower than `latency-monitor-threshold` (LATENCY), fed while {@link clock} is set. */
  readonly latency = new LatencyMonitor();
  /** `latency-tracking`: each command's durations go into its {@link CommandStats.histogram}. */
  latencyTracking = true;
  /** Keys read commands found, for INFO's `keyspace_hits` (Redis counts its read lookups). */
  keyspaceHits = 0;
  /** Keys read commands did not find, for INFO's `keyspace_misses`. */
  keyspaceMisses = 0;
  /** Error replies given (INFO's `total_error_replies`), refusals and failures alike. */
  errorReplies = 0;
  /**
   * Error replies no client was there to read: a command replayed from the
   * AOF failed (INFO's `unexpected_error_replies`, counted by the loader).
   */
  unexpectedErrorReplies = 0;
  /**
   * Listpacks and intsets of RESTORE payloads from clients, all validated
   * deeply (INFO's `dump_payload_sanitizations`, as Redis counts it with
   * sanitize-dump-payload `clients`).
   */
  dumpPayloadSanitizations = 0;
  /** Error replies per error code (INFO errorstats), at most {@link MAX_ERROR_CODES} codes. */
  readonly errorCodes = new Map<string, number>();
  /** Commands flagged `readonly` that name keys: the ones whose lookups count as hits or misses. */
  readonly #readsKeys = new Set<CommandSpec>();
  /** Clients in MONITOR mode, shown each command after it ran; an empty set costs one check. */
  readonly monitors = new Monitors();
  /**
   * Set by persistence (server/persistence.ts) while the AOF cannot be
   * written or a BGSAVE failed with stop-writes-on-bgsave-error: the
   * `-MISCONF` error every write command (and PING) gets, as in Redis's
   * processCommand. Undefined, as it almost always is, it costs one check.
   */
  writesRefused: string | undefined;
  /**
   * The `-NOREPLICAS` error writes get while fewer replicas than
   * `min-replicas-to-write` are good (Redis's checkGoodReplicasStatus), set
   * by the replication master; undefined, as it almost always is, it costs one check.
   */
  replicasMissing: string | undefined;
  /** Client-side caching; set only while some client tracks or the table holds keys. */
  tracking: Tracking | undefined;
  /** Set while this server is a replica: what it refuses its clients. Undefined on a master. */
  replica: ReplicaGate | undefined;

  constructor(specs: Iterable<CommandSpec>) {
    for (const spec of specs) {
      if (this.#byName.has(spec.name)) throw new Error(`Duplicate command "${spec.name}"`);
      this.#byName.set(spec.name, spec);
      this.#bySpelling.set(spec.name, spec);
      this.#bySpelling.set(spec.name.toUpperCase(), spec);
      for (const runnable of [spec, ...(spec.subcommands ?? [])]) {
        const keys = runnable.keys;
        if (keys !== undefined && keys.first > 0 && runnable.flags.includes("readonly")) {
          this.#readsKeys.add(runnable);
        }
      }
    }
  }

  /** The command named `name` in any letter case. */
  lookup(name: string): CommandSpec | undefined {
    // Clients send "SET" or "set"; only mixed case pays for lower-casing.
    return this.#bySpelling.get(name) ?? this.#byName.get(name.toLowerCase());
  }

  all(): IterableIterator<CommandSpec> {
    return this.#byName.values();
  }

  get size(): number {
    return this.#byName.size;
  }

  /**
   * Resolves argv to the spec that runs it (a subcommand for containers such
   * as CONFIG), or an error message when there is none or the arity is wrong.
   * Callers that already looked the name up pass `spec` to spare a second lookup.
   */
  resolve(
    argv: readonly string[],
    spec: CommandSpec | undefined = this.lookup(argv[0] ?? ""),
  ): CommandSpec | string {
    if (spec === undefined) return unknownCommand(argv);
    if (!checkArity(spec.arity, argv.length)) return wrongArity(spec.name);
    // A container with its own handler (COMMAND) runs it when called without a subcommand.
    if (spec.subcommands === undefined || (argv.length === 1 && spec.handler !== undefined)) {
      return spec;
    }
    const subcommandName = (argv[1] ?? "").toLowerCase();
    const subcommand = spec.subcommands.find((sub) =>
      sub.name === `${spec.name}|${subcommandName}`
    );
    if (subcommand === undefined) return unknownSubcommand(spec.name, argv[1] ?? "");
    if (!checkArity(subcommand.arity, argv.length)) return wrongArity(subcommand.name);
    return subcommand;
  }

  /**
   * Runs one request for a session: resolves it, enforces authentication,
   * queues it inside MULTI, and otherwise calls its handler. `resolved` is
   * given by callers that resolved argv already.
   */
  execute(
    context: CommandContext,
    argv: readonly string[],
    resolved: CommandSpec | string = this.resolve(argv),
    contiguous = false,
  ): HandlerReply {
    // `contiguous`: the caller ran the previous request just before this one, synchronously.
    if (!contiguous) this.#lastEnd = -1;
    let reply = this.#execute(context, argv, resolved);
    if (this.#runDepth === 0 && this.blocking.hasReady) {
      // Serving the blocked clients writes to the keyspace, which a view must not see.
      reply = materialize(reply);
      this.blocking.serveReady();
      this.#lastEnd = -1;
    }
    return reply;
  }

  /**
   * Runs one of the original server's commands for a binary-wire session
   * (authenticated, outside MULTI), as {@link CommandTable.execute} runs a
   * Redis one: the same refusals (-BUSY, -MISCONF, -OOM as error replies),
   * then the call with its stats, timing, AOF entry, MONITOR line and
   * keyspace events, all under `spec`, the Redis command of the same name.
   * A wrong argument count answers the original's `unknown` status.
   */
  executeOriginal(
    context: CommandContext,
    argv: readonly string[],
    spec: CommandSpec,
    original: OriginalCommand,
    contiguous = false,
  ): HandlerReply | OriginalResult {
    if (!contiguous) this.#lastEnd = -1;
    if (argv.length !== original.arity) {
      this.#count(spec.name, "rejected");
      return ORIGINAL_UNKNOWN;
    }
    if (this.busy !== undefined && !spec.flags.includes("allow_busy")) {
      this.#count(spec.name, "rejected");
      return error(this.busy);
    }
    const refusal = this.writesRefused;
    if (refusal !== undefined && this.#refusedOnDiskError(spec, context)) {
      return this.#reject(spec, context, refusal);
    }
    const eviction = this.eviction;
    if (eviction !== undefined && !this.#fit(eviction, context) && spec.flags.includes("denyoom")) {
      return this.#reject(spec, context, OOM);
    }
    context.session.lastCommand = spec.name;
    context.session.lastCommandAt = context.keyspace.now;
    const result = this.#call(spec, context, argv, original);
    if (this.blocking.hasReady) {
      this.blocking.serveReady();
      this.#lastEnd = -1;
    }
    return result;
  }

  /**
   * Whether the running command may block its client: only a client's own
   * command, never one inside EXEC or a script, nor the AOF loader's (Redis's
   * CLIENT_DENY_BLOCKING); those answer as on a timeout instead.
   */
  mayBlock(context: CommandContext): boolean {
    return this.#runDepth === 1 && context.session.wake !== undefined &&
      context.session.queued === undefined;
  }

  #execute(
    context: CommandContext,
    argv: readonly string[],
    resolved: CommandSpec | string,
  ): HandlerReply {
    const session = context.session;
    if (typeof resolved === "string") {
      if (session.queued !== undefined) session.queueFailed = true;
      this.#count(argv[0]?.toLowerCase() ?? "", "rejected");
      return this.#errorReply(resolved);
    }
    if (this.busy !== undefined && !resolved.flags.includes("allow_busy")) {
      if (session.queued !== undefined) session.queueFailed = true;
      this.#count(resolved.name, "rejected");
      return this.#errorReply(this.busy);
    }
    if (!session.authenticated && !resolved.flags.includes("no_auth")) {
      this.#count(resolved.name, "rejected");
      return this.#errorReply(NOAUTH);
    }
    const refusal = this.writesRefused;
    if (refusal !== undefined && this.#refusedOnDiskError(resolved, context)) {
      return this.#reject(resolved, context, refusal);
    }
    const missing = this.replicasMissing;
    if (missing !== undefined && this.#isWrite(resolved, context)) {
      return this.#reject(resolved, context, missing);
    }
    const eviction = this.eviction;
    if (
      eviction !== undefined && !this.#fit(eviction, context) &&
      this.#refusedWhenFull(resolved, context)
    ) {
      return this.#reject(resolved, context, OOM);
    }
    const replica = this.replica;
    if (replica !== undefined && session !== replica.master) {
      const refusal = this.#replicaRefusal(replica, resolved, context);
      if (refusal !== undefined) return this.#reject(resolved, context, refusal);
    }
    if (session.queued !== undefined && !TRANSACTION_CONTROL.has(resolved.name)) {
      if (resolved.flags.includes("no_multi")) {
        session.queueFailed = true;
        this.#count(resolved.name, "rejected");
        return this.#errorReply(NOT_IN_MULTI);
      }
      session.queued.push(argv);
      return QUEUED;
    }
    session.lastCommand = resolved.name;
    session.lastCommandAt = context.keyspace.now;
    return this.#call(resolved, context, argv, undefined) as HandlerReply;
  }

  /**
   * Told about every write command that changed data, and every other one
   * that set `Session.propagateAs` (PFCOUNT refreshing its cache), in
   * execution order, for the append-only file. Unset (and free) when
   * nothing listens.
   */
  onWrite: ((argv: readonly string[], context: CommandContext) => void) | undefined;

  /**
   * Shows `argv` to MONITOR clients as run by `context`'s client, or as `lua` for a script's
   * commands. EVAL and FCALL (`skip_monitor`) call this themselves before running, as Redis does,
   * so the script's commands follow their script's line.
   */
  feedMonitors(context: CommandContext, argv: readonly string[]): void {
    if (this.monitors.size === 0) return;
    const session = context.session;
    const source = session.inScript ? "lua" : session.monitorSource;
    this.monitors.feed(
      monitorLine(context.server.clockMicros(), context.keyspace.index, source, argv),
    );
  }

  /**
   * Calls a resolved command's handler; errors it throws become error
   * replies. EXEC and scripts call this and keep the reply while later
   * commands write, so a view comes back as the bulk string it shows.
   */
  run(spec: CommandSpec, context: CommandContext, argv: readonly string[]): Reply {
    // A script's later slices come after other work.
    if (this.#runDepth === 0) this.#lastEnd = -1;
    return materialize(this.#call(spec, context, argv, undefined) as HandlerReply);
  }

  /**
   * Calls `spec`'s handler, or `original` in its place, with everything
   * around a call: access tracking, timing, hit/miss counts, AOF, MONITOR
   * and commandstats.
   */
  #call(
    spec: CommandSpec,
    context: CommandContext,
    argv: readonly string[],
    original: OriginalCommand | undefined,
  ): HandlerReply | OriginalResult {
    const dirtyBefore = context.keyspace.dirty;
    this.eviction?.recordAccess(spec, argv, context.keyspace);
    const tracking = this.tracking;
    tracking?.enter(context.session);
    const clock = this.clock;
    const topLevel = this.#runDepth === 0;
    const lastEnd = this.#lastEnd;
    let started = 0;
    if (clock !== undefined) {
      if (topLevel && lastEnd >= 0) started = lastEnd;
      else {
        started = clock();
        // The first command of a run of contiguous requests: requestTime read the wall clock.
        if (topLevel && Number.isNaN(this.#times[2])) this.#times[2] = started;
      }
    }
    if (this.#readsKeys.has(spec)) this.#countLookups(spec, context, argv);
    let reply: HandlerReply | OriginalResult;
    const errorsBefore = this.errorReplies;
    this.#runDepth++;
    try {
      if (original === undefined) reply = spec.handler!(context, argv);
      else {
        reply = original.run(context.keyspace, argv);
        // The original commands tell what changed by their status, as the Redis ones notify.
        if (reply.status === KacheStatus.ok && context.server.pubsub.notifyFlags !== 0) {
          notifyOriginal(context.server.pubsub, context.keyspace, argv);
        }
      }
    } catch (cause) {
      // A handler bug must not take the connection (or the server) down with it.
      reply = error(
        cause instanceof CommandError
          ? cause.message
          : `ERR internal error in '${spec.name}': ${
            cause instanceof Error ? cause.message : String(cause)
          }`,
      );
    } finally {
      this.#runDepth--;
    }
    tracking?.leave(spec, context.session, argv);
    // A read-only command that changed data says how to propagate it (PFCOUNT's cache).
    if (
      this.onWrite !== undefined && context.keyspace.dirty !== dirtyBefore &&
      (spec.flags.includes("write") || context.session.propagateAs !== undefined)
    ) {
      this.onWrite(argv, context);
    }
    if (this.monitors.size !== 0 && !hidesFromMonitor(spec)) this.feedMonitors(context, argv);
    // Set only by the rare command that rewrites its propagation; one check otherwise.
    if (context.session.propagateAs !== undefined) context.session.propagateAs = undefined;
    const stats = this.#statsOf(spec.name);
    stats.calls++;
    if (!("kind" in reply)) {
      if (originalFailed(reply)) stats.failed++;
    } else if (reply.kind === "error") {
      stats.failed++;
      // A script that failed after one of its commands did raises that error again, which
      // Redis counts once (ERR_REPLY_FLAG_NO_STATS_UPDATE).
      if (!SCRIPT_COMMANDS.has(spec.name) || this.errorReplies === errorsBefore) {
        this.countError(reply.message);
      }
    }
    if (clock !== undefined) {
      const ended = clock();
      if (topLevel) this.#lastEnd = ended;
      const duration = Math.round(ended - started);
      stats.usec += duration;
      if (this.latencyTracking) {
        (stats.histogram ??= new LatencyHistogram()).record(duration * 1000);
      }
      const latency = this.latency;
      if (latency.thresholdMillis !== 0) {
        latency.addSampleIfNeeded(
          spec.flags.includes("fast") ? "fast-command" : "command",
          Math.floor(duration / 1000),
          Math.floor(context.keyspace.now / 1000),
        );
      }
      // Checked first: the client description is built only for a command that is logged.
      if (this.slowLog.isSlow(duration) && !spec.flags.includes("skip_slowlog")) {
        const session = context.session;
        this.slowLog.record(
          argv,
          duration,
          { address: session.address, name: session.name },
          Math.floor(context.keyspace.now / 1000),
        );
      }
    }
    return reply;
  }

  /**
   * Brings memory within maxmemory; with latency monitoring on, a pass that
   * evicted keys is timed as Redis's "eviction-cycle" event.
   */
  #fit(eviction: Eviction, context: CommandContext): boolean {
    const clock = this.clock;
    if (this.latency.thresholdMillis === 0 || clock === undefined) return eviction.fit();
    const shared = context.server.databases.shared;
    const evictedBefore = shared.evictedCount;
    const started = clock();
    const fits = eviction.fit();
    if (shared.evictedCount !== evictedBefore) {
      this.latency.addSampleIfNeeded(
        "eviction-cycle",
        Math.floor((clock() - started) / 1000),
        Math.floor(context.keyspace.now / 1000),
      );
    }
    return fits;
  }

  /**
   * Whether a command must not run while memory is over the limit: `denyoom`
   * ones (EXEC when it queued one), and inside MULTI anything but leaving it,
   * since queueing itself takes memory without bound.
   */
  #refusedWhenFull(spec: CommandSpec, context: CommandContext): boolean {
    if (context.session.queued !== undefined && spec.name !== "exec") {
      return !ALLOWED_WHEN_FULL_IN_MULTI.has(spec.name);
    }
    return this.#queuedOrIs(spec, context, isDenyOom);
  }

  /**
   * Whether a command must not run while writes are refused: Redis's
   * `is_write_command || proc == pingCommand`, where EXEC counts as a write
   * when it queued one.
   */
  #refusedOnDiskError(spec: CommandSpec, context: CommandContext): boolean {
    return spec.name === "ping" || this.#isWrite(spec, context);
  }

  /** A write command, or an EXEC whose queue holds one (Redis's `is_write_command`). */
  #isWrite(spec: CommandSpec, context: CommandContext): boolean {
    return this.#queuedOrIs(spec, context, isWrite);
  }

  /**
   * Redis's processCommand on a replica: a write (EXEC counts when it
   * queued one) gets -READONLY; with the link down and serving stale data
   * refused, a command not flagged `stale` (EXEC: when it queued one) gets -MASTERDOWN.
   */
  #replicaRefusal(
    replica: ReplicaGate,
    spec: CommandSpec,
    context: CommandContext,
  ): string | undefined {
    if (replica.readOnly && this.#queuedOrIs(spec, context, isWrite)) return READONLY_REPLICA;
    if (replica.refuseStale && this.#queuedOrIs(spec, context, isNotStale)) {
      return MASTERDOWN;
    }
    return undefined;
  }

  /** Whether `spec` has the property, or is an EXEC of which some queued command has it. */
  #queuedOrIs(
    spec: CommandSpec,
    context: CommandContext,
    has: (flags: readonly string[]) => boolean,
  ): boolean {
    const queued = context.session.queued;
    if (spec.name !== "exec") return has(spec.flags);
    return queued !== undefined && queued.some((argv) => {
      const queuedSpec = this.resolve(argv);
      return typeof queuedSpec !== "string" && has(queuedSpec.flags);
    });
  }

  /** Counts each key a read command names as a hit or a miss, before it runs. */
  #countLookups(spec: CommandSpec, context: CommandContext, argv: readonly string[]): void {
    const keys = spec.keys!;
    const keyspace = context.keyspace;
    const last = lastKeyIndex(keys, argv);
    const pubsub = context.server.pubsub;
    for (let index = keys.first; index <= last; index += keys.step) {
      if (keyspace.has(argv[index]!)) {
        this.keyspaceHits++;
        continue;
      }
      this.keyspaceMisses++;
      // Redis's lookupKey reports a read's miss as a `keymiss` event (class m), except for the
      // lookups made with LOOKUP_NONOTIFY (OBJECT's and MEMORY's).
      if ((pubsub.notifyFlags & NotifyClass.keyMiss) !== 0 && !MISS_NOT_NOTIFIED.has(spec.name)) {
        pubsub.notifyKeyspaceEvent(NotifyClass.keyMiss, "keymiss", argv[index]!, keyspace.index);
      }
    }
  }

  /** Redis's rejectCommand: the error, which also dooms an open transaction. */
  #reject(spec: CommandSpec, context: CommandContext, message: string): Reply {
    const session = context.session;
    this.#count(spec.name, "rejected");
    if (spec.name === "exec") {
      context.server.watches.unwatch(session);
      session.endTransaction();
      return this.#errorReply(`EXECABORT Transaction discarded because of: ${message}`);
    }
    if (session.queued !== undefined) session.queueFailed = true;
    return this.#errorReply(message);
  }

  /** Calls of every command so far (INFO's `total_commands_processed`). */
  get totalCalls(): number {
    let calls = 0;
    for (const stats of this.stats.values()) calls += stats.calls;
    return calls;
  }

  /** An error reply, counted for INFO. */
  #errorReply(message: string): Reply {
    this.countError(message);
    return error(message);
  }

  /**
   * Counts one error reply under its code, the message's first word as
   * Redis's afterErrorReply takes it (ERR when none ends within 32 bytes).
   */
  countError(message: string): void {
    this.errorReplies++;
    const space = message.indexOf(" ");
    const code = space > 0 && space < 31 ? message.slice(0, space) : "ERR";
    const count = this.errorCodes.get(code);
    if (count !== undefined) this.errorCodes.set(code, count + 1);
    else if (this.errorCodes.size < MAX_ERROR_CODES) this.errorCodes.set(code, 1);
  }

  #count(name: string, field: "rejected"): void {
    if (this.lookup(name) !== undefined) this.#statsOf(name)[field]++;
  }

  #statsOf(name: string): CommandStats {
    let stats = this.stats.get(name);
    if (stats === undefined) {
      stats = new CommandStats();
      this.stats.set(name, stats);
    }
    return stats;
  }
}

const isWrite = (flags: readonly string[]) => flags.includes("write");
const isDenyOom = (flags: readonly string[]) => flags.includes("denyoom");
const isNotStale = (flags: readonly string[]) => !flags.includes("stale");

/** Redis 7 never shows `admin` and `skip_monitor` commands to MONITOR (its `call`). */
function hidesFromMonitor(spec: CommandSpec): boolean {
  return spec.flags.includes("admin") || spec.flags.includes("skip_monitor");
}

/** Redis's `commandCheckArity`. */
export function checkArity(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}
