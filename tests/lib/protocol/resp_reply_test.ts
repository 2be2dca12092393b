import assert from "node:assert/strict";
import fc from "fast-check";
import { stringToBytes } from "../../../lib/bytes.ts";
import { KacheStatus } from "../../../lib/protocol/kache.ts";
import {
  type ClientReply,
  encodeRespRequest,
  fromKacheResponse,
  RespReplyDecoder,
} from "../../../lib/protocol/resp_reply.ts";

/**
 * Feeds `wire` (a one-byte string) to a fresh decoder in chunks ending at
 * `cuts`, keeping the unconsumed tail as a connection does.
 */
function decodeInChunks(
  wire: string,
  cuts: readonly number[] = [],
): { replies: ClientReply[]; error?: string; leftover: number } {
  const decoder = new RespReplyDecoder();
  const bytes = stringToBytes(wire);
  const replies: ClientReply[] = [];
  let tail = new Uint8Array(0);
  let previous = 0;
  for (const cut of [...cuts, bytes.length]) {
    const chunk = bytes.subarray(previous, cut);
    previous = cut;
    const buffer = new Uint8Array(tail.length + chunk.length);
    buffer.set(tail);
    buffer.set(chunk, tail.length);
    const result = decoder.decode(buffer, 0, buffer.length);
    replies.push(...result.replies);
    if (result.error !== undefined) return { replies, error: result.error, leftover: 0 };
    tail = buffer.slice(result.consumed);
  }
  return { replies, leftover: tail.length };
}

function decodeOne(wire: string): ClientReply {
  const { replies, error, leftover } = decodeInChunks(wire);
  assert.equal(error, undefined);
  assert.equal(leftover, 0);
  assert.equal(replies.length, 1);
  return replies[0]!;
}

const bulk = (value: string): ClientReply => ({ type: "bulk", value });
const integer = (value: bigint): ClientReply => ({ type: "integer", value });

Deno.test("RespReplyDecoder decodes every RESP2 type", () => {
  assert.deepEqual(decodeOne("+OK\r\n"), { type: "status", value: "OK" });
  assert.deepEqual(decodeOne("-ERR bad thing\r\n"), { type: "error", message: "ERR bad thing" });
  assert.deepEqual(decodeOne(":-42\r\n"), integer(-42n));
  assert.deepEqual(decodeOne("$5\r\nhello\r\n"), bulk("hello"));
  assert.deepEqual(decodeOne("$0\r\n\r\n"), bulk(""));
  assert.deepEqual(decodeOne("$-1\r\n"), { type: "null" });
  assert.deepEqual(decodeOne("*-1\r\n"), { type: "null-array" });
  assert.deepEqual(decodeOne("*0\r\n"), { type: "array", items: [] });
  assert.deepEqual(decodeOne("*2\r\n$1\r\na\r\n*1\r\n:1\r\n"), {
    type: "array",
    items: [bulk("a"), { type: "array", items: [integer(1n)] }],
  });
});

Deno.test("RespReplyDecoder decodes every RESP3 type", () => {
  assert.deepEqual(decodeOne("_\r\n"), { type: "null" });
  assert.deepEqual(decodeOne(",1.5\r\n"), { type: "double", value: 1.5, text: "1.5" });
  assert.deepEqual(decodeOne(",inf\r\n"), { type: "double", value: Infinity, text: "inf" });
  assert.deepEqual(decodeOne(",-inf\r\n"), { type: "double", value: -Infinity, text: "-inf" });
  assert.deepEqual(decodeOne(",nan\r\n"), { type: "double", value: NaN, text: "nan" });
  assert.deepEqual(decodeOne(",1e+21\r\n"), { type: "double", value: 1e21, text: "1e+21" });
  assert.deepEqual(decodeOne("#t\r\n"), { type: "boolean", value: true });
  assert.deepEqual(decodeOne("#f\r\n"), { type: "boolean", value: false });
  assert.deepEqual(decodeOne("(3492890328409238509324850943850943825024385\r\n"), {
    type: "big-number",
    value: 3492890328409238509324850943850943825024385n,
  });
  assert.deepEqual(decodeOne("!21\r\nSYNTAX invalid syntax\r\n"), {
    type: "error",
    message: "SYNTAX invalid syntax",
  });
  assert.deepEqual(decodeOne("=15\r\ntxt:Some string\r\n"), {
    type: "verbatim",
    format: "txt",
    value: "Some string",
  });
  assert.deepEqual(decodeOne("%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n"), {
    type: "map",
    entries: [[{ type: "status", value: "first" }, integer(1n)], [
      { type: "status", value: "second" },
      integer(2n),
    ]],
  });
  assert.deepEqual(decodeOne("~2\r\n+a\r\n+b\r\n"), {
    type: "set",
    items: [{ type: "status", value: "a" }, { type: "status", value: "b" }],
  });
  assert.deepEqual(decodeOne(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"), {
    type: "push",
    items: [bulk("message"), bulk("ch"), bulk("hi")],
  });
  assert.deepEqual(decodeOne("%0\r\n"), { type: "map", entries: [] });
  assert.deepEqual(decodeOne("~0\r\n"), { type: "set", items: [] });
});

