/**
 * RESP2/RESP3 on a connection: requests from the RESP parser run through the
 * command table, replies are encoded in the session's protocol version
 * (switched by HELLO). Broken framing gets Redis's `-ERR Protocol error: …`
 * and then the connection closes, as redis-server does.
 *
 * A RESP2 client in subscribed mode may only (un)subscribe, PING, QUIT and
 * RESET, as in Redis; under RESP3 messages are push frames and any command
 * is fine.
 *
 * @module
 */
import type { CommandTable } from "../lib/commands/table.ts";
import type { CommandContext } from "../lib/commands/types.ts";
import { encodeReply, RespDecoder, RespEncoder } from "../lib/protocol/resp.ts";
import type { Output } from "../lib/protocol/output.ts";
import { error, type Reply } from "../lib/reply.ts";
import type { Wire } from "./connection.ts";

/** What a RESP2 client in subscribed mode may run (Redis's check in `processCommand`). */
const SUBSCRIBED_MODE_COMMANDS = new Set([
  "ping",
  "subscribe",
  "ssubscribe",
  "unsubscribe",
  "sunsubscribe",
  "psubscribe",
  "punsubscribe",
  "quit",
  "reset",
]);

/**
 * The last pushed message and its encodings: one PUBLISH hands the same
 * message to every subscriber, so it is encoded once per RESP version.
 */
let lastPush: Reply | undefined;
let lastPushResp2: Uint8Array | undefined;
let lastPushResp3: Uint8Array | undefined;

export interface RespWireOptions {
  readonly maxBulkLength: number;
}

export class RespWire implements Wire {
  readonly #decoder: RespDecoder;
  readonly #encoder = new RespEncoder(1024);
  readonly #context: CommandContext;
  readonly #commands: CommandTable;

  constructor(context: CommandContext, options: RespWireOptions) {
    this.#context = context;
    this.#commands = context.commands;
    this.#decoder = new RespDecoder({ maxBulkLength: options.maxBulkLength });
  }

  get bytesNeeded(): number {
    return this.#decoder.bytesNeeded;
  }

  get pendingOutputBytes(): number {
    return this.#encoder.length;
  }

  decode(bytes: Uint8Array, start: number, end: number) {
    // Read per call: AUTH earlier in the same read lifts the pre-AUTH limits for what follows.
    this.#decoder.unauthenticated = !this.#context.session.authenticated;
    return this.#decoder.decode(bytes, start, end);
  }

  handle(argv: readonly string[]): Promise<void> | undefined {
    const context = this.#context;
    context.keyspace.now = Date.now();
    const session = context.session;
    session.skipReply = session.skipNextReply;
    session.skipNextReply = false;
    const reply = session.subscriptions !== undefined && session.protocol === 2
      ? this.#executeSubscribed(argv)
      : this.#commands.execute(context, argv);
    // A blocked client's reply comes later, through reply().
    if (session.blocked !== undefined) return undefined;
    // A script paused to let the server answer -BUSY: its reply comes when it ends.
    const deferred = session.deferred;
    if (deferred !== undefined) {
      session.deferred = undefined;
      return deferred.then((late) => this.reply(late));
    }
    // CLIENT REPLY OFF/SKIP: the command ran, its reply is dropped (pushes still go out).
    if (!session.repliesOff && !session.skipReply && !session.skipNextReply) {
      this.#encoder.write(reply, session.protocol);
    }
    session.skipReply = false;
    session.flushDeferredPushes();
    return undefined;
  }

  reply(reply: Reply): void {
    const session = this.#context.session;
    // CLIENT REPLY OFF/SKIP still apply to the reply that ends a wait.
    if (!session.repliesOff && !session.skipReply) this.#encoder.write(reply, session.protocol);
    session.skipReply = false;
    session.flushDeferredPushes();
  }

  encodePush(message: Reply): Uint8Array {
    if (message !== lastPush) {
      lastPush = message;
      lastPushResp2 = lastPushResp3 = undefined;
    }
    return this.#context.session.protocol === 3
      ? lastPushResp3 ??= encodeReply(message, 3)
      : lastPushResp2 ??= encodeReply(message, 2);
  }

  #executeSubscribed(argv: readonly string[]): Reply {
    const resolved = this.#commands.resolve(argv);
    if (typeof resolved !== "string" && !SUBSCRIBED_MODE_COMMANDS.has(resolved.name)) {
      const message =
        `ERR Can't execute '${resolved.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / ` +
        "QUIT / RESET are allowed in this context";
      this.#commands.countError(message);
      return error(message);
    }
    return this.#commands.execute(this.#context, argv, resolved);
  }

  protocolError(message: string): void {
    this.#commands.countError(message);
    this.#encoder.write(error(message), this.#context.session.protocol);
  }

  takeOutput(): Output {
    return this.#encoder.takeOutput();
  }
}
