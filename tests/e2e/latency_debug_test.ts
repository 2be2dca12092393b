/**
 * LATENCY and DEBUG over a real connection: the replies and texts redis-server
 * 7.0 gives where they are deterministic, then the events, histograms and
 * DEBUG subcommands on Kache.
 */
import assert from "node:assert/strict";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { withRedis } from "../support/redis_process.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { withServer } from "../support/server_process.ts";

/** A decoded reply as plain values: arrays of strings and bigints. */
function plain(reply: ClientReply): unknown {
  if (reply.type === "array") return reply.items.map(plain);
  return "value" in reply ? reply.value : reply.type;
}

async function rawReplies(port: number, commands: string[][]): Promise<string[]> {
  const client = await RawRespClient.connect(port);
  try {
    const replies: string[] = [];
    for (const command of commands) replies.push((await client.send(command)).raw);
    return replies;
  } finally {
    client.close();
  }
}

Deno.test("LATENCY and DEBUG answer as redis-server 7.0 does with default settings", async () => {
  const commands = [
    ["LATENCY", "HELP"],
    ["LATENCY", "DOCTOR"],
    ["LATENCY", "LATEST"],
    ["LATENCY", "HISTORY", "command"],
    ["LATENCY", "HISTORY"],
    ["LATENCY", "GRAPH", "command"],
    ["LATENCY", "RESET"],
    ["LATENCY", "RESET", "command", "expire-cycle"],
    ["LATENCY", "HISTOGRAM", "nosuchcommand"],
    ["LATENCY", "NOSUCH"],
    ["CONFIG", "GET", "latency-monitor-threshold"],
    ["CONFIG", "GET", "latency-tracking"],
    ["CONFIG", "GET", "latency-tracking-info-percentiles"],
    ["CONFIG", "GET", "enable-debug-command"],
    ["CONFIG", "SET", "latency-tracking-info-percentiles", "50 101"],
    ["CONFIG", "SET", "latency-tracking-info-percentiles", "fifty"],
    ["CONFIG", "SET", "enable-debug-command", "yes"],
    ["CONFIG", "SET", "latency-monitor-threshold", "-1"],
    ["CONFIG", "SET", "latency-monitor-threshold", "100"],
    ["DEBUG", "SLEEP", "0"],
    ["DEBUG"],
  ];
  await withRedis(async (redis) => {
    await withServer(async (server) => {
      const expected = await rawReplies(redis.port, commands);
      const actual = await rawReplies(server.respPort, commands);
      commands.forEach((command, index) => {
        assert.equal(actual[index], expected[index], command.join(" "));
      });
    });
  });
});

