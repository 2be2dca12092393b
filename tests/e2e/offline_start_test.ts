/**
 * The server and the client need nothing from the network once Deno is
 * installed: the commands of `deno task serve` and `deno task client`, run
 * with a fresh, empty DENO_DIR and the npm registry pointed at a closed port,
 * start the server, run a Lua script (fengari is vendored, vendor/fengari/)
 * and talk to it. They run with `--no-config`: any npm entry in deno.json's
 * "imports" (the tests' ioredis, redis, fast-check …) makes `deno run` fetch
 * every package of the lockfile before running anything.
 *
 * The commands are run directly, not through `deno task`: Deno 2.9's task
 * runner installs every npm package of deno.lock before any task
 * (denoland/deno#30887), which no task command can prevent.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { spawnLogged } from "../support/child_process.ts";
import { freePort } from "../support/server_process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A deno.json task's command as argv for Deno.execPath(), without the leading `deno`. */
function taskArguments(name: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`));
  const words = (config.tasks[name] as string).split(" ");
  assert.equal(words[0], "deno");
  return words.slice(1).map((word) => word === "main.ts" ? `${ROOT}/main.ts` : word);
}

/** Every file below `path` (none if it does not exist). */
function filesUnder(path: string): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(path)];
  } catch {
    return [];
  }
  return entries.flatMap((entry) =>
    entry.isDirectory ? filesUnder(`${path}/${entry.name}`) : [`${path}/${entry.name}`]
  );
}

Deno.test("the serve and client tasks start on an empty Deno cache without the npm registry", async () => {
  const denoDir = await Deno.makeTempDir({ prefix: "kache-deno-dir-" });
  const dataDir = await Deno.makeTempDir({ prefix: "kache-offline-" });
  const env = [`DENO_DIR=${denoDir}`, "NPM_CONFIG_REGISTRY=http://127.0.0.1:9/", "NO_COLOR=1"];
  const port = freePort();
  const serverArgs = ["--port", String(port), "--kache-port", "0", "--save", "", "--dir", dataDir];
  const server = spawnLogged("env", [
    ...env,
    Deno.execPath(),
    ...taskArguments("serve"),
    ...serverArgs,
  ]);
  try {
    const started = Date.now();
    while (!server.output().includes("ready") && !server.exited()) {
      if (Date.now() - started > 60_000) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(server.output(), /ready: RESP on/, server.output());
    const client = await new Deno.Command("env", {
      args: [
        ...env,
        Deno.execPath(),
        ...taskArguments("client"),
        "-p",
        String(port),
        "EVAL",
        "return 40 + 2",
        "0",
      ],
      stdin: "null",
    }).output();
    const printed = new TextDecoder().decode(client.stdout) +
      new TextDecoder().decode(client.stderr);
    assert.match(printed, /42/, printed);
    assert.doesNotMatch(printed + server.output(), /Download/);
    // Nothing was fetched into the empty cache (Deno may create an empty npm directory).
    assert.deepEqual(filesUnder(`${denoDir}/npm`), []);
  } finally {
    await server.stop("SIGTERM");
    await Deno.remove(denoDir, { recursive: true });
    await Deno.remove(dataDir, { recursive: true });
  }
});
