/**
 * Set commands through the command table. Expected replies and error texts
 * were taken from Redis 7.0.15 (`redis-cli`, RESP2 and `-3`).
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { parseNotifyKeyspaceEvents } from "../../../lib/notify.ts";
import {
  array,
  bulk,
  EMPTY_ARRAY,
  error,
  integer,
  NIL,
  OK,
  type Reply,
  set,
} from "../../../lib/reply.ts";
import { createHarness, type Harness } from "../../support/command_harness.ts";

const WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value");
const SYNTAX = error("ERR syntax error");
const NOT_INTEGER = error("ERR value is not an integer or out of range");

/** The strings of an array or set reply of bulk strings. */
function strings(reply: Reply): string[] {
  if (reply.kind !== "array" && reply.kind !== "set" && reply.kind !== "push") {
    throw new Error(`Expected an array, got ${JSON.stringify(reply)}`);
  }
  return reply.items.map((item) => {
    if (item.kind !== "bulk") throw new Error(`Expected a bulk string, got ${item.kind}`);
    return item.value;
  });
}

/** The items of an array reply. */
function items(reply: Reply): readonly Reply[] {
  if (reply.kind !== "array") throw new Error(`Expected an array, got ${JSON.stringify(reply)}`);
  return reply.items;
}

/** A set reply's members, sorted (set order is unspecified). */
function sortedSet(reply: Reply): string[] {
  strictEqual(reply.kind, "set", `expected a set reply, got ${JSON.stringify(reply)}`);
  return strings(reply).sort();
}

/** `a` = {1 2 3 4}, `b` = {3 4 5}, `c` = {4 9}, and the string key `s`. */
function withSets(): Harness {
  const h = createHarness();
  h.run("SADD", "a", "1", "2", "3", "4");
  h.run("SADD", "b", "3", "4", "5");
  h.run("SADD", "c", "4", "9");
  h.keyspace.set("s", "v");
  return h;
}

function events(h: Harness, body: () => void): string[] {
  const seen: string[] = [];
  const subscriber = {
    subscriptions: undefined,
    push(message: Reply) {
      const [, , channel, key] = strings(message);
      seen.push(`${channel!.slice("__keyevent@0__:".length)} ${key}`);
    },
  };
  h.server.pubsub.setNotifyFlags(parseNotifyKeyspaceEvents("KEA")!);
  h.server.pubsub.psubscribe(subscriber, "__keyevent@0__:*");
  body();
  h.server.pubsub.unsubscribeAll(subscriber);
  return seen;
}

Deno.test("SADD and SREM count changes; SREM of the last member deletes the key", () => {
  const h = withSets();
  deepStrictEqual(h.run("SADD", "a", "1", "7", "7"), integer(1));
  deepStrictEqual(h.run("SREM", "a", "7", "8"), integer(1));
  deepStrictEqual(h.run("SREM", "missing", "1"), integer(0));
  const seen = events(h, () => {
    deepStrictEqual(h.run("SADD", "c", "4"), integer(0));
    deepStrictEqual(h.run("SREM", "c", "4", "9", "10"), integer(2));
  });
  deepStrictEqual(seen, ["srem c", "del c"]);
  strictEqual(h.keyspace.has("c"), false);
  deepStrictEqual(h.run("SADD", "s", "x"), WRONGTYPE);
  deepStrictEqual(h.run("SREM", "s", "x"), WRONGTYPE);
});

Deno.test("SMEMBERS is a set reply; SISMEMBER, SMISMEMBER and SCARD read membership", () => {
  const h = withSets();
  deepStrictEqual(sortedSet(h.run("SMEMBERS", "a")), ["1", "2", "3", "4"]);
  deepStrictEqual(h.run("SMEMBERS", "missing"), set([]));
  deepStrictEqual(h.run("SISMEMBER", "a", "2"), integer(1));
  deepStrictEqual(h.run("SISMEMBER", "a", "9"), integer(0));
  deepStrictEqual(h.run("SMISMEMBER", "a", "2", "9"), array([integer(1), integer(0)]));
  deepStrictEqual(h.run("SMISMEMBER", "missing", "2"), array([integer(0)]));
  deepStrictEqual(h.run("SCARD", "b"), integer(3));
  deepStrictEqual(h.run("SCARD", "missing"), integer(0));
  for (
    const argv of [["SMEMBERS", "s"], ["SISMEMBER", "s", "1"], ["SMISMEMBER", "s", "1"], [
      "SCARD",
      "s",
    ]]
  ) {
    deepStrictEqual(h.run(...argv), WRONGTYPE);
  }
});

