/**
 * One client connection: a single async read loop over a growable buffer.
 * Each read decodes every complete request it holds (pipelining), runs them
 * in order, and sends all their replies in one write; a partial request stays
 * in the buffer for the next read.
 *
 * The loop awaits each write before reading again, so a client that never
 * reads its replies stops being read from: its backlog lives in the kernel's
 * socket buffers, not in our memory.
 *
 * Pub/sub messages cannot wait for the subscriber to read: {@link Connection.push}
 * appends them to an {@link Outbox} whose own writer drains it, and a
 * subscriber whose backlog breaks `client-output-buffer-limit` is dropped.
 * Only subscribers get an outbox (then all their output goes through it, to
 * keep order); every other connection writes exactly as described above.
 *
 * @module
 */
import { type OutputLimit, outputLimitReached } from "../lib/client_output_limits.ts";
import type { Reply } from "../lib/reply.ts";
import type { Session } from "../lib/session.ts";
import { Outbox } from "./outbox.ts";
import { writeAll } from "./write.ts";

/** How a protocol plugs into the loop: decode requests, run them, produce bytes. */
export interface Wire {
  decode(bytes: Uint8Array, start: number, end: number): {
    readonly requests: string[][];
    readonly consumed: number;
    readonly error?: string;
  };
  /** Total bytes the next incomplete frame needs, when known; lets the buffer grow once. */
  readonly bytesNeeded: number;
  /**
   * Runs one request and encodes its reply into the pending output; a
   * returned promise means the reply comes later (a long script), and the
   * loop waits for it before the next request.
   */
  handle(argv: readonly string[]): Promise<void> | void;
  /** Encodes the reply to broken framing, for protocols that have one. */
  protocolError(message: string): void;
  /** The pending output, valid until the next handle(); clears it. */
  takeOutput(): Uint8Array;
  /** Encodes an out-of-band message as bytes of its own, which may be shared and never change. */
  encodePush(message: Reply): Uint8Array;
}

/** Small to start: an idle connection then costs ~2 KB of buffers instead of ~32 KB. */
const INITIAL_BUFFER = 1024;
/** Reads that keep filling the buffer double it up to this size. */
const BATCH_BUFFER_LIMIT = 64 * 1024;
/** A buffer grown for one big request shrinks back once idle, so big values leave no lasting cost. */
const SHRINK_ABOVE = 1024 * 1024;

export interface ConnectionHooks {
  /** Called before a batch of requests runs (the server fixes "now", counts commands). */
  beforeBatch(): void;
  /**
   * Called after a batch ran (reschedules active expiry if a nearer deadline
   * appeared); a returned promise holds the replies back until it settles.
   */
  afterBatch(): Promise<void> | void;
  /** Most unparsed bytes a client may have buffered (client-query-buffer-limit). */
  queryBufferLimit(): number;
  /** A framing error or I/O failure worth a log line. */
  log(text: string): void;
  /** The client-output-buffer-limit class that applies to the session now. */
  outputLimit(session: Session): OutputLimit;
  /** Something the operator should see: a client dropped for its output backlog. */
  warn(text: string): void;
}

export class Connection {
  readonly session: Session;
  /** Unix ms of the last byte received, for the idle timeout. */
  lastActivity: number;
  readonly #conn: Deno.Conn;
  readonly #wire: Wire;
  readonly #hooks: ConnectionHooks;
  /** True while the loop waits for bytes: only then may shutdown close it without losing replies. */
  #waitingForInput = false;
  #closing = false;
  /** The write of the previous batch's replies, while the socket still takes it. */
  #inFlight: Promise<void> | undefined;
  #closed = false;
  /** Output waiting for the socket; created when the session first subscribes. */
  #outbox: Outbox | undefined;
  /** Set while the batch's replies wait to be durable: pushes meanwhile wait in `#held`. */
  #holding = false;
  #held: Uint8Array[] | undefined;
  /** When the queued output first reached the soft limit (client-output-buffer-limit). */
  readonly #softLimit: { softSince: number | undefined } = { softSince: undefined };

