import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { isDeepStrictEqual } from "node:util";
import { NO_SUCH_KEY, NOT_INTEGER, SYNTAX } from "../../../lib/errors.ts";
import {
  array,
  bulk,
  error,
  integer,
  NIL,
  OK,
  ONE,
  type Reply,
  status,
  ZERO,
} from "../../../lib/reply.ts";
import { SortedSet } from "../../../lib/zset.ts";
import { createHarness, type Harness } from "../../support/command_harness.ts";
import { seededRandom as prng } from "../../../lib/random.ts";

const NOW = 1_700_000_000_000;

function zsetOf(...pairs: Array<[string, number]>): SortedSet {
  const zset = new SortedSet();
  for (const [member, score] of pairs) zset.add(member, score);
  return zset;
}

/** A harness holding strings `a` and `b` and a sorted set `z`. */
function setup(): Harness {
  const h = createHarness(NOW);
  h.run("MSET", "a", "1", "b", "2");
  h.keyspace.set("z", zsetOf(["x", 1], ["y", 2]));
  return h;
}

function bulks(reply: Reply): string[] {
  if (reply.kind !== "array") throw new Error(`expected an array, got ${reply.kind}`);
  return reply.items.map((item) => {
    if (item.kind !== "bulk") throw new Error(`expected a bulk string, got ${item.kind}`);
    return item.value;
  });
}

/** Runs SCAN to completion with the given options; returns every key it returned. */
function scanAll(h: Harness, options: string[] = [], between: () => void = () => {}): string[] {
  const keys: string[] = [];
  let cursor = "0";
  for (let calls = 0; calls < 100_000; calls++) {
    const reply = h.run("SCAN", cursor, ...options);
    if (reply.kind !== "array") throw new Error(`SCAN failed: ${JSON.stringify(reply)}`);
    const [next, page] = reply.items;
    if (next?.kind !== "bulk" || page === undefined) throw new Error("malformed SCAN reply");
    keys.push(...bulks(page));
    cursor = next.value;
    if (cursor === "0") return keys;
    between();
  }
  throw new Error("SCAN did not finish");
}

function expireError(command: string): Reply {
  return error(`ERR invalid expire time in '${command}' command`);
}

// DEL / UNLINK / EXISTS / TOUCH / TYPE

Deno.test("DEL and UNLINK count the keys they removed, each once", () => {
  const h = setup();
  deepStrictEqual(h.run("DEL", "a", "a", "missing"), ONE);
  deepStrictEqual(h.run("UNLINK", "b", "z", "b"), integer(2));
  strictEqual(h.keyspace.size, 0);
  deepStrictEqual(h.run("DEL", "a"), ZERO);
});

Deno.test("DEL drops a large sorted set and the key is gone at once", () => {
  const h = setup();
  const big = new SortedSet();
  for (let i = 0; i < 50_000; i++) big.add(`member:${i}`, i);
  h.keyspace.set("big", big);
  deepStrictEqual(h.run("UNLINK", "big"), ONE);
  deepStrictEqual(h.run("EXISTS", "big"), ZERO);
});

Deno.test("EXISTS and TOUCH count repeated keys each time", () => {
  const h = setup();
  deepStrictEqual(h.run("EXISTS", "a", "a", "missing", "z"), integer(3));
  deepStrictEqual(h.run("TOUCH", "a", "a", "missing"), integer(2));
});

Deno.test("TYPE names the value kind, none for a missing key", () => {
  const h = setup();
  deepStrictEqual(h.run("TYPE", "a"), status("string"));
  deepStrictEqual(h.run("TYPE", "z"), status("zset"));
  deepStrictEqual(h.run("TYPE", "missing"), status("none"));
});

Deno.test("keys with a passed deadline are gone for every key command", () => {
  const h = setup();
  h.run("PEXPIRE", "a", "100");
  h.run("PEXPIRE", "z", "100");
  h.setNow(NOW + 101);
  deepStrictEqual(h.run("EXISTS", "a", "z"), ZERO);
  deepStrictEqual(h.run("TYPE", "a"), status("none"));
  deepStrictEqual(h.run("TTL", "z"), integer(-2));
  deepStrictEqual(h.run("KEYS", "*"), array([bulk("b")]));
  deepStrictEqual(h.run("DEL", "a", "z"), ZERO);
  deepStrictEqual(h.run("RENAME", "a", "c"), error(NO_SUCH_KEY));
});

