/**
 * Differential tests: the same command sequences go to Debian's redis-server
 * (7.0, the reference) and to Kache over raw RESP, and the replies must be
 * byte-for-byte identical — error texts included — except for these
 * intentional differences, which are normalized and nothing else:
 *
 * 1. Scores. Redis 7.0 formats doubles with %.17g ("1.1000000000000001"),
 *    Kache with the shortest round-trip form ("1.1") as Redis ≥ 7.2 does.
 *    For ZSCORE, ZMSCORE, ZINCRBY, ZADD … INCR, ZPOPMIN/ZPOPMAX, ZMPOP and
 *    any command with WITHSCORES, a bulk string (RESP2) or double (RESP3)
 *    that parses as a number on both sides is compared as a number.
 *    Inside EXEC each reply is normalized by the command queued at its place.
 *    (INCRBYFLOAT is NOT normalized: Kache emulates Redis's long double
 *    arithmetic and formatting, so its replies must match byte for byte.)
 * 2. TTL, PTTL, EXPIRETIME, PEXPIRETIME after a relative expire: the two
 *    servers receive the command a few milliseconds apart, so non-negative
 *    results may differ by 1 (s) or 1000 (ms). -1 and -2 must match exactly.
 * 3. KEYS, and SCAN/ZSCAN when both servers finish in one call (cursor 0):
 *    the order is the hash table's (unspecified in Redis); compared sorted,
 *    ZSCAN as (member, numeric score) pairs.
 * 4. HELLO: the `version` (7.0.15 vs Kache's advertised one) and the client
 *    `id` values are not compared; every other field and the shape are.
 * 5. (tests/e2e/differential_hash_set_test.ts) whole hashes and sets compared
 *    as sorted multisets.
 * 6. XPENDING and XINFO: integers (idle times, seen and delivery times) may
 *    differ by up to 1.5 s; everything else, shape included, must match.
 *
 * Not compared at all: commands with random results (RANDOMKEY, ZRANDMEMBER,
 * SCAN cursors), introspection (INFO, OBJECT, COMMAND DOCS), and lex ranges
 * over sets whose scores differ, which Redis documents as unspecified (the
 * random generator keeps lex ranges on all-zero-score sets). Also left out:
 * Kache's documented limit on multibulk headers over its argument limit,
 * which Redis accepts up to INT_MAX. The random commands move between
 * databases 0 and 1 (SELECT, MOVE, COPY … DB, SWAPDB); the database commands
 * in depth are in tests/e2e/differential_databases_test.ts.
 */
import assert from "node:assert/strict";
import { type Argv, Pair, Picker, show, transcript } from "../support/differential.ts";
import { startRedis } from "../support/redis_process.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { startServer } from "../support/server_process.ts";

/** Far in the future, so absolute expiry times never pass during a test. */
const FAR_SECONDS = String(Math.floor(Date.now() / 1000) + 10 * 365 * 24 * 3600);
const FAR_MILLISECONDS = `${FAR_SECONDS}123`;
const ALL_BYTES = Array.from({ length: 256 }, (_, byte) => String.fromCharCode(byte)).join("");

// ---------------------------------------------------------------------------
// The seeded random command generator.

/**
 * String keys and zset keys mostly stay apart, so most commands reach their
 * real logic. Lex keys hold sorted sets whose scores are all 0: Redis leaves
 * lex ranges over mixed scores unspecified, so only lex keys get lex ranges,
 * and only writes that keep every score 0 go to them.
 */
const STRING_KEYS = ["s0", "s1", "s2", "s3"];
const ZSET_KEYS = ["z0", "z1", "z2", "z3"];
const LEX_KEYS = ["l0", "l1"];
const ALL_KEYS = [...STRING_KEYS, ...ZSET_KEYS, ...LEX_KEYS];
const MEMBERS = ["a", "b", "c", "d", "e", "f", "", "\x00\xff"];
const VALUES = ["1", "-5", "abc", "", "10.5", "9223372036854775807", "x y", "\x00\xff", "0", "7"];
const INTEGERS = ["0", "1", "-1", "2", "3", "-2", "10", "100", "-100"];
const BAD_INTEGERS = [
  "abc",
  "1.5",
  "",
  "9223372036854775807",
  "-9223372036854775808",
  "99999999999999999999",
  " 1",
  "01",
  "+1",
];
const SCORES = [
  "0",
  "1",
  "-1",
  "2",
  "0.5",
  "-2.5",
  "1e2",
  "3.25",
  "inf",
  "-inf",
  "+inf",
  "-0",
  "1.1",
  "0.1",
];
const BAD_SCORES = ["nan", "abc", "", "1e400", "(1", "1x"];
const FLOAT_INCREMENTS = [
  "0.1",
  "0.5",
  "-1.25",
  "3",
  "1e2",
  "-0.75",
  "10",
  "-3",
  "3.3333333333333333",
  "1e20",
  "1e-5",
  "1e400",
  "0x10",
];
const BAD_FLOAT_INCREMENTS = ["abc", "inf", "", "nan", "1e5000"];
const SCORE_BOUNDS = ["-inf", "+inf", "0", "1", "(1", "2", "(2.5", "5", "inf", "-1", "(-inf"];
const BAD_SCORE_BOUNDS = ["abc", "(", "nan", "[1"];
const LEX_BOUNDS = ["-", "+", "[a", "(b", "[c", "(e", "[\x00\xff", "[", "("];
const BAD_LEX_BOUNDS = ["a", "", "*"];
/**
 * The two servers see each command at slightly different times, so relative
 * expiry must not decide a reply. Positive TTLs are long (at least 100 s), so
 * no key expires during a run; and GT/LT, which compare expiry times to the
 * millisecond, only come with absolute times (EXPIREAT, PEXPIREAT), which both
 * servers receive identically. Relative ones differ by at least 900 s.
 */
const TTLS = ["100", "1000", "5000", "-1", "0"];
const BAD_TTLS = ["abc", "9223372036854775807", "1.5"];
const FAR = Number(FAR_SECONDS);
/** Absolute expiry times in seconds: far ahead (close to each other), or past. */
const EXPIRE_AT = [String(FAR), String(FAR - 1000), String(FAR + 1000), "1", "-1"];

type Generator = (pick: Picker) => string[];

/** A valid pick most of the time, an invalid one with probability `invalid`. */
function arg(p: Picker, valid: readonly string[], bad: readonly string[], invalid = 0.08): string {
  return p.chance(invalid) ? p.one(bad) : p.one(valid);
}
function stringKey(p: Picker): string {
  return p.chance(0.9) ? p.one(STRING_KEYS) : p.one(ALL_KEYS);
}
/** A key for a write that may set any score: never a lex key. */
function zsetKey(p: Picker): string {
  return p.chance(0.9) ? p.one(ZSET_KEYS) : p.one([...STRING_KEYS, ...ZSET_KEYS]);
}
/** A key for a read or a removal, which any sorted set may take. */
function anyZsetKey(p: Picker): string {
  return p.chance(0.9) ? p.one([...ZSET_KEYS, ...LEX_KEYS]) : p.one(ALL_KEYS);
}
/** A key for a lex range: a lex key, now and then a string key or a missing one. */
function lexKey(p: Picker): string {
  return p.chance(0.9) ? p.one(LEX_KEYS) : p.one([...STRING_KEYS, "missing"]);
}
const integer = (p: Picker) => arg(p, INTEGERS, BAD_INTEGERS);
const score = (p: Picker) => arg(p, SCORES, BAD_SCORES, 0.04);

const STRING_COMMANDS: Generator[] = [
  (p) => {
    const argv = ["SET", stringKey(p), p.one(VALUES)];
    if (p.chance(0.4)) {
      argv.push(...p.some(["NX", "XX", "GET", "KEEPTTL", "EX", "1000", "PX", "100000", "BAD"], 2));
    }
    return argv;
  },
  (p) => ["GET", stringKey(p)],
  (p) => ["GETDEL", stringKey(p)],
  (
    p,
  ) => [
    "GETEX",
    stringKey(p),
    ...(p.chance(0.5) ? p.some(["PERSIST", "EX", "1000", "BAD"], 2) : []),
  ],
  (p) => ["APPEND", stringKey(p), p.one(VALUES)],
  (p) => ["STRLEN", stringKey(p)],
  (p) => [p.one(["INCR", "DECR"]), stringKey(p)],
  (p) => [p.one(["INCRBY", "DECRBY"]), stringKey(p), integer(p)],
  (p) => ["INCRBYFLOAT", stringKey(p), arg(p, FLOAT_INCREMENTS, BAD_FLOAT_INCREMENTS)],
  (p) => ["GETRANGE", stringKey(p), integer(p), integer(p)],
  (p) => ["SETRANGE", stringKey(p), arg(p, ["0", "1", "3", "10"], ["-1", "abc"]), p.one(VALUES)],
  (
    p,
  ) => [
    p.one(["MSET", "MSETNX"]),
    ...p.some(STRING_KEYS, 3).flatMap((key) => [key, p.one(VALUES)]),
  ],
  (p) => ["MGET", ...p.some(ALL_KEYS, 4)],
  (p) => ["SET", stringKey(p), arg(p, INTEGERS, BAD_INTEGERS, 0.3)],
];

