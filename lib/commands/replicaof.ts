/**
 * REPLICAOF and SLAVEOF: follow a master, or (`NO ONE`) stop following and
 * serve the data held as a master. The link itself is the server's
 * (server/replica.ts); replies and errors are Redis 7.0's replicaofCommand.
 *
 * @module
 */
import { CommandError } from "../errors.ts";
import { parseSafeInteger } from "../numbers.ts";
import { OK, type Reply, status } from "../reply.ts";
import type { CommandContext, CommandSpec } from "./types.ts";

const ALREADY_CONNECTED = status("OK Already connected to specified master");

function replicaof(context: CommandContext, argv: readonly string[]): Reply {
  const server = context.server;
  if (server.replicaOf === undefined) throw new CommandError("ERR replication is not available");
  const host = argv[1]!;
  const portText = argv[2]!;
  if (host.toLowerCase() === "no" && portText.toLowerCase() === "one") {
    server.replicaOf(undefined, context.session);
    return OK;
  }
  const port = parseSafeInteger(portText);
  if (port === undefined || port < 0 || port > 65535) {
    throw new CommandError("ERR Invalid master port");
  }
  return server.replicaOf({ host, port }, context.session) ? OK : ALREADY_CONNECTED;
}

const ARGUMENTS = [
  { name: "host", type: "string" },
  { name: "port", type: "integer" },
] as const;

export const REPLICAOF_COMMANDS: readonly CommandSpec[] = [
  {
    name: "replicaof",
    arity: 3,
    flags: ["admin", "noscript", "stale"],
    group: "server",
    summary: "Configures a server as replica of another, or promotes it to a master.",
    since: "5.0.0",
    complexity: "O(1)",
    arguments: ARGUMENTS,
    handler: replicaof,
  },
  {
    name: "slaveof",
    arity: 3,
    flags: ["admin", "noscript", "stale"],
    group: "server",
    summary: "Sets a Redis server as a replica of another, or promotes it to being a master.",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: ARGUMENTS,
    handler: replicaof,
  },
];
