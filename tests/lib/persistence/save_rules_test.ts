import assert from "node:assert/strict";
import {
  dueSaveRule,
  formatSaveRules,
  parseSaveRules,
} from "../../../lib/persistence/save_rules.ts";
import { Config } from "../../../lib/config.ts";

Deno.test("parseSaveRules reads pairs and refuses anything else", () => {
  assert.deepEqual(parseSaveRules(" 3600 1  300 100 "), [
    { seconds: 3600, changes: 1 },
    { seconds: 300, changes: 100 },
  ]);
  assert.deepEqual(parseSaveRules(""), []);
  for (const bad of ["1", "1 x", "-1 5", "1.5 2", "1 2 3"]) {
    assert.equal(parseSaveRules(bad), undefined, bad);
  }
  assert.equal(formatSaveRules(parseSaveRules("900 1 60 10")!), "900 1 60 10");
});

Deno.test("dueSaveRule needs both the changes and strictly more seconds", () => {
  const rules = parseSaveRules("3600 1 300 100 60 10000")!;
  assert.equal(dueSaveRule(rules, 0, 100_000), undefined);
  assert.equal(dueSaveRule(rules, 1, 3600), undefined);
  assert.equal(dueSaveRule(rules, 1, 3601)?.seconds, 3600);
  assert.equal(dueSaveRule(rules, 10_000, 61)?.seconds, 60);
  assert.equal(dueSaveRule([], 1_000_000, 1_000_000), undefined);
});

Deno.test("Config holds Redis's persistence defaults and CONFIG SET save validates", () => {
  const config = new Config();
  const get = (name: string) => config.get((candidate) => candidate === name)[0]?.[1];
  assert.equal(get("save"), "3600 1 300 100 60 10000");
  assert.equal(get("appendonly"), "no");
  assert.equal(get("appendfsync"), "everysec");
  assert.equal(get("dir"), ".");
  assert.equal(get("dbfilename"), "dump.rdb");
  assert.equal(get("appendfilename"), "appendonly.aof");
  assert.equal(get("appenddirname"), "appendonlydir");
  assert.equal(get("auto-aof-rewrite-percentage"), "100");
  assert.equal(get("auto-aof-rewrite-min-size"), String(64 * 1024 * 1024));
  assert.equal(get("aof-load-truncated"), "yes");
  assert.equal(get("rdbcompression"), "yes");
  assert.equal(get("rdbchecksum"), "yes");
  assert.equal(config.set("save", "", { startup: false }), undefined);
  assert.equal(get("save"), "");
  assert.match(config.set("save", "10", { startup: false })!, /Invalid save parameters/);
  assert.match(
    config.set("appendfilename", "x.aof", { startup: false })!,
    /can't set immutable config/,
  );
});
