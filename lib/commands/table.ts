/**
 * The command table and the one place commands are run: lookup by
 * case-insensitive name, the arity check, authentication, MULTI queueing and
 * turning a thrown {@link CommandError} into an error reply. No handler counts
 * its own arguments or catches its own errors. With maxmemory set, it is also
 * where memory is brought within the limit before a command and where a
 * command is refused when that fails (lib/eviction.ts).
 *
 * @module
 */
import { CommandError, unknownCommand, unknownSubcommand, wrongArity } from "../errors.ts";
import { type Eviction, OOM } from "../eviction.ts";
import { error, QUEUED, type Reply } from "../reply.ts";
import type { CommandContext, CommandSpec } from "./types.ts";

/** Commands that act on the transaction itself and so are never queued. */
const TRANSACTION_CONTROL = new Set(["exec", "discard", "multi", "watch", "quit", "reset"]);

export const NOAUTH = "NOAUTH Authentication required.";
const NOT_IN_MULTI = "ERR Command not allowed inside a transaction";
/** Inside MULTI, memory may be full yet these still run (Redis's processCommand). */
const ALLOWED_WHEN_FULL_IN_MULTI = new Set(["exec", "discard", "quit", "reset"]);

/** Per-command counters for INFO commandstats. */
export interface CommandStats {
  calls: number;
  /** Calls that returned an error reply. */
  failed: number;
  /** Calls refused before running (arity, auth, …). */
  rejected: number;
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

  constructor(specs: Iterable<CommandSpec>) {
    for (const spec of specs) {
      if (this.#byName.has(spec.name)) throw new Error(`Duplicate command "${spec.name}"`);
      this.#byName.set(spec.name, spec);
      this.#bySpelling.set(spec.name, spec);
      this.#bySpelling.set(spec.name.toUpperCase(), spec);
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
  ): Reply {
    const session = context.session;
    if (typeof resolved === "string") {
      if (session.queued !== undefined) session.queueFailed = true;
      this.#count(argv[0]?.toLowerCase() ?? "", "rejected");
      return error(resolved);
    }
    if (this.busy !== undefined && !resolved.flags.includes("allow_busy")) {
      if (session.queued !== undefined) session.queueFailed = true;
      this.#count(resolved.name, "rejected");
      return error(this.busy);
    }
    if (!session.authenticated && !resolved.flags.includes("no_auth")) {
      this.#count(resolved.name, "rejected");
      return error(NOAUTH);
    }
    const eviction = this.eviction;
    if (eviction !== undefined && !eviction.fit() && this.#refusedWhenFull(resolved, context)) {
      this.#count(resolved.name, "rejected");
      if (resolved.name === "exec") {
        context.server.watches.unwatch(session);
        session.endTransaction();
        return error(`EXECABORT Transaction discarded because of: ${OOM}`);
      }
      if (session.queued !== undefined) session.queueFailed = true;
      return error(OOM);
    }
    if (session.queued !== undefined && !TRANSACTION_CONTROL.has(resolved.name)) {
      if (resolved.flags.includes("no_multi")) {
        session.queueFailed = true;
        this.#count(resolved.name, "rejected");
        return error(NOT_IN_MULTI);
      }
      session.queued.push(argv);
      return QUEUED;
    }
    session.lastCommand = resolved.name;
    session.lastCommandAt = context.keyspace.now;
    return this.run(resolved, context, argv);
  }

  /**
   * Told about every write command that changed data, in execution order,
   * for the append-only file. Unset (and free) when nothing listens.
   */
  onWrite: ((argv: readonly string[], context: CommandContext) => void) | undefined;

  /** Calls a resolved command's handler; errors it throws become error replies. */
  run(spec: CommandSpec, context: CommandContext, argv: readonly string[]): Reply {
    const dirtyBefore = context.keyspace.dirty;
    this.eviction?.recordAccess(spec, argv);
    let reply: Reply;
    try {
      reply = spec.handler!(context, argv);
    } catch (cause) {
      // A handler bug must not take the connection (or the server) down with it.
      reply = error(
        cause instanceof CommandError
          ? cause.message
          : `ERR internal error in '${spec.name}': ${
            cause instanceof Error ? cause.message : String(cause)
          }`,
      );
    }
    if (
      this.onWrite !== undefined && context.keyspace.dirty !== dirtyBefore &&
      spec.flags.includes("write")
    ) {
      this.onWrite(argv, context);
    }
    const stats = this.#statsOf(spec.name);
    stats.calls++;
    if (reply.kind === "error") stats.failed++;
    return reply;
  }

  /**
   * Whether a command must not run while memory is over the limit: `denyoom`
   * ones (EXEC when it queued one), and inside MULTI anything but leaving it,
   * since queueing itself takes memory without bound.
   */
  #refusedWhenFull(spec: CommandSpec, context: CommandContext): boolean {
    const queued = context.session.queued;
    if (queued === undefined) return spec.flags.includes("denyoom");
    if (spec.name !== "exec") return !ALLOWED_WHEN_FULL_IN_MULTI.has(spec.name);
    return queued.some((argv) => {
      const queuedSpec = this.resolve(argv);
      return typeof queuedSpec !== "string" && queuedSpec.flags.includes("denyoom");
    });
  }

  #count(name: string, field: "rejected"): void {
    if (this.lookup(name) !== undefined) this.#statsOf(name)[field]++;
  }

  #statsOf(name: string): CommandStats {
    let stats = this.stats.get(name);
    if (stats === undefined) {
      stats = { calls: 0, failed: 0, rejected: 0 };
      this.stats.set(name, stats);
    }
    return stats;
  }
}

/** Redis's `commandCheckArity`. */
export function checkArity(arity: number, argc: number): boolean {
  return arity >= 0 ? argc === arity : argc >= -arity;
}
