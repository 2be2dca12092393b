import assert from "node:assert/strict";
import { type OriginalResult, runOriginal } from "../../../lib/commands/original.ts";
import { Keyspace } from "../../../lib/keyspace.ts";
import { KacheEncoder, KacheStatus } from "../../../lib/protocol/kache.ts";
import { array, bulk, double, integer, NIL, type Reply } from "../../../lib/reply.ts";

const T0 = 1_700_000_000_000;

function createKeyspace(): Keyspace {
  const keyspace = new Keyspace();
  keyspace.now = T0;
  return keyspace;
}

/** Runs one original command; fails the test if the name is not an original command. */
function run(keyspace: Keyspace, ...argv: string[]): OriginalResult {
  const result = runOriginal(keyspace, argv);
  assert.ok(result !== undefined, `${argv[0]} is not an original command`);
  return result;
}

const OK_NIL: OriginalResult = { status: KacheStatus.ok, item: NIL };
const NOT_FOUND_NIL: OriginalResult = { status: KacheStatus.notFound, item: NIL };
const WRONG_TYPE_NIL: OriginalResult = { status: KacheStatus.wrongType, item: NIL };
const BAD_ARGUMENT_NIL: OriginalResult = { status: KacheStatus.badArgument, item: NIL };
const UNKNOWN: OriginalResult = { status: KacheStatus.unknown, item: undefined };

function ok(item: Reply): OriginalResult {
  return { status: KacheStatus.ok, item };
}

/** A keyspace with string "s" and sorted set "z" = a:1 b:2 c:3 d:4 e:5. */
function seeded(): Keyspace {
  const keyspace = createKeyspace();
  run(keyspace, "set", "s", "v");
  for (const [score, member] of [["1", "a"], ["2", "b"], ["3", "c"], ["4", "d"], ["5", "e"]]) {
    assert.deepEqual(run(keyspace, "zadd", "z", score!, member!), OK_NIL);
  }
  return keyspace;
}

function pairs(...flat: [string, number][]): OriginalResult {
  return ok(array(flat.flatMap(([member, score]) => [bulk(member), double(score)])));
}

Deno.test("KacheStatus numbers the original server's status codes", () => {
  assert.deepEqual(KacheStatus, {
    ok: 0,
    unknown: 1,
    notFound: 2,
    error: 3,
    badArgument: 4,
    wrongType: 5,
  });
});

Deno.test("runOriginal leaves names outside the original nine to the Redis table", () => {
  const keyspace = createKeyspace();
  for (const argv of [[], [""], ["ping"], ["zcard", "z"], ["getset", "k", "v"], ["get "]]) {
    assert.equal(runOriginal(keyspace, argv), undefined, JSON.stringify(argv));
  }
});

Deno.test("runOriginal matches command names case-insensitively", () => {
  const keyspace = createKeyspace();
  assert.deepEqual(run(keyspace, "SET", "k", "v"), OK_NIL);
  assert.deepEqual(run(keyspace, "Get", "k"), ok(bulk("v")));
  assert.deepEqual(run(keyspace, "ZADD", "z", "1", "m"), OK_NIL);
  assert.deepEqual(run(keyspace, "zScore", "z", "m"), ok(double(1)));
  assert.deepEqual(run(keyspace, "DEL", "k"), ok(integer(1)));
});

Deno.test("runOriginal answers a wrong argument count with status unknown and no data", () => {
  const keyspace = seeded();
  const wrong: string[][] = [
    ["get"],
    ["get", "s", "x"],
    ["set", "k"],
    ["set", "k", "v", "EX"],
    ["del"],
    ["del", "a", "b"],
    ["expire", "s"],
    ["expire", "s", "1", "2"],
    ["persist"],
    ["zadd", "z", "1"],
    ["zadd", "z", "1", "m", "2", "n"],
    ["zrem", "z"],
    ["zrem", "z", "a", "b"],
    ["zscore", "z"],
    ["zquery", "z", "1", "a", "0"],
    ["zquery", "z", "1", "a", "0", "10", "x"],
    ["GET"],
  ];
  for (const argv of wrong) {
    assert.deepEqual(runOriginal(keyspace, argv), UNKNOWN, JSON.stringify(argv));
  }
  // Nothing was changed by the refused commands.
  assert.deepEqual(run(keyspace, "get", "s"), ok(bulk("v")));
  assert.deepEqual(run(keyspace, "zscore", "z", "a"), ok(double(1)));
});