// RENAME / RENAMENX / COPY

Deno.test("RENAME moves the value with its TTL and replaces the destination", () => {
  const h = setup();
  h.run("EXPIRE", "a", "100");
  h.run("EXPIRE", "b", "5");
  deepStrictEqual(h.run("RENAME", "a", "b"), OK);
  deepStrictEqual(h.run("EXISTS", "a"), ZERO);
  deepStrictEqual(h.run("GET", "b"), bulk("1"));
  deepStrictEqual(h.run("TTL", "b"), integer(100));
  deepStrictEqual(h.run("RENAME", "z", "a"), OK);
  deepStrictEqual(h.run("TYPE", "a"), status("zset"));
  deepStrictEqual(h.run("TTL", "a"), integer(-1));
  // Replacing a destination that had a TTL with a key that has none drops it.
  h.run("SET", "t", "v", "EX", "50");
  h.run("SET", "plain", "p");
  h.run("RENAME", "plain", "t");
  deepStrictEqual(h.run("TTL", "t"), integer(-1));
});

Deno.test("RENAME of a key onto itself is OK, of a missing key an error", () => {
  const h = setup();
  deepStrictEqual(h.run("RENAME", "a", "a"), OK);
  deepStrictEqual(h.run("GET", "a"), bulk("1"));
  deepStrictEqual(h.run("RENAME", "missing", "x"), error(NO_SUCH_KEY));
  deepStrictEqual(h.run("RENAME", "missing", "missing"), error(NO_SUCH_KEY));
});

Deno.test("RENAMENX renames only onto a missing key", () => {
  const h = setup();
  deepStrictEqual(h.run("RENAMENX", "a", "b"), ZERO);
  deepStrictEqual(h.run("RENAMENX", "a", "a"), ZERO);
  h.run("PEXPIRE", "a", "1234");
  deepStrictEqual(h.run("RENAMENX", "a", "c"), ONE);
  deepStrictEqual(h.run("GET", "c"), bulk("1"));
  deepStrictEqual(h.run("PTTL", "c"), integer(1234));
  deepStrictEqual(h.run("RENAMENX", "missing", "missing"), error(NO_SUCH_KEY));
});

Deno.test("COPY copies a string with its TTL, and only onto a missing key unless REPLACE", () => {
  const h = setup();
  h.run("PEXPIRE", "a", "5000");
  deepStrictEqual(h.run("COPY", "a", "c"), ONE);
  deepStrictEqual(h.run("GET", "c"), bulk("1"));
  deepStrictEqual(h.run("PTTL", "c"), integer(5000));
  deepStrictEqual(h.run("COPY", "a", "b"), ZERO);
  deepStrictEqual(h.run("GET", "b"), bulk("2"));
  deepStrictEqual(h.run("COPY", "a", "b", "REPLACE"), ONE);
  deepStrictEqual(h.run("GET", "b"), bulk("1"));
  deepStrictEqual(h.run("COPY", "a", "d", "DB", "0", "replace", "REPLACE"), ONE);
  deepStrictEqual(h.run("COPY", "missing", "e"), ZERO);
  deepStrictEqual(h.run("EXISTS", "e"), ZERO);
});

Deno.test("COPY of a sorted set is deep: changing the copy leaves the source alone", () => {
  const h = setup();
  deepStrictEqual(h.run("COPY", "z", "z2"), ONE);
  const copy = h.keyspace.getCollection("z2", SortedSet)!;
  const source = h.keyspace.getCollection("z", SortedSet)!;
  ok(copy !== source);
  deepStrictEqual([...copy.entries()], [["x", 1], ["y", 2]]);
  copy.add("w", 0);
  copy.remove("x");
  deepStrictEqual([...source.entries()], [["x", 1], ["y", 2]]);
  copy.checkInvariants();
});

