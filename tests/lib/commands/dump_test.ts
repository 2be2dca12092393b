import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { SYNTAX } from "../../../lib/errors.ts";
import {
  array,
  bulk,
  double,
  error,
  integer,
  map,
  NIL,
  OK,
  type Reply,
} from "../../../lib/reply.ts";
import { createHarness } from "../../support/command_harness.ts";

const NOW = 1_700_000_000_000;

/** A one-byte string from hex, as payloads travel. */
function fromHex(hex: string): string {
  let text = "";
  for (let i = 0; i < hex.length; i += 2) {
    text += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  }
  return text;
}

/** DUMP payloads redis-server 7.0.15 gave for SET k <value> (`redis-cli --raw DUMP k | xxd -p`). */
const REDIS_STRING_DUMPS: [string, string][] = [
  ["12345", "00c139300a009d94ea2793fc08b9"],
  ["hello", "000568656c6c6f0a006372df766534200a"],
  ["-1", "00c0ff0a000c937e2485089dc5"],
  ["2147483648", "000a323134373438333634380a00e7b129a34c1d76ee"],
];
/** redis-server's DUMP of 30 × "a" (LZF) and of ZADD z 1 a 2.5 b -3 c (a listpack). */
const REDIS_LZF_DUMP = "00c3091e016161e011000161610a0045737cbb2b647bbb";
const REDIS_ZSET_DUMP =
  "111a1a0000000600816302dffd02816102010181620283322e3504ff0a00a68a1ab1a9f2dcc2";

Deno.test("DUMP of a string is byte for byte what Redis 7.0 gives", () => {
  const h = createHarness(NOW);
  for (const [value, hex] of REDIS_STRING_DUMPS) {
    h.run("SET", "k", value);
    deepStrictEqual(h.run("DUMP", "k"), bulk(fromHex(hex)), value);
  }
  deepStrictEqual(h.run("DUMP", "missing"), NIL);
});

Deno.test("DUMP of a small sorted set is Redis's listpack payload, byte for byte", () => {
  const h = createHarness(NOW);
  h.run("ZADD", "z", "1", "a", "2.5", "b", "-3", "c");
  deepStrictEqual(h.run("DUMP", "z"), bulk(fromHex(REDIS_ZSET_DUMP)));
});

Deno.test("RESTORE takes Redis's payloads: strings, LZF strings and listpack sorted sets", () => {
  const h = createHarness(NOW);
  for (const [value, hex] of REDIS_STRING_DUMPS) {
    deepStrictEqual(h.run("RESTORE", "k", "0", fromHex(hex), "REPLACE"), OK);
    deepStrictEqual(h.run("GET", "k"), bulk(value));
  }
  deepStrictEqual(h.run("RESTORE", "lzf", "0", fromHex(REDIS_LZF_DUMP)), OK);
  deepStrictEqual(h.run("GET", "lzf"), bulk("a".repeat(30)));
  deepStrictEqual(h.run("RESTORE", "z", "0", fromHex(REDIS_ZSET_DUMP)), OK);
  deepStrictEqual(
    h.run("ZRANGE", "z", "0", "-1", "WITHSCORES"),
    array([bulk("c"), double(-3), bulk("a"), double(1), bulk("b"), double(2.5)]),
  );
});

Deno.test("DUMP then RESTORE gives the same value back, with TTL and ABSTTL", () => {
  const h = createHarness(NOW);
  h.run("ZADD", "z", "1", "a", "-inf", "b", "3.25", "c");
  const payload = (h.run("DUMP", "z") as { value: string }).value;
  deepStrictEqual(h.run("RESTORE", "copy", "5000", payload), OK);
  deepStrictEqual(
    h.run("ZRANGE", "copy", "0", "-1", "WITHSCORES"),
    h.run("ZRANGE", "z", "0", "-1", "WITHSCORES"),
  );
  deepStrictEqual(h.run("PTTL", "copy"), integer(5000));
  deepStrictEqual(h.run("RESTORE", "abs", String(NOW + 7000), payload, "ABSTTL"), OK);
  deepStrictEqual(h.run("PEXPIRETIME", "abs"), integer(NOW + 7000));
  // A deadline already past stores nothing, and with REPLACE the old key is gone.
  deepStrictEqual(h.run("RESTORE", "abs", String(NOW - 1), payload, "ABSTTL", "REPLACE"), OK);
  deepStrictEqual(h.run("EXISTS", "abs"), integer(0));
});

