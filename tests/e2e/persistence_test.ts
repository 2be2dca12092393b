/**
 * Durability end to end, with real processes in temporary directories:
 * restarts keep the data through dump.rdb and through the append-only
 * files, `kill -9` under write load loses no acknowledged write with
 * appendfsync always, torn and corrupt files are handled as Redis handles
 * them, and the files interoperate with Debian's redis-server and
 * redis-check-rdb / redis-check-aof.
 */
import assert from "node:assert/strict";
import {
  ALL_BYTES,
  checkRdb,
  parseRedisScore,
  startRedisWithFile,
  withTempDir,
} from "../lib/persistence/rdb_support.ts";
import { transcript } from "../support/differential.ts";
import { requireTool, startRedis } from "../support/redis_process.ts";
import { RawKacheClient } from "../support/kache_client.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { type RunningServer, startServer } from "../support/server_process.ts";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { parseAofManifest } from "../../lib/persistence/aof_manifest.ts";

/** A far deadline (2100-01-01), so no key of the dataset expires during a test. */
const FAR = 4_102_444_800_000;

interface KeyState {
  readonly type: string;
  /** A string, or a sorted set's [member, score] pairs in order. */
  readonly value: string | [string, number][];
  /** Absolute deadline in ms, or -1 for none. */
  readonly expiry: number;
}

/** Sends one command; fails the test on an error reply. */
async function command(client: RawRespClient, ...argv: string[]): Promise<ClientReply> {
  const { reply } = await client.send(argv);
  if (reply.type === "error") throw new Error(`${argv[0]} failed: ${reply.message}`);
  return reply;
}

function text(reply: ClientReply): string {
  if (reply.type === "bulk" || reply.type === "status") return reply.value;
  throw new Error(`Expected a string, got ${JSON.stringify(reply)}`);
}

function items(reply: ClientReply): readonly ClientReply[] {
  if (reply.type === "array") return reply.items;
  throw new Error(`Expected an array, got ${JSON.stringify(reply)}`);
}

function integer(reply: ClientReply): number {
  if (reply.type === "integer") return Number(reply.value);
  throw new Error(`Expected an integer, got ${JSON.stringify(reply)}`);
}

/** Every key with its type, value and deadline: the same on Kache and Redis. */
async function stateOf(client: RawRespClient): Promise<Map<string, KeyState>> {
  const keys = items(await command(client, "KEYS", "*")).map(text).sort();
  const state = new Map<string, KeyState>();
  for (const key of keys) {
    const type = text(await command(client, "TYPE", key));
    const expiry = integer(await command(client, "PEXPIRETIME", key));
    let value: KeyState["value"];
    if (type === "string") {
      value = text(await command(client, "GET", key));
    } else {
      const flat = items(await command(client, "ZRANGE", key, "0", "-1", "WITHSCORES")).map(text);
      value = [];
      for (let i = 0; i < flat.length; i += 2) {
        value.push([flat[i]!, parseRedisScore(flat[i + 1]!)]);
      }
    }
    state.set(key, { type, value, expiry });
  }
  return state;
}

/**
 * Writes a dataset covering what persistence must keep: binary keys and
 * values (all 256 bytes), integer-like and LZF-compressible strings, small
 * and large sorted sets with infinite scores, deadlines, and one key that
 * expires before any restart.
 */
async function writeDataset(client: RawRespClient): Promise<void> {
  await command(client, "SET", ALL_BYTES, ALL_BYTES);
  await command(client, "SET", "int", "12345");
  await command(client, "SET", "negative", "-2147483649");
  await command(client, "SET", "empty", "");
  await command(client, "SET", "compressible", "abc".repeat(5000));
  let random = "";
  for (let i = 0; i < 3000; i++) random += String.fromCharCode((i * 7919 + 13) % 256);
  await command(client, "SET", "random", random);
  await command(client, "SET", "with-ttl", "v");
  await command(client, "PEXPIREAT", "with-ttl", String(FAR));
  await command(client, "SET", "short-lived", "v", "PX", "50");
  await command(client, "ZADD", "small", "1", "a", "2.5", "b", "-inf", "low", "inf", "high");
  await command(client, "ZADD", "small", "0", "\x00\xff binary member");
  const large = ["ZADD", "large"];
  for (let i = 0; i < 1000; i++) large.push(String((i * 37) % 101 / 7), `member:${i}`);
  await client.send(large);
  await command(client, "PEXPIREAT", "large", String(FAR - 1));
}

