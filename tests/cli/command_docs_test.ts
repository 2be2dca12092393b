import assert from "node:assert/strict";
import { stringToBytes } from "../../lib/bytes.ts";
import { type ClientReply, RespReplyDecoder } from "../../lib/protocol/resp_reply.ts";
import {
  argumentSyntax,
  type CommandDoc,
  completeSubcommand,
  formatCommandHelp,
  formatHelpIntro,
  formatHelpTopic,
  hintFor,
  ORIGINAL_COMMANDS,
  parseCommandDocs,
  PLAIN_STYLE,
} from "../../cli/command_docs.ts";

interface Fixture {
  readonly command: string;
  readonly resp3: boolean;
  readonly wire: string;
}

const FIXTURES: { cases: Fixture[] } = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/redis_cli_output.json", import.meta.url)),
);

function docsReply(resp3: boolean): ClientReply {
  const fixture = FIXTURES.cases.find((c) =>
    c.command === "command docs set" && c.resp3 === resp3
  )!;
  const bytes = stringToBytes(fixture.wire);
  return new RespReplyDecoder().decode(bytes, 0, bytes.length).replies[0]!;
}

const bulk = (value: string): ClientReply => ({ type: "bulk", value });
const array = (...items: ClientReply[]): ClientReply => ({ type: "array", items });

// redis-cli 7.0.15 `help set`, colours removed.
const REDIS_CLI_HELP_SET = "  SET key value [NX|XX] [GET] [EX seconds|PX milliseconds|" +
  "EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]\n" +
  "  summary: Set the string value of a key\n" +
  "  since: 1.0.0\n" +
  "  group: string\n";

Deno.test("parseCommandDocs reads Redis's COMMAND DOCS over RESP2 and RESP3 alike", () => {
  for (const resp3 of [false, true]) {
    const docs = parseCommandDocs(docsReply(resp3));
    assert.ok(docs !== undefined);
    assert.equal(docs.length, 1);
    assert.equal(formatCommandHelp(docs[0]!, PLAIN_STYLE), REDIS_CLI_HELP_SET);
  }
});

Deno.test("parseCommandDocs returns undefined for replies that are not docs", () => {
  assert.equal(parseCommandDocs({ type: "error", message: "ERR unknown command" }), undefined);
  assert.equal(parseCommandDocs({ type: "status-code", status: 1, item: undefined }), undefined);
  assert.equal(parseCommandDocs(array()), undefined);
  assert.equal(parseCommandDocs(array(bulk("odd"))), undefined);
});

Deno.test("parseCommandDocs lists subcommands under their parent's name", () => {
  const docs = parseCommandDocs(array(
    bulk("config"),
    array(
      bulk("summary"),
      bulk("A container"),
      bulk("group"),
      bulk("server"),
      bulk("subcommands"),
      array(
        bulk("config|get"),
        array(
          bulk("summary"),
          bulk("Get parameters"),
          bulk("group"),
          bulk("server"),
          bulk("arguments"),
          array(array(
            bulk("name"),
            bulk("parameter"),
            bulk("type"),
            bulk("string"),
            bulk("flags"),
            array({ type: "status", value: "multiple" }),
          )),
        ),
      ),
    ),
  ))!;
  assert.deepEqual(docs.map((doc) => [doc.name, doc.syntax]), [
    ["CONFIG", ""],
    ["CONFIG GET", "parameter [parameter ...]"],
  ]);
  const help = formatHelpTopic(docs, ["config"], PLAIN_STYLE)!;
  assert.match(help, /CONFIG GET parameter \[parameter \.\.\.\]/);
  assert.equal(formatHelpTopic(docs, ["nope"], PLAIN_STYLE), undefined);
});

/** Builds one argument spec as COMMAND DOCS sends it (flattened, as over RESP2). */
function argument(fields: Record<string, string | string[] | ClientReply[]>): ClientReply {
  const items: ClientReply[] = [];
  for (const [key, value] of Object.entries(fields)) {
    items.push(bulk(key));
    if (typeof value === "string") {
      items.push(bulk(value));
    } else {
      // Flags are simple strings on the wire; nested arguments are replies already.
      const elements = value.map((v): ClientReply =>
        typeof v === "string" ? { type: "status", value: v } : v
      );
      items.push(array(...elements));
    }
  }
  return array(...items);
}

