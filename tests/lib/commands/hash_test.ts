/**
 * Hash commands through the command table. Expected replies and error texts
 * were taken from Redis 7.0.15 (`redis-cli`, RESP2 and `-3`).
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { Eviction } from "../../../lib/eviction.ts";
import { Hash } from "../../../lib/hash.ts";
import { parseNotifyKeyspaceEvents } from "../../../lib/notify.ts";
import { propagatedCommands } from "../../../lib/persistence/propagate.ts";
import {
  array,
  bulk,
  EMPTY_ARRAY,
  error,
  integer,
  map,
  NIL,
  OK,
  type Reply,
} from "../../../lib/reply.ts";
import { createHarness, type Harness } from "../../support/command_harness.ts";

const WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value");
const SYNTAX = error("ERR syntax error");
const NOT_INTEGER = error("ERR value is not an integer or out of range");

function bulks(...values: string[]): Reply {
  return array(values.map(bulk));
}

/** The strings of an array reply of bulk strings. */
function strings(reply: Reply): string[] {
  if (reply.kind !== "array") throw new Error(`Expected an array, got ${JSON.stringify(reply)}`);
  return reply.items.map((item) => {
    if (item.kind !== "bulk") throw new Error(`Expected a bulk string, got ${item.kind}`);
    return item.value;
  });
}

/** `h` = a:1 b:2 c:3 and the string key `s`. */
function withHash(): Harness {
  const h = createHarness();
  h.run("HSET", "h", "a", "1", "b", "2", "c", "3");
  h.keyspace.set("s", "v");
  return h;
}

/** Keyevent notifications published while `body` runs, as "event key". */
function events(h: Harness, body: () => void): string[] {
  const seen: string[] = [];
  const subscriber = {
    subscriptions: undefined,
    push(message: Reply) {
      if (message.kind !== "push") return;
      const [, , channel, key] = strings(array(message.items));
      seen.push(`${channel!.slice("__keyevent@0__:".length)} ${key}`);
    },
  };
  h.server.pubsub.setNotifyFlags(parseNotifyKeyspaceEvents("KEA")!);
  h.server.pubsub.psubscribe(subscriber, "__keyevent@0__:*");
  body();
  h.server.pubsub.unsubscribeAll(subscriber);
  return seen;
}

Deno.test("HSET counts new fields; HMSET replies OK; both refuse an odd count", () => {
  const h = withHash();
  deepStrictEqual(h.run("HSET", "h", "a", "9", "d", "4"), integer(1));
  deepStrictEqual(h.run("HMSET", "h", "e", "5"), OK);
  deepStrictEqual(h.run("HGET", "h", "a"), bulk("9"));
  deepStrictEqual(
    h.run("HSET", "h", "a", "1", "b"),
    error("ERR wrong number of arguments for 'hset' command"),
  );
  deepStrictEqual(
    h.run("HMSET", "h", "a"),
    error("ERR wrong number of arguments for 'hmset' command"),
  );
  deepStrictEqual(h.run("HSET", "s", "a", "1"), WRONGTYPE);
  deepStrictEqual(h.run("HLEN", "h"), integer(5));
});

Deno.test("HSETNX sets only a missing field, creating the key if needed", () => {
  const h = withHash();
  deepStrictEqual(h.run("HSETNX", "h", "a", "x"), integer(0));
  deepStrictEqual(h.run("HSETNX", "h", "z", "x"), integer(1));
  deepStrictEqual(h.run("HSETNX", "new", "f", "v"), integer(1));
  deepStrictEqual(h.run("HGET", "new", "f"), bulk("v"));
  deepStrictEqual(h.run("HSETNX", "s", "f", "v"), WRONGTYPE);
});

