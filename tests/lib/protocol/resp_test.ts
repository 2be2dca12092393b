import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeReply,
  RespDecoder,
  type RespDecodeResult,
  RespEncoder,
} from "../../../lib/protocol/resp.ts";
import { formatDouble } from "../../../lib/format.ts";
import { flattenOutput, LARGE_STRING_BYTES, outputLength } from "../../../lib/protocol/output.ts";
import {
  array,
  bulk,
  double,
  error,
  integer,
  map,
  NIL,
  NIL_ARRAY,
  OK,
  push,
  type Reply,
  set,
  status,
  verbatim,
} from "../../../lib/reply.ts";
import { bytesToString, stringToBytes } from "../../../lib/bytes.ts";

/** A one-byte string as bytes (test inputs are written as JS strings). */
function bytesOf(text: string): Uint8Array {
  return stringToBytes(text);
}

/** RESP multibulk framing of argv, as clients send it. */
function multibulk(argv: readonly string[]): string {
  let out = `*${argv.length}\r\n`;
  for (const arg of argv) out += `$${arg.length}\r\n${arg}\r\n`;
  return out;
}

/**
 * Feeds chunks the way a connection does: append to the unconsumed tail and
 * decode again. The data sits inside a larger array with CR/LF/`*` garbage on
 * both sides, so reading outside [start, end) would show up as wrong results.
 */
function feed(
  decoder: RespDecoder,
  chunks: readonly Uint8Array[],
): { requests: string[][]; tail: number; error?: string; consumed: number } {
  const requests: string[][] = [];
  let tail = new Uint8Array(0);
  let consumed = 0;
  for (const chunk of chunks) {
    const pending = new Uint8Array(tail.length + chunk.length);
    pending.set(tail);
    pending.set(chunk, tail.length);
    const padded = new Uint8Array(pending.length + 6).fill(0x0d);
    padded.set([0x2a, 0x0a, 0x24], 0);
    padded.set(pending, 3);
    padded.set([0x0d, 0x0a, 0x2a], pending.length + 3);
    const result = decoder.decode(padded, 3, 3 + pending.length);
    requests.push(...result.requests);
    consumed += result.consumed;
    if (result.error !== undefined) {
      return { requests, tail: pending.length - result.consumed, error: result.error, consumed };
    }
    tail = pending.slice(result.consumed);
  }
  return { requests, tail: tail.length, consumed };
}

function decodeAll(text: string, decoder = new RespDecoder()): RespDecodeResult {
  const bytes = bytesOf(text);
  return decoder.decode(bytes, 0, bytes.length);
}

function encoded(reply: Reply, protocol: 2 | 3): string {
  return bytesToString(encodeReply(reply, protocol));
}

const ALL_BYTES = Array.from({ length: 256 }, (_, code) => String.fromCharCode(code)).join("");

Deno.test("RespDecoder round-trips every byte value 0-255 in keys and values", () => {
  const argv = ["SET", ALL_BYTES, ALL_BYTES + ALL_BYTES];
  for (let code = 0; code < 256; code++) argv.push(String.fromCharCode(code));
  const result = decodeAll(multibulk(argv));
  assert.deepEqual(result.requests, [argv]);
  assert.equal(result.consumed, multibulk(argv).length);
  assert.equal(result.error, undefined);
});

Deno.test("RespDecoder keeps high bytes in inline arguments and quoted escapes", () => {
  let high = "";
  for (let code = 0x80; code < 256; code++) high += String.fromCharCode(code);
  const result = decodeAll(`SET ${high} "\\x00\\xff\\x80"\r\n`);
  assert.deepEqual(result.requests, [["SET", high, "\x00\xff\x80"]]);
});

