/**
 * One connection of the original workload, in a Web Worker of its own: the
 * original C++ benchmark's client thread (bench/original_load.ts explains why
 * a Worker). It sends one request, waits for its whole reply, records the
 * round trip, and repeats over its 61-command list; then it posts the
 * latencies (microseconds, transferred, not copied) and exits.
 *
 * Where libc can be loaded (Linux, `--allow-ffi`), the socket is a plain
 * blocking one driven through `Deno.dlopen`, as the C++ thread drives its
 * own: a round trip is one `write` and one blocking `read`, without the two
 * async ops, promise and event-loop turn per call of `Deno.Conn`, which
 * measured here as 30.6k req/s against the original server where its C++
 * benchmark made 34.4k in the same minute. Elsewhere it falls back to
 * `Deno.connect`.
 *
 * @module
 */
import { kacheProtocol, originalWorkload } from "../cli/bench_workload.ts";

/** What the main thread asks of one worker. */
export interface OriginalLoadTask {
  readonly port: number;
  /** The connection's number, which picks its command list (as the C++ threads' ids do not). */
  readonly connection: number;
  readonly seed: number;
  /** Times the 61-command list is sent. */
  readonly repeats: number;
}

/** What a worker posts back: the round-trip times, or why it stopped. */
export type OriginalLoadReport =
  | { readonly ready: true; readonly blocking: boolean }
  | { readonly latencies: Float64Array; readonly errorReplies: number }
  | { readonly failure: string };

/** The two calls a round trip needs, whichever socket is underneath. */
interface RoundTripSocket {
  /** True when the calls block the worker (libc), false for Deno.Conn. */
  readonly blocking: boolean;
  write(bytes: Uint8Array): Promise<void> | void;
  /** Bytes read into `target`, 0 when the server closed the connection. */
  read(target: Uint8Array): Promise<number> | number;
  close(): void;
}

const self = globalThis as unknown as {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: OriginalLoadReport, transfer?: Transferable[]): void;
  close(): void;
};

const LIBC_SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "buffer", "u32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

/** A blocking TCP socket through libc, or undefined where libc cannot be loaded. */
function connectBlocking(port: number): RoundTripSocket | undefined {
  if (Deno.build.os !== "linux") return undefined;
  let libc: Deno.DynamicLibrary<typeof LIBC_SYMBOLS>;
  try {
    libc = Deno.dlopen("libc.so.6", LIBC_SYMBOLS);
  } catch {
    return undefined;
  }
  const c = libc.symbols;
  const [AF_INET, SOCK_STREAM, IPPROTO_TCP, TCP_NODELAY] = [2, 1, 6, 1];
  const fd = c.socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw new Error("socket() failed");
  // struct sockaddr_in: family (host order), port (network order), address, zero padding.
  const address = new Uint8Array(16);
  new DataView(address.buffer).setUint16(0, AF_INET, true);
  new DataView(address.buffer).setUint16(2, port, false);
  address.set([127, 0, 0, 1], 4);
  if (c.connect(fd, address, address.length) !== 0) {
    c.close(fd);
    throw new Error(`connect() to 127.0.0.1:${port} failed`);
  }
  c.setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, new Int32Array([1]), 4);
  return {
    blocking: true,
    write(bytes) {
      for (let written = 0; written < bytes.length;) {
        const part = written === 0 ? bytes : bytes.subarray(written);
        const count = Number(c.write(fd, part, BigInt(part.length)));
        if (count < 0) throw new Error("write() failed");
        written += count;
      }
    },
    read(target) {
      const count = Number(c.read(fd, target, BigInt(target.length)));
      if (count < 0) throw new Error("read() failed");
      return count;
    },
    close() {
      c.close(fd);
      libc.close();
    },
  };
}

async function connectDeno(port: number): Promise<RoundTripSocket> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  return {
    blocking: false,
    async write(bytes) {
      for (let written = 0; written < bytes.length;) {
        written += await conn.write(bytes.subarray(written));
      }
    },
    async read(target) {
      return await conn.read(target) ?? 0;
    },
    close: () => conn.close(),
  };
}

/** The connection, opened on "connect" so that connecting is not part of the timed run. */
let socket: RoundTripSocket | undefined;
let task: OriginalLoadTask | undefined;

async function run(socket: RoundTripSocket, task: OriginalLoadTask): Promise<void> {
  const commands = originalWorkload(task.seed).commandsFor(task.connection);
  const frames = commands.map((command) => kacheProtocol.encode(command));
  const counter = kacheProtocol.createReplyCounter();
  const latencies = new Float64Array(frames.length * task.repeats);
  const buffer = new Uint8Array(64 * 1024);
  let errorReplies = 0;
  let recorded = 0;
  for (let repeat = 0; repeat < task.repeats; repeat++) {
    for (const frame of frames) {
      const sentAt = performance.now();
      // The blocking socket's calls return plain values: awaited only when they are promises.
      const writing = socket.write(frame);
      if (writing !== undefined) await writing;
      let filled = 0;
      for (;;) {
        const reading = socket.read(buffer.subarray(filled));
        const read = typeof reading === "number" ? reading : await reading;
        if (read === 0) throw new Error("the server closed the connection");
        filled += read;
        if (counter.scan(buffer, 0, filled, 1) === 1) break;
        if (counter.failure !== undefined) throw new Error(`broken reply: ${counter.failure}`);
        if (filled === buffer.length) throw new Error("a reply larger than 64 KB");
      }
      errorReplies += counter.errorReplies;
      latencies[recorded++] = (performance.now() - sentAt) * 1000;
    }
  }
  self.postMessage({ latencies, errorReplies }, [latencies.buffer]);
}

self.onmessage = async (event: MessageEvent) => {
  const message = event.data as { connect: OriginalLoadTask } | { start: true };
  try {
    if ("connect" in message) {
      task = message.connect;
      socket = connectBlocking(task.port) ?? await connectDeno(task.port);
      self.postMessage({ ready: true, blocking: socket.blocking });
      return;
    }
    await run(socket!, task!);
  } catch (error) {
    self.postMessage({ failure: error instanceof Error ? error.message : String(error) });
  } finally {
    if ("start" in message) {
      socket?.close();
      self.close();
    }
  }
};
