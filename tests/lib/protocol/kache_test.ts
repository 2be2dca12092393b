import assert from "node:assert/strict";
import fc from "fast-check";
import { bytesToString, stringToBytes } from "../../../lib/bytes.ts";
import {
  encodeKacheRequest,
  KacheDecoder,
  type KacheDecodeResult,
  KacheEncoder,
  type KacheItem,
  type KacheResponse,
  KacheResponseDecoder,
  KacheStatus,
  KacheTag,
  ORIGINAL_MAX_ARGS,
  ORIGINAL_MAX_FRAME,
  UNAUTHENTICATED_MAX_FRAME,
} from "../../../lib/protocol/kache.ts";
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

/** Every byte value once, in order: the codec must be byte-exact for all of them. */
const ALL_BYTES = Array.from({ length: 256 }, (_, code) => String.fromCharCode(code)).join("");

/** Little-endian byte builder for hand-written frames, including malformed ones. */
class Frame {
  readonly bytes: number[] = [];
  u32(value: number): this {
    this.bytes.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24);
    return this;
  }
  u8Tag(tag: number): this {
    this.bytes.push(tag);
    return this;
  }
  bytesOf(values: readonly number[]): this {
    this.bytes.push(...values);
    return this;
  }
  text(value: string): this {
    for (let i = 0; i < value.length; i++) this.bytes.push(value.charCodeAt(i));
    return this;
  }
  /** A length-prefixed argument. */
  arg(value: string): this {
    return this.u32(value.length).text(value);
  }
  /** Prefixes the whole thing with its length, as a request or response frame. */
  framed(): number[] {
    return [...new Frame().u32(this.bytes.length).bytes, ...this.bytes];
  }
}

function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function decodeAll(bytes: Uint8Array, options = {}): KacheDecodeResult {
  return new KacheDecoder(options).decode(bytes, 0, bytes.length);
}

/**
 * Feeds `chunks` the way the server's read loop does: keep the unconsumed
 * tail, append the next read, decode again. Returns every request and the
 * bytes left over.
 */
function feed(decoder: KacheDecoder, chunks: readonly Uint8Array[]) {
  const requests: string[][] = [];
  let tail: Uint8Array = new Uint8Array(0);
  for (const chunk of chunks) {
    const buffer = concat(tail, chunk);
    const result = decoder.decode(buffer, 0, buffer.length);
    assert.equal(result.error, undefined);
    requests.push(...result.requests);
    tail = buffer.slice(result.consumed);
  }
  return { requests, tail };
}

/** The encoder's output for one reply, copied out. */
function encodeReplyBytes(reply: Reply): number[] {
  const encoder = new KacheEncoder();
  encoder.writeReply(reply);
  return [...encoder.take()];
}

function le64(value: bigint): number[] {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigInt64(0, value, true);
  return [...new Uint8Array(view.buffer)];
}

function f64(value: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value, true);
  return [...new Uint8Array(view.buffer)];
}

const byteString = (maxLength: number) =>
  fc.string({
    unit: fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code)),
    maxLength,
  });

/** A varied pipelined stream: zero-arg, empty-arg, short and long (native-path) arguments. */
const PIPELINE: string[][] = [
  ["set", "key", "value"],
  [],
  ["get", ""],
  ["zadd", "z", "1.5", "m\x00\x80\x9f\xff"],
  ["set", "long", "x".repeat(300)],
  [ALL_BYTES],
  ["del", "key"],
  ["", "", ""],
  ["zquery", "z", "-inf", "", "-3", "10"],
  ["a".repeat(31), "b".repeat(32), "c".repeat(33)],
];

const PIPELINE_BYTES = concat(...PIPELINE.map(encodeKacheRequest));