Deno.test("RespReplyDecoder keeps integers beyond 2^53 exact", () => {
  assert.deepEqual(decodeOne(":9223372036854775807\r\n"), integer(9223372036854775807n));
  assert.deepEqual(decodeOne(":-9223372036854775808\r\n"), integer(-9223372036854775808n));
});

Deno.test("RespReplyDecoder is byte-exact for all 256 byte values", () => {
  let all = "";
  for (let byte = 0; byte < 256; byte++) all += String.fromCharCode(byte);
  assert.deepEqual(decodeOne(`$256\r\n${all}\r\n`), bulk(all));
  // CR and LF inside a bulk body are data, not line ends.
  assert.deepEqual(decodeOne("$4\r\n\r\n\r\n\r\n"), bulk("\r\n\r\n"));
});

Deno.test("RespReplyDecoder attaches attributes to the reply that follows them", () => {
  assert.deepEqual(decodeOne("|1\r\n+ttl\r\n:3600\r\n:5\r\n"), {
    type: "integer",
    value: 5n,
    attributes: [[{ type: "status", value: "ttl" }, integer(3600n)]],
  });
  // Inside an array the attribute describes one element and is not an element itself.
  assert.deepEqual(decodeOne("*2\r\n:1\r\n|1\r\n+a\r\n+b\r\n:2\r\n"), {
    type: "array",
    items: [integer(1n), {
      type: "integer",
      value: 2n,
      attributes: [[
        { type: "status", value: "a" },
        { type: "status", value: "b" },
      ]],
    }],
  });
  // Before an aggregate it describes the aggregate, not its first element.
  assert.deepEqual(decodeOne("|1\r\n+k\r\n+v\r\n*1\r\n:7\r\n"), {
    type: "array",
    items: [integer(7n)],
    attributes: [[{ type: "status", value: "k" }, { type: "status", value: "v" }]],
  });
  assert.deepEqual(decodeOne("|0\r\n:1\r\n"), integer(1n));
});

/** Replies of every type, back to back: the stream the split tests cut up. */
const MIXED_STREAM = "+OK\r\n-ERR no\r\n:12345\r\n$12\r\nhello\r\nworld\r\n$-1\r\n*-1\r\n" +
  "*3\r\n$1\r\na\r\n*2\r\n:1\r\n:2\r\n$0\r\n\r\n_\r\n,3.25\r\n#t\r\n(12345678901234567890\r\n" +
  "!3\r\nERR\r\n=7\r\nmkd:abc\r\n%1\r\n$1\r\nk\r\n~1\r\n:0\r\n>2\r\n+p\r\n:9\r\n" +
  "|1\r\n+a\r\n+b\r\n$1\r\nz\r\n*0\r\n";

Deno.test("RespReplyDecoder gives the same replies wherever a read splits the stream", () => {
  const whole = decodeInChunks(MIXED_STREAM);
  assert.equal(whole.error, undefined);
  assert.equal(whole.replies.length, 17);
  for (let cut = 0; cut <= MIXED_STREAM.length; cut++) {
    assert.deepEqual(decodeInChunks(MIXED_STREAM, [cut]), whole, `split at ${cut}`);
  }
  for (let first = 0; first <= MIXED_STREAM.length; first += 7) {
    for (let second = first; second <= MIXED_STREAM.length; second += 5) {
      assert.deepEqual(decodeInChunks(MIXED_STREAM, [first, second]), whole);
    }
  }
});

Deno.test("RespReplyDecoder decodes a stream fed one byte at a time", () => {
  const cuts = Array.from({ length: MIXED_STREAM.length }, (_, i) => i);
  assert.deepEqual(decodeInChunks(MIXED_STREAM, cuts), decodeInChunks(MIXED_STREAM));
});

Deno.test("RespReplyDecoder consumes complete elements of an unfinished aggregate", () => {
  const decoder = new RespReplyDecoder();
  const bytes = stringToBytes("*3\r\n:1\r\n$5\r\nab");
  const result = decoder.decode(bytes, 0, bytes.length);
  assert.deepEqual(result, { replies: [], consumed: 8 });
  assert.equal(decoder.idle, false);
  const rest = stringToBytes("$5\r\nabcde\r\n:3\r\n");
  assert.deepEqual(decoder.decode(rest, 0, rest.length), {
    replies: [{ type: "array", items: [integer(1n), bulk("abcde"), integer(3n)] }],
    consumed: rest.length,
  });
  assert.equal(decoder.idle, true);
});

