/**
 * Replication as a redis-server replica sees it, with Kache and with
 * redis-server as the master, on the same machine:
 *
 *   deno run --allow-all bench/replication.ts [--keys 1000000] [--rate 50000] [--seconds 10]
 *     [--only redis,kache]
 *
 * - full sync: the master holds `--keys` string keys; a fresh redis-server
 *   replica runs REPLICAOF; the time until its link is up and the keys are loaded.
 * - lag: the replica online, writers send `--rate` SETs a second in pipelines
 *   every 10 ms for `--seconds`; meanwhile a probe writes the time to a key
 *   on the master and polls the replica until it sees it (p50, p99, max),
 *   and the master's offset minus the replica's is sampled (max bytes behind).
 *
 * A benchmark, not a test: it prints a Markdown report and asserts nothing.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type Server, start } from "./persistence.ts";
import { RawRespClient } from "../tests/support/resp_client.ts";
import { requireTool } from "../tests/support/redis_process.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    keys: { type: "string", default: "1000000" },
    rate: { type: "string", default: "50000" },
    seconds: { type: "string", default: "10" },
    only: { type: "string", default: "redis,kache" },
  },
});
const KEYS = Number(args.values.keys);
const RATE = Number(args.values.rate);
const SECONDS = Number(args.values.seconds);

function log(text: string): void {
  console.error(`[replication] ${text}`);
}

async function info(client: RawRespClient, field: string): Promise<string> {
  const { reply } = await client.send(["INFO", "replication"]);
  const text = reply.type === "bulk" ? reply.value : "";
  return text.split("\r\n").find((line) => line.startsWith(`${field}:`))?.slice(field.length + 1) ??
    "";
}

async function fill(port: number): Promise<void> {
  const client = await RawRespClient.connect(port);
  const value = "x".repeat(16);
  for (let start = 0; start < KEYS; start += 10_000) {
    const batch: string[][] = [];
    for (let i = start; i < Math.min(KEYS, start + 10_000); i++) {
      batch.push(["SET", `key:${i}`, value]);
    }
    await client.pipeline(batch);
  }
  client.close();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function measure(name: Server["name"]) {
  const dir = await Deno.makeTempDir({ prefix: "kache-bench-replication-" });
  const replicaDir = await Deno.makeTempDir({ prefix: "kache-bench-replica-" });
  // Disk-based on both sides (Redis 7.0 defaults to diskless with a 5 s delay).
  const master = await start(name, dir, ["--repl-diskless-sync", "no"]);
  const replica = await start("redis", replicaDir, ["--repl-diskless-load", "disabled"]);
  try {
    log(`${name}: filling ${KEYS} keys (master ${master.port}, replica ${replica.port})`);
    await fill(master.port);
    const masterClient = await RawRespClient.connect(master.port);
    const replicaClient = await RawRespClient.connect(replica.port);
    const started = performance.now();
    await replicaClient.send(["REPLICAOF", "127.0.0.1", String(master.port)]);
    while (await info(replicaClient, "master_link_status") !== "up") {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const fullSyncMs = performance.now() - started;
    log(`${name}: full sync ${fullSyncMs.toFixed(0)} ms`);

    const writers = await Promise.all([0, 1].map(() => RawRespClient.connect(master.port)));
    const probe = await RawRespClient.connect(master.port);
    const perTick = Math.round(RATE / 100 / writers.length);
    let sent = 0;
    let running = true;
    const deadline = Date.now() + SECONDS * 1000;
    const write = async (writer: RawRespClient) => {
      let next = performance.now();
      while (Date.now() < deadline) {
        const batch: string[][] = [];
        for (let i = 0; i < perTick; i++) {
          batch.push(["SET", `load:${Math.floor(Math.random() * 100_000)}`, "y".repeat(16)]);
        }
        await writer.pipeline(batch);
        sent += perTick;
        next += 10;
        const wait = next - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
    };
    const lags: number[] = [];
    const probing = (async () => {
      while (running) {
        const stamp = String(Date.now());
        await probe.send(["SET", "probe", stamp]);
        for (;;) {
          const { reply } = await replicaClient.send(["GET", "probe"]);
          if (reply.type === "bulk" && reply.value === stamp) break;
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
        lags.push(Date.now() - Number(stamp));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    let behind = 0;
    const sampling = (async () => {
      while (running) {
        const sentOffset = Number(await info(masterClient, "master_repl_offset"));
        const applied = Number(await info(replicaClient, "slave_repl_offset"));
        behind = Math.max(behind, sentOffset - applied);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const loadStarted = performance.now();
    await Promise.all(writers.map(write));
    const rate = sent / ((performance.now() - loadStarted) / 1000);
    running = false;
    await probing;
    await sampling;
    lags.sort((a, b) => a - b);
    for (const client of [masterClient, replicaClient, probe, ...writers]) client.close();
    return {
      name,
      fullSyncMs,
      rate,
      p50: percentile(lags, 0.5),
      p99: percentile(lags, 0.99),
      max: lags.at(-1) ?? NaN,
      behind,
    };
  } finally {
    await replica.stop();
    await master.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.remove(replicaDir, { recursive: true }).catch(() => {});
  }
}

await requireTool("redis-server");
const results = [];
for (const name of args.values.only.split(",") as Server["name"][]) {
  results.push(await measure(name));
}
console.log(
  `| master | full sync of ${KEYS} keys | writes/s reached | lag p50 | lag p99 | lag max | ` +
    `most bytes behind |`,
);
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const result of results) {
  console.log(
    `| ${result.name} | ${(result.fullSyncMs / 1000).toFixed(2)} s | ${
      Math.round(result.rate)
    } | ${result.p50} ms | ${result.p99} ms | ${result.max} ms | ${result.behind} |`,
  );
}
