/**
 * One client connection: a single async read loop over a growable buffer.
 * Each read decodes every complete request it holds (pipelining), runs them
 * in order, and sends their replies; a partial request stays in the buffer
 * for the next read.
 *
 * Output is bounded per connection, not per read: one read may hold
 * thousands of pipelined requests (a 64 KB read is ~3,000 `GET k`), and if
 * each reply is a 1 MB value, encoding them all before writing would hold
 * gigabytes and keep every other client waiting while it is built. So the
 * requests of a read run only while the unsent output is below
 * {@link OUTPUT_CHUNK_BYTES}; then it is written, and the rest of the
 * requests wait until the previous chunk has left, which yields to the event
 * loop (other clients run meanwhile). A client that never reads therefore
 * holds at most two chunks of our memory (one being encoded, one in flight)
 * plus the request it is on; the rest of its backlog stays in its own socket
 * buffers, since the loop reads no more from it until its writes complete.
 *
 * A client blocked in BLPOP and friends (its session's `blocked` set by the
 * command) stops running requests: the replies so far go out, the loop waits
 * for {@link Connection.wake} while still reading only to notice the client
 * leaving, then sends the reply and runs the requests that came after.
 *
 * Pub/sub messages cannot wait for the subscriber to read: {@link Connection.push}
 * appends them to an {@link Outbox} whose own writer drains it, and a
 * subscriber whose backlog breaks `client-output-buffer-limit` is dropped.
 * Only subscribers get an outbox (then all their output goes through it, to
 * keep order); every other connection writes exactly as described above.
 *
 * @module
 */
import { forgetSources } from "../lib/bytes.ts";
import { type OutputLimit, outputLimitReached } from "../lib/client_output_limits.ts";
import { flattenOutput, type Output, outputLength } from "../lib/protocol/output.ts";
import type { Reply } from "../lib/reply.ts";
import type { Session } from "../lib/session.ts";
import type { StreamConn } from "./stream.ts";
import { Outbox } from "./outbox.ts";
import { writeAll, writeParts } from "./write.ts";

/** How a protocol plugs into the loop: decode requests, run them, produce bytes. */
export interface Wire {
  decode(bytes: Uint8Array, start: number, end: number): {
    readonly requests: string[][];
    readonly consumed: number;
    readonly error?: string;
    /** Bytes are left that decode must see again once these requests ran (before AUTH). */
    readonly more?: boolean;
  };
  /** Total bytes the next incomplete frame needs, when known; lets the buffer grow once. */
  readonly bytesNeeded: number;
  /**
   * Runs one request and encodes its reply into the pending output; a
   * returned promise means the reply comes later (a long script), and the
   * loop waits for it before the next request. `contiguous`: the previous
   * request ran just before, with nothing in between (lib/commands/dispatch.ts).
   */
  handle(argv: readonly string[], contiguous: boolean): Promise<void> | undefined;
  /** Bytes of pending output encoded since the last takeOutput(). */
  readonly pendingOutputBytes: number;
  /** Encodes a reply that arrives later: the one that ends a blocked wait. */
  reply(reply: Reply): void;
  /** Encodes the reply to broken framing, for protocols that have one. */
  protocolError(message: string): void;
  /** The pending output, valid until the next handle(); clears it. */
  takeOutput(): Output;
  /**
   * The pending output for a socket write, valid until the wire encodes after
   * the next call of this (the encoder alternates two buffers); clears it.
   */
  takeOutputToSend(): Output;
  /** Encodes an out-of-band message as bytes of its own, which may be shared and never change. */
  encodePush(message: Reply): Uint8Array;
}

