/**
 * MONITOR: every command the server runs, as one status line per command
 * sent to each monitoring client, in Redis's format:
 * `<seconds>.<micros> [<db> <client address>] "arg" "arg" …`, arguments
 * quoted as `sdscatrepr` and secrets redacted. Like Redis 7, a command is
 * shown after it ran (so EXEC follows the commands it ran), rejected
 * commands (unknown, wrong arity, NOAUTH) are never shown, nor `admin` and
 * `skip_monitor` ones.
 *
 * @module
 */
import { quoteString } from "./format.ts";
import { redactSecrets } from "./redaction.ts";
import { status, type StatusReply } from "./reply.ts";
import type { Session } from "./session.ts";

/** One MONITOR line for `argv`, run at Unix microseconds `micros`. */
export function monitorLine(
  micros: number,
  db: number,
  source: string,
  argv: readonly string[],
): StatusReply {
  const seconds = Math.floor(micros / 1e6);
  const fraction = String(Math.floor(micros - seconds * 1e6)).padStart(6, "0");
  let line = `${seconds}.${fraction} [${db} ${source}]`;
  for (const argument of redactSecrets(argv)) line += " " + quoteString(argument);
  return status(line);
}

/** The clients in MONITOR mode; the command table feeds them while there are any. */
export class Monitors {
  readonly #sessions = new Set<Session>();

  get size(): number {
    return this.#sessions.size;
  }

  add(session: Session): void {
    this.#sessions.add(session);
    session.monitoring = true;
  }

  /** Takes a client out of MONITOR mode (RESET, disconnect). */
  remove(session: Session): void {
    this.#sessions.delete(session);
    session.monitoring = false;
  }

  /** Sends `line` to every monitoring client. */
  feed(line: StatusReply): void {
    for (const session of this.#sessions) session.push?.(line);
  }
}
