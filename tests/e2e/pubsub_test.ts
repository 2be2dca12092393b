/**
 * Pub/Sub and keyspace notifications end to end: redis-cli, ioredis and
 * node-redis (RESP3) as subscribers of a Kache process, the binary
 * protocol's push frames, `kache client` streaming, and differential checks
 * against redis-server for subscribed-mode replies, CONFIG values and the
 * exact stream of keyspace events a command sequence produces.
 *
 * One Kache server (and one Redis) serves all steps of a test; each step
 * starts from an empty keyspace with notifications off. Every client,
 * subprocess and server is closed in `finally`.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient } from "redis";
import { KacheConnection } from "../../cli/connection.ts";
import { bytesToString } from "../../lib/bytes.ts";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { type RunningRedis, startRedis } from "../support/redis_process.ts";
import { MAIN, type RunningServer, startServer } from "../support/server_process.ts";

/** Polls `ready` every 10 ms for at most `ms`; fails naming `what` when time runs out. */
async function waitFor(ready: () => boolean, what: string, ms = 10_000): Promise<void> {
  const started = Date.now();
  while (!ready()) {
    if (Date.now() - started > ms) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function connect(port: number, protocol: "resp" | "kache" = "resp") {
  return await KacheConnection.connect({ hostname: "127.0.0.1", port, protocol });
}

/** A reply flattened to text for comparisons: strings as is, integers in decimal, nil as "nil". */
function text(reply: ClientReply): string {
  switch (reply.type) {
    case "bulk":
    case "status":
      return reply.value;
    case "error":
      return reply.message;
    case "integer":
      return String(reply.value);
    case "null":
      return "nil";
    case "array":
    case "push":
      return reply.items.map(text).join(" ");
    default:
      return JSON.stringify(reply);
  }
}

/** Starts from a clean slate: no keys, notifications off. */
async function reset(port: number): Promise<void> {
  const admin = await connect(port);
  try {
    await admin.send(["FLUSHALL"]);
    await admin.send(["CONFIG", "SET", "notify-keyspace-events", ""]);
  } finally {
    admin.close();
  }
}

/** A subprocess whose stdout is collected as it arrives; always stopped by `stop`. */
function spawnCollecting(command: string, args: string[]) {
  const child = new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let stdout = "";
  let stderr = "";
  const decoder = new TextDecoder();
  const collecting = Promise.all([
    (async () => {
      for await (const chunk of child.stdout) stdout += decoder.decode(chunk, { stream: true });
    })(),
    (async () => {
      for await (const chunk of child.stderr) stderr += decoder.decode(chunk, { stream: true });
    })(),
  ]);
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already exited.
      }
      await child.status;
      await collecting;
    },
  };
}

// ---------------------------------------------------------------------------
// Subscribers: real tools and client libraries

