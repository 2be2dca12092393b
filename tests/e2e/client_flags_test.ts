/**
 * `kache client` flags redis-cli users reach for: -n, -u, --user, -r/-i, -x,
 * --scan, --csv, -s and --tls, against a real server; --csv is compared
 * with redis-cli's output for the same replies.
 */
import assert from "node:assert/strict";
import { MAIN, startServer } from "../support/server_process.ts";
import { freePort } from "../support/server_process.ts";
import { requireTool } from "../support/redis_process.ts";
import { parseClientArgs, parseRedisUri } from "../../cli/client.ts";

async function client(args: string[], stdin?: string): Promise<{ out: string; code: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    // redis-cli's warning about -a on the command line goes to stderr, which `out` includes.
    args: ["run", "--allow-all", MAIN, "client", "--no-auth-warning", ...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const { stdout, stderr, code } = await child.output();
  return {
    out: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr),
    code,
  };
}

async function redisCli(args: string[]): Promise<string> {
  const { stdout } = await new Deno.Command("redis-cli", {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  return new TextDecoder().decode(stdout);
}

Deno.test("parseRedisUri reads redis-cli's URI forms", () => {
  assert.deepEqual(parseRedisUri("redis://127.0.0.1:7000/2"), {
    hostname: "127.0.0.1",
    port: 7000,
    user: undefined,
    password: undefined,
    db: 2,
    tls: false,
  });
  // user:password, and a lone userinfo word is the password, as redis-cli reads it.
  const full = parseRedisUri("rediss://alice:p%40ss@example.com");
  assert.ok(!("error" in full));
  assert.equal(full.user, "alice");
  assert.equal(full.password, "p@ss");
  assert.equal(full.tls, true);
  const lone = parseRedisUri("redis://secret@host");
  assert.ok(!("error" in lone) && lone.user === undefined && lone.password === "secret");
  assert.ok("error" in parseRedisUri("http://host"));
  assert.ok("error" in parseRedisUri("redis://host/x"));
});

Deno.test("parseClientArgs takes redis-cli's flags and refuses contradictions", () => {
  const parsed = parseClientArgs(["-n", "3", "-r", "5", "-i", "0.5", "-x", "--csv", "set", "k"]);
  assert.equal(parsed.kind, "run");
  if (parsed.kind !== "run") return;
  assert.equal(parsed.options.db, 3);
  assert.equal(parsed.options.repeat, 5);
  assert.equal(parsed.options.intervalSeconds, 0.5);
  assert.equal(parsed.options.stdinLastArg, true);
  assert.equal(parsed.options.mode, "csv");
  assert.deepEqual(parsed.options.command, ["set", "k"]);
  assert.equal(parseClientArgs(["--csv", "--raw"]).kind, "error");
  assert.equal(parseClientArgs(["-n", "x"]).kind, "error");
  assert.equal(parseClientArgs(["-i", "-1"]).kind, "error");
  assert.equal(parseClientArgs(["--tls", "--kache"]).kind, "error");
});

Deno.test("kache client -n, -u, --user, -r/-i, -x, --scan, --csv and -s work against the server", async () => {
  await requireTool("redis-cli");
  const dir = await Deno.makeTempDir({ prefix: "kache-client-flags-" });
  const socket = `${dir}/kache.sock`;
  const server = await startServer(["--unixsocket", socket, "--requirepass", "pw"]);
  const port = String(server.respPort);
  try {
    assert.equal((await client(["-p", port, "-a", "pw", "-n", "3", "set", "a", "1"])).out, "OK\n");
    assert.equal((await client(["-p", port, "-a", "pw", "-n", "3", "get", "a"])).out, "1\n");
    // Database 0 does not have it.
    assert.equal((await client(["-p", port, "-a", "pw", "get", "a"])).out, "\n");
    assert.equal(
      (await client(["-u", `redis://pw@127.0.0.1:${port}/3`, "get", "a"])).out,
      "1\n",
    );
    // --user sends AUTH <user> <password>; Kache's one user is "default".
    assert.equal(
      (await client(["-p", port, "--user", "default", "-a", "pw", "-n", "3", "get", "a"])).out,
      "1\n",
    );
    assert.match(
      (await client(["-p", port, "--user", "bob", "-a", "pw", "ping"])).out,
      /AUTH failed: WRONGPASS/,
    );
    assert.equal((await client(["-s", socket, "-a", "pw", "-n", "3", "get", "a"])).out, "1\n");
    assert.equal(
      (await client(["-p", port, "-a", "pw", "-r", "3", "-i", "0.05", "incr", "n"])).out,
      "1\n2\n3\n",
    );
    const blob = "line one\nline two\n\u00e9";
    assert.equal((await client(["-p", port, "-a", "pw", "-x", "set", "blob"], blob)).out, "OK\n");
    assert.equal((await client(["-p", port, "-a", "pw", "strlen", "blob"])).out, "20\n");
    for (let i = 0; i < 25; i++) await client(["-p", port, "-a", "pw", "set", `scan:${i}`, "v"]);
    const scanned = (await client(["-p", port, "-a", "pw", "--scan", "--pattern", "scan:*"]))
      .out.trim().split("\n").sort();
    assert.deepEqual(scanned, Array.from({ length: 25 }, (_, i) => `scan:${i}`).sort());
    await client(["-p", port, "-a", "pw", "hset", "h", "f", "v", "g", "w"]);
    // Commands that change nothing, since both clients run each one.
    for (
      const command of [
        ["mget", "scan:1", "missing", "n"],
        ["get", "n"],
        ["lpush", "scan:1", "x"],
        ["hgetall", "h"],
        ["exists", "n", "missing"],
      ]
    ) {
      assert.equal(
        (await client(["-p", port, "-a", "pw", "--csv", ...command])).out,
        await redisCli(["-p", port, "-a", "pw", "--no-auth-warning", "--csv", ...command]),
        command.join(" "),
      );
    }
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

async function openssl(args: string[], cwd: string): Promise<void> {
  const { code, stderr } = await new Deno.Command("openssl", {
    args,
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`openssl failed: ${new TextDecoder().decode(stderr)}`);
}

Deno.test("kache client --tls --cacert talks to tls-port", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kache-client-tls-" });
  try {
    await openssl(
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=ca"]
        .concat(["-keyout", "ca.key", "-out", "ca.crt"]),
      dir,
    );
    await openssl(
      ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost"]
        .concat(["-keyout", "server.key", "-out", "server.csr"]),
      dir,
    );
    await Deno.writeTextFile(`${dir}/san.cnf`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
    await openssl(
      ["x509", "-req", "-days", "1", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key"]
        .concat(["-CAcreateserial", "-extfile", "san.cnf", "-out", "server.crt"]),
      dir,
    );
    const tlsPort = freePort();
    const server = await startServer([
      ...["--tls-port", String(tlsPort), "--tls-cert-file", `${dir}/server.crt`],
      ...["--tls-key-file", `${dir}/server.key`, "--tls-ca-cert-file", `${dir}/ca.crt`],
      ...["--tls-auth-clients", "no"],
    ]);
    try {
      const base = ["-h", "localhost", "-p", String(tlsPort), "--tls", "--cacert", `${dir}/ca.crt`];
      assert.equal((await client([...base, "set", "k", "v"])).out, "OK\n");
      assert.equal((await client([...base, "get", "k"])).out, "v\n");
      const untrusted = await client(["-h", "localhost", "-p", String(tlsPort), "--tls", "ping"]);
      assert.equal(untrusted.code, 1);
      assert.match(untrusted.out, /Could not connect/);
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kache client shutdown prints nothing and exits 0, as redis-cli, one-shot and piped", async () => {
  // The server closes the connection without a reply; the client used to report
  // "Error: Server closed the connection" and exit 1.
  const oneShot = await startServer([]);
  try {
    const outcome = await client(["-p", String(oneShot.respPort), "shutdown", "nosave"]);
    assert.deepEqual(outcome, { out: "", code: 0 });
    assert.equal((await oneShot.process.status).code, 0);
  } finally {
    await oneShot.stop();
  }
  const piped = await startServer([]);
  try {
    const outcome = await client(["-p", String(piped.respPort)], "set a 1\nshutdown nosave\n");
    assert.deepEqual(outcome, { out: "OK\n", code: 0 });
  } finally {
    await piped.stop();
  }
});
