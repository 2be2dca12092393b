/**
 * MIGRATE with redis-server 7.0 on the other side: Kache moving keys into
 * redis-server gives the replies redis-server gives moving the same keys
 * into another redis-server (errors from the target, IOERR, NOKEY, syntax),
 * and leaves the same data on both sides; redis-server's MIGRATE into Kache
 * works (AUTH, SELECT, RESTORE … REPLACE); connections are cached per target
 * (INFO's migrate_cached_sockets) and closed after 10 s unused; the move
 * reaches the AOF as a DEL.
 */
import assert from "node:assert/strict";
import { type RunningRedis, startRedis } from "../support/redis_process.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { freePort, type RunningServer, startServer } from "../support/server_process.ts";

async function send(client: RawRespClient, ...argv: string[]): Promise<string> {
  return (await client.send(argv)).raw;
}

async function infoField(client: RawRespClient, field: string): Promise<string> {
  const text = await send(client, "INFO", "everything");
  const match = text.match(new RegExp(`^${field}:(.*)\\r$`, "m"));
  if (match === null) throw new Error(`no ${field} in INFO`);
  return match[1]!;
}

/** The data a source starts with: every type, a TTL, and a key the target already holds. */
const SETUP: string[][] = [
  ["SET", "string", "value"],
  ["SET", "ttl", "soon", "EX", "1000"],
  ["HSET", "hash", "f", "v", "g", "w"],
  ["RPUSH", "list", "a", "b", "c"],
  ["SADD", "set", "1", "2", "x"],
  ["ZADD", "zset", "1", "a", "2.5", "b"],
  ["XADD", "stream", "1-1", "f", "v"],
  ["SET", "clash", "source"],
  ["SET", "copied", "stays"],
];

/** MIGRATE calls made against the source, `TARGET` replaced by the target's port. */
function migrations(target: number, closed: number): string[][] {
  const to = ["127.0.0.1", String(target)];
  return [
    ["MIGRATE", ...to, "string", "0", "5000"],
    ["MIGRATE", ...to, "", "2", "5000", "KEYS", "hash", "list", "missing", "set"],
    ["MIGRATE", ...to, "", "3", "5000", "COPY", "KEYS", "copied", "zset"],
    ["MIGRATE", ...to, "clash", "0", "5000"],
    ["MIGRATE", ...to, "clash", "0", "5000", "REPLACE"],
    ["MIGRATE", ...to, "ttl", "0", "5000", "AUTH", "wrong"],
    ["MIGRATE", ...to, "ttl", "0", "5000", "AUTH2", "default", "wrong"],
    ["MIGRATE", ...to, "missing", "0", "5000"],
    ["MIGRATE", ...to, "", "0", "5000", "KEYS", "missing", "gone"],
    ["MIGRATE", ...to, "stream", "0", "5000", "KEYS", "stream"],
    ["MIGRATE", ...to, "stream", "0", "5000", "AUTH"],
    ["MIGRATE", ...to, "stream", "0", "5000", "AUTH2", "user"],
    ["MIGRATE", ...to, "stream", "0", "5000", "NOSUCH"],
    ["MIGRATE", ...to, "stream", "0", "soon"],
    ["MIGRATE", ...to, "stream", "db", "5000"],
    ["MIGRATE", "127.0.0.1", String(closed), "stream", "0", "100"],
    ["MIGRATE", ...to, "stream", "0", "0"],
    ["MIGRATE", ...to, "ttl", "0", "5000"],
  ];
}

/** What a target holds after the migrations, comparable across servers. */
async function contents(port: number): Promise<string[]> {
  const client = await RawRespClient.connect(port);
  try {
    const seen: string[] = [];
    for (const db of ["0", "2", "3"]) {
      await send(client, "SELECT", db);
      const keys = (await client.send(["KEYS", "*"])).reply;
      const names = keys.type === "array"
        ? keys.items.map((item) => (item as { value: string }).value).sort()
        : [];
      for (const key of names) {
        const ttl = Number((await send(client, "TTL", key)).slice(1, -2));
        const type = (await send(client, "TYPE", key)).trim();
        const value = type === "+string"
          ? await send(client, "GET", key)
          : type === "+hash"
          ? await send(client, "HGETALL", key)
          : type === "+list"
          ? await send(client, "LRANGE", key, "0", "-1")
          : type === "+set"
          ? await send(client, "SORT", key, "ALPHA")
          : type === "+zset"
          ? await send(client, "ZRANGE", key, "0", "-1", "WITHSCORES")
          : await send(client, "XRANGE", key, "-", "+");
        seen.push(`${db}/${key} ${type} ${ttl > 0 ? "ttl" : ttl} ${JSON.stringify(value)}`);
      }
    }
    return seen;
  } finally {
    client.close();
  }
}