Deno.test("Pub/Sub subscribers of a Kache server", async (t) => {
  const server = await startServer();
  try {
    const port = server.respPort;

    await t.step("redis-cli SUBSCRIBE and PSUBSCRIBE print every message", async () => {
      await reset(port);
      const channel = spawnCollecting("redis-cli", ["-p", String(port), "subscribe", "news"]);
      const pattern = spawnCollecting("redis-cli", ["-p", String(port), "psubscribe", "n*"]);
      const publisher = await connect(port);
      try {
        await waitFor(() => channel.stdout() === "subscribe\nnews\n1\n", "redis-cli subscribe");
        await waitFor(() => pattern.stdout() === "psubscribe\nn*\n1\n", "redis-cli psubscribe");
        assert.equal(text(await publisher.send(["PUBLISH", "news", "hello"])), "2");
        assert.equal(text(await publisher.send(["PUBLISH", "nope", "x y"])), "1");
        await waitFor(
          () => channel.stdout() === "subscribe\nnews\n1\nmessage\nnews\nhello\n",
          "redis-cli message",
        );
        await waitFor(
          () =>
            pattern.stdout() ===
              "psubscribe\nn*\n1\npmessage\nn*\nnews\nhello\npmessage\nn*\nnope\nx y\n",
          "redis-cli pmessage",
        );
      } finally {
        publisher.close();
        await channel.stop();
        await pattern.stop();
      }
    });

    await t.step("ioredis receives message and pmessage events and can unsubscribe", async () => {
      await reset(port);
      const options = {
        host: "127.0.0.1",
        port,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      };
      const subscriber = new Redis({ ...options, lazyConnect: true });
      const publisher = new Redis({ ...options, lazyConnect: true });
      try {
        await subscriber.connect();
        await publisher.connect();
        const received: string[] = [];
        subscriber.on("message", (channel: string, message: string) => {
          received.push(`message ${channel} ${message}`);
        });
        subscriber.on("pmessage", (pattern: string, channel: string, message: string) => {
          received.push(`pmessage ${pattern} ${channel} ${message}`);
        });
        assert.equal(await subscriber.subscribe("a", "b"), 2);
        assert.equal(await subscriber.psubscribe("a*"), 3);
        assert.equal(await publisher.publish("a", "one"), 2);
        assert.equal(await publisher.publish("b", "two"), 1);
        assert.equal(await publisher.publish("ax", "three"), 1);
        await waitFor(() => received.length === 4, "ioredis messages");
        assert.deepEqual(received, [
          "message a one",
          "pmessage a* a one",
          "message b two",
          "pmessage a* ax three",
        ]);
        // Named: ioredis's bare unsubscribe() waits forever while patterns remain, on Redis too.
        await subscriber.unsubscribe("a", "b");
        await subscriber.punsubscribe("a*");
        assert.equal(await publisher.publish("a", "gone"), 0);
        // Out of subscribed mode, ordinary commands work again.
        assert.equal(await subscriber.set("k", "v"), "OK");
        await subscriber.quit();
        await publisher.quit();
      } finally {
        subscriber.disconnect();
        publisher.disconnect();
      }
    });

    await t.step("node-redis over RESP3 gets pushes and keeps issuing commands", async () => {
      await reset(port);
      const socket = { host: "127.0.0.1", port, reconnectStrategy: false as const };
      const client = createClient({ RESP: 3, socket });
      const publisher = createClient({ RESP: 3, socket });
      const errors: unknown[] = [];
      client.on("error", (error) => errors.push(error));
      publisher.on("error", (error) => errors.push(error));
      try {
        await client.connect();
        await publisher.connect();
        const received: string[] = [];
        await client.subscribe("orders", (message, channel) => {
          received.push(`${channel} ${message}`);
        });
        await client.pSubscribe("ord*", (message, channel) => {
          received.push(`ord* ${channel} ${message}`);
        });
        // RESP3: the subscribed connection still runs any command.
        assert.equal(await client.set("k", "v"), "OK");
        assert.equal(await client.get("k"), "v");
        assert.equal(await publisher.publish("orders", "42"), 2);
        await waitFor(() => received.length === 2, "node-redis pushes");
        assert.deepEqual(received.sort(), ["ord* orders 42", "orders 42"]);
        await client.unsubscribe("orders");
        await client.pUnsubscribe("ord*");
        assert.equal(await publisher.publish("orders", "43"), 0);
        assert.deepEqual(errors, []);
      } finally {
        client.destroy();
        publisher.destroy();
      }
    });

    await t.step("binary-protocol subscribers get status-6 push frames", async () => {
      await reset(port);
      const raw = await Deno.connect({ hostname: "127.0.0.1", port: server.kachePort });
      const publisher = await connect(server.kachePort, "kache");
      try {
        await raw.write(kacheRequest(["SUBSCRIBE", "ch"]));
        const expected = pushFrame([text_("subscribe"), text_("ch"), integer_(1n)]);
        assert.deepEqual(await readBytes(raw, expected.length), expected, "a confirmation frame");
        const published = await publisher.send(["PUBLISH", "ch", "\x00\xff"]);
        assert.deepEqual(published, { type: "integer", value: 1n });
        const message = pushFrame([text_("message"), text_("ch"), text_("\x00\xff")]);
        assert.deepEqual(await readBytes(raw, message.length), message);
      } finally {
        raw.close();
        publisher.close();
      }
    });

    await t.step("KacheConnection reads binary push frames as pushes beside replies", async () => {
      await reset(port);
      const subscriber = await connect(server.kachePort, "kache");
      const publisher = await connect(server.kachePort, "kache");
      try {
        const pushes: string[] = [];
        subscriber.onPush = (reply) => pushes.push(text(reply));
        subscriber.sendWithoutReply(["SUBSCRIBE", "a", "b"]);
        subscriber.sendWithoutReply(["PSUBSCRIBE", "a*"]);
        await waitFor(() => pushes.length === 3, "binary confirmations");
        // Like RESP3, a binary subscriber keeps running commands.
        assert.deepEqual(await subscriber.send(["SET", "k", "v"]), { type: "null" });
        assert.equal(text(await subscriber.send(["PING"])), "PONG");
        assert.equal(text(await publisher.send(["PUBLISH", "a", "x"])), "2");
        await waitFor(() => pushes.length === 5, "binary messages");
        assert.deepEqual(pushes, [
          "subscribe a 1",
          "subscribe b 2",
          "psubscribe a* 3",
          "message a x",
          "pmessage a* a x",
        ]);
      } finally {
        subscriber.close();
        publisher.close();
      }
    });

    for (const protocol of ["resp", "kache"] as const) {
      await t.step(`kache client SUBSCRIBE streams messages (${protocol})`, async () => {
        await reset(port);
        const clientPort = protocol === "resp" ? port : server.kachePort;
        const client = spawnCollecting(Deno.execPath(), [
          "run",
          "--allow-all",
          MAIN,
          "client",
          "-p",
          String(clientPort),
          ...(protocol === "kache" ? ["--kache"] : []),
          "subscribe",
          "news",
        ]);
        const publisher = await connect(port);
        try {
          await waitFor(() => client.stdout().includes("news\n1\n"), "client subscription");
          assert.equal(text(await publisher.send(["PUBLISH", "news", "hello"])), "1");
          await waitFor(
            () => client.stdout() === "subscribe\nnews\n1\nmessage\nnews\nhello\n",
            `client message, got ${JSON.stringify(client.stdout())}`,
          );
        } finally {
          publisher.close();
          await client.stop();
        }
      });
    }

    await t.step("__keyevent@0__:expired arrives from the active expiry timer", async () => {
      await reset(port);
      const admin = await connect(port);
      const subscriber = await connect(port);
      try {
        await admin.send(["CONFIG", "SET", "notify-keyspace-events", "Ex"]);
        const pushes: string[] = [];
        subscriber.onPush = (reply) => pushes.push(text(reply));
        subscriber.sendWithoutReply(["SUBSCRIBE", "__keyevent@0__:expired"]);
        await waitFor(() => pushes.length === 1, "subscription");
        await admin.send(["SET", "session:1", "x", "PX", "50"]);
        await admin.send(["SET", "session:2", "x", "PX", "80"]);
        // Nobody touches the keys: only the timer can notice they expired.
        await waitFor(() => pushes.length === 3, "expired events");
        assert.deepEqual(pushes.slice(1), [
          "message __keyevent@0__:expired session:1",
          "message __keyevent@0__:expired session:2",
        ]);
        assert.equal(text(await admin.send(["DBSIZE"])), "0");
      } finally {
        admin.close();
        subscriber.close();
      }
    });

    await t.step("binary-port original commands notify as their Redis counterparts", async () => {
      await reset(port);
      const admin = await connect(port);
      const subscriber = await connect(port);
      const binary = await connect(server.kachePort, "kache");
      try {
        await admin.send(["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
        const events: string[] = [];
        subscriber.onPush = (reply) => events.push(text(reply));
        subscriber.sendWithoutReply(["PSUBSCRIBE", "__keyevent@0__:*"]);
        await waitFor(() => events.length === 1, "subscription");
        for (
          const argv of [
            ["set", "k", "v"],
            ["expire", "k", "10000"],
            ["persist", "k"],
            ["del", "k"],
            ["del", "k"],
            ["zadd", "z", "1", "m"],
            ["zrem", "z", "m"],
          ]
        ) await binary.send(argv);
        await waitFor(() => events.length === 8, "original command events");
        assert.deepEqual(events.slice(1).map((line) => line.split(" ").slice(2).join(" ")), [
          "__keyevent@0__:set k",
          "__keyevent@0__:expire k",
          "__keyevent@0__:persist k",
          "__keyevent@0__:del k",
          "__keyevent@0__:zadd z",
          "__keyevent@0__:zrem z",
          "__keyevent@0__:del z",
        ]);
      } finally {
        admin.close();
        subscriber.close();
        binary.close();
      }
    });
  } finally {
    await server.stop();
  }
});

// ---------------------------------------------------------------------------
// Binary frames, built by hand

function kacheRequest(argv: readonly string[]): Uint8Array {
  const size = 4 + argv.reduce((sum, arg) => sum + 4 + arg.length, 0);
  const bytes = new Uint8Array(4 + size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, size, true);
  view.setUint32(4, argv.length, true);
  let offset = 8;
  for (const arg of argv) {
    view.setUint32(offset, arg.length, true);
    for (let i = 0; i < arg.length; i++) bytes[offset + 4 + i] = arg.charCodeAt(i);
    offset += 4 + arg.length;
  }
  return bytes;
}

function text_(value: string): number[] {
  const length = [0, 8, 16, 24].map((shift) => (value.length >> shift) & 0xff);
  return [2, ...length, ...Array.from(value, (char) => char.charCodeAt(0))];
}

function integer_(value: bigint): number[] {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, value, true);
  return [3, ...bytes];
}

/** `u32 len`, status 6, then an array item of `items`: the README's push frame. */
function pushFrame(items: number[][]): Uint8Array {
  const body = [6, 0, 0, 0, 5, items.length, 0, 0, 0, ...items.flat()];
  const length = [0, 8, 16, 24].map((shift) => (body.length >> shift) & 0xff);
  return new Uint8Array([...length, ...body]);
}

async function readBytes(conn: Deno.Conn, count: number): Promise<Uint8Array> {
  const bytes = new Uint8Array(count);
  let filled = 0;
  while (filled < count) {
    const read = await conn.read(bytes.subarray(filled));
    if (read === null) throw new Error(`Connection closed after ${filled} of ${count} bytes`);
    filled += read;
  }
  return bytes;
}

// ---------------------------------------------------------------------------
// Against redis-server

/** Sends raw RESP and collects whatever comes back within a quiet period. */
async function exchange(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(Uint8Array.from(request, (char) => char.charCodeAt(0)));
    let received = "";
    const buffer = new Uint8Array(65536);
    while (true) {
      const timer = new Promise<"quiet">((resolve) => setTimeout(() => resolve("quiet"), 300));
      const read = await Promise.race([conn.read(buffer), timer]);
      if (read === "quiet" || read === null) return received;
      received += bytesToString(buffer, 0, read);
    }
  } finally {
    conn.close();
  }
}

