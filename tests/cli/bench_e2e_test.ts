import assert from "node:assert/strict";
import { type BenchIo, parseBenchArgs, runBench } from "../../cli/bench.ts";
import type { BenchResult } from "../../cli/bench_report.ts";
import { ORIGINAL_FIXED_COMMANDS, zsetSetupCommands } from "../../cli/bench_workload.ts";
import { KacheDecoder } from "../../lib/protocol/kache.ts";
import { RespDecoder } from "../../lib/protocol/resp.ts";

interface FakeServer {
  readonly port: number;
  /** Requests decoded so far, per connection in accept order. */
  readonly received: string[][][];
  /** Stops accepting, closes every connection and waits for their loops to end. */
  close(): Promise<void>;
}

interface FakeServerOptions {
  /** Wire protocol the server speaks (default the binary Kache protocol). */
  protocol?: "kache" | "resp";
  /** Status of every binary response (default 0, OK). */
  status?: number;
  /** The RESP reply to a request (default `+OK`). */
  respReply?: (argv: readonly string[]) => string;
  /** Write each batch of replies in 3-byte pieces, so replies arrive split across reads. */
  fragment?: boolean;
  /** Close each connection after answering this many requests. */
  closeAfter?: number;
}

/** A server that answers every request: binary status `status` and no data, or a RESP reply. */
function startFakeServer(options: FakeServerOptions = {}): FakeServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const loops: Promise<void>[] = [];
  const received: string[][][] = [];
  const status = options.status ?? 0;
  const resp = options.protocol === "resp";
  const respReply = options.respReply ?? (() => "+OK\r\n");

  function encodeReplies(requests: readonly string[][]): Uint8Array {
    if (resp) return new TextEncoder().encode(requests.map(respReply).join(""));
    const reply = new Uint8Array(8 * requests.length);
    const view = new DataView(reply.buffer);
    for (let i = 0; i < requests.length; i++) {
      view.setUint32(i * 8, 4, true);
      view.setUint32(i * 8 + 4, status, true);
    }
    return reply;
  }

  async function serve(conn: Deno.Conn, requests: string[][]): Promise<void> {
    const decoder = resp ? new RespDecoder() : new KacheDecoder();
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
        const answered = result.requests.slice(0, answer);
        requests.push(...answered);
        const reply = encodeReplies(answered);
        const piece = options.fragment ? 3 : reply.length;
        for (let offset = 0; offset < reply.length;) {
          offset += await conn.write(reply.subarray(offset, offset + piece));
          // A pause lets each piece leave as its own segment.
          if (options.fragment) await new Promise((resolve) => setTimeout(resolve, 0));
        }
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

/** Like {@link benchJson} for several tests, whose JSON is an array of results. */
async function benchJsonAll(server: FakeServer, args: string[]): Promise<BenchResult[]> {
  const results: unknown = await benchJson(server, args);
  assert.ok(Array.isArray(results), "several tests print a JSON array");
  return results;
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
  for (const flag of ["--resp", "--kache", "--password", "--tests", "--value-size", "--keyspace"]) {
    assert.ok(stdout.includes(flag), flag);
  }
  assert.match(stdout, /Protocol rule:/);
});

Deno.test("parseBenchArgs picks the protocol, port and defaults from the tests named", () => {
  const pick = (args: string[]) => {
    const options = parseBenchArgs(args);
    assert.notEqual(options, "help");
    if (options === "help") throw new Error("unreachable");
    const { protocol, port, connections, requests, repeats, tests } = options;
    return { protocol, port, connections, requests, repeats, tests };
  };
  assert.deepEqual(pick([]), {
    protocol: "kache",
    port: 1234,
    connections: 4,
    requests: undefined,
    repeats: undefined,
    tests: ["original"],
  });
  assert.deepEqual(pick(["-t", "SET, get,set"]), {
    protocol: "resp",
    port: 6379,
    connections: 50,
    requests: undefined,
    repeats: undefined,
    tests: ["set", "get"],
  });
  assert.equal(pick(["-t", "set", "--kache"]).port, 1234);
  assert.equal(pick(["-t", "set", "--kache"]).protocol, "kache");
  assert.equal(pick(["--resp"]).port, 6379);
  assert.equal(pick(["--resp"]).connections, 4);
  assert.equal(pick(["-t", "original,zadd"]).protocol, "resp");
  assert.equal(pick(["-t", "set", "-p", "7000", "-c", "3"]).port, 7000);
  assert.equal(pick(["-t", "set", "-p", "7000", "-c", "3"]).connections, 3);
});

