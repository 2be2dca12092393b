/**
 * `kache client` and `kache bench` as real processes against a real server:
 * one-shot mode, commands piped on stdin, both protocols, connection errors,
 * and a short run of the original benchmark workload.
 */
import assert from "node:assert/strict";
import { requireTool, withRedis } from "../support/redis_process.ts";
import { runKache, runRedisCli } from "../support/cli_process.ts";
import { freePort, MAIN, withServer } from "../support/server_process.ts";

Deno.test("client one-shot mode speaks the binary protocol with --kache", async () => {
  await withServer(async (server) => {
    const port = String(server.kachePort);
    const set = await runKache([
      "client",
      "-p",
      port,
      "--kache",
      "--no-raw",
      "set",
      "greeting",
      "hello world",
    ]);
    assert.equal(set.code, 0, set.stderr);
    // The original SET answers status ok with a nil item: a success, not a miss.
    assert.equal(set.stdout, "OK\n");
    const get = await runKache(["client", "-p", port, "--kache", "--no-raw", "get", "greeting"]);
    assert.equal(get.stdout, '"hello world"\n');
    const missing = await runKache(["client", "-p", port, "--kache", "--no-raw", "get", "nope"]);
    assert.equal(missing.stdout, "(nil)\n(status 2: not found)\n");
  });
});

Deno.test("client one-shot mode renders RESP replies as redis-cli does", async () => {
  await withServer(async (server) => {
    const port = String(server.respPort);
    assert.equal((await runKache(["client", "-p", port, "--no-raw", "ping"])).stdout, "PONG\n");
    assert.equal(
      (await runKache(["client", "-p", port, "--no-raw", "zadd", "z", "1", "a", "2", "b"])).stdout,
      "(integer) 2\n",
    );
    assert.equal(
      (await runKache(["client", "-p", port, "--no-raw", "zrange", "z", "0", "-1"])).stdout,
      '1) "a"\n2) "b"\n',
    );
    assert.equal(
      (await runKache(["client", "-p", port, "--no-raw", "get", "z"])).stdout,
      "(error) WRONGTYPE Operation against a key holding the wrong kind of value\n",
    );
  });
});

Deno.test("client reads commands from stdin when it is not a terminal", async () => {
  await withServer(async (server) => {
    const result = await runKache(
      ["client", "-p", String(server.respPort), "--no-raw"],
      'set a 1\nincr a\nset "two words" "x y"\nget "two words"\n',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'OK\n(integer) 2\nOK\n"x y"\n');
  });
});

