/**
 * What one client's output may cost the server: a client that pipelines big
 * replies without reading holds at most a couple of megabytes of server
 * memory, and other clients are served meanwhile; buffers grown for a big
 * reply are given back.
 *
 * The server runs with the V8 flags `deno task serve` uses, so memory
 * behaves as in production. Replies are checked byte by byte as they stream
 * in, so the test never holds hundreds of megabytes itself.
 */
import assert from "node:assert/strict";
import { encodeRespRequest } from "../../lib/protocol/resp_reply.ts";
import { rssBytes, rssFallingTo, servedV8Flags, settledRss, sleep } from "../support/overload.ts";
import { concatBytes } from "../../lib/bytes.ts";
import { RawKacheClient } from "../support/kache_client.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { type RunningServer, startServer } from "../support/server_process.ts";

const MB = 2 ** 20;

/** A 1 MB value whose bytes vary, so a torn or misplaced reply cannot match by accident. */
function bigValue(size: number): string {
  let text = "";
  const block = Array.from({ length: 251 }, (_, i) => String.fromCharCode(32 + (i % 90))).join("");
  while (text.length < size) text += block;
  return text.slice(0, size);
}

/** Compares a stream with an expected sequence of byte strings, a piece at a time. */
class StreamChecker {
  readonly #pieces: Iterator<string>;
  #piece = "";
  #offset = 0;
  received = 0;

  constructor(pieces: Iterable<string>) {
    this.#pieces = pieces[Symbol.iterator]();
  }

  /** Reads from `conn` until every expected byte has arrived; throws on the first difference. */
  async run(conn: Deno.Conn): Promise<void> {
    const buffer = new Uint8Array(256 * 1024);
    while (this.#advance()) {
      const count = await conn.read(buffer);
      if (count === null) throw new Error(`Connection closed after ${this.received} bytes`);
      for (let i = 0; i < count; i++) {
        if (!this.#advance()) throw new Error(`Unexpected bytes after ${this.received}`);
        if (buffer[i] !== this.#piece.charCodeAt(this.#offset)) {
          throw new Error(`Byte ${this.received} differs from the expected replies`);
        }
        this.#offset++;
        this.received++;
      }
    }
  }

  /** Moves to the next expected piece when the current one is done; false at the end. */
  #advance(): boolean {
    while (this.#offset === this.#piece.length) {
      const next = this.#pieces.next();
      if (next.done) return false;
      this.#piece = next.value;
      this.#offset = 0;
    }
    return true;
  }
}

Deno.test("a client pipelining big GETs without reading holds little memory and stalls no one", async () => {
  const server = await startServer([], { v8Flags: servedV8Flags() });
  const pid = server.process.pid;
  const stuck = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
  const other = await RawRespClient.connect(server.respPort);
  try {
    const value = bigValue(MB);
    assert.equal((await other.send(["SET", "big", value])).raw, "+OK\r\n");
    const before = await settledRss(pid, 500);
    // 400 GETs, each followed by an INCR whose reply numbers it: 400 MB of replies, one write.
    const requests = 400;
    const get = encodeRespRequest(["GET", "big"]);
    const incr = encodeRespRequest(["INCR", "sequence"]);
    await stuck.write(
      concatBytes(Array.from({ length: requests }, () => concatBytes([get, incr]))),
    );
    // While the first client's replies sit unread, another client is answered.
    let peak = rssBytes(pid);
    assert.equal((await other.send(["PING"])).raw, "+PONG\r\n");
    for (let sample = 0; sample < 10; sample++) {
      await sleep(100);
      peak = Math.max(peak, rssBytes(pid));
    }
    assert.equal((await other.send(["PING"])).raw, "+PONG\r\n");
    assert.ok(
      peak - before < 64 * MB,
      `RSS grew by ${((peak - before) / MB).toFixed(1)} MB with the replies unread`,
    );
    // Then every reply arrives, complete and in order.
    const bulk = `$${value.length}\r\n${value}\r\n`;
    const checker = new StreamChecker(
      (function* () {
        for (let i = 1; i <= requests; i++) {
          yield bulk;
          yield `:${i}\r\n`;
        }
      })(),
    );
    await checker.run(stuck);
    assert.equal((await other.send(["GET", "sequence"])).raw, `$3\r\n${requests}\r\n`);
  } finally {
    stuck.close();
    other.close();
    await server.stop();
  }
});

