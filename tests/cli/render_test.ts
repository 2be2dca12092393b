import assert from "node:assert/strict";
import { stringToBytes } from "../../lib/bytes.ts";
import { type ClientReply, RespReplyDecoder } from "../../lib/protocol/resp_reply.ts";
import { describeStatus, renderReply } from "../../cli/render.ts";
import { quoteString } from "../../lib/format.ts";

interface Fixture {
  readonly command: string;
  readonly resp3: boolean;
  readonly wire: string;
  readonly standard: string;
  readonly raw: string;
}

const FIXTURES: { cases: Fixture[] } = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/redis_cli_output.json", import.meta.url)),
);

function decodeWire(wire: string): ClientReply {
  const bytes = stringToBytes(wire);
  const result = new RespReplyDecoder().decode(bytes, 0, bytes.length);
  assert.equal(result.error, undefined);
  assert.equal(result.replies.length, 1);
  return result.replies[0]!;
}

Deno.test("renderReply matches redis-cli's output byte for byte on captured replies", () => {
  assert.ok(FIXTURES.cases.length > 20);
  for (const fixture of FIXTURES.cases) {
    const reply = decodeWire(fixture.wire);
    const label = `${fixture.command} (RESP${fixture.resp3 ? 3 : 2})`;
    assert.equal(renderReply(reply), fixture.standard, `standard: ${label}`);
    assert.equal(renderReply(reply, "raw"), fixture.raw, `raw: ${label}`);
  }
});

const bulk = (value: string): ClientReply => ({ type: "bulk", value });
const integer = (value: bigint): ClientReply => ({ type: "integer", value });
const array = (...items: ClientReply[]): ClientReply => ({ type: "array", items });

Deno.test("renderReply prints scalars as redis-cli does", () => {
  assert.equal(renderReply({ type: "status", value: "OK" }), "OK\n");
  assert.equal(renderReply({ type: "error", message: "ERR nope" }), "(error) ERR nope\n");
  assert.equal(renderReply(integer(-9223372036854775808n)), "(integer) -9223372036854775808\n");
  assert.equal(renderReply(bulk("a b")), '"a b"\n');
  assert.equal(renderReply({ type: "null" }), "(nil)\n");
  assert.equal(renderReply({ type: "null-array" }), "(nil)\n");
  assert.equal(renderReply({ type: "double", value: 3.141, text: "3.141" }), "(double) 3.141\n");
  assert.equal(renderReply({ type: "boolean", value: true }), "(true)\n");
  assert.equal(renderReply({ type: "boolean", value: false }), "(false)\n");
  assert.equal(
    renderReply({ type: "big-number", value: 1234567999999999999999999999999999999n }),
    "(big number) 1234567999999999999999999999999999999\n",
  );
  // Verbatim text is printed as it is (redis-cli's RESP3 `DEBUG PROTOCOL verbatim`).
  assert.equal(
    renderReply({ type: "verbatim", format: "txt", value: "This is a verbatim\nstring" }),
    "This is a verbatim\nstring\n",
  );
});

Deno.test("renderReply names empty aggregates by type", () => {
  assert.equal(renderReply(array()), "(empty array)\n");
  assert.equal(renderReply({ type: "set", items: [] }), "(empty set)\n");
  assert.equal(renderReply({ type: "map", entries: [] }), "(empty hash)\n");
  assert.equal(renderReply({ type: "push", items: [] }), "(empty push)\n");
});

Deno.test("renderReply numbers sets with ~ and maps with # and =>", () => {
  // redis-cli -3 DEBUG PROTOCOL set / map
  assert.equal(
    renderReply({ type: "set", items: [integer(0n), integer(1n), integer(2n)] }),
    "1~ (integer) 0\n2~ (integer) 1\n3~ (integer) 2\n",
  );
  assert.equal(
    renderReply({
      type: "map",
      entries: [
        [integer(0n), { type: "boolean", value: false }],
        [integer(1n), { type: "boolean", value: true }],
      ],
    }),
    "1# (integer) 0 => (false)\n2# (integer) 1 => (true)\n",
  );
});

Deno.test("renderReply starts a multi-line map value on its own line", () => {
  const reply: ClientReply = {
    type: "map",
    entries: [
      [bulk("one"), array(bulk("x"))],
      [bulk("two"), array(bulk("x"), bulk("y"))],
      [bulk("three"), { type: "map", entries: [[bulk("k"), bulk("v")]] }],
    ],
  };
  assert.equal(
    renderReply(reply),
    '1# "one" => 1) "x"\n' +
      '2# "two" => \n   1) "x"\n   2) "y"\n' +
      '3# "three" => 1# "k" => "v"\n',
  );
});

