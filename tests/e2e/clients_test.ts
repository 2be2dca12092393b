/**
 * Real Redis clients from npm against a Kache server process: ioredis over
 * RESP2, node-redis over RESP2 and RESP3. Each scenario is what an
 * application does — pipelines, MULTI/EXEC, SCAN iteration, binary values,
 * sorted sets with scores, WATCH conflicts, errors — checked against the
 * replies Redis gives.
 *
 * One Kache server per client library (and protocol) serves all of its
 * scenarios, each a test step starting from an empty keyspace, because
 * starting a server costs more than most scenarios on a loaded machine.
 * Every client is closed and every server stopped in `finally`, so a failed
 * assertion leaves nothing running.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { Redis } from "ioredis";
import { createClient, ErrorReply, RESP_TYPES, WatchError } from "redis";
import { type RunningServer, startServer } from "../support/server_process.ts";

/** Every byte value once, in order. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, byte) => byte));
const WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value";
const KEY_COUNT = 1000;

/** Runs `body` against a fresh Kache server, stopping it whatever happens. */
async function withKache(body: (server: RunningServer) => Promise<void>): Promise<void> {
  const server = await startServer();
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

/** One step of a client's session: how many connections it needs and what it does. */
interface Scenario<Client> {
  readonly name: string;
  readonly clients: number;
  readonly body: (...clients: Client[]) => Promise<void>;
}

// ---------------------------------------------------------------------------
// ioredis

/** Opens ioredis clients that never retry (a failure must fail the test, not hang it). */
async function withIoredis(
  server: RunningServer,
  count: number,
  body: (...clients: Redis[]) => Promise<void>,
): Promise<void> {
  const clients = Array.from({ length: count }, () =>
    new Redis({
      host: "127.0.0.1",
      port: server.respPort,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    }));
  try {
    for (const client of clients) await client.connect();
    await body(...clients);
    for (const client of clients) await client.quit();
  } finally {
    for (const client of clients) client.disconnect();
  }
}

const IOREDIS_SCENARIOS: Scenario<Redis>[] = [
  {
    name: "runs commands, pipelines and MULTI/EXEC",
    clients: 1,
    async body(redis) {
      assert.equal(await redis.ping(), "PONG");
      assert.equal(await redis.set("greeting", "hello"), "OK");
      assert.equal(await redis.get("greeting"), "hello");
      assert.equal(await redis.get("missing"), null);
      assert.equal(await redis.set("greeting", "again", "NX"), null);
      assert.equal(await redis.set("greeting", "hi", "GET"), "hello");
      assert.equal(await redis.incr("counter"), 1);
      assert.equal(await redis.incrby("counter", 41), 42);
      assert.equal(await redis.incrbyfloat("counter", "0.5"), "42.5");
      assert.equal(await redis.append("greeting", "!"), 3);
      assert.deepEqual(await redis.mget("greeting", "missing", "counter"), ["hi!", null, "42.5"]);
      assert.equal(await redis.set("session", "x", "EX", 100), "OK");
      const ttl = await redis.ttl("session");
      assert.ok(ttl > 95 && ttl <= 100, `TTL ${ttl}`);
      assert.equal(await redis.pexpire("session", 200_000), 1);
      assert.equal(await redis.persist("session"), 1);
      assert.equal(await redis.ttl("session"), -1);

      const piped = await redis.pipeline()
        .set("p1", "1")
        .incr("p1")
        .get("p1")
        .del("p1", "missing")
        .exists("p1")
        .exec();
      assert.deepEqual(piped, [[null, "OK"], [null, 2], [null, "2"], [null, 1], [null, 0]]);

      const transaction = await redis.multi()
        .set("t", "1")
        .incr("t")
        .zadd("tz", 1, "a")
        .get("t")
        .exec();
      assert.deepEqual(transaction, [[null, "OK"], [null, 2], [null, 1], [null, "2"]]);

      // Many pipelined commands at once, as ioredis batches them on one socket.
      const writes = Array.from({ length: 500 }, (_, i) => redis.set(`bulk:${i}`, String(i)));
      await Promise.all(writes);
      const reads = await Promise.all(
        Array.from({ length: 500 }, (_, i) => redis.get(`bulk:${i}`)),
      );
      assert.deepEqual(reads, Array.from({ length: 500 }, (_, i) => String(i)));
    },
  },
  {
    name: "scanStream returns every one of 1,000 keys exactly once",
    clients: 1,
    async body(redis) {
      const pipeline = redis.pipeline();
      for (let i = 0; i < KEY_COUNT; i++) pipeline.set(`key:${i}`, String(i));
      pipeline.zadd("other", 1, "a");
      await pipeline.exec();
      const seen: string[] = [];
      const stream = redis.scanStream({ match: "key:*", count: 37 });
      for await (const batch of stream) seen.push(...(batch as string[]));
      assert.equal(new Set(seen).size, KEY_COUNT, "every key is returned");
      assert.equal(seen.length, KEY_COUNT, "no key is returned twice");
      for (let i = 0; i < KEY_COUNT; i++) assert.ok(seen.includes(`key:${i}`));
      const zsets: string[] = [];
      for await (const batch of redis.scanStream({ type: "zset" })) {
        zsets.push(...(batch as string[]));
      }
      assert.deepEqual(zsets, ["other"]);
    },
  },
  {
    name: "round-trips binary keys, values and members with all 256 byte values",
    clients: 1,
    async body(redis) {
      assert.equal(await redis.set("bin", ALL_BYTES), "OK");
      assert.deepEqual(await redis.getBuffer("bin"), ALL_BYTES);
      assert.equal(await redis.strlen("bin"), 256);
      assert.deepEqual(await redis.getrangeBuffer("bin", 128, 131), ALL_BYTES.subarray(128, 132));
      assert.equal(await redis.set(ALL_BYTES, "binary key"), "OK");
      assert.equal(await redis.get(ALL_BYTES), "binary key");
      assert.equal(await redis.append("bin", Buffer.from([0, 255])), 258);
      assert.deepEqual(
        await redis.getBuffer("bin"),
        Buffer.concat([ALL_BYTES, Buffer.from([0, 255])]),
      );
      const members = Array.from({ length: 256 }, (_, byte) => Buffer.from([byte, 0x80]));
      await redis.zadd("binz", ...members.flatMap((member) => [0, member]));
      // Equal scores order by member, byte-wise: exactly the byte order.
      assert.deepEqual(await redis.zrangeBuffer("binz", 0, -1), members);
      assert.deepEqual(await redis.mgetBuffer("bin", "missing"), [
        Buffer.concat([ALL_BYTES, Buffer.from([0, 255])]),
        null,
      ]);
    },
  },
  {
    name: "sorted-set commands return Redis's scores",
    clients: 1,
    async body(redis) {
      assert.equal(await redis.zadd("z", 1, "a", 2.5, "b", 3, "c", "-inf", "low"), 4);
      assert.equal(await redis.zadd("z", "GT", "CH", 0, "a", 10, "c"), 1);
      assert.equal(await redis.zscore("z", "b"), "2.5");
      assert.equal(await redis.zscore("z", "low"), "-inf");
      assert.equal(await redis.zscore("z", "nope"), null);
      assert.deepEqual(await redis.zrange("z", 0, -1, "WITHSCORES"), [
        "low",
        "-inf",
        "a",
        "1",
        "b",
        "2.5",
        "c",
        "10",
      ]);
      assert.deepEqual(await redis.zrange("z", "(1", "+inf", "BYSCORE", "LIMIT", 0, 1), ["b"]);
      assert.deepEqual(await redis.zrangebyscore("z", 1, 10, "WITHSCORES", "LIMIT", 1, 5), [
        "b",
        "2.5",
        "c",
        "10",
      ]);
      assert.equal(Number(await redis.zincrby("z", 0.25, "b")), 2.75);
      assert.equal(await redis.zrank("z", "b"), 2);
      assert.equal(await redis.zrevrank("z", "b"), 1);
      assert.equal(await redis.zcount("z", "-inf", "(10"), 3);
      assert.deepEqual(await redis.zmscore("z", "a", "nope", "c"), ["1", null, "10"]);
      assert.deepEqual(await redis.zpopmin("z"), ["low", "-inf"]);
      assert.deepEqual(await redis.zpopmax("z", 2), ["c", "10", "b", "2.75"]);
      await redis.zadd("z2", 5, "a", 7, "d");
      assert.equal(await redis.zunionstore("u", 2, "z", "z2", "WEIGHTS", 2, 1), 2);
      assert.deepEqual(await redis.zrange("u", 0, -1, "WITHSCORES"), ["a", "7", "d", "7"]);
      assert.equal(await redis.zinterstore("i", 2, "z", "z2", "AGGREGATE", "MAX"), 1);
      assert.deepEqual(await redis.zrange("i", 0, -1, "WITHSCORES"), ["a", "5"]);
      assert.equal(await redis.zrem("z2", "a", "nope"), 1);
      assert.equal(await redis.zcard("z2"), 1);
    },
  },
  {
    name: "WATCH makes EXEC return null after another client's write",
    clients: 2,
    async body(watcher, other) {
      await watcher.set("balance", "10");
      assert.equal(await watcher.watch("balance"), "OK");
      await other.incrby("balance", 5);
      assert.equal(await watcher.multi().set("balance", "0").exec(), null);
      assert.equal(await watcher.get("balance"), "15");
      // Without a conflicting write the same transaction commits.
      await watcher.watch("balance");
      assert.deepEqual(await watcher.multi().incrby("balance", 1).exec(), [[null, 16]]);
    },
  },
  {
    name: "rejects with Redis's error texts",
    clients: 1,
    async body(redis) {
      await redis.zadd("z", 1, "a");
      await redis.set("s", "text");
      await assert.rejects(redis.get("z"), { message: WRONGTYPE });
      await assert.rejects(redis.incr("s"), {
        message: "ERR value is not an integer or out of range",
      });
      await assert.rejects(redis.zadd("s", 1, "a"), { message: WRONGTYPE });
      await assert.rejects(
        redis.call("nosuchcommand", "x"),
        { message: "ERR unknown command 'nosuchcommand', with args beginning with: 'x' " },
      );
      await assert.rejects(
        redis.call("get"),
        { message: "ERR wrong number of arguments for 'get' command" },
      );
      const piped = await redis.pipeline().get("z").get("s").exec();
      assert.equal(piped?.[0]?.[0]?.message, WRONGTYPE);
      assert.deepEqual(piped?.[1], [null, "text"]);
      // A runtime error inside MULTI fails only its own command.
      const transaction = await redis.multi().incr("s").set("after", "1").exec();
      assert.equal(transaction?.[0]?.[0]?.message, "ERR value is not an integer or out of range");
      assert.deepEqual(transaction?.[1], [null, "OK"]);
      // The connection is still good after all those errors.
      assert.equal(await redis.get("after"), "1");
    },
  },
];

Deno.test("ioredis (RESP2) against Kache", async (t) => {
  await withKache(async (server) => {
    for (const { name, clients, body } of IOREDIS_SCENARIOS) {
      await t.step(name, () =>
        withIoredis(server, clients, async (...opened) => {
          await opened[0]!.flushall();
          await body(...opened);
        }));
    }
  });
});

// ---------------------------------------------------------------------------
// node-redis, once per protocol version

type NodeRedis = ReturnType<typeof createClient>;

/** Opens node-redis clients speaking RESP `resp`, never reconnecting. */
async function withNodeRedis(
  server: RunningServer,
  resp: 2 | 3,
  count: number,
  body: (...clients: NodeRedis[]) => Promise<void>,
): Promise<void> {
  const clients: NodeRedis[] = [];
  const errors: unknown[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const client = createClient({
        RESP: resp,
        socket: { host: "127.0.0.1", port: server.respPort, reconnectStrategy: false },
      });
      client.on("error", (error) => errors.push(error));
      clients.push(client);
      await client.connect();
    }
    await body(...clients);
    for (const client of clients) client.destroy();
    assert.deepEqual(errors, [], "no connection errors");
  } finally {
    for (const client of clients) if (client.isOpen) client.destroy();
  }
}

