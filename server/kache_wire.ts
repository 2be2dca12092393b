/**
 * The binary Kache protocol on a connection: requests run through
 * lib/commands/dispatch.ts; the original nine commands answer with the
 * original server's statuses, every other command's reply is encoded as TLV.
 * Broken framing closes the connection without a reply, as the original
 * server did.
 *
 * @module
 */
import { executeRequest } from "../lib/commands/dispatch.ts";
import type { CommandContext } from "../lib/commands/types.ts";
import { KACHE_PUSH_STATUS, KacheDecoder, KacheEncoder } from "../lib/protocol/kache.ts";
import { flattenOutput, type Output } from "../lib/protocol/output.ts";
import type { Reply } from "../lib/reply.ts";
import type { Wire } from "./connection.ts";

/** Encodes push frames; one PUBLISH's message is encoded once for all binary subscribers. */
const pushEncoder = new KacheEncoder(256);
let lastPush: Reply | undefined;
let lastPushBytes: Uint8Array | undefined;

export interface KacheWireOptions {
  readonly maxFrameLength: number;
  readonly maxArgs: number;
}

export class KacheWire implements Wire {
  readonly #decoder: KacheDecoder;
  readonly #encoder = new KacheEncoder(1024);
  readonly #context: CommandContext;

  constructor(context: CommandContext, options: KacheWireOptions) {
    this.#context = context;
    // The connection loop forgets the sources before its buffer changes (server/connection.ts).
    this.#decoder = new KacheDecoder({ ...options, sourced: true });
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
    const outcome = executeRequest(this.#context, argv, contiguous);
    // A blocked client's reply comes later, through reply().
    if (outcome === undefined) return undefined;
    if (outcome instanceof Promise) return outcome.then((late) => this.reply(late));
    if (!("kind" in outcome)) {
      // One of the original commands: its own status, and its item unless it has none.
      this.#encoder.writeResponse(outcome.status, outcome.item);
      return undefined;
    }
    // (P)(UN)SUBSCRIBE confirmations are pushes here as on RESP3.
    if (outcome.kind === "push") this.#encoder.writeResponse(KACHE_PUSH_STATUS, outcome);
    else this.#encoder.writeReply(outcome);
    this.#context.session.flushDeferredPushes();
    return undefined;
  }

  reply(reply: Reply): void {
    this.#encoder.writeReply(reply);
    this.#context.session.flushDeferredPushes();
  }

  protocolError(): void {
    // The original server closed the connection without a reply.
  }

  takeOutput(): Output {
    return this.#encoder.takeOutput();
  }

  takeOutputToSend(): Output {
    return this.#encoder.takeOutputToSend();
  }

  /** A push frame: status 6 and the message as an array item (see the README). */
  encodePush(message: Reply): Uint8Array {
    if (message !== lastPush || lastPushBytes === undefined) {
      pushEncoder.writeResponse(KACHE_PUSH_STATUS, message);
      lastPushBytes = flattenOutput(pushEncoder.takeOutput());
      lastPush = message;
    }
    return lastPushBytes;
  }
}
