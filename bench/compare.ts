/**
 * Kache against Redis on the same machine, with the same load, in alternation.
 *
 *   deno task bench:compare [--rounds 3] [--requests 400000] [--keys 1000000]
 *                           [--members 1000000] [--original <source>] [--quick]
 *                           [--out bench/results]
 *
 * Starts Debian's `redis-server` (persistence off) and `kache serve` on free
 * loopback ports and, round after round, runs each load against Redis then
 * Kache: redis-benchmark's set/get/incr/zadd, the same pipelined, a
 * `ZRANGE myzset 0 9` custom command, and `kache bench` over RESP with its
 * Redis-style tests. Then, on fresh servers, memory per key (1M SETs with
 * 16-byte values, VmRSS growth over the RSS right after startup) and a
 * big-offset `ZRANGE … BYSCORE LIMIT` on a 1M-member sorted set. The original
 * C++ server's workload (4 connections, each blocking on every reply, binary
 * protocol) runs against Kache every round, driven by bench/original_load.ts:
 * a Worker per connection on a blocking socket, a load generator as light as
 * the original's own C++ benchmark, where `kache bench` in one event loop
 * was the bottleneck. With `--original <source>` the original server is built
 * (bench/original.ts) and its own benchmark runs against it and Kache too.
 *
 * Alternation (A B A B …) and medians over rounds are the decisions that
 * shape it: on a small shared machine, drift (thermal, other tenants, page
 * cache) moves numbers by more than the differences measured, and running
 * each load back to back on both servers spreads that drift evenly.
 *
 * Runs are sustained by default (≥ 5 s per test, keys drawn at random among
 * a million): the numbers users get once the collector does real work, not
 * those of a short run over a few hot keys. `--quick` is a smoke run and
 * writes into a scratch folder, never over the tracked results.
 *
 * Writes `latest.md` (Markdown tables with date, machine and versions) and
 * `latest.svg` (per test, Kache's throughput, p50 and p99 as multiples of
 * Redis's; memory per key of both) into `--out`, and prints the Markdown.
 * A benchmark, not a test: it prints numbers and asserts nothing about them.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { respProtocol, zsetSetupCommands } from "../cli/bench_workload.ts";
import type { BenchResult } from "../cli/bench_report.ts";
import { KacheConnection } from "../cli/connection.ts";
import type { ClientReply } from "../lib/protocol/resp_reply.ts";
import { KACHE_VERSION } from "../lib/version.ts";
import { MAIN } from "../tests/support/server_process.ts";
import { requireTool, type RunningRedis, startRedis } from "../tests/support/redis_process.ts";
import { median, type RunningKache, startKache } from "./measure.ts";
import {
  buildOriginal,
  measureOriginal,
  type OriginalSample,
  startKacheBinary,
  startOriginal,
} from "./original.ts";
import { ORIGINAL_CONNECTIONS, runOriginalLoad } from "./original_load.ts";

export { median };

/** Settings of one comparison. */
export interface CompareOptions {
  readonly rounds: number;
  /** Requests per test per round (pipelined tests send 10×, being several times faster). */
  readonly requests: number;
  /** Keys loaded for the memory comparison. */
  readonly keys: number;
  /** Members of the sorted set for the big-offset query. */
  readonly members: number;
  /** Timed calls of the big-offset query per server. */
  readonly offsetCalls: number;
  readonly connections: number;
  /** Directory that receives latest.md and latest.svg. */
  readonly out: string;
  readonly quick: boolean;
  /** The original C++ server's source, to build and compare with on its own benchmark. */
  readonly original: string | undefined;
}

/**
 * Pipelined tests send this many times the requests: at -P 16 both servers
 * run 5–15× faster, and a sustained run (≥ 5 s a test) is what users get;
 * short runs end before the garbage collector does real work.
 */
const PIPELINED_FACTOR = 10;
/** Keys are drawn at random among this many (redis-benchmark's -r). */
const RANDOM_KEYS = 1_000_000;
/** Where --quick writes when no --out is given: a scratch folder, never bench/results. */
const QUICK_OUT = `${Deno.env.get("TMPDIR") ?? "/tmp"}/kache-bench-compare-quick`;