Deno.test("HGET, HMGET, HEXISTS, HLEN and HSTRLEN read fields and treat a missing key as empty", () => {
  const h = withHash();
  h.run("HSET", "h", "long", "hello world");
  deepStrictEqual(h.run("HGET", "h", "nope"), NIL);
  deepStrictEqual(h.run("HGET", "missing", "a"), NIL);
  deepStrictEqual(h.run("HMGET", "h", "a", "nope", "c"), array([bulk("1"), NIL, bulk("3")]));
  deepStrictEqual(h.run("HMGET", "missing", "a", "b"), array([NIL, NIL]));
  deepStrictEqual(h.run("HMGET", "s", "a"), WRONGTYPE);
  deepStrictEqual(h.run("HEXISTS", "h", "b"), integer(1));
  deepStrictEqual(h.run("HEXISTS", "h", "x"), integer(0));
  deepStrictEqual(h.run("HLEN", "missing"), integer(0));
  deepStrictEqual(h.run("HSTRLEN", "h", "long"), integer(11));
  deepStrictEqual(h.run("HSTRLEN", "h", "nope"), integer(0));
  for (const command of ["HGET", "HEXISTS", "HSTRLEN"]) {
    deepStrictEqual(h.run(command, "s", "a"), WRONGTYPE);
  }
  deepStrictEqual(h.run("HLEN", "s"), WRONGTYPE);
});

Deno.test("HDEL removes fields and the key with the last one, with hdel and del events", () => {
  const h = withHash();
  const seen = events(h, () => {
    deepStrictEqual(h.run("HDEL", "h", "a", "a", "x"), integer(1));
    deepStrictEqual(h.run("HDEL", "h", "x"), integer(0));
    deepStrictEqual(h.run("HDEL", "h", "b", "c"), integer(2));
    deepStrictEqual(h.run("HDEL", "h", "b"), integer(0));
  });
  deepStrictEqual(seen, ["hdel h", "hdel h", "del h"]);
  strictEqual(h.keyspace.has("h"), false);
  deepStrictEqual(h.run("HDEL", "s", "a"), WRONGTYPE);
});

Deno.test("HKEYS, HVALS and HGETALL list the hash; HGETALL is a map", () => {
  const h = withHash();
  deepStrictEqual(h.run("HKEYS", "h"), bulks("a", "b", "c"));
  deepStrictEqual(h.run("HVALS", "h"), bulks("1", "2", "3"));
  deepStrictEqual(
    h.run("HGETALL", "h"),
    map([[bulk("a"), bulk("1")], [bulk("b"), bulk("2")], [bulk("c"), bulk("3")]]),
  );
  deepStrictEqual(h.run("HGETALL", "missing"), map([]));
  deepStrictEqual(h.run("HKEYS", "missing"), EMPTY_ARRAY);
  for (const command of ["HKEYS", "HVALS", "HGETALL"]) {
    deepStrictEqual(h.run(command, "s"), WRONGTYPE);
  }
});

Deno.test("HINCRBY adds in signed 64 bits and refuses non-integers and overflow", () => {
  const h = withHash();
  deepStrictEqual(h.run("HINCRBY", "h", "a", "10"), integer(11));
  deepStrictEqual(h.run("HINCRBY", "h", "new", "-5"), integer(-5));
  deepStrictEqual(h.run("HINCRBY", "h", "a", "x"), NOT_INTEGER);
  h.run("HSET", "h", "f", "1.5", "big", "9223372036854775806");
  deepStrictEqual(h.run("HINCRBY", "h", "f", "1"), error("ERR hash value is not an integer"));
  deepStrictEqual(h.run("HINCRBY", "h", "big", "1"), integer(9223372036854775807n));
  deepStrictEqual(
    h.run("HINCRBY", "h", "big", "1"),
    error("ERR increment or decrement would overflow"),
  );
  deepStrictEqual(h.run("HINCRBY", "s", "a", "1"), WRONGTYPE);
});

