import { deepStrictEqual, strictEqual } from "node:assert/strict";
import fc from "fast-check";
import { NOT_FLOAT, NOT_INTEGER, OVERFLOW, SYNTAX, WRONGTYPE } from "../../../lib/errors.ts";
import {
  array,
  bulk,
  error,
  integer,
  map,
  NIL,
  OK,
  ONE,
  type Reply,
  ZERO,
} from "../../../lib/reply.ts";
import { SortedSet } from "../../../lib/zset.ts";
import { createHarness, type Harness } from "../../support/command_harness.ts";

const NOW = 1_700_000_000_000;

/** A harness with a sorted set at `z`, for WRONGTYPE checks. */
function setup(): Harness {
  const h = createHarness(NOW);
  const zset = new SortedSet();
  zset.add("member", 1);
  h.keyspace.set("z", zset);
  return h;
}

function expireError(command: string): Reply {
  return error(`ERR invalid expire time in '${command}' command`);
}

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");

// GET / SET

Deno.test("GET returns the value, nil for a missing key and WRONGTYPE for a sorted set", () => {
  const h = setup();
  h.run("SET", "k", "v");
  deepStrictEqual(h.run("GET", "k"), bulk("v"));
  deepStrictEqual(h.run("get", "missing"), NIL);
  deepStrictEqual(h.run("GET", "z"), error(WRONGTYPE));
});

Deno.test("SET overwrites a value of any type and drops its TTL", () => {
  const h = setup();
  deepStrictEqual(h.run("SET", "z", "now a string"), OK);
  deepStrictEqual(h.run("GET", "z"), bulk("now a string"));
  h.run("SET", "k", "v", "EX", "100");
  h.run("SET", "k", "v2");
  deepStrictEqual(h.run("TTL", "k"), integer(-1));
});

Deno.test("SET EX, PX, EXAT and PXAT set the deadline", () => {
  const h = setup();
  h.run("SET", "k", "v", "EX", "10");
  deepStrictEqual(h.run("PEXPIRETIME", "k"), integer(NOW + 10_000));
  h.run("SET", "k", "v", "px", "1500");
  deepStrictEqual(h.run("PEXPIRETIME", "k"), integer(NOW + 1500));
  h.run("SET", "k", "v", "EXAT", String(NOW / 1000 + 60));
  deepStrictEqual(h.run("PEXPIRETIME", "k"), integer(NOW + 60_000));
  h.run("SET", "k", "v", "PXAT", String(NOW + 5));
  deepStrictEqual(h.run("PEXPIRETIME", "k"), integer(NOW + 5));
  // Repeating the same expiry is allowed; the last one wins, as in Redis.
  h.run("SET", "k", "v", "EX", "10", "EX", "20");
  deepStrictEqual(h.run("TTL", "k"), integer(20));
});

Deno.test("SET with a deadline already past stores nothing visible", () => {
  const h = setup();
  deepStrictEqual(h.run("SET", "k", "v", "EXAT", "1"), OK);
  deepStrictEqual(h.run("EXISTS", "k"), ZERO);
  h.run("SET", "k", "old");
  deepStrictEqual(h.run("SET", "k", "v", "PXAT", "1", "GET"), bulk("old"));
  deepStrictEqual(h.run("GET", "k"), NIL);
});

Deno.test("SET NX and XX store only when the key is missing or present", () => {
  const h = setup();
  deepStrictEqual(h.run("SET", "k", "1", "XX"), NIL);
  deepStrictEqual(h.run("EXISTS", "k"), ZERO);
  deepStrictEqual(h.run("SET", "k", "1", "NX"), OK);
  deepStrictEqual(h.run("SET", "k", "2", "NX"), NIL);
  deepStrictEqual(h.run("SET", "k", "3", "xx"), OK);
  deepStrictEqual(h.run("GET", "k"), bulk("3"));
});

Deno.test("SET GET replies with the old value, even when NX or XX stops the write", () => {
  const h = setup();
  deepStrictEqual(h.run("SET", "k", "1", "GET"), NIL);
  deepStrictEqual(h.run("SET", "k", "2", "GET"), bulk("1"));
  deepStrictEqual(h.run("SET", "k", "3", "NX", "GET"), bulk("2"));
  deepStrictEqual(h.run("GET", "k"), bulk("2"));
  deepStrictEqual(h.run("SET", "new", "x", "XX", "GET"), NIL);
  deepStrictEqual(h.run("EXISTS", "new"), ZERO);
  deepStrictEqual(h.run("SET", "k", "4", "GET", "GET"), bulk("2"));
});

