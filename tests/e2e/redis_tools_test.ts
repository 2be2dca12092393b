/**
 * Redis's own tools against Kache: redis-cli's one-shot, piped, --pipe and
 * --scan modes print exactly what they print against Debian's redis-server,
 * and redis-benchmark runs its standard tests against Kache without errors.
 *
 * Scores used here are exact in binary (1.5, 2.25 …), where Redis 7.0's
 * %.17g and Kache's shortest round-trip form print the same text, so the
 * output can be compared byte for byte.
 */
import assert from "node:assert/strict";
import { bytesToString, stringToBytes } from "../../lib/bytes.ts";
import { requireTool, startRedis } from "../support/redis_process.ts";
import { startServer } from "../support/server_process.ts";

interface ToolRun {
  readonly code: number;
  /** One char per byte, so binary output compares exactly. */
  readonly stdout: string;
  readonly stderr: string;
}

async function runTool(tool: string, args: string[], stdin?: string): Promise<ToolRun> {
  const child = new Deno.Command(tool, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(stringToBytes(stdin));
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  return { code, stdout: bytesToString(stdout), stderr: bytesToString(stderr) };
}

/** Runs `body` with a reference redis-server and a Kache server, stopping both whatever happens. */
async function withBoth(body: (redisPort: number, kachePort: number) => Promise<void>) {
  await requireTool("redis-cli");
  const redis = await startRedis();
  try {
    const kache = await startServer();
    try {
      await body(redis.port, kache.respPort);
    } finally {
      await kache.stop();
    }
  } finally {
    await redis.stop();
  }
}

interface CliCase {
  readonly args: readonly string[];
  /** Bytes for redis-cli's stdin (one char per byte). */
  readonly stdin?: string;
  /** Compare stdout as a sorted set of lines (for SCAN order, which is unspecified). */
  readonly sortLines?: boolean;
}

/**
 * Runs every case with redis-cli against Redis and then against Kache, in the
 * same order, and fails listing every case whose exit code, stdout or stderr
 * differ.
 */
async function compareCli(redisPort: number, kachePort: number, cases: readonly CliCase[]) {
  const differences: string[] = [];
  const normalize = (output: string, sortLines: boolean | undefined) =>
    sortLines ? output.split("\n").sort().join("\n") : output;
  for (const { args, stdin, sortLines } of cases) {
    // The servers are independent, so both runs of a case go at once.
    const [redis, kache] = await Promise.all([
      runTool("redis-cli", ["-p", String(redisPort), ...args], stdin),
      runTool("redis-cli", ["-p", String(kachePort), ...args], stdin),
    ]);
    const same = redis.code === kache.code &&
      normalize(redis.stdout, sortLines) === normalize(kache.stdout, sortLines) &&
      redis.stderr === kache.stderr;
    if (!same) {
      differences.push(
        `redis-cli ${args.join(" ")}${
          stdin === undefined ? "" : ` <<< ${JSON.stringify(stdin)}`
        }\n` +
          `  redis: exit ${redis.code}, stdout ${JSON.stringify(redis.stdout)}, ` +
          `stderr ${JSON.stringify(redis.stderr)}\n` +
          `  kache: exit ${kache.code}, stdout ${JSON.stringify(kache.stdout)}, ` +
          `stderr ${JSON.stringify(kache.stderr)}`,
      );
    }
  }
  if (differences.length > 0) {
    assert.fail(`redis-cli output differs:\n${differences.join("\n")}`);
  }
}

const ALL_BYTES = Array.from({ length: 256 }, (_, byte) => String.fromCharCode(byte)).join("");

async function cliOneShot(redisPort: number, kachePort: number): Promise<void> {
  await compareCli(redisPort, kachePort, [
    { args: ["ping"] },
    { args: ["--no-raw", "ping"] },
    { args: ["set", "a", "1"] },
    { args: ["get", "a"] },
    { args: ["--no-raw", "get", "a"] },
    { args: ["get", "missing"] },
    { args: ["--no-raw", "get", "missing"] },
    { args: ["incr", "a"] },
    { args: ["--no-raw", "incr", "a"] },
    { args: ["-r", "3", "incr", "counter"] },
    { args: ["--no-raw", "incrbyfloat", "f", "2.5"] },
    { args: ["set", "spaced key", "a value with spaces"] },
    { args: ["--no-raw", "get", "spaced key"] },
    { args: ["set", "unicode", "héllo ✓"] },
    { args: ["get", "unicode"] },
    { args: ["--no-raw", "get", "unicode"] },
    { args: ["-x", "set", "bin"], stdin: ALL_BYTES },
    { args: ["get", "bin"] },
    { args: ["--no-raw", "get", "bin"] },
    { args: ["strlen", "bin"] },
    { args: ["--no-raw", "getrange", "bin", "0", "40"] },
    { args: ["mset", "k1", "v1", "k2", "v2"] },
    { args: ["mget", "k1", "missing", "k2"] },
    { args: ["--no-raw", "mget", "k1", "missing", "k2"] },
    { args: ["--no-raw", "exists", "k1", "k2", "missing"] },
    { args: ["expire", "k1", "1000"] },
    { args: ["--no-raw", "ttl", "k2"] },
    { args: ["--no-raw", "persist", "k1"] },
    { args: ["zadd", "z", "1.5", "a", "2.25", "b", "-3", "c", "inf", "d"] },
    { args: ["zrange", "z", "0", "-1", "withscores"] },
    { args: ["--no-raw", "zrange", "z", "0", "-1", "withscores"] },
    { args: ["--no-raw", "zrange", "z", "(1.5", "+inf", "byscore"] },
    { args: ["--no-raw", "zscore", "z", "b"] },
    { args: ["--no-raw", "zscore", "z", "d"] },
    { args: ["--no-raw", "zmscore", "z", "a", "nope"] },
    { args: ["--no-raw", "zrank", "z", "nope"] },
    { args: ["--no-raw", "zincrby", "z", "0.5", "a"] },
    { args: ["-3", "--no-raw", "zscore", "z", "a"] },
    { args: ["-3", "--no-raw", "zrange", "z", "0", "-1", "withscores"] },
    { args: ["-3", "zrange", "z", "0", "-1", "withscores"] },
    { args: ["-3", "--no-raw", "get", "missing"] },
    { args: ["-3", "--no-raw", "zpopmin", "z", "2"] },
    { args: ["--no-raw", "zpopmax", "z"] },
    { args: ["--no-raw", "zrange", "missing", "0", "-1"] },
    { args: ["--no-raw", "type", "z"] },
    { args: ["type", "a"] },
    { args: ["get", "z"] },
    { args: ["--no-raw", "get", "z"] },
    { args: ["--no-raw", "incr", "bin"] },
    { args: ["--no-raw", "set", "a"] },
    { args: ["--no-raw", "nosuchcommand", "x"] },
    { args: ["--no-raw", "echo", "one\ntwo"] },
    { args: ["echo", "one\ntwo"] },
    { args: ["--no-raw", "config", "get", "timeout"] },
    { args: ["--no-raw", "del", "a", "z", "missing"] },
    { args: ["--no-raw", "dbsize"] },
  ]);
}

async function cliFromPipe(redisPort: number, kachePort: number): Promise<void> {
  const sessions = [
    "set a 1\nget a\n",
    "incr a\nincrby a 10\ndecr a\nget a\nincr nothere\n",
    'set "key with spaces" "value\\twith\\x41escapes"\nget "key with spaces"\n',
    "zadd z 1 a 2 b 3.5 c\nzrange z 0 -1 withscores\nzrangebyscore z (1 +inf\nzcard z\n",
    "multi\nincr n\nincr n\nget n\nexec\n",
    "multi\nset x\nexec\n",
    "get z\nnosuch command here\nset a\nping\n",
    "exists a z missing\ndel a\nexists a\ntype z\nttl z\n",
    "zpopmin z\nzpopmax z 5\nzrange z 0 -1\n",
    'set s hello\nappend s " world"\ngetrange s -5 -1\nsetrange s 0 J\nget s\nstrlen s\n',
  ];
  await compareCli(redisPort, kachePort, [
    ...sessions.map((stdin) => ({ args: [], stdin })),
    ...sessions.map((stdin) => ({ args: ["--no-raw"], stdin })),
  ]);
}

async function cliPipeAndScan(redisPort: number, kachePort: number): Promise<void> {
  const encode = (argv: string[]) =>
    `*${argv.length}\r\n${argv.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join("")}`;
  let protocol = "";
  for (let i = 0; i < 500; i++) protocol += encode(["SET", `key:${i}`, `value ${i}`]);
  for (let i = 0; i < 100; i++) protocol += encode(["ZADD", "scores", String(i), `member${i}`]);
  protocol += encode(["INCR", "pipe:counter"]);
  const cases: CliCase[] = [
    { args: ["--pipe"], stdin: protocol },
    { args: ["--no-raw", "dbsize"] },
    { args: ["--no-raw", "zrange", "scores", "95", "-1", "withscores"] },
    { args: ["--scan", "--pattern", "key:4*"], sortLines: true },
    { args: ["--scan", "--count", "7"], sortLines: true },
    { args: ["--no-raw", "get", "key:499"] },
  ];
  await compareCli(redisPort, kachePort, cases);
  // Beyond matching Redis, check what --pipe reported in absolute terms.
  const run = await runTool("redis-cli", ["-p", String(kachePort), "--pipe"], protocol);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /errors: 0, replies: 601/);
}