Deno.test("client reports a refused connection and exits 1", async () => {
  const result = await runKache(["client", "-p", String(freePort()), "ping"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /Could not connect to Kache at 127\.0\.0\.1:\d+: Connection refused/);
});

Deno.test("bench runs the original workload against the server and reports JSON", async () => {
  await withServer(async (server) => {
    const result = await runKache([
      "bench",
      "-p",
      String(server.kachePort),
      "-c",
      "2",
      "--repeats",
      "20",
      "--json",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.equal(report.requests, 2 * 20 * 61);
    assert.equal(report.errors, 0);
    assert.ok(report.throughput > 0);
  });
});

Deno.test("client: a refused SUBSCRIBE or MONITOR prints the error and ends, as redis-cli", async () => {
  await withServer(async (server) => {
    for (const command of [["subscribe"], ["monitor", "extra"]]) {
      const result = await runKache(["client", "-p", String(server.respPort), ...command]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /ERR wrong number of arguments for '(subscribe|monitor)'/);
    }
  });
});

Deno.test("client prompt: (TX) ends with EXECABORT, and Ctrl-D ends the line", async () => {
  await withServer(async (server) => {
    const terminal = await TerminalClient.start(server.respPort);
    await terminal.type("multi\nset a\nexec\n");
    await terminal.readUntil(/EXECABORT[^]*> \S*$/);
    await terminal.type("\x04"); // Ctrl-D at the prompt
    await terminal.readUntil(/EXECABORT[^]*> \S*\r?\n/);
    await terminal.close();
    const text = terminal.text;
    const prompts = [...text.matchAll(/127\.0\.0\.1:\d+(\(TX\))?> /g)].map((m) => m[0]);
    assert.ok(text.includes("EXECABORT"), text);
    assert.ok(prompts.at(-2)!.includes("(TX)"), text); // the prompt EXEC was typed at
    assert.ok(!prompts.at(-1)!.includes("(TX)"), text); // the prompt after EXECABORT
    assert.match(text, /> \S*\r?\n$/); // Ctrl-D: the last prompt's line is ended
  });
});

/**
 * `kache client` at a terminal (util-linux's script gives it one): keys typed in, output read
 * until a pattern matches, escape characters shown as `<ESC>` so patterns can name them.
 */
class TerminalClient {
  text = "";
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  readonly #deadline = Date.now() + 20_000;
  #pending: Promise<ReadableStreamReadResult<Uint8Array>>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#reader = child.stdout.getReader();
    this.#pending = this.#reader.read();
  }

  static async start(port: number): Promise<TerminalClient> {
    await requireTool("script");
    const command = `${Deno.execPath()} run --allow-all ${MAIN} client -p ${port}`;
    return new TerminalClient(
      new Deno.Command("script", {
        args: ["-qec", command, "/dev/null"],
        stdin: "piped",
        stdout: "piped",
        stderr: "null",
      }).spawn(),
    );
  }

  async type(keys: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(keys));
  }

  /** Reads until `pattern` matches the output so far, or the bounded wait (20 s) runs out. */
  async readUntil(pattern: RegExp): Promise<void> {
    while (!pattern.test(this.text) && Date.now() < this.#deadline) {
      const timer = new Promise<"wait">((resolve) => setTimeout(() => resolve("wait"), 500));
      const read = await Promise.race([this.#pending, timer]);
      if (read === "wait") continue;
      if (read.done) return;
      this.text += this.#decoder.decode(read.value).replaceAll("\x1b", "<ESC>");
      this.#pending = this.#reader.read();
    }
  }

  /** `script` runs until its own stdin ends: close it once the client's output is read. */
  async close(): Promise<void> {
    await this.#writer.close().catch(() => {});
    await this.#reader.cancel();
    await this.#child.status;
  }
}

Deno.test("client flags -n -u -a -r -i -x --scan --csv print what redis-cli 7.0 prints", async () => {
  await withRedis(async (redis) => {
    await withServer(async (server) => {
      // PORT stands for the server's port in each case.
      const cases: { args: string[]; stdin?: string; sortLines?: boolean }[] = [
        { args: ["-p", "PORT", "mset", "k1", "a", "k2", 'say "hi"', "other", "x"] },
        { args: ["-p", "PORT", "--csv", "mget", "k1", "k2", "nope"] },
        { args: ["-p", "PORT", "--csv", "get"] },
        { args: ["-p", "PORT", "--csv", "incrby", "n", "-5"] },
        { args: ["-p", "PORT", "-r", "3", "-i", "0.01", "incr", "n"] },
        { args: ["-p", "PORT", "-n", "2", "set", "indb2", "yes"] },
        { args: ["-u", "redis://127.0.0.1:PORT/2", "get", "indb2"] },
        { args: ["-p", "PORT", "-n", "2", "--no-raw", "dbsize"] },
        { args: ["-p", "PORT", "-n", "99", "ping"] },
        { args: ["-p", "PORT", "-x", "set", "fromstdin"], stdin: "line one\nline two\n" },
        { args: ["-p", "PORT", "--no-raw", "get", "fromstdin"] },
        { args: ["-p", "PORT", "--scan", "--pattern", "k*"], sortLines: true },
        { args: ["-p", "PORT", "--scan", "--no-raw"], sortLines: true },
        { args: ["-p", "PORT", "-a", "wrong", "ping"] },
        { args: ["-p", "PORT", "-a", "wrong", "--no-auth-warning", "ping"] },
        { args: ["-u", "http://127.0.0.1:PORT", "ping"] },
      ];
      for (const { args, stdin, sortLines } of cases) {
        const on = (port: number) => args.map((arg) => arg.replace("PORT", String(port)));
        const expected = await runRedisCli(on(redis.port), stdin);
        const actual = await runKache(["client", ...on(server.respPort)], stdin);
        const lines = (text: string) => sortLines ? text.split("\n").sort().join("\n") : text;
        const label = `${args.join(" ")}\nredis-cli: ${JSON.stringify(expected)}`;
        assert.equal(lines(actual.stdout), lines(expected.stdout), label);
        // Kache's own usage hint follows its error line; the error line itself is redis-cli's.
        assert.equal(
          actual.stderr.split("\n")[0]!.replace(/^kache client: /, ""),
          expected.stderr.split("\n")[0],
          label,
        );
        assert.equal(actual.code, expected.code, label);
      }
    });
  });
});

Deno.test("client -s talks over the server's unixsocket, as redis-cli -s", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kache-cli-sock-" });
  const socket = `${dir}/kache.sock`;
  try {
    await withServer(async () => {
      const set = await runKache(["client", "-s", socket, "set", "over", "unix"]);
      assert.equal(set.stdout, "OK\n", set.stderr);
      const get = await runRedisCli(["-s", socket, "get", "over"]);
      assert.equal(get.stdout, "unix\n");
      const missing = await runKache(["client", "-s", `${dir}/nope.sock`, "ping"]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /^Could not connect to Kache at .*nope\.sock: /);
    }, ["--unixsocket", socket]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A `kache client` prompt whose command docs have arrived: they are fetched after the prompt
 * appears, and `help` waits for them. Its text starts empty after that.
 */
async function promptWithDocs(port: number): Promise<TerminalClient> {
  const terminal = await TerminalClient.start(port);
  await terminal.readUntil(/> \S*$/);
  await terminal.type("help set\r");
  await terminal.readUntil(/summary:[^]*> \S*$/);
  terminal.text = "";
  return terminal;
}

Deno.test("client prompt: grey argument hints from COMMAND DOCS and subcommand completion", async () => {
  await withServer(async (server) => {
    const terminal = await promptWithDocs(server.respPort);
    await terminal.type("set k");
    await terminal.readUntil(/<ESC>\[90m value \[NX\|XX\]/);
    await terminal.type("\r"); // Enter wipes the hint before the line is sent
    await terminal.readUntil(/wrong number of arguments[^]*> \S*$/);
    const entered = terminal.text;
    terminal.text = "";
    await terminal.type("config g\t");
    await terminal.readUntil(/config get/);
    await terminal.type(" \r");
    await terminal.readUntil(/wrong number of arguments[^]*> \S*$/);
    const completed = terminal.text;
    await terminal.type("\x04");
    await terminal.readUntil(/> \S*\r?\n$/);
    await terminal.close();
    // As redis-cli: the syntax left to type, in grey (90), redrawn after each key of `set k`.
    assert.match(entered, /set<ESC>7<ESC>\[K<ESC>\[90m key value \[NX\|XX\]/, entered);
    assert.match(entered, /k<ESC>7<ESC>\[K<ESC>\[90m value \[NX\|XX\] \[GET\]/, entered);
    // Wiped (erase to end of line) right before the line ends.
    assert.match(entered, /<ESC>7<ESC>\[K<ESC>8\r*\n/, entered);
    assert.match(completed, /config get/, completed);
    assert.match(completed, /<ESC>\[90mparameter \[parameter \.\.\.\]/, completed);
  });
});

Deno.test("client prompt: tab after `help config g` completes the subcommand, as redis-cli", async () => {
  await withServer(async (server) => {
    const terminal = await promptWithDocs(server.respPort);
    await terminal.type("help config g\t");
    await terminal.readUntil(/help config get/);
    await terminal.type("\r");
    await terminal.readUntil(/summary:[^]*> \S*$/);
    const completed = terminal.text;
    await terminal.type("\x04");
    await terminal.readUntil(/> \S*\r?\n$/);
    await terminal.close();
    assert.match(completed, /help config get/, completed);
    // The help of CONFIG GET itself, not the list of CONFIG's subcommands.
    assert.match(completed, /CONFIG GET(<ESC>\[0m)? (<ESC>\[90m)?parameter/, completed);
    assert.doesNotMatch(completed, /CONFIG SET/, completed);
  });
});

Deno.test("client --latency prints redis-cli's line when stdout is not a terminal", async () => {
  await withRedis(async (redis) => {
    await withServer(async (server) => {
      for (
        const [flags, pattern] of [[[], /^\d+ \d+ \d+\.\d\d \d+\n$/], [
          ["--csv"],
          /^\d+,\d+,\d+\.\d\d,\d+\n$/,
        ]] as const
      ) {
        const args = ["--latency", "-i", "0.2", ...flags];
        const expected = await runRedisCli(["-p", String(redis.port), ...args]);
        assert.match(expected.stdout, pattern); // the reference format
        const actual = await runKache(["client", "-p", String(server.respPort), ...args]);
        assert.equal(actual.code, 0, actual.stderr);
        assert.match(actual.stdout, pattern);
        const [min, max, avg, samples] = actual.stdout.trim().split(/[ ,]/).map(Number);
        assert.ok(min! <= avg! && avg! <= max! && samples! >= 1, actual.stdout);
      }
    });
  });
});

async function openssl(args: string[], cwd: string): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", {
    args,
    cwd,
    stdout: "null",
    stderr: "piped",
  })
    .output();
  if (code !== 0) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(stderr)}`);
}

Deno.test("client --cert/--key: a client certificate for redis-server's tls-auth-clients yes", async () => {
  await requireTool("redis-server");
  const dir = await Deno.makeTempDir({ prefix: "kache-cli-tls-" });
  try {
    const newKey = (
      name: string,
      subject: string,
    ) => ["req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", `${name}.key`];
    await openssl([...newKey("ca", "/CN=ca"), "-x509", "-days", "1", "-out", "ca.crt"], dir);
    const sign = (name: string, extensions: string) =>
      ["x509", "-req", "-days", "1", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key"]
        .concat(["-CAcreateserial", "-extfile", extensions, "-out", `${name}.crt`]);
    await Deno.writeTextFile(`${dir}/server.cnf`, "subjectAltName=IP:127.0.0.1\n");
    await Deno.writeTextFile(`${dir}/client.cnf`, "extendedKeyUsage=clientAuth\n");
    for (const [name, cnf] of [["server", "server.cnf"], ["client", "client.cnf"]]) {
      await openssl([...newKey(name!, `/CN=${name}`), "-out", `${name}.csr`], dir);
      await openssl(sign(name!, cnf!), dir);
    }
    const tlsPort = freePort();
    const redis = new Deno.Command("redis-server", {
      args: ["--port", "0", "--bind", "127.0.0.1", "--save", "", "--dir", dir]
        .concat(["--tls-port", String(tlsPort), "--tls-auth-clients", "yes"])
        .concat(["--tls-cert-file", `${dir}/server.crt`, "--tls-key-file", `${dir}/server.key`])
        .concat(["--tls-ca-cert-file", `${dir}/ca.crt`]),
      stdout: "piped",
      stderr: "null",
    }).spawn();
    try {
      const reader = redis.stdout.getReader();
      let log = "";
      const deadline = Date.now() + 20_000;
      while (!log.includes("Ready to accept connections") && Date.now() < deadline) {
        const read = await reader.read();
        if (read.done) break;
        log += new TextDecoder().decode(read.value);
      }
      reader.releaseLock();
      void redis.stdout.cancel().catch(() => {});
      assert.ok(log.includes("Ready to accept connections"), log);
      const tls = ["--tls", "--cacert", `${dir}/ca.crt`, "-p", String(tlsPort)];
      const withCert = await runKache(
        ["client", ...tls, "--cert", `${dir}/client.crt`, "--key", `${dir}/client.key`, "ping"],
      );
      assert.equal(withCert.stdout, "PONG\n", withCert.stderr);
      const without = await runKache(["client", ...tls, "ping"]);
      assert.equal(without.code, 1);
      assert.match(without.stderr, /certificate/i);
    } finally {
      redis.kill();
      await redis.status;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
