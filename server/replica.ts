/**
 * Kache as a replica (`replicaof`, REPLICAOF host port): the link to the
 * master, as Redis's replication.c runs it from the replica's side. Connect,
 * PING, AUTH (`masteruser`/`masterauth`), REPLCONF listening-port and capa,
 * then PSYNC with the history this server holds (or `? -1`). `+FULLRESYNC`
 * brings an RDB, through dump.rdb on disk or parsed from the socket
 * (`repl-diskless-load`), which replaces the data; `+CONTINUE` keeps the data
 * and goes on where the stream stopped. The stream's commands then run
 * through the command table as the master's session: no reply goes back
 * except `REPLCONF ACK <offset>`, every second and on `REPLCONF GETACK`, and
 * the offset counts the stream's bytes, advancing only outside MULTI (as
 * Redis's `reploff`). A lost link is retried at once, then every 100 ms
 * doubling to 1 s (Redis's replicationCron pace); the history stays cached
 * for a partial resync.
 *
 * While following, the server's clients see what Redis's replicas show
 * them: writes refused with -READONLY (replica-read-only), everything but
 * `stale` commands refused with -MASTERDOWN while the link is down and
 * replica-serve-stale-data is no (lib/commands/table.ts's ReplicaGate), and
 * keys past their deadline read as missing but kept until the master's DEL
 * (lib/keyspace.ts's `expiry` modes); no active expiry runs.
 *
 * @module
 */
import type { CommandTable, ReplicaGate } from "../lib/commands/table.ts";
import type { CommandContext } from "../lib/commands/types.ts";
import type { Session } from "../lib/session.ts";
import type { Config } from "../lib/config.ts";
import type { Databases } from "../lib/databases.ts";
import { RdbError } from "../lib/persistence/rdb_reader.ts";
import { encodeReply, RespDecoder } from "../lib/protocol/resp.ts";
import { bulkArray, error } from "../lib/reply.ts";
import {
  type CachedMaster,
  encodedCommandLength,
  handshakeCommands,
  parsePsyncReply,
  pingReplyAcceptable,
  psyncCommand,
  REPLID_LENGTH,
} from "../lib/replication/replica_handshake.ts";
import { parseReplicaOf } from "../lib/replication/replica_config.ts";
import { SyncPayloadError, SyncPayloadReader } from "../lib/replication/sync_payload.ts";
import { diskSink, parserSink, type SyncSink } from "./replica_sync.ts";
import { LoadError } from "./loading.ts";
import type { Logger } from "./log.ts";
import { writeAll } from "./write.ts";

/** Redis's replica states as ROLE names them. */
export type LinkState = "connect" | "connecting" | "handshake" | "sync" | "connected";

/**
 * The server's replication history (replid, offset, backlog), shared with
 * the master side: what the replica changes in it as it follows a master.
 */
export interface ReplicationHistory {
  /** This server's replication id; a replica's is its master's. */
  readonly replid: string;
  /** Bytes of the replication stream this server holds (`master_repl_offset`). */
  readonly offset: number;
  /** A full sync from a master at `offset`: adopt its id, forget the secondary id, empty the backlog. */
  adoptMaster(replid: string, offset: number): void;
  /** `+CONTINUE <new id>`: the old id becomes the secondary one, valid up to offset + 1. */
  masterIdChanged(replid: string): void;
  /** Stream bytes applied from the master: into the backlog, the offset advances. */
  feed(bytes: Uint8Array): void;
  /** REPLICAOF NO ONE: the id becomes the secondary one (valid to offset + 1) and a new id starts. */
  promote(): void;
}

/** What the replica needs of the server around it. */
export interface ReplicaHost {
  readonly config: Config;
  readonly databases: Databases;
  readonly commands: CommandTable;
  readonly log: Logger;
  readonly history: ReplicationHistory;
  /** The port the master should list for this replica. */
  listeningPort(): number;
  /** A fresh context for the master's session (authenticated, database 0). */
  masterContext(address: string): CommandContext;
  /** Around each batch of the master's commands, as around a client's. */
  beforeBatch(): void;
  afterBatch(): void;
  /** A full sync replaced the data: the function libraries become these. */
  replaceFunctions(codes: string[]): void;
  /** A full sync replaced the data (restart the AOF from it, as Redis's restartAOFAfterSYNC). */
  afterFullSync(): void;
  /** This server started or stopped following a master ({@link Replica.following}). */
  roleChanged(): void;
}