/** The names redis-benchmark's -q output uses for `-t ping,set,get,incr,mset,zadd,zpopmin`. */
const BENCHMARK_TESTS = [
  "PING_INLINE",
  "PING_MBULK",
  "SET",
  "GET",
  "INCR",
  "ZADD",
  "ZPOPMIN",
  "MSET (10 keys)",
];

const STANDARD_RUN = ["-t", "ping,set,get,incr,mset,zadd,zpopmin", "-n", "2000", "-c", "10", "-q"];

async function benchmark(port: number, args: string[]): Promise<ToolRun> {
  await requireTool("redis-benchmark");
  return await runTool("redis-benchmark", ["-p", String(port), ...args]);
}

function assertBenchmarkClean(run: ToolRun): void {
  const output = run.stdout + run.stderr;
  assert.equal(run.code, 0, `redis-benchmark exited with ${run.code}:\n${output}`);
  // -q redraws a progress line with \r; the final result follows the last \r.
  const lines = run.stdout.split("\n").map((line) => line.split("\r").at(-1)!.trim());
  for (const test of BENCHMARK_TESTS) {
    const escaped = test.replace(/[()]/g, "\\$&");
    assert.ok(
      lines.some((line) => new RegExp(`^${escaped}: [0-9.]+ requests per second`).test(line)),
      `no requests-per-second line for ${test}:\n${output}`,
    );
  }
  assert.doesNotMatch(output, /ERR|error/i);
}