/** Small to start: an idle connection then costs ~2 KB of buffers instead of ~32 KB. */
const INITIAL_BUFFER = 1024;
/** Reads that keep filling the buffer double it up to this size. */
const BATCH_BUFFER_LIMIT = 64 * 1024;
/** A buffer grown for one big request shrinks back once idle, so big values leave no lasting cost. */
const SHRINK_ABOVE = 1024 * 1024;
/**
 * Pending output at which a connection stops running requests and writes
 * what it has (see the module notes). 1 MB keeps a stuck client's cost near
 * 2 MB while writes stay large enough to cost nothing measurable in
 * throughput (a batch of small replies never comes close).
 */
export const OUTPUT_CHUNK_BYTES = 1024 * 1024;

const EMPTY = new Uint8Array(0);

export interface ConnectionHooks {
  /** Called before a batch of requests runs (the server fixes "now", counts commands). */
  beforeBatch(): void;
  /**
   * Called after a batch ran (reschedules active expiry if a nearer deadline
   * appeared); a returned promise holds the replies back until it settles.
   */
  afterBatch(): Promise<void> | void;
  /** Pipelined requests were decoded and are about to run: their keys may be read ahead. */
  prefetch?(requests: readonly (readonly string[])[]): void;
  /** Most unparsed bytes a client may have buffered (client-query-buffer-limit). */
  queryBufferLimit(): number;
  /** A framing error or I/O failure worth a log line. */
  log(text: string): void;
  /** The client-output-buffer-limit class that applies to the session now. */
  outputLimit(session: Session): OutputLimit;
  /** Something the operator should see: a client dropped for its output backlog. */
  warn(text: string): void;
  /**
   * The connection's buffers grew or shrank by `delta` bytes: its input buffer
   * beyond {@link INITIAL_BUFFER}, and output not yet taken by the socket (the
   * server counts the total in used_memory, as Redis counts client buffers).
   */
  bufferBytesChanged(delta: number): void;
  /** A read returned `bytes` bytes (INFO's total_net_input_bytes, total_reads_processed). */
  received(bytes: number): void;
  /** `bytes` bytes were queued for the socket (total_net_output_bytes). */
  sent(bytes: number): void;
  /** One write to the socket finished (total_writes_processed). */
  written(): void;
  /** The client closed its end (Redis logs "Client closed connection" at verbose). */
  peerClosed?(): void;
}

export class Connection {
  readonly session: Session;
  /** Unix ms of the last byte received, for the idle timeout. */
  lastActivity: number;
  readonly #conn: StreamConn;
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
  /** Resolves the wait of a blocked client; set only while it waits. */
  #wakeUp: ((reply: Reply) => void) | undefined;
  /** A wake that came before the loop began waiting (kept, never lost). */
  #earlyWake: Reply | undefined;
  /** Input buffer bytes beyond the initial size, as last reported to bufferBytesChanged. */
  #inputBytes = 0;
  /** When the queued output first reached the soft limit (client-output-buffer-limit). */
  readonly #softLimit: { softSince: number | undefined } = { softSince: undefined };

  constructor(conn: StreamConn, session: Session, wire: Wire, hooks: ConnectionHooks) {
    this.#conn = conn;
    this.session = session;
    this.#wire = wire;
    this.#hooks = hooks;
    this.lastActivity = Date.now();
  }

