/**
 * node-redis's client-side caching, unchanged from npm, against a Kache
 * server process: the client enables CLIENT TRACKING over RESP3, answers
 * repeated GETs from its cache, and drops an entry when Kache pushes
 * `invalidate` for it (after another client's write, and on FLUSHALL).
 */
import assert from "node:assert/strict";
import { createClient } from "redis";
import { RawRespClient } from "../support/resp_client.ts";
import { startServer } from "../support/server_process.ts";

/** Resolves with what `promise` gives, or fails after `ms` (an invalidation that never comes). */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No ${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("node-redis client-side caching sees Kache's invalidations", async () => {
  const server = await startServer();
  const socket = { host: "127.0.0.1", port: server.respPort, reconnectStrategy: false as const };
  const cached = createClient({
    RESP: 3,
    socket,
    clientSideCache: { ttl: 0, maxEntries: 0, evictPolicy: "LRU" },
  });
  const writer = createClient({ socket });
  try {
    await cached.connect();
    await writer.connect();
    const cache = cached.clientSideCache!;
    await writer.set("greeting", "hello");

    assert.equal(await cached.get("greeting"), "hello");
    assert.equal(await cached.get("greeting"), "hello");
    assert.equal(cache.stats().missCount, 1);
    assert.equal(cache.stats().hitCount, 1, "the second GET came from the cache");
    const clients = await writer.info("clients");
    assert.match(clients, /\r\ntracking_clients:1\r\n/);
    assert.match(await writer.info("stats"), /\r\ntracking_total_keys:1\r\n/);

    const invalidated = new Promise((resolve) => cache.once("invalidate", resolve));
    await writer.set("greeting", "bye");
    const key = await within(invalidated, 5000, "invalidation after SET");
    assert.equal(String(key), "greeting");
    assert.equal(await cached.get("greeting"), "bye", "the stale value is gone");
    assert.equal(cache.stats().missCount, 2);

    assert.equal(await cached.get("greeting"), "bye");
    const flushed = new Promise((resolve) => cache.once("invalidate", resolve));
    await writer.flushAll();
    assert.equal(await within(flushed, 5000, "invalidation after FLUSHALL"), null);
    assert.equal(cache.size(), 0);
    assert.equal(await cached.get("greeting"), null);
  } finally {
    await Promise.allSettled([cached.close(), writer.close()]);
    await server.stop();
  }
});

Deno.test("CLIENT TRACKING BCAST hears about a key the expiry timer removes", async () => {
  const server = await startServer();
  const reader = await RawRespClient.connect(server.respPort);
  const writer = await RawRespClient.connect(server.respPort);
  try {
    await reader.send(["HELLO", "3"]);
    assert.equal((await reader.send(["CLIENT", "TRACKING", "ON", "BCAST"])).raw, "+OK\r\n");
    await writer.send(["SET", "ephemeral", "1", "PX", "50"]);
    const invalidate = ">2\r\n$10\r\ninvalidate\r\n*1\r\n$9\r\nephemeral\r\n";
    // Once for the SET, once when the key expires with no command running.
    assert.equal((await within(reader.readReply(), 5000, "push for SET")).raw, invalidate);
    assert.equal((await within(reader.readReply(), 5000, "push for expiry")).raw, invalidate);
  } finally {
    reader.close();
    writer.close();
    await server.stop();
  }
});
