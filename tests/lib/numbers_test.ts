import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatInteger,
  INT64_MAX,
  INT64_MIN,
  normalizeInteger,
  parseFloat64,
  parseInteger,
  parseSafeInteger,
} from "../../lib/numbers.ts";

// Expectations below were checked against redis-server 7.0 (`INCRBY k <x>` for
// integers, `ZADD z <x> m` for floats).

Deno.test("parseInteger accepts exactly what Redis's string2ll accepts", () => {
  const table: [string, number | bigint | undefined][] = [
    ["", undefined],
    ["-", undefined],
    ["-0", undefined],
    ["0", 0],
    ["00", undefined],
    ["01", undefined],
    ["-01", undefined],
    ["+1", undefined],
    [" 1", undefined],
    ["1 ", undefined],
    ["\t1", undefined],
    ["1\n", undefined],
    ["1e3", undefined],
    ["0x10", undefined],
    ["1.0", undefined],
    ["1_000", undefined],
    ["--1", undefined],
    ["1-", undefined],
    ["\x001", undefined],
    ["1\x00", undefined],
    ["1", 1],
    ["-1", -1],
    ["42", 42],
    ["123456789012345678", 123456789012345678n],
    ["9223372036854775807", 9223372036854775807n],
    ["9223372036854775808", undefined],
    ["-9223372036854775808", -9223372036854775808n],
    ["-9223372036854775809", undefined],
    ["99999999999999999999", undefined],
    ["100000000000000000000", undefined],
    ["-99999999999999999999", undefined],
  ];
  for (const [text, expected] of table) {
    assert.equal(parseInteger(text), expected, JSON.stringify(text));
  }
});

Deno.test("parseInteger returns numbers while float64-exact and bigints beyond", () => {
  assert.equal(parseInteger("999999999999999"), 999999999999999);
  assert.equal(parseInteger("9007199254740991"), 9007199254740991);
  assert.equal(parseInteger("-9007199254740991"), -9007199254740991);
  assert.equal(parseInteger("9007199254740992"), 9007199254740992n);
  assert.equal(parseInteger("-9007199254740992"), -9007199254740992n);
  assert.equal(parseInteger("1000000000000000"), 1000000000000000);
});

Deno.test("parseInteger reads back every int64 that formatInteger writes", () => {
  fc.assert(
    fc.property(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), (value) => {
      const text = value.toString();
      const parsed = parseInteger(text);
      assert.notEqual(parsed, undefined);
      assert.equal(BigInt(parsed!), value);
      assert.equal(parsed, normalizeInteger(value));
      assert.equal(formatInteger(parsed!), text);
    }),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.maxSafeInteger(), (value) => {
      assert.equal(parseInteger(String(value)), value === 0 ? 0 : value);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("parseInteger refuses every integer outside int64", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.bigInt({ min: INT64_MAX + 1n, max: INT64_MAX * 1000n }),
        fc.bigInt({ min: INT64_MIN * 1000n, max: INT64_MIN - 1n }),
      ),
      (value) => assert.equal(parseInteger(value.toString()), undefined),
    ),
  );
});

Deno.test("parseSafeInteger refuses integers beyond the float64-exact range", () => {
  assert.equal(parseSafeInteger("9007199254740991"), 9007199254740991);
  assert.equal(parseSafeInteger("9007199254740992"), undefined);
  assert.equal(parseSafeInteger("-5"), -5);
  assert.equal(parseSafeInteger("x"), undefined);
});

Deno.test("normalizeInteger keeps exact bigints as numbers", () => {
  assert.equal(normalizeInteger(5n), 5);
  assert.equal(normalizeInteger(9007199254740991n), 9007199254740991);
  assert.equal(normalizeInteger(9007199254740992n), 9007199254740992n);
  assert.equal(normalizeInteger(-9007199254740992n), -9007199254740992n);
  assert.equal(formatInteger(-(2n ** 63n)), "-9223372036854775808");
  assert.equal(formatInteger(-7), "-7");
});

