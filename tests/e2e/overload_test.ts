/**
 * Overload and hygiene on a real server process: thousands of connections
 * at once, connect/disconnect storms that must leave no memory or
 * descriptors behind, a client that never reads its replies, SIGTERM in the
 * middle of pipelined load, and running out of file descriptors.
 *
 * Holding 5,000 sockets needs more descriptors than a default `ulimit -n`
 * of 1024, in this process and in the server's: both are raised with
 * `prlimit` (root in CI), and the test fails saying so where that is not
 * allowed. Every loop is bounded in count; nothing asserts a duration, and
 * the only clocks are guards that turn a hang into a failure.
 *
 * `deno task bench:overload` runs the bigger versions and prints the numbers.
 */
import assert from "node:assert/strict";
import { KacheConnection } from "../../cli/connection.ts";
import {
  connectCycles,
  encodeRequest,
  ensureFileLimit,
  exchange,
  exerciseConnections,
  expectedReply,
  fileLimit,
  lowerFileLimit,
  openConnections,
  openDescriptors,
  type Ports,
  rssFallingTo,
  servedV8Flags,
  settledRss,
  sleep,
  unreadRepliesFlood,
  type Wire,
  writeAll,
} from "../support/overload.ts";
import { concatBytes } from "../../lib/bytes.ts";
import { type RunningServer, type StartOptions, startServer } from "../support/server_process.ts";

const CONNECTIONS = 5_000;
/** Room for the connections plus the runtime's own descriptors, on both sides. */
const FILE_LIMIT = 2 * CONNECTIONS + 1_000;

function portsOf(server: RunningServer): Ports {
  return { resp: server.respPort, kache: server.kachePort };
}

/** Starts a server that logs every client error (verbose) and may hold FILE_LIMIT descriptors. */
async function startLoggingServer(
  extraArgs: string[] = [],
  options: StartOptions = {},
): Promise<RunningServer> {
  const server = await startServer(["--loglevel", "verbose", ...extraArgs], options);
  try {
    await ensureFileLimit(server.process.pid, FILE_LIMIT);
  } catch (cause) {
    await server.stop();
    throw cause;
  }
  return server;
}

/** The log lines that report trouble: warnings (`#`) and verbose client errors. */
function troubleIn(log: string): string[] {
  return log.split("\n").filter((line) =>
    / # /.test(line) || /error|closing client|failed/i.test(line)
  );
}

async function infoField(port: number, section: string, field: string): Promise<number> {
  const client = await KacheConnection.connect({ hostname: "127.0.0.1", port, protocol: "resp" });
  try {
    const reply = await client.send(["INFO", section]);
    assert.equal(reply.type, "bulk");
    const match = reply.value.match(new RegExp(`^${field}:(\\d+)\\r?$`, "m"));
    assert.ok(match, `INFO ${section} has no ${field}: ${reply.value}`);
    return Number(match[1]);
  } finally {
    client.close();
  }
}

/** Polls INFO until connected_clients is `wanted` (the poller itself included); bounded. */
async function waitForClients(port: number, wanted: number): Promise<number> {
  let connected = -1;
  for (let attempt = 0; attempt < 200; attempt++) {
    connected = await infoField(port, "clients", "connected_clients");
    if (connected === wanted) break;
    await sleep(50);
  }
  return connected;
}

Deno.test("5,000 concurrent connections, half on the binary port, all get exact replies", async () => {
  await ensureFileLimit(Deno.pid, FILE_LIMIT);
  const server = await startLoggingServer();
  try {
    assert.ok(
      await infoField(server.respPort, "clients", "maxclients") >= CONNECTIONS + 1,
      "the default maxclients must allow this many clients",
    );
    const held = await openConnections(portsOf(server), CONNECTIONS);
    try {
      assert.equal(held.errors.count, 0, `connecting: ${held.errors}`);
      const errors = await exerciseConnections(held);
      assert.equal(errors.count, 0, `requests: ${errors}`);
      assert.equal(
        await infoField(server.respPort, "clients", "connected_clients"),
        CONNECTIONS + 1,
      );
    } finally {
      held.close();
    }
    assert.equal(await waitForClients(server.respPort, 1), 1);
    // Every connection deleted its key again.
    const probe = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
    try {
      await exchange(probe, encodeRequest("resp", ["DBSIZE"]), new TextEncoder().encode(":0\r\n"));
    } finally {
      probe.close();
    }
  } finally {
    await server.stop();
  }
  assert.deepEqual(troubleIn(server.output()), []);
});

