/**
 * Kache replicating from Kache, end to end: full sync and stream under a
 * write load, ROLE and INFO replication on the replica (the same field
 * names a redis-server replica prints), the replica's AOF holding what the
 * stream brought, and a dead link: master_link_status down,
 * master_link_down_since_seconds, -MASTERDOWN with replica-serve-stale-data no.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { startRedis } from "../support/redis_process.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { freePort, type RunningServer, startServer } from "../support/server_process.ts";
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

async function caughtUp(master: Redis): Promise<number> {
  let offset = 0;
  await waitFor("the replica to acknowledge the master's offset", async () => {
    const fields = await infoFields(master, "replication");
    offset = Number(fields.get("master_repl_offset"));
    return fields.get("slave0")?.includes(`state=online,offset=${offset},`) ?? false;
  });
  return offset;
}

Deno.test({
  name: "Kache replica of Kache: sync under load, ROLE, INFO, its AOF, a dead link and -MASTERDOWN",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "kache-replica-aof-" });
    const servers: RunningServer[] = [];
    const clients: Redis[] = [];
    try {
      const masterServer = await startServer([]);
      servers.push(masterServer);
      const master = client(masterServer.respPort);
      clients.push(master);
      await writeLoad(master, 3000, 21);
      const replicaServer = await startServer([
        ...["--appendonly", "yes"],
        ...["--replicaof", "127.0.0.1", String(masterServer.respPort)],
      ], { dir });
      servers.push(replicaServer);
      const replica = client(replicaServer.respPort);
      clients.push(replica);
      await writeLoad(master, 3000, 22);
      await waitFor(
        "the full sync",
        () => replicaServer.output().includes("sync: Finished with success"),
      );
      await writeLoad(master, 3000, 23);
      const offset = await caughtUp(master);
      assert.deepEqual(digestDifferences(await digest(master), await digest(replica)), []);

      assert.deepEqual(await replica.call("ROLE"), [
        "slave",
        "127.0.0.1",
        masterServer.respPort,
        "connected",
        offset,
      ]);
      const info = await infoFields(replica, "replication");
      assert.equal(info.get("role"), "slave");
      assert.equal(info.get("master_port"), String(masterServer.respPort));
      assert.equal(info.get("master_link_status"), "up");
      assert.equal(info.get("slave_repl_offset"), String(offset));
      assert.equal(info.get("master_repl_offset"), String(offset));
      assert.equal(
        info.get("master_replid"),
        (await infoFields(master, "replication")).get("master_replid"),
      );
      assert.equal(info.has("master_link_down_since_seconds"), false);

      // The master link is a client of type master (flag M); killed, it comes back with +CONTINUE.
      assert.match(String(await replica.call("CLIENT", "LIST", "TYPE", "master")), / flags=M /);
      assert.equal(
        String(await replica.call("CLIENT", "LIST", "TYPE", "normal")).includes("flags=M"),
        false,
      );
      const partialBefore = Number((await infoFields(master, "stats")).get("sync_partial_ok"));
      assert.equal(await replica.call("CLIENT", "KILL", "TYPE", "master"), 1);
      await waitFor(
        "a partial resync",
        async () =>
          Number((await infoFields(master, "stats")).get("sync_partial_ok")) > partialBefore,
      );
      await writeLoad(master, 500, 24);
      await caughtUp(master);

      // The master dies: the link is down, and with stale data refused reads get -MASTERDOWN.
      const expected = await digest(replica);
      await masterServer.stop("SIGKILL");
      await waitFor(
        "the link to go down",
        async () => (await infoFields(replica, "replication")).get("master_link_status") === "down",
      );
      const down = await infoFields(replica, "replication");
      assert.ok(Number(down.get("master_link_down_since_seconds")) >= 0);
      assert.ok(["connect", "connecting"].includes((await replica.call("ROLE") as string[])[3]!));
      assert.deepEqual(digestDifferences(expected, await digest(replica)), []);
      await replica.config("SET", "replica-serve-stale-data", "no");
      await assert.rejects(
        () => replica.get("s:1"),
        /MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'\./,
      );
      assert.match(String(await replica.info("replication")), /role:slave/);

      // The replica's AOF holds what the sync and the stream brought: it restarts as a master with it.
      replica.disconnect();
      await replicaServer.stop();
      const restarted = await startServer(["--appendonly", "yes"], { dir });
      servers.push(restarted);
      const reloaded = client(restarted.respPort);
      clients.push(reloaded);
      assert.deepEqual(digestDifferences(expected, await digest(reloaded)), []);
    } finally {
      for (const connection of clients) connection.disconnect();
      for (const server of servers) await server.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "INFO replication on a Kache replica names the fields a redis-server replica prints",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const redisMaster = await startRedis(["--repl-diskless-sync-delay", "0"]);
    const redisReplica = await startRedis(["--replicaof", "127.0.0.1", String(redisMaster.port)]);
    const kache = await startServer(["--replicaof", "127.0.0.1", String(redisMaster.port)]);
    const master = client(redisMaster.port);
    const reference = client(redisReplica.port);
    const replica = client(kache.respPort);
    try {
      await master.set("k", "v");
      await waitFor(
        "both replicas to be up",
        async () =>
          (await infoFields(reference, "replication")).get("master_link_status") === "up" &&
          (await infoFields(replica, "replication")).get("master_link_status") === "up",
      );
      const names = async (target: Redis) => [...(await infoFields(target, "replication")).keys()];
      assert.deepEqual(await names(replica), await names(reference));
      const shape = async (target: Redis) =>
        (await target.call("ROLE") as unknown[]).map((item) => typeof item);
      assert.deepEqual(await shape(replica), await shape(reference));
    } finally {
      master.disconnect();
      reference.disconnect();
      replica.disconnect();
      await kache.stop();
      await redisReplica.stop();
      await redisMaster.stop();
    }
  },
});

Deno.test("REPLICAOF answers blocked clients -UNBLOCKED and closes them, as Redis does", async () => {
  const kache = await startServer([]);
  const blocked = await RawRespClient.connect(kache.respPort);
  const admin = await RawRespClient.connect(kache.respPort);
  try {
    await blocked.writeRaw(new TextEncoder().encode("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n"));
    await waitFor(
      "the client to block",
      async () => /blocked_clients:1/.test(String((await admin.send(["INFO", "clients"])).raw)),
    );
    // Nothing listens there: the link keeps retrying, which does not matter here.
    assert.equal((await admin.send(["REPLICAOF", "127.0.0.1", String(freePort())])).raw, "+OK\r\n");
    assert.equal(
      await blocked.readToEnd(),
      "-UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)\r\n",
    );
  } finally {
    blocked.close();
    admin.close();
    await kache.stop();
  }
});
