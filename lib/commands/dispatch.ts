/**
 * The one path every client request takes, whatever wire it came in on. It
 * fixes "now" for the command (Redis's `commandTimeSnapshot`), applies the
 * RESP2 subscribed-mode rule, picks the original server's commands for the
 * binary wire, and runs everything through the command table, which owns
 * the checks, stats, timing, AOF, MONITOR and keyspace events. The wires
 * (server/resp_wire.ts, server/kache_wire.ts) only decode requests and
 * encode what comes back from here.
 *
 * @module
 */
import { error, type HandlerReply, type Reply } from "../reply.ts";
import { originalCommand, type OriginalResult, UNKNOWN } from "./original.ts";
import type { CommandContext } from "./types.ts";
import { runningRequest } from "../bytes.ts";

/**
 * What a request produced: a reply to encode, an original command's status
 * and item (binary wire), a reply that comes later (a script paused to let
 * the server answer -BUSY), or undefined when the client blocked (BLPOP …)
 * and its reply comes through the wake.
 */
export type Outcome = HandlerReply | OriginalResult | Promise<Reply> | undefined;

/** What a RESP2 client in subscribed mode may run (Redis's check in `processCommand`). */
const SUBSCRIBED_MODE_COMMANDS = new Set([
  "ping",
  "subscribe",
  "ssubscribe",
  "unsubscribe",
  "sunsubscribe",
  "psubscribe",
  "punsubscribe",
  "quit",
  "reset",
]);

/**
 * Runs one request of `context.session`. `contiguous` says the previous
 * request of the same batch ran just before, with nothing else in between
 * (its end time is then this one's start). While it runs, its long arguments
 * are written from the bytes they were decoded from (lib/bytes.ts
 * `runningRequest`), when its wire's decoder remembered them.
 */
export function executeRequest(
  context: CommandContext,
  argv: readonly string[],
  contiguous: boolean,
): Outcome {
  runningRequest(argv);
  try {
    return executeRunning(context, argv, contiguous);
  } finally {
    runningRequest(undefined);
  }
}

function executeRunning(
  context: CommandContext,
  argv: readonly string[],
  contiguous: boolean,
): Outcome {
  const commands = context.commands;
  const session = context.session;
  context.keyspace.now = commands.requestTime(contiguous);
  let result: HandlerReply | OriginalResult;
  if (session.wire === "kache") {
    const name = argv[0] ?? "";
    const spec = commands.lookup(name);
    if (spec === undefined) return UNKNOWN;
    const original = session.authenticated && session.queued === undefined
      ? originalCommand(name)
      : undefined;
    result = original === undefined
      ? commands.execute(context, argv, commands.resolve(argv, spec), contiguous)
      : commands.executeOriginal(context, argv, spec, original, contiguous);
  } else {
    const resolved = commands.resolve(argv);
    if (
      session.subscriptions !== undefined && session.protocol === 2 &&
      typeof resolved !== "string" && !SUBSCRIBED_MODE_COMMANDS.has(resolved.name)
    ) {
      const message =
        `ERR Can't execute '${resolved.name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / ` +
        "QUIT / RESET are allowed in this context";
      commands.countError(message);
      return error(message);
    }
    result = commands.execute(context, argv, resolved, contiguous);
  }
  if (session.blocked !== undefined) return undefined;
  const deferred = session.deferred;
  if (deferred !== undefined) {
    session.deferred = undefined;
    return deferred;
  }
  return result;
}
