/**
 * Kache against redis-server 7.0 for OBJECT, DUMP/RESTORE, the encoding
 * settings, CLIENT REPLY and CLIENT TRACKING: the same commands to both,
 * replies compared byte for byte (tests/support/differential.ts).
 *
 * Where the two may differ by design the test compares what matters:
 * - With `rdbcompression yes`, Kache's LZF finds other matches than
 *   Redis's, so compressible payloads are compared with compression off,
 *   and also exchanged with it on: each server RESTOREs the other's DUMP
 *   and must hold the same value.
 * - Client ids (REDIRECT, GETREDIR) are replaced by `<id>` in transcripts.
 *
 * One redis-server and one Kache serve every test step.
 */
import assert from "node:assert/strict";
import { Pair, Picker, show, transcript } from "../support/differential.ts";
import { type RunningRedis, startRedis } from "../support/redis_process.ts";
import { type RawReply, RawRespClient } from "../support/resp_client.ts";
import { type RunningServer, startServer } from "../support/server_process.ts";

/** String values of every shape OBJECT ENCODING and DUMP distinguish. */
function stringShapes(picker: Picker): string[] {
  const shapes = [
    "0",
    "1",
    "-1",
    "9999",
    "10000",
    "127",
    "128",
    "-128",
    "-129",
    "32767",
    "32768",
    "2147483647",
    "2147483648",
    "-2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "007",
    "+5",
    "-0",
    " 1",
    "1 ",
    "1.5",
    "1e3",
    "0x10",
    "",
    "hello",
    "x".repeat(20),
  ];
  // Random bytes do not compress, so LZF leaves them as they are in both servers.
  for (const length of [21, 43, 44, 45, 46, 100]) {
    shapes.push(Array.from({ length }, () => String.fromCharCode(picker.int(256))).join(""));
  }
  return shapes;
}

async function dumpOf(client: RawRespClient, key: string): Promise<string> {
  const { reply } = await client.send(["DUMP", key]);
  assert.equal(reply.type, "bulk", `DUMP ${key}`);
  return (reply as { value: string }).value;
}

/** Each server RESTOREs the other's DUMP of `key`; then both must answer `check` alike. */
async function exchange(pair: Pair, key: string, check: string[]): Promise<void> {
  const fromRedis = await dumpOf(pair.redis, key);
  const fromKache = await dumpOf(pair.kache, key);
  const copy = `${key}:copy`;
  assert.equal(
    (await pair.kache.send(["RESTORE", copy, "0", fromRedis, "REPLACE"])).raw,
    "+OK\r\n",
  );
  assert.equal(
    (await pair.redis.send(["RESTORE", copy, "0", fromKache, "REPLACE"])).raw,
    "+OK\r\n",
  );
  await pair.run(...check.map((word) => word === key ? copy : word));
  await pair.run("OBJECT", "ENCODING", copy);
}