Deno.test("SET GET on a sorted set is WRONGTYPE and leaves it alone", () => {
  const h = setup();
  deepStrictEqual(h.run("SET", "z", "v", "GET"), error(WRONGTYPE));
  deepStrictEqual(h.run("SET", "z", "v", "NX", "GET"), error(WRONGTYPE));
  deepStrictEqual(h.run("TYPE", "z"), { kind: "status", text: "zset" });
});

Deno.test("SET KEEPTTL keeps a live TTL but never revives an expired one", () => {
  const h = setup();
  h.run("SET", "k", "v", "PX", "1000");
  h.run("SET", "k", "v2", "KEEPTTL");
  deepStrictEqual(h.run("PTTL", "k"), integer(1000));
  h.setNow(NOW + 1001);
  h.run("SET", "k", "v3", "KEEPTTL");
  deepStrictEqual(h.run("TTL", "k"), integer(-1));
  deepStrictEqual(h.run("GET", "k"), bulk("v3"));
});

Deno.test("SET refuses conflicting, unknown and incomplete options with a syntax error", () => {
  const h = setup();
  for (
    const options of [
      ["NX", "XX"],
      ["XX", "NX"],
      ["EX", "10", "PX", "10"],
      ["EX", "10", "EXAT", "10"],
      ["PXAT", "10", "PX", "10"],
      ["KEEPTTL", "EX", "10"],
      ["EX", "10", "KEEPTTL"],
      ["EX"],
      ["PERSIST"],
      ["FOO"],
      ["NX", "EX"],
    ]
  ) {
    deepStrictEqual(h.run("SET", "k", "v", ...options), error(SYNTAX), options.join(" "));
  }
  deepStrictEqual(h.run("EXISTS", "k"), ZERO);
});

Deno.test("SET refuses non-positive and overflowing expire times", () => {
  const h = setup();
  for (
    const options of [
      ["EX", "0"],
      ["EX", "-1"],
      ["PX", "0"],
      ["EXAT", "0"],
      ["PXAT", "-5"],
      ["EX", "9223372036854775"], // fits in ms, overflows once now is added
      ["EX", "9223372036854776"],
      ["PX", "9223372036854775807"],
      ["EXAT", "9223372036854776"],
    ]
  ) {
    deepStrictEqual(h.run("SET", "k", "v", ...options), expireError("set"), options.join(" "));
  }
  deepStrictEqual(h.run("SET", "k", "v", "EX", "abc"), error(NOT_INTEGER));
  deepStrictEqual(h.run("SET", "k", "v", "EX", "1.5"), error(NOT_INTEGER));
  deepStrictEqual(h.run("SET", "k", "v", "PXAT", "9223372036854775807"), OK);
  deepStrictEqual(h.run("PEXPIRETIME", "k"), integer(9223372036854775807n));
});

Deno.test("SET checks syntax, then the expire time, then the type", () => {
  const h = setup();
  deepStrictEqual(h.run("SET", "z", "v", "FOO", "GET"), error(SYNTAX));
  deepStrictEqual(h.run("SET", "z", "v", "EX", "-1", "GET"), expireError("set"));
  deepStrictEqual(h.run("SET", "z", "v", "EX", "1", "GET"), error(WRONGTYPE));
});

Deno.test("SET with the wrong number of arguments gets Redis's arity error", () => {
  const h = setup();
  deepStrictEqual(h.run("SET", "k"), error("ERR wrong number of arguments for 'set' command"));
});

Deno.test("GET expires a key lazily once its deadline has passed, using the injected clock", () => {
  const h = setup();
  h.run("SET", "k", "v", "PX", "100");
  h.setNow(NOW + 99);
  deepStrictEqual(h.run("GET", "k"), bulk("v"));
  deepStrictEqual(h.run("PTTL", "k"), integer(1));
  h.setNow(NOW + 101);
  deepStrictEqual(h.run("GET", "k"), NIL);
  strictEqual(h.keyspace.size, 1); // only z is left
});

// SETNX / SETEX / PSETEX / GETSET / GETDEL / GETEX

Deno.test("SETNX stores only a missing key and replies 1 or 0", () => {
  const h = setup();
  deepStrictEqual(h.run("SETNX", "k", "1"), ONE);
  deepStrictEqual(h.run("SETNX", "k", "2"), ZERO);
  deepStrictEqual(h.run("SETNX", "z", "2"), ZERO);
  deepStrictEqual(h.run("GET", "k"), bulk("1"));
});

