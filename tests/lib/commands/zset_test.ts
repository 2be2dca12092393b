/**
 * Sorted-set commands through the command table. Expected replies and error
 * texts were taken from Redis 7.0 (`redis-cli`, RESP2 and `-3`), except
 * ZRANK WITHSCORE (Redis 7.2) and Kache's own ZQUERY.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  array,
  bulk,
  double,
  EMPTY_ARRAY,
  error,
  integer,
  NIL,
  NIL_ARRAY,
  type Reply,
} from "../../../lib/reply.ts";
import { SortedSet } from "../../../lib/zset.ts";
import { createHarness, type Harness } from "../../support/command_harness.ts";

type Pair = [string, number];

const WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value");
const SYNTAX = error("ERR syntax error");
const NOT_INTEGER = error("ERR value is not an integer or out of range");
const NOT_FLOAT = error("ERR value is not a valid float");
const SCORE_RANGE = error("ERR min or max is not a float");
const LEX_RANGE = error("ERR min or max not valid string range item");

function members(...names: string[]): Reply {
  return array(names.map(bulk));
}

/** RESP2 WITHSCORES: member, score, member, score… */
function flat(...pairs: Pair[]): Reply {
  return array(pairs.flatMap(([member, score]) => [bulk(member), double(score)]));
}

/** RESP3 WITHSCORES: [member, score] arrays. */
function nested(...pairs: Pair[]): Reply {
  return array(pairs.map(([member, score]) => array([bulk(member), double(score)])));
}

/** The strings of an array reply made of bulk strings. */
function bulkValues(reply: Reply | undefined): string[] {
  if (reply?.kind !== "array") throw new Error(`Expected an array, got ${reply?.kind}`);
  return reply.items.map((item) => {
    if (item.kind !== "bulk") throw new Error(`Expected a bulk string, got ${item.kind}`);
    return item.value;
  });
}

/** A harness with `z` = a:1 b:2 c:3 d:4 e:5 and the string key `s`. */
function withSet(): Harness {
  const h = createHarness();
  h.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
  h.keyspace.set("s", "v");
  return h;
}

/** Keys the keyspace reported as modified while `action` ran. */
function modifiedBy(h: Harness, action: () => void): string[] {
  const keys: string[] = [];
  h.keyspace.observer = { modified: (key) => keys.push(key), expired() {}, flushed() {} };
  action();
  h.keyspace.observer = undefined;
  return keys;
}

/** A random source that replays `values` in a loop. */
function replay(...values: number[]): () => number {
  let index = 0;
  return () => values[index++ % values.length]!;
}

// ZADD

Deno.test("ZADD adds new members and counts only additions", () => {
  const h = createHarness();
  deepStrictEqual(h.run("ZADD", "z", "1", "a", "2", "b"), integer(2));
  deepStrictEqual(h.run("ZADD", "z", "5", "a", "3", "c"), integer(1));
  deepStrictEqual(
    h.run("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    flat(["b", 2], ["c", 3], ["a", 5]),
  );
});

Deno.test("ZADD CH counts added and changed members, not unchanged ones", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZADD", "z", "CH", "1", "a", "20", "b", "6", "f"), integer(2));
});

Deno.test("ZADD NX only adds and XX only updates", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZADD", "z", "NX", "100", "a", "6", "f"), integer(1));
  deepStrictEqual(h.run("ZSCORE", "z", "a"), double(1));
  deepStrictEqual(h.run("ZADD", "z", "XX", "CH", "10", "a", "7", "g"), integer(1));
  deepStrictEqual(h.run("ZSCORE", "z", "a"), double(10));
  deepStrictEqual(h.run("ZSCORE", "z", "g"), NIL);
});

Deno.test("ZADD XX on a missing key creates nothing", () => {
  const h = createHarness();
  deepStrictEqual(h.run("ZADD", "z", "XX", "1", "a"), integer(0));
  deepStrictEqual(h.run("ZADD", "z", "XX", "INCR", "1", "a"), NIL);
  strictEqual(h.keyspace.has("z"), false);
});

Deno.test("ZADD GT never lowers a score and LT never raises one", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZADD", "z", "GT", "CH", "0", "a", "9", "b", "1", "new"), integer(2));
  deepStrictEqual(h.run("ZMSCORE", "z", "a", "b", "new"), array([double(1), double(9), double(1)]));
  deepStrictEqual(h.run("ZADD", "z", "LT", "CH", "0", "a", "99", "b"), integer(1));
  deepStrictEqual(h.run("ZMSCORE", "z", "a", "b"), array([double(0), double(9)]));
  deepStrictEqual(h.run("ZADD", "z", "XX", "GT", "CH", "50", "c", "1", "zz"), integer(1));
  deepStrictEqual(h.run("ZSCORE", "z", "zz"), NIL);
});

Deno.test("ZADD INCR returns the new score, or nil when a condition blocks it", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZADD", "z", "INCR", "2.5", "a"), double(3.5));
  deepStrictEqual(h.run("ZADD", "z", "INCR", "2", "new"), double(2));
  deepStrictEqual(h.run("ZADD", "z", "NX", "INCR", "1", "a"), NIL);
  deepStrictEqual(h.run("ZADD", "z", "XX", "INCR", "1", "missing"), NIL);
  deepStrictEqual(h.run("ZADD", "z", "GT", "INCR", "-1", "a"), NIL);
  deepStrictEqual(h.run("ZADD", "z", "LT", "INCR", "-1", "a"), double(2.5));
  deepStrictEqual(h.run("ZADD", "z", "INCR", "0", "a"), double(2.5));
});

Deno.test("ZADD rejects conflicting options with Redis's texts", () => {
  const h = withSet();
  deepStrictEqual(
    h.run("ZADD", "z", "XX", "NX", "1", "a"),
    error("ERR XX and NX options at the same time are not compatible"),
  );
  const gtLtNx = error("ERR GT, LT, and/or NX options at the same time are not compatible");
  deepStrictEqual(h.run("ZADD", "z", "GT", "LT", "1", "a"), gtLtNx);
  deepStrictEqual(h.run("ZADD", "z", "gt", "nx", "1", "a"), gtLtNx);
  deepStrictEqual(h.run("ZADD", "z", "LT", "NX", "1", "a"), gtLtNx);
  deepStrictEqual(
    h.run("ZADD", "z", "INCR", "1", "a", "2", "b"),
    error("ERR INCR option supports a single increment-element pair"),
  );
});

Deno.test("ZADD checks pairs and scores before touching the set", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZADD", "z", "1", "a", "2"), SYNTAX);
  deepStrictEqual(h.run("ZADD", "z", "NX", "CH"), SYNTAX);
  deepStrictEqual(
    h.run("ZADD", "z", "NX"),
    error("ERR wrong number of arguments for 'zadd' command"),
  );
  deepStrictEqual(h.run("ZADD", "z", "9", "a", "abc", "b"), NOT_FLOAT);
  deepStrictEqual(h.run("ZADD", "z", "nan", "a"), NOT_FLOAT);
  deepStrictEqual(h.run("ZADD", "z", "1e400", "a"), NOT_FLOAT);
  deepStrictEqual(h.run("ZADD", "z", " 1", "a"), NOT_FLOAT);
  deepStrictEqual(h.run("ZSCORE", "z", "a"), double(1));
  // The score error comes before the type check, as in Redis.
  deepStrictEqual(h.run("ZADD", "s", "abc", "a"), NOT_FLOAT);
  deepStrictEqual(h.run("ZADD", "s", "1", "a"), WRONGTYPE);
});

