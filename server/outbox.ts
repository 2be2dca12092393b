/**
 * A connection's queue of output waiting for the socket, with one writer
 * draining it: what lets PUBLISH hand a message to a slow subscriber and
 * return at once.
 *
 * Only connections that receive pushes (pub/sub) get one. From then on all
 * their output, replies included, goes through it, so pushes and replies
 * leave in the order they were produced and only one write is ever in
 * flight on the socket. The bytes queued are counted, so the connection can
 * enforce `client-output-buffer-limit`.
 *
 * @module
 */
import { writeAll } from "./write.ts";
import type { StreamConn } from "./stream.ts";

/** Small chunks (one message each) are copied into one write up to this size. */
const COALESCE_BYTES = 64 * 1024;

interface Waiter {
  /** The chunk count at which the waiter's own bytes have all been written. */
  readonly upTo: number;
  resolve(): void;
  reject(cause: unknown): void;
}

export class Outbox {
  readonly #conn: StreamConn;
  #chunks: Uint8Array[] = [];
  /** Bytes queued and not yet written, the one in flight included. */
  #bytes = 0;
  /** Chunks ever enqueued, and ever written: positions waiters wait for. */
  #enqueued = 0;
  #written = 0;
  #waiters: Waiter[] = [];
  #writing = false;
  #failure: unknown;
  /** Where small chunks are gathered for one write; reused, since each write is awaited. */
  #scratch: Uint8Array | undefined;

  /** Told how {@link Outbox.bytes} moved, so the connection can account for its memory. */
  readonly #bytesChanged: (delta: number) => void;

  constructor(conn: StreamConn, bytesChanged: (delta: number) => void = () => {}) {
    this.#conn = conn;
    this.#bytesChanged = bytesChanged;
  }

  /** Bytes waiting for the socket (Redis's `omem` for this client). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Queues `bytes`, which must not change afterwards; call {@link Outbox.flush} to send. */
  enqueue(bytes: Uint8Array): void {
    if (this.#failure !== undefined || bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#bytes += bytes.length;
    this.#bytesChanged(bytes.length);
    this.#enqueued++;
  }

  /** Starts the writer unless it is running; it stops once the queue is empty. */
  flush(): void {
    if (this.#writing || this.#chunks.length === 0 || this.#failure !== undefined) return;
    this.#writing = true;
    // Starting after the current batch of commands lets everything that batch queued
    // (say, 32 pipelined PUBLISHes) leave in one write instead of two or more.
    queueMicrotask(() => void this.#drain());
  }

  /**
   * Queues `bytes` and resolves once they are written (the read loop's
   * backpressure); rejects if the socket fails first.
   */
  send(bytes: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (bytes.length === 0) {
      this.flush();
      return Promise.resolve();
    }
    this.enqueue(bytes);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#waiters.push({ upTo: this.#enqueued, resolve, reject });
    this.flush();
    return promise;
  }

  /** Drops everything queued (the connection is closing); pending sends reject with `cause`. */
  discard(cause: unknown): void {
    this.#fail(cause);
  }

  async #drain(): Promise<void> {
    try {
      while (this.#chunks.length > 0 && this.#failure === undefined) {
        const chunks = this.#chunks;
        this.#chunks = [];
        let index = 0;
        while (index < chunks.length) {
          // Coalesce a run of small chunks into one write; a big chunk goes out as it is.
          let end = index + 1;
          let size = chunks[index]!.length;
          while (end < chunks.length && size + chunks[end]!.length <= COALESCE_BYTES) {
            size += chunks[end++]!.length;
          }
          const bytes = end === index + 1
            ? chunks[index]!
            : gather(chunks, index, end, this.#scratch ??= new Uint8Array(COALESCE_BYTES));
          await writeAll(this.#conn, bytes);
          if (this.#failure !== undefined) return;
          this.#bytes -= size;
          this.#bytesChanged(-size);
          this.#written += end - index;
          index = end;
          this.#settle();
        }
      }
    } catch (cause) {
      this.#fail(cause);
    } finally {
      this.#writing = false;
    }
  }

  #settle(): void {
    if (this.#waiters.length === 0) return;
    const ready = this.#waiters.filter((waiter) => waiter.upTo <= this.#written);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((waiter) => waiter.upTo > this.#written);
    for (const waiter of ready) waiter.resolve();
  }

  #fail(cause: unknown): void {
    if (this.#failure !== undefined) return;
    this.#failure = cause ?? new Error("Connection closed");
    this.#chunks = [];
    this.#bytesChanged(-this.#bytes);
    this.#bytes = 0;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(this.#failure);
  }
}

/** Copies `chunks[from, to)` (at most {@link COALESCE_BYTES} in all) to the front of `into`. */
function gather(
  chunks: readonly Uint8Array[],
  from: number,
  to: number,
  into: Uint8Array,
): Uint8Array {
  let offset = 0;
  for (let i = from; i < to; i++) {
    into.set(chunks[i]!, offset);
    offset += chunks[i]!.length;
  }
  return into.subarray(0, offset);
}