  /** Runs the read loop until the peer leaves, a framing error, or close(). Never throws. */
  async serve(): Promise<void> {
    let buffer = new Uint8Array(INITIAL_BUFFER);
    this.#inputResized(buffer.length);
    let start = 0;
    let end = 0;
    let filled = false;
    /** A read in flight into `buffer[end…]`, begun while the client was blocked. */
    let pendingRead: Promise<number | null> | undefined;
    /** Bytes arrived while blocked: decode them before reading again. */
    let decodeFirst = false;
    try {
      while (!this.#closing) {
        if (!decodeFirst) {
          // A read still in flight owns `buffer[end…]`: the buffer must not move under it.
          if (pendingRead === undefined) {
            // The bytes the last requests were decoded from are about to be moved or read over.
            forgetSources();
            if (start === end) {
              start = end = 0;
              if (buffer.length > SHRINK_ABOVE) {
                buffer = new Uint8Array(INITIAL_BUFFER);
                this.#inputResized(buffer.length);
              }
            }
            const pending = end - start;
            if (pending > this.#hooks.queryBufferLimit()) {
              this.#logQueryBufferLimit(pending);
              break;
            }
            // Grow at most twice over per read, whatever size a frame header claims: a
            // 20-byte request announcing 512 MB must not make us allocate 512 MB up front.
            let wanted = Math.max(
              pending + 1,
              Math.min(this.#wire.bytesNeeded, buffer.length * 2),
            );
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
              if (target !== buffer) this.#inputResized(target.length);
              buffer = target;
              end -= start;
              start = 0;
            }
            // An empty buffer is read whole: no view to build per round trip.
            pendingRead = this.#read(end === 0 ? buffer : buffer.subarray(end));
          }
          this.#waitingForInput = true;
          // A message pushed while the last write was finishing waits for no one else.
          if (this.#outbox !== undefined) this.#outbox.flush();
          const count = await pendingRead;
          pendingRead = undefined;
          this.#waitingForInput = false;
          if (count === null) {
            this.#hooks.peerClosed?.();
            break;
          }
          filled = end + count === buffer.length;
          end += count;
          this.#hooks.received(count);
          this.lastActivity = Date.now();
        }
        decodeFirst = false;

        let result = this.#wire.decode(buffer, start, end);
        start += result.consumed;
        if (result.requests.length > 1) this.#hooks.prefetch?.(result.requests);
        while (true) {
          this.session.buffers.query = end - start;
          const requests = result.requests;
          let next = 0;
          while (next < requests.length) {
            this.#hooks.beforeBatch();
            // Run requests while the output is small; a big reply ends the chunk.
            let contiguous = false;
            while (next < requests.length && this.#wire.pendingOutputBytes < OUTPUT_CHUNK_BYTES) {
              const late = this.#wire.handle(requests[next++]!, contiguous);
              contiguous = late === undefined;
              if (late !== undefined) await late;
              if (this.session.closeRequested) next = requests.length;
              if (this.session.blocked !== undefined) break;
            }
            // With appendfsync always, replies wait until the chunk's writes are on disk.
            const durable = this.#hooks.afterBatch();
            if (durable !== undefined) {
              this.#holding = true;
              await durable;
              this.#holding = false;
            }
            if (this.session.blocked !== undefined && !this.session.closeRequested) {
              // Blocked (BLPOP …): what came before goes out now; the requests after it wait.
              // The socket is still read meanwhile, only to notice the client leaving (which
              // ends the wait), and its bytes are kept for after the wake, as Redis keeps them.
              await this.#send(this.#wire.takeOutputToSend());
              for (;;) {
                if (pendingRead === undefined) {
                  if (end - start > this.#hooks.queryBufferLimit()) {
                    this.#logQueryBufferLimit(end - start);
                    return;
                  }
                  if (end === buffer.length) {
                    const target = new Uint8Array(buffer.length * 2);
                    target.set(buffer.subarray(start, end));
                    this.#inputResized(target.length);
                    buffer = target;
                    end -= start;
                    start = 0;
                  }
                  pendingRead = this.#read(buffer.subarray(end));
                }
                const outcome = await this.#nextOfWakeOrRead(pendingRead);
                if ("woken" in outcome) {
                  this.#wire.reply(outcome.woken);
                  break;
                }
                pendingRead = undefined;
                if (outcome.count === null) {
                  this.#hooks.peerClosed?.();
                  return;
                }
                end += outcome.count;
                this.#hooks.received(outcome.count);
                this.lastActivity = Date.now();
                decodeFirst = true;
              }
              continue;
            }
            // The rest of the read runs once this chunk is on its way and the one before has left.
            if (next < requests.length) {
              const sending = this.#send(this.#wire.takeOutputToSend());
              if (sending !== undefined) await sending;
            }
            if (this.#closing) break;
          }
          // Before AUTH the wire decodes one request at a time, so AUTH applies to the next.
          if (result.more !== true || this.session.closeRequested || this.#closing) break;
          result = this.#wire.decode(buffer, start, end);
          start += result.consumed;
        }
        if (result.error !== undefined) {
          this.#wire.protocolError(result.error);
          this.#hooks.log(
            `Protocol error from client id=${this.session.id} addr=${this.session.address}: ${result.error}`,
          );
          this.session.closeRequested = true;
        }
        // Awaited only when the previous write is still going (backpressure).
        const sending = this.#send(this.#wire.takeOutputToSend());
        if (sending !== undefined) await sending;
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
      this.#inputResized(0);
    }
  }

  /** Accounts for an input buffer of `capacity` bytes replacing the previous one. */
  #inputResized(capacity: number): void {
    const buffers = this.session.buffers;
    buffers.queryCapacity = capacity;
    if (capacity > buffers.queryCapacityPeak) buffers.queryCapacityPeak = capacity;
    const counted = Math.max(0, capacity - INITIAL_BUFFER);
    if (counted === this.#inputBytes) return;
    this.#hooks.bufferBytesChanged(counted - this.#inputBytes);
    this.#inputBytes = counted;
  }

  /** Accounts for output handed to the socket (positive) or taken by it (negative). */
  #outputMoved(delta: number): void {
    // Output moves in when queued and out once per finished write.
    if (delta > 0) this.#hooks.sent(delta);
    else if (delta < 0) this.#hooks.written();
    const buffers = this.session.buffers;
    buffers.output += delta;
    if (buffers.output > buffers.outputPeak) buffers.outputPeak = buffers.output;
    this.#hooks.bufferBytesChanged(delta);
  }

  /**
   * Ends a blocked wait with `reply` (served, timed out, CLIENT UNBLOCK):
   * the loop writes it and runs the requests that waited behind it.
   */
  wake(reply: Reply): void {
    const resolve = this.#wakeUp;
    this.#wakeUp = undefined;
    if (resolve !== undefined) resolve(reply);
    else this.#earlyWake = reply;
  }

  /** Waits for the wake or for the read to finish, whichever is first; never rejects for the read. */
  async #nextOfWakeOrRead(
    read: Promise<number | null>,
  ): Promise<{ woken: Reply } | { count: number | null }> {
    const early = this.#earlyWake;
    if (early !== undefined) {
      this.#earlyWake = undefined;
      return { woken: early };
    }
    let wokenBy: Reply | undefined;
    const woken = new Promise<Reply>((resolve) =>
      this.#wakeUp = (reply) => {
        wokenBy = reply;
        resolve(reply);
      }
    );
    this.#waitingForInput = true;
    try {
      const outcome = await Promise.race([
        woken.then((reply) => ({ woken: reply })),
        read.then((count) => ({ count })),
      ]);
      // The read won a race the wake also ran in (the client sent its next request as it was
      // served): keep the reply for the next wait, or the served client never gets it.
      if ("count" in outcome && wokenBy !== undefined) this.#earlyWake = wokenBy;
      return outcome;
    } finally {
      this.#waitingForInput = false;
      this.#wakeUp = undefined;
    }
  }