Deno.test("ZADD INCR refuses a NaN result and leaves the score alone", () => {
  const h = createHarness();
  h.run("ZADD", "z", "inf", "a");
  deepStrictEqual(
    h.run("ZADD", "z", "INCR", "-inf", "a"),
    error("ERR resulting score is not a number (NaN)"),
  );
  deepStrictEqual(h.run("ZSCORE", "z", "a"), double(Infinity));
});

Deno.test("ZADD stores -0 as 0 and accepts infinities", () => {
  const h = createHarness();
  h.run("ZADD", "z", "-0", "zero", "-inf", "low", "+inf", "high");
  deepStrictEqual(
    h.run("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    flat(["low", -Infinity], ["zero", 0], ["high", Infinity]),
  );
  ok(!Object.is((h.run("ZSCORE", "z", "zero") as { value: number }).value, -0));
});

Deno.test("ZADD and ZINCRBY report a change only when the set changed", () => {
  const h = withSet();
  deepStrictEqual(modifiedBy(h, () => h.run("ZADD", "z", "9", "a")), ["z"]);
  deepStrictEqual(modifiedBy(h, () => h.run("ZADD", "z", "9", "a")), []);
  deepStrictEqual(modifiedBy(h, () => h.run("ZADD", "z", "NX", "1", "a")), []);
  deepStrictEqual(modifiedBy(h, () => h.run("ZINCRBY", "z", "1", "a")), ["z"]);
  deepStrictEqual(modifiedBy(h, () => h.run("ZADD", "new", "1", "a")), ["new"]);
});

// ZINCRBY

Deno.test("ZINCRBY adds to a score and creates missing members and keys", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZINCRBY", "z", "1.5", "a"), double(2.5));
  deepStrictEqual(h.run("ZINCRBY", "z", "-4", "new"), double(-4));
  deepStrictEqual(h.run("ZINCRBY", "fresh", "3", "m"), double(3));
  deepStrictEqual(h.run("ZCARD", "fresh"), integer(1));
});

Deno.test("ZINCRBY errors: bad increment, option words, wrong type", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZINCRBY", "z", "abc", "a"), NOT_FLOAT);
  // Redis parses ZINCRBY with ZADD's option parser, so an option word is a syntax error.
  deepStrictEqual(h.run("ZINCRBY", "z", "nx", "a"), SYNTAX);
  deepStrictEqual(h.run("ZINCRBY", "s", "1", "a"), WRONGTYPE);
  deepStrictEqual(
    h.run("ZINCRBY", "z", "1", "a", "b"),
    error("ERR wrong number of arguments for 'zincrby' command"),
  );
});

// ZREM, ZSCORE, ZMSCORE, ZCARD

Deno.test("ZREM removes the members given and deletes the key once empty", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZREM", "z", "a", "nope", "b", "a"), integer(2));
  deepStrictEqual(h.run("ZCARD", "z"), integer(3));
  deepStrictEqual(h.run("ZREM", "missing", "a"), integer(0));
  deepStrictEqual(modifiedBy(h, () => h.run("ZREM", "z", "nope")), []);
  deepStrictEqual(h.run("ZREM", "z", "c", "d", "e"), integer(3));
  strictEqual(h.keyspace.has("z"), false);
  deepStrictEqual(h.run("ZREM", "s", "a"), WRONGTYPE);
});

Deno.test("ZSCORE and ZMSCORE answer nil for missing members and keys", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZSCORE", "z", "c"), double(3));
  deepStrictEqual(h.run("ZSCORE", "z", "nope"), NIL);
  deepStrictEqual(h.run("ZSCORE", "missing", "a"), NIL);
  deepStrictEqual(h.run("ZMSCORE", "z", "c", "nope", "a"), array([double(3), NIL, double(1)]));
  deepStrictEqual(h.run("ZMSCORE", "missing", "a", "b"), array([NIL, NIL]));
  deepStrictEqual(h.run("ZSCORE", "s", "a"), WRONGTYPE);
  deepStrictEqual(h.run("ZMSCORE", "s", "a"), WRONGTYPE);
});

Deno.test("ZCARD counts members, 0 for a missing key", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZCARD", "z"), integer(5));
  deepStrictEqual(h.run("ZCARD", "missing"), integer(0));
  deepStrictEqual(h.run("ZCARD", "s"), WRONGTYPE);
});

// ZCOUNT, ZLEXCOUNT

Deno.test("ZCOUNT honours inclusive, exclusive and infinite bounds", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZCOUNT", "z", "-inf", "+inf"), integer(5));
  deepStrictEqual(h.run("ZCOUNT", "z", "2", "4"), integer(3));
  deepStrictEqual(h.run("ZCOUNT", "z", "(2", "(4"), integer(1));
  deepStrictEqual(h.run("ZCOUNT", "z", "4", "2"), integer(0));
  deepStrictEqual(h.run("ZCOUNT", "z", "(3", "3"), integer(0));
  deepStrictEqual(h.run("ZCOUNT", "missing", "0", "1"), integer(0));
});

Deno.test("ZCOUNT reads bounds as C strtod does", () => {
  const h = withSet();
  // "" and "(" are 0, blanks lead, hex floats and overflow are accepted, as in Redis.
  deepStrictEqual(h.run("ZCOUNT", "z", "", "2"), integer(2));
  deepStrictEqual(h.run("ZCOUNT", "z", "(", "2"), integer(2));
  deepStrictEqual(h.run("ZCOUNT", "z", " 2", "3"), integer(2));
  deepStrictEqual(h.run("ZCOUNT", "z", "0x2", "0x1.8p1"), integer(2));
  deepStrictEqual(h.run("ZCOUNT", "z", "-1e400", "1e400"), integer(5));
  deepStrictEqual(h.run("ZCOUNT", "z", "1e-400", "1"), integer(1));
  for (const bad of ["abc", "1 ", "((1", "nan", "(nan", "1.5e", "-", "0x"]) {
    deepStrictEqual(h.run("ZCOUNT", "z", bad, "10"), SCORE_RANGE, bad);
  }
  // Range errors come before the type check.
  deepStrictEqual(h.run("ZCOUNT", "s", "a", "1"), SCORE_RANGE);
  deepStrictEqual(h.run("ZCOUNT", "s", "0", "1"), WRONGTYPE);
});

