import assert from "node:assert/strict";
import fc from "fast-check";
import { AofEncoder } from "../../../lib/persistence/aof_encoder.ts";
import { AofFormatError, AofParser } from "../../../lib/persistence/aof_loader.ts";
import { binaryString } from "./rdb_support.ts";

function encode(commands: readonly (readonly string[])[]): Uint8Array {
  const encoder = new AofEncoder();
  for (const argv of commands) encoder.append(argv);
  return encoder.take();
}

function parse(bytes: Uint8Array, chunkSizes: readonly number[] = [bytes.length]) {
  const commands: { argv: string[]; offset: number }[] = [];
  const parser = new AofParser((argv, offset) => commands.push({ argv, offset }));
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, chunkSizes[i % chunkSizes.length]!);
    parser.push(bytes.slice(at, at + size));
    at += size;
  }
  return { commands, end: parser.end() };
}

const commandArbitrary = fc.array(binaryString(70), { minLength: 1, maxLength: 5 });

Deno.test("AofParser reads back what AofEncoder wrote, whatever the chunking", () => {
  fc.assert(
    fc.property(
      fc.array(commandArbitrary, { maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
      (commands, chunks) => {
        const bytes = encode(commands);
        const { commands: parsed, end } = parse(bytes, chunks);
        assert.deepEqual(parsed.map((command) => command.argv), commands);
        assert.deepEqual(end, {
          commands: commands.length,
          validLength: bytes.length,
          truncatedBytes: 0,
        });
        // Each offset is where that command's bytes begin.
        let offset = 0;
        parsed.forEach((command, index) => {
          assert.equal(command.offset, offset);
          offset += encode([commands[index]!]).length;
        });
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("AofParser reports a file cut at any byte as truncated after the last whole command", () => {
  const commands = [["SET", "k", "v"], ["ZADD", "z", "1", "\x00\xff"], ["DEL", "k"]];
  const bytes = encode(commands);
  const boundaries = [0];
  for (const argv of commands) boundaries.push(boundaries.at(-1)! + encode([argv]).length);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const { commands: parsed, end } = parse(bytes.subarray(0, cut), [7]);
    const whole = boundaries.filter((boundary) => boundary <= cut).length - 1;
    assert.equal(parsed.length, whole, `cut at ${cut}`);
    assert.equal(end.validLength, boundaries[whole]);
    assert.equal(end.truncatedBytes, cut - boundaries[whole]!);
  }
});

Deno.test("AofParser rejects corruption with the offset of the bad byte", () => {
  const bytes = encode([["SET", "a", "1"], ["SET", "b", "2"]]);
  const second = encode([["SET", "a", "1"]]).length;
  const cases: [number, number, RegExp][] = [
    [second, "#".charCodeAt(0), /Expected '\*'/],
    [second + 1, "x".charCodeAt(0), /Bad length line/],
    [second + 4, "%".charCodeAt(0), /Expected '\$'/],
    [second + 11, "Z".charCodeAt(0), /Missing CRLF after an argument/],
  ];
  for (const [at, byte, message] of cases) {
    const corrupt = bytes.slice();
    corrupt[at] = byte;
    assert.throws(
      () => parse(corrupt, [5]),
      (error: unknown) => {
        assert.ok(error instanceof AofFormatError);
        assert.match(error.message, message);
        assert.equal(error.offset, at);
        return true;
      },
    );
  }
});

Deno.test("AofParser calls garbage at the end corruption, not truncation", () => {
  const bytes = new Uint8Array([...encode([["PING"]]), 0x52, 0x45]);
  assert.throws(() => parse(bytes), /Expected '\*' .* at offset 14/);
});

Deno.test("AofParser rejects a command without arguments and oversized arguments", () => {
  const text = new TextEncoder();
  assert.throws(() => parse(text.encode("*0\r\n")), /Command with 0 arguments at offset 4/);
  const small = new AofParser(() => {}, { maxArgumentLength: 3 });
  assert.throws(() => small.push(text.encode("*1\r\n$4\r\nPING\r\n")), /longer than allowed/);
});

Deno.test("AofParser keeps a huge argument split over many chunks intact", () => {
  const big = "x".repeat(300_000);
  const bytes = encode([["SET", "big", big], ["GET", "big"]]);
  const { commands } = parse(bytes, [1000]);
  assert.equal(commands.length, 2);
  assert.equal(commands[0]!.argv[2], big);
});
