import assert from "node:assert/strict";
import { type ChangeSink, ChangeStream } from "../../lib/change_stream.ts";
import { combineObservers } from "../../server/observers.ts";
import { createHarness, type Harness } from "../support/command_harness.ts";

/** A harness whose writes go through a change stream into a list of [db, argv…]. */
function streamed(): {
  harness: Harness;
  stream: ChangeStream;
  seen: string[][];
  sink: ChangeSink;
} {
  const harness = createHarness();
  const stream = new ChangeStream();
  const seen: string[][] = [];
  stream.onActiveChange = (active) => {
    harness.commands.onWrite = active ? (argv, context) => stream.write(argv, context) : undefined;
    harness.databases.shared.observer = combineObservers([
      harness.server.watches,
      active ? stream.observer : undefined,
    ]);
  };
  const sink: ChangeSink = { append: (argv, db) => seen.push([String(db), ...argv]) };
  stream.addSink(sink);
  return { harness, stream, seen, sink };
}

Deno.test("ChangeStream hands each sink the write as the AOF logs it, with its database", () => {
  const { harness, seen } = streamed();
  harness.run("SET", "k", "v", "PX", "5000");
  harness.run("SELECT", "3");
  harness.run("INCR", "n");
  harness.run("GET", "k");
  assert.deepEqual(seen, [
    ["0", "SET", "k", "v"],
    ["0", "PEXPIREAT", "k", String(1_700_000_005_000)],
    ["3", "INCR", "n"],
  ]);
});

Deno.test("ChangeStream wraps EXEC's writes in MULTI … EXEC, closed by the next write or closeTransaction", () => {
  const { harness, stream, seen } = streamed();
  harness.run("MULTI");
  harness.run("SET", "a", "1");
  harness.run("GET", "a");
  harness.run("SET", "b", "2");
  harness.run("EXEC");
  harness.run("SET", "c", "3");
  harness.run("MULTI");
  harness.run("DEL", "c");
  harness.run("EXEC");
  stream.closeTransaction();
  stream.closeTransaction();
  assert.deepEqual(seen, [
    ["0", "MULTI"],
    ["0", "SET", "a", "1"],
    ["0", "SET", "b", "2"],
    ["undefined", "EXEC"],
    ["0", "SET", "c", "3"],
    ["0", "MULTI"],
    ["0", "DEL", "c"],
    ["undefined", "EXEC"],
  ]);
});

Deno.test("ChangeStream reports an expired key as DEL before the command that found it", () => {
  const { harness, seen } = streamed();
  harness.run("SET", "k", "v", "PX", "10");
  seen.length = 0;
  harness.setNow(1_700_000_000_020);
  harness.run("APPEND", "k", "w");
  assert.deepEqual(seen, [["0", "DEL", "k"], ["0", "APPEND", "k", "w"]]);
});

Deno.test("ChangeStream: a sink leaving mid-wrap gets its EXEC; the last one leaving unhooks writes", () => {
  const { harness, stream, seen, sink } = streamed();
  const late: string[][] = [];
  const other = { append: (argv: readonly string[]) => late.push([...argv]) };
  stream.addSink(other);
  harness.run("MULTI");
  harness.run("SET", "a", "1");
  harness.run("EXEC");
  stream.removeSink(other);
  assert.deepEqual(late, [["MULTI"], ["SET", "a", "1"], ["EXEC"]]);
  stream.closeTransaction();
  assert.deepEqual(seen.at(-1), ["undefined", "EXEC"]);
  stream.removeSink(sink);
  assert.equal(stream.active, false);
  assert.equal(harness.commands.onWrite, undefined);
  harness.run("SET", "b", "2");
  assert.equal(seen.length, 3);
});
