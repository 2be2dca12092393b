/**
 * Differential tests for hashes and sets: the same command sequences go to
 * redis-server 7.0 and to Kache over raw RESP (2 and 3), and the replies must
 * agree byte for byte, error texts included, with the normalizations of
 * tests/e2e/differential_test.ts plus:
 *
 * 5. Whole-collection replies (HGETALL, HKEYS, HVALS, SMEMBERS, SINTER,
 *    SUNION, SDIFF) are compared as sorted multisets, HGETALL as pairs:
 *    Redis's order is its listpack's or hash table's, which Kache does not
 *    reproduce (`UNORDERED_REPLIES` in tests/support/differential.ts). HSCAN
 *    and SSCAN are compared the same way when both finish in one call.
 * 6. Replies that are random by definition (HRANDFIELD, SRANDMEMBER, and
 *    SPOP with a count below the set's size) are compared by shape: the same
 *    reply type and length, and identical errors.
 */
import { type Argv, Pair, Picker } from "../support/differential.ts";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { startRedis } from "../support/redis_process.ts";
import { startServer } from "../support/server_process.ts";
import assert from "node:assert/strict";

/** Normalization 6: same type and length (element count); errors must match exactly. */
function shapeOf(reply: ClientReply): string {
  switch (reply.type) {
    case "array":
    case "set":
      return `${reply.type}:${reply.items.length}:${
        reply.items.map((item) => item.type === "array" ? `[${item.items.length}]` : item.type)
          .join(",")
      }`;
    case "error":
      return `error:${reply.message}`;
    default:
      return reply.type;
  }
}

/** Runs a command whose reply is random on both servers and compares shapes only. */
async function runRandom(pair: Pair, argv: Argv): Promise<void> {
  const redis = await pair.redis.send(argv);
  const kache = await pair.kache.send(argv);
  assert.equal(
    shapeOf(kache.reply),
    shapeOf(redis.reply),
    `${pair.label}: ${JSON.stringify(argv)}\n  redis: ${JSON.stringify(redis.raw)}\n  kache: ${
      JSON.stringify(kache.raw)
    }`,
  );
}

const RANDOM_COMMANDS = new Set(["hrandfield", "srandmember"]);

// ---------------------------------------------------------------------------
// Scripted sequences: every command, option and error.