Deno.test("connections that once read a big value leave the server no bigger", async () => {
  const server = await startServer([], { v8Flags: servedV8Flags() });
  const pid = server.process.pid;
  const admin = await RawRespClient.connect(server.respPort);
  const clients: Deno.Conn[] = [];
  try {
    const value = bigValue(4 * MB);
    assert.equal((await admin.send(["SET", "big", value])).raw, "+OK\r\n");
    const before = await settledRss(pid, 500);
    for (let i = 0; i < 100; i++) {
      clients.push(await Deno.connect({ hostname: "127.0.0.1", port: server.respPort }));
    }
    // 100 connections each read the 4 MB value once, all at the same time, and stay open.
    const reply = `$${value.length}\r\n${value}\r\n`;
    await Promise.all(clients.map(async (conn) => {
      await conn.write(encodeRespRequest(["GET", "big"]));
      await new StreamChecker([reply]).run(conn);
    }));
    // Retained buffers would keep ~400 MB; freed ones come back when the collector runs, which a
    // busy machine delays, so wait for the RSS to come down instead of sampling it once.
    const after = await rssFallingTo(pid, before + 100 * MB - 1, 30_000);
    assert.ok(
      after - before < 100 * MB,
      `RSS still ${((after - before) / MB).toFixed(1)} MB up after 100 clients read 4 MB each`,
    );
    assert.equal((await admin.send(["PING"])).raw, "+PONG\r\n");
  } finally {
    for (const conn of clients) conn.close();
    admin.close();
    await server.stop();
  }
});

/** One numeric field of INFO. */
async function infoNumber(client: RawRespClient, field: string): Promise<number> {
  const reply = (await client.send(["INFO", "all"])).reply;
  const text = reply.type === "bulk" ? reply.value : "";
  const match = new RegExp(`^${field}:(\\d+)`, "m").exec(text);
  if (match === null) throw new Error(`INFO has no ${field}`);
  return Number(match[1]);
}

Deno.test("a client's unsent output counts in used_memory, and maxmemory evicts keys to fit it", async () => {
  // volatile-lru: only the filler keys (with a TTL) may go, never the value being read.
  const server = await startServer(["--maxmemory", "8mb", "--maxmemory-policy", "volatile-lru"]);
  const client = await RawRespClient.connect(server.respPort);
  const stuck = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
  try {
    assert.equal((await client.send(["SET", "big", bigValue(MB)])).raw, "+OK\r\n");
    // Fill up to the limit: SETs until eviction starts.
    const value = "v".repeat(2000);
    for (let batch = 0; batch < 100 && await infoNumber(client, "evicted_keys") === 0; batch++) {
      await client.pipeline(
        Array.from({ length: 200 }, (_, i) => ["SET", `fill:${batch}:${i}`, value, "EX", "3600"]),
      );
    }
    // Only the filling client's input buffer, grown for its pipelines.
    assert.ok(await infoNumber(client, "mem_clients_normal") <= 256 * 1024);
    // A client asks for 100 MB and reads none of it: ~1 MB waits in the server, the rest in
    // its socket buffers and unsent requests.
    const evictedBefore = await infoNumber(client, "evicted_keys");
    const get = encodeRespRequest(["GET", "big"]);
    await stuck.write(concatBytes(Array.from({ length: 100 }, () => get)));
    let clients = 0;
    for (let tries = 0; tries < 100 && clients < MB; tries++) {
      await sleep(20);
      clients = await infoNumber(client, "mem_clients_normal");
    }
    assert.ok(clients >= MB, `mem_clients_normal ${clients} with 1 MB replies unsent`);
    const list = (await client.send(["CLIENT", "LIST"])).reply;
    const lines = list.type === "bulk" ? list.value.split("\n") : [];
    assert.ok(
      lines.some((line) => Number(/ omem=(\d+)/.exec(line)?.[1]) >= MB),
      "no client shows its unsent output as omem",
    );
    // Commands since (INFO included, as any command in Redis) made room for the client's buffer.
    await client.send(["SET", "one-more", "x"]);
    const evicted = await infoNumber(client, "evicted_keys") - evictedBefore;
    assert.ok(evicted >= 200, `${evicted} keys of 2 KB evicted for 1 MB of client output`);
    assert.ok(await infoNumber(client, "used_memory") <= 8 * MB);
  } finally {
    stuck.close();
    client.close();
    await server.stop();
  }
});

