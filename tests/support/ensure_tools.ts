/**
 * Makes sure the reference Redis (redis-server, redis-cli, redis-benchmark)
 * is installed before the test suite runs, because the differential and
 * real-tool tests use it as the oracle. Installs Debian's packages when run
 * as root on a machine that has apt-get; otherwise says what is missing.
 *
 * `deno task test` runs it with `--allow-run --allow-env --allow-sys=uid`
 * (Deno.uid needs the last one); tests/e2e/first_run_test.ts runs that step
 * with the tools hidden.
 */

const TOOLS = ["redis-server", "redis-cli", "redis-benchmark"];

/** Whether `tool` runs; `apt-get` and `redis-*` all answer `--version`. */
async function has(tool: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(tool, {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .output();
    return success;
  } catch {
    return false;
  }
}

async function run(command: string, args: string[]): Promise<boolean> {
  console.error(`$ ${command} ${args.join(" ")}`);
  const { success } = await new Deno.Command(command, {
    args,
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return success;
}

const missing: string[] = [];
for (const tool of TOOLS) if (!(await has(tool))) missing.push(tool);
if (missing.length > 0) {
  const canInstall = Deno.uid() === 0 && await has("apt-get");
  if (canInstall) {
    console.error(`Installing the reference Redis (missing: ${missing.join(", ")})`);
    const ok = await run("apt-get", ["update", "-qq"]) &&
      await run("apt-get", ["install", "-y", "-qq", "redis-server", "redis-tools"]);
    if (!ok) {
      console.error("Could not install redis-server and redis-tools with apt-get.");
      Deno.exit(1);
    }
  } else {
    console.error(
      `Missing ${missing.join(", ")}: the differential tests need the reference Redis 7.\n` +
        "Install it first, e.g.: sudo apt-get install redis-server redis-tools " +
        "(this step installs it itself only as root where apt-get is available)",
    );
    Deno.exit(1);
  }
}
