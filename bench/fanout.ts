/**
 * Pub/Sub fan-out: one publisher, many subscribers (1,000 by default) on one
 * channel, messages delivered per second — Kache against redis-server, same
 * client, same machine.
 *
 *   deno task bench:fanout [--subscribers 1000] [--messages 10000] [--size 32]
 *                          [--pipeline 32] [--threads 4]
 *
 * The publisher pipelines PUBLISH requests `--pipeline` at a time; the
 * subscribers are spread over `--threads` worker threads that only count
 * bytes, so the readers are not what is measured. The clock runs from the
 * first PUBLISH until the last subscriber has every message; deliveries =
 * messages × subscribers. Each server gets a fresh process, started with the
 * flags it ships with (Kache: deno.json's `serve` V8 flags).
 *
 * A benchmark, not a test: it prints numbers and asserts nothing.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { startRedis } from "../tests/support/redis_process.ts";
import { startServer } from "../tests/support/server_process.ts";
import type { GroupTask } from "./fanout_worker.ts";

const { values } = parseArgs({
  options: {
    subscribers: { type: "string", default: "1000" },
    messages: { type: "string", default: "10000" },
    size: { type: "string", default: "32" },
    pipeline: { type: "string", default: "32" },
    threads: { type: "string", default: "4" },
  },
});
const subscribers = Number(values.subscribers);
const messages = Number(values.messages);
const size = Number(values.size);
const pipeline = Number(values.pipeline);
const threads = Number(values.threads);
const CHANNEL = "fanout";

interface Result {
  readonly seconds: number;
  readonly deliveriesPerSecond: number;
  readonly publishesPerSecond: number;
}

function serveV8Flags(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(new URL("../deno.json", import.meta.url)));
  const match = /--v8-flags=(\S+)/.exec(config.tasks.serve ?? "");
  return match === null ? [] : match[1]!.split(",");
}

function bulk(text: string): string {
  return `$${text.length}\r\n${text}\r\n`;
}

async function readExactly(conn: Deno.Conn, buffer: Uint8Array, count: number): Promise<void> {
  for (let filled = 0; filled < count;) {
    const read = await conn.read(buffer.subarray(filled, count));
    if (read === null) throw new Error("Server closed the publisher");
    filled += read;
  }
}

/** Starts the subscriber groups; resolves once all are subscribed, with their "done" promise. */
async function subscribe(port: number): Promise<{ done: Promise<void>; workers: Worker[] }> {
  const payload = "p".repeat(size);
  const task: Omit<GroupTask, "count"> = {
    port,
    channel: CHANNEL,
    confirmationBytes: ("*3\r\n" + bulk("subscribe") + bulk(CHANNEL) + ":1\r\n").length,
    messageBytes: ("*3\r\n" + bulk("message") + bulk(CHANNEL) + bulk(payload)).length * messages,
  };
  const workers: Worker[] = [];
  const ready: Promise<void>[] = [];
  const done: Promise<void>[] = [];
  for (let i = 0; i < threads; i++) {
    const count = Math.floor(subscribers / threads) + (i < subscribers % threads ? 1 : 0);
    const worker = new Worker(new URL("./fanout_worker.ts", import.meta.url).href, {
      type: "module",
    });
    workers.push(worker);
    const isReady = Promise.withResolvers<void>();
    const isDone = Promise.withResolvers<void>();
    worker.onmessage = ({ data }: MessageEvent<string>) => {
      if (data === "ready") isReady.resolve();
      else if (data === "done") isDone.resolve();
      else {
        isReady.reject(new Error(data));
        isDone.reject(new Error(data));
      }
    };
    worker.postMessage({ ...task, count } satisfies GroupTask);
    ready.push(isReady.promise);
    done.push(isDone.promise);
  }
  await Promise.all(ready);
  return { done: Promise.all(done).then(() => {}), workers };
}

async function measure(port: number): Promise<Result> {
  const { done, workers } = await subscribe(port);
  const publisher = await Deno.connect({ hostname: "127.0.0.1", port });
  publisher.setNoDelay(true);
  try {
    const request = "*3\r\n" + bulk("PUBLISH") + bulk(CHANNEL) + bulk("p".repeat(size));
    const block = new TextEncoder().encode(request.repeat(pipeline));
    const replyBytes = `:${subscribers}\r\n`.length;
    const replies = new Uint8Array(replyBytes * pipeline);
    const started = performance.now();
    for (let sent = 0; sent < messages; sent += pipeline) {
      const batch = Math.min(pipeline, messages - sent);
      await publisher.write(block.subarray(0, (block.length / pipeline) * batch));
      await readExactly(publisher, replies, replyBytes * batch);
    }
    const published = performance.now();
    await done;
    const seconds = (performance.now() - started) / 1000;
    return {
      seconds,
      deliveriesPerSecond: (messages * subscribers) / seconds,
      publishesPerSecond: messages / ((published - started) / 1000),
    };
  } finally {
    publisher.close();
    for (const worker of workers) worker.terminate();
  }
}

function format(result: Result): string {
  return `${Math.round(result.deliveriesPerSecond).toLocaleString("en-US")} deliveries/s ` +
    `(${result.seconds.toFixed(2)} s; PUBLISH ${
      Math.round(result.publishesPerSecond).toLocaleString("en-US")
    }/s)`;
}

console.log(
  `Fan-out: 1 publisher, ${subscribers} subscribers, ${messages} messages of ${size} bytes, ` +
    `pipeline ${pipeline}, ${threads} reader threads`,
);
const kache = await startServer(["--maxclients", String(subscribers + 100)], {
  ports: { kache: 0 },
  v8Flags: serveV8Flags(),
});
try {
  console.log(`Kache: ${format(await measure(kache.respPort))}`);
} finally {
  await kache.stop();
}
const redis = await startRedis();
try {
  console.log(`Redis: ${format(await measure(redis.port))}`);
} finally {
  await redis.stop();
}