const PIPELINE = multibulk(["SET", "key:1", "value"]) +
  "PING\r\n" +
  multibulk(["MSET", "a", "", "b", "x\r\ny"]) +
  "*0\r\n" +
  "\r\n" +
  'ECHO "quoted \\"arg\\"" \'single\'\n' +
  "*-1\r\n" +
  multibulk(["GET", ALL_BYTES]) +
  "  \t \r\n" +
  "GET plain\r\n";

const PIPELINE_REQUESTS = [
  ["SET", "key:1", "value"],
  ["PING"],
  ["MSET", "a", "", "b", "x\r\ny"],
  ["ECHO", 'quoted "arg"', "single"],
  ["GET", ALL_BYTES],
  ["GET", "plain"],
];

Deno.test("RespDecoder decodes a mixed pipelined stream in one call", () => {
  const result = decodeAll(PIPELINE);
  assert.deepEqual(result.requests, PIPELINE_REQUESTS);
  assert.equal(result.consumed, PIPELINE.length);
  assert.equal(result.error, undefined);
});

Deno.test("RespDecoder gives the same requests when the stream is split at every byte", () => {
  const bytes = bytesOf(PIPELINE);
  for (let split = 0; split <= bytes.length; split++) {
    const decoder = new RespDecoder();
    const result = feed(decoder, [bytes.subarray(0, split), bytes.subarray(split)]);
    assert.deepEqual(result.requests, PIPELINE_REQUESTS, `split at ${split}`);
    assert.equal(result.tail, 0, `split at ${split}`);
    assert.equal(decoder.bytesNeeded, 0);
  }
});

Deno.test("RespDecoder gives the same requests when fed one byte at a time", () => {
  const bytes = bytesOf(PIPELINE);
  const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
  const result = feed(new RespDecoder(), chunks);
  assert.deepEqual(result.requests, PIPELINE_REQUESTS);
  assert.equal(result.tail, 0);
});

Deno.test("RespDecoder consumes only complete requests and keeps the partial tail", () => {
  const first = multibulk(["GET", "a"]);
  const result = decodeAll(first + "*2\r\n$3\r\nGET\r\n$1");
  assert.deepEqual(result.requests, [["GET", "a"]]);
  assert.equal(result.consumed, first.length);
  const inline = decodeAll("PING\r\nECHO partial");
  assert.deepEqual(inline.requests, [["PING"]]);
  assert.equal(inline.consumed, 6);
});

Deno.test("RespDecoder skips *0, *-1, *-5 and blank inline lines as Redis does", () => {
  const text = "*0\r\n*-1\r\n*-5\r\n\r\n\n   \r\n" + multibulk(["PING"]);
  const result = decodeAll(text);
  assert.deepEqual(result.requests, [["PING"]]);
  assert.equal(result.consumed, text.length);
});

Deno.test("RespDecoder does not check the bytes after \\r or bulk data, as Redis", () => {
  const result = decodeAll("*1\rX$4\r\nPINGxx*1\r\n$4\rYPING\r\n");
  assert.deepEqual(result.requests, [["PING"], ["PING"]]);
});

Deno.test("RespDecoder splits inline requests like Redis's sdssplitargs", () => {
  // Each case matches redis-server 7.0 (RPUSH then LRANGE), except the NUL one: Redis stops
  // searching for the line end at a NUL and waits; sdssplitargs itself ends the line there.
  const cases: [string, string[]][] = [
    ["SET a b", ["SET", "a", "b"]],
    ["  SET\t a   b  ", ["SET", "a", "b"]],
    ['ECHO "a\\x41\\x4g\\n"', ["ECHO", "aAx4g\n"]],
    ['ECHO "\\n\\r\\t\\b\\a\\\\\\"\\q"', ["ECHO", '\n\r\t\b\x07\\"q']],
    ["ECHO 'a\\'b\\n'", ["ECHO", "a'b\\n"]],
    ['ECHO ""', ["ECHO", ""]],
    ["ECHO ''", ["ECHO", ""]],
    ['ECHO "a"\x0b', ["ECHO", "a"]],
    ["ECHO a\x0bb", ["ECHO", "a\x0bb"]],
    ["ECHO a\rb", ["ECHO", "a", "b"]],
    ['ECHO a"b c"', ["ECHO", "ab c"]],
    ["ECHO a'b c' d", ["ECHO", "ab c", "d"]],
    ['ECHO "\\xZZ"', ["ECHO", "xZZ"]],
    ['ECHO "\\xaF"', ["ECHO", "\xaf"]],
    ["ECHO a\x00b c", ["ECHO", "a"]],
    ["ECHO \x80\xff", ["ECHO", "\x80\xff"]],
  ];
  for (const [line, argv] of cases) {
    for (const ending of ["\r\n", "\n"]) {
      const result = decodeAll(line + ending);
      assert.deepEqual(result.requests, [argv], JSON.stringify(line));
      assert.equal(result.consumed, line.length + ending.length);
    }
  }
});

