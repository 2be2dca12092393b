/**
 * Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
 *
 * Queueing itself lives in the command table (inside MULTI every other
 * command answers QUEUED, and one that fails to resolve marks the
 * transaction failed); EXEC then runs the queue through the table, so each
 * command is counted and its errors become elements of EXEC's reply, as in
 * Redis. Optimistic locking comes from the {@link WatchRegistry}, which the
 * keyspace tells about every change, expiry and flush.
 *
 * @module
 */
import { CommandError } from "../errors.ts";
import { array, error, NIL_ARRAY, OK, type Reply } from "../reply.ts";
import type { CommandContext, CommandSpec } from "./types.ts";

/** Leaves MULTI and drops the session's WATCHes from the registry too. */
function endTransaction(context: CommandContext): void {
  context.server.watches.unwatch(context.session);
  context.session.endTransaction();
}

function exec(context: CommandContext): Reply {
  const { session, commands } = context;
  const queued = session.queued;
  if (queued === undefined) throw new CommandError("ERR EXEC without MULTI");
  if (session.queueFailed) {
    endTransaction(context);
    throw new CommandError("EXECABORT Transaction discarded because of previous errors.");
  }
  // A watched key whose deadline has passed counts as changed even if nothing has removed it
  // yet (Redis's isWatchedKeyExpired): reading it expires it now and the registry hears of it.
  const databases = context.server.databases;
  for (const [db, keys] of session.watched) {
    const keyspace = databases.at(db);
    for (const key of keys) keyspace.has(key);
  }
  if (session.watchTouched) {
    endTransaction(context);
    return NIL_ARRAY;
  }
  // Unwatch before running: the transaction's own writes must not mark this session.
  endTransaction(context);
  const replies: Reply[] = [];
  for (const queuedArgv of queued) {
    // Queueing resolved each command already, so this only finds the spec again.
    const spec = commands.resolve(queuedArgv);
    replies.push(typeof spec === "string" ? error(spec) : commands.run(spec, context, queuedArgv));
  }
  return array(replies);
}

export const TRANSACTION_COMMANDS: readonly CommandSpec[] = [
  {
    name: "multi",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
    group: "transactions",
    summary: "Mark the start of a transaction block",
    since: "1.2.0",
    complexity: "O(1)",
    handler(context) {
      const session = context.session;
      if (session.queued !== undefined) throw new CommandError("ERR MULTI calls can not be nested");
      session.queued = [];
      session.queueFailed = false;
      return OK;
    },
  },
  {
    name: "exec",
    arity: 1,
    flags: ["noscript", "loading", "stale", "skip_slowlog"],
    group: "transactions",
    summary: "Execute all commands issued after MULTI",
    since: "1.2.0",
    complexity: "Depends on commands in the transaction",
    handler: exec,
  },
  {
    name: "discard",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
    group: "transactions",
    summary: "Discard all commands issued after MULTI",
    since: "2.0.0",
    complexity: "O(N), when N is the number of queued commands",
    handler(context) {
      if (context.session.queued === undefined) {
        throw new CommandError("ERR DISCARD without MULTI");
      }
      endTransaction(context);
      return OK;
    },
  },
  {
    name: "watch",
    arity: -2,
    flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
    keys: { first: 1, last: -1, step: 1 },
    group: "transactions",
    summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
    since: "2.2.0",
    complexity: "O(1) for every key.",
    arguments: [{ name: "key", type: "key", multiple: true }],
    handler(context, argv) {
      const { session, keyspace, server } = context;
      if (session.queued !== undefined) {
        throw new CommandError("ERR WATCH inside MULTI is not allowed");
      }
      for (let i = 1; i < argv.length; i++) {
        const key = argv[i]!;
        // Checking existence first also expires a key already past its deadline, before the
        // session watches it, so that expiry does not count as a change.
        server.watches.watch(session, keyspace.index, key, keyspace.has(key));
      }
      return OK;
    },
  },
  {
    name: "unwatch",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast", "allow_busy"],
    group: "transactions",
    summary: "Forget about all watched keys",
    since: "2.2.0",
    complexity: "O(1)",
    handler(context) {
      context.server.watches.unwatch(context.session);
      return OK;
    },
  },
];