Deno.test("differential: OBJECT, DUMP/RESTORE, encoding settings, CLIENT REPLY and TRACKING", async (t) => {
  let redis: RunningRedis | undefined;
  let kache: RunningServer | undefined;
  let pair: Pair | undefined;
  try {
    redis = await startRedis();
    kache = await startServer();
    pair = await Pair.open(redis.port, kache.respPort);
    const p = pair;
    const ports = { redis: redis.port, kache: kache.respPort };

    await t.step("strings: OBJECT ENCODING, REFCOUNT and DUMP bytes", async () => {
      for (const value of stringShapes(new Picker(11))) {
        await p.run("SET", "s", value);
        await p.run("OBJECT", "ENCODING", "s");
        await p.run("OBJECT", "REFCOUNT", "s");
        await p.run("DUMP", "s");
      }
      await p.run("OBJECT", "ENCODING", "missing");
      await p.run("DUMP", "missing");
      // Compressible strings: LZF output may differ, the value must not.
      for (
        const value of ["x".repeat(44), "x".repeat(45), "ab".repeat(50), "0123456789".repeat(7)]
      ) {
        await p.run("SET", "long", value);
        await p.run("OBJECT", "ENCODING", "long");
        await exchange(p, "long", ["GET", "long"]);
        await p.run("CONFIG", "SET", "rdbcompression", "no");
        await p.run("DUMP", "long");
        await p.run("CONFIG", "SET", "rdbcompression", "yes");
      }
      p.assertAgreed();
    });

    await t.step(
      "sorted sets: OBJECT ENCODING by size and member length, DUMP bytes and exchange",
      async () => {
        const picker = new Picker(12);
        // Without LZF the payloads hold the listpack or ZSET_2 as is, so their bytes can agree.
        // (No "-0" score: Redis's skiplist keeps -0.0, which ZSET_2 shows; Kache stores 0.)
        await p.run("CONFIG", "SET", "rdbcompression", "no");
        for (const size of [1, 2, 5, 64, 127, 128, 129, 200, 1000]) {
          await p.run("DEL", "z");
          const args = ["ZADD", "z"];
          for (let i = 0; i < size; i++) {
            const score = picker.one([
              "1",
              "-2.5",
              "0.1",
              "1e300",
              "-inf",
              "inf",
              "1e-7",
              "123456789.123",
              "4611686018427387904",
              "9223372036854775807",
              String(picker.int(1e6) - 5e5),
              String(picker.int(1e9) / 7),
            ]);
            const member = picker.one([`member:${i}`, String(i), String(-i * 997), `0${i}`]);
            args.push(score, member);
          }
          await p.run(...args);
          await p.run("OBJECT", "ENCODING", "z");
          await p.run("DUMP", "z");
          await exchange(p, "z", ["ZRANGE", "z", "0", "-1", "WITHSCORES"]);
        }
        for (const length of [63, 64, 65]) {
          await p.run("DEL", "w");
          await p.run("ZADD", "w", "1", "m".repeat(length));
          await p.run("OBJECT", "ENCODING", "w");
          await p.run("DUMP", "w");
          await exchange(p, "w", ["ZRANGE", "w", "0", "-1", "WITHSCORES"]);
        }
        await p.run("CONFIG", "SET", "rdbcompression", "yes");
        p.assertAgreed();
      },
    );

    await t.step(
      "encoding settings: CONFIG SET/GET, aliases, errors, effect on OBJECT ENCODING",
      async () => {
        await p.run("DEL", "z");
        await p.run("ZADD", "z", "1", "a", "2", "b", "3", "c");
        await p.run("CONFIG", "SET", "zset-max-ziplist-entries", "2");
        await p.run("CONFIG", "GET", "zset-max-listpack-entries");
        await p.run("DEL", "z2");
        await p.run("ZADD", "z2", "1", "a", "2", "b", "3", "c");
        await p.run("OBJECT", "ENCODING", "z2");
        await p.run("CONFIG", "SET", "zset-max-listpack-entries", "128");
        await p.run("CONFIG", "SET", "zset-max-listpack-value", "4");
        await p.run("DEL", "z3");
        await p.run("ZADD", "z3", "1", "abcde");
        await p.run("OBJECT", "ENCODING", "z3");
        await p.run("CONFIG", "SET", "zset-max-listpack-value", "64");
        for (
          const [name, value] of [
            ["hash-max-listpack-entries", "100"],
            ["hash-max-ziplist-entries", "-1"],
            ["hash-max-ziplist-value", "2kb"],
            ["hash-max-listpack-value", "x"],
            ["list-max-listpack-size", "-5"],
            ["list-max-ziplist-size", "4096"],
            ["list-max-listpack-size", "99999999999"],
            ["list-compress-depth", "2"],
            ["list-compress-depth", "-1"],
            ["set-max-intset-entries", "1024"],
            ["set-max-intset-entries", "abc"],
            ["stream-node-max-bytes", "8kb"],
            ["stream-node-max-bytes", "1x"],
            ["stream-node-max-entries", "50"],
            ["tracking-table-max-keys", "5"],
          ]
        ) {
          await p.run("CONFIG", "SET", name!, value!);
          await p.run("CONFIG", "GET", name!);
        }
        await p.run("CONFIG", "SET", "tracking-table-max-keys", "1000000");
        p.assertAgreed();
      },
    );

    await t.step("RESTORE options and errors", async () => {
      await p.run("SET", "src", "value");
      const payload = await dumpOf(p.redis, "src");
      const commands: string[][] = [
        ["RESTORE", "src", "0", payload],
        ["RESTORE", "dst", "-1", payload],
        ["RESTORE", "dst", "abc", payload],
        ["RESTORE", "dst", "0", "garbage"],
        ["RESTORE", "dst", "0", payload.slice(0, -1) + "\x00"],
        ["RESTORE", "dst", "0", payload, "FREQ", "300"],
        ["RESTORE", "dst", "0", payload, "IDLETIME", "-5"],
        ["RESTORE", "dst", "0", payload, "IDLETIME", "5", "FREQ", "5"],
        ["RESTORE", "dst", "0", payload, "NOPE"],
        ["RESTORE", "dst", "0", payload, "IDLETIME", "5"],
        ["GET", "dst"],
        ["RESTORE", "dst", "0", payload, "REPLACE", "FREQ", "5"],
        ["RESTORE", "dst", "1", payload, "REPLACE", "ABSTTL"],
        ["EXISTS", "dst"],
        ["RESTORE", "dst", "100000", payload],
        ["PTTL", "dst"],
        ["OBJECT", "FREQ", "dst"],
        ["OBJECT", "HELP"],
        ["OBJECT", "NOPE", "dst"],
        // An LFU policy counts accesses even without maxmemory; RESTORE FREQ sets the counter.
        ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
        ["SET", "f", "v"],
        ["OBJECT", "FREQ", "f"],
        ["GET", "f"],
        ["OBJECT", "FREQ", "f"],
        ["OBJECT", "IDLETIME", "f"],
        ["RESTORE", "g", "0", payload, "FREQ", "100"],
        ["OBJECT", "FREQ", "g"],
        ["OBJECT", "FREQ", "missing"],
        // lfu-log-factor 0 counts every hit; lfu-decay-time is a setting both keep.
        ["CONFIG", "SET", "lfu-log-factor", "0"],
        ["CONFIG", "SET", "lfu-decay-time", "0"],
        // One name per CONFIG GET: with a pattern, Redis lists matches in its dict's seeded order.
        ["CONFIG", "GET", "lfu-log-factor"],
        ["CONFIG", "GET", "lfu-decay-time"],
        ["SET", "h", "v"],
        ...Array.from({ length: 20 }, () => ["GET", "h"]),
        ["OBJECT", "FREQ", "h"],
        ["CONFIG", "SET", "lfu-log-factor", "-1"],
        ["CONFIG", "SET", "lfu-log-factor", "10"],
        ["CONFIG", "SET", "lfu-decay-time", "1"],
        ["CONFIG", "SET", "maxmemory-policy", "noeviction"],
        ["OBJECT", "FREQ", "f"],
      ];
      await p.runAll(commands);
      p.assertAgreed();
    });

    await t.step("CLIENT REPLY OFF, ON and SKIP", async () => {
      const request = (...argv: string[]) =>
        `*${argv.length}\r\n${argv.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join("")}`;
      const bytes = [
        request("SET", "r", "1"),
        request("CLIENT", "REPLY", "SKIP"),
        request("GET", "r"),
        request("GET", "r"),
        request("CLIENT", "REPLY", "OFF"),
        request("INCR", "r"),
        request("CLIENT", "REPLY", "SKIP"),
        request("GET", "nope", "extra"),
        request("CLIENT", "REPLY", "ON"),
        request("GET", "r"),
        request("CLIENT", "REPLY", "SKIP"),
        request("CLIENT", "REPLY", "ON"),
        request("GET", "r"),
        request("CLIENT", "REPLY", "MAYBE"),
        request("CLIENT", "REPLY", "OFF"),
        request("RESET"),
        request("GET", "r"),
      ].join("");
      const [fromRedis, fromKache] = await Promise.all([
        transcript(ports.redis, bytes, false),
        transcript(ports.kache, bytes, false),
      ]);
      assert.equal(show(fromKache), show(fromRedis));
    });

    await t.step(
      "CLIENT TRACKING: RESP3 pushes, BCAST, NOLOOP, OPTIN, RESP2 redirect",
      async () => {
        const [fromRedis, fromKache] = [
          await trackingTranscript(ports.redis),
          await trackingTranscript(ports.kache),
        ];
        assert.equal(fromKache, fromRedis);
      },
    );
  } finally {
    pair?.close();
    await kache?.stop();
    await redis?.stop();
  }
});