Deno.test("RespDecoder reports unbalanced quotes in inline requests", () => {
  for (
    const line of [
      'SET a "x"y',
      'ECHO a"b c"d',
      'ECHO "abc',
      "ECHO 'abc",
      'ECHO "abc\\',
      "ECHO 'a'b",
    ]
  ) {
    const result = decodeAll("PING\r\n" + line + "\r\nPING\r\n");
    assert.deepEqual(result.requests, [["PING"]], line);
    assert.equal(result.consumed, 6, line);
    assert.equal(result.error, "ERR Protocol error: unbalanced quotes in request", line);
  }
});

Deno.test("RespDecoder reports bad framing with Redis's text, consumed up to it", () => {
  const cases: [string, string][] = [
    ["*\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*-0\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*01\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*+1\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*1x\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*-\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*1048577\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*-9223372036854775809\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*111111111111111111111\r\n", "ERR Protocol error: invalid multibulk length"],
    ["*1\r\nx3\r\n", "ERR Protocol error: expected '$', got 'x'"],
    ["*1\r\n\r\n", "ERR Protocol error: expected '$', got ' '"],
    ["*2\r\n$1\r\na\r\n:1\r\n", "ERR Protocol error: expected '$', got ':'"],
    ["*1\r\n$-1\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\n$\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\n$01\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\n$4x\r\n", "ERR Protocol error: invalid bulk length"],
    ["*1\r\n$536870913\r\n", "ERR Protocol error: invalid bulk length"],
  ];
  const before = multibulk(["PING"]) + "PING\r\n";
  for (const [bad, message] of cases) {
    const result = decodeAll(before + bad + multibulk(["PING"]));
    assert.deepEqual(result.requests, [["PING"], ["PING"]], JSON.stringify(bad));
    assert.equal(result.consumed, before.length, JSON.stringify(bad));
    assert.equal(result.error, message, JSON.stringify(bad));
  }
});

Deno.test("RespDecoder takes a negative multibulk count down to LLONG_MIN as empty", () => {
  const result = decodeAll("*-9223372036854775808\r\n" + multibulk(["PING"]));
  assert.deepEqual(result.requests, [["PING"]]);
  assert.equal(result.error, undefined);
});

Deno.test("RespDecoder reports an error in a later chunk of a partial request", () => {
  const decoder = new RespDecoder();
  const result = feed(decoder, [bytesOf("PING\r\n*2\r\n$3\r\nGET\r\n"), bytesOf("$x\r\n")]);
  assert.deepEqual(result.requests, [["PING"]]);
  assert.equal(result.consumed, 6);
  assert.equal(result.error, "ERR Protocol error: invalid bulk length");
});

