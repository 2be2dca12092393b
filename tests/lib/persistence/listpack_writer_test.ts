import assert from "node:assert/strict";
import { decodeListpack } from "../../../lib/persistence/listpack.ts";
import { encodeListpack } from "../../../lib/persistence/listpack_writer.ts";
import { seededRandom } from "../../../lib/random.ts";

Deno.test("encodeListpack: every integer width and string length decodes back to its text", () => {
  const elements: (string | bigint)[] = [
    "0",
    "127",
    "128",
    "-1",
    "-4096",
    "4095",
    "4096",
    "-32768",
    "32767",
    "-8388608",
    "8388607",
    "-2147483648",
    "2147483647",
    "2147483648",
    "-9223372036854775808",
    "9223372036854775807",
    "9223372036854775808",
    "007",
    "-0",
    "+1",
    "",
    "x".repeat(63),
    "x".repeat(64),
    "x".repeat(4095),
    "x".repeat(4096),
    "x".repeat(70000),
    -5n,
    4611686018427387904n,
  ];
  assert.deepEqual(decodeListpack(encodeListpack(elements)), elements.map(String));
});

Deno.test("encodeListpack: random elements round-trip through the decoder", () => {
  const random = seededRandom(7);
  for (let round = 0; round < 50; round++) {
    const elements: string[] = [];
    const count = Math.floor(random() * 40);
    for (let i = 0; i < count; i++) {
      elements.push(
        random() < 0.5
          ? String(Math.floor((random() - 0.5) * 2 ** Math.floor(random() * 53)))
          : Array.from({ length: Math.floor(random() * 200) }, () =>
            String.fromCharCode(Math.floor(random() * 256))).join(""),
      );
    }
    assert.deepEqual(decodeListpack(encodeListpack(elements)), elements);
  }
});
