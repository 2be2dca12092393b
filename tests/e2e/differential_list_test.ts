/**
 * Differential tests for lists: the same command sequences go to
 * redis-server 7.0 and to Kache over raw RESP (RESP2 and RESP3), and the
 * replies must be byte-for-byte identical, error texts included, with the
 * normalizations of tests/e2e/differential_test.ts (scores of BZPOPMIN and
 * friends compared as numbers, KEYS sorted). Scripted sequences cover each
 * command's options and errors; a seeded random generator mixes list
 * commands, the non-blocking answers of the blocking ones (timeouts that
 * find data, MULTI), and the generic commands that meet lists.
 */
import { type Argv, Pair, Picker, show } from "../support/differential.ts";
import { startRedis } from "../support/redis_process.ts";
import type { RawRespClient } from "../support/resp_client.ts";
import { startServer } from "../support/server_process.ts";

const LIST_KEYS = ["l0", "l1", "l2", "l3"];
const OTHER_KEYS = ["s0", "z0"];
const ALL_KEYS = [...LIST_KEYS, ...OTHER_KEYS];
const VALUES = ["a", "b", "c", "1", "-5", "", "x y", "\x00\xff", "9223372036854775807", "abc"];
const INDEXES = ["0", "1", "-1", "2", "-2", "5", "-5", "100", "-100"];
const BAD_INTEGERS = ["x", "1.5", "", "99999999999999999999"];
const ENDS = ["LEFT", "RIGHT", "left", "Right"];

function arg(p: Picker, good: readonly string[], bad: readonly string[]): string {
  return p.chance(0.05) ? p.one(bad) : p.one(good);
}

function listKey(p: Picker): string {
  return p.chance(0.9) ? p.one(LIST_KEYS) : p.one(OTHER_KEYS);
}

function index(p: Picker): string {
  return arg(p, INDEXES, BAD_INTEGERS);
}

function end(p: Picker): string {
  return p.chance(0.03) ? "UP" : p.one(ENDS);
}

/** A timeout that never waits: data is there, or the key is absent and the client is in MULTI. */
function timeout(p: Picker): string {
  return p.chance(0.05) ? p.one(["-1", "abc", "nan"]) : p.one(["0.01", "0.001"]);
}

type Generator = (p: Picker) => string[];

/** Commands that grow lists. */
const GROWERS: Generator[] = [
  (p) => ["RPUSH", listKey(p), ...p.some(VALUES, 4)],
  (p) => ["LPUSH", listKey(p), ...p.some(VALUES, 4)],
  (p) => ["RPUSHX", listKey(p), ...p.some(VALUES, 2)],
  (p) => ["LPUSHX", listKey(p), ...p.some(VALUES, 2)],
  (
    p,
  ) => [
    "LINSERT",
    listKey(p),
    p.one(["BEFORE", "AFTER", "after", "NEAR"]),
    p.one(VALUES),
    p.one(VALUES),
  ],
  (p) => ["LSET", listKey(p), index(p), p.one(VALUES)],
];

/** Commands that read or shrink lists (never blocking: the data is there or MULTI is on). */
const OTHERS: Generator[] = [
  (p) => ["LPOP", listKey(p)],
  (p) => ["RPOP", listKey(p), arg(p, ["0", "1", "2", "5"], ["-1", ...BAD_INTEGERS])],
  (p) => ["LLEN", listKey(p)],
  (p) => ["LRANGE", listKey(p), index(p), index(p)],
  (p) => ["LINDEX", listKey(p), index(p)],
  (p) => ["LREM", listKey(p), arg(p, ["0", "1", "-1", "2", "-2"], BAD_INTEGERS), p.one(VALUES)],
  (p) => ["LTRIM", listKey(p), index(p), index(p)],
  (p) => {
    const argv = ["LPOS", listKey(p), p.one(VALUES)];
    if (p.chance(0.5)) argv.push("RANK", p.one(["1", "2", "-1", "-2", "0"]));
    if (p.chance(0.5)) argv.push("COUNT", p.one(["0", "1", "2", "-1"]));
    if (p.chance(0.3)) argv.push("MAXLEN", p.one(["0", "1", "3", "-1"]));
    return argv;
  },
  (p) => ["LMOVE", listKey(p), listKey(p), end(p), end(p)],
  (p) => ["RPOPLPUSH", listKey(p), listKey(p)],
  (p) => {
    const keys = p.some(ALL_KEYS, 3);
    const argv = ["LMPOP", p.chance(0.05) ? "0" : String(keys.length), ...keys, end(p)];
    if (p.chance(0.5)) argv.push("COUNT", p.one(["1", "2", "10", "0"]));
    return argv;
  },
  (p) => ["TYPE", listKey(p)],
  (p) => ["DEL", listKey(p)],
  (p) => ["COPY", listKey(p), listKey(p), ...(p.chance(0.5) ? ["REPLACE"] : [])],
  (p) => ["RENAME", listKey(p), listKey(p)],
  (p) => ["EXISTS", ...p.some(ALL_KEYS, 3)],
  (p) => ["SET", "s0", p.one(VALUES)],
  (p) => ["ZADD", "z0", p.one(["1", "2", "3"]), p.one(VALUES)],
];

