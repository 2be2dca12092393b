/**
 * Kache against the original C++ server on the original's own benchmark
 * (4 threads, each blocking on every reply over the binary protocol, 5000
 * repeats of a 61-command list), servers alternating round by round.
 *
 *   deno task bench:original --source <checkout of github.com/sakkshm/kache>
 *                            [--rounds 3] [--repeats 5000] [--build <dir>]
 *                            [--load cpp|workers|both] [--floors <transport,…>]
 *
 * Builds the original from `--source` (a checkout, or a bare git directory
 * whose HEAD is archived) into `--build` (default a scratch folder) with its
 * own `make prod`, after three small patches that keep its code otherwise as
 * it is: the port comes from `KACHE_ORIGINAL_PORT` instead of a hard-coded
 * 1234 (so it runs beside other servers and benchmarks on the machine), the
 * server binds 127.0.0.1 instead of 0.0.0.0, and the benchmark's repeats come
 * from `KACHE_ORIGINAL_REPEATS` (default 5000, its own). `--load workers`
 * drives the same workload from bench/original_load.ts instead (`both` runs
 * each load in turn). `--floors` adds bench/transport_floor.ts servers to the
 * alternation: the ceiling of each transport on this workload.
 *
 * Reports the median of the rounds for requests/s, average and p99 latency,
 * and the server's CPU time per request (user + system, from
 * /proc/<pid>/stat), which moves far less than throughput on a shared
 * machine. A benchmark, not a test.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { freePort } from "../tests/support/server_process.ts";
import { cpuSeconds, median, startKache } from "./measure.ts";
import { runOriginalLoad } from "./original_load.ts";

/** The original's executables, built. */
export interface OriginalBuild {
  readonly main: string;
  readonly benchmark: string;
}

/** One patch to the original's source: `find` must occur exactly once in `file`. */
interface Patch {
  readonly file: string;
  readonly find: string;
  readonly replace: string;
}

const PORT_FROM_ENV = 'htons(getenv("KACHE_ORIGINAL_PORT") ? ' +
  'atoi(getenv("KACHE_ORIGINAL_PORT")) : PORT_NO)';

const PATCHES: readonly Patch[] = [
  { file: "src/main.cpp", find: "htons(PORT_NO)", replace: PORT_FROM_ENV },
  { file: "src/benchmark.cpp", find: "htons(PORT_NO)", replace: PORT_FROM_ENV },
  {
    file: "src/main.cpp",
    find: "#define IP_ADDR 0 ",
    replace: "#define IP_ADDR 0x7f000001 /* 127.0.0.1 */ ",
  },
  {
    file: "src/benchmark.cpp",
    find: "const int n_repeats = 5000;",
    replace: 'const int n_repeats = getenv("KACHE_ORIGINAL_REPEATS") ? ' +
      'atoi(getenv("KACHE_ORIGINAL_REPEATS")) : 5000;',
  },
];

/** Runs a program; throws with its output when it fails, or a hint when it is missing. */
async function run(
  program: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; hint?: string } = {},
): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(program, {
      args: [...args],
      cwd: options.cwd,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) {
      throw new Error(`${program} is not installed. ${options.hint ?? ""}`.trim());
    }
    throw cause;
  }
  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `${program} ${args.join(" ")} exited ${output.code}:\n${stdout}${
        decoder.decode(output.stderr)
      }`,
    );
  }
  return stdout;
}

const COMPILER_HINT = "The original C++ server needs g++ and make to build " +
  "(Debian: sudo apt-get install g++ make).";

/** Copies the original's source into `build`, patches it and runs its `make prod`. */
export async function buildOriginal(source: string, build: string): Promise<OriginalBuild> {
  await run("g++", ["--version"], { hint: COMPILER_HINT });
  await run("make", ["--version"], { hint: COMPILER_HINT });
  await Deno.remove(build, { recursive: true }).catch(() => {});
  await Deno.mkdir(build, { recursive: true });
  const isBareGit = await Deno.stat(`${source}/objects`).then(() => true, () => false);
  if (isBareGit) {
    const archive = `${build}/source.tar`;
    await run("git", ["--git-dir", source, "archive", "-o", archive, "HEAD"]);
    await run("tar", ["-xf", archive, "-C", build]);
    await Deno.remove(archive);
  } else {
    for (const part of ["Makefile", "src"]) {
      await run("cp", ["-R", `${source}/${part}`, `${build}/`]);
    }
  }
  for (const patch of PATCHES) {
    const path = `${build}/${patch.file}`;
    const text = await Deno.readTextFile(path);
    if (text.split(patch.find).length !== 2) {
      throw new Error(
        `The original's source is not the one this script knows: "${patch.find}" is not ` +
          `in ${patch.file} exactly once.`,
      );
    }
    await Deno.writeTextFile(
      path,
      `#include <cstdlib>\n${text.replace(patch.find, patch.replace)}`,
    );
  }
  await run("make", ["prod"], { cwd: build });
  return { main: `${build}/build/prod/main`, benchmark: `${build}/build/prod/benchmark` };
}