Deno.test("RESTORE errors have Redis's texts and order", () => {
  const h = createHarness(NOW);
  h.run("SET", "k", "v");
  const good = (h.run("DUMP", "k") as { value: string }).value;
  const expect = (reply: Reply, message: string) => deepStrictEqual(reply, error(message));
  expect(h.run("RESTORE", "k", "0", good), "BUSYKEY Target key name already exists.");
  expect(h.run("RESTORE", "n", "-1", good), "ERR Invalid TTL value, must be >= 0");
  expect(h.run("RESTORE", "n", "x", good), "ERR value is not an integer or out of range");
  expect(h.run("RESTORE", "n", "0", "short"), "ERR DUMP payload version or checksum are wrong");
  const flipped = good.slice(0, 2) + String.fromCharCode(good.charCodeAt(2) ^ 1) + good.slice(3);
  expect(h.run("RESTORE", "n", "0", flipped), "ERR DUMP payload version or checksum are wrong");
  expect(
    h.run("RESTORE", "n", "0", good, "FREQ", "256"),
    "ERR Invalid FREQ value, must be >= 0 and <= 255",
  );
  expect(
    h.run("RESTORE", "n", "0", good, "IDLETIME", "-1"),
    "ERR Invalid IDLETIME value, must be >= 0",
  );
  expect(h.run("RESTORE", "n", "0", good, "IDLETIME", "1", "FREQ", "1"), SYNTAX);
  expect(h.run("RESTORE", "n", "0", good, "BOGUS"), SYNTAX);
  deepStrictEqual(h.run("RESTORE", "n", "0", good, "IDLETIME", "10"), OK);
});

Deno.test("RESTORE refuses a payload with a valid checksum but a bad body", () => {
  const h = createHarness(NOW);
  h.run("SET", "k", "hello");
  const good = (h.run("DUMP", "k") as { value: string }).value;
  // Type 0 with a length that runs past the body, then the footer recomputed by DUMP's own rules.
  h.run("SET", "k", "x");
  const body = "\x00\x3f" + "abc";
  const footer = good.slice(-10, -8);
  const crc = crc64Hex(body + footer);
  deepStrictEqual(h.run("RESTORE", "n", "0", body + footer + crc), error("ERR Bad data format"));
});

/** CRC-64/Jones of a one-byte string, little-endian, as DUMP's trailer. */
function crc64Hex(text: string): string {
  const POLY = 0x95ac9329ac4bc9b5n;
  let crc = 0n;
  for (let i = 0; i < text.length; i++) {
    crc ^= BigInt(text.charCodeAt(i));
    for (let bit = 0; bit < 8; bit++) crc = (crc & 1n) === 1n ? (crc >> 1n) ^ POLY : crc >> 1n;
  }
  let out = "";
  for (let i = 0; i < 8; i++) {
    out += String.fromCharCode(Number(crc & 0xffn));
    crc >>= 8n;
  }
  return out;
}

Deno.test("OBJECT ENCODING answers as Redis 7.0 for strings", () => {
  const h = createHarness(NOW);
  const cases: [string, string][] = [
    ["0", "int"],
    ["-1", "int"],
    ["9223372036854775807", "int"],
    ["9223372036854775808", "embstr"],
    ["-9223372036854775808", "int"],
    ["007", "embstr"],
    ["+1", "embstr"],
    ["-0", "embstr"],
    [" 1", "embstr"],
    ["1.5", "embstr"],
    ["", "embstr"],
    ["x".repeat(44), "embstr"],
    ["x".repeat(45), "raw"],
  ];
  for (const [value, encoding] of cases) {
    h.run("SET", "k", value);
    deepStrictEqual(h.run("OBJECT", "ENCODING", "k"), bulk(encoding), JSON.stringify(value));
  }
  deepStrictEqual(h.run("OBJECT", "ENCODING", "missing"), NIL);
});

