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
 * @module
 */
import type { Session } from "../lib/session.ts";
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
  /** Runs one request and encodes its reply into the pending output. */
  handle(argv: readonly string[]): void;
  /** Encodes the reply to broken framing, for protocols that have one. */
  protocolError(message: string): void;
  /** The pending output, valid until the next handle(); clears it. */
  takeOutput(): Uint8Array;
}

const INITIAL_BUFFER = 16 * 1024;
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
  #closed = false;

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
        const wanted = Math.max(pending + 1, Math.min(this.#wire.bytesNeeded, buffer.length * 2));
        if (start + wanted > buffer.length) {
          // Move the partial frame to the front, growing only when it cannot fit.
          const target = wanted > buffer.length ? new Uint8Array(wanted) : buffer;
          target.set(buffer.subarray(start, end));
          buffer = target;
          end -= start;
          start = 0;
        }
        this.#waitingForInput = true;
        const count = await this.#conn.read(buffer.subarray(end));
        this.#waitingForInput = false;
        if (count === null) break;
        end += count;
        this.lastActivity = Date.now();

        const result = this.#wire.decode(buffer, start, end);
        start += result.consumed;
        if (result.requests.length > 0) {
          this.#hooks.beforeBatch();
          for (const argv of result.requests) {
            this.#wire.handle(argv);
            if (this.session.closeRequested) break;
          }
          // With appendfsync always, replies wait until the batch's writes are on disk.
          const durable = this.#hooks.afterBatch();
          if (durable !== undefined) await durable;
        }
        if (result.error !== undefined) {
          this.#wire.protocolError(result.error);
          this.#hooks.log(
            `Protocol error from client id=${this.session.id} addr=${this.session.address}: ${result.error}`,
          );
          this.session.closeRequested = true;
        }
        const output = this.#wire.takeOutput();
        if (output.length > 0) await writeAll(this.#conn, output);
        if (this.session.closeRequested) break;
      }
    } catch (cause) {
      if (!this.#closing && !isDisconnect(cause)) {
        this.#hooks.log(`Client id=${this.session.id} closed after error: ${describe(cause)}`);
      }
    } finally {
      this.#close();
    }
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
    if (this.#waitingForInput) this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
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
