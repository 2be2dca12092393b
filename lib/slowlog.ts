/**
 * The slow log: the most recent commands whose execution took at least
 * `slowlog-log-slower-than` microseconds, newest first, as Redis's
 * slowlog.c keeps them. Only the command's own run is timed (no I/O), so a
 * slow client or a full socket never shows up here.
 *
 * Entries keep at most {@link MAX_ARGUMENTS} arguments and
 * {@link MAX_ARGUMENT_BYTES} bytes of each, with Redis's "... (N more …)"
 * markers, so a huge MSET costs a few KB here, not its size. Secrets
 * (AUTH and HELLO passwords, sensitive CONFIG SET values) are stored as
 * "(redacted)", as Redis 7 does.
 *
 * @module
 */

import { redactSecrets } from "./redaction.ts";

/** Redis's SLOWLOG_ENTRY_MAX_ARGC. */
export const MAX_ARGUMENTS = 32;
/** Redis's SLOWLOG_ENTRY_MAX_STRING. */
export const MAX_ARGUMENT_BYTES = 128;

export interface SlowLogEntry {
  readonly id: number;
  /** Unix seconds when the command ran. */
  readonly timestamp: number;
  readonly durationMicros: number;
  readonly argv: readonly string[];
  /** `ip:port` of the client. */
  readonly address: string;
  readonly clientName: string;
}

/** Who ran a command, as the log shows it. */
export interface SlowLogClient {
  readonly address: string;
  readonly name: string;
}

export class SlowLog {
  /** Commands at least this slow are logged; negative logs nothing, 0 everything. */
  slowerThanMicros = 10_000;
  /** Oldest entries go once there are more than this many. */
  #maxLength = 128;
  /** Oldest first, so adding is a push; replies read it backwards. */
  #entries: SlowLogEntry[] = [];
  #nextId = 0;

  get maxLength(): number {
    return this.#maxLength;
  }

  set maxLength(length: number) {
    this.#maxLength = length;
    this.#trim();
  }

  get length(): number {
    return this.#entries.length;
  }

  /** Whether a command that took `durationMicros` is slow enough to be logged. */
  isSlow(durationMicros: number): boolean {
    return this.slowerThanMicros >= 0 && durationMicros >= this.slowerThanMicros;
  }

  /** Logs the command when it was slow enough; `timestamp` is Unix seconds. */
  record(
    argv: readonly string[],
    durationMicros: number,
    client: SlowLogClient,
    timestamp: number,
  ): void {
    if (!this.isSlow(durationMicros)) return;
    this.#entries.push({
      id: this.#nextId++,
      timestamp,
      durationMicros,
      argv: loggedArguments(argv),
      address: client.address,
      clientName: client.name,
    });
    this.#trim();
  }

  /** Up to `count` entries, newest first; a negative count means all of them. */
  newest(count: number): SlowLogEntry[] {
    const entries = this.#entries;
    const wanted = count < 0 ? entries.length : Math.min(count, entries.length);
    const result: SlowLogEntry[] = [];
    for (let index = entries.length - 1; result.length < wanted; index--) {
      result.push(entries[index]!);
    }
    return result;
  }

  /** SLOWLOG RESET: drops every entry; ids keep counting, as in Redis. */
  reset(): void {
    this.#entries = [];
  }

  #trim(): void {
    const excess = this.#entries.length - this.#maxLength;
    if (excess > 0) this.#entries.splice(0, excess);
  }
}

/** `argv` as the log keeps it: secrets redacted, then cut to Redis's limits. */
export function loggedArguments(argv: readonly string[]): string[] {
  const redacted = redactSecrets(argv);
  const kept = redacted.length > MAX_ARGUMENTS ? MAX_ARGUMENTS - 1 : redacted.length;
  const logged: string[] = [];
  for (let index = 0; index < kept; index++) {
    const argument = redacted[index]!;
    logged.push(
      argument.length > MAX_ARGUMENT_BYTES
        ? `${argument.slice(0, MAX_ARGUMENT_BYTES)}... (${
          argument.length - MAX_ARGUMENT_BYTES
        } more bytes)`
        : argument,
    );
  }
  if (kept < redacted.length) logged.push(`... (${redacted.length - kept} more arguments)`);
  return logged;
}