Deno.test("SPOP removes random members, notifies spop and del, and is logged as SREM or DEL", () => {
  const h = withSets();
  const seen = events(h, () => {
    const one = h.run("SPOP", "c");
    if (one.kind !== "bulk") throw new Error("bulk expected");
    deepStrictEqual(h.session.propagateAs, undefined, "cleared after the command");
    ok(["4", "9"].includes(one.value));
    deepStrictEqual(h.run("SPOP", "c", "5").kind, "set");
  });
  deepStrictEqual(seen, ["spop c", "spop c", "del c"]);
  deepStrictEqual(h.run("SPOP", "missing"), NIL);
  deepStrictEqual(h.run("SPOP", "missing", "2"), set([]));
  deepStrictEqual(h.run("SPOP", "a", "0"), set([]));
  deepStrictEqual(h.run("SPOP", "a", "-1"), error("ERR value is out of range, must be positive"));
  deepStrictEqual(h.run("SPOP", "a", "x"), error("ERR value is out of range, must be positive"));
  deepStrictEqual(h.run("SPOP", "a", "1", "2"), SYNTAX);
  deepStrictEqual(h.run("SPOP", "s"), WRONGTYPE);
  deepStrictEqual(h.run("SPOP", "s", "1"), WRONGTYPE);
  const two = sortedSet(h.run("SPOP", "a", "2"));
  strictEqual(two.length, 2);
  deepStrictEqual(h.run("SCARD", "a"), integer(2));
  for (const member of two) deepStrictEqual(h.run("SISMEMBER", "a", member), integer(0));
});

Deno.test("SPOP sets the AOF's record to what it removed", () => {
  const h = withSets();
  const logged: string[][][] = [];
  h.commands.onWrite = (_argv, context) => logged.push(context.session.propagateAs ?? []);
  const reply = h.run("SPOP", "b", "2");
  const popped = sortedSet(reply);
  const [[command, key, ...members]] = logged[0] as [string[]];
  deepStrictEqual([command, key], ["SREM", "b"]);
  deepStrictEqual(members.sort(), popped);
  h.run("SPOP", "c", "2");
  deepStrictEqual(logged[1], [["DEL", "c"]]);
  const single = h.run("SPOP", "b") as { value: string };
  deepStrictEqual(logged[2], [["SREM", "b", single.value]]);
  strictEqual(h.session.propagateAs, undefined);
});

Deno.test("SRANDMEMBER returns arrays: distinct for a positive count, repeats for a negative one", () => {
  const h = withSets();
  ok(["1", "2", "3", "4"].includes((h.run("SRANDMEMBER", "a") as { value: string }).value));
  deepStrictEqual(h.run("SRANDMEMBER", "missing"), NIL);
  deepStrictEqual(h.run("SRANDMEMBER", "missing", "2"), EMPTY_ARRAY);
  deepStrictEqual(strings(h.run("SRANDMEMBER", "a", "10")).sort(), ["1", "2", "3", "4"]);
  strictEqual(new Set(strings(h.run("SRANDMEMBER", "a", "3"))).size, 3);
  const repeated = h.run("SRANDMEMBER", "c", "-10");
  strictEqual(repeated.kind, "array");
  strictEqual(strings(repeated).length, 10);
  deepStrictEqual(h.run("SRANDMEMBER", "a", "1", "2"), SYNTAX);
  deepStrictEqual(h.run("SRANDMEMBER", "a", "x"), NOT_INTEGER);
  deepStrictEqual(h.run("SRANDMEMBER", "s", "1"), WRONGTYPE);
  deepStrictEqual(h.run("SCARD", "a"), integer(4));
});

