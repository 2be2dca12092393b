/**
 * Scripting end to end on a real server: a script past busy-reply-threshold
 * makes other clients get -BUSY until SCRIPT KILL stops it, a script that
 * wrote cannot be killed, FUNCTION KILL stops a function, and a script's
 * writes reach the append-only file as their effects (in MULTI/EXEC) and
 * survive a restart, as do functions.
 */
import assert from "node:assert/strict";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { requireTool, startRedis } from "../support/redis_process.ts";
import { startServer } from "../support/server_process.ts";

async function command(client: RawRespClient, ...argv: string[]): Promise<ClientReply> {
  return (await client.send(argv)).reply;
}

function errorText(reply: ClientReply): string {
  assert.equal(reply.type, "error", JSON.stringify(reply));
  return (reply as { message: string }).message;
}

/** Polls until `check` holds; bounded in count, never asserting a duration. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail("condition never held");
}

Deno.test("scripting: a long script gets other clients -BUSY until SCRIPT KILL stops it", async () => {
  const server = await startServer(["--busy-reply-threshold", "100"]);
  const runner = await RawRespClient.connect(server.respPort);
  const other = await RawRespClient.connect(server.respPort);
  try {
    await command(other, "SET", "k", "v");
    const looping = runner.send(["EVAL", "local i = 0 while true do i = i + 1 end", "0"]);
    looping.catch(() => {}); // Closing the client on a failed assertion cancels this read.
    const busy =
      "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
    await eventually(async () => {
      const reply = await command(other, "GET", "k");
      return reply.type === "error" && reply.message === busy;
    });
    assert.equal(
      errorText(await command(other, "FUNCTION", "KILL")),
      busy,
    );
    const stats = await command(other, "FUNCTION", "STATS");
    assert.equal(stats.type, "array");
    assert.deepEqual(await command(other, "SCRIPT", "KILL"), { type: "status", value: "OK" });
    const killed = errorText((await looping).reply);
    assert.match(killed, /^ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}/);
    assert.deepEqual(await command(other, "GET", "k"), { type: "bulk", value: "v" });
    assert.equal(
      errorText(await command(other, "SCRIPT", "KILL")),
      "NOTBUSY No scripts in execution right now.",
    );
    assert.match(server.output(), /Slow script detected/);
  } finally {
    runner.close();
    other.close();
    await server.stop();
  }
});

Deno.test("scripting: a script that wrote is UNKILLABLE and FUNCTION KILL stops a function", async () => {
  const server = await startServer(["--lua-time-limit", "100"]);
  const runner = await RawRespClient.connect(server.respPort);
  const other = await RawRespClient.connect(server.respPort);
  try {
    // A bounded loop after a write: it ends by itself, so the test needs no SHUTDOWN.
    const writing = runner.send([
      "EVAL",
      "redis.call('set', 'w', '1') local i = 0 while i < 3e6 do i = i + 1 end return i",
      "0",
    ]);
    writing.catch(() => {});
    await eventually(async () =>
      (await command(other, "SCRIPT", "KILL")).type === "error" &&
      errorText(await command(other, "SCRIPT", "KILL")).startsWith("UNKILLABLE")
    );
    assert.deepEqual((await writing).reply, { type: "integer", value: 3000000n });
    await command(
      other,
      "FUNCTION",
      "LOAD",
      "#!lua name=spin\nredis.register_function('spin', function() while true do end end)",
    );
    const spinning = runner.send(["FCALL", "spin", "0"]);
    spinning.catch(() => {});
    await eventually(async () => (await command(other, "FUNCTION", "KILL")).type === "status");
    assert.match(errorText((await spinning).reply), /^ERR Script killed by user with SCRIPT KILL/);
  } finally {
    runner.close();
    other.close();
    await server.stop();
  }
});

Deno.test("scripting: script effects and functions survive a restart through the AOF", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kache-scripting-" });
  const flags = ["--dir", dir, "--appendonly", "yes", "--appendfsync", "always"];
  try {
    let server = await startServer(flags, { dir });
    let client = await RawRespClient.connect(server.respPort);
    try {
      await command(
        client,
        "EVAL",
        "redis.call('set', KEYS[1], ARGV[1]) redis.call('zadd', KEYS[2], 1, 'm') " +
          "redis.set_repl(redis.REPL_NONE) redis.call('set', 'unlogged', '1') return 1",
        "2",
        "s",
        "z",
        "value",
      );
      await command(
        client,
        "FUNCTION",
        "LOAD",
        "#!lua name=keep\nredis.register_function('incr2', function(k) " +
          "return redis.call('incrby', k[1], 2) end)",
      );
      await command(client, "FCALL", "incr2", "1", "n");
    } finally {
      client.close();
      await server.stop("SIGKILL");
    }
    const incr = await Deno.readTextFile(`${dir}/appendonlydir/appendonly.aof.1.incr.aof`);
    assert.match(incr, /MULTI\r\n\*3\r\n\$3\r\nset\r\n\$1\r\ns\r\n/i);
    assert.doesNotMatch(incr, /unlogged/);
    assert.doesNotMatch(incr, /EVAL/i);
    server = await startServer(flags, { dir });
    client = await RawRespClient.connect(server.respPort);
    try {
      assert.deepEqual(await command(client, "GET", "s"), { type: "bulk", value: "value" });
      assert.deepEqual(await command(client, "ZSCORE", "z", "m"), { type: "bulk", value: "1" });
      assert.deepEqual(await command(client, "GET", "unlogged"), { type: "null" });
      assert.deepEqual(await command(client, "FCALL", "incr2", "1", "n"), {
        type: "integer",
        value: 4n,
      });
      const info = await command(client, "INFO", "memory");
      assert.ok(info.type === "bulk");
      assert.match(info.value, /number_of_functions:1\r\nnumber_of_libraries:1\r\n/);
    } finally {
      client.close();
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scripting: functions are saved in the RDB and Redis's dumps with functions load", async () => {
  const redis = await startRedis();
  const dir = await Deno.makeTempDir({ prefix: "kache-functions-" });
  try {
    // A dump redis-server wrote, its library code long enough to be LZF-compressed.
    const fromRedis = await RawRespClient.connect(redis.port);
    try {
      await command(
        fromRedis,
        "FUNCTION",
        "LOAD",
        "#!lua name=redislib\nredis.register_function('from_redis', function(keys, args) " +
          "return 'a library saved by redis-server, ' .. args[1] end)",
      );
      await command(fromRedis, "SET", "plain", "key");
      await command(fromRedis, "SAVE");
      const redisDir = await command(fromRedis, "CONFIG", "GET", "dir");
      assert.ok(redisDir.type === "array" && redisDir.items[1]?.type === "bulk");
      const path = redisDir.items[1].value;
      await Deno.copyFile(`${path}/dump.rdb`, `${dir}/dump.rdb`);
    } finally {
      fromRedis.close();
    }
    const server = await startServer(["--dir", dir], { dir });
    const client = await RawRespClient.connect(server.respPort);
    try {
      assert.deepEqual(await command(client, "FCALL", "from_redis", "0", "loaded"), {
        type: "bulk",
        value: "a library saved by redis-server, loaded",
      });
      await command(
        client,
        "FUNCTION",
        "LOAD",
        "#!lua name=kachelib\nredis.register_function('from_kache', function() return 2 end)",
      );
      await command(client, "SAVE");
    } finally {
      client.close();
      await server.stop();
    }
    await requireTool("redis-check-rdb");
    const check = await new Deno.Command("redis-check-rdb", {
      args: [`${dir}/dump.rdb`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(check.code, 0, new TextDecoder().decode(check.stdout));
    const again = await startServer(["--dir", dir], { dir });
    const reloaded = await RawRespClient.connect(again.respPort);
    try {
      assert.deepEqual(await command(reloaded, "FCALL", "from_kache", "0"), {
        type: "integer",
        value: 2n,
      });
      assert.deepEqual(await command(reloaded, "GET", "plain"), { type: "bulk", value: "key" });
    } finally {
      reloaded.close();
      await again.stop();
    }
  } finally {
    await redis.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
