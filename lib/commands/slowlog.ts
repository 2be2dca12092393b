/**
 * SLOWLOG GET/LEN/RESET/HELP over the table's {@link SlowLog} (lib/slowlog.ts),
 * with Redis 7's replies: each entry is id, Unix seconds, microseconds, the
 * arguments, the client's address and its name.
 *
 * @module
 */
import { CommandError } from "../errors.ts";
import { array, bulk, integer, OK, type Reply } from "../reply.ts";
import { numberArgument } from "./arguments.ts";
import { helpReply } from "./help.ts";
import type { CommandSpec } from "./types.ts";

/** SLOWLOG GET's count without one. */
const DEFAULT_COUNT = 10;
const BAD_COUNT = "ERR count should be greater than or equal to -1";

const SLOWLOG_HELP = [
  "GET [<count>]",
  "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
  "    Entries are made of:",
  "    id, timestamp, time in microseconds, arguments array, client IP and port,",
  "    client name",
  "LEN",
  "    Return the length of the slowlog.",
  "RESET",
  "    Reset the slowlog.",
];

const SLOWLOG_SUBCOMMANDS: readonly CommandSpec[] = [
  {
    name: "slowlog|get",
    arity: -2,
    flags: ["admin", "loading", "stale"],
    group: "server",
    summary: "Get the slow log's entries",
    since: "2.2.12",
    complexity: "O(N) where N is the number of entries returned",
    arguments: [{ name: "count", type: "integer", optional: true }],
    handler(context, argv) {
      if (argv.length > 3) {
        throw new CommandError(
          "ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.",
        );
      }
      const count = argv[2] === undefined ? DEFAULT_COUNT : numberArgument(argv[2], BAD_COUNT);
      if (count < -1) throw new CommandError(BAD_COUNT);
      const entries: Reply[] = context.commands.slowLog.newest(count).map((entry) =>
        array([
          integer(entry.id),
          integer(entry.timestamp),
          integer(entry.durationMicros),
          array(entry.argv.map(bulk)),
          bulk(entry.address),
          bulk(entry.clientName),
        ])
      );
      return array(entries);
    },
  },
  {
    name: "slowlog|len",
    arity: 2,
    flags: ["admin", "loading", "stale"],
    group: "server",
    summary: "Get the slow log's length",
    since: "2.2.12",
    complexity: "O(1)",
    handler(context) {
      return integer(context.commands.slowLog.length);
    },
  },
  {
    name: "slowlog|reset",
    arity: 2,
    flags: ["admin", "loading", "stale"],
    group: "server",
    summary: "Clear all entries from the slow log",
    since: "2.2.12",
    complexity: "O(N) where N is the number of entries in the slowlog",
    handler(context) {
      context.commands.slowLog.reset();
      return OK;
    },
  },
  {
    name: "slowlog|help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "server",
    summary: "Show helpful text about the different subcommands",
    since: "6.2.0",
    complexity: "O(1)",
    handler() {
      return helpReply("slowlog", SLOWLOG_HELP);
    },
  },
];

export const SLOWLOG_COMMANDS: readonly CommandSpec[] = [
  {
    name: "slowlog",
    arity: -2,
    flags: [],
    group: "server",
    summary: "A container for slow log commands",
    since: "2.2.12",
    complexity: "Depends on subcommand.",
    subcommands: SLOWLOG_SUBCOMMANDS,
  },
];