Deno.test("LATENCY records a command over latency-monitor-threshold and HISTOGRAM counts it", async () => {
  await withServer(async (server) => {
    const client = await RawRespClient.connect(server.respPort);
    try {
      await client.send(["CONFIG", "SET", "latency-monitor-threshold", "5"]);
      assert.equal((await client.send(["DEBUG", "SLEEP", "0.02"])).raw, "+OK\r\n");
      const latest = plain((await client.send(["LATENCY", "LATEST"])).reply) as unknown[][];
      assert.equal(latest.length, 1, JSON.stringify(latest, (_, v) => String(v)));
      const [event, time, latency, max] = latest[0]!;
      assert.equal(event, "command");
      assert.ok(Math.abs(Number(time) - Date.now() / 1000) < 60);
      assert.ok(Number(latency) >= 5 && Number(max) >= Number(latency));

      const history = plain((await client.send(["LATENCY", "HISTORY", "command"])).reply);
      assert.deepEqual(history, [[time, latency]]);
      const graph = plain((await client.send(["LATENCY", "GRAPH", "command"])).reply) as string;
      assert.match(graph, /^command - high \d+ ms, low \d+ ms \(all time high \d+ ms\)\n-{80}\n/);
      const doctor = plain((await client.send(["LATENCY", "DOCTOR"])).reply) as string;
      assert.match(doctor, /^Dave, I have observed latency spikes/);
      assert.match(doctor, /\n1\. command: 1 latency spikes /);

      const histogram = plain((await client.send(["LATENCY", "HISTOGRAM", "DEBUG"])).reply);
      const [name, [callsLabel, calls, bucketsLabel, buckets]] = histogram as [
        string,
        [string, bigint, string, bigint[]],
      ];
      assert.deepEqual([name, callsLabel, calls, bucketsLabel], [
        "debug",
        "calls",
        1n,
        "histogram_usec",
      ]);
      assert.equal(buckets.length, 2);
      assert.equal(buckets[1], 1n);

      const info = plain((await client.send(["INFO", "latencystats"])).reply) as string;
      assert.match(info, /^# Latencystats\r\n/);
      assert.match(
        info,
        /\r\nlatency_percentiles_usec_debug:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r\n/,
      );

      assert.equal((await client.send(["LATENCY", "RESET", "Command"])).raw, ":1\r\n");
      assert.equal((await client.send(["LATENCY", "LATEST"])).raw, "*0\r\n");
      await client.send(["CONFIG", "SET", "latency-tracking", "no"]);
      await client.send(["CONFIG", "RESETSTAT"]);
      await client.send(["PING"]);
      assert.equal((await client.send(["LATENCY", "HISTOGRAM"])).raw, "*0\r\n");
    } finally {
      client.close();
    }
  }, ["--enable-debug-command", "local"]);
});

Deno.test("DEBUG OBJECT, SET-ACTIVE-EXPIRE and RELOAD with enable-debug-command yes", async () => {
  await withServer(async (server) => {
    const client = await RawRespClient.connect(server.respPort);
    try {
      await client.send(["SET", "a", "b"]);
      // redis-server 7.0: "Value at:0x… refcount:1 encoding:embstr serializedlength:2 lru:… lru_seconds_idle:…".
      assert.equal(
        (await client.send(["DEBUG", "OBJECT", "a"])).raw,
        "+refcount:1 encoding:embstr serializedlength:2\r\n",
      );
      assert.equal((await client.send(["DEBUG", "OBJECT", "nokey"])).raw, "-ERR no such key\r\n");
      assert.equal(
        (await client.send(["DEBUG", "NOSUCH"])).raw,
        "-ERR unknown subcommand or wrong number of arguments for 'NOSUCH'. Try DEBUG HELP.\r\n",
      );

      assert.equal((await client.send(["DEBUG", "SET-ACTIVE-EXPIRE", "0"])).raw, "+OK\r\n");
      await client.send(["SET", "soon", "1", "PX", "1"]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Not accessed and not swept: still counted, as in Redis.
      assert.equal((await client.send(["DBSIZE"])).raw, ":2\r\n");
      assert.equal((await client.send(["DEBUG", "SET-ACTIVE-EXPIRE", "1"])).raw, "+OK\r\n");
      let size = "";
      for (let attempt = 0; attempt < 100 && size !== ":1\r\n"; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        size = (await client.send(["DBSIZE"])).raw;
      }
      assert.equal(size, ":1\r\n");

      await client.send(["RPUSH", "list", "x", "y"]);
      await client.send(["SET", "ttl", "v", "EX", "1000"]);
      assert.equal((await client.send(["DEBUG", "RELOAD"])).raw, "+OK\r\n");
      assert.equal((await client.send(["GET", "a"])).raw, "$1\r\nb\r\n");
      assert.equal(
        (await client.send(["LRANGE", "list", "0", "-1"])).raw,
        "*2\r\n$1\r\nx\r\n$1\r\ny\r\n",
      );
      const ttl = Number((await client.send(["TTL", "ttl"])).raw.slice(1));
      assert.ok(ttl > 0 && ttl <= 1000);
      assert.match(server.output(), /DB reloaded by DEBUG RELOAD/);
    } finally {
      client.close();
    }
  }, ["--enable-debug-command", "yes"]);
});

Deno.test("INFO memory shows V8's heap size limit", async () => {
  await withServer(async (server) => {
    const client = await RawRespClient.connect(server.respPort);
    try {
      const info = plain((await client.send(["INFO", "memory"])).reply) as string;
      const limit = Number(/\r\nv8_heap_size_limit:(\d+)\r\n/.exec(info)?.[1]);
      assert.ok(limit > 0, info);
      assert.match(info, /\r\nv8_heap_size_limit_human:\d+\.\d\d[KMG]\r\n/);
    } finally {
      client.close();
    }
  });
});

/** What the server logged once a client connected, sent PING and hung up. */
async function logAfterOneClient(loglevel: string): Promise<string> {
  let output = "";
  await withServer(async (server) => {
    const client = await RawRespClient.connect(server.respPort);
    assert.equal((await client.send(["PING"])).raw, "+PONG\r\n");
    client.close();
    // The close line follows the hang-up; a second client's PING shows the server got past it.
    for (let attempt = 0; attempt < 100; attempt++) {
      output = server.output();
      if (loglevel !== "verbose" || output.includes("Client closed connection")) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const probe = await RawRespClient.connect(server.respPort);
    await probe.send(["PING"]);
    probe.close();
    output = server.output();
  }, ["--loglevel", loglevel]);
  return output;
}

Deno.test("loglevel verbose logs accepted and closed connections as Redis does; notice does not", async () => {
  const verbose = await logAfterOneClient("verbose");
  assert.match(verbose, / - Accepted 127\.0\.0\.1:\d+\n/);
  assert.match(verbose, / - Client closed connection id=\d+ addr=127\.0\.0\.1:\d+ .*cmd=ping /);
  const notice = await logAfterOneClient("notice");
  assert.doesNotMatch(notice, /Accepted|Client closed connection/);
});

Deno.test("LATENCY records expire-cycle and eviction-cycle events over the threshold", async () => {
  await withServer(async (server) => {
    const client = await RawRespClient.connect(server.respPort);
    const events = async () => {
      const latest = plain((await client.send(["LATENCY", "LATEST"])).reply) as unknown[][];
      return latest.map((row) => row[0]);
    };
    try {
      await client.send(["CONFIG", "SET", "latency-monitor-threshold", "1"]);
      await client.send(["CONFIG", "SET", "active-expire-batch", "1000000"]);
      // One sweep removes 50,000 keys at once: well over a millisecond.
      await client.send([
        "EVAL",
        "for i = 1, 50000 do redis.call('set', 'k' .. i, 'v', 'px', 50) end",
        "0",
      ]);
      let seen: unknown[] = [];
      for (let attempt = 0; attempt < 250 && !seen.includes("expire-cycle"); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        seen = await events();
      }
      assert.ok(seen.includes("expire-cycle"), String(seen));

      await client.send(["EVAL", "for i = 1, 20000 do redis.call('set', 'k' .. i, 'v') end", "0"]);
      await client.send(["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
      await client.send(["CONFIG", "SET", "maxmemory", "100kb"]);
      // Evicting most of 20,000 keys before this SET takes well over a millisecond.
      await client.send(["SET", "x", "y"]);
      assert.ok((await events()).includes("eviction-cycle"));
    } finally {
      client.close();
    }
  });
});
