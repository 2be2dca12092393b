/**
 * The binary Kache protocol on a connection: the original nine commands keep
 * the original server's replies, every other command runs from the Redis
 * table with its reply encoded as TLV. Broken framing closes the connection
 * without a reply, as the original server did.
 *
 * @module
 */
import { ORIGINAL_COMMAND_NAMES, runOriginal } from "../lib/commands/original.ts";
import { OOM } from "../lib/eviction.ts";
import { error } from "../lib/reply.ts";
import type { CommandTable } from "../lib/commands/table.ts";
import type { CommandContext } from "../lib/commands/types.ts";
import { notifyOriginal } from "../lib/notify.ts";
import {
  KACHE_PUSH_STATUS,
  KacheDecoder,
  KacheEncoder,
  KacheStatus,
} from "../lib/protocol/kache.ts";
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
  readonly #commands: CommandTable;

  constructor(context: CommandContext, options: KacheWireOptions) {
    this.#context = context;
    this.#commands = context.commands;
    this.#decoder = new KacheDecoder(options);
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
    if (context.session.authenticated && context.session.queued === undefined) {
      const eviction = this.#commands.eviction;
      if (eviction !== undefined && isOriginalName(argv[0])) {
        // The original commands skip the table, so memory limits apply here.
        if (!eviction.fit() && ORIGINAL_WRITES.has(argv[0]!.toLowerCase())) {
          this.#encoder.writeReply(error(OOM));
          return undefined;
        }
        if (argv[1] !== undefined) eviction.touch(argv[1], context.keyspace);
      }
      const dirtyBefore = context.keyspace.dirty;
      const original = runOriginal(context.keyspace, argv);
      if (original !== undefined) {
        // Their argv means what the Redis command of the same name means to the AOF
        // (expire's TTL is logged as the absolute deadline it produced).
        if (context.keyspace.dirty !== dirtyBefore) this.#commands.onWrite?.(argv, context);
        if (original.status === KacheStatus.ok && context.server.pubsub.notifyFlags !== 0) {
          notifyOriginal(context.server.pubsub, context.keyspace, argv);
        }
        this.#encoder.writeResponse(original.status, original.item);
        return undefined;
      }
    }
    const spec = this.#commands.lookup(argv[0] ?? "");
    if (spec === undefined) {
      // The original answered any unknown name with this status and no data.
      this.#encoder.writeResponse(KacheStatus.unknown, undefined);
      return undefined;
    }
    const reply = this.#commands.execute(context, argv, this.#commands.resolve(argv, spec));
    // A blocked client's reply comes later, through reply().
    if (context.session.blocked !== undefined) return undefined;
    // A script paused to let the server answer -BUSY: its reply comes when it ends.
    const deferred = context.session.deferred;
    if (deferred !== undefined) {
      context.session.deferred = undefined;
      return deferred.then((late) => this.reply(late));
    }
    // (P)(UN)SUBSCRIBE confirmations are pushes here as on RESP3.
    if (reply.kind === "push") this.#encoder.writeResponse(KACHE_PUSH_STATUS, reply);
    else this.#encoder.writeReply(reply);
    context.session.flushDeferredPushes();
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

/** The original commands that write, refused under maxmemory like Redis's denyoom ones. */
const ORIGINAL_WRITES = new Set(["set", "zadd"]);

function isOriginalName(name: string | undefined): boolean {
  return name !== undefined && ORIGINAL_COMMAND_NAMES.includes(name.toLowerCase());
}