Deno.test("argumentSyntax renders tokens, choices, blocks and repeats as redis-cli", () => {
  assert.equal(argumentSyntax(argument({ name: "key", type: "key" })), "key");
  assert.equal(
    argumentSyntax(
      argument({ name: "get", type: "pure-token", token: "GET", flags: ["optional"] }),
    ),
    "[GET]",
  );
  const scoreMember = argument({
    name: "data",
    type: "block",
    flags: ["multiple"],
    arguments: [
      argument({ name: "score", type: "double" }),
      argument({ name: "member", type: "string" }),
    ],
  });
  assert.equal(argumentSyntax(scoreMember), "score member [score member ...]");
  const limit = argument({
    name: "limit",
    type: "block",
    token: "LIMIT",
    flags: ["optional"],
    arguments: [
      argument({ name: "offset", type: "integer" }),
      argument({ name: "count", type: "integer" }),
    ],
  });
  assert.equal(argumentSyntax(limit), "[LIMIT offset count]");
  const weights = argument({
    name: "weight",
    type: "integer",
    token: "WEIGHTS",
    flags: ["optional", "multiple"],
  });
  assert.equal(argumentSyntax(weights), "[WEIGHTS weight [weight ...]]");
  const getPattern = argument({
    name: "pattern",
    type: "pattern",
    token: "GET",
    flags: ["optional", "multiple", "multiple_token"],
  });
  assert.equal(argumentSyntax(getPattern), "[GET pattern [GET pattern ...]]");
  const emptyKey = argument({ name: "empty-key", type: "pure-token", token: "" });
  assert.equal(argumentSyntax(emptyKey), '""');
  assert.equal(
    argumentSyntax(argument({ name: "x", display_text: "shown", type: "string" })),
    "shown",
  );
});

Deno.test("formatHelpIntro groups command names and skips subcommands", () => {
  const intro = formatHelpIntro(ORIGINAL_COMMANDS);
  assert.match(intro, /"quit" to exit/);
  assert.match(intro, /@kache: set get del expire persist zadd zrem zscore zquery\n/);
});

Deno.test("formatHelpTopic finds the original commands and groups", () => {
  assert.equal(
    formatHelpTopic(ORIGINAL_COMMANDS, ["ZQUERY"], PLAIN_STYLE),
    "\n  zquery <key> <score> <name> <offset> <limit>\n" +
      "  summary: Query a sorted set with ordering and pagination\n  group: kache\n\n",
  );
  const group = formatHelpTopic(ORIGINAL_COMMANDS, ["@kache"], PLAIN_STYLE)!;
  assert.equal(group.match(/summary:/g)?.length, 9);
  assert.doesNotMatch(group, /group:/);
});

const HINT_DOCS: CommandDoc[] = [
  { name: "SET", syntax: "key value [NX|XX] [GET]", summary: "", group: "string" },
  { name: "CONFIG", syntax: "", summary: "", group: "server" },
  { name: "CONFIG GET", syntax: "parameter [parameter ...]", summary: "", group: "server" },
  {
    name: "CONFIG SET",
    syntax: "parameter value [parameter value ...]",
    summary: "",
    group: "server",
  },
  { name: "CONFIG RESETSTAT", syntax: "", summary: "", group: "server" },
];

Deno.test("hintFor drops typed arguments as redis-cli's hintsCallback does", () => {
  // Expected strings follow redis-cli 7.0's hintsCallback on the same syntax.
  assert.equal(hintFor(HINT_DOCS, ["set"], false), " key value [NX|XX] [GET]");
  assert.equal(hintFor(HINT_DOCS, ["SET", "k"], false), " value [NX|XX] [GET]");
  assert.equal(hintFor(HINT_DOCS, ["set", "k"], true), "value [NX|XX] [GET]");
  // Optional parts stay once reached.
  assert.equal(hintFor(HINT_DOCS, ["set", "k", "v", "nx"], true), "[NX|XX] [GET]");
  // The longest name wins: CONFIG GET, not CONFIG.
  assert.equal(hintFor(HINT_DOCS, ["config", "get"], true), "parameter [parameter ...]");
  assert.equal(hintFor(HINT_DOCS, ["nosuch"], true), undefined);
  assert.equal(hintFor(HINT_DOCS, [], true), undefined);
});

Deno.test("completeSubcommand completes `config g` in the case typed", () => {
  assert.deepEqual(completeSubcommand(HINT_DOCS, "config g"), { word: "g", hits: ["get"] });
  assert.deepEqual(completeSubcommand(HINT_DOCS, "CONFIG RE"), { word: "RE", hits: ["RESETSTAT"] });
  assert.deepEqual(completeSubcommand(HINT_DOCS, "config s")?.hits, ["set"]);
  assert.deepEqual(completeSubcommand(HINT_DOCS, "set k")?.hits, []);
  assert.equal(completeSubcommand(HINT_DOCS, "config get x"), undefined);
});
