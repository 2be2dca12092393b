/**
 * Runs a snippet of TypeScript in its own Deno process with a small heap and
 * a kill timer, for regression tests of inputs that once hung or exhausted
 * the process: if the bug comes back, the child dies or is killed and the
 * test fails, instead of the whole test run hanging or crashing.
 *
 * @module
 */

export interface IsolatedResult {
  /** Exit code, or undefined when the timer killed the child. */
  readonly code: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
}

/** The absolute URL of a module of the repository (`lib/reply.ts`), for isolated sources. */
export function repoModule(path: string): string {
  return new URL(`../../${path}`, import.meta.url).href;
}

/**
 * Runs `source` (an ES module importing by {@link repoModule} URLs) with at most `heapMegabytes` of V8 heap, killing it after `killAfterMs`.
 * The kill timer is a hang detector, far above the expected run time.
 */
export async function runIsolated(
  source: string,
  options: { heapMegabytes?: number; killAfterMs?: number } = {},
): Promise<IsolatedResult> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, source);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        // The temporary file lives outside the repository, so name its config: modules under
        // lib/ import npm packages (the Lua engine) through the import map.
        `--config=${new URL("../../deno.json", import.meta.url).pathname}`,
        `--v8-flags=--max-old-space-size=${options.heapMegabytes ?? 256}`,
        file,
      ],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
    }, options.killAfterMs ?? 60_000);
    const output = await child.output();
    clearTimeout(timer);
    const decoder = new TextDecoder();
    return {
      code: killed ? undefined : output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  } finally {
    await Deno.remove(file);
  }
}