/** The command sequence whose keyspace events must match Redis's event for event. */
const NOTIFYING_COMMANDS = [
  "SET a 1",
  "SET a 2 EX 100",
  "SETNX a 3",
  "SETNX c 3",
  "SETEX d 10 x",
  "PSETEX e 1000 x",
  "GETSET a 5",
  "GETDEL c",
  "GETDEL zz",
  "GETEX d EX 50",
  "GETEX d PERSIST",
  "GETEX d PERSIST",
  "GETEX d PXAT 1",
  "MSET m1 1 m2 2",
  "MSETNX m3 1 m4 2",
  "INCR i",
  "DECR i",
  "INCRBY i 5",
  "DECRBY i 2",
  "INCRBYFLOAT f 1.5",
  "APPEND s abc",
  "SETRANGE s 1 X",
  "SETRANGE s 1 ''",
  "DEL a zz m1",
  "UNLINK m2",
  "RENAME m3 r1",
  "SET r2 x",
  "RENAME r1 r2",
  "RENAMENX r2 r3",
  "COPY r3 r4",
  "EXPIRE r3 100",
  "PEXPIRE r3 100 NX",
  "PERSIST r3",
  "PERSIST r3",
  "EXPIRE r3 -1",
  "EXPIREAT r4 1",
  "SET r5 y",
  "PEXPIREAT r5 99999999999999",
  "ZADD z 1 a 2 b",
  "ZADD z 1 a",
  "ZADD z INCR 5 a",
  "ZINCRBY z 1 b",
  "ZREM z a",
  "ZREM z nope",
  "ZADD z 3 c 4 d 5 e",
  "ZREMRANGEBYSCORE z 3 3",
  "ZREMRANGEBYRANK z 0 0",
  "ZREMRANGEBYLEX z - +",
  "ZADD z2 1 a 2 b 3 c",
  "ZPOPMIN z2",
  "ZPOPMAX z2 5",
  "ZADD z3 1 a",
  "ZMPOP 1 z3 MIN",
  "ZADD z4 1 a 2 b",
  "ZRANGESTORE z5 z4 0 -1",
  "ZRANGESTORE z5 z4 5 6",
  "ZUNIONSTORE z6 1 z4",
  "ZINTERSTORE z6 2 z4 nokey",
  "ZDIFFSTORE z7 1 z4",
  "ZADD z8 1 x",
  "ZUNIONSTORE z8 1 none",
  "SET fresh 1",
  "FLUSHALL",
];

