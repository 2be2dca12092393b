/**
 * What commands may ask of the server around them — configuration, clients,
 * statistics, persistence, shutdown — as an interface, so `lib/` stays pure
 * and tests can pass a fake. `server/` implements it.
 *
 * @module
 */
import type { MemoryFigures } from "./memory_doctor.ts";
import type { MigrateTransport } from "./migrate.ts";
import type { Databases } from "./databases.ts";
import type { PubSub } from "./pubsub.ts";
import type { ReplicationControl } from "./replication/control.ts";
import type { Reply } from "./reply.ts";
import type { Session } from "./session.ts";
import type { Tracking } from "./tracking.ts";
import type { WatchRegistry } from "./watch.ts";

export interface ClientInfo {
  readonly session: Session;
}

export interface ServerControl {
  /** Every database (SELECT, MOVE, SWAPDB, COPY … DB, FLUSHALL). */
  readonly databases: Databases;
  /** Which sessions WATCH which keys; also the keyspace's observer. */
  readonly watches: WatchRegistry;
  /** Channel and pattern subscriptions, PUBLISH fan-out and keyspace notifications. */
  readonly pubsub: PubSub;
  /** CLIENT TRACKING's table and modes (client-side caching). */
  readonly tracking: Tracking;
  /** ROLE, SYNC/PSYNC, REPLCONF and WAIT; absent in embeddings without replication. */
  readonly replication?: ReplicationControl;
  /** Wall clock in Unix microseconds, for TIME. */
  clockMicros(): number;
  /** Uniform random number in [0, 1), for RANDOMKEY and ZRANDMEMBER. */
  random(): number;
  /**
   * MIGRATE's exchange with the target, waited for synchronously as Redis
   * waits; absent in embeddings without a network.
   */
  readonly migrate?: MigrateTransport;
  /** Redis-style INFO text for the named sections (empty = default sections). */
  info(sections: readonly string[]): string;
  /** CONFIG GET: name/value pairs for every parameter matching the glob patterns. */
  configGet(patterns: readonly string[]): [string, string][];
  /**
   * One numeric setting by its exact name, without CONFIG GET's pattern
   * matching, for settings read on every call of a command (XADD's
   * `stream-node-max-bytes`). Absent in embeddings that only have configGet.
   */
  configNumber?(name: string): number;
  /** CONFIG SET one parameter; returns an error message or undefined on success. */
  configSet(name: string, value: string): string | undefined;
  /** What MEMORY DOCTOR checks. */
  memoryFigures(): MemoryFigures;
  /**
   * CONFIG REWRITE: writes the current settings into the config file the
   * server started with; returns Redis's error text, or undefined when done.
   */
  configRewrite(): string | undefined;
  /** CONFIG RESETSTAT. */
  resetStats(): void;
  /** Every connected session, for CLIENT LIST and CLIENT KILL. */
  sessions(): Iterable<Session>;
  /** Closes another session's connection now (CLIENT KILL). */
  kill(session: Session): void;
  /** Whether `password` is right for `user` (constant-time); undefined when none is set. */
  checkPassword(user: string, password: string): boolean | undefined;
  /** Unix seconds of the last successful save. */
  lastSave(): number;
  /** Runs a persistence or shutdown command the server owns (SAVE, BGSAVE, SHUTDOWN…). */
  admin(argv: readonly string[]): Reply;
  /**
   * REPLICAOF: follow the master at `target`, or (undefined, `NO ONE`) stop
   * following and become a master. Returns false when already following
   * `target`. Absent where nothing can replicate (embeddings, tests).
   */
  replicaOf?(target: { host: string; port: number } | undefined, requestedBy: Session): boolean;
  /** redis.log from a script: level 0 debug, 1 verbose, 2 notice, 3 warning. */
  scriptLog?(level: number, text: string): void;
  /**
   * Runs `task` on a later turn of the event loop, after pending I/O: how a
   * long script lets the server answer other clients. Absent in embeddings
   * without an event loop, where scripts then run to their end at once.
   */
  later?(task: () => void): void;
}
