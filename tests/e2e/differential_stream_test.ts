/**
 * Differential tests for streams: the same command sequences go to
 * redis-server 7.0 and to Kache over raw RESP (RESP2 and RESP3), and the
 * replies must be byte-for-byte identical, error texts included, with the
 * normalizations of tests/e2e/differential_test.ts (6: times inside XPENDING
 * and XINFO compared within 1.5 s). Scripted sequences cover every command's
 * options and errors, consumer groups, blocking XREAD/XREADGROUP with
 * several clients, XAUTOCLAIM after a real idle time and the node layout
 * behind approximate trimming; a seeded random generator mixes them all.
 *
 * IDs are explicit (`<ms>-<seq>` or `<ms>-*`), never `*`: the two servers'
 * clocks would give different IDs.
 */
import assert from "node:assert/strict";
import { type Argv, Pair, Picker, show } from "../support/differential.ts";
import { startRedis } from "../support/redis_process.ts";
import { startServer } from "../support/server_process.ts";

const STREAM_KEYS = ["x0", "x1", "x2"];
const OTHER_KEYS = ["s0"];
const GROUPS = ["g0", "g1"];
const CONSUMERS = ["c0", "c1", "c2"];
const FIELDS = ["f", "g", "name", "1", ""];
const VALUES = ["v", "1", "-5", "", "x y", "\x00\xff", "9223372036854775807", "long".repeat(20)];

/** One of the two servers' replies, for steps that drive each side by hand. */
type Side = "redis" | "kache";

function streamKey(p: Picker): string {
  return p.chance(0.92) ? p.one(STREAM_KEYS) : p.one(OTHER_KEYS);
}

/** A random ID around the ones the generator adds (ms 1–40). */
function id(p: Picker): string {
  if (p.chance(0.04)) return p.one(["abc", "-", "+", "1-x", "18446744073709551616"]);
  const ms = 1 + p.int(40);
  return p.chance(0.3) ? String(ms) : `${ms}-${p.int(4)}`;
}

function bound(p: Picker): string {
  if (p.chance(0.2)) return p.one(["-", "+"]);
  return (p.chance(0.2) ? "(" : "") + id(p);
}

function fieldValues(p: Picker): string[] {
  const pairs: string[] = [];
  // Mostly the same field names, so most entries share their node's master fields.
  const names = p.chance(0.7) ? ["f"] : p.some(FIELDS, 3);
  for (const name of names) pairs.push(name, p.one(VALUES));
  return pairs;
}

/** An XADD/XTRIM trim clause. */
function trimClause(p: Picker): string[] {
  const clause = [p.one(["MAXLEN", "MINID", "maxlen"])];
  if (p.chance(0.6)) clause.push(p.one(["~", "="]));
  clause.push(clause[0]!.toUpperCase() === "MAXLEN" ? p.one(["0", "1", "3", "10", "-1"]) : id(p));
  if (p.chance(0.2)) clause.push("LIMIT", p.one(["0", "1", "5", "-1"]));
  return clause;
}

type Generator = (p: Picker) => string[];

/** The clock of the generator's IDs: each XADD moves it on by 0–2 ms. */
class Clock {
  ms = 1;
}

