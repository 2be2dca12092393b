import assert from "node:assert/strict";
import { monitorLine } from "../../lib/monitor.ts";
import { error, status } from "../../lib/reply.ts";
import { createHarness } from "../support/command_harness.ts";

Deno.test("monitorLine formats time, db, client and quoted arguments as Redis", () => {
  assert.deepEqual(
    monitorLine(1_700_000_000_000_042, 0, "127.0.0.1:5000", ["SET", "x y", "\x00\xff\n"]),
    status('1700000000.000042 [0 127.0.0.1:5000] "SET" "x y" "\\x00\\xff\\n"'),
  );
  assert.deepEqual(
    monitorLine(1_700_000_001_500_000, 0, "127.0.0.1:5000", ["AUTH", "secret"]),
    status('1700000001.500000 [0 127.0.0.1:5000] "AUTH" "(redacted)"'),
  );
});

Deno.test("MONITOR shows commands after they ran, EXEC after its commands, never admin or rejected ones", () => {
  const h = createHarness();
  const seen: string[] = [];
  const watcher = h.newSession();
  watcher.session.push = (message) => seen.push((message as { text: string }).text);
  assert.deepEqual(watcher.run("MONITOR"), status("OK"));
  h.run("MULTI");
  h.run("SET", "a", "1");
  h.run("EXEC");
  h.run("NOSUCHCOMMAND");
  h.run("GET");
  h.run("CONFIG", "GET", "maxmemory");
  h.run("GET", "a");
  assert.deepEqual(
    seen.map((line) => line.replace(/^\S+ \[0 [^\]]+\] /, "")),
    ['"MULTI"', '"SET" "a" "1"', '"EXEC"', '"GET" "a"'],
  );
  const list = h.run("CLIENT", "LIST") as { text?: string; value?: string };
  assert.match(JSON.stringify(list), /id=2 [^\n]*flags=O /, "CLIENT LIST flags a monitor O");
  watcher.run("RESET");
  h.run("GET", "a");
  assert.equal(seen.length, 4, "RESET leaves MONITOR mode");
});

Deno.test("MONITOR is refused inside MULTI", () => {
  const h = createHarness();
  h.run("MULTI");
  assert.deepEqual(h.run("MONITOR"), error("ERR Command not allowed inside a transaction"));
});