Deno.test("20,000 connect/disconnect cycles leave RSS within 10% and no descriptors behind", async () => {
  // Memory is judged as the server ships: with `deno task serve`'s V8 flags.
  const server = await startLoggingServer([], { v8Flags: servedV8Flags() });
  try {
    const pid = server.process.pid;
    const ports = portsOf(server);
    // Warm-up: JIT-compiled code and the heap reach their working size first. 2,000 cycles
    // were no longer enough for the grown server: RSS then still rose ~10 % to a plateau that
    // stays flat from 10,000 to 60,000 cycles (measured), so the baseline is taken later.
    const warmup = await connectCycles(ports, 6_000);
    assert.equal(warmup.errors.count, 0, `warm-up: ${warmup.errors}`);
    await waitForClients(ports.resp, 1);
    const descriptorsBefore = openDescriptors(pid);
    const rssBefore = await settledRss(pid, 1_000);

    const run = await connectCycles(ports, 20_000);
    assert.equal(run.errors.count, 0, `cycles: ${run.errors}`);

    assert.equal(await waitForClients(ports.resp, 1), 1);
    const rssAfter = await rssFallingTo(pid, rssBefore * 1.1, 40_000);
    assert.ok(
      rssAfter <= rssBefore * 1.1,
      `RSS grew from ${(rssBefore / 2 ** 20).toFixed(1)} MB to ${
        (rssAfter / 2 ** 20).toFixed(1)
      } MB`,
    );
    // Deno closes some of its own cache files lazily, so the count may fall; it must not grow.
    const descriptorsAfter = openDescriptors(pid);
    assert.ok(
      descriptorsAfter <= descriptorsBefore,
      `descriptors leaked: ${descriptorsBefore} before, ${descriptorsAfter} after`,
    );
    assert.ok(await infoField(ports.resp, "stats", "total_connections_received") > 22_000);
  } finally {
    await server.stop();
  }
  assert.deepEqual(troubleIn(server.output()), []);
});

Deno.test("a client that never reads its replies stops being read: server memory stays flat", async () => {
  const server = await startLoggingServer();
  try {
    const pid = server.process.pid;
    // 10 KB values and up to 1,000,000 GETs: 10 GB of replies if the server kept answering.
    const flood = await unreadRepliesFlood(server.respPort, pid, {
      valueBytes: 10 * 1024,
      requests: 1_000_000,
      stallMs: 1_000,
      drainMs: 1_000,
    });
    assert.ok(flood.stalled, `the server read all ${flood.requestBytes} request bytes`);
    const growth = flood.rssPeak - flood.rssBefore;
    assert.ok(
      growth < 128 * 2 ** 20,
      `RSS grew by ${(growth / 2 ** 20).toFixed(1)} MB after ${flood.requestBytes} request bytes`,
    );
    // The server is still fine for everyone else, and lets the flooder go.
    const probe = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
    try {
      await exchange(probe, encodeRequest("resp", ["PING"]), expectedReply.ping("resp"));
    } finally {
      probe.close();
    }
    assert.equal(await waitForClients(server.respPort, 1), 1);
  } finally {
    await server.stop();
  }
});

interface LoadOutcome {
  readonly sent: number;
  readonly replies: number;
  /** Bytes after the last complete reply: nonzero means a torn frame. */
  readonly tornBytes: number;
  readonly mismatch?: string;
  readonly closedBy: string;
}

/**
 * Pipelines SETs (at most 400 unanswered) and checks every reply byte as it
 * arrives, until the server closes the connection.
 */
async function pipelineUntilClosed(
  wire: Wire,
  port: number,
  id: number,
  started: () => void,
): Promise<LoadOutcome> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const reply = expectedReply.set(wire);
  const batchSize = 100;
  let sent = 0;
  let replyBytes = 0;
  let mismatch: string | undefined;
  let closedBy = "";
  let wake: (() => void) | undefined;
  let done = false;

  const reading = (async () => {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const count = await conn.read(buffer);
        if (count === null) {
          closedBy = "EOF";
          break;
        }
        for (let i = 0; i < count && mismatch === undefined; i++) {
          if (buffer[i] !== reply[(replyBytes + i) % reply.length]) {
            mismatch = `byte ${replyBytes + i} is ${buffer[i]}`;
          }
        }
        const before = Math.floor(replyBytes / reply.length);
        replyBytes += count;
        if (before < 200 && Math.floor(replyBytes / reply.length) >= 200) started();
        wake?.();
      }
    } catch (cause) {
      closedBy = cause instanceof Error ? cause.name : String(cause);
    } finally {
      done = true;
      wake?.();
    }
  })();

  try {
    while (!done) {
      if (sent - replyBytes / reply.length >= 4 * batchSize) {
        await new Promise<void>((resolve) => wake = resolve);
        continue;
      }
      const batch = concatBytes(
        Array.from(
          { length: batchSize },
          (_, i) => encodeRequest(wire, ["SET", `load:${id}:${(sent + i) % 1000}`, "v"]),
        ),
      );
      await writeAll(conn, batch);
      sent += batchSize;
    }
  } catch {
    // The server closed while we wrote: the reader reports how.
  }
  await reading;
  try {
    conn.close();
  } catch {
    // Already closed.
  }
  return {
    sent,
    replies: Math.floor(replyBytes / reply.length),
    tornBytes: replyBytes % reply.length,
    mismatch,
    closedBy,
  };
}