Deno.test("SETEX and PSETEX store with a TTL and name themselves in errors", () => {
  const h = setup();
  deepStrictEqual(h.run("SETEX", "k", "10", "v"), OK);
  deepStrictEqual(h.run("TTL", "k"), integer(10));
  deepStrictEqual(h.run("PSETEX", "k", "1500", "v2"), OK);
  deepStrictEqual(h.run("PTTL", "k"), integer(1500));
  deepStrictEqual(h.run("GET", "k"), bulk("v2"));
  deepStrictEqual(h.run("SETEX", "k", "0", "v"), expireError("setex"));
  deepStrictEqual(h.run("PSETEX", "k", "-5", "v"), expireError("psetex"));
  deepStrictEqual(h.run("SETEX", "k", "abc", "v"), error(NOT_INTEGER));
  deepStrictEqual(h.run("SETEX", "z", "10", "v"), OK);
});

Deno.test("GETSET returns the old value, stores the new one and drops the TTL", () => {
  const h = setup();
  deepStrictEqual(h.run("GETSET", "k", "1"), NIL);
  h.run("EXPIRE", "k", "100");
  deepStrictEqual(h.run("GETSET", "k", "2"), bulk("1"));
  deepStrictEqual(h.run("GET", "k"), bulk("2"));
  deepStrictEqual(h.run("TTL", "k"), integer(-1));
  deepStrictEqual(h.run("GETSET", "z", "x"), error(WRONGTYPE));
});

Deno.test("GETDEL returns the value and deletes the key; WRONGTYPE keeps a sorted set", () => {
  const h = setup();
  h.run("SET", "k", "v");
  deepStrictEqual(h.run("GETDEL", "k"), bulk("v"));
  deepStrictEqual(h.run("GETDEL", "k"), NIL);
  deepStrictEqual(h.run("GETDEL", "z"), error(WRONGTYPE));
  deepStrictEqual(h.run("EXISTS", "z"), ONE);
});

Deno.test("GETEX without options is GET; with options it sets or removes the TTL", () => {
  const h = setup();
  h.run("SET", "k", "v");
  deepStrictEqual(h.run("GETEX", "k"), bulk("v"));
  deepStrictEqual(h.run("TTL", "k"), integer(-1));
  deepStrictEqual(h.run("GETEX", "k", "EX", "10"), bulk("v"));
  deepStrictEqual(h.run("PTTL", "k"), integer(10_000));
  deepStrictEqual(h.run("GETEX", "k", "px", "500"), bulk("v"));
  deepStrictEqual(h.run("PTTL", "k"), integer(500));
  deepStrictEqual(h.run("GETEX", "k", "EXAT", String(NOW / 1000 + 7)), bulk("v"));
  deepStrictEqual(h.run("PTTL", "k"), integer(7000));
  deepStrictEqual(h.run("GETEX", "k", "PXAT", String(NOW + 3)), bulk("v"));
  deepStrictEqual(h.run("PTTL", "k"), integer(3));
  deepStrictEqual(h.run("GETEX", "k", "PERSIST"), bulk("v"));
  deepStrictEqual(h.run("TTL", "k"), integer(-1));
  deepStrictEqual(h.run("GETEX", "k", "EX", "1", "EX", "20"), bulk("v"));
  deepStrictEqual(h.run("TTL", "k"), integer(20));
});

Deno.test("GETEX EXAT in the past returns the value and deletes the key", () => {
  const h = setup();
  h.run("SET", "k", "v");
  deepStrictEqual(h.run("GETEX", "k", "EXAT", "1"), bulk("v"));
  deepStrictEqual(h.run("EXISTS", "k"), ZERO);
});

Deno.test("GETEX checks syntax, then the key, then the type, then the expire time", () => {
  const h = setup();
  h.run("SET", "k", "v");
  deepStrictEqual(h.run("GETEX", "k", "PERSIST", "EX", "1"), error(SYNTAX));
  deepStrictEqual(h.run("GETEX", "k", "EX", "1", "PERSIST"), error(SYNTAX));
  deepStrictEqual(h.run("GETEX", "k", "KEEPTTL"), error(SYNTAX));
  deepStrictEqual(h.run("GETEX", "k", "NX"), error(SYNTAX));
  deepStrictEqual(h.run("GETEX", "k", "EX"), error(SYNTAX));
  deepStrictEqual(h.run("GETEX", "missing", "EX", "0"), NIL);
  deepStrictEqual(h.run("GETEX", "z", "EX", "0"), error(WRONGTYPE));
  deepStrictEqual(h.run("GETEX", "k", "EX", "0"), expireError("getex"));
  deepStrictEqual(h.run("GETEX", "k", "EX", "x"), error(NOT_INTEGER));
});

// MGET / MSET / MSETNX

