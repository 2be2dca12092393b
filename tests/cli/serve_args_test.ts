import assert from "node:assert/strict";
import { parseServeArguments, type ServeArguments } from "../../cli/serve_args.ts";
import { Config, findConfigParameter, NO_EFFECT_DIRECTIVES } from "../../lib/config.ts";

/** A readFile over an in-memory set of files; anything else is "not found". */
function filesystem(files: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = files[path];
    if (text === undefined) throw new Deno.errors.NotFound(`No such file or directory: ${path}`);
    return text;
  };
}

const NO_FILES = filesystem({});

function parsed(args: string[], files: Record<string, string> = {}): ServeArguments {
  const result = parseServeArguments(args, filesystem(files));
  if ("error" in result) throw new Error(`unexpected error: ${result.error}`);
  return result;
}

function failure(args: string[], files: Record<string, string> = {}): string {
  const result = parseServeArguments(args, filesystem(files));
  assert.ok("error" in result, `expected an error for ${JSON.stringify(args)}`);
  return result.error;
}

Deno.test("parseServeArguments with no arguments gives no settings", () => {
  assert.deepEqual(parseServeArguments([], NO_FILES), {
    settings: [],
    configFile: undefined,
    noEffect: [],
    help: false,
  });
});

Deno.test("parseServeArguments reads --name value pairs in order", () => {
  assert.deepEqual(parsed(["--port", "7000", "--kache-port", "7001", "--loglevel", "debug"]), {
    settings: [["port", "7000"], ["kache-port", "7001"], ["loglevel", "debug"]],
    configFile: undefined,
    noEffect: [],
    help: false,
  });
});

Deno.test("parseServeArguments joins every word up to the next flag into one value", () => {
  assert.deepEqual(parsed(["--bind", "127.0.0.1", "::1", "--port", "1"]).settings, [
    ["bind", "127.0.0.1 ::1"],
    ["port", "1"],
  ]);
});

Deno.test("parseServeArguments reads --name=value and lets more words follow", () => {
  assert.deepEqual(
    parsed(["--port=7002", "--bind=127.0.0.1", "::1", "--requirepass=", "--loglevel=a=b"]).settings,
    [["port", "7002"], ["bind", "127.0.0.1 ::1"], ["requirepass", ""], ["loglevel", "a=b"]],
  );
});

Deno.test("parseServeArguments takes a single-dash word such as -1 as a value", () => {
  assert.deepEqual(parsed(["--timeout", "-1"]).settings, [["timeout", "-1"]]);
});

Deno.test("parseServeArguments lower-cases setting names", () => {
  assert.deepEqual(parsed(["--PORT", "1", "--Kache-Port=2"]).settings, [
    ["port", "1"],
    ["kache-port", "2"],
  ]);
});

Deno.test("parseServeArguments applies the config file first so flags override it", () => {
  const files = {
    "kache.conf": '# settings\nport 7000\nhz 5\n\nbind 127.0.0.1 ::1\nrequirepass "two words"\n',
  };
  const result = parsed(["kache.conf", "--port", "7001"], files);
  assert.equal(result.configFile, "kache.conf");
  assert.deepEqual(result.settings, [
    ["port", "7000"],
    ["hz", "5"],
    ["bind", "127.0.0.1 ::1"],
    ["requirepass", "two words"],
    ["port", "7001"],
  ]);
  const config = new Config();
  for (const [name, value] of result.settings) {
    assert.equal(config.set(name, value, { startup: true }), undefined, name);
  }
  assert.equal(config.number("port"), 7001);
  assert.equal(config.number("hz"), 5);
  assert.equal(config.string("requirepass"), "two words");
});

Deno.test("parseServeArguments lower-cases setting names read from the file", () => {
  assert.deepEqual(parsed(["k.conf"], { "k.conf": "PORT 1\nLogLevel debug" }).settings, [
    ["port", "1"],
    ["loglevel", "debug"],
  ]);
});

Deno.test("parseServeArguments names an unknown flag in its error", () => {
  assert.equal(
    failure(["--port", "1", "--no-such-thing", "5"]),
    'Unknown setting "--no-such-thing". Run "kache serve --help" for the list.',
  );
  assert.equal(
    failure(["--nosuch=5"]),
    'Unknown setting "--nosuch". Run "kache serve --help" for the list.',
  );
});

Deno.test("parseServeArguments reports a flag without a value", () => {
  assert.equal(failure(["--port"]), 'Setting "--port" needs a value');
  assert.equal(failure(["--port", "--hz", "5"]), 'Setting "--port" needs a value');
});

Deno.test("parseServeArguments reports a stray word where a flag belongs", () => {
  assert.equal(
    failure(["a.conf", "b.conf"], { "a.conf": "" }),
    'Unexpected argument "b.conf": settings are written --name value',
  );
});

Deno.test("parseServeArguments reports an unknown setting in the config file", () => {
  assert.equal(
    failure(["k.conf", "--port", "1"], { "k.conf": "port 1\nno-such-setting yes\n" }),
    'Bad config file "k.conf": unknown setting "no-such-setting"',
  );
});

