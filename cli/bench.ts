/**
 * `kache bench`: the load generator.
 *
 * By default it replays the original C++ benchmark over the binary protocol:
 * 4 connections, each sending its 61-command list one request at a time,
 * 5,000 times (1,220,000 requests). What is sent comes from a pluggable
 * workload and protocol (`bench_workload.ts`); how it is reported from
 * `bench_report.ts`. This module owns only sockets, time and flags.
 *
 * The generator must never be what limits throughput, so each connection is
 * one loop over one reusable read buffer: requests were encoded before the
 * clock started, a pipelined batch is one write of a contiguous slice, and
 * replies are counted by their length prefix without being decoded.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { formatJson, formatText, LatencyRecorder } from "./bench_report.ts";
import type { BenchResult } from "./bench_report.ts";
import {
  encodeRequestRing,
  kacheProtocol,
  originalWorkload,
  requestBatch,
  splitRequests,
} from "./bench_workload.ts";
import type { BenchProtocol, BenchWorkload, RequestRing } from "./bench_workload.ts";

/** Settings of one run, after flag parsing and validation. */
export interface BenchOptions {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  /** Requests in flight per connection: send this many, then wait for as many replies. */
  readonly pipeline: number;
  /** How many times each connection sends its whole command list. */
  readonly repeats: number;
  /** Total requests across connections; overrides `repeats` when set. */
  readonly requests: number | undefined;
  /** Run for this long instead of a request count, when set. */
  readonly durationSeconds: number | undefined;
  readonly json: boolean;
  readonly seed: number;
}

/** Where the command writes; injectable so tests can capture output. */
export interface BenchIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether to draw the live progress line (only on a terminal). */
  readonly stderrIsTerminal: boolean;
}

const textEncoder = new TextEncoder();

function writeAllSync(target: { writeSync(bytes: Uint8Array): number }, text: string): void {
  let bytes = textEncoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(target.writeSync(bytes));
}

/** The real standard streams. */
const denoIo: BenchIo = {
  stdout: (text) => writeAllSync(Deno.stdout, text),
  stderr: (text) => writeAllSync(Deno.stderr, text),
  get stderrIsTerminal() {
    return Deno.stderr.isTerminal();
  },
};

const USAGE = `Usage: kache bench [options]

Load generator for a Kache server. By default it replays the original
benchmark over the binary protocol: 4 connections, each sending a list of
61 commands (11 fixed, 50 random) one at a time, 5000 times.

Options:
  -h, --host <host>          server host (default 127.0.0.1)
  -p, --port <port>          server port (default 1234)
  -c, --connections <n>      parallel connections (default 4)
      --repeats <n>          times each connection sends its list (default 5000)
  -n, --requests <n>         total requests instead of --repeats
  -P, --pipeline <n>         requests in flight per connection (default 1)
      --duration <seconds>   run for this long instead of a request count
      --seed <n>             seed of the random commands (default 1)
      --json                 print the result as JSON on stdout
      --help                 show this help

Only error replies (status 3) and lost connections count as errors: a
not-found answer to GET is an ordinary reply. Exit code 1 when a connection
fails or is lost.
`;

/** Thrown for a bad command line; the message is shown to the user as is. */
export class BenchUsageError extends Error {
  override name = "BenchUsageError";
}

/** Parses `kache bench` flags; `"help"` when help was asked for. */
export function parseBenchArgs(args: readonly string[]): BenchOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: "string", short: "h" },
        port: { type: "string", short: "p" },
        connections: { type: "string", short: "c" },
        repeats: { type: "string" },
        requests: { type: "string", short: "n" },
        pipeline: { type: "string", short: "P" },
        duration: { type: "string" },
        seed: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean" },
      },
    });
  } catch (error) {
    throw new BenchUsageError(error instanceof Error ? error.message : String(error));
  }
  const values = parsed.values;
  if (values.help) return "help";
  const duration = values.duration === undefined
    ? undefined
    : parseNumber("--duration", values.duration, { integer: false, min: Number.MIN_VALUE });
  if (duration !== undefined && (values.requests !== undefined || values.repeats !== undefined)) {
    throw new BenchUsageError("--duration cannot be combined with --requests or --repeats");
  }
  return {
    host: values.host ?? "127.0.0.1",
    port: parseNumber("--port", values.port ?? "1234", { min: 1, max: 65535 }),
    connections: parseNumber("--connections", values.connections ?? "4", { min: 1 }),
    pipeline: parseNumber("--pipeline", values.pipeline ?? "1", { min: 1 }),
    repeats: parseNumber("--repeats", values.repeats ?? "5000", { min: 1 }),
    requests: values.requests === undefined
      ? undefined
      : parseNumber("--requests", values.requests, { min: 1 }),
    durationSeconds: duration,
    json: values.json ?? false,
    seed: parseNumber("--seed", values.seed ?? "1", { min: 0, max: 0xffffffff }),
  };
}

