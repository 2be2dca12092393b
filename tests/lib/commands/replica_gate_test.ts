import assert from "node:assert/strict";
import { MASTERDOWN, READONLY_REPLICA, type ReplicaGate } from "../../../lib/commands/table.ts";
import { bulk, error, integer, NIL, OK, QUEUED } from "../../../lib/reply.ts";
import { createHarness } from "../../support/command_harness.ts";

const T0 = 1_700_000_000_000;

/** A harness whose server is a replica, with a second session acting as its master's link. */
function replicaHarness(gate: Partial<ReplicaGate> = {}) {
  const h = createHarness(T0);
  const master = h.newSession();
  h.commands.replica = { master: master.session, readOnly: true, refuseStale: false, ...gate };
  return { h, master };
}

Deno.test("a read-only replica answers -READONLY to client writes, not to its master's", () => {
  const { h, master } = replicaHarness();
  assert.deepEqual(h.run("SET", "k", "v"), error(READONLY_REPLICA));
  assert.deepEqual(master.run("SET", "k", "v"), OK);
  assert.deepEqual(h.run("GET", "k"), bulk("v"));
});

Deno.test("a read-only replica refuses a write queued in MULTI, so EXEC aborts", () => {
  const { h } = replicaHarness();
  assert.deepEqual(h.run("MULTI"), OK);
  assert.deepEqual(h.run("GET", "k"), QUEUED);
  assert.deepEqual(h.run("INCR", "k"), error(READONLY_REPLICA));
  assert.deepEqual(
    h.run("EXEC"),
    error("EXECABORT Transaction discarded because of previous errors."),
  );
});

Deno.test("replica-read-only no lets client writes through", () => {
  const { h } = replicaHarness({ readOnly: false });
  assert.deepEqual(h.run("SET", "k", "v"), OK);
});

Deno.test("with the link down and stale data refused, only stale commands run (-MASTERDOWN)", () => {
  const { h } = replicaHarness({ refuseStale: true });
  assert.deepEqual(h.run("GET", "k"), error(MASTERDOWN));
  // Redis 7.0's PING is not flagged stale either: it gets -MASTERDOWN, which Sentinel accepts.
  assert.deepEqual(h.run("PING"), error(MASTERDOWN));
  assert.notEqual(h.run("INFO").kind, "error");
  assert.deepEqual(h.run("MULTI"), OK);
  assert.deepEqual(h.run("GET", "k"), error(MASTERDOWN));
  assert.deepEqual(
    h.run("EXEC"),
    error("EXECABORT Transaction discarded because of previous errors."),
  );
});

Deno.test("a replica hides keys past their deadline from clients but keeps them for its master", () => {
  const { h, master } = replicaHarness();
  h.databases.shared.expiry = "hide";
  master.run("SET", "k", "v");
  master.run("PEXPIREAT", "k", String(T0 + 10));
  h.setNow(T0 + 20);
  assert.deepEqual(h.run("GET", "k"), NIL);
  assert.deepEqual(h.run("EXISTS", "k"), integer(0));
  assert.deepEqual(h.run("PTTL", "k"), integer(-2));
  // Still held, uncounted as expired: only the master's DEL removes it.
  assert.equal(h.keyspace.size, 1);
  assert.equal(h.databases.shared.expiredCount, 0);
  assert.equal(h.keyspace.expireDue(100), 0);
  h.databases.shared.expiry = "keep";
  assert.deepEqual(master.run("DEL", "k"), integer(1));
  assert.equal(h.keyspace.size, 0);
});

Deno.test("a replica takes its master's deadline even when its own clock says it passed", () => {
  const { h, master } = replicaHarness();
  h.databases.shared.expiry = "keep";
  master.run("SET", "k", "v");
  assert.deepEqual(master.run("PEXPIREAT", "k", String(T0 - 5)), integer(1));
  assert.equal(h.keyspace.size, 1);
  h.databases.shared.expiry = "delete";
  assert.deepEqual(h.run("GET", "k"), NIL);
  assert.equal(h.keyspace.size, 0);
});

Deno.test("a script's write on a read-only replica fails with -READONLY, not on the master link", () => {
  const { h, master } = replicaHarness();
  const script = "return redis.call('SET', KEYS[1], 'v')";
  const refused = h.run("EVAL", script, "1", "k");
  assert.equal(refused.kind, "error");
  assert.match(
    (refused as { message: string }).message,
    /^READONLY You can't write against a read only replica\./,
  );
  assert.deepEqual(h.run("EVAL", "return redis.call('GET', KEYS[1])", "1", "k"), NIL);
  assert.deepEqual(master.run("EVAL", script, "1", "k"), OK);
});

Deno.test("REPLICAOF checks its port and refuses a replica link, as Redis's replicaofCommand", () => {
  const h = createHarness(T0);
  assert.deepEqual(h.run("REPLICAOF", "127.0.0.1", "65536"), error("ERR Invalid master port"));
  assert.deepEqual(h.run("SLAVEOF", "127.0.0.1", "x"), error("ERR Invalid master port"));
  h.session.replica = true;
  assert.deepEqual(
    h.run("REPLICAOF", "127.0.0.1", "6379"),
    error("ERR Command is not valid when client is a replica."),
  );
});