/** Blocking forms, sent only where they cannot block: on lists known to hold data. */
const BLOCKING: Generator[] = [
  (p) => ["BLPOP", ...p.some(ALL_KEYS, 2), timeout(p)],
  (p) => ["BRPOP", ...p.some(ALL_KEYS, 2), timeout(p)],
  (p) => ["BLMOVE", listKey(p), listKey(p), end(p), end(p), timeout(p)],
  (p) => ["BRPOPLPUSH", listKey(p), listKey(p), timeout(p)],
  (p) => {
    const keys = p.some(ALL_KEYS, 2);
    return ["BLMPOP", timeout(p), String(keys.length), ...keys, end(p), "COUNT", "2"];
  },
  (p) => ["BZPOPMIN", "z0", timeout(p)],
  (p) => ["BZMPOP", timeout(p), "1", "z0", "MAX"],
];

function randomCommands(seed: number, count: number): Argv[] {
  const p = new Picker(seed);
  const commands: Argv[] = [];
  for (let i = 0; i < count; i++) {
    if (p.chance(0.08)) {
      // Inside MULTI a blocking command never blocks, whatever the keys hold.
      commands.push(["MULTI"], p.one(BLOCKING)(p), p.one(OTHERS)(p), ["EXEC"]);
      continue;
    }
    const argv = p.one(p.chance(0.45) ? GROWERS : OTHERS)(p);
    if (p.chance(0.02) && argv.length > 1) argv.pop();
    commands.push(argv);
  }
  return commands;
}

async function describeKeys(client: RawRespClient): Promise<string> {
  const lines: string[] = [];
  for (const key of LIST_KEYS) {
    lines.push(`    ${key}: ${show((await client.send(["LRANGE", key, "0", "-1"])).raw)}`);
  }
  return lines.join("\n");
}

/** Whether every key a blocking command names holds data or is absent in all (so it cannot wait). */
async function mayBlock(pair: Pair, argv: Argv): Promise<boolean> {
  const name = argv[0]!.toUpperCase();
  const keys = name === "BLMPOP" || name === "BZMPOP"
    ? argv.slice(3, 3 + Number(argv[2]))
    : name === "BLMOVE" || name === "BRPOPLPUSH"
    ? [argv[1]!]
    : argv.slice(1, -1);
  for (const key of keys) {
    const type = (await pair.redis.send(["TYPE", key])).reply;
    if (type.type === "status" && type.value !== "none") return false;
  }
  return true;
}