const HASH_SCRIPT: Argv[] = [
  ["HSET", "h", "a", "1", "b", "2", "c", "3"],
  ["HSET", "h", "a", "10", "d", "4"],
  ["HSET", "h", "a"],
  ["HSET", "h"],
  ["HMSET", "h", "e", "5", "f", "6"],
  ["HMSET", "h", "e"],
  ["HSETNX", "h", "a", "x"],
  ["HSETNX", "h", "g", "7"],
  ["HSETNX", "h2", "g", "7"],
  ["HGET", "h", "a"],
  ["HGET", "h", "nope"],
  ["HGET", "missing", "a"],
  ["HMGET", "h", "a", "nope", "b"],
  ["HMGET", "missing", "a", "b"],
  ["HMGET", "h"],
  ["HEXISTS", "h", "a"],
  ["HEXISTS", "h", "nope"],
  ["HEXISTS", "missing", "a"],
  ["HLEN", "h"],
  ["HLEN", "missing"],
  ["HSTRLEN", "h", "a"],
  ["HSTRLEN", "h", "nope"],
  ["HSTRLEN", "missing", "a"],
  ["HKEYS", "h"],
  ["HVALS", "h"],
  ["HGETALL", "h"],
  ["HKEYS", "missing"],
  ["HVALS", "missing"],
  ["HGETALL", "missing"],
  ["HINCRBY", "h", "a", "5"],
  ["HINCRBY", "h", "new", "-3"],
  ["HINCRBY", "h", "a", "x"],
  ["HINCRBY", "h", "a", "1.5"],
  ["HSET", "h", "float", "1.5", "word", "abc", "max", "9223372036854775807", "inf", "inf"],
  ["HINCRBY", "h", "float", "1"],
  ["HINCRBY", "h", "word", "1"],
  ["HINCRBY", "h", "max", "1"],
  ["HINCRBY", "h", "max", "-1"],
  ["HSET", "h", "min", "-9223372036854775808"],
  ["HINCRBY", "h", "min", "-1"],
  ["HINCRBY", "h", "a", "9223372036854775808"],
  ["HINCRBYFLOAT", "h", "float", "0.1"],
  ["HINCRBYFLOAT", "h", "float", "-1.6"],
  ["HINCRBYFLOAT", "h", "new2", "0.1"],
  ["HINCRBYFLOAT", "h", "new2", "0.2"],
  ["HINCRBYFLOAT", "h", "a", "1e3"],
  ["HINCRBYFLOAT", "h", "a", "1.0e-5"],
  ["HINCRBYFLOAT", "h", "a", "0x10"],
  ["HINCRBYFLOAT", "h", "word", "1"],
  ["HINCRBYFLOAT", "h", "inf", "1"],
  ["HINCRBYFLOAT", "h", "a", "inf"],
  ["HINCRBYFLOAT", "h", "a", "-inf"],
  ["HINCRBYFLOAT", "h", "a", "nan"],
  ["HINCRBYFLOAT", "h", "a", "abc"],
  ["HINCRBYFLOAT", "h", "a", ""],
  ["HINCRBYFLOAT", "h", "max", "1"],
  ["HSET", "hbig", "big", "1.7e308"],
  ["HINCRBYFLOAT", "hbig", "big", "1.7e308"],
  ["HGET", "hbig", "big"],
  ["HDEL", "h", "a", "a", "nope"],
  ["HDEL", "h", "nope"],
  ["HDEL", "missing", "a"],
  ["HDEL", "h2", "g"],
  ["EXISTS", "h2"],
  ["HRANDFIELD", "missing"],
  ["HRANDFIELD", "missing", "5"],
  ["HRANDFIELD", "missing", "5", "WITHVALUES"],
  ["HRANDFIELD", "h", "0"],
  ["HRANDFIELD", "h", "0", "WITHVALUES"],
  ["HRANDFIELD", "h", "x"],
  ["HRANDFIELD", "h", "1", "WITHVALUE"],
  ["HRANDFIELD", "h", "1", "WITHVALUES", "x"],
  ["HRANDFIELD", "h", "-9223372036854775808"],
  ["HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"],
  ["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"],
  ["HSET", "one", "only", "value"],
  ["HRANDFIELD", "one"],
  ["HRANDFIELD", "one", "-3", "WITHVALUES"],
  ["HRANDFIELD", "one", "5", "withvalues"],
  ["HSCAN", "h", "0"],
  ["HSCAN", "h", "0", "MATCH", "*a*"],
  ["HSCAN", "h", "0", "COUNT", "2"],
  ["HSCAN", "h", "x"],
  ["HSCAN", "h", "0", "COUNT", "0"],
  ["HSCAN", "h", "0", "MATCH"],
  ["HSCAN", "h", "0", "TYPE", "string"],
  ["HSCAN", "missing", "0"],
  ["HSCAN", "missing", "x"],
  ["SET", "s", "v"],
  ["HSET", "s", "a", "1"],
  ["HSETNX", "s", "a", "1"],
  ["HMSET", "s", "a", "1"],
  ["HGET", "s", "a"],
  ["HMGET", "s", "a"],
  ["HDEL", "s", "a"],
  ["HEXISTS", "s", "a"],
  ["HLEN", "s"],
  ["HSTRLEN", "s", "a"],
  ["HKEYS", "s"],
  ["HVALS", "s"],
  ["HGETALL", "s"],
  ["HINCRBY", "s", "a", "1"],
  ["HINCRBY", "s", "a", "x"],
  ["HINCRBYFLOAT", "s", "a", "1"],
  ["HINCRBYFLOAT", "s", "a", "inf"],
  ["HRANDFIELD", "s"],
  ["HRANDFIELD", "s", "2"],
  ["HSCAN", "s", "0"],
  ["HSCAN", "s", "x"],
  ["GET", "h"],
  ["TYPE", "h"],
  ["SCAN", "0", "TYPE", "hash", "COUNT", "1000"],
  ["COPY", "h", "hcopy"],
  ["HGETALL", "hcopy"],
  ["RENAME", "hcopy", "hmoved"],
  ["HGETALL", "hmoved"],
  ["DEL", "hmoved"],
  ["MULTI"],
  ["HSET", "m", "f", "1"],
  ["HINCRBY", "m", "f", "2"],
  ["HGETALL", "m"],
  ["HGET", "s", "x"],
  ["EXEC"],
];