/** One run of a load against one server. */
export interface OriginalSample {
  readonly rps: number;
  /** Latencies in milliseconds. */
  readonly avg: number;
  readonly p99: number;
  /** The server's user + system CPU time per request, in microseconds. */
  readonly cpuMicros: number;
}

/** Runs the original's own benchmark against `port`; reads its printed summary. */
export async function runCppBenchmark(
  build: OriginalBuild,
  port: number,
  repeats: number,
): Promise<{ requests: number; rps: number; avg: number; p99: number }> {
  const output = await run(build.benchmark, [], {
    env: { KACHE_ORIGINAL_PORT: String(port), KACHE_ORIGINAL_REPEATS: String(repeats) },
  });
  const field = (label: string) => {
    const match = new RegExp(`^${label}: ([0-9.e+-]+)`, "m").exec(output);
    if (match === null) throw new Error(`The original benchmark printed no "${label}":\n${output}`);
    return Number(match[1]);
  };
  return {
    requests: field("Total requests"),
    rps: field("Throughput"),
    avg: field("Average latency"),
    p99: field("p99 latency"),
  };
}

/** A server under test: where it listens and its process id (for CPU time). */
interface RunningTarget {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Waits until `port` accepts a connection, for at most 10 s. */
async function waitForPort(port: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch (cause) {
      if (exited() || Date.now() > deadline) {
        throw new Error(`The original server did not listen on ${port}: ${cause}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Starts the original server on a free loopback port. */
export async function startOriginal(build: OriginalBuild): Promise<RunningTarget> {
  const port = freePort();
  const child = new Deno.Command(build.main, {
    env: { KACHE_ORIGINAL_PORT: String(port) },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return await listeningTarget(child, port, "SIGTERM");
}

/**
 * The target `child` becomes once it listens on `port`; killed if it does
 * not, stopped with `stopSignal`.
 */
async function listeningTarget(
  child: Deno.ChildProcess,
  port: number,
  stopSignal: Deno.Signal,
): Promise<RunningTarget> {
  let exited = false;
  const status = child.status.then(() => {
    exited = true;
  });
  try {
    await waitForPort(port, () => exited);
  } catch (cause) {
    if (!exited) child.kill("SIGKILL");
    await status;
    throw cause;
  }
  return {
    port,
    pid: child.pid,
    stop: async () => {
      if (!exited) child.kill(stopSignal);
      await status;
    },
  };
}

/** Starts `kache serve` as `deno task serve` runs it; the target is its binary-protocol port. */
export async function startKacheBinary(serveArgs: string[] = []): Promise<RunningTarget> {
  const server = await startKache(serveArgs);
  return { port: server.kachePort, pid: server.process.pid, stop: server.stop };
}

/** Starts a bench/transport_floor.ts server on a free loopback port. */
export async function startFloor(transport: string): Promise<RunningTarget> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--unstable-net",
      new URL("./transport_floor.ts", import.meta.url).pathname,
      transport,
      String(port),
    ],
    stdin: "null",
    stdout: "null",
    stderr: "inherit",
  }).spawn();
  return await listeningTarget(child, port, "SIGKILL");
}

/** Which load generator drives the workload. */
export type OriginalLoadKind = "cpp" | "workers";

/** Runs one load against a fresh server and stops it; the server's CPU time is part of the sample. */
export async function measureOriginal(
  start: () => Promise<RunningTarget>,
  load: OriginalLoadKind,
  build: OriginalBuild | undefined,
  repeats: number,
): Promise<OriginalSample> {
  const target = await start();
  try {
    const cpuBefore = await cpuSeconds(target.pid);
    const result = load === "cpp"
      ? await runCppBenchmark(build!, target.port, repeats)
      : await runOriginalLoad(target.port, { repeats });
    const cpu = await cpuSeconds(target.pid) - cpuBefore;
    return {
      rps: result.rps,
      avg: result.avg,
      p99: result.p99,
      cpuMicros: cpu / result.requests * 1e6,
    };
  } finally {
    await target.stop();
  }
}

interface OriginalOptions {
  readonly source: string | undefined;
  readonly build: string;
  readonly rounds: number;
  readonly repeats: number;
  readonly loads: readonly OriginalLoadKind[];
  /** bench/transport_floor.ts transports to run beside the two servers. */
  readonly floors: readonly string[];
  /** Kache once per listed `tcp-backend`, instead of once with its default. */
  readonly tcpBackends: readonly string[];
}

const USAGE = `Usage: deno task bench:original --source <dir> [options]

Runs the original C++ server's benchmark against the original server and against
Kache's binary protocol, alternating, and prints the medians.

Options:
  --source <dir>    the original's source: a checkout of https://github.com/sakkshm/kache
                    or a bare git directory (default: $KACHE_ORIGINAL_SOURCE)
  --build <dir>     where it is built (default: $TMPDIR/kache-original)
  --rounds <n>      rounds, each running every load on both servers (default 3)
  --repeats <n>     repeats of the 61-command list per connection (default 5000, the original's)
  --load <kind>     cpp (the original's own benchmark, default), workers
                    (bench/original_load.ts), or both
  --floors <list>   also run these bench/transport_floor.ts servers (comma-separated:
                    read-await, read-nowait, nodelay, readable, node-net, epoll, epoll-spin,
                    epoll-promise)
  --tcp-backends <list>
                    run Kache once per listed tcp-backend (comma-separated: epoll, deno)
                    instead of once with its default
  --help            this text
`;

function parseOriginalArgs(args: readonly string[]): OriginalOptions | "help" {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    options: {
      source: { type: "string" },
      build: { type: "string" },
      rounds: { type: "string" },
      repeats: { type: "string" },
      load: { type: "string" },
      floors: { type: "string" },
      "tcp-backends": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return "help";
  const count = (flag: string, text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new Error(`--${flag} must be a positive integer, got "${text}"`);
    }
    return value;
  };
  const load = values.load ?? "cpp";
  if (load !== "cpp" && load !== "workers" && load !== "both") {
    throw new Error(`--load must be cpp, workers or both, got "${load}"`);
  }
  return {
    source: values.source ?? Deno.env.get("KACHE_ORIGINAL_SOURCE"),
    build: values.build ?? `${Deno.env.get("TMPDIR") ?? "/tmp"}/kache-original`,
    rounds: count("rounds", values.rounds, 3),
    repeats: count("repeats", values.repeats, 5000),
    loads: load === "both" ? ["cpp", "workers"] : [load],
    floors: values.floors === undefined ? [] : values.floors.split(",").filter((name) => name),
    tcpBackends: (values["tcp-backends"] ?? "").split(",").filter((name) => name),
  };
}

function format(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "–";
}

/** Runs the comparison; returns the exit code. */
async function runOriginal(args: string[]): Promise<number> {
  let options: OriginalOptions | "help";
  try {
    options = parseOriginalArgs(args);
  } catch (error) {
    console.error(`bench:original: ${error instanceof Error ? error.message : String(error)}`);
    console.error(USAGE);
    return 1;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  if (options.source === undefined) {
    console.error(
      "bench:original: no source for the original server. Get it with\n" +
        "  git clone https://github.com/sakkshm/kache <dir>\n" +
        "and run deno task bench:original --source <dir>",
    );
    return 1;
  }
  let build: OriginalBuild;
  try {
    console.error(`[original] building ${options.source} in ${options.build}`);
    build = await buildOriginal(options.source, options.build);
  } catch (error) {
    console.error(`bench:original: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const servers: Record<string, () => Promise<RunningTarget>> = {
    original: () => startOriginal(build),
  };
  if (options.tcpBackends.length === 0) servers.kache = () => startKacheBinary();
  for (const backend of options.tcpBackends) {
    servers[`kache ${backend}`] = () => startKacheBinary(["--tcp-backend", backend]);
  }
  for (const transport of options.floors) {
    servers[`floor ${transport}`] = () => startFloor(transport);
  }
  const samples = new Map<string, OriginalSample[]>();
  for (let round = 1; round <= options.rounds; round++) {
    for (const load of options.loads) {
      for (const [name, start] of Object.entries(servers)) {
        console.error(`[original] round ${round}/${options.rounds}: ${load} load against ${name}`);
        const sample = await measureOriginal(start, load, build, options.repeats);
        console.error(
          `[original]   ${format(sample.rps, 0)} req/s, p99 ${format(sample.p99, 3)} ms, ` +
            `${format(sample.cpuMicros, 1)} µs CPU/request`,
        );
        const key = `${load}\t${name}`;
        samples.set(key, [...samples.get(key) ?? [], sample]);
      }
    }
  }
  const loadNames = { cpp: "the original's benchmark", workers: "bench/original_load.ts" };
  const lines = [
    `# Kache vs the original C++ server on its benchmark`,
    "",
    `${
      new Date().toISOString()
    }, ${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno}; ` +
    `4 connections × ${options.repeats} × 61 requests; medians of ${options.rounds} ` +
    "alternating rounds, a fresh server per run.",
    "",
    "| load | server | req/s | ×original | avg ms | p99 ms | ×original | " +
    "server CPU µs/request | ×original |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const load of options.loads) {
    const middle = (name: string): OriginalSample => {
      const list = samples.get(`${load}\t${name}`) ?? [];
      return {
        rps: median(list.map((sample) => sample.rps)),
        avg: median(list.map((sample) => sample.avg)),
        p99: median(list.map((sample) => sample.p99)),
        cpuMicros: median(list.map((sample) => sample.cpuMicros)),
      };
    };
    const original = middle("original");
    for (const name of Object.keys(servers)) {
      const row = middle(name);
      lines.push(
        `| ${loadNames[load]} | ${name} | ${format(row.rps, 0)} | ` +
          `${format(row.rps / original.rps, 2)}× | ${format(row.avg, 3)} | ` +
          `${format(row.p99, 3)} | ${format(row.p99 / original.p99, 2)}× | ` +
          `${format(row.cpuMicros, 1)} | ${format(row.cpuMicros / original.cpuMicros, 2)}× |`,
      );
    }
  }
  console.log(lines.join("\n"));
  return 0;
}

if (import.meta.main) Deno.exit(await runOriginal(Deno.args));