Deno.test({
  name: "Redis and Kache reply identically to list commands",
  async fn(t) {
    const redis = await startRedis();
    const kache = await startServer().catch(async (error) => {
      await redis.stop();
      throw error;
    });
    const pair = await Pair.open(redis.port, kache.respPort);
    try {
      const step = (name: string, body: (c: Pair) => Promise<void>) =>
        t.step(name, async () => {
          await pair.run("FLUSHALL");
          await body(pair);
          pair.assertAgreed();
        });

      await step("scripted list commands with their options and errors", async (c) => {
        await c.runAll([
          ["RPUSH", "l", "a", "b", "c", "b", "a"],
          ["LPUSH", "l", "0"],
          ["LRANGE", "l", "0", "-1"],
          ["LRANGE", "l", "-3", "100"],
          ["LRANGE", "l", "4", "2"],
          ["LRANGE", "l", "a", "2"],
          ["LINDEX", "l", "-1"],
          ["LINDEX", "l", "99"],
          ["LINDEX", "nokey", "x"],
          ["LINDEX", "l", "x"],
          ["LSET", "l", "1", "A"],
          ["LSET", "l", "-99", "A"],
          ["LSET", "nokey", "0", "A"],
          ["LSET", "l", "x", "A"],
          ["LINSERT", "l", "BEFORE", "b", "B"],
          ["LINSERT", "l", "AFTER", "zz", "B"],
          ["LINSERT", "nokey", "AFTER", "a", "B"],
          ["LINSERT", "l", "BETWEEN", "a", "B"],
          ["LREM", "l", "1", "b"],
          ["LREM", "l", "-1", "a"],
          ["LREM", "l", "0", "zz"],
          ["LREM", "l", "x", "a"],
          ["LPOS", "l", "B"],
          ["LPOS", "l", "a", "RANK", "-1", "COUNT", "0", "MAXLEN", "10"],
          ["LPOS", "l", "a", "RANK", "0"],
          ["LPOS", "l", "b", "RANK", "-9223372036854775808"],
          ["LPOS", "l", "B", "RANK", "9223372036854775807", "COUNT", "0"],
          ["LRANGE", "l", "-9223372036854775808", "9223372036854775807"],
          ["LINDEX", "l", "-9223372036854775808"],
          ["LPOS", "l", "a", "COUNT", "-1"],
          ["LPOS", "l", "a", "MAXLEN", "-1"],
          ["LPOS", "l", "a", "RANK"],
          ["LPOS", "l", "a", "FOO", "1"],
          ["LPOS", "nokey", "a", "COUNT", "1"],
          ["LPOS", "nokey", "a"],
          ["LLEN", "l"],
          ["LTRIM", "l", "1", "-1"],
          ["LRANGE", "l", "0", "-1"],
          ["LPOP", "l", "2"],
          ["RPOP", "l", "0"],
          ["RPOP", "l", "-1"],
          ["RPOP", "l", "x"],
          ["LPOS", "l", "a", "COUNT", "x"],
          ["LPOP", "l", "1", "2"],
          ["RPOP", "nokey", "2"],
          ["RPOP", "nokey"],
          ["LMOVE", "l", "m", "LEFT", "RIGHT"],
          ["LMOVE", "l", "l", "RIGHT", "LEFT"],
          ["LMOVE", "l", "m", "UP", "LEFT"],
          ["RPOPLPUSH", "nokey", "m"],
          ["LMPOP", "2", "nokey", "m", "LEFT", "COUNT", "10"],
          ["LMPOP", "1", "nokey", "LEFT"],
          ["LMPOP", "0", "nokey", "LEFT"],
          ["LMPOP", "-1", "nokey", "LEFT"],
          ["LMPOP", "2", "nokey", "LEFT"],
          ["LMPOP", "1", "l", "LEFT", "COUNT", "0"],
          ["LMPOP", "1", "l", "LEFT", "COUNT"],
          ["LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"],
          ["SET", "s", "v"],
          ["LPUSH", "s", "x"],
          ["LRANGE", "s", "0", "1"],
          ["LPOP", "s"],
          ["LMOVE", "l", "s", "LEFT", "LEFT"],
          ["TYPE", "l"],
          ["LTRIM", "l", "5", "1"],
          ["EXISTS", "l"],
          ["LPUSHX", "l", "x"],
          ["RPUSH"],
          ["LLEN"],
          ["BLPOP", "l", "x"],
          ["BLPOP", "l", "-1"],
          ["RPUSH", "q", "1", "2", "3"],
          ["BLPOP", "nokey", "q", "0"],
          ["BRPOP", "q", "0"],
          ["BLMOVE", "q", "q2", "LEFT", "RIGHT", "0"],
          ["BRPOPLPUSH", "q2", "q", "0"],
          ["RPUSH", "q", "4", "5"],
          ["BLMPOP", "0", "2", "nokey", "q", "RIGHT", "COUNT", "2"],
          ["BLMPOP", "0", "0", "q", "RIGHT"],
          ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
          ["BZPOPMIN", "nokey", "z", "0"],
          ["BZPOPMAX", "z", "0"],
          ["BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"],
          ["BZMPOP", "0", "1", "z", "SIDEWAYS"],
          ["BZPOPMIN", "s", "0"],
          ["BLPOP", "s", "0"],
          ["KEYS", "*"],
        ]);
      });

      await step("RESP3 replies of list and blocking commands", async (c) => {
        await c.runAll([
          ["HELLO", "3"],
          ["RPUSH", "l", "a", "b"],
          ["LPOP", "l", "5"],
          ["LPOP", "nokey", "1"],
          ["LPOP", "nokey"],
          ["ZADD", "z", "1", "a", "2.5", "b"],
          ["BZPOPMIN", "z", "0"],
          ["BZMPOP", "0", "1", "z", "MAX"],
          ["MULTI"],
          ["BLPOP", "nokey", "0"],
          ["BLMOVE", "nokey", "d", "LEFT", "LEFT", "0"],
          ["BZPOPMAX", "nokey", "0"],
          ["EXEC"],
          ["LMPOP", "1", "nokey", "LEFT"],
          ["HELLO", "2"],
        ]);
      });

      await step("1,500 seeded random list commands", async (c) => {
        for (const seed of [11, 12, 13]) {
          await c.run("FLUSHALL");
          const commands = randomCommands(seed, 500);
          let inMulti = false;
          for (const [position, argv] of commands.entries()) {
            const name = argv[0]!.toUpperCase();
            if (name === "MULTI") inMulti = true;
            if (name === "EXEC") inMulti = false;
            // Outside MULTI a blocking command on empty keys would wait: skip those.
            if (!inMulti && name.startsWith("B") && await mayBlock(c, argv)) continue;
            try {
              await c.run(...argv);
              c.assertAgreed();
            } catch (error) {
              const history = commands.slice(Math.max(0, position - 12), position)
                .map((previous) => `    ${JSON.stringify(previous)}`).join("\n");
              throw new Error(
                `Seed ${seed}, command #${position}; the commands before it:\n${history}\n` +
                  `Lists as Redis holds them now:\n${await describeKeys(c.redis)}\n` +
                  (error as Error).message,
              );
            }
          }
        }
      });
    } finally {
      pair.close();
      await Promise.all([redis.stop(), kache.stop()]);
    }
  },
});
