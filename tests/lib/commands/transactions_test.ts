import assert from "node:assert/strict";
import {
  array,
  bulk,
  error,
  integer,
  NIL,
  NIL_ARRAY,
  OK,
  PONG,
  QUEUED,
} from "../../../lib/reply.ts";
import { createHarness } from "../../support/command_harness.ts";

const EXECABORT = error("EXECABORT Transaction discarded because of previous errors.");

Deno.test("MULTI queues commands and EXEC runs them in order, returning each reply", () => {
  const h = createHarness();
  assert.deepEqual(h.run("MULTI"), OK);
  assert.deepEqual(h.run("SET", "a", "1"), QUEUED);
  assert.deepEqual(h.run("INCR", "a"), QUEUED);
  assert.deepEqual(h.run("GET", "a"), QUEUED);
  assert.equal(h.keyspace.get("a"), undefined);
  assert.deepEqual(h.run("EXEC"), array([OK, integer(2), bulk("2")]));
  assert.equal(h.session.queued, undefined);
});

Deno.test("EXEC with nothing queued answers an empty array", () => {
  const h = createHarness();
  h.run("MULTI");
  assert.deepEqual(h.run("EXEC"), array([]));
});

Deno.test("EXEC turns a queued command's run-time error into an element and runs the rest", () => {
  const h = createHarness();
  h.run("MULTI");
  h.run("SET", "s", "x");
  h.run("INCR", "s");
  h.run("GET", "s");
  assert.deepEqual(
    h.run("EXEC"),
    array([OK, error("ERR value is not an integer or out of range"), bulk("x")]),
  );
});

Deno.test("EXEC and DISCARD without MULTI are errors", () => {
  const h = createHarness();
  assert.deepEqual(h.run("EXEC"), error("ERR EXEC without MULTI"));
  assert.deepEqual(h.run("DISCARD"), error("ERR DISCARD without MULTI"));
});

Deno.test("MULTI inside MULTI is an error that leaves the transaction intact", () => {
  const h = createHarness();
  h.run("MULTI");
  assert.deepEqual(h.run("MULTI"), error("ERR MULTI calls can not be nested"));
  h.run("SET", "a", "1");
  assert.deepEqual(h.run("EXEC"), array([OK]));
});

Deno.test("an unknown or mis-sized command while queued makes EXEC abort", () => {
  const h = createHarness();
  h.run("MULTI");
  assert.deepEqual(
    h.run("nosuch"),
    error("ERR unknown command 'nosuch', with args beginning with: "),
  );
  h.run("SET", "a", "1");
  assert.deepEqual(h.run("EXEC"), EXECABORT);
  assert.equal(h.keyspace.get("a"), undefined);

  h.run("MULTI");
  assert.deepEqual(h.run("SET", "a"), error("ERR wrong number of arguments for 'set' command"));
  assert.deepEqual(h.run("EXEC"), EXECABORT);
  assert.equal(h.session.queued, undefined);
  assert.deepEqual(h.run("PING"), PONG);
});

Deno.test("a command not allowed in MULTI is refused and aborts the transaction", () => {
  const h = createHarness();
  h.run("MULTI");
  assert.deepEqual(h.run("SAVE"), error("ERR Command not allowed inside a transaction"));
  assert.deepEqual(h.run("SHUTDOWN"), error("ERR Command not allowed inside a transaction"));
  assert.deepEqual(h.run("EXEC"), EXECABORT);
});

Deno.test("DISCARD drops the queued commands", () => {
  const h = createHarness();
  h.run("MULTI");
  h.run("SET", "a", "1");
  assert.deepEqual(h.run("DISCARD"), OK);
  assert.equal(h.keyspace.get("a"), undefined);
  assert.deepEqual(h.run("EXEC"), error("ERR EXEC without MULTI"));
});

Deno.test("WATCH inside MULTI is an error that does not abort the transaction", () => {
  const h = createHarness();
  h.run("MULTI");
  assert.deepEqual(h.run("WATCH", "x"), error("ERR WATCH inside MULTI is not allowed"));
  h.run("SET", "a", "1");
  assert.deepEqual(h.run("EXEC"), array([OK]));
});

Deno.test("EXEC answers nil when another client changed a watched key before MULTI", () => {
  const h = createHarness();
  const other = h.newSession();
  assert.deepEqual(h.run("WATCH", "w"), OK);
  other.run("SET", "w", "1");
  h.run("MULTI");
  h.run("SET", "done", "yes");
  assert.deepEqual(h.run("EXEC"), NIL_ARRAY);
  assert.equal(h.keyspace.get("done"), undefined);
});

Deno.test("EXEC answers nil when another client changed a watched key during MULTI", () => {
  const h = createHarness();
  const other = h.newSession();
  h.run("WATCH", "w");
  h.run("MULTI");
  h.run("GET", "w");
  other.run("SET", "w", "3");
  assert.deepEqual(h.run("EXEC"), NIL_ARRAY);
});

Deno.test("EXEC answers nil when the client itself changed a watched key", () => {
  const h = createHarness();
  h.run("WATCH", "w");
  h.run("SET", "w", "2");
  h.run("MULTI");
  h.run("GET", "w");
  assert.deepEqual(h.run("EXEC"), NIL_ARRAY);
});

