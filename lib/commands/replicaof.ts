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
  const host = argv[1]!;
  const portText = argv[2]!;
  if (host.toLowerCase() === "no" && portText.toLowerCase() === "one") {
    follow(context, undefined);
    return OK;
  }
  // Following another master would flush this replica link's own stream (Redis refuses it).
  if (context.session.replica) {
    throw new CommandError("ERR Command is not valid when client is a replica.");
  }
  const port = parseSafeInteger(portText);
  if (port === undefined || port < 0 || port > 65535) {
    throw new CommandError("ERR Invalid master port");
  }
  return follow(context, { host, port }) ? OK : ALREADY_CONNECTED;
}

function follow(
  context: CommandContext,
  target: { host: string; port: number } | undefined,
): boolean {
  const server = context.server;
  if (server.replicaOf === undefined) throw new CommandError("ERR replication is not available");
  return server.replicaOf(target, context.session);
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
