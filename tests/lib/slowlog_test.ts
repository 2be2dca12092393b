import assert from "node:assert/strict";
import { loggedArguments, MAX_ARGUMENT_BYTES, SlowLog } from "../../lib/slowlog.ts";

const CLIENT = { address: "127.0.0.1:5000", name: "worker" };

Deno.test("SlowLog keeps commands at least as slow as the threshold, newest first", () => {
  const log = new SlowLog();
  log.slowerThanMicros = 100;
  log.record(["GET", "fast"], 99, CLIENT, 1);
  log.record(["GET", "a"], 100, CLIENT, 2);
  log.record(["GET", "b"], 5000, CLIENT, 3);
  assert.equal(log.length, 2);
  assert.deepEqual(log.newest(10).map((entry) => [entry.id, entry.argv[1], entry.timestamp]), [
    [1, "b", 3],
    [0, "a", 2],
  ]);
  assert.deepEqual(log.newest(1).map((entry) => entry.id), [1]);
  assert.equal(log.newest(-1).length, 2);
  assert.equal(log.newest(0).length, 0);
});

Deno.test("SlowLog threshold -1 logs nothing and 0 logs everything", () => {
  const log = new SlowLog();
  log.slowerThanMicros = -1;
  log.record(["DEBUG", "SLEEP"], 10_000_000, CLIENT, 1);
  assert.equal(log.length, 0);
  log.slowerThanMicros = 0;
  log.record(["PING"], 0, CLIENT, 1);
  assert.equal(log.length, 1);
});

Deno.test("SlowLog drops the oldest entries past slowlog-max-len, also when it shrinks", () => {
  const log = new SlowLog();
  log.slowerThanMicros = 0;
  for (let i = 0; i < 10; i++) log.record(["INCR", String(i)], 1, CLIENT, i);
  log.maxLength = 3;
  assert.deepEqual(log.newest(-1).map((entry) => entry.argv[1]), ["9", "8", "7"]);
  log.record(["INCR", "10"], 1, CLIENT, 10);
  assert.deepEqual(log.newest(-1).map((entry) => entry.id), [10, 9, 8]);
  log.reset();
  assert.equal(log.length, 0);
  log.record(["INCR", "11"], 1, CLIENT, 11);
  assert.equal(log.newest(1)[0]!.id, 11, "ids keep counting after RESET");
});

Deno.test("loggedArguments cuts long arguments and argument lists as Redis does", () => {
  const long = "x".repeat(MAX_ARGUMENT_BYTES + 5);
  assert.deepEqual(loggedArguments(["SET", "k", long]), [
    "SET",
    "k",
    `${"x".repeat(MAX_ARGUMENT_BYTES)}... (5 more bytes)`,
  ]);
  const many = ["MSET", ...Array.from({ length: 40 }, (_, i) => `a${i}`)];
  const logged = loggedArguments(many);
  assert.equal(logged.length, 32);
  assert.equal(logged[30], "a29");
  assert.equal(logged[31], "... (10 more arguments)");
  assert.deepEqual(loggedArguments(Array.from({ length: 32 }, () => "a")).length, 32);
});

Deno.test("loggedArguments redacts AUTH, HELLO AUTH and sensitive CONFIG SET values", () => {
  assert.deepEqual(loggedArguments(["AUTH", "user", "secret"]), [
    "AUTH",
    "(redacted)",
    "(redacted)",
  ]);
  assert.deepEqual(loggedArguments(["HELLO", "3", "AUTH", "default", "pw", "SETNAME", "n"]), [
    "HELLO",
    "3",
    "AUTH",
    "(redacted)",
    "(redacted)",
    "SETNAME",
    "n",
  ]);
  assert.deepEqual(loggedArguments(["CONFIG", "SET", "maxmemory", "1mb", "requirepass", "pw"]), [
    "CONFIG",
    "SET",
    "maxmemory",
    "1mb",
    "requirepass",
    "(redacted)",
  ]);
});
