/**
 * npm libraries built on Redis scripting, unchanged, against Kache servers:
 * redlock (acquire, extend, contend, release on one and on three servers),
 * rate-limiter-flexible's RateLimiterRedis and rate-limit-redis's RedisStore
 * (SCRIPT LOAD + EVALSHA, reloading after SCRIPT FLUSH), all over ioredis.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import RedisStore from "rate-limit-redis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import Redlock from "redlock";
import { type RunningServer, startServer } from "../support/server_process.ts";

/** Starts `count` servers with one ioredis client each; stops everything whatever happens. */
async function withServers(
  count: number,
  body: (clients: Redis[]) => Promise<void>,
): Promise<void> {
  const servers: RunningServer[] = [];
  const clients: Redis[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await startServer());
    for (const server of servers) {
      const client = new Redis({
        host: "127.0.0.1",
        port: server.respPort,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      clients.push(client);
      await client.connect();
    }
    await body(clients);
    for (const client of clients) await client.quit();
  } finally {
    for (const client of clients) client.disconnect();
    for (const server of servers) await server.stop();
  }
}

async function redlockScenario(clients: Redis[]): Promise<void> {
  const redlock = new Redlock(clients, { retryCount: 0, driftFactor: 0.01 });
  redlock.on("clientError", () => {});
  const lock = await redlock.lock("locks:order", 10_000);
  // The value is a random token on every server.
  for (const client of clients) assert.equal(await client.get("locks:order"), lock.value);
  // Another process contends and loses while the lock is held.
  const rival = new Redlock(clients, { retryCount: 0 });
  rival.on("clientError", () => {});
  await assert.rejects(rival.lock("locks:order", 10_000), (error: Error) => {
    assert.equal(error.name, "LockError");
    return true;
  });
  const extended = await lock.extend(20_000);
  for (const client of clients) {
    const ttl = await client.pttl("locks:order");
    assert.ok(ttl > 10_000 && ttl <= 20_000, `pttl ${ttl}`);
  }
  // Only the holder's token releases it: the rival's unlock script must not delete it.
  await extended.unlock();
  for (const client of clients) assert.equal(await client.exists("locks:order"), 0);
  const again = await rival.lock("locks:order", 5_000);
  await again.unlock();
}

Deno.test("redlock acquires, extends, contends and releases on one Kache server", async () => {
  await withServers(1, redlockScenario);
});

Deno.test("redlock reaches quorum on three Kache servers", async () => {
  await withServers(3, redlockScenario);
});

Deno.test("rate-limiter-flexible's RateLimiterRedis counts, blocks and resets on Kache", async () => {
  await withServers(1, async ([client]) => {
    const limiter = new RateLimiterRedis({
      storeClient: client!,
      keyPrefix: "rl",
      points: 3,
      duration: 60,
    });
    for (let i = 1; i <= 3; i++) {
      const res = await limiter.consume("user:1");
      assert.equal(res.consumedPoints, i);
      assert.equal(res.remainingPoints, 3 - i);
    }
    await assert.rejects(limiter.consume("user:1"), (rejected: unknown) => {
      assert.ok(rejected instanceof RateLimiterRes);
      assert.equal(rejected.remainingPoints, 0);
      assert.ok(rejected.msBeforeNext > 0 && rejected.msBeforeNext <= 60_000);
      return true;
    });
    const state = await limiter.get("user:1");
    assert.equal(state?.consumedPoints, 4);
    const other = await limiter.consume("user:2", 2);
    assert.equal(other.remainingPoints, 1);
    await limiter.delete("user:1");
    assert.equal(await limiter.get("user:1"), null);
    assert.equal((await limiter.consume("user:1")).remainingPoints, 2);
  });
});

Deno.test("rate-limit-redis's RedisStore counts hits with SCRIPT LOAD and EVALSHA on Kache", async () => {
  await withServers(1, async ([client]) => {
    const store = new RedisStore({
      sendCommand: (command: string, ...args: string[]) =>
        client!.call(command, ...args) as Promise<never>,
    });
    store.init({ windowMs: 60_000 } as never);
    const first = await store.increment("ip:1");
    assert.equal(first.totalHits, 1);
    assert.ok(first.resetTime !== undefined && first.resetTime.getTime() > Date.now());
    assert.equal((await store.increment("ip:1")).totalHits, 2);
    // A flushed script cache answers NOSCRIPT; the store loads its script again.
    await client!.script("FLUSH");
    assert.equal((await store.increment("ip:1")).totalHits, 3);
    assert.equal((await store.get("ip:1"))?.totalHits, 3);
    await store.decrement("ip:1");
    assert.equal((await store.get("ip:1"))?.totalHits, 2);
    await store.resetKey("ip:1");
    assert.equal(await client!.exists("rl:ip:1"), 0);
    assert.equal((await store.increment("ip:1")).totalHits, 1);
  });
});