/**
 * Runs {@link NOTIFYING_COMMANDS} with `flags` and returns every message a
 * RESP3 subscriber to all keyspace channels got, with a `PUBLISH sync`
 * marker before each command so events line up with their command.
 */
async function keyspaceEvents(port: number, flags: string): Promise<string[]> {
  const client = await connect(port);
  const subscriber = await connect(port);
  try {
    await client.send(["FLUSHALL"]);
    await client.send(["CONFIG", "SET", "notify-keyspace-events", flags]);
    await subscriber.send(["HELLO", "3"]);
    const events: string[] = [];
    subscriber.onPush = (reply) => events.push(text(reply));
    subscriber.sendWithoutReply(["PSUBSCRIBE", "__key*__:*"]);
    subscriber.sendWithoutReply(["SUBSCRIBE", "sync"]);
    await waitFor(() => events.length === 2, "subscriptions");
    for (const line of NOTIFYING_COMMANDS) {
      await client.send(["PUBLISH", "sync", line]);
      await client.send(line.split(" ").map((word) => word === "''" ? "" : word));
    }
    await client.send(["PUBLISH", "sync", "end"]);
    await waitFor(() => events.at(-1) === "message sync end", "the end marker");
    await client.send(["CONFIG", "SET", "notify-keyspace-events", ""]);
    return events;
  } finally {
    client.close();
    subscriber.close();
  }
}