const USAGE = `Usage: deno task bench:compare [options]

Compares Kache with Debian's redis-server under the same loads, in alternation.

Options:
  --rounds <n>     rounds of every load on both servers (default 3; at least 1)
  --requests <n>   requests per test per round (default 400000, >= 5 s a test even at 80k/s;
                   pipelined tests send 10x), on random keys among 1M (-r 1000000)
  --keys <n>       keys for the memory comparison (default 1000000)
  --members <n>    sorted-set members for the big-offset query (default 1000000)
  --out <dir>      where latest.md and latest.svg go (default bench/results; with
                   --quick a scratch folder outside the repository)
  --original <dir> also build the original C++ server from this source (a checkout of
                   https://github.com/sakkshm/kache) and run its own benchmark against it
                   and Kache, alternating (needs g++ and make)
  --quick          a short run: 2000 requests, 1 round, 100000 keys and members
  --help           this text
`;

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${flag} must be a positive integer, got "${text}"`);
  }
  return value;
}

/** Parses the flags; `"help"` when help was asked for. */
export function parseCompareArgs(args: readonly string[]): CompareOptions | "help" {
  const { values } = parseArgs({
    args: [...args],
    strict: true,
    allowPositionals: false,
    options: {
      rounds: { type: "string" },
      requests: { type: "string" },
      keys: { type: "string" },
      members: { type: "string" },
      out: { type: "string" },
      original: { type: "string" },
      quick: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (values.help) return "help";
  const quick = values.quick ?? false;
  const pick = (flag: "rounds" | "requests" | "keys" | "members", normal: number, short: number) =>
    values[flag] === undefined
      ? (quick ? short : normal)
      : positiveInteger(`--${flag}`, values[flag]);
  return {
    rounds: pick("rounds", 3, 1),
    requests: pick("requests", 400_000, 2000),
    keys: pick("keys", 1_000_000, 100_000),
    members: pick("members", 1_000_000, 100_000),
    offsetCalls: quick ? 3 : 9,
    connections: 50,
    // A quick run's numbers are not worth keeping: they never overwrite the tracked results.
    out: values.out ??
      (quick ? QUICK_OUT : new URL("./results", import.meta.url).pathname),
    quick,
    original: values.original,
  };
}

/** One measurement of one test on one server. */
interface Sample {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Error replies and lost connections (redis-benchmark stops at the first error instead). */
  readonly errors: number;
}

type Target = "redis" | "kache";
const TARGETS: readonly Target[] = ["redis", "kache"];

/** Samples per row (load + test) and target, in the order rows first appeared. */
class Samples {
  readonly rows: string[] = [];
  readonly #data = new Map<string, Record<Target, Sample[]>>();

  add(row: string, target: Target, sample: Sample): void {
    let entry = this.#data.get(row);
    if (entry === undefined) {
      entry = { redis: [], kache: [] };
      this.#data.set(row, entry);
      this.rows.push(row);
    }
    entry[target].push(sample);
  }

  get(row: string, target: Target): readonly Sample[] {
    return this.#data.get(row)?.[target] ?? [];
  }
}

/** Parses CSV with double-quoted fields (redis-benchmark's and kache bench's --csv). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const fields: string[] = [];
    let field = "";
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const char = line[i]!;
      if (quoted) {
        if (char === '"' && line[i + 1] === '"') {
          field += '"';
          i++;
        } else if (char === '"') quoted = false;
        else field += char;
      } else if (char === '"') quoted = true;
      else if (char === ",") {
        fields.push(field);
        field = "";
      } else if (char !== "\r") field += char;
    }
    fields.push(field);
    rows.push(fields);
  }
  return rows;
}

interface ToolRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A subprocess that takes longer than this is stuck: it is killed and reported. */
const TOOL_TIMEOUT_MS = 300_000;

/** Runs a program to completion, killing it after {@link TOOL_TIMEOUT_MS}. */
async function runTool(program: string, args: readonly string[]): Promise<ToolRun> {
  const child = new Deno.Command(program, {
    args: [...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Exited meanwhile.
    }
  }, TOOL_TIMEOUT_MS);
  try {
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Problems worth a line in the report (errors from the tools, mismatched replies), with counts. */
const problems = new Map<string, number>();

function note(problem: string): void {
  problems.set(problem, (problems.get(problem) ?? 0) + 1);
  log(`problem: ${problem}`);
}

function log(text: string): void {
  console.error(`[compare] ${text}`);
}

/** What one load produced on one server: a sample per test title. */
type LoadOutcome = Map<string, Sample>;

/** Runs redis-benchmark with `args` on `port` and reads its --csv rows. */
async function redisBenchmark(
  port: number,
  args: readonly string[],
  where: string,
): Promise<LoadOutcome> {
  const fullArgs = ["-h", "127.0.0.1", "-p", String(port), "-q", "--csv", ...args];
  const run = await runTool("redis-benchmark", fullArgs);
  const outcome: LoadOutcome = new Map();
  const rows = parseCsv(run.stdout);
  const header = rows[0] ?? [];
  const column = (name: string) => header.indexOf(name);
  const [rps, p50, p99] = [column("rps"), column("p50_latency_ms"), column("p99_latency_ms")];
  for (const row of rows.slice(1)) {
    if (rps < 0 || row.length !== header.length) continue;
    outcome.set(row[0]!, {
      rps: Number(row[rps]),
      p50: p50 < 0 ? NaN : Number(row[p50]),
      p99: p99 < 0 ? NaN : Number(row[p99]),
      errors: 0,
    });
  }
  const stderr = run.stderr.trim();
  if (run.code !== 0 || stderr !== "" || outcome.size === 0) {
    note(
      `redis-benchmark ${fullArgs.join(" ")} against ${where} exited ${run.code}` +
        (stderr === "" ? "" : `: ${stderr.split("\n").slice(0, 3).join(" / ")}`),
    );
  }
  return outcome;
}

/** Runs `kache bench` as its own process with `args` and reads its --json results. */
async function kacheBench(args: readonly string[], where: string): Promise<LoadOutcome> {
  const fullArgs = ["bench", ...args, "--json"];
  const run = await runTool(Deno.execPath(), ["run", "--allow-all", MAIN, ...fullArgs]);
  const outcome: LoadOutcome = new Map();
  let results: BenchResult[] = [];
  try {
    const parsed: BenchResult | BenchResult[] = JSON.parse(run.stdout);
    results = Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    // Reported below with the exit code and stderr.
  }
  for (const result of results) {
    outcome.set(result.title, {
      rps: result.throughput,
      p50: result.latencyMs.p50,
      p99: result.latencyMs.p99,
      errors: result.errors,
    });
    if (result.errors > 0) {
      note(
        `kache ${fullArgs.join(" ")} against ${where}: ${result.title} had ` +
          `${result.errorReplies} error replies and ${result.connectionErrors} lost connections`,
      );
    }
  }
  if (run.code !== 0 || results.length === 0) {
    note(
      `kache ${fullArgs.join(" ")} against ${where} exited ${run.code}: ` +
        run.stderr.trim().split("\n").slice(0, 3).join(" / "),
    );
  }
  return outcome;
}

/** A RESP connection for loading data: pipelined batches, replies counted, errors counted. */
class RespLoader {
  readonly #conn: Deno.TcpConn;
  #buffer = new Uint8Array(1 << 20);

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async open(port: number): Promise<RespLoader> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new RespLoader(conn);
  }

  /** Sends `commands` in one write and waits for all their replies; returns the error count. */
  async exchange(commands: readonly (readonly string[])[]): Promise<number> {
    const encoded = commands.map((command) => respProtocol.encode(command));
    const bytes = new Uint8Array(encoded.reduce((sum, part) => sum + part.length, 0));
    let offset = 0;
    for (const part of encoded) {
      bytes.set(part, offset);
      offset += part.length;
    }
    for (let written = 0; written < bytes.length;) {
      written += await this.#conn.write(bytes.subarray(written));
    }
    const counter = respProtocol.createReplyCounter();
    let pending = commands.length;
    let errors = 0;
    let filled = 0;
    let scanned = 0;
    while (pending > 0) {
      if (scanned > 0) {
        this.#buffer.copyWithin(0, scanned, filled);
        filled -= scanned;
        scanned = 0;
      }
      if (filled === this.#buffer.length) {
        const grown = new Uint8Array(this.#buffer.length * 2);
        grown.set(this.#buffer);
        this.#buffer = grown;
      }
      const read = await this.#conn.read(this.#buffer.subarray(filled));
      if (read === null) throw new Error("the server closed the loading connection");
      filled += read;
      pending -= counter.scan(this.#buffer, scanned, filled, pending);
      if (counter.failure !== undefined) throw new Error(`broken reply: ${counter.failure}`);
      scanned += counter.consumed;
      errors += counter.errorReplies;
    }
    return errors;
  }

  close(): void {
    this.#conn.close();
  }
}

/** Commands per pipelined loading batch: big enough to amortise round trips, small in memory. */
const LOAD_BATCH = 5000;

/** Sends `count` generated commands in pipelined batches; returns the error replies. */
async function load(
  port: number,
  count: number,
  command: (i: number) => readonly string[],
): Promise<number> {
  const loader = await RespLoader.open(port);
  let errors = 0;
  try {
    for (let first = 0; first < count; first += LOAD_BATCH) {
      const last = Math.min(count, first + LOAD_BATCH);
      errors += await loader.exchange(
        Array.from({ length: last - first }, (_, i) => command(first + i)),
      );
    }
  } finally {
    loader.close();
  }
  return errors;
}

/** One request over an ordinary client connection, for setup and checks. */
async function request(port: number, argv: readonly string[]): Promise<ClientReply> {
  const connection = await KacheConnection.connect({
    hostname: "127.0.0.1",
    port,
    protocol: "resp",
  });
  try {
    return await connection.send(argv);
  } finally {
    connection.close();
  }
}

/** VmRSS of a process in bytes, from /proc. */
async function residentBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`No VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** The servers under test and how to reach them. */
interface Servers {
  readonly redis: RunningRedis;
  readonly kache: RunningKache;
}

