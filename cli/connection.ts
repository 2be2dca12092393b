/**
 * A client connection to a Kache (or Redis) server over RESP or the binary
 * Kache protocol, used by `kache client` and by end-to-end tests.
 *
 * Pipelining is the normal case: `send` may be called many times without
 * awaiting; requests written in the same tick leave in one write, one read
 * loop decodes replies, and each reply settles the oldest waiting request
 * (both protocols answer strictly in order).
 *
 * Replies nobody waits for are pushes: RESP3 `>` messages always, and any
 * reply that arrives while no request is waiting (RESP2 pub/sub messages,
 * MONITOR lines). They go to {@link KacheConnection.onPush}. For SUBSCRIBE
 * and friends, whose confirmations are pushes in RESP3, use
 * {@link KacheConnection.sendWithoutReply} and read everything from `onPush`.
 *
 * Arguments and replies are one-byte strings (char code = byte).
 *
 * @module
 */
import { encodeKacheRequest, KacheResponseDecoder } from "../lib/protocol/kache.ts";
import {
  type ClientReply,
  encodeRespRequest,
  fromKacheResponse,
  RespReplyDecoder,
} from "../lib/protocol/resp_reply.ts";
import { concatBytes } from "../lib/bytes.ts";

/** Which wire protocol a connection speaks. */
export type ClientProtocol = "resp" | "kache";

export interface ConnectOptions {
  readonly hostname: string;
  readonly port: number;
  readonly protocol: ClientProtocol;
  /** A Unix socket path; when set, `hostname` and `port` are not used (redis-cli `-s`). */
  readonly socketPath?: string;
  /** Speak TLS (redis-cli `--tls`); ignored for a Unix socket. */
  readonly tls?: TlsOptions;
}

/** TLS settings: PEM texts, not file names (the caller reads the files). */
export interface TlsOptions {
  /** CA certificates to verify the server with; the system's roots when omitted. */
  readonly caCerts?: readonly string[];
  /** A client certificate and its key, for servers with `tls-auth-clients yes`. */
  readonly cert?: string;
  readonly key?: string;
}

/** Thrown for a connection that failed or closed; `message` is fit to print after "Error: ". */
export class ConnectionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionError";
  }
}

interface Waiter {
  resolve(reply: ClientReply): void;
  reject(error: Error): void;
}

/** Replies decoded from one read, or the reason the stream is broken. */
interface DecodeStep {
  readonly replies: ClientReply[];
  readonly consumed: number;
  readonly error?: string;
}

const INITIAL_BUFFER = 64 * 1024;

/**
 * One connection to a server.
 *
 * @example Pipelined requests
 * ```ts ignore
 * import { KacheConnection } from "./connection.ts";
 * const connection = await KacheConnection.connect({ hostname: "127.0.0.1", port: 6379, protocol: "resp" });
 * const [set, get] = await Promise.all([connection.send(["SET", "a", "1"]), connection.send(["GET", "a"])]);
 * connection.close();
 * ```
 */
export class KacheConnection {
  readonly protocol: ClientProtocol;
  /** Receives replies no request waits for (see the module comment). Unset: they are dropped. */
  onPush: ((reply: ClientReply) => void) | undefined;
  /** Settles when the connection has closed, for whatever reason; never rejects. */
  readonly closed: Promise<void>;

  #conn: Deno.Conn;
  #decode: (bytes: Uint8Array, start: number, end: number) => DecodeStep;
  #encode: (argv: readonly string[]) => Uint8Array;
  /** Requests awaiting replies, oldest first; `#head` avoids O(n) shifts under deep pipelines. */
  #waiting: (Waiter | undefined)[] = [];
  #head = 0;
  /** Encoded requests not yet written; flushed together once per tick. */
  #outbox: Uint8Array[] = [];
  #flushing = false;
  /** Why the connection ended; set once, then every send fails with it. */
  #failure: ConnectionError | undefined;
  /** Waiting for the outbox to be written (see {@link writeRaw}). */
  #flushed: (() => void)[] = [];
  /** Set by {@link readRaw}: bytes read go here undecoded. */
  #rawSink: ((bytes: Uint8Array) => Promise<void> | void) | undefined;

