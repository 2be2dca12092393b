/**
 * Debian's stock /etc/redis/redis.conf (Redis 7.0's, as redis-server
 * installs it) starts Kache with only `port` and `dir` changed — and
 * `pidfile`/`logfile` moved into the test's directory, since a test must not
 * write into /run and /var/log. The server answers PING over TCP and over the
 * `unixsocket` (through `redis-cli -s`), logs one warning naming the
 * directives that have no effect, writes the pid file and removes it and the
 * socket at exit.
 */
import assert from "node:assert/strict";
import { spawnLogged } from "../support/child_process.ts";
import { requireTool } from "../support/redis_process.ts";
import { freePort, MAIN, startServer } from "../support/server_process.ts";

const STOCK_CONF = "/etc/redis/redis.conf";

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function redisCli(args: string[]): Promise<string> {
  const { stdout } = await new Deno.Command("redis-cli", {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  return new TextDecoder().decode(stdout).trim();
}

/** Reads `path` until it contains `text` (20 s at most); returns what it holds. */
async function waitForText(path: string, text: string, exited: () => boolean): Promise<string> {
  const started = Date.now();
  while (Date.now() - started < 20_000 && !exited()) {
    const content = exists(path) ? Deno.readTextFileSync(path) : "";
    if (content.includes(text)) return content;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return exists(path) ? Deno.readTextFileSync(path) : "";
}

Deno.test({
  name: `Debian's stock redis.conf starts Kache with only port and dir changed` +
    (exists(STOCK_CONF) ? "" : ` (skipped: ${STOCK_CONF} is absent; apt-get install redis-server)`),
  ignore: !exists(STOCK_CONF),
  async fn() {
    await requireTool("redis-cli");
    const dir = await Deno.makeTempDir({ prefix: "kache-stock-conf-" });
    try {
      const port = freePort();
      const socket = `${dir}/kache.sock`;
      const conf = Deno.readTextFileSync(STOCK_CONF)
        .replace(/^port .*$/m, `port ${port}`)
        .replace(/^dir .*$/m, `dir ${dir}`)
        .replace(/^pidfile .*$/m, `pidfile ${dir}/kache.pid`)
        .replace(/^logfile .*$/m, `logfile ${dir}/kache.log`) +
        `\nunixsocket ${socket}\nunixsocketperm 700\n`;
      Deno.writeTextFileSync(`${dir}/redis.conf`, conf);
      const child = spawnLogged(Deno.execPath(), [
        "run",
        "--allow-all",
        MAIN,
        "serve",
        `${dir}/redis.conf`,
        "--kache-port",
        "0",
      ]);
      try {
        const log = await waitForText(`${dir}/kache.log`, "ready", child.exited);
        assert.match(log, /ready: RESP on \d+/, `no ready line; log:\n${log}\n${child.output()}`);
        const warnings = log.split("\n").filter((line) => line.includes("have no effect"));
        assert.equal(warnings.length, 1, log);
        assert.match(warnings[0]!, / tcp-keepalive /);
        assert.match(warnings[0]!, / jemalloc-bg-thread/);
        // Implemented directives are not in the list.
        assert.doesNotMatch(warnings[0]!, / (databases|hz|daemonize|pidfile|logfile|save) /);
        // daemonize yes without a supervisor: told on stderr too, since the log is a file.
        assert.match(child.output(), /daemonize yes: Kache cannot fork/);
        assert.equal(await redisCli(["-p", String(port), "PING"]), "PONG");
        assert.equal(await redisCli(["-s", socket, "PING"]), "PONG");
        assert.equal(await redisCli(["-s", socket, "CONFIG", "GET", "databases"]), "databases\n16");
        assert.equal((Deno.statSync(socket).mode ?? 0) & 0o777, 0o700);
        assert.equal(Deno.readTextFileSync(`${dir}/kache.pid`).trim(), String(child.process.pid));
      } finally {
        await child.stop("SIGTERM");
      }
      assert.equal(exists(`${dir}/kache.pid`), false, "pid file removed at exit");
      assert.equal(exists(socket), false, "unix socket removed at exit");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

// 192.0.2.1 is TEST-NET-1 (RFC 5737): no host has it, so binding it fails with EADDRNOTAVAIL.
Deno.test("bind skips a -prefixed address the host does not have and refuses a plain one", async () => {
  const server = await startServer(["--bind", "127.0.0.1 -192.0.2.1"]);
  try {
    assert.match(server.output(), /Could not bind optional address 192\.0\.2\.1/);
    assert.equal(await redisCli(["-p", String(server.respPort), "PING"]), "PONG");
  } finally {
    await server.stop();
  }
  await assert.rejects(
    startServer(["--bind", "127.0.0.1 192.0.2.1"]),
    /Cannot start: Cannot assign requested address/,
  );
});
