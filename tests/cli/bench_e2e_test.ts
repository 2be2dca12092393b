import assert from "node:assert/strict";
import { type BenchIo, runBench } from "../../cli/bench.ts";
import type { BenchResult } from "../../cli/bench_report.ts";
import { ORIGINAL_FIXED_COMMANDS } from "../../cli/bench_workload.ts";
import { KacheDecoder } from "../../lib/protocol/kache.ts";

interface FakeServer {
  readonly port: number;
  /** Requests decoded so far, per connection in accept order. */
  readonly received: string[][][];
  /** Stops accepting, closes every connection and waits for their loops to end. */
  close(): Promise<void>;
}

interface FakeServerOptions {
  /** Status of every response (default 0, OK). */
  status?: number;
  /** Close each connection after answering this many requests. */
  closeAfter?: number;
}

/** A binary-protocol server that answers every request with `status` and no data. */
function startFakeServer(options: FakeServerOptions = {}): FakeServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const loops: Promise<void>[] = [];
  const received: string[][][] = [];
  const status = options.status ?? 0;

  async function serve(conn: Deno.Conn, requests: string[][]): Promise<void> {
    const decoder = new KacheDecoder();
    let buffer = new Uint8Array(4096);
    let filled = 0;
    try {
      while (true) {
        if (filled === buffer.length) {
          const grown = new Uint8Array(buffer.length * 2);
          grown.set(buffer);
          buffer = grown;
        }
        const read = await conn.read(buffer.subarray(filled));
        if (read === null) return;
        filled += read;
        const result = decoder.decode(buffer, 0, filled);
        if (result.error !== undefined) throw new Error(result.error);
        buffer.copyWithin(0, result.consumed, filled);
        filled -= result.consumed;
        let answer = result.requests.length;
        if (options.closeAfter !== undefined) {
          answer = Math.min(answer, options.closeAfter - requests.length);
        }
        requests.push(...result.requests.slice(0, answer));
        const reply = new Uint8Array(8 * answer);
        const view = new DataView(reply.buffer);
        for (let i = 0; i < answer; i++) {
          view.setUint32(i * 8, 4, true);
          view.setUint32(i * 8 + 4, status, true);
        }
        let offset = 0;
        while (offset < reply.length) offset += await conn.write(reply.subarray(offset));
        if (requests.length === options.closeAfter) return;
      }
    } catch {
      // The bench hung up or close() closed the socket: either way this loop is done.
    } finally {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // Already closed by close().
      }
    }
  }

  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        const requests: string[][] = [];
        received.push(requests);
        conns.add(conn);
        loops.push(serve(conn, requests));
      }
    } catch {
      // The listener was closed.
    }
  })();

  return {
    port: listener.addr.port,
    received,
    async close() {
      listener.close();
      await accepting;
      for (const conn of conns) conn.close();
      await Promise.all(loops);
    },
  };
}

interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function bench(args: string[]): Promise<Captured> {
  let stdout = "";
  let stderr = "";
  const io: BenchIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stderrIsTerminal: false,
  };
  const code = await runBench(args, io);
  return { code, stdout, stderr };
}

async function benchJson(server: FakeServer, args: string[]): Promise<BenchResult> {
  const { code, stdout, stderr } = await bench(["-p", String(server.port), "--json", ...args]);
  assert.equal(stderr, "");
  assert.equal(code, 0);
  return JSON.parse(stdout);
}

Deno.test("runBench -n sends exactly that many requests over 4 connections", async () => {
  const server = startFakeServer();
  try {
    const result = await benchJson(server, ["-n", "5000"]);
    assert.equal(result.requests, 5000);
    assert.equal(result.errors, 0);
    assert.equal(result.connections, 4);
    assert.equal(result.protocol, "kache");
    assert.ok(result.throughput > 0);
    assert.ok(result.latencyMs.min > 0 && result.latencyMs.min <= result.latencyMs.p50);
    assert.ok(result.latencyMs.p50 <= result.latencyMs.p99);
    assert.ok(result.latencyMs.p99 <= result.latencyMs.max + 0.001);
    assert.equal(server.received.length, 4);
    assert.deepEqual(server.received.map((requests) => requests.length), [1250, 1250, 1250, 1250]);
    for (const requests of server.received) {
      assert.deepEqual(requests.slice(0, 11), ORIGINAL_FIXED_COMMANDS);
    }
  } finally {
    await server.close();
  }
});

