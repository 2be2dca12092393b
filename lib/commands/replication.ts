/**
 * Replication commands, Redis 7.0's texts: ROLE, SYNC and PSYNC (a
 * connection asking to become a replica), REPLCONF (what a replica tells its
 * master, and ACKs), WAIT. The work is the server's
 * ({@link ReplicationControl}); this file parses and checks arguments.
 *
 * @module
 */
import { CommandError, NOT_INTEGER } from "../errors.ts";
import { parseInteger } from "../numbers.ts";
import { error, OK, type Reply } from "../reply.ts";
import type { ReplicationControl } from "../replication/control.ts";
import { roleReply } from "../replication/report.ts";
import type { CommandContext, CommandSpec } from "./types.ts";

function replicationOf(context: CommandContext): ReplicationControl {
  const replication = context.server.replication;
  if (replication === undefined) throw new CommandError("ERR replication is not available here");
  return replication;
}

/** SYNC and PSYNC: refused where Redis's syncCommand refuses them. */
function attach(context: CommandContext, argv: readonly string[]): Reply {
  const session = context.session;
  // A replica's own link sending SYNC again is ignored, as in Redis.
  if (session.replica) return OK;
  if (session.inTransaction) {
    return error("ERR Replica can't handle SYNC while in a MULTI");
  }
  if (argv.length === 1) return replicationOf(context).attachReplica(session, undefined);
  const offset = parseInteger(argv[2]!);
  if (offset === undefined) return error(NOT_INTEGER);
  return replicationOf(context).attachReplica(session, {
    replid: argv[1]!,
    offset: Number(offset),
  });
}

export const REPLICATION_COMMANDS: readonly CommandSpec[] = [
  {
    name: "role",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast"],
    group: "server",
    summary: "Return the role of the instance in the context of replication",
    since: "2.8.12",
    complexity: "O(1)",
    handler(context) {
      return roleReply(replicationOf(context).view());
    },
  },
  {
    name: "sync",
    arity: 1,
    flags: ["admin", "noscript", "no_multi"],
    group: "server",
    summary: "Internal command used for replication",
    since: "1.0.0",
    handler: attach,
  },
  {
    name: "psync",
    arity: -3,
    flags: ["admin", "noscript", "no_multi"],
    group: "server",
    summary: "Internal command used for replication",
    since: "2.8.0",
    arguments: [
      { name: "replicationid", type: "string" },
      { name: "offset", type: "integer" },
    ],
    handler: attach,
  },
  {
    name: "replconf",
    arity: -1,
    flags: ["admin", "noscript", "loading", "stale", "allow_busy"],
    group: "server",
    summary: "An internal command for configuring the replication stream",
    since: "3.0.0",
    complexity: "O(1)",
    handler(context, argv) {
      return replicationOf(context).replconf(context.session, argv);
    },
  },
  {
    name: "wait",
    arity: 3,
    flags: ["noscript"],
    group: "generic",
    summary:
      "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
    since: "3.0.0",
    complexity: "O(1)",
    arguments: [
      { name: "numreplicas", type: "integer" },
      { name: "timeout", type: "integer" },
    ],
    handler(context, argv) {
      const replicas = parseInteger(argv[1]!);
      if (replicas === undefined) return error(NOT_INTEGER);
      const timeout = parseInteger(argv[2]!);
      if (timeout === undefined) return error("ERR timeout is not an integer or out of range");
      if (timeout < 0) return error("ERR timeout is negative");
      // Inside MULTI, EXEC or a script WAIT never blocks: it answers the count now.
      const blockable = context.commands.mayBlock(context);
      return replicationOf(context).wait(
        context,
        blockable ? Number(replicas) : -Infinity,
        Number(timeout),
      );
    },
  },
];
