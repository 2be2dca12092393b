/**
 * Redis Sentinel (redis-server --sentinel, 7.0) watching Kache: a Kache
 * master with two Kache replicas, the master killed with SIGKILL, Sentinel
 * promotes a replica (MULTI; REPLICAOF NO ONE; CONFIG REWRITE; CLIENT KILL
 * TYPE normal; CLIENT KILL TYPE pubsub; EXEC), points the other one at it
 * (a PSYNC2 partial resync), and no write that `WAIT 1` confirmed is lost.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { spawnLogged } from "../support/child_process.ts";
import { requireTool } from "../support/redis_process.ts";
import { freePort, type RunningServer, startServer } from "../support/server_process.ts";
import { waitFor } from "../support/replication.ts";

const DOWN_AFTER_MS = 1000;
const FAILOVER_TIMEOUT_MS = 10_000;

function client(port: number): Redis {
  return new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0, retryStrategy: () => null });
}

/** SENTINEL REPLICAS' flat field lists as maps. */
async function sentinelReplicas(sentinel: Redis): Promise<Map<string, string>[]> {
  const replies = await sentinel.call("SENTINEL", "REPLICAS", "mymaster") as string[][];
  return replies.map((fields) => {
    const map = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
    return map;
  });
}

async function masterPort(sentinel: Redis): Promise<number> {
  const [, port] = await sentinel.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster") as [
    string,
    string,
  ];
  return Number(port);
}

Deno.test({
  name:
    "Sentinel fails a killed Kache master over to a Kache replica; WAIT-confirmed writes survive",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await requireTool("redis-server");
    const servers: RunningServer[] = [];
    const clients: Redis[] = [];
    const dir = await Deno.makeTempDir({ prefix: "kache-sentinel-" });
    let sentinelProcess: ReturnType<typeof spawnLogged> | undefined;
    try {
      const master = await startServer([]);
      servers.push(master);
      for (let i = 0; i < 2; i++) {
        servers.push(await startServer(["--replicaof", "127.0.0.1", String(master.respPort)]));
      }
      const sentinelPort = freePort();
      const config = `${dir}/sentinel.conf`;
      await Deno.writeTextFile(
        config,
        [
          `port ${sentinelPort}`,
          "bind 127.0.0.1",
          `dir ${dir}`,
          `sentinel monitor mymaster 127.0.0.1 ${master.respPort} 1`,
          `sentinel down-after-milliseconds mymaster ${DOWN_AFTER_MS}`,
          `sentinel failover-timeout mymaster ${FAILOVER_TIMEOUT_MS}`,
          "",
        ].join("\n"),
      );
      sentinelProcess = spawnLogged("redis-server", [config, "--sentinel"], { killAfterMs: 5000 });
      await waitFor("Sentinel to listen", () => sentinelProcess!.output().includes("+monitor"));
      const sentinel = client(sentinelPort);
      clients.push(sentinel);
      await waitFor("Sentinel to see both replicas linked", async () => {
        const replicas = await sentinelReplicas(sentinel);
        return replicas.length === 2 &&
          replicas.every((replica) =>
            replica.get("flags") === "slave" && replica.get("master-link-status") === "ok"
          );
      });

      // Writes confirmed by a replica (WAIT 1) go on until the master dies under them.
      const writer = client(master.respPort);
      clients.push(writer);
      // The kill resets its connection; the loop below sees the failed command.
      writer.on("error", () => {});
      const confirmed: string[] = [];
      let writing = true;
      const writes = (async () => {
        for (let i = 0; writing; i++) {
          try {
            await writer.set(`key:${i}`, `value:${i}`);
            if (await writer.call("WAIT", "1", "1000") as number >= 1) confirmed.push(`key:${i}`);
          } catch {
            return;
          }
        }
      })();
      await waitFor("200 confirmed writes", () => confirmed.length >= 200);
      const killedAt = Date.now();
      await master.stop("SIGKILL");
      writing = false;
      await writes;
      writer.disconnect();

      await waitFor(
        "Sentinel to promote a replica",
        async () => (await masterPort(sentinel)) !== master.respPort,
        DOWN_AFTER_MS + FAILOVER_TIMEOUT_MS + 5000,
      );
      // Clients connect once the failover ended: Sentinel's CLIENT KILL TYPE normal closes earlier ones.
      await waitFor(
        "Sentinel to end the failover",
        () => sentinelProcess!.output().includes("+switch-master"),
        FAILOVER_TIMEOUT_MS,
      );
      const promotedPort = await masterPort(sentinel);
      const promoted = servers.find((server) => server.respPort === promotedPort)!;
      const other = servers.find((server) => server !== master && server !== promoted)!;
      assert.ok(promoted !== undefined, `Sentinel promoted port ${promotedPort}`);
      const newMaster = client(promoted.respPort);
      const follower = client(other.respPort);
      clients.push(newMaster, follower);
      assert.deepEqual((await newMaster.call("ROLE") as unknown[])[0], "master");
      await waitFor("the other replica to follow the new master", async () => {
        const role = await follower.call("ROLE") as unknown[];
        return role[0] === "slave" && role[2] === promoted.respPort && role[3] === "connected";
      }, FAILOVER_TIMEOUT_MS);
      assert.match(other.output(), /Master accepted a Partial Resynchronization/);
      console.log(`failover took ${Date.now() - killedAt} ms after the kill`);

      const values = await newMaster.mget(...confirmed);
      assert.deepEqual(values, confirmed.map((key) => key.replace("key", "value")));
      // The new master takes writes, and its replica receives them.
      await newMaster.set("after", "failover");
      await waitFor(
        "the write to reach the replica",
        async () => await follower.get("after") === "failover",
      );
      assert.deepEqual(await follower.mget(...confirmed), values);
      // Sentinel's MULTI … EXEC ran REPLICAOF NO ONE on the promoted one.
      assert.match(
        promoted.output(),
        /MASTER MODE enabled \(user request from 'id=\d+ .*name=sentinel-/,
      );
    } finally {
      for (const connection of clients) connection.disconnect();
      await sentinelProcess?.stop();
      for (const server of servers) await server.stop();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