Deno.test("runBench sends connections × repeats × 61 requests", async () => {
  const server = startFakeServer();
  try {
    const result = await benchJson(server, ["-c", "3", "--repeats", "4"]);
    assert.equal(result.requests, 3 * 4 * 61);
    for (const requests of server.received) {
      assert.equal(requests.length, 4 * 61);
      assert.deepEqual(requests.slice(0, 61), requests.slice(183, 244), "the list repeats");
    }
  } finally {
    await server.close();
  }
});

Deno.test("runBench with a pipeline keeps the request order and count", async () => {
  const server = startFakeServer();
  try {
    const result = await benchJson(server, ["-c", "2", "-P", "16", "-n", "1001", "--seed", "9"]);
    assert.equal(result.requests, 1001);
    assert.equal(result.pipeline, 16);
    assert.equal(server.received[0]!.length, 501);
    assert.deepEqual(server.received[0]!.slice(61, 122), server.received[0]!.slice(0, 61));
  } finally {
    await server.close();
  }
});

Deno.test("runBench --duration runs until the time is up", async () => {
  const server = startFakeServer();
  try {
    const started = performance.now();
    const result = await benchJson(server, ["--duration", "0.3"]);
    assert.ok(result.requests > 0);
    assert.ok(performance.now() - started >= 300);
  } finally {
    await server.close();
  }
});

Deno.test("runBench counts status-3 replies as errors", async () => {
  const server = startFakeServer({ status: 3 });
  try {
    const result = await benchJson(server, ["-n", "100"]);
    assert.equal(result.requests, 100);
    assert.equal(result.errorReplies, 100);
    assert.equal(result.errors, 100);
  } finally {
    await server.close();
  }
});

Deno.test("runBench does not count not-found replies as errors", async () => {
  const server = startFakeServer({ status: 2 });
  try {
    const result = await benchJson(server, ["-n", "100"]);
    assert.equal(result.errors, 0);
  } finally {
    await server.close();
  }
});

Deno.test("runBench reports a connection the server closes and exits 1", async () => {
  const server = startFakeServer({ closeAfter: 10 });
  try {
    const { code, stdout, stderr } = await bench(["-p", String(server.port), "-c", "2", "--json"]);
    assert.equal(code, 1);
    const result: BenchResult = JSON.parse(stdout);
    assert.equal(result.requests, 20);
    assert.equal(result.connectionErrors, 2);
    assert.match(stderr, /Connection 1: the server closed the connection/);
  } finally {
    await server.close();
  }
});

Deno.test("runBench explains a refused connection and exits 1", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const { code, stdout, stderr } = await bench(["-p", String(port)]);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.match(stderr, new RegExp(`^Could not connect to Kache at 127\\.0\\.0\\.1:${port}: .+`));
});

Deno.test("runBench rejects unknown flags and bad values with exit 1", async () => {
  for (
    const [args, message] of [
      [["--nope"], "Unknown option '--nope'"],
      [["-c", "0"], '--connections must be at least 1, got "0"'],
      [["-p", "http"], '--port must be an integer, got "http"'],
      [["--duration", "0"], '--duration must be greater than 0, got "0"'],
      [["--duration", "1", "-n", "5"], "--duration cannot be combined"],
      [["extra"], "Unexpected argument 'extra'"],
    ] as const
  ) {
    const { code, stdout, stderr } = await bench([...args]);
    assert.equal(code, 1, args.join(" "));
    assert.equal(stdout, "");
    assert.ok(stderr.includes(message), `${args.join(" ")}: ${stderr}`);
  }
});

Deno.test("runBench --help prints usage and exits 0", async () => {
  const { code, stdout } = await bench(["--help"]);
  assert.equal(code, 0);
  assert.match(stdout, /^Usage: kache bench/);
  assert.match(stdout, /--pipeline/);
});
