/**
 * Kache's one entry point: `kache serve | client | bench | help | version`.
 * Parses the subcommand and hands the rest of argv to it; nothing else.
 * Subcommands load lazily, so `serve` never pays for the client's or the
 * load generator's dependencies.
 *
 * @module
 */
import { KACHE_VERSION } from "./lib/version.ts";

const USAGE = `Kache ${KACHE_VERSION} — a Redis-compatible in-memory data server

Usage: kache <command> [options]

Commands:
  serve [kache.conf] [--name value ...]   start the server (RESP on 6379, binary protocol on 1234)
  client [-h host] [-p port] [--kache] [command ...]   interactive shell or one-shot command
  bench [-h host] [-p port] [-c conns] [-n requests] ...   load generator
  help                                    this text
  version                                 print the version

Run "kache <command> --help" for a command's options.`;

export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "serve":
      return await (await import("./cli/serve.ts")).runServe(rest);
    case "client":
      return await (await import("./cli/client.ts")).runClient(rest);
    case "bench":
      return await (await import("./cli/bench.ts")).runBench(rest);
    case "version":
    case "--version":
    case "-v":
      console.log(`kache ${KACHE_VERSION} (deno ${Deno.version.deno})`);
      return 0;
    case "help":
    case "--help":
    case "-h":
    case undefined:
      console.log(USAGE);
      return command === undefined ? 1 : 0;
    default:
      console.error(`Unknown command "${command}".\n\n${USAGE}`);
      return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