/**
 * A scripted client-side caching session on one server: what every
 * connection received, in order, with client ids replaced by `<id>`.
 */
async function trackingTranscript(port: number): Promise<string> {
  const reader = await RawRespClient.connect(port);
  const writer = await RawRespClient.connect(port);
  const listener = await RawRespClient.connect(port);
  let log = "";
  const ids: string[] = [];
  /** Sends one command and records replies until the command's own (pushes come along). */
  const send = async (client: RawRespClient, name: string, argv: string[]) => {
    await client.writeRaw(
      new TextEncoder().encode(
        `*${argv.length}\r\n${argv.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join("")}`,
      ),
    );
    let reply: RawReply;
    do {
      reply = await client.readReply();
      log += `${name}: ${show(reply.raw)}\n`;
    } while (reply.raw.startsWith(">") || reply.raw.startsWith("*3\r\n$7\r\nmessage"));
    return reply;
  };
  try {
    await reader.send(["HELLO", "3"]);
    const readerId = String(
      ((await reader.send(["CLIENT", "ID"])).reply as { value: bigint }).value,
    );
    const listenerId = String(
      ((await listener.send(["CLIENT", "ID"])).reply as { value: bigint }).value,
    );
    ids.push(readerId, listenerId);
    await send(reader, "reader", ["CLIENT", "TRACKING", "ON"]);
    await send(reader, "reader", ["GET", "a"]);
    await send(reader, "reader", ["MGET", "b", "c"]);
    await send(writer, "writer", ["SET", "a", "1"]);
    await send(reader, "reader", ["PING"]);
    await send(reader, "reader", ["SET", "b", "self"]);
    await send(reader, "reader", ["GET", "b"]);
    await send(reader, "reader", ["CLIENT", "TRACKINGINFO"]);
    await send(reader, "reader", ["FLUSHALL"]);
    await send(reader, "reader", ["CLIENT", "TRACKING", "ON", "NOLOOP"]);
    await send(reader, "reader", ["GET", "n"]);
    await send(reader, "reader", ["SET", "n", "mine"]);
    await send(reader, "reader", ["GET", "n"]);
    await send(writer, "writer", ["SET", "n", "theirs"]);
    await send(reader, "reader", ["PING"]);
    await send(reader, "reader", ["CLIENT", "TRACKING", "OFF"]);
    await send(reader, "reader", ["CLIENT", "TRACKING", "ON", "OPTIN"]);
    await send(reader, "reader", ["GET", "o1"]);
    await send(reader, "reader", ["CLIENT", "CACHING", "YES"]);
    await send(reader, "reader", ["GET", "o2"]);
    await send(writer, "writer", ["MSET", "o1", "x", "o2", "x"]);
    await send(reader, "reader", ["PING"]);
    await send(reader, "reader", ["CLIENT", "TRACKING", "OFF"]);
    await send(reader, "reader", [
      "CLIENT",
      "TRACKING",
      "ON",
      "BCAST",
      "PREFIX",
      "q",
      "PREFIX",
      "p:",
    ]);
    await send(reader, "reader", ["CLIENT", "TRACKINGINFO"]);
    await send(writer, "writer", ["MSET", "p:2", "x", "p:1", "y", "other", "z", "q9", "w"]);
    await send(reader, "reader", ["PING"]);
    await send(reader, "reader", ["SET", "p:3", "self"]);
    await send(reader, "reader", ["PING"]);
    await send(reader, "reader", ["CLIENT", "TRACKING", "OFF"]);
    await send(listener, "listener", ["SUBSCRIBE", "__redis__:invalidate"]);
    await send(reader, "reader", ["CLIENT", "TRACKING", "ON", "REDIRECT", listenerId]);
    await send(reader, "reader", ["CLIENT", "GETREDIR"]);
    await send(reader, "reader", ["GET", "r"]);
    await send(writer, "writer", ["SET", "r", "1"]);
    await send(listener, "listener", ["PING"]);
    await send(reader, "reader", ["CLIENT", "TRACKING", "ON", "PREFIX", "x"]);
    await send(reader, "reader", ["CLIENT", "TRACKING", "ON", "BCAST"]);
    await send(reader, "reader", ["CLIENT", "CACHING", "YES"]);
  } finally {
    reader.close();
    writer.close();
    listener.close();
  }
  // Only CLIENT GETREDIR's reply carries an id.
  for (const id of ids) log = log.replaceAll(`: ":${id}\\r\\n"\n`, `: ":<id>\\r\\n"\n`);
  return log;
}