Deno.test("original get returns the string, not-found when missing, wrong-type for a zset", () => {
  const keyspace = seeded();
  assert.deepEqual(run(keyspace, "get", "s"), ok(bulk("v")));
  assert.deepEqual(run(keyspace, "get", "missing"), NOT_FOUND_NIL);
  assert.deepEqual(run(keyspace, "get", "z"), WRONG_TYPE_NIL);
});

Deno.test("original set stores binary values and overwrites any type", () => {
  const keyspace = seeded();
  const binary = Array.from({ length: 256 }, (_, code) => String.fromCharCode(code)).join("");
  assert.deepEqual(run(keyspace, "set", binary, binary), OK_NIL);
  assert.deepEqual(run(keyspace, "get", binary), ok(bulk(binary)));
  assert.deepEqual(run(keyspace, "set", "z", "now a string"), OK_NIL);
  assert.deepEqual(run(keyspace, "get", "z"), ok(bulk("now a string")));
  assert.deepEqual(run(keyspace, "set", "empty", ""), OK_NIL);
  assert.deepEqual(run(keyspace, "get", "empty"), ok(bulk("")));
});

Deno.test("original set clears the TTL as Redis SET does", () => {
  const keyspace = seeded();
  run(keyspace, "expire", "s", "100");
  assert.deepEqual(run(keyspace, "set", "s", "again"), OK_NIL);
  assert.equal(keyspace.getExpiry("s"), undefined);
  keyspace.now = T0 + 1000;
  assert.deepEqual(run(keyspace, "get", "s"), ok(bulk("again")));
});

Deno.test("original del answers integer 1, or integer 0 with not-found", () => {
  const keyspace = seeded();
  assert.deepEqual(run(keyspace, "del", "s"), ok(integer(1)));
  assert.deepEqual(run(keyspace, "del", "s"), { status: KacheStatus.notFound, item: integer(0) });
  assert.deepEqual(run(keyspace, "del", "z"), ok(integer(1)));
  assert.deepEqual(run(keyspace, "get", "z"), NOT_FOUND_NIL);
});

Deno.test("original expire takes milliseconds on the injected clock", () => {
  const keyspace = seeded();
  assert.deepEqual(run(keyspace, "expire", "s", "100"), OK_NIL);
  assert.equal(keyspace.getExpiry("s"), T0 + 100);
  keyspace.now = T0 + 99;
  assert.deepEqual(run(keyspace, "get", "s"), ok(bulk("v")));
  keyspace.now = T0 + 100;
  assert.deepEqual(run(keyspace, "get", "s"), NOT_FOUND_NIL);
  assert.deepEqual(run(keyspace, "expire", "s", "100"), NOT_FOUND_NIL);
});

Deno.test("original expire works on sorted sets and replaces an earlier TTL", () => {
  const keyspace = seeded();
  assert.deepEqual(run(keyspace, "expire", "z", "50"), OK_NIL);
  assert.deepEqual(run(keyspace, "expire", "z", "500"), OK_NIL);
  keyspace.now = T0 + 499;
  assert.deepEqual(run(keyspace, "zscore", "z", "a"), ok(double(1)));
  keyspace.now = T0 + 500;
  assert.deepEqual(run(keyspace, "zscore", "z", "a"), NOT_FOUND_NIL);
});

Deno.test("original expire with a negative time removes the TTL", () => {
  const keyspace = seeded();
  run(keyspace, "expire", "s", "100");
  assert.deepEqual(run(keyspace, "expire", "s", "-1"), OK_NIL);
  assert.equal(keyspace.getExpiry("s"), undefined);
  keyspace.now = T0 + 1000;
  assert.deepEqual(run(keyspace, "get", "s"), ok(bulk("v")));
  assert.deepEqual(run(keyspace, "expire", "s", "-9223372036854775808"), OK_NIL);
});