Deno.test("HINCRBYFLOAT computes in long double and prints as Redis does", () => {
  const h = withHash();
  deepStrictEqual(h.run("HINCRBYFLOAT", "h", "x", "0.1"), bulk("0.1"));
  deepStrictEqual(h.run("HINCRBYFLOAT", "h", "x", "0.2"), bulk("0.3"));
  h.run("HSET", "h", "y", "1000.1");
  deepStrictEqual(h.run("HINCRBYFLOAT", "h", "y", "0"), bulk("1000.09999999999999998"));
  deepStrictEqual(h.run("HINCRBYFLOAT", "h", "a", "1e3"), bulk("1001"));
  deepStrictEqual(h.run("HINCRBYFLOAT", "h", "a", "abc"), error("ERR value is not a valid float"));
  deepStrictEqual(h.run("HINCRBYFLOAT", "h", "a", "inf"), error("ERR value is NaN or Infinity"));
  h.run("HSET", "h", "word", "abc", "infinite", "inf");
  deepStrictEqual(h.run("HINCRBYFLOAT", "h", "word", "1"), error("ERR hash value is not a float"));
  deepStrictEqual(
    h.run("HINCRBYFLOAT", "h", "infinite", "1"),
    error("ERR increment would produce NaN or Infinity"),
  );
  deepStrictEqual(h.run("HINCRBYFLOAT", "s", "a", "1"), WRONGTYPE);
});

Deno.test("HINCRBYFLOAT is logged to the AOF as HSET of the result", () => {
  const h = withHash();
  h.run("HINCRBYFLOAT", "h", "a", "0.5");
  deepStrictEqual(propagatedCommands(["HINCRBYFLOAT", "h", "a", "0.5"], h.keyspace), [
    ["HSET", "h", "a", "1.5"],
  ]);
});