Deno.test("RespDecoder waits at the Redis limits and refuses one byte past them", () => {
  const limit = 64 * 1024;
  // A line may hold exactly the limit before its LF (CR included): Redis refuses
  // once more than that is buffered without a line end.
  const longArg = "a".repeat(limit - 6);
  const exact = decodeAll(`ECHO ${longArg}\r\n`);
  assert.deepEqual(exact.requests, [["ECHO", longArg]]);
  assert.equal(decodeAll("x".repeat(limit)).error, undefined);
  assert.equal(
    decodeAll("PING\r\n" + "x".repeat(limit + 1)).error,
    "ERR Protocol error: too big inline request",
  );
  assert.equal(
    decodeAll(`ECHO ${longArg}x\r\n`).error,
    "ERR Protocol error: too big inline request",
  );
  assert.equal(decodeAll("*" + "1".repeat(limit - 1)).error, undefined);
  assert.equal(
    decodeAll("*" + "1".repeat(limit)).error,
    "ERR Protocol error: too big mbulk count string",
  );
  assert.equal(decodeAll("*1\r\n$" + "1".repeat(limit - 1)).error, undefined);
  const tooBigBulk = decodeAll("PING\r\n*1\r\n$" + "1".repeat(limit));
  assert.equal(tooBigBulk.error, "ERR Protocol error: too big bulk count string");
  assert.equal(tooBigBulk.consumed, 6);
});

Deno.test("RespDecoder applies configured limits", () => {
  const decoder = () =>
    new RespDecoder({ maxBulkLength: 3, maxMultibulkLength: 2, maxInlineLength: 8 });
  assert.deepEqual(decodeAll(multibulk(["GET", "abc"]), decoder()).requests, [["GET", "abc"]]);
  assert.equal(
    decodeAll(multibulk(["GET", "abcd"]), decoder()).error,
    "ERR Protocol error: invalid bulk length",
  );
  assert.equal(
    decodeAll(multibulk(["a", "b", "c"]), decoder()).error,
    "ERR Protocol error: invalid multibulk length",
  );
  assert.deepEqual(decodeAll("GET abc\r\n", decoder()).requests, [["GET", "abc"]]);
  assert.equal(
    decodeAll("GET abcd\r\n", decoder()).error,
    "ERR Protocol error: too big inline request",
  );
});

Deno.test("RespDecoder accepts 2^31-1 arguments when configured, as Redis 7.0 does", () => {
  const decoder = new RespDecoder({ maxMultibulkLength: Infinity });
  assert.equal(decodeAll("*2147483647\r\n", decoder).error, undefined);
  assert.equal(
    decodeAll("*2147483648\r\n", new RespDecoder({ maxMultibulkLength: Infinity })).error,
    "ERR Protocol error: invalid multibulk length",
  );
});

Deno.test("RespDecoder bytesNeeded reports the size of a pending bulk request", () => {
  const value = "v".repeat(100_000);
  const frame = bytesOf(multibulk(["SET", "k", value]));
  const header = multibulk(["SET", "k"]).replace("*2", "*3") + "$100000\r\n";
  const decoder = new RespDecoder();
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < frame.length; i += 1000) chunks.push(frame.subarray(i, i + 1000));
  let tail = new Uint8Array(0);
  const requests: string[][] = [];
  for (const chunk of chunks) {
    const pending = new Uint8Array(tail.length + chunk.length);
    pending.set(tail);
    pending.set(chunk, tail.length);
    const result = decoder.decode(pending, 0, pending.length);
    requests.push(...result.requests);
    tail = pending.slice(result.consumed);
    if (tail.length >= header.length && requests.length === 0) {
      assert.equal(decoder.bytesNeeded, frame.length);
    }
  }
  assert.deepEqual(requests, [["SET", "k", value]]);
  assert.equal(tail.length, 0);
  assert.equal(decoder.bytesNeeded, 0);
});

