/**
 * `kache serve`: builds the configuration, starts the server, logs one line
 * with the ports, and shuts down gracefully on SIGINT/SIGTERM.
 *
 * @module
 */
import { Config, CONFIG_PARAMETERS } from "../lib/config.ts";
import { Logger, type LogLevel } from "../server/log.ts";
import { KacheServer } from "../server/server.ts";
import { KACHE_VERSION } from "../lib/version.ts";
import { parseServeArguments } from "./serve_args.ts";

export function serveUsage(): string {
  const rows = CONFIG_PARAMETERS.map((parameter) =>
    `  --${parameter.name.padEnd(22)} ${parameter.description} (default: ${
      parameter.default === "" ? '""' : parameter.default
    })`
  );
  return [
    "Usage: kache serve [/path/to/kache.conf] [--name value ...]",
    "",
    "Settings use redis-server's names; a config file holds `name value` lines,",
    "and flags given after it override it.",
    "",
    ...rows,
  ].join("\n");
}

export async function runServe(args: string[]): Promise<number> {
  const parsed = parseServeArguments(args, (path) => Deno.readTextFileSync(path));
  if ("error" in parsed) {
    console.error(parsed.error);
    return 1;
  }
  if (parsed.help) {
    console.log(serveUsage());
    return 0;
  }
  const config = new Config();
  for (const [name, value] of parsed.settings) {
    const problem = config.set(name, value, { startup: true });
    if (problem !== undefined) {
      console.error(`Bad value for "${name}": ${problem.replace(/^.* - /, "")}`);
      return 1;
    }
  }
  const log = new Logger(config.string("loglevel") as LogLevel);
  const server = new KacheServer(config, log);
  let ports;
  try {
    // Loaded before listening: no client ever sees a half-loaded dataset.
    server.persistence.load();
    ports = server.listen();
    server.persistence.start();
  } catch (cause) {
    console.error(`Cannot start: ${(cause as Error).message}`);
    return 1;
  }
  log.notice(
    `Kache ${KACHE_VERSION} ready: RESP on ${ports.resp ?? "(disabled)"}, binary protocol on ${
      ports.kache ?? "(disabled)"
    }, bind ${config.string("bind")}`,
  );
  const stopped = new Promise<string>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => resolve(signal));
    }
    server.exitRequested.then(() => resolve("SHUTDOWN"));
  });
  const reason = await stopped;
  if (reason !== "SHUTDOWN") log.notice(`Received ${reason}, shutting down`);
  await server.shutdown();
  // SHUTDOWN saved before answering; a signal saves now if save rules are set, as Redis does.
  const saved = await server.persistence.close(reason === "SHUTDOWN" ? "nosave" : "default");
  if (!saved) {
    log.warning("Error trying to save the DB; exiting anyway with status 1");
    return 1;
  }
  log.notice("Kache is now ready to exit, bye bye...");
  return 0;
}
