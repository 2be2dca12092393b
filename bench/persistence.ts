/**
 * What durability costs, Kache against Redis on the same machine:
 *
 *   deno task bench:persistence [--rounds 3] [--keys 1000000] [--only throughput,snapshot,load]
 *
 * - throughput: `redis-benchmark -t set -n 50000 -c 50` with appendonly yes
 *   under appendfsync always and everysec, fresh servers per run, Redis and
 *   Kache alternating round after round; medians.
 * - snapshot: 1,000,000 keys, then short redis-benchmark GET/SET runs
 *   without a snapshot and while a BGSAVE runs: p99 of both, and the peak
 *   memory (PSS of the server and its fork) against the memory before.
 * - load: time to load those keys at startup from dump.rdb and from an AOF
 *   of one SET per key, as each server's "DB loaded" log line reports it.
 *
 * Servers run in temporary directories on free loopback ports. A benchmark,
 * not a test: it prints a Markdown report and asserts nothing.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { median, parseCsv } from "./compare.ts";
import { freePort, MAIN } from "../tests/support/server_process.ts";
import { requireTool } from "../tests/support/redis_process.ts";

export interface Server {
  readonly name: "kache" | "redis";
  readonly port: number;
  readonly pid: number;
  output(): string;
  stop(signal?: Deno.Signal): Promise<void>;
}

function log(text: string): void {
  console.error(`[persistence] ${text}`);
}

async function serveV8Flags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const task: unknown = config?.tasks?.serve;
  return typeof task === "string"
    ? task.split(/\s+/).filter((part) => part.startsWith("--v8-flags="))
    : [];
}

/** Spawns a server and waits until its log says `ready` (up to five minutes: big loads). */
async function spawn(
  name: Server["name"],
  program: string,
  args: string[],
  port: number,
  ready: RegExp,
): Promise<Server> {
  const child = new Deno.Command(program, {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const collecting = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let exited = false;
  child.status.then(() => exited = true);
  const started = Date.now();
  while (!ready.test(text)) {
    if (exited || Date.now() - started > 300_000) {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      throw new Error(`${name} did not start:\n${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  let stopped: Promise<void> | undefined;
  return {
    name,
    port,
    pid: child.pid,
    output: () => text,
    stop(signal = "SIGKILL") {
      stopped ??= (async () => {
        try {
          child.kill(signal);
        } catch {
          // Already gone.
        }
        await child.status;
        await collecting;
      })();
      return stopped;
    },
  };
}

async function startKache(dir: string, args: string[]): Promise<Server> {
  const port = freePort();
  return await spawn(
    "kache",
    Deno.execPath(),
    [
      "run",
      "--allow-all",
      ...await serveV8Flags(),
      MAIN,
      "serve",
      ...["--port", String(port), "--kache-port", "0", "--dir", dir, "--save", ""],
      ...args,
    ],
    port,
    /ready: RESP on/,
  );
}

async function startRedis(dir: string, args: string[]): Promise<Server> {
  const port = freePort();
  return await spawn(
    "redis",
    "redis-server",
    [
      ...["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""],
      ...["--daemonize", "no", "--appendonly", "no"],
      ...args,
    ],
    port,
    /Ready to accept connections/,
  );
}

export function start(name: Server["name"], dir: string, args: string[]): Promise<Server> {
  return name === "kache" ? startKache(dir, args) : startRedis(dir, args);
}

async function withDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "kache-bench-persistence-" });
  try {
    return await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface BenchmarkRow {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
}

/** redis-benchmark with `args`; returns its CSV rows by test name. */
async function redisBenchmark(port: number, args: string[]): Promise<Map<string, BenchmarkRow>> {
  const output = await new Deno.Command("redis-benchmark", {
    args: ["-h", "127.0.0.1", "-p", String(port), "--csv", ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const rows = parseCsv(new TextDecoder().decode(output.stdout));
  const header = rows[0] ?? [];
  const column = (name: string) => header.indexOf(name);
  const result = new Map<string, BenchmarkRow>();
  for (const row of rows.slice(1)) {
    if (row.length !== header.length) continue;
    result.set(row[0]!, {
      rps: Number(row[column("rps")]),
      p50: Number(row[column("p50_latency_ms")]),
      p99: Number(row[column("p99_latency_ms")]),
    });
  }
  if (result.size === 0) {
    throw new Error(`redis-benchmark gave no rows: ${new TextDecoder().decode(output.stderr)}`);
  }
  return result;
}

/** One RESP request on its own connection; returns the raw reply text. */
async function request(port: number, ...argv: string[]): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const encoder = new TextEncoder();
    let text = `*${argv.length}\r\n`;
    for (const arg of argv) text += `$${encoder.encode(arg).length}\r\n${arg}\r\n`;
    await conn.write(encoder.encode(text));
    const buffer = new Uint8Array(1 << 20);
    let reply = "";
    const decoder = new TextDecoder();
    // INFO and status replies arrive whole after a short wait; good enough for a benchmark.
    while (true) {
      const count = await conn.read(buffer);
      if (count === null) break;
      reply += decoder.decode(buffer.subarray(0, count));
      if (reply.startsWith("$")) {
        const length = Number(reply.slice(1, reply.indexOf("\r\n")));
        if (reply.length >= reply.indexOf("\r\n") + 2 + length + 2) break;
      } else if (reply.endsWith("\r\n")) {
        break;
      }
    }
    return reply;
  } finally {
    conn.close();
  }
}

async function infoField(port: number, field: string): Promise<string> {
  const info = await request(port, "INFO", "persistence");
  return new RegExp(`${field}:([^\\r]*)`).exec(info)?.[1] ?? "";
}

/** SET key:0 … key:{count-1} (16-byte values) over one pipelining connection. */
async function fill(port: number, count: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const encoder = new TextEncoder();
  const batch = 10_000;
  const reader = (async () => {
    const buffer = new Uint8Array(1 << 20);
    let replies = 0;
    while (replies < count) {
      const read = await conn.read(buffer);
      if (read === null) throw new Error("Server closed during fill");
      for (let i = 0; i < read; i++) if (buffer[i] === 10) replies++;
    }
  })();
  for (let start = 0; start < count; start += batch) {
    let text = "";
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const key = `key:${i}`;
      text += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$16\r\nvalue-0123456789\r\n`;
    }
    const bytes = encoder.encode(text);
    let offset = 0;
    while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
  }
  await reader;
  conn.close();
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

async function throughput(rounds: number): Promise<string[]> {
  const samples = new Map<string, number[]>();
  for (let round = 1; round <= rounds; round++) {
    for (const fsync of ["always", "everysec"]) {
      for (const name of ["redis", "kache"] as const) {
        const rps = await withDir(async (dir) => {
          const server = await start(name, dir, [
            "--appendonly",
            "yes",
            "--appendfsync",
            fsync,
          ]);
          try {
            const rows = await redisBenchmark(server.port, [
              "-t",
              "set",
              "-n",
              "50000",
              "-c",
              "50",
            ]);
            return rows.get("SET")!.rps;
          } finally {
            await server.stop();
          }
        });
        log(`round ${round}: ${name} appendfsync ${fsync}: ${rps.toFixed(0)} SET/s`);
        const key = `${name} ${fsync}`;
        samples.set(key, [...(samples.get(key) ?? []), rps]);
      }
    }
  }
  const row = (fsync: string) => {
    const redis = median(samples.get(`redis ${fsync}`)!);
    const kache = median(samples.get(`kache ${fsync}`)!);
    return `| ${fsync} | ${redis.toFixed(0)} | ${kache.toFixed(0)} | ${
      (kache / redis).toFixed(2)
    } |`;
  };
  return [
    `### SET throughput with appendonly yes (redis-benchmark -t set -n 50000 -c 50, median of ${rounds})`,
    "",
    "| appendfsync | Redis SET/s | Kache SET/s | Kache / Redis |",
    "| --- | ---: | ---: | ---: |",
    row("always"),
    row("everysec"),
  ];
}

/** p99 latencies (ms) of SET and GET over a series of short redis-benchmark runs. */
interface LatencyRuns {
  set: number[];
  get: number[];
}

async function benchmarkRun(port: number, keys: number, runs: LatencyRuns): Promise<void> {
  const rows = await redisBenchmark(port, [
    ...["-t", "set,get", "-n", "20000", "-c", "50", "-r", String(keys)],
  ]);
  runs.set.push(rows.get("SET")!.p99);
  runs.get.push(rows.get("GET")!.p99);
}

/** Proportional set size of a process and its children (Redis's fork), in bytes. */
function totalPss(pid: number): number {
  let total = 0;
  let children: number[] = [];
  try {
    children = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/)
      .filter(Boolean).map(Number);
  } catch {
    // No children file: count the process alone.
  }
  for (const id of [pid, ...children]) {
    try {
      const rollup = Deno.readTextFileSync(`/proc/${id}/smaps_rollup`);
      total += Number(/^Pss:\s+(\d+) kB$/m.exec(rollup)?.[1] ?? 0) * 1024;
    } catch {
      // The child exited between the two reads.
    }
  }
  return total;
}

interface SnapshotMeasure {
  readonly quiet: LatencyRuns;
  readonly during: LatencyRuns;
  readonly seconds: number;
  readonly bytes: number;
  readonly memoryBefore: number;
  readonly memoryPeak: number;
}

async function measureSnapshot(name: Server["name"], keys: number): Promise<SnapshotMeasure> {
  return await withDir(async (dir) => {
    const server = await start(name, dir, []);
    try {
      await fill(server.port, keys);
      const quiet: LatencyRuns = { set: [], get: [] };
      for (let i = 0; i < 5; i++) await benchmarkRun(server.port, keys, quiet);
      const memoryBefore = totalPss(server.pid);
      let memoryPeak = memoryBefore;
      const started = performance.now();
      await request(server.port, "BGSAVE");
      let seconds = 0;
      const polling = (async () => {
        while ((await infoField(server.port, "rdb_bgsave_in_progress")) === "1") {
          memoryPeak = Math.max(memoryPeak, totalPss(server.pid));
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        seconds = (performance.now() - started) / 1000;
      })();
      // Runs started while the snapshot is still going; the last one may outlast it.
      const during: LatencyRuns = { set: [], get: [] };
      while (seconds === 0) await benchmarkRun(server.port, keys, during);
      await polling;
      const status = await infoField(server.port, "rdb_last_bgsave_status");
      const bytes = (await Deno.stat(`${dir}/dump.rdb`)).size;
      log(`${name}: snapshot of ${keys} keys: ${seconds.toFixed(2)} s, ${status}, ${mb(bytes)}`);
      return { quiet, during, seconds, bytes, memoryBefore, memoryPeak };
    } finally {
      await server.stop();
    }
  });
}

async function snapshotLatency(keys: number): Promise<string[]> {
  const redis = await measureSnapshot("redis", keys);
  const kache = await measureSnapshot("kache", keys);
  const cell = (values: number[]) =>
    `${median(values).toFixed(2)} (max ${Math.max(...values).toFixed(2)})`;
  const rows = (label: string, measure: SnapshotMeasure) => [
    `| ${label} | no snapshot | ${cell(measure.quiet.set)} | ${cell(measure.quiet.get)} | |`,
    `| ${label} | during BGSAVE (${measure.during.set.length} runs, ` +
    `${measure.seconds.toFixed(2)} s) | ${cell(measure.during.set)} | ${
      cell(measure.during.get)
    } | ${mb(measure.memoryBefore)} → ${mb(measure.memoryPeak)} (+${
      ((measure.memoryPeak / measure.memoryBefore - 1) * 100).toFixed(0)
    }%) |`,
  ];
  return [
    `### A BGSAVE of ${keys.toLocaleString("en-US")} keys under load`,
    "",
    `Back-to-back \`redis-benchmark -t set,get -n 20000 -c 50 -r ${keys}\` runs: five ` +
    "without a snapshot, then as many as start while a BGSAVE runs. Memory is the " +
    "proportional set size (PSS) of the server and its children (Redis's fork), sampled " +
    "every 20 ms during the snapshot.",
    "",
    "| server | runs | SET p99 ms, median (max) | GET p99 ms, median (max) | memory |",
    "| --- | --- | ---: | ---: | --- |",
    ...rows("Redis", redis),
    ...rows("Kache", kache),
  ];
}

/** Seconds from a server's "DB loaded from …: X seconds" log line. */
function loadSeconds(server: Server): number {
  const match = /DB loaded from [a-z ]+: ([0-9.]+) seconds/.exec(server.output());
  if (match === null) throw new Error(`${server.name} logged no load time:\n${server.output()}`);
  return Number(match[1]);
}

async function loadTimes(keys: number, rounds: number): Promise<string[]> {
  return await withDir(async (dir) => {
    // One AOF of one SET per key (no base data), and a dump.rdb of the same keys.
    const writer = await startKache(dir, ["--appendonly", "yes", "--appendfsync", "no"]);
    try {
      await fill(writer.port, keys);
      await request(writer.port, "SAVE");
    } finally {
      await writer.stop("SIGTERM");
    }
    const times = new Map<string, number[]>();
    for (let round = 1; round <= rounds; round++) {
      for (const source of ["rdb", "aof"]) {
        for (const name of ["redis", "kache"] as const) {
          // A copy per run: Redis rewrites the AOF layout it starts on.
          const copy = await Deno.makeTempDir({ prefix: "kache-bench-load-" });
          try {
            await new Deno.Command("cp", { args: ["-r", `${dir}/.`, copy] }).output();
            const server = await start(name, copy, [
              "--appendonly",
              source === "aof" ? "yes" : "no",
            ]);
            const seconds = loadSeconds(server);
            await server.stop();
            log(`round ${round}: ${name} loads ${source}: ${seconds} s`);
            const key = `${name} ${source}`;
            times.set(key, [...(times.get(key) ?? []), seconds]);
          } finally {
            await Deno.remove(copy, { recursive: true });
          }
        }
      }
    }
    const row = (source: string, label: string) => {
      const redis = median(times.get(`redis ${source}`)!);
      const kache = median(times.get(`kache ${source}`)!);
      return `| ${label} | ${redis.toFixed(2)} | ${kache.toFixed(2)} | ${
        (kache / redis).toFixed(2)
      } |`;
    };
    return [
      `### Loading ${keys.toLocaleString("en-US")} keys at startup (median of ${rounds})`,
      "",
      "| from | Redis s | Kache s | Kache / Redis |",
      "| --- | ---: | ---: | ---: |",
      row("rdb", "dump.rdb"),
      row("aof", "AOF (one SET per key)"),
    ];
  });
}

export async function runPersistenceBench(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      rounds: { type: "string", default: "3" },
      keys: { type: "string", default: "1000000" },
      only: { type: "string", default: "throughput,snapshot,load" },
    },
  });
  const rounds = Number(values.rounds);
  const keys = Number(values.keys);
  const parts = new Set(values.only.split(","));
  await requireTool("redis-server");
  await requireTool("redis-benchmark");
  const report = [
    `## Persistence benchmark (${new Date().toISOString().slice(0, 10)}, ` +
    `${navigator.hardwareConcurrency} CPUs, Deno ${Deno.version.deno})`,
    "",
  ];
  if (parts.has("throughput")) report.push(...await throughput(rounds), "");
  if (parts.has("snapshot")) report.push(...await snapshotLatency(keys), "");
  if (parts.has("load")) report.push(...await loadTimes(keys, rounds), "");
  console.log(report.join("\n"));
  return 0;
}

if (import.meta.main) Deno.exit(await runPersistenceBench(Deno.args));
