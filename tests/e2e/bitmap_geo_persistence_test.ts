/**
 * Bitmaps and geo sets beyond the command replies: RDB interchange with
 * redis-server both ways (a geo set small enough for a listpack and one
 * large enough for a skiplist, bitmaps with every byte value), the AOF
 * (GEOADD logged as the ZADD it ran, as Redis propagates it; BITFIELD as
 * itself) across kill -9 and into redis-server, and keyspace notifications
 * compared event by event with Redis's.
 */
import assert from "node:assert/strict";
import { startRedisWithFile, withTempDir } from "../lib/persistence/rdb_support.ts";
import { startRedis } from "../support/redis_process.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { type RunningServer, startServer } from "../support/server_process.ts";

type Argv = readonly string[];

/** Writes the dataset: two geo sets (listpack-sized and skiplist-sized) and bitmaps. */
function writes(): Argv[] {
  const commands: Argv[] = [
    ["GEOADD", "small", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"],
    ["GEOADD", "small", "180", "85.05112878", "corner", "-180", "-85.05112878", "other"],
  ];
  const large = ["GEOADD", "large"];
  for (let i = 0; i < 300; i++) {
    large.push(
      ((i * 7.123457) % 360 - 180).toFixed(6),
      ((i * 3.217) % 170 - 85).toFixed(6),
      `place:${i}`,
    );
  }
  commands.push(large);
  commands.push(
    ["SETBIT", "bits", "1", "1"],
    ["SETBIT", "bits", "1000", "1"],
    ["BITFIELD", "bits", "SET", "i64", "#3", "-9223372036854775808", "INCRBY", "u7", "300", "99"],
    ["SET", "bytes", Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("")],
    ["BITOP", "NOT", "inverted", "bytes"],
    [
      "GEOSEARCHSTORE",
      "near",
      "large",
      "FROMLONLAT",
      "0",
      "0",
      "BYRADIUS",
      "3000",
      "km",
      "STOREDIST",
    ],
  );
  return commands;
}

/** Reads that show the data as the commands see it. */
const READS: Argv[] = [
  ["GEOPOS", "small", "Palermo", "Catania", "corner", "other"],
  ["GEOHASH", "small", "Palermo", "corner"],
  ["GEODIST", "small", "Palermo", "Catania", "km"],
  [
    "GEOSEARCH",
    "large",
    "FROMLONLAT",
    "10",
    "10",
    "BYRADIUS",
    "2000",
    "km",
    "WITHCOORD",
    "WITHDIST",
    "ASC",
  ],
  [
    "GEOSEARCH",
    "large",
    "FROMMEMBER",
    "place:7",
    "BYBOX",
    "5000",
    "3000",
    "km",
    "WITHHASH",
    "DESC",
  ],
  ["ZCARD", "large"],
  ["ZRANGE", "near", "0", "-1"],
  ["GET", "bits"],
  ["BITCOUNT", "bits"],
  ["BITFIELD_RO", "bits", "GET", "i64", "#3", "GET", "u7", "300"],
  ["GET", "bytes"],
  ["GET", "inverted"],
  ["TYPE", "small"],
];

async function run(client: RawRespClient, commands: readonly Argv[]): Promise<string[]> {
  const replies: string[] = [];
  for (const argv of commands) replies.push((await client.send(argv)).raw);
  return replies;
}

async function withKache(
  dir: string,
  args: string[],
  body: (client: RawRespClient, server: RunningServer) => Promise<void>,
  stop: Deno.Signal = "SIGTERM",
): Promise<void> {
  const server = await startServer(args, { dir });
  const client = await RawRespClient.connect(server.respPort);
  try {
    await body(client, server);
  } finally {
    client.close();
    await server.stop(stop);
  }
}

Deno.test("bitmaps and geo sets: Kache started on redis-server's dump.rdb answers as Redis did", async () => {
  await withTempDir(async (dir) => {
    const redis = await startRedisWithFile(dir);
    let expected: string[] = [];
    try {
      await run(redis.client, writes());
      expected = await run(redis.client, READS);
      await redis.command("SAVE");
    } finally {
      await redis.stop();
    }
    await withKache(dir, [], async (client) => {
      assert.deepEqual(await run(client, READS), expected);
    });
  });
});

Deno.test("bitmaps and geo sets: redis-server started on Kache's dump.rdb and AOF answers as Kache did", async () => {
  await withTempDir(async (dir) => {
    let expected: string[] = [];
    await withKache(dir, ["--appendonly", "yes"], async (client) => {
      await run(client, writes());
      expected = await run(client, READS);
      await client.send(["SAVE"]);
    });
    for (const appendonly of ["no", "yes"]) {
      const redis = await startRedisWithFile(dir, ["--appendonly", appendonly]);
      try {
        assert.deepEqual(await run(redis.client, READS), expected, `appendonly ${appendonly}`);
      } finally {
        await redis.stop();
      }
    }
  });
});

Deno.test("bitmaps and geo sets: the AOF logs GEOADD as ZADD and keeps everything across kill -9", async () => {
  await withTempDir(async (dir) => {
    const aof = ["--appendonly", "yes", "--appendfsync", "always"];
    let expected: string[] = [];
    await withKache(dir, aof, async (client) => {
      await run(client, writes());
      expected = await run(client, READS);
    }, "SIGKILL");
    const incr = await Deno.readTextFile(`${dir}/appendonlydir/appendonly.aof.1.incr.aof`);
    assert.match(
      incr,
      /\$4\r\nZADD\r\n\$5\r\nsmall\r\n\$16\r\n3479099956230698\r\n\$7\r\nPalermo\r\n/,
    );
    assert.doesNotMatch(incr, /GEOADD/i);
    assert.match(incr, /\$8\r\nBITFIELD\r\n\$4\r\nbits\r\n/);
    assert.match(incr, /\$14\r\nGEOSEARCHSTORE\r\n/);
    await withKache(dir, aof, async (client) => {
      assert.deepEqual(await run(client, READS), expected);
    });
  });
});

/** Every keyspace event a sequence of commands raises, as `event key` lines. */
async function eventsOf(port: number, commands: readonly Argv[]): Promise<string[]> {
  const writer = await RawRespClient.connect(port);
  const subscriber = await RawRespClient.connect(port);
  try {
    await writer.send(["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
    await subscriber.send(["PSUBSCRIBE", "__keyevent@0__:*"]);
    for (const argv of commands) await writer.send(argv);
    await writer.send(["SET", "end-of-events", "1"]);
    const events: string[] = [];
    while (true) {
      const { reply } = await subscriber.readReply();
      if (reply.type !== "array" && reply.type !== "push") continue;
      const [, , channel, key] = reply.items.map((item) => item.type === "bulk" ? item.value : "");
      if (key === "end-of-events") return events;
      events.push(`${channel!.replace("__keyevent@0__:", "")} ${key}`);
    }
  } finally {
    writer.close();
    subscriber.close();
  }
}

Deno.test("bitmaps and geo sets: keyspace notifications are Redis's, event by event", async () => {
  const commands: Argv[] = [
    ...writes(),
    ["SETBIT", "bits", "1", "1"],
    ["SETBIT", "bits", "1", "0"],
    ["SETBIT", "fresh", "0", "0"],
    ["BITFIELD", "bits", "GET", "u8", "0"],
    ["BITFIELD", "bits", "SET", "u8", "0", "0"],
    ["BITFIELD", "bits", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9"],
    ["BITFIELD", "grown", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "9"],
    ["BITOP", "AND", "inverted", "nokey"],
    ["GEOADD", "small", "NX", "1", "1", "Palermo"],
    ["GEOADD", "small", "XX", "CH", "1", "1", "Palermo"],
    ["GEORADIUS", "small", "15", "37", "200", "km", "STORE", "stored"],
    ["GEORADIUS", "small", "15", "37", "1", "m", "STOREDIST", "stored"],
    ["GEOSEARCHSTORE", "near", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"],
  ];
  const redis = await startRedis();
  const kache = await startServer().catch(async (error) => {
    await redis.stop();
    throw error;
  });
  try {
    const expected = await eventsOf(redis.port, commands);
    assert.ok(expected.length > 10);
    assert.deepEqual(await eventsOf(kache.respPort, commands), expected);
  } finally {
    await Promise.all([redis.stop(), kache.stop()]);
  }
});

Deno.test("bitmaps and geo sets: DUMP from one server RESTOREs on the other with the same answers", async () => {
  const redis = await startRedis();
  const kache = await startServer().catch(async (error) => {
    await redis.stop();
    throw error;
  });
  const [fromRedis, fromKache] = [
    await RawRespClient.connect(redis.port),
    await RawRespClient.connect(kache.respPort),
  ];
  try {
    const keys = ["small", "large", "bits", "bytes", "inverted", "near"];
    const directions: [RawRespClient, RawRespClient][] = [[fromRedis, fromKache], [
      fromKache,
      fromRedis,
    ]];
    for (const [source, target] of directions) {
      await source.send(["FLUSHALL"]);
      await target.send(["FLUSHALL"]);
      await run(source, writes());
      for (const key of keys) {
        const dumped = (await source.send(["DUMP", key])).reply;
        assert.equal(dumped.type, "bulk");
        if (dumped.type !== "bulk") continue;
        const restored = await target.send(["RESTORE", key, "0", dumped.value]);
        assert.equal(restored.raw, "+OK\r\n", key);
      }
      assert.deepEqual(await run(target, READS), await run(source, READS));
    }
  } finally {
    fromRedis.close();
    fromKache.close();
    await Promise.all([redis.stop(), kache.stop()]);
  }
});
