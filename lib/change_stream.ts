/**
 * The one stream of changes, Redis's `propagate()`: every write command that
 * changed data, as lib/persistence/propagate.ts rewrites it, and every key
 * removed by expiry or eviction as `DEL`, in execution order, handed to
 * each sink — the append-only file and the replication stream — so a
 * replica receives exactly what the AOF records.
 *
 * Decisions that shape the module:
 * - Each sink gets the database index with every command and emits its own
 *   SELECT when its stream last named another database (the AOF file and
 *   the replication stream start at different points, so they cannot share
 *   one "selected database").
 * - Commands inside EXEC and scripts are wrapped in MULTI … EXEC, so a
 *   reader applies them all or none. The wrap opens at the transaction's
 *   first write and closes at the next write outside it or when the server
 *   calls {@link ChangeStream.closeTransaction} (the end of the connection's
 *   batch: a batch runs without interruption, so nothing else can land
 *   inside).
 * - With no sink, the command table's `onWrite` and the keyspace observer
 *   are unset, so writes pay nothing (see {@link ChangeStream.onActiveChange}).
 *
 * @module
 */
import type { CommandContext } from "./commands/types.ts";
import type { Keyspace, KeyspaceObserver } from "./keyspace.ts";
import { deletion, propagatedCommands } from "./persistence/propagate.ts";
import type { Session } from "./session.ts";

/** A consumer of the stream: the AOF, the replication backlog and replicas. */
export interface ChangeSink {
  /**
   * One command for database `db` (undefined: a command that belongs to no
   * database, such as EXEC). `writer` is the session whose command produced
   * it, if any (WAIT counts acknowledgements of its own writes).
   */
  append(argv: readonly string[], db: number | undefined, writer: Session | undefined): void;
}

/** Commands whose writes go out as one MULTI … EXEC block, so a replay is all or nothing. */
const ATOMIC_COMMANDS = new Set([
  "exec",
  "eval",
  "evalsha",
  "eval_ro",
  "evalsha_ro",
  "fcall",
  "fcall_ro",
]);

/**
 * The stream and its sinks.
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * import { Keyspace } from "./keyspace.ts";
 * const stream = new ChangeStream();
 * const seen: string[][] = [];
 * stream.addSink({ append: (argv) => seen.push([...argv]) });
 * stream.observer.expired("k", new Keyspace());
 * deepStrictEqual(seen, [["DEL", "k"]]);
 * ```
 */
export class ChangeStream {
  readonly #sinks: ChangeSink[] = [];
  /** The session whose EXEC or script is being sent between MULTI and EXEC. */
  #openTransaction: Session | undefined;
  /** Told when the first sink arrives or the last leaves, to install or drop the hooks. */
  onActiveChange: ((active: boolean) => void) | undefined;

  /** Whether any sink listens. */
  get active(): boolean {
    return this.#sinks.length !== 0;
  }

  addSink(sink: ChangeSink): void {
    if (this.#sinks.includes(sink)) return;
    this.#sinks.push(sink);
    if (this.#sinks.length === 1) this.onActiveChange?.(true);
  }

  removeSink(sink: ChangeSink): void {
    const index = this.#sinks.indexOf(sink);
    if (index === -1) return;
    // A wrap left open would never be closed for this sink.
    if (this.#openTransaction !== undefined) sink.append(["EXEC"], undefined, undefined);
    this.#sinks.splice(index, 1);
    if (this.#sinks.length === 0) {
      this.#openTransaction = undefined;
      this.onActiveChange?.(false);
    }
  }

  /** Reports expired and evicted keys as DEL, as Redis propagates them. */
  readonly observer: KeyspaceObserver = {
    modified: () => {},
    flushed: () => {},
    expired: (key, keyspace) => this.#deletion(key, keyspace),
    evicted: (key, keyspace) => this.#deletion(key, keyspace),
  };

  /** The command table's onWrite: `argv` just ran in `context` and changed data. */
  write(argv: readonly string[], context: CommandContext): void {
    const keyspace = context.keyspace;
    const session = context.session;
    // EXEC and scripts run their commands through the table without changing lastCommand.
    if (ATOMIC_COMMANDS.has(session.lastCommand)) {
      if (this.#openTransaction !== session) {
        this.closeTransaction();
        // SELECT goes before MULTI, as Redis propagates it: the block is the database's.
        this.#emit(["MULTI"], keyspace.index, session);
        this.#openTransaction = session;
      }
    } else {
      this.closeTransaction();
    }
    const commands = session.propagateAs ?? propagatedCommands(argv, keyspace);
    for (const command of commands) this.#emit(command, keyspace.index, session);
  }

  /** Ends an open MULTI … EXEC wrap (the end of a batch, or before a snapshot's cut). */
  closeTransaction(): void {
    const session = this.#openTransaction;
    if (session === undefined) return;
    this.#openTransaction = undefined;
    this.#emit(["EXEC"], undefined, session);
  }

  #deletion(key: string, keyspace: Keyspace): void {
    this.#emit(deletion(key), keyspace.index, undefined);
  }

  #emit(argv: readonly string[], db: number | undefined, writer: Session | undefined): void {
    for (const sink of this.#sinks) sink.append(argv, db, writer);
  }
}
