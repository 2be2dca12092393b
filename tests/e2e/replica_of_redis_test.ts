/**
 * Kache as a replica of a real redis-server 7.0, end to end: full sync while
 * the master takes writes of every type (diskless EOF-marked transfer into
 * dump.rdb; a disk transfer parsed from the socket with swapdb), the command
 * stream, the master's DELs for expired keys, a partial resync after the
 * link is killed, -READONLY for clients, and REPLICAOF NO ONE.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startRedis } from "../support/redis_process.ts";
import { type RunningServer, startServer } from "../support/server_process.ts";
import {
  digest,
  digestDifferences,
  infoFields,
  waitFor,
  writeLoad,
} from "../support/replication.ts";

function client(port: number): Redis {
  return new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0, retryStrategy: () => null });
}

/** Waits until the master's one replica acknowledged everything the master sent. */
async function caughtUp(master: Redis): Promise<void> {
  await waitFor("the replica to acknowledge the master's offset", async () => {
    const fields = await infoFields(master, "replication");
    const offset = fields.get("master_repl_offset");
    return fields.get("slave0")?.includes(`state=online,offset=${offset},`) ?? false;
  });
}

async function assertSameData(master: Redis, replica: Redis): Promise<void> {
  const differences = digestDifferences(await digest(master), await digest(replica));
  assert.deepEqual(differences.slice(0, 10), []);
  assert.equal(await replica.dbsize(), await master.dbsize());
}