Deno.test("RespReplyDecoder reports malformed replies instead of throwing", () => {
  const cases: [string, RegExp][] = [
    ["?\r\n", /unknown reply type byte "\?"/],
    ["x", /unknown reply type byte "x"/],
    [":12a\r\n", /bad integer/],
    [":\r\n", /bad integer/],
    ["$abc\r\n", /bad string length/],
    ["$-2\r\n", /bad string length/],
    ["$3\r\nabcd\r\n", /not followed by CRLF/],
    ["*x\r\n", /bad count/],
    ["%-1\r\n", /null is only valid for \*/],
    ["!-1\r\n", /null is only valid for \$/],
    ["#x\r\n", /bad boolean/],
    ["_x\r\n", /bad null/],
    [",1.5.5\r\n", /bad double/],
    ["=2\r\nab\r\n", /verbatim string without a format prefix/],
    ["(1.5\r\n", /bad big number/],
  ];
  for (const [wire, pattern] of cases) {
    const { error } = decodeInChunks(wire);
    assert.match(error ?? "", pattern, JSON.stringify(wire));
    assert.match(error ?? "", /^Protocol error: /);
  }
});

Deno.test("RespReplyDecoder returns the replies before a malformed one", () => {
  const decoder = new RespReplyDecoder();
  const bytes = stringToBytes("+OK\r\n:1\r\n?\r\n");
  const result = decoder.decode(bytes, 0, bytes.length);
  assert.deepEqual(result.replies, [{ type: "status", value: "OK" }, integer(1n)]);
  assert.equal(result.consumed, 9);
  assert.notEqual(result.error, undefined);
});

Deno.test("RespReplyDecoder refuses bulk strings over its limit", () => {
  const decoder = new RespReplyDecoder({ maxBulkLength: 10 });
  const bytes = stringToBytes("$11\r\n");
  assert.match(decoder.decode(bytes, 0, bytes.length).error ?? "", /bad string length/);
});

Deno.test("RespReplyDecoder waits for the whole line before judging a header", () => {
  const decoder = new RespReplyDecoder();
  const bytes = stringToBytes(":12\r");
  assert.deepEqual(decoder.decode(bytes, 0, bytes.length), { replies: [], consumed: 0 });
});

/** A RESP3 encoder for the property test: the inverse of the decoder. */
function encode(reply: ClientReply): string {
  const attributes = reply.attributes === undefined ? "" : `|${reply.attributes.length}\r\n` +
    reply.attributes.map(([key, value]) => encode(key) + encode(value)).join("");
  const body = (() => {
    switch (reply.type) {
      case "status":
        return `+${reply.value}\r\n`;
      case "error":
        return `!${reply.message.length}\r\n${reply.message}\r\n`;
      case "integer":
        return `:${reply.value}\r\n`;
      case "bulk":
        return `$${reply.value.length}\r\n${reply.value}\r\n`;
      case "null":
        return "_\r\n";
      case "null-array":
        return "*-1\r\n";
      case "double":
        return `,${reply.text}\r\n`;
      case "boolean":
        return reply.value ? "#t\r\n" : "#f\r\n";
      case "big-number":
        return `(${reply.value}\r\n`;
      case "verbatim":
        return `=${reply.value.length + 4}\r\n${reply.format}:${reply.value}\r\n`;
      case "array":
        return `*${reply.items.length}\r\n${reply.items.map(encode).join("")}`;
      case "set":
        return `~${reply.items.length}\r\n${reply.items.map(encode).join("")}`;
      case "push":
        return `>${reply.items.length}\r\n${reply.items.map(encode).join("")}`;
      case "map":
        return `%${reply.entries.length}\r\n` +
          reply.entries.map(([key, value]) => encode(key) + encode(value)).join("");
      case "status-code":
        throw new Error("not a RESP type");
    }
  })();
  return attributes + body;
}

const byteString = fc.string({
  unit: fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code)),
});
const lineString = fc.string({
  unit: fc.integer({ min: 0, max: 255 }).filter((code) => code !== 10 && code !== 13).map((code) =>
    String.fromCharCode(code)
  ),
});