Deno.test("MGET answers nil for missing keys and for values that are not strings", () => {
  const h = setup();
  h.run("MSET", "a", "1", "b", "2");
  deepStrictEqual(
    h.run("MGET", "a", "z", "missing", "b", "a"),
    array([
      bulk("1"),
      NIL,
      NIL,
      bulk("2"),
      bulk("1"),
    ]),
  );
});

Deno.test("MSET stores every pair, drops TTLs and refuses an odd argument count", () => {
  const h = setup();
  h.run("SET", "a", "old", "EX", "100");
  deepStrictEqual(h.run("MSET", "a", "1", "z", "2", "a", "3"), OK);
  deepStrictEqual(h.run("MGET", "a", "z"), array([bulk("3"), bulk("2")]));
  deepStrictEqual(h.run("TTL", "a"), integer(-1));
  deepStrictEqual(
    h.run("MSET", "a", "1", "b"),
    error("ERR wrong number of arguments for 'mset' command"),
  );
});

Deno.test("MSETNX stores all pairs or none", () => {
  const h = setup();
  deepStrictEqual(h.run("MSETNX", "a", "1", "b", "2"), ONE);
  deepStrictEqual(h.run("MSETNX", "c", "3", "a", "x"), ZERO);
  deepStrictEqual(h.run("EXISTS", "c"), ZERO);
  deepStrictEqual(h.run("MSETNX", "c", "3", "z", "x"), ZERO);
  deepStrictEqual(h.run("MSETNX", "d", "1", "d", "2"), ONE);
  deepStrictEqual(h.run("GET", "d"), bulk("2"));
  deepStrictEqual(
    h.run("MSETNX", "a", "1", "b"),
    error("ERR wrong number of arguments for 'msetnx' command"),
  );
});

// Counters

Deno.test("INCR and DECR start a missing key at 0 and keep its TTL", () => {
  const h = setup();
  deepStrictEqual(h.run("INCR", "n"), integer(1));
  deepStrictEqual(h.run("INCR", "n"), integer(2));
  deepStrictEqual(h.run("DECR", "m"), integer(-1));
  h.run("EXPIRE", "n", "100");
  deepStrictEqual(h.run("INCRBY", "n", "40"), integer(42));
  deepStrictEqual(h.run("DECRBY", "n", "2"), integer(40));
  deepStrictEqual(h.run("TTL", "n"), integer(100));
  deepStrictEqual(h.run("GET", "n"), bulk("40"));
});

Deno.test("INCR refuses values that are not canonical 64-bit integers", () => {
  const h = setup();
  for (
    const value of ["abc", "", " 1", "1 ", "01", "-0", "+1", "1.5", "1e3", "9223372036854775808"]
  ) {
    h.run("SET", "n", value);
    deepStrictEqual(h.run("INCR", "n"), error(NOT_INTEGER), JSON.stringify(value));
    deepStrictEqual(h.run("GET", "n"), bulk(value));
  }
  deepStrictEqual(h.run("INCR", "z"), error(WRONGTYPE));
  deepStrictEqual(h.run("INCRBY", "n", "1.5"), error(NOT_INTEGER));
  deepStrictEqual(h.run("INCRBY", "n", "9223372036854775808"), error(NOT_INTEGER));
});

Deno.test("INCRBY is exact beyond 2^53", () => {
  const h = setup();
  h.run("SET", "n", "9007199254740991");
  deepStrictEqual(h.run("INCR", "n"), integer(9007199254740992n));
  deepStrictEqual(h.run("INCR", "n"), integer(9007199254740993n));
  deepStrictEqual(h.run("GET", "n"), bulk("9007199254740993"));
  deepStrictEqual(h.run("INCRBY", "n", "-9007199254740993"), integer(0));
  h.run("SET", "n", "1234567890123456789");
  deepStrictEqual(h.run("INCRBY", "n", "1111111111111111111"), integer(2345679001234567900n));
  deepStrictEqual(h.run("DECRBY", "n", "2345679001234567899"), integer(1));
});

Deno.test("INCRBY refuses to overflow int64 and leaves the value unchanged", () => {
  const h = setup();
  h.run("SET", "n", "9223372036854775806");
  deepStrictEqual(h.run("INCR", "n"), integer(9223372036854775807n));
  deepStrictEqual(h.run("INCR", "n"), error(OVERFLOW));
  deepStrictEqual(h.run("INCRBY", "n", "9223372036854775807"), error(OVERFLOW));
  deepStrictEqual(h.run("GET", "n"), bulk("9223372036854775807"));
  h.run("SET", "n", "-9223372036854775807");
  deepStrictEqual(h.run("DECR", "n"), integer(-9223372036854775808n));
  deepStrictEqual(h.run("DECR", "n"), error(OVERFLOW));
  deepStrictEqual(h.run("INCRBY", "n", "-1"), error(OVERFLOW));
  deepStrictEqual(h.run("INCRBY", "n", "9223372036854775807"), integer(-1));
});