Deno.test("runBench -t set,get speaks RESP and sends redis-benchmark's commands", async () => {
  const server = startFakeServer({ protocol: "resp" });
  try {
    const { code, stdout, stderr } = await bench([
      "-p",
      String(server.port),
      "-t",
      "set,get",
      "-n",
      "500",
      "--json",
    ]);
    assert.equal(code, 0, stderr);
    const results: BenchResult[] = JSON.parse(stdout);
    assert.deepEqual(results.map((result) => [result.test, result.title]), [
      ["set", "SET"],
      ["get", "GET"],
    ]);
    for (const result of results) {
      assert.equal(result.protocol, "resp");
      assert.equal(result.requests, 500);
      assert.equal(result.connections, 50);
      assert.equal(result.errors, 0);
      assert.equal(result.keyspace, null);
    }
    // Each test opens its own 50 connections, 10 requests each.
    assert.equal(server.received.length, 100);
    for (const requests of server.received.slice(0, 50)) {
      assert.deepEqual(requests, Array(10).fill(["SET", "key:__rand_int__", "xxx"]));
    }
    for (const requests of server.received.slice(50)) {
      assert.deepEqual(requests, Array(10).fill(["GET", "key:__rand_int__"]));
    }
  } finally {
    await server.close();
  }
});

Deno.test("runBench -r draws 12-digit keys in the keyspace and -d sizes the values", async () => {
  const server = startFakeServer({ protocol: "resp" });
  try {
    const result = await benchJson(server, ["-t", "set", "-c", "2", "-n", "400", "-P", "8", ...[
      "-r",
      "50",
      "-d",
      "10",
    ]]);
    assert.equal(result.keyspace, 50);
    assert.equal(result.valueSize, 10);
    const keys = new Set<string>();
    for (const requests of server.received) {
      for (const [name, key, value] of requests) {
        assert.equal(name, "SET");
        assert.equal(value, "x".repeat(10));
        const match = /^key:(\d{12})$/.exec(key!);
        assert.ok(match, key);
        assert.ok(Number(match[1]) < 50);
        keys.add(key!);
      }
    }
    assert.ok(keys.size > 40, `${keys.size} distinct keys of 50`);
  } finally {
    await server.close();
  }
});

Deno.test("runBench -a sends AUTH first on every connection", async () => {
  const server = startFakeServer({ protocol: "resp" });
  try {
    await benchJson(server, ["-t", "get", "-c", "3", "-n", "30", "-a", "s3cret"]);
    // One checking connection, then the three bench connections.
    assert.equal(server.received.length, 4);
    assert.deepEqual(server.received[0], [["AUTH", "s3cret"]]);
    for (const requests of server.received.slice(1)) {
      assert.deepEqual(requests[0], ["AUTH", "s3cret"]);
      assert.equal(requests.length, 11);
    }
  } finally {
    await server.close();
  }
});

Deno.test("runBench explains a refused password and exits 1 before any load", async () => {
  const server = startFakeServer({
    protocol: "resp",
    respReply: ([name]) =>
      name === "AUTH" ? "-WRONGPASS invalid username-password pair\r\n" : "+OK\r\n",
  });
  try {
    const { code, stdout, stderr } = await bench([
      ...["-p", String(server.port), "-t", "get", "-a", "nope"],
    ]);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.equal(stderr, "AUTH failed: WRONGPASS invalid username-password pair\n");
    assert.equal(server.received.length, 1, "no bench connection was opened");
  } finally {
    await server.close();
  }
});

Deno.test("runBench zrange populates myzset first and counts array replies", async () => {
  const reply = "*10\r\n" + Array.from({ length: 10 }, (_, i) => `$9\r\nelement:${i}\r\n`).join("");
  const server = startFakeServer({
    protocol: "resp",
    respReply: ([name]) => name === "ZRANGE" ? reply : ":1\r\n",
  });
  try {
    const result = await benchJson(server, ["-t", "zrange", "-c", "2", "-n", "100", "-P", "4"]);
    assert.equal(result.title, "ZRANGE myzset 0 9");
    assert.equal(result.requests, 100);
    assert.equal(result.errors, 0);
    assert.deepEqual(server.received[0], zsetSetupCommands());
    for (const requests of server.received.slice(1)) {
      assert.deepEqual(requests, Array(50).fill(["ZRANGE", "myzset", "0", "9"]));
    }
  } finally {
    await server.close();
  }
});

Deno.test("runBench counts RESP replies that arrive split across reads", async () => {
  const server = startFakeServer({
    protocol: "resp",
    respReply: ([name]) => name === "GET" ? "$12\r\nhello\r\nworld\r\n" : "*2\r\n:1\r\n$-1\r\n",
    fragment: true,
  });
  try {
    const results = await benchJsonAll(server, [
      ...["-t", "get,mixed", "-c", "2", "-n", "60", "-P", "5"],
    ]);
    assert.deepEqual(results.map((result) => [result.requests, result.errors]), [[60, 0], [60, 0]]);
  } finally {
    await server.close();
  }
});

Deno.test("runBench counts RESP error replies as errors", async () => {
  const server = startFakeServer({ protocol: "resp", respReply: () => "-ERR nope\r\n" });
  try {
    const result = await benchJson(server, ["-t", "incr", "-c", "2", "-n", "50"]);
    assert.equal(result.requests, 50);
    assert.equal(result.errorReplies, 50);
  } finally {
    await server.close();
  }
});

