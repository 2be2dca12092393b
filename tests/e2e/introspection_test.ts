/**
 * What operators read on a running server: true command timings in INFO
 * commandstats, the CPU section, and the slow log over a real connection.
 */
import assert from "node:assert/strict";
import { type ClientReply, encodeRespRequest } from "../../lib/protocol/resp_reply.ts";
import { requireTool, startRedis } from "../support/redis_process.ts";
import { RawRespClient } from "../support/resp_client.ts";
import { withServer } from "../support/server_process.ts";

function infoField(text: string, field: string): string | undefined {
  return text.split("\r\n").find((line) => line.startsWith(`${field}:`))?.slice(field.length + 1);
}

/** A decoded reply as plain values: arrays of strings and bigints. */
function plain(reply: ClientReply): unknown {
  if (reply.type === "array") return reply.items.map(plain);
  return "value" in reply ? reply.value : reply.type;
}

async function infoText(client: RawRespClient, section: string): Promise<string> {
  const { reply } = await client.send(["INFO", section]);
  assert.equal(reply.type, "bulk");
  return (reply as { value: string }).value;
}

Deno.test("INFO commandstats reports the time commands took and CPU shows the process's", async () => {
  await withServer(async (server) => {
    const client = await RawRespClient.connect(server.respPort);
    try {
      for (let i = 0; i < 200; i++) await client.send(["ZADD", "z", String(i), `m${i}`]);
      const stats = infoField(await infoText(client, "commandstats"), "cmdstat_zadd")!;
      const usec = Number(/usec=(\d+)/.exec(stats)![1]);
      const perCall = Number(/usec_per_call=([\d.]+)/.exec(stats)![1]);
      assert.match(stats, /^calls=200,/);
      assert.ok(usec > 0, stats);
      assert.equal(perCall.toFixed(2), (usec / 200).toFixed(2));

      const cpu = await infoText(client, "cpu");
      assert.match(cpu, /^# CPU\r\n/);
      assert.ok(Number(infoField(cpu, "used_cpu_user")) > 0, cpu);
      assert.match(infoField(cpu, "used_cpu_sys")!, /^\d+\.\d{6}$/);
    } finally {
      client.close();
    }
  });
});

Deno.test("SLOWLOG records commands over the threshold set with CONFIG SET", async () => {
  await withServer(async (server) => {
    const client = await RawRespClient.connect(server.respPort);
    try {
      await client.send(["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
      await client.send(["CLIENT", "SETNAME", "ops"]);
      await client.send(["SET", "key", "value"]);
      const { reply } = await client.send(["SLOWLOG", "GET", "1"]);
      const [entry] = plain(reply) as unknown[][];
      const [id, timestamp, duration, args, address, name] = entry!;
      assert.equal(typeof id, "bigint");
      assert.ok(Math.abs(Number(timestamp) - Date.now() / 1000) < 60);
      assert.ok(Number(duration) >= 0);
      assert.deepEqual(args, ["SET", "key", "value"]);
      assert.match(String(address), /^127\.0\.0\.1:\d+$/);
      assert.equal(name, "ops");

      await client.send(["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
      await client.send(["SLOWLOG", "RESET"]);
      await client.send(["SET", "key", "value"]);
      assert.equal((await client.send(["SLOWLOG", "LEN"])).raw, ":0\r\n");
    } finally {
      client.close();
    }
  });
});

/** What `redis-cli monitor` prints while another client runs `commands`, addresses masked. */
async function monitorOutput(port: number, commands: string[][]): Promise<string[]> {
  const monitor = new Deno.Command("redis-cli", {
    args: ["-p", String(port), "monitor"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = monitor.stdout.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const readUntil = async (needle: string) => {
    while (!text.includes(needle)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`redis-cli monitor ended before ${needle}: ${text}`);
      text += decoder.decode(value);
    }
  };
  try {
    await readUntil("OK\n");
    const client = await RawRespClient.connect(port);
    try {
      for (const argv of commands) await client.send(argv);
      await client.send(["ECHO", "end of commands"]);
    } finally {
      client.close();
    }
    await readUntil('"end of commands"');
  } finally {
    monitor.kill();
    await reader.cancel();
    await monitor.status;
  }
  return text.trim().split("\n").slice(1).map((line) =>
    line.replace(/^\d+\.\d{6} \[0 127\.0\.0\.1:\d+\]/, "<time> [0 <client>]")
      .replace(/^\d+\.\d{6} \[0 lua\]/, "<time> [0 lua]")
  );
}

Deno.test("redis-cli monitor prints the same lines for Kache as for redis-server", async () => {
  await requireTool("redis-cli");
  const commands = [
    ["MULTI"],
    ["SET", "a", "1"],
    ["INCR", "a"],
    ["EXEC"],
    ["AUTH", "secret"],
    ["NOSUCHCOMMAND"],
    ["CONFIG", "GET", "maxmemory"],
    ["SET", "x y", '\x00\n"'],
    ["HELLO", "2", "AUTH", "default", "pw"],
    // The script's line comes first, then its commands as `[0 lua]`.
    [
      "EVAL",
      "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])",
      "1",
      "k",
      "v",
    ],
    ["EVALSHA", "0000000000000000000000000000000000000000", "0"],
    [
      "FUNCTION",
      "LOAD",
      "#!lua name=lib\nredis.register_function('f', function() return redis.call('PING') end)",
    ],
    ["FCALL", "f", "0"],
    ["MULTI"],
    ["EVAL", "return redis.call('INCR', 'n')", "0"],
    ["EXEC"],
  ];
  const redis = await startRedis();
  try {
    await withServer(async (server) => {
      const expected = await monitorOutput(redis.port, commands);
      assert.deepEqual(await monitorOutput(server.respPort, commands), expected);
      assert.equal(expected.length, 19, expected.join("\n"));
      assert.ok(expected.some((line) => line.includes('[0 lua] "SET" "k" "v"')));
    });
  } finally {
    await redis.stop();
  }
});

Deno.test("INFO keyspace_hits and keyspace_misses count read lookups as redis-server does", async () => {
  const commands = [
    ["SET", "s", "v"],
    ["GET", "s"],
    ["GET", "missing"],
    ["MGET", "s", "missing", "s"],
    ["EXISTS", "s", "missing"],
    ["HSET", "h", "f", "v"],
    ["HGET", "h", "f"],
    ["HGET", "nohash", "f"],
    ["ZADD", "z", "1", "m"],
    ["ZSCORE", "z", "m"],
    ["LRANGE", "nolist", "0", "-1"],
    ["INCR", "counter"],
    ["STRLEN", "s"],
  ];
  const counts = async (port: number) => {
    const client = await RawRespClient.connect(port);
    try {
      for (const argv of commands) await client.send(argv);
      const stats = await infoText(client, "stats");
      return [infoField(stats, "keyspace_hits"), infoField(stats, "keyspace_misses")];
    } finally {
      client.close();
    }
  };
  const redis = await startRedis();
  try {
    const expected = await counts(redis.port);
    await withServer(async (server) => {
      assert.deepEqual(await counts(server.respPort), expected);
    });
    assert.deepEqual(expected, ["7", "5"]);
  } finally {
    await redis.stop();
  }
});

/**
 * What a subscriber to every keyspace and keyevent channel receives while
 * `commands` run with `notify-keyspace-events` set to `flags`: its bytes from
 * the subscription until a marker message published after the commands.
 */
async function notificationsOf(
  port: number,
  flags: string,
  commands: readonly string[][],
): Promise<string> {
  const subscriber = await Deno.connect({ hostname: "127.0.0.1", port });
  const client = await RawRespClient.connect(port);
  try {
    await client.send(["CONFIG", "SET", "notify-keyspace-events", flags]);
    await subscriber.write(encodeRespRequest(["PSUBSCRIBE", "__key*__:*"]));
    await subscriber.write(encodeRespRequest(["SUBSCRIBE", "done"]));
    let text = "";
    const buffer = new Uint8Array(4096);
    const readUntil = async (marker: string) => {
      while (!text.includes(marker)) {
        const count = await subscriber.read(buffer);
        if (count === null) throw new Error(`closed before ${marker}: ${text}`);
        text += new TextDecoder().decode(buffer.subarray(0, count));
      }
    };
    await readUntil("$4\r\ndone\r\n:2\r\n");
    for (const argv of commands) await client.send(argv);
    await client.send(["PUBLISH", "done", "x"]);
    await readUntil("$4\r\ndone\r\n$1\r\nx\r\n");
    return text;
  } finally {
    subscriber.close();
    client.close();
  }
}

/** Runs `commands` on redis-server and on Kache; returns both subscribers' bytes. */
async function notificationsOfBoth(
  flags: string,
  commands: readonly string[][],
): Promise<{ redis: string; kache: string }> {
  const redis = await startRedis();
  try {
    const expected = await notificationsOf(redis.port, flags, commands);
    let kache = "";
    await withServer(async (server) => {
      kache = await notificationsOf(server.respPort, flags, commands);
    });
    return { redis: expected, kache };
  } finally {
    await redis.stop();
  }
}

Deno.test("keymiss notifications (notify-keyspace-events KEm) come from the same lookups as redis-server's", async () => {
  const { redis, kache } = await notificationsOfBoth("KEm", [
    ["SET", "s", "v"],
    ["GET", "s"],
    ["GET", "missing"],
    ["MGET", "s", "gone", "s"],
    ["EXISTS", "s", "absent"],
    ["HGET", "nohash", "f"],
    ["LRANGE", "nolist", "0", "-1"],
    ["TYPE", "notype"],
    // OBJECT looks keys up without notifying (LOOKUP_NONOTIFY); writes never report a miss.
    ["OBJECT", "ENCODING", "noobject"],
    ["INCR", "counter"],
  ]);
  // Six keys missed (not noobject, not counter), each on both channels.
  assert.equal(redis.split("keymiss").length - 1, 12, redis);
  assert.equal(kache, redis);
});

Deno.test("RENAME, COPY REPLACE and RESTORE REPLACE onto an existing key send `new`, as redis-server", async () => {
  // Redis deletes the destination and adds it again, so the key is new (class n).
  const { redis, kache } = await notificationsOfBoth("KEgn", [
    ["SET", "a", "1"],
    ["SET", "b", "2"],
    ["RENAME", "a", "b"],
    ["SET", "c", "3"],
    ["COPY", "b", "c", "REPLACE"],
    // Redis 7.0's DUMP of the string "1".
    ["RESTORE", "c", "0", "\x00\xc0\x01\x0a\x00\x26\x78\xe7\xb6\xd1\x01\x11\xfc", "REPLACE"],
    ["RENAME", "c", "fresh"],
  ]);
  assert.equal(redis.split("__keyevent@0__:new").length - 1, 7, redis);
  assert.equal(kache, redis);
});

Deno.test("MONITOR names a Unix socket client `unix:<path>`, as Redis does", async () => {
  await requireTool("redis-cli");
  const dir = await Deno.makeTempDir();
  const socket = `${dir}/kache.sock`;
  try {
    await withServer(async () => {
      const monitor = new Deno.Command("redis-cli", {
        args: ["-s", socket, "monitor"],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = monitor.stdout.getReader();
      let text = "";
      try {
        while (!text.includes("OK\n")) {
          text += new TextDecoder().decode((await reader.read()).value);
        }
        await new Deno.Command("redis-cli", { args: ["-s", socket, "SET", "a", "1"] }).output();
        while (!text.includes('"SET"')) {
          text += new TextDecoder().decode((await reader.read()).value);
        }
      } finally {
        monitor.kill();
        await reader.cancel();
        await monitor.status;
      }
      assert.match(text, new RegExp(`\\[0 unix:${socket}\\] "SET" "a" "1"`));
    }, ["--unixsocket", socket]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("INFO, HELLO and Lua's redis.REDIS_VERSION report one Redis version", async () => {
  await withServer(async (server) => {
    const client = await RawRespClient.connect(server.respPort);
    try {
      const info = (await client.send(["INFO", "server"])).raw;
      const version = /redis_version:(\S+)/.exec(info)![1]!;
      // HELLO 2's flat array: "version" is followed by its value.
      const hello = (await client.send(["HELLO", "2"])).raw;
      assert.ok(hello.includes(`$7\r\nversion\r\n$${version.length}\r\n${version}\r\n`), hello);
      const lua = (await client.send(["EVAL", "return redis.REDIS_VERSION", "0"])).raw;
      assert.equal(lua, `$${version.length}\r\n${version}\r\n`);
    } finally {
      client.close();
    }
  });
});
