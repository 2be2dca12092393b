/**
 * List commands and the blocking registry through the command table. Reply
 * texts were taken from Redis 7.0 (`redis-cli`); the differential test
 * (tests/e2e/differential_list_test.ts) compares many more against it.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { UNBLOCKED_ERROR } from "../../../lib/blocking.ts";
import { List } from "../../../lib/list.ts";
import { NotifyingObserver, parseNotifyKeyspaceEvents } from "../../../lib/notify.ts";
import {
  array,
  bulk,
  double,
  EMPTY_ARRAY,
  error,
  integer,
  NIL,
  NIL_ARRAY,
  OK,
  type Reply,
} from "../../../lib/reply.ts";
import { createHarness, type Harness } from "../../support/command_harness.ts";

const WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value");
const SYNTAX = error("ERR syntax error");
const NOT_INTEGER = error("ERR value is not an integer or out of range");

function elements(...values: string[]): Reply {
  return array(values.map(bulk));
}

function range(h: Harness, key: string): Reply {
  return h.run("LRANGE", key, "0", "-1");
}

Deno.test("LPUSH and RPUSH build a list from both ends and reply its length", () => {
  const h = createHarness();
  deepStrictEqual(h.run("RPUSH", "l", "b", "c"), integer(2));
  deepStrictEqual(h.run("LPUSH", "l", "a", "z"), integer(4));
  deepStrictEqual(range(h, "l"), elements("z", "a", "b", "c"));
  deepStrictEqual(h.run("TYPE", "l"), { kind: "status", text: "list" });
  deepStrictEqual(h.run("LPUSHX", "missing", "x"), integer(0));
  deepStrictEqual(h.run("RPUSHX", "l", "d"), integer(5));
  strictEqual(h.keyspace.has("missing"), false);
  h.run("SET", "s", "v");
  deepStrictEqual(h.run("LPUSH", "s", "x"), WRONGTYPE);
  deepStrictEqual(h.run("RPUSHX", "s", "x"), WRONGTYPE);
});

Deno.test("LPOP and RPOP pop one or a count, and delete the emptied key", () => {
  const h = createHarness();
  h.run("RPUSH", "l", "a", "b", "c", "d");
  deepStrictEqual(h.run("LPOP", "l"), bulk("a"));
  deepStrictEqual(h.run("RPOP", "l", "2"), elements("d", "c"));
  deepStrictEqual(h.run("LPOP", "l", "0"), EMPTY_ARRAY);
  deepStrictEqual(h.run("LPOP", "l", "9"), elements("b"));
  strictEqual(h.keyspace.has("l"), false);
  deepStrictEqual(h.run("LPOP", "l"), NIL);
  deepStrictEqual(h.run("LPOP", "l", "0"), NIL_ARRAY);
  deepStrictEqual(h.run("RPOP", "l", "-1"), error("ERR value is out of range, must be positive"));
  deepStrictEqual(h.run("RPOP", "l", "x"), error("ERR value is out of range, must be positive"));
  deepStrictEqual(
    h.run("LPOP", "l", "1", "2"),
    error("ERR wrong number of arguments for 'lpop' command"),
  );
});

Deno.test("LRANGE, LINDEX and LLEN follow Redis's index arithmetic", () => {
  const h = createHarness();
  h.run("RPUSH", "l", "a", "b", "c", "d", "e");
  deepStrictEqual(h.run("LRANGE", "l", "1", "-2"), elements("b", "c", "d"));
  deepStrictEqual(h.run("LRANGE", "l", "-100", "1"), elements("a", "b"));
  deepStrictEqual(h.run("LRANGE", "l", "3", "1"), EMPTY_ARRAY);
  deepStrictEqual(h.run("LRANGE", "l", "5", "10"), EMPTY_ARRAY);
  deepStrictEqual(h.run("LRANGE", "l", "x", "1"), NOT_INTEGER);
  deepStrictEqual(h.run("LINDEX", "l", "-1"), bulk("e"));
  deepStrictEqual(h.run("LINDEX", "l", "5"), NIL);
  deepStrictEqual(h.run("LINDEX", "missing", "x"), NIL);
  deepStrictEqual(h.run("LINDEX", "l", "x"), NOT_INTEGER);
  deepStrictEqual(h.run("LLEN", "l"), integer(5));
  deepStrictEqual(h.run("LLEN", "missing"), integer(0));
});

Deno.test("LSET, LINSERT, LREM and LTRIM edit in place with Redis's replies", () => {
  const h = createHarness();
  h.run("RPUSH", "l", "a", "b", "a", "c", "a");
  deepStrictEqual(h.run("LSET", "l", "-1", "z"), OK);
  deepStrictEqual(h.run("LSET", "l", "5", "z"), error("ERR index out of range"));
  deepStrictEqual(h.run("LSET", "missing", "0", "z"), error("ERR no such key"));
  deepStrictEqual(h.run("LINSERT", "l", "BEFORE", "c", "x"), integer(6));
  deepStrictEqual(h.run("LINSERT", "l", "after", "z", "y"), integer(7));
  deepStrictEqual(h.run("LINSERT", "l", "AFTER", "nope", "y"), integer(-1));
  deepStrictEqual(h.run("LINSERT", "missing", "AFTER", "a", "y"), integer(0));
  deepStrictEqual(h.run("LINSERT", "l", "MIDDLE", "a", "y"), SYNTAX);
  deepStrictEqual(range(h, "l"), elements("a", "b", "a", "x", "c", "z", "y"));
  deepStrictEqual(h.run("LREM", "l", "-1", "a"), integer(1));
  deepStrictEqual(range(h, "l"), elements("a", "b", "x", "c", "z", "y"));
  deepStrictEqual(h.run("LREM", "l", "0", "nothing"), integer(0));
  deepStrictEqual(h.run("LTRIM", "l", "1", "-2"), OK);
  deepStrictEqual(range(h, "l"), elements("b", "x", "c", "z"));
  deepStrictEqual(h.run("LTRIM", "l", "5", "1"), OK);
  strictEqual(h.keyspace.has("l"), false);
  deepStrictEqual(h.run("LTRIM", "missing", "0", "1"), OK);
});

Deno.test("LPOS finds ranks, counts and respects MAXLEN", () => {
  const h = createHarness();
  h.run("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c");
  deepStrictEqual(h.run("LPOS", "l", "c"), integer(2));
  deepStrictEqual(h.run("LPOS", "l", "c", "RANK", "2"), integer(6));
  deepStrictEqual(h.run("LPOS", "l", "c", "RANK", "-1"), integer(7));
  deepStrictEqual(h.run("LPOS", "l", "c", "COUNT", "0"), array([2, 6, 7].map(integer)));
  deepStrictEqual(h.run("LPOS", "l", "c", "COUNT", "2", "RANK", "-1"), array([7, 6].map(integer)));
  deepStrictEqual(h.run("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"), array([integer(2)]));
  deepStrictEqual(h.run("LPOS", "l", "x"), NIL);
  deepStrictEqual(h.run("LPOS", "missing", "x", "COUNT", "1"), EMPTY_ARRAY);
  deepStrictEqual(
    h.run("LPOS", "l", "c", "RANK", "0"),
    error(
      "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    ),
  );
  deepStrictEqual(h.run("LPOS", "l", "c", "COUNT", "-1"), error("ERR COUNT can't be negative"));
  deepStrictEqual(h.run("LPOS", "l", "c", "MAXLEN", "-1"), error("ERR MAXLEN can't be negative"));
  deepStrictEqual(h.run("LPOS", "l", "c", "COUNT"), SYNTAX);
});

Deno.test("LMOVE and RPOPLPUSH move between lists, also onto themselves", () => {
  const h = createHarness();
  h.run("RPUSH", "src", "a", "b");
  deepStrictEqual(h.run("LMOVE", "src", "dst", "LEFT", "RIGHT"), bulk("a"));
  deepStrictEqual(h.run("RPOPLPUSH", "src", "dst"), bulk("b"));
  strictEqual(h.keyspace.has("src"), false);
  deepStrictEqual(range(h, "dst"), elements("b", "a"));
  deepStrictEqual(h.run("LMOVE", "dst", "dst", "LEFT", "RIGHT"), bulk("b"));
  deepStrictEqual(range(h, "dst"), elements("a", "b"));
  deepStrictEqual(h.run("LMOVE", "missing", "dst", "LEFT", "RIGHT"), NIL);
  deepStrictEqual(h.run("LMOVE", "dst", "x", "UP", "RIGHT"), SYNTAX);
  h.run("SET", "s", "v");
  deepStrictEqual(h.run("LMOVE", "dst", "s", "LEFT", "RIGHT"), WRONGTYPE);
  deepStrictEqual(range(h, "dst"), elements("a", "b"));
});

Deno.test("LMPOP pops from the first non-empty list, up to COUNT", () => {
  const h = createHarness();
  h.run("RPUSH", "b", "1", "2", "3");
  deepStrictEqual(
    h.run("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "2"),
    array([
      bulk("b"),
      elements("3", "2"),
    ]),
  );
  deepStrictEqual(h.run("LMPOP", "1", "a", "LEFT"), NIL_ARRAY);
  deepStrictEqual(h.run("LMPOP", "0", "a", "LEFT"), error("ERR numkeys should be greater than 0"));
  deepStrictEqual(
    h.run("LMPOP", "1", "b", "LEFT", "COUNT", "0"),
    error("ERR count should be greater than 0"),
  );
  deepStrictEqual(h.run("LMPOP", "2", "b", "LEFT"), SYNTAX);
  deepStrictEqual(h.run("LMPOP", "1", "b", "LEFT", "COUNT", "1", "COUNT", "1"), SYNTAX);
});

Deno.test("list writes notify Redis's event names, and del when a list empties", () => {
  const h = createHarness();
  const received: string[] = [];
  const subscriber = h.newSession();
  subscriber.session.push = (message: Reply) => {
    if (message.kind !== "push") return;
    const items = message.items.map((item) => item.kind === "bulk" ? item.value : "");
    received.push(`${items[2]!.slice("__keyevent@0__:".length)} ${items[3]}`);
  };
  subscriber.run("PSUBSCRIBE", "__keyevent@0__:*");
  received.length = 0;
  h.server.pubsub.setNotifyFlags(parseNotifyKeyspaceEvents("KEA")!);
  h.keyspace.observer = new NotifyingObserver(h.server.watches, h.server.pubsub);
  h.run("RPUSH", "l", "a", "b", "c");
  h.run("LPUSH", "l", "z");
  h.run("LSET", "l", "0", "y");
  h.run("LINSERT", "l", "AFTER", "y", "x");
  h.run("LREM", "l", "1", "x");
  h.run("LTRIM", "l", "0", "2");
  h.run("LMOVE", "l", "m", "RIGHT", "LEFT");
  h.run("RPOP", "l");
  h.run("LPOP", "l");
  deepStrictEqual(received, [
    "rpush l",
    "lpush l",
    "lset l",
    "linsert l",
    "lrem l",
    "ltrim l",
    "lpush m",
    "rpop l",
    "rpop l",
    "lpop l",
    "del l",
  ]);
});

Deno.test("WATCH sees list edits made in place", () => {
  const h = createHarness();
  h.run("RPUSH", "l", "a");
  const other = h.newSession();
  h.run("WATCH", "l");
  other.run("RPUSH", "l", "b");
  h.run("MULTI");
  h.run("LLEN", "l");
  deepStrictEqual(h.run("EXEC"), NIL_ARRAY);
});

Deno.test("the keyspace's memory total follows a list edited in place", () => {
  const h = createHarness();
  const empty = h.keyspace.usedMemory;
  for (let i = 0; i < 200; i++) h.run("RPUSH", "l", `element-${i}`);
  const list = h.keyspace.get("l") as List;
  strictEqual(h.keyspace.usedMemory - empty > 200 * 24, true);
  strictEqual(list.reportedBytes, list.byteSize);
  h.run("LTRIM", "l", "0", "9");
  strictEqual(list.reportedBytes, list.byteSize);
  h.run("DEL", "l");
  strictEqual(h.keyspace.usedMemory, empty);
});

Deno.test("COPY and RENAME give lists an independent copy and move them", () => {
  const h = createHarness();
  h.run("RPUSH", "l", "a", "b");
  deepStrictEqual(h.run("COPY", "l", "c"), integer(1));
  h.run("RPUSH", "c", "z");
  deepStrictEqual(range(h, "l"), elements("a", "b"));
  deepStrictEqual(range(h, "c"), elements("a", "b", "z"));
  deepStrictEqual(h.run("RENAME", "c", "d"), OK);
  deepStrictEqual(range(h, "d"), elements("a", "b", "z"));
  const scanned = h.run("SCAN", "0", "TYPE", "list");
  ok(scanned.kind === "array" && scanned.items[1]!.kind === "array");
  // SCAN's order is the hash table's: compare as a set.
  deepStrictEqual(
    scanned.items[1].items.map((item) => item.kind === "bulk" ? item.value : "").sort(),
    ["d", "l"],
  );
});

/** A second client whose wake-ups are recorded. */
function waiter(h: Harness): { run(...argv: string[]): Reply; woken: Reply[]; id: number } {
  const client = h.newSession();
  const woken: Reply[] = [];
  client.session.wake = (reply) => woken.push(reply);
  return { run: client.run, woken, id: client.session.id };
}