  constructor(conn: Deno.Conn, session: Session, wire: Wire, hooks: ConnectionHooks) {
    this.#conn = conn;
    this.session = session;
    this.#wire = wire;
    this.#hooks = hooks;
    this.lastActivity = Date.now();
  }

  /** Runs the read loop until the peer leaves, a framing error, or close(). Never throws. */
  async serve(): Promise<void> {
    let buffer = new Uint8Array(INITIAL_BUFFER);
    let start = 0;
    let end = 0;
    let filled = false;
    try {
      while (!this.#closing) {
        if (start === end) {
          start = end = 0;
          if (buffer.length > SHRINK_ABOVE) buffer = new Uint8Array(INITIAL_BUFFER);
        }
        const pending = end - start;
        if (pending > this.#hooks.queryBufferLimit()) {
          this.#hooks.log(
            `Closing client id=${this.session.id} addr=${this.session.address}: ` +
              `${pending} unparsed bytes exceed client-query-buffer-limit`,
          );
          break;
        }
        // Grow at most twice over per read, whatever size a frame header claims: a
        // 20-byte request announcing 512 MB must not make us allocate 512 MB up front.
        let wanted = Math.max(pending + 1, Math.min(this.#wire.bytesNeeded, buffer.length * 2));
        // A read that filled the buffer means the client sends in bigger batches: double it.
        if (filled && buffer.length < BATCH_BUFFER_LIMIT) {
          wanted = Math.max(wanted, buffer.length * 2);
        }
        if (start + wanted > buffer.length) {
          // Move the partial frame to the front, growing only when it cannot fit, and then
          // at least doubling, so frames without a size hint cost O(n) copies, not O(n²).
          const target = wanted > buffer.length
            ? new Uint8Array(Math.max(wanted, buffer.length * 2))
            : buffer;
          target.set(buffer.subarray(start, end));
          buffer = target;
          end -= start;
          start = 0;
        }
        this.#waitingForInput = true;
        // A message pushed while the last write was finishing waits for no one else.
        if (this.#outbox !== undefined) this.#outbox.flush();
        const count = await this.#conn.read(buffer.subarray(end));
        this.#waitingForInput = false;
        if (count === null) break;
        filled = end + count === buffer.length;
        end += count;
        this.lastActivity = Date.now();

        const result = this.#wire.decode(buffer, start, end);
        start += result.consumed;
        if (result.requests.length > 0) {
          this.#hooks.beforeBatch();
          for (const argv of result.requests) {
            const late = this.#wire.handle(argv);
            if (late !== undefined) await late;
            if (this.session.closeRequested) break;
          }
          // With appendfsync always, replies wait until the batch's writes are on disk.
          const durable = this.#hooks.afterBatch();
          if (durable !== undefined) {
            this.#holding = true;
            await durable;
            this.#holding = false;
          }
        }
        if (result.error !== undefined) {
          this.#wire.protocolError(result.error);
          this.#hooks.log(
            `Protocol error from client id=${this.session.id} addr=${this.session.address}: ${result.error}`,
          );
          this.session.closeRequested = true;
        }
        const output = this.#wire.takeOutput();
        // Created here, at the end of the batch that subscribed, so no push finds a write in flight.
        if (this.session.subscriptions !== undefined) this.#outbox ??= new Outbox(this.#conn);
        if (this.#outbox !== undefined) {
          await this.#inFlight;
          await this.#sendQueued(this.#outbox, output);
        } else if (output.length > 0) {
          // One write in flight at a time keeps backpressure (a client that never reads
          // stalls us here), while not awaiting it lets the next read start at once:
          // 0 to +30% requests/s without pipelining in noisy A/B runs here. The copy frees the
          // encoder for the next batch.
          await this.#inFlight;
          this.#inFlight = writeAll(this.#conn, output.slice()).then(
            () => {
              this.#inFlight = undefined;
            },
            (cause) => this.#failWrite(cause),
          );
        }
        if (this.session.closeRequested) {
          await this.#inFlight;
          break;
        }
      }
    } catch (cause) {
      if (!this.#closing && !isDisconnect(cause)) {
        this.#hooks.log(`Client id=${this.session.id} closed after error: ${describe(cause)}`);
      }
    } finally {
      this.#close();
    }
  }