const KEY_COMMANDS: Generator[] = [
  (p) => [p.one(["DEL", "EXISTS", "TOUCH", "UNLINK"]), ...p.some(ALL_KEYS, 3)],
  (p) => ["TYPE", p.one(ALL_KEYS)],
  (p) => {
    const keys = p.one([STRING_KEYS, ZSET_KEYS, LEX_KEYS]);
    return [p.one(["RENAME", "RENAMENX"]), p.one(keys), p.one(keys)];
  },
  (p) => {
    const keys = p.one([STRING_KEYS, ZSET_KEYS, LEX_KEYS]);
    return ["COPY", p.one(keys), p.one(keys), ...(p.chance(0.5) ? ["REPLACE"] : [])];
  },
  (p) => {
    const milliseconds = p.chance(0.5);
    const ttl = arg(p, TTLS, BAD_TTLS);
    return [
      milliseconds ? "PEXPIRE" : "EXPIRE",
      p.one(ALL_KEYS),
      milliseconds && Number(ttl) > 0 ? `${ttl}000` : ttl,
      ...(p.chance(0.4) ? p.some(["NX", "XX"], 2) : []),
    ];
  },
  (p) => {
    const milliseconds = p.chance(0.5);
    const at = arg(p, EXPIRE_AT, BAD_TTLS);
    return [
      milliseconds ? "PEXPIREAT" : "EXPIREAT",
      p.one(ALL_KEYS),
      milliseconds && Number(at) > 1 ? `${at}000` : at,
      ...(p.chance(0.6) ? p.some(["NX", "XX", "GT", "LT"], 2) : []),
    ];
  },
  (p) => [p.one(["TTL", "PTTL", "PERSIST", "EXPIRETIME", "PEXPIRETIME"]), p.one(ALL_KEYS)],
  (p) => ["KEYS", p.one(["*", "s[0-2]", "z?", "*1", "nothing"])],
  (p) => ["SELECT", arg(p, ["0", "1"], ["16", "x"])],
  (p) => ["MOVE", p.one(ALL_KEYS), arg(p, ["0", "1"], ["16", "x"])],
  (p) => {
    const keys = p.one([STRING_KEYS, ZSET_KEYS, LEX_KEYS]);
    return ["COPY", p.one(keys), p.one(keys), "DB", arg(p, ["0", "1"], ["16"])];
  },
  () => ["SWAPDB", "0", "1"],
  () => ["DBSIZE"],
];

/** Bounds that usually make a non-empty range: [low picks, high picks, every pick, bad picks]. */
const RANGE_BOUNDS = {
  rank: [["0", "1", "-3", "-2"], ["-1", "2", "3", "10"], INTEGERS, BAD_INTEGERS],
  score: [
    ["-inf", "0", "1", "(1", "(-inf"],
    ["+inf", "2", "(2.5", "5", "inf"],
    SCORE_BOUNDS,
    BAD_SCORE_BOUNDS,
  ],
  lex: [["-", "[a", "(b", "["], ["+", "[c", "(e", "[\xff"], LEX_BOUNDS, BAD_LEX_BOUNDS],
} as const;

/** ZRANGE or ZRANGESTORE by rank, score or lex, usually low to high (high to low with REV). */
function rangeCommand(p: Picker, name: string): string[] {
  const kind = p.one(["rank", "score", "lex"] as const);
  const argv = [name];
  // A lex range stores all-zero scores, so its destination may be a lex key.
  if (name === "ZRANGESTORE") argv.push(kind === "lex" ? lexKey(p) : zsetKey(p));
  argv.push(kind === "lex" ? lexKey(p) : anyZsetKey(p));
  const [low, high, every, bad] = RANGE_BOUNDS[kind];
  const reverse = p.chance(0.3);
  if (p.chance(0.75)) {
    const bounds = [p.one(low), p.one(high)];
    // Ranks stay low to high with REV; score and lex bounds swap.
    argv.push(...(reverse && kind !== "rank" ? bounds.reverse() : bounds));
  } else {
    argv.push(arg(p, every, bad, 0.2), arg(p, every, bad, 0.2));
  }
  if (kind === "score" && p.chance(0.95)) argv.push("BYSCORE");
  if (kind === "lex" && p.chance(0.95)) argv.push("BYLEX");
  if (reverse) argv.push("REV");
  if (kind !== "rank" && p.chance(0.3)) {
    argv.push("LIMIT", p.one(["0", "1", "-1", "2"]), p.one(["1", "2", "-1", "0", "10"]));
  }
  if (name === "ZRANGE" && kind !== "lex" && p.chance(0.4)) argv.push("WITHSCORES");
  return argv;
}

function combineCommand(p: Picker): string[] {
  const name = p.one(["ZUNION", "ZINTER", "ZDIFF", "ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]);
  const inputs = Array.from({ length: 1 + p.int(3) }, () => anyZsetKey(p));
  const argv = [name, ...(name.endsWith("STORE") ? [zsetKey(p)] : [])];
  argv.push(String(p.chance(0.95) ? inputs.length : p.int(5)), ...inputs);
  if (name !== "ZDIFF" && name !== "ZDIFFSTORE" && p.chance(0.3)) {
    argv.push("WEIGHTS", ...inputs.map(() => arg(p, ["1", "2", "-1", "0.5", "0"], ["x"])));
  }
  if (name !== "ZDIFF" && name !== "ZDIFFSTORE" && p.chance(0.3)) {
    argv.push("AGGREGATE", arg(p, ["SUM", "MIN", "MAX"], ["AVG"]));
  }
  if (!name.endsWith("STORE") && p.chance(0.5)) argv.push("WITHSCORES");
  return argv;
}

function zadd(p: Picker): string[] {
  return [
    "ZADD",
    zsetKey(p),
    ...(p.chance(0.3) ? p.some(["NX", "XX", "GT", "LT", "CH", "INCR"], 2) : []),
    ...Array.from({ length: 1 + p.int(3) }, () => [score(p), p.one(MEMBERS)]).flat(),
  ];
}

function zaddLex(p: Picker): string[] {
  return [
    "ZADD",
    lexKey(p),
    ...(p.chance(0.3) ? p.some(["NX", "XX", "CH"], 2) : []),
    ...p.some(MEMBERS, 4).flatMap((member) => ["0", member]),
  ];
}

/** Writers appear more than once, so the sets are seldom empty when read. */
const ZSET_COMMANDS: Generator[] = [
  zadd,
  zadd,
  zadd,
  zaddLex,
  zaddLex,
  (p) => ["ZADD", zsetKey(p), p.one(SCORES), p.one(MEMBERS), p.one(SCORES), p.one(MEMBERS)],
  (p) => ["ZSCORE", anyZsetKey(p), p.one(MEMBERS)],
  (p) => ["ZMSCORE", anyZsetKey(p), ...p.some(MEMBERS, 3)],
  (p) => ["ZINCRBY", zsetKey(p), score(p), p.one(MEMBERS)],
  (p) => ["ZCARD", anyZsetKey(p)],
  (p) => [p.one(["ZRANK", "ZREVRANK"]), anyZsetKey(p), p.one(MEMBERS)],
  (p) => ["ZCOUNT", anyZsetKey(p), ...[1, 2].map(() => arg(p, SCORE_BOUNDS, BAD_SCORE_BOUNDS))],
  (p) => ["ZLEXCOUNT", lexKey(p), ...[1, 2].map(() => arg(p, LEX_BOUNDS, BAD_LEX_BOUNDS))],
  (p) => rangeCommand(p, "ZRANGE"),
  (p) => rangeCommand(p, "ZRANGE"),
  (p) => [
    p.one(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]),
    anyZsetKey(p),
    ...[1, 2].map(() => arg(p, SCORE_BOUNDS, BAD_SCORE_BOUNDS)),
    ...(p.chance(0.4) ? ["WITHSCORES"] : []),
    ...(p.chance(0.3) ? ["LIMIT", p.one(["0", "1", "-1"]), p.one(["1", "2", "-1"])] : []),
  ],
  (p) => [
    p.one(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]),
    lexKey(p),
    ...[1, 2].map(() => arg(p, LEX_BOUNDS, BAD_LEX_BOUNDS)),
    ...(p.chance(0.3) ? ["LIMIT", p.one(["0", "1", "-1"]), p.one(["1", "2", "-1"])] : []),
  ],
  (p) => [
    "ZREVRANGE",
    anyZsetKey(p),
    integer(p),
    integer(p),
    ...(p.chance(0.4) ? ["WITHSCORES"] : []),
  ],
];

/** Commands that shrink or overwrite sets: picked less often than the rest. */
const ZSET_SHRINKERS: Generator[] = [
  (p) => ["ZREM", anyZsetKey(p), ...p.some(MEMBERS, 2)],
  (p) => rangeCommand(p, "ZRANGESTORE"),
  (p) => [
    p.one(["ZPOPMIN", "ZPOPMAX"]),
    anyZsetKey(p),
    ...(p.chance(0.5) ? [arg(p, ["0", "1", "2", "5"], ["-1", "x"])] : []),
  ],
  (p) => ["ZREMRANGEBYRANK", anyZsetKey(p), integer(p), integer(p)],
  (p) => [
    "ZREMRANGEBYSCORE",
    anyZsetKey(p),
    ...[1, 2].map(() => arg(p, SCORE_BOUNDS, BAD_SCORE_BOUNDS)),
  ],
  (p) => ["ZREMRANGEBYLEX", lexKey(p), ...[1, 2].map(() => arg(p, LEX_BOUNDS, BAD_LEX_BOUNDS))],
  combineCommand,
];

