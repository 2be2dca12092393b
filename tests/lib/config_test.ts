import assert from "node:assert/strict";
import {
  Config,
  CONFIG_ALIASES,
  CONFIG_PARAMETERS,
  type ConfigParameter,
  type ConfigValue,
  findConfigParameter,
  formatConfigValue,
  parseConfigFile,
  parseConfigValue,
} from "../../lib/config.ts";
import { globMatch } from "../../lib/glob.ts";

function parameter(name: string): ConfigParameter {
  const found = findConfigParameter(name);
  assert.ok(found, `no parameter ${name}`);
  return found;
}

const BOOLEAN: ConfigParameter = {
  name: "test-flag",
  type: { kind: "boolean" },
  default: "no",
  mutable: true,
  description: "a boolean, for tests",
};

Deno.test("parseConfigValue reads memory sizes with Redis's units", () => {
  const memory = parameter("proto-max-bulk-len");
  const table: [string, number][] = [
    ["0", 0],
    ["1", 1],
    ["1b", 1],
    ["1k", 1000],
    ["1kb", 1024],
    ["1m", 1_000_000],
    ["1mb", 1024 * 1024],
    ["1g", 1_000_000_000],
    ["1gb", 1024 ** 3],
    ["512mb", 512 * 1024 * 1024],
    ["2MB", 2 * 1024 * 1024],
    ["3Kb", 3 * 1024],
    ["4G", 4_000_000_000],
  ];
  for (const [text, value] of table) {
    assert.deepEqual(parseConfigValue(memory, text), { value }, text);
  }
});

Deno.test("parseConfigValue refuses malformed memory sizes", () => {
  const memory = parameter("kache-max-frame");
  for (const text of ["", "mb", "-1", "1.5mb", "1 mb", "1tb", "2xb", "1kbb", " 1", "0x10"]) {
    assert.deepEqual(
      parseConfigValue(memory, text),
      { error: "argument must be a memory value" },
      JSON.stringify(text),
    );
  }
});

Deno.test("parseConfigValue reads integers within the parameter's bounds inclusive", () => {
  const hz = parameter("hz");
  assert.deepEqual(parseConfigValue(hz, "1"), { value: 1 });
  assert.deepEqual(parseConfigValue(hz, "500"), { value: 500 });
  for (const text of ["0", "501", "-1"]) {
    assert.deepEqual(
      parseConfigValue(hz, text),
      { error: "argument must be between 1 and 500 inclusive" },
      text,
    );
  }
  const port = parameter("port");
  assert.deepEqual(parseConfigValue(port, "0"), { value: 0 });
  assert.deepEqual(parseConfigValue(port, "65535"), { value: 65535 });
  assert.deepEqual(parseConfigValue(port, "65536"), {
    error: "argument must be between 0 and 65535 inclusive",
  });
});

Deno.test("parseConfigValue refuses integers Redis's string2ll refuses", () => {
  // Checked against redis-server 7.0: CONFIG SET timeout 007 / +5 / 1.5 all fail to parse.
  const timeout = parameter("timeout");
  for (
    const text of [
      "",
      "abc",
      "1.5",
      "+5",
      "007",
      "-0",
      " 5",
      "5 ",
      "1e3",
      "0x10",
      "99999999999999999999",
    ]
  ) {
    assert.deepEqual(
      parseConfigValue(timeout, text),
      { error: "argument couldn't be parsed into an integer" },
      JSON.stringify(text),
    );
  }
});

Deno.test("parseConfigValue reads enums case-insensitively and lists the choices on error", () => {
  const loglevel = parameter("loglevel");
  assert.deepEqual(parseConfigValue(loglevel, "warning"), { value: "warning" });
  assert.deepEqual(parseConfigValue(loglevel, "WARNING"), { value: "warning" });
  assert.deepEqual(parseConfigValue(loglevel, "loud"), {
    error: "argument(s) must be one of the following: debug, verbose, notice, warning, nothing",
  });
});

Deno.test("parseConfigValue reads yes/no booleans and passes strings through", () => {
  assert.deepEqual(parseConfigValue(BOOLEAN, "yes"), { value: true });
  assert.deepEqual(parseConfigValue(BOOLEAN, "NO"), { value: false });
  assert.deepEqual(parseConfigValue(BOOLEAN, "true"), { error: "argument must be 'yes' or 'no'" });
  assert.deepEqual(parseConfigValue(parameter("bind"), " 127.0.0.1 ::1 "), {
    value: " 127.0.0.1 ::1 ",
  });
  assert.deepEqual(parseConfigValue(parameter("requirepass"), ""), { value: "" });
});

Deno.test("formatConfigValue writes values as CONFIG GET shows them", () => {
  assert.equal(formatConfigValue(BOOLEAN, true), "yes");
  assert.equal(formatConfigValue(BOOLEAN, false), "no");
  assert.equal(formatConfigValue(parameter("port"), 6379), "6379");
  assert.equal(formatConfigValue(parameter("proto-max-bulk-len"), 536870912), "536870912");
  assert.equal(formatConfigValue(parameter("loglevel"), "notice"), "notice");
});

