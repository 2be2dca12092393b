/**
 * SLOWLOG and LATENCY as an operator sees them in `redis-cli`: the same
 * redis-cli invocations against redis-server 7.0 and Kache print the same
 * text, once timestamps, durations and client ports are masked. (MONITOR
 * through redis-cli is in tests/e2e/introspection_test.ts.)
 */
import assert from "node:assert/strict";
import { requireTool, startRedis } from "../support/redis_process.ts";
import { startServer } from "../support/server_process.ts";

/** What `redis-cli --no-raw -p port …args` prints (its formatted, human output). */
async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout, stderr } = await new Deno.Command("redis-cli", {
    args: ["--no-raw", "-p", String(port), ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
}

/** Masks what differs between two runs: Unix times, client ports. */
function masked(text: string): string {
  return text
    .replace(/\(integer\) 1[0-9]{9}\b/g, "(integer) <unix time>")
    .replace(/127\.0\.0\.1:[0-9]+/g, "127.0.0.1:<port>");
}

/** Runs `session` against redis-server and Kache, both with DEBUG enabled, and returns both outputs. */
async function onBoth(session: (port: number) => Promise<string>): Promise<[string, string]> {
  await requireTool("redis-cli");
  const redis = await startRedis(["--enable-debug-command", "yes"]);
  try {
    const kache = await startServer(["--enable-debug-command", "yes"]);
    try {
      return [await session(redis.port), await session(kache.respPort)];
    } finally {
      await kache.stop();
    }
  } finally {
    await redis.stop();
  }
}

Deno.test("redis-cli prints SLOWLOG GET, LEN and RESET for Kache as for redis-server", async () => {
  const [fromRedis, fromKache] = await onBoth(async (port) => {
    const out: string[] = [];
    out.push(await cli(port, "CONFIG", "SET", "slowlog-log-slower-than", "0"));
    out.push(await cli(port, "SLOWLOG", "RESET"));
    out.push(await cli(port, "SET", "key", "value"));
    out.push(await cli(port, "CLIENT", "SETNAME", "named"));
    out.push(await cli(port, "SLOWLOG", "LEN"));
    // Each entry's third field is its duration in µs: masked, it differs run to run.
    out.push(
      (await cli(port, "SLOWLOG", "GET", "3"))
        .replace(/^( +3\) \(integer\) )[0-9]+$/gm, "$1<µs>"),
    );
    out.push(await cli(port, "CONFIG", "SET", "slowlog-max-len", "1"));
    out.push(await cli(port, "SLOWLOG", "LEN"));
    out.push(await cli(port, "CONFIG", "SET", "slowlog-log-slower-than", "-1"));
    out.push(await cli(port, "SLOWLOG", "RESET"));
    out.push(await cli(port, "SLOWLOG", "GET"));
    out.push(await cli(port, "SLOWLOG", "HELP"));
    return masked(out.join(""));
  });
  assert.equal(fromKache, fromRedis);
  assert.match(fromKache, /4\) 1\) "SET"\n {6}2\) "key"\n {6}3\) "value"/);
});

Deno.test("redis-cli prints LATENCY LATEST, HISTORY and DOCTOR for Kache as for redis-server", async () => {
  const sleeps: number[] = [];
  const [fromRedis, fromKache] = await onBoth(async (port) => {
    const out: string[] = [];
    out.push(await cli(port, "CONFIG", "SET", "latency-monitor-threshold", "100"));
    out.push(await cli(port, "DEBUG", "SLEEP", "0.2"));
    const latest = await cli(port, "LATENCY", "LATEST");
    // The event's latest and worst ms: at least the 200 ms slept, more on a busy machine.
    const ms = [...latest.matchAll(/^ +[34]\) \(integer\) ([0-9]+)$/gm)].map((m) => Number(m[1]));
    sleeps.push(...ms);
    out.push(latest.replace(/^( +[34]\) \(integer\) )[0-9]+$/gm, "$1<ms>"));
    out.push(
      (await cli(port, "LATENCY", "HISTORY", "command"))
        .replace(/^( +2\) \(integer\) )[0-9]+$/gm, "$1<ms>"),
    );
    out.push((await cli(port, "LATENCY", "DOCTOR")).replace(/[0-9]+ms/g, "<n>ms"));
    out.push(await cli(port, "LATENCY", "RESET"));
    out.push(await cli(port, "LATENCY", "LATEST"));
    return masked(out.join(""));
  });
  assert.equal(fromKache, fromRedis);
  assert.match(fromKache, /1\) 1\) "command"/);
  assert.equal(sleeps.length, 4);
  for (const ms of sleeps) assert.ok(ms >= 200, `${ms} ms`);
});