function respPort(servers: Servers, target: Target): number {
  return target === "redis" ? servers.redis.port : servers.kache.respPort;
}

/** Servers started and not yet stopped, so a signal can stop them. */
const running = new Set<{ stop(): Promise<unknown> }>();

async function startServers(): Promise<Servers> {
  const redis = await startRedis();
  running.add(redis);
  const kache = await startKache();
  running.add(kache);
  return { redis, kache };
}

async function stopServers(servers: Servers): Promise<void> {
  for (const server of [servers.redis, servers.kache]) {
    await server.stop();
    running.delete(server);
  }
}

/** One load of a round: a name for the report and how to run it against a server. */
interface Load {
  readonly name: string;
  readonly targets: readonly Target[];
  run(servers: Servers, target: Target): Promise<LoadOutcome>;
}

/** Labels a pipelined row so it does not merge with the unpipelined one. */
function withPipeline(outcome: LoadOutcome, depth: number): LoadOutcome {
  return new Map([...outcome].map(([title, sample]) => [`${title} (-P ${depth})`, sample]));
}

function loads(options: CompareOptions): Load[] {
  const n = String(options.requests);
  const pipelinedN = String(options.requests * PIPELINED_FACTOR);
  // Random keys among a million, as users' keys are: fixed keys stay in the CPU caches.
  const r = ["-r", String(RANDOM_KEYS)];
  const c = String(options.connections);
  const where = (target: Target) => target === "redis" ? "Redis" : "Kache";
  return [
    {
      name: "redis-benchmark",
      targets: TARGETS,
      run: (servers, target) =>
        redisBenchmark(
          respPort(servers, target),
          ["-t", "set,get,incr,zadd", "-n", n, "-c", c, ...r],
          where(target),
        ),
    },
    {
      name: "redis-benchmark",
      targets: TARGETS,
      run: async (servers, target) =>
        withPipeline(
          await redisBenchmark(
            respPort(servers, target),
            ["-t", "set,get", "-n", pipelinedN, "-c", c, "-P", "16", ...r],
            where(target),
          ),
          16,
        ),
    },
    {
      name: "redis-benchmark",
      targets: TARGETS,
      run: async (servers, target) => {
        const port = respPort(servers, target);
        // The same members kache bench's zrange test adds, so both tools read the same set.
        const setup = zsetSetupCommands();
        const errors = await load(port, setup.length, (i) => setup[i]!);
        if (errors > 0) note(`populating myzset on ${where(target)} failed`);
        return await redisBenchmark(
          port,
          ["-n", n, "-c", c, "ZRANGE", "myzset", "0", "9"],
          where(target),
        );
      },
    },
    {
      name: "kache bench",
      targets: TARGETS,
      run: (servers, target) =>
        kacheBench([
          ...["--resp", "-p", String(respPort(servers, target))],
          ...["-t", "set,get,incr,zadd,zrange,mixed", "-n", n, "-c", c, ...r],
        ], where(target)),
    },
    {
      name: "kache bench",
      targets: TARGETS,
      run: async (servers, target) =>
        withPipeline(
          await kacheBench([
            ...["--resp", "-p", String(respPort(servers, target))],
            ...["-t", "set,get", "-n", pipelinedN, "-c", c, "-P", "16", ...r],
          ], where(target)),
          16,
        ),
    },
    {
      name: ORIGINAL_LOAD_NAME,
      targets: ["kache"],
      run: async (servers) => {
        const outcome: LoadOutcome = new Map();
        try {
          const result = await runOriginalLoad(servers.kache.kachePort, {
            repeats: originalRepeats(options.requests),
          });
          if (!result.blocking) note("the original workload ran on Deno.Conn (no libc via FFI)");
          if (result.errorReplies > 0) {
            note(`the original workload had ${result.errorReplies} error replies from Kache`);
          }
          outcome.set(ORIGINAL_TEST, { ...result, errors: result.errorReplies });
        } catch (error) {
          note(`the original workload against Kache failed: ${describe(error)}`);
        }
        return outcome;
      },
    },
  ];
}

