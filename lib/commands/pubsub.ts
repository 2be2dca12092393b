/**
 * Pub/Sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
 * PUBLISH and PUBSUB CHANNELS|NUMSUB|NUMPAT|HELP, over the registry in
 * `lib/pubsub.ts`.
 *
 * Redis answers (P)(UN)SUBSCRIBE with one reply per channel — a push frame
 * on RESP3 and the binary protocol, an array on RESP2. A handler returns one
 * {@link Reply}, so every confirmation but the last goes out through the
 * session's `push` (which keeps its place in the connection's output) and
 * the last is the command's reply. Subscribed mode's RESP2 restrictions
 * are the RESP wire's business (`server/resp_wire.ts`); PING's RESP2
 * subscribed-mode reply is in `connection.ts`.
 *
 * @module
 */
import { CommandError } from "../errors.ts";
import { array, bulk, bulkArray, integer, NIL, push, type Reply } from "../reply.ts";
import type { Session } from "../session.ts";
import { helpReply } from "./help.ts";
import type { CommandContext, CommandSpec } from "./types.ts";

const SUBSCRIBE = bulk("subscribe");
const UNSUBSCRIBE = bulk("unsubscribe");
const PSUBSCRIBE = bulk("psubscribe");
const PUNSUBSCRIBE = bulk("punsubscribe");

/** Sends every confirmation but the last as a push, and returns the last as the reply. */
function confirm(session: Session, confirmations: readonly Reply[]): Reply {
  const last = confirmations.length - 1;
  for (let i = 0; i < last; i++) session.push?.(confirmations[i]!);
  return confirmations[last]!;
}

function subscribeCommand(context: CommandContext, argv: readonly string[]): Reply {
  const { session, server } = context;
  const confirmations: Reply[] = [];
  for (let i = 1; i < argv.length; i++) {
    const count = server.pubsub.subscribe(session, argv[i]!);
    confirmations.push(push([SUBSCRIBE, bulk(argv[i]!), integer(count)]));
  }
  return confirm(session, confirmations);
}

function psubscribeCommand(context: CommandContext, argv: readonly string[]): Reply {
  const { session, server } = context;
  const confirmations: Reply[] = [];
  for (let i = 1; i < argv.length; i++) {
    const count = server.pubsub.psubscribe(session, argv[i]!);
    confirmations.push(push([PSUBSCRIBE, bulk(argv[i]!), integer(count)]));
  }
  return confirm(session, confirmations);
}

/**
 * UNSUBSCRIBE and PUNSUBSCRIBE: the named channels (or patterns), or all of
 * them when none is named; with nothing to leave, one reply with a nil name.
 */
function unsubscribeCommand(
  context: CommandContext,
  argv: readonly string[],
  patterns: boolean,
): Reply {
  const { session, server } = context;
  const kind = patterns ? PUNSUBSCRIBE : UNSUBSCRIBE;
  const names = argv.length > 1 ? argv.slice(1) : [
    ...(patterns ? session.subscriptions?.patterns : session.subscriptions?.channels) ?? [],
  ];
  if (names.length === 0) {
    return push([kind, NIL, integer(session.subscriptions?.count ?? 0)]);
  }
  const confirmations = names.map((name) => {
    const count = patterns
      ? server.pubsub.punsubscribe(session, name)
      : server.pubsub.unsubscribe(session, name);
    return push([kind, bulk(name), integer(count)]);
  });
  return confirm(session, confirmations);
}

const PUBSUB_HELP = [
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
];

