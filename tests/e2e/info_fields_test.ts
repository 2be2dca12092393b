/**
 * INFO fields an operator's tools read, checked for truth against a real
 * server: network bytes to the byte, errorstats as redis-server counts the
 * same errors, the instantaneous rates under load, stale keys, replayed AOF
 * commands that failed, client buffer peaks, MEMORY DOCTOR and MEMORY STATS.
 */
import assert from "node:assert/strict";
import { RawRespClient } from "../support/resp_client.ts";
import { startRedis } from "../support/redis_process.ts";
import { startServer } from "../support/server_process.ts";

function encode(argv: string[]): string {
  return `*${argv.length}\r\n` + argv.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join("");
}

async function command(client: RawRespClient, ...argv: string[]): Promise<string> {
  await client.writeRaw(new TextEncoder().encode(encode(argv)));
  return (await client.readReply()).raw;
}

async function infoField(client: RawRespClient, section: string, field: string): Promise<string> {
  const text = await command(client, "INFO", section);
  const match = text.match(new RegExp(`^${field}:(.*)\\r$`, "m"));
  if (match === null) throw new Error(`no ${field} in INFO ${section}:\n${text}`);
  return match[1]!;
}

Deno.test("INFO total_net_input_bytes and total_net_output_bytes count every byte", async () => {
  const server = await startServer();
  const observer = await RawRespClient.connect(server.respPort);
  try {
    const before = Number(await infoField(observer, "stats", "total_net_input_bytes"));
    const outBefore = Number(await infoField(observer, "stats", "total_net_output_bytes"));
    // INFO's own requests are counted too: the second one above and the one below.
    const infoRequest = encode(["INFO", "stats"]).length;
    const client = await RawRespClient.connect(server.respPort);
    await command(client, "SET", "k", "hello"); // 31 bytes in, +OK\r\n = 5 out
    await command(client, "GET", "k"); // 20 in, $5\r\nhello\r\n = 11 out
    client.close();
    const after = Number(await infoField(observer, "stats", "total_net_input_bytes"));
    assert.equal(after - before, 2 * infoRequest + 31 + 20);
    const infoReply = await command(observer, "INFO", "stats");
    const outAfter = Number(infoReply.match(/^total_net_output_bytes:(\d+)\r$/m)![1]);
    // Between the two readings: one INFO stats reply (before "after"), +OK, the bulk reply.
    assert.ok(outAfter - outBefore >= 5 + 11, `${outAfter - outBefore}`);
  } finally {
    observer.close();
    await server.stop();
  }
});

Deno.test("INFO errorstats and total_error_replies count errors as redis-server does", async () => {
  const redis = await startRedis();
  const kache = await startServer();
  try {
    const sequence: string[][] = [
      ["SET", "s", "abc"],
      ["INCR", "s"],
      ["LPUSH", "s", "x"],
      ["NOSUCHCOMMAND"],
      ["GET"],
      ["SET", "a", "b", "NX", "XX"],
      ["CONFIG", "SET", "maxmemory", "x"],
    ];
    const stats: string[] = [];
    for (const port of [redis.port, kache.respPort]) {
      const client = await RawRespClient.connect(port);
      try {
        for (const argv of sequence) await command(client, ...argv);
        const errorstats = (await command(client, "INFO", "errorstats"))
          .split("\r\n").filter((line) => line.startsWith("errorstat_")).sort();
        stats.push(
          [...errorstats, await infoField(client, "stats", "total_error_replies")].join(" "),
        );
      } finally {
        client.close();
      }
    }
    assert.equal(stats[1], stats[0]);
    assert.match(stats[1]!, /errorstat_WRONGTYPE:count=1/);
  } finally {
    await kache.stop();
    await redis.stop();
  }
});

