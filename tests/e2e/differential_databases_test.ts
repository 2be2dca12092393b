/**
 * Differential tests of the numbered databases: SELECT, MOVE, SWAPDB,
 * COPY … DB, FLUSHDB/FLUSHALL, DBSIZE, WATCH across databases, MULTI with
 * SELECT inside, and the INFO keyspace lines, sent to redis-server (7.0, the
 * reference) and to Kache over raw RESP; replies must match byte for byte
 * after the normalizations of tests/e2e/differential_test.ts's header.
 *
 * INFO keyspace is compared line by line without `avg_ttl`, which both
 * servers estimate (Redis by sampling in its expire cycle).
 */
import assert from "node:assert/strict";
import { type Argv, Pair, Picker } from "../support/differential.ts";
import { startRedis } from "../support/redis_process.ts";
import { startServer } from "../support/server_process.ts";

const INDEXES = ["0", "1", "2", "15"];
const BAD_INDEXES = ["16", "-1", "x", "1.5", "-0", "2147483648", "99999999999999999999", ""];
const KEYS = ["a", "b", "z"];

/** INFO keyspace without avg_ttl (an estimate on both sides). */
async function keyspaceLines(pair: Pair): Promise<[string, string]> {
  const strip = (raw: string) =>
    raw.split("\r\n").filter((line) => line.startsWith("db")).map((line) =>
      line.replace(/,avg_ttl=\d+/, "")
    ).join("\n");
  const redis = await pair.redis.send(["INFO", "keyspace"]);
  const kache = await pair.kache.send(["INFO", "keyspace"]);
  return [strip(redis.raw), strip(kache.raw)];
}

/** Random commands over a few databases and keys, including every database command. */
function randomDatabaseCommands(seed: number, count: number): Argv[] {
  const p = new Picker(seed);
  const index = () => p.chance(0.1) ? p.one(BAD_INDEXES) : p.one(INDEXES);
  const generators: Array<() => string[]> = [
    () => ["SELECT", index()],
    () => ["SET", p.one(KEYS), p.one(["1", "2", "v"]), ...(p.chance(0.2) ? ["EX", "1000"] : [])],
    () => ["ZADD", p.one(KEYS), String(p.int(5)), p.one(["m", "n"])],
    () => ["GET", p.one(KEYS)],
    () => ["TYPE", p.one(KEYS)],
    () => ["DEL", p.one(KEYS)],
    () => ["MOVE", p.one(KEYS), index()],
    () =>
      ["COPY", p.one(KEYS), p.one(KEYS), ...(p.chance(0.7) ? ["DB", index()] : [])].concat(
        p.chance(0.4) ? ["REPLACE"] : [],
      ),
    () => ["SWAPDB", index(), index()],
    () => ["DBSIZE"],
    () => ["EXISTS", ...p.some(KEYS, 2)],
    () => ["TTL", p.one(KEYS)],
    () => ["KEYS", "*"],
    () => p.chance(0.2) ? ["FLUSHDB"] : ["RENAME", p.one(KEYS), p.one(KEYS)],
  ];
  return Array.from({ length: count }, () => p.one(generators)());
}