/** The master's connection closed, or this link was stopped. */
class LinkClosed extends Error {
  constructor(message = "connection lost") {
    super(message);
    this.name = "LinkClosed";
  }
}

/** A handshake or sync step failed; logged by the attempt, which then retries. */
class LinkFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LinkFailed";
  }
}

const EMPTY: Uint8Array = new Uint8Array(0);
/** Redis's disconnectAllBlockedClients text. */
const UNBLOCKED =
  "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)";
const READ_SIZE = 64 * 1024;
const LF = 0x0a;

/** Reads the master's socket: whole lines during the handshake, then raw chunks. */
class LinkReader {
  readonly #conn: Deno.Conn;
  readonly #onRead: (count: number) => void;
  #buffered = EMPTY;

  constructor(conn: Deno.Conn, onRead: (count: number) => void) {
    this.#conn = conn;
    this.#onRead = onRead;
  }

  /** The next line without its CR LF ("" for a keepalive newline). */
  async line(): Promise<string> {
    for (;;) {
      const end = this.#buffered.indexOf(LF);
      if (end !== -1) {
        const stop = end > 0 && this.#buffered[end - 1] === 0x0d ? end - 1 : end;
        const line = new TextDecoder("utf-8").decode(this.#buffered.subarray(0, stop));
        this.#buffered = this.#buffered.subarray(end + 1);
        return line;
      }
      if (this.#buffered.length > 64 * 1024) {
        throw new LinkFailed("Reply line from MASTER too long");
      }
      this.#buffered = join(this.#buffered, await this.#read());
    }
  }

  /** What is buffered, or else the next bytes read. */
  async chunk(): Promise<Uint8Array> {
    if (this.#buffered.length > 0) {
      const buffered = this.#buffered;
      this.#buffered = EMPTY;
      return buffered;
    }
    return await this.#read();
  }

  async #read(): Promise<Uint8Array> {
    const buffer = new Uint8Array(READ_SIZE);
    let count: number | null;
    try {
      count = await this.#conn.read(buffer);
    } catch (cause) {
      throw new LinkClosed(describe(cause));
    }
    if (count === null) throw new LinkClosed();
    this.#onRead(count);
    return buffer.subarray(0, count);
  }
}

export class Replica {
  readonly #host: ReplicaHost;
  /** The master followed, or undefined when this server is a master. */
  #target: { host: string; port: number } | undefined;
  #state: LinkState = "connect";
  /** Bumped by every follow/stop, so a loop of an earlier link ends. */
  #generation = 0;
  #conn: Deno.Conn | undefined;
  /**
   * The history this replica holds (Redis's master or cached master): the
   * master's id and the offset applied, for PSYNC. Undefined when a full
   * sync must start over (nothing held, or a full sync failed half way).
   */
  #master: CachedMaster | undefined;
  /** The master's session, kept across partial resyncs (its SELECT stays). */
  #context: CommandContext | undefined;
  /** Stream bytes received past the applied offset (Redis's read_reploff − reploff). */
  #readAhead = 0;
  /** Stream bytes applied but not yet fed to the history (their MULTI is still open). */
  #unfed = EMPTY;
  /** Unix ms of the last bytes from the master. */
  #lastIo = 0;
  /** Unix ms the link went down, or 0 while it is up. */
  #downSince = 0;
  /** During a full sync: the payload's size (-1 until known, 0 for EOF-marked) and bytes read. */
  #transfer: { size: number; read: number } | undefined;
  #cron: ReturnType<typeof setInterval> | undefined;
  /** Ends the pause between attempts early (on stop). */
  #wake: (() => void) | undefined;
  /** Serializes writes to the master (ACKs from the cron and from GETACK). */
  #writing: Promise<void> = Promise.resolve();
  readonly #gate: ReplicaGate = { master: undefined, readOnly: true, refuseStale: false };

  constructor(host: ReplicaHost) {
    this.#host = host;
    host.config.onChange((name) => {
      if (name === "replica-read-only" || name === "replica-serve-stale-data") this.#updateGate();
    });
  }