Deno.test("KacheDecoder returns arguments holding all 256 byte values unchanged", () => {
  const singles = ALL_BYTES.split("");
  // 0x80–0x9F is where windows-1252 "latin1" decoding goes wrong; 31 bytes takes the JS path.
  const c1 = ALL_BYTES.slice(0x80, 0x9f);
  const argv = [ALL_BYTES, [...ALL_BYTES].reverse().join(""), c1, ...singles];
  const frame = new Frame().u32(argv.length);
  for (const arg of argv) frame.arg(arg);
  const result = decodeAll(Uint8Array.from(frame.framed()));
  assert.equal(result.error, undefined);
  assert.deepEqual(result.requests, [argv]);
  for (const arg of result.requests[0]!) {
    for (let i = 0; i < arg.length; i++) assert.ok(arg.charCodeAt(i) <= 0xff);
  }
});

Deno.test("KacheDecoder decodes a zero-argument request as an empty argv", () => {
  const bytes = Uint8Array.from(new Frame().u32(0).framed());
  assert.deepEqual([...bytes], [4, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(decodeAll(bytes), { requests: [[]], consumed: 8 });
});

Deno.test("KacheDecoder decodes many pipelined frames in one call", () => {
  const result = decodeAll(PIPELINE_BYTES);
  assert.equal(result.error, undefined);
  assert.deepEqual(result.requests, PIPELINE);
  assert.equal(result.consumed, PIPELINE_BYTES.length);
});

Deno.test("KacheDecoder gives the same requests when the stream is cut at any byte boundary", () => {
  const decoderFor = () => new KacheDecoder({ maxFrameLength: ORIGINAL_MAX_FRAME });
  for (let cut = 0; cut <= PIPELINE_BYTES.length; cut++) {
    const { requests, tail } = feed(decoderFor(), [
      PIPELINE_BYTES.subarray(0, cut),
      PIPELINE_BYTES.subarray(cut),
    ]);
    assert.deepEqual(requests, PIPELINE, `cut at ${cut}`);
    assert.equal(tail.length, 0);
  }
});

Deno.test("KacheDecoder gives the same requests when fed one byte at a time", () => {
  const chunks = Array.from(PIPELINE_BYTES, (byte) => Uint8Array.of(byte));
  const { requests, tail } = feed(new KacheDecoder(), chunks);
  assert.deepEqual(requests, PIPELINE);
  assert.equal(tail.length, 0);
});

Deno.test("KacheDecoder consumes nothing from a partial frame and reports the bytes it needs", () => {
  const frame = encodeKacheRequest(["set", "k", "v"]);
  const decoder = new KacheDecoder();
  assert.deepEqual(decoder.decode(frame, 0, 3), { requests: [], consumed: 0 });
  assert.equal(decoder.bytesNeeded, 4);
  assert.deepEqual(decoder.decode(frame, 0, frame.length - 1), { requests: [], consumed: 0 });
  assert.equal(decoder.bytesNeeded, frame.length);
  const done = decoder.decode(frame, 0, frame.length);
  assert.deepEqual(done.requests, [["set", "k", "v"]]);
  assert.equal(decoder.bytesNeeded, 4);
});

Deno.test("KacheDecoder honours start, end and a view with a non-zero byte offset", () => {
  const one = encodeKacheRequest(["get", "a"]);
  const two = encodeKacheRequest(["get", "b"]);
  const backing = concat([9, 9, 9], one, two, [7, 7]);
  const view = backing.subarray(3, 3 + one.length + two.length + 2);
  const decoder = new KacheDecoder();
  const result = decoder.decode(view, one.length, one.length + two.length);
  assert.deepEqual(result, { requests: [["get", "b"]], consumed: two.length });
  const both = decoder.decode(view, 0, one.length + two.length + 1);
  assert.deepEqual(both, { requests: [["get", "a"], ["get", "b"]], consumed: both.consumed });
  assert.equal(both.consumed, one.length + two.length);
});

Deno.test("KacheDecoder round-trips any pipeline of encodeKacheRequest frames split anywhere", () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(byteString(70), { maxLength: 8 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 6 }),
      (requests, cutSeeds) => {
        const stream = concat(...requests.map(encodeKacheRequest));
        const cuts = [...new Set(cutSeeds.map((seed) => seed % (stream.length + 1)))].sort(
          (a, b) => a - b,
        );
        const chunks: Uint8Array[] = [];
        let previous = 0;
        for (const cut of [...cuts, stream.length]) {
          chunks.push(stream.subarray(previous, cut));
          previous = cut;
        }
        const { requests: decoded, tail } = feed(new KacheDecoder(), chunks);
        assert.deepEqual(decoded, requests);
        assert.equal(tail.length, 0);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("encodeKacheRequest writes the original wire layout", () => {
  assert.deepEqual(
    [...encodeKacheRequest(["get", "\xff"])],
    [16, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x67, 0x65, 0x74, 1, 0, 0, 0, 0xff],
  );
  assert.deepEqual([...encodeKacheRequest([])], [4, 0, 0, 0, 0, 0, 0, 0]);
  const long = encodeKacheRequest([ALL_BYTES]);
  assert.equal(bytesToString(long, 12), ALL_BYTES);
});

// Malformed framing: each case follows two good frames, which must still be
// returned, with `consumed` covering exactly them.
const GOOD = [encodeKacheRequest(["set", "a", "1"]), encodeKacheRequest(["get", "a"])];
const GOOD_LENGTH = GOOD[0]!.length + GOOD[1]!.length;

function assertFramingError(
  bad: ArrayLike<number>,
  pattern: RegExp,
  options: { maxFrameLength?: number; maxArgs?: number } = {},
): void {
  const decoder = new KacheDecoder(options);
  let result: KacheDecodeResult | undefined;
  assert.doesNotThrow(() => {
    result = decoder.decode(concat(...GOOD, bad, GOOD[1]!), 0, GOOD_LENGTH + bad.length);
  });
  assert.deepEqual(result!.requests, [["set", "a", "1"], ["get", "a"]]);
  assert.equal(result!.consumed, GOOD_LENGTH);
  assert.match(result!.error ?? "", pattern);
  // Alone, the same frame is reported with nothing consumed.
  const alone = new KacheDecoder(options).decode(Uint8Array.from(bad), 0, bad.length);
  assert.deepEqual(alone.requests, []);
  assert.equal(alone.consumed, 0);
  assert.match(alone.error ?? "", pattern);
}

Deno.test("KacheDecoder reports a frame too short to hold the argument count", () => {
  assertFramingError([0, 0, 0, 0], /too short/);
  assertFramingError([1, 0, 0, 0, 0], /too short/);
  assertFramingError([3, 0, 0, 0, 1, 0, 0], /too short/);
});

Deno.test("KacheDecoder reports an argument count too big for the frame", () => {
  assertFramingError(new Frame().u32(2).arg("ab").framed(), /argument count does not fit/);
  // A huge count must be refused before anything is allocated for it.
  assertFramingError(new Frame().u32(0xffffffff).framed(), /./);
});

Deno.test("KacheDecoder reports an argument length past the end of the frame", () => {
  assertFramingError(new Frame().u32(1).u32(10).text("abc").framed(), /argument runs past/);
  assertFramingError(
    new Frame().u32(2).arg("abcd").framed(),
    /argument length runs past the end/,
  );
  assertFramingError(new Frame().u32(2).arg("").u32(0xffffffff).framed(), /runs past/);
});

Deno.test("KacheDecoder reports trailing bytes after the last argument", () => {
  assertFramingError(new Frame().u32(1).arg("a").text("x").framed(), /trailing bytes/);
  assertFramingError(new Frame().u32(0).text("\x00\x00\x00\x00").framed(), /trailing bytes/);
});

Deno.test("KacheDecoder reports more arguments than maxArgs", () => {
  const over = new Frame().u32(ORIGINAL_MAX_ARGS + 1);
  for (let i = 0; i <= ORIGINAL_MAX_ARGS; i++) over.arg("");
  assertFramingError(over.framed(), /65 arguments, more than the limit of 64/, {
    maxArgs: ORIGINAL_MAX_ARGS,
  });
  const atLimit = new Frame().u32(ORIGINAL_MAX_ARGS);
  for (let i = 0; i < ORIGINAL_MAX_ARGS; i++) atLimit.arg("");
  const result = decodeAll(Uint8Array.from(atLimit.framed()), { maxArgs: ORIGINAL_MAX_ARGS });
  assert.equal(result.error, undefined);
  assert.equal(result.requests[0]!.length, ORIGINAL_MAX_ARGS);
});

Deno.test("KacheDecoder reports a frame over maxFrameLength from its header alone", () => {
  const options = { maxFrameLength: ORIGINAL_MAX_FRAME };
  // Only the length field has arrived: the decoder must not wait for 4097 bytes.
  assertFramingError(
    new Frame().u32(ORIGINAL_MAX_FRAME + 1).bytes,
    /4097 bytes exceeds the limit of 4096/,
    options,
  );
  assertFramingError(new Frame().u32(0xffffffff).bytes, /exceeds the limit/, options);
  const body = "x".repeat(ORIGINAL_MAX_FRAME - 8);
  const atLimit = encodeKacheRequest([body]);
  assert.equal(atLimit.length, 4 + ORIGINAL_MAX_FRAME);
  assert.deepEqual(decodeAll(atLimit, options).requests, [[body]]);
});

Deno.test("KacheDecoder never throws on random bytes and never consumes past the end", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
      const result = new KacheDecoder({ maxFrameLength: 64, maxArgs: 8 }).decode(
        bytes,
        0,
        bytes.length,
      );
      assert.ok(result.consumed >= 0 && result.consumed <= bytes.length);
      const again = decodeAll(bytes.slice(0, result.consumed));
      assert.deepEqual(again.requests, result.requests);
    }),
    { numRuns: 500 },
  );
});

