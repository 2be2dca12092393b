/**
 * What the benchmarks under bench/ share: Kache started as `deno task serve`
 * runs it, a process's CPU time, and the median they all report.
 *
 * @module
 */
import { startServer } from "../tests/support/server_process.ts";

/** The middle value (mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** A `kache serve` process under test. */
export interface RunningKache {
  readonly respPort: number;
  readonly kachePort: number;
  readonly process: Deno.ChildProcess;
  stop(): Promise<void>;
}

/**
 * The `--v8-flags=…` of deno.json's `serve` task, so Kache runs here as
 * `deno task serve` runs it (heap tuning changes throughput).
 */
async function serveV8Flags(): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const task: unknown = config?.tasks?.serve;
  return typeof task === "string"
    ? task.split(/\s+/).filter((part) => part.startsWith("--v8-flags="))
    : [];
}

/**
 * Starts `kache serve` on free loopback ports, persistence off (a fresh temp dir, no save rules),
 * with `serveArgs` after those.
 */
export async function startKache(serveArgs: string[] = []): Promise<RunningKache> {
  const v8Flags = (await serveV8Flags()).map((flag) => flag.slice("--v8-flags=".length));
  const server = await startServer(["--appendonly", "no", ...serveArgs], { v8Flags });
  return {
    respPort: server.respPort,
    kachePort: server.kachePort,
    process: server.process,
    stop: async () => {
      await server.stop();
    },
  };
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** User + system CPU seconds a process has used so far, from /proc/<pid>/stat. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // The fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}
