import assert from "node:assert/strict";
import { NotifyClass } from "../../../lib/pubsub.ts";
import {
  array,
  bulk,
  double,
  error,
  integer,
  NIL,
  NIL_ARRAY,
  OK,
  ONE,
  type Reply,
  ZERO,
} from "../../../lib/reply.ts";
import { Subscriptions } from "../../../lib/pubsub.ts";
import { createHarness } from "../../support/command_harness.ts";

const OUT_OF_RANGE = error("ERR DB index is out of range");
const SAME = error("ERR source and destination objects are the same");

Deno.test("databases keep their keys apart: DBSIZE, KEYS, FLUSHDB per database", () => {
  const h = createHarness();
  h.run("SET", "shared", "zero");
  h.run("SELECT", "2");
  assert.deepEqual(h.run("DBSIZE"), ZERO);
  h.run("SET", "shared", "two");
  h.run("SET", "only2", "x");
  assert.deepEqual(h.run("DBSIZE"), integer(2));
  assert.deepEqual(h.run("GET", "shared"), bulk("two"));
  h.run("SELECT", "0");
  assert.deepEqual(h.run("KEYS", "*"), array([bulk("shared")]));
  assert.deepEqual(h.run("GET", "shared"), bulk("zero"));
  h.run("SELECT", "2");
  assert.deepEqual(h.run("FLUSHDB"), OK);
  assert.deepEqual(h.run("DBSIZE"), ZERO);
  h.run("SELECT", "0");
  assert.deepEqual(h.run("DBSIZE"), ONE);
});

Deno.test("FLUSHALL empties every database", () => {
  const h = createHarness();
  for (const db of ["0", "5", "15"]) {
    h.run("SELECT", db);
    h.run("SET", "k", db);
  }
  assert.deepEqual(h.run("FLUSHALL"), OK);
  for (const db of ["0", "5", "15"]) {
    h.run("SELECT", db);
    assert.deepEqual(h.run("DBSIZE"), ZERO);
  }
});

Deno.test("MOVE takes the key and its TTL to the other database, unless it is there", () => {
  const h = createHarness();
  h.run("SET", "k", "v", "PX", "5000");
  assert.deepEqual(h.run("MOVE", "k", "3"), ONE);
  assert.deepEqual(h.run("EXISTS", "k"), ZERO);
  assert.deepEqual(h.run("MOVE", "k", "3"), ZERO);
  h.run("SELECT", "3");
  assert.deepEqual(h.run("GET", "k"), bulk("v"));
  assert.deepEqual(h.run("PTTL", "k"), integer(5000));
  h.run("SELECT", "0");
  h.run("SET", "k", "other");
  assert.deepEqual(h.run("MOVE", "k", "3"), ZERO);
  assert.deepEqual(h.run("GET", "k"), bulk("other"));
});

Deno.test("MOVE checks the index, then the same database, with Redis's texts", () => {
  const h = createHarness();
  h.run("SET", "k", "v");
  assert.deepEqual(h.run("MOVE", "k", "0"), SAME);
  assert.deepEqual(h.run("MOVE", "missing", "0"), SAME);
  assert.deepEqual(h.run("MOVE", "k", "16"), OUT_OF_RANGE);
  assert.deepEqual(h.run("MOVE", "k", "-1"), OUT_OF_RANGE);
  assert.deepEqual(h.run("MOVE", "k", "x"), error("ERR value is not an integer or out of range"));
  assert.deepEqual(h.run("MOVE", "missing", "1"), ZERO);
});

Deno.test("COPY … DB copies into another database, REPLACE overwrites there", () => {
  const h = createHarness();
  h.run("ZADD", "z", "1", "a");
  h.run("PEXPIRE", "z", "9000");
  assert.deepEqual(h.run("COPY", "z", "z", "DB", "1"), ONE);
  assert.deepEqual(h.run("COPY", "z", "z", "DB", "1"), ZERO);
  assert.deepEqual(h.run("COPY", "z", "z", "DB", "1", "REPLACE"), ONE);
  h.run("SELECT", "1");
  assert.deepEqual(h.run("ZSCORE", "z", "a"), double(1));
  assert.deepEqual(h.run("PTTL", "z"), integer(9000));
  // The copy is independent of the source.
  h.run("ZADD", "z", "2", "b");
  h.run("SELECT", "0");
  assert.deepEqual(h.run("ZCARD", "z"), ONE);
  assert.deepEqual(h.run("COPY", "z", "z", "DB", "0"), SAME);
});

Deno.test("SWAPDB exchanges contents; sessions stay on their index", () => {
  const h = createHarness();
  const other = h.newSession();
  h.run("SET", "k", "zero");
  other.run("SELECT", "1");
  other.run("SET", "k", "one");
  other.run("SET", "extra", "x");
  assert.deepEqual(h.run("SWAPDB", "0", "1"), OK);
  assert.deepEqual(h.run("GET", "k"), bulk("one"));
  assert.deepEqual(h.run("DBSIZE"), integer(2));
  assert.deepEqual(other.run("GET", "k"), bulk("zero"));
  assert.deepEqual(h.run("SWAPDB", "1", "1"), OK);
  assert.deepEqual(h.run("SWAPDB", "0", "16"), OUT_OF_RANGE);
  assert.deepEqual(h.run("SWAPDB", "x", "1"), error("ERR invalid first DB index"));
  assert.deepEqual(h.run("SWAPDB", "0", "99999999999"), error("ERR invalid second DB index"));
  assert.equal(h.keyspace.index, 0);
});

