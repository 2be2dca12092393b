import assert from "node:assert/strict";
import { deletion, propagatedCommands } from "../../../lib/persistence/propagate.ts";
import { createHarness } from "../../support/command_harness.ts";

const NOW = 1_700_000_000_000;

/** Runs a command through the table, then asks what the AOF would log for it. */
function logged(setup: string[][], argv: string[]): string[][] {
  const h = createHarness(NOW);
  for (const command of setup) h.run(...command);
  h.run(...argv);
  return propagatedCommands(argv, h.keyspace);
}

Deno.test("propagatedCommands logs deterministic commands as sent", () => {
  assert.deepEqual(logged([], ["ZADD", "z", "1", "a"]), [["ZADD", "z", "1", "a"]]);
  assert.deepEqual(logged([["SET", "n", "1"]], ["INCRBY", "n", "5"]), [["INCRBY", "n", "5"]]);
  assert.deepEqual(logged([], ["MSET", "a", "1", "b", "2"]), [["MSET", "a", "1", "b", "2"]]);
});

Deno.test("propagatedCommands turns SET EX into SET plus an absolute PEXPIREAT", () => {
  assert.deepEqual(logged([], ["SET", "k", "v", "EX", "10"]), [
    ["SET", "k", "v"],
    ["PEXPIREAT", "k", String(NOW + 10_000)],
  ]);
  assert.deepEqual(logged([], ["SETEX", "k", "5", "v"]), [
    ["SET", "k", "v"],
    ["PEXPIREAT", "k", String(NOW + 5_000)],
  ]);
  assert.deepEqual(logged([], ["SET", "k", "v"]), [["SET", "k", "v"]]);
});

Deno.test("propagatedCommands keeps a TTL kept by SET KEEPTTL", () => {
  assert.deepEqual(logged([["SET", "k", "a", "PX", "500"]], ["SET", "k", "b", "KEEPTTL"]), [
    ["SET", "k", "b"],
    ["PEXPIREAT", "k", String(NOW + 500)],
  ]);
});

Deno.test("propagatedCommands turns relative expiries into PEXPIREAT and past ones into DEL", () => {
  assert.deepEqual(logged([["SET", "k", "v"]], ["EXPIRE", "k", "100"]), [
    ["PEXPIREAT", "k", String(NOW + 100_000)],
  ]);
  assert.deepEqual(logged([["SET", "k", "v"]], ["PEXPIRE", "k", "-1"]), [["DEL", "k"]]);
  assert.deepEqual(logged([["SET", "k", "v"]], ["GETEX", "k", "PX", "20"]), [
    ["PEXPIREAT", "k", String(NOW + 20)],
  ]);
  assert.deepEqual(logged([["SET", "k", "v", "EX", "9"]], ["GETEX", "k", "PERSIST"]), [
    ["PERSIST", "k"],
  ]);
});

Deno.test("propagatedCommands logs INCRBYFLOAT as the value it produced", () => {
  assert.deepEqual(logged([["SET", "f", "10.5"]], ["INCRBYFLOAT", "f", "0.1"]), [
    ["SET", "f", "10.6", "KEEPTTL"],
  ]);
});

Deno.test("deletion logs an expired or evicted key as DEL", () => {
  assert.deepEqual(deletion("k"), ["DEL", "k"]);
});

Deno.test("propagatedCommands logs RESTORE with a relative TTL as its absolute deadline", () => {
  const payload = "\x00\x05hello\x0a\x00\x63\x72\xdf\x76\x65\x34\x20\x0a";
  assert.deepEqual(logged([], ["RESTORE", "k", "5000", payload]), [
    ["RESTORE", "k", String(NOW + 5000), payload, "REPLACE", "ABSTTL"],
  ]);
  assert.deepEqual(logged([], ["RESTORE", "k", "0", payload]), [
    ["RESTORE", "k", "0", payload, "REPLACE", "ABSTTL"],
  ]);
  assert.deepEqual(
    logged([["SET", "k", "old"]], ["RESTORE", "k", String(NOW - 1), payload, "ABSTTL", "REPLACE"]),
    [["DEL", "k"]],
  );
});
