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
    ports = server.listen();
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
  });
  const signal = await stopped;
  log.notice(`Received ${signal}, shutting down`);
  await server.shutdown();
  log.notice("Kache is now ready to exit, bye bye...");
  return 0;
}