/** The dataset as it must look after a restart (the short-lived key gone). */
async function expectDataset(client: RawRespClient, expected: Map<string, KeyState>) {
  const state = await stateOf(client);
  assert.deepEqual(state, expected);
  assert.equal(state.has("short-lived"), false);
  assert.equal((state.get("large")?.value as unknown[]).length, 1000);
}

async function connect(server: RunningServer): Promise<RawRespClient> {
  return await RawRespClient.connect(server.respPort);
}

/** Starts Kache in `dir`, runs `body` with a client, then stops it as `stop` says. */
async function withKache(
  dir: string,
  args: string[],
  body: (client: RawRespClient, server: RunningServer) => Promise<void>,
  stop: Deno.Signal = "SIGTERM",
): Promise<RunningServer> {
  const server = await startServer(args, { dir });
  const client = await connect(server);
  try {
    await body(client, server);
  } finally {
    client.close();
    await server.stop(stop);
  }
  return server;
}

/** The dataset written, then read back: what every restart must reproduce. */
async function writeAndRead(client: RawRespClient): Promise<Map<string, KeyState>> {
  await writeDataset(client);
  await new Promise((resolve) => setTimeout(resolve, 60));
  const state = await stateOf(client);
  assert.equal(state.has("short-lived"), false);
  return state;
}

Deno.test("persistence: SAVE then restart keeps every key, value and deadline", async () => {
  await withTempDir(async (dir) => {
    let expected = new Map<string, KeyState>();
    await withKache(dir, [], async (client) => {
      expected = await writeAndRead(client);
      assert.equal(text(await command(client, "SAVE")), "OK");
      assert.ok(integer(await command(client, "LASTSAVE")) > 1_700_000_000);
    });
    await withKache(dir, [], async (client, server) => {
      await expectDataset(client, expected);
      assert.match(server.output(), /DB loaded from disk/);
    });
  });
});

Deno.test("persistence: SIGTERM saves when save rules are set, not when they are off", async () => {
  await withTempDir(async (dir) => {
    await withKache(dir, ["--save", "3600 1"], async (client) => {
      await command(client, "SET", "kept", "1");
    });
    assert.ok(Deno.statSync(`${dir}/dump.rdb`).isFile);
    await withKache(dir, [], async (client) => {
      assert.equal(text(await command(client, "GET", "kept")), "1");
      await command(client, "SET", "not-saved", "1");
    });
    await withKache(dir, [], async (client) => {
      assert.equal((await command(client, "GET", "not-saved")).type, "null");
    });
  });
});

Deno.test("persistence: SHUTDOWN SAVE saves and exits, SHUTDOWN NOSAVE does not save", async () => {
  await withTempDir(async (dir) => {
    const first = await startServer([], { dir });
    const client = await connect(first);
    await command(client, "SET", "a", "1");
    await client.send(["SHUTDOWN", "SAVE"]).catch(() => undefined);
    client.close();
    assert.equal(await first.process.status.then((status) => status.code), 0);
    await first.stop();
    assert.match(first.output(), /DB saved on disk/);
    const second = await startServer([], { dir });
    const again = await connect(second);
    assert.equal(text(await command(again, "GET", "a")), "1");
    await command(again, "SET", "b", "2");
    await again.send(["SHUTDOWN", "NOSAVE"]).catch(() => undefined);
    again.close();
    await second.process.status;
    await second.stop();
    await withKache(dir, [], async (client) => {
      assert.equal((await command(client, "GET", "b")).type, "null");
      const abort = (await client.send(["SHUTDOWN", "ABORT"])).reply;
      assert.deepEqual(abort, { type: "error", message: "ERR No shutdown in progress." });
    });
  });
});

