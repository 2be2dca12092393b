/**
 * Fuzzing the four decoders in-process: mutated pipelined streams (the
 * shared engine in `codec_targets.ts`) and fast-check properties over
 * arbitrary bytes and arbitrary chunkings. A short budget for CI; `deno task
 * fuzz` runs the same cases by the million.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { KacheResponseDecoder } from "../../lib/protocol/kache.ts";
import { encodeRespRequest, RespReplyDecoder } from "../../lib/protocol/resp_reply.ts";
import { RespDecoder } from "../../lib/protocol/resp.ts";
import {
  checkCodecInput,
  type CodecFailure,
  type CodecName,
  fuzzCodecCase,
} from "./codec_targets.ts";
import { caseRandom } from "./mutate.ts";

/** Cases per decoder: 4 × 5,000 = 20,000 inputs, a few seconds. */
const CASES = 5_000;
const SEED = 20240607;

function fuzzCodec(codec: CodecName, seed: number): void {
  const failures: (CodecFailure & { index: number })[] = [];
  for (let index = 0; index < CASES && failures.length < 5; index++) {
    const failure = fuzzCodecCase(codec, caseRandom(seed, index));
    if (failure !== undefined) failures.push({ ...failure, index });
  }
  assert.deepEqual(failures, [], `replay with caseRandom(${seed}, index)`);
}

for (
  const [offset, codec]
    of (["resp-request", "kache-request", "resp-reply", "kache-response"] as const).entries()
) {
  Deno.test(`${codec} decoder survives ${CASES} mutated pipelined streams with chunking-independent results`, () => {
    fuzzCodec(codec, SEED + offset);
  });
}

const CODEC_NAMES: readonly CodecName[] = [
  "resp-request",
  "kache-request",
  "resp-reply",
  "kache-response",
];

Deno.test("every decoder handles arbitrary bytes without throwing and the same in any chunking", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...CODEC_NAMES),
      fc.uint8Array({ maxLength: 300 }),
      fc.integer(),
      (codec, bytes, seed) => {
        assert.equal(checkCodecInput(codec, bytes, seed), undefined);
      },
    ),
    { numRuns: 2_000 },
  );
});

/** Bytes biased to protocol syntax: markers, digits and line ends, where the framing bugs are. */
const protocolByte = fc.constantFrom(
  ..."*$:+-_,#(!=%~>|0123456789\r\n\r\n \"'\\".split("").map((char) => char.charCodeAt(0)),
  0,
  1,
  5,
  0xff,
);

Deno.test("every decoder gives the same result in any chunking of protocol-like bytes", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...CODEC_NAMES),
      fc.array(protocolByte, { maxLength: 200 }),
      fc.integer(),
      (codec, bytes, seed) => {
        assert.equal(checkCodecInput(codec, Uint8Array.from(bytes), seed), undefined);
      },
    ),
    { numRuns: 2_000 },
  );
});

Deno.test("RespDecoder returns every pipelined request whatever the read boundaries", () => {
  const argument = fc.string({
    unit: fc.integer({ min: 0, max: 255 }).map((code) => String.fromCharCode(code)),
    maxLength: 40,
  });
  fc.assert(
    fc.property(
      fc.array(fc.array(argument, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (requests, rawCuts) => {
        const parts = requests.map(encodeRespRequest);
        const bytes = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
        let offset = 0;
        for (const part of parts) {
          bytes.set(part, offset);
          offset += part.length;
        }
        const cuts = [...new Set(rawCuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) =>
          a - b
        );
        const decoder = new RespDecoder();
        const decoded: string[][] = [];
        let buffer = new Uint8Array(0);
        let previous = 0;
        for (const cut of [...cuts, bytes.length]) {
          const next = new Uint8Array(buffer.length + cut - previous);
          next.set(buffer);
          next.set(bytes.subarray(previous, cut), buffer.length);
          previous = cut;
          const result = decoder.decode(next, 0, next.length);
          assert.equal(result.error, undefined);
          decoded.push(...result.requests);
          buffer = next.slice(result.consumed);
        }
        assert.deepEqual(decoded, requests);
        assert.equal(buffer.length, 0);
      },
    ),
    { numRuns: 1_000 },
  );
});

/** A response frame holding `depth` nested one-element arrays around a nil. */
function nestedArrayResponse(depth: number): Uint8Array {
  const frame = new Uint8Array(8 + depth * 5 + 1);
  const view = new DataView(frame.buffer);
  view.setUint32(0, frame.length - 4, true);
  for (let i = 0; i < depth; i++) {
    frame[8 + i * 5] = 5;
    view.setUint32(8 + i * 5 + 1, 1, true);
  }
  return frame;
}

Deno.test("KacheResponseDecoder reports arrays nested 20,000 deep as an error instead of throwing", () => {
  // Found by the fuzzer: the recursive item reader overflowed the stack near 7,000 levels.
  const frame = nestedArrayResponse(20_000);
  const result = new KacheResponseDecoder().decode(frame, 0, frame.length);
  assert.equal(result.error, "arrays nested too deep");
  assert.deepEqual(result.responses, []);
  assert.equal(result.consumed, 0);
});

Deno.test("KacheResponseDecoder still decodes arrays nested a few hundred deep", () => {
  const frame = nestedArrayResponse(500);
  const result = new KacheResponseDecoder().decode(frame, 0, frame.length);
  assert.equal(result.error, undefined);
  assert.equal(result.responses.length, 1);
});

Deno.test("RespReplyDecoder decodes arrays nested 20,000 deep without recursion", () => {
  const wire = "*1\r\n".repeat(20_000) + ":1\r\n";
  const bytes = Uint8Array.from(wire, (char) => char.charCodeAt(0));
  const result = new RespReplyDecoder().decode(bytes, 0, bytes.length);
  assert.equal(result.error, undefined);
  assert.equal(result.replies.length, 1);
  assert.equal(result.consumed, bytes.length);
});