Deno.test("SMOVE moves a member, checking keys in Redis's order", () => {
  const h = withSets();
  const seen = events(h, () => {
    deepStrictEqual(h.run("SMOVE", "a", "b", "1"), integer(1));
    deepStrictEqual(h.run("SMOVE", "a", "b", "3"), integer(1));
    deepStrictEqual(h.run("SMOVE", "c", "new", "9"), integer(1));
  });
  deepStrictEqual(seen, ["srem a", "sadd b", "srem a", "srem c", "sadd new"]);
  deepStrictEqual(h.run("SMOVE", "a", "b", "nope"), integer(0));
  deepStrictEqual(h.run("SMOVE", "a", "a", "2"), integer(1));
  deepStrictEqual(h.run("SMOVE", "a", "a", "9"), integer(0));
  deepStrictEqual(h.run("SMOVE", "missing", "s", "1"), integer(0));
  deepStrictEqual(h.run("SMOVE", "a", "s", "2"), WRONGTYPE);
  deepStrictEqual(h.run("SMOVE", "s", "a", "2"), WRONGTYPE);
  deepStrictEqual(h.run("SISMEMBER", "a", "2"), integer(1));
});

Deno.test("SINTER, SUNION and SDIFF combine sets; missing keys are empty sets", () => {
  const h = withSets();
  deepStrictEqual(sortedSet(h.run("SINTER", "a", "b")), ["3", "4"]);
  deepStrictEqual(sortedSet(h.run("SINTER", "a", "b", "c")), ["4"]);
  deepStrictEqual(h.run("SINTER", "a", "missing"), set([]));
  deepStrictEqual(sortedSet(h.run("SUNION", "a", "b", "missing")), ["1", "2", "3", "4", "5"]);
  deepStrictEqual(sortedSet(h.run("SDIFF", "a", "b")), ["1", "2"]);
  deepStrictEqual(sortedSet(h.run("SDIFF", "a", "missing", "c")), ["1", "2", "3"]);
  deepStrictEqual(h.run("SDIFF", "a", "a"), set([]));
  deepStrictEqual(h.run("SDIFF", "missing", "a"), set([]));
  deepStrictEqual(h.run("SINTER", "missing", "s"), WRONGTYPE);
  deepStrictEqual(h.run("SUNION", "a", "s"), WRONGTYPE);
  deepStrictEqual(h.run("SDIFF", "missing", "s"), WRONGTYPE);
});

Deno.test("SDIFF's two algorithms agree (small first set vs. large first set)", () => {
  const h = createHarness();
  for (let i = 0; i < 300; i++) h.run("SADD", "large", String(i));
  h.run("SADD", "small", "5", "500", "7");
  for (let i = 0; i < 250; i++) h.run("SADD", "other", String(i * 2));
  deepStrictEqual(sortedSet(h.run("SDIFF", "small", "large", "other")), ["500"]);
  const expected = [];
  for (let i = 1; i < 300; i += 2) expected.push(String(i));
  deepStrictEqual(
    sortedSet(h.run("SDIFF", "large", "other", "small")),
    expected.filter((m) => m !== "5" && m !== "7").sort(),
  );
});

Deno.test("SINTERCARD counts with an optional LIMIT and checks its arguments", () => {
  const h = withSets();
  deepStrictEqual(h.run("SINTERCARD", "2", "a", "b"), integer(2));
  deepStrictEqual(h.run("SINTERCARD", "2", "a", "b", "LIMIT", "1"), integer(1));
  deepStrictEqual(h.run("SINTERCARD", "2", "a", "b", "limit", "0"), integer(2));
  deepStrictEqual(h.run("SINTERCARD", "1", "missing"), integer(0));
  deepStrictEqual(h.run("SINTERCARD", "0", "a"), error("ERR numkeys should be greater than 0"));
  deepStrictEqual(h.run("SINTERCARD", "x", "a"), error("ERR numkeys should be greater than 0"));
  deepStrictEqual(
    h.run("SINTERCARD", "3", "a", "b"),
    error("ERR Number of keys can't be greater than number of args"),
  );
  deepStrictEqual(
    h.run("SINTERCARD", "1", "a", "LIMIT", "-1"),
    error("ERR LIMIT can't be negative"),
  );
  deepStrictEqual(h.run("SINTERCARD", "1", "a", "LIMIT"), SYNTAX);
  deepStrictEqual(h.run("SINTERCARD", "1", "a", "b"), SYNTAX);
  deepStrictEqual(h.run("SINTERCARD", "1", "s"), WRONGTYPE);
});

