/**
 * Bitmap and geo commands through the command table: what a differential
 * test against redis-server cannot show (Kache's own string limit, memory
 * accounting, the binary protocol's reply shapes, client-side caching).
 * Replies and error texts were taken from Redis 7.0.15.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { MAX_STRING_LENGTH } from "../../../lib/commands/strings.ts";
import {
  array,
  bulk,
  error,
  integer,
  NIL_ARRAY,
  OK,
  ONE,
  push,
  type Reply,
  ZERO,
} from "../../../lib/reply.ts";
import { createHarness } from "../../support/command_harness.ts";

const BAD_OFFSET = error("ERR bit offset is not an integer or out of range");

Deno.test("SETBIT and BITFIELD refuse offsets past the longest string V8 holds", () => {
  const h = createHarness();
  deepStrictEqual(h.run("SETBIT", "b", String(MAX_STRING_LENGTH * 8), "1"), BAD_OFFSET);
  deepStrictEqual(h.run("GETBIT", "b", String(MAX_STRING_LENGTH * 8)), BAD_OFFSET);
  // The field starts inside the limit but its last byte would lie past it.
  deepStrictEqual(
    h.run("BITFIELD", "b", "SET", "u8", String(MAX_STRING_LENGTH * 8 - 4), "1"),
    BAD_OFFSET,
  );
  strictEqual(h.keyspace.get("b"), undefined);
});

Deno.test("SETBIT far out grows the string with zeros and the memory estimate with it", () => {
  const h = createHarness();
  const before = h.keyspace.usedMemory;
  deepStrictEqual(h.run("SETBIT", "b", "8000000", "1"), ZERO);
  strictEqual((h.keyspace.get("b") as string).length, 1_000_001);
  ok(h.keyspace.usedMemory - before >= 1_000_000);
  deepStrictEqual(h.run("BITCOUNT", "b"), ONE);
  h.run("DEL", "b");
  ok(h.keyspace.usedMemory - before < 1_000);
});

Deno.test("BITFIELD OVERFLOW FAIL on a missing key still creates the zeroed string, as Redis does", () => {
  const h = createHarness();
  deepStrictEqual(
    h.run("BITFIELD", "b", "OVERFLOW", "FAIL", "INCRBY", "u2", "10", "5"),
    array([
      { kind: "nil" },
    ]),
  );
  strictEqual(h.keyspace.get("b"), "\0\0");
});

Deno.test("SETBIT and BITFIELD keep the key's TTL; BITOP's destination loses it", () => {
  const h = createHarness();
  h.run("SET", "b", "a", "EX", "100");
  h.run("SETBIT", "b", "0", "1");
  h.run("BITFIELD", "b", "INCRBY", "u8", "8", "1");
  deepStrictEqual(h.run("TTL", "b"), integer(100));
  h.run("BITOP", "NOT", "b", "b");
  deepStrictEqual(h.run("TTL", "b"), integer(-1));
});

Deno.test("GEOPOS on the binary protocol replies float64 coordinates", () => {
  const h = createHarness();
  h.run("GEOADD", "g", "13.361389", "38.115556", "Palermo");
  const binary = h.newSession({ wire: "kache" });
  deepStrictEqual(
    binary.run("GEOPOS", "g", "Palermo", "nope"),
    array([
      array([
        { kind: "double", value: 13.361389338970184, text: "13.36138933897018433" },
        { kind: "double", value: 38.1155563954963, text: "38.11555639549629859" },
      ]),
      NIL_ARRAY,
    ]),
  );
  deepStrictEqual(binary.run("GEODIST", "g", "Palermo", "Palermo"), bulk("0.0000"));
});

Deno.test("client-side caching: GEOADD, SETBIT and BITFIELD invalidate what GEOPOS, GETBIT and BITFIELD_RO read", () => {
  const h = createHarness();
  const reader = h.newSession();
  const pushed: Reply[] = [];
  reader.session.protocol = 3;
  reader.session.push = (message) => pushed.push(message);
  deepStrictEqual(reader.run("CLIENT", "TRACKING", "ON"), OK);
  reader.run("GEOPOS", "g", "a");
  reader.run("GETBIT", "b", "0");
  reader.run("BITFIELD_RO", "f", "GET", "u8", "0");
  h.run("GEOADD", "g", "1", "2", "a");
  h.run("SETBIT", "b", "0", "1");
  h.run("BITFIELD", "f", "SET", "u8", "0", "7");
  const invalidate = (key: string) => push([bulk("invalidate"), array([bulk(key)])]);
  deepStrictEqual(pushed, [invalidate("g"), invalidate("b"), invalidate("f")]);
});
