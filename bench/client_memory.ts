/**
 * What clients' buffers cost the server, Kache against redis-server 7 in
 * the same run (issue 10, items 10 and 14):
 *
 * 1. **Non-reader**: one connection pipelines `--gets` GETs of a
 *    `--value-mb` value and never reads. Reported: the server's RSS growth
 *    (peak while the requests sit there), and how long another client's
 *    PINGs take meanwhile (one every 10 ms; the slowest and the median).
 * 2. **maxmemory**: `maxmemory 50mb` with allkeys-lru, then 200 MB of 4 KB
 *    values written by 8 pipelining clients. Reported: RSS at its peak and
 *    once settled, and used_memory.
 * 3. **Big replies once**: 200 connections each GET a 4 MB value once and
 *    stay open. Reported: RSS growth right after and once settled.
 *
 *   deno task bench:client-memory [--gets 2000] [--value-mb 1] [--only 1|2|3]
 *
 * Both servers start fresh for each scenario; Kache runs with the V8 flags
 * of `deno task serve`. A benchmark, not a test: it prints numbers and
 * asserts nothing. Every phase is bounded in time.
 */
import { parseArgs } from "node:util";
import { encodeRespRequest } from "../lib/protocol/resp_reply.ts";
import { startRedis } from "../tests/support/redis_process.ts";
import { startServer } from "../tests/support/server_process.ts";
import { rssBytes, servedV8Flags, settledRss, sleep } from "../tests/support/overload.ts";
import { concatBytes } from "../lib/bytes.ts";
import { RawRespClient } from "../tests/support/resp_client.ts";

const { values } = parseArgs({
  options: {
    gets: { type: "string", default: "2000" },
    "value-mb": { type: "string", default: "1" },
    only: { type: "string" },
  },
});
const gets = Number(values.gets);
const valueBytes = Number(values["value-mb"]) * 2 ** 20;
const MB = 2 ** 20;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;

interface Target {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<unknown>;
}

async function targets(): Promise<Target[]> {
  const kache = await startServer([], { v8Flags: servedV8Flags() });
  const redis = await startRedis();
  return [
    { name: "Kache", port: kache.respPort, pid: kache.process.pid, stop: () => kache.stop() },
    { name: "Redis", port: redis.port, pid: redis.process.pid, stop: () => redis.stop() },
  ];
}

async function eachServer(run: (target: Target) => Promise<string>): Promise<void> {
  for (const target of await targets()) {
    try {
      console.log(`  ${target.name.padEnd(6)} ${await run(target)}`);
    } finally {
      await target.stop();
    }
  }
}

async function nonReader(target: Target): Promise<string> {
  const other = await RawRespClient.connect(target.port);
  const stuck = await Deno.connect({ hostname: "127.0.0.1", port: target.port });
  try {
    await other.send(["SET", "big", "v".repeat(valueBytes)]);
    const before = await settledRss(target.pid, 500);
    const get = encodeRespRequest(["GET", "big"]);
    const writing = (async () => {
      const bytes = concatBytes(Array.from({ length: gets }, () => get));
      let offset = 0;
      while (offset < bytes.length) offset += await stuck.write(bytes.subarray(offset));
    })().catch(() => {});
    let peak = before;
    const latencies: number[] = [];
    const deadline = Date.now() + 15_000;
    // PINGs for a few seconds, or until the server has settled into the stall.
    while (Date.now() < deadline && latencies.length < 300) {
      const started = performance.now();
      await other.send(["PING"]);
      latencies.push(performance.now() - started);
      peak = Math.max(peak, rssBytes(target.pid));
      await sleep(10);
    }
    latencies.sort((a, b) => a - b);
    stuck.close();
    await writing;
    const median = latencies[latencies.length >> 1]!;
    const slowest = latencies[latencies.length - 1]!;
    return `RSS +${mb(peak - before)} (peak ${mb(peak)}); other client's PING: ` +
      `median ${median.toFixed(2)} ms, slowest ${slowest.toFixed(1)} ms over ${latencies.length}`;
  } finally {
    other.close();
  }
}

async function underMaxmemory(target: Target): Promise<string> {
  const admin = await RawRespClient.connect(target.port);
  try {
    await admin.send(["CONFIG", "SET", "maxmemory", "50mb"]);
    await admin.send(["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]);
    const value = "x".repeat(4096);
    const total = 200 * MB;
    const perClient = Math.ceil(total / value.length / 8);
    let peak = rssBytes(target.pid);
    const writers = Array.from({ length: 8 }, async (_, writer) => {
      const client = await RawRespClient.connect(target.port);
      try {
        for (let i = 0; i < perClient; i += 100) {
          const batch = [];
          for (let j = i; j < Math.min(i + 100, perClient); j++) {
            batch.push(["SET", `key:${writer}:${j}`, value]);
          }
          await client.pipeline(batch);
          peak = Math.max(peak, rssBytes(target.pid));
        }
      } finally {
        client.close();
      }
    });
    await Promise.all(writers);
    const settled = await settledRss(target.pid, 3000);
    const info = (await admin.send(["INFO", "memory"])).raw;
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
    return `RSS peak ${mb(peak)}, settled ${mb(settled)}; used_memory ${mb(used)}`;
  } finally {
    admin.close();
  }
}

async function bigRepliesOnce(target: Target): Promise<string> {
  const admin = await RawRespClient.connect(target.port);
  const clients: Deno.Conn[] = [];
  try {
    await admin.send(["SET", "big", "v".repeat(4 * MB)]);
    const before = await settledRss(target.pid, 500);
    const get = encodeRespRequest(["GET", "big"]);
    const replyBytes = 4 * MB + 12; // "$4194304\r\n", the value, "\r\n"
    for (let i = 0; i < 200; i++) {
      clients.push(await Deno.connect({ hostname: "127.0.0.1", port: target.port }));
    }
    await Promise.all(clients.map(async (conn) => {
      await conn.write(get);
      const buffer = new Uint8Array(256 * 1024);
      let received = 0;
      while (received < replyBytes) {
        const count = await conn.read(buffer);
        if (count === null) throw new Error("closed");
        received += count;
      }
    }));
    const right = rssBytes(target.pid);
    const settled = await settledRss(target.pid, 5000);
    return `RSS +${mb(right - before)} right after, +${mb(settled - before)} settled (5 s), ` +
      `200 connections still open`;
  } finally {
    for (const conn of clients) conn.close();
    admin.close();
  }
}

const only = values.only === undefined ? undefined : Number(values.only);
if (only === undefined || only === 1) {
  console.log(
    `non-reader: ${gets} pipelined GETs of a ${mb(valueBytes)} value, never read ` +
      `(${mb(gets * valueBytes)} of replies)`,
  );
  await eachServer(nonReader);
}
if (only === undefined || only === 2) {
  console.log("maxmemory 50mb allkeys-lru, 200 MB of 4 KB SETs from 8 pipelining clients");
  await eachServer(underMaxmemory);
}
if (only === undefined || only === 3) {
  console.log("200 connections each GET a 4 MB value once, then stay idle");
  await eachServer(bigRepliesOnce);
}
