/**
 * Kache as a master of real redis-server 7.0 replicas: full and partial
 * resync, the command stream under a mixed write load (data and TTLs equal
 * at the end), WAIT, min-replicas-to-write, and `redis-cli --rdb`.
 */
import assert from "node:assert/strict";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { seededRandom } from "../../lib/random.ts";
import { spawnLogged } from "../support/child_process.ts";
import { requireTool, withRedis } from "../support/redis_process.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { freePort, startServer } from "../support/server_process.ts";

type Plain = string | number | null | Plain[] | { error: string };

function plain(reply: ClientReply): Plain {
  switch (reply.type) {
    case "status":
    case "bulk":
      return reply.value;
    case "error":
      return { error: reply.message };
    case "integer":
      return Number(reply.value);
    case "array":
    case "set":
    case "push":
      return reply.items.map(plain);
    default:
      return null;
  }
}

async function call(client: RawRespClient, ...argv: string[]): Promise<Plain> {
  return plain((await client.send(argv)).reply);
}

async function infoField(client: RawRespClient, section: string, name: string): Promise<string> {
  const text = await call(client, "INFO", section) as string;
  const line = text.split("\r\n").find((row) => row.startsWith(`${name}:`));
  if (line === undefined) throw new Error(`INFO ${section} has no ${name}:\n${text}`);
  return line.slice(name.length + 1);
}

/** Polls `condition` every 50 ms for at most `ms`; fails with `what` if it never holds. */
async function waitFor(what: string, ms: number, condition: () => Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the replica has processed everything the master has sent. */
async function waitInSync(master: RawRespClient, replica: RawRespClient): Promise<void> {
  await waitFor("the replica to reach the master's offset", 30_000, async () => {
    if (await infoField(replica, "replication", "master_link_status") !== "up") return false;
    const sent = await infoField(master, "replication", "master_repl_offset");
    return await infoField(replica, "replication", "slave_repl_offset") === sent;
  });
}

/** Every key of databases `dbs`: type, value in a canonical form, and absolute deadline. */
async function snapshot(client: RawRespClient, dbs: readonly number[]) {
  const keys = new Map<string, { type: string; value: Plain; deadline: number }>();
  for (const db of dbs) {
    await call(client, "SELECT", String(db));
    for (const key of (await call(client, "KEYS", "*")) as string[]) {
      const type = await call(client, "TYPE", key) as string;
      let value: Plain;
      if (type === "string") value = await call(client, "GET", key);
      else if (type === "list") value = await call(client, "LRANGE", key, "0", "-1");
      else if (type === "set") value = ((await call(client, "SMEMBERS", key)) as string[]).sort();
      else if (type === "zset") value = await call(client, "ZRANGE", key, "0", "-1", "WITHSCORES");
      else if (type === "hash") {
        const flat = (await call(client, "HGETALL", key)) as string[];
        const pairs: string[] = [];
        for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
        value = pairs.sort();
      } else value = type;
      const deadline = await call(client, "PEXPIRETIME", key) as number;
      keys.set(`${db}/${key}`, { type, value, deadline });
    }
  }
  await call(client, "SELECT", "0");
  return keys;
}

/**
 * Asserts both sides hold the same keys, types, values and deadlines: TTLs
 * travel as absolute times (PEXPIREAT, the RDB's expiry), so they are equal
 * to the millisecond.
 */
function assertSameData(
  master: Awaited<ReturnType<typeof snapshot>>,
  replica: Awaited<ReturnType<typeof snapshot>>,
): void {
  assert.deepEqual([...replica.keys()].sort(), [...master.keys()].sort());
  for (const [key, expected] of master) {
    const actual = replica.get(key)!;
    assert.equal(actual.type, expected.type, key);
    assert.deepEqual(actual.value, expected.value, key);
    assert.equal(actual.deadline, expected.deadline, `${key} deadline`);
  }
}

/** One pipeline of random writes of every type, some with TTLs, some in MULTI or a script. */
function randomWrites(random: () => number, count: number): string[][] {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const key = (prefix: string) => `${prefix}:${Math.floor(random() * 200)}`;
  const member = () => `m${Math.floor(random() * 30)}`;
  const commands: string[][] = [];
  while (commands.length < count) {
    const choice = Math.floor(random() * 14);
    switch (choice) {
      case 0:
        commands.push(["SET", key("s"), `v${random()}`]);
        break;
      case 1:
        commands.push([
          "SET",
          key("s"),
          `t${random()}`,
          "EX",
          String(500 + Math.floor(random() * 500)),
        ]);
        break;
      case 2:
        // Expires during the run: the master's expiry must reach the replica as DEL.
        commands.push(["SET", key("short"), "x", "PX", String(20 + Math.floor(random() * 400))]);
        break;
      case 3:
        commands.push(["INCRBY", key("n"), String(Math.floor(random() * 100))]);
        break;
      case 4:
        commands.push(["HSET", key("h"), member(), `${random()}`, member(), "x"]);
        break;
      case 5:
        commands.push([pick(["LPUSH", "RPUSH"]), key("l"), `e${random()}`, "f"]);
        break;
      case 6:
        commands.push([pick(["LPOP", "RPOP"]), key("l")]);
        break;
      case 7:
        commands.push(["SADD", key("set"), member(), member()]);
        break;
      case 8:
        commands.push(["SREM", key("set"), member()]);
        break;
      case 9:
        commands.push(["ZADD", key("z"), String(Math.floor(random() * 1000) / 8), member()]);
        break;
      case 10:
        commands.push(["ZINCRBY", key("z"), "1.5", member()]);
        break;
      case 11:
        commands.push([
          "EXPIRE",
          key(pick(["h", "l", "set", "z"])),
          String(300 + Math.floor(random() * 300)),
        ]);
        break;
      case 12:
        commands.push(
          ["MULTI"],
          ["DEL", key("s")],
          ["HINCRBY", key("h"), "count", "1"],
          ["SPOP", key("set")],
          ["EXEC"],
        );
        break;
      default:
        commands.push(
          ["SELECT", "2"],
          [
            "EVAL",
            "redis.call('RPUSH', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])",
            "2",
            key("l"),
            key("n"),
            `${random()}`,
          ],
          ["SELECT", "0"],
        );
    }
  }
  return commands;
}

/** A redis-server started here, with a directory kept across restarts. */
function startRedisProcess(port: number, dir: string, extra: string[] = []) {
  return spawnLogged("redis-server", [
    ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""],
    ...["--appendonly", "no", "--daemonize", "no", ...extra],
  ], { killAfterMs: 5_000 });
}