Deno.test("ZLEXCOUNT counts members in a lex interval", () => {
  const h = createHarness();
  h.run("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e");
  deepStrictEqual(h.run("ZLEXCOUNT", "l", "-", "+"), integer(5));
  deepStrictEqual(h.run("ZLEXCOUNT", "l", "[b", "[d"), integer(3));
  deepStrictEqual(h.run("ZLEXCOUNT", "l", "(b", "(d"), integer(1));
  deepStrictEqual(h.run("ZLEXCOUNT", "l", "+", "-"), integer(0));
  deepStrictEqual(h.run("ZLEXCOUNT", "l", "[", "+"), integer(5));
  deepStrictEqual(h.run("ZLEXCOUNT", "missing", "-", "+"), integer(0));
  for (const bad of ["a", "", "+a", "-a"]) {
    deepStrictEqual(h.run("ZLEXCOUNT", "l", bad, "+"), LEX_RANGE, bad);
  }
});

// ZRANK, ZREVRANK

Deno.test("ZRANK and ZREVRANK give 0-based positions from either end", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZRANK", "z", "a"), integer(0));
  deepStrictEqual(h.run("ZRANK", "z", "d"), integer(3));
  deepStrictEqual(h.run("ZREVRANK", "z", "d"), integer(1));
  deepStrictEqual(h.run("ZRANK", "z", "nope"), NIL);
  deepStrictEqual(h.run("ZREVRANK", "missing", "a"), NIL);
  deepStrictEqual(h.run("ZRANK", "s", "a"), WRONGTYPE);
});

Deno.test("ZRANK WITHSCORE (Redis 7.2) adds the score; a missing member is a nil array", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZRANK", "z", "c", "WITHSCORE"), array([integer(2), double(3)]));
  deepStrictEqual(h.run("ZREVRANK", "z", "c", "withscore"), array([integer(2), double(3)]));
  deepStrictEqual(h.run("ZRANK", "z", "nope", "WITHSCORE"), NIL_ARRAY);
  deepStrictEqual(h.run("ZRANK", "missing", "a", "WITHSCORE"), NIL);
  deepStrictEqual(h.run("ZRANK", "z", "a", "WITHSCORES"), SYNTAX);
  deepStrictEqual(
    h.run("ZRANK", "z", "a", "WITHSCORE", "x"),
    error("ERR wrong number of arguments for 'zrank' command"),
  );
});

// ZRANGE by rank

Deno.test("ZRANGE by rank clamps indexes and counts negatives from the end", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZRANGE", "z", "0", "-1"), members("a", "b", "c", "d", "e"));
  deepStrictEqual(h.run("ZRANGE", "z", "-3", "-2"), members("c", "d"));
  deepStrictEqual(h.run("ZRANGE", "z", "-100", "1"), members("a", "b"));
  deepStrictEqual(h.run("ZRANGE", "z", "3", "100"), members("d", "e"));
  deepStrictEqual(h.run("ZRANGE", "z", "2", "1"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZRANGE", "z", "5", "10"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZRANGE", "missing", "0", "-1"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZRANGE", "s", "0", "-1"), WRONGTYPE);
});

Deno.test("ZRANGE REV and ZREVRANGE count ranks from the highest score", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZRANGE", "z", "0", "1", "REV", "WITHSCORES"), flat(["e", 5], ["d", 4]));
  deepStrictEqual(h.run("ZREVRANGE", "z", "-2", "-1"), members("b", "a"));
  deepStrictEqual(h.run("ZREVRANGE", "z", "0", "0", "WITHSCORES"), flat(["e", 5]));
});

Deno.test("ZRANGE orders equal scores by member bytes", () => {
  const h = createHarness();
  h.run("ZADD", "z", "1", "b", "1", "B", "1", "a", "1", "\xff", "1", "\x00");
  deepStrictEqual(h.run("ZRANGE", "z", "0", "-1"), members("\x00", "B", "a", "b", "\xff"));
});

Deno.test("ZRANGE WITHSCORES is flat on RESP2 and [member, score] pairs on RESP3", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZRANGE", "z", "0", "1", "WITHSCORES"), flat(["a", 1], ["b", 2]));
  h.session.protocol = 3;
  deepStrictEqual(h.run("ZRANGE", "z", "0", "1", "WITHSCORES"), nested(["a", 1], ["b", 2]));
  deepStrictEqual(
    h.run("ZRANGEBYSCORE", "z", "4", "+inf", "WITHSCORES"),
    nested(["d", 4], ["e", 5]),
  );
  deepStrictEqual(h.run("ZRANGE", "z", "0", "1"), members("a", "b"));
});

Deno.test("ZRANGE option errors use Redis's texts", () => {
  const h = withSet();
  deepStrictEqual(
    h.run("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1"),
    error(
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    ),
  );
  deepStrictEqual(
    h.run("ZREVRANGE", "z", "0", "-1", "LIMIT", "0", "1"),
    error(
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    ),
  );
  // Redis only notices LIMIT with ranks when the count differs from its default of -1.
  deepStrictEqual(h.run("ZRANGE", "z", "0", "1", "LIMIT", "0", "-1"), members("a", "b"));
  deepStrictEqual(
    h.run("ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES"),
    error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
  );
  deepStrictEqual(h.run("ZRANGE", "z", "0", "-1", "LIMIT", "0"), SYNTAX);
  deepStrictEqual(h.run("ZRANGE", "z", "0", "1", "BYSCORE", "BYSCORE"), SYNTAX);
  deepStrictEqual(h.run("ZRANGE", "z", "0", "1", "BYSCORE", "BYLEX"), SYNTAX);
  deepStrictEqual(h.run("ZRANGE", "z", "0", "1", "REV", "REV"), SYNTAX);
  deepStrictEqual(h.run("ZRANGE", "z", "0", "1", "foo"), SYNTAX);
  deepStrictEqual(h.run("ZRANGE", "z", "0", "9", "BYSCORE", "LIMIT", "a", "1"), NOT_INTEGER);
  deepStrictEqual(h.run("ZRANGE", "z", "a", "1"), NOT_INTEGER);
  deepStrictEqual(h.run("ZRANGE", "z", "a", "1", "BYSCORE"), SCORE_RANGE);
  deepStrictEqual(h.run("ZRANGE", "z", "a", "1", "BYLEX"), LEX_RANGE);
  // Argument errors come before the type check.
  deepStrictEqual(h.run("ZRANGE", "s", "a", "1"), NOT_INTEGER);
});

Deno.test("ZRANGE repeats of LIMIT and WITHSCORES keep the last values", () => {
  const h = withSet();
  deepStrictEqual(
    h.run("ZRANGE", "z", "0", "9", "BYSCORE", "LIMIT", "0", "1", "LIMIT", "1", "1"),
    members("b"),
  );
  deepStrictEqual(
    h.run("ZRANGEBYSCORE", "z", "0", "1", "WITHSCORES", "WITHSCORES"),
    flat(["a", 1]),
  );
});

// ZRANGE by score

