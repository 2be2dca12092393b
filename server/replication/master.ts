/**
 * Replication, a master's side, as Redis 7.0's replication.c: replicas
 * attach with SYNC or PSYNC, get a full resync (an RDB, then every change
 * since its cut) or a partial one (`+CONTINUE` and the backlog from their
 * offset), then the command stream; they report their offset with
 * REPLCONF ACK, which WAIT and `min-replicas-to-write` count.
 *
 * Decisions that shape the module:
 * - The stream is the change stream's (lib/change_stream.ts), the same
 *   commands the AOF records, plus this module's own PING and REPLCONF
 *   GETACK. It is encoded into one buffer and fed to the backlog and the
 *   replicas once per batch of requests (and on a microtask for changes
 *   outside a batch, such as the expiry sweep): one copy per batch, not
 *   per command. Whatever reads an offset flushes first.
 * - A full resync is a snapshot whose cut is the offset sent in
 *   `+FULLRESYNC`; what is fed after the cut waits in the replica's pending
 *   buffer (bounded by `client-output-buffer-limit replica`) until the RDB
 *   has been sent. Disk-based, it is a BGSAVE (persistence's own, so it
 *   counts as one) sent as `$<length>\r\n<bytes>` in chunks, each awaited,
 *   so a slow replica slows only its own transfer; a replica that arrives
 *   while it runs joins it with a copy of the pending buffer, as Redis's
 *   copyReplicaOutputBuffer. Diskless (`repl-diskless-sync yes`, replicas
 *   with capa eof, after `repl-diskless-sync-delay`), the snapshot's chunks
 *   go straight to the sockets between `$EOF:<marker>` and the marker, and
 *   the stream starts at the replica's first ACK, as in Redis 7.0. Only one
 *   snapshot runs at a time: replicas arriving during another wait for the next.
 *
 * @module
 */
import type { ChangeSink, ChangeStream } from "../../lib/change_stream.ts";
import type { CommandContext } from "../../lib/commands/types.ts";
import type { CommandTable } from "../../lib/commands/table.ts";
import { type OutputLimit, outputLimitReached } from "../../lib/client_output_limits.ts";
import type { Config } from "../../lib/config.ts";
import { NOT_INTEGER, SYNTAX } from "../../lib/errors.ts";
import { parseInteger } from "../../lib/numbers.ts";
import { AofEncoder } from "../../lib/persistence/aof_encoder.ts";
import { error, integer, NIL, OK, type Reply } from "../../lib/reply.ts";
import type { ReplicationControl } from "../../lib/replication/control.ts";
import type {
  AttachedReplica,
  AttachedReplicaState,
  ReplicaOfView,
  ReplicationView,
} from "../../lib/replication/report.ts";
import { randomReplid, ReplicationState } from "../../lib/replication/state.ts";
import type { Session } from "../../lib/session.ts";
import type { Connection } from "../connection.ts";
import type { Logger } from "../log.ts";
import type { SnapshotStream } from "../snapshot.ts";

/** What the master needs of the server around it. */
export interface MasterHost {
  readonly config: Config;
  readonly log: Logger;
  readonly stream: ChangeStream;
  readonly commands: CommandTable;
  /** The connection serving `session`, if it is still open. */
  connectionOf(session: Session): Connection | undefined;
  /** Starts a BGSAVE for replicas (server/persistence.ts bgsaveForReplication). */
  bgsaveForReplication(atCut: () => void): Promise<string> | undefined;
  /** Streams a snapshot to replicas, diskless (server/persistence.ts snapshotToReplicas). */
  snapshotToReplicas(stream: SnapshotStream, atCut: () => void): Promise<unknown> | undefined;
  /** `client-output-buffer-limit replica`. */
  replicaOutputLimit(): OutputLimit;
}

/** Redis's `-NOREPLICAS` text, refused to writes while too few replicas are good. */
export const NO_REPLICAS = "NOREPLICAS Not enough good replicas to write.";

/** Bytes of the RDB file read and sent at a time. */
const RDB_CHUNK_BYTES = 1024 * 1024;