Deno.test("original expire with zero removes the key at once", () => {
  const keyspace = seeded();
  assert.deepEqual(run(keyspace, "expire", "s", "0"), OK_NIL);
  assert.deepEqual(run(keyspace, "get", "s"), NOT_FOUND_NIL);
});

Deno.test("original expire accepts the largest int64 without overflowing", () => {
  const keyspace = seeded();
  assert.deepEqual(run(keyspace, "expire", "s", "9223372036854775807"), OK_NIL);
  keyspace.now = T0 + 10 ** 12;
  assert.deepEqual(run(keyspace, "get", "s"), ok(bulk("v")));
});

Deno.test("original expire answers bad-argument for a non-integer time, even on a missing key", () => {
  const keyspace = seeded();
  for (const time of ["abc", "1.5", "", " 1", "1e3", "+1", "9223372036854775808"]) {
    assert.deepEqual(run(keyspace, "expire", "s", time), BAD_ARGUMENT_NIL, JSON.stringify(time));
    assert.deepEqual(run(keyspace, "expire", "missing", time), BAD_ARGUMENT_NIL);
  }
  assert.equal(keyspace.getExpiry("s"), undefined);
  assert.deepEqual(run(keyspace, "expire", "missing", "10"), NOT_FOUND_NIL);
});

Deno.test("original persist removes the TTL, not-found when the key is missing", () => {
  const keyspace = seeded();
  run(keyspace, "expire", "s", "100");
  assert.deepEqual(run(keyspace, "persist", "s"), OK_NIL);
  assert.equal(keyspace.getExpiry("s"), undefined);
  keyspace.now = T0 + 1000;
  assert.deepEqual(run(keyspace, "get", "s"), ok(bulk("v")));
  assert.deepEqual(run(keyspace, "persist", "s"), OK_NIL, "a key without a TTL is still OK");
  assert.deepEqual(run(keyspace, "persist", "missing"), NOT_FOUND_NIL);
});

Deno.test("original persist answers not-found for a key that already expired", () => {
  const keyspace = seeded();
  run(keyspace, "expire", "s", "100");
  keyspace.now = T0 + 100;
  assert.deepEqual(run(keyspace, "persist", "s"), NOT_FOUND_NIL);
});

Deno.test("original zadd adds and updates members", () => {
  const keyspace = createKeyspace();
  assert.deepEqual(run(keyspace, "zadd", "z", "1.5", "m"), OK_NIL);
  assert.deepEqual(run(keyspace, "zadd", "z", "-2", "m"), OK_NIL);
  assert.deepEqual(run(keyspace, "zscore", "z", "m"), ok(double(-2)));
  assert.deepEqual(run(keyspace, "zadd", "z", "inf", "top"), OK_NIL);
  assert.deepEqual(run(keyspace, "zadd", "z", "-inf", "bottom"), OK_NIL);
  assert.deepEqual(run(keyspace, "zscore", "z", "top"), ok(double(Infinity)));
  assert.deepEqual(run(keyspace, "zscore", "z", "bottom"), ok(double(-Infinity)));
  assert.deepEqual(run(keyspace, "zadd", "z", "1e3", "\x00\xff"), OK_NIL);
  assert.deepEqual(run(keyspace, "zscore", "z", "\x00\xff"), ok(double(1000)));
});

Deno.test("original zadd answers bad-argument for a bad score or NaN", () => {
  const keyspace = createKeyspace();
  for (const score of ["abc", "nan", "NaN", "", " 1", "1 ", "1e400", "1.2.3"]) {
    assert.deepEqual(
      run(keyspace, "zadd", "z", score, "m"),
      BAD_ARGUMENT_NIL,
      JSON.stringify(score),
    );
  }
  assert.deepEqual(run(keyspace, "get", "z"), NOT_FOUND_NIL, "no empty set left behind");
});