Deno.test("DECRBY refuses -9223372036854775808 before looking at the key", () => {
  const h = setup();
  deepStrictEqual(
    h.run("DECRBY", "z", "-9223372036854775808"),
    error("ERR decrement would overflow"),
  );
  h.run("SET", "n", "-1");
  deepStrictEqual(h.run("DECRBY", "n", "9223372036854775807"), integer(-9223372036854775808n));
});

Deno.test("INCRBY matches a bigint model across the whole int64 range", () => {
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  fc.assert(
    fc.property(int64, int64, (start, step) => {
      const h = createHarness(NOW);
      h.run("SET", "n", start.toString());
      const expected = start + step;
      const reply = h.run("INCRBY", "n", step.toString());
      if (expected > 2n ** 63n - 1n || expected < -(2n ** 63n)) {
        deepStrictEqual(reply, error(OVERFLOW));
        deepStrictEqual(h.run("GET", "n"), bulk(start.toString()));
      } else {
        strictEqual(reply.kind === "integer" && BigInt(reply.value), expected);
        deepStrictEqual(h.run("GET", "n"), bulk(expected.toString()));
      }
    }),
    { numRuns: 500 },
  );
});

// INCRBYFLOAT

Deno.test("INCRBYFLOAT prints what Redis's long double arithmetic prints", () => {
  const cases: Array<[string | undefined, string, string]> = [
    ["10.50", "0.1", "10.6"],
    ["10.6", "-5", "5.6"],
    ["5.0e3", "2.0e2", "5200"],
    ["0.1", "0.2", "0.3"],
    ["1000.1", "0", "1000.09999999999999998"],
    ["1000.1", "0.000001", "1000.10000099999999995"],
    ["3", "-3", "0"],
    ["-0.5", "0.4999999999999999999999", "0"],
    ["1.23456789012345678901234", "0", "1.23456789012345679"],
    ["123456789012345678901234567890", "1", "123456789012345678899921813504"],
    ["0x10", "1", "17"],
    ["1", "0x1p3", "9"],
    ["0.1", ".5", "0.6"],
    ["1", "5.", "6"],
    ["1", "+1", "2"],
    ["1", "1e-30", "1"],
    ["-1", "-5e-18", "-1"],
    ["-1", "-6e-18", "-1.00000000000000001"],
    [undefined, "-0.0", "0"],
    [undefined, "1e-4950", "0"],
    [undefined, "2.5", "2.5"],
  ];
  for (const [start, increment, expected] of cases) {
    const h = setup();
    if (start !== undefined) h.run("SET", "f", start);
    deepStrictEqual(
      h.run("INCRBYFLOAT", "f", increment),
      bulk(expected),
      `${start} + ${increment}`,
    );
    deepStrictEqual(h.run("GET", "f"), bulk(expected));
  }
});

Deno.test("INCRBYFLOAT prints large values in full, without an exponent", () => {
  const h = setup();
  h.run("SET", "f", "1e300");
  const reply = h.run("INCRBYFLOAT", "f", "1");
  strictEqual(reply.kind === "bulk" && reply.value.length, 301);
  strictEqual(reply.kind === "bulk" && reply.value.startsWith("10000000000000000000089973"), true);
});

Deno.test("INCRBYFLOAT refuses values that are not floats", () => {
  const h = setup();
  for (
    const bad of ["", " 1", "1 ", "abc", "nan", "1e", "0x", "0x1p", "1e-5000", "1e4933", "1,5"]
  ) {
    deepStrictEqual(h.run("INCRBYFLOAT", "f", bad), error(NOT_FLOAT), JSON.stringify(bad));
    h.run("SET", "g", bad);
    deepStrictEqual(h.run("INCRBYFLOAT", "g", "1"), error(NOT_FLOAT), JSON.stringify(bad));
  }
  deepStrictEqual(h.run("INCRBYFLOAT", "f", "1".repeat(5120)), error(NOT_FLOAT));
  deepStrictEqual(h.run("INCRBYFLOAT", "z", "1"), error(WRONGTYPE));
  deepStrictEqual(h.run("INCRBYFLOAT", "z", "abc"), error(WRONGTYPE));
});