Deno.test("SIGTERM under load from 50 pipelining clients: exit 0, every reply whole", async () => {
  const server = await startLoggingServer();
  try {
    let running = 0;
    const { promise: allRunning, resolve: allStarted } = Promise.withResolvers<void>();
    const clients = Array.from({ length: 50 }, (_, id) => {
      const wire: Wire = id % 2 === 0 ? "resp" : "kache";
      return pipelineUntilClosed(wire, portsOf(server)[wire], id, () => {
        if (++running === 50) allStarted();
      });
    });
    await allRunning;

    server.process.kill("SIGTERM");
    const guard = setTimeout(() => server.process.kill("SIGKILL"), 5_000);
    const status = await server.process.status;
    clearTimeout(guard);
    assert.equal(status.signal, null, "the server did not exit within 5 s of SIGTERM");
    assert.equal(status.code, 0);

    const outcomes = await Promise.all(clients);
    for (const [id, outcome] of outcomes.entries()) {
      assert.equal(outcome.mismatch, undefined, `client ${id}: ${outcome.mismatch}`);
      assert.equal(outcome.tornBytes, 0, `client ${id} got a torn reply`);
      assert.ok(outcome.replies <= outcome.sent, `client ${id}: more replies than requests`);
      assert.ok(outcome.closedBy !== "", `client ${id} never saw the connection close`);
    }
  } finally {
    await server.stop();
  }
  assert.match(server.output(), /shutting down/);
  assert.deepEqual(troubleIn(server.output()), []);
});

Deno.test("SIGTERM with a client that never reads its replies: exit 0 within 5 s", async () => {
  const server = await startLoggingServer();
  const flooder = await Deno.connect({ hostname: "127.0.0.1", port: server.respPort });
  try {
    await exchange(
      flooder,
      encodeRequest("resp", ["SET", "big", "v".repeat(64 * 1024)]),
      expectedReply.set("resp"),
    );
    // 64 MB of replies asked for: the server's write for this batch cannot finish.
    const gets = concatBytes(
      Array.from({ length: 1_000 }, () => encodeRequest("resp", ["GET", "big"])),
    );
    await writeAll(flooder, gets);
    await sleep(200);

    server.process.kill("SIGTERM");
    const guard = setTimeout(() => server.process.kill("SIGKILL"), 5_000);
    const status = await server.process.status;
    clearTimeout(guard);
    assert.equal(status.signal, null, "the server did not exit within 5 s of SIGTERM");
    assert.equal(status.code, 0);
  } finally {
    flooder.close();
    await server.stop();
  }
});

Deno.test("running out of file descriptors pauses accepting; it resumes once they free up", async () => {
  const server = await startServer();
  try {
    const pid = server.process.pid;
    const limit = openDescriptors(pid) + 16;
    await lowerFileLimit(pid, limit);
    assert.equal(fileLimit(pid).soft, limit);
    // Three times the headroom: the server runs out, and the rest wait in the listen backlog.
    const held = await openConnections(portsOf(server), 48, 8);
    assert.equal(held.errors.count, 0, `connecting: ${held.errors}`);
    for (let attempt = 0; attempt < 100 && openDescriptors(pid) < limit; attempt++) await sleep(20);
    held.close();

    for (const wire of ["resp", "kache"] as const) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port: portsOf(server)[wire] });
      try {
        const guard = setTimeout(() => conn.close(), 10_000);
        await exchange(conn, encodeRequest(wire, ["PING"]), expectedReply.ping(wire))
          .finally(() => clearTimeout(guard));
      } catch (cause) {
        throw new Error(`The ${wire} port no longer accepts after EMFILE: ${cause}`);
      } finally {
        try {
          conn.close();
        } catch {
          // The guard closed it.
        }
      }
    }
  } finally {
    await server.stop();
  }
  assert.match(server.output(), /Too many open files/);
});
