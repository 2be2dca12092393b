/** Config.onApply: a run-time change that cannot take effect is refused and leaves the value. */
import assert from "node:assert/strict";
import { Config } from "../../lib/config.ts";

Deno.test("Config.onApply refuses a change its applier cannot make, keeping the old value", () => {
  const config = new Config();
  const seen: unknown[] = [];
  config.onChange((name, value) => seen.push([name, value]));
  let allow = false;
  config.onApply(
    "appendonly",
    (value) => allow || value === false ? undefined : "Unable to turn on AOF. Check server logs.",
  );
  assert.equal(
    config.set("appendonly", "yes", { startup: false }),
    "CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn on AOF. Check server logs.",
  );
  assert.equal(config.boolean("appendonly"), false);
  assert.deepEqual(seen, [], "listeners hear only of changes that happened");
  allow = true;
  assert.equal(config.set("appendonly", "yes", { startup: false }), undefined);
  assert.equal(config.boolean("appendonly"), true);
  assert.deepEqual(seen, [["appendonly", true]]);
});

Deno.test("Config.onApply is not asked at startup or when the value does not change", () => {
  const config = new Config();
  let asked = 0;
  config.onApply("appendonly", () => {
    asked++;
    return "refused";
  });
  assert.equal(config.set("appendonly", "yes", { startup: true }), undefined);
  assert.equal(config.set("appendonly", "yes", { startup: false }), undefined);
  assert.equal(asked, 0);
});
