import assert from "node:assert/strict";
import { SessionContext } from "../../../lib/commands/context.ts";
import { executeRequest } from "../../../lib/commands/dispatch.ts";
import { bulk, type HandlerReply, materialize, NIL, OK } from "../../../lib/reply.ts";
import { createHarness } from "../../support/command_harness.ts";

Deno.test("a batch's contiguous requests read the wall clock once and derive 'now' from the command clock", () => {
  const h = createHarness();
  let micros = 0;
  h.commands.clock = () => (micros += 400);
  const context = new SessionContext(h.databases, h.session, h.server, h.commands);
  const realNow = Date.now;
  let wallReads = 0;
  // The wall clock moves with the command clock, as real clocks do.
  Date.now = () => {
    wallReads++;
    return 1_000_000 + Math.floor(micros / 1000);
  };
  try {
    const batch = [["SET", "k", "v", "PX", "2"], ...Array.from({ length: 5 }, () => ["GET", "k"])];
    // Materialized as each comes back, as a wire encodes it.
    const replies = batch.map((argv, i) =>
      materialize(executeRequest(context, argv, i > 0) as HandlerReply)
    );
    // Commands run 400 µs apart: the sixth starts 2 ms after the first, when the key expires.
    assert.deepEqual(replies, [OK, bulk("v"), bulk("v"), bulk("v"), bulk("v"), NIL]);
    assert.equal(wallReads, 1, "only the batch's first request reads the wall clock");
    assert.equal(h.keyspace.now, 1_000_002);
    assert.equal(micros, 7 * 400, "the first command reads the command clock twice, the rest once");

    executeRequest(context, ["GET", "k"], false);
    assert.equal(wallReads, 2, "a request that starts a batch reads the wall clock");
    assert.equal(h.keyspace.now, 1_000_002);
    assert.equal(micros, 9 * 400, "and its command starts from a new reading");
  } finally {
    Date.now = realNow;
  }
});

Deno.test("without a command clock every request reads the wall clock", () => {
  const h = createHarness();
  const context = new SessionContext(h.databases, h.session, h.server, h.commands);
  const realNow = Date.now;
  let wallReads = 0;
  Date.now = () => 1_000_000 + wallReads++;
  try {
    executeRequest(context, ["SET", "k", "v"], false);
    executeRequest(context, ["GET", "k"], true);
    assert.equal(wallReads, 2);
    assert.equal(h.keyspace.now, 1_000_001);
  } finally {
    Date.now = realNow;
  }
});

Deno.test("a request turned away before the command table still makes the next one read the wall clock", () => {
  const h = createHarness();
  let micros = 0;
  h.commands.clock = () => (micros += 400);
  const { session } = h.newSession({ wire: "kache" });
  const context = new SessionContext(h.databases, session, h.server, h.commands);
  const realNow = Date.now;
  let wall = 1_000_000;
  Date.now = () => wall;
  try {
    executeRequest(context, ["set", "k", "v"], false);
    executeRequest(context, ["pexpire", "k", "5"], true);
    wall += 10;
    // An unknown command answers the binary wire's `unknown` without reaching the table.
    executeRequest(context, ["nosuch"], false);
    executeRequest(context, ["get", "k"], true);
    assert.equal(h.keyspace.now, 1_000_010);
    assert.equal(h.keyspace.has("k"), false, "the key's deadline passed");
  } finally {
    Date.now = realNow;
  }
});