Deno.test("Pub/Sub and keyspace notifications match redis-server", async (t) => {
  let kache: RunningServer | undefined;
  let redis: RunningRedis | undefined;
  try {
    kache = await startServer();
    redis = await startRedis();
    const ports = [kache.respPort, redis.port] as const;

    await t.step("every write command's events, KEA", async () => {
      const [ours, theirs] = [
        await keyspaceEvents(ports[0], "KEA"),
        await keyspaceEvents(ports[1], "KEA"),
      ];
      assert.ok(ours.length > 150, `only ${ours.length} events`);
      assert.deepEqual(ours, theirs);
    });

    await t.step("only the enabled classes: E$z, Kg and Ex", async () => {
      for (const flags of ["E$z", "Kg", "Ex"]) {
        assert.deepEqual(
          await keyspaceEvents(ports[0], flags),
          await keyspaceEvents(ports[1], flags),
          flags,
        );
      }
    });

    await t.step("RESP2 subscribed mode: allowed commands, errors and PING", async () => {
      // A bare (P)UNSUBSCRIBE runs over Redis's hash table in no set order, so each one
      // here leaves a single channel or pattern.
      const sequences = [
        "UNSUBSCRIBE\r\nPUNSUBSCRIBE\r\nPING\r\nSUBSCRIBE a b a\r\nGET x\r\nPING\r\nPING hi\r\n" +
        "UNSUBSCRIBE b\r\nUNSUBSCRIBE\r\nPING\r\n",
        "SUBSCRIBE a\r\nFOO\r\nGET\r\nCONFIG GET x\r\nHELLO 3\r\nMULTI\r\nRESET\r\nGET x\r\n",
        "PSUBSCRIBE a* b?\r\nSUBSCRIBE c\r\nPUNSUBSCRIBE b?\r\nPUNSUBSCRIBE\r\nUNSUBSCRIBE c d\r\n" +
        "PING\r\n",
        "PUBSUB CHANNELS\r\nPUBSUB NUMSUB a b\r\nPUBSUB NUMPAT\r\nPUBSUB FOO\r\nPUBSUB CHANNELS a b\r\n" +
        "SUBSCRIBE\r\nPUBLISH a\r\nPUBLISH nobody x\r\n",
      ];
      for (const sequence of sequences) {
        assert.equal(await exchange(ports[0], sequence), await exchange(ports[1], sequence));
      }
    });

    await t.step("RESP3 subscribed mode: pushes, and any command still runs", async () => {
      // Pipelined in one write: a client's own pushes keep their place among its replies.
      const sequence = "HELLO 3\r\nSUBSCRIBE a\r\nSET x 1\r\nPING\r\nPUBLISH a hello\r\nGET x\r\n" +
        "PSUBSCRIBE a* b?\r\nPUBLISH a hello\r\nPUNSUBSCRIBE b?\r\nPUNSUBSCRIBE\r\n" +
        "UNSUBSCRIBE a zz\r\nUNSUBSCRIBE\r\n";
      // HELLO's reply names each server's version and client id; everything after it must match.
      const afterHello = (reply: string) => reply.slice(reply.indexOf(">3\r\n"));
      assert.equal(
        afterHello(await exchange(ports[0], sequence)),
        afterHello(await exchange(ports[1], sequence)),
      );
    });

    await t.step("CONFIG SET and GET of notify-keyspace-events and output limits", async () => {
      const sets = [
        ["notify-keyspace-events", "KEA"],
        ["notify-keyspace-events", "KEAn"],
        ["notify-keyspace-events", "gz$xKm"],
        ["notify-keyspace-events", "Q"],
        ["notify-keyspace-events", ""],
        ["client-output-buffer-limit", "pubsub 1mb 2mb 3"],
        ["client-output-buffer-limit", "replica 1 2 3 normal 4 5 6"],
        ["client-output-buffer-limit", "pubsub 1mb 2mb"],
        ["client-output-buffer-limit", "master 1 2 3"],
        ["client-output-buffer-limit", "pubsub 1xb 2mb 3"],
        ["client-output-buffer-limit", "normal 0 0 0 slave 256mb 64mb 60 pubsub 32mb 8mb 60"],
      ];
      const results: string[][] = [[], []];
      for (const [index, port] of ports.entries()) {
        const client = await connect(port);
        try {
          for (const [name, value] of sets) {
            results[index]!.push(text(await client.send(["CONFIG", "SET", name!, value!])));
            results[index]!.push(text(await client.send(["CONFIG", "GET", name!])));
          }
        } finally {
          client.close();
        }
      }
      assert.deepEqual(results[0], results[1]);
    });
  } finally {
    await kache?.stop();
    await redis?.stop();
  }
});