const SET_SCRIPT: Argv[] = [
  ["SADD", "a", "1", "2", "3", "4"],
  ["SADD", "a", "4", "5", "5"],
  ["SADD", "b", "3", "4", "5", "x", "y"],
  ["SADD", "c", "4", "y", "z"],
  ["SADD", "a"],
  ["SREM", "a", "5", "nope"],
  ["SREM", "a", "nope"],
  ["SREM", "missing", "1"],
  ["SMEMBERS", "a"],
  ["SMEMBERS", "missing"],
  ["SISMEMBER", "a", "1"],
  ["SISMEMBER", "a", "9"],
  ["SISMEMBER", "missing", "1"],
  ["SMISMEMBER", "a", "1", "9", "2"],
  ["SMISMEMBER", "missing", "1"],
  ["SMISMEMBER", "a"],
  ["SCARD", "a"],
  ["SCARD", "missing"],
  ["SINTER", "a", "b"],
  ["SINTER", "a", "b", "c"],
  ["SINTER", "a", "missing"],
  ["SINTER", "missing"],
  ["SINTER", "a", "a"],
  ["SUNION", "a", "b", "c", "missing"],
  ["SUNION", "missing"],
  ["SDIFF", "a", "b"],
  ["SDIFF", "b", "a", "c"],
  ["SDIFF", "a", "missing"],
  ["SDIFF", "missing", "a"],
  ["SDIFF", "a", "a"],
  ["SDIFF", "a", "b", "a"],
  ["SINTERCARD", "2", "a", "b"],
  ["SINTERCARD", "2", "a", "b", "LIMIT", "1"],
  ["SINTERCARD", "2", "a", "b", "LIMIT", "0"],
  ["SINTERCARD", "3", "a", "b", "c", "limit", "5"],
  ["SINTERCARD", "1", "missing"],
  ["SINTERCARD", "0", "a"],
  ["SINTERCARD", "-1", "a"],
  ["SINTERCARD", "x", "a"],
  ["SINTERCARD", "3", "a", "b"],
  ["SINTERCARD", "1", "a", "LIMIT"],
  ["SINTERCARD", "1", "a", "LIMIT", "-1"],
  ["SINTERCARD", "1", "a", "LIMIT", "x"],
  ["SINTERCARD", "1", "a", "b"],
  ["SINTERCARD", "1"],
  ["SINTERSTORE", "dst", "a", "b"],
  ["SMEMBERS", "dst"],
  ["SINTERSTORE", "dst", "a", "missing"],
  ["EXISTS", "dst"],
  ["SUNIONSTORE", "dst", "a", "c"],
  ["SMEMBERS", "dst"],
  ["SDIFFSTORE", "dst", "a", "c"],
  ["SMEMBERS", "dst"],
  ["SDIFFSTORE", "dst", "a", "a"],
  ["EXISTS", "dst"],
  ["SUNIONSTORE", "a", "a", "b"],
  ["SMEMBERS", "a"],
  ["SMOVE", "a", "b", "1"],
  ["SMOVE", "a", "b", "nope"],
  ["SMOVE", "a", "a", "2"],
  ["SMOVE", "a", "a", "nope"],
  ["SMOVE", "missing", "a", "1"],
  ["SMOVE", "c", "fresh", "z"],
  ["SMEMBERS", "fresh"],
  ["SADD", "single", "only"],
  ["SMOVE", "single", "fresh", "only"],
  ["EXISTS", "single"],
  ["SADD", "p", "only"],
  ["SPOP", "p"],
  ["SPOP", "p"],
  ["EXISTS", "p"],
  ["SADD", "p", "1", "2", "3"],
  ["SPOP", "p", "3"],
  ["EXISTS", "p"],
  ["SADD", "p", "1", "2", "3"],
  ["SPOP", "p", "10"],
  ["SPOP", "missing", "2"],
  ["SPOP", "a", "0"],
  ["SPOP", "a", "-1"],
  ["SPOP", "a", "x"],
  ["SPOP", "a", "1", "2"],
  ["SRANDMEMBER", "missing"],
  ["SRANDMEMBER", "missing", "3"],
  ["SRANDMEMBER", "a", "0"],
  ["SRANDMEMBER", "a", "x"],
  ["SRANDMEMBER", "a", "1", "2"],
  ["SRANDMEMBER", "a", "-9223372036854775808"],
  ["SRANDMEMBER", "single2", "1"],
  ["SADD", "single2", "only"],
  ["SRANDMEMBER", "single2"],
  ["SRANDMEMBER", "single2", "-2"],
  ["SSCAN", "a", "0"],
  ["SSCAN", "a", "0", "MATCH", "[1-3]"],
  ["SADD", "ints", "5", "-3", "100", "7"],
  ["SSCAN", "ints", "0", "COUNT", "1"],
  ["SMEMBERS", "ints"],
  ["SSCAN", "a", "x"],
  ["SSCAN", "a", "0", "COUNT", "0"],
  ["SSCAN", "missing", "0"],
  ["SET", "s", "v"],
  ["SADD", "s", "1"],
  ["SREM", "s", "1"],
  ["SMEMBERS", "s"],
  ["SISMEMBER", "s", "1"],
  ["SMISMEMBER", "s", "1"],
  ["SCARD", "s"],
  ["SPOP", "s"],
  ["SPOP", "s", "1"],
  ["SPOP", "s", "-1"],
  ["SRANDMEMBER", "s"],
  ["SRANDMEMBER", "s", "1"],
  ["SMOVE", "s", "a", "1"],
  ["SMOVE", "a", "s", "2"],
  ["SMOVE", "missing", "s", "1"],
  ["SINTER", "a", "s"],
  ["SINTER", "missing", "s"],
  ["SUNION", "a", "s"],
  ["SDIFF", "a", "s"],
  ["SDIFF", "missing", "s"],
  ["SINTERCARD", "2", "a", "s"],
  ["SINTERSTORE", "dst", "a", "s"],
  ["SUNIONSTORE", "s", "a"],
  ["TYPE", "s"],
  ["SSCAN", "s", "0"],
  ["HSET", "h", "f", "v"],
  ["SADD", "h", "x"],
  ["HSET", "a", "f", "v"],
  ["ZADD", "z", "1", "3", "2", "x", "5", "q"],
  ["ZUNION", "2", "a", "z", "WITHSCORES"],
  ["ZINTER", "2", "b", "z", "WEIGHTS", "2", "3", "WITHSCORES"],
  ["ZDIFF", "2", "z", "b", "WITHSCORES"],
  ["ZINTERCARD", "2", "a", "b"],
  ["ZUNIONSTORE", "zout", "2", "a", "c", "AGGREGATE", "MAX"],
  ["ZRANGE", "zout", "0", "-1", "WITHSCORES"],
  ["ZDIFFSTORE", "zout2", "2", "b", "z"],
  ["ZRANGE", "zout2", "0", "-1", "WITHSCORES"],
  ["ZUNION", "2", "a", "h"],
  ["SADD", "z", "1"],
  ["SINTER", "z", "a"],
  ["TYPE", "a"],
  ["SCAN", "0", "TYPE", "set", "COUNT", "1000"],
  ["COPY", "a", "acopy"],
  ["SMEMBERS", "acopy"],
  ["RENAME", "acopy", "amoved"],
  ["SMEMBERS", "amoved"],
  ["MULTI"],
  ["SADD", "m", "1", "2"],
  ["SPOP", "m", "5"],
  ["SCARD", "m"],
  ["SADD", "s", "x"],
  ["EXEC"],
];