Deno.test("INCRBYFLOAT refuses results that are infinite or NaN", () => {
  const h = setup();
  const refused = error("ERR increment would produce NaN or Infinity");
  deepStrictEqual(h.run("INCRBYFLOAT", "f", "inf"), refused);
  deepStrictEqual(h.run("INCRBYFLOAT", "f", "-Infinity"), refused);
  h.run("SET", "f", "1.18e4932");
  deepStrictEqual(h.run("INCRBYFLOAT", "f", "1.18e4932"), refused);
  deepStrictEqual(h.run("GET", "f"), bulk("1.18e4932"));
});

Deno.test("INCRBYFLOAT keeps the TTL", () => {
  const h = setup();
  h.run("SET", "f", "1", "EX", "100");
  h.run("INCRBYFLOAT", "f", "1.5");
  deepStrictEqual(h.run("TTL", "f"), integer(100));
  deepStrictEqual(h.run("GET", "f"), bulk("2.5"));
});

// APPEND / STRLEN / GETRANGE / SETRANGE

Deno.test("APPEND creates or extends a string, replies with its length and keeps the TTL", () => {
  const h = setup();
  deepStrictEqual(h.run("APPEND", "k", "Hello"), integer(5));
  h.run("EXPIRE", "k", "100");
  deepStrictEqual(h.run("APPEND", "k", " World"), integer(11));
  deepStrictEqual(h.run("GET", "k"), bulk("Hello World"));
  deepStrictEqual(h.run("TTL", "k"), integer(100));
  deepStrictEqual(h.run("APPEND", "empty", ""), integer(0));
  deepStrictEqual(h.run("EXISTS", "empty"), ONE);
  deepStrictEqual(h.run("APPEND", "z", "x"), error(WRONGTYPE));
});

Deno.test("STRLEN measures bytes, 0 for a missing key", () => {
  const h = setup();
  h.run("SET", "k", ALL_BYTES);
  deepStrictEqual(h.run("STRLEN", "k"), integer(256));
  deepStrictEqual(h.run("STRLEN", "missing"), integer(0));
  deepStrictEqual(h.run("STRLEN", "z"), error(WRONGTYPE));
});

Deno.test("GETRANGE follows Redis's negative index rules", () => {
  const h = setup();
  h.run("SET", "s", "Hello World");
  const cases: Array<[string, string, string]> = [
    ["0", "-1", "Hello World"],
    ["0", "4", "Hello"],
    ["-5", "-1", "World"],
    ["-1", "-5", ""],
    ["3", "1", ""],
    ["-100", "100", "Hello World"],
    ["0", "-100", "H"],
    ["5", "5", " "],
    ["10", "100", "d"],
    ["11", "20", ""],
    ["9223372036854775807", "-9223372036854775808", ""],
    ["-9223372036854775808", "9223372036854775807", "Hello World"],
  ];
  for (const [start, end, expected] of cases) {
    deepStrictEqual(h.run("GETRANGE", "s", start, end), bulk(expected), `${start} ${end}`);
  }
  h.run("SET", "e", "");
  deepStrictEqual(h.run("GETRANGE", "e", "0", "-1"), bulk(""));
  deepStrictEqual(h.run("GETRANGE", "missing", "0", "-1"), bulk(""));
  deepStrictEqual(h.run("GETRANGE", "z", "0", "-1"), error(WRONGTYPE));
  deepStrictEqual(h.run("GETRANGE", "z", "x", "-1"), error(NOT_INTEGER));
});

Deno.test("SETRANGE overwrites, extends and pads with zero bytes", () => {
  const h = setup();
  h.run("SET", "s", "Hello World");
  deepStrictEqual(h.run("SETRANGE", "s", "6", "Redis"), integer(11));
  deepStrictEqual(h.run("GET", "s"), bulk("Hello Redis"));
  deepStrictEqual(h.run("SETRANGE", "s", "9", "xyz"), integer(12));
  deepStrictEqual(h.run("GET", "s"), bulk("Hello Redxyz"));
  deepStrictEqual(h.run("SETRANGE", "s", "14", "!"), integer(15));
  deepStrictEqual(h.run("GET", "s"), bulk("Hello Redxyz\0\0!"));
  deepStrictEqual(h.run("SETRANGE", "new", "3", "ab"), integer(5));
  deepStrictEqual(h.run("GET", "new"), bulk("\0\0\0ab"));
});

Deno.test("SETRANGE with an empty value never creates a key", () => {
  const h = setup();
  deepStrictEqual(h.run("SETRANGE", "k", "100", ""), integer(0));
  deepStrictEqual(h.run("EXISTS", "k"), ZERO);
  h.run("SET", "k", "abc");
  deepStrictEqual(h.run("SETRANGE", "k", "100", ""), integer(3));
  deepStrictEqual(h.run("SETRANGE", "k", "536870912", ""), integer(3));
  deepStrictEqual(h.run("SETRANGE", "z", "0", ""), error(WRONGTYPE));
});

