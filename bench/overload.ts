/**
 * Overload numbers for the README: how many connections one `kache serve`
 * holds at once, how fast it gets through connect/disconnect cycles and
 * whether its RSS comes back afterwards, and how much memory a client that
 * pipelines GETs but never reads the replies costs Kache and Redis 7.
 *
 *   deno task bench:overload [--connections 18000] [--cycles 100000]
 *                            [--flood-requests 300000] [--value-bytes 10240]
 *
 * Kache awaits each write before reading again, so a client that never
 * reads stops being read from and the backlog stays in kernel socket
 * buffers; Redis keeps reading and buffers every reply in its own memory
 * (client-output-buffer-limit is 0 0 0 for normal clients). The flood is
 * bounded by request count, not bytes: each 22-byte GET of a 10 KB value is
 * 10 KB of reply, so the default 300,000 requests (6.6 MB) would be 3 GB of
 * replies if all were buffered.
 *
 * Descriptor limits are raised with `prlimit` (needs root above the hard
 * limit). Every phase is bounded in count and time. A benchmark, not a test:
 * it prints numbers and asserts nothing.
 */
import { parseArgs } from "node:util";
import { startRedis } from "../tests/support/redis_process.ts";
import { startServer } from "../tests/support/server_process.ts";
import {
  connectCycles,
  ensureFileLimit,
  exerciseConnections,
  type FloodResult,
  openConnections,
  openDescriptors,
  rssBytes,
  rssFallingTo,
  servedV8Flags,
  settledRss,
  unreadRepliesFlood,
} from "../tests/support/overload.ts";

const { values } = parseArgs({
  options: {
    connections: { type: "string", default: "18000" },
    cycles: { type: "string", default: "100000" },
    "flood-requests": { type: "string", default: "300000" },
    "value-bytes": { type: "string", default: "10240" },
  },
});
const connections = Number(values.connections);
const cycles = Number(values.cycles);
const floodRequests = Number(values["flood-requests"]);
const valueBytes = Number(values["value-bytes"]);

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
const fileLimit = connections + 2_000;

await ensureFileLimit(Deno.pid, fileLimit);

async function heldConnections(): Promise<void> {
  const server = await startServer(["--maxclients", String(connections + 100)], {
    v8Flags: servedV8Flags(),
  });
  try {
    const pid = server.process.pid;
    await ensureFileLimit(pid, fileLimit);
    const idle = await settledRss(pid, 500);
    const started = performance.now();
    const held = await openConnections(
      { resp: server.respPort, kache: server.kachePort },
      connections,
    );
    const opened = performance.now() - started;
    try {
      const errors = await exerciseConnections(held);
      const rss = rssBytes(pid);
      console.log(
        `peak connections held: ${held.conns.length} of ${connections} ` +
          `(half binary; opened in ${(opened / 1000).toFixed(1)} s; ` +
          `${held.errors.count + errors.count} errors; server descriptors ${openDescriptors(pid)})`,
      );
      console.log(
        `  server RSS idle ${mb(idle)}, holding them ${mb(rss)} ` +
          `(${((rss - idle) / held.conns.length / 1024).toFixed(1)} KB per connection)`,
      );
      if (held.errors.count + errors.count > 0) console.log(`  ${held.errors}\n  ${errors}`);
    } finally {
      held.close();
    }
  } finally {
    await server.stop();
  }
}

async function cycleStorm(): Promise<void> {
  const server = await startServer([], { v8Flags: servedV8Flags() });
  try {
    const pid = server.process.pid;
    const ports = { resp: server.respPort, kache: server.kachePort };
    await connectCycles(ports, 2_000);
    const before = await settledRss(pid, 1_000);
    const descriptors = openDescriptors(pid);
    const run = await connectCycles(ports, cycles);
    const right = rssBytes(pid);
    const waitStarted = performance.now();
    const after = await rssFallingTo(pid, before * 1.1, 45_000);
    const waited = (performance.now() - waitStarted) / 1000;
    console.log(
      `connect/disconnect cycles: ${cycles} (connect, PING, close; 32 at a time, half binary) ` +
        `at ${Math.round(cycles / (run.elapsedMs / 1000))}/s, ${run.errors.count} errors`,
    );
    console.log(
      `  server RSS after 2,000 warm-up cycles ${mb(before)}, right after the run ${mb(right)}, ` +
        `settled ${mb(after)} after ${waited.toFixed(1)} s ` +
        `(${(100 * (after / before - 1)).toFixed(1)}% over the warm-up figure); ` +
        `descriptors ${descriptors} before, ${openDescriptors(pid)} after`,
    );
    if (run.errors.count > 0) console.log(`  ${run.errors}`);
  } finally {
    await server.stop();
  }
}

function floodLine(name: string, result: FloodResult): string {
  return `  ${name.padEnd(6)} RSS ${mb(result.rssBefore)} → peak ${mb(result.rssPeak)} ` +
    `(+${mb(result.rssPeak - result.rssBefore)}); took ${mb(result.requestBytes)} of requests` +
    `${result.stalled ? ", then stopped reading (writes stalled)" : ""}`;
}

async function unreadFlood(): Promise<void> {
  const options = { valueBytes, requests: floodRequests, stallMs: 5_000, drainMs: 20_000 };
  console.log(
    `unread-replies flood: up to ${floodRequests} pipelined GETs of a ${valueBytes}-byte value, ` +
      `replies never read (${mb(floodRequests * valueBytes)} of replies if all were buffered)`,
  );
  const server = await startServer([], { v8Flags: servedV8Flags() });
  try {
    console.log(
      floodLine("Kache", await unreadRepliesFlood(server.respPort, server.process.pid, options)),
    );
  } finally {
    await server.stop();
  }
  const redis = await startRedis();
  try {
    console.log(
      floodLine("Redis", await unreadRepliesFlood(redis.port, redis.process.pid, options)),
    );
  } finally {
    await redis.stop();
  }
}

await heldConnections();
await cycleStorm();
await unreadFlood();
