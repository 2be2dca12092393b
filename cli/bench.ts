/**
 * `kache bench`: the load generator, for Kache or any Redis-compatible server.
 *
 * By default it replays the original C++ benchmark over the binary protocol:
 * 4 connections, each sending its 61-command list one request at a time,
 * 5,000 times (1,220,000 requests). `-t` names redis-benchmark-style tests
 * (set, get, incr, zadd, zrange, zquery, mixed) that run over RESP with
 * redis-benchmark's defaults, so the same load can be pointed at Redis and at
 * Kache. What is sent comes from a pluggable workload and protocol
 * (`bench_workload.ts`); how it is reported from `bench_report.ts`. This
 * module owns only sockets, time and flags.
 *
 * The generator must never be what limits throughput, so each connection is
 * one loop over one reusable read buffer: requests were encoded before the
 * clock started, a pipelined batch is one write of a contiguous slice, and
 * replies are counted by their framing without being decoded.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  formatCsv,
  formatJson,
  formatProgress,
  formatTableFooter,
  formatTableHeader,
  formatTableRow,
  formatText,
  LatencyRecorder,
} from "./bench_report.ts";
import type { BenchResult } from "./bench_report.ts";
import {
  BENCH_TESTS,
  benchWorkload,
  encodeRequestRing,
  fillRandomKeys,
  kacheProtocol,
  keyRandom,
  MAX_KEYSPACE,
  requestBatch,
  respProtocol,
  splitRequests,
} from "./bench_workload.ts";
import type { BenchProtocol, BenchTest, BenchWorkload, RequestRing } from "./bench_workload.ts";
import { KacheConnection } from "./connection.ts";
import type { ClientReply } from "../lib/protocol/resp_reply.ts";

/** Settings of one run, after flag parsing and validation. */
export interface BenchOptions {
  readonly host: string;
  readonly port: number;
  /** Wire protocol: the binary Kache protocol or RESP. */
  readonly protocol: "kache" | "resp";
  /** Sent with AUTH on every connection before anything else, when set. */
  readonly password: string | undefined;
  readonly connections: number;
  /** Requests in flight per connection: send this many, then wait for as many replies. */
  readonly pipeline: number;
  /** How many times each connection sends its whole command list, when set. */
  readonly repeats: number | undefined;
  /** Total requests across connections, per test; overrides `repeats` when set. */
  readonly requests: number | undefined;
  /** Run each test for this long instead of a request count, when set. */
  readonly durationSeconds: number | undefined;
  /** Bytes in each SET value. */
  readonly valueSize: number;
  /** Random keys in [0, keyspace) replace `__rand_int__`, when set. */
  readonly keyspace: number | undefined;
  /** Tests to run, in order. */
  readonly tests: readonly BenchTest[];
  readonly json: boolean;
  readonly csv: boolean;
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

/** redis-benchmark's request count per test, used when neither -n nor --repeats is given. */
const DEFAULT_REDIS_REQUESTS = 100_000;
/** The original benchmark's repeats per connection. */
const DEFAULT_REPEATS = 5000;

const USAGE = `Usage: kache bench [options]

Load generator for Kache or any Redis-compatible server. By default it
replays the original benchmark over the binary protocol: 4 connections, each
sending a list of 61 commands (11 fixed, 50 random) one at a time, 5000 times.

Options:
  -h, --host <host>          server host (default 127.0.0.1)
  -p, --port <port>          server port (default 1234 with --kache, 6379 with --resp)
      --resp                 speak RESP, as redis-benchmark does
      --kache                speak the binary Kache protocol
  -a, --password <password>  send AUTH <password> first on every connection
  -t, --tests <list>         comma-separated tests (default original):
                             set, get, incr, zadd   what redis-benchmark's tests send
                             zrange   ZRANGE myzset 0 9, after adding 100 members
                             zquery   ZQUERY myzset 0 element:0 0 20 (Kache only: 10 pairs)
                             mixed    per connection a list of 100 commands drawn by
                                      --seed: 50% GET, 35% SET, 15% ZADD, on the same
                                      keys as the get, set and zadd tests
                             original the original benchmark's 61-command lists
  -c, --connections <n>      parallel connections (default 4, or 50 with Redis tests)
  -n, --requests <n>         total requests per test (default 100000 for Redis
                             tests; the original workload uses --repeats)
      --repeats <n>          times each connection sends its list (default 5000)
      --duration <seconds>   run each test for this long instead of a request count
  -P, --pipeline <n>         requests in flight per connection (default 1)
  -d, --value-size <bytes>   SET value size (default 3, as redis-benchmark)
  -r, --keyspace <n>         random keys key:NNNNNNNNNNNN in [0, n), as
                             redis-benchmark -r; without it the keys keep the
                             literal placeholder ("key:__rand_int__"), as there
      --seed <n>             seed of the random commands and keys (default 1)
      --json                 print the results as JSON on stdout (an object for
                             one test, an array for several)
      --csv                  print the results as CSV in redis-benchmark --csv's columns
      --help                 show this help

Protocol rule: --resp or --kache decides; without either, the bench speaks
the binary protocol when the only test is "original" (the default) and RESP
as soon as any other test is named. The default port follows the protocol.
With any test other than original, -c defaults to 50 and -n to 100000, as in
redis-benchmark.

Latencies are measured per request from its batch's send to its reply and
reported as HDR-histogram percentiles. Only error replies (RESP "-", binary
status 3) and lost connections count as errors: a not-found answer to GET is
an ordinary reply. Exit code 1 when a connection fails or is lost.
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
        resp: { type: "boolean" },
        kache: { type: "boolean" },
        password: { type: "string", short: "a" },
        tests: { type: "string", short: "t" },
        connections: { type: "string", short: "c" },
        repeats: { type: "string" },
        requests: { type: "string", short: "n" },
        pipeline: { type: "string", short: "P" },
        duration: { type: "string" },
        "value-size": { type: "string", short: "d" },
        keyspace: { type: "string", short: "r" },
        seed: { type: "string" },
        json: { type: "boolean" },
        csv: { type: "boolean" },
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
  if (values.resp && values.kache) {
    throw new BenchUsageError("--resp and --kache cannot be combined");
  }
  if (values.json && values.csv) throw new BenchUsageError("--json and --csv cannot be combined");
  const tests = parseTests(values.tests ?? "original");
  const redisTests = tests.some((test) => test !== "original");
  const protocol = values.resp ? "resp" : values.kache ? "kache" : redisTests ? "resp" : "kache";
  return {
    host: values.host ?? "127.0.0.1",
    port: parseNumber("--port", values.port ?? (protocol === "kache" ? "1234" : "6379"), {
      min: 1,
      max: 65535,
    }),
    protocol,
    password: values.password,
    connections: parseNumber("--connections", values.connections ?? (redisTests ? "50" : "4"), {
      min: 1,
    }),
    pipeline: parseNumber("--pipeline", values.pipeline ?? "1", { min: 1 }),
    repeats: values.repeats === undefined
      ? undefined
      : parseNumber("--repeats", values.repeats, { min: 1 }),
    requests: values.requests === undefined
      ? undefined
      : parseNumber("--requests", values.requests, { min: 1 }),
    durationSeconds: duration,
    valueSize: parseNumber("--value-size", values["value-size"] ?? "3", {
      min: 1,
      max: 512 * 1024 * 1024,
    }),
    keyspace: values.keyspace === undefined
      ? undefined
      : parseNumber("--keyspace", values.keyspace, { min: 1, max: MAX_KEYSPACE }),
    tests,
    json: values.json ?? false,
    csv: values.csv ?? false,
    seed: parseNumber("--seed", values.seed ?? "1", { min: 0, max: 0xffffffff }),
  };
}

/** Parses `-t`'s comma-separated list (case-insensitive, as redis-benchmark's). */
function parseTests(text: string): BenchTest[] {
  const tests: BenchTest[] = [];
  for (const part of text.split(",")) {
    const name = part.trim().toLowerCase();
    const test = BENCH_TESTS.find((known) => known === name);
    if (test === undefined) {
      throw new BenchUsageError(
        `--tests: unknown test "${part.trim()}" (known: ${BENCH_TESTS.join(", ")})`,
      );
    }
    if (!tests.includes(test)) tests.push(test);
  }
  return tests;
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

/** Thrown when the server cannot be reached, or refuses AUTH or setup, before the run starts. */
export class BenchConnectError extends Error {
  override name = "BenchConnectError";
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
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
    throw new BenchConnectError(
      `Could not connect to Kache at ${host}:${port}: ${describe(failure)}`,
    );
  }
  // Small requests must leave at once, not wait for Nagle to batch them.
  for (const conn of conns) conn.setNoDelay(true);
  return conns;
}

/** Why a setup reply means the setup failed, or undefined when it is an ordinary answer. */
function setupFailure(reply: ClientReply): string | undefined {
  if (reply.type === "error") return reply.message;
  // Binary statuses: 1 unknown command, 3 error, 4 bad argument, 5 wrong type.
  if (reply.type === "status-code" && [1, 3, 4, 5].includes(reply.status)) {
    return `status ${reply.status}`;
  }
  return undefined;
}

/**
 * Checks the password and runs a workload's setup commands on one ordinary
 * client connection, so a wrong password or a failing setup is reported with
 * the server's own words before any load starts.
 */
async function prepare(options: BenchOptions, setup: readonly string[][]): Promise<void> {
  if (options.password === undefined && setup.length === 0) return;
  let connection: KacheConnection;
  try {
    connection = await KacheConnection.connect({
      hostname: options.host,
      port: options.port,
      protocol: options.protocol,
    });
  } catch (error) {
    throw new BenchConnectError(
      `Could not connect to Kache at ${options.host}:${options.port}: ${describe(error)}`,
    );
  }
  try {
    const commands = options.password === undefined
      ? setup
      : [["AUTH", options.password], ...setup];
    const replies = await Promise.all(commands.map((command) => connection.send(command)));
    for (const [i, reply] of replies.entries()) {
      const failure = setupFailure(reply);
      if (failure === undefined) continue;
      const what = options.password !== undefined && i === 0 ? "AUTH" : commands[i]!.join(" ");
      throw new BenchConnectError(`${what} failed: ${failure}`);
    }
  } catch (error) {
    if (error instanceof BenchConnectError) throw error;
    throw new BenchConnectError(`Setup failed: ${describe(error)}`);
  } finally {
    connection.close();
  }
}

/** Sends AUTH on each bench connection and waits for its one reply, counted like any other. */
async function authenticateAll(
  conns: readonly Deno.Conn[],
  protocol: BenchProtocol,
  password: string,
): Promise<void> {
  const request = protocol.encode(["AUTH", password]);
  await Promise.all(conns.map(async (conn) => {
    await writeAll(conn, request);
    const counter = protocol.createReplyCounter();
    const buffer = new Uint8Array(4096);
    let filled = 0;
    while (true) {
      const read = await conn.read(buffer.subarray(filled));
      if (read === null) {
        throw new BenchConnectError("AUTH failed: the server closed the connection");
      }
      filled += read;
      if (counter.scan(buffer, 0, filled, 1) === 1) break;
      if (counter.failure !== undefined || filled === buffer.length) {
        throw new BenchConnectError("AUTH failed: unreadable reply");
      }
    }
    if (counter.errorReplies > 0) {
      throw new BenchConnectError(`AUTH failed: ${counter.errorTexts[0] ?? "error reply"}`);
    }
  }));
}

/** Counters the run updates as it goes, read by the progress line. */
export interface LiveStats {
  completed: number;
  /** Requests the run will send, once known; Infinity for a `--duration` run. */
  total: number;
  errorReplies: number;
  /** Error replies by text, at most {@link MAX_ERROR_TEXTS} texts (the count covers them all). */
  readonly errorTexts: Map<string, number>;
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
  /** Random keys in [0, keyspace) fill the ring's placeholders before each batch, when set. */
  readonly keyspace: number | undefined;
  readonly random: () => number;
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
  const { ring, pipeline, latency, stats, keyspace, random } = plan;
  const counter = plan.protocol.createReplyCounter();
  let buffer = new Uint8Array(64 * 1024);
  // buffer[scanned, filled) holds bytes read but not yet part of a counted reply.
  let filled = 0;
  let scanned = 0;
  let next = 0;
  let remaining = plan.requests;
  while (remaining > 0 && performance.now() < plan.deadline) {
    const batch = Math.min(pipeline, remaining);
    if (keyspace !== undefined) fillRandomKeys(ring, next, batch, keyspace, random);
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
      for (const text of counter.errorTexts) countErrorText(stats.errorTexts, text);
    }
    remaining -= batch;
  }
}

/** Distinct error texts a run keeps; a workload failing in more ways is summed up by the count. */
export const MAX_ERROR_TEXTS = 10;

function countErrorText(texts: Map<string, number>, text: string): void {
  const count = texts.get(text);
  if (count !== undefined) texts.set(text, count + 1);
  else if (texts.size < MAX_ERROR_TEXTS) texts.set(text, 1);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await conn.write(bytes.subarray(offset));
}

/** A workload and protocol to run. */
export interface BenchSubject {
  readonly workload: BenchWorkload;
  readonly protocol: BenchProtocol;
}

/**
 * How many requests each connection sends: `-n` split evenly; else
 * `--repeats` whole lists (the original workload's default 5000); else
 * redis-benchmark's 100000 split evenly.
 */
function requestShares(
  options: BenchOptions,
  workload: BenchWorkload,
  periods: readonly number[],
): number[] {
  if (options.durationSeconds !== undefined) return periods.map(() => Infinity);
  if (options.requests !== undefined) return splitRequests(options.requests, periods.length);
  const repeats = options.repeats ?? (workload.name === "original" ? DEFAULT_REPEATS : undefined);
  if (repeats !== undefined) return periods.map((period) => repeats * period);
  return splitRequests(DEFAULT_REDIS_REQUESTS, periods.length);
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
  const shares = requestShares(options, workload, rings.map((ring) => ring.period));
  stats.total = shares.reduce((sum, share) => sum + share, 0);
  const duration = options.durationSeconds;
  const startedAt = performance.now();
  const deadline = duration !== undefined ? startedAt + duration * 1000 : Infinity;
  await Promise.all(conns.map(async (conn, i) => {
    const plan: ConnectionPlan = {
      ring: rings[i]!,
      protocol,
      requests: shares[i]!,
      deadline,
      pipeline: options.pipeline,
      keyspace: options.keyspace,
      random: keyRandom(options.seed, i),
      latency,
      stats,
    };
    try {
      await driveConnection(conn, plan);
    } catch (error) {
      stats.connectionErrors++;
      stats.failures.push(`Connection ${i + 1}: ${describe(error)}`);
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
    title: workload.title,
    protocol: protocol.name,
    host: options.host,
    port: options.port,
    connections: options.connections,
    pipeline: options.pipeline,
    seed: options.seed,
    valueSize: options.valueSize,
    keyspace: options.keyspace ?? null,
    requests: stats.completed,
    errorReplies: stats.errorReplies,
    errorTexts: Object.fromEntries([...stats.errorTexts].sort((a, b) => b[1] - a[1])),
    connectionErrors: stats.connectionErrors,
    errors: stats.errorReplies + stats.connectionErrors,
    durationSeconds,
    throughput: durationSeconds > 0 ? stats.completed / durationSeconds : 0,
    latencyMs: latency.summary(),
  };
}

/** How often the live progress line is redrawn. */
const PROGRESS_INTERVAL_MS = 250;

/**
 * Redraws `test: done of total (percent), rate, ETA` on stderr until the
 * returned function is called, which erases it.
 */
function startProgress(
  io: BenchIo,
  title: string,
  stats: LiveStats,
  durationSeconds: number | undefined,
): () => void {
  const startedAt = performance.now();
  let lastCount = 0;
  let lastTime = startedAt;
  const timer = setInterval(() => {
    const now = performance.now();
    const rate = (stats.completed - lastCount) / ((now - lastTime) / 1000);
    lastCount = stats.completed;
    lastTime = now;
    const line = formatProgress({
      title,
      completed: stats.completed,
      total: stats.total,
      rate,
      elapsedSeconds: (now - startedAt) / 1000,
      durationSeconds,
    });
    io.stderr(`\r\x1b[K${line}`);
  }, PROGRESS_INTERVAL_MS);
  return () => {
    clearInterval(timer);
    io.stderr("\r\x1b[K");
  };
}

/** Runs one test from setup to report; throws {@link BenchConnectError} before any load. */
async function runTest(
  options: BenchOptions,
  test: BenchTest,
  io: BenchIo,
): Promise<{ result: BenchResult; failures: readonly string[] }> {
  const workload = benchWorkload(test, {
    valueSize: options.valueSize,
    randomKeys: options.keyspace !== undefined,
    seed: options.seed,
  });
  const protocol = options.protocol === "resp" ? respProtocol : kacheProtocol;
  await prepare(options, workload.setup.map((command) => [...command]));
  const conns = await connectAll(options.host, options.port, options.connections);
  if (options.password !== undefined) {
    try {
      await authenticateAll(conns, protocol, options.password);
    } catch (error) {
      for (const conn of conns) conn.close();
      throw error instanceof BenchConnectError
        ? error
        : new BenchConnectError(`AUTH failed: ${describe(error)}`);
    }
  }
  const stats: LiveStats = {
    completed: 0,
    total: Infinity,
    errorReplies: 0,
    errorTexts: new Map(),
    connectionErrors: 0,
    failures: [],
  };
  const stopProgress = io.stderrIsTerminal
    ? startProgress(io, workload.title, stats, options.durationSeconds)
    : undefined;
  try {
    const result = await runLoad(conns, options, { workload, protocol }, stats);
    return { result, failures: stats.failures };
  } finally {
    stopProgress?.();
  }
}

/**
 * Runs `kache bench` with the arguments after `bench` and returns the exit
 * code: 0 on success, 1 on bad flags, no connection, a refused AUTH or
 * setup, or a lost connection.
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
  const results: BenchResult[] = [];
  let lost = false;
  for (const test of options.tests) {
    let outcome;
    try {
      outcome = await runTest(options, test, io);
    } catch (error) {
      if (!(error instanceof BenchConnectError)) throw error;
      io.stderr(`${error.message}\n`);
      return 1;
    }
    for (const failure of outcome.failures) io.stderr(`${failure}\n`);
    lost ||= outcome.result.connectionErrors > 0;
    results.push(outcome.result);
    // Text goes out test by test, as redis-benchmark prints, so a long run shows progress;
    // several tests make one table, a row per test.
    if (!options.json && !options.csv) {
      if (options.tests.length === 1) io.stdout(formatText(outcome.result));
      else {
        if (results.length === 1) io.stdout(formatTableHeader(outcome.result));
        io.stdout(formatTableRow(outcome.result));
      }
    }
  }
  if (!options.json && !options.csv && options.tests.length > 1) {
    io.stdout(formatTableFooter(results));
  }
  if (options.json) io.stdout(formatJson(results.length === 1 ? results[0]! : results));
  if (options.csv) io.stdout(formatCsv(results));
  return lost ? 1 : 0;
}