Deno.test("big values come back whole on both wires, pipelined among small replies", async () => {
  const server = await startServer();
  const resp = await RawRespClient.connect(server.respPort);
  const binary = await RawKacheClient.connect(server.kachePort);
  try {
    const value = bigValue(3 * MB + 17);
    assert.equal((await resp.send(["SET", "big", value])).raw, "+OK\r\n");
    const replies = await resp.pipeline([["GET", "big"], ["PING"], ["GET", "big"], ["ECHO", "x"]]);
    assert.deepEqual(replies.map((reply) => reply.raw), [
      `$${value.length}\r\n${value}\r\n`,
      "+PONG\r\n",
      `$${value.length}\r\n${value}\r\n`,
      "$1\r\nx\r\n",
    ]);
    for (const argv of [["get", "big"], ["GET", "big"]]) {
      const response = await binary.request(argv);
      assert.deepEqual(response.item, { tag: "string", value });
    }
    assert.deepEqual((await binary.request(["PING"])).item, { tag: "string", value: "PONG" });
  } finally {
    resp.close();
    binary.close();
    await server.stop();
  }
});

/**
 * Connects a replica that asks for a full sync and then reads nothing, and
 * writes 20 keys of 100 KB per round (named by `key`) until its unsent
 * stream reaches `bytes`; returns INFO's mem_clients_slaves then.
 */
async function growReplicaStream(
  server: RunningServer,
  client: RawRespClient,
  bytes: number,
  key: (round: number, index: number) => string,
): Promise<{ replica: Deno.Conn; slaves: number }> {
  const replica = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
  try {
    await replica.write(encodeRespRequest(["PSYNC", "?", "-1"]));
    const value = bigValue(100 * 1024);
    let slaves = 0;
    for (let round = 0; round < 40 && slaves < bytes; round++) {
      await client.pipeline(Array.from({ length: 20 }, (_, i) => ["SET", key(round, i), value]));
      await sleep(20);
      slaves = await infoNumber(client, "mem_clients_slaves");
    }
    assert.ok(slaves >= bytes, `mem_clients_slaves ${slaves} with the stream unsent`);
    return { replica, slaves };
  } catch (cause) {
    replica.close();
    throw cause;
  }
}

Deno.test("a replica link's unsent stream counts as mem_clients_slaves, not mem_clients_normal", async () => {
  const server = await startServer();
  const client = await RawRespClient.connect(server.respPort);
  let replica: Deno.Conn | undefined;
  try {
    ({ replica } = await growReplicaStream(
      server,
      client,
      4 * MB,
      (round, i) => `k:${round}:${i}`,
    ));
    // Only the writing client's grown input buffer is a normal client's.
    assert.ok(await infoNumber(client, "mem_clients_normal") < 4 * MB);
    const stats = (await client.send(["MEMORY", "STATS"])).raw;
    assert.match(stats, /\$14\r\nclients\.slaves\r\n:(\d+)\r\n/);
    assert.ok(Number(/clients\.slaves\r\n:(\d+)/.exec(stats)![1]) >= 4 * MB);
  } finally {
    replica?.close();
    client.close();
    await server.stop();
  }
});

Deno.test("a replica link's unsent stream is not counted against maxmemory, as in Redis", async () => {
  // Redis leaves replicas' output out of what eviction compares with maxmemory
  // (mem_not_counted_for_evict): a slow replica must not make the master drop keys.
  const server = await startServer(["--maxmemory", "6mb", "--maxmemory-policy", "allkeys-lru"]);
  const client = await RawRespClient.connect(server.respPort);
  // The same 20 keys each round: the data stays ~2 MB while the stream grows past 5 MB.
  let replica: Deno.Conn | undefined;
  try {
    const grown = await growReplicaStream(server, client, 5 * MB, (_, i) => `k:${i}`);
    replica = grown.replica;
    const slaves = grown.slaves;
    assert.equal(await infoNumber(client, "evicted_keys"), 0);
    assert.equal((await client.send(["DBSIZE"])).raw, ":20\r\n");
    assert.ok(await infoNumber(client, "mem_not_counted_for_evict") >= slaves);
  } finally {
    replica?.close();
    client.close();
    await server.stop();
  }
});
