/**
 * Long arguments are stored by copying the request's bytes (lib/bytes.ts
 * `bytesToSourcedString`): these check that every byte value survives, and
 * that a string kept as a string (a list element) is never later written
 * from request bytes the connection has since read over.
 */
import assert from "node:assert/strict";
import { RawKacheClient } from "../support/kache_client.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { withServer } from "../support/server_process.ts";

/** A one-byte string of `length` chars running through all 256 byte values from `first`. */
function binary(length: number, first: number): string {
  const chars = new Array<string>(length);
  for (let index = 0; index < length; index++) {
    chars[index] = String.fromCharCode((first + index) % 256);
  }
  return chars.join("");
}

Deno.test("long values with every byte value come back as they were sent, stored or kept as list elements", async () => {
  await withServer(async (server) => {
    const client = await RawRespClient.connect(server.respPort);
    try {
      const listed = binary(3000, 11);
      const stored = binary(4096, 200);
      assert.equal((await client.send(["RPUSH", "list", listed])).raw, ":1\r\n");
      assert.equal((await client.send(["SET", "string", stored])).raw, "+OK\r\n");
      // Later requests are read into the same buffer, over the bytes `listed` came from.
      for (let round = 0; round < 3; round++) {
        const filler = binary(3000, 77 + round);
        assert.equal((await client.send(["SET", `filler:${round}`, filler])).raw, "+OK\r\n");
        assert.equal(
          (await client.send(["GET", `filler:${round}`])).raw,
          `$3000\r\n${filler}\r\n`,
        );
      }
      assert.equal((await client.send(["LINDEX", "list", "0"])).raw, `$3000\r\n${listed}\r\n`);
      assert.equal((await client.send(["GET", "string"])).raw, `$4096\r\n${stored}\r\n`);
      // Pipelined: many long arguments in one read, more than the sources remembered at once.
      const commands: string[][] = [];
      for (let index = 0; index < 100; index++) {
        commands.push(["RPUSH", "many", binary(500, index)], [
          "SET",
          `k:${index}`,
          binary(700, index),
        ]);
      }
      await client.pipeline(commands);
      const replies = await client.pipeline([
        ["LRANGE", "many", "0", "-1"],
        ...Array.from({ length: 100 }, (_, index) => ["GET", `k:${index}`]),
      ]);
      const elements = Array.from(
        { length: 100 },
        (_, index) => `$500\r\n${binary(500, index)}\r\n`,
      );
      assert.equal(replies[0]!.raw, `*100\r\n${elements.join("")}`);
      for (let index = 0; index < 100; index++) {
        assert.equal(replies[index + 1]!.raw, `$700\r\n${binary(700, index)}\r\n`);
      }
    } finally {
      client.close();
    }
  });
});

Deno.test("long values with every byte value round-trip over the binary protocol too", async () => {
  await withServer(async (server) => {
    const client = await RawKacheClient.connect(server.kachePort);
    try {
      const stored = binary(4096, 129);
      const listed = binary(2000, 31);
      assert.deepEqual(await client.request(["set", "string", stored]), {
        status: 0,
        item: { tag: "nil" },
      });
      assert.deepEqual((await client.request(["rpush", "list", listed])).status, 0);
      for (let round = 0; round < 3; round++) {
        await client.request(["set", `filler:${round}`, binary(2000, 90 + round)]);
      }
      assert.deepEqual(await client.request(["get", "string"]), {
        status: 0,
        item: { tag: "string", value: stored },
      });
      assert.deepEqual(await client.request(["lindex", "list", "0"]), {
        status: 0,
        item: { tag: "string", value: listed },
      });
    } finally {
      client.close();
    }
  });
});