Deno.test("parseServeArguments reports an unreadable config file", () => {
  assert.equal(
    failure(["missing.conf"]),
    'Cannot read config file "missing.conf": No such file or directory: missing.conf',
  );
});

Deno.test("parseServeArguments reports a config file with unbalanced quotes", () => {
  const error = failure(["k.conf"], { "k.conf": 'port 1\nrequirepass "open\n' });
  assert.match(error, /^Bad config file "k\.conf": line 2: /);
});

Deno.test("parseServeArguments answers help for --help or -h anywhere", () => {
  assert.equal(parsed(["--help"]).help, true);
  assert.equal(parsed(["-h"]).help, true);
  assert.equal(parsed(["--port", "1", "--help"]).help, true);
  // Help wins before the file is read.
  assert.equal(parsed(["missing.conf", "--help"]).help, true);
});

Deno.test("parseServeArguments accepts Redis directives without effect and names each once", () => {
  const result = parsed(["redis.conf", "--io-threads-do-reads", "yes"], {
    "redis.conf":
      "tcp-keepalive 300\nbind 127.0.0.1 -::1\ntcp-keepalive 60\njemalloc-bg-thread yes\n",
  });
  assert.deepEqual(result.settings, [["bind", "127.0.0.1 -::1"]]);
  assert.deepEqual(result.noEffect, ["tcp-keepalive", "jemalloc-bg-thread", "io-threads-do-reads"]);
});

Deno.test("parseServeArguments starts a config file asking for io-threads 4 on one thread, naming it", () => {
  const result = parsed(["redis.conf"], { "redis.conf": "io-threads 4\nport 7000\n" });
  assert.deepEqual(result.settings, [["port", "7000"]]);
  assert.deepEqual(result.noEffect, ["io-threads"]);
  // 1 is the setting's true value; an invalid count is still the setting's error.
  assert.deepEqual(parsed(["--io-threads", "1"]).settings, [["io-threads", "1"]]);
  assert.deepEqual(parsed(["--io-threads", "129"]).settings, [["io-threads", "129"]]);
});

Deno.test("parseServeArguments follows include where it stands, so later lines override", () => {
  const result = parsed(["main.conf"], {
    "main.conf": "port 7000\ninclude /etc/extra.conf\nloglevel warning\n",
    "/etc/extra.conf": "port 7001\nloglevel debug\nset-proc-title yes\n",
  });
  assert.deepEqual(result.settings, [
    ["port", "7000"],
    ["port", "7001"],
    ["loglevel", "debug"],
    ["loglevel", "warning"],
  ]);
  assert.deepEqual(result.noEffect, ["set-proc-title"]);
});

Deno.test("parseServeArguments refuses a missing include and an include loop", () => {
  assert.match(
    failure(["a.conf"], { "a.conf": "include b.conf\n" }),
    /Cannot read config file "b.conf"/,
  );
  assert.match(
    failure(["a.conf"], { "a.conf": "include a.conf\n" }),
    /include nested more than 16 deep/,
  );
});

Deno.test("parseServeArguments refuses loadmodule: a module Kache cannot load is not ignorable", () => {
  assert.match(
    failure(["a.conf"], { "a.conf": "loadmodule /usr/lib/redis/modules/x.so\n" }),
    /cannot load Redis modules/,
  );
});

Deno.test("parseServeArguments still refuses a name Redis does not know either", () => {
  assert.match(failure(["a.conf"], { "a.conf": "no-such-thing 1\n" }), /unknown setting/);
  assert.match(failure(["--no-such-thing", "1"]), /Unknown setting "--no-such-thing"/);
});

Deno.test("Config reads unixsocketperm as octal and shows it back in octal", () => {
  const config = new Config();
  assert.equal(config.set("unixsocketperm", "770", { startup: true }), undefined);
  assert.equal(config.number("unixsocketperm"), 0o770);
  assert.deepEqual(config.get((name) => name === "unixsocketperm"), [["unixsocketperm", "770"]]);
  assert.match(config.set("unixsocketperm", "778", { startup: true })!, /octal/);
});

Deno.test("Config takes Debian's process directives at startup and refuses them at run time", () => {
  const config = new Config();
  for (
    const [name, value] of [
      ["daemonize", "yes"],
      ["supervised", "systemd"],
      ["pidfile", "/run/redis/redis-server.pid"],
      ["logfile", "/var/log/redis/redis-server.log"],
      ["databases", "16"],
    ]
  ) {
    assert.equal(config.set(name!, value!, { startup: true }), undefined, name);
    assert.match(config.set(name!, value!, { startup: false })!, /can't set immutable config/);
  }
});

Deno.test("NO_EFFECT_DIRECTIVES leaves out every name Kache implements", () => {
  for (const name of NO_EFFECT_DIRECTIVES) {
    assert.equal(findConfigParameter(name), undefined, name);
  }
  assert.ok(NO_EFFECT_DIRECTIVES.has("jemalloc-bg-thread"));
  assert.ok(!NO_EFFECT_DIRECTIVES.has("hz"));
});