Deno.test("persistence: a SHUTDOWN that succeeds closes the connection without a reply, as redis-server", async () => {
  // redis-cli prints nothing for it and clients see the connection close; Kache answered +OK.
  const shutdown = (port: number) =>
    transcript(port, "*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n", true);
  const redis = await startRedis();
  try {
    assert.equal(await shutdown(redis.port), "<closed>");
  } finally {
    await redis.stop();
  }
  await withTempDir(async (dir) => {
    const kache = await startServer([], { dir });
    try {
      assert.equal(await shutdown(kache.respPort), "<closed>");
      assert.equal((await kache.process.status).code, 0);
    } finally {
      await kache.stop();
    }
  });
});

Deno.test("persistence: BGSAVE, LASTSAVE and INFO persistence report the save", async () => {
  await withTempDir(async (dir) => {
    await withKache(dir, [], async (client) => {
      for (let i = 0; i < 2000; i++) await client.send(["SET", `k${i}`, String(i)]);
      const info = () => command(client, "INFO", "persistence").then(text);
      assert.match(await info(), /rdb_changes_since_last_save:2000\r\n/);
      assert.equal(text(await command(client, "BGSAVE")), "Background saving started");
      const deadline = Date.now() + 10_000;
      while (/rdb_bgsave_in_progress:1/.test(await info()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const done = await info();
      assert.match(done, /rdb_bgsave_in_progress:0\r\n/);
      assert.match(done, /rdb_last_bgsave_status:ok\r\n/);
      assert.match(done, /rdb_changes_since_last_save:0\r\n/);
      assert.match(done, /aof_enabled:0\r\n/);
      const saved = await checkRdb(`${dir}/dump.rdb`);
      assert.ok(saved.success, saved.output);
      assert.match(saved.output, /2000 keys read/);
      const config = items(await command(client, "CONFIG", "GET", "save")).map(text);
      assert.deepEqual(config, ["save", ""]);
    });
  });
});

Deno.test("persistence: a save rule triggers a background save", async () => {
  await withTempDir(async (dir) => {
    await withKache(dir, ["--save", "1 1"], async (client) => {
      await command(client, "SET", "k", "v");
      const deadline = Date.now() + 10_000;
      while (!(await exists(`${dir}/dump.rdb`)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(await exists(`${dir}/dump.rdb`), "no dump.rdb 10 s after a change under save 1 1");
    }, "SIGKILL");
  });
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("persistence: the AOF keeps the data across kill -9 and a restart", async () => {
  await withTempDir(async (dir) => {
    const aof = ["--appendonly", "yes", "--appendfsync", "always"];
    let expected = new Map<string, KeyState>();
    await withKache(dir, aof, async (client) => {
      expected = await writeAndRead(client);
      // A transaction and clock-dependent commands, logged as their effect.
      await client.pipeline([["MULTI"], ["SET", "t1", "1"], ["INCRBYFLOAT", "t2", "0.1"], [
        "EXEC",
      ]]);
      await command(client, "SET", "relative", "v", "EX", "100000");
      expected = await stateOf(client);
    }, "SIGKILL");
    const manifest = await Deno.readTextFile(`${dir}/appendonlydir/appendonly.aof.manifest`);
    assert.equal(
      manifest,
      "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
    );
    const incr = await Deno.readTextFile(`${dir}/appendonlydir/appendonly.aof.1.incr.aof`);
    assert.match(incr, /\*1\r\n\$5\r\nMULTI\r\n\*3\r\n\$3\r\nSET\r\n\$2\r\nt1\r\n/);
    await withKache(dir, aof, async (client, server) => {
      assert.deepEqual(await stateOf(client), expected);
      assert.match(server.output(), /DB loaded from append only file/);
    });
  });
});

Deno.test("persistence: the AOF replays the binary protocol's commands, a negative expire too", async () => {
  await withTempDir(async (dir) => {
    const aof = ["--appendonly", "yes", "--appendfsync", "always"];
    await withKache(dir, aof, async (client, server) => {
      const binary = await RawKacheClient.connect(server.kachePort);
      try {
        await binary.request(["set", "kept", "v"]);
        await binary.request(["expire", "kept", "100000"]);
        // The original protocol's expire with a negative TTL removes the TTL (PERSIST).
        await binary.request(["expire", "kept", "-1"]);
        await binary.request(["set", "ttl", "v"]);
        await binary.request(["expire", "ttl", "100000"]);
        await binary.request(["zadd", "z", "1.5", "m"]);
      } finally {
        binary.close();
      }
      assert.equal(integer(await command(client, "PTTL", "kept")), -1);
    }, "SIGKILL");
    await withKache(dir, aof, async (client) => {
      assert.equal(integer(await command(client, "PTTL", "kept")), -1);
      assert.ok(integer(await command(client, "PTTL", "ttl")) > 90_000);
      assert.equal(text(await command(client, "ZSCORE", "z", "m")), "1.5");
    });
  });
});

/**
 * Writes distinct keys over `connections` pipelining clients until the
 * server dies; returns each acknowledged key with when its reply arrived.
 */
async function writeUntilKilled(
  server: RunningServer,
  connections: number,
  killAfterMs: number,
): Promise<{ acked: Map<string, number>; killedAt: number }> {
  const acked = new Map<string, number>();
  let killedAt = 0;
  const writers = Array.from({ length: connections }, async (_, id) => {
    const client = await connect(server);
    try {
      for (let round = 0; round < 1_000_000; round++) {
        const batch = Array.from({ length: 8 }, (_, i) => ["SET", `w${id}:${round}:${i}`, "x"]);
        let replies;
        try {
          replies = await client.pipeline(batch);
        } catch {
          return;
        }
        const now = Date.now();
        for (let i = 0; i < batch.length; i++) {
          if (replies[i]!.reply.type === "status") acked.set(batch[i]![1]!, now);
        }
      }
    } finally {
      client.close();
    }
  });
  // Kill after `killAfterMs`, once more than 1,000 writes were acknowledged (a loaded machine
  // acknowledges fewer per second), and within 20 s in any case.
  const started = Date.now();
  while (
    Date.now() - started < killAfterMs || (acked.size <= 1000 && Date.now() - started < 20_000)
  ) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  killedAt = Date.now();
  await server.stop("SIGKILL");
  await Promise.all(writers);
  return { acked, killedAt };
}

/** The keys among `keys` the server holds, asked in pipelined EXISTS batches. */
async function presentKeys(client: RawRespClient, keys: readonly string[]): Promise<Set<string>> {
  const present = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const slice = keys.slice(i, i + 500);
    const replies = await client.pipeline(slice.map((key) => ["EXISTS", key]));
    replies.forEach((reply, index) => {
      if (reply.reply.type === "integer" && reply.reply.value === 1n) present.add(slice[index]!);
    });
  }
  return present;
}

Deno.test("persistence: kill -9 under write load with appendfsync always loses no acknowledged write", async () => {
  await withTempDir(async (dir) => {
    const aof = ["--appendonly", "yes", "--appendfsync", "always"];
    const server = await startServer(aof, { dir });
    const { acked } = await writeUntilKilled(server, 8, 1500);
    assert.ok(acked.size > 1000, `only ${acked.size} writes acknowledged`);
    await withKache(dir, aof, async (client) => {
      const keys = [...acked.keys()];
      const present = await presentKeys(client, keys);
      const lost = keys.filter((key) => !present.has(key));
      assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${keys.length} acked writes lost`);
    });
  });
});

Deno.test("persistence: with appendfsync always a reply comes only once its write is in the file", async () => {
  await withTempDir(async (dir) => {
    const aof = ["--appendonly", "yes", "--appendfsync", "always"];
    await withKache(dir, aof, async (client) => {
      const path = await lastIncr(dir);
      // Large values make the file write take long enough that a reply sent early shows.
      const value = "v".repeat(4 * 1024 * 1024);
      let expected = (await Deno.stat(path)).size;
      for (let i = 0; i < 12; i++) {
        await command(client, "SET", `big${i}`, value);
        // The file's first command is preceded by the SELECT of its database, as in Redis.
        if (i === 0) expected += encodedLength(["SELECT", "0"]);
        expected += encodedLength(["SET", `big${i}`, value]);
        assert.equal((await Deno.stat(path)).size, expected, `after SET big${i}`);
      }
    });
  });
});

/** Bytes of one command in RESP multibulk form, as the AOF holds it. */
function encodedLength(argv: readonly string[]): number {
  let length = `*${argv.length}\r\n`.length;
  for (const arg of argv) length += `$${arg.length}\r\n`.length + arg.length + 2;
  return length;
}

Deno.test("persistence: kill -9 with appendfsync everysec loses at most about a second", async () => {
  await withTempDir(async (dir) => {
    const aof = ["--appendonly", "yes", "--appendfsync", "everysec"];
    const server = await startServer(aof, { dir });
    const { acked, killedAt } = await writeUntilKilled(server, 8, 1500);
    assert.ok(acked.size > 1000, `only ${acked.size} writes acknowledged`);
    await withKache(dir, aof, async (client) => {
      const keys = [...acked.keys()];
      const present = await presentKeys(client, keys);
      const lostTimes = keys.filter((key) => !present.has(key)).map((key) => acked.get(key)!);
      // Everything acknowledged more than ~a second before the kill is on disk.
      const oldestLoss = Math.min(...lostTimes);
      assert.ok(
        lostTimes.length === 0 || killedAt - oldestLoss <= 2000,
        `lost ${lostTimes.length} writes, the oldest acknowledged ${killedAt - oldestLoss} ms ` +
          `before the kill`,
      );
    });
  });
});

/** The path of the last incremental file the manifest in `dir` names. */
async function lastIncr(dir: string): Promise<string> {
  const manifest = parseAofManifest(
    await Deno.readTextFile(`${dir}/appendonlydir/appendonly.aof.manifest`),
  );
  return `${dir}/appendonlydir/${manifest.incr.at(-1)!.name}`;
}

Deno.test("persistence: a torn last AOF command is cut off with a warning (aof-load-truncated)", async () => {
  await withTempDir(async (dir) => {
    const aof = ["--appendonly", "yes"];
    await withKache(dir, aof, async (client) => {
      for (let i = 0; i < 10; i++) await command(client, "SET", `k${i}`, "value");
      await command(client, "SET", "torn", "this command is cut short by the crash");
    });
    const path = await lastIncr(dir);
    const size = (await Deno.stat(path)).size;
    await Deno.truncate(path, size - 10);
    const refused = await startServer([...aof, "--aof-load-truncated", "no"], { dir })
      .then(async (server) => {
        await server.stop();
        return "";
      }, (cause: Error) => cause.message);
    assert.match(
      refused,
      /Unexpected end of the append only file .*appendonly\.aof\.\d+\.incr\.aof/,
    );
    await withKache(dir, aof, async (client, server) => {
      assert.match(server.output(), /short read while loading the append only file/);
      assert.equal(text(await command(client, "GET", "k9")), "value");
      assert.equal((await command(client, "GET", "torn")).type, "null");
      await command(client, "SET", "after", "1");
    });
    // The cut was made in the file, so what is appended after it loads cleanly.
    await withKache(dir, aof, async (client, server) => {
      assert.equal(text(await command(client, "GET", "after")), "1");
      assert.doesNotMatch(server.output(), /short read/);
    });
  });
});

Deno.test("persistence: a transaction torn by a crash is dropped whole", async () => {
  await withTempDir(async (dir) => {
    const aof = ["--appendonly", "yes"];
    await withKache(dir, aof, async (client) => {
      await command(client, "SET", "before", "1");
      await client.pipeline([["MULTI"], ["SET", "t1", "1"], ["SET", "t2", "2"], ["EXEC"]]);
    });
    const path = await lastIncr(dir);
    const bytes = await Deno.readFile(path);
    // Cut just before the EXEC: both SETs are complete, the transaction is not.
    const exec = new TextDecoder().decode(bytes).lastIndexOf("*1\r\n$4\r\nEXEC");
    await Deno.truncate(path, exec);
    await withKache(dir, aof, async (client, server) => {
      assert.match(server.output(), /MULTI at offset \d+ without its EXEC/);
      assert.equal(text(await command(client, "GET", "before")), "1");
      assert.equal((await command(client, "GET", "t1")).type, "null");
    });
  });
});

Deno.test("persistence: corruption in the middle of the AOF stops startup naming file and offset", async () => {
  await withTempDir(async (dir) => {
    const aof = ["--appendonly", "yes"];
    await withKache(dir, aof, async (client) => {
      for (let i = 0; i < 10; i++) await command(client, "SET", `k${i}`, "value");
    });
    const path = await lastIncr(dir);
    const bytes = await Deno.readFile(path);
    const third = new TextDecoder().decode(bytes).indexOf("*3", 40);
    bytes[third + 1] = "x".charCodeAt(0);
    await Deno.writeFile(path, bytes);
    const message = await startServer(aof, { dir }).then(async (server) => {
      await server.stop();
      return "";
    }, (cause: Error) => cause.message);
    assert.match(message, /Server exited with 1/);
    assert.match(
      message,
      new RegExp(`Bad file format reading the append only file ${path}: .* at offset ${third + 1}`),
    );
  });
});

Deno.test("persistence: BGREWRITEAOF switches to a new base and incr file, and restart agrees", async () => {
  await withTempDir(async (dir) => {
    // always: the last SET's reply waits for its fsync, which the loop runs after the manifest.
    const aof = ["--appendonly", "yes", "--appendfsync", "always"];
    let expected = new Map<string, KeyState>();
    await withKache(dir, aof, async (client) => {
      await writeDataset(client);
      for (let i = 0; i < 500; i++) await command(client, "INCR", "counter");
      assert.equal(
        text(await command(client, "BGREWRITEAOF")),
        "Background append only file rewriting started",
      );
      await command(client, "SET", "during", "rewrite");
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        const info = text(await command(client, "INFO", "persistence"));
        if (/aof_rewrites:1\r\n/.test(info) && /aof_rewrite_in_progress:0/.test(info)) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await command(client, "SET", "after", "rewrite");
      expected = await stateOf(client);
    }, "SIGKILL");
    const files = [...Deno.readDirSync(`${dir}/appendonlydir`)].map((entry) => entry.name).sort();
    assert.deepEqual(files, [
      "appendonly.aof.2.base.rdb",
      "appendonly.aof.2.incr.aof",
      "appendonly.aof.manifest",
    ]);
    const base = await checkRdb(`${dir}/appendonlydir/appendonly.aof.2.base.rdb`);
    assert.ok(base.success, base.output);
    await withKache(dir, aof, async (client) => {
      assert.deepEqual(await stateOf(client), expected);
      assert.equal(text(await command(client, "GET", "counter")), "500");
    });
  });
});

Deno.test("persistence: the AOF is rewritten automatically once it has grown enough", async () => {
  await withTempDir(async (dir) => {
    const aof = [
      "--appendonly",
      "yes",
      "--auto-aof-rewrite-min-size",
      "16kb",
      "--auto-aof-rewrite-percentage",
      "100",
    ];
    await withKache(dir, aof, async (client) => {
      // Writes come in rounds of 200 with a pause between them: a rewrite that overlaps a round
      // keeps that round's writes (as Redis's does), and the pause lets it finish, so the
      // check does not depend on how fast this machine rewrites.
      const deadline = Date.now() + 20_000;
      let info = "";
      const size = () => Number(/aof_current_size:(\d+)/.exec(info)![1]);
      const shrunk = () =>
        /aof_rewrites:[1-9]/.test(info) && /aof_rewrite_in_progress:0/.test(info) &&
        size() < 16 * 1024;
      let written = 0;
      while (Date.now() < deadline && !(written >= 2000 && shrunk())) {
        for (let i = 0; i < 200; i++) await client.send(["SET", "same", "x".repeat(20)]);
        written += 200;
        for (let poll = 0; poll < 20; poll++) {
          info = text(await command(client, "INFO", "persistence"));
          if (shrunk()) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      assert.match(info, /aof_rewrites:[1-9]/);
      assert.ok(size() < 16 * 1024, info);
    });
    await withKache(dir, aof, async (client) => {
      assert.equal(text(await command(client, "GET", "same")), "x".repeat(20));
    });
  });
});

Deno.test("persistence: CONFIG SET appendonly yes writes the AOF from the data already held", async () => {
  await withTempDir(async (dir) => {
    await withKache(dir, ["--appendfsync", "always"], async (client) => {
      await command(client, "SET", "before", "1");
      assert.deepEqual(items(await command(client, "CONFIG", "GET", "appendonly")).map(text), [
        "appendonly",
        "no",
      ]);
      await command(client, "CONFIG", "SET", "appendonly", "yes");
      await command(client, "SET", "after", "2");
      const deadline = Date.now() + 10_000;
      while (
        !/aof_rewrites:1/.test(text(await command(client, "INFO", "persistence"))) &&
        Date.now() < deadline
      ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      // Its fsync comes after the manifest the rewrite wrote.
      await command(client, "SET", "last", "3");
    }, "SIGKILL");
    await withKache(dir, ["--appendonly", "yes"], async (client) => {
      assert.equal(text(await command(client, "GET", "last")), "3");
      assert.equal(text(await command(client, "GET", "before")), "1");
      assert.equal(text(await command(client, "GET", "after")), "2");
    });
  });
});

Deno.test("persistence: redis-check-rdb accepts Kache's dump.rdb and redis-check-aof its AOF", async () => {
  // redis-check-aof has no --version, and it is the same binary as redis-check-rdb.
  await requireTool("redis-check-rdb");
  await withTempDir(async (dir) => {
    await withKache(dir, ["--appendonly", "yes"], async (client) => {
      await writeDataset(client);
      await command(client, "SAVE");
    });
    const rdb = await checkRdb(`${dir}/dump.rdb`);
    assert.ok(rdb.success, rdb.output);
    assert.match(rdb.output, /Checksum OK/);
    const { success, stdout } = await new Deno.Command("redis-check-aof", {
      args: [`${dir}/appendonlydir/appendonly.aof.manifest`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(stdout);
    assert.ok(success, output);
    assert.match(output, /is valid/);
  });
});

Deno.test("persistence: redis-server started on Kache's dump.rdb and AOF holds the same data", async () => {
  await withTempDir(async (dir) => {
    let expected = new Map<string, KeyState>();
    await withKache(dir, ["--appendonly", "yes"], async (client) => {
      expected = await writeAndRead(client);
      await command(client, "ZADD", "large", "1e300", "big", "-0.125", "negative");
      await command(client, "SAVE");
      expected = await stateOf(client);
    });
    for (const appendonly of ["no", "yes"]) {
      const redis = await startRedisWithFile(dir, ["--appendonly", appendonly]);
      try {
        assert.deepEqual(await stateOf(redis.client), expected, `appendonly ${appendonly}`);
      } finally {
        await redis.stop();
      }
    }
  });
});

Deno.test("persistence: Kache started on redis-server's dump.rdb holds the same data", async () => {
  await withTempDir(async (dir) => {
    const redis = await startRedisWithFile(dir);
    let expected = new Map<string, KeyState>();
    try {
      expected = await writeAndRead(redis.client);
      await redis.command("SAVE");
    } finally {
      await redis.stop();
    }
    await withKache(dir, [], async (client) => {
      assert.deepEqual(await stateOf(client), expected);
    });
  });
});