Deno.test("SWAPDB keeps TTLs and memory estimates with the data", () => {
  const h = createHarness();
  h.run("SET", "k", "v", "PX", "1000");
  const used = h.databases.at(0).usedMemory;
  h.run("SWAPDB", "0", "4");
  assert.equal(h.databases.at(4).usedMemory, used);
  assert.equal(h.databases.usedMemory, used);
  h.run("SELECT", "4");
  assert.deepEqual(h.run("PTTL", "k"), integer(1000));
  h.setNow(h.keyspace.now + 1000);
  assert.deepEqual(h.run("GET", "k"), NIL);
  assert.equal(h.databases.usedMemory, h.databases.at(0).usedMemory);
});

Deno.test("MULTI/EXEC runs queued commands in the database SELECT chose inside it", () => {
  const h = createHarness();
  h.run("MULTI");
  h.run("SELECT", "9");
  h.run("SET", "k", "nine");
  h.run("SELECT", "99");
  assert.deepEqual(
    h.run("EXEC"),
    array([OK, OK, OUT_OF_RANGE]),
  );
  assert.equal(h.session.db, 9);
  assert.deepEqual(h.run("GET", "k"), bulk("nine"));
});

Deno.test("WATCH is keyed by database: a write to the same name elsewhere does not abort", () => {
  const h = createHarness();
  const other = h.newSession();
  h.run("WATCH", "k");
  other.run("SELECT", "1");
  other.run("SET", "k", "elsewhere");
  h.run("MULTI");
  h.run("SET", "k", "mine");
  assert.deepEqual(h.run("EXEC"), array([OK]));
  h.run("SELECT", "1");
  h.run("WATCH", "k");
  // The watch stays on database 1 even after this session moves on.
  h.run("SELECT", "0");
  other.run("SET", "k", "changed");
  h.run("MULTI");
  h.run("PING");
  assert.deepEqual(h.run("EXEC"), NIL_ARRAY);
});

Deno.test("FLUSHDB aborts only watchers of that database whose key existed", () => {
  const h = createHarness();
  const other = h.newSession();
  h.run("SET", "k", "v");
  h.run("WATCH", "k", "absent");
  other.run("SELECT", "2");
  other.run("FLUSHDB");
  h.run("MULTI");
  assert.deepEqual(h.run("EXEC"), array([]));
  h.run("WATCH", "k");
  other.run("SELECT", "0");
  other.run("FLUSHDB");
  h.run("MULTI");
  assert.deepEqual(h.run("EXEC"), NIL_ARRAY);
});

Deno.test("SWAPDB aborts watchers of keys that exist on either side, as Redis 7.0", () => {
  const h = createHarness();
  const other = h.newSession();
  // A key absent from both databases: no change.
  h.run("WATCH", "nowhere");
  other.run("SWAPDB", "0", "1");
  h.run("MULTI");
  assert.deepEqual(h.run("EXEC"), array([]));
  // A key that arrives with the swap.
  other.run("SELECT", "1");
  other.run("SET", "arrives", "x");
  h.run("WATCH", "arrives");
  other.run("SWAPDB", "0", "1");
  h.run("MULTI");
  assert.deepEqual(h.run("EXEC"), NIL_ARRAY);
  // A key that leaves with the swap.
  assert.deepEqual(h.run("GET", "arrives"), bulk("x"));
  h.run("WATCH", "arrives");
  other.run("SWAPDB", "0", "1");
  h.run("MULTI");
  assert.deepEqual(h.run("EXEC"), NIL_ARRAY);
});

Deno.test("SWAPDB does not count an expired key arriving as a change", () => {
  const h = createHarness();
  const other = h.newSession();
  other.run("SELECT", "1");
  other.run("SET", "k", "v", "PX", "10");
  h.setNow(h.keyspace.now + 10);
  h.run("WATCH", "k");
  other.run("SWAPDB", "0", "1");
  h.run("MULTI");
  assert.deepEqual(h.run("EXEC"), array([]));
});

Deno.test("notifications carry the database number of the change", () => {
  const h = createHarness();
  h.server.pubsub.setNotifyFlags(
    NotifyClass.keyspace | NotifyClass.keyevent | NotifyClass.generic |
      NotifyClass.string,
  );
  const seen: string[] = [];
  const subscriber = {
    subscriptions: undefined as Subscriptions | undefined,
    push(message: Reply) {
      if (message.kind !== "push" && message.kind !== "array") return;
      seen.push(message.items.map((item) => item.kind === "bulk" ? item.value : "?").join(" "));
    },
  };
  h.server.pubsub.psubscribe(subscriber, "__key*__:*");
  h.run("SELECT", "3");
  h.run("SET", "k", "v");
  h.run("MOVE", "k", "5");
  h.run("SELECT", "5");
  h.run("COPY", "k", "c", "DB", "7");
  assert.deepEqual(seen.map((line) => line.split(" ").slice(2).join(" ")), [
    "__keyspace@3__:k set",
    "__keyevent@3__:set k",
    "__keyspace@3__:k move_from",
    "__keyevent@3__:move_from k",
    "__keyspace@5__:k move_to",
    "__keyevent@5__:move_to k",
    "__keyspace@7__:c copy_to",
    "__keyevent@7__:copy_to c",
  ]);
});

Deno.test("RANDOMKEY and SCAN see only the selected database", () => {
  const h = createHarness();
  h.run("SET", "zero", "0");
  h.run("SELECT", "1");
  assert.deepEqual(h.run("RANDOMKEY"), NIL);
  h.run("SET", "one", "1");
  assert.deepEqual(h.run("RANDOMKEY"), bulk("one"));
  assert.deepEqual(h.run("SCAN", "0"), array([bulk("0"), array([bulk("one")])]));
});