  /** Starts a read; marked handled, so a read abandoned by a closing loop never goes unhandled. */
  #read(target: Uint8Array): Promise<number | null> {
    const read = this.#conn.read(target);
    read.catch(ignoreFailure);
    return read;
  }

  #logQueryBufferLimit(pending: number): void {
    this.#hooks.log(
      `Closing client id=${this.session.id} addr=${this.session.address}: ` +
        `${pending} unparsed bytes exceed client-query-buffer-limit`,
    );
  }

  /**
   * Sends one chunk of replies, taken with the wire's takeOutputToSend(): a
   * promise, resolved once the previous chunk has been written and this one
   * is on its way (fully written, for a subscriber), or undefined when the
   * write could start at once. One write in flight at a time keeps
   * backpressure (a client that never reads stalls us here), while not
   * awaiting it lets the next read or chunk start at once: 0 to +30%
   * requests/s without pipelining in noisy A/B runs here. The encoder
   * alternates two buffers, so the bytes need no copy: the one being written
   * is encoded into again only after this has waited for that write.
   */
  #send(output: Output): Promise<void> | undefined {
    if (this.session.subscriptions !== undefined || this.#outbox !== undefined) {
      return this.#sendToOutbox(output);
    }
    const length = outputLength(output);
    if (length === 0) return undefined;
    const inFlight = this.#inFlight;
    if (inFlight === undefined) {
      this.#write(output, length);
      return undefined;
    }
    return inFlight.then(() => this.#write(output, length));
  }

  #write(output: Output, length: number): void {
    const writing = output instanceof Uint8Array
      ? writeAll(this.#conn, output)
      : writeParts(this.#conn, output);
    this.#outputMoved(length);
    this.#inFlight = writing.then(
      () => {
        this.#inFlight = undefined;
        this.#outputMoved(-length);
      },
      (cause) => {
        this.#outputMoved(-length);
        this.#failWrite(cause);
      },
    );
  }

  /** A subscriber's chunk: its bytes are copied into the outbox's queue, behind the messages. */
  async #sendToOutbox(output: Output): Promise<void> {
    // Created at the end of the chunk that subscribed, before anything is awaited, so a push
    // arriving meanwhile queues behind this chunk's replies.
    if (this.#outbox === undefined) {
      this.#outbox = this.#newOutbox();
      if (this.#inFlight !== undefined) {
        this.#outbox.enqueue(flattenOutput(output));
        output = EMPTY;
        await this.#inFlight;
      }
    }
    // Subscribers rarely get big values back: their output is flattened into the queue.
    await this.#sendQueued(
      this.#outbox,
      output instanceof Uint8Array ? output : flattenOutput(output),
    );
  }

  #newOutbox(): Outbox {
    return new Outbox(this.#conn, (delta) => this.#outputMoved(delta));
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
    this.pushBytes(this.#wire.encodePush(message));
  }

  /**
   * Queues bytes already encoded (a replica's command stream) as {@link push}
   * queues a message: in order after the replies so far, the client dropped
   * when its backlog breaks its output limit. The bytes must not change.
   */
  pushBytes(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (this.#holding) {
      (this.#held ??= []).push(bytes);
      return;
    }
    const outbox = this.#outbox ??= this.#newOutbox();
    if (this.#waitingForInput) {
      // The usual case, a message from another client's batch: nothing of ours is pending,
      // and with the loop parked on its read only we can start the writer.
      outbox.enqueue(bytes);
      outbox.flush();
    } else {
      // Inside our own batch, the replies produced so far go first (elsewhere there are none);
      // the loop sends the rest and starts the writer.
      const before = this.#wire.takeOutput();
      if (outputLength(before) > 0) outbox.enqueue(flattenOutput(before));
      outbox.enqueue(bytes);
    }
    this.#enforceOutputLimit(outbox);
  }

  /**
   * Queues bytes that resolve once written, outside the output limit: an RDB
   * sent to a replica in chunks, each awaited (its own backpressure). Rejects
   * when the connection closes first.
   */
  sendBytes(bytes: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new Deno.errors.BadResource("Connection closed"));
    const outbox = this.#outbox ??= this.#newOutbox();
    if (!this.#waitingForInput) {
      const before = this.#wire.takeOutput();
      if (outputLength(before) > 0) outbox.enqueue(flattenOutput(before));
    }
    return outbox.send(bytes);
  }

  /** Bytes queued for the socket and not yet written (a replica's output buffer). */
  get queuedBytes(): number {
    return this.#outbox?.bytes ?? 0;
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

/** The handler of a read the loop may abandon: its failure is the closing it follows. */
function ignoreFailure(): void {}

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