Deno.test("RespDecoder decodes random argv arrays split into random chunks", () => {
  const argvArb = fc.array(
    fc.string({
      unit: fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code)),
      maxLength: 40,
    }),
    { minLength: 1, maxLength: 8 },
  );
  fc.assert(
    fc.property(
      fc.array(argvArb, { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }),
      (requests, sizes) => {
        const bytes = bytesOf(requests.map(multibulk).join(""));
        const chunks: Uint8Array[] = [];
        for (let i = 0, n = 0; i < bytes.length; n++) {
          const size = sizes[n % sizes.length]!;
          chunks.push(bytes.subarray(i, i + size));
          i += size;
        }
        const result = feed(new RespDecoder(), chunks);
        assert.deepEqual(result.requests, requests);
        assert.equal(result.tail, 0);
        assert.equal(result.error, undefined);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("RespDecoder never throws on random bytes", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.integer({ min: 1, max: 50 }),
      (bytes, size) => {
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
        const result = feed(new RespDecoder(), chunks);
        assert.ok(result.consumed <= bytes.length);
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("encodeReply writes scalar replies in RESP2 and RESP3", () => {
  const cases: [Reply, string, string][] = [
    [NIL, "$-1\r\n", "_\r\n"],
    [NIL_ARRAY, "*-1\r\n", "_\r\n"],
    [OK, "+OK\r\n", "+OK\r\n"],
    [status("QUEUED"), "+QUEUED\r\n", "+QUEUED\r\n"],
    [error("ERR syntax error"), "-ERR syntax error\r\n", "-ERR syntax error\r\n"],
    [error("ERR bad\r\nline\n"), "-ERR bad  line \r\n", "-ERR bad  line \r\n"],
    [integer(0), ":0\r\n", ":0\r\n"],
    [integer(7), ":7\r\n", ":7\r\n"],
    [integer(1234567890), ":1234567890\r\n", ":1234567890\r\n"],
    [integer(-42), ":-42\r\n", ":-42\r\n"],
    [integer(Number.MAX_SAFE_INTEGER), ":9007199254740991\r\n", ":9007199254740991\r\n"],
    [integer(-(2n ** 63n)), ":-9223372036854775808\r\n", ":-9223372036854775808\r\n"],
    [integer(2n ** 63n - 1n), ":9223372036854775807\r\n", ":9223372036854775807\r\n"],
    [double(1.5), "$3\r\n1.5\r\n", ",1.5\r\n"],
    [double(3), "$1\r\n3\r\n", ",3\r\n"],
    [double(-Infinity), "$4\r\n-inf\r\n", ",-inf\r\n"],
    [bulk(""), "$0\r\n\r\n", "$0\r\n\r\n"],
    [bulk("a\r\nb"), "$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n"],
    [{ kind: "boolean", value: true }, ":1\r\n", "#t\r\n"],
    [{ kind: "boolean", value: false }, ":0\r\n", "#f\r\n"],
    [
      { kind: "big-number", value: 12345678901234567890n },
      "$20\r\n12345678901234567890\r\n",
      "(12345678901234567890\r\n",
    ],
    [verbatim("hello\r\n"), "$7\r\nhello\r\n\r\n", "=11\r\ntxt:hello\r\n\r\n"],
    [verbatim("# x", "mkd"), "$3\r\n# x\r\n", "=7\r\nmkd:# x\r\n"],
  ];
  for (const [reply, resp2, resp3] of cases) {
    assert.equal(encoded(reply, 2), resp2, JSON.stringify(resp2));
    assert.equal(encoded(reply, 3), resp3, JSON.stringify(resp3));
  }
});

Deno.test("encodeReply writes aggregates in RESP2 and RESP3", () => {
  const cases: [Reply, string, string][] = [
    [array([]), "*0\r\n", "*0\r\n"],
    [
      array([bulk("a"), integer(1), NIL]),
      "*3\r\n$1\r\na\r\n:1\r\n$-1\r\n",
      "*3\r\n$1\r\na\r\n:1\r\n_\r\n",
    ],
    [
      map([[bulk("k"), double(2.5)], [bulk("n"), array([])]]),
      "*4\r\n$1\r\nk\r\n$3\r\n2.5\r\n$1\r\nn\r\n*0\r\n",
      "%2\r\n$1\r\nk\r\n,2.5\r\n$1\r\nn\r\n*0\r\n",
    ],
    [set([bulk("x"), bulk("y")]), "*2\r\n$1\r\nx\r\n$1\r\ny\r\n", "~2\r\n$1\r\nx\r\n$1\r\ny\r\n"],
    [
      push([bulk("message"), bulk("ch"), bulk("hi")]),
      "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
      ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
    ],
    [
      array([array([integer(1)]), NIL_ARRAY]),
      "*2\r\n*1\r\n:1\r\n*-1\r\n",
      "*2\r\n*1\r\n:1\r\n_\r\n",
    ],
  ];
  for (const [reply, resp2, resp3] of cases) {
    assert.equal(encoded(reply, 2), resp2, JSON.stringify(resp2));
    assert.equal(encoded(reply, 3), resp3, JSON.stringify(resp3));
  }
});

Deno.test("RespEncoder writes every byte value of a bulk string unchanged", () => {
  const value = ALL_BYTES.repeat(3);
  assert.equal(encoded(bulk(value), 2), `$${value.length}\r\n${value}\r\n`);
  assert.equal(encoded(bulk("\x80\x9f\xff"), 3), "$3\r\n\x80\x9f\xff\r\n");
});

Deno.test("RespEncoder writes a view of stored bytes as the bulk string it shows", () => {
  // A stored value sits among other bytes; lengths on both sides of the native-copy threshold,
  // and past the initial buffer and the size at which a string value becomes its own part.
  for (const length of [0, 1, 16, 63, 64, 300, 5000, LARGE_STRING_BYTES + 7]) {
    const value = ALL_BYTES.repeat(Math.ceil(length / 256) + 1).slice(0, length);
    const stored = stringToBytes(`before${value}after`);
    const view = { kind: "view", bytes: stored, start: 6, end: 6 + length } as const;
    for (const protocol of [2, 3] as const) {
      const encoder = new RespEncoder(64);
      encoder.write(OK, protocol);
      encoder.write(view, protocol);
      encoder.write(integer(1), protocol);
      assert.equal(
        bytesToString(encoder.take()),
        `+OK\r\n$${length}\r\n${value}\r\n:1\r\n`,
        `${length} bytes, RESP${protocol}`,
      );
    }
  }
});

Deno.test("RespEncoder batches replies, grows past its initial size and take() starts over", () => {
  const encoder = new RespEncoder(64);
  const big = "x".repeat(5000);
  encoder.write(OK, 2);
  encoder.write(bulk(big), 2);
  encoder.write(integer(12), 3);
  assert.equal(encoder.length, 5 + 5000 + 9 + 5);
  assert.equal(bytesToString(encoder.take()), `+OK\r\n$5000\r\n${big}\r\n:12\r\n`);
  assert.equal(encoder.length, 0);
  encoder.write(NIL, 2);
  assert.equal(bytesToString(encoder.take()), "$-1\r\n");
});

Deno.test("RespEncoder.takeOutput keeps big string values as strings between byte parts", () => {
  const encoder = new RespEncoder(64);
  const big = ALL_BYTES.repeat(Math.ceil(LARGE_STRING_BYTES / 256) + 1);
  encoder.write(OK, 2);
  encoder.write(bulk(big), 2);
  encoder.write(array([bulk(big), integer(7)]), 3);
  const expected = `+OK\r\n$${big.length}\r\n${big}\r\n*2\r\n$${big.length}\r\n${big}\r\n:7\r\n`;
  assert.equal(encoder.length, expected.length);
  const output = encoder.takeOutput();
  assert.ok(!(output instanceof Uint8Array));
  // The strings are the values themselves, not copies.
  assert.equal(output.filter((part) => part === big).length, 2);
  assert.equal(outputLength(output), expected.length);
  assert.equal(bytesToString(flattenOutput(output)), expected);
  assert.equal(encoder.length, 0);
  // take() gives the same bytes flattened.
  encoder.write(bulk(big), 2);
  encoder.write(NIL, 2);
  assert.equal(bytesToString(encoder.take()), `$${big.length}\r\n${big}\r\n$-1\r\n`);
});

Deno.test("RespEncoder output decodes back to the request it framed", () => {
  const argv = ["SET", ALL_BYTES, "value"];
  const bytes = encodeReply(array(argv.map(bulk)), 2);
  const result = new RespDecoder().decode(bytes, 0, bytes.length);
  assert.deepEqual(result.requests, [argv]);
});

Deno.test("formatDouble prints the shortest round-trip decimal and Redis infinities", () => {
  assert.equal(formatDouble(3), "3");
  assert.equal(formatDouble(-3), "-3");
  assert.equal(formatDouble(1.5), "1.5");
  assert.equal(formatDouble(0.1), "0.1");
  assert.equal(formatDouble(1e21), "1e+21");
  assert.equal(formatDouble(Infinity), "inf");
  assert.equal(formatDouble(-Infinity), "-inf");
  assert.equal(formatDouble(0), "0");
  for (const n of [0.1 + 0.2, Math.PI, 5e-324, Number.MAX_VALUE, -1.7976931348623157e308]) {
    assert.equal(Number(formatDouble(n)), n);
  }
});

Deno.test("RespDecoder.unauthenticated refuses more than 10 arguments with Redis's text", () => {
  const decoder = new RespDecoder();
  decoder.unauthenticated = true;
  const ok = new TextEncoder().encode(`*10\r\n${"$1\r\nx\r\n".repeat(10)}`);
  assert.equal(decoder.decode(ok, 0, ok.length).requests.length, 1);
  const big = new TextEncoder().encode("*11\r\n");
  assert.deepEqual(decoder.decode(big, 0, big.length), {
    requests: [],
    consumed: 0,
    error: "ERR Protocol error: unauthenticated multibulk length",
  });
});

Deno.test("RespDecoder.unauthenticated refuses a bulk over 16 KiB from its header, before its bytes", () => {
  const decoder = new RespDecoder();
  decoder.unauthenticated = true;
  const header = new TextEncoder().encode("*2\r\n$3\r\nSET\r\n$209715200\r\n");
  assert.deepEqual(decoder.decode(header, 0, header.length), {
    requests: [],
    consumed: 0,
    error: "ERR Protocol error: unauthenticated bulk length",
  });
  assert.equal(decoder.bytesNeeded, 0);
  const fits = new TextEncoder().encode(`*1\r\n$16384\r\n${"x".repeat(16384)}\r\n`);
  assert.equal(decoder.decode(fits, 0, fits.length).requests[0]![0]!.length, 16384);
});

Deno.test("RespDecoder.unauthenticated decodes one request per call and says more is buffered", () => {
  const decoder = new RespDecoder();
  decoder.unauthenticated = true;
  const bytes = new TextEncoder().encode(
    `AUTH pw\r\n*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n*2\r\n$3\r\nGET\r\n$20000\r\n`,
  );
  assert.deepEqual(decoder.decode(bytes, 0, bytes.length), {
    requests: [["AUTH", "pw"]],
    consumed: 9,
    more: true,
  });
  assert.deepEqual(decoder.decode(bytes, 9, bytes.length), {
    requests: [["AUTH", "pw"]],
    consumed: 22,
    more: true,
  });
  // Authenticated by then, the 20000-byte argument is only waited for.
  decoder.unauthenticated = false;
  assert.deepEqual(decoder.decode(bytes, 31, bytes.length), { requests: [], consumed: 0 });
  assert.equal(decoder.bytesNeeded, 21 + 20002);
});