const PUBSUB_SUBCOMMANDS: readonly CommandSpec[] = [
  {
    name: "pubsub|channels",
    arity: -2,
    flags: ["pubsub", "loading", "stale"],
    group: "pubsub",
    summary: "List active channels",
    since: "2.8.0",
    complexity: "O(N) where N is the number of active channels, and assuming constant time " +
      "pattern matching (relatively short channels and patterns)",
    arguments: [{ name: "pattern", type: "pattern", optional: true }],
    handler(context, argv) {
      if (argv.length > 3) {
        throw new CommandError(
          `ERR unknown subcommand or wrong number of arguments for '${
            argv[1]!.slice(0, 128)
          }'. Try PUBSUB HELP.`,
        );
      }
      return bulkArray(context.server.pubsub.channels(argv[2]));
    },
  },
  {
    name: "pubsub|numsub",
    arity: -2,
    flags: ["pubsub", "loading", "stale"],
    group: "pubsub",
    summary: "Get the count of subscribers for channels",
    since: "2.8.0",
    complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels",
    arguments: [{ name: "channel", type: "string", optional: true, multiple: true }],
    handler(context, argv) {
      const items: Reply[] = [];
      for (let i = 2; i < argv.length; i++) {
        items.push(bulk(argv[i]!), integer(context.server.pubsub.subscriberCount(argv[i]!)));
      }
      return array(items);
    },
  },
  {
    name: "pubsub|numpat",
    arity: 2,
    flags: ["pubsub", "loading", "stale"],
    group: "pubsub",
    summary: "Get the count of unique patterns pattern subscriptions",
    since: "2.8.0",
    complexity: "O(1)",
    handler(context) {
      return integer(context.server.pubsub.patternCount);
    },
  },
  {
    name: "pubsub|help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "pubsub",
    summary: "Show helpful text about the different subcommands",
    since: "6.2.0",
    complexity: "O(1)",
    handler(_context, argv) {
      return helpReply(argv[0]!, PUBSUB_HELP);
    },
  },
];

export const PUBSUB_COMMANDS: readonly CommandSpec[] = [
  {
    name: "subscribe",
    arity: -2,
    flags: ["pubsub", "noscript", "loading", "stale"],
    group: "pubsub",
    summary: "Listen for messages published to the given channels",
    since: "2.0.0",
    complexity: "O(N) where N is the number of channels to subscribe to.",
    arguments: [{ name: "channel", type: "string", multiple: true }],
    handler: subscribeCommand,
  },
  {
    name: "unsubscribe",
    arity: -1,
    flags: ["pubsub", "noscript", "loading", "stale"],
    group: "pubsub",
    summary: "Stop listening for messages posted to the given channels",
    since: "2.0.0",
    complexity: "O(N) where N is the number of clients already subscribed to a channel.",
    arguments: [{ name: "channel", type: "string", optional: true, multiple: true }],
    handler: (context, argv) => unsubscribeCommand(context, argv, false),
  },
  {
    name: "psubscribe",
    arity: -2,
    flags: ["pubsub", "noscript", "loading", "stale"],
    group: "pubsub",
    summary: "Listen for messages published to channels matching the given patterns",
    since: "2.0.0",
    complexity: "O(N) where N is the number of patterns the client is already subscribed to.",
    arguments: [{
      name: "pattern",
      type: "block",
      multiple: true,
      arguments: [{ name: "pattern", type: "pattern" }],
    }],
    handler: psubscribeCommand,
  },
  {
    name: "punsubscribe",
    arity: -1,
    flags: ["pubsub", "noscript", "loading", "stale"],
    group: "pubsub",
    summary: "Stop listening for messages posted to channels matching the given patterns",
    since: "2.0.0",
    complexity: "O(N+M) where N is the number of patterns the client is already subscribed " +
      "and M is the number of total patterns subscribed in the system (by any client).",
    arguments: [{ name: "pattern", type: "pattern", optional: true, multiple: true }],
    handler: (context, argv) => unsubscribeCommand(context, argv, true),
  },
  {
    name: "publish",
    arity: 3,
    flags: ["pubsub", "loading", "stale", "fast", "may_replicate"],
    group: "pubsub",
    summary: "Post a message to a channel",
    since: "2.0.0",
    complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel " +
      "and M is the total number of subscribed patterns (by any client).",
    arguments: [{ name: "channel", type: "string" }, { name: "message", type: "string" }],
    handler(context, argv) {
      return integer(context.server.pubsub.publish(argv[1]!, argv[2]!));
    },
  },
  {
    name: "pubsub",
    arity: -2,
    flags: [],
    group: "pubsub",
    summary: "A container for Pub/Sub commands",
    since: "2.8.0",
    complexity: "Depends on subcommand.",
    subcommands: PUBSUB_SUBCOMMANDS,
  },
];