Deno.test("MIGRATE from Kache into redis-server answers and moves as redis-server's own MIGRATE", async () => {
  const servers: (RunningRedis | RunningServer)[] = [];
  try {
    const redisSource = await startRedis();
    servers.push(redisSource);
    const kacheSource = await startServer();
    servers.push(kacheSource);
    const transcripts: string[][] = [];
    const targets: string[][] = [];
    const sources: string[][] = [];
    for (const sourcePort of [redisSource.port, kacheSource.respPort]) {
      const target = await startRedis();
      servers.push(target);
      const setupTarget = await RawRespClient.connect(target.port);
      await send(setupTarget, "SET", "clash", "target");
      setupTarget.close();
      const client = await RawRespClient.connect(sourcePort);
      try {
        await client.pipeline(SETUP);
        const transcript: string[] = [];
        for (const argv of migrations(target.port, freePort())) {
          transcript.push(`${argv.join(" ")} -> ${await send(client, ...argv)}`);
        }
        transcripts.push(transcript);
        sources.push(await contents(sourcePort));
        targets.push(await contents(target.port));
      } finally {
        client.close();
      }
    }
    const [fromRedis, fromKache] = transcripts.map((transcript) =>
      transcript.map((line) => line.replace(/127\.0\.0\.1 \d+/, "<target>"))
    );
    assert.deepEqual(fromKache, fromRedis);
    assert.deepEqual(targets[1], targets[0]);
    assert.deepEqual(sources[1], sources[0]);
    assert.ok(targets[1]!.some((line) => line.startsWith("2/hash")), targets[1]!.join("\n"));
    assert.ok(sources[1]!.some((line) => line.startsWith("0/copied")), "COPY keeps the key");
  } finally {
    for (const server of servers.reverse()) await server.stop();
  }
});

Deno.test("redis-server MIGRATEs into Kache: AUTH, SELECT, TTL, REPLACE and KEYS", async () => {
  const kache = await startServer(["--requirepass", "secret"]);
  const redis = await startRedis();
  try {
    const source = await RawRespClient.connect(redis.port);
    await source.pipeline(SETUP);
    const to = ["127.0.0.1", String(kache.respPort)];
    assert.equal(
      await send(source, "MIGRATE", ...to, "", "5", "5000", "AUTH", "secret", "KEYS", ...[
        "string",
        "ttl",
        "hash",
        "list",
        "set",
        "zset",
        "stream",
      ]),
      "+OK\r\n",
    );
    assert.match(
      await send(source, "MIGRATE", ...to, "clash", "5", "5000", "AUTH", "wrong"),
      /^-ERR Target instance replied with error: WRONGPASS/,
    );
    const client = await RawRespClient.connect(kache.respPort);
    await send(client, "AUTH", "secret");
    await send(client, "SELECT", "5");
    await send(client, "SET", "clash", "kache");
    assert.match(
      await send(source, "MIGRATE", ...to, "clash", "5", "5000", "AUTH2", "default", "secret"),
      /^-ERR Target instance replied with error: BUSYKEY/,
    );
    assert.equal(
      await send(source, "MIGRATE", ...to, "clash", "5", "5000", "REPLACE", "AUTH", "secret"),
      "+OK\r\n",
    );
    source.close();
    assert.equal(await send(client, "GET", "clash"), "$6\r\nsource\r\n");
    assert.equal(await send(client, "HGET", "hash", "g"), "$1\r\nw\r\n");
    assert.equal(
      await send(client, "LRANGE", "list", "0", "-1"),
      "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
    );
    assert.equal(await send(client, "SCARD", "set"), ":3\r\n");
    assert.equal(await send(client, "ZSCORE", "zset", "b"), "$3\r\n2.5\r\n");
    assert.equal(await send(client, "XLEN", "stream"), ":1\r\n");
    const ttl = Number((await send(client, "TTL", "ttl")).slice(1, -2));
    assert.ok(ttl > 990 && ttl <= 1000, `TTL ${ttl}`);
    client.close();
  } finally {
    await redis.stop();
    await kache.stop();
  }
});