Deno.test("renderReply pads indexes to the widest and indents nested levels by it", () => {
  const items = Array.from({ length: 10 }, (_, i) => bulk(String(i)));
  items[9] = array(bulk("a"), array(bulk("b"), bulk("c")));
  assert.equal(
    renderReply(array(...items)),
    ' 1) "0"\n 2) "1"\n 3) "2"\n 4) "3"\n 5) "4"\n 6) "5"\n 7) "6"\n 8) "7"\n 9) "8"\n' +
      '10) 1) "a"\n    2) 1) "b"\n       2) "c"\n',
  );
});

Deno.test("renderReply prints pushes like arrays, invalidations on one line", () => {
  assert.equal(
    renderReply({ type: "push", items: [bulk("message"), bulk("ch"), bulk("hi")] }),
    '1) "message"\n2) "ch"\n3) "hi"\n',
  );
  assert.equal(
    renderReply({ type: "push", items: [bulk("invalidate"), array(bulk("a"), bulk("b"))] }),
    "-> invalidate: 'a', 'b'\n",
  );
});

Deno.test("renderReply raw prints values only, one per line", () => {
  assert.equal(renderReply({ type: "null" }, "raw"), "\n");
  assert.equal(renderReply({ type: "error", message: "ERR x" }, "raw"), "ERR x\n\n");
  assert.equal(renderReply(bulk("\xff\n"), "raw"), "\xff\n\n");
  assert.equal(renderReply({ type: "boolean", value: true }, "raw"), "(true)\n");
  assert.equal(renderReply({ type: "double", value: 1.5, text: "1.5" }, "raw"), "1.5\n");
  assert.equal(renderReply({ type: "big-number", value: 12n }, "raw"), "12\n");
  assert.equal(renderReply(array(bulk("a"), array(bulk("b"), integer(1n))), "raw"), "a\nb\n1\n");
  assert.equal(
    renderReply(
      { type: "map", entries: [[bulk("k1"), bulk("v1")], [bulk("k2"), bulk("v2")]] },
      "raw",
    ),
    "k1 v1\nk2 v2\n",
  );
  assert.equal(renderReply(bulk("# Server\r\n"), "verbatim"), "# Server\r\n");
});

Deno.test("renderReply shows a binary-protocol status after the item, or alone", () => {
  const notFound: ClientReply = { type: "status-code", status: 2, item: { type: "null" } };
  assert.equal(renderReply(notFound), "(nil)\n(status 2: not found)\n");
  assert.equal(renderReply(notFound, "raw"), "\n");
  const unknown: ClientReply = { type: "status-code", status: 1, item: undefined };
  assert.equal(renderReply(unknown), "(status 1: unknown command)\n");
  assert.equal(renderReply(unknown, "raw"), "(status 1: unknown command)\n");
  assert.equal(
    renderReply({ type: "status-code", status: 5, item: { type: "null" } }),
    "(nil)\n(status 5: wrong type)\n",
  );
  assert.equal(describeStatus(4), "status 4: bad argument");
  assert.equal(describeStatus(77), "status 77");
});

Deno.test("quoteString escapes like redis-cli's sdscatrepr", () => {
  assert.equal(quoteString('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(quoteString("\n\r\t\x07\x08"), '"\\n\\r\\t\\a\\b"');
  assert.equal(quoteString("\x00\x1f\x7f\x80\xff"), '"\\x00\\x1f\\x7f\\x80\\xff"');
  assert.equal(quoteString(" ~'"), `" ~'"`);
  // UTF-8 bytes of "é" are shown as escapes, as redis-cli does.
  assert.equal(quoteString("\xc3\xa9"), '"\\xc3\\xa9"');
  let all = "";
  for (let byte = 0; byte < 256; byte++) all += String.fromCharCode(byte);
  const quoted = quoteString(all);
  // Every byte outside printable ASCII becomes a 4-character escape.
  assert.equal(quoted.length, 2 + 95 + 2 + 5 * 2 + (256 - 95 - 5) * 4);
});

Deno.test("renderReply csv mode follows redis-cli --csv", () => {
  // Expected lines were printed by redis-cli 7.0.15 --csv against redis-server.
  assert.equal(decodeAndRender('*3\r\n$1\r\n1\r\n$2\r\na"\r\n$-1\r\n'), '"1","a\\"",NULL\n');
  assert.equal(decodeAndRender("-ERR wrong\r\n"), 'ERROR,"ERR wrong"\n');
  assert.equal(decodeAndRender(":-3\r\n"), "-3\n");
  assert.equal(decodeAndRender("+OK\r\n"), '"OK"\n');
  assert.equal(decodeAndRender("%1\r\n$1\r\nk\r\n,1.5\r\n"), '"k",1.5\n');
  assert.equal(decodeAndRender("#t\r\n"), "true\n");
});

function decodeAndRender(wire: string): string {
  return renderReply(decodeWire(wire), "csv");
}