Deno.test("KacheEncoder writes nil as tag 0 with status OK", () => {
  const encoder = new KacheEncoder();
  encoder.writeResponse(KacheStatus.ok, NIL);
  assert.deepEqual([...encoder.take()], [5, 0, 0, 0, 0, 0, 0, 0, KacheTag.nil]);
  assert.deepEqual(encodeReplyBytes(NIL_ARRAY), [5, 0, 0, 0, 0, 0, 0, 0, 0]);
});

Deno.test("KacheEncoder writes a response without an item as length 4", () => {
  const encoder = new KacheEncoder();
  encoder.writeResponse(KacheStatus.unknown, undefined);
  encoder.writeResponse(KacheStatus.wrongType, undefined);
  assert.deepEqual([...encoder.take()], [4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0]);
});

Deno.test("KacheEncoder writes a status reply as a string item", () => {
  assert.deepEqual(encodeReplyBytes(OK), [11, 0, 0, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0x4f, 0x4b]);
  assert.deepEqual(
    encodeReplyBytes(status("")),
    [9, 0, 0, 0, 0, 0, 0, 0, KacheTag.string, 0, 0, 0, 0],
  );
});

Deno.test("KacheEncoder writes an error reply with status 3 and an error item", () => {
  assert.deepEqual(
    encodeReplyBytes(error("ERR x")),
    [14, 0, 0, 0, 3, 0, 0, 0, KacheTag.error, 5, 0, 0, 0, ...stringToBytes("ERR x")],
  );
});

