/** Backing off automatic AOF rewrites that keep failing, as Redis 7's aofRewriteLimited. */
import assert from "node:assert/strict";
import { RewriteLimit } from "../../../lib/persistence/rewrite_limit.ts";

const MINUTE = 60_000;

Deno.test("RewriteLimit lets the first three failures retry at once", () => {
  const limit = new RewriteLimit();
  for (let failures = 0; failures < 3; failures++) {
    assert.equal(limit.limited(failures * 100), 0);
    limit.failed();
  }
  assert.notEqual(limit.limited(300), 0);
});

Deno.test("RewriteLimit waits a minute, then doubles each wait up to an hour", () => {
  const limit = new RewriteLimit();
  let now = 1_700_000_000_000;
  for (let i = 0; i < 3; i++) limit.failed();
  const waits: number[] = [];
  for (let round = 0; round < 9; round++) {
    const minutes = limit.limited(now);
    assert.ok(minutes > 0, `round ${round} begins a wait`);
    waits.push(minutes);
    // Asked every cron tick (100 ms) during the wait: never allowed before it ends.
    assert.equal(limit.limited(now + 100), -1);
    assert.equal(limit.limited(now + minutes * MINUTE - 1), -1);
    now += minutes * MINUTE;
    assert.equal(limit.limited(now), 0, `round ${round} allows one try when the wait ends`);
    limit.failed();
  }
  assert.deepEqual(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
  assert.equal(limit.consecutiveFailures, 12);
});

Deno.test("RewriteLimit starts over after a success", () => {
  const limit = new RewriteLimit();
  for (let i = 0; i < 5; i++) limit.failed();
  assert.equal(limit.limited(0), 1);
  limit.succeeded();
  assert.equal(limit.limited(1), 0);
  assert.equal(limit.consecutiveFailures, 0);
  for (let i = 0; i < 3; i++) limit.failed();
  assert.equal(limit.limited(2), 1, "the wait starts again from a minute");
});