Deno.test("runBench --kache runs Redis tests over the binary protocol", async () => {
  const server = startFakeServer();
  try {
    const result = await benchJson(server, ["--kache", "-t", "zadd", "-c", "2", "-n", "20"]);
    assert.equal(result.protocol, "kache");
    assert.deepEqual(
      server.received[0],
      Array(10).fill(["ZADD", "myzset", "0", "element:__rand_int__"]),
    );
  } finally {
    await server.close();
  }
});

Deno.test("runBench --csv prints redis-benchmark's header and one row per test", async () => {
  const server = startFakeServer({ protocol: "resp" });
  try {
    const { code, stdout } = await bench([
      ...["-p", String(server.port), "-t", "set,incr,zrange", "-c", "2", "-n", "20", "--csv"],
    ]);
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split("\n");
    assert.equal(
      lines[0],
      '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",' +
        '"p99_latency_ms","max_latency_ms"',
    );
    assert.deepEqual(lines.slice(1).map((line) => line.split(",")[0]), [
      '"SET"',
      '"INCR"',
      '"ZRANGE myzset 0 9"',
    ]);
    for (const line of lines.slice(1)) assert.equal(line.split(",").length, 8);
  } finally {
    await server.close();
  }
});

Deno.test("runBench prints one text report for one test", async () => {
  const server = startFakeServer({ protocol: "resp" });
  try {
    const { code, stdout } = await bench([
      ...["-p", String(server.port), "-t", "set", "-c", "2", "-n", "20", "-r", "9"],
    ]);
    assert.equal(code, 0);
    assert.match(stdout, /^Kache benchmark: set workload, resp protocol, 127\.0\.0\.1:\d+$/m);
    assert.match(stdout, /^ {2}2 connections, pipeline 1, seed 1, random keys in \[0, 9\)$/m);
    assert.match(stdout, /^Total requests: {2}20$/m);
  } finally {
    await server.close();
  }
});

Deno.test("runBench prints one combined table for several tests", async () => {
  const server = startFakeServer({ protocol: "resp" });
  try {
    const { code, stdout } = await bench([
      ...["-p", String(server.port), "-t", "set,get", "-c", "2", "-n", "20", "-r", "9"],
    ]);
    assert.equal(code, 0);
    const lines = stdout.split("\n");
    assert.match(lines[0]!, /^Kache benchmark: resp protocol, 127\.0\.0\.1:\d+$/);
    assert.equal(lines[1], "  2 connections, pipeline 1, seed 1, random keys in [0, 9)");
    assert.match(lines[3]!, /^test +requests +errors +req\/s +avg ms +p50 ms +p99 ms +max ms$/);
    assert.match(lines[4]!, /^set +20 +0 +[\d,]+ +[\d.]+ +[\d.]+ +[\d.]+ +[\d.]+$/);
    assert.match(lines[5]!, /^get +20 +0 /);
    assert.match(lines[6]!, /^total +40 +0 +[\d,]+$/);
    assert.match(lines[8]!, /^2 tests in [\d.]+ s$/);
    assert.equal(stdout.match(/Kache benchmark/g)?.length, 1);
  } finally {
    await server.close();
  }
});

Deno.test("runBench shows the server's error texts, in the combined table too", async () => {
  const resp = startFakeServer({ protocol: "resp", respReply: () => "-ERR nope\r\n" });
  try {
    const result = await benchJson(resp, ["-t", "incr", "-c", "2", "-n", "10"]);
    assert.deepEqual(result.errorTexts, { "ERR nope": 10 });
    const table = await bench(["-p", String(resp.port), "-t", "incr,get", "-c", "2", "-n", "10"]);
    assert.match(table.stdout, /^incr: 10 × ERR nope$/m);
    assert.match(table.stdout, /^get: 10 × ERR nope$/m);
  } finally {
    await resp.close();
  }
  const binary = startFakeServer({ status: 3 });
  try {
    const result = await benchJson(binary, ["-c", "1", "--repeats", "1"]);
    assert.ok(result.errorReplies > 0);
    assert.deepEqual(Object.keys(result.errorTexts), ["(status 3: error)"]); // no message item
  } finally {
    await binary.close();
  }
});

Deno.test("runBench rejects contradictory or unknown test flags with exit 1", async () => {
  for (
    const [args, message] of [
      [["--resp", "--kache"], "--resp and --kache cannot be combined"],
      [["--json", "--csv"], "--json and --csv cannot be combined"],
      [["-t", "set,lpush"], '--tests: unknown test "lpush" (known: set, get, incr,'],
      [["-r", "0"], '--keyspace must be between 1 and 1000000000000, got "0"'],
      [["-r", "1000000000001"], "--keyspace must be between 1 and 1000000000000"],
      [["-d", "0"], "--value-size must be between 1 and"],
    ] as const
  ) {
    const { code, stdout, stderr } = await bench([...args]);
    assert.equal(code, 1, args.join(" "));
    assert.equal(stdout, "");
    assert.ok(stderr.includes(message), `${args.join(" ")}: ${stderr}`);
  }
});
