/**
 * The README's test command on a machine without Redis: `deno task test`
 * first runs tests/support/ensure_tools.ts, which must say what is missing
 * rather than die on a permission it was not granted. The step runs exactly
 * as deno.json writes it, with PATH holding only `deno`, so neither the Redis
 * tools nor apt-get are found and nothing gets installed.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The first `&&`-separated command of the `test` task. */
async function firstStepOfTestTask(): Promise<string> {
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  const step = String(tasks.test).split("&&")[0]!.trim();
  assert.match(step, /ensure_tools\.ts$/, "the test task starts by ensuring the tools");
  return step;
}

Deno.test("deno task test's first step reports missing Redis tools without a permission error", async () => {
  const step = await firstStepOfTestTask();
  const bin = await Deno.makeTempDir({ prefix: "kache-path-" });
  try {
    await Deno.symlink(Deno.execPath(), `${bin}/deno`);
    const { code, stdout, stderr } = await new Deno.Command("/bin/sh", {
      args: ["-c", step],
      cwd: ROOT,
      env: { PATH: bin },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    assert.equal(code, 1, output);
    assert.match(output, /Missing redis-server, redis-cli, redis-benchmark/);
    assert.doesNotMatch(output, /NotCapable|PermissionDenied|Requires .* access/);
    // apt-get is not on this PATH: the step must not have tried to run it.
    assert.doesNotMatch(output, /\$ apt-get/);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});
