/**
 * The binary Kache protocol on a connection: the original nine commands keep
 * the original server's replies, every other command runs from the Redis
 * table with its reply encoded as TLV. Broken framing closes the connection
 * without a reply, as the original server did.
 *
 * @module
 */
import { runOriginal } from "../lib/commands/original.ts";
import type { CommandTable } from "../lib/commands/table.ts";
import type { CommandContext } from "../lib/commands/types.ts";
import { KacheDecoder, KacheEncoder, KacheStatus } from "../lib/protocol/kache.ts";
import type { Wire } from "./connection.ts";

export interface KacheWireOptions {
  readonly maxFrameLength: number;
  readonly maxArgs: number;
}

export class KacheWire implements Wire {
  readonly #decoder: KacheDecoder;
  readonly #encoder = new KacheEncoder();
  readonly #context: CommandContext;
  readonly #commands: CommandTable;

  constructor(context: CommandContext, options: KacheWireOptions) {
    this.#context = context;
    this.#commands = context.commands;
    this.#decoder = new KacheDecoder(options);
  }

  get bytesNeeded(): number {
    return this.#decoder.bytesNeeded;
  }

  decode(bytes: Uint8Array, start: number, end: number) {
    return this.#decoder.decode(bytes, start, end);
  }

  handle(argv: readonly string[]): void {
    const context = this.#context;
    context.keyspace.now = Date.now();
    if (context.session.authenticated && context.session.queued === undefined) {
      const original = runOriginal(context.keyspace, argv);
      if (original !== undefined) {
        this.#encoder.writeResponse(original.status, original.item);
        return;
      }
    }
    if (this.#commands.lookup(argv[0] ?? "") === undefined) {
      // The original answered any unknown name with this status and no data.
      this.#encoder.writeResponse(KacheStatus.unknown, undefined);
      return;
    }
    this.#encoder.writeReply(this.#commands.execute(context, argv));
  }

  protocolError(): void {
    // The original server closed the connection without a reply.
  }

  takeOutput(): Uint8Array {
    return this.#encoder.take();
  }
}