/** The original workload's row in the throughput table. */
const ORIGINAL_LOAD_NAME = "original workload (Workers, binary)";
const ORIGINAL_TEST = "4 blocking connections";

/** Repeats of the original's 61-command list on its 4 connections that make about `requests`. */
function originalRepeats(requests: number): number {
  return Math.max(1, Math.ceil(requests / (ORIGINAL_CONNECTIONS * 61)));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Runs every load on both servers, alternating, for every round. */
async function throughputRounds(options: CompareOptions): Promise<Samples> {
  const samples = new Samples();
  const servers = await startServers();
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const current of loads(options)) {
        for (const target of current.targets) {
          log(`round ${round}/${options.rounds}: ${current.name} against ${target}`);
          const outcome = await current.run(servers, target);
          for (const [title, sample] of outcome) {
            samples.add(`${current.name}\t${title}`, target, sample);
          }
        }
      }
    }
  } finally {
    await stopServers(servers);
  }
  return samples;
}

/** The original's own benchmark against the original server and Kache: medians over rounds. */
export interface OriginalResults {
  readonly repeats: number;
  readonly original: OriginalSample;
  readonly kache: OriginalSample;
}

/**
 * Builds the original C++ server from `source` and runs its own benchmark
 * against it and Kache, alternating, a fresh server per run; undefined (and a
 * problem noted) when it cannot be built.
 */
async function originalRounds(
  source: string,
  options: CompareOptions,
): Promise<OriginalResults | undefined> {
  const buildDir = `${Deno.env.get("TMPDIR") ?? "/tmp"}/kache-bench-compare-original`;
  let build;
  try {
    log(`building the original server from ${source}`);
    build = await buildOriginal(source, buildDir);
  } catch (error) {
    note(`the original server was not built: ${describe(error)}`);
    return undefined;
  }
  const repeats = originalRepeats(options.requests);
  const samples: Record<"original" | "kache", OriginalSample[]> = { original: [], kache: [] };
  for (let round = 1; round <= options.rounds; round++) {
    log(`round ${round}/${options.rounds}: the original's benchmark against the original`);
    samples.original.push(await measureOriginal(() => startOriginal(build), "cpp", build, repeats));
    log(`round ${round}/${options.rounds}: the original's benchmark against Kache`);
    samples.kache.push(await measureOriginal(startKacheBinary, "cpp", build, repeats));
  }
  const middle = (list: readonly OriginalSample[]): OriginalSample => ({
    rps: median(list.map((sample) => sample.rps)),
    avg: median(list.map((sample) => sample.avg)),
    p99: median(list.map((sample) => sample.p99)),
    cpuMicros: median(list.map((sample) => sample.cpuMicros)),
  });
  return { repeats, original: middle(samples.original), kache: middle(samples.kache) };
}

/** Memory per key and the big-offset query, measured on fresh servers. */
interface DataResults {
  readonly baseline: Record<Target, number>;
  readonly loaded: Record<Target, number>;
  readonly offsetQuery: readonly string[];
  readonly offsetMs: Record<Target, number>;
}