Deno.test("HRANDFIELD picks fields and checks its count as Redis does", () => {
  const h = withHash();
  ok(["a", "b", "c"].includes((h.run("HRANDFIELD", "h") as { value: string }).value));
  deepStrictEqual(h.run("HRANDFIELD", "missing"), NIL);
  deepStrictEqual(h.run("HRANDFIELD", "missing", "3"), EMPTY_ARRAY);
  deepStrictEqual(h.run("HRANDFIELD", "h", "0"), EMPTY_ARRAY);
  deepStrictEqual(strings(h.run("HRANDFIELD", "h", "10")).sort(), ["a", "b", "c"]);
  const two = strings(h.run("HRANDFIELD", "h", "2"));
  strictEqual(new Set(two).size, 2);
  const repeated = strings(h.run("HRANDFIELD", "h", "-20"));
  strictEqual(repeated.length, 20);
  ok(repeated.every((field) => ["a", "b", "c"].includes(field)));
  const flat = strings(h.run("HRANDFIELD", "h", "-4", "WITHVALUES"));
  strictEqual(flat.length, 8);
  for (let i = 0; i < flat.length; i += 2) {
    deepStrictEqual(h.run("HGET", "h", flat[i]!), bulk(flat[i + 1]!));
  }
  deepStrictEqual(h.run("HRANDFIELD", "h", "1", "WITHVALUE"), SYNTAX);
  deepStrictEqual(h.run("HRANDFIELD", "h", "1", "WITHVALUES", "x"), SYNTAX);
  deepStrictEqual(h.run("HRANDFIELD", "h", "x"), NOT_INTEGER);
  deepStrictEqual(
    h.run("HRANDFIELD", "h", "-9223372036854775808"),
    error(
      "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    ),
  );
  deepStrictEqual(
    h.run("HRANDFIELD", "h", "4611686018427387904", "WITHVALUES"),
    error("ERR value is out of range"),
  );
  deepStrictEqual(h.run("HRANDFIELD", "s"), WRONGTYPE);
  deepStrictEqual(h.run("HRANDFIELD", "s", "1"), WRONGTYPE);
});

Deno.test("HRANDFIELD WITHVALUES sends [field, value] pairs on RESP3", () => {
  const h = withHash();
  h.session.protocol = 3;
  const reply = h.run("HRANDFIELD", "h", "-3", "WITHVALUES");
  if (reply.kind !== "array") throw new Error("array expected");
  strictEqual(reply.items.length, 3);
  for (const pair of reply.items) {
    const [field, value] = strings(pair);
    deepStrictEqual(h.run("HGET", "h", field!), bulk(value!));
  }
});

Deno.test("HSCAN returns a small hash in one page and walks a large one with a cursor", () => {
  const h = withHash();
  deepStrictEqual(
    h.run("HSCAN", "h", "0", "MATCH", "[ab]"),
    array([bulk("0"), bulks("a", "1", "b", "2")]),
  );
  deepStrictEqual(h.run("HSCAN", "missing", "0"), array([bulk("0"), EMPTY_ARRAY]));
  deepStrictEqual(h.run("HSCAN", "h", "x"), error("ERR invalid cursor"));
  deepStrictEqual(h.run("HSCAN", "s", "0"), WRONGTYPE);
  for (let i = 0; i < 500; i++) h.run("HSET", "big", `f${i}`, `v${i}`);
  const seen = new Map<string, string>();
  let cursor = "0";
  let calls = 0;
  do {
    const reply = h.run("HSCAN", "big", cursor, "COUNT", "50");
    if (reply.kind !== "array") throw new Error("array expected");
    cursor = (reply.items[0] as { value: string }).value;
    const items = strings(reply.items[1]!);
    for (let i = 0; i < items.length; i += 2) seen.set(items[i]!, items[i + 1]!);
    calls++;
  } while (cursor !== "0" && calls < 100);
  strictEqual(seen.size, 500);
  strictEqual(seen.get("f42"), "v42");
});

Deno.test("Hash writes notify hset, hincrby and hincrbyfloat", () => {
  const h = withHash();
  const seen = events(h, () => {
    h.run("HSET", "h", "a", "2");
    h.run("HSETNX", "h", "a", "2");
    h.run("HMSET", "h", "z", "2");
    h.run("HINCRBY", "h", "a", "1");
    h.run("HINCRBYFLOAT", "h", "a", "1.5");
  });
  deepStrictEqual(seen, ["hset h", "hset h", "hincrby h", "hincrbyfloat h"]);
});

Deno.test("A hash joins TYPE, SCAN TYPE, COPY, RENAME and MEMORY USAGE", () => {
  const h = withHash();
  deepStrictEqual(h.run("TYPE", "h"), { kind: "status", text: "hash" });
  deepStrictEqual(h.run("SCAN", "0", "TYPE", "hash"), array([bulk("0"), bulks("h")]));
  deepStrictEqual(h.run("COPY", "h", "h2"), integer(1));
  h.run("HSET", "h2", "a", "changed");
  deepStrictEqual(h.run("HGET", "h", "a"), bulk("1"));
  deepStrictEqual(h.run("RENAME", "h2", "h3"), OK);
  deepStrictEqual(h.run("HGET", "h3", "a"), bulk("changed"));
  const usage = h.run("MEMORY", "USAGE", "h");
  ok(usage.kind === "integer" && Number(usage.value) > 100);
});

Deno.test("WATCH sees a hash change and the memory total follows it", () => {
  const h = withHash();
  const before = h.keyspace.usedMemory;
  h.run("WATCH", "h");
  const other = h.newSession();
  other.run("HSET", "h", "d", "x".repeat(1000));
  ok(h.keyspace.usedMemory >= before + 1000);
  h.run("MULTI");
  h.run("HGET", "h", "a");
  deepStrictEqual(h.run("EXEC"), { kind: "nil-array" });
  h.run("DEL", "h");
  const hash = h.keyspace.getCollection("h", Hash);
  strictEqual(hash, undefined);
  ok(h.keyspace.usedMemory < before);
});

Deno.test("maxmemory: allkeys-lru evicts hashes to fit, and noeviction refuses HSET with OOM", () => {
  const h = createHarness();
  const eviction = new Eviction(h.databases, () => 0);
  h.commands.eviction = eviction;
  for (let i = 0; i < 20; i++) h.run("HSET", `h${i}`, "f", "x".repeat(1000));
  const used = h.keyspace.usedMemory;
  eviction.configure({ maxmemory: Math.floor(used / 2), policy: "allkeys-lru", samples: 5 });
  deepStrictEqual(h.run("HSET", "new", "f", "v"), integer(1));
  ok(h.keyspace.usedMemory <= used / 2, `${h.keyspace.usedMemory} > ${used / 2}`);
  ok(h.keyspace.evictedCount >= 10);
  eviction.configure({ maxmemory: 1, policy: "noeviction", samples: 5 });
  deepStrictEqual(
    h.run("HSET", "new", "g", "v"),
    error("OOM command not allowed when used memory > 'maxmemory'."),
  );
  deepStrictEqual(h.run("HGET", "new", "f"), bulk("v"));
});
