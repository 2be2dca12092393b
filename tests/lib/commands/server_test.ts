import assert from "node:assert/strict";
import {
  array,
  bulk,
  error,
  integer,
  map,
  NIL,
  OK,
  type Reply,
  set,
  status,
  verbatim,
} from "../../../lib/reply.ts";
import { SortedSet } from "../../../lib/zset.ts";
import { createHarness } from "../../support/command_harness.ts";

function items(reply: Reply): readonly Reply[] {
  if (reply.kind === "array" || reply.kind === "set") return reply.items;
  throw new Error(`Expected an array, got ${JSON.stringify(reply)}`);
}

function names(reply: Reply): string[] {
  return items(reply).map((item) => item.kind === "bulk" ? item.value : "?");
}

/** A RESP3 map reply as a JS Map keyed by bulk-string keys. */
function entries(reply: Reply): Map<string, Reply> {
  if (reply.kind !== "map") throw new Error(`Expected a map, got ${JSON.stringify(reply)}`);
  return new Map(
    reply.entries.map(([key, value]) => [key.kind === "bulk" ? key.value : "?", value]),
  );
}

function statuses(...texts: string[]): Reply {
  return set(texts.map(status));
}

Deno.test("COMMAND INFO describes a keyed command as Redis 7 does", () => {
  const h = createHarness();
  // Byte-for-byte what redis-server 7.0 answers for COMMAND INFO watch.
  assert.deepEqual(
    h.run("COMMAND", "INFO", "watch"),
    array([array([
      bulk("watch"),
      integer(-2),
      statuses("noscript", "loading", "stale", "fast", "allow_busy"),
      integer(1),
      integer(-1),
      integer(1),
      statuses("@fast", "@transaction"),
      set([]),
      set([map([
        [bulk("flags"), statuses("RO")],
        [
          bulk("begin_search"),
          map([[bulk("type"), bulk("index")], [bulk("spec"), map([[bulk("index"), integer(1)]])]]),
        ],
        [
          bulk("find_keys"),
          map([
            [bulk("type"), bulk("range")],
            [
              bulk("spec"),
              map([
                [bulk("lastkey"), integer(-1)],
                [bulk("keystep"), integer(1)],
                [bulk("limit"), integer(0)],
              ]),
            ],
          ]),
        ],
      ])]),
      set([]),
    ])]),
  );
});

Deno.test("COMMAND INFO finds subcommands by full name and answers nil for unknown names", () => {
  const h = createHarness();
  assert.deepEqual(
    h.run("COMMAND", "INFO", "CONFIG|GET", "nosuch"),
    array([
      array([
        bulk("config|get"),
        integer(-3),
        statuses("admin", "noscript", "loading", "stale"),
        integer(0),
        integer(0),
        integer(0),
        statuses("@admin", "@slow", "@dangerous"),
        set([]),
        set([]),
        set([]),
      ]),
      NIL,
    ]),
  );
});

Deno.test("COMMAND INFO nests a container's subcommands", () => {
  const h = createHarness();
  const info = items(items(h.run("COMMAND", "INFO", "config"))[0]!);
  assert.deepEqual(info.slice(0, 7), [
    bulk("config"),
    integer(-2),
    set([]),
    integer(0),
    integer(0),
    integer(0),
    statuses("@slow"),
  ]);
  assert.deepEqual(
    items(info[9]!).map((sub) => items(sub)[0]),
    ["config|get", "config|set", "config|resetstat", "config|rewrite", "config|help"].map(bulk),
  );
});