function generators(clock: Clock): Generator[] {
  const add: Generator = (p) => {
    clock.ms += p.int(3);
    const argv = ["XADD", streamKey(p)];
    if (p.chance(0.1)) argv.push("NOMKSTREAM");
    if (p.chance(0.2)) argv.push(...trimClause(p));
    argv.push(
      p.chance(0.8) ? `${clock.ms}-*` : p.chance(0.8) ? `${clock.ms + 1}-${p.int(3)}` : id(p),
    );
    argv.push(...fieldValues(p));
    return argv;
  };
  const group = (p: Picker) => p.one(GROUPS);
  const consumer = (p: Picker) => p.one(CONSUMERS);
  const count = (p: Picker) => p.one(["1", "2", "10", "0", "-1"]);
  return [
    add,
    add,
    add,
    (p) => ["XLEN", streamKey(p)],
    (
      p,
    ) => [
      "XRANGE",
      streamKey(p),
      bound(p),
      bound(p),
      ...(p.chance(0.5) ? ["COUNT", count(p)] : []),
    ],
    (
      p,
    ) => [
      "XREVRANGE",
      streamKey(p),
      bound(p),
      bound(p),
      ...(p.chance(0.5) ? ["COUNT", count(p)] : []),
    ],
    (p) => ["XDEL", streamKey(p), ...Array.from({ length: 1 + p.int(3) }, () => id(p))],
    (p) => ["XTRIM", streamKey(p), ...trimClause(p)],
    (p) => {
      const keys = p.some(STREAM_KEYS, 2);
      const ids = keys.map(() => p.chance(0.2) ? "$" : id(p));
      return ["XREAD", ...(p.chance(0.5) ? ["COUNT", count(p)] : []), "STREAMS", ...keys, ...ids];
    },
    (p) => {
      const argv = [
        "XGROUP",
        "CREATE",
        streamKey(p),
        group(p),
        p.chance(0.3) ? "$" : p.one(["0", id(p)]),
      ];
      if (p.chance(0.3)) argv.push("MKSTREAM");
      if (p.chance(0.2)) argv.push("ENTRIESREAD", p.one(["0", "3", "-1", "-2"]));
      return argv;
    },
    (p) => ["XGROUP", "SETID", streamKey(p), group(p), p.chance(0.3) ? "$" : id(p)],
    (
      p,
    ) => ["XGROUP", p.one(["CREATECONSUMER", "DELCONSUMER"]), streamKey(p), group(p), consumer(p)],
    (p) => {
      const keys = p.some(STREAM_KEYS, 2);
      const ids = keys.map(() => p.chance(0.7) ? ">" : p.one(["0", id(p)]));
      const argv = ["XREADGROUP", "GROUP", group(p), consumer(p)];
      if (p.chance(0.5)) argv.push("COUNT", count(p));
      if (p.chance(0.2)) argv.push("NOACK");
      return [...argv, "STREAMS", ...keys, ...ids];
    },
    (p) => ["XACK", streamKey(p), group(p), ...Array.from({ length: 1 + p.int(3) }, () => id(p))],
    (p) => ["XPENDING", streamKey(p), group(p)],
    (p) => {
      const argv = ["XPENDING", streamKey(p), group(p)];
      if (p.chance(0.3)) argv.push("IDLE", p.one(["0", "3600000"]));
      argv.push(bound(p), bound(p), count(p));
      if (p.chance(0.4)) argv.push(consumer(p));
      return argv;
    },
    (p) => {
      const argv = ["XCLAIM", streamKey(p), group(p), consumer(p), p.one(["0", "3600000"])];
      argv.push(...Array.from({ length: 1 + p.int(3) }, () => id(p)));
      if (p.chance(0.3)) argv.push("RETRYCOUNT", p.one(["0", "5"]));
      if (p.chance(0.3)) argv.push("FORCE");
      if (p.chance(0.3)) argv.push("JUSTID");
      if (p.chance(0.2)) argv.push("LASTID", id(p));
      if (p.chance(0.1)) argv.push("TIME", "1700000000000");
      return argv;
    },
    (p) => {
      const argv = [
        "XAUTOCLAIM",
        streamKey(p),
        group(p),
        consumer(p),
        p.one(["0", "3600000"]),
        bound(p),
      ];
      if (p.chance(0.5)) argv.push("COUNT", p.one(["1", "2", "10", "0"]));
      if (p.chance(0.3)) argv.push("JUSTID");
      return argv;
    },
    (p) => ["XINFO", "GROUPS", streamKey(p)],
    (p) => ["XINFO", "CONSUMERS", streamKey(p), group(p)],
    (p) => ["XINFO", "STREAM", streamKey(p), ...(p.chance(0.5) ? ["FULL", "COUNT", count(p)] : [])],
    (p) => ["XSETID", streamKey(p), id(p)],
    (p) => ["TYPE", streamKey(p)],
  ];
}

/** Commands that remove keys or groups: rarer, so the streams grow groups and history. */
const REMOVERS: Generator[] = [
  (p) => ["XGROUP", "DESTROY", streamKey(p), p.one(GROUPS)],
  (p) => ["DEL", streamKey(p)],
  (p) => ["COPY", streamKey(p), streamKey(p), ...(p.chance(0.5) ? ["REPLACE"] : [])],
  (p) => ["RENAME", streamKey(p), streamKey(p)],
  (p) => ["SET", "s0", "v"],
];