const encoder = new TextEncoder();

/** One attached replica: its connection, its sync state and what it acknowledged. */
class ReplicaLink implements AttachedReplica {
  readonly session: Session;
  readonly connection: Connection;
  /** REPLCONF ip-address, else the peer's address. */
  ip: string;
  port = 0;
  state: AttachedReplicaState = "wait_bgsave";
  ackOffset = 0;
  ackTime = Date.now();
  /** REPLCONF capa psync2: `+CONTINUE` carries the replication ID. */
  psync2 = false;
  /** Attached with SYNC (redis-cli --rdb, old replicas): no `+FULLRESYNC`, no ACKs expected. */
  prePsync = false;
  /** REPLCONF rdb-only 1: wants the RDB and nothing after it (redis-cli --rdb). */
  rdbOnly = false;
  /** REPLCONF capa eof: takes an RDB of unknown length ended by a marker (diskless). */
  capaEof = false;
  /** Unix ms it began waiting for a full sync, for `repl-diskless-sync-delay`. */
  readonly waitingSince = Date.now();
  /** Sent a diskless RDB: its stream starts at its first ACK, once it has loaded the file. */
  startOnAck = false;
  /** The stream fed since its snapshot's cut, while the RDB is not yet sent. */
  pending: Uint8Array[] | undefined;
  pendingBytes = 0;
  /** Its snapshot's cut happened (`+FULLRESYNC` sent): it waits for the file, not for a BGSAVE. */
  cutDone = false;
  readonly softLimit: { softSince: number | undefined } = { softSince: undefined };

  constructor(session: Session, connection: Connection, options: ReplicaOptions | undefined) {
    this.session = session;
    this.connection = connection;
    this.ip = options?.ip ?? session.address.slice(0, session.address.lastIndexOf(":"));
    this.port = options?.port ?? 0;
    this.psync2 = options?.psync2 ?? false;
    this.rdbOnly = options?.rdbOnly ?? false;
    this.capaEof = options?.capaEof ?? false;
  }

  /** Redis's replicationGetSlaveName. */
  get name(): string {
    return this.port !== 0 ? `${this.ip}:${this.port}` : `${this.ip}:<unknown-replica-port>`;
  }
}

/** What REPLCONF told about a connection before it became a replica. */
interface ReplicaOptions {
  ip?: string;
  port?: number;
  psync2?: boolean;
  rdbOnly?: boolean;
  capaEof?: boolean;
}

/** A client blocked in WAIT. */
interface WaitRequest {
  readonly session: Session;
  /** Its last write's offset: a replica that acknowledged this much has it. */
  readonly offset: number;
  readonly replicas: number;
}