  /** Whether this server follows a master. */
  get following(): boolean {
    return this.#target !== undefined;
  }

  get state(): LinkState {
    return this.#state;
  }

  /**
   * Starts following the `replicaof` setting, if set (at startup). When the
   * snapshot loaded at startup names the history it holds (`aux`: repl-id,
   * repl-offset, repl-stream-db, as a replica saves them), that history is
   * offered for a partial resync, as Redis's loadDataFromDisk does.
   */
  start(aux: ReadonlyMap<string, string>): void {
    const target = parseReplicaOf(this.#host.config.string("replicaof"));
    if (target === undefined) return;
    this.#follow(target.host, target.port, false);
    const replid = aux.get("repl-id");
    const offset = Number(aux.get("repl-offset") ?? Number.NaN);
    const db = Number(aux.get("repl-stream-db") ?? Number.NaN);
    if (replid?.length !== REPLID_LENGTH || !Number.isSafeInteger(offset) || offset < 0) return;
    if (!this.#host.databases.has(db)) return;
    this.#host.history.adoptMaster(replid, offset);
    this.#master = { replid, offset };
    this.#context = this.#host.masterContext(`${target.host}:${target.port}`);
    this.#context.session.db = db;
  }

  /**
   * What a snapshot records of the history this replica holds (Redis's
   * rdbPopulateSaveInfo), so a restart can resume it; undefined on a master
   * or before the first sync completed.
   */
  snapshotAux(): Record<string, string | number> | undefined {
    if (this.#target === undefined || this.#master === undefined) return undefined;
    const history = this.#host.history;
    return {
      "repl-stream-db": this.#context?.session.db ?? 0,
      "repl-id": history.replid,
      "repl-offset": history.offset,
    };
  }

  /**
   * REPLICAOF host port: follows that master. From a master, this server's
   * own history becomes the cached master (Redis's
   * replicationCacheMasterUsingMyself), so a partial resync is possible
   * with a replica promoted in its place. Returns false when already following it.
   */
  follow(host: string, port: number): boolean {
    return this.#follow(host, port, true);
  }

  #follow(host: string, port: number, cacheMyself: boolean): boolean {
    const target = this.#target;
    if (
      target !== undefined && target.host.toLowerCase() === host.toLowerCase() &&
      target.port === port
    ) {
      return false;
    }
    const { databases, history, log } = this.#host;
    if (target === undefined && cacheMyself) {
      log.notice(
        "Before turning into a replica, using my own master parameters to synthesize a cached " +
          "master: I may be able to synchronize with the new master with just a partial transfer.",
      );
      this.#master = { replid: history.replid, offset: history.offset };
      this.#context = undefined;
    }
    this.#stopLink();
    this.#unblockClients();
    this.#target = { host, port };
    this.#setReplicaOf(`${host} ${port}`);
    databases.shared.expiry = "hide";
    this.#host.commands.replica = this.#gate;
    this.#downSince = Math.floor(Date.now() / 1000);
    this.#state = "connect";
    this.#updateGate();
    this.#host.roleChanged();
    this.#cron = setInterval(() => this.#tick(), 1000);
    log.notice(`Connecting to MASTER ${host}:${port}`);
    void this.#run(this.#generation);
    return true;
  }

  /**
   * REPLICAOF NO ONE: stops following and becomes a master with the data it
   * holds; the master's id becomes the secondary id (valid up to offset + 1),
   * so the other replicas of the old master can continue with a partial resync.
   */
  promote(): void {
    if (this.#target === undefined) return;
    this.#stopLink();
    this.#target = undefined;
    this.#master = undefined;
    this.#context = undefined;
    this.#setReplicaOf("");
    this.#host.roleChanged();
    this.#host.history.promote();
    this.#host.databases.shared.expiry = "delete";
    this.#host.commands.replica = undefined;
    this.#gate.master = undefined;
    this.#downSince = 0;
    this.#state = "connect";
  }

  /** Stops the link for good (shutdown). */
  close(): void {
    this.#stopLink();
  }

  /** The master link's session while the link is up (CLIENT LIST shows it with flag M). */
  get masterSession(): Session | undefined {
    return this.#state === "connected" ? this.#context?.session : undefined;
  }

  /** CLIENT KILL of the master link: it drops and is reconnected, as Redis's freeClient of its master. */
  dropLink(): void {
    this.#closeConnection();
  }

  /** The master followed (ROLE's second item); only while {@link following}. */
  get masterHost(): string {
    return this.#target!.host;
  }

  get masterPort(): number {
    return this.#target!.port;
  }

  /** ROLE's state word. */
  get linkState(): string {
    return this.#state;
  }

  /** The offset applied from the master, -1 while not connected (ROLE's last item). */
  get processedOffset(): number {
    return this.#state === "connected" ? this.#master?.offset ?? -1 : -1;
  }

  /** INFO replication's replica fields, after `role:slave`, as Redis 7.0 prints them. */
  infoFields(nowMs: number): [string, string | number][] {
    const target = this.#target!;
    const config = this.#host.config;
    const now = Math.floor(nowMs / 1000);
    const offset = this.#master?.offset ?? 1;
    const linked = this.#state === "connected";
    const fields: [string, string | number][] = [
      ["master_host", target.host],
      ["master_port", target.port],
      ["master_link_status", linked ? "up" : "down"],
      ["master_last_io_seconds_ago", linked ? now - Math.floor(this.#lastIo / 1000) : -1],
      ["master_sync_in_progress", this.#state === "sync" ? 1 : 0],
      ["slave_read_repl_offset", offset + this.#readAhead],
      ["slave_repl_offset", offset],
    ];
    const transfer = this.#transfer;
    if (this.#state === "sync" && transfer !== undefined) {
      const size = Math.max(transfer.size, 0);
      fields.push(
        ["master_sync_total_bytes", transfer.size],
        ["master_sync_read_bytes", transfer.read],
        ["master_sync_left_bytes", transfer.size - transfer.read],
        ["master_sync_perc", (size === 0 ? 0 : transfer.read / size * 100).toFixed(2)],
        ["master_sync_last_io_seconds_ago", now - Math.floor(this.#lastIo / 1000)],
      );
    }
    if (!linked) {
      fields.push(["master_link_down_since_seconds", this.#downSince ? now - this.#downSince : -1]);
    }
    fields.push(
      ["slave_priority", config.number("replica-priority")],
      ["slave_read_only", config.boolean("replica-read-only") ? 1 : 0],
      ["replica_announced", config.boolean("replica-announced") ? 1 : 0],
    );
    return fields;
  }

  /**
   * Clients blocked on keys (BLPOP …) would wait for writes that now only a
   * master can make: they get Redis's -UNBLOCKED and are closed after it.
   */
  #unblockClients(): void {
    const blocking = this.#host.commands.blocking;
    if (blocking.blockedCount === 0) return;
    // The wake resumes each connection on a later turn, by when it is marked to close.
    const woken = blocking.unblockAll(error(UNBLOCKED));
    for (const session of woken) session.closeRequested = true;
  }

  /** `replicaof` as CONFIG GET and CONFIG REWRITE see it follows REPLICAOF (immutable to CONFIG SET). */
  #setReplicaOf(value: string): void {
    this.#host.config.set("replicaof", value, { startup: true });
  }

  #updateGate(): void {
    const config = this.#host.config;
    this.#gate.readOnly = config.boolean("replica-read-only");
    this.#gate.refuseStale = this.#state !== "connected" &&
      !config.boolean("replica-serve-stale-data");
  }

  #setState(state: LinkState): void {
    this.#state = state;
    this.#updateGate();
  }

  #stopLink(): void {
    this.#generation++;
    clearInterval(this.#cron);
    this.#cron = undefined;
    this.#wake?.();
    this.#closeConnection();
  }

  #closeConnection(): void {
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn === undefined) return;
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }

  /** Attempts until stopped: at once after a link that worked, else 100 ms doubling to 1 s. */
  async #run(generation: number): Promise<void> {
    let pause = 0;
    while (this.#generation === generation) {
      let linked = false;
      try {
        linked = await this.#attempt(generation);
      } catch (cause) {
        if (this.#generation !== generation) break;
        linked = this.#state === "connected";
        this.#reportFailure(cause);
      }
      if (this.#generation !== generation) break;
      this.#closeConnection();
      this.#linkLost();
      pause = linked ? 0 : Math.min(Math.max(pause * 2, 100), 1000);
      if (pause > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pause);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
      }
    }
  }

  #reportFailure(cause: unknown): void {
    const log = this.#host.log;
    const target = this.#target;
    if (cause instanceof LinkFailed || cause instanceof SyncPayloadError) {
      log.warning(cause.message);
    } else if (cause instanceof LinkClosed) {
      if (this.#state === "connected") {
        log.notice(`Connection with master lost.`);
        log.notice("Caching the disconnected master state.");
        if (target !== undefined) {
          log.notice(`Reconnecting to MASTER ${target.host}:${target.port}`);
        }
      } else if (this.#state === "sync") {
        log.warning(`I/O error trying to sync with MASTER: ${cause.message}`);
      } else {
        log.warning(`Master did not respond to command during SYNC handshake (${cause.message})`);
      }
    } else if (cause instanceof Deno.errors.ConnectionRefused || cause instanceof Error) {
      log.warning(`Error condition on socket for SYNC: ${describe(cause)}`);
    }
  }

  /** The link went down: a pending transaction and unapplied bytes are dropped, as Redis's cached master. */
  #linkLost(): void {
    const session = this.#context?.session;
    if (session !== undefined && session.queued !== undefined) session.endTransaction();
    this.#readAhead = 0;
    this.#unfed = EMPTY;
    this.#transfer = undefined;
    this.#gate.master = undefined;
    if (this.#state === "connected" || this.#downSince === 0) {
      this.#downSince = Math.floor(Date.now() / 1000);
    }
    this.#setState("connect");
  }

  /** One connection to the master; returns whether it reached the connected state. */
  async #attempt(generation: number): Promise<boolean> {
    const target = this.#target!;
    const { log } = this.#host;
    this.#setState("connecting");
    this.#lastIo = Date.now();
    log.notice("MASTER <-> REPLICA sync started");
    let conn: Deno.TcpConn;
    try {
      conn = await Deno.connect({ hostname: target.host, port: target.port });
    } catch (cause) {
      throw new LinkFailed(`Unable to connect to MASTER: ${describe(cause)}`);
    }
    if (this.#generation !== generation) {
      conn.close();
      return false;
    }
    this.#conn = conn;
    try {
      conn.setNoDelay(true);
    } catch {
      // The read loop notices a dead peer.
    }
    const reader = new LinkReader(conn, () => this.#lastIo = Date.now());
    this.#setState("handshake");
    log.notice("Non blocking connect for SYNC fired the event.");
    await this.#send(conn, [["PING"]]);
    const pong = await this.#reply(reader);
    if (!pingReplyAcceptable(pong)) {
      throw new LinkFailed(`Error reply to PING from master: '${pong}'`);
    }
    log.notice("Master replied to PING, replication can continue...");
    const config = this.#host.config;
    const commands = handshakeCommands({
      masterUser: config.string("masteruser"),
      masterAuth: config.string("masterauth"),
      listeningPort: config.number("replica-announce-port") || this.#host.listeningPort(),
      announceIp: config.string("replica-announce-ip"),
    });
    await this.#send(conn, commands);
    for (const command of commands) {
      const answer = await this.#reply(reader);
      if (!answer.startsWith("-")) continue;
      if (command[0] === "AUTH") throw new LinkFailed(`Unable to AUTH to MASTER: ${answer}`);
      log.notice(`(Non critical) Master does not understand REPLCONF ${command[1]}: ${answer}`);
    }
    const cached = this.#master;
    if (cached === undefined) {
      log.notice("Partial resynchronization not possible (no cached master)");
    } else {log.notice(
        `Trying a partial resynchronization (request ${cached.replid}:${cached.offset + 1}).`,
      );}
    await this.#send(conn, [psyncCommand(cached)]);
    const psync = parsePsyncReply(await this.#reply(reader));
    let rest = EMPTY;
    switch (psync.kind) {
      case "full":
        log.notice(`Full resync from master: ${psync.replid}:${psync.offset}`);
        rest = await this.#fullSync(reader, conn, psync.replid, psync.offset);
        break;
      case "full-malformed":
        throw new LinkFailed("Master replied with wrong +FULLRESYNC syntax.");
      case "continue":
        this.#continue(psync.replid);
        break;
      case "try-later":
        throw new LinkFailed(
          `Master is currently unable to PSYNC but should be in the future: ${psync.text}`,
        );
      case "not-supported":
        throw new LinkFailed(
          `Master does not support PSYNC or is in error state (reply: ${psync.text})`,
        );
    }
    await this.#stream(reader, conn, rest);
    return true;
  }

  /** The next non-empty reply line (empty lines are the master's keepalives). */
  async #reply(reader: LinkReader): Promise<string> {
    for (;;) {
      const line = await reader.line();
      if (line !== "") return line;
    }
  }

  #send(conn: Deno.Conn, commands: string[][]): Promise<void> {
    const parts = commands.map((argv) => encodeReply(bulkArray(argv), 2));
    const bytes = parts.length === 1 ? parts[0]! : parts.reduce(join);
    const write = this.#writing.then(() => writeAll(conn, bytes));
    this.#writing = write.catch(() => {});
    return write;
  }

  #continue(replid: string | undefined): void {
    const { log, history } = this.#host;
    const master = this.#master!;
    log.notice("Successful partial resynchronization with master.");
    if (replid !== undefined && replid !== master.replid) {
      log.warning(`Master replication ID changed to ${replid}`);
      history.masterIdChanged(replid);
      this.#master = { replid, offset: master.offset };
    }
    this.#linked();
    log.notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.");
  }

  #linked(): void {
    const target = this.#target!;
    this.#context ??= this.#host.masterContext(`${target.host}:${target.port}`);
    this.#gate.master = this.#context.session;
    this.#downSince = 0;
    this.#setState("connected");
  }