Deno.test("SETRANGE refuses negative offsets and strings past the size limit", () => {
  const h = setup();
  deepStrictEqual(h.run("SETRANGE", "k", "-1", "x"), error("ERR offset is out of range"));
  deepStrictEqual(h.run("SETRANGE", "z", "-1", ""), error("ERR offset is out of range"));
  const tooLong = error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  deepStrictEqual(h.run("SETRANGE", "k", "536870912", "x"), tooLong);
  deepStrictEqual(h.run("SETRANGE", "k", "9223372036854775807", "x"), tooLong);
  deepStrictEqual(h.run("SETRANGE", "k", "abc", "x"), error(NOT_INTEGER));
  deepStrictEqual(h.run("SETRANGE", "z", "0", "x"), error(WRONGTYPE));
  deepStrictEqual(h.run("EXISTS", "k"), ZERO);
});

Deno.test("SETRANGE keeps the TTL", () => {
  const h = setup();
  h.run("SET", "k", "abc", "EX", "100");
  h.run("SETRANGE", "k", "1", "X");
  deepStrictEqual(h.run("GET", "k"), bulk("aXc"));
  deepStrictEqual(h.run("TTL", "k"), integer(100));
});

Deno.test("string commands are binary-safe for all 256 byte values", () => {
  const h = setup();
  const reversed = [...ALL_BYTES].reverse().join("");
  deepStrictEqual(h.run("SET", ALL_BYTES, reversed), OK);
  deepStrictEqual(h.run("GET", ALL_BYTES), bulk(reversed));
  deepStrictEqual(h.run("APPEND", ALL_BYTES, ALL_BYTES), integer(512));
  deepStrictEqual(h.run("GETRANGE", ALL_BYTES, "256", "-1"), bulk(ALL_BYTES));
  deepStrictEqual(h.run("SETRANGE", ALL_BYTES, "0", ALL_BYTES), integer(512));
  deepStrictEqual(h.run("GET", ALL_BYTES), bulk(ALL_BYTES + ALL_BYTES));
  h.run("MSET", "\0", "\xff", "\xff", "\0");
  deepStrictEqual(h.run("MGET", "\xff", "\0"), array([bulk("\0"), bulk("\xff")]));
  deepStrictEqual(h.run("GETSET", "\x80\x9f", ALL_BYTES), NIL);
  deepStrictEqual(h.run("GETDEL", "\x80\x9f"), bulk(ALL_BYTES));
});

// LCS

Deno.test("LCS returns the subsequence, its length, or the matching ranges", () => {
  const h = setup();
  h.run("MSET", "a", "ohmytext", "b", "mynewtext");
  deepStrictEqual(h.run("LCS", "a", "b"), bulk("mytext"));
  deepStrictEqual(h.run("LCS", "a", "b", "LEN"), integer(6));
  const range = (a: number, b: number) => array([integer(a), integer(b)]);
  deepStrictEqual(
    h.run("LCS", "a", "b", "IDX"),
    map([
      [
        bulk("matches"),
        array([
          array([range(4, 7), range(5, 8)]),
          array([range(2, 3), range(0, 1)]),
        ]),
      ],
      [bulk("len"), integer(6)],
    ]),
  );
  deepStrictEqual(
    h.run("LCS", "a", "b", "idx", "minmatchlen", "4", "withmatchlen"),
    map([
      [bulk("matches"), array([array([range(4, 7), range(5, 8), integer(4)])])],
      [bulk("len"), integer(6)],
    ]),
  );
  deepStrictEqual(h.run("LCS", "a", "b", "WITHMATCHLEN"), bulk("mytext"));
});

Deno.test("LCS treats missing keys as empty and refuses other types and bad options", () => {
  const h = setup();
  h.run("SET", "a", "abc");
  deepStrictEqual(h.run("LCS", "a", "missing"), bulk(""));
  deepStrictEqual(h.run("LCS", "missing", "other", "LEN"), integer(0));
  const notStrings = error("ERR The specified keys must contain string values");
  deepStrictEqual(h.run("LCS", "a", "z"), notStrings);
  deepStrictEqual(h.run("LCS", "z", "a", "FOO"), notStrings);
  deepStrictEqual(h.run("LCS", "a", "a", "FOO"), error(SYNTAX));
  deepStrictEqual(h.run("LCS", "a", "a", "MINMATCHLEN"), error(SYNTAX));
  deepStrictEqual(h.run("LCS", "a", "a", "MINMATCHLEN", "x"), error(NOT_INTEGER));
  deepStrictEqual(
    h.run("LCS", "a", "a", "LEN", "IDX"),
    error("ERR If you want both the length and indexes, please just use IDX."),
  );
});