async function connectWhenUp(port: number): Promise<RawRespClient> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const client = await RawRespClient.connect(port);
      if (await call(client, "PING") === "PONG") return client;
      client.close();
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`Nothing answers on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Diskless at once: Redis 7.0's default target without its 5 s wait for more replicas. */
const DISKLESS = ["--repl-diskless-sync-delay", "0"];

Deno.test("a redis-server replica of Kache gets every type, under a write load, TTLs included", async () => {
  const kache = await startServer(DISKLESS);
  const master = await RawRespClient.connect(kache.respPort);
  const writers = await Promise.all([1, 2, 3].map(() => RawRespClient.connect(kache.respPort)));
  try {
    const random = seededRandom(1507);
    // Data before the replica arrives travels in the RDB; the rest in the stream.
    await master.pipeline(randomWrites(random, 3_000));
    await withRedis(async (redis) => {
      const replica = await RawRespClient.connect(redis.port);
      try {
        assert.equal(await call(replica, "REPLICAOF", "127.0.0.1", String(kache.respPort)), "OK");
        // Writes go on while the replica syncs and after it is online.
        const deadline = Date.now() + 3_000;
        let batches = 0;
        while (Date.now() < deadline || batches < 6) {
          await Promise.all(writers.map((writer) => writer.pipeline(randomWrites(random, 200))));
          batches++;
        }
        assert.match(redis.output(), /MASTER <-> REPLICA sync: Finished with success/);
        assert.match(redis.output(), /receiving streamed RDB from master with EOF/);
        assert.match(kache.output(), /Starting BGSAVE for SYNC with target: replicas sockets/);
        // Every short TTL has passed: those keys are gone on both sides.
        await new Promise((resolve) => setTimeout(resolve, 500));
        await waitInSync(master, replica);
        assertSameData(await snapshot(master, [0, 2]), await snapshot(replica, [0, 2]));
        assert.equal(await infoField(master, "replication", "connected_slaves"), "1");
        // This test's four connections; the replica's link is not a client.
        assert.equal(await infoField(master, "clients", "connected_clients"), "4");
        assert.match(
          await infoField(master, "replication", "slave0"),
          /^ip=127\.0\.0\.1,port=\d+,state=online,offset=\d+,lag=\d+$/,
        );
        const role = await call(master, "ROLE") as Plain[];
        assert.equal(role[0], "master");
        assert.equal((role[2] as Plain[]).length, 1);
        assert.equal(await infoField(master, "stats", "sync_full"), "1");
      } finally {
        replica.close();
      }
    });
  } finally {
    master.close();
    for (const writer of writers) writer.close();
    await kache.stop();
  }
});

Deno.test("a redis-server replica restarted briefly resumes with a partial resync", async () => {
  await requireTool("redis-server");
  // Disk-based this time: the RDB travels as $<length>.
  const kache = await startServer(["--repl-diskless-sync", "no"]);
  const dir = await Deno.makeTempDir({ prefix: "kache-replica-" });
  const port = freePort();
  const replicaOf = ["--replicaof", "127.0.0.1", String(kache.respPort)];
  let redis = startRedisProcess(port, dir, replicaOf);
  const master = await RawRespClient.connect(kache.respPort);
  try {
    let replica = await connectWhenUp(port);
    await master.pipeline(randomWrites(seededRandom(7), 500));
    await waitInSync(master, replica);
    // SHUTDOWN SAVE keeps the replication ID and offset in the replica's RDB.
    await replica.send(["SHUTDOWN", "SAVE"]).catch(() => undefined);
    replica.close();
    await redis.stop();
    const firstLog = redis.output();
    await master.pipeline(randomWrites(seededRandom(8), 500));
    redis = startRedisProcess(port, dir, replicaOf);
    replica = await connectWhenUp(port);
    // Every short TTL has passed: those keys are gone on both sides.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await waitInSync(master, replica);
    assert.match(firstLog, /receiving \d+ bytes from master to disk/);
    assert.match(redis.output(), /Successful partial resynchronization with master/);
    assert.doesNotMatch(redis.output(), /Full resync from master/, firstLog);
    assert.equal(await infoField(master, "stats", "sync_partial_ok"), "1");
    assert.equal(await infoField(master, "stats", "sync_full"), "1");
    assert.match(kache.output(), /Partial resynchronization request from .* accepted/);
    assertSameData(await snapshot(master, [0, 2]), await snapshot(replica, [0, 2]));
    replica.close();
  } finally {
    master.close();
    await redis.stop();
    await kache.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

Deno.test("WAIT counts the replicas that acknowledged the client's writes", async () => {
  const kache = await startServer(DISKLESS);
  const master = await RawRespClient.connect(kache.respPort);
  try {
    assert.equal(await call(master, "SET", "k", "v"), "OK");
    // No replica: the timeout passes and none acknowledged.
    assert.equal(await call(master, "WAIT", "1", "100"), 0);
    assert.equal(await call(master, "WAIT", "0", "0"), 0);
    assert.deepEqual(await call(master, "WAIT", "x", "0"), {
      error: "ERR value is not an integer or out of range",
    });
    assert.deepEqual(await call(master, "WAIT", "1", "-1"), { error: "ERR timeout is negative" });
    await withRedis(async (redis) => {
      const replica = await RawRespClient.connect(redis.port);
      await call(replica, "REPLICAOF", "127.0.0.1", String(kache.respPort));
      await waitInSync(master, replica);
      assert.equal(await call(master, "SET", "k", "w"), "OK");
      // Blocks until the replica's ACK (asked for with REPLCONF GETACK) arrives.
      assert.equal(await call(master, "WAIT", "1", "0"), 1);
      assert.equal(await call(replica, "GET", "k"), "w");
      // More replicas than exist: answers with the count once the timeout passes.
      assert.equal(await call(master, "WAIT", "2", "200"), 1);
      assert.deepEqual(
        await master.pipeline([["MULTI"], ["WAIT", "5", "0"], ["EXEC"]]).then(
          (replies) => plain(replies[2]!.reply),
        ),
        [1],
      );
      replica.close();
    });
  } finally {
    master.close();
    await kache.stop();
  }
});

Deno.test("min-replicas-to-write refuses writes with Redis's -NOREPLICAS text", async () => {
  const kache = await startServer();
  const master = await RawRespClient.connect(kache.respPort);
  try {
    await withRedis(async (redis) => {
      const reference = await RawRespClient.connect(redis.port);
      for (const client of [master, reference]) {
        assert.equal(await call(client, "CONFIG", "SET", "min-replicas-to-write", "1"), "OK");
      }
      // Redis refreshes its count once a second; so does Kache.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      for (
        const argv of [
          ["SET", "k", "v"],
          ["GET", "k"],
          ["EVAL", "return redis.call('SET', 'k', 'v')", "0"],
          ["EVAL", "return redis.pcall('SET', 'k', 'v')", "0"],
        ]
      ) {
        assert.deepEqual((await master.send(argv)).raw, (await reference.send(argv)).raw);
      }
      assert.deepEqual(await call(master, "SET", "k", "v"), {
        error: "NOREPLICAS Not enough good replicas to write.",
      });
      assert.equal(await call(master, "CONFIG", "SET", "min-replicas-to-write", "0"), "OK");
      assert.equal(await call(master, "SET", "k", "v"), "OK");
      reference.close();
    });
  } finally {
    master.close();
    await kache.stop();
  }
});

Deno.test("redis-cli --rdb saves Kache's snapshot as a file redis-check-rdb accepts", async () => {
  await requireTool("redis-cli");
  await requireTool("redis-check-rdb");
  const kache = await startServer();
  const dir = await Deno.makeTempDir({ prefix: "kache-rdb-" });
  const master = await RawRespClient.connect(kache.respPort);
  try {
    await master.pipeline(randomWrites(seededRandom(3), 1_000));
    const path = `${dir}/backup.rdb`;
    const cli = await new Deno.Command("redis-cli", {
      args: ["-p", String(kache.respPort), "--rdb", path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const cliText = new TextDecoder().decode(cli.stdout) + new TextDecoder().decode(cli.stderr);
    assert.ok(cli.success, cliText);
    assert.match(cliText, /Transfer finished with success/);
    const check = await new Deno.Command("redis-check-rdb", {
      args: [path],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const checkText = new TextDecoder().decode(check.stdout);
    assert.ok(check.success, checkText);
    assert.match(checkText, /RDB looks OK!/);
    // The transfer left no replica behind, and the server goes on serving.
    await waitFor(
      "the rdb-only link to close",
      5_000,
      async () => await infoField(master, "replication", "connected_slaves") === "0",
    );
    assert.equal(await call(master, "PING"), "PONG");
  } finally {
    master.close();
    await kache.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

/** Runs `body` with a redis-server replicating from `masterPort`, stopped whatever happens. */
async function withReplicaOf(
  masterPort: number,
  body: (replica: RawRespClient, output: () => string) => Promise<void>,
): Promise<void> {
  await requireTool("redis-server");
  const dir = await Deno.makeTempDir({ prefix: "kache-replica-" });
  const port = freePort();
  const redis = startRedisProcess(port, dir, ["--replicaof", "127.0.0.1", String(masterPort)]);
  try {
    const replica = await connectWhenUp(port);
    try {
      await body(replica, redis.output);
    } finally {
      replica.close();
    }
  } finally {
    await redis.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test("INFO replication names the fields redis-server prints for a master with a replica", async () => {
  const kache = await startServer(DISKLESS);
  const master = await RawRespClient.connect(kache.respPort);
  try {
    await withRedis(async (redisMaster) => {
      const referenceMaster = await RawRespClient.connect(redisMaster.port);
      try {
        await withReplicaOf(redisMaster.port, async (referenceReplica) => {
          await withReplicaOf(kache.respPort, async (replica) => {
            await waitInSync(referenceMaster, referenceReplica);
            await waitInSync(master, replica);
            const names = async (client: RawRespClient) =>
              ((await call(client, "INFO", "replication")) as string).split("\r\n")
                .filter((line) => line.includes(":")).map((line) => line.split(":")[0]);
            assert.deepEqual(await names(master), await names(referenceMaster));
            const role = async (client: RawRespClient) => {
              const reply = await call(client, "ROLE") as Plain[];
              return [
                reply[0],
                typeof reply[1],
                (reply[2] as Plain[][]).map((item) => item.length),
              ];
            };
            // Redis lists a diskless replica in ROLE a moment after its link is up.
            await waitFor(
              "redis-server's ROLE to list its replica",
              5_000,
              async () =>
                ((await call(referenceMaster, "ROLE") as Plain[])[2] as Plain[]).length === 1,
            );
            assert.deepEqual(await role(master), await role(referenceMaster));
          });
        });
      } finally {
        referenceMaster.close();
      }
    });
  } finally {
    master.close();
    await kache.stop();
  }
});