Deno.test({
  name:
    "Kache replica of redis-server: full sync under load, stream, expiry DELs, partial resync, NO ONE",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const redis = await startRedis([
      "--repl-diskless-sync",
      "yes",
      "--repl-diskless-sync-delay",
      "0",
    ]);
    let kache: RunningServer | undefined;
    const master = client(redis.port);
    let replica: Redis | undefined;
    const dir = await Deno.makeTempDir({ prefix: "kache-replica-" });
    const replicaArgs = ["--replicaof", "127.0.0.1", String(redis.port)];
    try {
      await writeLoad(master, 3000, 1);
      kache = await startServer(replicaArgs, { dir });
      replica = client(kache.respPort);
      // Writes go on while the replica connects and loads.
      await writeLoad(master, 3000, 2);
      await waitFor("the full sync", () => kache!.output().includes("sync: Finished with success"));
      await writeLoad(master, 3000, 3);
      // Transactions and scripts reach the stream as MULTI … EXEC: offsets advance at EXEC.
      for (let i = 0; i < 20; i++) {
        await master.multi().set(`tx:${i}`, "a").incr(`tx:n`).hset(`tx:h`, `f${i}`, i).exec();
        await master.eval("redis.call('SET', KEYS[1], ARGV[1]); return 1", 1, `lua:${i}`, i);
      }
      // Keys expiring on the master reach the replica as DELs.
      for (let i = 0; i < 20; i++) await master.set(`short:${i}`, "x", "PX", 50);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await waitFor("the master to expire the short keys", async () => {
        for (let i = 0; i < 20; i++) await master.get(`short:${i}`);
        return (await master.keys("short:*")).length === 0;
      });
      await caughtUp(master);
      await assertSameData(master, replica);
      assert.match(kache.output(), /receiving streamed RDB from master with EOF to disk/);

      await assert.rejects(
        () => replica!.set("k", "v"),
        /READONLY You can't write against a read only replica\./,
      );

      // The master drops the link: the replica comes back with +CONTINUE.
      const partialBefore = Number((await infoFields(master, "stats")).get("sync_partial_ok"));
      await master.client("KILL", "TYPE", "replica");
      await writeLoad(master, 1000, 4);
      await waitFor(
        "a partial resync",
        async () =>
          Number((await infoFields(master, "stats")).get("sync_partial_ok")) > partialBefore,
      );
      assert.match(kache.output(), /Master accepted a Partial Resynchronization/);
      await writeLoad(master, 1000, 5);
      await caughtUp(master);
      await assertSameData(master, replica);
      assert.equal((await infoFields(master, "stats")).get("sync_full"), "1");

      // Restarted after SHUTDOWN SAVE, the replica resumes from its dump.rdb's repl-id and offset.
      const partialBeforeRestart = Number(
        (await infoFields(master, "stats")).get("sync_partial_ok"),
      );
      await replica.call("SHUTDOWN", "SAVE").catch(() => {});
      replica.disconnect();
      await kache.stop();
      await writeLoad(master, 500, 6);
      kache = await startServer(replicaArgs, { dir });
      replica = client(kache.respPort);
      await waitFor(
        "a partial resync after the restart",
        async () =>
          Number((await infoFields(master, "stats")).get("sync_partial_ok")) > partialBeforeRestart,
      );
      await writeLoad(master, 500, 7);
      await caughtUp(master);
      await assertSameData(master, replica);
      assert.equal((await infoFields(master, "stats")).get("sync_full"), "1");

      // Promotion keeps the data and takes writes.
      const before = await digest(replica);
      assert.equal(await replica.call("REPLICAOF", "NO", "ONE"), "OK");
      assert.deepEqual(digestDifferences(before, await digest(replica)), []);
      assert.equal(await replica.set("k", "v"), "OK");
      assert.match(kache.output(), /MASTER MODE enabled \(user request from 'id=/);
    } finally {
      master.disconnect();
      replica?.disconnect();
      await kache?.stop();
      await redis.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "Kache replica with repl-diskless-load swapdb loads a disk-based master's RDB from the socket",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const redis = await startRedis(["--repl-diskless-sync", "no"]);
    let kache: RunningServer | undefined;
    const master = client(redis.port);
    let replica: Redis | undefined;
    try {
      await writeLoad(master, 4000, 11);
      kache = await startServer([
        ...["--repl-diskless-load", "swapdb"],
        ...["--replicaof", "127.0.0.1", String(redis.port)],
      ]);
      replica = client(kache.respPort);
      await writeLoad(master, 2000, 12);
      await waitFor("the full sync", () => kache!.output().includes("sync: Finished with success"));
      assert.match(kache.output(), /receiving \d+ bytes from master to parser/);
      assert.match(kache.output(), /Swapping active DB with loaded DB/);
      await writeLoad(master, 2000, 13);
      await caughtUp(master);
      await assertSameData(master, replica);
    } finally {
      master.disconnect();
      replica?.disconnect();
      await kache?.stop();
      await redis.stop();
    }
  },
});

Deno.test({
  name: "repl-diskless-load on-empty-db parses from the socket only when the replica holds no keys",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const redis = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const kache = await startServer(["--repl-diskless-load", "on-empty-db"]);
    const master = client(redis.port);
    const replica = client(kache.respPort);
    try {
      await writeLoad(master, 1000, 31);
      await replica.set("own", "key");
      const synced = () => kache.output().split("sync: Finished with success").length - 1;
      assert.equal(await replica.call("REPLICAOF", "127.0.0.1", String(redis.port)), "OK");
      await waitFor("the first full sync", () => synced() === 1);
      assert.match(kache.output(), /receiving streamed RDB from master with EOF to disk/);
      assert.doesNotMatch(kache.output(), /to parser/);
      await caughtUp(master);
      await assertSameData(master, replica);

      assert.equal(await replica.call("REPLICAOF", "NO", "ONE"), "OK");
      await replica.flushall();
      await writeLoad(master, 1000, 32);
      assert.equal(await replica.call("REPLICAOF", "127.0.0.1", String(redis.port)), "OK");
      await waitFor("the second full sync", () => synced() === 2);
      assert.match(kache.output(), /receiving streamed RDB from master with EOF to parser/);
      await caughtUp(master);
      await assertSameData(master, replica);
    } finally {
      master.disconnect();
      replica.disconnect();
      await kache.stop();
      await redis.stop();
    }
  },
});
