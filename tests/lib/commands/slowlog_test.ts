import assert from "node:assert/strict";
import { array, bulk, error, integer, OK } from "../../../lib/reply.ts";
import { createHarness } from "../../support/command_harness.ts";

/** A harness whose command clock advances `step` microseconds per reading. */
function timedHarness(step: number) {
  const h = createHarness();
  let micros = 0;
  h.commands.clock = () => (micros += step);
  return h;
}

Deno.test("SLOWLOG GET returns id, time, duration, arguments, address and name", () => {
  const h = timedHarness(7);
  h.commands.slowLog.slowerThanMicros = 0;
  h.run("CLIENT", "SETNAME", "app");
  h.run("SET", "k", "v");
  const reply = h.run("SLOWLOG", "GET", "1");
  assert.deepEqual(
    reply,
    array([array([
      integer(1),
      integer(1_700_000_000),
      integer(7),
      array([bulk("SET"), bulk("k"), bulk("v")]),
      bulk("127.0.0.1:50001"),
      bulk("app"),
    ])]),
  );
  assert.deepEqual(
    h.run("SLOWLOG", "LEN"),
    integer(3),
    "SLOWLOG GET itself is logged after it ran",
  );
  assert.deepEqual(h.run("SLOWLOG", "RESET"), OK);
  assert.deepEqual(h.run("SLOWLOG", "LEN"), integer(1), "the RESET is the one entry left");
});

Deno.test("SLOWLOG GET defaults to 10 entries and -1 means all", () => {
  const h = timedHarness(1);
  h.commands.slowLog.slowerThanMicros = 0;
  for (let i = 0; i < 15; i++) h.run("INCR", "n");
  assert.equal((h.run("SLOWLOG", "GET") as { items: readonly unknown[] }).items.length, 10);
  assert.equal((h.run("SLOWLOG", "GET", "-1") as { items: readonly unknown[] }).items.length, 16);
});

Deno.test("SLOWLOG refuses bad counts and extra arguments with Redis's texts", () => {
  const h = createHarness();
  const badCount = error("ERR count should be greater than or equal to -1");
  assert.deepEqual(h.run("SLOWLOG", "GET", "-2"), badCount);
  assert.deepEqual(h.run("SLOWLOG", "GET", "abc"), badCount);
  assert.deepEqual(
    h.run("SLOWLOG", "GET", "1", "2"),
    error("ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP."),
  );
  assert.deepEqual(
    h.run("SLOWLOG", "LEN", "x"),
    error("ERR wrong number of arguments for 'slowlog|len' command"),
  );
});

Deno.test("commands are timed only with a clock, and skip_slowlog commands stay out", () => {
  const untimed = createHarness();
  untimed.commands.slowLog.slowerThanMicros = 0;
  untimed.run("SET", "k", "v");
  assert.equal(untimed.commands.slowLog.length, 0);
  assert.equal(untimed.commands.stats.get("set")!.usec, 0);

  const h = timedHarness(5);
  h.commands.slowLog.slowerThanMicros = 0;
  h.run("MULTI");
  h.run("SET", "k", "v");
  h.run("EXEC");
  const logged = h.commands.slowLog.newest(-1).map((entry) => entry.argv[0]);
  assert.deepEqual(logged, ["SET", "MULTI"], "EXEC is skip_slowlog, the command it ran is not");
  assert.equal(h.commands.stats.get("set")!.usec, 5);
  assert.equal(h.commands.stats.get("exec")!.usec, 15, "EXEC's time includes what it ran");
});