Deno.test("COPY refuses the same key, databases out of range and bad options", () => {
  const h = setup();
  deepStrictEqual(
    h.run("COPY", "a", "a"),
    error("ERR source and destination objects are the same"),
  );
  deepStrictEqual(h.run("COPY", "a", "c", "DB", "16"), error("ERR DB index is out of range"));
  deepStrictEqual(h.run("COPY", "a", "c", "DB", "-1"), error("ERR DB index is out of range"));
  deepStrictEqual(
    h.run("COPY", "a", "c", "DB", "9999999999"),
    error("ERR value is out of range, value must between -2147483648 and 2147483647"),
  );
  deepStrictEqual(h.run("COPY", "a", "c", "DB", "x"), error(NOT_INTEGER));
  deepStrictEqual(h.run("COPY", "a", "c", "DB"), error(SYNTAX));
  deepStrictEqual(h.run("COPY", "a", "c", "FOO"), error(SYNTAX));
  deepStrictEqual(h.run("EXISTS", "c"), ZERO);
});

// KEYS / SCAN / RANDOMKEY

Deno.test("KEYS returns the live keys matching a glob", () => {
  const h = setup();
  h.run("MSET", "hello", "1", "hallo", "1", "hxllo", "1", "h\\llo", "1");
  deepStrictEqual(
    new Set(bulks(h.run("KEYS", "*"))),
    new Set([
      "a",
      "b",
      "z",
      "hello",
      "hallo",
      "hxllo",
      "h\\llo",
    ]),
  );
  deepStrictEqual(bulks(h.run("KEYS", "h[ae]llo")).sort(), ["hallo", "hello"]);
  deepStrictEqual(bulks(h.run("KEYS", "h[^e]llo")).sort(), ["h\\llo", "hallo", "hxllo"]);
  deepStrictEqual(bulks(h.run("KEYS", "h\\\\llo")), ["h\\llo"]);
  deepStrictEqual(h.run("KEYS", "nothing*"), array([]));
});

Deno.test("SCAN walks every key of an unchanging keyspace once, page by page", () => {
  const h = createHarness(NOW);
  const expected: string[] = [];
  for (let i = 0; i < 500; i++) {
    h.run("SET", `key:${i}`, "v");
    expected.push(`key:${i}`);
  }
  expected.sort();
  for (const count of ["1", "7", "10", "499", "500", "100000"]) {
    deepStrictEqual(scanAll(h, ["COUNT", count]).sort(), expected, `COUNT ${count}`);
  }
  deepStrictEqual(scanAll(h).sort(), expected);
});

Deno.test("SCAN filters by MATCH and TYPE, case-insensitively for the type", () => {
  const h = setup();
  h.run("MSET", "user:1", "x", "user:2", "y");
  h.keyspace.set("user:z", zsetOf(["m", 1]));
  deepStrictEqual(scanAll(h, ["MATCH", "user:*", "COUNT", "2"]).sort(), [
    "user:1",
    "user:2",
    "user:z",
  ]);
  deepStrictEqual(scanAll(h, ["TYPE", "ZSET"]).sort(), ["user:z", "z"]);
  deepStrictEqual(scanAll(h, ["MATCH", "user:*", "TYPE", "string"]).sort(), ["user:1", "user:2"]);
  deepStrictEqual(scanAll(h, ["TYPE", "hash"]), []);
});

Deno.test("SCAN skips keys that expired or were deleted during the walk", () => {
  const h = createHarness(NOW);
  for (let i = 0; i < 20; i++) h.run("SET", `k${i}`, "v", "PX", String(i < 10 ? 100 : 100_000));
  const first = h.run("SCAN", "0", "COUNT", "5");
  if (first.kind !== "array") throw new Error("SCAN failed");
  const cursor = bulks(array(first.items.slice(0, 1)))[0]!;
  const before = bulks(first.items[1]!);
  h.setNow(NOW + 101); // k0..k9 expire
  h.run("DEL", "k15");
  const later: string[] = [];
  let next = cursor;
  for (let calls = 0; next !== "0" && calls < 100; calls++) {
    const reply = h.run("SCAN", next, "COUNT", "5");
    if (reply.kind !== "array") throw new Error("SCAN failed");
    next = bulks(array(reply.items.slice(0, 1)))[0]!;
    later.push(...bulks(reply.items[1]!));
  }
  const expected = ["k10", "k11", "k12", "k13", "k14", "k16", "k17", "k18", "k19"]
    .filter((key) => !before.includes(key));
  deepStrictEqual(later.sort(), expected.sort());
});

