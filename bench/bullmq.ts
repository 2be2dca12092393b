/**
 * BullMQ on Kache against BullMQ on Redis: how long a queue takes to accept
 * jobs (Queue.addBulk, one script call per job in one pipeline) and how long
 * a Worker takes to complete them, with QueueEvents reading the event stream.
 *
 *   deno task bench:bullmq [--rounds 3] [--jobs 5000] [--concurrency 20]
 *
 * Starts Debian's `redis-server` (persistence off) and `kache serve` on free
 * loopback ports and alternates them round after round (A B A B …), as
 * bench/compare.ts does, so drift on a shared machine hits both alike; prints
 * medians in jobs per second and the ratio Kache / Redis. A benchmark, not a
 * test: it prints numbers and asserts nothing about them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Queue, QueueEvents, Worker } from "bullmq";
import { startServer } from "../tests/support/server_process.ts";
import { startRedis } from "../tests/support/redis_process.ts";

interface RoundResult {
  /** Jobs per second through Queue.addBulk. */
  readonly add: number;
  /** Jobs per second from the worker's start to the last "completed" event. */
  readonly process: number;
}

/** Adds `jobs` jobs to a fresh queue on `port`, then completes them with one worker. */
async function round(port: number, jobs: number, concurrency: number): Promise<RoundResult> {
  const connection = { host: "127.0.0.1", port };
  const name = `bench-${crypto.randomUUID()}`;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection, lastEventId: "0-0" });
  await events.waitUntilReady();
  let completed = 0;
  const allCompleted = new Promise<void>((resolve) => {
    events.on("completed", () => {
      if (++completed === jobs) resolve();
    });
  });
  const addStarted = performance.now();
  for (let from = 0; from < jobs; from += 1000) {
    await queue.addBulk(
      Array.from(
        { length: Math.min(1000, jobs - from) },
        (_, i) => ({ name: "job", data: { x: from + i } }),
      ),
    );
  }
  const addSeconds = (performance.now() - addStarted) / 1000;
  const processStarted = performance.now();
  const worker = new Worker(name, (job) => Promise.resolve(job.data.x), {
    connection,
    concurrency,
    removeOnComplete: { count: 100 },
    drainDelay: 1,
  });
  await allCompleted;
  const processSeconds = (performance.now() - processStarted) / 1000;
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { add: jobs / addSeconds, process: jobs / processSeconds };
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      rounds: { type: "string", default: "3" },
      jobs: { type: "string", default: "5000" },
      concurrency: { type: "string", default: "20" },
    },
  });
  const rounds = Number(values.rounds);
  const jobs = Number(values.jobs);
  const concurrency = Number(values.concurrency);
  const redis = await startRedis();
  const kache = await startServer();
  const results: { redis: RoundResult[]; kache: RoundResult[] } = { redis: [], kache: [] };
  try {
    for (let i = 0; i < rounds; i++) {
      results.redis.push(await round(redis.port, jobs, concurrency));
      results.kache.push(await round(kache.respPort, jobs, concurrency));
    }
  } finally {
    await kache.stop();
    await redis.stop();
  }
  console.log(
    `BullMQ, ${jobs} jobs, worker concurrency ${concurrency}, median of ${rounds} rounds`,
  );
  console.log("| | Redis 7.0 | Kache | Kache / Redis |");
  console.log("|---|---:|---:|---:|");
  for (const key of ["add", "process"] as const) {
    const onRedis = median(results.redis.map((result) => result[key]));
    const onKache = median(results.kache.map((result) => result[key]));
    const label = key === "add" ? "Queue.addBulk, jobs/s" : "Worker, jobs completed/s";
    console.log(
      `| ${label} | ${onRedis.toFixed(0)} | ${onKache.toFixed(0)} | ${
        (onKache / onRedis).toFixed(2)
      } |`,
    );
  }
}