Deno.test("SINTERSTORE, SUNIONSTORE and SDIFFSTORE replace the destination or delete it", () => {
  const h = withSets();
  const seen = events(h, () => {
    deepStrictEqual(h.run("SINTERSTORE", "s", "a", "b"), integer(2));
    deepStrictEqual(h.run("SUNIONSTORE", "u", "a", "c"), integer(5));
    deepStrictEqual(h.run("SDIFFSTORE", "d", "a", "b"), integer(2));
    deepStrictEqual(h.run("SINTERSTORE", "u", "a", "missing"), integer(0));
    deepStrictEqual(h.run("SDIFFSTORE", "never", "a", "a"), integer(0));
  });
  deepStrictEqual(seen, ["sinterstore s", "sunionstore u", "sdiffstore d", "del u"]);
  deepStrictEqual(sortedSet(h.run("SMEMBERS", "s")), ["3", "4"]);
  deepStrictEqual(h.run("EXISTS", "u", "never"), integer(0));
  h.keyspace.set("str", "v");
  deepStrictEqual(h.run("SUNIONSTORE", "a", "a", "str"), WRONGTYPE);
  deepStrictEqual(h.run("SUNIONSTORE", "str", "a"), integer(4));
  deepStrictEqual(h.run("TYPE", "str"), { kind: "status", text: "set" });
});

Deno.test("SSCAN pages a large set and returns a small one whole", () => {
  const h = withSets();
  deepStrictEqual(
    strings(items(h.run("SSCAN", "a", "0"))[1]!).sort(),
    ["1", "2", "3", "4"],
  );
  deepStrictEqual(h.run("SSCAN", "missing", "0"), array([bulk("0"), EMPTY_ARRAY]));
  deepStrictEqual(h.run("SSCAN", "s", "0"), WRONGTYPE);
  for (let i = 0; i < 1000; i++) h.run("SADD", "big", `m${i}`);
  const seen = new Set<string>();
  let cursor = "0";
  let calls = 0;
  do {
    const [next, page] = items(h.run("SSCAN", "big", cursor, "MATCH", "m1*"));
    cursor = strings(array([next!]))[0]!;
    for (const member of strings(page!)) seen.add(member);
    calls++;
  } while (cursor !== "0" && calls < 1000);
  strictEqual(seen.size, 111);
});

Deno.test("ZUNION, ZINTER and ZDIFF take plain sets as score-1 inputs", () => {
  const h = withSets();
  h.run("ZADD", "z", "10", "4", "20", "5");
  deepStrictEqual(
    h.run("ZINTER", "2", "z", "b", "WITHSCORES"),
    array([bulk("4"), { kind: "double", value: 11 }, bulk("5"), { kind: "double", value: 21 }]),
  );
  deepStrictEqual(h.run("ZUNIONSTORE", "out", "2", "a", "c", "WEIGHTS", "2", "3"), integer(5));
  deepStrictEqual(h.run("ZSCORE", "out", "4"), { kind: "double", value: 5 });
  deepStrictEqual(h.run("ZDIFF", "2", "a", "z"), array(["1", "2", "3"].map(bulk)));
  deepStrictEqual(h.run("ZINTERCARD", "2", "a", "b"), integer(2));
  deepStrictEqual(h.run("ZUNION", "2", "a", "s"), WRONGTYPE);
});

Deno.test("A set joins TYPE, SCAN TYPE, COPY and RENAME", () => {
  const h = withSets();
  deepStrictEqual(h.run("TYPE", "a"), { kind: "status", text: "set" });
  deepStrictEqual(
    strings(items(h.run("SCAN", "0", "TYPE", "set"))[1]!).sort(),
    ["a", "b", "c"],
  );
  deepStrictEqual(h.run("COPY", "a", "a2"), integer(1));
  h.run("SREM", "a2", "1");
  deepStrictEqual(h.run("SISMEMBER", "a", "1"), integer(1));
  deepStrictEqual(h.run("RENAME", "a2", "a3"), OK);
  deepStrictEqual(h.run("SCARD", "a3"), integer(3));
});