Deno.test("original zadd answers wrong-type for a string key", () => {
  const keyspace = seeded();
  assert.deepEqual(run(keyspace, "zadd", "s", "1", "m"), WRONG_TYPE_NIL);
  assert.deepEqual(run(keyspace, "get", "s"), ok(bulk("v")));
});

Deno.test("original zadd replaces an expired string with a new sorted set", () => {
  const keyspace = seeded();
  run(keyspace, "expire", "s", "10");
  keyspace.now = T0 + 10;
  assert.deepEqual(run(keyspace, "zadd", "s", "1", "m"), OK_NIL);
  assert.deepEqual(run(keyspace, "zscore", "s", "m"), ok(double(1)));
});

Deno.test("original zrem answers integer 1, not-found for a missing key or member", () => {
  const keyspace = seeded();
  assert.deepEqual(run(keyspace, "zrem", "z", "a"), ok(integer(1)));
  assert.deepEqual(run(keyspace, "zrem", "z", "a"), NOT_FOUND_NIL);
  assert.deepEqual(run(keyspace, "zscore", "z", "a"), NOT_FOUND_NIL);
  assert.deepEqual(run(keyspace, "zrem", "missing", "a"), NOT_FOUND_NIL);
  assert.deepEqual(run(keyspace, "zrem", "s", "a"), WRONG_TYPE_NIL);
});

Deno.test("original zrem of the last member deletes the key", () => {
  const keyspace = createKeyspace();
  run(keyspace, "zadd", "z", "1", "only");
  assert.deepEqual(run(keyspace, "zrem", "z", "only"), ok(integer(1)));
  assert.equal(keyspace.has("z"), false);
  assert.deepEqual(run(keyspace, "get", "z"), NOT_FOUND_NIL);
});

Deno.test("original zscore answers a double, not-found or wrong-type", () => {
  const keyspace = seeded();
  assert.deepEqual(run(keyspace, "zscore", "z", "c"), ok(double(3)));
  assert.deepEqual(run(keyspace, "zscore", "z", "x"), NOT_FOUND_NIL);
  assert.deepEqual(run(keyspace, "zscore", "missing", "c"), NOT_FOUND_NIL);
  assert.deepEqual(run(keyspace, "zscore", "s", "c"), WRONG_TYPE_NIL);
});

Deno.test("original zquery starts at the first element at or after (score, member)", () => {
  const keyspace = seeded();
  assert.deepEqual(
    run(keyspace, "zquery", "z", "2", "", "0", "10"),
    pairs(["b", 2], ["c", 3], ["d", 4], ["e", 5]),
  );
  assert.deepEqual(run(keyspace, "zquery", "z", "2", "b", "0", "2"), pairs(["b", 2]));
  assert.deepEqual(run(keyspace, "zquery", "z", "2", "bb", "0", "2"), pairs(["c", 3]));
  assert.deepEqual(run(keyspace, "zquery", "z", "-inf", "", "0", "2"), pairs(["a", 1]));
  assert.deepEqual(run(keyspace, "zquery", "z", "5.5", "", "0", "2"), ok(array([])));
  assert.deepEqual(run(keyspace, "zquery", "z", "inf", "", "0", "2"), ok(array([])));
});

Deno.test("original zquery orders equal scores by member bytes", () => {
  const keyspace = createKeyspace();
  for (const member of ["b", "\xff", "a", "B", "c"]) run(keyspace, "zadd", "t", "1", member);
  assert.deepEqual(
    run(keyspace, "zquery", "t", "1", "", "0", "100"),
    pairs(["B", 1], ["a", 1], ["b", 1], ["c", 1], ["\xff", 1]),
  );
  assert.deepEqual(run(keyspace, "zquery", "t", "1", "b", "0", "4"), pairs(["b", 1], ["c", 1]));
});

