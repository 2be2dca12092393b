/**
 * The reply to `<CONTAINER> HELP`, laid out as Redis's `addReplyHelp`: a
 * usage line, the subcommands, then HELP itself, each a status line.
 *
 * @module
 */
import { array, type Reply, status } from "../reply.ts";

/** `lines` alternate a subcommand's syntax and its indented description. */
export function helpReply(command: string, lines: readonly string[]): Reply {
  return array([
    status(`${command.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`),
    ...lines.map(status),
    status("HELP"),
    status("    Prints this help."),
  ]);
}