/** Lets a server settle (V8's concurrent sweeping, allocator trimming) before reading RSS. */
const SETTLE_MS = 2000;

async function dataTests(options: CompareOptions): Promise<DataResults> {
  const servers = await startServers();
  try {
    const pids: Record<Target, number> = {
      redis: servers.redis.process.pid,
      kache: servers.kache.process.pid,
    };
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const baseline = { redis: 0, kache: 0 };
    const loaded = { redis: 0, kache: 0 };
    for (const target of TARGETS) baseline[target] = await residentBytes(pids[target]);
    const value = (i: number) => String(i).padStart(16, "0");
    for (const target of TARGETS) {
      log(`loading ${options.keys} keys into ${target}`);
      const port = respPort(servers, target);
      const errors = await load(port, options.keys, (i) => ["SET", `key:${i}`, value(i)]);
      if (errors > 0) note(`${errors} SETs failed while loading ${target}`);
      const size = await request(port, ["DBSIZE"]);
      if (size.type !== "integer" || size.value !== BigInt(options.keys)) {
        note(`${target} holds ${JSON.stringify(size, replacer)} keys, not ${options.keys}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    for (const target of TARGETS) loaded[target] = await residentBytes(pids[target]);

    const members = options.members;
    const perCommand = 1000;
    for (const target of TARGETS) {
      log(`loading a ${members}-member sorted set into ${target}`);
      const errors = await load(
        respPort(servers, target),
        Math.ceil(members / perCommand),
        (batch) => {
          const argv = ["ZADD", "z"];
          for (let i = batch * perCommand; i < Math.min(members, (batch + 1) * perCommand); i++) {
            argv.push(String(i), `m:${i}`);
          }
          return argv;
        },
      );
      if (errors > 0) note(`${errors} ZADDs failed while loading ${target}`);
    }
    // Scores are 0…members-1, so a quarter in and half the set skipped leaves 10 to return;
    // with min = members/2 (the issue's literal query) the reply would be empty.
    const offsetQuery = [
      ...["ZRANGE", "z", String(Math.floor(members / 4)), "+inf", "BYSCORE"],
      ...["LIMIT", String(Math.floor(members / 2)), "10"],
    ];
    const offsetMs = await timeOffsetQuery(servers, offsetQuery, options.offsetCalls);
    return { baseline, loaded, offsetQuery, offsetMs };
  } finally {
    await stopServers(servers);
  }
}

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** Median wall time of `calls` runs of `query` per server, alternating, after one warm-up each. */
async function timeOffsetQuery(
  servers: Servers,
  query: readonly string[],
  calls: number,
): Promise<Record<Target, number>> {
  const connections = {
    redis: await KacheConnection.connect({
      hostname: "127.0.0.1",
      port: servers.redis.port,
      protocol: "resp",
    }),
    kache: await KacheConnection.connect({
      hostname: "127.0.0.1",
      port: servers.kache.respPort,
      protocol: "resp",
    }),
  };
  try {
    const first = {
      redis: JSON.stringify(await connections.redis.send(query), replacer),
      kache: JSON.stringify(await connections.kache.send(query), replacer),
    };
    if (first.redis !== first.kache) {
      note(`${query.join(" ")}: Redis replied ${first.redis}, Kache ${first.kache}`);
    }
    const times: Record<Target, number[]> = { redis: [], kache: [] };
    for (let call = 0; call < calls; call++) {
      for (const target of TARGETS) {
        const started = performance.now();
        await connections[target].send(query);
        times[target].push(performance.now() - started);
      }
    }
    return { redis: median(times.redis), kache: median(times.kache) };
  } finally {
    connections.redis.close();
    connections.kache.close();
  }
}

/** Where and with what the numbers were taken. */
interface Environment {
  readonly date: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly deno: string;
  readonly redis: string;
  readonly kache: string;
  readonly command: string;
  /** 1-minute load average when the run started; other work on the machine skews everything. */
  readonly loadAtStart: string;
}

async function environment(args: readonly string[]): Promise<Environment> {
  let cpuModel = "unknown";
  try {
    const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? cpuModel;
  } catch {
    // Not Linux: the model stays unknown.
  }
  const redisVersion = await requireTool("redis-server");
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cpus: navigator.hardwareConcurrency,
    cpuModel,
    deno: Deno.version.deno,
    redis: /v=(\S+)/.exec(redisVersion)?.[1] ?? redisVersion,
    kache: KACHE_VERSION,
    command: ["deno task bench:compare", ...args].join(" "),
    loadAtStart: await loadAverage(),
  };
}

/** The 1-minute load average from /proc/loadavg, or "unknown". */
async function loadAverage(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/loadavg")).split(" ")[0] ?? "unknown";
  } catch {
    return "unknown";
  }
}

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function ratio(kache: number, redis: number): string {
  return Number.isFinite(kache / redis) ? `${(kache / redis).toFixed(2)}×` : "–";
}

function count(value: number): string {
  return Number.isFinite(value) ? integer.format(value) : "–";
}

function ms(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : "–";
}

/** One row of the throughput table, from medians. */
interface Row {
  readonly load: string;
  readonly test: string;
  readonly redis: Sample | undefined;
  readonly kache: Sample | undefined;
}

/** Medians of each field; `errors` is the total, so one bad round still shows. */
function medianSample(samples: readonly Sample[]): Sample | undefined {
  if (samples.length === 0) return undefined;
  return {
    rps: median(samples.map((sample) => sample.rps)),
    p50: median(samples.map((sample) => sample.p50)),
    p99: median(samples.map((sample) => sample.p99)),
    errors: samples.reduce((sum, sample) => sum + sample.errors, 0),
  };
}

function tableRows(samples: Samples): Row[] {
  return samples.rows.map((key) => {
    const [load, test] = key.split("\t") as [string, string];
    const redis = medianSample(samples.get(key, "redis"));
    return { load, test, redis, kache: medianSample(samples.get(key, "kache")) };
  });
}

const MB = 1024 * 1024;

/** The whole report as Markdown. */
export function renderMarkdown(
  env: Environment,
  options: CompareOptions,
  rows: readonly Row[],
  data: DataResults,
  found: ReadonlyMap<string, number>,
  loadAtEnd: string,
  original?: OriginalResults,
): string {
  const lines = [
    "# Kache vs Redis",
    "",
    `- Date: ${env.date}`,
    `- Machine: ${env.cpus} CPUs (nproc), ${env.cpuModel}`,
    `- Deno ${env.deno}, Kache ${env.kache}, Redis ${env.redis} (Debian's redis-server, ` +
    "`--save '' --appendonly no`)",
    `- Command: \`${env.command}\``,
    `- Load average (1 min) before the run: ${env.loadAtStart}; at its end: ${loadAtEnd} ` +
    "(the run itself keeps about two processes busy; more means other work shared the CPUs)",
    `- ${options.rounds} round(s); in each, every load runs against Redis then Kache. ` +
    `${integer.format(options.requests)} requests per test ` +
    `(${integer.format(options.requests * PIPELINED_FACTOR)} when pipelined with -P 16), ` +
    `${options.connections} connections. Medians over rounds; latencies in ms.`,
    "",
    "## Throughput and latency",
    "",
    "| load | test | Redis req/s | Kache req/s | Kache/Redis | Redis p50 | Kache p50 | " +
    "Kache/Redis | Redis p99 | Kache p99 | Kache/Redis |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  const missing: Sample = { rps: NaN, p50: NaN, p99: NaN, errors: 0 };
  for (const row of rows) {
    const redis = row.redis ?? missing;
    const kache = row.kache ?? missing;
    const flagged = redis.errors + kache.errors > 0;
    const cells = [
      row.load,
      flagged ? `${row.test} ⚠` : row.test,
      count(redis.rps),
      count(kache.rps),
      ratio(kache.rps, redis.rps),
      ms(redis.p50),
      ms(kache.p50),
      ratio(kache.p50, redis.p50),
      ms(redis.p99),
      ms(kache.p99),
      ratio(kache.p99, redis.p99),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  if (rows.some((row) => (row.redis?.errors ?? 0) + (row.kache?.errors ?? 0) > 0)) {
    lines.push("", "⚠: some requests got error replies or lost their connection (see below).");
  }
  lines.push(...p99GoalLines(rows));
  if (original !== undefined) lines.push(...originalLines(original));
  const perKey = (target: Target) => (data.loaded[target] - data.baseline[target]) / options.keys;
  lines.push(
    "",
    `## Memory: ${integer.format(options.keys)} keys, 16-byte values`,
    "",
    "Fresh servers; RSS from `/proc/PID/status` (VmRSS) " +
      `${SETTLE_MS / 1000} s after startup and ${SETTLE_MS / 1000} s after a pipelined load ` +
      "of `SET key:<i> <16 bytes>`.",
    "",
    "| | Redis | Kache | Kache/Redis |",
    "|---|--:|--:|--:|",
    `| RSS after startup (MiB) | ${(data.baseline.redis / MB).toFixed(1)} | ` +
      `${(data.baseline.kache / MB).toFixed(1)} | ${
        ratio(data.baseline.kache, data.baseline.redis)
      } |`,
    `| RSS after load (MiB) | ${(data.loaded.redis / MB).toFixed(1)} | ` +
      `${(data.loaded.kache / MB).toFixed(1)} | ${ratio(data.loaded.kache, data.loaded.redis)} |`,
    `| bytes per key | ${perKey("redis").toFixed(1)} | ${perKey("kache").toFixed(1)} | ` +
      `${ratio(perKey("kache"), perKey("redis"))} |`,
    "",
    `## Big offset: \`${data.offsetQuery.join(" ")}\``,
    "",
    `On a ${integer.format(options.members)}-member sorted set (scores 0…` +
      `${integer.format(options.members - 1)}); median of ${options.offsetCalls} calls after a ` +
      "warm-up, alternating servers. Redis walks the offset one element at a time.",
    "",
    "| | Redis | Kache | Kache/Redis |",
    "|---|--:|--:|--:|",
    `| ms per call | ${ms(data.offsetMs.redis)} | ${ms(data.offsetMs.kache)} | ` +
      `${ratio(data.offsetMs.kache, data.offsetMs.redis)} |`,
    "",
    "## Problems seen",
    "",
    ...(found.size === 0
      ? ["None."]
      : [...found].map(([problem, times]) =>
        `- ${problem}${times > 1 ? ` (${times} times)` : ""}`
      )),
    "",
  );
  return lines.join("\n");
}

/** Issue 12's latency goal: without pipelining, Kache's p99 at most this multiple of Redis's. */
const P99_GOAL = 1.2;

/** The unpipelined rows measured on both servers, their p99 ratio against the goal. */
function p99GoalLines(rows: readonly Row[]): string[] {
  const unpipelined = rows.filter((row) =>
    !row.test.includes("(-P ") && row.redis !== undefined && row.kache !== undefined
  );
  if (unpipelined.length === 0) return [];
  const lines = [
    "",
    `## p99 without pipelining (goal: Kache ≤ ${P99_GOAL}× Redis)`,
    "",
    "| load | test | Redis p99 | Kache p99 | Kache/Redis | goal met |",
    "|---|---|--:|--:|--:|---|",
  ];
  for (const row of unpipelined) {
    const share = row.kache!.p99 / row.redis!.p99;
    const met = Number.isFinite(share) ? (share <= P99_GOAL ? "yes" : "no") : "–";
    lines.push(
      `| ${row.load} | ${row.test} | ${ms(row.redis!.p99)} | ${ms(row.kache!.p99)} | ` +
        `${ratio(row.kache!.p99, row.redis!.p99)} | ${met} |`,
    );
  }
  return lines;
}

/** The section on the original C++ server's own benchmark. */
function originalLines(results: OriginalResults): string[] {
  const row = (name: string, sample: OriginalSample) =>
    `| ${name} | ${count(sample.rps)} | ${ms(sample.avg)} | ${ms(sample.p99)} | ` +
    `${sample.cpuMicros.toFixed(1)} |`;
  const { original, kache } = results;
  return [
    "",
    "## The original C++ server on its own benchmark",
    "",
    `Its \`build/prod/benchmark\` (4 threads, each blocking on every reply; ${results.repeats} ` +
    "repeats of its 61-command list) against its `build/prod/main` and Kache's binary port, " +
    "alternating, a fresh server per run (bench/original.ts). Server CPU is user + system time " +
    "from /proc per request.",
    "",
    "| server | req/s | avg ms | p99 ms | server CPU µs/request |",
    "|---|--:|--:|--:|--:|",
    row("original (C++)", original),
    row("Kache", kache),
    `| Kache/original | ${ratio(kache.rps, original.rps)} | ${ratio(kache.avg, original.avg)} | ` +
    `${ratio(kache.p99, original.p99)} | ${ratio(kache.cpuMicros, original.cpuMicros)} |`,
  ];
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** A horizontal bar per row: Kache's throughput as a multiple of Redis's, with a line at 1×. */
/** What the chart shows of the memory test: keys loaded and RSS growth per key. */
export interface KeyMemory {
  readonly keys: number;
  /** (RSS after the load − RSS after startup) / keys, per server. */
  readonly bytesPerKey: Readonly<Record<Target, number>>;
}

/** The memory test's bytes per key, as the report's "bytes per key" row computes them. */
export function keyMemory(data: DataResults, keys: number): KeyMemory {
  const perKey = (target: Target) => (data.loaded[target] - data.baseline[target]) / keys;
  return { keys, bytesPerKey: { redis: perKey("redis"), kache: perKey("kache") } };
}

/**
 * Kache's figure over Redis's, or NaN unless both are positive: a latency of
 * 0 is below the tool's resolution, not a measurement to divide by or with.
 */
function share(kache: number, redis: number): number {
  return kache > 0 && redis > 0 ? kache / redis : NaN;
}

/** One column of the chart: a Kache/Redis ratio per row, and which way is better. */
interface ChartColumn {
  readonly title: string;
  readonly ratio: (row: Row) => number;
  readonly higherIsBetter: boolean;
}

const CHART_COLUMNS: readonly ChartColumn[] = [
  {
    title: "throughput (req/s), higher is better",
    ratio: (row) => share(row.kache!.rps, row.redis!.rps),
    higherIsBetter: true,
  },
  {
    title: "p50 latency, lower is better",
    ratio: (row) => share(row.kache!.p50, row.redis!.p50),
    higherIsBetter: false,
  },
  {
    title: "p99 latency, lower is better",
    ratio: (row) => share(row.kache!.p99, row.redis!.p99),
    higherIsBetter: false,
  },
];

const BETTER = "#2e7d32";
const WORSE = "#ef6c00";

/**
 * The chart: for every test measured on both servers, Kache's throughput,
 * p50 and p99 as multiples of Redis's (a dashed line marks 1× = Redis; green
 * where Kache does better), then the memory test's bytes per key for both
 * servers. Each column has its own scale; a ratio that cannot be computed
 * (a latency of 0 or none reported) is shown as "–".
 */
export function renderSvg(rows: readonly Row[], env: Environment, memory: KeyMemory): string {
  const compared = rows.filter((row) =>
    row.redis !== undefined && row.redis.rps > 0 && row.kache !== undefined
  );
  const labelWidth = 300;
  const columnWidth = 220;
  const barArea = columnWidth - 60;
  const width = labelWidth + CHART_COLUMNS.length * columnWidth + 10;
  const rowHeight = 26;
  const top = 70;
  const axisY = top + compared.length * rowHeight;
  const memoryTop = axisY + 50;
  const height = memoryTop + 2 * rowHeight + 50;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">` +
    "Kache relative to Redis (medians over rounds; green: Kache does better)</text>",
    `<text x="${width / 2}" y="37" text-anchor="middle" fill="#555">` +
    escapeXml(
      `${env.date} · ${env.cpus} × ${env.cpuModel} · Deno ${env.deno} · Redis ${env.redis}`,
    ) +
    "</text>",
  ];
  CHART_COLUMNS.forEach((column, c) => {
    const left = labelWidth + c * columnWidth;
    const ratios = compared.map(column.ratio).filter(Number.isFinite);
    const scaleMax = Math.max(1.25, ...ratios.map((value) => Math.ceil(value * 4) / 4));
    const x = (value: number) => left + (value / scaleMax) * barArea;
    parts.push(
      `<text x="${left + barArea / 2}" y="${top - 10}" text-anchor="middle" ` +
        `font-weight="bold">${escapeXml(column.title)}</text>`,
    );
    compared.forEach((row, i) => {
      const value = column.ratio(row);
      const y = top + i * rowHeight;
      if (!Number.isFinite(value)) {
        parts.push(`<text x="${left + 4}" y="${y + 17}" fill="#555">–</text>`);
        return;
      }
      const better = column.higherIsBetter ? value >= 1 : value <= 1;
      parts.push(
        `<rect class="bar ${c === 0 ? "throughput" : "latency"}" x="${left}" y="${y + 5}" ` +
          `width="${(x(value) - left).toFixed(1)}" height="${rowHeight - 10}" ` +
          `fill="${better ? BETTER : WORSE}"/>`,
        `<text x="${(x(value) + 5).toFixed(1)}" y="${y + 17}">${value.toFixed(2)}×</text>`,
      );
    });
    parts.push(
      `<line x1="${x(1).toFixed(1)}" y1="${top}" x2="${x(1).toFixed(1)}" y2="${axisY + 5}" ` +
        `stroke="#333" stroke-dasharray="4 3"/>`,
      `<text x="${x(1).toFixed(1)}" y="${axisY + 20}" text-anchor="middle">1× = Redis</text>`,
    );
  });
  compared.forEach((row, i) => {
    const label = `${row.load}: ${row.test}`;
    parts.push(
      `<text x="${labelWidth - 8}" y="${top + i * rowHeight + 17}" text-anchor="end">` +
        `${escapeXml(label)}</text>`,
    );
  });
  const { bytesPerKey } = memory;
  const memoryScale = Math.max(bytesPerKey.redis, bytesPerKey.kache, 1);
  const memoryArea = width - labelWidth - 220;
  parts.push(
    `<text x="${width / 2}" y="${memoryTop - 12}" text-anchor="middle" font-weight="bold">` +
      escapeXml(
        `Memory: RSS growth per key after ${integer.format(memory.keys)} SETs of 16 bytes, ` +
          "lower is better",
      ) + "</text>",
  );
  TARGETS.forEach((target, i) => {
    const value = bytesPerKey[target];
    const y = memoryTop + i * rowHeight;
    const name = target === "redis" ? "Redis" : "Kache";
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 17}" text-anchor="end">${name}</text>`,
    );
    if (!Number.isFinite(value) || value < 0) {
      parts.push(`<text x="${labelWidth + 4}" y="${y + 17}" fill="#555">–</text>`);
      return;
    }
    const better = target === "redis" || value <= bytesPerKey.redis;
    const suffix = target === "kache" ? ` (${ratio(value, bytesPerKey.redis)} Redis)` : "";
    parts.push(
      `<rect class="bar memory" x="${labelWidth}" y="${y + 5}" ` +
        `width="${((value / memoryScale) * memoryArea).toFixed(1)}" height="${rowHeight - 10}" ` +
        `fill="${target === "redis" ? "#757575" : better ? BETTER : WORSE}"/>`,
      `<text x="${(labelWidth + (value / memoryScale) * memoryArea + 5).toFixed(1)}" ` +
        `y="${y + 17}">${value.toFixed(1)} bytes/key${escapeXml(suffix)}</text>`,
    );
  });
  parts.push("</svg>", "");
  return parts.join("\n");
}

/** Runs the comparison; returns the exit code. */
export async function runCompare(args: string[]): Promise<number> {
  let options: CompareOptions | "help";
  try {
    options = parseCompareArgs(args);
  } catch (error) {
    console.error(`bench:compare: ${error instanceof Error ? error.message : String(error)}`);
    console.error(USAGE);
    return 1;
  }
  if (options === "help") {
    console.log(USAGE);
    return 0;
  }
  await requireTool("redis-benchmark");
  const env = await environment(args);
  const started = performance.now();
  const samples = await throughputRounds(options);
  const data = await dataTests(options);
  const original = options.original === undefined
    ? undefined
    : await originalRounds(options.original, options);
  const rows = tableRows(samples);
  const markdown = renderMarkdown(
    env,
    options,
    rows,
    data,
    problems,
    await loadAverage(),
    original,
  );
  await Deno.mkdir(options.out, { recursive: true });
  await Deno.writeTextFile(`${options.out}/latest.md`, markdown);
  await Deno.writeTextFile(
    `${options.out}/latest.svg`,
    renderSvg(rows, env, keyMemory(data, options.keys)),
  );
  console.log(markdown);
  log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s; wrote ${options.out}`);
  return 0;
}

if (import.meta.main) {
  // A Ctrl-C or a test's timeout must not leave servers behind.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, async () => {
      await Promise.allSettled([...running].map((server) => server.stop()));
      Deno.exit(signal === "SIGINT" ? 130 : 143);
    });
  }
  Deno.exit(await runCompare(Deno.args));
}
