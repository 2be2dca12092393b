/**
 * A child process whose stdout and stderr are collected as text, with an
 * idempotent stop: the one shape every server the tests and benchmarks start
 * (kache serve, redis-server) shares.
 */

export interface LoggedProcess {
  readonly process: Deno.ChildProcess;
  /** Everything the process printed so far, stdout and stderr interleaved. */
  output(): string;
  /** True once the process has exited. */
  exited(): boolean;
  /**
   * Sends `signal` (SIGKILL after `killAfterMs` if it is still running), then
   * waits for the exit and the last output. Later calls return the same result.
   */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

export function spawnLogged(
  command: string,
  args: readonly string[],
  options: { readonly killAfterMs?: number } = {},
): LoggedProcess {
  const process = new Deno.Command(command, {
    args: [...args],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  let log = "";
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) log += decoder.decode(chunk, { stream: true });
  };
  const collecting = Promise.all([collect(process.stdout), collect(process.stderr)]);
  let exited = false;
  process.status.then(() => exited = true);
  let stopped: Promise<Deno.CommandStatus> | undefined;
  return {
    process,
    output: () => log,
    exited: () => exited,
    stop(signal = "SIGTERM") {
      stopped ??= (async () => {
        try {
          process.kill(signal);
        } catch {
          // Already exited.
        }
        const killer = options.killAfterMs === undefined ? undefined : setTimeout(() => {
          try {
            process.kill("SIGKILL");
          } catch {
            // Exited meanwhile.
          }
        }, options.killAfterMs);
        try {
          const status = await process.status;
          await collecting;
          return status;
        } finally {
          clearTimeout(killer);
        }
      })();
      return stopped;
    },
  };
}