Deno.test("INFO instantaneous_ops_per_sec and _input_kbps show a running load", async () => {
  const server = await startServer();
  const client = await RawRespClient.connect(server.respPort);
  try {
    const batch = new TextEncoder().encode(encode(["SET", "k", "v".repeat(200)]).repeat(500));
    let ops = 0;
    let input = 0;
    // Keep a load going for up to ~3 s and read the rates while it runs.
    for (let round = 0; round < 60 && (ops === 0 || input === 0); round++) {
      await client.writeRaw(batch);
      for (let i = 0; i < 500; i++) await client.readReply();
      ops = Number(await infoField(client, "stats", "instantaneous_ops_per_sec"));
      input = Number(await infoField(client, "stats", "instantaneous_input_kbps"));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(ops > 0, "ops/s under load");
    assert.ok(input > 0, "input kbps under load");
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("INFO expired_stale_perc is the share of TTL keys past their deadline, not yet removed", async () => {
  const server = await startServer(["--enable-debug-command", "yes"]);
  const client = await RawRespClient.connect(server.respPort);
  try {
    assert.equal(await infoField(client, "stats", "expired_stale_perc"), "0.00");
    await command(client, "DEBUG", "SET-ACTIVE-EXPIRE", "0");
    for (let i = 0; i < 3; i++) await command(client, "SET", `short${i}`, "v", "PX", "1");
    await command(client, "SET", "long", "v", "EX", "1000");
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await infoField(client, "stats", "expired_stale_perc"), "75.00");
    await command(client, "GET", "short0"); // removed on access
    assert.equal(await infoField(client, "stats", "expired_stale_perc"), "66.67");
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("INFO unexpected_error_replies counts AOF commands that failed on replay", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kache-unexpected-" });
  try {
    const first = await startServer(["--appendonly", "yes", "--appendfsync", "always"], { dir });
    const client = await RawRespClient.connect(first.respPort);
    await command(client, "SET", "s", "abc");
    client.close();
    await first.stop();
    const manifest = Deno.readTextFileSync(`${dir}/appendonlydir/appendonly.aof.manifest`);
    const incr = manifest.match(/file (\S+) seq \d+ type i/)![1]!;
    Deno.writeTextFileSync(`${dir}/appendonlydir/${incr}`, encode(["INCR", "s"]), {
      append: true,
    });
    const second = await startServer(["--appendonly", "yes"], { dir });
    const again = await RawRespClient.connect(second.respPort);
    try {
      assert.equal(await infoField(again, "stats", "unexpected_error_replies"), "1");
      assert.equal(await command(again, "GET", "s"), "$3\r\nabc\r\n");
      assert.match(
        second.output(),
        /== CRITICAL == This server is sending an error to its AOF-loading-client: 'ERR value is not an integer or out of range' after processing the command 'incr'/,
      );
    } finally {
      again.close();
      await second.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("INFO client_recent_max_input_buffer shows a client's big request for a while", async () => {
  const server = await startServer();
  const client = await RawRespClient.connect(server.respPort);
  try {
    await command(client, "SET", "big", "x".repeat(1 << 20));
    // The cron samples the buffers hz times a second; give it a few turns.
    let peak = 0;
    for (let i = 0; i < 50 && peak < 1 << 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      peak = Number(await infoField(client, "clients", "client_recent_max_input_buffer"));
    }
    // The input buffer grew to hold the whole request, and shrank once it was served.
    assert.ok(peak >= 1 << 20, `${peak}`);
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("MEMORY DOCTOR reports a peak far above the memory in use", async () => {
  const server = await startServer();
  const client = await RawRespClient.connect(server.respPort);
  try {
    assert.match(await command(client, "MEMORY", "DOCTOR"), /this instance is empty/);
    for (let i = 0; i < 100; i++) await command(client, "SET", `k${i}`, "x".repeat(256 * 1024));
    await command(client, "INFO", "memory"); // the peak is sampled
    for (let i = 0; i < 50; i++) await command(client, "DEL", `k${i}`);
    const report = await command(client, "MEMORY", "DOCTOR");
    assert.match(report, /Sam, I detected a few issues in this Redis instance memory implants/);
    assert.match(report, / \* Peak memory: In the past this instance used more than 150%/);
    const stats = await command(client, "MEMORY", "STATS");
    for (
      const field of ["peak.allocated", "dataset.bytes", "allocator.allocated", "fragmentation"]
    ) {
      assert.ok(stats.includes(field), field);
    }
    assert.ok(!stats.includes("startup.allocated"), "no field fixed at 0");
  } finally {
    client.close();
    await server.stop();
  }
});

/** Polls INFO persistence until `field` reads 0 (bounded: 10 s). */
async function waitForZero(client: RawRespClient, field: string): Promise<void> {
  for (let round = 0; round < 500; round++) {
    if (await infoField(client, "persistence", field) === "0") return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${field} stayed 1`);
}

Deno.test("INFO rdb_last_cow_size and aof_last_cow_size count old values kept for a running save", async () => {
  const server = await startServer(["--appendonly", "yes"]);
  const client = await RawRespClient.connect(server.respPort);
  try {
    await waitForZero(client, "aof_rewrite_in_progress");
    for (let batch = 0; batch < 20; batch++) {
      const pairs = Array.from({ length: 1000 }, (_, i) => [`k${batch * 1000 + i}`, "1000"]);
      await command(client, "MSET", ...pairs.flat());
    }
    assert.equal(await infoField(client, "persistence", "rdb_last_cow_size"), "0");
    assert.equal(await infoField(client, "persistence", "current_cow_size"), "0");
    // BGSAVE takes the cut, and the SETs of the same batch run before the walk gets far: it
    // walks in insertion order, a millisecond at a time, and these are the last 50 keys of
    // 20 000. Each old value is encoded before it changes.
    const overwrite = Array.from(
      { length: 50 },
      (_, i) => encode(["SET", `k${19_950 + i}`, "new"]),
    );
    await client.writeRaw(new TextEncoder().encode(encode(["BGSAVE"]) + overwrite.join("")));
    for (let i = 0; i < 51; i++) await client.readReply();
    await waitForZero(client, "rdb_bgsave_in_progress");
    // 50 entries of type (1 byte), key (1 + 6) and the integer 1000 (3): 500 bytes, plus a
    // SELECTDB (2) before the first.
    const rdbCow = Number(await infoField(client, "persistence", "rdb_last_cow_size"));
    assert.equal(rdbCow, 2 + 50 * 11, `rdb_last_cow_size ${rdbCow}`);
    assert.equal(await infoField(client, "persistence", "aof_last_cow_size"), "0");
    assert.ok(Number(await infoField(client, "stats", "latest_fork_usec")) > 0);

    await client.writeRaw(new TextEncoder().encode(encode(["BGREWRITEAOF"]) + overwrite.join("")));
    for (let i = 0; i < 51; i++) await client.readReply();
    await waitForZero(client, "aof_rewrite_in_progress");
    const aofCow = Number(await infoField(client, "persistence", "aof_last_cow_size"));
    // The values are "new" now: type, key, and a 3-byte string (1 + 3).
    assert.equal(aofCow, 2 + 50 * 12, `aof_last_cow_size ${aofCow}`);
    assert.equal(Number(await infoField(client, "persistence", "rdb_last_cow_size")), rdbCow);
  } finally {
    client.close();
    await server.stop();
  }
});

Deno.test("io-threads is 1 and immutable, and INFO says no I/O threads and no cluster, as Redis", async () => {
  const redis = await startRedis();
  const kache = await startServer();
  try {
    const replies: string[][] = [];
    for (const port of [redis.port, kache.respPort]) {
      const client = await RawRespClient.connect(port);
      try {
        replies.push([
          await command(client, "CONFIG", "GET", "io-threads"),
          await command(client, "CONFIG", "SET", "io-threads", "1"),
          await command(client, "CONFIG", "SET", "io-threads", "4"),
          await infoField(client, "server", "io_threads_active"),
          await infoField(client, "default", "cluster_enabled"),
          await infoField(client, "persistence", "module_fork_in_progress"),
        ]);
      } finally {
        client.close();
      }
    }
    assert.deepEqual(replies[1], replies[0]);
    assert.equal(replies[1]![0], "*2\r\n$10\r\nio-threads\r\n$1\r\n1\r\n");
    assert.match(replies[1]![1]!, /can't set immutable config/);
  } finally {
    await kache.stop();
    await redis.stop();
  }
});

Deno.test("INFO dump_payload_sanitizations counts RESTORE's listpacks and intsets as redis-server with sanitize-dump-payload clients", async () => {
  const redis = await startRedis(["--sanitize-dump-payload", "clients"]);
  const kache = await startServer();
  const source = await RawRespClient.connect(redis.port);
  try {
    // One value per packed encoding Redis 7.0 counts (a listpack node of a list, an intset, a
    // hash, a sorted set and a stream node), and a string, which has none.
    await source.pipeline([
      ["RPUSH", "list", "a", "b", "c"],
      ["SADD", "intset", "1", "2", "3"],
      ["HSET", "hash", "f", "v", "g", "w"],
      ["ZADD", "zset", "1", "a", "2", "b"],
      ["XADD", "stream", "1-1", "f", "v"],
      ["SET", "string", "text"],
    ]);
    const names = ["list", "intset", "hash", "zset", "stream", "string"];
    const payloads: string[] = [];
    for (const name of names) {
      const dumped = (await source.send(["DUMP", name])).reply;
      if (dumped.type !== "bulk") throw new Error(`DUMP ${name}: ${dumped.type}`);
      payloads.push(dumped.value);
    }
    const counts: string[] = [];
    for (const port of [redis.port, kache.respPort]) {
      const client = await RawRespClient.connect(port);
      try {
        for (const [index, name] of names.entries()) {
          const restored = await client.send(["RESTORE", `copy:${name}`, "0", payloads[index]!]);
          assert.equal(restored.raw, "+OK\r\n", name);
        }
        counts.push(await infoField(client, "stats", "dump_payload_sanitizations"));
      } finally {
        client.close();
      }
    }
    assert.deepEqual(counts, ["5", "5"]);
  } finally {
    source.close();
    await kache.stop();
    await redis.stop();
  }
});

Deno.test("INFO used_memory_startup is used_memory before any data or client: the LRU table, else 0", async () => {
  for (const [policy, expected] of [["noeviction", "0"], ["allkeys-lru", "128"]]) {
    const server = await startServer(["--maxmemory", "100mb", "--maxmemory-policy", policy!]);
    const client = await RawRespClient.connect(server.respPort);
    try {
      await command(client, "SET", "k", "v".repeat(1000));
      assert.equal(await infoField(client, "memory", "used_memory_startup"), expected, policy);
      const used = Number(await infoField(client, "memory", "used_memory"));
      assert.ok(used > 1000 + Number(expected), `used_memory ${used}`);
    } finally {
      client.close();
      await server.stop();
    }
  }
});
