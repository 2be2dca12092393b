/**
 * How the command table refuses writes while the disk fails: Redis's
 * processCommand refuses commands flagged `write`, and PING, with the
 * `-MISCONF` text persistence sets; everything else runs, and a refused
 * command dooms an open transaction as any refusal does.
 */
import assert from "node:assert/strict";
import { MISCONF_RDB, misconfAof, systemErrorText } from "../../../lib/persistence/disk_errors.ts";
import { bulk, error, OK, QUEUED } from "../../../lib/reply.ts";
import { createHarness } from "../../support/command_harness.ts";

const AOF_FULL = misconfAof("No space left on device");

Deno.test("writesRefused refuses writes and PING and serves reads", () => {
  const harness = createHarness();
  assert.deepEqual(harness.run("SET", "k", "v"), OK);
  harness.commands.writesRefused = AOF_FULL;
  assert.deepEqual(harness.run("SET", "k", "w"), error(AOF_FULL));
  assert.deepEqual(harness.run("DEL", "k"), error(AOF_FULL));
  assert.deepEqual(harness.run("PING"), error(AOF_FULL));
  assert.deepEqual(harness.run("GET", "k"), bulk("v"));
  assert.deepEqual(harness.run("EXISTS", "k"), { kind: "integer", value: 1 });
  assert.deepEqual(harness.run("ECHO", "hi"), bulk("hi"));
  assert.equal(harness.commands.stats.get("set")?.rejected, 1);
  harness.commands.writesRefused = undefined;
  assert.deepEqual(harness.run("SET", "k", "w"), OK);
  assert.deepEqual(harness.run("GET", "k"), bulk("w"));
});

Deno.test("writesRefused dooms a transaction that queues a write and refuses an EXEC of writes", () => {
  const harness = createHarness();
  harness.commands.writesRefused = MISCONF_RDB;
  assert.deepEqual(harness.run("MULTI"), OK);
  assert.deepEqual(harness.run("GET", "k"), QUEUED);
  assert.deepEqual(harness.run("SET", "k", "v"), error(MISCONF_RDB));
  assert.deepEqual(
    harness.run("EXEC"),
    error("EXECABORT Transaction discarded because of previous errors."),
  );
  // Queued before the disk failed, refused at EXEC: Redis's execCommandAbort text.
  harness.commands.writesRefused = undefined;
  assert.deepEqual(harness.run("MULTI"), OK);
  assert.deepEqual(harness.run("SET", "k", "v"), QUEUED);
  harness.commands.writesRefused = MISCONF_RDB;
  assert.deepEqual(
    harness.run("EXEC"),
    error(`EXECABORT Transaction discarded because of: ${MISCONF_RDB}`),
  );
  assert.deepEqual(harness.run("GET", "k"), { kind: "nil" });
  // A read-only transaction still runs.
  assert.deepEqual(harness.run("MULTI"), OK);
  assert.deepEqual(harness.run("GET", "k"), QUEUED);
  assert.deepEqual(harness.run("EXEC"), { kind: "array", items: [{ kind: "nil" }] });
});

Deno.test("MISCONF texts are Redis 7.0's", () => {
  assert.equal(
    MISCONF_RDB,
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
  );
  assert.equal(AOF_FULL, "MISCONF Errors writing to the AOF file: No space left on device");
  assert.equal(
    systemErrorText(new Error("Input/output error (os error 5)")),
    "Input/output error",
  );
  assert.equal(systemErrorText("plain"), "plain");
});
