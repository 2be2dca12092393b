import assert from "node:assert/strict";
import {
  CONNECT_FAILED,
  KEYS_NEEDS_EMPTY_KEY,
  migrateRequest,
  migrateVerdict,
  parseMigrateArguments,
} from "../../lib/migrate.ts";
import { SYNTAX } from "../../lib/errors.ts";

const BASE = ["MIGRATE", "host", "6379"];

Deno.test("parseMigrateArguments reads options, AUTH, AUTH2 and KEYS as Redis does", () => {
  const read = parseMigrateArguments([
    ...BASE,
    "",
    "3",
    "0",
    "copy",
    "REPLACE",
    "AUTH2",
    "user",
    "pass",
    "KEYS",
    "a",
    "copy",
  ]);
  assert.deepEqual(read, {
    host: "host",
    port: "6379",
    db: 3,
    timeoutMs: 1000,
    copy: true,
    replace: true,
    auth: ["user", "pass"],
    keys: ["a", "copy"],
  });
  const single = parseMigrateArguments([...BASE, "k", "0", "250", "AUTH", "pw"]);
  assert.ok(typeof single !== "string");
  assert.deepEqual([single.keys, single.auth, single.timeoutMs], [["k"], ["pw"], 250]);
});

Deno.test("parseMigrateArguments refuses what Redis refuses, options before numbers", () => {
  assert.equal(parseMigrateArguments([...BASE, "k", "0", "5", "KEYS", "a"]), KEYS_NEEDS_EMPTY_KEY);
  assert.equal(parseMigrateArguments([...BASE, "k", "0", "5", "AUTH"]), SYNTAX);
  assert.equal(parseMigrateArguments([...BASE, "k", "0", "5", "AUTH2", "u"]), SYNTAX);
  assert.equal(parseMigrateArguments([...BASE, "k", "x", "y", "BOGUS"]), SYNTAX);
  assert.equal(
    parseMigrateArguments([...BASE, "k", "x", "5"]),
    "ERR value is not an integer or out of range",
  );
});

Deno.test("migrateRequest encodes AUTH and one RESTORE per key, REPLACE when asked", () => {
  const args = parseMigrateArguments([...BASE, "", "0", "5", "REPLACE", "AUTH", "pw", "KEYS", "a"]);
  assert.ok(typeof args !== "string");
  const request = migrateRequest(args, [{ key: "a", ttlMs: 0, payload: "\x00\xff" }]);
  const text = (bytes: Uint8Array) => String.fromCharCode(...bytes);
  assert.equal(text(request.auth!), "*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n");
  assert.equal(
    text(request.restores),
    "*5\r\n$7\r\nRESTORE\r\n$1\r\na\r\n$1\r\n0\r\n$2\r\n\x00\xff\r\n$7\r\nREPLACE\r\n",
  );
  assert.equal(request.count, 1);
});

Deno.test("migrateVerdict: the first error of the target wins, acknowledged keys are still moved", () => {
  const keys = ["a", "b", "c"];
  assert.deepEqual(migrateVerdict({ kind: "connect-failed" }, keys), {
    error: CONNECT_FAILED,
    acknowledged: [],
  });
  assert.deepEqual(
    migrateVerdict({
      kind: "replies",
      auth: undefined,
      select: "+OK",
      restores: ["+OK", "-BUSYKEY x", "+OK"],
    }, keys),
    { error: "ERR Target instance replied with error: BUSYKEY x", acknowledged: ["a", "c"] },
  );
  // A failed AUTH makes every key an error.
  assert.deepEqual(
    migrateVerdict(
      { kind: "replies", auth: "-WRONGPASS no", select: undefined, restores: ["+OK"] },
      ["a"],
    ),
    { error: "ERR Target instance replied with error: WRONGPASS no", acknowledged: [] },
  );
  // The connection broke after the first reply.
  assert.deepEqual(
    migrateVerdict(
      { kind: "replies", auth: undefined, select: undefined, restores: ["+OK"] },
      keys,
    ),
    { error: "IOERR error or timeout reading to target instance", acknowledged: ["a"] },
  );
  assert.deepEqual(migrateVerdict({ kind: "io-error", writing: true }, keys), {
    error: "IOERR error or timeout writing to target instance",
    acknowledged: [],
  });
});
