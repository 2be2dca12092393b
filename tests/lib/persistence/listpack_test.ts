import { deepStrictEqual, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import { decodeListpack } from "../../../lib/persistence/listpack.ts";
import { decodeZiplist } from "../../../lib/persistence/ziplist.ts";
import { ALL_BYTES, encodeListpack, encodeZiplist, rdbString } from "./rdb_support.ts";

/** Elements that hit every encoding of both formats, boundaries included. */
const BOUNDARY_ELEMENTS = [
  "",
  "a",
  ALL_BYTES,
  "x".repeat(63),
  "x".repeat(64),
  "y".repeat(4095),
  "y".repeat(4096),
  "z".repeat(16383),
  "z".repeat(16384),
  "w".repeat(16378),
  "0",
  "12",
  "13",
  "127",
  "128",
  "-1",
  "-128",
  "-129",
  "4095",
  "4096",
  "-4096",
  "-4097",
  "32767",
  "-32769",
  "8388607",
  "-8388609",
  "2147483647",
  "-2147483649",
  "9223372036854775807",
  "-9223372036854775808",
  "9223372036854775808",
  "007",
  "-0",
  "1.5",
  "inf",
];

Deno.test("decodeListpack reads every encoding Redis writes", () => {
  deepStrictEqual(decodeListpack(encodeListpack(BOUNDARY_ELEMENTS)), BOUNDARY_ELEMENTS);
});

Deno.test("decodeZiplist reads every encoding Redis writes", () => {
  deepStrictEqual(decodeZiplist(encodeZiplist(BOUNDARY_ELEMENTS)), BOUNDARY_ELEMENTS);
});

Deno.test("decodeListpack and decodeZiplist return any elements as written", () => {
  fc.assert(
    fc.property(fc.array(rdbString(), { maxLength: 30 }), (elements) => {
      deepStrictEqual(decodeListpack(encodeListpack(elements)), elements);
      deepStrictEqual(decodeZiplist(encodeZiplist(elements)), elements);
    }),
    { numRuns: 200 },
  );
});

Deno.test("decodeListpack walks a listpack whose header count says unknown", () => {
  const elements = Array.from({ length: 70000 }, (_, i) => String(i % 3));
  deepStrictEqual(decodeListpack(encodeListpack(elements)).length, 70000);
});

Deno.test("decodeListpack rejects a wrong header, backlen or terminator", () => {
  const good = encodeListpack(["a", "bb"]);
  const wrongTotal = good.slice();
  wrongTotal[0]! += 1;
  throws(() => decodeListpack(wrongTotal), /header says/);
  const wrongCount = good.slice();
  wrongCount[4] = 3;
  throws(() => decodeListpack(wrongCount), /counts 3 elements/);
  const wrongBacklen = good.slice();
  wrongBacklen[8] = 9;
  throws(() => decodeListpack(wrongBacklen), /backlen/);
  throws(() => decodeListpack(good.subarray(0, good.length - 1)), RangeError);
});

Deno.test("decodeZiplist rejects a wrong previous-entry length", () => {
  const good = encodeZiplist(["a", "bb"]);
  const wrong = good.slice();
  wrong[13] = 7; // second entry's prevlen
  throws(() => decodeZiplist(wrong), /previous entry/);
});

Deno.test("listpack and ziplist decoders throw only RangeErrors on corrupt input", () => {
  fc.assert(
    fc.property(
      fc.array(rdbString(), { maxLength: 6 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.boolean(),
      (elements, flips, listpack) => {
        const bytes = (listpack ? encodeListpack : encodeZiplist)(elements).slice();
        for (const [at, value] of flips) bytes[at % bytes.length] = value;
        try {
          (listpack ? decodeListpack : decodeZiplist)(bytes);
        } catch (error) {
          ok(error instanceof RangeError, String(error));
        }
      },
    ),
    { numRuns: 1000 },
  );
});