Deno.test("findConfigParameter is case-insensitive", () => {
  assert.equal(findConfigParameter("PORT")?.name, "port");
  assert.equal(findConfigParameter("Kache-Max-Frame")?.name, "kache-max-frame");
  assert.equal(findConfigParameter("nosuch"), undefined);
});

Deno.test("every parameter's default parses under its own type", () => {
  for (const entry of CONFIG_PARAMETERS) {
    assert.ok("value" in parseConfigValue(entry, entry.default), entry.name);
  }
  assert.equal(
    new Set(CONFIG_PARAMETERS.map((entry) => entry.name)).size,
    CONFIG_PARAMETERS.length,
  );
});

Deno.test("Config starts from the defaults, typed", () => {
  const config = new Config();
  assert.equal(config.number("port"), 6379);
  assert.equal(config.number("kache-port"), 1234);
  assert.equal(config.number("proto-max-bulk-len"), 512 * 1024 * 1024);
  assert.equal(config.number("kache-max-args"), 1048576);
  assert.equal(config.string("bind"), "127.0.0.1");
  assert.equal(config.string("loglevel"), "notice");
  assert.equal(config.string("requirepass"), "");
  assert.equal(config.number("active-expire-batch"), 2000);
});

Deno.test("Config.set stores a typed value under the canonical name", () => {
  const config = new Config();
  assert.equal(config.set("TIMEOUT", "30", { startup: false }), undefined);
  assert.equal(config.number("timeout"), 30);
  assert.equal(config.set("kache-max-frame", "4kb", { startup: false }), undefined);
  assert.equal(config.number("kache-max-frame"), 4096);
  assert.equal(config.set("loglevel", "DEBUG", { startup: false }), undefined);
  assert.equal(config.string("loglevel"), "debug");
});

Deno.test("Config.set refuses an unknown name with Redis's text", () => {
  const config = new Config();
  assert.equal(
    config.set("nosuch", "1", { startup: true }),
    "Unknown option or number of arguments for CONFIG SET - 'nosuch'",
  );
});

Deno.test("Config.set refuses immutable settings at run time but not at startup", () => {
  const config = new Config();
  assert.equal(
    config.set("port", "7000", { startup: false }),
    "CONFIG SET failed (possibly related to argument 'port') - can't set immutable config",
  );
  assert.equal(config.number("port"), 6379);
  assert.equal(config.set("PORT", "7000", { startup: true }), undefined);
  assert.equal(config.number("port"), 7000);
});

Deno.test("Config io-threads is 1: setting it to more threads is refused", () => {
  const config = new Config();
  assert.equal(config.number("io-threads"), 1);
  assert.equal(config.set("io-threads", "1", { startup: true }), undefined);
  assert.equal(
    config.set("io-threads", "4", { startup: true }),
    "CONFIG SET failed (possibly related to argument 'io-threads') - " +
      "Kache serves every client from one thread: io-threads must be 1",
  );
  assert.equal(
    config.set("io-threads", "129", { startup: true }),
    "CONFIG SET failed (possibly related to argument 'io-threads') - " +
      "argument must be between 1 and 128 inclusive",
  );
  assert.equal(config.number("io-threads"), 1);
});

Deno.test("Config.set refuses bad values with Redis's text and keeps the old value", () => {
  const config = new Config();
  assert.equal(
    config.set("timeout", "abc", { startup: false }),
    "CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer",
  );
  assert.equal(
    config.set("maxclients", "0", { startup: false }),
    "CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 1000000 inclusive",
  );
  assert.equal(
    config.set("Proto-Max-Bulk-Len", "1.5mb", { startup: false }),
    "CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be a memory value",
  );
  assert.equal(config.number("timeout"), 0);
  assert.equal(config.number("maxclients"), 10000);
});

Deno.test("Config.set tells listeners about successful changes only", () => {
  const config = new Config();
  const changes: [string, ConfigValue][] = [];
  config.onChange((name, value) => changes.push([name, value]));
  config.set("HZ", "20", { startup: false });
  config.set("hz", "0", { startup: false });
  config.set("port", "1", { startup: false });
  config.set("loglevel", "Verbose", { startup: false });
  assert.deepEqual(changes, [["hz", 20], ["loglevel", "verbose"]]);
});

Deno.test("Config.get returns the parameters the matcher accepts, formatted, in table order", () => {
  const config = new Config();
  config.set("timeout", "5", { startup: false });
  assert.deepEqual(config.get((name) => globMatch("*port*", name)), [
    ["port", "6379"],
    ["kache-port", "1234"],
    ["http-port", "0"],
    ["tls-port", "0"],
    ["replica-announce-port", "0"],
    ["slave-announce-port", "0"],
  ]);
  assert.deepEqual(config.get((name) => name === "timeout"), [["timeout", "5"]]);
  assert.deepEqual(config.get((name) => globMatch("kache-max-*", name)), [
    ["kache-max-frame", "536870912"],
    ["kache-max-args", "1048576"],
  ]);
  assert.deepEqual(config.get(() => false), []);
  // Every parameter, then the old names Redis still answers to (lua-time-limit).
  assert.equal(config.get(() => true).length, CONFIG_PARAMETERS.length + CONFIG_ALIASES.size);
});