/** What the generator's keys named in `argv` hold on `client`'s server, for failure messages. */
async function describeKeys(client: RawRespClient, argv: Argv): Promise<string> {
  const lines: string[] = [];
  for (const key of new Set(argv.filter((arg) => ALL_KEYS.includes(arg)))) {
    const type = (await client.send(["TYPE", key])).reply;
    const kind = type.type === "status" ? type.value : "?";
    const content = kind === "zset"
      ? await client.send(["ZRANGE", key, "0", "-1", "WITHSCORES"])
      : kind === "string"
      ? await client.send(["GET", key])
      : undefined;
    lines.push(`    ${key} (${kind}): ${content === undefined ? "" : show(content.raw)}`);
  }
  return lines.join("\n");
}

/** `count` random commands from `seed`: half on sorted sets, the rest strings and key commands. */
function randomCommands(seed: number, count: number): string[][] {
  const p = new Picker(seed);
  const commands: string[][] = [];
  for (let i = 0; i < count; i++) {
    const family = p.chance(0.5)
      ? (p.chance(0.8) ? ZSET_COMMANDS : ZSET_SHRINKERS)
      : p.chance(0.7)
      ? STRING_COMMANDS
      : KEY_COMMANDS;
    const argv = p.one(family)(p);
    // Now and then drop the last argument, for arity and syntax errors.
    if (p.chance(0.02) && argv.length > 1) argv.pop();
    if (p.chance(0.01)) argv[0] = argv[0]!.toLowerCase();
    commands.push(argv);
  }
  return commands;
}

// ---------------------------------------------------------------------------

