import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { CommandError, NOT_INTEGER, SYNTAX } from "../../lib/errors.ts";
import { INVALID_CURSOR, parseScanCursor, parseScanOptions } from "../../lib/scan.ts";

function expectCommandError(run: () => unknown, message: string): void {
  throws(run, (error) => error instanceof CommandError && error.message === message);
}

Deno.test("parseScanCursor follows strtoul: sign, wrap-around, empty string, no spaces", () => {
  strictEqual(parseScanCursor("0"), 0);
  strictEqual(parseScanCursor(""), 0);
  strictEqual(parseScanCursor("+0"), 0);
  strictEqual(parseScanCursor("-0"), 0);
  strictEqual(parseScanCursor("007"), 7);
  strictEqual(parseScanCursor("123456789"), 123456789);
  strictEqual(parseScanCursor("9007199254740991"), 9007199254740991);
  strictEqual(parseScanCursor("9007199254740992"), 9007199254740992n);
  strictEqual(parseScanCursor("18446744073709551615"), 18446744073709551615n);
  strictEqual(parseScanCursor("-1"), 18446744073709551615n);
  strictEqual(parseScanCursor("-18446744073709551615"), 1);
  for (
    const bad of [
      "18446744073709551616",
      "-18446744073709551616",
      " 0",
      "0 ",
      "abc",
      "-",
      "+",
      "1.5",
      "0x10",
    ]
  ) {
    expectCommandError(() => parseScanCursor(bad), INVALID_CURSOR);
  }
});

Deno.test("parseScanOptions reads MATCH, COUNT and TYPE, the last of each winning", () => {
  const options = parseScanOptions(
    ["scan", "0", "match", "a*", "COUNT", "5", "count", "7", "type", "ZSET"],
    { from: 2, allowType: true },
  );
  strictEqual(options.count, 7);
  strictEqual(options.type, "ZSET");
  ok(options.match?.test("abc"));
  ok(!options.match?.test("bc"));
  deepStrictEqual(parseScanOptions(["scan", "0", "MATCH", "*"], { from: 2, allowType: true }), {
    match: undefined,
    count: 10,
    type: undefined,
  });
});

Deno.test("parseScanOptions refuses bad counts, dangling options and TYPE where not allowed", () => {
  const settings = { from: 2, allowType: true };
  expectCommandError(() => parseScanOptions(["scan", "0", "count", "0"], settings), SYNTAX);
  expectCommandError(() => parseScanOptions(["scan", "0", "count", "-1"], settings), SYNTAX);
  expectCommandError(() => parseScanOptions(["scan", "0", "count", "x"], settings), NOT_INTEGER);
  expectCommandError(() => parseScanOptions(["scan", "0", "match"], settings), SYNTAX);
  expectCommandError(() => parseScanOptions(["scan", "0", "foo", "bar"], settings), SYNTAX);
  expectCommandError(
    () => parseScanOptions(["zscan", "k", "0", "type", "zset"], { from: 3, allowType: false }),
    SYNTAX,
  );
});
