/**
 * MIGRATE's transport on the main thread: hands each exchange to the worker
 * that owns the cached connections (server/migrate_worker.ts) and waits for
 * its answer with Atomics.wait, so the command completes before the server
 * serves anyone else, as Redis's synchronous MIGRATE does. The wait is
 * bounded by the command's own timeouts (each connect, write and reply line
 * gets `timeout`), plus a margin.
 *
 * @module
 */
import type { MigrateOutcome, MigrateRequest, MigrateTransport } from "../lib/migrate.ts";

/** An exchange as the worker receives it. */
export interface MigrateExchangeMessage extends MigrateRequest {
  readonly type: "exchange";
  /** Where the worker writes its answer: state, length, then JSON. Growable. */
  readonly result: SharedArrayBuffer;
}

export type MigrateWorkerMessage =
  | { readonly type: "init"; readonly count: SharedArrayBuffer }
  | { readonly type: "forget"; readonly host: string; readonly port: string }
  | MigrateExchangeMessage;

/** Time for the worker itself, beyond the exchange's timeouts: its start-up, the first time. */
const WAIT_MARGIN_MS = 5_000;

export class MigrateConnections implements MigrateTransport {
  #worker: Worker | undefined;
  /** The worker's count of cached connections. */
  readonly #count = new Int32Array(new SharedArrayBuffer(4));

  /** Connections kept to MIGRATE targets: INFO's `migrate_cached_sockets`. */
  get cachedSockets(): number {
    return Atomics.load(this.#count, 0);
  }

  exchange(request: MigrateRequest): MigrateOutcome {
    const worker = this.#start();
    // Redis's reply lines are at most 1023 bytes: room for all of them, in JSON's escapes.
    const result = new SharedArrayBuffer(64 * 1024, {
      maxByteLength: 64 * 1024 + (request.count + 2) * 6 * 1024,
    });
    const state = new Int32Array(result, 0, 2);
    const message: MigrateExchangeMessage = { type: "exchange", result, ...request };
    worker.postMessage(message);
    // Connect, AUTH and SELECT, every write piece and every reply line may each take the timeout.
    const pieces = Math.ceil(request.restores.length / (64 * 1024)) + 4;
    const bound = request.timeoutMs * (pieces + request.count) * 2 + WAIT_MARGIN_MS;
    if (Atomics.wait(state, 0, 0, bound) === "timed-out") {
      worker.postMessage({ type: "forget", host: request.host, port: request.port });
      return { kind: "io-error", writing: false };
    }
    const length = Atomics.load(state, 1);
    const text = new TextDecoder().decode(new Uint8Array(result, 8, length).slice());
    return JSON.parse(text) as MigrateOutcome;
  }

  /** Closes the cached connections and stops the worker. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    Atomics.store(this.#count, 0, 0);
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(new URL("./migrate_worker.ts", import.meta.url).href, {
      type: "module",
    });
    // A worker that fails (it cannot load) must not take the server down: the waiting MIGRATE
    // times out with IOERR, and the next one starts a fresh worker.
    worker.onerror = (event) => {
      event.preventDefault();
      if (this.#worker === worker) this.close();
    };
    worker.postMessage({ type: "init", count: this.#count.buffer as SharedArrayBuffer });
    this.#worker = worker;
    return worker;
  }
}
