import assert from "node:assert/strict";
import { splitArgs } from "../../lib/split_args.ts";
import { parseClientArgs, parseRedisUri } from "../../cli/client.ts";

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

const NONE = {
  tls: false,
  user: undefined,
  password: undefined,
  hostname: undefined,
  port: undefined,
  db: undefined,
};

Deno.test("parseRedisUri reads redis-cli's URI form", () => {
  assert.deepEqual(parseRedisUri("redis://127.0.0.1:6380/2"), {
    ...NONE,
    hostname: "127.0.0.1",
    port: 6380,
    db: 2,
  });
  assert.deepEqual(parseRedisUri("rediss://al%40ce:p%3Ass@cache.example"), {
    ...NONE,
    tls: true,
    user: "al@ce",
    password: "p:ss",
    hostname: "cache.example",
  });
  // No colon: the userinfo is the password; an empty user is no user.
  assert.deepEqual(parseRedisUri("redis://secret@h"), {
    ...NONE,
    password: "secret",
    hostname: "h",
  });
  assert.deepEqual(parseRedisUri("redis://:secret@[::1]:7000"), {
    ...NONE,
    password: "secret",
    hostname: "::1",
    port: 7000,
  });
  assert.deepEqual(parseRedisUri("http://h:1"), { error: "Invalid URI scheme" });
});

Deno.test("parseClientArgs reads redis-cli's connection and auth flags", () => {
  const parsed = parseClientArgs(["-u", "redis://u:pw@example:7000/3", "-n", "5", "get", "a"]);
  assert.equal(parsed.kind, "run");
  if (parsed.kind !== "run") return;
  const { hostname, port, user, password, db, authWarning, tls } = parsed.options;
  assert.deepEqual({ hostname, port, user, password, db, authWarning, tls }, {
    hostname: "example",
    port: 7000,
    user: "u",
    password: "pw",
    db: 5, // -n wins over the URI's path
    authWarning: true,
    tls: undefined,
  });
  const quiet = parseClientArgs(["--user", "u", "-a", "pw", "--no-auth-warning"]);
  assert.equal(quiet.kind === "run" && quiet.options.authWarning, false);
  // REDISCLI_AUTH is used when no password is given, without the warning.
  const env = parseClientArgs([], { REDISCLI_AUTH: "fromenv" });
  assert.equal(env.kind === "run" && env.options.password, "fromenv");
  assert.equal(env.kind === "run" && env.options.authWarning, false);
  const flagWins = parseClientArgs(["-a", "flag"], { REDISCLI_AUTH: "fromenv" });
  assert.equal(flagWins.kind === "run" && flagWins.options.password, "flag");
  const secure = parseClientArgs(["-u", "rediss://h", "--cacert", "ca.pem"]);
  assert.deepEqual(secure.kind === "run" && secure.options.tls, {
    cacert: "ca.pem",
    cert: undefined,
    key: undefined,
  });
  const socket = parseClientArgs(["-s", "/tmp/kache.sock"]);
  assert.equal(socket.kind === "run" && socket.options.socketPath, "/tmp/kache.sock");
});

Deno.test("parseClientArgs reads -r, -i, -x, --scan and --csv", () => {
  const repeated = parseClientArgs(["-r", "-1", "-i", "0.5", "-x", "set", "a"]);
  assert.equal(repeated.kind, "run");
  if (repeated.kind !== "run") return;
  assert.equal(repeated.options.repeat, -1);
  assert.equal(repeated.options.intervalSeconds, 0.5);
  assert.equal(repeated.options.stdinLastArg, true);
  assert.deepEqual(repeated.options.command, ["set", "a"]);
  const scan = parseClientArgs([
    "--scan",
    "--pattern",
    "user:*",
    "--count",
    "100",
    "--type",
    "hash",
  ]);
  assert.deepEqual(scan.kind === "run" && scan.options.tool, { kind: "scan" });
  assert.deepEqual(scan.kind === "run" && scan.options.scanFilter, {
    pattern: "user:*",
    count: "100",
    type: "hash",
  });
  assert.equal(
    parseClientArgs(["--csv"]).kind === "run" && (parseClientArgs(["--csv"]) as {
      options: { mode: string };
    }).options.mode,
    "csv",
  );
  for (
    const bad of [
      ["-r", "0", "ping"],
      ["-i", "soon", "ping"],
      ["-x"],
      ["--pattern", "a*"],
      ["--scan", "keys", "*"],
      ["--latency", "ping"],
      ["--csv", "--raw"],
      ["-n", "one"],
      ["--kache", "--tls"],
      ["--cert", "c.pem"],
      ["-u", "tcp://h"],
    ]
  ) {
    assert.equal(parseClientArgs(bad).kind, "error", bad.join(" "));
  }
});

Deno.test("parseClientArgs reads redis-cli's modes: --bigkeys, --memkeys, --pipe, --rdb, --eval", () => {
  const run = (args: string[]) => {
    const parsed = parseClientArgs(args);
    assert.equal(parsed.kind, "run", args.join(" "));
    return parsed.kind === "run" ? parsed.options : undefined;
  };
  assert.deepEqual(run(["--bigkeys", "--pattern", "a*"])?.tool, { kind: "bigkeys" });
  assert.deepEqual(run(["--memkeys"])?.tool, { kind: "memkeys", samples: 0 });
  assert.deepEqual(run(["--memkeys-samples", "5"])?.tool, { kind: "memkeys", samples: 5 });
  assert.deepEqual(run(["--memkeys", "--memkeys-samples", "5"])?.tool, {
    kind: "memkeys",
    samples: 5,
  });
  assert.deepEqual(run(["--pipe"])?.tool, { kind: "pipe", timeoutSeconds: 30 });
  assert.deepEqual(run(["--pipe", "--pipe-timeout", "0"])?.tool, {
    kind: "pipe",
    timeoutSeconds: 0,
  });
  assert.deepEqual(run(["--rdb", "-"])?.tool, { kind: "rdb", path: "-" });
  assert.deepEqual(run(["--stat", "-i", "2"])?.tool, { kind: "stat" });
  assert.deepEqual(run(["--latency-history"])?.tool, { kind: "latency-history" });
  assert.deepEqual(run(["--replica"])?.tool, { kind: "replica" });
  // --quoted-pattern takes redis-cli's quoted string: "\x00" is one byte.
  assert.equal(run(["--hotkeys", "--quoted-pattern", '"a\\x00*"'])?.scanFilter.pattern, "a\x00*");
  const evaluated = run(["--eval", "f.lua", "k1", ",", "a1"]);
  assert.equal(evaluated?.evalFile, "f.lua");
  assert.deepEqual(evaluated?.command, ["k1", ",", "a1"]);
  for (
    const bad of [
      ["--bigkeys", "--pipe"],
      ["--latency", "--latency-history"],
      ["--replica", "--rdb", "x.rdb"],
      ["--pipe", "set", "a", "1"],
      ["--stat", "--pattern", "a*"],
      ["--pipe-timeout", "5"],
      ["--pipe", "--pipe-timeout", "soon"],
      ["--memkeys-samples", "-1"],
      ["--scan", "--quoted-pattern", '"unterminated'],
      ["--scan", "--quoted-pattern", "two words"],
      ["--kache", "--bigkeys"],
      ["--kache", "--eval", "f.lua"],
      ["--eval", "f.lua", "--rdb", "x"],
    ]
  ) {
    assert.equal(parseClientArgs(bad).kind, "error", bad.join(" "));
  }
});
