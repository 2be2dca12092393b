/**
 * RESP2/RESP3 on a connection: requests from the RESP parser run through
 * lib/commands/dispatch.ts, replies are encoded in the session's protocol
 * version (switched by HELLO) unless CLIENT REPLY drops them. Broken framing
 * gets Redis's `-ERR Protocol error: …` and then the connection closes, as
 * redis-server does.
 *
 * @module
 */
import { executeRequest } from "../lib/commands/dispatch.ts";
import type { CommandContext } from "../lib/commands/types.ts";
import { encodeReply, RespDecoder, RespEncoder } from "../lib/protocol/resp.ts";
import type { Output } from "../lib/protocol/output.ts";
import { error, type HandlerReply, type Reply } from "../lib/reply.ts";
import type { Wire } from "./connection.ts";

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

  constructor(context: CommandContext, options: RespWireOptions) {
    this.#context = context;
    // The connection loop forgets the sources before its buffer changes (server/connection.ts).
    this.#decoder = new RespDecoder({ maxBulkLength: options.maxBulkLength, sourced: true });
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

  handle(argv: readonly string[], contiguous: boolean): Promise<void> | undefined {
    const session = this.#context.session;
    session.skipReply = session.skipNextReply;
    session.skipNextReply = false;
    const outcome = executeRequest(this.#context, argv, contiguous);
    // A blocked client's reply comes later, through reply().
    if (outcome === undefined) return undefined;
    if (outcome instanceof Promise) return outcome.then((late) => this.reply(late));
    // CLIENT REPLY OFF/SKIP: the command ran, its reply is dropped (pushes still go out).
    if (!session.repliesOff && !session.skipReply && !session.skipNextReply) {
      this.#encoder.write(outcome as HandlerReply, session.protocol);
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

  protocolError(message: string): void {
    this.#context.commands.countError(message);
    this.#encoder.write(error(message), this.#context.session.protocol);
  }

  takeOutput(): Output {
    return this.#encoder.takeOutput();
  }

  takeOutputToSend(): Output {
    return this.#encoder.takeOutputToSend();
  }
}