Deno.test("parseConfigFile skips comments and blank lines and splits words", () => {
  const text = [
    "# Kache configuration",
    "",
    "port 7000",
    "   ",
    "  # indented comment",
    "\tbind 127.0.0.1   ::1\t",
    "loglevel warning\r",
    "save 900 1 300 10",
    "",
  ].join("\n");
  assert.deepEqual(parseConfigFile(text), {
    lines: [
      ["port", "7000"],
      ["bind", "127.0.0.1", "::1"],
      ["loglevel", "warning"],
      ["save", "900", "1", "300", "10"],
    ],
  });
  assert.deepEqual(parseConfigFile("port 1\r\nhz 5\r\n"), { lines: [["port", "1"], ["hz", "5"]] });
  assert.deepEqual(parseConfigFile(""), { lines: [] });
});

Deno.test("parseConfigFile reads double- and single-quoted values", () => {
  const text = [
    `requirepass "with space"`,
    `bind ''`,
    `save ""`,
    `requirepass 'a "double" inside'`,
    `requirepass "say \\"hi\\""`,
    `requirepass 'back\\'slash'`,
    `requirepass "#not a comment"`,
  ].join("\n");
  assert.deepEqual(parseConfigFile(text), {
    lines: [
      ["requirepass", "with space"],
      ["bind", ""],
      ["save", ""],
      ["requirepass", `a "double" inside`],
      ["requirepass", `say "hi"`],
      ["requirepass", "back'slash"],
      ["requirepass", "#not a comment"],
    ],
  });
});

Deno.test("parseConfigFile decodes escapes inside double quotes as redis-server does", () => {
  // Checked against redis-server 7.0: `requirepass "a\x41\n b"` sets "aA\n b".
  const parsed = parseConfigFile(`requirepass "a\\x41\\n b\\t\\r\\\\\\q"`);
  assert.deepEqual(parsed, { lines: [["requirepass", "aA\n b\t\r\\q"]] });
});

Deno.test("parseConfigFile reports unbalanced quotes with the line number", () => {
  // redis-server 7.0 refuses both: "Unbalanced quotes in configuration line".
  for (const line of [`requirepass "abc`, `requirepass 'abc`, `requirepass "a"b`]) {
    const parsed = parseConfigFile(`port 1\n${line}\n`);
    assert.ok("error" in parsed, line);
    assert.match(parsed.error, /^line 2: /, line);
    assert.match(parsed.error, /quote/i, line);
  }
});

Deno.test("Config.set keeps requirepass as the bytes a client sends, from startup text or CONFIG SET", () => {
  const config = new Config();
  // From argv or a config file the text is UTF-8: stored as its 12 bytes.
  assert.equal(config.set("requirepass", "пароль", { startup: true }), undefined);
  assert.equal(config.string("requirepass"), "\xd0\xbf\xd0\xb0\xd1\x80\xd0\xbe\xd0\xbb\xd1\x8c");
  // Over RESP the value already is those bytes, one char each: kept as is.
  assert.equal(config.set("requirepass", "\xd0\xbf", { startup: false }), undefined);
  assert.equal(config.string("requirepass"), "\xd0\xbf");
});

Deno.test("Config.set refuses paths in dbfilename, appendfilename and appenddirname with Redis's text", () => {
  const config = new Config();
  const failure = (name: string, value: string) => config.set(name, value, { startup: true });
  assert.equal(
    failure("dbfilename", "../../root/.ssh/authorized_keys"),
    "CONFIG SET failed (possibly related to argument 'dbfilename') - dbfilename can't be a path, just a filename",
  );
  assert.match(failure("dbfilename", "a\\b")!, /dbfilename can't be a path, just a filename$/);
  assert.match(
    failure("appendfilename", "x/y.aof")!,
    /appendfilename can't be a path, just a filename$/,
  );
  assert.match(failure("appendfilename", "")!, /appendfilename can't be empty$/);
  assert.match(
    failure("appenddirname", "../up")!,
    /appenddirname can't be a path, just a dirname$/,
  );
  assert.match(failure("appenddirname", "")!, /appenddirname can't be empty$/);
  assert.equal(config.string("dbfilename"), "dump.rdb");
  // An empty dbfilename is allowed, as in Redis.
  assert.equal(failure("dbfilename", ""), undefined);
});

Deno.test("enable-protected-configs takes no, yes or local and only at startup", () => {
  const config = new Config();
  assert.equal(config.string("enable-protected-configs"), "no");
  assert.equal(config.set("enable-protected-configs", "LOCAL", { startup: true }), undefined);
  assert.equal(config.string("enable-protected-configs"), "local");
  assert.match(
    config.set("enable-protected-configs", "yes", { startup: false })!,
    /can't set immutable config$/,
  );
  assert.match(
    config.set("enable-protected-configs", "maybe", { startup: true })!,
    /must be one of the following: no, yes, local$/,
  );
});