Deno.test("SCAN returns every key present throughout despite concurrent writes", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const random = prng(seed);
    const h = createHarness(NOW);
    for (let i = 0; i < 300; i++) h.run("SET", `k${i}`, "v");
    const removed = new Set<string>();
    let next = 300;
    const seen = scanAll(h, ["COUNT", String(1 + Math.floor(random() * 20))], () => {
      for (let n = 0; n < 5; n++) {
        const action = random();
        const key = `k${Math.floor(random() * next)}`;
        if (action < 0.4) {
          const deleted = h.run("DEL", key);
          if (deleted.kind === "integer" && deleted.value === 1) removed.add(key);
        } else if (action < 0.7) {
          h.run("SET", `k${next++}`, "new");
        } else if (action < 0.85) {
          h.run("SET", key, "overwritten"); // overwriting keeps the key's place in the walk
        } else if (h.run("RENAME", key, `k${next}`).kind === "status") {
          removed.add(key);
          next++;
        }
      }
    });
    for (let i = 0; i < 300; i++) {
      const key = `k${i}`;
      if (!removed.has(key)) ok(seen.includes(key), `seed ${seed}: ${key} was missed`);
    }
    // Only a key deleted and then written again may come back a second time.
    const once = new Set<string>();
    for (const key of seen) {
      ok(!once.has(key) || removed.has(key), `seed ${seed}: ${key} came back twice`);
      once.add(key);
    }
  }
});

Deno.test("SCAN ends while keys are added faster than COUNT", () => {
  // Redis's promise: a walk ends as long as the collection stops growing without bound. Each
  // call here covers COUNT / size of the table while the table grows by 10 keys a call, so the
  // share covered after k calls is about ln(1 + k / 10) / 2: all of it in about 64 calls.
  const h = createHarness(NOW);
  for (let i = 0; i < 100; i++) h.run("SET", `old:${i}`, "v");
  let calls = 0;
  let added = 0;
  const seen = scanAll(h, ["COUNT", "5"], () => {
    calls++;
    for (let n = 0; n < 10; n++) h.run("SET", `new:${added++}`, "v");
  });
  ok(calls <= 200, `took ${calls} calls`);
  for (let i = 0; i < 100; i++) ok(seen.includes(`old:${i}`));
});

Deno.test("SCAN resumed after a flush returns no key from before it", () => {
  const h = createHarness(NOW);
  for (let i = 0; i < 50; i++) h.run("SET", `k${i}`, "v");
  const first = h.run("SCAN", "0", "COUNT", "10");
  const cursor = first.kind === "array" && first.items[0]?.kind === "bulk"
    ? first.items[0].value
    : "";
  h.keyspace.flush();
  h.run("SET", "fresh", "v");
  // As in Redis, the old cursor is a position in the new table: it may or may not meet "fresh".
  const resumed = h.run("SCAN", cursor, "COUNT", "1000");
  ok(
    isDeepStrictEqual(resumed, array([bulk("0"), array([])])) ||
      isDeepStrictEqual(resumed, array([bulk("0"), array([bulk("fresh")])])),
    JSON.stringify(resumed),
  );
  deepStrictEqual(scanAll(h), ["fresh"]);
});

Deno.test("SCAN parses its cursor as strtoul and refuses bad options", () => {
  const h = setup();
  for (const cursor of ["", "+0", "-0", "007"]) {
    const reply = h.run("SCAN", cursor, "COUNT", "100");
    deepStrictEqual(reply.kind === "array" && reply.items[0], bulk("0"), JSON.stringify(cursor));
  }
  for (const cursor of ["abc", " 0", "0 ", "18446744073709551616", "1.5", "-"]) {
    deepStrictEqual(h.run("SCAN", cursor), error("ERR invalid cursor"), JSON.stringify(cursor));
  }
  deepStrictEqual(h.run("SCAN", "abc", "COUNT", "0"), error("ERR invalid cursor"));
  deepStrictEqual(h.run("SCAN", "0", "COUNT", "0"), error(SYNTAX));
  deepStrictEqual(h.run("SCAN", "0", "COUNT", "-1"), error(SYNTAX));
  deepStrictEqual(h.run("SCAN", "0", "COUNT", "x"), error(NOT_INTEGER));
  deepStrictEqual(h.run("SCAN", "0", "MATCH"), error(SYNTAX));
  deepStrictEqual(h.run("SCAN", "0", "FOO", "bar"), error(SYNTAX));
});