Deno.test("blocked clients are served in arrival order after the pushing command", () => {
  const h = createHarness();
  const first = waiter(h);
  const second = waiter(h);
  first.run("BLPOP", "q", "0");
  second.run("BRPOP", "q", "0");
  strictEqual(h.commands.blocking.blockedCount, 2);
  deepStrictEqual(h.run("RPUSH", "q", "1", "2", "3"), integer(3));
  deepStrictEqual(first.woken, [elements("q", "1")]);
  deepStrictEqual(second.woken, [elements("q", "3")]);
  deepStrictEqual(range(h, "q"), elements("2"));
  strictEqual(h.commands.blocking.blockedCount, 0);
});

Deno.test("a blocked client waits through a string or sorted set at its key", () => {
  const h = createHarness();
  const client = waiter(h);
  client.run("BLPOP", "k", "0");
  h.run("SET", "k", "v");
  h.run("DEL", "k");
  h.run("ZADD", "k", "1", "m");
  deepStrictEqual(client.woken, []);
  h.run("DEL", "k");
  h.run("LPUSH", "k", "v");
  deepStrictEqual(client.woken, [elements("k", "v")]);
});

Deno.test("BZPOPMIN is served from a sorted set; timeouts and CLIENT UNBLOCK end waits", () => {
  const h = createHarness();
  const client = waiter(h);
  client.run("BZPOPMIN", "z", "1.5");
  deepStrictEqual(h.commands.blocking.nextDeadline(), h.keyspace.now + 1500);
  h.run("ZADD", "z", "2", "b", "1", "a");
  deepStrictEqual(client.woken, [array([bulk("z"), bulk("a"), double(1)])]);
  client.run("BLPOP", "none", "2");
  strictEqual(h.commands.blocking.expire(h.keyspace.now + 1999, NIL_ARRAY), 0);
  strictEqual(h.commands.blocking.expire(h.keyspace.now + 2000, NIL_ARRAY), 1);
  deepStrictEqual(client.woken.at(-1), NIL_ARRAY);
  client.run("BLPOP", "none", "0");
  deepStrictEqual(h.run("CLIENT", "UNBLOCK", String(client.id), "ERROR"), integer(1));
  deepStrictEqual(client.woken.at(-1), error(UNBLOCKED_ERROR));
  deepStrictEqual(h.run("CLIENT", "UNBLOCK", String(client.id)), integer(0));
});

