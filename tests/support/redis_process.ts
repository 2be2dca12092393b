/**
 * Starts Debian's `redis-server` on a free loopback port as the reference
 * for differential and real-tool tests, and always stops it: wrap test
 * bodies in {@link withRedis}.
 *
 * A missing Redis never skips a test: the comparison is the point of these
 * tests, so a machine without the reference fails loudly, saying how to get
 * it (`deno task test` installs it first via `tests/support/ensure_tools.ts`).
 *
 * @module
 */
import { freePort } from "./server_process.ts";
import { spawnLogged } from "./child_process.ts";

export interface RunningRedis {
  readonly port: number;
  readonly process: Deno.ChildProcess;
  /** Everything redis-server logged so far. */
  output(): string;
  /** Sends SIGTERM (SIGKILL after 5 s) and waits for exit; safe to call twice. */
  stop(): Promise<void>;
}

/** The error a test fails with when a reference tool is missing. */
export function missingToolMessage(tool: string): string {
  const hint = Deno.env.get("CI") === "true"
    ? "CI must install the reference Redis before the tests (.ci/run does: " +
      "apt-get install -y redis-server redis-tools)."
    : "Install it with: sudo apt-get install redis-server redis-tools " +
      "(or run `deno task test`, which installs it when run as root).";
  return `${tool} is not installed, and the differential tests need it as the reference. ${hint}`;
}

/**
 * Throws (failing the test) unless `tool` runs. Returns its `--version` line.
 * Never skips, with or without `CI=true`; only the advice differs.
 */
export async function requireTool(tool: string): Promise<string> {
  try {
    const { success, stdout } = await new Deno.Command(tool, {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
      stdin: "null",
    }).output();
    if (success) return new TextDecoder().decode(stdout).trim();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  throw new Error(missingToolMessage(tool));
}

/** True once a PING on `port` gets `+PONG` back. */
async function answersPing(port: number): Promise<boolean> {
  let conn: Deno.TcpConn | undefined;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("PING\r\n"));
    const buffer = new Uint8Array(64);
    let text = "";
    while (!text.includes("\r\n")) {
      const count = await conn.read(buffer);
      if (count === null) return false;
      text += new TextDecoder().decode(buffer.subarray(0, count));
    }
    return text.startsWith("+PONG");
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

async function startOnce(
  port: number,
  extraArgs: readonly string[],
): Promise<RunningRedis | "port-taken"> {
  // Its own directory, so a test's SAVE never writes (or a start reads) the checkout's dump.rdb.
  const dir = await Deno.makeTempDir({ prefix: "kache-redis-" });
  const child = spawnLogged("redis-server", [
    ...["--save", "", "--appendonly", "no", "--dir", dir],
    ...["--port", String(port), "--bind", "127.0.0.1", "--daemonize", "no"],
    ...extraArgs,
  ], { killAfterMs: 5_000 });
  const stop = async () => {
    await child.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  const started = Date.now();
  // Ours is up only once it logged being ready: a PING alone could reach another test's server
  // that took the port first, while this one is still failing to bind.
  while (!/Ready to accept connections/.test(child.output()) || !(await answersPing(port))) {
    if (child.exited()) {
      await stop();
      if (/address already in use/i.test(child.output())) return "port-taken";
      throw new Error(`redis-server exited before answering PING:\n${child.output()}`);
    }
    if (Date.now() - started > 20_000) {
      await stop();
      throw new Error(`redis-server did not answer PING within 20 s:\n${child.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { port, process: child.process, output: child.output, stop };
}

/**
 * Starts a reference redis-server on a free loopback port, answering PING;
 * `extraArgs` (e.g. `--repl-diskless-sync no`) come after the defaults.
 */
export async function startRedis(extraArgs: readonly string[] = []): Promise<RunningRedis> {
  await requireTool("redis-server");
  // freePort() can race with another test taking the port; a few tries settle it.
  for (let attempt = 0; attempt < 5; attempt++) {
    const started = await startOnce(freePort(), extraArgs);
    if (started !== "port-taken") return started;
  }
  throw new Error("redis-server could not bind a free port after 5 tries");
}

/** Runs `body` against a fresh redis-server and stops it whatever happens. */
export async function withRedis(body: (redis: RunningRedis) => Promise<void>): Promise<void> {
  const redis = await startRedis();
  try {
    await body(redis);
  } finally {
    await redis.stop();
  }
}