const NODE_REDIS_SCENARIOS: Scenario<NodeRedis>[] = [
  {
    name: "runs commands, pipelines and MULTI/EXEC",
    clients: 1,
    async body(client) {
      assert.equal(await client.ping(), "PONG");
      assert.equal(await client.set("greeting", "hello", { EX: 100 }), "OK");
      assert.equal(await client.get("greeting"), "hello");
      assert.equal(await client.get("missing"), null);
      assert.equal(await client.set("greeting", "x", { condition: "NX" }), null);
      assert.equal(await client.incr("counter"), 1);
      assert.equal(await client.incrByFloat("counter", 1.5), "2.5");
      assert.deepEqual(await client.mGet(["greeting", "missing"]), ["hello", null]);
      const ttl = await client.ttl("greeting");
      assert.ok(ttl > 95 && ttl <= 100, `TTL ${ttl}`);
      assert.equal(await client.exists(["greeting", "missing", "counter"]), 2);
      assert.equal(await client.type("counter"), "string");

      // Commands sent in the same tick are pipelined on one socket.
      const replies = await Promise.all(
        Array.from({ length: 300 }, (_, i) => client.set(`bulk:${i}`, String(i))),
      );
      assert.ok(replies.every((reply) => reply === "OK"));
      const reads = await Promise.all(
        Array.from({ length: 300 }, (_, i) => client.get(`bulk:${i}`)),
      );
      assert.deepEqual(reads, Array.from({ length: 300 }, (_, i) => String(i)));
      const piped = await client.multi().set("p", "1").incr("p").get("p").execAsPipeline();
      assert.deepEqual(piped, ["OK", 2, "2"]);

      const transaction = await client.multi()
        .set("t", "1")
        .incrBy("t", 9)
        .zAdd("tz", { score: 1.5, value: "a" })
        .get("t")
        .exec();
      assert.deepEqual(transaction, ["OK", 10, 1, "10"]);
      assert.equal(await client.sendCommand(["GETDEL", "t"]), "10");
      assert.equal(await client.sendCommand(["GET", "t"]), null);
    },
  },
  {
    name: "scanIterator returns every one of 1,000 keys exactly once",
    clients: 1,
    async body(client) {
      const pairs: [string, string][] = Array.from(
        { length: KEY_COUNT },
        (_, i) => [`key:${i}`, String(i)],
      );
      assert.equal(await client.mSet(pairs), "OK");
      await client.zAdd("other", { score: 1, value: "a" });
      const seen: string[] = [];
      for await (const keys of client.scanIterator({ MATCH: "key:*", COUNT: 53 })) {
        seen.push(...keys);
      }
      assert.equal(new Set(seen).size, KEY_COUNT, "every key is returned");
      assert.equal(seen.length, KEY_COUNT, "no key is returned twice");
      for (const [key] of pairs) assert.ok(seen.includes(key));
      const zsets: string[] = [];
      for await (const keys of client.scanIterator({ TYPE: "zset" })) zsets.push(...keys);
      assert.deepEqual(zsets, ["other"]);
    },
  },
  {
    name: "round-trips all 256 byte values as Buffers",
    clients: 1,
    async body(client) {
      const binary = client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
      assert.equal(await binary.set("bin", ALL_BYTES), "OK");
      assert.deepEqual(await binary.get("bin"), ALL_BYTES);
      assert.equal(await client.strLen("bin"), 256);
      assert.equal(await binary.set(ALL_BYTES, ALL_BYTES.subarray(0, 10)), "OK");
      assert.deepEqual(await binary.get(ALL_BYTES), ALL_BYTES.subarray(0, 10));
      const members = Array.from({ length: 256 }, (_, byte) => Buffer.from([byte]));
      await client.zAdd("binz", members.map((value) => ({ score: 0, value })));
      assert.deepEqual(await binary.zRange("binz", 0, -1), members);
      assert.deepEqual(await binary.mGet(["bin", "missing"]), [ALL_BYTES, null]);
    },
  },
  {
    name: "sorted-set commands return Redis's scores",
    clients: 1,
    async body(client) {
      assert.equal(
        await client.zAdd("z", [
          { score: 1, value: "a" },
          { score: 2.5, value: "b" },
          { score: 3, value: "c" },
          { score: -Infinity, value: "low" },
        ]),
        4,
      );
      assert.equal(await client.zScore("z", "b"), 2.5);
      assert.equal(await client.zScore("z", "low"), -Infinity);
      assert.equal(await client.zScore("z", "nope"), null);
      assert.deepEqual(await client.zRangeWithScores("z", 0, -1), [
        { value: "low", score: -Infinity },
        { value: "a", score: 1 },
        { value: "b", score: 2.5 },
        { value: "c", score: 3 },
      ]);
      assert.deepEqual(
        await client.zRange("z", "(1", "+inf", { BY: "SCORE", LIMIT: { offset: 0, count: 2 } }),
        ["b", "c"],
      );
      assert.deepEqual(await client.zRange("z", 0, 1, { REV: true }), ["c", "b"]);
      assert.equal(await client.zIncrBy("z", 0.25, "b"), 2.75);
      assert.equal(await client.zRank("z", "b"), 2);
      assert.equal(await client.zRank("z", "nope"), null);
      assert.equal(await client.zCount("z", 1, 3), 3);
      assert.deepEqual(await client.zmScore("z", ["a", "nope", "c"]), [1, null, 3]);
      assert.deepEqual(await client.zPopMin("z"), { value: "low", score: -Infinity });
      assert.deepEqual(await client.zPopMaxCount("z", 2), [
        { value: "c", score: 3 },
        { value: "b", score: 2.75 },
      ]);
      await client.zAdd("z2", [{ score: 5, value: "a" }, { score: 7, value: "d" }]);
      assert.deepEqual(
        await client.zUnionWithScores(["z", "z2"], { AGGREGATE: "SUM" }),
        [{ value: "a", score: 6 }, { value: "d", score: 7 }],
      );
      assert.deepEqual(await client.zInter(["z", "z2"]), ["a"]);
      assert.equal(await client.zDiffStore("d", ["z2", "z"]), 1);
      assert.deepEqual(await client.zRange("d", 0, -1), ["d"]);
      assert.equal(await client.zRangeStore("r", "z2", 0, 0), 1);
      assert.equal(await client.zCard("r"), 1);
    },
  },
  {
    name: "WATCH conflict rejects EXEC with WatchError",
    clients: 2,
    async body(watcher, other) {
      await watcher.set("balance", "10");
      assert.equal(await watcher.watch("balance"), "OK");
      await other.incrBy("balance", 5);
      await assert.rejects(watcher.multi().set("balance", "0").exec(), WatchError);
      assert.equal(await watcher.get("balance"), "15");
      await watcher.watch("balance");
      assert.deepEqual(await watcher.multi().incrBy("balance", 1).exec(), [16]);
    },
  },
  {
    name: "rejects with Redis's error texts",
    clients: 1,
    async body(client) {
      await client.zAdd("z", { score: 1, value: "a" });
      await client.set("s", "text");
      await assert.rejects(client.get("z"), (error: unknown) => {
        assert.ok(error instanceof ErrorReply);
        assert.equal(error.message, WRONGTYPE);
        return true;
      });
      await assert.rejects(client.incr("s"), {
        message: "ERR value is not an integer or out of range",
      });
      await assert.rejects(client.sendCommand(["NOSUCH", "x"]), {
        message: "ERR unknown command 'NOSUCH', with args beginning with: 'x' ",
      });
      await assert.rejects(client.sendCommand(["ZADD", "z", "nan", "a"]), {
        message: "ERR value is not a valid float",
      });
      // A queued runtime error fails the whole exec() promise, with each reply kept.
      await assert.rejects(client.multi().incr("s").set("after", "1").exec(), (error) => {
        assert.ok(error instanceof ErrorReply);
        return true;
      });
      assert.equal(await client.get("after"), "1");
    },
  },
];

