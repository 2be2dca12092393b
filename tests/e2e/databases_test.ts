/**
 * Databases end to end: real clients from npm on database 2 (ioredis's `db`,
 * node-redis's `database`) keep their data apart from database 0,
 * notifications of database 3 arrive on `__keyspace@3__`, and keys in several
 * databases survive restarts through the RDB file and the AOF (with its
 * SELECTs) and interchange with redis-server 7.0 both ways.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createClient } from "redis";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { checkRdb, startRedisWithFile, withTempDir } from "../lib/persistence/rdb_support.ts";
import { requireTool } from "../support/redis_process.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { type RunningServer, startServer } from "../support/server_process.ts";

/** A far deadline (2100-01-01), so no key expires during a test. */
const FAR = 4_102_444_800_000;

async function command(client: RawRespClient, ...argv: string[]): Promise<ClientReply> {
  const { reply } = await client.send(argv);
  if (reply.type === "error") throw new Error(`${argv.join(" ")} failed: ${reply.message}`);
  return reply;
}

function text(reply: ClientReply): string {
  if (reply.type === "bulk" || reply.type === "status") return reply.value;
  throw new Error(`Expected a string, got ${JSON.stringify(reply)}`);
}

function items(reply: ClientReply): readonly ClientReply[] {
  if (reply.type === "array") return reply.items;
  throw new Error(`Expected an array, got ${JSON.stringify(reply)}`);
}

/** Every key of databases 0–15 as "db key type value expiry" lines, sorted. */
async function allDatabases(client: RawRespClient): Promise<string[]> {
  const lines: string[] = [];
  for (let db = 0; db < 16; db++) {
    await command(client, "SELECT", String(db));
    for (const key of items(await command(client, "KEYS", "*")).map(text)) {
      const type = text(await command(client, "TYPE", key));
      const value = type === "string"
        ? text(await command(client, "GET", key))
        : items(await command(client, "ZRANGE", key, "0", "-1", "WITHSCORES")).map(text).join(
          ",",
        );
      const expiry = (await command(client, "PEXPIRETIME", key)) as { value: bigint | number };
      lines.push(`${db} ${key} ${type} ${value} ${expiry.value}`);
    }
  }
  await command(client, "SELECT", "0");
  return lines.sort();
}

/** Keys in databases 0, 3 and 15, strings and sorted sets, some with deadlines. */
async function writeSeveralDatabases(client: RawRespClient): Promise<void> {
  await command(client, "SET", "k", "in zero");
  await command(client, "SELECT", "3");
  await command(client, "SET", "k", "in three");
  await command(client, "ZADD", "z", "1", "a", "2.5", "b");
  await command(client, "SET", "ttl", "v");
  await command(client, "PEXPIREAT", "ttl", String(FAR));
  await command(client, "SELECT", "15");
  await command(client, "SET", "last", "fifteen");
  await command(client, "SELECT", "0");
}

async function withKache(
  dir: string,
  args: string[],
  body: (client: RawRespClient, server: RunningServer) => Promise<void>,
): Promise<void> {
  const server = await startServer(args, { dir });
  const client = await RawRespClient.connect(server.respPort);
  try {
    await body(client, server);
  } finally {
    client.close();
    await server.stop();
  }
}

