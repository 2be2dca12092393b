/**
 * RESP2/RESP3 on a connection: requests from the RESP parser run through the
 * command table, replies are encoded in the session's protocol version
 * (switched by HELLO). Broken framing gets Redis's `-ERR Protocol error: …`
 * and then the connection closes, as redis-server does.
 *
 * @module
 */
import type { CommandTable } from "../lib/commands/table.ts";
import type { CommandContext } from "../lib/commands/types.ts";
import { RespDecoder, RespEncoder } from "../lib/protocol/resp.ts";
import { error } from "../lib/reply.ts";
import type { Wire } from "./connection.ts";

export interface RespWireOptions {
  readonly maxBulkLength: number;
}

export class RespWire implements Wire {
  readonly #decoder: RespDecoder;
  readonly #encoder = new RespEncoder();
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

  decode(bytes: Uint8Array, start: number, end: number) {
    return this.#decoder.decode(bytes, start, end);
  }

  handle(argv: readonly string[]): void {
    const context = this.#context;
    context.keyspace.now = Date.now();
    const reply = this.#commands.execute(context, argv);
    this.#encoder.write(reply, context.session.protocol);
  }

  protocolError(message: string): void {
    this.#encoder.write(error(message), this.#context.session.protocol);
  }

  takeOutput(): Uint8Array {
    return this.#encoder.take();
  }
}
