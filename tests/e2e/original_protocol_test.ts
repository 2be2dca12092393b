/**
 * The original C++ server's nine commands over the binary protocol, checked
 * byte for byte against the replies DESIGN.md specifies, on a real server
 * process. Expected frames are spelled out independently of the encoder.
 */
import assert from "node:assert/strict";
import { RawKacheClient } from "../support/kache_client.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { withServer } from "../support/server_process.ts";

function u32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

function i64(value: bigint): number[] {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, value, true);
  return [...bytes];
}

function f64(value: number): number[] {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, true);
  return [...bytes];
}

function str(tag: number, text: string): number[] {
  return [tag, ...u32(text.length), ...[...text].map((char) => char.charCodeAt(0))];
}

const NIL = [0];
const STRING = (text: string) => str(2, text);
const INTEGER = (value: bigint) => [3, ...i64(value)];
const DOUBLE = (value: number) => [4, ...f64(value)];
const ARRAY = (...items: number[][]) => [5, ...u32(items.length), ...items.flat()];

/** A response frame: `u32 len`, `u32 status`, then the item bytes if any. */
function response(status: number, item?: number[]): Uint8Array {
  const body = [...u32(status), ...(item ?? [])];
  return new Uint8Array([...u32(body.length), ...body]);
}

const OK = 0, UNKNOWN = 1, NOT_FOUND = 2, BAD_ARGUMENT = 4, WRONG_TYPE = 5;

Deno.test("original commands answer byte for byte as the C++ server did", async () => {
  await withServer(async (server) => {
    const client = await RawKacheClient.connect(server.kachePort);
    try {
      const cases: [string[], Uint8Array][] = [
        [["get", "k"], response(NOT_FOUND, NIL)],
        [["set", "k", "v"], response(OK, NIL)],
        [["get", "k"], response(OK, STRING("v"))],
        [["del", "k"], response(OK, INTEGER(1n))],
        [["del", "k"], response(NOT_FOUND, INTEGER(0n))],
        [["expire", "k", "1000"], response(NOT_FOUND, NIL)],
        [["set", "k", "v"], response(OK, NIL)],
        [["expire", "k", "abc"], response(BAD_ARGUMENT, NIL)],
        [["expire", "k", "100000"], response(OK, NIL)],
        [["persist", "k"], response(OK, NIL)],
        [["persist", "missing"], response(NOT_FOUND, NIL)],
        [["zadd", "z", "1.5", "a"], response(OK, NIL)],
        [["zadd", "z", "2", "b"], response(OK, NIL)],
        [["zadd", "z", "2", "c"], response(OK, NIL)],
        [["zadd", "z", "nan", "d"], response(BAD_ARGUMENT, NIL)],
        [["zadd", "z", "x", "d"], response(BAD_ARGUMENT, NIL)],
        [["zadd", "k", "1", "a"], response(WRONG_TYPE, NIL)],
        [["get", "z"], response(WRONG_TYPE, NIL)],
        [["zscore", "z", "a"], response(OK, DOUBLE(1.5))],
        [["zscore", "z", "nope"], response(NOT_FOUND, NIL)],
        [["zscore", "missing", "a"], response(NOT_FOUND, NIL)],
        [["zscore", "k", "a"], response(WRONG_TYPE, NIL)],
        [
          ["zquery", "z", "0", "", "0", "10"],
          response(
            OK,
            ARRAY(STRING("a"), DOUBLE(1.5), STRING("b"), DOUBLE(2), STRING("c"), DOUBLE(2)),
          ),
        ],
        // limit counts array items and never splits a pair: 3 gives two pairs.
        [
          ["zquery", "z", "2", "b", "0", "3"],
          response(OK, ARRAY(STRING("b"), DOUBLE(2), STRING("c"), DOUBLE(2))),
        ],
        [["zquery", "z", "2", "b", "-1", "2"], response(OK, ARRAY(STRING("a"), DOUBLE(1.5)))],
        [["zquery", "z", "2", "b", "-5", "2"], response(OK, ARRAY())],
        [["zquery", "z", "0", "", "0", "0"], response(OK, ARRAY())],
        [["zquery", "z", "x", "", "0", "1"], response(BAD_ARGUMENT, NIL)],
        [["zquery", "missing", "0", "", "0", "1"], response(NOT_FOUND, NIL)],
        [["zrem", "z", "a"], response(OK, INTEGER(1n))],
        [["zrem", "z", "a"], response(NOT_FOUND, NIL)],
        [["zrem", "missing", "a"], response(NOT_FOUND, NIL)],
        [["zrem", "k", "a"], response(WRONG_TYPE, NIL)],
        [["set", "z", "now-a-string"], response(OK, NIL)],
        [["get", "z"], response(OK, STRING("now-a-string"))],
        [["get"], response(UNKNOWN)],
        [["get", "a", "b"], response(UNKNOWN)],
        [["nosuchcommand", "x"], response(UNKNOWN)],
      ];
      for (const [argv, expected] of cases) {
        assert.deepEqual(await client.requestRaw(argv), expected, `reply to ${argv.join(" ")}`);
      }
    } finally {
      client.close();
    }
  });
});