Deno.test("LCS length matches a reference implementation on random strings", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 20 }),
      fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 20 }),
      (a, b) => {
        const h = createHarness(NOW);
        h.run("MSET", "a", a, "b", b);
        // Flat table: lengths[i * width + j] is the LCS length of a[0, i) and b[0, j).
        const width = b.length + 1;
        const lengths = new Array<number>((a.length + 1) * width).fill(0);
        for (let i = 1; i <= a.length; i++) {
          for (let j = 1; j <= b.length; j++) {
            lengths[i * width + j] = a[i - 1] === b[j - 1]
              ? lengths[(i - 1) * width + j - 1]! + 1
              : Math.max(lengths[(i - 1) * width + j]!, lengths[i * width + j - 1]!);
          }
        }
        const expected = lengths[a.length * width + b.length]!;
        deepStrictEqual(h.run("LCS", "a", "b", "LEN"), integer(expected));
        const subsequence = h.run("LCS", "a", "b");
        strictEqual(subsequence.kind === "bulk" && subsequence.value.length, expected);
      },
    ),
    { numRuns: 200 },
  );
});

// Command metadata

Deno.test("string commands carry Redis's arity, flags and key positions", () => {
  const h = setup();
  const expected: Array<[string, number, string[], [number, number, number]]> = [
    ["get", 2, ["readonly", "fast"], [1, 1, 1]],
    ["set", -3, ["write", "denyoom"], [1, 1, 1]],
    ["setnx", 3, ["write", "denyoom", "fast"], [1, 1, 1]],
    ["setex", 4, ["write", "denyoom"], [1, 1, 1]],
    ["psetex", 4, ["write", "denyoom"], [1, 1, 1]],
    ["getset", 3, ["write", "denyoom", "fast"], [1, 1, 1]],
    ["getdel", 2, ["write", "fast"], [1, 1, 1]],
    ["getex", -2, ["write", "fast"], [1, 1, 1]],
    ["mget", -2, ["readonly", "fast"], [1, -1, 1]],
    ["mset", -3, ["write", "denyoom"], [1, -1, 2]],
    ["msetnx", -3, ["write", "denyoom"], [1, -1, 2]],
    ["incr", 2, ["write", "denyoom", "fast"], [1, 1, 1]],
    ["decr", 2, ["write", "denyoom", "fast"], [1, 1, 1]],
    ["incrby", 3, ["write", "denyoom", "fast"], [1, 1, 1]],
    ["decrby", 3, ["write", "denyoom", "fast"], [1, 1, 1]],
    ["incrbyfloat", 3, ["write", "denyoom", "fast"], [1, 1, 1]],
    ["append", 3, ["write", "denyoom", "fast"], [1, 1, 1]],
    ["strlen", 2, ["readonly", "fast"], [1, 1, 1]],
    ["getrange", 4, ["readonly"], [1, 1, 1]],
    ["setrange", 4, ["write", "denyoom"], [1, 1, 1]],
    ["lcs", -3, ["readonly"], [1, 2, 1]],
  ];
  for (const [name, arity, flags, [first, last, step]] of expected) {
    const spec = h.commands.lookup(name)!;
    strictEqual(spec.arity, arity, name);
    deepStrictEqual(spec.flags, flags, name);
    deepStrictEqual(spec.keys, { first, last, step }, name);
    strictEqual(spec.group, "string", name);
  }
});

Deno.test("GET inside EXEC and scripts answers the value it read, not what a later write stored there", () => {
  const h = createHarness();
  h.run("SET", "k", "old");
  h.run("MULTI");
  h.run("GET", "k");
  // The same length: the new value is written over the old one's bytes.
  h.run("SET", "k", "new");
  const exec = h.run("EXEC");
  strictEqual(exec.kind, "array");
  const [got, set] = exec.kind === "array" ? exec.items : [];
  // Kinds first: a view's diff would print the arena's whole chunk.
  strictEqual(got?.kind, "bulk");
  deepStrictEqual([got, set], [bulk("old"), OK]);

  const script =
    "local v = redis.call('GET', KEYS[1]); redis.call('SET', KEYS[1], 'xyz'); return v";
  const read = h.run("EVAL", script, "1", "k");
  strictEqual(read.kind, "bulk");
  deepStrictEqual(read, bulk("new"));
  deepStrictEqual(h.run("GET", "k"), bulk("xyz"));
});