Deno.test("RANDOMKEY returns a live key, nil when there is none", () => {
  const h = createHarness(NOW);
  deepStrictEqual(h.run("RANDOMKEY"), NIL);
  h.run("SET", "gone", "v", "PX", "10");
  h.run("SET", "stays", "v");
  h.setNow(NOW + 11);
  for (let i = 0; i < 20; i++) deepStrictEqual(h.run("RANDOMKEY"), bulk("stays"));
});

// EXPIRE family

Deno.test("EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT set deadlines in their units", () => {
  const h = setup();
  deepStrictEqual(h.run("EXPIRE", "a", "10"), ONE);
  deepStrictEqual(h.run("PEXPIRETIME", "a"), integer(NOW + 10_000));
  deepStrictEqual(h.run("PEXPIRE", "a", "1500"), ONE);
  deepStrictEqual(h.run("PEXPIRETIME", "a"), integer(NOW + 1500));
  deepStrictEqual(h.run("EXPIREAT", "a", String(NOW / 1000 + 60)), ONE);
  deepStrictEqual(h.run("PEXPIRETIME", "a"), integer(NOW + 60_000));
  deepStrictEqual(h.run("PEXPIREAT", "a", String(NOW + 7)), ONE);
  deepStrictEqual(h.run("PEXPIRETIME", "a"), integer(NOW + 7));
  deepStrictEqual(h.run("EXPIRE", "missing", "10"), ZERO);
  deepStrictEqual(h.run("EXPIRE", "z", "10"), ONE);
});

Deno.test("EXPIRE with a time already past deletes the key and replies 1", () => {
  const h = setup();
  deepStrictEqual(h.run("EXPIRE", "a", "-1"), ONE);
  deepStrictEqual(h.run("EXISTS", "a"), ZERO);
  deepStrictEqual(h.run("PEXPIRE", "b", "0"), ONE);
  deepStrictEqual(h.run("EXISTS", "b"), ZERO);
  deepStrictEqual(h.run("EXPIREAT", "z", "1"), ONE);
  deepStrictEqual(h.run("EXISTS", "z"), ZERO);
  h.run("SET", "a", "1");
  deepStrictEqual(h.run("PEXPIREAT", "a", String(NOW)), ONE);
  deepStrictEqual(h.run("EXISTS", "a"), ZERO);
});

Deno.test("EXPIRE NX and XX act only on keys without or with a TTL", () => {
  const h = setup();
  deepStrictEqual(h.run("EXPIRE", "a", "100", "XX"), ZERO);
  deepStrictEqual(h.run("TTL", "a"), integer(-1));
  deepStrictEqual(h.run("EXPIRE", "a", "100", "NX"), ONE);
  deepStrictEqual(h.run("EXPIRE", "a", "200", "nx"), ZERO);
  deepStrictEqual(h.run("EXPIRE", "a", "300", "xx"), ONE);
  deepStrictEqual(h.run("TTL", "a"), integer(300));
  deepStrictEqual(h.run("EXPIRE", "a", "100", "NX", "NX"), ZERO);
});

Deno.test("EXPIRE GT and LT treat a key without a TTL as never expiring", () => {
  const h = setup();
  deepStrictEqual(h.run("EXPIRE", "a", "100", "GT"), ZERO);
  deepStrictEqual(h.run("TTL", "a"), integer(-1));
  deepStrictEqual(h.run("EXPIRE", "a", "100", "LT"), ONE);
  deepStrictEqual(h.run("EXPIRE", "a", "50", "GT"), ZERO);
  deepStrictEqual(h.run("EXPIRE", "a", "100", "GT"), ZERO);
  deepStrictEqual(h.run("EXPIRE", "a", "200", "GT"), ONE);
  deepStrictEqual(h.run("EXPIRE", "a", "300", "LT"), ZERO);
  deepStrictEqual(h.run("EXPIRE", "a", "10", "LT", "XX"), ONE);
  deepStrictEqual(h.run("TTL", "a"), integer(10));
  // A past time under LT on a key without a TTL still deletes it.
  deepStrictEqual(h.run("EXPIRE", "b", "-1", "LT"), ONE);
  deepStrictEqual(h.run("EXISTS", "b"), ZERO);
  deepStrictEqual(h.run("EXPIRE", "z", "-1", "GT"), ZERO);
  deepStrictEqual(h.run("EXISTS", "z"), ONE);
});