const { reply: replyArbitrary } = fc.letrec<{ reply: ClientReply }>((tie) => ({
  reply: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    lineString.map((value): ClientReply => ({ type: "status", value })),
    byteString.map((message): ClientReply => ({ type: "error", message })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value): ClientReply => ({
      type: "integer",
      value,
    })),
    byteString.map((value): ClientReply => ({ type: "bulk", value })),
    fc.constant<ClientReply>({ type: "null" }),
    fc.constant<ClientReply>({ type: "null-array" }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((value): ClientReply => ({
      type: "double",
      value,
      text: String(value),
    })),
    fc.boolean().map((value): ClientReply => ({ type: "boolean", value })),
    fc.bigInt().map((value): ClientReply => ({ type: "big-number", value })),
    byteString.map((value): ClientReply => ({ type: "verbatim", format: "txt", value })),
    fc.array(tie("reply"), { maxLength: 4 }).map((items): ClientReply => ({
      type: "array",
      items,
    })),
    fc.array(tie("reply"), { maxLength: 4 }).map((items): ClientReply => ({ type: "set", items })),
    fc.array(tie("reply"), { maxLength: 4 }).map((items): ClientReply => ({ type: "push", items })),
    fc.array(fc.tuple(tie("reply"), tie("reply")), { maxLength: 3 }).map((
      entries,
    ): ClientReply => ({
      type: "map",
      entries,
    })),
  ),
}));

Deno.test("RespReplyDecoder decodes any encoded reply sequence under any chunking", () => {
  fc.assert(
    fc.property(
      fc.array(replyArbitrary, { minLength: 1, maxLength: 5 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (replies, rawCuts) => {
        const wire = replies.map(encode).join("");
        const cuts = [...new Set(rawCuts.map((cut) => cut % (wire.length + 1)))].sort((a, b) =>
          a - b
        );
        const decoded = decodeInChunks(wire, cuts);
        assert.equal(decoded.error, undefined);
        assert.equal(decoded.leftover, 0);
        // -0 goes over the wire as "0": compare the way the wire can carry it.
        assert.deepEqual(decoded.replies, replies.map(normalizeZero));
      },
    ),
    { numRuns: 300 },
  );
});

function normalizeZero(reply: ClientReply): ClientReply {
  switch (reply.type) {
    case "double":
      return Object.is(reply.value, -0) ? { ...reply, value: 0 } : reply;
    case "array":
    case "set":
    case "push":
      return { ...reply, items: reply.items.map(normalizeZero) };
    case "map":
      return {
        ...reply,
        entries: reply.entries.map(([key, value]) => [normalizeZero(key), normalizeZero(value)]),
      };
    default:
      return reply;
  }
}

Deno.test("encodeRespRequest writes an array of bulk strings, byte for byte", () => {
  const bytes = encodeRespRequest(["SET", "k\xff", ""]);
  assert.deepEqual(bytes, stringToBytes("*3\r\n$3\r\nSET\r\n$2\r\nk\xff\r\n$0\r\n\r\n"));
  assert.deepEqual(encodeRespRequest([]), stringToBytes("*0\r\n"));
  const long = "x".repeat(1000);
  assert.deepEqual(encodeRespRequest([long]), stringToBytes(`*1\r\n$1000\r\n${long}\r\n`));
});

Deno.test("fromKacheResponse unwraps OK items and errors, keeps other statuses", () => {
  const nil = { tag: "nil" } as const;
  assert.deepEqual(fromKacheResponse({ status: KacheStatus.ok, item: nil }), { type: "null" });
  assert.deepEqual(
    fromKacheResponse({ status: KacheStatus.ok, item: { tag: "string", value: "v" } }),
    bulk("v"),
  );
  assert.deepEqual(
    fromKacheResponse({ status: KacheStatus.error, item: { tag: "error", message: "ERR x" } }),
    { type: "error", message: "ERR x" },
  );
  assert.deepEqual(fromKacheResponse({ status: KacheStatus.notFound, item: nil }), {
    type: "status-code",
    status: 2,
    item: { type: "null" },
  });
  assert.deepEqual(fromKacheResponse({ status: KacheStatus.unknown, item: undefined }), {
    type: "status-code",
    status: 1,
    item: undefined,
  });
  assert.deepEqual(fromKacheResponse({ status: KacheStatus.ok, item: undefined }), {
    type: "status-code",
    status: 0,
    item: undefined,
  });
});

Deno.test("fromKacheResponse maps every item tag", () => {
  assert.deepEqual(
    fromKacheResponse({
      status: KacheStatus.ok,
      item: {
        tag: "array",
        items: [
          { tag: "string", value: "m" },
          { tag: "double", value: 1.5 },
          { tag: "double", value: -Infinity },
          { tag: "integer", value: -(2n ** 63n) },
          { tag: "nil" },
          { tag: "array", items: [] },
        ],
      },
    }),
    {
      type: "array",
      items: [
        bulk("m"),
        { type: "double", value: 1.5, text: "1.5" },
        { type: "double", value: -Infinity, text: "-inf" },
        integer(-(2n ** 63n)),
        { type: "null" },
        { type: "array", items: [] },
      ],
    },
  );
});