  /**
   * Queues a pub/sub message for this client and returns at once: the
   * publisher never waits for a subscriber's socket. Inside this client's
   * own batch, the replies produced so far go first, so a pipeline's replies
   * and confirmations keep their order. Drops the client when its backlog
   * breaks its output limit.
   */
  push(message: Reply): void {
    if (this.#closed) return;
    const bytes = this.#wire.encodePush(message);
    if (this.#holding) {
      (this.#held ??= []).push(bytes);
      return;
    }
    const outbox = this.#outbox ??= new Outbox(this.#conn);
    if (this.#waitingForInput) {
      // The usual case, a message from another client's batch: nothing of ours is pending,
      // and with the loop parked on its read only we can start the writer.
      outbox.enqueue(bytes);
      outbox.flush();
    } else {
      // Inside our own batch, the replies produced so far go first (elsewhere there are none);
      // the loop sends the rest and starts the writer.
      const before = this.#wire.takeOutput();
      if (before.length > 0) outbox.enqueue(before.slice());
      outbox.enqueue(bytes);
    }
    this.#enforceOutputLimit(outbox);
  }

  /** A write that failed in the background ends the connection as a failed read would. */
  #failWrite(cause: unknown): void {
    this.#inFlight = undefined;
    if (!this.#closing && !isDisconnect(cause)) {
      this.#hooks.log(`Client id=${this.session.id} closed after error: ${describe(cause)}`);
    }
    this.close();
  }

  /** Closes at once (CLIENT KILL, idle timeout, server exit). */
  close(): void {
    this.#closing = true;
    this.#close();
  }

  /**
   * Closes once the current batch's replies are out: at once when waiting for
   * input, else after the write in flight (graceful shutdown).
   */
  closeWhenIdle(): void {
    this.#closing = true;
    if (!this.#waitingForInput) return;
    // Replies already handed to the socket go out before it closes.
    if (this.#inFlight !== undefined) this.#inFlight.finally(() => this.#close());
    else this.#close();
  }

  /** A subscriber's batch output goes behind its queued messages; resolves once written. */
  async #sendQueued(outbox: Outbox, output: Uint8Array): Promise<void> {
    const sent = outbox.send(output);
    const held = this.#held;
    if (held !== undefined) {
      this.#held = undefined;
      for (const bytes of held) outbox.enqueue(bytes);
      outbox.flush();
      this.#enforceOutputLimit(outbox);
    }
    await sent;
  }

  #enforceOutputLimit(outbox: Outbox): void {
    const limit = this.#hooks.outputLimit(this.session);
    if (!outputLimitReached(limit, outbox.bytes, Date.now, this.#softLimit)) return;
    this.#hooks.warn(
      `Client id=${this.session.id} addr=${this.session.address} name=${this.session.name} ` +
        `closed for overcoming of output buffer limits (${outbox.bytes} bytes queued).`,
    );
    this.close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#outbox?.discard(new Deno.errors.BadResource("Connection closed"));
    this.#held = undefined;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer: nothing left to release.
    }
  }
}

function isDisconnect(cause: unknown): boolean {
  return cause instanceof Deno.errors.ConnectionReset ||
    cause instanceof Deno.errors.BrokenPipe ||
    cause instanceof Deno.errors.BadResource ||
    cause instanceof Deno.errors.Interrupted ||
    cause instanceof Deno.errors.NotConnected;
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
