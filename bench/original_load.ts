/**
 * The original C++ server's benchmark workload as a load generator that is
 * not the bottleneck: like the C++ benchmark's threads, each connection runs
 * in a Web Worker of its own (its own event loop, free to use another core),
 * sends one request, blocks on its reply, and records the round trip; the
 * latencies of all connections are then sorted together, as the C++
 * benchmark does. `kache bench -t original` runs its 4 connections in one
 * event loop, so there the client's own loop adds to every round trip.
 *
 * @module
 */
import type { OriginalLoadReport, OriginalLoadTask } from "./original_load_worker.ts";

/** The C++ benchmark's defaults: 4 threads, 5000 repeats of a 61-command list. */
export const ORIGINAL_CONNECTIONS = 4;
export const ORIGINAL_REPEATS = 5000;

/** What one run measured, in the C++ benchmark's terms. */
export interface OriginalLoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly rps: number;
  /** Latencies in milliseconds. */
  readonly avg: number;
  readonly p50: number;
  readonly p99: number;
  readonly errorReplies: number;
  /** The workers drove blocking libc sockets (see bench/original_load_worker.ts), not Deno.Conn. */
  readonly blocking: boolean;
}

export interface OriginalLoadOptions {
  readonly connections?: number;
  readonly repeats?: number;
  readonly seed?: number;
}

/** Value at a percentile of sorted values, indexed as the C++ benchmark does (floor of n·p). */
function percentile(sorted: Float64Array, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

/** Runs the original workload against the binary protocol on 127.0.0.1:`port`. */
export async function runOriginalLoad(
  port: number,
  options: OriginalLoadOptions = {},
): Promise<OriginalLoadResult> {
  const connections = options.connections ?? ORIGINAL_CONNECTIONS;
  const repeats = options.repeats ?? ORIGINAL_REPEATS;
  const seed = options.seed ?? 1;
  const workers = Array.from(
    { length: connections },
    () =>
      new Worker(new URL("./original_load_worker.ts", import.meta.url).href, { type: "module" }),
  );
  const next = (worker: Worker) =>
    new Promise<OriginalLoadReport>((resolve, reject) => {
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        reject(new Error(event.message));
      };
    });
  try {
    // Connected first, so the timed run starts with every connection open.
    const ready = workers.map(next);
    workers.forEach((worker, connection) => {
      const task: OriginalLoadTask = { port, connection, seed, repeats };
      worker.postMessage({ connect: task });
    });
    let blocking = true;
    for (const report of await Promise.all(ready)) {
      if ("failure" in report) throw new Error(`original workload: ${report.failure}`);
      if ("blocking" in report) blocking &&= report.blocking;
    }
    const done = workers.map(next);
    const startedAt = performance.now();
    for (const worker of workers) worker.postMessage({ start: true });
    const reports = await Promise.all(done);
    const seconds = (performance.now() - startedAt) / 1000;
    let total = 0;
    let errorReplies = 0;
    for (const report of reports) {
      if ("failure" in report) throw new Error(`original workload: ${report.failure}`);
      if (!("latencies" in report)) throw new Error("original workload: a worker sent no results");
      total += report.latencies.length;
      errorReplies += report.errorReplies;
    }
    const all = new Float64Array(total);
    let offset = 0;
    let sum = 0;
    for (const report of reports) {
      if (!("latencies" in report)) continue;
      all.set(report.latencies, offset);
      offset += report.latencies.length;
      for (const micros of report.latencies) sum += micros;
    }
    all.sort();
    return {
      requests: total,
      seconds,
      rps: total / seconds,
      avg: sum / total / 1000,
      p50: percentile(all, 0.5) / 1000,
      p99: percentile(all, 0.99) / 1000,
      errorReplies,
      blocking,
    };
  } finally {
    for (const worker of workers) worker.terminate();
  }
}