Deno.test("COMMAND INFO derives ACL categories from group, flags and Redis's extras", () => {
  const h = createHarness();
  const categories = (name: string) => items(items(h.run("COMMAND", "INFO", name))[0]!)[6];
  assert.deepEqual(categories("flushall"), statuses("@keyspace", "@write", "@slow", "@dangerous"));
  assert.deepEqual(categories("dbsize"), statuses("@keyspace", "@read", "@fast"));
  assert.deepEqual(categories("info"), statuses("@slow", "@dangerous"));
  assert.deepEqual(categories("lastsave"), statuses("@admin", "@fast", "@dangerous"));
  assert.deepEqual(categories("command"), statuses("@slow", "@connection"));
  assert.deepEqual(categories("client|id"), statuses("@slow", "@connection"));
  assert.deepEqual(
    categories("client|list"),
    statuses("@admin", "@slow", "@dangerous", "@connection"),
  );
  assert.deepEqual(categories("memory|usage"), statuses("@read", "@slow"));
  assert.deepEqual(categories("exec"), statuses("@slow", "@transaction"));
  assert.deepEqual(categories("save"), statuses("@admin", "@slow", "@dangerous"));
});

Deno.test("COMMAND alone describes every command, as many as COMMAND COUNT", () => {
  const h = createHarness();
  const all = items(h.run("COMMAND"));
  assert.deepEqual(h.run("COMMAND", "COUNT"), integer(all.length));
  assert.equal(all.length, h.commands.size);
  const listed = all.map((info) => items(info)[0]!);
  for (const name of ["ping", "command", "config", "client", "multi", "exec", "memory"]) {
    assert.ok(listed.some((item) => item.kind === "bulk" && item.value === name), name);
  }
  assert.deepEqual(items(h.run("COMMAND", "INFO")), all);
});

Deno.test("COMMAND DOCS documents arguments, tokens and flags as Redis does", () => {
  const h = createHarness();
  assert.deepEqual(
    h.run("COMMAND", "DOCS", "memory|usage"),
    map([[
      bulk("memory|usage"),
      map([
        [bulk("summary"), bulk("Estimate the memory usage of a key")],
        [bulk("since"), bulk("4.0.0")],
        [bulk("group"), bulk("server")],
        [bulk("complexity"), bulk("O(N) where N is the number of samples.")],
        [
          bulk("arguments"),
          array([
            map([
              [bulk("name"), bulk("key")],
              [bulk("type"), bulk("key")],
              [bulk("key_spec_index"), integer(0)],
            ]),
            map([
              [bulk("name"), bulk("count")],
              [bulk("type"), bulk("integer")],
              [bulk("token"), bulk("SAMPLES")],
              [bulk("flags"), statuses("optional")],
            ]),
          ]),
        ],
      ]),
    ]]),
  );
});

Deno.test("COMMAND DOCS leaves out arguments a command lacks and unknown names", () => {
  const h = createHarness();
  assert.deepEqual(
    h.run("COMMAND", "DOCS", "DBSIZE", "nosuch"),
    map([[
      bulk("dbsize"),
      map([
        [bulk("summary"), bulk("Return the number of keys in the selected database")],
        [bulk("since"), bulk("1.0.0")],
        [bulk("group"), bulk("server")],
        [bulk("complexity"), bulk("O(1)")],
      ]),
    ]]),
  );
  assert.deepEqual(h.run("COMMAND", "DOCS", "nosuch"), map([]));
});

Deno.test("COMMAND DOCS of a container maps its subcommands to their docs", () => {
  const h = createHarness();
  const docs = entries(entries(h.run("COMMAND", "DOCS", "config")).get("config")!);
  assert.deepEqual(docs.get("summary"), bulk("A container for server configuration commands"));
  assert.deepEqual(
    [...entries(docs.get("subcommands")!).keys()],
    ["config|get", "config|set", "config|resetstat", "config|rewrite", "config|help"],
  );
  const all = entries(h.run("COMMAND", "DOCS"));
  assert.equal(all.size, h.commands.size);
});

Deno.test("COMMAND LIST names every command and subcommand", () => {
  const h = createHarness();
  const listed = names(h.run("COMMAND", "LIST"));
  for (const name of ["get", "config", "config|get", "client|kill", "command|docs", "watch"]) {
    assert.ok(listed.includes(name), name);
  }
});