function parseNumber(
  flag: string,
  text: string,
  { integer = true, min = -Infinity, max = Number.MAX_SAFE_INTEGER }: {
    integer?: boolean;
    min?: number;
    max?: number;
  },
): number {
  const value = text.trim() === "" ? NaN : Number(text);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new BenchUsageError(
      `${flag} must be ${integer ? "an integer" : "a number"}, got "${text}"`,
    );
  }
  if (value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER
      ? (min === Number.MIN_VALUE ? "greater than 0" : `at least ${min}`)
      : `between ${min} and ${max}`;
    throw new BenchUsageError(`${flag} must be ${range}, got "${text}"`);
  }
  return value;
}

/** Thrown when the server cannot be reached before the run starts. */
export class BenchConnectError extends Error {
  override name = "BenchConnectError";
}

/** Opens `count` connections, or closes any that opened and throws {@link BenchConnectError}. */
async function connectAll(host: string, port: number, count: number): Promise<Deno.TcpConn[]> {
  const attempts = await Promise.allSettled(
    Array.from({ length: count }, () => Deno.connect({ hostname: host, port })),
  );
  const conns: Deno.TcpConn[] = [];
  let failure: unknown;
  for (const attempt of attempts) {
    if (attempt.status === "fulfilled") conns.push(attempt.value);
    else failure ??= attempt.reason;
  }
  if (failure !== undefined) {
    for (const conn of conns) conn.close();
    const reason = failure instanceof Error ? failure.message : String(failure);
    throw new BenchConnectError(`Could not connect to Kache at ${host}:${port}: ${reason}`);
  }
  // Small requests must leave at once, not wait for Nagle to batch them.
  for (const conn of conns) conn.setNoDelay(true);
  return conns;
}

/** Counters the run updates as it goes, read by the progress line. */
export interface LiveStats {
  completed: number;
  errorReplies: number;
  connectionErrors: number;
  /** One message per lost connection. */
  readonly failures: string[];
}

/** What each connection does, shared by all of them. */
interface ConnectionPlan {
  readonly ring: RequestRing;
  readonly protocol: BenchProtocol;
  /** Requests this connection sends; Infinity with a deadline. */
  readonly requests: number;
  /** `performance.now()` after which no new batch starts; Infinity without one. */
  readonly deadline: number;
  readonly pipeline: number;
  readonly latency: LatencyRecorder;
  readonly stats: LiveStats;
}

/** Smallest free space worth a read; below it the buffer is compacted or grown first. */
const MIN_READ_SPACE = 16 * 1024;

/**
 * Drives one connection: send a batch, count its replies as they arrive,
 * record each reply's latency from the batch's send time, repeat.
 */