/** Large collections: past Redis's listpack/intset limits, so its hashtable code answers. */
function largeScript(): Argv[] {
  const fields: string[] = [];
  for (let i = 0; i < 300; i++) fields.push(`field:${i}`, i % 3 === 0 ? "x".repeat(70) : String(i));
  const ints: string[] = [];
  for (let i = 0; i < 600; i++) ints.push(String(i * 7 - 1000));
  const strings: string[] = [];
  for (let i = 0; i < 200; i++) strings.push(`m${i}`);
  return [
    ["HSET", "bigh", ...fields],
    ["HLEN", "bigh"],
    ["HGETALL", "bigh"],
    ["HKEYS", "bigh"],
    ["HVALS", "bigh"],
    ["HSCAN", "bigh", "0", "COUNT", "10000"],
    ["HSCAN", "bigh", "0", "MATCH", "field:1*", "COUNT", "10000"],
    ["HINCRBY", "bigh", "field:1", "5"],
    ["HDEL", "bigh", "field:0", "field:3", "field:299"],
    ["HLEN", "bigh"],
    ["SADD", "ints", ...ints],
    ["SCARD", "ints"],
    ["SMEMBERS", "ints"],
    ["SISMEMBER", "ints", "-1000"],
    ["SADD", "strs", ...strings],
    ["SINTER", "ints", "strs"],
    ["SUNIONSTORE", "both", "ints", "strs"],
    ["SCARD", "both"],
    ["SDIFF", "both", "ints"],
    ["SDIFFSTORE", "diff", "both", "strs", "missing"],
    ["SCARD", "diff"],
    ["SINTERCARD", "2", "both", "ints", "LIMIT", "100"],
    ["SSCAN", "both", "0", "COUNT", "10000"],
    ["SSCAN", "both", "0", "MATCH", "m1*", "COUNT", "10000"],
    ["SPOP", "strs", "200"],
    ["EXISTS", "strs"],
  ];
}