Deno.test({
  name: "Redis and Kache agree on databases: SELECT, MOVE, SWAPDB, COPY DB, FLUSHDB, INFO",
  async fn(t) {
    const redis = await startRedis();
    const kache = await startServer().catch(async (error) => {
      await redis.stop();
      throw error;
    });
    const pairs: Pair[] = [];
    const open = async (label: string) => {
      const pair = await Pair.open(redis.port, kache.respPort, label);
      pairs.push(pair);
      return pair;
    };
    try {
      const c = await open("client");
      const step = (name: string, body: () => Promise<void>) =>
        t.step(name, async () => {
          await c.run("SELECT", "0");
          await c.run("FLUSHALL");
          await body();
          for (const pair of pairs) pair.assertAgreed();
        });

      await step("SELECT, DBSIZE and FLUSHDB keep databases apart", async () => {
        await c.runAll([
          ["SET", "k", "zero"],
          ["SELECT", "1"],
          ["GET", "k"],
          ["SET", "k", "one"],
          ["SET", "other", "x"],
          ["DBSIZE"],
          ["SELECT", "15"],
          ["DBSIZE"],
          ["SELECT", "16"],
          ["SELECT", "-1"],
          ["SELECT", "x"],
          ["SELECT", "1.0"],
          ["SELECT", "-0"],
          ["SELECT", "+1"],
          ["SELECT", " 1"],
          ["SELECT", "2147483647"],
          ["SELECT", "2147483648"],
          ["SELECT", "-2147483649"],
          ["SELECT", "9223372036854775808"],
          ["SELECT"],
          ["SELECT", "1", "2"],
          ["DBSIZE"],
          ["SELECT", "1"],
          ["FLUSHDB"],
          ["DBSIZE"],
          ["SELECT", "0"],
          ["GET", "k"],
          ["FLUSHDB", "ASYNC"],
          ["FLUSHDB", "BAD"],
          ["DBSIZE"],
        ]);
      });

      await step("MOVE with its errors and TTLs", async () => {
        await c.runAll([
          ["SET", "k", "v", "EX", "1000"],
          ["MOVE", "k", "0"],
          ["MOVE", "k", "16"],
          ["MOVE", "k", "-1"],
          ["MOVE", "k", "x"],
          ["MOVE", "k", "4294967296"],
          ["MOVE", "missing", "1"],
          ["MOVE", "missing", "0"],
          ["MOVE", "k", "1"],
          ["EXISTS", "k"],
          ["SELECT", "1"],
          ["TTL", "k"],
          ["ZADD", "z", "1", "a"],
          ["SELECT", "0"],
          ["ZADD", "z", "2", "b"],
          ["MOVE", "z", "1"],
          ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
          ["MOVE", "k"],
          ["MOVE", "k", "1", "2"],
        ]);
      });

      await step("COPY … DB with REPLACE and its errors", async () => {
        await c.runAll([
          ["SET", "s", "v"],
          ["ZADD", "z", "1", "a", "2", "b"],
          ["COPY", "s", "s"],
          ["COPY", "s", "s", "DB", "0"],
          ["COPY", "s", "s", "DB", "1"],
          ["COPY", "s", "s", "DB", "1"],
          ["COPY", "z", "s", "DB", "1", "REPLACE"],
          ["COPY", "s", "t", "DB", "16"],
          ["COPY", "s", "t", "DB", "x"],
          ["COPY", "s", "t", "DB", "9999999999"],
          ["COPY", "s", "t", "DB"],
          ["COPY", "s", "t", "REPLACE", "DB", "2"],
          ["COPY", "missing", "t", "DB", "2"],
          ["SELECT", "1"],
          ["TYPE", "s"],
          ["ZRANGE", "s", "0", "-1"],
          ["SELECT", "2"],
          ["GET", "t"],
        ]);
      });

      await step("SWAPDB with its errors", async () => {
        await c.runAll([
          ["SET", "k", "zero"],
          ["SELECT", "3"],
          ["SET", "k", "three"],
          ["SET", "x", "1", "EX", "1000"],
          ["SWAPDB", "0", "3"],
          ["GET", "k"],
          ["DBSIZE"],
          ["SELECT", "0"],
          ["GET", "k"],
          ["TTL", "x"],
          ["SWAPDB", "1", "1"],
          ["SWAPDB", "0", "16"],
          ["SWAPDB", "16", "0"],
          ["SWAPDB", "x", "0"],
          ["SWAPDB", "0", "x"],
          ["SWAPDB", "x", "y"],
          ["SWAPDB", "2147483648", "0"],
          ["SWAPDB", "0"],
          ["SWAPDB", "-1", "0"],
        ]);
      });

      await step(
        "FLUSHALL empties every database; INFO keyspace lists the non-empty ones",
        async () => {
          await c.runAll([
            ["SET", "a", "1"],
            ["SELECT", "2"],
            ["SET", "a", "1", "EX", "1000"],
            ["SET", "b", "1"],
            ["SELECT", "9"],
            ["ZADD", "z", "1", "m"],
          ]);
          const [redisLines, kacheLines] = await keyspaceLines(c);
          assert.equal(kacheLines, redisLines);
          assert.equal(
            redisLines,
            "db0:keys=1,expires=0\ndb2:keys=2,expires=1\ndb9:keys=1,expires=0",
          );
          await c.runAll([["FLUSHALL"], ["DBSIZE"], ["SELECT", "2"], ["DBSIZE"]]);
          const [redisEmpty, kacheEmpty] = await keyspaceLines(c);
          assert.equal(kacheEmpty, redisEmpty);
          assert.equal(redisEmpty, "");
        },
      );

      await step("MULTI with SELECT inside; WATCH stays on its database", async () => {
        const other = await open("other client");
        await c.runAll([
          ["MULTI"],
          ["SELECT", "5"],
          ["SET", "k", "five"],
          ["SELECT", "77"],
          ["GET", "k"],
          ["EXEC"],
          ["GET", "k"],
          ["SELECT", "0"],
          ["GET", "k"],
          ["WATCH", "k"],
        ]);
        await other.runAll([["SELECT", "5"], ["SET", "k", "changed elsewhere"]]);
        await c.runAll([["MULTI"], ["SET", "k", "mine"], ["EXEC"]]);
        await c.runAll([["SELECT", "5"], ["WATCH", "k"], ["SELECT", "0"]]);
        await other.run("SET", "k", "changed again");
        await c.runAll([["MULTI"], ["PING"], ["EXEC"]]);
        // SWAPDB and FLUSHDB count as changes to watched keys that exist on either side.
        await c.runAll([["WATCH", "k", "nowhere"]]);
        await other.run("SWAPDB", "0", "5");
        await c.runAll([["MULTI"], ["PING"], ["EXEC"]]);
        await c.runAll([["WATCH", "nowhere"]]);
        await other.run("SWAPDB", "0", "5");
        await c.runAll([["MULTI"], ["PING"], ["EXEC"]]);
        await c.runAll([["WATCH", "k"]]);
        await other.runAll([["SELECT", "0"], ["FLUSHDB"]]);
        await c.runAll([["MULTI"], ["PING"], ["EXEC"]]);
      });

      await step("1,000 seeded random commands over several databases", async () => {
        for (const seed of [11, 12]) {
          await c.run("SELECT", "0");
          await c.run("FLUSHALL");
          const commands = randomDatabaseCommands(seed, 500);
          for (const [index, argv] of commands.entries()) {
            await c.run(...argv);
            try {
              c.assertAgreed();
            } catch (error) {
              const history = commands.slice(Math.max(0, index - 10), index)
                .map((previous) => `    ${JSON.stringify(previous)}`).join("\n");
              throw new Error(
                `Seed ${seed}, command #${index}; before it:\n${history}\n${
                  (error as Error).message
                }`,
              );
            }
          }
          const [redisLines, kacheLines] = await keyspaceLines(c);
          assert.equal(kacheLines, redisLines, `seed ${seed}: INFO keyspace`);
        }
      });
    } finally {
      for (const pair of pairs) pair.close();
      await Promise.all([redis.stop(), kache.stop()]);
    }
  },
});
