/**
 * The shape of a command: Redis keeps its command table as data
 * (`src/commands/*.json`) and derives arity checks, `COMMAND`, `COMMAND DOCS`
 * and help from it; Kache does the same with {@link CommandSpec}.
 *
 * @module
 */
import type { Keyspace } from "../keyspace.ts";
import type { HandlerReply } from "../reply.ts";
import type { Session } from "../session.ts";
import type { ServerControl } from "../server_control.ts";
import type { CommandTable } from "./table.ts";

/** Redis's command flags that Kache uses (see COMMAND INFO). */
export type CommandFlag =
  | "write"
  | "readonly"
  | "denyoom"
  | "admin"
  | "pubsub"
  | "noscript"
  | "blocking"
  | "loading"
  | "stale"
  | "skip_monitor"
  | "skip_slowlog"
  | "fast"
  | "no_auth"
  | "may_replicate"
  | "no_multi"
  | "allow_busy";

/** What a handler may reach: the data, its own connection, and the server around it. */
export interface CommandContext {
  /**
   * The session's selected database (lib/commands/context.ts): read it per
   * command, never keep it, since SELECT changes it.
   */
  readonly keyspace: Keyspace;
  readonly session: Session;
  readonly server: ServerControl;
  /** The table itself, for EXEC (runs queued commands) and COMMAND (describes them). */
  readonly commands: CommandTable;
}

/** Runs one command. argv[0] is the command name as sent; arity is already checked. */
export type CommandHandler = (context: CommandContext, argv: readonly string[]) => HandlerReply;

/** One argument in COMMAND DOCS, as Redis describes it. */
export interface ArgumentDoc {
  readonly name: string;
  readonly type:
    | "string"
    | "integer"
    | "double"
    | "key"
    | "pattern"
    | "unix-time"
    | "pure-token"
    | "oneof"
    | "block";
  readonly token?: string;
  readonly optional?: boolean;
  readonly multiple?: boolean;
  readonly arguments?: readonly ArgumentDoc[];
}

export interface CommandSpec {
  /** Lower-case name, as COMMAND reports it. */
  readonly name: string;
  /** Redis convention: N means exactly N words with the name, -N means at least N. */
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  /** Position of the first key (0 = none), the last (-1 = last argument), and the step. */
  readonly keys?: KeyPositions;
  /**
   * Key positions that depend on the arguments (Redis's "movablekeys":
   * XREAD's keys follow its STREAMS keyword): the positions in this `argv`,
   * or undefined when it names no key. Takes the place of `keys`, which,
   * when given too, is only what COMMAND INFO shows (MIGRATE's key at 3).
   */
  readonly movableKeys?: (argv: readonly string[]) => KeyPositions | undefined;
  /** Redis's group name in COMMAND DOCS (`string`, `sorted-set`, `generic`, …). */
  readonly group: string;
  readonly summary: string;
  readonly since: string;
  readonly complexity?: string;
  readonly arguments?: readonly ArgumentDoc[];
  /** Container commands (CONFIG, CLIENT…) dispatch on their second word. */
  readonly subcommands?: readonly CommandSpec[];
  /** Absent on container commands, whose subcommands run instead. */
  readonly handler?: CommandHandler;
}

/** Where a command's keys sit in its argv: first (0 = none), last (negative counts from the end), step. */
export interface KeyPositions {
  readonly first: number;
  readonly last: number;
  readonly step: number;
}

/**
 * The key positions of `spec` in this `argv` (its movable keys when it has
 * them), or undefined when it names no key.
 */
export function keyPositions(
  spec: CommandSpec,
  argv: readonly string[],
): KeyPositions | undefined {
  const keys = spec.movableKeys !== undefined ? spec.movableKeys(argv) : spec.keys;
  return keys !== undefined && keys.first > 0 ? keys : undefined;
}

/**
 * The index in `argv` of the last key a command with key positions `keys`
 * names (Redis's key-spec range; a negative `last` counts from the end).
 * Keys sit at `keys.first`, then every `keys.step`, up to this index.
 */
export function lastKeyIndex(
  keys: NonNullable<CommandSpec["keys"]>,
  argv: readonly string[],
): number {
  return keys.last < 0 ? argv.length + keys.last : Math.min(keys.last, argv.length - 1);
}