Deno.test("EXEC runs when watched keys are untouched, and changes to other keys do not count", () => {
  const h = createHarness();
  const other = h.newSession();
  h.keyspace.set("w", "1");
  h.run("WATCH", "w", "missing");
  other.run("SET", "unrelated", "1");
  other.run("GET", "w");
  h.run("MULTI");
  h.run("GET", "w");
  assert.deepEqual(h.run("EXEC"), array([bulk("1")]));
});

Deno.test("UNWATCH forgets watched keys so later changes do not abort", () => {
  const h = createHarness();
  const other = h.newSession();
  h.run("WATCH", "w");
  assert.deepEqual(h.run("UNWATCH"), OK);
  other.run("SET", "w", "3");
  h.run("MULTI");
  h.run("GET", "w");
  assert.deepEqual(h.run("EXEC"), array([bulk("3")]));
});

Deno.test("EXEC and DISCARD end the WATCH, so the next transaction starts clean", () => {
  const h = createHarness();
  const other = h.newSession();
  for (const end of ["EXEC", "DISCARD"]) {
    h.run("WATCH", "w");
    h.run("MULTI");
    h.run(end);
    assert.equal(h.server.watches.keyCount, 0, end);
    other.run("SET", "w", end);
    h.run("MULTI");
    h.run("PING");
    assert.deepEqual(h.run("EXEC"), array([PONG]), end);
  }
});

Deno.test("a failed EXEC also ends the WATCH", () => {
  const h = createHarness();
  h.run("WATCH", "w");
  h.run("SET", "w", "1");
  h.run("MULTI");
  assert.deepEqual(h.run("EXEC"), NIL_ARRAY);
  assert.equal(h.session.watched.size, 0);
  h.run("MULTI");
  assert.deepEqual(h.run("EXEC"), array([]));
});

Deno.test("a transaction's own writes to its watched keys do not abort it", () => {
  const h = createHarness();
  h.run("WATCH", "w");
  h.run("MULTI");
  h.run("SET", "w", "1");
  h.run("SET", "w", "2");
  assert.deepEqual(h.run("EXEC"), array([OK, OK]));
});

Deno.test("a watched key that expires (read lazily) aborts EXEC", () => {
  const h = createHarness(1_000_000);
  const other = h.newSession();
  h.keyspace.set("w", "1");
  h.keyspace.setExpiry("w", 1_000_100);
  h.run("WATCH", "w");
  h.setNow(1_000_200);
  assert.deepEqual(other.run("GET", "w"), NIL);
  h.run("MULTI");
  h.run("PING");
  assert.deepEqual(h.run("EXEC"), NIL_ARRAY);
});

Deno.test("a watched key removed by the active expiry sweep aborts EXEC", () => {
  const h = createHarness(1_000_000);
  h.keyspace.set("w", "1");
  h.keyspace.setExpiry("w", 1_000_100);
  h.run("WATCH", "w");
  h.setNow(1_000_200);
  assert.equal(h.keyspace.expireDue(10), 1);
  h.run("MULTI");
  assert.deepEqual(h.run("EXEC"), NIL_ARRAY);
});

Deno.test("a watched key past its deadline aborts EXEC even if nothing removed it yet", () => {
  const h = createHarness(1_000_000);
  h.keyspace.set("w", "1");
  h.keyspace.setExpiry("w", 1_000_100);
  h.run("WATCH", "w");
  h.setNow(1_000_200);
  h.run("MULTI");
  assert.deepEqual(h.run("EXEC"), NIL_ARRAY);
});

Deno.test("a key already expired when watched does not abort EXEC", () => {
  const h = createHarness(1_000_000);
  h.keyspace.set("w", "1");
  h.keyspace.setExpiry("w", 1_000_100);
  h.setNow(1_000_200);
  h.run("WATCH", "w");
  h.run("MULTI");
  h.run("PING");
  assert.deepEqual(h.run("EXEC"), array([PONG]));
});

Deno.test("FLUSHALL aborts EXEC for a watched key that existed, not for a missing one", () => {
  const h = createHarness();
  const other = h.newSession();
  h.keyspace.set("present", "1");
  h.run("WATCH", "absent");
  other.run("FLUSHALL");
  h.run("MULTI");
  h.run("PING");
  assert.deepEqual(h.run("EXEC"), array([PONG]));

  h.keyspace.set("present", "1");
  h.run("WATCH", "present");
  other.run("FLUSHDB");
  h.run("MULTI");
  assert.deepEqual(h.run("EXEC"), NIL_ARRAY);
});

Deno.test("commands run by EXEC are counted in the command statistics", () => {
  const h = createHarness();
  h.run("MULTI");
  h.run("PING");
  h.run("PING");
  h.run("EXEC");
  assert.equal(h.commands.stats.get("ping")?.calls, 2);
  assert.equal(h.commands.stats.get("exec")?.calls, 1);
});

Deno.test("QUIT inside MULTI is not queued", () => {
  const h = createHarness();
  h.run("MULTI");
  assert.deepEqual(h.run("QUIT"), OK);
  assert.equal(h.session.closeRequested, true);
});