export class ReplicationMaster implements ReplicationControl {
  readonly state: ReplicationState;
  /** Set by the replica side while this server replicates from a master. */
  replicaOf: ReplicaOfView | undefined;
  /** INFO stats: full resyncs served, partial resyncs accepted and refused. */
  syncFull = 0;
  syncPartialOk = 0;
  syncPartialErr = 0;
  readonly #host: MasterHost;
  readonly #links: ReplicaLink[] = [];
  /** REPLCONF options of connections that have not attached yet. */
  readonly #options = new WeakMap<Session, ReplicaOptions>();
  /** Each session's last write: the offset the stream had just after it (Redis's `c->woff`). */
  readonly #writeOffsets = new WeakMap<Session, number>();
  readonly #waiting = new Set<WaitRequest>();
  /** The stream since the last flush, not yet in the backlog. */
  readonly #encoder = new AofEncoder();
  /** The database the stream's last SELECT named (Redis's `server.slaveseldb`). */
  #selectedDb = -1;
  #flushScheduled = false;
  /** A WAIT asked for acknowledgements: REPLCONF GETACK goes out with the next flush. */
  #ackRequested = false;
  /** Unix ms since when no replica is attached, for `repl-backlog-ttl`. */
  #noReplicasSince = Date.now();
  #cronTicks = 0;
  #cron: ReturnType<typeof setInterval> | undefined;
  readonly #sink: ChangeSink = {
    append: (argv, db, writer) => this.#append(argv, db, writer),
  };

  constructor(host: MasterHost) {
    this.#host = host;
    this.state = new ReplicationState({ backlogSize: host.config.number("repl-backlog-size") });
    host.config.onChange((name, value) => {
      if (name === "repl-backlog-size") {
        this.#flush();
        this.state.backlogSize = value as number;
      }
      if (name.startsWith("min-replicas") || name.startsWith("min-slaves")) {
        this.#refreshGoodReplicas();
      }
    });
  }

  /** Starts the once-a-second replication cron (Redis's replicationCron). */
  start(): void {
    this.#cron ??= setInterval(() => this.#tick(), 1000);
  }

  stop(): void {
    clearInterval(this.#cron);
    this.#cron = undefined;
  }

  get replicas(): readonly AttachedReplica[] {
    return this.#links;
  }

  view(): ReplicationView {
    this.#flush();
    return {
      state: this.state,
      replicas: this.#links,
      replicaOf: this.replicaOf,
      goodReplicas: this.#minReplicasSet() ? this.#goodReplicas() : undefined,
    };
  }

  /** The connection's afterBatch: the batch's stream goes to the backlog and replicas. */
  afterBatch(): void {
    this.#flush();
  }

  // --- Following a master (server/replica.ts) ---

  /**
   * A full sync from a master replaced this server's history: its id and
   * offset, no secondary id, a fresh backlog; replicas attached here must
   * sync again (Redis's replicationAttachToNewMaster and readSyncBulkPayload).
   */
  adoptMaster(replid: string, offset: number): void {
    this.#disconnectReplicas();
    this.state.replid = replid;
    this.state.masterReplOffset = offset;
    this.state.clearReplicationId2();
    this.state.freeBacklog();
    this.#createBacklog();
  }

  /**
   * `+CONTINUE <new id>`: the old id stays valid as the secondary one up to
   * the offset + 1, so this server's own replicas can continue too; they
   * are disconnected to learn the new id.
   */
  masterIdChanged(replid: string): void {
    this.state.replid2 = this.state.replid;
    this.state.secondReplOffset = this.state.masterReplOffset + 1;
    this.state.replid = replid;
    this.#disconnectReplicas();
  }

  /**
   * The master's stream, as applied: into the backlog and on to this
   * server's replicas byte for byte, so every offset stays the master's
   * (Redis's replicationFeedStreamFromMasterStream).
   */
  feedFromMaster(bytes: Uint8Array): void {
    if (this.state.backlog === undefined) this.#createBacklog();
    this.state.feed(bytes);
    for (const link of this.#links) {
      if (link.pending !== undefined) this.#hold(link, bytes);
      else if (link.state === "online" && !link.rdbOnly) link.connection.pushBytes(bytes);
    }
  }

  /**
   * REPLICAOF NO ONE (Redis's replicationUnsetMaster): a new id starts, the
   * old one continuable up to here; replicas reconnect to learn it and the
   * stream names its database again before the next command.
   */
  promoted(): void {
    this.state.shiftReplicationId();
    this.#disconnectReplicas();
    this.#selectedDb = -1;
    this.#noReplicasSince = Date.now();
  }

  #disconnectReplicas(): void {
    for (const link of [...this.#links]) link.connection.close();
  }

  // --- Commands ---

  attachReplica(
    session: Session,
    psync: { readonly replid: string; readonly offset: number } | undefined,
  ): Reply {
    const replicaOf = this.replicaOf;
    if (replicaOf !== undefined && replicaOf.linkState !== "connected") {
      return error("NOMASTERLINK Can't SYNC while not connected with my master");
    }
    const connection = this.#host.connectionOf(session);
    if (connection === undefined) return error("ERR SYNC is only possible over a connection");
    const log = this.#host.log;
    this.#flush();
    const link = new ReplicaLink(session, connection, this.#options.get(session));
    log.notice(`Replica ${link.name} asks for synchronization`);
    session.replica = true;
    // A replica's commands (REPLCONF ACK) get no replies; what it is sent is the stream.
    session.repliesOff = true;
    if (psync !== undefined) {
      const decision = this.state.decidePsync(psync.replid, psync.offset);
      if (decision.kind === "continue") {
        this.#continue(link, decision.offset);
        return OK;
      }
      if (decision.reason !== undefined) {
        this.syncPartialErr++;
        log.notice(
          decision.reason.startsWith("lack of backlog")
            ? `Unable to partial resync with replica ${link.name} for ${decision.reason}.`
            : `Partial resynchronization not accepted: ${decision.reason}`,
        );
      } else {
        log.notice(`Full resync requested by replica ${link.name}`);
      }
    } else {
      link.prePsync = true;
    }
    this.syncFull++;
    this.#attach(link);
    if (this.#links.length === 1 && this.state.backlog === undefined) {
      // A backlog made from scratch starts a new history: nothing before it can be continued.
      this.state.changeReplicationId();
      this.state.clearReplicationId2();
      this.#createBacklog();
      log.notice(
        `Replication backlog created, my new replication IDs are '${this.state.replid}' ` +
          `and '${this.state.replid2}'`,
      );
    }
    this.#startFullSync(link);
    return OK;
  }

  replconf(session: Session, argv: readonly string[]): Reply {
    if (argv.length % 2 === 0) return error(SYNTAX);
    const link = this.#links.find((candidate) => candidate.session === session);
    const options = link ?? this.#optionsOf(session);
    for (let index = 1; index < argv.length; index += 2) {
      const option = argv[index]!.toLowerCase();
      const value = argv[index + 1]!;
      switch (option) {
        case "listening-port": {
          const port = parseInteger(value);
          if (port === undefined) return error(NOT_INTEGER);
          options.port = Number(port);
          break;
        }
        case "ip-address":
          if (value.length >= 256) {
            return error(
              `ERR REPLCONF ip-address provided by replica instance is too long: ` +
                `${value.length} bytes`,
            );
          }
          options.ip = value;
          break;
        case "capa":
          // Capabilities this master does not know are ignored, as in Redis.
          if (value.toLowerCase() === "psync2") options.psync2 = true;
          if (value.toLowerCase() === "eof") options.capaEof = true;
          break;
        case "ack": {
          // Only a replica acknowledges, and an ACK is never answered.
          const offset = parseInteger(value);
          if (link !== undefined && offset !== undefined) this.#acknowledged(link, Number(offset));
          return NIL;
        }
        case "getack":
          // Sent by a master to its replicas: the replica side answers it.
          return NIL;
        case "rdb-only": {
          const only = parseInteger(value);
          if (only !== 0 && only !== 1) return error(NOT_INTEGER);
          options.rdbOnly = only === 1;
          break;
        }
        default:
          return error(`ERR Unrecognized REPLCONF option: ${argv[index]}`);
      }
    }
    return OK;
  }

  wait(context: CommandContext, numReplicas: number, timeoutMs: number): Reply {
    const session = context.session;
    if (this.replicaOf !== undefined) {
      return error(
        "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 " +
          "if a replica is configured to be writable (which is not the default) writes to " +
          "replicas are just local and are not propagated.",
      );
    }
    const offset = this.#writeOffsets.get(session) ?? 0;
    const acknowledged = this.#countAcks(offset);
    if (acknowledged >= numReplicas) return integer(acknowledged);
    const request: WaitRequest = { session, offset, replicas: numReplicas };
    this.#waiting.add(request);
    context.commands.blocking.block({
      session,
      keyspace: context.keyspace,
      keys: [],
      deadline: timeoutMs === 0 ? 0 : context.keyspace.now + timeoutMs,
      serve: () => undefined,
      timedOut: () => {
        this.#waiting.delete(request);
        return integer(this.#countAcks(offset));
      },
    });
    this.#requestAcks();
    return NIL;
  }

  /** The connection of `session` closed: a replica link is dropped. */
  detach(session: Session): void {
    for (const request of this.#waiting) {
      if (request.session === session) this.#waiting.delete(request);
    }
    const index = this.#links.findIndex((link) => link.session === session);
    if (index === -1) return;
    const [link] = this.#links.splice(index, 1);
    this.#host.log.notice(`Connection with replica ${link!.name} lost.`);
    if (this.#links.length === 0) this.#noReplicasSince = Date.now();
    this.#refreshGoodReplicas();
  }

  // --- The stream ---

  #append(argv: readonly string[], db: number | undefined, writer: Session | undefined): void {
    // A replica's replicas get its master's stream as it came (feedFromMaster), not its own.
    if (this.replicaOf !== undefined) return;
    const encoder = this.#encoder;
    if (db !== undefined && db !== this.#selectedDb) {
      encoder.append(["SELECT", String(db)]);
      this.#selectedDb = db;
    }
    encoder.append(argv);
    if (writer !== undefined) {
      this.#writeOffsets.set(writer, this.state.masterReplOffset + encoder.length);
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // Changes outside a batch (the expiry sweep) have no afterBatch to flush them.
      queueMicrotask(() => this.#flush());
    }
  }

  /** Feeds what was appended since the last flush to the backlog and the replicas. */
  #flush(): void {
    this.#flushScheduled = false;
    if (this.#ackRequested) {
      this.#ackRequested = false;
      if (this.#links.length !== 0) this.#append(["REPLCONF", "GETACK", "*"], undefined, undefined);
    }
    if (this.#encoder.length === 0) return;
    const bytes = this.#encoder.take();
    this.state.feed(bytes);
    for (const link of this.#links) {
      if (link.pending !== undefined) this.#hold(link, bytes);
      else if (link.state === "online" && !link.rdbOnly) link.connection.pushBytes(bytes);
    }
  }

  /** Keeps stream bytes for a replica whose RDB is not sent yet, within its output limit. */
  #hold(link: ReplicaLink, bytes: Uint8Array): void {
    link.pending!.push(bytes);
    link.pendingBytes += bytes.length;
    const limit = this.#host.replicaOutputLimit();
    if (!outputLimitReached(limit, link.pendingBytes, Date.now, link.softLimit)) return;
    this.#host.log.warning(
      `Client id=${link.session.id} addr=${link.session.address} (replica ${link.name}) closed ` +
        `for overcoming of output buffer limits (${link.pendingBytes} bytes pending during sync).`,
    );
    link.pending = undefined;
    link.connection.close();
  }

  #createBacklog(): void {
    this.state.createBacklog();
    this.#host.stream.addSink(this.#sink);
    this.start();
  }

  #attach(link: ReplicaLink): void {
    this.#links.push(link);
    this.#options.delete(link.session);
  }

  /** `+CONTINUE` and the backlog from `offset`: the replica is online at once. */
  #continue(link: ReplicaLink, offset: number): void {
    link.state = "online";
    link.ackTime = Date.now();
    this.#attach(link);
    const backlog = this.state.backlogFrom(offset);
    link.connection.pushBytes(
      encoder.encode(link.psync2 ? `+CONTINUE ${this.state.replid}\r\n` : "+CONTINUE\r\n"),
    );
    link.connection.pushBytes(backlog);
    this.syncPartialOk++;
    this.#host.log.notice(
      `Partial resynchronization request from ${link.name} accepted. Sending ${backlog.length} ` +
        `bytes of backlog starting from offset ${offset}.`,
    );
    this.#refreshGoodReplicas();
  }

  /**
   * Joins a BGSAVE for replicas already running (copying a fellow replica's
   * pending stream), or starts one, or leaves the replica waiting for the
   * cron to start one once the running snapshot ends.
   */
  #startFullSync(link: ReplicaLink): void {
    const fellow = this.#links.find((other) =>
      other !== link && other.state === "wait_bgsave" && other.cutDone &&
      other.pending !== undefined
    );
    if (fellow !== undefined && this.#syncing !== undefined && !this.#syncing.diskless) {
      link.pending = link.rdbOnly ? [] : [...fellow.pending!];
      link.pendingBytes = link.rdbOnly ? 0 : fellow.pendingBytes;
      link.cutDone = true;
      this.#sendFullResync(link, this.#syncing.offset);
      this.#syncing.links.push(link);
      this.#host.log.notice("Waiting for end of BGSAVE for SYNC");
      return;
    }
    if (this.#disklessFor([link]) && this.#host.config.number("repl-diskless-sync-delay") > 0) {
      // Started by the cron once the delay has passed, so that more replicas can share it.
      this.#host.log.notice("Delay next BGSAVE for diskless SYNC");
      return;
    }
    if (!this.#startBgsave()) {
      this.#host.log.notice(
        "Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for SYNC",
      );
    }
  }

  /** Redis's choice of target: diskless when enabled and every one of `links` takes it. */
  #disklessFor(links: readonly ReplicaLink[]): boolean {
    return this.#host.config.boolean("repl-diskless-sync") && links.every((link) => link.capaEof);
  }

  /**
   * The snapshot for replicas in progress: its cut's offset and who waits
   * for its file (a disk-based one, which later replicas may join).
   */
  #syncing: { offset: number; links: ReplicaLink[]; diskless: boolean } | undefined;

  /** Starts a BGSAVE for every replica waiting for one; false when a snapshot is running. */
  #startBgsave(): boolean {
    if (this.#syncing !== undefined) return false;
    const waiting = this.#links.filter((link) => link.state === "wait_bgsave" && !link.cutDone);
    if (waiting.length === 0) return true;
    if (this.#disklessFor(waiting)) return this.#startDiskless(waiting);
    const syncing = { offset: 0, links: waiting, diskless: false };
    const started = this.#host.bgsaveForReplication(() => {
      this.#flush();
      // The new replicas' stream must name its database before its first command.
      this.#selectedDb = -1;
      syncing.offset = this.state.masterReplOffset;
      for (const link of waiting) {
        link.cutDone = true;
        link.pending = [];
        link.pendingBytes = 0;
        this.#sendFullResync(link, syncing.offset);
      }
    });
    if (started === undefined) return false;
    this.#syncing = syncing;
    this.#host.log.notice("Starting BGSAVE for SYNC with target: disk");
    started.then(
      (path) => {
        this.#syncing = undefined;
        void this.#sendRdb(path, syncing.links);
      },
      (cause) => {
        this.#syncing = undefined;
        this.#host.log.warning(
          `SYNC failed. BGSAVE child returned an error: ${
            cause instanceof Error ? cause.message : String(cause)
          }`,
        );
        for (const link of syncing.links) link.connection.close();
      },
    );
    return true;
  }

  /**
   * A diskless full sync of `links` (Redis's rdbSaveToSlavesSockets): the
   * snapshot is streamed to all of them as `$EOF:<marker>\r\n`, the RDB, and
   * the marker; each chunk waits for the slowest of them.
   */
  #startDiskless(links: ReplicaLink[]): boolean {
    const syncing = { offset: 0, links, diskless: true };
    const marker = randomReplid();
    let live = links;
    const stream: SnapshotStream = async (bytes) => {
      const results = await Promise.allSettled(
        live.map((link) => link.connection.sendBytes(bytes)),
      );
      live = live.filter((link, index) =>
        results[index]!.status === "fulfilled" && this.#links.includes(link)
      );
      if (live.length === 0) throw new Error("every replica of the diskless sync is gone");
    };
    const started = this.#host.snapshotToReplicas(stream, () => {
      this.#flush();
      this.#selectedDb = -1;
      syncing.offset = this.state.masterReplOffset;
      for (const link of links) {
        link.cutDone = true;
        link.pending = [];
        link.pendingBytes = 0;
        link.state = "send_bulk";
        this.#sendFullResync(link, syncing.offset);
        link.connection.pushBytes(encoder.encode(`$EOF:${marker}\r\n`));
      }
    });
    if (started === undefined) return false;
    this.#syncing = syncing;
    this.#host.log.notice(`Starting BGSAVE for SYNC with target: replicas sockets`);
    started.then(
      () => {
        this.#syncing = undefined;
        for (const link of live) {
          const sent = link.connection.sendBytes(encoder.encode(marker));
          if (link.rdbOnly) {
            // Closed once the marker has left, not before.
            sent.then(() => this.#putOnline(link), () => {});
            continue;
          }
          link.state = "online";
          link.startOnAck = true;
          this.#host.log.notice(
            `Streamed RDB transfer with replica ${link.name} succeeded (socket). ` +
              "Waiting for REPLCONF ACK from slave to enable streaming",
          );
        }
      },
      (cause) => {
        this.#syncing = undefined;
        this.#host.log.warning(
          `Diskless sync failed: ${cause instanceof Error ? cause.message : String(cause)}`,
        );
        for (const link of links) link.connection.close();
      },
    );
    return true;
  }

  #sendFullResync(link: ReplicaLink, offset: number): void {
    if (link.prePsync) return;
    link.connection.pushBytes(encoder.encode(`+FULLRESYNC ${this.state.replid} ${offset}\r\n`));
  }

  /** Sends the RDB at `path` to `links`, then their pending stream; they are online after. */
  async #sendRdb(path: string, links: ReplicaLink[]): Promise<void> {
    const log = this.#host.log;
    let file: Deno.FsFile;
    try {
      // Opened at once: the next BGSAVE may rename a new file over the path meanwhile.
      file = await Deno.open(path, { read: true });
    } catch (cause) {
      log.warning(`SYNC failed. Can't open the RDB file ${path}: ${cause}`);
      for (const link of links) link.connection.close();
      return;
    }
    let live = links.filter((link) => this.#links.includes(link));
    try {
      const size = (await file.stat()).size;
      for (const link of live) {
        link.state = "send_bulk";
        void link.connection.sendBytes(encoder.encode(`$${size}\r\n`)).catch(() => {});
      }
      const chunk = new Uint8Array(RDB_CHUNK_BYTES);
      let sent = 0;
      while (sent < size && live.length !== 0) {
        const count = await file.read(chunk);
        if (count === null) break;
        const bytes = chunk.slice(0, count);
        sent += count;
        const results = await Promise.allSettled(
          live.map((link) => link.connection.sendBytes(bytes)),
        );
        live = live.filter((link, index) =>
          results[index]!.status === "fulfilled" && this.#links.includes(link)
        );
      }
      if (sent < size) {
        for (const link of live) link.connection.close();
        return;
      }
    } finally {
      file.close();
    }
    for (const link of live) this.#putOnline(link);
  }

  /** Redis's replicaPutOnline and replicaStartCommandStream. */
  #putOnline(link: ReplicaLink): void {
    const pending = link.pending ?? [];
    link.pending = undefined;
    link.pendingBytes = 0;
    if (link.rdbOnly) {
      this.#host.log.notice(
        `RDB transfer completed, rdb only replica (${link.name}) should be disconnected asap`,
      );
      link.connection.closeWhenIdle();
      return;
    }
    link.state = "online";
    link.ackTime = Date.now();
    for (const bytes of pending) link.connection.pushBytes(bytes);
    this.#host.log.notice(`Synchronization with replica ${link.name} succeeded`);
    this.#refreshGoodReplicas();
  }

  /** A diskless replica acknowledged after loading: its pending stream goes out now. */
  #startStream(link: ReplicaLink): void {
    link.startOnAck = false;
    link.pending ??= [];
    this.#putOnline(link);
  }

  // --- Acknowledgements ---

  #optionsOf(session: Session): ReplicaOptions {
    let options = this.#options.get(session);
    if (options === undefined) {
      options = {};
      this.#options.set(session, options);
    }
    return options;
  }

  #acknowledged(link: ReplicaLink, offset: number): void {
    if (offset > link.ackOffset) link.ackOffset = offset;
    link.ackTime = Date.now();
    if (link.startOnAck) this.#startStream(link);
    if (this.#waiting.size === 0) return;
    const blocking = this.#host.commands.blocking;
    for (const request of this.#waiting) {
      const count = this.#countAcks(request.offset);
      if (count < request.replicas) continue;
      this.#waiting.delete(request);
      blocking.unblock(request.session, integer(count));
    }
  }

  /** Redis's replicationCountAcksByOffset: online replicas that acknowledged `offset`. */
  #countAcks(offset: number): number {
    let count = 0;
    for (const link of this.#links) {
      if (link.state === "online" && link.ackOffset >= offset) count++;
    }
    return count;
  }

  /** REPLCONF GETACK to every replica, with the batch's stream (Redis sends it in beforeSleep). */
  #requestAcks(): void {
    this.#ackRequested = true;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      queueMicrotask(() => this.#flush());
    }
  }

  // --- min-replicas-to-write ---

  #minReplicasSet(): boolean {
    const config = this.#host.config;
    return config.number("min-replicas-to-write") > 0 && config.number("min-replicas-max-lag") > 0;
  }

  /** Online replicas whose last ACK is at most `min-replicas-max-lag` seconds old. */
  #goodReplicas(): number {
    const maxLag = this.#host.config.number("min-replicas-max-lag");
    const now = Date.now();
    let good = 0;
    for (const link of this.#links) {
      const lag = Math.floor((now - link.ackTime) / 1000);
      if (link.state === "online" && lag <= maxLag) good++;
    }
    return good;
  }

  /** Redis's refreshGoodSlavesCount, deciding whether writes get `-NOREPLICAS`. */
  #refreshGoodReplicas(): void {
    const refuse = this.replicaOf === undefined && this.#minReplicasSet() &&
      this.#goodReplicas() < this.#host.config.number("min-replicas-to-write");
    this.#host.commands.replicasMissing = refuse ? NO_REPLICAS : undefined;
  }

  /**
   * Whether the full sync `waiting` want may start: at once on disk; diskless
   * once the longest waiter waited `repl-diskless-sync-delay` seconds or
   * `repl-diskless-sync-max-replicas` are waiting.
   */
  #syncDue(waiting: readonly ReplicaLink[], now: number): boolean {
    if (!this.#disklessFor(waiting)) return true;
    const config = this.#host.config;
    const most = config.number("repl-diskless-sync-max-replicas");
    if (most > 0 && waiting.length >= most) return true;
    const longest = Math.min(...waiting.map((link) => link.waitingSince));
    return now - longest >= config.number("repl-diskless-sync-delay") * 1000;
  }

  // --- Cron ---

  #tick(): void {
    const config = this.#host.config;
    const log = this.#host.log;
    const now = Date.now();
    this.#cronTicks++;
    if (
      this.#links.length !== 0 && this.replicaOf === undefined &&
      this.#cronTicks % config.number("repl-ping-replica-period") === 0
    ) {
      // Into the stream (and the backlog) without a SELECT: a PING belongs to no database.
      this.#append(["PING"], undefined, undefined);
      this.#flush();
    }
    for (const link of this.#links) {
      // A newline keeps a replica waiting for its RDB from timing out, as Redis sends one.
      if (link.state === "wait_bgsave") link.connection.pushBytes(encoder.encode("\n"));
    }
    const timeout = config.number("repl-timeout") * 1000;
    for (const link of [...this.#links]) {
      if (link.state !== "online" || link.prePsync || now - link.ackTime <= timeout) continue;
      log.warning(`Disconnecting timedout replica (streaming sync): ${link.name}`);
      link.connection.close();
    }
    const ttl = config.number("repl-backlog-ttl");
    if (
      this.#links.length === 0 && this.state.backlog !== undefined &&
      this.replicaOf === undefined &&
      ttl > 0 && now - this.#noReplicasSince > ttl * 1000
    ) {
      this.#flush();
      this.#host.stream.removeSink(this.#sink);
      this.state.freeBacklog();
      // Nothing can be continued any more: a later replica starts a new history.
      this.state.changeReplicationId();
      this.state.clearReplicationId2();
      this.stop();
      log.notice(`Replication backlog freed after ${ttl} seconds without connected replicas.`);
    }
    const waiting = this.#links.filter((link) => link.state === "wait_bgsave" && !link.cutDone);
    if (waiting.length !== 0 && this.#syncDue(waiting, now)) this.#startBgsave();
    this.#refreshGoodReplicas();
  }
}