// ---------------------------------------------------------------------------
// The seeded random generator: hashes and sets mixed with strings for WRONGTYPE.

const HASH_KEYS = ["h0", "h1", "h2"];
const SET_KEYS = ["t0", "t1", "t2", "t3"];
const STRING_KEYS = ["s0", "s1"];
const ALL_KEYS = [...HASH_KEYS, ...SET_KEYS, ...STRING_KEYS];
const FIELDS = ["a", "b", "c", "d", "1", "2", "", "\x00\xff", "long field"];
const VALUES = ["1", "-5", "abc", "", "10.5", "9223372036854775807", "0", "7", "1e3", "inf", "3"];
const MEMBERS = ["1", "2", "3", "10", "-1", "a", "b", "c", "", "\x00\xff", "9223372036854775807"];
const COUNTS = ["0", "1", "2", "3", "-1", "-3", "5", "100", "x", "-9223372036854775808"];

function randomCommands(seed: number, count: number): Argv[] {
  const p = new Picker(seed);
  const hashKey = () => p.chance(0.1) ? p.one(ALL_KEYS) : p.one(HASH_KEYS);
  const setKey = () => p.chance(0.1) ? p.one(ALL_KEYS) : p.one(SET_KEYS);
  const setKeys = () => p.some(p.chance(0.05) ? ALL_KEYS : SET_KEYS, 3);
  const field = () => p.one(FIELDS);
  const member = () => p.one(MEMBERS);
  const generators: Array<() => Argv> = [
    () => ["HSET", hashKey(), ...p.some(FIELDS, 3).flatMap((f) => [f, p.one(VALUES)])],
    () => ["HSETNX", hashKey(), field(), p.one(VALUES)],
    () => ["HMSET", hashKey(), field(), p.one(VALUES)],
    () => ["HGET", hashKey(), field()],
    () => ["HMGET", hashKey(), ...p.some(FIELDS, 3)],
    () => ["HDEL", hashKey(), ...p.some(FIELDS, 3)],
    () => ["HEXISTS", hashKey(), field()],
    () => ["HLEN", hashKey()],
    () => ["HSTRLEN", hashKey(), field()],
    () => ["HKEYS", hashKey()],
    () => ["HVALS", hashKey()],
    () => ["HGETALL", hashKey()],
    () => ["HINCRBY", hashKey(), field(), p.one(["1", "-2", "100", "x", "9223372036854775807"])],
    () => ["HINCRBYFLOAT", hashKey(), field(), p.one(["0.1", "-2.5", "1e2", "x", "inf", "3"])],
    () => ["HRANDFIELD", hashKey(), ...(p.chance(0.7) ? [p.one(COUNTS)] : [])],
    () => ["HRANDFIELD", hashKey(), p.one(COUNTS), "WITHVALUES"],
    () => ["HSCAN", hashKey(), "0", ...(p.chance(0.5) ? ["MATCH", "*a*"] : []), "COUNT", "1000"],
    () => ["SADD", setKey(), ...p.some(MEMBERS, 4)],
    () => ["SREM", setKey(), ...p.some(MEMBERS, 3)],
    () => ["SMEMBERS", setKey()],
    () => ["SISMEMBER", setKey(), member()],
    () => ["SMISMEMBER", setKey(), ...p.some(MEMBERS, 3)],
    () => ["SCARD", setKey()],
    () => ["SPOP", setKey(), p.one(["100", "0", "-1", "x"])],
    () => ["SRANDMEMBER", setKey(), ...(p.chance(0.7) ? [p.one(COUNTS)] : [])],
    () => ["SMOVE", setKey(), setKey(), member()],
    () => ["SINTER", ...setKeys()],
    () => ["SUNION", ...setKeys()],
    () => ["SDIFF", ...setKeys()],
    () => {
      const keys = setKeys();
      return ["SINTERCARD", String(keys.length), ...keys, ...(p.chance(0.5) ? ["LIMIT", "2"] : [])];
    },
    () => [p.one(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), setKey(), ...setKeys()],
    () => ["SSCAN", setKey(), "0", ...(p.chance(0.5) ? ["MATCH", "[1-3]"] : []), "COUNT", "1000"],
    () => ["SET", p.one(STRING_KEYS), p.one(VALUES)],
    () => ["DEL", p.one(ALL_KEYS)],
    () => ["TYPE", p.one(ALL_KEYS)],
    () => ["COPY", p.one(ALL_KEYS), p.one(ALL_KEYS), ...(p.chance(0.5) ? ["REPLACE"] : [])],
    () => ["RENAME", p.one(ALL_KEYS), p.one(ALL_KEYS)],
    () => ["ZUNION", "2", setKey(), setKey(), "WITHSCORES"],
  ];
  return Array.from({ length: count }, () => p.one(generators)());
}

