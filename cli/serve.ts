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
import { notifySystemd } from "../server/supervisor.ts";
import { parseServeArguments } from "./serve_args.ts";
import { resolve } from "node:path";

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
  const logfile = config.string("logfile");
  let write: ((line: string) => void) | undefined;
  if (logfile !== "") {
    try {
      const file = Deno.openSync(logfile, { append: true, create: true });
      const encoder = new TextEncoder();
      write = (line) => file.writeSync(encoder.encode(`${line}\n`));
    } catch (cause) {
      console.error(`Can't open the log file: ${(cause as Error).message}`);
      return 1;
    }
  }
  const log = new Logger(config.string("loglevel") as LogLevel, write);
  if (parsed.noEffect.length > 0) {
    log.warning(
      `These redis.conf directives have no effect in Kache and were ignored: ${
        parsed.noEffect.join(" ")
      }`,
    );
  }
  const supervised = config.string("supervised");
  const systemd = supervised === "systemd" ||
    (supervised === "auto" && Deno.env.get("NOTIFY_SOCKET") !== undefined);
  if (config.boolean("daemonize") && supervised === "no") {
    // Deno cannot fork(); the process stays in front. Said on stderr too: the log may be a file.
    const text = "daemonize yes: Kache cannot fork into the background (Deno has no fork), " +
      "so it keeps running in the foreground. Run it under a supervisor instead, e.g. a " +
      "systemd unit with Type=notify and --supervised systemd --daemonize no.";
    log.warning(text);
    if (logfile !== "") console.error(text);
  }
  if (supervised === "upstart") {
    log.warning("supervised upstart: Kache cannot raise SIGSTOP for upstart; not signalling");
  }
  const server = new KacheServer(config, log);
  if (parsed.configFile !== undefined) server.configFile = resolve(parsed.configFile);
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
  const pidfile = config.string("pidfile");
  if (pidfile !== "") {
    try {
      Deno.writeTextFileSync(pidfile, `${Deno.pid}\n`);
    } catch (cause) {
      // Redis too only warns: the server is up, only the pid file is missing.
      log.warning(`Failed to write PID file: ${(cause as Error).message}`);
    }
  }
  log.notice(
    `Kache ${KACHE_VERSION} ready: RESP on ${ports.resp ?? "(disabled)"}, binary protocol on ${
      ports.kache ?? "(disabled)"
    }, bind ${config.string("bind")}${
      config.string("unixsocket") === "" ? "" : `, unix socket ${config.string("unixsocket")}`
    }`,
  );
  if (systemd) {
    const problem = await notifySystemd("READY=1");
    if (problem === undefined) log.notice("Supervised by systemd: told it we are ready");
    else log.warning(problem);
  }
  const stopped = new Promise<string>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => resolve(signal));
    }
    server.exitRequested.then(() => resolve("SHUTDOWN"));
  });
  const reason = await stopped;
  if (reason !== "SHUTDOWN") log.notice(`Received ${reason}, shutting down`);
  await server.shutdown();
  if (pidfile !== "") {
    try {
      Deno.removeSync(pidfile);
    } catch {
      // Never written, or removed by someone else.
    }
  }
  // SHUTDOWN saved before answering; a signal saves now if save rules are set, as Redis does.
  const saved = await server.persistence.close(reason === "SHUTDOWN" ? "nosave" : "default");
  if (!saved) {
    log.warning("Error trying to save the DB; exiting anyway with status 1");
    return 1;
  }
  log.notice("Kache is now ready to exit, bye bye...");
  return 0;
}