Deno.test("a client without a wake-up (inside EXEC, the AOF loader) never blocks", () => {
  const h = createHarness();
  deepStrictEqual(h.run("BLPOP", "q", "0"), NIL_ARRAY);
  deepStrictEqual(h.run("BLMOVE", "q", "d", "LEFT", "LEFT", "0"), NIL);
  strictEqual(h.commands.blocking.blockedCount, 0);
  const client = waiter(h);
  client.run("MULTI");
  client.run("BLPOP", "q", "0");
  deepStrictEqual(client.run("EXEC"), array([NIL_ARRAY]));
  strictEqual(h.commands.blocking.blockedCount, 0);
});

Deno.test("BLMOVE with a destination of another type is woken with WRONGTYPE, moving nothing", () => {
  const h = createHarness();
  const client = waiter(h);
  client.run("BLMOVE", "src", "dst", "LEFT", "LEFT", "0");
  h.run("SET", "dst", "string");
  h.run("RPUSH", "src", "v");
  deepStrictEqual(client.woken, [WRONGTYPE]);
  deepStrictEqual(range(h, "src"), elements("v"));
});

Deno.test("served blocking pops reach the AOF hook as their non-blocking form", () => {
  const h = createHarness();
  const logged: string[] = [];
  // As persistence logs them: the session's rewrite of the command when it made one.
  h.commands.onWrite = (argv, context) => {
    for (const command of context.session.propagateAs ?? [argv]) logged.push(command.join(" "));
  };
  const client = waiter(h);
  client.run("BLMPOP", "0", "1", "q", "LEFT", "COUNT", "5");
  h.run("RPUSH", "q", "a", "b");
  h.run("RPUSH", "ready", "x", "y");
  client.run("BRPOP", "ready", "0");
  client.run("BRPOPLPUSH", "ready", "other", "0");
  deepStrictEqual(logged, [
    "RPUSH q a b",
    "LPOP q 2",
    "RPUSH ready x y",
    "RPOP ready",
    "RPOPLPUSH ready other",
  ]);
  ok(client.woken.length === 1);
});
