/**
 * `kache client`'s redis-cli modes as real processes: `--bigkeys`,
 * `--memkeys`, `--hotkeys`, `--pipe`, `--rdb`, `--stat` and `--eval`. Where
 * the output is deterministic, `kache client` and `redis-cli` run against the
 * same server (a Kache server, then redis-server) and must print the same
 * bytes on stdout and stderr and exit with the same code.
 */
import assert from "node:assert/strict";
import { type CliResult, runKache, runRedisCli } from "../support/cli_process.ts";
import { withRedis } from "../support/redis_process.ts";
import { MAIN, startServer, withServer } from "../support/server_process.ts";
import { KacheConnection } from "../../cli/connection.ts";
import type { ClientReply } from "../../lib/protocol/resp_reply.ts";

/** Runs commands on a fresh connection to `port`; returns the replies. */
async function commands(port: number, ...requests: string[][]): Promise<ClientReply[]> {
  const connection = await KacheConnection.connect({
    hostname: "127.0.0.1",
    port,
    protocol: "resp",
  });
  try {
    return await Promise.all(requests.map((argv) => connection.send(argv)));
  } finally {
    connection.close();
  }
}

/** Runs the same flags through both clients against `port`; asserts identical results. */
async function assertSameAsRedisCli(
  port: number,
  args: readonly string[],
  stdin?: string | Uint8Array,
): Promise<CliResult> {
  const flags = ["-p", String(port), ...args];
  const expected = await runRedisCli(flags, stdin);
  const actual = await runKache(["client", ...flags], stdin);
  const label = `${args.join(" ")} on port ${port}\nredis-cli: ${JSON.stringify(expected)}`;
  assert.equal(actual.stdout, expected.stdout, label);
  assert.equal(actual.stderr, expected.stderr, label);
  assert.equal(actual.code, expected.code, label);
  return actual;
}

/** Both servers, each with the same few keys of every type (a binary key name among them). */
async function withBothServers(body: (port: number) => Promise<void>): Promise<void> {
  await withRedis(async (redis) => {
    await withServer(async (server) => {
      for (const port of [server.respPort, redis.port]) {
        await commands(
          port,
          ["FLUSHALL"],
          ["SET", "short", "abc"],
          ["SET", "bin\x00\xffkey", "0123456789"],
          ["RPUSH", "list", "a", "b", "c"],
          ["SADD", "set", "x", "y"],
          ["HSET", "hash", "f", "v", "g", "w"],
          ["ZADD", "zset", "1", "a"],
          ["XADD", "stream", "1-1", "a", "1"],
        );
        await body(port);
      }
    });
  });
}

Deno.test("client --bigkeys and --memkeys print what redis-cli prints, line for line", async () => {
  await withBothServers(async (port) => {
    const big = await assertSameAsRedisCli(port, ["--bigkeys"]);
    assert.match(big.stdout, /Biggest string found '"bin\\x00\\xffkey"' has 10 bytes/);
    assert.match(big.stdout, /1 lists with 3 items \(14\.29% of keys, avg size 3\.00\)/);
    await assertSameAsRedisCli(port, ["--bigkeys", "--pattern", "s*"]);
    await assertSameAsRedisCli(port, ["--bigkeys", "--quoted-pattern", '"bin\\x00*"']);
    // MEMORY USAGE differs between the servers; each client reports its server's numbers.
    await assertSameAsRedisCli(port, ["--memkeys"]);
    await assertSameAsRedisCli(port, ["--memkeys-samples", "2", "-i", "0.01"]);
  });
});

/**
 * `--hotkeys` through kache client, with redis-cli run just before and just after: LFU counters
 * lose one per idle minute, so a minute turning between two runs changes the numbers, and the
 * kache output must equal the redis-cli output on its side of that minute.
 */
async function assertHotKeysAsRedisCli(port: number): Promise<CliResult> {
  const flags = ["-p", String(port), "--hotkeys"];
  const before = await runRedisCli(flags);
  const actual = await runKache(["client", ...flags]);
  const after = await runRedisCli(flags);
  const same = (expected: CliResult) =>
    actual.stdout === expected.stdout && actual.stderr === expected.stderr &&
    actual.code === expected.code;
  assert.ok(
    same(before) || same(after),
    `kache: ${JSON.stringify(actual)}\nredis-cli: ${JSON.stringify(before)}`,
  );
  return actual;
}