Deno.test("EXPIRE refuses incompatible and unknown conditions before reading the time", () => {
  const h = setup();
  const nxError = error("ERR NX and XX, GT or LT options at the same time are not compatible");
  for (const options of [["NX", "XX"], ["XX", "NX"], ["NX", "GT"], ["LT", "NX"]]) {
    deepStrictEqual(h.run("EXPIRE", "a", "100", ...options), nxError, options.join(" "));
  }
  deepStrictEqual(
    h.run("PEXPIRE", "a", "100", "GT", "LT"),
    error("ERR GT and LT options at the same time are not compatible"),
  );
  deepStrictEqual(h.run("EXPIRE", "a", "100", "foo"), error("ERR Unsupported option foo"));
  deepStrictEqual(h.run("EXPIRE", "missing", "abc", "foo"), error("ERR Unsupported option foo"));
  deepStrictEqual(h.run("EXPIRE", "missing", "abc"), error(NOT_INTEGER));
  deepStrictEqual(h.run("EXPIRE", "a", "1.5"), error(NOT_INTEGER));
  deepStrictEqual(h.run("EXPIRE", "a", "+5"), error(NOT_INTEGER));
  deepStrictEqual(h.run("TTL", "a"), integer(-1));
});

Deno.test("EXPIRE refuses times that overflow 64 bits, naming the command", () => {
  const h = setup();
  deepStrictEqual(h.run("EXPIRE", "a", "9223372036854775"), expireError("expire"));
  deepStrictEqual(h.run("EXPIRE", "a", "9223372036854776"), expireError("expire"));
  deepStrictEqual(h.run("EXPIRE", "a", "-9223372036854776"), expireError("expire"));
  deepStrictEqual(h.run("PEXPIRE", "a", "9223372036854775807"), expireError("pexpire"));
  deepStrictEqual(h.run("EXPIREAT", "a", "9223372036854775807"), expireError("expireat"));
  deepStrictEqual(h.run("EXPIRE", "missing", "9223372036854775"), expireError("expire"));
  deepStrictEqual(h.run("EXISTS", "a"), ONE);
  // Negative times that fit are merely in the past.
  deepStrictEqual(h.run("EXPIRE", "a", "-9223372036854775"), ONE);
  deepStrictEqual(h.run("EXISTS", "a"), ZERO);
});

Deno.test("PEXPIREAT at the int64 limit is kept and reported within int64", () => {
  const h = setup();
  deepStrictEqual(h.run("PEXPIREAT", "a", "9223372036854775807"), ONE);
  deepStrictEqual(h.run("PEXPIRETIME", "a"), integer(9223372036854775807n));
  deepStrictEqual(h.run("EXISTS", "a"), ONE);
  const ttl = h.run("TTL", "a");
  ok(ttl.kind === "integer" && BigInt(ttl.value) > 9_000_000_000_000_000n);
});

// TTL family and PERSIST

Deno.test("TTL and PTTL reply -2 for a missing key and -1 for one without a TTL", () => {
  const h = setup();
  for (const command of ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]) {
    deepStrictEqual(h.run(command, "missing"), integer(-2), command);
    deepStrictEqual(h.run(command, "a"), integer(-1), command);
  }
});

Deno.test("TTL rounds milliseconds to the nearest second, half up, as Redis does", () => {
  const h = setup();
  const cases: Array<[number, number]> = [[499, 0], [500, 1], [1499, 1], [1500, 2], [10_000, 10]];
  for (const [milliseconds, seconds] of cases) {
    h.run("PEXPIRE", "a", String(milliseconds));
    deepStrictEqual(h.run("TTL", "a"), integer(seconds), `${milliseconds} ms`);
    deepStrictEqual(h.run("PTTL", "a"), integer(milliseconds));
  }
  h.run("PEXPIREAT", "a", String(NOW + 1499));
  deepStrictEqual(h.run("EXPIRETIME", "a"), integer(Math.floor((NOW + 1499 + 500) / 1000)));
});