Deno.test("MIGRATE keeps one connection per target, reconnects once when it broke, and closes it after 10 s unused", async () => {
  const kache = await startServer();
  const target = await startRedis();
  try {
    const client = await RawRespClient.connect(kache.respPort);
    const targetClient = await RawRespClient.connect(target.port);
    assert.equal(await infoField(client, "migrate_cached_sockets"), "0");
    const to = ["127.0.0.1", String(target.port)];
    const connectionsBefore = Number(await infoField(targetClient, "total_connections_received"));
    for (let i = 0; i < 3; i++) {
      await send(client, "SET", `k${i}`, "v");
      assert.equal(await send(client, "MIGRATE", ...to, `k${i}`, String(i), "5000"), "+OK\r\n");
    }
    assert.equal(await infoField(client, "migrate_cached_sockets"), "1");
    // Three migrations (into three databases: SELECT on the same connection), one connection.
    assert.equal(
      Number(await infoField(targetClient, "total_connections_received")),
      connectionsBefore + 1,
    );
    // The target sees one client besides this one: the cached connection.
    const clients = (await send(targetClient, "CLIENT", "LIST")).split("\n")
      .filter((line) => line.includes("id="));
    assert.equal(clients.length, 2, clients.join("\n"));
    // The target drops it: the next MIGRATE fails on the old connection and retries on a new one.
    await send(targetClient, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
    await send(client, "SET", "after", "kill");
    assert.equal(await send(client, "MIGRATE", ...to, "after", "0", "5000"), "+OK\r\n");
    assert.equal(await send(targetClient, "GET", "after"), "$4\r\nkill\r\n");
    // Inside MULTI it runs as any command, synchronously.
    await send(client, "SET", "queued", "v");
    await send(client, "MULTI");
    await send(client, "MIGRATE", ...to, "queued", "0", "5000");
    assert.equal(await send(client, "EXEC"), "*1\r\n+OK\r\n");
    // Unused for more than 10 s, it is closed (checked once a second): bounded wait.
    let cached = "1";
    for (let round = 0; round < 100 && cached !== "0"; round++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      cached = await infoField(client, "migrate_cached_sockets");
    }
    assert.equal(cached, "0");
    client.close();
    targetClient.close();
  } finally {
    await target.stop();
    await kache.stop();
  }
});

Deno.test("MIGRATE reaches the AOF as a DEL of the keys moved, and COPY as nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kache-migrate-" });
  const target = await startRedis();
  try {
    const flags = ["--appendonly", "yes"];
    let kache = await startServer(flags, { dir });
    let client = await RawRespClient.connect(kache.respPort);
    const to = ["127.0.0.1", String(target.port)];
    await client.pipeline([["SET", "moved", "1"], ["SET", "copied", "2"], ["SET", "kept", "3"]]);
    assert.equal(await send(client, "MIGRATE", ...to, "moved", "0", "5000"), "+OK\r\n");
    assert.equal(await send(client, "MIGRATE", ...to, "copied", "0", "5000", "COPY"), "+OK\r\n");
    client.close();
    await kache.stop();
    kache = await startServer(flags, { dir });
    try {
      client = await RawRespClient.connect(kache.respPort);
      assert.equal(await send(client, "EXISTS", "moved", "copied", "kept"), ":2\r\n");
      assert.equal(await send(client, "EXISTS", "moved"), ":0\r\n");
      client.close();
    } finally {
      await kache.stop();
    }
  } finally {
    await target.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("MIGRATE from Kache authenticates with AUTH and AUTH2 on a redis-server with requirepass", async () => {
  const kache = await startServer();
  const target = await startRedis();
  try {
    const admin = await RawRespClient.connect(target.port);
    assert.equal(await send(admin, "CONFIG", "SET", "requirepass", "secret"), "+OK\r\n");
    admin.close();
    const client = await RawRespClient.connect(kache.respPort);
    const to = ["127.0.0.1", String(target.port)];
    await client.pipeline([["SET", "a", "1"], ["SET", "b", "2"], ["SET", "c", "3"]]);
    assert.match(
      await send(client, "MIGRATE", ...to, "a", "0", "5000"),
      /^-ERR Target instance replied with error: NOAUTH/,
    );
    assert.equal(
      await send(client, "MIGRATE", ...to, "a", "0", "5000", "AUTH", "secret"),
      "+OK\r\n",
    );
    assert.equal(
      await send(
        client,
        "MIGRATE",
        ...to,
        "",
        "0",
        "5000",
        "AUTH2",
        "default",
        "secret",
        "KEYS",
        "b",
        "c",
      ),
      "+OK\r\n",
    );
    assert.equal(await send(client, "DBSIZE"), ":0\r\n");
    client.close();
    const check = await RawRespClient.connect(target.port);
    await send(check, "AUTH", "secret");
    assert.equal(
      await send(check, "MGET", "a", "b", "c"),
      "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n",
    );
    check.close();
  } finally {
    await target.stop();
    await kache.stop();
  }
});