Deno.test("parseFloat64 accepts infinities spelled as strtold does", () => {
  const table: [string, number][] = [
    ["inf", Infinity],
    ["+inf", Infinity],
    ["-inf", -Infinity],
    ["INF", Infinity],
    ["-INF", -Infinity],
    ["Inf", Infinity],
    ["infinity", Infinity],
    ["+infinity", Infinity],
    ["-infinity", -Infinity],
    ["Infinity", Infinity],
    ["-Infinity", -Infinity],
    ["INFINITY", Infinity],
  ];
  for (const [text, expected] of table) {
    assert.equal(parseFloat64(text), expected, JSON.stringify(text));
  }
});

Deno.test("parseFloat64 accepts decimal and exponent forms", () => {
  const table: [string, number][] = [
    ["0", 0],
    ["-0", -0],
    ["1", 1],
    ["-1.5", -1.5],
    [".5", 0.5],
    ["+.5", 0.5],
    ["-.5", -0.5],
    ["5.", 5],
    ["00.5", 0.5],
    ["007", 7],
    ["1e5", 100000],
    ["1E5", 100000],
    ["1e+5", 100000],
    ["1.5e-3", 0.0015],
    ["0e-400", 0],
    ["5e-324", 5e-324],
    ["1e-310", 1e-310],
    ["1.7976931348623157e308", 1.7976931348623157e308],
    ["3.141592653589793", 3.141592653589793],
  ];
  for (const [text, expected] of table) {
    assert.equal(parseFloat64(text), expected, JSON.stringify(text));
  }
});

Deno.test("parseFloat64 refuses NaN, overflow, underflow, spaces and malformed numbers", () => {
  const refused = [
    "",
    "nan",
    "NaN",
    "-nan",
    "1e400",
    "-1e400",
    "1e-400",
    "-1e-400",
    "2e-324",
    " 1",
    "1 ",
    "\t1",
    "1\n",
    "\r1",
    "\v1",
    "\f1",
    ".",
    "-",
    "+",
    "e5",
    "1e",
    "1e+",
    "1.2.3",
    "1_0",
    "infinite",
    "infinityx",
    "inf ",
    "--1",
    "+-1",
    "1,5",
    "1\x00",
    "\x001",
    "0b1",
    "0o7",
    "0x",
    "0xg",
    "0x1p",
    "0x1p99999",
  ];
  for (const text of refused) {
    assert.equal(parseFloat64(text), undefined, JSON.stringify(text));
  }
});

Deno.test("parseFloat64 reads hex floats as redis-server 7.0's strtod does", () => {
  assert.equal(parseFloat64("0x10"), 16);
  assert.equal(parseFloat64("0X10"), 16);
  assert.equal(parseFloat64("0x1p3"), 8);
  assert.equal(parseFloat64("-0x1.8p1"), -3);
  assert.equal(parseFloat64("+0x.8"), 0.5);
});

Deno.test("parseFloat64 refuses a no-break space (0xA0) around the number", () => {
  // Number() trims U+00A0 as white space; strtod does not, and Redis answers
  // "value is not a valid float" (checked against redis-server 7.0).
  for (const text of ["\xa01", "1\xa0", "\xa0inf", "\xa0\xa0-2.5\xa0"]) {
    assert.equal(parseFloat64(text), undefined, JSON.stringify(text));
  }
});

Deno.test("parseFloat64 reads back every finite double's shortest form", () => {
  fc.assert(
    fc.property(fc.double({ noNaN: true }), (value) => {
      const text = Object.is(value, -0)
        ? "-0"
        : Number.isFinite(value)
        ? String(value)
        : value > 0
        ? "inf"
        : "-inf";
      assert.ok(Object.is(parseFloat64(text), value), text);
    }),
    { numRuns: 3000 },
  );
});