Deno.test("client --hotkeys needs an LFU policy, then lists the hottest keys as redis-cli", async () => {
  await withBothServers(async (port) => {
    const refused = await assertSameAsRedisCli(port, ["--hotkeys"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^Error: ERR An LFU maxmemory policy is not selected/);
    // 24 keys used 0 to 230 times: more than the 16 the survey keeps, so some drop out. With
    // lfu-log-factor 0 every hit counts (the default 10 counts them by chance, on both servers,
    // so the 230-hit key could rank below 16 others), so the counters are known.
    const uses = Array.from({ length: 24 }, (_, i) => i * 10);
    await commands(
      port,
      ["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"],
      ["CONFIG", "SET", "lfu-log-factor", "0"],
      ...uses.map((_, i) => ["SET", `hot:${i}`, "v"]),
      ...uses.flatMap((count, i) => Array.from({ length: count }, () => ["GET", `hot:${i}`])),
    );
    const hot = await assertHotKeysAsRedisCli(port);
    assert.equal(hot.code, 0);
    const listed = hot.stdout.split("-------- summary -------")[1]!.match(/keyname: /g) ?? [];
    assert.equal(listed.length, 16);
    // A new key's counter starts at 5 (LFU_INIT_VAL); hot:8 to hot:23 are the 16 hottest.
    for (let i = 8; i < 24; i++) {
      assert.match(hot.stdout, new RegExp(`counter: ${5 + i * 10}\tkeyname: "hot:${i}"\n`));
    }
  });
});

/** 2,000 SETs as RESP, one error, inline commands, and a last line without its newline. */
function massInsertion(): Uint8Array {
  let text = "";
  for (let i = 0; i < 2000; i++) {
    const key = `key:${i}`;
    const value = `value:${i}`;
    text += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${value.length}\r\n${value}\r\n`;
  }
  text += "INCR key:1\r\nSET inline yes\r\nRPUSH key:2 x\r\nSET last 1";
  return new TextEncoder().encode(text);
}

Deno.test("client --pipe: mass insertion with redis-cli's summary, errors on stderr, exit 1", async () => {
  await withBothServers(async (port) => {
    const result = await assertSameAsRedisCli(port, ["--pipe"], massInsertion());
    assert.equal(
      result.stdout,
      "All data transferred. Waiting for the last reply...\n" +
        "Last reply received from server.\nerrors: 2, replies: 2004\n",
    );
    assert.equal(result.code, 1);
    const clean = await assertSameAsRedisCli(port, ["--pipe"], "SET a 1\r\nGET a\r\n");
    assert.equal(clean.code, 0);
    // A protocol error makes the server hang up before the last reply: said, and exit 1.
    const broken = await runKache(
      ["client", "-p", String(port), "--pipe"],
      "SET a 1\r\n*1\r\n$abc\r\n",
    );
    assert.equal(broken.code, 1);
    // (The server's error reply may be lost to a reset when the marker is written after it closed.)
    assert.match(
      broken.stderr,
      /Error: (Server closed the connection|Connection reset by peer)\n$/,
    );
    assert.deepEqual(await commands(port, ["GET", "key:1999"], ["GET", "last"]), [
      { type: "bulk", value: "value:1999" },
      { type: "bulk", value: "1" },
    ]);
  });
});

Deno.test("client --pipe --pipe-timeout gives up when no reply comes, as redis-cli", async () => {
  await withServer(async (server) => {
    // BLPOP without a timeout never answers, so neither does the ECHO queued behind it.
    const result = await assertSameAsRedisCli(
      server.respPort,
      ["--pipe", "--pipe-timeout", "1"],
      "BLPOP nothing 0\r\n",
    );
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "No replies for 1 seconds: exiting.\n");
    assert.match(result.stdout, /errors: 1, replies: 0\n$/);
  });
});

Deno.test("client --rdb fetches a snapshot that loads, into a file or to stdout", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kache-cli-rdb-" });
  try {
    await withBothServers(async (port) => {
      // Both servers wait 5 s by default for more replicas before a diskless transfer.
      await commands(port, ["CONFIG", "SET", "repl-diskless-sync-delay", "0"]);
      const path = `${dir}/fetched.rdb`;
      // The stderr lines name the file and the byte count: redis-cli and kache print the same.
      // Disk-based sync frames the payload with its length, diskless with an end mark.
      await commands(port, ["CONFIG", "SET", "repl-diskless-sync", "no"]);
      const framed = await assertSameAsRedisCli(port, ["--rdb", path]);
      assert.match(framed.stderr, /writing \d+ bytes to [^]*Transfer finished with success\.\n$/);
      await commands(port, ["CONFIG", "SET", "repl-diskless-sync", "yes"]);
      const marked = await assertSameAsRedisCli(port, ["--rdb", path]);
      assert.match(marked.stderr, /until EOF marker [^]*with success after \d+ bytes\n$/);
      const file = await Deno.readFile(path);
      assert.equal(new TextDecoder().decode(file.subarray(0, 5)), "REDIS");
      const toStdout = await runKache(["client", "-p", String(port), "--rdb", "-"]);
      assert.equal(toStdout.code, 0, toStdout.stderr);
      // Same length (the snapshot's ctime may differ), and no end mark appended.
      assert.equal(toStdout.stdoutBytes.length, file.length);
      // The fetched file loads: a fresh Kache server started on it has the keys.
      await Deno.rename(path, `${dir}/dump.rdb`);
      const loaded = await startServer([], { dir });
      try {
        const [size, list] = await commands(loaded.respPort, ["DBSIZE"], ["LLEN", "list"]);
        assert.deepEqual([size, list], [{ type: "integer", value: 7n }, {
          type: "integer",
          value: 3n,
        }]);
      } finally {
        await loaded.stop();
      }
      await Deno.remove(`${dir}/dump.rdb`);
      // The file is opened before SYNC, so a bad path costs the server no snapshot.
      const bad = `${dir}/no/such/dir.rdb`;
      const unwritable = await runKache(["client", "-p", String(port), "--rdb", bad]);
      assert.equal(unwritable.code, 1);
      assert.match(unwritable.stderr, /Error opening '.*dir\.rdb': No such file or directory\n$/);
      // A refused SYNC is reported with the server's line, as redis-cli does (less its CR).
      await commands(port, ["CONFIG", "SET", "requirepass", "pw"]);
      const refused = await runKache(["client", "-p", String(port), "--rdb", path]);
      const expected = await runRedisCli(["-p", String(port), "--rdb", path]);
      await commands(port, ["AUTH", "pw"], ["CONFIG", "SET", "requirepass", ""]);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr, expected.stderr.replace("\r\n", "\n"));
      assert.match(refused.stderr, /\nSYNC with master failed: -NOAUTH [^\n]*\n$/);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("client --eval sends EVAL with the keys before ',' and the arguments after it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kache-cli-eval-" });
  try {
    const script = `${dir}/script.lua`;
    await Deno.writeTextFile(script, "return {KEYS[1], ARGV[1], #KEYS, #ARGV}\n");
    const failing = `${dir}/failing.lua`;
    await Deno.writeTextFile(failing, "return redis.call('incr', KEYS[1])\n");
    await withBothServers(async (port) => {
      const listed = await assertSameAsRedisCli(port, ["--eval", script, "k1", "k2", ",", "a1"]);
      assert.equal(listed.stdout, "k1\na1\n2\n1\n");
      await assertSameAsRedisCli(port, ["--no-raw", "--eval", script, "k1", ",a1"]);
      await assertSameAsRedisCli(port, ["--eval", script]);
      const error = await runKache(["client", "-p", String(port), "--eval", failing, "short"]);
      assert.match(error.stdout, /ERR .*not an integer/);
      const exitOnError = await runKache(
        ["client", "-p", String(port), "-e", "--eval", failing, "short"],
      );
      assert.equal(exitOnError.code, 1);
      await assertSameAsRedisCli(port, ["--eval", `${dir}/missing.lua`]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Runs a mode that never ends until it has printed `lines` lines, then stops it; returns them. */
async function firstLines(command: string[], lines: number): Promise<string[]> {
  const child = new Deno.Command(command[0]!, {
    args: command.slice(1),
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  const reader = child.stdout.getReader();
  let text = "";
  try {
    while (text.split("\n").length <= lines) {
      const read = await reader.read();
      if (read.done) break;
      text += new TextDecoder().decode(read.value);
    }
  } finally {
    await reader.cancel();
    try {
      child.kill("SIGINT");
    } catch {
      // Already gone.
    }
    await child.status;
  }
  return text.split("\n").slice(0, lines);
}

Deno.test("client --stat prints redis-cli's header and a line per interval", async () => {
  await withBothServers(async (port) => {
    const flags = ["-p", String(port), "--stat", "-i", "0.1"];
    const expected = await firstLines(["redis-cli", ...flags], 4);
    const actual = await firstLines([
      Deno.execPath(),
      "run",
      "--allow-all",
      MAIN,
      "client",
      ...flags,
    ], 4);
    assert.deepEqual(actual.slice(0, 2), expected.slice(0, 2)); // the header
    // keys, memory, clients, blocked, requests (+since), connections.
    const line = /^7 {10}[0-9.]+[BKMG] +\d+ +\d+ +\d+ \(\+\d+\) +\d+ +$/;
    for (const text of [...actual.slice(2), ...expected.slice(2)]) assert.match(text, line);
    // After the first line, requests grow by the INFO each line sends.
    assert.match(actual[3]!, / \(\+1\) /);
  });
});

Deno.test("client --bigkeys: Ctrl-C stops the walk and prints the summary so far, as redis-cli", async () => {
  await withServer(async (server) => {
    const port = String(server.respPort);
    const sets = Array.from({ length: 5000 }, (_, i) => `SET key:${i} v${"x".repeat(i % 50)}\r\n`);
    const loaded = await runKache(["client", "-p", port, "--pipe"], sets.join(""));
    assert.equal(loaded.code, 0, loaded.stderr);
    // -i 0.5: half a second asleep every 100 SCANs (1,000 keys), so the walk is still on.
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, "client", "-p", port, "--bigkeys", "-i", "0.5"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).spawn();
    const reader = child.stdout.getReader();
    let text = "";
    while (!text.includes("Biggest string")) {
      const read = await reader.read();
      if (read.done) break;
      text += new TextDecoder().decode(read.value);
    }
    child.kill("SIGINT");
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      text += new TextDecoder().decode(read.value);
    }
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(status.code, 0, text);
    const summary = /\n\[(\d\d\.\d\d)%\] Sampled (\d+) keys in the keyspace!\n/.exec(text);
    assert.ok(summary !== null, text);
    assert.ok(Number(summary[2]) < 5000, text); // stopped before the end
    assert.match(text, /\d+ strings with \d+ bytes/);
  });
});

Deno.test("client --latency-history prints a line per PING and ends each period as redis-cli", async () => {
  await withServer(async (server) => {
    const flags = ["-p", String(server.respPort), "--latency-history", "-i", "0.2"];
    const kache = [Deno.execPath(), "run", "--allow-all", MAIN, "client", ...flags];
    for (const command of [["redis-cli", ...flags], kache]) {
      // Not on a terminal: "min max avg samples" per PING, then " -- 0.21 seconds range".
      const lines = await firstLines(command, 40);
      const end = lines.findIndex((line) => line.startsWith(" -- "));
      assert.ok(end > 0, `${command[0]}: ${lines.join("\n")}`);
      assert.match(lines[end]!, /^ -- \d+\.\d\d seconds range$/);
      lines.slice(0, end).forEach((line, i) => {
        assert.match(line, new RegExp(`^\\d+ \\d+ \\d+\\.\\d\\d ${i + 1}$`), command[0]);
      });
      // The next period starts over.
      assert.match(lines[end + 1] ?? "", /^\d+ \d+ \d+\.\d\d 1$/);
    }
  });
});

Deno.test("client --replica prints the commands a server sends its replicas, as CSV", async () => {
  await withBothServers(async (port) => {
    await commands(port, ["CONFIG", "SET", "repl-diskless-sync-delay", "0"]);
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, "client", "-p", String(port), "--replica"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(30_000),
    }).spawn();
    const decoder = new TextDecoder();
    const readUntil = async (stream: ReadableStream<Uint8Array>, pattern: RegExp) => {
      const reader = stream.getReader();
      let text = "";
      while (!pattern.test(text)) {
        const read = await reader.read();
        if (read.done) break;
        text += decoder.decode(read.value);
      }
      reader.releaseLock();
      return text;
    };
    try {
      const progress = await readUntil(child.stderr, /sending REPLCONF ACK 0\n/);
      assert.match(progress, /^sending REPLCONF capa eof\nsending REPLCONF rdb-filter-only \n/);
      assert.match(progress, /\nSYNC done after \d+ bytes\. Logging commands from master\.\n/);
      await commands(port, ["SET", "watched", "1"], ["INCR", "counter"]);
      const stream = await readUntil(child.stdout, /"incr","counter"\n/i);
      assert.match(stream, /"set","watched","1"\n"incr","counter"\n/i);
    } finally {
      child.kill("SIGINT");
      await child.status;
      await child.stdout.cancel().catch(() => {});
      await child.stderr.cancel().catch(() => {});
    }
  });
});