Deno.test("KacheEncoder writes integers as little-endian i64, bigint and negative included", () => {
  const header = [13, 0, 0, 0, 0, 0, 0, 0, KacheTag.integer];
  assert.deepEqual(encodeReplyBytes(integer(42)), [...header, 42, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(encodeReplyBytes(integer(-1)), [...header, ...new Array(8).fill(0xff)]);
  assert.deepEqual(encodeReplyBytes(integer(-2)), [...header, 0xfe, ...new Array(7).fill(0xff)]);
  assert.deepEqual(
    encodeReplyBytes(integer(2n ** 63n - 1n)),
    [...header, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
  );
  assert.deepEqual(encodeReplyBytes(integer(-(2n ** 63n))), [...header, 0, 0, 0, 0, 0, 0, 0, 0x80]);
  assert.deepEqual(
    encodeReplyBytes(integer(Number.MAX_SAFE_INTEGER)),
    [...header, ...le64(9007199254740991n)],
  );
  assert.deepEqual(encodeReplyBytes(integer(-1234567)), [...header, ...le64(-1234567n)]);
});

Deno.test("KacheEncoder writes booleans as integers 1 and 0", () => {
  const header = [13, 0, 0, 0, 0, 0, 0, 0, KacheTag.integer];
  assert.deepEqual(
    encodeReplyBytes({ kind: "boolean", value: true }),
    [...header, 1, 0, 0, 0, 0, 0, 0, 0],
  );
  assert.deepEqual(
    encodeReplyBytes({ kind: "boolean", value: false }),
    [...header, 0, 0, 0, 0, 0, 0, 0, 0],
  );
});

Deno.test("KacheEncoder writes doubles as little-endian f64", () => {
  const header = [13, 0, 0, 0, 0, 0, 0, 0, KacheTag.double];
  assert.deepEqual(encodeReplyBytes(double(1.5)), [...header, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f]);
  assert.deepEqual(encodeReplyBytes(double(-0)), [...header, 0, 0, 0, 0, 0, 0, 0, 0x80]);
  assert.deepEqual(encodeReplyBytes(double(-Infinity)), [...header, ...f64(-Infinity)]);
  assert.deepEqual(encodeReplyBytes(double(5e-324)), [...header, 1, 0, 0, 0, 0, 0, 0, 0]);
});

Deno.test("KacheEncoder writes bulk, verbatim and big-number replies as string items", () => {
  assert.deepEqual(
    encodeReplyBytes(bulk(ALL_BYTES)),
    [9, 1, 0, 0, 0, 0, 0, 0, KacheTag.string, 0, 1, 0, 0, ...stringToBytes(ALL_BYTES)],
  );
  assert.deepEqual(
    encodeReplyBytes(verbatim("hi", "txt")),
    new Frame().u32(0).u8Tag(KacheTag.string).arg("hi").framed(),
  );
  assert.deepEqual(
    encodeReplyBytes({ kind: "big-number", value: -(10n ** 30n) }),
    new Frame().u32(0).u8Tag(KacheTag.string).arg(`-1${"0".repeat(30)}`).framed(),
  );
});

Deno.test("KacheEncoder writes nested arrays, sets and pushes as array items", () => {
  const reply = array([integer(1), array([bulk("a"), NIL]), array([]), set([status("s")])]);
  const expected = new Frame().u32(0)
    .u8Tag(KacheTag.array).u32(4)
    .u8Tag(KacheTag.integer).bytesOf(le64(1n))
    .u8Tag(KacheTag.array).u32(2)
    .u8Tag(KacheTag.string).arg("a")
    .u8Tag(KacheTag.nil)
    .u8Tag(KacheTag.array).u32(0)
    .u8Tag(KacheTag.array).u32(1)
    .u8Tag(KacheTag.string).arg("s")
    .framed();
  assert.deepEqual(encodeReplyBytes(reply), expected);
  assert.deepEqual(
    encodeReplyBytes(push([bulk("m")])),
    new Frame().u32(0).u8Tag(KacheTag.array).u32(1).u8Tag(KacheTag.string).arg("m").framed(),
  );
});

Deno.test("KacheEncoder flattens a map into alternating keys and values", () => {
  const reply = map([[bulk("a"), integer(1)], [status("b"), NIL]]);
  const expected = new Frame().u32(0)
    .u8Tag(KacheTag.array).u32(4)
    .u8Tag(KacheTag.string).arg("a")
    .u8Tag(KacheTag.integer).bytesOf(le64(1n))
    .u8Tag(KacheTag.string).arg("b")
    .u8Tag(KacheTag.nil)
    .framed();
  assert.deepEqual(encodeReplyBytes(reply), expected);
});

Deno.test("KacheEncoder grows past its initial size without corrupting earlier frames", () => {
  const encoder = new KacheEncoder(8);
  const replies: Reply[] = [
    integer(7),
    bulk("x".repeat(100)),
    array(Array.from({ length: 50 }, (_, i) => bulk(`member-${i}`))),
    bulk(ALL_BYTES.repeat(400)),
    double(2.5),
  ];
  for (const reply of replies) encoder.writeReply(reply);
  const bytes = encoder.take();
  const decoded = new KacheResponseDecoder().decode(bytes, 0, bytes.length);
  assert.equal(decoded.error, undefined);
  assert.equal(decoded.consumed, bytes.length);
  assert.deepEqual(decoded.responses, replies.map(expectedResponse));
});

Deno.test("KacheEncoder.takeOutput keeps big string values as strings and frames stay exact", () => {
  const encoder = new KacheEncoder(8);
  const big = ALL_BYTES.repeat(Math.ceil(LARGE_STRING_BYTES / 256) + 1);
  const replies: Reply[] = [
    integer(7),
    bulk(big),
    array([
      bulk("small"),
      bulk(big),
      array(Array.from({ length: 50 }, (_, i) => bulk(`m${i}`))),
      bulk(big),
    ]),
    double(2.5),
  ];
  for (const reply of replies) encoder.writeReply(reply);
  const output = encoder.takeOutput();
  assert.ok(!(output instanceof Uint8Array));
  assert.equal(output.filter((part) => part === big).length, 3);
  const bytes = flattenOutput(output);
  assert.equal(bytes.length, outputLength(output));
  const decoded = new KacheResponseDecoder().decode(bytes, 0, bytes.length);
  assert.equal(decoded.error, undefined);
  assert.equal(decoded.consumed, bytes.length);
  assert.deepEqual(decoded.responses, replies.map(expectedResponse));
  assert.equal(encoder.length, 0);
  // take() flattens the same way, and the encoder is reusable.
  encoder.writeReply(bulk(big));
  const again = encoder.take();
  assert.deepEqual(new KacheResponseDecoder().decode(again, 0, again.length).responses, [
    expectedResponse(bulk(big)),
  ]);
});

Deno.test("KacheEncoder.take returns the bytes written and resets the length", () => {
  const encoder = new KacheEncoder(64);
  encoder.writeReply(integer(1));
  assert.equal(encoder.length, 17);
  const first = [...encoder.take()];
  assert.equal(encoder.length, 0);
  assert.equal(encoder.take().length, 0);
  encoder.writeReply(integer(1));
  assert.deepEqual([...encoder.take()], first);
});

/** What the response decoder must give back for a reply the encoder wrote. */
function expectedItem(reply: Reply): KacheItem {
  switch (reply.kind) {
    case "nil":
    case "nil-array":
      return { tag: "nil" };
    case "error":
      return { tag: "error", message: reply.message };
    case "status":
      return { tag: "string", value: reply.text };
    case "bulk":
    case "verbatim":
      return { tag: "string", value: reply.value };
    case "big-number":
      return { tag: "string", value: reply.value.toString() };
    case "integer":
      return { tag: "integer", value: BigInt(reply.value) };
    case "boolean":
      return { tag: "integer", value: reply.value ? 1n : 0n };
    case "double":
      return { tag: "double", value: reply.value };
    case "array":
    case "set":
    case "push":
      return { tag: "array", items: reply.items.map(expectedItem) };
    case "map":
      return {
        tag: "array",
        items: reply.entries.flatMap(([key, value]) => [expectedItem(key), expectedItem(value)]),
      };
  }
}

function expectedResponse(reply: Reply): KacheResponse {
  return {
    status: reply.kind === "error" ? KacheStatus.error : KacheStatus.ok,
    item: expectedItem(reply),
  };
}

const replyArbitrary: fc.Arbitrary<Reply> = fc.letrec<{ reply: Reply }>((tie) => ({
  reply: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(NIL),
    fc.constant(NIL_ARRAY),
    byteString(40).map(status),
    byteString(40).map(error),
    fc.oneof(
      fc.integer(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    ).map((value) => integer(value)),
    fc.double().map(double),
    byteString(80).map(bulk),
    byteString(20).map((value) => verbatim(value)),
    fc.bigInt().map((value): Reply => ({ kind: "big-number", value })),
    fc.boolean().map((value): Reply => ({ kind: "boolean", value })),
    fc.array(tie("reply"), { maxLength: 4 }).map(array),
    fc.array(tie("reply"), { maxLength: 3 }).map(set),
    fc.array(tie("reply"), { maxLength: 3 }).map(push),
    fc.array(fc.tuple(tie("reply"), tie("reply")), { maxLength: 3 }).map(map),
  ),
})).reply;

Deno.test("KacheResponseDecoder round-trips whatever KacheEncoder writes", () => {
  fc.assert(
    fc.property(
      fc.array(replyArbitrary, { minLength: 1, maxLength: 6 }),
      fc.nat(),
      (replies, cutSeed) => {
        const encoder = new KacheEncoder(16);
        for (const reply of replies) encoder.writeReply(reply);
        const stream = encoder.take().slice();
        const decoder = new KacheResponseDecoder();
        // Partial data first: whole frames only, never an error.
        const cut = cutSeed % (stream.length + 1);
        const first = decoder.decode(stream, 0, cut);
        assert.equal(first.error, undefined);
        const rest = decoder.decode(stream, first.consumed, stream.length);
        assert.equal(rest.error, undefined);
        assert.equal(first.consumed + rest.consumed, stream.length);
        assert.deepEqual([...first.responses, ...rest.responses], replies.map(expectedResponse));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("KacheResponseDecoder decodes a response without an item", () => {
  const bytes = Uint8Array.of(4, 0, 0, 0, 2, 0, 0, 0);
  assert.deepEqual(new KacheResponseDecoder().decode(bytes, 0, bytes.length), {
    responses: [{ status: KacheStatus.notFound, item: undefined }],
    consumed: 8,
  });
});

function assertResponseError(bad: ArrayLike<number>, pattern: RegExp, maxFrameLength?: number) {
  const good = new KacheEncoder();
  good.writeReply(bulk("ok"));
  const goodBytes = good.take().slice();
  const stream = concat(goodBytes, bad);
  let result: ReturnType<KacheResponseDecoder["decode"]> | undefined;
  assert.doesNotThrow(() => {
    result = new KacheResponseDecoder(maxFrameLength).decode(stream, 0, stream.length);
  });
  assert.deepEqual(result!.responses, [{ status: 0, item: { tag: "string", value: "ok" } }]);
  assert.equal(result!.consumed, goodBytes.length);
  assert.match(result!.error ?? "", pattern);
}

Deno.test("KacheResponseDecoder reports malformed responses", () => {
  assertResponseError([3, 0, 0, 0, 0, 0, 0], /bad response length 3/);
  assertResponseError(new Frame().u32(0).u8Tag(9).framed(), /unknown item tag 9/);
  assertResponseError(
    new Frame().u32(0).u8Tag(KacheTag.string).u32(5).text("ab").framed(),
    /truncated string/,
  );
  assertResponseError(
    new Frame().u32(0).u8Tag(KacheTag.error).text("\x01").framed(),
    /truncated string length/,
  );
  assertResponseError(
    new Frame().u32(0).u8Tag(KacheTag.integer).text("1234").framed(),
    /truncated integer/,
  );
  assertResponseError(
    new Frame().u32(0).u8Tag(KacheTag.double).text("1").framed(),
    /truncated double/,
  );
  assertResponseError(
    new Frame().u32(0).u8Tag(KacheTag.array).text("\x01").framed(),
    /truncated array count/,
  );
  assertResponseError(
    new Frame().u32(0).u8Tag(KacheTag.array).u32(0xffffffff).u8Tag(0).framed(),
    /array count exceeds/,
  );
  assertResponseError(
    new Frame().u32(0).u8Tag(KacheTag.array).u32(2).u8Tag(KacheTag.string).u32(0).framed(),
    /truncated item/,
  );
  assertResponseError(new Frame().u32(0).u8Tag(KacheTag.nil).u8Tag(0).framed(), /trailing bytes/);
  assertResponseError(new Frame().u32(100).bytes, /bad response length 100/, 99);
});

Deno.test("KacheResponseDecoder waits for the rest of a partial response", () => {
  const encoder = new KacheEncoder();
  encoder.writeReply(bulk("hello"));
  const bytes = encoder.take().slice();
  for (let end = 0; end < bytes.length; end++) {
    assert.deepEqual(new KacheResponseDecoder().decode(bytes, 0, end), {
      responses: [],
      consumed: 0,
    });
  }
});

Deno.test("KacheDecoder.unauthenticated refuses a large frame from its length field alone", () => {
  const decoder = new KacheDecoder();
  decoder.unauthenticated = true;
  const header = new Uint8Array(4);
  new DataView(header.buffer).setUint32(0, 300 * 1024 * 1024, true);
  const result = decoder.decode(header, 0, 4);
  assert.deepEqual(result.requests, []);
  assert.equal(
    result.error,
    `unauthenticated frame of ${
      300 * 1024 * 1024
    } bytes exceeds the limit of ${UNAUTHENTICATED_MAX_FRAME}`,
  );
  assert.equal(decoder.bytesNeeded, 4);
});

Deno.test("KacheDecoder.unauthenticated allows 10 arguments of 16 KiB, no more", () => {
  const decoder = new KacheDecoder();
  decoder.unauthenticated = true;
  const fits = encodeKacheRequest(new Array(10).fill("x".repeat(16384)));
  assert.equal(fits.length, 4 + UNAUTHENTICATED_MAX_FRAME);
  assert.equal(decoder.decode(fits, 0, fits.length).requests.length, 1);
  const eleven = encodeKacheRequest(new Array(11).fill("x"));
  assert.equal(
    decoder.decode(eleven, 0, eleven.length).error,
    "request has 11 arguments, more than the limit of 10",
  );
  const long = encodeKacheRequest(["AUTH", "x".repeat(16385)]);
  assert.equal(
    decoder.decode(long, 0, long.length).error,
    "argument of 16385 bytes exceeds the limit of 16384",
  );
});

Deno.test("KacheDecoder.unauthenticated decodes one request per call and says more is buffered", () => {
  const decoder = new KacheDecoder();
  decoder.unauthenticated = true;
  const first = encodeKacheRequest(["AUTH", "pw"]);
  const second = encodeKacheRequest(["SET", "k", "v".repeat(20000)]);
  const bytes = new Uint8Array([...first, ...second]);
  assert.deepEqual(decoder.decode(bytes, 0, bytes.length), {
    requests: [["AUTH", "pw"]],
    consumed: first.length,
    more: true,
  });
  decoder.unauthenticated = false;
  const rest = decoder.decode(bytes, first.length, bytes.length);
  assert.equal(rest.requests[0]![2]!.length, 20000);
});
