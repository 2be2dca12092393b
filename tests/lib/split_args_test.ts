import assert from "node:assert/strict";
import { splitArgs } from "../../lib/split_args.ts";
import { parseClientArgs } from "../../cli/client.ts";

// Expected values were checked against redis-cli 7.0.15 (`rpush t <line>` then `lrange t 0 -1`).
Deno.test("splitArgs splits on blanks and skips runs of them", () => {
  assert.deepEqual(splitArgs("a b  c"), ["a", "b", "c"]);
  assert.deepEqual(splitArgs("  leading   and trailing  "), ["leading", "and", "trailing"]);
  assert.deepEqual(splitArgs(""), []);
  assert.deepEqual(splitArgs("   \t "), []);
  assert.deepEqual(splitArgs("set a 1\r"), ["set", "a", "1"]);
});

Deno.test("splitArgs reads double quotes with escapes", () => {
  assert.deepEqual(splitArgs('"a b" c'), ["a b", "c"]);
  assert.deepEqual(splitArgs('"\\x41\\x4a\\x4A\\x4g"'), ["AJJx4g"]);
  assert.deepEqual(splitArgs('"\\n\\r\\t\\b\\a\\\\\\"\\z"'), ['\n\r\t\b\x07\\"z']);
  assert.deepEqual(splitArgs('"\\xff\\x00\\x80"'), ["\xff\x00\x80"]);
  assert.deepEqual(splitArgs('"tab\tinside"'), ["tab\tinside"]);
  assert.deepEqual(splitArgs("\"\" ''"), ["", ""]);
});

Deno.test("splitArgs takes single quotes literally except \\'", () => {
  assert.deepEqual(splitArgs("'a b' c"), ["a b", "c"]);
  assert.deepEqual(splitArgs("'it\\'s' 'a\\nb' 'x\\\\y'"), ["it's", "a\\nb", "x\\\\y"]);
});

Deno.test("splitArgs lets quotes open inside an argument", () => {
  assert.deepEqual(splitArgs("a'b c'"), ["ab c"]);
  assert.deepEqual(splitArgs('k"v w"'), ["kv w"]);
});

Deno.test("splitArgs keeps backslashes outside quotes", () => {
  assert.deepEqual(splitArgs("x\\ty"), ["x\\ty"]);
  assert.deepEqual(splitArgs("a\\x41"), ["a\\x41"]);
});

Deno.test("splitArgs rejects unbalanced quotes and text glued to a closing quote", () => {
  assert.equal(splitArgs('"unterminated'), undefined);
  assert.equal(splitArgs("'unterminated"), undefined);
  assert.equal(splitArgs('"a\\"'), undefined);
  assert.equal(splitArgs('"abc"def'), undefined);
  assert.equal(splitArgs("'abc'def"), undefined);
  assert.equal(splitArgs('a"b c"d'), undefined);
});

Deno.test("splitArgs passes one-byte strings through, UTF-8 bytes included", () => {
  assert.deepEqual(splitArgs('"\xc3\xa9" \xff'), ["\xc3\xa9", "\xff"]);
});

Deno.test("splitArgs stops at NUL as the C version does", () => {
  assert.deepEqual(splitArgs("a b\0c d"), ["a", "b"]);
});

Deno.test("parseClientArgs applies defaults per protocol", () => {
  const resp = parseClientArgs([]);
  assert.equal(resp.kind, "run");
  if (resp.kind !== "run") return;
  assert.equal(resp.options.hostname, "127.0.0.1");
  assert.equal(resp.options.port, 6379);
  assert.equal(resp.options.protocol, "resp");
  assert.equal(resp.options.mode, undefined);
  const kache = parseClientArgs(["--kache"]);
  assert.equal(kache.kind === "run" && kache.options.port, 1234);
});

Deno.test("parseClientArgs ends flags at the first command word", () => {
  const parsed = parseClientArgs(["-h", "example", "-p6380", "-3", "incrby", "n", "-1", "--raw"]);
  assert.equal(parsed.kind, "run");
  if (parsed.kind !== "run") return;
  assert.equal(parsed.options.hostname, "example");
  assert.equal(parsed.options.port, 6380);
  assert.equal(parsed.options.resp3, true);
  assert.deepEqual(parsed.options.command, ["incrby", "n", "-1", "--raw"]);
  const dashed = parseClientArgs(["--pass=secret", "--", "-x"]);
  assert.equal(dashed.kind === "run" && dashed.options.password, "secret");
  assert.deepEqual(dashed.kind === "run" && dashed.options.command, ["-x"]);
});

Deno.test("parseClientArgs reports bad flags as errors", () => {
  assert.equal(parseClientArgs(["--bogus"]).kind, "error");
  assert.equal(parseClientArgs(["-h"]).kind, "error");
  assert.equal(parseClientArgs(["-p", "70000"]).kind, "error");
  assert.equal(parseClientArgs(["-p", "12ab"]).kind, "error");
  assert.equal(parseClientArgs(["--kache", "-3"]).kind, "error");
  assert.equal(parseClientArgs(["--raw", "--no-raw"]).kind, "error");
  assert.equal(parseClientArgs(["--help"]).kind, "help");
  const raw = parseClientArgs(["--no-raw", "-e", "get", "a"]);
  assert.equal(raw.kind === "run" && raw.options.mode, "standard");
  assert.equal(raw.kind === "run" && raw.options.exitOnError, true);
});
