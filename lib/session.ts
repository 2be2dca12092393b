/**
 * Per-connection state that commands read and change: protocol version,
 * name, authentication, the selected database, the MULTI queue and WATCHed keys. The server owns
 * the socket; the session is the part of a connection that is pure data, so
 * the dispatcher and handlers stay free of I/O.
 *
 * @module
 */
import type { Waiter } from "./blocking.ts";
import type { Subscriber, Subscriptions } from "./pubsub.ts";
import type { Reply } from "./reply.ts";

/** Which wire a connection speaks; handlers never branch on it, codecs do. */
export type WireProtocol = "resp" | "kache";

export interface SessionOptions {
  readonly id: number;
  readonly wire: WireProtocol;
  /** `ip:port` of the peer, as CLIENT LIST's `addr`. */
  readonly address: string;
  /** `ip:port` of our side, as CLIENT LIST's `laddr`. */
  readonly localAddress: string;
  /** Unix ms when the connection was accepted. */
  readonly createdAt: number;
  /** False when a password is required and not yet given. */
  readonly authenticated: boolean;
  /** The peer is on the loopback interface (lib/protection.ts); false when unknown. */
  readonly local?: boolean;
  /**
   * Its commands are replayed as they were logged (the AOF loader; a
   * master), so limits meant for interactive clients do not apply (Redis's
   * `mustObeyClient`).
   */
  readonly mustObey?: boolean;
  /** The Unix socket's path, for a client connected through `unixsocket`. */
  readonly unixSocket?: string;
}

export class Session implements Subscriber {
  readonly id: number;
  readonly wire: WireProtocol;
  readonly address: string;
  readonly localAddress: string;
  /** How MONITOR names this client: its address, or `unix:<path>` as Redis shows socket clients. */
  readonly monitorSource: string;
  readonly createdAt: number;
  /** Connected from loopback: `enable-protected-configs local` lets it change protected configs. */
  readonly local: boolean;
  /** Replays logged commands (see {@link SessionOptions.mustObey}). */
  readonly mustObey: boolean;
  /** RESP version chosen with HELLO; the binary wire ignores it. */
  protocol: 2 | 3 = 2;
  name = "";
  libName = "";
  libVersion = "";
  authenticated: boolean;
  /** Commands queued since MULTI, or undefined outside a transaction. */
  queued: (readonly string[])[] | undefined;
  /** A command failed to queue, so EXEC must answer EXECABORT. */
  queueFailed = false;
  /** The selected database (SELECT); the binary wire always uses 0. */
  db = 0;
  /** Keys under WATCH, by database index; a change to any of them aborts the next EXEC. */
  readonly watched = new Map<number, Set<string>>();
  /** Set by the keyspace observer when a watched key changes. */
  watchTouched = false;
  /** The connection closes once the current reply is written (QUIT, CLIENT KILL). */
  closeRequested = false;
  /** In a typed array: a field would box the time in a new heap object per command. */
  readonly #lastCommandAt = new Float64Array(1);
  /** Unix ms of the last command, for CLIENT LIST's `idle`. */
  get lastCommandAt(): number {
    return this.#lastCommandAt[0]!;
  }