async function driveConnection(conn: Deno.Conn, plan: ConnectionPlan): Promise<void> {
  const { ring, pipeline, latency, stats } = plan;
  const counter = plan.protocol.createReplyCounter();
  let buffer = new Uint8Array(64 * 1024);
  // buffer[scanned, filled) holds bytes read but not yet part of a counted reply.
  let filled = 0;
  let scanned = 0;
  let next = 0;
  let remaining = plan.requests;
  while (remaining > 0 && performance.now() < plan.deadline) {
    const batch = Math.min(pipeline, remaining);
    const sentAt = performance.now();
    await writeAll(conn, requestBatch(ring, next, batch));
    next = (next + batch) % ring.period;
    let pending = batch;
    while (pending > 0) {
      if (scanned === filled) {
        scanned = filled = 0;
      } else if (buffer.length - filled < MIN_READ_SPACE) {
        if (scanned > 0) {
          buffer.copyWithin(0, scanned, filled);
          filled -= scanned;
          scanned = 0;
        }
        if (buffer.length - filled < MIN_READ_SPACE) {
          const grown = new Uint8Array(buffer.length * 2);
          grown.set(buffer.subarray(0, filled));
          buffer = grown;
        }
      }
      const read = await conn.read(buffer.subarray(filled));
      if (read === null) throw new Error("the server closed the connection");
      filled += read;
      const replies = counter.scan(buffer, scanned, filled, pending);
      if (counter.failure !== undefined) throw new Error(`broken reply: ${counter.failure}`);
      if (replies === 0) continue;
      scanned += counter.consumed;
      latency.record((performance.now() - sentAt) * 1000, replies);
      pending -= replies;
      stats.completed += replies;
      stats.errorReplies += counter.errorReplies;
    }
    remaining -= batch;
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** A workload and protocol to run; defaults are the original benchmark's. */
export interface BenchSubject {
  readonly workload: BenchWorkload;
  readonly protocol: BenchProtocol;
}

/**
 * Runs the load over connections already open, then closes them. A connection
 * that fails stops alone and is counted; the others finish their share.
 */
export async function runLoad(
  conns: readonly Deno.Conn[],
  options: BenchOptions,
  subject: BenchSubject,
  stats: LiveStats,
): Promise<BenchResult> {
  const { workload, protocol } = subject;
  const latency = new LatencyRecorder();
  const rings = conns.map((_, i) =>
    encodeRequestRing(workload.commandsFor(i), protocol, options.pipeline)
  );
  const shares = options.requests === undefined
    ? undefined
    : splitRequests(options.requests, conns.length);
  const duration = options.durationSeconds;
  const timed = duration !== undefined;
  const startedAt = performance.now();
  const deadline = timed ? startedAt + duration * 1000 : Infinity;
  await Promise.all(conns.map(async (conn, i) => {
    const ring = rings[i]!;
    const requests = timed ? Infinity : shares?.[i] ?? options.repeats * ring.period;
    const plan = { ring, protocol, requests, deadline, pipeline: options.pipeline, latency, stats };
    try {
      await driveConnection(conn, plan);
    } catch (error) {
      stats.connectionErrors++;
      stats.failures.push(
        `Connection ${i + 1}: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      try {
        conn.close();
      } catch {
        // Already closed by a failed read or write: nothing left to release.
      }
    }
  }));
  const durationSeconds = (performance.now() - startedAt) / 1000;
  return {
    test: workload.name,
    protocol: protocol.name,
    host: options.host,
    port: options.port,
    connections: options.connections,
    pipeline: options.pipeline,
    seed: options.seed,
    requests: stats.completed,
    errorReplies: stats.errorReplies,
    connectionErrors: stats.connectionErrors,
    errors: stats.errorReplies + stats.connectionErrors,
    durationSeconds,
    throughput: durationSeconds > 0 ? stats.completed / durationSeconds : 0,
    latencyMs: latency.summary(),
  };
}

/** How often the live progress line is redrawn. */
const PROGRESS_INTERVAL_MS = 250;

/** Redraws `done, rate` on stderr until the returned function is called, which erases it. */
function startProgress(io: BenchIo, stats: LiveStats): () => void {
  let lastCount = 0;
  let lastTime = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const rate = (stats.completed - lastCount) / ((now - lastTime) / 1000);
    lastCount = stats.completed;
    lastTime = now;
    io.stderr(
      `\r\x1b[K${stats.completed.toLocaleString("en-US")} requests, ` +
        `${Math.round(rate).toLocaleString("en-US")} req/s`,
    );
  }, PROGRESS_INTERVAL_MS);
  return () => {
    clearInterval(timer);
    io.stderr("\r\x1b[K");
  };
}

/**
 * Runs `kache bench` with the arguments after `bench` and returns the exit
 * code: 0 on success, 1 on bad flags, no connection, or a lost connection.
 */
export async function runBench(args: string[], io: BenchIo = denoIo): Promise<number> {
  let options: BenchOptions | "help";
  try {
    options = parseBenchArgs(args);
  } catch (error) {
    if (!(error instanceof BenchUsageError)) throw error;
    io.stderr(`kache bench: ${error.message}\nRun "kache bench --help" for usage.\n`);
    return 1;
  }
  if (options === "help") {
    io.stdout(USAGE);
    return 0;
  }
  let conns: Deno.TcpConn[];
  try {
    conns = await connectAll(options.host, options.port, options.connections);
  } catch (error) {
    if (!(error instanceof BenchConnectError)) throw error;
    io.stderr(`${error.message}\n`);
    return 1;
  }
  const stats: LiveStats = { completed: 0, errorReplies: 0, connectionErrors: 0, failures: [] };
  const subject = { workload: originalWorkload(options.seed), protocol: kacheProtocol };
  const stopProgress = io.stderrIsTerminal ? startProgress(io, stats) : undefined;
  let result: BenchResult;
  try {
    result = await runLoad(conns, options, subject, stats);
  } finally {
    stopProgress?.();
  }
  for (const failure of stats.failures) io.stderr(`${failure}\n`);
  io.stdout(options.json ? formatJson(result) : formatText(result));
  return result.connectionErrors > 0 ? 1 : 0;
}