Deno.test("ZRANGE BYSCORE selects by interval with LIMIT offset and count", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZRANGE", "z", "(1", "4", "BYSCORE"), members("b", "c", "d"));
  deepStrictEqual(
    h.run("ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "2", "2", "WITHSCORES"),
    flat(["c", 3], ["d", 4]),
  );
  deepStrictEqual(
    h.run("ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "3", "-1"),
    members("d", "e"),
  );
  deepStrictEqual(
    h.run("ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "3", "-7"),
    members("d", "e"),
  );
  deepStrictEqual(h.run("ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "1", "0"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "10", "2"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZRANGE", "z", "5", "5", "BYSCORE"), members("e"));
  deepStrictEqual(h.run("ZRANGE", "z", "(5", "5", "BYSCORE"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZRANGE", "z", "6", "5", "BYSCORE"), EMPTY_ARRAY);
});

Deno.test("ZRANGE BYSCORE with a negative LIMIT offset returns nothing, as Redis does", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZRANGE", "z", "0", "10", "BYSCORE", "LIMIT", "-1", "2"), EMPTY_ARRAY);
});

Deno.test("ZRANGE BYSCORE REV reads max first and skips from the top", () => {
  const h = withSet();
  deepStrictEqual(
    h.run("ZRANGE", "z", "10", "0", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"),
    flat(["d", 4], ["c", 3]),
  );
  deepStrictEqual(h.run("ZRANGE", "z", "(5", "(1", "BYSCORE", "REV"), members("d", "c", "b"));
  deepStrictEqual(h.run("ZRANGE", "z", "0", "10", "BYSCORE", "REV"), EMPTY_ARRAY);
});

Deno.test("ZRANGEBYSCORE and ZREVRANGEBYSCORE accept only WITHSCORES and LIMIT", () => {
  const h = withSet();
  deepStrictEqual(
    h.run("ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "2"),
    flat(["b", 2], ["c", 3]),
  );
  deepStrictEqual(
    h.run("ZREVRANGEBYSCORE", "z", "+inf", "(2", "LIMIT", "0", "2"),
    members("e", "d"),
  );
  deepStrictEqual(h.run("ZREVRANGEBYSCORE", "z", "0", "10"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZRANGEBYSCORE", "z", "0", "10", "REV"), SYNTAX);
  deepStrictEqual(h.run("ZRANGEBYSCORE", "z", "0", "10", "BYLEX"), SYNTAX);
  deepStrictEqual(h.run("ZRANGEBYSCORE", "z", "0", "10", "LIMIT", "0"), SYNTAX);
  deepStrictEqual(h.run("ZRANGEBYSCORE", "z", "a", "10"), SCORE_RANGE);
  deepStrictEqual(h.run("ZREVRANGE", "z", "0", "1", "BYSCORE"), SYNTAX);
});

Deno.test("ZRANGE BYSCORE LIMIT skips a large offset by rank, not by walking", () => {
  const h = createHarness();
  for (let batch = 0; batch < 200; batch++) {
    const argv = ["ZADD", "big"];
    for (let i = batch * 1000; i < (batch + 1) * 1000; i++) argv.push(String(i), `m${i}`);
    h.run(...argv);
  }
  deepStrictEqual(h.run("ZCARD", "big"), integer(200_000));
  deepStrictEqual(
    h.run("ZRANGE", "big", "(100", "+inf", "BYSCORE", "LIMIT", "150000", "3", "WITHSCORES"),
    flat(["m150101", 150101], ["m150102", 150102], ["m150103", 150103]),
  );
  deepStrictEqual(
    h.run("ZRANGE", "big", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "199998", "5"),
    members("m1", "m0"),
  );
  deepStrictEqual(
    h.run("ZRANGEBYLEX", "big", "-", "+", "LIMIT", "199999", "10"),
    members("m199999"),
  );
  for (let i = 0; i < 1000; i++) {
    h.run("ZRANGEBYSCORE", "big", "-inf", "+inf", "LIMIT", String(100_000 + i), "1");
  }
});

// ZRANGE by lex

Deno.test("ZRANGEBYLEX and ZREVRANGEBYLEX select by member interval", () => {
  const h = createHarness();
  h.run("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f");
  deepStrictEqual(h.run("ZRANGEBYLEX", "l", "[b", "(e"), members("b", "c", "d"));
  deepStrictEqual(h.run("ZRANGEBYLEX", "l", "(b", "[e"), members("c", "d", "e"));
  deepStrictEqual(h.run("ZRANGEBYLEX", "l", "-", "+", "LIMIT", "1", "2"), members("b", "c"));
  deepStrictEqual(h.run("ZRANGEBYLEX", "l", "-", "+", "LIMIT", "-1", "2"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZRANGEBYLEX", "l", "[e", "[b"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZRANGEBYLEX", "l", "+", "-"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", "1", "2"), members("e", "d"));
  deepStrictEqual(h.run("ZREVRANGEBYLEX", "l", "[e", "(b"), members("e", "d", "c"));
  deepStrictEqual(
    h.run("ZRANGE", "l", "+", "[c", "BYLEX", "REV", "LIMIT", "1", "10"),
    members("e", "d", "c"),
  );
  deepStrictEqual(h.run("ZRANGEBYLEX", "l", "a", "+"), LEX_RANGE);
  deepStrictEqual(
    h.run("ZRANGEBYLEX", "l", "-", "+", "WITHSCORES"),
    error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"),
  );
});

// ZRANGESTORE

Deno.test("ZRANGESTORE stores the selected members with their scores", () => {
  const h = withSet();
  deepStrictEqual(
    h.run("ZRANGESTORE", "d", "z", "4", "2", "BYSCORE", "REV", "LIMIT", "1", "5"),
    integer(2),
  );
  deepStrictEqual(h.run("ZRANGE", "d", "0", "-1", "WITHSCORES"), flat(["b", 2], ["c", 3]));
  deepStrictEqual(h.run("ZRANGESTORE", "d", "z", "-1", "-1"), integer(1));
  deepStrictEqual(h.run("ZRANGE", "d", "0", "-1", "WITHSCORES"), flat(["e", 5]));
});

Deno.test("ZRANGESTORE deletes the destination when nothing is selected", () => {
  const h = withSet();
  h.run("ZADD", "d", "1", "x");
  deepStrictEqual(h.run("ZRANGESTORE", "d", "z", "10", "20"), integer(0));
  strictEqual(h.keyspace.has("d"), false);
  h.run("ZADD", "d", "1", "x");
  deepStrictEqual(h.run("ZRANGESTORE", "d", "missing", "0", "-1"), integer(0));
  strictEqual(h.keyspace.has("d"), false);
});

Deno.test("ZRANGESTORE overwrites any destination type and its TTL, may overwrite its source", () => {
  const h = withSet();
  h.keyspace.setExpiry("s", h.keyspace.now + 10_000);
  deepStrictEqual(h.run("ZRANGESTORE", "s", "z", "0", "1"), integer(2));
  deepStrictEqual(h.run("ZRANGE", "s", "0", "-1"), members("a", "b"));
  strictEqual(h.keyspace.getExpiry("s"), undefined);
  deepStrictEqual(h.run("ZRANGESTORE", "z", "z", "1", "2"), integer(2));
  deepStrictEqual(h.run("ZRANGE", "z", "0", "-1"), members("b", "c"));
});

Deno.test("ZRANGESTORE refuses WITHSCORES and a non-sorted-set source", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES"), SYNTAX);
  deepStrictEqual(h.run("ZRANGESTORE", "d", "s", "0", "-1"), WRONGTYPE);
});

// ZPOPMIN, ZPOPMAX, ZMPOP

Deno.test("ZPOPMIN and ZPOPMAX remove and return the extremes", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZPOPMIN", "z"), flat(["a", 1]));
  deepStrictEqual(h.run("ZPOPMAX", "z", "2"), flat(["e", 5], ["d", 4]));
  deepStrictEqual(h.run("ZPOPMIN", "z", "0"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZPOPMIN", "z", "100"), flat(["b", 2], ["c", 3]));
  strictEqual(h.keyspace.has("z"), false);
  deepStrictEqual(h.run("ZPOPMIN", "z"), EMPTY_ARRAY);
});

Deno.test("ZPOPMIN on RESP3 nests pairs only when a count is given", () => {
  const h = withSet();
  h.session.protocol = 3;
  deepStrictEqual(h.run("ZPOPMIN", "z"), flat(["a", 1]));
  deepStrictEqual(h.run("ZPOPMIN", "z", "1"), nested(["b", 2]));
  deepStrictEqual(h.run("ZPOPMAX", "z", "2"), nested(["e", 5], ["d", 4]));
});

Deno.test("ZPOPMIN errors follow Redis 7.0", () => {
  const h = withSet();
  const notPositive = error("ERR value is out of range, must be positive");
  deepStrictEqual(h.run("ZPOPMIN", "z", "-1"), notPositive);
  deepStrictEqual(h.run("ZPOPMIN", "z", "abc"), notPositive);
  deepStrictEqual(h.run("ZPOPMIN", "z", "1", "2"), SYNTAX);
  deepStrictEqual(h.run("ZPOPMAX", "s"), WRONGTYPE);
});

Deno.test("ZMPOP pops from the first non-empty key as [key, pairs]", () => {
  const h = withSet();
  deepStrictEqual(
    h.run("ZMPOP", "2", "missing", "z", "MAX", "COUNT", "2"),
    array([bulk("z"), nested(["e", 5], ["d", 4])]),
  );
  deepStrictEqual(h.run("ZMPOP", "1", "z", "min"), array([bulk("z"), nested(["a", 1])]));
  deepStrictEqual(h.run("ZMPOP", "1", "missing", "MIN"), NIL_ARRAY);
  deepStrictEqual(
    h.run("ZMPOP", "1", "z", "MIN", "COUNT", "10"),
    array([bulk("z"), nested(["b", 2], ["c", 3])]),
  );
  strictEqual(h.keyspace.has("z"), false);
});

Deno.test("ZMPOP errors use Redis's texts", () => {
  const h = withSet();
  const numkeys = error("ERR numkeys should be greater than 0");
  const count = error("ERR count should be greater than 0");
  deepStrictEqual(h.run("ZMPOP", "0", "z", "MIN"), numkeys);
  deepStrictEqual(h.run("ZMPOP", "abc", "z", "MIN"), numkeys);
  deepStrictEqual(h.run("ZMPOP", "1", "z", "foo"), SYNTAX);
  deepStrictEqual(h.run("ZMPOP", "5", "z", "MIN"), SYNTAX);
  deepStrictEqual(h.run("ZMPOP", "1", "z", "MIN", "COUNT"), SYNTAX);
  deepStrictEqual(h.run("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"), SYNTAX);
  deepStrictEqual(h.run("ZMPOP", "1", "z", "MIN", "COUNT", "0"), count);
  deepStrictEqual(h.run("ZMPOP", "1", "z", "MIN", "COUNT", "abc"), count);
  deepStrictEqual(h.run("ZMPOP", "2", "missing", "s", "MIN"), WRONGTYPE);
});

// ZREMRANGEBY*

Deno.test("ZREMRANGEBYRANK removes a rank range and reports the count", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZREMRANGEBYRANK", "z", "0", "1"), integer(2));
  deepStrictEqual(h.run("ZREMRANGEBYRANK", "z", "-1", "-1"), integer(1));
  deepStrictEqual(h.run("ZRANGE", "z", "0", "-1"), members("c", "d"));
  deepStrictEqual(h.run("ZREMRANGEBYRANK", "z", "5", "10"), integer(0));
  deepStrictEqual(h.run("ZREMRANGEBYRANK", "missing", "0", "1"), integer(0));
  deepStrictEqual(h.run("ZREMRANGEBYRANK", "missing", "a", "1"), NOT_INTEGER);
  deepStrictEqual(h.run("ZREMRANGEBYRANK", "s", "0", "1"), WRONGTYPE);
  deepStrictEqual(h.run("ZREMRANGEBYRANK", "z", "0", "-1"), integer(2));
  strictEqual(h.keyspace.has("z"), false);
});

Deno.test("ZREMRANGEBYSCORE removes a score interval", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZREMRANGEBYSCORE", "z", "(2", "4"), integer(2));
  deepStrictEqual(h.run("ZRANGE", "z", "0", "-1"), members("a", "b", "e"));
  deepStrictEqual(h.run("ZREMRANGEBYSCORE", "z", "10", "20"), integer(0));
  deepStrictEqual(h.run("ZREMRANGEBYSCORE", "z", "a", "b"), SCORE_RANGE);
  deepStrictEqual(modifiedBy(h, () => h.run("ZREMRANGEBYSCORE", "z", "10", "20")), []);
  deepStrictEqual(modifiedBy(h, () => h.run("ZREMRANGEBYSCORE", "z", "-inf", "inf")), ["z"]);
  strictEqual(h.keyspace.has("z"), false);
});

Deno.test("ZREMRANGEBYLEX removes a lex interval", () => {
  const h = createHarness();
  h.run("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e");
  deepStrictEqual(h.run("ZREMRANGEBYLEX", "l", "[b", "(d"), integer(2));
  deepStrictEqual(h.run("ZRANGE", "l", "0", "-1"), members("a", "d", "e"));
  deepStrictEqual(h.run("ZREMRANGEBYLEX", "l", "(x", "+"), integer(0));
  deepStrictEqual(h.run("ZREMRANGEBYLEX", "l", "a", "b"), LEX_RANGE);
  deepStrictEqual(h.run("ZREMRANGEBYLEX", "l", "-", "+"), integer(3));
  strictEqual(h.keyspace.has("l"), false);
});

// ZRANDMEMBER

Deno.test("ZRANDMEMBER without a count returns one member, nil for a missing key", () => {
  const h = withSet();
  h.server.random = replay(0.5);
  deepStrictEqual(h.run("ZRANDMEMBER", "z"), bulk("c"));
  deepStrictEqual(h.run("ZRANDMEMBER", "missing"), NIL);
  deepStrictEqual(h.run("ZRANDMEMBER", "s"), WRONGTYPE);
});

Deno.test("ZRANDMEMBER with a positive count returns distinct members", () => {
  const h = withSet();
  for (let round = 0; round < 50; round++) {
    const names = bulkValues(h.run("ZRANDMEMBER", "z", "3"));
    strictEqual(new Set(names).size, 3);
    ok(names.every((name) => "abcde".includes(name)));
  }
  // A count at or above the size returns the whole set, highest first (as Redis 7 does).
  deepStrictEqual(h.run("ZRANDMEMBER", "z", "10"), members("e", "d", "c", "b", "a"));
  deepStrictEqual(h.run("ZRANDMEMBER", "z", "0"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZRANDMEMBER", "missing", "3"), EMPTY_ARRAY);
});

Deno.test("ZRANDMEMBER with a negative count may repeat members", () => {
  const h = withSet();
  h.server.random = replay(0, 0, 0.99);
  deepStrictEqual(h.run("ZRANDMEMBER", "z", "-4"), members("a", "a", "e", "a"));
  h.server.random = replay(0.3);
  deepStrictEqual(h.run("ZRANDMEMBER", "z", "-2", "WITHSCORES"), flat(["b", 2], ["b", 2]));
  h.session.protocol = 3;
  deepStrictEqual(h.run("ZRANDMEMBER", "z", "-1", "WITHSCORES"), nested(["b", 2]));
});

Deno.test("ZRANDMEMBER count errors follow Redis 7.0", () => {
  const h = withSet();
  deepStrictEqual(h.run("ZRANDMEMBER", "z", "abc"), NOT_INTEGER);
  deepStrictEqual(h.run("ZRANDMEMBER", "z", "9223372036854775808"), NOT_INTEGER);
  deepStrictEqual(
    h.run("ZRANDMEMBER", "z", "-9223372036854775808"),
    error(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    ),
  );
  const outOfRange = error("ERR value is out of range");
  deepStrictEqual(h.run("ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"), outOfRange);
  deepStrictEqual(h.run("ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"), outOfRange);
  deepStrictEqual(h.run("ZRANDMEMBER", "z", "1", "x"), SYNTAX);
  deepStrictEqual(h.run("ZRANDMEMBER", "z", "1", "WITHSCORES", "x"), SYNTAX);
  deepStrictEqual(h.run("ZRANDMEMBER", "s", "1"), WRONGTYPE);
});

// ZSCAN

Deno.test("ZSCAN returns a small set in one page with scores as strings", () => {
  const h = createHarness();
  h.run("ZADD", "z", "1", "a", "2", "b", "1.5", "c");
  const page = array([bulk("0"), array(["a", "1", "c", "1.5", "b", "2"].map(bulk))]);
  deepStrictEqual(h.run("ZSCAN", "z", "0"), page);
  h.session.protocol = 3;
  deepStrictEqual(h.run("ZSCAN", "z", "0", "COUNT", "1"), page);
  deepStrictEqual(
    h.run("ZSCAN", "z", "0", "MATCH", "[ab]"),
    array([bulk("0"), array(["a", "1", "b", "2"].map(bulk))]),
  );
});

Deno.test("ZSCAN pages through a large set and returns every member once", () => {
  const h = createHarness();
  const argv = ["ZADD", "z"];
  for (let i = 0; i < 1000; i++) argv.push(String(i / 4), `m${i}`);
  h.run(...argv);
  const seen = new Map<string, string>();
  let cursor = "0";
  let calls = 0;
  do {
    const reply = h.run("ZSCAN", "z", cursor, "COUNT", "100");
    if (reply.kind !== "array") throw new Error(`Expected an array, got ${reply.kind}`);
    cursor = bulkValues(array(reply.items.slice(0, 1)))[0]!;
    const items = bulkValues(reply.items[1]);
    for (let i = 0; i < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
    calls++;
  } while (cursor !== "0");
  strictEqual(seen.size, 1000);
  strictEqual(seen.get("m6"), "1.5");
  ok(calls >= 10 && calls <= 11, `${calls} calls`);
});

Deno.test("ZSCAN MATCH filters members of a large set", () => {
  const h = createHarness();
  const argv = ["ZADD", "z"];
  for (let i = 0; i < 500; i++) argv.push(String(i), `m${i}`);
  h.run(...argv);
  const reply = h.run("ZSCAN", "z", "0", "MATCH", "m4?", "COUNT", "1000");
  if (reply.kind !== "array") throw new Error(`Expected an array, got ${reply.kind}`);
  deepStrictEqual(reply.items[0], bulk("0"));
  // Members come in hash order, as in Redis: compare member/score pairs as a set.
  const flat = bulkValues(reply.items[1]);
  const pairs: string[] = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push(`${flat[i]}=${flat[i + 1]}`);
  deepStrictEqual(pairs.sort(), Array.from({ length: 10 }, (_, i) => `m4${i}=4${i}`));
});

Deno.test("ZSCAN checks the cursor, then the key, then the options", () => {
  const h = withSet();
  const invalid = error("ERR invalid cursor");
  deepStrictEqual(h.run("ZSCAN", "missing", "abc"), invalid);
  deepStrictEqual(h.run("ZSCAN", "missing", "0", "COUNT", "0"), array([bulk("0"), EMPTY_ARRAY]));
  deepStrictEqual(h.run("ZSCAN", "s", "0", "COUNT", "0"), WRONGTYPE);
  deepStrictEqual(h.run("ZSCAN", "z", "0", "COUNT", "0"), SYNTAX);
  deepStrictEqual(h.run("ZSCAN", "z", "0", "COUNT", "abc"), NOT_INTEGER);
  deepStrictEqual(h.run("ZSCAN", "z", "0", "MATCH"), SYNTAX);
  deepStrictEqual(h.run("ZSCAN", "z", "0", "TYPE", "zset"), SYNTAX);
});

// ZUNION, ZINTER, ZDIFF and their STORE forms

/** a: x1 y2 z3 i:inf n:-inf   b: y10 z20 w30 i:-inf n:inf   c: z5 i0 */
function withInputs(): Harness {
  const h = createHarness();
  h.run("ZADD", "a", "1", "x", "2", "y", "3", "z", "inf", "i", "-inf", "n");
  h.run("ZADD", "b", "10", "y", "20", "z", "30", "w", "-inf", "i", "inf", "n");
  h.run("ZADD", "c", "5", "z", "0", "i");
  h.keyspace.set("s", "v");
  return h;
}

Deno.test("ZUNION sums scores, and inf plus -inf is 0", () => {
  const h = withInputs();
  deepStrictEqual(
    h.run("ZUNION", "2", "a", "b", "WITHSCORES"),
    flat(["i", 0], ["n", 0], ["x", 1], ["y", 12], ["z", 23], ["w", 30]),
  );
  deepStrictEqual(h.run("ZUNION", "2", "a", "missing"), members("n", "x", "y", "z", "i"));
});

Deno.test("ZUNION WEIGHTS scale scores and 0 times inf counts as 0", () => {
  const h = withInputs();
  deepStrictEqual(
    h.run("ZUNION", "2", "a", "b", "WEIGHTS", "0", "1", "WITHSCORES"),
    flat(["i", -Infinity], ["x", 0], ["y", 10], ["z", 20], ["w", 30], ["n", Infinity]),
  );
  deepStrictEqual(
    h.run("ZUNION", "3", "a", "b", "c", "WEIGHTS", "1", "-1", "2", "WITHSCORES"),
    flat(["n", -Infinity], ["w", -30], ["y", -8], ["z", -7], ["x", 1], ["i", Infinity]),
  );
});

Deno.test("ZUNION AGGREGATE MIN and MAX pick the extreme score", () => {
  const h = withInputs();
  deepStrictEqual(
    h.run("ZUNION", "2", "a", "b", "AGGREGATE", "MIN", "WITHSCORES"),
    flat(["i", -Infinity], ["n", -Infinity], ["x", 1], ["y", 2], ["z", 3], ["w", 30]),
  );
  deepStrictEqual(
    h.run("ZUNION", "2", "a", "b", "aggregate", "max", "WITHSCORES"),
    flat(["x", 1], ["y", 10], ["z", 20], ["w", 30], ["i", Infinity], ["n", Infinity]),
  );
});

Deno.test("ZINTER keeps members present in every input", () => {
  const h = withInputs();
  deepStrictEqual(
    h.run("ZINTER", "2", "a", "b", "WITHSCORES"),
    flat(["i", 0], ["n", 0], ["y", 12], ["z", 23]),
  );
  deepStrictEqual(
    h.run("ZINTER", "3", "a", "b", "c", "AGGREGATE", "MAX", "WITHSCORES"),
    flat(["z", 20], ["i", Infinity]),
  );
  deepStrictEqual(
    h.run("ZINTER", "3", "a", "b", "c", "AGGREGATE", "MIN", "WEIGHTS", "1", "2", "3", "WITHSCORES"),
    flat(["i", -Infinity], ["z", 3]),
  );
  deepStrictEqual(h.run("ZINTER", "2", "a", "missing"), EMPTY_ARRAY);
  deepStrictEqual(
    h.run("ZINTER", "2", "a", "a", "WEIGHTS", "1", "-1", "WITHSCORES"),
    flat(["i", 0], ["n", 0], ["x", 0], ["y", 0], ["z", 0]),
  );
});

Deno.test("ZDIFF keeps the first input's members found in no other", () => {
  const h = withInputs();
  deepStrictEqual(h.run("ZDIFF", "2", "a", "b", "WITHSCORES"), flat(["x", 1]));
  deepStrictEqual(h.run("ZDIFF", "2", "b", "c"), members("y", "w", "n"));
  deepStrictEqual(h.run("ZDIFF", "2", "a", "a"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZDIFF", "2", "missing", "a"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZDIFF", "2", "c", "missing", "WITHSCORES"), flat(["i", 0], ["z", 5]));
});

Deno.test("ZUNION WITHSCORES nests [member, score] pairs on RESP3", () => {
  const h = withInputs();
  h.session.protocol = 3;
  deepStrictEqual(h.run("ZINTER", "2", "a", "c", "WITHSCORES"), nested(["z", 8], ["i", Infinity]));
});

Deno.test("ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE store the result and reply its size", () => {
  const h = withInputs();
  deepStrictEqual(h.run("ZUNIONSTORE", "d", "2", "a", "b"), integer(6));
  deepStrictEqual(
    h.run("ZINTERSTORE", "d", "2", "a", "b", "WEIGHTS", "2", "2", "AGGREGATE", "MAX"),
    integer(4),
  );
  deepStrictEqual(
    h.run("ZRANGE", "d", "0", "-1", "WITHSCORES"),
    flat(["y", 20], ["z", 40], ["i", Infinity], ["n", Infinity]),
  );
  deepStrictEqual(h.run("ZDIFFSTORE", "d", "2", "a", "b"), integer(1));
  deepStrictEqual(h.run("ZRANGE", "d", "0", "-1", "WITHSCORES"), flat(["x", 1]));
  // A destination that is an input, or a string, is simply replaced.
  deepStrictEqual(h.run("ZUNIONSTORE", "a", "2", "a", "c"), integer(5));
  deepStrictEqual(h.run("ZUNIONSTORE", "s", "1", "c"), integer(2));
  deepStrictEqual(h.run("ZRANGE", "s", "0", "-1"), members("i", "z"));
});

Deno.test("ZINTERSTORE deletes the destination when the result is empty", () => {
  const h = withInputs();
  h.run("ZADD", "d", "1", "old");
  deepStrictEqual(modifiedBy(h, () => h.run("ZINTERSTORE", "d", "2", "a", "missing")), ["d"]);
  strictEqual(h.keyspace.has("d"), false);
  deepStrictEqual(h.run("ZDIFFSTORE", "d", "2", "a", "a"), integer(0));
  strictEqual(h.keyspace.has("d"), false);
});

Deno.test("ZUNION family errors: numkeys, key count, types, then options", () => {
  const h = withInputs();
  deepStrictEqual(
    h.run("ZUNIONSTORE", "d", "0", "a"),
    error("ERR at least 1 input key is needed for 'zunionstore' command"),
  );
  deepStrictEqual(
    h.run("ZINTER", "-1", "a"),
    error("ERR at least 1 input key is needed for 'zinter' command"),
  );
  deepStrictEqual(
    h.run("ZDIFFSTORE", "d", "0", "a"),
    error("ERR at least 1 input key is needed for 'zdiffstore' command"),
  );
  deepStrictEqual(h.run("ZUNION", "abc", "a"), NOT_INTEGER);
  deepStrictEqual(h.run("ZUNIONSTORE", "d", "3", "a", "b"), SYNTAX);
  deepStrictEqual(h.run("ZUNION", "2", "a", "s", "WEIGHTS", "x", "y"), WRONGTYPE);
  deepStrictEqual(
    h.run("ZUNION", "2", "a", "b", "WEIGHTS", "1", "x"),
    error("ERR weight value is not a float"),
  );
  deepStrictEqual(h.run("ZUNION", "2", "a", "b", "WEIGHTS", "1"), SYNTAX);
  deepStrictEqual(h.run("ZUNION", "1", "a", "AGGREGATE", "avg"), SYNTAX);
  deepStrictEqual(h.run("ZUNION", "1", "a", "AGGREGATE"), SYNTAX);
  deepStrictEqual(h.run("ZDIFF", "1", "a", "WEIGHTS", "1"), SYNTAX);
  deepStrictEqual(h.run("ZDIFF", "1", "a", "AGGREGATE", "SUM"), SYNTAX);
  deepStrictEqual(h.run("ZUNIONSTORE", "d", "1", "a", "WITHSCORES"), SYNTAX);
  deepStrictEqual(h.run("ZINTER", "1", "a", "1", "2"), SYNTAX);
});

Deno.test("ZINTERCARD counts the intersection, stopping at LIMIT", () => {
  const h = withInputs();
  deepStrictEqual(h.run("ZINTERCARD", "2", "a", "b"), integer(4));
  deepStrictEqual(h.run("ZINTERCARD", "2", "a", "b", "LIMIT", "2"), integer(2));
  deepStrictEqual(h.run("ZINTERCARD", "2", "a", "b", "LIMIT", "0"), integer(4));
  deepStrictEqual(h.run("ZINTERCARD", "2", "a", "missing"), integer(0));
  const limit = error("ERR LIMIT can't be negative");
  deepStrictEqual(h.run("ZINTERCARD", "1", "a", "LIMIT", "-1"), limit);
  deepStrictEqual(h.run("ZINTERCARD", "1", "a", "LIMIT", "abc"), limit);
  deepStrictEqual(h.run("ZINTERCARD", "1", "a", "WEIGHTS", "1"), SYNTAX);
  deepStrictEqual(h.run("ZINTERCARD", "1", "a", "WITHSCORES"), SYNTAX);
  deepStrictEqual(
    h.run("ZINTERCARD", "0", "a"),
    error("ERR at least 1 input key is needed for 'zintercard' command"),
  );
  deepStrictEqual(h.run("ZINTERCARD", "1", "s"), WRONGTYPE);
});

// ZQUERY

/** q: m0:0 m1:10 m2:20 … m9:90 */
function withQuerySet(): Harness {
  const h = createHarness();
  const argv = ["ZADD", "q"];
  for (let i = 0; i < 10; i++) argv.push(String(i * 10), `m${i}`);
  h.run(...argv);
  return h;
}

Deno.test("ZQUERY seeks to (score, member) and returns pairs until the limit is reached", () => {
  const h = withQuerySet();
  deepStrictEqual(h.run("ZQUERY", "q", "25", "", "0", "4"), flat(["m3", 30], ["m4", 40]));
  // limit counts reply items and never splits a pair: 3 items means 2 pairs.
  deepStrictEqual(h.run("ZQUERY", "q", "30", "m3", "0", "3"), flat(["m3", 30], ["m4", 40]));
  deepStrictEqual(h.run("ZQUERY", "q", "30", "m3x", "0", "1"), flat(["m4", 40]));
  deepStrictEqual(h.run("ZQUERY", "q", "80", "", "0", "100"), flat(["m8", 80], ["m9", 90]));
  deepStrictEqual(h.run("ZQUERY", "q", "0", "", "0", "0"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZQUERY", "q", "0", "", "0", "-5"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZQUERY", "q", "1000", "", "0", "10"), EMPTY_ARRAY);
});

Deno.test("ZQUERY moves backwards with a negative offset", () => {
  const h = withQuerySet();
  deepStrictEqual(h.run("ZQUERY", "q", "50", "", "-2", "4"), flat(["m3", 30], ["m4", 40]));
  deepStrictEqual(h.run("ZQUERY", "q", "50", "", "-5", "2"), flat(["m0", 0]));
  deepStrictEqual(h.run("ZQUERY", "q", "50", "", "-6", "2"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZQUERY", "q", "50", "", "5", "2"), EMPTY_ARRAY);
});

Deno.test("ZQUERY scores are doubles on RESP3 and the reply stays flat", () => {
  const h = withQuerySet();
  h.session.protocol = 3;
  deepStrictEqual(h.run("ZQUERY", "q", "-inf", "", "1", "4"), flat(["m1", 10], ["m2", 20]));
});

Deno.test("ZQUERY errors: bad numbers, wrong type; a missing key is empty", () => {
  const h = withQuerySet();
  h.keyspace.set("s", "v");
  deepStrictEqual(h.run("ZQUERY", "missing", "0", "", "0", "10"), EMPTY_ARRAY);
  deepStrictEqual(h.run("ZQUERY", "q", "x", "", "0", "10"), NOT_FLOAT);
  deepStrictEqual(h.run("ZQUERY", "q", "nan", "", "0", "10"), NOT_FLOAT);
  deepStrictEqual(h.run("ZQUERY", "q", "0", "", "1.5", "10"), NOT_INTEGER);
  deepStrictEqual(h.run("ZQUERY", "q", "0", "", "0", "ten"), NOT_INTEGER);
  deepStrictEqual(h.run("ZQUERY", "missing", "x", "", "0", "10"), NOT_FLOAT);
  deepStrictEqual(h.run("ZQUERY", "s", "0", "", "0", "10"), WRONGTYPE);
  deepStrictEqual(
    h.run("ZQUERY", "q", "0", "", "0"),
    error("ERR wrong number of arguments for 'zquery' command"),
  );
});

// Cross-cutting

Deno.test("Sorted-set writes report every changed key to the keyspace observer", () => {
  const h = withSet();
  deepStrictEqual(modifiedBy(h, () => h.run("ZPOPMIN", "z")), ["z"]);
  deepStrictEqual(modifiedBy(h, () => h.run("ZMPOP", "1", "z", "MAX")), ["z"]);
  deepStrictEqual(modifiedBy(h, () => h.run("ZREMRANGEBYRANK", "z", "0", "0")), ["z"]);
  deepStrictEqual(modifiedBy(h, () => h.run("ZRANGESTORE", "d", "z", "0", "-1")), ["d"]);
  deepStrictEqual(modifiedBy(h, () => h.run("ZUNIONSTORE", "u", "1", "z")), ["u"]);
  deepStrictEqual(modifiedBy(h, () => h.run("ZRANGE", "z", "0", "-1")), []);
});

Deno.test("Sorted-set commands see an expired key as missing", () => {
  const h = withSet();
  h.keyspace.setExpiry("z", h.keyspace.now + 1000);
  h.setNow(h.keyspace.now + 1001);
  deepStrictEqual(h.run("ZCARD", "z"), integer(0));
  deepStrictEqual(h.run("ZADD", "z", "XX", "1", "a"), integer(0));
  deepStrictEqual(h.run("ZRANGE", "z", "0", "-1"), EMPTY_ARRAY);
});

Deno.test("Sorted-set commands leave the tree's invariants intact", () => {
  const h = createHarness();
  const random = replay(0.1, 0.7, 0.35, 0.9, 0.5, 0.05);
  for (let i = 0; i < 2000; i++) {
    const member = `m${Math.floor(random() * 300)}`;
    const score = String(Math.floor(random() * 50) - 25);
    switch (i % 6) {
      case 0:
      case 1:
        h.run("ZADD", "z", score, member);
        break;
      case 2:
        h.run("ZINCRBY", "z", score, member);
        break;
      case 3:
        h.run("ZREM", "z", member);
        break;
      case 4:
        h.run("ZREMRANGEBYSCORE", "z", score, `(${Number(score) + 2}`);
        break;
      case 5:
        h.run("ZPOPMIN", "z", "2");
        break;
    }
  }
  const zset = h.keyspace.get("z");
  ok(zset instanceof SortedSet);
  zset.checkInvariants();
});