  set lastCommandAt(milliseconds: number) {
    this.#lastCommandAt[0] = milliseconds;
  }
  /** Name of the last command, for CLIENT LIST's `cmd`. */
  lastCommand = "NULL";
  /** In MONITOR mode: shown every command the server runs (lib/monitor.ts). */
  monitoring = false;
  /** Pub/Sub channels and patterns; undefined outside subscribed mode. */
  subscriptions: Subscriptions | undefined;
  /**
   * What the append-only file records for the command just run instead of its
   * argv, set by a write whose effect a replay could not repeat (SPOP picks at
   * random: it is logged as the SREM of what it took), as Redis's
   * `rewriteClientCommandVector` / `alsoPropagate`. The command table clears it
   * after each command.
   */
  propagateAs: string[][] | undefined;
  /**
   * Set by a command whose reply is not ready when its handler returns (a
   * script paused to let the server answer -BUSY): the wire sends this
   * promise's reply instead of the handler's, and reads nothing meanwhile.
   */
  deferred: Promise<Reply> | undefined;
  /**
   * True while a command runs from a script's redis.call: blocking commands
   * must then answer at once as inside MULTI (Redis's CLIENT_DENY_BLOCKING).
   */
  inScript = false;
  /** Queues an out-of-band message (pub/sub) on the connection; set by the server. */
  push: ((message: Reply) => void) | undefined;
  /**
   * The connection's buffers as it last reported them (CLIENT LIST's qbuf,
   * qbuf-free, omem): unparsed request bytes, the input buffer's size, and
   * output encoded but not yet taken by the socket.
   */
  readonly buffers = {
    query: 0,
    queryCapacity: 0,
    output: 0,
    /** The largest input buffer and unsent output since the server cron last looked. */
    queryCapacityPeak: 0,
    outputPeak: 0,
  };
  /**
   * The blocking command (BLPOP …) this client waits in, or undefined: its
   * connection reads no further requests meanwhile, CLIENT LIST shows flag
   * `b`, and the idle `timeout` does not apply (as in Redis).
   */
  blocked: Waiter | undefined;
  /**
   * Delivers the reply that ends a wait (served, timed out, CLIENT UNBLOCK);
   * set by the server. A session without it (the AOF loader) never blocks.
   */
  wake: ((reply: Reply) => void) | undefined;
  /**
   * Messages for this session produced while its own command ran (tracking
   * invalidations): they go out after that command's reply, as Redis's
   * `tracking_pending_keys`. See {@link Session.flushDeferredPushes}.
   */
  deferredPushes: Reply[] | undefined;
  /** The connection has ended (a CLIENT TRACKING redirect to it is broken). */
  closed = false;
  /**
   * A replica link (after SYNC or PSYNC): it is sent the command stream,
   * its commands (REPLCONF ACK) get no replies, and the idle `timeout` does
   * not apply, as for Redis's CLIENT_SLAVE.
   */
  replica = false;
  /**
   * This server's link to its master, applying the replication stream:
   * flag `M` in CLIENT LIST, CLIENT KILL TYPE master, as Redis's CLIENT_MASTER.
   */
  master = false;
  /** CLIENT REPLY OFF: no reply is sent until CLIENT REPLY ON (pushes still are). */
  repliesOff = false;
  /** CLIENT REPLY SKIP ran: the next command's reply is not sent. */
  skipNextReply = false;
  /**
   * The running command's reply is not sent: it follows CLIENT REPLY SKIP (ON clears it), or it
   * is a SHUTDOWN that succeeded, which Redis never answers.
   */
  skipReply = false;

  constructor(options: SessionOptions) {
    this.id = options.id;
    this.wire = options.wire;
    this.address = options.address;
    this.monitorSource = options.unixSocket === undefined
      ? options.address
      : `unix:${options.unixSocket}`;
    this.localAddress = options.localAddress;
    this.createdAt = options.createdAt;
    this.lastCommandAt = options.createdAt;
    this.authenticated = options.authenticated;
    this.local = options.local ?? false;
    this.mustObey = options.mustObey ?? false;
  }

  get inTransaction(): boolean {
    return this.queued !== undefined;
  }

  /**
   * Whether the `timeout` setting may close this client when idle: not while
   * it is subscribed or blocked, which are waiting, not idle (Redis's
   * `clientsCronHandleTimeout` exempts both).
   */
  get idleTimeoutApplies(): boolean {
    return this.subscriptions === undefined && this.blocked === undefined && !this.replica;
  }

  /** Sends the messages held back while this session's command ran; called after its reply. */
  flushDeferredPushes(): void {
    const messages = this.deferredPushes;
    if (messages === undefined) return;
    this.deferredPushes = undefined;
    for (const message of messages) this.push?.(message);
  }

  /** Leaves MULTI and forgets WATCHes (after EXEC, DISCARD or RESET). */
  endTransaction(): void {
    this.queued = undefined;
    this.queueFailed = false;
    this.watched.clear();
    this.watchTouched = false;
  }
}