Deno.test("COMMAND LIST FILTERBY matches a pattern, an ACL category or a module", () => {
  const h = createHarness();
  assert.deepEqual(
    names(h.run("COMMAND", "LIST", "FILTERBY", "aclcat", "TRANSACTION")),
    ["multi", "exec", "discard", "watch", "unwatch"],
  );
  assert.deepEqual(
    names(h.run("COMMAND", "LIST", "FILTERBY", "PATTERN", "CONFIG|*")).sort(),
    ["config|get", "config|help", "config|resetstat", "config|rewrite", "config|set"],
  );
  assert.deepEqual(h.run("COMMAND", "LIST", "FILTERBY", "MODULE", "x"), array([]));
  assert.deepEqual(h.run("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch"), array([]));
  assert.deepEqual(h.run("COMMAND", "LIST", "FILTERBY"), error("ERR syntax error"));
  assert.deepEqual(h.run("COMMAND", "LIST", "FILTERBY", "foo", "bar"), error("ERR syntax error"));
  assert.deepEqual(h.run("COMMAND", "LIST", "foo"), error("ERR syntax error"));
});

Deno.test("COMMAND GETKEYS extracts keys from key positions", () => {
  const h = createHarness();
  assert.deepEqual(h.run("COMMAND", "GETKEYS", "get", "a"), array([bulk("a")]));
  assert.deepEqual(
    h.run("COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"),
    array([bulk("a"), bulk("b")]),
  );
  assert.deepEqual(h.run("COMMAND", "GETKEYS", "WATCH", "x", "y"), array([bulk("x"), bulk("y")]));
  assert.deepEqual(h.run("COMMAND", "GETKEYS", "memory", "usage", "k"), array([bulk("k")]));
});

Deno.test("COMMAND GETKEYS reports unknown, keyless and mis-sized commands", () => {
  const h = createHarness();
  assert.deepEqual(
    h.run("COMMAND", "GETKEYS", "nosuch", "a"),
    error("ERR Invalid command specified"),
  );
  assert.deepEqual(
    h.run("COMMAND", "GETKEYS", "config", "x", "y"),
    error("ERR Invalid command specified"),
  );
  assert.deepEqual(
    h.run("COMMAND", "GETKEYS", "echo", "a"),
    error("ERR The command has no key arguments"),
  );
  assert.deepEqual(
    h.run("COMMAND", "GETKEYS", "config", "get", "x"),
    error("ERR The command has no key arguments"),
  );
  assert.deepEqual(
    h.run("COMMAND", "GETKEYS", "get", "a", "b"),
    error("ERR Invalid number of arguments specified for command"),
  );
  assert.deepEqual(
    h.run("COMMAND", "GETKEYS", "get"),
    error("ERR wrong number of arguments for 'command|getkeys' command"),
  );
});