async function benchmarkRuns(_redisPort: number, kachePort: number): Promise<void> {
  assertBenchmarkClean(await benchmark(kachePort, STANDARD_RUN));
  assertBenchmarkClean(await benchmark(kachePort, [...STANDARD_RUN, "-P", "16"]));
}

/**
 * redis-benchmark starts with CONFIG GET save and CONFIG GET appendonly and
 * warns "Could not fetch server CONFIG" when either reply is not a pair.
 */
async function benchmarkReadsConfig(redisPort: number, kachePort: number): Promise<void> {
  const redis = await benchmark(redisPort, ["-t", "ping", "-n", "100", "-q"]);
  assert.equal(redis.stderr, "", "the reference redis-server should not warn");
  const kache = await benchmark(kachePort, ["-t", "ping", "-n", "100", "-q"]);
  assert.equal(kache.stderr, "");
}

/**
 * One redis-server and one Kache serve every step (a server start costs more
 * than most steps on a loaded machine); each step starts from empty servers.
 */
Deno.test("Redis's own tools work against Kache as they do against Redis", async (t) => {
  await withBoth(async (redisPort, kachePort) => {
    const steps: [string, (redisPort: number, kachePort: number) => Promise<void>][] = [
      ["redis-cli one-shot commands print the same", cliOneShot],
      ["redis-cli reading commands from a pipe prints the same", cliFromPipe],
      ["redis-cli --pipe mass insertion and --scan work the same", cliPipeAndScan],
      ["redis-benchmark runs its standard tests without errors", benchmarkRuns],
      ["redis-benchmark reads the configuration without a warning", benchmarkReadsConfig],
    ];
    for (const [name, run] of steps) {
      await t.step(name, async () => {
        for (const port of [redisPort, kachePort]) {
          const flushed = await runTool("redis-cli", ["-p", String(port), "flushall"]);
          assert.equal(flushed.stdout, "OK\n");
        }
        await run(redisPort, kachePort);
      });
    }
  });
});
