/**
 * The server as commands see it ({@link ServerControl}): INFO text, CONFIG,
 * the client list, statistics. Kept apart from the socket code in
 * `server.ts` so each file has one job.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import type { Databases } from "../lib/databases.ts";
import { globToRegExp } from "../lib/glob.ts";
import type { PubSub } from "../lib/pubsub.ts";
import { OK, type Reply } from "../lib/reply.ts";
import type { ReplicationControl } from "../lib/replication/control.ts";
import type { ServerControl } from "../lib/server_control.ts";
import type { Session } from "../lib/session.ts";
import type { Tracking } from "../lib/tracking.ts";
import type { WatchRegistry } from "../lib/watch.ts";
import type { KacheServer } from "./server.ts";
import { buildInfo } from "./info.ts";
import { clientInfoLine } from "../lib/commands/connection.ts";
import type { MemoryFigures } from "../lib/memory_doctor.ts";
import { scriptingFor } from "../lib/commands/scripting.ts";
import { rewriteConfigFile } from "./config_rewrite.ts";
import type { MigrateTransport } from "../lib/migrate.ts";

export class ServerState implements ServerControl {
  readonly startedAt = Date.now();
  connectionsReceived = 0;
  /** Connections refused at accept time (maxclients), INFO's `rejected_connections`. */
  rejectedConnections = 0;
  /** Bytes read from clients' sockets (`total_net_input_bytes`). */
  netInputBytes = 0;
  /** Bytes handed to clients' sockets (`total_net_output_bytes`). */
  netOutputBytes = 0;
  /** Socket reads that returned bytes (`total_reads_processed`). */
  readsProcessed = 0;
  /** Replies (or pushed messages) handed to a socket in one write (`total_writes_processed`). */
  writesProcessed = 0;
  /** The highest used_memory seen by the cron or INFO (`used_memory_peak`). */
  peakMemory = 0;
  /** The process's resident size before any data (MEMORY DOCTOR compares what came after). */
  readonly startupRss = Deno.memoryUsage().rss;
  /** Forty random hex digits naming this run, as Redis's `run_id`. */
  readonly runId = randomHex(40);
  readonly #server: KacheServer;
  /** A field, not a getter: every write command reads it to check the notification flags. */
  readonly pubsub: PubSub;
  readonly databases: Databases;

  constructor(server: KacheServer) {
    this.#server = server;
    this.pubsub = server.pubsub;
    this.databases = server.databases;
  }

  get watches(): WatchRegistry {
    return this.#server.watches;
  }

  get migrate(): MigrateTransport {
    return this.#server.migrations;
  }

  get replication(): ReplicationControl {
    return this.#server.replication;
  }

  get tracking(): Tracking {
    return this.#server.tracking;
  }

  later(task: () => void): void {
    setTimeout(task, 0);
  }

  scriptLog(level: number, text: string): void {
    const log = this.#server.log;
    if (level <= 0) log.debug(text);
    else if (level === 1) log.verbose(text);
    else if (level === 2) log.notice(text);
    else log.warning(text);
  }

  clockMicros(): number {
    return Math.round((performance.timeOrigin + performance.now()) * 1000);
  }

  random(): number {
    return Math.random();
  }

  info(sections: readonly string[]): string {
    return buildInfo(this.#server, sections);
  }

  configGet(patterns: readonly string[]): [string, string][] {
    const matchers = patterns.map((pattern) => globToRegExp(pattern.toLowerCase()));
    return this.#server.config.get((name) => matchers.some((matcher) => matcher.test(name)));
  }

  configNumber(name: string): number {
    // Number(): settings of Redis's long long range are kept as their decimal text.
    return Number(this.#server.config.number(name));
  }

  configSet(name: string, value: string): string | undefined {
    return this.#server.config.set(name, value, { startup: false });
  }

  memoryFigures(): MemoryFigures {
    const server = this.#server;
    const memory = Deno.memoryUsage();
    const used = server.eviction.usedMemory;
    this.peakMemory = Math.max(this.peakMemory, used);
    return {
      used,
      peak: this.peakMemory,
      rssGrowth: Math.max(0, memory.rss - this.startupRss),
      heapUsed: memory.heapUsed + memory.external,
      heapReserved: memory.heapTotal + memory.external,
      clientBuffers: server.clientBufferBytes,
      clients: server.connections.size,
      cachedScripts: scriptingFor(this).scripts.size,
    };
  }

  configRewrite(): string | undefined {
    return rewriteConfigFile(this.#server);
  }

  resetStats(): void {
    this.#server.commands.stats.clear();
    this.#server.commands.keyspaceHits = this.#server.commands.keyspaceMisses = 0;
    this.#server.commands.errorReplies = 0;
    this.#server.commands.dumpPayloadSanitizations = 0;
    this.#server.commands.errorCodes.clear();
    this.connectionsReceived = 0;
    this.rejectedConnections = 0;
    this.netInputBytes = this.netOutputBytes = 0;
    this.readsProcessed = this.writesProcessed = 0;
    this.#server.resetCronStats();
    this.#server.databases.shared.expiredCount = 0;
    this.#server.databases.shared.evictedCount = 0;
  }

  *sessions(): Iterable<Session> {
    for (const connection of this.#server.connections) yield connection.session;
    const master = this.#server.replica.masterSession;
    if (master !== undefined) yield master;
  }

  checkPassword(_user: string, password: string): boolean | undefined {
    const expected = this.#server.config.string("requirepass");
    if (expected === "") return undefined;
    const given = Buffer.from(password, "latin1");
    const wanted = Buffer.from(expected, "latin1");
    // Compare equal-length buffers so the time taken says nothing about the password.
    const same = timingSafeEqual(
      Buffer.concat([given, Buffer.alloc(Math.max(0, wanted.length - given.length))]).subarray(
        0,
        Math.max(wanted.length, given.length),
      ),
      Buffer.concat([wanted, Buffer.alloc(Math.max(0, given.length - wanted.length))]),
    );
    return same && given.length === wanted.length;
  }

  lastSave(): number {
    return this.#server.persistence.lastSave;
  }

  admin(argv: readonly string[]): Reply {
    if (argv[0] === "debug" && argv[1] === "set-active-expire") {
      this.#server.setActiveExpire(argv[2] !== "0");
      return OK;
    }
    return this.#server.persistence.admin(argv);
  }

  replicaOf(target: { host: string; port: number } | undefined, requestedBy: Session): boolean {
    const server = this.#server;
    const client = clientInfoLine(requestedBy, Date.now(), { tracking: server.tracking });
    if (target === undefined) {
      if (server.replica.following) {
        server.replica.promote();
        server.log.notice(`MASTER MODE enabled (user request from '${client}')`);
      }
      return true;
    }
    if (!server.replica.follow(target.host, target.port)) {
      server.log.notice(
        "REPLICAOF would result into synchronization with the master we are already connected " +
          "with. No operation performed.",
      );
      return false;
    }
    server.log.notice(
      `REPLICAOF ${target.host}:${target.port} enabled (user request from '${client}')`,
    );
    return true;
  }

  /** Closes the session's connection after its current reply (CLIENT KILL). */
  kill(session: Session): void {
    // The master link: dropped, then reconnected with a partial resync (Redis does the same).
    if (session === this.#server.replica.masterSession) this.#server.replica.dropLink();
    for (const connection of this.#server.connections) {
      if (connection.session === session) connection.close();
    }
  }
}

function randomHex(digits: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(digits / 2)));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("").slice(0, digits);
}