async function runChecked(pair: Pair, argv: Argv): Promise<void> {
  if (RANDOM_COMMANDS.has(argv[0]!.toLowerCase())) await runRandom(pair, argv);
  else await pair.run(...argv);
}

Deno.test({
  name: "Redis and Kache reply alike to hash and set commands",
  async fn(t) {
    const redis = await startRedis();
    const kache = await startServer().catch(async (error) => {
      await redis.stop();
      throw error;
    });
    const pairs: Pair[] = [];
    try {
      const resp2 = await Pair.open(redis.port, kache.respPort, "RESP2");
      pairs.push(resp2);
      const resp3 = await Pair.open(redis.port, kache.respPort, "RESP3");
      pairs.push(resp3);
      await resp3.run("HELLO", "3");
      for (
        const [name, script] of [
          ["hash commands", HASH_SCRIPT],
          ["set commands", SET_SCRIPT],
          ["large hashes and sets", largeScript()],
        ] as const
      ) {
        for (const pair of [resp2, resp3]) {
          await t.step(`${name} (${pair.label})`, async () => {
            await pair.run("FLUSHALL");
            for (const argv of script) await runChecked(pair, argv);
            pair.assertAgreed();
          });
        }
      }
      for (const [seed, pair] of [[1, resp2], [2, resp2], [3, resp3]] as const) {
        await t.step(`1,000 seeded random commands, seed ${seed} (${pair.label})`, async () => {
          await pair.run("FLUSHALL");
          const commands = randomCommands(seed, 1000);
          for (const [index, argv] of commands.entries()) {
            try {
              await runChecked(pair, argv);
              pair.assertAgreed();
            } catch (error) {
              const history = commands.slice(Math.max(0, index - 10), index)
                .map((previous) => `    ${JSON.stringify(previous)}`).join("\n");
              throw new Error(
                `Seed ${seed}, command #${index}; the commands before it:\n${history}\n${
                  (error as Error).message
                }`,
              );
            }
          }
        });
      }
    } finally {
      for (const pair of pairs) pair.close();
      await Promise.all([redis.stop(), kache.stop()]);
    }
  },
});