Deno.test("OBJECT ENCODING of a sorted set follows zset-max-listpack-entries/value", () => {
  const h = createHarness(NOW);
  for (let i = 0; i < 128; i++) h.run("ZADD", "z", String(i), `m${i}`);
  deepStrictEqual(h.run("OBJECT", "ENCODING", "z"), bulk("listpack"));
  h.run("ZADD", "z", "999", "one-more");
  deepStrictEqual(h.run("OBJECT", "ENCODING", "z"), bulk("skiplist"));
  h.run("ZADD", "long", "1", "x".repeat(65));
  deepStrictEqual(h.run("OBJECT", "ENCODING", "long"), bulk("skiplist"));
  deepStrictEqual(h.run("CONFIG", "SET", "zset-max-ziplist-value", "128"), OK);
  deepStrictEqual(h.run("OBJECT", "ENCODING", "long"), bulk("listpack"));
  deepStrictEqual(h.run("CONFIG", "SET", "zset-max-listpack-entries", "0"), OK);
  deepStrictEqual(h.run("OBJECT", "ENCODING", "long"), bulk("skiplist"));
});

Deno.test("OBJECT REFCOUNT, FREQ, IDLETIME and HELP", () => {
  const h = createHarness(NOW);
  h.run("SET", "small", "42");
  h.run("SET", "text", "hello");
  deepStrictEqual(h.run("OBJECT", "REFCOUNT", "small"), integer(2147483647));
  deepStrictEqual(h.run("OBJECT", "REFCOUNT", "text"), integer(1));
  deepStrictEqual(h.run("OBJECT", "REFCOUNT", "missing"), NIL);
  deepStrictEqual(
    h.run("OBJECT", "FREQ", "text"),
    error(
      "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note " +
        "that when switching between policies at runtime LRU and LFU data will take some time to " +
        "adjust.",
    ),
  );
  strictEqual((h.run("OBJECT", "IDLETIME", "text") as { kind: string }).kind, "error");
  h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
  deepStrictEqual(h.run("OBJECT", "FREQ", "text"), integer(5));
  deepStrictEqual(
    h.run("OBJECT", "IDLETIME", "text"),
    error(
      "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when " +
        "switching between policies at runtime LRU and LFU data will take some time to adjust.",
    ),
  );
  h.run("CONFIG", "SET", "maxmemory", "1gb");
  h.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
  deepStrictEqual(h.run("OBJECT", "REFCOUNT", "small"), integer(1));
  const help = JSON.stringify(h.run("OBJECT", "HELP"));
  strictEqual(help.includes('"ENCODING <key>"'), true);
});

Deno.test("CONFIG: encoding settings keep their value under both names, with Redis's checks", () => {
  const h = createHarness(NOW);
  deepStrictEqual(
    h.run("CONFIG", "GET", "hash-max-ziplist-entries"),
    map([[bulk("hash-max-ziplist-entries"), bulk("512")]]),
  );
  deepStrictEqual(h.run("CONFIG", "SET", "hash-max-ziplist-entries", "100"), OK);
  deepStrictEqual(
    h.run("CONFIG", "GET", "hash-max-listpack-entries"),
    map([[bulk("hash-max-listpack-entries"), bulk("100")]]),
  );
  deepStrictEqual(h.run("CONFIG", "SET", "zset-max-listpack-value", "1kb"), OK);
  deepStrictEqual(
    h.run("CONFIG", "GET", "zset-max-ziplist-value"),
    map([[bulk("zset-max-ziplist-value"), bulk("1024")]]),
  );
  deepStrictEqual(
    h.run("CONFIG", "SET", "hash-max-ziplist-entries", "-1"),
    error(
      "ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - " +
        "argument must be between 0 and 9223372036854775807 inclusive",
    ),
  );
  deepStrictEqual(
    h.run("CONFIG", "SET", "list-max-listpack-size", "99999999999"),
    error(
      "ERR CONFIG SET failed (possibly related to argument 'list-max-listpack-size') - " +
        "argument must be between -2147483648 and 2147483647 inclusive",
    ),
  );
  deepStrictEqual(
    h.run("CONFIG", "SET", "list-compress-depth", "-1"),
    error(
      "ERR CONFIG SET failed (possibly related to argument 'list-compress-depth') - " +
        "argument must be between 0 and 2147483647 inclusive",
    ),
  );
  deepStrictEqual(
    h.run("CONFIG", "SET", "stream-node-max-bytes", "1x"),
    error(
      "ERR CONFIG SET failed (possibly related to argument 'stream-node-max-bytes') - " +
        "argument must be a memory value",
    ),
  );
  deepStrictEqual(h.run("CONFIG", "SET", "set-max-intset-entries", "9223372036854775807"), OK);
  deepStrictEqual(
    h.run("CONFIG", "GET", "set-max-intset-entries"),
    map([[bulk("set-max-intset-entries"), bulk("9223372036854775807")]]),
  );
});
