/**
 * Per-connection state that commands read and change: protocol version,
 * name, authentication, the MULTI queue and WATCHed keys. The server owns
 * the socket; the session is the part of a connection that is pure data, so
 * the dispatcher and handlers stay free of I/O.
 *
 * @module
 */
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
}

export class Session implements Subscriber {
  readonly id: number;
  readonly wire: WireProtocol;
  readonly address: string;
  readonly localAddress: string;
  readonly createdAt: number;
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
  /** Keys under WATCH; a change to any of them aborts the next EXEC. */
  readonly watched = new Set<string>();
  /** Set by the keyspace observer when a watched key changes. */
  watchTouched = false;
  /** The connection closes once the current reply is written (QUIT, CLIENT KILL). */
  closeRequested = false;
  /** Unix ms of the last command, for CLIENT LIST's `idle`. */
  lastCommandAt: number;
  /** Name of the last command, for CLIENT LIST's `cmd`. */
  lastCommand = "NULL";
  /** Pub/Sub channels and patterns; undefined outside subscribed mode. */
  subscriptions: Subscriptions | undefined;
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

  constructor(options: SessionOptions) {
    this.id = options.id;
    this.wire = options.wire;
    this.address = options.address;
    this.localAddress = options.localAddress;
    this.createdAt = options.createdAt;
    this.lastCommandAt = options.createdAt;
    this.authenticated = options.authenticated;
  }

  get inTransaction(): boolean {
    return this.queued !== undefined;
  }

  /** Leaves MULTI and forgets WATCHes (after EXEC, DISCARD or RESET). */
  endTransaction(): void {
    this.queued = undefined;
    this.queueFailed = false;
    this.watched.clear();
    this.watchTouched = false;
  }
}