Deno.test({
  name: "Redis and Kache reply identically to the same commands",
  async fn(t) {
    const redis = await startRedis();
    const kache = await startServer().catch(async (error) => {
      await redis.stop();
      throw error;
    });
    /** Connections opened for the current step besides the main one, closed when it ends. */
    let extra: Pair[] = [];
    const open = async (label: string) => {
      const pair = await Pair.open(redis.port, kache.respPort, label);
      extra.push(pair);
      return pair;
    };
    let main: Pair | undefined;
    try {
      const c = main = await Pair.open(redis.port, kache.respPort, "client");
      /** Each step starts from empty servers and reports every disagreement it saw. */
      const step = (name: string, body: (c: Pair) => Promise<void>) =>
        t.step(name, async () => {
          try {
            await c.run("FLUSHALL");
            c.assertAgreed();
            await body(c);
            for (const pair of [c, ...extra]) pair.assertAgreed();
          } finally {
            for (const pair of extra) pair.close();
            extra = [];
          }
        });

      await step("SET with every option", async (c) => {
        await c.runAll([
          ["SET", "s", "v"],
          ["SET", "s", "v2", "NX"],
          ["GET", "s"],
          ["SET", "s", "v3", "XX"],
          ["SET", "missing", "v", "XX"],
          ["GET", "missing"],
          ["SET", "s", "v4", "GET"],
          ["SET", "s", "v5", "NX", "GET"],
          ["SET", "new", "v5", "NX", "GET"],
          ["SET", "s", "v6", "XX", "GET"],
          ["SET", "s", "1", "EX", "100"],
          ["TTL", "s"],
          ["SET", "s", "1", "PX", "100000"],
          ["PTTL", "s"],
          ["SET", "s", "1", "EXAT", FAR_SECONDS],
          ["EXPIRETIME", "s"],
          ["SET", "s", "1", "PXAT", FAR_MILLISECONDS],
          ["PEXPIRETIME", "s"],
          ["SET", "s", "2", "KEEPTTL"],
          ["PEXPIRETIME", "s"],
          ["SET", "s", "3"],
          ["TTL", "s"],
          ["set", "s", "4", "ex", "100", "get"],
          ["SET", "s", "1", "EX", "0"],
          ["SET", "s", "1", "EX", "-1"],
          ["SET", "s", "1", "PX", "0"],
          ["SET", "s", "1", "EX", "abc"],
          ["SET", "s", "1", "EX", "1.5"],
          ["SET", "s", "1", "EX", "9223372036854775807"],
          ["SET", "s", "1", "PX", "9223372036854775807"],
          ["SET", "s", "1", "EXAT", "9223372036854775807"],
          ["SET", "s", "1", "EX"],
          ["SET", "s", "1", "EX", "10", "PX", "10"],
          ["SET", "s", "1", "KEEPTTL", "EX", "10"],
          ["SET", "s", "1", "NX", "XX"],
          ["SET", "s", "1", "FOO"],
          ["SET", "s"],
          ["SET", "s", "1", "NX", "NX"],
          ["ZADD", "z", "1", "a"],
          ["SET", "z", "x", "GET"],
          ["TYPE", "z"],
          ["SET", "z", "x"],
          ["TYPE", "z"],
          ["SET", "bin", ALL_BYTES],
          ["GET", "bin"],
          ["STRLEN", "bin"],
          ["SET", ALL_BYTES, "binary key"],
          ["GET", ALL_BYTES],
          ["SETNX", "s", "x"],
          ["SETNX", "nx", "x"],
          ["SETEX", "ex", "100", "v"],
          ["TTL", "ex"],
          ["SETEX", "ex", "0", "v"],
          ["PSETEX", "ex", "100000", "v"],
          ["PTTL", "ex"],
          ["GETSET", "ex", "w"],
          ["TTL", "ex"],
        ]);
      });

      await step("GET, GETEX and GETDEL", async (c) => {
        await c.runAll([
          ["GET", "nothing"],
          ["SET", "s", "hello"],
          ["GETEX", "s"],
          ["GETEX", "s", "EX", "100"],
          ["TTL", "s"],
          ["GETEX", "s", "PERSIST"],
          ["TTL", "s"],
          ["GETEX", "s", "PX", "100000"],
          ["PTTL", "s"],
          ["GETEX", "s", "EXAT", FAR_SECONDS],
          ["EXPIRETIME", "s"],
          ["GETEX", "s", "PXAT", FAR_MILLISECONDS],
          ["PEXPIRETIME", "s"],
          ["GETEX", "s", "EX", "0"],
          ["GETEX", "s", "EX", "-5"],
          ["GETEX", "s", "EX", "abc"],
          ["GETEX", "s", "EX", "10", "PX", "10"],
          ["GETEX", "s", "PERSIST", "EX", "10"],
          ["GETEX", "s", "EX", "10", "PERSIST"],
          ["GETEX", "s", "FOO"],
          ["GETEX", "s", "EX"],
          ["GETEX", "nothing", "EX", "10"],
          ["GETEX", "nothing"],
          ["GETEX"],
          ["GETDEL", "s"],
          ["GETDEL", "s"],
          ["EXISTS", "s"],
          ["ZADD", "z", "1", "a"],
          ["GET", "z"],
          ["GETEX", "z"],
          ["GETDEL", "z"],
          ["GETDEL", "a", "b"],
        ]);
      });

      await step("MSET, MGET and MSETNX", async (c) => {
        await c.runAll([
          ["MSET", "a", "1", "b", "2", "c", "3"],
          ["MGET", "a", "b", "c", "missing"],
          ["ZADD", "z", "1", "m"],
          ["MGET", "a", "z", "b"],
          ["MSET", "a"],
          ["MSET", "a", "1", "b"],
          ["MSET", "a", "x", "a", "y"],
          ["GET", "a"],
          ["MSETNX", "a", "1", "d", "4"],
          ["EXISTS", "d"],
          ["MSETNX", "d", "4", "e", "5"],
          ["MGET", "d", "e"],
          ["MSETNX", "d"],
          ["MSETNX", "z", "1"],
          ["MSET", "z", "now a string"],
          ["TYPE", "z"],
          ["MGET"],
        ]);
      });

      await step("INCR family, overflow and parse errors", async (c) => {
        await c.runAll([
          ["INCR", "n"],
          ["INCR", "n"],
          ["DECR", "n"],
          ["DECR", "fresh"],
          ["INCRBY", "n", "10"],
          ["INCRBY", "n", "-20"],
          ["DECRBY", "n", "5"],
          ["DECRBY", "n", "-5"],
          ["GET", "n"],
          ["INCRBY", "n", "abc"],
          ["INCRBY", "n", "1.5"],
          ["INCRBY", "n", ""],
          ["INCRBY", "n", "+1"],
          ["INCRBY", "n", "01"],
          ["INCRBY", "n", " 1"],
          ["INCRBY", "n", "9223372036854775808"],
          ["SET", "s", "abc"],
          ["INCR", "s"],
          ["SET", "s", "1.0"],
          ["INCR", "s"],
          ["SET", "s", " 1"],
          ["INCR", "s"],
          ["SET", "s", "-0"],
          ["INCR", "s"],
          ["SET", "s", ""],
          ["INCR", "s"],
          ["SET", "max", "9223372036854775807"],
          ["INCR", "max"],
          ["INCRBY", "max", "1"],
          ["DECRBY", "max", "-1"],
          ["DECR", "max"],
          ["INCRBY", "max", "0"],
          ["SET", "min", "-9223372036854775808"],
          ["DECR", "min"],
          ["DECRBY", "min", "1"],
          ["INCRBY", "min", "-1"],
          ["DECRBY", "min", "-9223372036854775808"],
          ["INCRBY", "min", "9223372036854775807"],
          ["SET", "min", "-9223372036854775809"],
          ["INCR", "min"],
          ["SET", "big", "9007199254740993"],
          ["INCR", "big"],
          ["INCRBY", "big", "9007199254740993"],
          ["DECRBY", "big", "9007199254740995"],
          ["INCRBY", "big", "-9223372036854775807"],
          ["SET", "big", "4611686018427387904"],
          ["INCRBY", "big", "4611686018427387903"],
          ["INCRBY", "big", "1"],
          ["ZADD", "z", "1", "a"],
          ["INCR", "z"],
          ["DECRBY", "z", "1"],
          ["INCR"],
          ["INCRBY", "n"],
          ["INCR", "n", "n"],
        ]);
      });

      await step("INCRBYFLOAT", async (c) => {
        await c.runAll([
          ["INCRBYFLOAT", "f", "0.5"],
          ["INCRBYFLOAT", "f", "1.25"],
          ["INCRBYFLOAT", "f", "-10"],
          ["INCRBYFLOAT", "f", "5.0e3"],
          ["INCRBYFLOAT", "f", "1e2"],
          ["GET", "f"],
          ["INCRBYFLOAT", "f", "abc"],
          ["INCRBYFLOAT", "f", ""],
          ["INCRBYFLOAT", "f", "inf"],
          ["INCRBYFLOAT", "f", "-inf"],
          ["INCRBYFLOAT", "f", "nan"],
          ["INCRBYFLOAT", "f", "1 "],
          ["INCRBYFLOAT", "tenth", "0.1"],
          ["INCRBYFLOAT", "tenth", "0.1"],
          ["INCRBYFLOAT", "tenth", "0.1"],
          ["INCRBYFLOAT", "tenth", "0.2"],
          ["INCRBYFLOAT", "third", "3.3333333333333333"],
          ["INCRBYFLOAT", "third", "1.5e-5"],
          ["INCRBYFLOAT", "third", "1e30"],
          ["INCRBYFLOAT", "long", "1e400"],
          ["GET", "long"],
          ["INCRBYFLOAT", "long", "1e4933"],
          ["INCRBYFLOAT", "long", "1e-400"],
          ["INCRBYFLOAT", "hex", "0x10"],
          ["INCRBYFLOAT", "hex", "0x1p-3"],
          ["INCRBYFLOAT", "big", "123456789012345678901234567890"],
          ["INCRBYFLOAT", "small", "1.23456789012345678901234567890e-10"],
          ["INCRBYFLOAT", "small", "infinity"],
          ["SET", "i", "10"],
          ["INCRBYFLOAT", "i", "0.5"],
          ["GET", "i"],
          ["INCRBYFLOAT", "i", "-0.5"],
          ["GET", "i"],
          ["INCRBYFLOAT", "i", "1e20"],
          ["GET", "i"],
          ["SET", "s", "abc"],
          ["INCRBYFLOAT", "s", "1"],
          ["SET", "s", "1e3"],
          ["INCRBYFLOAT", "s", "1"],
          ["SET", "big", "1e308"],
          ["INCRBYFLOAT", "big", "1e308"],
          ["GET", "big"],
          ["INCRBYFLOAT", "zero", "0"],
          ["INCRBYFLOAT", "zero", "-0"],
          ["GET", "zero"],
          ["ZADD", "z", "1", "a"],
          ["INCRBYFLOAT", "z", "1"],
          ["INCRBYFLOAT", "f"],
        ]);
      });

      await step("APPEND, STRLEN, GETRANGE and SETRANGE", async (c) => {
        await c.runAll([
          ["APPEND", "s", "Hello"],
          ["APPEND", "s", " World"],
          ["APPEND", "s", ""],
          ["STRLEN", "s"],
          ["STRLEN", "missing"],
          ["GETRANGE", "s", "0", "-1"],
          ["GETRANGE", "s", "0", "4"],
          ["GETRANGE", "s", "-5", "-1"],
          ["GETRANGE", "s", "-3", "-5"],
          ["GETRANGE", "s", "5", "2"],
          ["GETRANGE", "s", "-100", "100"],
          ["GETRANGE", "s", "100", "200"],
          ["GETRANGE", "s", "-1", "-1"],
          ["GETRANGE", "s", "3", "-100"],
          ["GETRANGE", "s", "0", "0"],
          ["GETRANGE", "s", "a", "1"],
          ["GETRANGE", "missing", "0", "-1"],
          ["SUBSTR", "s", "1", "3"],
          ["SETRANGE", "s", "6", "Redis"],
          ["GET", "s"],
          ["SETRANGE", "s", "20", "!"],
          ["GET", "s"],
          ["SETRANGE", "pad", "5", "ab"],
          ["GET", "pad"],
          ["SETRANGE", "empty", "0", ""],
          ["EXISTS", "empty"],
          ["SETRANGE", "empty", "10", ""],
          ["EXISTS", "empty"],
          ["SETRANGE", "s", "-1", "x"],
          ["SETRANGE", "s", "abc", "x"],
          ["SETRANGE", "s", "536870912", "x"],
          ["SETRANGE", "s", "536870911", ""],
          ["SET", "n", "12"],
          ["APPEND", "n", "3"],
          ["INCR", "n"],
          ["SETRANGE", "n", "0", "9"],
          ["GET", "n"],
          ["SET", "bin", ALL_BYTES],
          ["GETRANGE", "bin", "120", "140"],
          ["SETRANGE", "bin", "250", "\xff\x00\r\n"],
          ["GET", "bin"],
          ["APPEND", "bin", "\x00"],
          ["ZADD", "z", "1", "a"],
          ["APPEND", "z", "x"],
          ["STRLEN", "z"],
          ["GETRANGE", "z", "0", "1"],
          ["SETRANGE", "z", "0", "x"],
        ]);
      });

      await step("DEL, EXISTS, TYPE, TOUCH and KEYS", async (c) => {
        await c.runAll([
          ["MSET", "a", "1", "b", "2", "ab", "3", "abc", "4", "x*y", "5", "", "6"],
          ["ZADD", "z", "1", "m"],
          ["EXISTS", "a", "a", "b", "missing"],
          ["EXISTS", ""],
          ["TYPE", "a"],
          ["TYPE", "z"],
          ["TYPE", "missing"],
          ["TOUCH", "a", "z", "missing"],
          ["KEYS", "*"],
          ["KEYS", "a*"],
          ["KEYS", "?"],
          ["KEYS", "a?c"],
          ["KEYS", "[ab]"],
          ["KEYS", "[^a]*"],
          ["KEYS", "[a-b]b*"],
          ["KEYS", "x\\*y"],
          ["KEYS", "*\\"],
          ["KEYS", "nothing"],
          ["DEL", "a", "b", "missing", "a"],
          ["DEL", "missing"],
          ["UNLINK", "ab", "z"],
          ["KEYS", "*"],
          ["DBSIZE"],
          ["DEL"],
          ["EXISTS"],
          ["TYPE"],
          ["KEYS"],
        ]);
      });

      await step("RENAME, RENAMENX and COPY", async (c) => {
        await c.runAll([
          ["SET", "a", "1"],
          ["EXPIRE", "a", "1000"],
          ["RENAME", "a", "b"],
          ["EXISTS", "a"],
          ["TTL", "b"],
          ["GET", "b"],
          ["RENAME", "missing", "x"],
          ["RENAME", "b", "b"],
          ["RENAME", "missing", "missing"],
          ["SET", "c", "3"],
          ["RENAMENX", "b", "c"],
          ["RENAMENX", "b", "d"],
          ["RENAMENX", "d", "d"],
          ["RENAMENX", "missing", "e"],
          ["ZADD", "z", "1", "a", "2", "b"],
          ["RENAME", "z", "c"],
          ["TYPE", "c"],
          ["ZRANGE", "c", "0", "-1"],
          ["COPY", "c", "z2"],
          ["ZRANGE", "z2", "0", "-1"],
          ["ZADD", "z2", "3", "c"],
          ["ZCARD", "c"],
          ["COPY", "c", "z2"],
          ["COPY", "c", "z2", "REPLACE"],
          ["ZCARD", "z2"],
          ["COPY", "missing", "x"],
          ["COPY", "d", "d"],
          ["COPY", "d", "d2", "DB", "0"],
          ["COPY", "d", "d3", "REPLACE", "REPLACE"],
          ["COPY", "d", "d4", "FOO"],
          ["COPY", "d", "d5", "DB"],
          ["COPY", "d", "d5", "DB", "x"],
          ["SET", "t", "v", "EX", "1000"],
          ["COPY", "t", "t2"],
          ["TTL", "t2"],
          ["KEYS", "*"],
          ["RENAME", "a"],
          ["COPY", "a"],
        ]);
      });

      await step("EXPIRE family with NX, XX, GT and LT; TTL, PTTL and PERSIST", async (c) => {
        await c.runAll([
          ["SET", "k", "v"],
          ["TTL", "k"],
          ["PTTL", "k"],
          ["EXPIRETIME", "k"],
          ["TTL", "missing"],
          ["PTTL", "missing"],
          ["PEXPIRETIME", "missing"],
          ["EXPIRE", "k", "100", "XX"],
          ["EXPIRE", "k", "150", "GT"], // 100 would tie within one millisecond
          ["EXPIRE", "k", "100", "LT"],
          ["TTL", "k"],
          ["PERSIST", "k"],
          ["EXPIRE", "k", "100", "NX"],
          ["EXPIRE", "k", "200", "NX"],
          ["TTL", "k"],
          ["EXPIRE", "k", "200", "XX"],
          ["EXPIRE", "k", "50", "GT"],
          ["EXPIRE", "k", "300", "GT"],
          ["EXPIRE", "k", "400", "LT"],
          ["EXPIRE", "k", "100", "LT"],
          ["TTL", "k"],
          ["EXPIRE", "k", "100", "nx", "xx"],
          ["EXPIRE", "k", "100", "GT", "LT"],
          ["EXPIRE", "k", "100", "NX", "GT"],
          ["EXPIRE", "k", "150", "XX", "GT"], // 100 would tie within one millisecond
          ["EXPIRE", "k", "100", "FOO"],
          ["EXPIRE", "k", "abc"],
          ["EXPIRE", "k", "1.5"],
          ["EXPIRE", "k", "9223372036854775807"],
          ["PEXPIRE", "k", "9223372036854775807"],
          ["EXPIREAT", "k", "9223372036854775807"],
          ["EXPIRE", "missing", "100"],
          ["PEXPIRE", "k", "200000"],
          ["PTTL", "k"],
          ["PEXPIRE", "k", "100000", "GT"],
          ["PEXPIRE", "k", "100000", "LT"],
          ["EXPIREAT", "k", FAR_SECONDS],
          ["EXPIRETIME", "k"],
          ["EXPIREAT", "k", FAR_SECONDS, "NX"],
          ["EXPIREAT", "k", FAR_SECONDS, "GT"],
          ["PEXPIREAT", "k", FAR_MILLISECONDS],
          ["PEXPIRETIME", "k"],
          ["EXPIRETIME", "k"],
          ["PEXPIREAT", "k", FAR_MILLISECONDS, "LT"],
          ["PERSIST", "k"],
          ["PERSIST", "k"],
          ["PERSIST", "missing"],
          ["EXPIRE", "k", "100", "LT"],
          ["PERSIST", "k"],
          ["EXPIRE", "k", "-1", "GT"],
          ["EXISTS", "k"],
          ["EXPIRE", "k", "-1"],
          ["EXISTS", "k"],
          ["SET", "k", "v"],
          ["EXPIRE", "k", "0"],
          ["EXISTS", "k"],
          ["SET", "k", "v"],
          ["PEXPIREAT", "k", "1"],
          ["EXISTS", "k"],
          ["SET", "k", "v"],
          ["EXPIREAT", "k", "-1"],
          ["GET", "k"],
          ["ZADD", "z", "1", "a"],
          ["EXPIRE", "z", "100"],
          ["TTL", "z"],
          ["ZADD", "z", "2", "b"],
          ["TTL", "z"],
          ["EXPIRE", "k"],
          ["TTL"],
          ["PERSIST", "k", "k"],
        ]);
      });

      await step("ZADD options and score parsing", async (c) => {
        await c.runAll([
          ["ZADD", "z", "1", "a", "2", "b", "3", "c"],
          ["ZADD", "z", "NX", "5", "a", "4", "d"],
          ["ZADD", "z", "XX", "5", "a", "6", "e"],
          ["ZADD", "z", "CH", "7", "a", "2", "b", "8", "f"],
          ["ZADD", "z", "GT", "1", "a"],
          ["ZADD", "z", "GT", "CH", "9", "a", "1", "b"],
          ["ZADD", "z", "LT", "CH", "1", "a", "100", "b", "0", "new"],
          ["ZADD", "z", "XX", "GT", "CH", "10", "a", "0", "zz"],
          ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
          ["ZADD", "z", "INCR", "2.5", "a"],
          ["ZADD", "z", "INCR", "1", "a", "2", "b"],
          ["ZADD", "z", "NX", "INCR", "1", "a"],
          ["ZADD", "z", "XX", "INCR", "1", "missing"],
          ["ZADD", "z", "GT", "INCR", "-1", "a"],
          ["ZADD", "z", "LT", "INCR", "-1", "a"],
          ["ZADD", "z", "NX", "XX", "1", "a"],
          ["ZADD", "z", "GT", "LT", "1", "a"],
          ["ZADD", "z", "NX", "GT", "1", "a"],
          ["ZADD", "z", "NX", "LT", "1", "a"],
          ["ZADD", "z", "1", "a", "2"],
          ["ZADD", "z", "1"],
          ["ZADD", "z", "NX"],
          ["ZADD", "z", "NX", "1"],
          ["ZADD", "z", "abc", "a"],
          ["ZADD", "z", "nan", "a"],
          ["ZADD", "z", "", "a"],
          ["ZADD", "z", "1e400", "a"],
          ["ZADD", "z", "1e-400", "a"],
          ["ZADD", "z", " 1", "a"],
          ["ZADD", "z", "1 ", "a"],
          ["ZADD", "z", "0x10", "hex"],
          ["ZADD", "z", "0x1p3", "hex2"],
          ["ZSCORE", "z", "hex"],
          ["ZRANGEBYSCORE", "z", "0x1", "(0x20"],
          ["ZINCRBY", "z", "0x1", "hex"],
          ["ZUNIONSTORE", "hexu", "1", "z", "WEIGHTS", "0x2"],
          ["ZREM", "z", "hex", "hex2"],
          ["ZADD", "z", "1e-320", "denormal"],
          ["ZSCORE", "z", "denormal"],
          ["ZADD", "z", "2e-324", "underflow"],
          ["ZREM", "z", "denormal"],
          ["ZADD", "z", "1", "ok", "bad", "notadded"],
          ["ZSCORE", "z", "ok"],
          ["ZADD", "inf", "inf", "x", "-inf", "y", "+inf", "w", "-0", "zero", "1.5e2", "e"],
          ["ZRANGE", "inf", "0", "-1", "WITHSCORES"],
          ["ZINCRBY", "inf", "-inf", "x"],
          ["ZADD", "inf", "INCR", "-inf", "x"],
          ["ZADD", "inf", "INCR", "inf", "x"],
          ["ZSCORE", "inf", "x"],
          ["ZADD", "z", "1.1", "p", "0.1", "q", "3.3000000000000003", "r"],
          ["ZSCORE", "z", "p"],
          ["ZMSCORE", "z", "p", "q", "r", "missing"],
          ["ZSCORE", "z", "missing"],
          ["ZSCORE", "missing", "a"],
          ["ZMSCORE", "missing", "a", "b"],
          ["ZCARD", "z"],
          ["ZCARD", "missing"],
          ["ZREM", "z", "a", "b", "missing", "a"],
          ["ZREM", "missing", "a"],
          ["ZREM", "inf", "x", "y", "w", "zero", "e"],
          ["EXISTS", "inf"],
          ["SET", "s", "v"],
          ["ZADD", "s", "1", "a"],
          ["ZSCORE", "s", "a"],
          ["ZMSCORE", "s", "a"],
          ["ZCARD", "s"],
          ["ZREM", "s", "a"],
          ["ZADD", "z", "1", "\x00\xff\r\n"],
          ["ZSCORE", "z", "\x00\xff\r\n"],
          ["ZMSCORE", "z"],
        ]);
      });

      await step("ZRANGE in every form, and the old range commands", async (c) => {
        await c.runAll([
          ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "5", "ee", "0.5", "x"],
          ["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f", "0", "\xff"],
        ]);
        const forms: string[][] = [
          ["0", "-1"],
          ["0", "-1", "WITHSCORES"],
          ["1", "2"],
          ["-2", "-1"],
          ["-100", "100"],
          ["5", "10"],
          ["10", "5"],
          ["3", "1"],
          ["0", "-1", "REV"],
          ["0", "1", "REV", "WITHSCORES"],
          ["-inf", "+inf", "BYSCORE"],
          ["(1", "3", "BYSCORE"],
          ["1", "(3", "BYSCORE", "WITHSCORES"],
          ["(1", "(1", "BYSCORE"],
          ["5", "5", "BYSCORE"],
          ["3", "1", "BYSCORE", "REV"],
          ["+inf", "-inf", "BYSCORE", "REV", "WITHSCORES"],
          ["-inf", "+inf", "BYSCORE", "LIMIT", "1", "2"],
          ["-inf", "+inf", "BYSCORE", "LIMIT", "0", "-1"],
          ["-inf", "+inf", "BYSCORE", "LIMIT", "2", "0"],
          ["-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2"],
          ["-inf", "+inf", "BYSCORE", "LIMIT", "100", "2"],
          ["+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "3", "WITHSCORES"],
          ["abc", "1", "BYSCORE"],
          ["1", "(", "BYSCORE"],
          ["1", "nan", "BYSCORE"],
          ["0", "-1", "LIMIT", "0", "1"],
          ["0", "-1", "LIMIT", "0"],
          ["0", "-1", "BYSCORE", "BYLEX"],
          ["0", "-1", "FOO"],
          ["a", "b"],
        ];
        for (const form of forms) await c.run("ZRANGE", "z", ...form);
        const lexForms: string[][] = [
          ["-", "+", "BYLEX"],
          ["[b", "(d", "BYLEX"],
          ["(b", "[d", "BYLEX"],
          ["[b", "[b", "BYLEX"],
          ["(b", "(b", "BYLEX"],
          ["[d", "[b", "BYLEX"],
          ["+", "-", "BYLEX", "REV"],
          ["[d", "(a", "BYLEX", "REV"],
          ["-", "+", "BYLEX", "LIMIT", "2", "3"],
          ["+", "-", "BYLEX", "REV", "LIMIT", "1", "2"],
          ["-", "+", "BYLEX", "LIMIT", "0", "-1"],
          ["[e", "+", "BYLEX"],
          ["b", "d", "BYLEX"],
          ["[b", "", "BYLEX"],
          ["-", "+", "BYLEX", "WITHSCORES"],
          ["-", "-", "BYLEX"],
          ["+", "+", "BYLEX"],
        ];
        for (const form of lexForms) await c.run("ZRANGE", "lex", ...form);
        await c.runAll([
          ["ZRANGEBYSCORE", "z", "-inf", "+inf"],
          ["ZRANGEBYSCORE", "z", "2", "4", "WITHSCORES"],
          ["ZRANGEBYSCORE", "z", "(1", "+inf", "LIMIT", "1", "2"],
          ["ZRANGEBYSCORE", "z", "(1", "+inf", "WITHSCORES", "LIMIT", "1", "2"],
          ["ZRANGEBYSCORE", "z", "(1", "+inf", "LIMIT", "1"],
          ["ZRANGEBYSCORE", "z", "x", "1"],
          ["ZREVRANGEBYSCORE", "z", "+inf", "-inf"],
          ["ZREVRANGEBYSCORE", "z", "4", "(2", "WITHSCORES"],
          ["ZREVRANGEBYSCORE", "z", "-inf", "+inf"],
          ["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "0", "2"],
          ["ZRANGEBYLEX", "lex", "-", "+"],
          ["ZRANGEBYLEX", "lex", "(a", "[c", "LIMIT", "1", "5"],
          ["ZRANGEBYLEX", "lex", "a", "c"],
          ["ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES"],
          ["ZREVRANGEBYLEX", "lex", "+", "-"],
          ["ZREVRANGEBYLEX", "lex", "[e", "(b", "LIMIT", "1", "1"],
          ["ZREVRANGEBYLEX", "lex", "-", "+"],
          ["ZREVRANGE", "z", "0", "2"],
          ["ZREVRANGE", "z", "0", "2", "WITHSCORES"],
          ["ZREVRANGE", "z", "-1", "0"],
          ["ZREVRANGE", "z", "0", "2", "BYSCORE"],
          ["ZRANGE", "missing", "0", "-1"],
          ["ZRANGE", "missing", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "1"],
          ["ZRANGE", "missing", "a", "b", "BYLEX"],
          ["SET", "s", "v"],
          ["ZRANGE", "s", "0", "-1"],
          ["ZRANGEBYSCORE", "s", "0", "1"],
          ["ZRANGEBYLEX", "s", "-", "+"],
          ["ZRANGE", "z", "0"],
          ["ZRANGEBYSCORE", "z", "0"],
          ["ZREVRANGE", "z"],
        ]);
      });

      await step("ZRANGESTORE", async (c) => {
        await c.runAll([
          ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"],
          ["ZADD", "lex", "0", "a", "0", "b", "0", "c"],
          ["ZRANGESTORE", "dst", "z", "0", "-1"],
          ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
          ["ZRANGESTORE", "dst", "z", "1", "2", "REV"],
          ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
          ["ZRANGESTORE", "dst", "z", "(1", "+inf", "BYSCORE", "LIMIT", "1", "2"],
          ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
          ["ZRANGESTORE", "dst", "lex", "[b", "+", "BYLEX"],
          ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
          ["ZRANGESTORE", "dst", "lex", "+", "[b", "BYLEX", "REV", "LIMIT", "0", "1"],
          ["ZRANGE", "dst", "0", "-1"],
          ["ZRANGESTORE", "dst", "z", "10", "20"],
          ["EXISTS", "dst"],
          ["ZRANGESTORE", "dst", "missing", "0", "-1"],
          ["ZRANGESTORE", "z", "z", "0", "1"],
          ["ZRANGE", "z", "0", "-1"],
          ["ZRANGESTORE", "dst", "z", "0", "-1", "WITHSCORES"],
          ["SET", "s", "v"],
          ["ZRANGESTORE", "dst", "s", "0", "-1"],
          ["ZRANGESTORE", "s", "z", "0", "-1"],
          ["TYPE", "s"],
          ["ZRANGESTORE", "dst", "z", "0"],
        ]);
      });

      await step("ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT and ZINCRBY", async (c) => {
        await c.runAll([
          ["ZADD", "z", "1", "a", "2", "b", "3", "c", "3", "d"],
          ["ZRANK", "z", "a"],
          ["ZRANK", "z", "d"],
          ["ZRANK", "z", "missing"],
          ["ZRANK", "missing", "a"],
          ["ZREVRANK", "z", "a"],
          ["ZREVRANK", "z", "d"],
          ["ZREVRANK", "z", "missing"],
          ["ZCOUNT", "z", "-inf", "+inf"],
          ["ZCOUNT", "z", "(1", "3"],
          ["ZCOUNT", "z", "(1", "(3"],
          ["ZCOUNT", "z", "3", "1"],
          ["ZCOUNT", "z", "a", "1"],
          ["ZCOUNT", "z", "1", "(x"],
          ["ZCOUNT", "missing", "0", "1"],
          ["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"],
          ["ZLEXCOUNT", "lex", "-", "+"],
          ["ZLEXCOUNT", "lex", "[a", "(c"],
          ["ZLEXCOUNT", "lex", "(a", "[c"],
          ["ZLEXCOUNT", "lex", "+", "-"],
          ["ZLEXCOUNT", "lex", "a", "c"],
          ["ZLEXCOUNT", "missing", "-", "+"],
          ["ZINCRBY", "z", "1.5", "a"],
          ["ZINCRBY", "z", "-0.1", "a"],
          ["ZINCRBY", "z", "1", "new"],
          ["ZINCRBY", "fresh", "2", "m"],
          ["ZINCRBY", "z", "abc", "a"],
          ["ZINCRBY", "z", "nan", "a"],
          ["ZINCRBY", "z", "inf", "a"],
          ["ZINCRBY", "z", "-inf", "a"],
          ["ZINCRBY", "z", "1e400", "a"],
          ["ZSCORE", "z", "a"],
          ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
          ["SET", "s", "v"],
          ["ZRANK", "s", "a"],
          ["ZCOUNT", "s", "0", "1"],
          ["ZLEXCOUNT", "s", "-", "+"],
          ["ZINCRBY", "s", "1", "a"],
          ["ZRANK", "z"],
          ["ZINCRBY", "z", "1"],
        ]);
      });

      await step("ZPOPMIN, ZPOPMAX and ZREMRANGEBY*", async (c) => {
        await c.runAll([
          ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"],
          ["ZPOPMIN", "z"],
          ["ZPOPMAX", "z"],
          ["ZPOPMIN", "z", "2"],
          ["ZPOPMAX", "z", "0"],
          ["ZPOPMIN", "z", "-1"],
          ["ZPOPMIN", "z", "x"],
          ["ZPOPMAX", "z", "10"],
          ["EXISTS", "z"],
          ["ZPOPMIN", "missing"],
          ["ZPOPMIN", "missing", "2"],
          ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f"],
          ["ZREMRANGEBYRANK", "z", "0", "1"],
          ["ZREMRANGEBYRANK", "z", "-1", "-1"],
          ["ZREMRANGEBYRANK", "z", "5", "10"],
          ["ZREMRANGEBYRANK", "z", "x", "1"],
          ["ZRANGE", "z", "0", "-1"],
          ["ZREMRANGEBYSCORE", "z", "(3", "4"],
          ["ZREMRANGEBYSCORE", "z", "10", "1"],
          ["ZREMRANGEBYSCORE", "z", "x", "1"],
          ["ZRANGE", "z", "0", "-1"],
          ["ZREMRANGEBYSCORE", "z", "-inf", "+inf"],
          ["EXISTS", "z"],
          ["ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"],
          ["ZREMRANGEBYLEX", "lex", "[a", "(c"],
          ["ZREMRANGEBYLEX", "lex", "a", "c"],
          ["ZREMRANGEBYLEX", "lex", "+", "-"],
          ["ZRANGE", "lex", "0", "-1"],
          ["ZREMRANGEBYLEX", "lex", "-", "+"],
          ["EXISTS", "lex"],
          ["ZREMRANGEBYRANK", "missing", "0", "-1"],
          ["SET", "s", "v"],
          ["ZPOPMIN", "s"],
          ["ZREMRANGEBYRANK", "s", "0", "1"],
          ["ZREMRANGEBYSCORE", "s", "0", "1"],
          ["ZREMRANGEBYLEX", "s", "-", "+"],
          ["ZADD", "z1", "1", "a", "2", "b", "3", "c"],
          ["ZADD", "z2", "1.5", "x"],
          ["ZMPOP", "1", "z1", "MIN"],
          ["ZMPOP", "2", "missing", "z1", "MAX", "COUNT", "5"],
          ["ZMPOP", "2", "z1", "z2", "MIN", "COUNT", "1"],
          ["ZMPOP", "1", "z2", "min"],
          ["ZMPOP", "1", "missing", "MIN"],
          ["ZMPOP", "1", "z1", "MIN", "COUNT", "0"],
          ["ZMPOP", "1", "z1", "MIN", "COUNT", "-1"],
          ["ZMPOP", "1", "z1", "MIN", "COUNT"],
          ["ZMPOP", "0", "z1", "MIN"],
          ["ZMPOP", "2", "z1", "MIN"],
          ["ZMPOP", "1", "z1", "MIDDLE"],
          ["ZMPOP", "x", "z1", "MIN"],
          ["ZMPOP", "1", "s", "MIN"],
          ["ZPOPMIN", "z", "1", "2"],
          ["ZREMRANGEBYRANK", "z", "0"],
        ]);
      });

      await step(
        "ZUNION, ZINTER and ZDIFF with WEIGHTS and AGGREGATE, and their STORE forms",
        async (c) => {
          await c.runAll([
            ["ZADD", "z1", "1", "a", "2", "b", "3", "c"],
            ["ZADD", "z2", "10", "b", "20", "c", "30", "d"],
            ["ZADD", "z3", "inf", "a", "-inf", "d"],
            ["SET", "s", "v"],
          ]);
          const tails: string[][] = [
            [],
            ["WITHSCORES"],
            ["WEIGHTS", "2", "3", "WITHSCORES"],
            ["WEIGHTS", "2", "-1.5", "AGGREGATE", "MIN", "WITHSCORES"],
            ["AGGREGATE", "MAX", "WITHSCORES"],
            ["AGGREGATE", "sum", "WITHSCORES"],
            ["WEIGHTS", "1"],
            ["WEIGHTS", "1", "2", "3"],
            ["WEIGHTS", "1", "x"],
            ["AGGREGATE", "AVG"],
            ["AGGREGATE"],
            ["WITHSCORES", "WITHSCORES"],
            ["FOO"],
          ];
          for (const name of ["ZUNION", "ZINTER", "ZDIFF"]) {
            for (const tail of tails) await c.run(name, "2", "z1", "z2", ...tail);
            await c.runAll([
              [name, "2", "z1", "z3", "WITHSCORES"],
              [name, "2", "z3", "z3", "WEIGHTS", "0", "1", "WITHSCORES"],
              [name, "3", "z1", "z2", "missing", "WITHSCORES"],
              [name, "1", "missing"],
              [name, "0", "z1"],
              [name, "3", "z1", "z2"],
              [name, "-1", "z1"],
              [name, "x", "z1"],
              [name, "2", "z1", "s"],
              [name, "1"],
            ]);
            const store = `${name}STORE`;
            await c.runAll([
              [store, "dst", "2", "z1", "z2"],
              ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
              [store, "dst", "2", "z1", "z2", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX"],
              ["ZRANGE", "dst", "0", "-1", "WITHSCORES"],
              [store, "dst", "2", "z1", "z2", "WITHSCORES"],
              [store, "dst", "1", "missing"],
              ["EXISTS", "dst"],
              [store, "z1copy", "1", "z1"],
              [store, "dst", "0", "z1"],
              [store, "dst", "2", "z1", "s"],
              [store, "s", "1", "z1"],
              ["TYPE", "s"],
              ["SET", "s", "v"],
              [store, "dst", "2", "z1"],
              [store, "dst"],
            ]);
          }
          await c.runAll([
            ["ZINTERSTORE", "z1", "2", "z1", "z2"],
            ["ZRANGE", "z1", "0", "-1", "WITHSCORES"],
            ["ZINTERCARD", "2", "z1", "z2"],
            ["ZINTERCARD", "2", "z1", "z2", "LIMIT", "1"],
            ["ZINTERCARD", "0", "z1"],
          ]);
        },
      );

      await step("errors: arity, unknown commands, WRONGTYPE and syntax", async (c) => {
        await c.runAll([
          ["GET"],
          ["GET", "a", "b"],
          ["SET", "a"],
          ["ZADD", "z"],
          ["ZRANGE", "z", "0"],
          ["EXPIRE", "a"],
          ["get"],
          ["gEt"],
          ["FOO"],
          ["FOO", "bar", "baz"],
          ["foo", "x".repeat(200)],
          ["foo", "a b", "it's", "\xff\r\n"],
          ["NOSUCH", ...Array.from({ length: 30 }, (_, i) => `arg${i}`)],
          [""],
          ["ZADD", "z", "1", "a"],
          ["SET", "s", "v"],
          ["GET", "z"],
          ["INCR", "z"],
          ["APPEND", "z", "x"],
          ["ZADD", "s", "1", "a"],
          ["ZRANGE", "s", "0", "-1"],
          ["ZSCORE", "s", "a"],
          ["ZUNIONSTORE", "dst", "2", "z", "s"],
          ["SET", "s", "v", "EX"],
          ["SET", "s", "v", "PX", "x"],
          ["ZRANGE", "z", "0", "-1", "LIMIT", "1", "1"],
          ["ZRANGE", "z", "a", "b", "BYSCORE"],
          ["ZRANGE", "z", "a", "b", "BYLEX"],
          ["PING"],
          ["PING", "hello"],
          ["PING", "a", "b"],
          ["ECHO", "\x00\xff"],
          ["ECHO"],
          ["SELECT", "0"],
          ["SELECT", "x"],
          ["DBSIZE"],
          ["SELECT", "1"],
          ["DBSIZE"],
          ["GET", "s"],
          ["SELECT", "0"],
          ["EXISTS", "z", "s"],
        ]);
      });

      await step("transactions: MULTI, EXEC, DISCARD and EXECABORT", async (c) => {
        await c.runAll([
          ["EXEC"],
          ["DISCARD"],
          ["MULTI"],
          ["SET", "a", "1"],
          ["INCR", "a"],
          ["GET", "a"],
          ["ZADD", "z", "1.1", "m"],
          ["ZINCRBY", "z", "1", "m"],
          ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
          ["EXEC"],
          ["MULTI"],
          ["MULTI"],
          ["SET", "a", "2"],
          ["DISCARD"],
          ["GET", "a"],
          ["MULTI"],
          ["SET", "a"],
          ["SET", "b", "1"],
          ["EXEC"],
          ["EXISTS", "b"],
          ["MULTI"],
          ["NOSUCH", "x"],
          ["EXEC"],
          ["MULTI"],
          ["SET", "s", "abc"],
          ["INCR", "s"],
          ["ZADD", "s", "1", "a"],
          ["SET", "t", "ok"],
          ["EXEC"],
          ["GET", "t"],
          ["MULTI"],
          ["WATCH", "a"],
          ["EXEC"],
          ["MULTI"],
          ["EXEC"],
        ]);
      });

      await step("transactions: WATCH aborts EXEC when another client writes", async (c) => {
        const other = await open("second client");
        await c.runAll([["SET", "k", "1"], ["WATCH", "k"]]);
        await other.run("SET", "k", "2");
        await c.runAll([["MULTI"], ["SET", "k", "3"], ["EXEC"], ["GET", "k"]]);
        // UNWATCH forgets the watch; EXEC then runs despite the other write.
        await c.runAll([["WATCH", "k"], ["UNWATCH"]]);
        await other.run("SET", "k", "4");
        await c.runAll([["MULTI"], ["INCR", "k"], ["EXEC"]]);
        // Watching a missing key: creating it aborts.
        await c.run("WATCH", "fresh");
        await other.run("ZADD", "fresh", "1", "a");
        await c.runAll([["MULTI"], ["ZADD", "fresh", "2", "b"], ["EXEC"], ["ZCARD", "fresh"]]);
        // A write by the watching client itself before MULTI also aborts.
        await c.runAll([["WATCH", "k"], ["SET", "k", "self"], ["MULTI"], ["GET", "k"], ["EXEC"]]);
        // A read-only touch by another client does not.
        await c.run("WATCH", "k");
        await other.runAll([["GET", "k"], ["EXISTS", "k"]]);
        await c.runAll([["MULTI"], ["GET", "k"], ["EXEC"]]);
        // Deleting a watched key aborts.
        await c.run("WATCH", "k");
        await other.run("DEL", "k");
        await c.runAll([["MULTI"], ["GET", "k"], ["EXEC"]]);
        // EXEC after an abort also forgot the watch: the next transaction runs.
        await c.runAll([["MULTI"], ["SET", "k", "x"], ["EXEC"]]);
        // Flushing the keyspace aborts a watching transaction only when the key existed.
        await c.run("WATCH", "k");
        await other.run("FLUSHALL");
        await c.runAll([["MULTI"], ["GET", "k"], ["EXEC"]]);
      });

      await step("LCS", async (c) => {
        await c.runAll([
          [
            "MSET",
            "k1",
            "ohmytext",
            "k2",
            "mynewtext",
            "bin1",
            "\x00\xff\x01x",
            "bin2",
            "x\x00\x01",
          ],
          ["LCS", "k1", "k2"],
          ["LCS", "k1", "k2", "LEN"],
          ["LCS", "k1", "k2", "IDX"],
          ["LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4"],
          ["LCS", "k1", "k2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"],
          ["LCS", "k1", "k2", "IDX", "WITHMATCHLEN"],
          ["LCS", "k1", "k2", "IDX", "MINMATCHLEN", "-1"],
          ["LCS", "k1", "k2", "IDX", "MINMATCHLEN", "x"],
          ["LCS", "k1", "k2", "LEN", "IDX"],
          ["LCS", "k1", "k2", "FOO"],
          ["LCS", "k1", "missing"],
          ["LCS", "missing", "missing", "IDX"],
          ["LCS", "bin1", "bin2"],
          ["ZADD", "z", "1", "a"],
          ["LCS", "k1", "z"],
          ["LCS", "k1"],
        ]);
      });

      await step("SCAN and ZSCAN that finish in one call", async (c) => {
        await c.runAll([
          ["MSET", "a1", "1", "a2", "2", "b1", "3"],
          ["ZADD", "z", "1", "m1", "2.5", "m2", "-inf", "n1"],
          ["SCAN", "0", "COUNT", "1000"],
          ["SCAN", "0", "MATCH", "a*", "COUNT", "1000"],
          ["SCAN", "0", "TYPE", "zset", "COUNT", "1000"],
          ["SCAN", "0", "TYPE", "string", "MATCH", "*1", "COUNT", "1000"],
          ["SCAN", "0", "COUNT", "0"],
          ["SCAN", "x"],
          ["SCAN", "0", "FOO"],
          ["ZSCAN", "z", "0", "COUNT", "1000"],
          ["ZSCAN", "z", "0", "MATCH", "m*"],
          ["ZSCAN", "missing", "0"],
          ["ZSCAN", "a1", "0"],
          ["ZSCAN", "z", "x"],
        ]);
      });

      await step("keys with a short TTL are gone once it passes", async (c) => {
        // One transaction, so a slow machine cannot let a TTL pass halfway through.
        await c.runAll([
          ["MULTI"],
          ["SET", "s", "v", "PX", "100"],
          ["PSETEX", "p", "100", "v"],
          ["ZADD", "z", "1", "a"],
          ["PEXPIRE", "z", "100"],
          ["SET", "kept", "v", "PX", "100"],
          ["PERSIST", "kept"],
          ["SET", "renamed", "v", "PX", "100"],
          ["RENAME", "renamed", "moved"],
          ["EXEC"],
        ]);
        await new Promise((resolve) => setTimeout(resolve, 300));
        await c.runAll([
          ["GET", "s"],
          ["EXISTS", "s", "p", "z", "kept", "moved"],
          ["TTL", "p"],
          ["ZCARD", "z"],
          ["ZADD", "z", "XX", "1", "a"],
          ["GET", "moved"],
          ["GET", "kept"],
          ["INCR", "s"],
          ["KEYS", "*"],
        ]);
      });

      await step("inline commands, and protocol errors that close the connection", async () => {
        const cases: { bytes: string; closes: boolean }[] = [
          ...[
            "PING\r\n",
            "PING\n",
            "\r\n\r\nPING\r\n",
            "   \r\nping   a  \r\n",
            "set a b\r\nget a\r\n",
            'set k "hello\\x41 world\\n\\t\\""\r\nget k\r\n',
            "set k 'single quoted'\r\nget k\r\n",
            'ping ""\r\n',
            '""\r\n',
            "GET\r\n",
            "NOSUCH x\r\n",
            "*0\r\nPING\r\n",
            "*-1\r\nPING\r\n",
            "*1\r\n$4\r\nPING\r\nPING\r\n",
            "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n",
            "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$3\r\n\r\n\x00\r\n*2\r\n$3\r\nGET\r\n$1\r\nb\r\n",
          ].map((bytes) => ({ bytes, closes: false })),
          ...[
            'set "a\r\n',
            'echo "a"b\r\n',
            "set k 'it''s'\r\n",
            "*abc\r\n",
            "*1\r\nfoo\r\n",
            "*1\r\n$abc\r\n",
            "*1\r\n$-1\r\n",
            "*1\r\n:5\r\n",
            "*1\r\n$600000000\r\n",
            "PING\r\n*1\r\n$x\r\n",
          ].map((bytes) => ({ bytes, closes: true })),
        ];
        const differences: string[] = [];
        for (const { bytes, closes } of cases) {
          const redisSays = await transcript(redis.port, bytes, closes);
          const kacheSays = await transcript(kache.respPort, bytes, closes);
          if (redisSays !== kacheSays) {
            differences.push(
              `${show(bytes)}\n  redis: ${show(redisSays)}\n  kache: ${show(kacheSays)}`,
            );
          }
        }
        assert.deepEqual(differences, [], differences.join("\n"));
      });

      await step("HELLO 3, then replies in RESP3", async () => {
        const resp3 = await open("RESP3 client");
        await resp3.runAll([
          ["HELLO", "4"],
          ["HELLO", "x"],
          ["HELLO", "3"],
          ["SET", "s", "v"],
          ["GET", "s"],
          ["GET", "missing"],
          ["ZADD", "z", "1.1", "a", "2", "b", "inf", "c"],
          ["ZSCORE", "z", "a"],
          ["ZSCORE", "z", "c"],
          ["ZSCORE", "z", "missing"],
          ["ZMSCORE", "z", "a", "missing", "b"],
          ["ZRANK", "z", "missing"],
          ["ZRANGE", "z", "0", "-1"],
          ["ZRANGE", "z", "0", "-1", "WITHSCORES"],
          ["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES"],
          ["ZINCRBY", "z", "1", "b"],
          ["ZADD", "z", "INCR", "1", "b"],
          ["ZADD", "z", "NX", "INCR", "1", "b"],
          ["ZUNION", "2", "z", "missing", "WITHSCORES"],
          ["ZPOPMIN", "z"],
          ["ZPOPMAX", "z", "2"],
          ["ZPOPMIN", "missing"],
          ["ZADD", "m", "1", "a", "2.5", "b"],
          ["ZMPOP", "1", "m", "MAX", "COUNT", "5"],
          ["ZMPOP", "1", "m", "MAX"],
          ["HELLO", "3", "SETNAME", "differential"],
          ["CLIENT", "GETNAME"],
          ["HELLO", "3", "FOO"],
          ["INCRBYFLOAT", "f", "1.5"],
          ["MGET", "s", "missing"],
          ["EXISTS", "s"],
          ["TTL", "s"],
          ["KEYS", "*"],
          ["CONFIG", "GET", "timeout"],
          ["MULTI"],
          ["GET", "s"],
          ["ZSCORE", "z", "a"],
          ["EXEC"],
          ["WATCH", "s"],
          ["SET", "s", "changed"],
          ["MULTI"],
          ["GET", "s"],
          ["EXEC"],
          ["NOSUCH"],
          ["GET", "z"],
          ["HELLO", "2"],
          ["ZSCORE", "z", "a"],
          ["GET", "missing"],
          ["HELLO"],
        ]);
      });

      await step(
        "3,000 seeded random string, key and zset commands (RESP2 and RESP3)",
        async (c) => {
          // Two seeds over RESP2 on the main connection, one over RESP3 on its own.
          const runs = [
            { seed: 1, resp3: false },
            { seed: 2, resp3: false },
            { seed: 3, resp3: true },
          ];
          for (const { seed, resp3 } of runs) {
            const pair = resp3 ? await open("RESP3 client") : c;
            if (resp3) await pair.run("HELLO", "3");
            await pair.run("SELECT", "0");
            await pair.run("FLUSHALL");
            const commands = randomCommands(seed, 1000);
            for (const [index, argv] of commands.entries()) {
              try {
                await pair.run(...argv);
                pair.assertAgreed();
              } catch (error) {
                const history = commands.slice(Math.max(0, index - 15), index)
                  .map((previous) => `    ${JSON.stringify(previous)}`).join("\n");
                const keys = await describeKeys(pair.redis, argv);
                throw new Error(
                  `Seed ${seed}${resp3 ? " (RESP3)" : ""}, command #${index}; ` +
                    `the commands before it:\n${history}\n` +
                    `Keys it names, as Redis holds them now:\n${keys}\n${(error as Error).message}`,
                );
              }
            }
          }
        },
      );
    } finally {
      main?.close();
      for (const pair of extra) pair.close();
      await Promise.all([redis.stop(), kache.stop()]);
    }
  },
});