Deno.test("TTL counts down with the injected clock and the key expires after its deadline", () => {
  const h = setup();
  h.run("EXPIRE", "a", "10");
  h.setNow(NOW + 4_000);
  deepStrictEqual(h.run("TTL", "a"), integer(6));
  deepStrictEqual(h.run("PTTL", "a"), integer(6_000));
  deepStrictEqual(h.run("EXPIRETIME", "a"), integer(NOW / 1000 + 10));
  h.setNow(NOW + 9_999);
  deepStrictEqual(h.run("PTTL", "a"), integer(1));
  h.setNow(NOW + 10_001);
  deepStrictEqual(h.run("PTTL", "a"), integer(-2));
  deepStrictEqual(h.run("GET", "a"), NIL);
});

Deno.test("PERSIST removes a TTL and replies whether there was one", () => {
  const h = setup();
  deepStrictEqual(h.run("PERSIST", "a"), ZERO);
  deepStrictEqual(h.run("PERSIST", "missing"), ZERO);
  h.run("EXPIRE", "a", "100");
  deepStrictEqual(h.run("PERSIST", "a"), ONE);
  deepStrictEqual(h.run("TTL", "a"), integer(-1));
  deepStrictEqual(h.run("PERSIST", "a"), ZERO);
});

Deno.test("key commands are binary-safe for all 256 byte values", () => {
  const h = createHarness(NOW);
  const allBytes = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
  const other = allBytes.slice(128) + allBytes.slice(0, 128);
  h.run("SET", allBytes, "v");
  deepStrictEqual(h.run("EXISTS", allBytes), ONE);
  deepStrictEqual(h.run("EXPIRE", allBytes, "100"), ONE);
  deepStrictEqual(h.run("RENAME", allBytes, other), OK);
  deepStrictEqual(h.run("TTL", other), integer(100));
  deepStrictEqual(h.run("COPY", other, allBytes), ONE);
  deepStrictEqual(bulks(h.run("KEYS", "*")).sort(), [allBytes, other].sort());
  deepStrictEqual(scanAll(h, ["MATCH", "\x00*\xff"]), [allBytes]);
  deepStrictEqual(h.run("DEL", allBytes, other), integer(2));
});

// Command metadata

Deno.test("key commands carry Redis's arity, flags and key positions", () => {
  const h = createHarness(NOW);
  const expected: Array<[string, number, string[], [number, number, number] | undefined]> = [
    ["del", -2, ["write"], [1, -1, 1]],
    ["unlink", -2, ["write", "fast"], [1, -1, 1]],
    ["exists", -2, ["readonly", "fast"], [1, -1, 1]],
    ["touch", -2, ["readonly", "fast"], [1, -1, 1]],
    ["type", 2, ["readonly", "fast"], [1, 1, 1]],
    ["rename", 3, ["write"], [1, 2, 1]],
    ["renamenx", 3, ["write", "fast"], [1, 2, 1]],
    ["copy", -3, ["write", "denyoom"], [1, 2, 1]],
    ["keys", 2, ["readonly"], undefined],
    ["scan", -2, ["readonly"], undefined],
    ["randomkey", 1, ["readonly"], undefined],
    ["expire", -3, ["write", "fast"], [1, 1, 1]],
    ["pexpire", -3, ["write", "fast"], [1, 1, 1]],
    ["expireat", -3, ["write", "fast"], [1, 1, 1]],
    ["pexpireat", -3, ["write", "fast"], [1, 1, 1]],
    ["ttl", 2, ["readonly", "fast"], [1, 1, 1]],
    ["pttl", 2, ["readonly", "fast"], [1, 1, 1]],
    ["expiretime", 2, ["readonly", "fast"], [1, 1, 1]],
    ["pexpiretime", 2, ["readonly", "fast"], [1, 1, 1]],
    ["persist", 2, ["write", "fast"], [1, 1, 1]],
  ];
  for (const [name, arity, flags, keys] of expected) {
    const spec = h.commands.lookup(name)!;
    strictEqual(spec.arity, arity, name);
    deepStrictEqual(spec.flags, flags, name);
    deepStrictEqual(
      spec.keys,
      keys === undefined ? undefined : { first: keys[0], last: keys[1], step: keys[2] },
      name,
    );
    strictEqual(spec.group, "generic", name);
  }
});
