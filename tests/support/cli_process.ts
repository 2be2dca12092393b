/**
 * Runs `kache client` (or any `main.ts` command) and Debian's `redis-cli`
 * as real processes for end-to-end tests, with the same shape of result, so
 * a test can run both against one server and compare what they print.
 * Every run is bounded: a process that hangs is killed after 60 s and fails
 * the test instead of stalling the suite.
 *
 * @module
 */
import { requireTool } from "./redis_process.ts";
import { MAIN } from "./server_process.ts";

/** What a finished process printed; `stdoutBytes` for binary output (`--rdb -`). */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Uint8Array;
}

const TIMEOUT_MS = 60_000;

async function run(
  program: string,
  args: readonly string[],
  stdin: string | Uint8Array | undefined,
): Promise<CliResult> {
  const child = new Deno.Command(program, {
    args: [...args],
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
    await writer.close();
  }
  const { code, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
    stdoutBytes: stdout,
  };
}

/** `deno run main.ts <args>`: e.g. `["client", "-p", "6379", "ping"]`. */
export function runKache(args: readonly string[], stdin?: string | Uint8Array): Promise<CliResult> {
  return run(Deno.execPath(), ["run", "--allow-all", MAIN, ...args], stdin);
}

/** `redis-cli <args>`; fails the test when redis-cli is not installed. */
export async function runRedisCli(
  args: readonly string[],
  stdin?: string | Uint8Array,
): Promise<CliResult> {
  await requireTool("redis-cli");
  return run("redis-cli", args, stdin);
}
