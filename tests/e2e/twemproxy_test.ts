/**
 * Sharding through twemproxy: three Kache servers behind Debian's
 * `nutcracker` (0.5.0), `distribution: ketama`, `redis: true`, hash tags
 * `{}` — the setup docs/scaling.md describes. Keys written through the proxy
 * spread over all three servers and read back; hash-tagged keys share a
 * server; MGET and DEL fan out across shards; and each command nutcracker
 * forwards that Kache implements answers through the proxy exactly as
 * redis-server answers it directly (with the score normalization of
 * tests/e2e/differential_test.ts). Multi-key commands that nutcracker sends
 * whole to one server use keys with one hash tag, as its documentation
 * requires.
 *
 * Without nutcracker the tests are ignored, saying so in their names
 * (install it with `apt-get install nutcracker`; .ci/run does).
 */
import assert from "node:assert/strict";
import { ALL_COMMANDS } from "../../lib/commands/mod.ts";
import { spawnLogged } from "../support/child_process.ts";
import { agree, type Argv } from "../support/differential.ts";
import { startRedis } from "../support/redis_process.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { freePort, type RunningServer, startServer } from "../support/server_process.ts";

/** nutcracker's path, or undefined when it is not installed. */
function findNutcracker(): string | undefined {
  for (const path of ["nutcracker", "/usr/sbin/nutcracker", "/usr/bin/nutcracker"]) {
    try {
      const probe = new Deno.Command(path, { args: ["-V"], stdout: "null", stderr: "null" });
      if (probe.outputSync().success) {
        return path;
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return undefined;
}

const NUTCRACKER = findNutcracker();
const IGNORED = NUTCRACKER === undefined
  ? " (ignored: nutcracker is not installed; apt-get install nutcracker)"
  : "";

/** The pool configuration docs/scaling.md shows, for `servers` on loopback. */
function nutcrackerConfig(listenPort: number, serverPorts: readonly number[]): string {
  return [
    "kache:",
    `  listen: 127.0.0.1:${listenPort}`,
    "  hash: murmur",
    '  hash_tag: "{}"',
    "  distribution: ketama",
    "  redis: true",
    "  auto_eject_hosts: false",
    "  timeout: 5000",
    "  servers:",
    ...serverPorts.map((port, i) => `    - 127.0.0.1:${port}:1 kache${i + 1}`),
    "",
  ].join("\n");
}

interface Cluster {
  readonly servers: readonly RunningServer[];
  readonly proxyPort: number;
  /** What nutcracker logged. */
  output(): string;
}

/** Three Kache servers and nutcracker in front of them, all stopped after `body`. */
async function withCluster(body: (cluster: Cluster) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kache-twemproxy-" });
  const servers: RunningServer[] = [];
  let proxy: ReturnType<typeof spawnLogged> | undefined;
  try {
    for (let i = 0; i < 3; i++) servers.push(await startServer());
    const proxyPort = freePort();
    const config = `${dir}/nutcracker.yml`;
    await Deno.writeTextFile(config, nutcrackerConfig(proxyPort, servers.map((s) => s.respPort)));
    proxy = spawnLogged(NUTCRACKER!, [
      ...["-c", config, "-s", String(freePort()), "-a", "127.0.0.1"],
      ...["-p", `${dir}/nutcracker.pid`, "-o", `${dir}/nutcracker.log`],
    ], { killAfterMs: 5_000 });
    const log = async () => await Deno.readTextFile(`${dir}/nutcracker.log`).catch(() => "");
    const started = Date.now();
    while (!(await answersPing(proxyPort))) {
      if (proxy.exited() || Date.now() - started > 10_000) {
        throw new Error(`nutcracker did not answer PING:\n${proxy.output()}\n${await log()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await body({ servers, proxyPort, output: () => proxy!.output() });
  } finally {
    await proxy?.stop();
    await Promise.all(servers.map((server) => server.stop()));
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function answersPing(port: number): Promise<boolean> {
  let client: RawRespClient | undefined;
  try {
    client = await RawRespClient.connect(port);
    return (await client.send(["PING"])).raw === "+PONG\r\n";
  } catch {
    return false;
  } finally {
    client?.close();
  }
}

/** DBSIZE of each server, asked directly. */
async function sizes(servers: readonly RunningServer[]): Promise<number[]> {
  const counts: number[] = [];
  for (const server of servers) {
    const client = await RawRespClient.connect(server.respPort);
    const reply = await client.send(["DBSIZE"]);
    client.close();
    assert.equal(reply.reply.type, "integer");
    counts.push(reply.reply.type === "integer" ? Number(reply.reply.value) : -1);
  }
  return counts;
}

async function flushAll(servers: readonly RunningServer[]): Promise<void> {
  for (const server of servers) {
    const client = await RawRespClient.connect(server.respPort);
    await client.send(["FLUSHALL"]);
    client.close();
  }
}

Deno.test({
  name: `twemproxy: 200 keys spread over three Kache servers and read back${IGNORED}`,
  ignore: NUTCRACKER === undefined,
  async fn() {
    await withCluster(async ({ servers, proxyPort }) => {
      const proxy = await RawRespClient.connect(proxyPort);
      try {
        const keys = Array.from({ length: 200 }, (_, i) => `key:${i}`);
        const writes = await proxy.pipeline(keys.map((key) => ["SET", key, `value of ${key}`]));
        assert.ok(writes.every((reply) => reply.raw === "+OK\r\n"));
        const counts = await sizes(servers);
        assert.equal(counts.reduce((sum, count) => sum + count, 0), 200, String(counts));
        assert.ok(counts.every((count) => count > 0), `every server holds some: ${counts}`);

        const reads = await proxy.pipeline(keys.map((key) => ["GET", key]));
        reads.forEach((reply, i) => {
          const value = `value of ${keys[i]}`;
          assert.equal(reply.raw, `$${value.length}\r\n${value}\r\n`);
        });
        // One MGET over every shard: nutcracker splits it and puts the replies back in order.
        const mget = await proxy.send(["MGET", ...keys, "missing"]);
        assert.equal(mget.reply.type, "array");
        if (mget.reply.type === "array") {
          assert.deepEqual(
            mget.reply.items.map((item) => item.type === "bulk" ? item.value : null),
            [...keys.map((key) => `value of ${key}`), null],
          );
        }
        // EXISTS is not split: nutcracker sends it whole to the first key's server.
        const exists = await proxy.send(["EXISTS", ...keys.slice(0, 50)]);
        assert.ok(exists.reply.type === "integer" && exists.reply.value < 50n, exists.raw);
        assert.equal((await proxy.send(["MSET", "m1", "a", "m2", "b", "m3", "c"])).raw, "+OK\r\n");
        assert.equal(
          (await proxy.send(["DEL", ...keys, "m1", "m2", "m3", "nope"])).raw,
          ":203\r\n",
        );
        assert.deepEqual(await sizes(servers), [0, 0, 0]);
      } finally {
        proxy.close();
      }
    });
  },
});

Deno.test({
  name: `twemproxy: keys with one hash tag land on one Kache server${IGNORED}`,
  ignore: NUTCRACKER === undefined,
  async fn() {
    await withCluster(async ({ servers, proxyPort }) => {
      const proxy = await RawRespClient.connect(proxyPort);
      try {
        for (const tag of ["user:1", "user:2", "user:3", "cart"]) {
          await flushAll(servers);
          const keys = Array.from({ length: 30 }, (_, i) => `{${tag}}:field:${i}`);
          await proxy.pipeline(keys.map((key) => ["SET", key, "x"]));
          const counts = (await sizes(servers)).sort((a, b) => a - b);
          assert.deepEqual(counts, [0, 0, 30], tag);
          // A multi-key command on one tag runs whole on its server.
          await proxy.send(["SADD", `{${tag}}:a`, "1", "2", "3"]);
          await proxy.send(["SADD", `{${tag}}:b`, "2", "3", "4"]);
          assert.equal(
            (await proxy.send(["SINTERSTORE", `{${tag}}:both`, `{${tag}}:a`, `{${tag}}:b`])).raw,
            ":2\r\n",
          );
          assert.equal((await proxy.send(["SCARD", `{${tag}}:both`])).raw, ":2\r\n");
        }
      } finally {
        proxy.close();
      }
    });
  },
});

/**
 * An invocation of each data command nutcracker 0.5.0 forwards (its
 * notes/redis.md, Debian's /usr/share/doc/nutcracker/redis.md), run in this
 * order; replies must be deterministic. Keys carry the tag `{t}` where one
 * command names several.
 */
const FORWARDED: readonly Argv[] = [
  // strings
  ["SET", "s", "10"],
  ["GET", "s"],
  ["APPEND", "s", "5"],
  ["STRLEN", "s"],
  ["INCR", "s"],
  ["INCRBY", "s", "10"],
  ["DECR", "s"],
  ["DECRBY", "s", "3"],
  ["INCRBYFLOAT", "s", "1.5"],
  ["GETRANGE", "s", "0", "2"],
  ["SETRANGE", "s", "1", "xy"],
  ["GETSET", "s", "new"],
  ["SETNX", "s", "other"],
  ["SETNX", "s2", "fresh"],
  ["SETEX", "s3", "100", "v"],
  ["PSETEX", "s4", "100000", "v"],
  ["GETEX", "s2", "PERSIST"],
  ["GETDEL", "s2"],
  ["MSET", "a", "1", "b", "2", "c", "3"],
  ["MGET", "a", "b", "c", "nope"],
  ["SETBIT", "bits", "7", "1"],
  ["GETBIT", "bits", "7"],
  ["BITCOUNT", "bits"],
  ["BITPOS", "bits", "1"],
  ["BITFIELD", "bits", "GET", "u8", "0"],
  // keys
  ["EXISTS", "a", "b", "nope"],
  ["TYPE", "a"],
  ["EXPIRE", "a", "1000"],
  ["TTL", "a"],
  ["PEXPIRE", "b", "1000000"],
  ["PTTL", "nope"],
  ["EXPIREAT", "c", "4102444800"],
  ["PEXPIREAT", "c", "4102444800000"],
  ["PERSIST", "c"],
  ["TTL", "c"],
  ["DEL", "a", "b", "nope"],
  ["DUMP", "c"],
  // DUMP of "restored value" by redis-server 7.0.
  ["RESTORE", "r", "0", "\x00\x0erestored value\n\x00\xf0\x92\x05\x14\xa0N\x92\x86"],
  ["GET", "r"],
  // hashes
  ["HSET", "h", "f1", "1", "f2", "two"],
  ["HMSET", "h", "f3", "3"],
  ["HSETNX", "h", "f1", "x"],
  ["HGET", "h", "f2"],
  ["HMGET", "h", "f1", "nope"],
  ["HEXISTS", "h", "f3"],
  ["HINCRBY", "h", "f1", "5"],
  ["HINCRBYFLOAT", "h", "f3", "0.25"],
  ["HLEN", "h"],
  ["HSTRLEN", "h", "f2"],
  ["HKEYS", "h"],
  ["HVALS", "h"],
  ["HGETALL", "h"],
  ["HSCAN", "h", "0"],
  ["HDEL", "h", "f2", "nope"],
  // lists
  ["RPUSH", "l", "a", "b", "c"],
  ["LPUSH", "l", "z"],
  ["LPUSHX", "l", "y"],
  ["RPUSHX", "nolist", "x"],
  ["LRANGE", "l", "0", "-1"],
  ["LINDEX", "l", "1"],
  ["LINSERT", "l", "BEFORE", "b", "ab"],
  ["LLEN", "l"],
  ["LPOS", "l", "b"],
  ["LSET", "l", "0", "first"],
  ["LREM", "l", "1", "ab"],
  ["LTRIM", "l", "0", "3"],
  ["LPOP", "l"],
  ["RPOP", "l"],
  ["RPUSH", "{t}l", "1", "2", "3"],
  ["RPOPLPUSH", "{t}l", "{t}l2"],
  ["LMOVE", "{t}l", "{t}l2", "LEFT", "RIGHT"],
  ["LRANGE", "{t}l2", "0", "-1"],
  // sets
  ["SADD", "{t}s1", "a", "b", "c"],
  ["SADD", "{t}s2", "b", "c", "d"],
  ["SCARD", "{t}s1"],
  ["SISMEMBER", "{t}s1", "a"],
  ["SMISMEMBER", "{t}s1", "a", "d"],
  ["SMEMBERS", "{t}s1"],
  ["SDIFF", "{t}s1", "{t}s2"],
  ["SINTER", "{t}s1", "{t}s2"],
  ["SUNION", "{t}s1", "{t}s2"],
  ["SDIFFSTORE", "{t}d", "{t}s1", "{t}s2"],
  ["SINTERSTORE", "{t}i", "{t}s1", "{t}s2"],
  ["SUNIONSTORE", "{t}u", "{t}s1", "{t}s2"],
  ["SMOVE", "{t}s1", "{t}s2", "a"],
  ["SREM", "{t}s2", "d", "nope"],
  ["SSCAN", "{t}s2", "0"],
  ["SADD", "one", "only"],
  ["SRANDMEMBER", "one"],
  ["SPOP", "one"],
  // sorted sets
  ["ZADD", "{t}z1", "1", "a", "2", "b", "3", "c"],
  ["ZADD", "{t}z2", "1", "b", "5", "d"],
  ["ZCARD", "{t}z1"],
  ["ZCOUNT", "{t}z1", "1", "2"],
  ["ZINCRBY", "{t}z1", "0.5", "a"],
  ["ZSCORE", "{t}z1", "a"],
  ["ZMSCORE", "{t}z1", "a", "nope"],
  ["ZRANK", "{t}z1", "c"],
  ["ZREVRANK", "{t}z1", "c"],
  ["ZRANGE", "{t}z1", "0", "-1", "WITHSCORES"],
  ["ZREVRANGE", "{t}z1", "0", "1"],
  ["ZRANGEBYSCORE", "{t}z1", "1", "(3"],
  ["ZREVRANGEBYSCORE", "{t}z1", "+inf", "-inf", "LIMIT", "0", "2"],
  ["ZADD", "lex", "0", "a", "0", "b", "0", "c"],
  ["ZRANGEBYLEX", "lex", "[a", "(c"],
  ["ZREVRANGEBYLEX", "lex", "+", "-"],
  ["ZLEXCOUNT", "lex", "-", "+"],
  ["ZREMRANGEBYLEX", "lex", "[a", "[a"],
  // Not ZUNION, ZINTER, ZDIFF: nutcracker 0.5.0 routes them by their first argument, the
  // key count, so they reach whichever server "2" hashes to (docs/scaling.md).
  ["ZUNIONSTORE", "{t}zu", "2", "{t}z1", "{t}z2"],
  ["ZINTERSTORE", "{t}zi", "2", "{t}z1", "{t}z2"],
  ["ZDIFFSTORE", "{t}zd", "2", "{t}z1", "{t}z2"],
  ["ZRANGESTORE", "{t}zr", "{t}z1", "0", "1"],
  ["ZSCAN", "{t}zd", "0"],
  ["ZPOPMIN", "{t}zu"],
  ["ZPOPMAX", "{t}zu"],
  ["ZREM", "{t}z1", "a", "nope"],
  ["ZREMRANGEBYSCORE", "{t}z2", "0", "1"],
  ["ZREMRANGEBYRANK", "{t}zi", "0", "0"],
  ["ZADD", "zone", "1", "only"],
  ["ZRANDMEMBER", "zone"],
  // HyperLogLog
  ["PFADD", "{t}p1", "a", "b", "c"],
  ["PFADD", "{t}p2", "c", "d"],
  ["PFCOUNT", "{t}p1"],
  ["PFMERGE", "{t}pm", "{t}p1", "{t}p2"],
  ["PFCOUNT", "{t}pm"],
  ["GET", "{t}pm"],
  // scripting: every key on one shard
  ["EVAL", "return redis.call('INCR', KEYS[1])", "1", "{t}counter"],
  [
    "EVAL",
    "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('MGET', KEYS[1], KEYS[2])",
    "2",
    "{t}e1",
    "{t}e2",
    "hello",
  ],
  ["EVALSHA", "61636018f4e6b5817b89791bbed242f93fa089e3", "1", "{t}e1"],
  ["PING"],
];

const IMPLEMENTED = new Set(ALL_COMMANDS.map((spec) => spec.name));

Deno.test({
  name: `twemproxy: the commands nutcracker forwards answer as redis-server does${IGNORED}`,
  ignore: NUTCRACKER === undefined,
  async fn() {
    const redis = await startRedis();
    try {
      await withCluster(async ({ proxyPort }) => {
        const proxy = await RawRespClient.connect(proxyPort);
        const direct = await RawRespClient.connect(redis.port);
        try {
          const disagreements: string[] = [];
          let compared = 0;
          for (const argv of FORWARDED) {
            if (!IMPLEMENTED.has(argv[0]!.toLowerCase())) continue;
            const expected = await direct.send(argv);
            const actual = await proxy.send(argv);
            compared++;
            if (!agree(argv, expected, actual)) {
              disagreements.push(
                `${JSON.stringify(argv)}\n  redis: ${JSON.stringify(expected.raw)}\n` +
                  `  proxy: ${JSON.stringify(actual.raw)}`,
              );
            }
          }
          assert.deepEqual(disagreements, []);
          assert.ok(compared >= 115, `${compared} commands compared`);
        } finally {
          proxy.close();
          direct.close();
        }
      });
    } finally {
      await redis.stop();
    }
  },
});