Deno.test("original set clears a TTL and expire with negative ms removes it", async () => {
  await withServer(async (server) => {
    const client = await RawKacheClient.connect(server.kachePort);
    try {
      await client.request(["set", "a", "1"]);
      await client.request(["expire", "a", "50"]);
      await client.request(["set", "a", "2"]);
      await client.request(["set", "b", "1"]);
      await client.request(["expire", "b", "60"]);
      await client.request(["expire", "b", "-1"]);
      await client.request(["set", "c", "1"]);
      await client.request(["expire", "c", "60"]);
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.deepEqual(await client.requestRaw(["get", "a"]), response(OK, STRING("2")));
      assert.deepEqual(await client.requestRaw(["get", "b"]), response(OK, STRING("1")));
      assert.deepEqual(await client.requestRaw(["get", "c"]), response(NOT_FOUND, NIL));
    } finally {
      client.close();
    }
  });
});

Deno.test("binary values with every byte survive a round trip", async () => {
  await withServer(async (server) => {
    const client = await RawKacheClient.connect(server.kachePort);
    try {
      const everyByte = String.fromCharCode(...Array.from({ length: 256 }, (_, i) => i));
      await client.request(["set", everyByte, everyByte]);
      assert.deepEqual(
        await client.requestRaw(["get", everyByte]),
        response(OK, STRING(everyByte)),
      );
    } finally {
      client.close();
    }
  });
});

Deno.test("original commands reach INFO commandstats, keyspace hits and the slow log", async () => {
  await withServer(async (server) => {
    const client = await RawKacheClient.connect(server.kachePort);
    const resp = await RawRespClient.connect(server.respPort);
    try {
      await resp.send(["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
      await client.request(["set", "k", "v"]);
      await client.request(["get", "k"]);
      await client.request(["get", "missing"]);
      await client.request(["zadd", "z", "1", "a"]);
      assert.deepEqual(await client.requestRaw(["get"]), response(UNKNOWN));
      const info = (await resp.send(["INFO", "commandstats"])).raw;
      assert.match(info, /cmdstat_set:calls=1,/);
      assert.match(info, /cmdstat_get:calls=2,.*rejected_calls=1,failed_calls=0/);
      assert.match(info, /cmdstat_zadd:calls=1,/);
      const stats = (await resp.send(["INFO", "stats"])).raw;
      assert.match(stats, /keyspace_hits:1\r\n/);
      assert.match(stats, /keyspace_misses:1\r\n/);
      const slowlog = (await resp.send(["SLOWLOG", "GET", "10"])).raw;
      assert.match(slowlog, /zadd/);
    } finally {
      client.close();
      resp.close();
    }
  });
});