function randomCommands(seed: number, count: number): Argv[] {
  const p = new Picker(seed);
  const all = generators(new Clock());
  const commands: Argv[] = [];
  for (let i = 0; i < count; i++) {
    const argv = p.one(p.chance(0.03) ? REMOVERS : all)(p);
    if (p.chance(0.05)) {
      // Inside MULTI a BLOCK read never blocks: it answers at once.
      commands.push(["MULTI"], argv, ["XREAD", "BLOCK", "0", "STREAMS", "x0", "$"], ["EXEC"]);
      continue;
    }
    if (p.chance(0.02) && argv.length > 1) argv.pop();
    commands.push(argv);
  }
  return commands;
}

/** Sends `argv` on each side's own connection without waiting for the replies. */
function sendBoth(pair: Pair, argv: Argv): Record<Side, Promise<string>> {
  return {
    redis: pair.redis.send(argv).then((reply) => reply.raw),
    kache: pair.kache.send(argv).then((reply) => reply.raw),
  };
}

async function assertSame(replies: Record<Side, Promise<string>>, what: string): Promise<void> {
  const [redis, kache] = await Promise.all([replies.redis, replies.kache]);
  assert.equal(show(kache), show(redis), what);
}

Deno.test({
  name: "Redis and Kache reply identically to stream commands",
  async fn(t) {
    const redis = await startRedis();
    const kache = await startServer().catch(async (error) => {
      await redis.stop();
      throw error;
    });
    const pair = await Pair.open(redis.port, kache.respPort);
    const others: Pair[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        others.push(await Pair.open(redis.port, kache.respPort, `client${i}`));
      }
      const step = (name: string, body: (c: Pair) => Promise<void>) =>
        t.step(name, async () => {
          await pair.run("FLUSHALL");
          await body(pair);
          pair.assertAgreed();
        });

      await step(
        "XADD, XRANGE, XDEL, XTRIM, XSETID and XREAD with their options and errors",
        async (c) => {
          await c.runAll([
            ["XADD", "s", "1-1", "a", "1", "b", "2"],
            ["XADD", "s", "1-1", "a", "1"],
            ["XADD", "s", "0-0", "a", "1"],
            ["XADD", "s", "1-*", "a", "1"],
            ["XADD", "s", "1-*", "a", "1", "c", "3"],
            ["XADD", "s", "5", "x", "y"],
            ["XADD", "s", "NOMKSTREAM", "6-0", "x", "y"],
            ["XADD", "nos", "NOMKSTREAM", "6-0", "x", "y"],
            ["EXISTS", "nos"],
            ["XADD", "s", "MAXLEN", "3", "7-0", "x", "y"],
            ["XLEN", "s"],
            ["XRANGE", "s", "-", "+"],
            ["XREVRANGE", "s", "+", "-", "COUNT", "2"],
            ["XRANGE", "s", "(1-1", "+"],
            ["XRANGE", "s", "-", "(5-0"],
            ["XRANGE", "s", "0", "+", "COUNT", "0"],
            ["XRANGE", "s", "0", "+", "COUNT", "-1"],
            ["XRANGE", "s", "(18446744073709551615-18446744073709551615", "+"],
            ["XRANGE", "s", "-", "(0-0"],
            ["XRANGE", "s", "(-", "+"],
            ["XRANGE", "s", "abc", "+"],
            ["XRANGE", "s", "-", "+", "COUNT"],
            ["XRANGE", "s", "-", "+", "LIMIT", "1"],
            ["XRANGE", "nokey", "-", "+"],
            ["XADD", "s", "MAXLEN", "=", "1", "LIMIT", "5", "8-0", "a", "b"],
            ["XADD", "s", "MAXLEN", "~", "1", "LIMIT", "5", "8-*", "a", "b"],
            ["XADD", "s", "MAXLEN", "1", "MINID", "3", "9", "a", "b"],
            ["XADD", "s", "MAXLEN", "-1", "10", "a", "b"],
            ["XADD", "s", "LIMIT", "1", "10", "a", "b"],
            ["XADD", "s", "10", "a"],
            ["XADD", "s", "10", "a", "b", "c"],
            ["XADD", "s", "MINID", "+", "10", "a", "b"],
            ["XTRIM", "s", "MAXLEN", "0", "LIMIT", "1"],
            ["XTRIM", "s", "FOO", "1"],
            ["XTRIM", "s", "LIMIT", "1"],
            ["XTRIM", "s", "MAXLEN", "~", "0"],
            ["XTRIM", "nokey", "MAXLEN", "0"],
            ["XDEL", "s", "1-1", "2-2"],
            ["XDEL", "s", "abc"],
            ["XDEL", "nokey", "1-1"],
            ["TYPE", "s"],
            ["OBJECT", "ENCODING", "s"],
            ["XSETID", "s", "1-1"],
            ["XSETID", "s", "99999999999999-5", "ENTRIESADDED", "1"],
            ["XSETID", "nokey", "1-1"],
            ["XSETID", "s", "1-1", "MAXDELETEDID", "2-2"],
            ["XSETID", "s", "1-1", "ENTRIESADDED", "-1"],
            ["XSETID", "s", "99999999999999-5", "ENTRIESADDED", "50", "MAXDELETEDID", "3-0"],
            ["XINFO", "STREAM", "s"],
            ["SET", "str", "x"],
            ["XADD", "str", "5", "a", "b"],
            ["XRANGE", "str", "-", "+"],
            ["XLEN", "str"],
            ["XREAD", "COUNT", "1", "STREAMS", "s", "0"],
            ["XREAD", "STREAMS", "s"],
            ["XREAD", "STREAMS", "s", "str", "0", "0"],
            ["XREAD", "STREAMS", "s", "$"],
            ["XREAD", "STREAMS", "s", ">"],
            ["XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"],
            ["XREAD", "NOACK", "STREAMS", "s", "0"],
            ["XREAD", "BLOCK", "-1", "STREAMS", "s", "0"],
            ["XREAD", "BLOCK", "abc", "STREAMS", "s", "0"],
            ["XREAD", "STREAMS", "nokey", "0"],
            ["XREAD", "COUNT", "2", "STREAMS", "s", "nokey", "s", "0", "0", "5"],
            ["XADD", "big", "18446744073709551614-5", "f", "v"],
            ["XADD", "big", "18446744073709551614-*", "f", "v"],
            ["XADD", "big", "18446744073709551615-18446744073709551615", "f", "v"],
            ["XADD", "big", "18446744073709551615-*", "f", "v"],
            ["XRANGE", "big", "18446744073709551614", "18446744073709551614"],
            ["XREVRANGE", "big", "+", "(18446744073709551614-5"],
            ["XDEL", "big", "18446744073709551615-18446744073709551615"],
            ["XADD", "big", "18446744073709551615-0", "f", "v"],
            ["XINFO", "STREAM", "big"],
            ["XTRIM", "big", "MINID", "18446744073709551615"],
            ["XRANGE", "big", "-", "+"],
            ["XADD"],
            ["XLEN"],
            ["KEYS", "*"],
          ]);
        },
      );

      await step("nodes split as Redis's listpacks do, so approximate trims match", async (c) => {
        for (
          const [key, config] of [["n1", ["100", "4096"]], ["n2", ["7", "300"]], ["n3", [
            "0",
            "200",
          ]]] as const
        ) {
          await c.run("CONFIG", "SET", "stream-node-max-entries", config[0]);
          await c.run("CONFIG", "SET", "stream-node-max-bytes", config[1]);
          for (let i = 1; i <= 260; i++) {
            const fields = i % 5 === 0
              ? ["other", "x".repeat(i % 70)]
              : ["f", String(i * 37), "g", "v"];
            await c.run("XADD", key, `${i}-${i % 3}`, ...fields);
          }
          await c.run("XDEL", key, "5-2", "6-0", "100-1", "101-2");
          await c.run("XINFO", "STREAM", key);
          await c.run("XTRIM", key, "MAXLEN", "~", "200");
          await c.run("XTRIM", key, "MINID", "~", "120");
          await c.run("XADD", key, "MAXLEN", "~", "50", "300-0", "f", "v");
          await c.run("XTRIM", key, "MAXLEN", "~", "10", "LIMIT", "20");
          await c.run("XINFO", "STREAM", key);
          await c.run("XRANGE", key, "-", "+", "COUNT", "3");
          await c.run("XTRIM", key, "MINID", "290");
          await c.run("XINFO", "STREAM", key);
        }
        await c.run("CONFIG", "SET", "stream-node-max-entries", "100");
        await c.run("CONFIG", "SET", "stream-node-max-bytes", "4096");
      });

      await step(
        "consumer groups: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO",
        async (c) => {
          await c.runAll([
            ["XGROUP", "CREATE", "s", "g", "$"],
            ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
            ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"],
            ["TYPE", "s"],
            ["XINFO", "STREAM", "s"],
            ["XINFO", "STREAM", "s", "FULL"],
            ["XADD", "s", "1-1", "a", "1"],
            ["XADD", "s", "2-1", "b", "2"],
            ["XADD", "s", "3-1", "c", "3"],
            ["XGROUP", "CREATE", "s", "g2", "0", "ENTRIESREAD", "1"],
            ["XGROUP", "CREATE", "s", "g3", "0", "ENTRIESREAD", "-2"],
            ["XGROUP", "CREATE", "s", "g4", "0", "FOO"],
            ["XGROUP", "CREATECONSUMER", "s", "g", "c1"],
            ["XGROUP", "CREATECONSUMER", "s", "g", "c1"],
            ["XGROUP", "CREATECONSUMER", "s", "nog", "c1"],
            ["XGROUP", "CREATECONSUMER", "nokey", "g", "c1"],
            ["XGROUP", "SETID", "s", "g", "0"],
            ["XGROUP", "SETID", "s", "nog", "0"],
            ["XGROUP", "SETID", "s", "g", "0", "ENTRIESREAD", "5", "extra"],
            ["XGROUP", "DESTROY", "s", "g4"],
            ["XGROUP", "DELCONSUMER", "s", "g", "nobody"],
            ["XGROUP", "HELP"],
            ["XGROUP", "FOO"],
            ["XGROUP", "CREATE", "s"],
            ["XINFO", "HELP"],
            ["XINFO", "GROUPS", "s"],
            ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"],
            ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", ">"],
            ["XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "s", "0"],
            ["XREADGROUP", "GROUP", "g", "c1", "COUNT", "2", "STREAMS", "s", "0"],
            ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "(1"],
            ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "s", "$"],
            ["XREADGROUP", "GROUP", "nog", "c1", "STREAMS", "s", ">"],
            ["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "nokey", ">"],
            ["XREADGROUP", "STREAMS", "s", "0"],
            ["XREADGROUP", "GROUP", "g", "STREAMS", "s", "0"],
            ["XPENDING", "s", "g"],
            ["XPENDING", "s", "g", "-", "+", "10"],
            ["XPENDING", "s", "g", "-", "+", "10", "c1"],
            ["XPENDING", "s", "g", "-", "+", "10", "nobody"],
            ["XPENDING", "s", "g", "(1-1", "+", "1"],
            ["XPENDING", "s", "g", "-", "+", "0"],
            ["XPENDING", "s", "g", "IDLE", "0", "-", "+", "10"],
            ["XPENDING", "s", "g", "IDLE", "3600000", "-", "+", "10"],
            ["XPENDING", "s", "nog"],
            ["XPENDING", "s", "g", "-", "+"],
            ["XPENDING", "s", "g", "IDLE", "5", "-", "+"],
            ["XACK", "s", "g", "1-1", "9-9"],
            ["XACK", "s", "g", "abc"],
            ["XACK", "s", "nog", "1-1"],
            ["XACK", "nokey", "g", "1-1"],
            ["XPENDING", "s", "g"],
            ["XINFO", "GROUPS", "s"],
            ["XINFO", "CONSUMERS", "s", "g"],
            ["XINFO", "CONSUMERS", "s", "nog"],
            ["XADD", "s", "4-1", "d", "4"],
            ["XDEL", "s", "2-1"],
            ["XINFO", "GROUPS", "s"],
            ["XREADGROUP", "GROUP", "g2", "c", "COUNT", "1", "STREAMS", "s", ">"],
            ["XINFO", "GROUPS", "s"],
            ["XREADGROUP", "GROUP", "g2", "c", "NOACK", "STREAMS", "s", ">"],
            ["XINFO", "GROUPS", "s"],
            ["XPENDING", "s", "g2"],
            ["XCLAIM", "s", "g", "c3", "0", "2-1", "3-1"],
            ["XPENDING", "s", "g", "-", "+", "10"],
            ["XCLAIM", "s", "g", "c3", "0", "3-1", "JUSTID"],
            ["XCLAIM", "s", "g", "c3", "0", "3-1", "RETRYCOUNT", "7"],
            ["XCLAIM", "s", "g", "c3", "0", "4-1"],
            ["XCLAIM", "s", "g", "c3", "0", "4-1", "FORCE", "JUSTID"],
            ["XCLAIM", "s", "g", "c3", "0", "4-1", "FORCE"],
            ["XPENDING", "s", "g", "-", "+", "10"],
            ["XCLAIM", "s", "g", "c3", "0", "3-1", "BOGUS"],
            ["XCLAIM", "s", "g", "c3", "abc", "3-1"],
            ["XCLAIM", "s", "g", "c3", "0", "3-1", "IDLE", "abc"],
            ["XCLAIM", "s", "g", "c3", "0", "3-1", "TIME", "1700000000000"],
            ["XCLAIM", "s", "g", "c3", "0", "3-1", "IDLE", "60000"],
            ["XPENDING", "s", "g", "IDLE", "30000", "-", "+", "10"],
            ["XCLAIM", "s", "g", "c3", "0", "3-1", "LASTID", "9-9"],
            ["XCLAIM", "s", "g", "c3", "0", "LASTID", "9-9"],
            ["XINFO", "GROUPS", "s"],
            ["XCLAIM", "s", "nog", "c3", "0", "3-1"],
            ["XAUTOCLAIM", "s", "g", "c4", "0", "0"],
            ["XAUTOCLAIM", "s", "g", "c4", "0", "0", "COUNT", "1"],
            ["XAUTOCLAIM", "s", "g", "c4", "0", "0", "COUNT", "0"],
            ["XAUTOCLAIM", "s", "g", "c4", "0", "0", "JUSTID"],
            ["XAUTOCLAIM", "s", "g", "c4", "0", "(3-1"],
            ["XAUTOCLAIM", "s", "nog", "c4", "0", "0"],
            ["XAUTOCLAIM", "s", "g", "c4", "0", "0", "BOGUS"],
            ["XAUTOCLAIM", "s", "g", "c4", "x", "0"],
            ["XPENDING", "s", "g", "-", "+", "10"],
            ["XDEL", "s", "3-1"],
            ["XAUTOCLAIM", "s", "g", "c4", "0", "0"],
            ["XPENDING", "s", "g"],
            ["XINFO", "STREAM", "s"],
            ["XINFO", "STREAM", "s", "FULL"],
            ["XINFO", "STREAM", "s", "FULL", "COUNT", "1"],
            ["XGROUP", "DELCONSUMER", "s", "g", "c4"],
            ["XINFO", "CONSUMERS", "s", "g"],
            ["XGROUP", "DESTROY", "s", "g"],
            ["XINFO", "GROUPS", "s"],
            ["XINFO", "STREAM", "s", "FOO"],
            ["XINFO", "STREAM", "s", "FULL", "COUNT"],
            ["XINFO", "STREAM", "nokey"],
            ["XINFO", "STREAM", "str"],
            ["SET", "str", "x"],
            ["XINFO", "STREAM", "str"],
            ["XGROUP", "CREATE", "str", "g", "$"],
            ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "str", ">"],
            ["COPY", "s", "s2"],
            ["XINFO", "STREAM", "s2", "FULL"],
            ["RENAME", "s2", "s3"],
            ["XINFO", "GROUPS", "s3"],
          ]);
        },
      );

      await step("COMMAND GETKEYS finds the keys of every stream command", async (c) => {
        await c.runAll([
          ["COMMAND", "GETKEYS", "XADD", "s", "*", "a", "b"],
          [
            "COMMAND",
            "GETKEYS",
            "XREAD",
            "COUNT",
            "1",
            "BLOCK",
            "0",
            "STREAMS",
            "a",
            "b",
            "0",
            "0",
          ],
          ["COMMAND", "GETKEYS", "XREAD", "STREAMS", "a", "b", "0"],
          ["COMMAND", "GETKEYS", "XREAD", "FOO", "STREAMS", "a", "0"],
          ["COMMAND", "GETKEYS", "XREADGROUP", "GROUP", "g", "c", "NOACK", "STREAMS", "a", ">"],
          ["COMMAND", "GETKEYS", "XGROUP", "CREATE", "s", "g", "$"],
          ["COMMAND", "GETKEYS", "XINFO", "STREAM", "s"],
          ["COMMAND", "GETKEYS", "XAUTOCLAIM", "s", "g", "c", "0", "0"],
        ]);
      });

      await step("RESP3 replies of stream commands", async (c) => {
        await c.runAll([
          ["HELLO", "3"],
          ["XADD", "s", "1-1", "a", "1"],
          ["XADD", "t", "1-1", "a", "1"],
          ["XREAD", "STREAMS", "s", "t", "0", "0"],
          ["XREAD", "STREAMS", "s", "0-5"],
          ["XGROUP", "CREATE", "s", "g", "0"],
          ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
          ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"],
          ["XDEL", "s", "1-1"],
          ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"],
          ["XPENDING", "s", "g"],
          ["XPENDING", "s", "g", "-", "+", "5"],
          ["XINFO", "STREAM", "s"],
          ["XINFO", "STREAM", "s", "FULL"],
          ["XINFO", "GROUPS", "s"],
          ["XINFO", "CONSUMERS", "s", "g"],
          ["XAUTOCLAIM", "s", "g", "c2", "0", "0"],
          ["MULTI"],
          ["XREAD", "BLOCK", "0", "STREAMS", "s", "$"],
          ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"],
          ["EXEC"],
          ["EVAL", "return redis.pcall('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$')", "0"],
          ["HELLO", "2"],
        ]);
      });

      await step("blocked XREAD and XREADGROUP clients are served in arrival order", async (c) => {
        await c.run("XGROUP", "CREATE", "b", "g", "$", "MKSTREAM");
        await c.run("XGROUP", "CREATE", "b", "h", "$");
        const [a, b, d] = others as [Pair, Pair, Pair];
        const first = sendBoth(a, [
          "XREADGROUP",
          "GROUP",
          "g",
          "c1",
          "COUNT",
          "1",
          "BLOCK",
          "0",
          "STREAMS",
          "b",
          ">",
        ]);
        await c.run("PING");
        const second = sendBoth(b, [
          "XREADGROUP",
          "GROUP",
          "g",
          "c2",
          "BLOCK",
          "0",
          "STREAMS",
          "b",
          ">",
        ]);
        await c.run("PING");
        const third = sendBoth(d, ["XREAD", "BLOCK", "0", "STREAMS", "other", "b", "$", "$"]);
        await c.run("PING");
        // One transaction adds three entries: served after EXEC, c1 takes one, c2 the rest.
        await c.runAll([["MULTI"], ["XADD", "b", "1-1", "a", "1"], ["XADD", "b", "2-1", "b", "2"], [
          "XADD",
          "b",
          "3-1",
          "c",
          "3",
        ], ["EXEC"]]);
        await assertSame(first, "first XREADGROUP");
        await assertSame(second, "second XREADGROUP");
        await assertSame(third, "XREAD");
        await c.run("XPENDING", "b", "g", "-", "+", "10");
        await c.run("XINFO", "GROUPS", "b");
        // A script's XADD serves a waiter when the script ends.
        const fourth = sendBoth(a, [
          "XREADGROUP",
          "GROUP",
          "h",
          "c9",
          "NOACK",
          "BLOCK",
          "0",
          "STREAMS",
          "b",
          ">",
        ]);
        await c.run("PING");
        await c.run("EVAL", "return redis.call('XADD', KEYS[1], '4-1', 'd', '4')", "1", "b");
        await assertSame(fourth, "XREADGROUP served after a script");
        await c.run("XINFO", "GROUPS", "b");
        // Destroying the group ends the wait with NOGROUP; deleting the key, with UNBLOCKED.
        const fifth = sendBoth(a, [
          "XREADGROUP",
          "GROUP",
          "g",
          "c1",
          "BLOCK",
          "0",
          "STREAMS",
          "b",
          ">",
        ]);
        await c.run("PING");
        await c.run("XGROUP", "DESTROY", "b", "g");
        await assertSame(fifth, "XREADGROUP after XGROUP DESTROY");
        const sixth = sendBoth(a, [
          "XREADGROUP",
          "GROUP",
          "h",
          "c1",
          "BLOCK",
          "0",
          "STREAMS",
          "b",
          ">",
        ]);
        const seventh = sendBoth(b, ["XREAD", "BLOCK", "100", "STREAMS", "b", "$"]);
        await c.run("PING");
        await c.run("DEL", "b");
        await assertSame(sixth, "XREADGROUP after DEL");
        await assertSame(seventh, "XREAD times out after DEL");
        // A timeout answers a null array.
        await c.run("XGROUP", "CREATE", "t", "g", "$", "MKSTREAM");
        await assertSame(
          sendBoth(a, ["XREADGROUP", "GROUP", "g", "c", "BLOCK", "50", "STREAMS", "t", ">"]),
          "timeout",
        );
      });

      await step("WATCH is aborted by changes to entries, not by group bookkeeping", async (c) => {
        const other = others[0]!;
        const writes: Argv[] = [
          ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"],
          ["XGROUP", "SETID", "s", "g", "0"],
          ["XSETID", "s", "5-5"],
          ["XADD", "s", "9-1", "a", "b"],
          ["XGROUP", "CREATECONSUMER", "s", "g", "x"],
          ["XACK", "s", "g", "1-1"],
          ["XCLAIM", "s", "g", "c", "0", "1-1", "FORCE"],
          ["XDEL", "s", "1-1"],
          ["XGROUP", "DESTROY", "s", "g"],
          ["XTRIM", "s", "MAXLEN", "0"],
        ];
        for (const write of writes) {
          await c.runAll([["DEL", "s"], ["XADD", "s", "1-1", "a", "1"], [
            "XGROUP",
            "CREATE",
            "s",
            "g",
            "0",
          ]]);
          await c.run("WATCH", "s");
          await other.run(...write);
          await c.runAll([["MULTI"], ["PING"], ["EXEC"]]);
        }
        other.assertAgreed();
      });

      await step("XAUTOCLAIM and XPENDING IDLE after a real idle time", async (c) => {
        await c.runAll([
          ["XGROUP", "CREATE", "q", "g", "0", "MKSTREAM"],
          ["XADD", "q", "1-1", "job", "1"],
          ["XADD", "q", "2-1", "job", "2"],
          ["XADD", "q", "3-1", "job", "3"],
          ["XREADGROUP", "GROUP", "g", "worker1", "COUNT", "2", "STREAMS", "q", ">"],
        ]);
        await new Promise((resolve) => setTimeout(resolve, 400));
        await c.runAll([
          ["XREADGROUP", "GROUP", "g", "worker2", "STREAMS", "q", ">"],
          // Only the first two have been idle for 200 ms.
          ["XPENDING", "q", "g", "IDLE", "200", "-", "+", "10"],
          ["XAUTOCLAIM", "q", "g", "worker3", "200", "0", "COUNT", "1"],
          ["XAUTOCLAIM", "q", "g", "worker3", "200", "2-1"],
          ["XAUTOCLAIM", "q", "g", "worker3", "200", "0"],
          ["XCLAIM", "q", "g", "worker4", "200", "1-1", "2-1", "3-1"],
          ["XPENDING", "q", "g", "-", "+", "10"],
          ["XINFO", "CONSUMERS", "q", "g"],
        ]);
      });

      await step("1,500 seeded random stream commands", async (c) => {
        for (const seed of [21, 22, 23]) {
          await c.run("FLUSHALL");
          const commands = randomCommands(seed, 500);
          let errors = 0;
          for (const [position, argv] of commands.entries()) {
            try {
              const reply = (await c.run(...argv)).reply;
              if (reply.type === "error") {
                errors++;
                if (Deno.env.get("SHOW_ERRORS")) console.log(argv.join(" "), "=>", reply.message);
              }
              c.assertAgreed();
            } catch (error) {
              const history = commands.slice(Math.max(0, position - 12), position)
                .map((previous) => `    ${JSON.stringify(previous)}`).join("\n");
              throw new Error(
                `Seed ${seed}, command #${position}; the commands before it:\n${history}\n` +
                  (error as Error).message,
              );
            }
          }
          // The generator must exercise the commands, not only their errors.
          assert.ok(errors < commands.length / 2, `${errors} of ${commands.length} were errors`);
          assert.equal((await c.run("EXISTS", ...STREAM_KEYS)).reply.type, "integer");
        }
      });
    } finally {
      pair.close();
      for (const other of others) other.close();
      await Promise.all([redis.stop(), kache.stop()]);
    }
  },
});