Deno.test("COMMAND HELP, and unknown COMMAND subcommands point to it", () => {
  const h = createHarness();
  assert.deepEqual(
    items(h.run("COMMAND", "HELP"))[0],
    status("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
  );
  assert.deepEqual(
    h.run("COMMAND", "foo"),
    error("ERR unknown subcommand 'foo'. Try COMMAND HELP."),
  );
  assert.deepEqual(
    h.run("COMMAND", "COUNT", "x"),
    error("ERR wrong number of arguments for 'command|count' command"),
  );
});

Deno.test("INFO returns the server's text as a verbatim string for the sections asked", () => {
  const h = createHarness();
  assert.deepEqual(
    h.run("INFO", "server", "clients"),
    verbatim("# Server\r\nredis_version:7.0.15\r\nsections:server,clients\r\n"),
  );
  assert.deepEqual(
    h.run("INFO"),
    verbatim("# Server\r\nredis_version:7.0.15\r\nsections:\r\n"),
  );
});

Deno.test("CONFIG GET returns name/value pairs for every matching pattern", () => {
  const h = createHarness();
  assert.deepEqual(h.run("CONFIG", "GET", "timeout"), map([[bulk("timeout"), bulk("0")]]));
  assert.deepEqual(
    h.run("CONFIG", "GET", "TIME*", "port"),
    map([[bulk("port"), bulk("6379")], [bulk("timeout"), bulk("0")]]),
  );
  assert.deepEqual(h.run("CONFIG", "GET", "nosuch"), map([]));
  assert.deepEqual(
    h.run("CONFIG", "GET"),
    error("ERR wrong number of arguments for 'config|get' command"),
  );
});

Deno.test("CONFIG SET sets several parameters at once", () => {
  const h = createHarness();
  assert.deepEqual(h.run("CONFIG", "SET", "timeout", "30", "HZ", "20"), OK);
  assert.deepEqual(
    h.run("CONFIG", "GET", "timeout", "hz"),
    map([[bulk("timeout"), bulk("30")], [bulk("hz"), bulk("20")]]),
  );
});

Deno.test("CONFIG SET changes nothing when any value is refused", () => {
  const h = createHarness();
  assert.deepEqual(
    h.run("CONFIG", "SET", "timeout", "30", "hz", "abc"),
    error(
      "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed " +
        "into an integer",
    ),
  );
  assert.deepEqual(h.run("CONFIG", "GET", "timeout"), map([[bulk("timeout"), bulk("0")]]));
});

Deno.test("CONFIG SET reports unknown, duplicate and immutable parameters", () => {
  const h = createHarness();
  assert.deepEqual(
    h.run("CONFIG", "SET", "foo", "1"),
    error("ERR Unknown option or number of arguments for CONFIG SET - 'foo'"),
  );
  assert.deepEqual(
    h.run("CONFIG", "SET", "timeout", "0", "timeout", "1"),
    error("ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter"),
  );
  assert.deepEqual(
    h.run("CONFIG", "SET", "port", "7000"),
    error(
      "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config",
    ),
  );
  assert.deepEqual(h.run("CONFIG", "SET", "timeout", "1", "foo"), error("ERR syntax error"));
  assert.deepEqual(
    h.run("CONFIG", "SET", "timeout"),
    error("ERR wrong number of arguments for 'config|set' command"),
  );
});

Deno.test("CONFIG RESETSTAT resets the server's statistics", () => {
  const h = createHarness();
  assert.deepEqual(h.run("CONFIG", "RESETSTAT"), OK);
  assert.equal(h.server.resetCount, 1);
  assert.deepEqual(
    h.run("CONFIG", "RESETSTAT", "x"),
    error("ERR wrong number of arguments for 'config|resetstat' command"),
  );
});

Deno.test("CONFIG REWRITE without a config file answers Redis's error; CONFIG HELP lists the subcommands", () => {
  const h = createHarness();
  assert.deepEqual(
    h.run("CONFIG", "REWRITE"),
    error("ERR The server is running without a config file"),
  );
  assert.deepEqual(
    items(h.run("config", "help"))[0],
    status("CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
  );
  assert.deepEqual(h.run("CONFIG", "foo"), error("ERR unknown subcommand 'foo'. Try CONFIG HELP."));
});

Deno.test("DBSIZE counts the keys", () => {
  const h = createHarness();
  assert.deepEqual(h.run("DBSIZE"), integer(0));
  h.keyspace.set("a", "1");
  h.keyspace.set("b", "2");
  assert.deepEqual(h.run("DBSIZE"), integer(2));
});

Deno.test("FLUSHALL and FLUSHDB drop every key, with or without ASYNC/SYNC", () => {
  const h = createHarness();
  for (const argv of [["FLUSHALL"], ["FLUSHDB"], ["FLUSHALL", "async"], ["FLUSHDB", "SYNC"]]) {
    h.keyspace.set("a", "1");
    assert.deepEqual(h.run(...argv), OK);
    assert.equal(h.keyspace.size, 0);
  }
});

Deno.test("FLUSHALL and FLUSHDB refuse other arguments", () => {
  const h = createHarness();
  h.keyspace.set("a", "1");
  assert.deepEqual(h.run("FLUSHALL", "foo"), error("ERR syntax error"));
  assert.deepEqual(h.run("FLUSHDB", "ASYNC", "x"), error("ERR syntax error"));
  assert.equal(h.keyspace.size, 1);
});

Deno.test("TIME returns Unix seconds and microseconds as strings", () => {
  const h = createHarness();
  h.server.nowMicros = 1_700_000_123_456_789;
  assert.deepEqual(h.run("TIME"), array([bulk("1700000123"), bulk("456789")]));
});

Deno.test("LASTSAVE returns the server's last save time", () => {
  const h = createHarness();
  assert.deepEqual(h.run("LASTSAVE"), integer(1_700_000_000));
});

Deno.test("MEMORY USAGE estimates a string key and grows with the value", () => {
  const h = createHarness();
  assert.deepEqual(h.run("MEMORY", "USAGE", "missing"), NIL);
  h.keyspace.set("k", "v");
  h.keyspace.set("big", "x".repeat(1000));
  const small = h.run("MEMORY", "USAGE", "k");
  const big = h.run("MEMORY", "USAGE", "big");
  assert.ok(small.kind === "integer" && big.kind === "integer");
  assert.ok(Number(small.value) > 0);
  assert.ok(Number(big.value) >= Number(small.value) + 1000);
});

Deno.test("MEMORY USAGE estimates a sorted set by sampling members", () => {
  const h = createHarness();
  const zset = new SortedSet();
  // Past the small limit (128 members): a small set is counted exactly, as Redis counts a listpack.
  for (let i = 0; i < 200; i++) zset.add(`member-${i}`, i);
  h.keyspace.set("z", zset);
  const sampled = h.run("MEMORY", "USAGE", "z");
  const exact = h.run("MEMORY", "USAGE", "z", "SAMPLES", "0");
  assert.ok(sampled.kind === "integer" && exact.kind === "integer");
  assert.ok(Number(exact.value) > 200 * 10);
  // Members of near-equal length: sampling 5 lands close to counting all 200.
  assert.ok(Math.abs(Number(sampled.value) - Number(exact.value)) < Number(exact.value) / 10);
  const small = new SortedSet();
  for (let i = 0; i < 100; i++) small.add(`member-${i}`, i);
  h.keyspace.set("small", small);
  assert.deepEqual(
    h.run("MEMORY", "USAGE", "small"),
    h.run("MEMORY", "USAGE", "small", "SAMPLES", "0"),
  );
});

Deno.test("MEMORY USAGE SAMPLES 0 of every key adds up to the keyspace's used memory", () => {
  const h = createHarness();
  h.run("SET", "plain", "v");
  h.run("SET", "long", "x".repeat(5000));
  h.run("SET", "ttl", "value", "EX", "100");
  h.run("ZADD", "z", "1", "a", "2", "bb", "3", "ccc");
  h.run("HSET", "h", "f", "v", "g", "w");
  h.run("RPUSH", "l", "1", "2", "3");
  let sum = 0;
  for (const key of ["plain", "long", "ttl", "z", "h", "l"]) {
    const usage = h.run("MEMORY", "USAGE", key, "SAMPLES", "0");
    assert.ok(usage.kind === "integer", key);
    sum += Number(usage.value);
  }
  assert.equal(sum, h.keyspace.usedMemory);
});

Deno.test("MEMORY USAGE checks its SAMPLES option", () => {
  const h = createHarness();
  h.keyspace.set("k", "v");
  assert.deepEqual(
    h.run("MEMORY", "USAGE", "k", "SAMPLES", "x"),
    error("ERR value is not an integer or out of range"),
  );
  assert.deepEqual(h.run("MEMORY", "USAGE", "k", "SAMPLES", "-1"), error("ERR syntax error"));
  assert.deepEqual(h.run("MEMORY", "USAGE", "k", "SAMPLES"), error("ERR syntax error"));
  assert.deepEqual(h.run("MEMORY", "USAGE", "k", "foo"), error("ERR syntax error"));
  assert.equal(h.run("MEMORY", "USAGE", "k", "samples", "0", "SAMPLES", "3").kind, "integer");
  assert.deepEqual(
    h.run("MEMORY", "USAGE"),
    error("ERR wrong number of arguments for 'memory|usage' command"),
  );
});

Deno.test("MEMORY DOCTOR, STATS and HELP answer", () => {
  const h = createHarness();
  const doctor = h.run("MEMORY", "DOCTOR");
  assert.ok(
    doctor.kind === "verbatim" && doctor.value.startsWith("Hi Sam, this instance is empty"),
  );
  h.keyspace.set("k", "v");
  h.databases.at(3).set("k", "v");
  const stats = entries(h.run("MEMORY", "STATS"));
  // Every database's keys, as Redis counts them.
  assert.deepEqual(stats.get("keys.count"), integer(2));
  assert.deepEqual(
    items(h.run("MEMORY", "HELP"))[0],
    status("MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"),
  );
  assert.deepEqual(h.run("MEMORY", "foo"), error("ERR unknown subcommand 'foo'. Try MEMORY HELP."));
});

Deno.test("SAVE, BGSAVE, BGREWRITEAOF and SHUTDOWN are handed to the server", () => {
  const h = createHarness();
  for (const name of ["SAVE", "BGSAVE", "BGREWRITEAOF", "SHUTDOWN"]) {
    assert.deepEqual(h.run(name), error(`ERR ${name} not available in tests`));
  }
  assert.deepEqual(h.run("SAVE", "x"), error("ERR wrong number of arguments for 'save' command"));
});

Deno.test("CONFIG SET refuses dir and dbfilename unless enable-protected-configs allows it", () => {
  const h = createHarness();
  const refused = (name: string) =>
    error(
      `ERR CONFIG SET failed (possibly related to argument '${name}') - can't set protected config`,
    );
  assert.deepEqual(h.run("CONFIG", "SET", "dir", "/root/.ssh"), refused("dir"));
  assert.deepEqual(h.run("CONFIG", "SET", "DBFILENAME", "authorized_keys"), refused("DBFILENAME"));
  // Checked before values and duplicates, as Redis orders its checks.
  assert.deepEqual(h.run("CONFIG", "SET", "hz", "abc", "dir", "/tmp"), refused("dir"));
  assert.deepEqual(h.run("CONFIG", "SET", "dir", "/tmp", "dir", "/tmp"), refused("dir"));
  assert.deepEqual(
    h.run("CONFIG", "GET", "dbfilename"),
    map([[bulk("dbfilename"), bulk("dump.rdb")]]),
  );

  h.server.config.set("enable-protected-configs", "yes", { startup: true });
  assert.deepEqual(h.run("CONFIG", "SET", "dbfilename", "other.rdb"), OK);
  assert.deepEqual(
    h.run("CONFIG", "SET", "dbfilename", "../../x"),
    error(
      "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be " +
        "a path, just a filename",
    ),
  );
});

Deno.test("CONFIG SET of a protected config under 'local' depends on the client's address", () => {
  const h = createHarness();
  h.server.config.set("enable-protected-configs", "local", { startup: true });
  // The harness's sessions do not say they are on loopback.
  assert.deepEqual(
    h.run("CONFIG", "SET", "dbfilename", "a.rdb"),
    error(
      "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config",
    ),
  );
  const local = h.newSession({ local: true });
  assert.deepEqual(local.run("CONFIG", "SET", "dbfilename", "a.rdb"), OK);
});
