/**
 * SCAN and ZSCAN cursors against a real server: a walk returns every key
 * present throughout however many other walks run, a made-up cursor is
 * answered like any other, and an abandoned cursor keeps no data alive.
 */
import assert from "node:assert/strict";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { rssFallingTo, servedV8Flags, settledRss } from "../support/overload.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { startServer } from "../support/server_process.ts";

const MB = 2 ** 20;

/** The cursor and items of a SCAN-family reply. */
function scanPage(reply: ClientReply): { cursor: string; items: string[] } {
  if (reply.type !== "array" || reply.items.length !== 2) {
    throw new Error(`Not a SCAN reply: ${JSON.stringify(reply)}`);
  }
  const [cursor, items] = reply.items;
  if (cursor?.type !== "bulk" || items?.type !== "array") throw new Error("Malformed SCAN reply");
  return {
    cursor: cursor.value,
    items: items.items.map((item) => item.type === "bulk" ? item.value : ""),
  };
}

Deno.test("SCAN misses no key present throughout while another client opens thousands of walks", async () => {
  const server = await startServer();
  const scanner = await RawRespClient.connect(server.respPort);
  const other = await RawRespClient.connect(server.respPort);
  try {
    // Keys that stay, interleaved with keys that go during the walk.
    const keys = 20_000;
    for (let batch = 0; batch < keys; batch += 1000) {
      const mset = ["MSET"];
      for (let i = batch; i < batch + 1000; i++) mset.push(`stay:${i}`, "v", `churn:${i}`, "v");
      assert.equal((await other.send(mset)).raw, "+OK\r\n");
    }
    const seen = new Set<string>();
    let cursor = "0";
    let calls = 0;
    let churned = 0;
    do {
      const page = scanPage((await scanner.send(["SCAN", cursor, "COUNT", "200"])).reply);
      for (const key of page.items) seen.add(key);
      cursor = page.cursor;
      // Meanwhile: 5,000 fresh walks (more than any table of live walks would keep), and
      // deletions, which a walk that lost its place would skip over.
      await other.pipeline(Array.from({ length: 5000 }, () => ["SCAN", "0", "COUNT", "1"]));
      const del = ["DEL"];
      for (let i = 0; i < 100 && churned < keys; i++) del.push(`churn:${churned++}`);
      if (del.length > 1) await other.send(del);
    } while (cursor !== "0" && ++calls < 10_000);
    assert.equal(cursor, "0", "the walk did not end");
    const missed = [];
    for (let i = 0; i < keys; i++) if (!seen.has(`stay:${i}`)) missed.push(`stay:${i}`);
    assert.deepEqual(missed.slice(0, 10), [], `${missed.length} keys present throughout missed`);
  } finally {
    scanner.close();
    other.close();
    await server.stop();
  }
});

Deno.test("SCAN answers a made-up cursor with existing keys and a walk that ends", async () => {
  const server = await startServer();
  const client = await RawRespClient.connect(server.respPort);
  try {
    const mset = ["MSET"];
    for (let i = 0; i < 5000; i++) mset.push(`k:${i}`, "v");
    await client.send(mset);
    for (const made of ["123456789", "18446744073709551615", "4294967296"]) {
      let cursor = made;
      let calls = 0;
      do {
        const page = scanPage((await client.send(["SCAN", cursor, "COUNT", "50"])).reply);
        for (const key of page.items) assert.match(key, /^k:\d+$/);
        assert.ok(page.items.length <= 60, `${page.items.length} keys for COUNT 50`);
        cursor = page.cursor;
      } while (cursor !== "0" && ++calls < 1000);
      assert.equal(cursor, "0", `the walk from cursor ${made} did not end`);
    }
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("abandoned ZSCAN cursors keep no deleted sorted set alive", async () => {
  const server = await startServer([], { v8Flags: servedV8Flags() });
  const client = await RawRespClient.connect(server.respPort);
  try {
    const members = 100_000;
    const zadd = ["ZADD", "z"];
    for (let i = 0; i < members; i++) zadd.push(String(i), `member:${i}`);
    // Each round leaves a cursor into a 100,000-member set (~10 MB) and deletes the set.
    const round = async () => {
      assert.equal((await client.send(zadd)).raw, `:${members}\r\n`);
      const page = scanPage((await client.send(["ZSCAN", "z", "0", "COUNT", "1"])).reply);
      assert.notEqual(page.cursor, "0");
      assert.equal((await client.send(["DEL", "z"])).raw, ":1\r\n");
    };
    // The first rounds set the heap's working size: one set, its garbage, the request buffers.
    for (let i = 0; i < 3; i++) await round();
    const before = await settledRss(server.process.pid, 1000);
    // 40 pinned sets would hold ~400 MB and never be given back. Freed ones are, but only when
    // V8's memory reducer runs a full collection, seconds after the load stops (later still on
    // a busy machine), so the check waits for the RSS to come down rather than sampling it once.
    for (let i = 0; i < 40; i++) await round();
    const after = await rssFallingTo(server.process.pid, before + 64 * MB - 1, 30_000);
    assert.ok(
      after - before < 64 * MB,
      `RSS grew by ${((after - before) / MB).toFixed(1)} MB over 40 more deleted sets`,
    );
  } finally {
    client.close();
    await server.stop();
  }
});