Deno.test("ioredis with db: 2 and node-redis with database: 2 keep their data apart from db 0", async () => {
  const server = await startServer();
  const options = { host: "127.0.0.1", port: server.respPort, lazyConnect: true };
  const onTwo = new Redis({
    ...options,
    db: 2,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  const onZero = new Redis({ ...options, maxRetriesPerRequest: 0, retryStrategy: () => null });
  const nodeRedis = createClient({
    database: 2,
    socket: { host: "127.0.0.1", port: server.respPort, reconnectStrategy: false },
  });
  const errors: unknown[] = [];
  onTwo.on("error", (error) => errors.push(error));
  nodeRedis.on("error", (error) => errors.push(error));
  try {
    await onTwo.connect();
    await onZero.connect();
    await nodeRedis.connect();
    assert.equal(await onTwo.set("job", "queued on two"), "OK");
    assert.equal(await onZero.get("job"), null);
    assert.equal(await nodeRedis.get("job"), "queued on two");
    assert.equal(await nodeRedis.set("from-node", "x"), "OK");
    assert.equal(await onTwo.dbsize(), 2);
    assert.equal(await onZero.dbsize(), 0);
    assert.equal(await onZero.set("job", "zero's own"), "OK");
    assert.equal(await onTwo.get("job"), "queued on two");
    // A pipeline and a transaction stay on the client's database too.
    const piped = await onTwo.pipeline().get("from-node").exec();
    assert.deepEqual(piped, [[null, "x"]]);
    assert.deepEqual(await nodeRedis.multi().incr("counter").get("job").exec(), [
      1,
      "queued on two",
    ]);
    assert.equal(await onZero.exists("counter"), 0);
    const clientList = await onTwo.client("LIST");
    assert.match(String(clientList), / db=2 /);
    assert.deepEqual(errors, []);
    await onTwo.quit();
    await onZero.quit();
    nodeRedis.destroy();
  } finally {
    onTwo.disconnect();
    onZero.disconnect();
    if (nodeRedis.isOpen) nodeRedis.destroy();
    await server.stop();
  }
});

Deno.test("keyspace notifications of database 3 arrive on __keyspace@3__ and __keyevent@3__", async () => {
  const server = await startServer(["--notify-keyspace-events", "KEA"]);
  const options = {
    host: "127.0.0.1",
    port: server.respPort,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  };
  const subscriber = new Redis(options);
  const writer = new Redis({ ...options, db: 3 });
  try {
    await subscriber.connect();
    await writer.connect();
    const seen: string[] = [];
    subscriber.on("pmessage", (_pattern, channel, message) => seen.push(`${channel} ${message}`));
    await subscriber.psubscribe("__key*@*__:*");
    await writer.set("k", "v");
    await writer.move("k", "5");
    await writer.set("gone", "v", "PX", "1");
    const deadline = Date.now() + 5000;
    while (seen.length < 8 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(seen.slice(0, 8), [
      "__keyspace@3__:k set",
      "__keyevent@3__:set k",
      "__keyspace@3__:k move_from",
      "__keyevent@3__:move_from k",
      "__keyspace@5__:k move_to",
      "__keyevent@5__:move_to k",
      "__keyspace@3__:gone set",
      "__keyevent@3__:set gone",
    ]);
    while (seen.length < 12 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // SET … PX reports its TTL as `expire`, as Redis does; the active sweep then `expired`.
    assert.deepEqual(seen.slice(8), [
      "__keyspace@3__:gone expire",
      "__keyevent@3__:expire gone",
      "__keyspace@3__:gone expired",
      "__keyevent@3__:expired gone",
    ]);
    await subscriber.quit();
    await writer.quit();
  } finally {
    subscriber.disconnect();
    writer.disconnect();
    await server.stop();
  }
});

Deno.test("keys in several databases survive a restart through dump.rdb, and redis-server loads it", async () => {
  await withTempDir(async (dir) => {
    let expected: string[] = [];
    await withKache(dir, [], async (client) => {
      await writeSeveralDatabases(client);
      expected = await allDatabases(client);
      await command(client, "SAVE");
    });
    assert.equal(expected.length, 5);
    const check = await checkRdb(`${dir}/dump.rdb`);
    assert.ok(check.success, check.output);
    await withKache(dir, [], async (client) => {
      assert.deepEqual(await allDatabases(client), expected);
    });
    const redis = await startRedisWithFile(dir);
    try {
      assert.deepEqual(await allDatabases(redis.client), expected);
    } finally {
      await redis.stop();
    }
  });
});

Deno.test("a BGSAVE while databases are swapped and written still holds the data at its cut", async () => {
  await withTempDir(async (dir) => {
    await withKache(dir, [], async (client) => {
      await writeSeveralDatabases(client);
      // Enough keys that the walk takes several slices, so the writes below land during it.
      const pipeline: string[][] = [["SELECT", "3"]];
      for (let i = 0; i < 3_000; i++) pipeline.push(["SET", `bulk:${i}`, "x".repeat(2000)]);
      pipeline.push(["SELECT", "0"]);
      await client.pipeline(pipeline);
      const atCut = await allDatabases(client);
      await command(client, "BGSAVE");
      await command(client, "SWAPDB", "0", "3");
      await command(client, "SELECT", "3");
      await command(client, "SET", "k", "changed after the cut");
      await command(client, "SELECT", "0");
      await command(client, "SET", "new", "after the cut");
      await command(client, "FLUSHDB");
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        const info = text(await command(client, "INFO", "persistence"));
        if (/rdb_bgsave_in_progress:0/.test(info)) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const redis = await startRedisWithFile(dir);
      try {
        assert.deepEqual(await allDatabases(redis.client), atCut);
      } finally {
        await redis.stop();
      }
    });
  });
});

Deno.test("Kache loads redis-server's dump with keys in several databases", async () => {
  await withTempDir(async (dir) => {
    const redis = await startRedisWithFile(dir);
    let expected: string[] = [];
    try {
      await writeSeveralDatabases(redis.client);
      expected = await allDatabases(redis.client);
      await redis.command("SAVE");
    } finally {
      await redis.stop();
    }
    await withKache(dir, [], async (client) => {
      assert.deepEqual(await allDatabases(client), expected);
    });
  });
});

Deno.test("Kache refuses a dump with more databases than `databases`, as Redis does", async () => {
  await withTempDir(async (dir) => {
    const redis = await startRedisWithFile(dir, ["--databases", "32"]);
    try {
      await redis.command("SELECT", "20");
      await redis.command("SET", "k", "v");
      await redis.command("SAVE");
    } finally {
      await redis.stop();
    }
    const refused = await startServer([], { dir }).then(
      async (server) => {
        await server.stop();
        return undefined;
      },
      (error: Error) => error.message,
    );
    assert.ok(refused !== undefined, "Kache started on a dump of database 20");
    assert.match(
      refused,
      /Data file was created with a Redis server configured to handle more than 16 databases/,
    );
    await withKache(dir, ["--databases", "32"], async (client) => {
      await command(client, "SELECT", "20");
      assert.equal(text(await command(client, "GET", "k")), "v");
    });
  });
});

Deno.test("the AOF selects each database as it changes: restart, redis-check-aof and redis-server agree", async () => {
  await requireTool("redis-check-rdb");
  await withTempDir(async (dir) => {
    const aof = ["--appendonly", "yes"];
    let expected: string[] = [];
    await withKache(dir, aof, async (client) => {
      await writeSeveralDatabases(client);
      await command(client, "MULTI");
      await command(client, "SELECT", "7");
      await command(client, "SET", "in-multi", "seven");
      await command(client, "SELECT", "0");
      await command(client, "SET", "after-select", "zero");
      await command(client, "EXEC");
      await command(client, "SELECT", "3");
      await command(client, "MOVE", "k", "9");
      await command(client, "COPY", "z", "z", "DB", "11");
      await command(client, "SWAPDB", "11", "12");
      await command(client, "SELECT", "0");
      expected = await allDatabases(client);
    });
    const incr = `${dir}/appendonlydir/appendonly.aof.1.incr.aof`;
    const logged = new TextDecoder().decode(await Deno.readFile(incr));
    assert.match(logged, /^\*2\r\n\$6\r\nSELECT\r\n\$1\r\n0\r\n/);
    assert.match(logged, /SELECT\r\n\$1\r\n3\r\n/);
    assert.match(logged, /SELECT\r\n\$2\r\n15\r\n/);
    await withKache(dir, aof, async (client) => {
      assert.deepEqual(await allDatabases(client), expected);
    });
    const { success, stdout } = await new Deno.Command("redis-check-aof", {
      args: [`${dir}/appendonlydir/appendonly.aof.manifest`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(stdout);
    assert.ok(success, output);
    assert.match(output, /is valid/);
    const redis = await startRedisWithFile(dir, ["--appendonly", "yes"]);
    try {
      assert.deepEqual(await allDatabases(redis.client), expected);
    } finally {
      await redis.stop();
    }
  });
});