Deno.test("original zquery limit counts array items and never splits a pair", () => {
  const keyspace = seeded();
  const expected: [string, number][] = [["a", 1], ["b", 2], ["c", 3], ["d", 4], ["e", 5]];
  for (let limit = 1; limit <= 12; limit++) {
    assert.deepEqual(
      run(keyspace, "zquery", "z", "-inf", "", "0", String(limit)),
      pairs(...expected.slice(0, Math.ceil(limit / 2))),
      `limit ${limit}`,
    );
  }
  assert.deepEqual(run(keyspace, "zquery", "z", "1", "", "0", "3"), pairs(["a", 1], ["b", 2]));
});

Deno.test("original zquery with limit zero or negative gives an empty array", () => {
  const keyspace = seeded();
  for (const limit of ["0", "-1", "-9223372036854775808"]) {
    assert.deepEqual(run(keyspace, "zquery", "z", "1", "", "0", limit), ok(array([])), limit);
  }
});

Deno.test("original zquery moves the start by offset, negative included", () => {
  const keyspace = seeded();
  assert.deepEqual(run(keyspace, "zquery", "z", "3", "", "1", "4"), pairs(["d", 4], ["e", 5]));
  assert.deepEqual(run(keyspace, "zquery", "z", "3", "", "-1", "4"), pairs(["b", 2], ["c", 3]));
  assert.deepEqual(
    run(keyspace, "zquery", "z", "3", "", "-2", "100"),
    pairs(["a", 1], ["b", 2], ["c", 3], ["d", 4], ["e", 5]),
  );
  assert.deepEqual(run(keyspace, "zquery", "z", "3", "", "-3", "100"), ok(array([])));
  assert.deepEqual(run(keyspace, "zquery", "z", "3", "", "2", "100"), pairs(["e", 5]));
  assert.deepEqual(run(keyspace, "zquery", "z", "3", "", "3", "100"), ok(array([])));
  assert.deepEqual(
    run(keyspace, "zquery", "z", "3", "", "-9223372036854775808", "2"),
    ok(array([])),
  );
  assert.deepEqual(
    run(keyspace, "zquery", "z", "3", "", "9223372036854775807", "2"),
    ok(array([])),
  );
});

Deno.test("original zquery answers bad-argument for bad numbers, even on a missing key", () => {
  const keyspace = seeded();
  const bad: [string, string, string][] = [
    ["x", "0", "10"],
    ["nan", "0", "10"],
    ["1", "1.5", "10"],
    ["1", "", "10"],
    ["1", "0", "abc"],
    ["1", "0", "9223372036854775808"],
  ];
  for (const [score, offset, limit] of bad) {
    for (const key of ["z", "missing", "s"]) {
      assert.deepEqual(
        run(keyspace, "zquery", key, score, "", offset, limit),
        BAD_ARGUMENT_NIL,
        `${key} ${score} ${offset} ${limit}`,
      );
    }
  }
});

Deno.test("original zquery answers not-found for a missing key and wrong-type for a string", () => {
  const keyspace = seeded();
  assert.deepEqual(run(keyspace, "zquery", "missing", "1", "", "0", "10"), NOT_FOUND_NIL);
  assert.deepEqual(run(keyspace, "zquery", "s", "1", "", "0", "10"), WRONG_TYPE_NIL);
});

Deno.test("original results encode to the original wire bytes", () => {
  const keyspace = seeded();
  const encoder = new KacheEncoder();
  const write = (result: OriginalResult) => encoder.writeResponse(result.status, result.item);
  write(run(keyspace, "get", "missing"));
  assert.deepEqual([...encoder.take()], [5, 0, 0, 0, 2, 0, 0, 0, 0]);
  write(runOriginal(keyspace, ["get"])!);
  assert.deepEqual([...encoder.take()], [4, 0, 0, 0, 1, 0, 0, 0]);
  write(run(keyspace, "del", "s"));
  assert.deepEqual([...encoder.take()], [13, 0, 0, 0, 0, 0, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0]);
  write(run(keyspace, "zadd", "z", "x", "m"));
  assert.deepEqual([...encoder.take()], [5, 0, 0, 0, 4, 0, 0, 0, 0]);
});