const NODE_REDIS_RESP3_SCENARIOS: Scenario<NodeRedis>[] = [
  {
    name: "sees RESP3 types: maps, doubles and nulls",
    clients: 1,
    async body(client) {
      const hello = await client.sendCommand(["HELLO", "3"]) as Record<string, unknown>;
      assert.equal(hello.proto, 3);
      assert.equal(hello.server, "redis");
      const config = await client.configGet("timeout");
      assert.deepEqual({ ...config }, { timeout: "0" });
      await client.zAdd("z", [{ score: 1.5, value: "a" }, { score: Infinity, value: "b" }]);
      // Untransformed replies show the wire types: a double and a null.
      assert.equal(await client.sendCommand(["ZSCORE", "z", "a"]), 1.5);
      assert.equal(await client.sendCommand(["ZSCORE", "z", "b"]), Infinity);
      assert.equal(await client.sendCommand(["ZSCORE", "z", "nope"]), null);
      assert.deepEqual(await client.sendCommand(["ZRANGE", "z", "0", "-1", "WITHSCORES"]), [
        ["a", 1.5],
        ["b", Infinity],
      ]);
      assert.deepEqual(await client.sendCommand(["ZMSCORE", "z", "nope", "a"]), [null, 1.5]);
      assert.equal(await client.sendCommand(["GET", "nope"]), null);
    },
  },
];

for (const resp of [2, 3] as const) {
  Deno.test(`node-redis (RESP${resp}) against Kache`, async (t) => {
    const scenarios = resp === 3
      ? [...NODE_REDIS_SCENARIOS, ...NODE_REDIS_RESP3_SCENARIOS]
      : NODE_REDIS_SCENARIOS;
    await withKache(async (server) => {
      for (const { name, clients, body } of scenarios) {
        await t.step(name, () =>
          withNodeRedis(server, resp, clients, async (...opened) => {
            await opened[0]!.flushAll();
            await body(...opened);
          }));
      }
    });
  });
}