  private constructor(conn: Deno.Conn, protocol: ClientProtocol) {
    this.#conn = conn;
    this.protocol = protocol;
    if (protocol === "resp") {
      const decoder = new RespReplyDecoder();
      this.#decode = (bytes, start, end) => decoder.decode(bytes, start, end);
      this.#encode = encodeRespRequest;
    } else {
      const decoder = new KacheResponseDecoder();
      this.#decode = (bytes, start, end) => {
        const result = decoder.decode(bytes, start, end);
        return {
          replies: result.responses.map(fromKacheResponse),
          consumed: result.consumed,
          error: result.error,
        };
      };
      this.#encode = encodeKacheRequest;
    }
    this.closed = this.#readLoop();
  }

  /**
   * Opens a connection. Fails with a {@link ConnectionError} whose message
   * reads like the operating system's, e.g. "Connection refused".
   */
  static async connect(options: ConnectOptions): Promise<KacheConnection> {
    let conn: Deno.Conn;
    const { hostname, port, socketPath, tls } = options;
    try {
      if (socketPath !== undefined) {
        conn = await Deno.connect({ transport: "unix", path: socketPath });
      } else if (tls !== undefined) {
        const tlsConn = await Deno.connectTls({
          hostname,
          port,
          caCerts: tls.caCerts === undefined ? undefined : [...tls.caCerts],
          ...(tls.cert !== undefined && tls.key !== undefined
            ? { cert: tls.cert, key: tls.key }
            : {}),
        });
        // Complete the handshake now, so a certificate problem is reported as a connect failure.
        await tlsConn.handshake();
        conn = tlsConn;
      } else {
        const tcp = await Deno.connect({ hostname, port });
        tcp.setNoDelay(true);
        conn = tcp;
      }
    } catch (error) {
      throw new ConnectionError(describeError(error), { cause: error });
    }
    return new KacheConnection(conn, options.protocol);
  }

  /** Requests waiting for a reply. */
  get pending(): number {
    return this.#waiting.length - this.#head;
  }

  /** True once the connection has failed or been closed. */
  get isClosed(): boolean {
    return this.#failure !== undefined;
  }

  /** Sends one request (`argv` of one-byte strings) and resolves with its reply. */
  send(argv: readonly string[]): Promise<ClientReply> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const { promise, resolve, reject } = Promise.withResolvers<ClientReply>();
    this.#waiting.push({ resolve, reject });
    this.#enqueue(this.#encode(argv));
    return promise;
  }

  /**
   * Sends a request whose replies will arrive through {@link onPush}:
   * SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE, MONITOR. Call it with no request
   * waiting, or earlier replies would be taken for pushes' or vice versa.
   */
  sendWithoutReply(argv: readonly string[]): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#enqueue(this.#encode(argv));
  }

  /**
   * Writes bytes as they are (redis-cli `--pipe`: protocol read from stdin),
   * after any request already queued; resolves once they are written, so a
   * caller feeding a large input waits for the socket. Replies to what the
   * bytes hold arrive through {@link onPush}, as nobody waits for them.
   */
  writeRaw(bytes: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#flushed.push(resolve);
    this.#enqueue(bytes);
    return promise.then(() => {
      if (this.#failure !== undefined) throw this.#failure;
    });
  }

  /**
   * From now on, bytes read are given to `sink` undecoded, starting with any
   * read but not yet decoded: for SYNC, whose RDB payload is not RESP. The
   * next read waits until the promise `sink` returns settles (backpressure);
   * the bytes are only valid until then. Call it with no request waiting.
   */
  readRaw(sink: (bytes: Uint8Array) => Promise<void> | void): void {
    this.#rawSink = sink;
  }

  /** Closes the connection; waiting requests fail. Safe to call twice. */
  close(): void {
    this.#fail(new ConnectionError("Connection closed by client"));
  }

  #enqueue(bytes: Uint8Array): void {
    this.#outbox.push(bytes);
    if (!this.#flushing) {
      this.#flushing = true;
      // Requests issued in the same tick (a pipeline) leave in one write.
      queueMicrotask(() => this.#flush());
    }
  }

  async #flush(): Promise<void> {
    try {
      while (this.#outbox.length > 0 && this.#failure === undefined) {
        const chunks = this.#outbox;
        this.#outbox = [];
        const bytes = chunks.length === 1 ? chunks[0]! : concatBytes(chunks);
        for (let written = 0; written < bytes.length;) {
          written += await this.#conn.write(bytes.subarray(written));
        }
      }
    } catch (error) {
      this.#fail(new ConnectionError(describeError(error), { cause: error }));
    } finally {
      this.#flushing = false;
      const flushed = this.#flushed;
      this.#flushed = [];
      for (const resolve of flushed) resolve();
    }
  }

  async #readLoop(): Promise<void> {
    let buffer = new Uint8Array(INITIAL_BUFFER);
    let start = 0;
    let end = 0;
    try {
      while (this.#failure === undefined) {
        if (end === buffer.length) {
          const kept = end - start;
          // Grow when the unread tail fills more than half the buffer; else slide it down.
          if (kept * 2 > buffer.length) {
            const grown = new Uint8Array(buffer.length * 2);
            grown.set(buffer.subarray(start, end));
            buffer = grown;
          } else {
            buffer.copyWithin(0, start, end);
          }
          start = 0;
          end = kept;
        }
        const count = await this.#conn.read(buffer.subarray(end));
        if (count === null) {
          this.#fail(new ConnectionError("Server closed the connection"));
          return;
        }
        end += count;
        if (this.#rawSink !== undefined) {
          // Any tail not decoded before the switch comes first, in order.
          await this.#rawSink(buffer.subarray(start, end));
          start = end = 0;
          continue;
        }
        const step = this.#decode(buffer, start, end);
        start += step.consumed;
        if (start === end) start = end = 0;
        for (const reply of step.replies) this.#deliver(reply);
        if (step.error !== undefined) {
          this.#fail(new ConnectionError(step.error));
          return;
        }
      }
    } catch (error) {
      this.#fail(new ConnectionError(describeError(error), { cause: error }));
    }
  }

  #deliver(reply: ClientReply): void {
    if (reply.type !== "push" && this.#head < this.#waiting.length) {
      const waiter = this.#waiting[this.#head]!;
      this.#waiting[this.#head++] = undefined; // let the settled promise be collected
      if (this.#head === this.#waiting.length) {
        this.#waiting = [];
        this.#head = 0;
      }
      waiter.resolve(reply);
      return;
    }
    this.onPush?.(reply);
  }

  #fail(error: ConnectionError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer: nothing left to release.
    }
    const waiting = this.#waiting.slice(this.#head);
    this.#waiting = [];
    this.#head = 0;
    for (const waiter of waiting) waiter?.reject(error);
  }
}

/** "Connection refused (os error 111)" → "Connection refused", as redis-cli words it. */
function describeError(error: unknown): string {
  if (error instanceof Deno.errors.ConnectionRefused) return "Connection refused";
  if (error instanceof Deno.errors.ConnectionReset) return "Connection reset by peer";
  if (error instanceof Deno.errors.BrokenPipe) return "Server closed the connection";
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/ \(os error \d+\)$/, "");
}