  /** Receives the RDB, replaces the data with it and adopts the master's history. */
  async #fullSync(
    reader: LinkReader,
    conn: Deno.Conn,
    replid: string,
    offset: number,
  ): Promise<Uint8Array> {
    const { log } = this.#host;
    this.#setState("sync");
    const transfer = this.#transfer = { size: -1, read: 0 };
    const payload = new SyncPayloadReader();
    let sink: SyncSink | undefined;
    let rest = EMPTY;
    try {
      for (;;) {
        const step = payload.push(await reader.chunk());
        const framing = payload.framing;
        if (sink === undefined && framing !== undefined) {
          const toParser = this.#loadsFromSocket();
          transfer.size = framing.kind === "length" ? framing.length : 0;
          log.notice(
            framing.kind === "length"
              ? `MASTER <-> REPLICA sync: receiving ${framing.length} bytes from master ${
                toParser ? "to parser" : "to disk"
              }`
              : `MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF ${
                toParser ? "to parser" : "to disk"
              }`,
          );
          const load = { ...this.#host, failed: (text: string) => new LinkFailed(text) };
          sink = toParser ? parserSink(load) : diskSink(load);
        }
        for (const part of step.rdb) sink!.write(part);
        transfer.read = payload.bytesRead;
        if (step.finished) {
          rest = step.rest;
          break;
        }
      }
      this.#master = undefined;
      this.#context = undefined;
      sink!.finish();
    } catch (cause) {
      sink?.abort();
      throw cause;
    }
    this.#master = { replid, offset };
    this.#host.history.adoptMaster(replid, offset);
    this.#transfer = undefined;
    this.#linked();
    log.notice("MASTER <-> REPLICA sync: Finished with success");
    // A diskless master starts the stream only once the replica acknowledges the payload.
    if (payload.framing?.kind === "eof") void this.#sendAck(conn).catch(() => {});
    this.#host.afterFullSync();
    return rest;
  }

  /** repl-diskless-load: swapdb parses from the socket; on-empty-db only when nothing is held. */
  #loadsFromSocket(): boolean {
    const mode = this.#host.config.string("repl-diskless-load");
    return mode === "swapdb" || (mode === "on-empty-db" && this.#host.databases.size === 0);
  }

  /** Applies the master's command stream until the link ends. */
  async #stream(reader: LinkReader, conn: Deno.Conn, start: Uint8Array): Promise<void> {
    const decoder = new RespDecoder({
      maxBulkLength: this.#host.config.number("proto-max-bulk-len"),
    });
    let input = start;
    this.#readAhead = start.length;
    let waiting: Uint8Array[] = [];
    let waitingBytes = 0;
    for (;;) {
      if (input.length > 0 && input.length >= decoder.bytesNeeded) {
        const { requests, consumed, error } = decoder.decode(input, 0, input.length);
        if (requests.length > 0) this.#apply(requests, input.subarray(0, consumed), conn);
        if (error !== undefined) throw new LinkFailed(`Protocol error from MASTER: ${error}`);
        input = input.subarray(consumed);
      }
      const chunk = await reader.chunk();
      this.#readAhead += chunk.length;
      waiting.push(chunk);
      waitingBytes += chunk.length;
      if (input.length + waitingBytes < decoder.bytesNeeded) continue;
      input = [input, ...waiting].reduce(join);
      waiting = [];
      waitingBytes = 0;
    }
  }

  /** Runs one batch of the master's commands; `raw` is their bytes. */
  #apply(requests: string[][], raw: Uint8Array, conn: Deno.Conn): void {
    const host = this.#host;
    const context = this.#context!;
    const session = context.session;
    const shared = host.databases.shared;
    const master = this.#master!;
    let position = master.offset + this.#unfed.length;
    let applied = master.offset;
    host.beforeBatch();
    for (const argv of requests) {
      position += encodedCommandLength(argv);
      if (isGetAck(argv)) {
        // The acknowledged offset excludes the GETACK itself, as Redis's replconfCommand.
        this.#master = { replid: master.replid, offset: applied };
        void this.#sendAck(conn).catch(() => {});
      } else {
        shared.now = Date.now();
        shared.expiry = "keep";
        const reply = host.commands.execute(context, argv);
        shared.expiry = "hide";
        if (reply.kind === "error") {
          host.log.warning(
            `== CRITICAL == This replica is sending an error to its master: '${reply.message}' ` +
              `after processing the command '${argv[0]}'`,
          );
        }
      }
      if (session.queued === undefined) applied = position;
    }
    host.afterBatch();
    // A master encoding otherwise than canonically would drift: the batch's bytes are exact.
    const end = master.offset + this.#unfed.length + raw.length;
    if (session.queued === undefined) applied = end;
    const held = join(this.#unfed, raw);
    const newly = applied - master.offset;
    if (newly > 0) host.history.feed(held.subarray(0, newly));
    this.#unfed = held.slice(newly);
    this.#readAhead -= newly;
    this.#master = { replid: master.replid, offset: applied };
  }

  #sendAck(conn: Deno.Conn): Promise<void> {
    return this.#send(conn, [["REPLCONF", "ACK", String(this.#master?.offset ?? 0)]]);
  }

  /** Once a second: the ACK, and the repl-timeout watchdog. */
  #tick(): void {
    const conn = this.#conn;
    if (conn === undefined) return;
    if (this.#state === "connected") void this.#sendAck(conn).catch(() => {});
    const timeout = this.#host.config.number("repl-timeout") * 1000;
    if (Date.now() - this.#lastIo <= timeout) return;
    const log = this.#host.log;
    if (this.#state === "connected") {
      log.warning("MASTER timeout: no data nor PING received...");
    } else if (this.#state === "sync") {
      log.warning(
        "Timeout receiving bulk data from MASTER... If the problem persists try to set the " +
          "'repl-timeout' parameter in redis.conf to a larger value.",
      );
    } else {
      log.warning("Timeout connecting to the MASTER...");
    }
    this.#closeConnection();
  }
}

function isGetAck(argv: readonly string[]): boolean {
  return argv.length >= 2 && argv[0]!.toLowerCase() === "replconf" &&
    argv[1]!.toLowerCase() === "getack";
}

function join(first: Uint8Array, second: Uint8Array): Uint8Array {
  if (first.length === 0) return second;
  if (second.length === 0) return first;
  const joined = new Uint8Array(first.length + second.length);
  joined.set(first);
  joined.set(second, first.length);
  return joined;
}

function describe(cause: unknown): string {
  if (cause instanceof LoadError || cause instanceof RdbError) return cause.message;
  return cause instanceof Error ? cause.message : String(cause);
}
