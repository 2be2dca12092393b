/**
 * Connection commands: PING, ECHO, HELLO, AUTH, QUIT, RESET, SELECT and the
 * CLIENT container. They act on the caller's {@link Session} (protocol,
 * name, authentication) or, for CLIENT LIST and KILL, on every session the
 * server reports.
 *
 * Kache has one user, `default`, whose password is `requirepass` (none when
 * empty, in which case any password is accepted for it, as Redis's `nopass`).
 * SELECT changes the session's database (lib/commands/context.ts makes
 * `context.keyspace` follow it); sessions on the binary protocol stay on 0.
 *
 * @module
 */
import { UNBLOCKED_ERROR } from "../blocking.ts";
import { DB_OUT_OF_RANGE } from "../databases.ts";
import { CommandError, NOT_INTEGER, SYNTAX, wrongArity } from "../errors.ts";
import { parseInteger } from "../numbers.ts";
import {
  array,
  bulk,
  bulkOrNil,
  EMPTY_ARRAY,
  error,
  integer,
  map,
  NIL_ARRAY,
  OK,
  ONE,
  PONG,
  type Reply,
  set,
  status,
  verbatim,
  ZERO,
} from "../reply.ts";
import type { ServerControl } from "../server_control.ts";
import type { Session } from "../session.ts";
import type { Tracking } from "../tracking.ts";
import { REDIS_COMPATIBLE_VERSION } from "../version.ts";
import { int32Argument, isKeyword } from "./arguments.ts";
import { helpReply } from "./help.ts";
import type { CommandContext, CommandSpec } from "./types.ts";

const WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";
const NO_PASSWORD_SET = "ERR AUTH <password> called without any password configured for the " +
  "default user. Are you sure your configuration is correct?";
const HELLO_NOAUTH = "NOAUTH HELLO must be called with the client already authenticated, " +
  "otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and " +
  "select the RESP protocol version at the same time";
const BAD_CLIENT_NAME = "ERR Client names cannot contain spaces, newlines or special characters.";
const RESET: Reply = status("RESET");

/** Redis's ACL check for Kache's single user. */
function authenticate(server: ServerControl, user: string, password: string): boolean {
  if (user !== "default") return false;
  // No password configured means the default user is `nopass`: any password is accepted.
  return server.checkPassword(user, password) ?? true;
}

function passwordRequired(server: ServerControl): boolean {
  return server.checkPassword("default", "") !== undefined;
}

/** Names and library attributes may hold only printable ASCII without spaces ('!'..'~'). */
function isValidClientAttribute(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

function setClientName(session: Session, name: string): void {
  if (!isValidClientAttribute(name)) throw new CommandError(BAD_CLIENT_NAME);
  session.name = name;
}

/** Redis's client types; Kache's clients are `normal` or `pubsub` (no replicas or masters). */
type ClientType = "normal" | "master" | "replica" | "pubsub";

function clientType(name: string): ClientType {
  const lower = name.toLowerCase();
  if (lower === "normal" || lower === "master" || lower === "replica" || lower === "pubsub") {
    return lower;
  }
  if (lower === "slave") return "replica";
  throw new CommandError(`ERR Unknown client type '${name}'`);
}

/** Redis's getClientType: the master link, a replica, a subscriber, or a normal client. */
function typeOfSession(session: Session): ClientType {
  if (session.master) return "master";
  if (session.replica) return "replica";
  return session.subscriptions === undefined ? "normal" : "pubsub";
}

/** SELECT on the binary protocol, whose sessions always use database 0. */
export const SELECT_ON_BINARY =
  "ERR SELECT is not supported on the binary protocol, which always uses database 0";

/** What a CLIENT LIST line may add about its session. */
export interface ClientInfoOptions {
  readonly tracking?: Tracking;
  /** The command the session is running now (CLIENT LIST/INFO's own): its `argv-mem`. */
  readonly runningArgv?: readonly string[];
}

/**
 * One CLIENT LIST line in Redis's field order, with the fields Kache can
 * tell truly: `qbuf`, `qbuf-free` and `omem` from the connection's buffers,
 * `argv-mem` (bytes of the command running now; between commands a client
 * holds none) and `multi-mem` (bytes of the commands queued in MULTI), and
 * `tot-mem` their sum. Redis's `fd`, `rbs`/`rbp` and `obl`/`oll` describe its
 * own sockets and reply buffers, which Deno does not expose: they are left
 * out rather than shown as 0. `lib-name`/`lib-ver` are the Redis 7.2 fields
 * CLIENT SETINFO fills in.
 */
export function clientInfoLine(
  session: Session,
  now: number,
  options: ClientInfoOptions = {},
): string {
  const tracking = options.tracking;
  let flags = session.replica ? "S" : "";
  if (session.master) flags += "M";
  if (session.subscriptions !== undefined) flags += "P";
  if (session.monitoring) flags += "O";
  if (session.queued !== undefined) flags += "x";
  if (session.blocked !== undefined) flags += "b";
  const trackingFlags = tracking?.flagsOf(session) ?? [];
  if (trackingFlags[0] === "on") flags += "t";
  if (trackingFlags.includes("broken_redirect")) flags += "R";
  if (trackingFlags.includes("bcast")) flags += "B";
  if (session.watchTouched) flags += "d";
  if (session.closeRequested) flags += "c";
  const buffers = session.buffers;
  const argvMemory = argumentBytes(options.runningArgv ?? []);
  let multiMemory = 0;
  for (const queued of session.queued ?? []) multiMemory += argumentBytes(queued);
  return `id=${session.id} addr=${session.address} laddr=${session.localAddress} ` +
    `name=${session.name} age=${Math.max(0, Math.floor((now - session.createdAt) / 1000))} ` +
    `idle=${Math.max(0, Math.floor((now - session.lastCommandAt) / 1000))} ` +
    `flags=${flags || "N"} db=${session.db} sub=${session.subscriptions?.channels.size ?? 0} ` +
    `psub=${session.subscriptions?.patterns.size ?? 0} ssub=0 ` +
    `multi=${session.queued?.length ?? -1} qbuf=${buffers.query} ` +
    `qbuf-free=${Math.max(0, buffers.queryCapacity - buffers.query)} argv-mem=${argvMemory} ` +
    `multi-mem=${multiMemory} omem=${buffers.output} ` +
    `tot-mem=${buffers.queryCapacity + buffers.output + argvMemory + multiMemory} ` +
    `events=${buffers.output > 0 ? "rw" : "r"} cmd=${session.lastCommand} ` +
    `user=default redir=${tracking?.redirectOf(session) ?? -1} resp=${session.protocol} ` +
    `lib-name=${session.libName} lib-ver=${session.libVersion}`;
}

/** Bytes of a command's arguments (Redis's argv_len_sum). */
function argumentBytes(argv: readonly string[]): number {
  let bytes = 0;
  for (const argument of argv) bytes += argument.length;
  return bytes;
}

function findSession(server: ServerControl, id: number): Session | undefined {
  for (const session of server.sessions()) if (session.id === id) return session;
  return undefined;
}

function clientList(context: CommandContext, argv: readonly string[]): Reply {
  const now = context.keyspace.now;
  const line = (session: Session) =>
    clientInfoLine(session, now, {
      tracking: context.server.tracking,
      runningArgv: session === context.session ? argv : undefined,
    });
  let text = "";
  if (argv.length === 4 && isKeyword(argv[2], "TYPE")) {
    const type = clientType(argv[3]!);
    for (const session of context.server.sessions()) {
      if (typeOfSession(session) === type) {
        text += line(session) + "\n";
      }
    }
  } else if (argv.length > 3 && isKeyword(argv[2], "ID")) {
    const ids = argv.slice(3).map((word) => {
      const id = parseInteger(word);
      if (id === undefined) throw new CommandError("ERR Invalid client ID");
      return Number(id);
    });
    for (const id of ids) {
      const session = findSession(context.server, id);
      if (session !== undefined) {
        text += line(session) + "\n";
      }
    }
  } else if (argv.length !== 2) {
    throw new CommandError(SYNTAX);
  } else {
    for (const session of context.server.sessions()) {
      text += line(session) + "\n";
    }
  }
  return verbatim(text);
}

interface KillFilter {
  id?: number;
  type?: ClientType;
  address?: string;
  localAddress?: string;
  skipMe: boolean;
}

/** CLIENT KILL: the old `<ip:port>` form (may kill the caller) or option/value pairs. */
function clientKill(context: CommandContext, argv: readonly string[]): Reply {
  const oldForm = argv.length === 3;
  const filter: KillFilter = oldForm ? { address: argv[2]!, skipMe: false } : { skipMe: true };
  for (let i = 2; !oldForm && i < argv.length; i += 2) {
    const option = argv[i]!.toUpperCase();
    const value = argv[i + 1];
    if (value === undefined) throw new CommandError(SYNTAX);
    if (option === "ID") {
      const id = parseInteger(value);
      if (id === undefined || id < 1) {
        throw new CommandError("ERR client-id should be greater than 0");
      }
      filter.id = Number(id);
    } else if (option === "TYPE") {
      filter.type = clientType(value);
    } else if (option === "ADDR") {
      filter.address = value;
    } else if (option === "LADDR") {
      filter.localAddress = value;
    } else if (option === "USER") {
      // Every Kache client is `default`, so that filter matches all and any other name is unknown.
      if (value !== "default") throw new CommandError(`ERR No such user '${value}'`);
    } else if (option === "SKIPME") {
      if (isKeyword(value, "YES")) filter.skipMe = true;
      else if (isKeyword(value, "NO")) filter.skipMe = false;
      else throw new CommandError(SYNTAX);
    } else {
      throw new CommandError(SYNTAX);
    }
  }

  const caller = context.session;
  const victims: Session[] = [];
  for (const session of context.server.sessions()) {
    if (filter.address !== undefined && session.address !== filter.address) continue;
    if (filter.localAddress !== undefined && session.localAddress !== filter.localAddress) continue;
    if (filter.type !== undefined && typeOfSession(session) !== filter.type) continue;
    if (filter.id !== undefined && session.id !== filter.id) continue;
    if (session === caller && filter.skipMe) continue;
    victims.push(session);
  }
  for (const session of victims) {
    session.closeRequested = true;
    // The caller still gets its reply: its connection closes once the reply is written.
    if (session !== caller) context.server.kill(session);
  }
  if (!oldForm) return integer(victims.length);
  if (victims.length === 0) throw new CommandError("ERR No such client");
  return OK;
}

/**
 * CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends another client's blocking wait as
 * a timeout would (a null reply) or with Redis's -UNBLOCKED error; 1 when
 * that client was blocked. The reason is checked before the id, as in Redis.
 */
function clientUnblock(context: CommandContext, argv: readonly string[]): Reply {
  if (argv.length > 4) {
    throw new CommandError(
      "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.",
    );
  }
  let asError = false;
  if (argv.length === 4) {
    if (isKeyword(argv[3], "ERROR")) asError = true;
    else if (!isKeyword(argv[3], "TIMEOUT")) {
      throw new CommandError("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    }
  }
  const id = parseInteger(argv[2]!);
  if (id === undefined) throw new CommandError(NOT_INTEGER);
  for (const session of context.server.sessions()) {
    if (session.id !== Number(id)) continue;
    const reply = asError ? error(UNBLOCKED_ERROR) : session.blocked?.timedOut?.() ?? NIL_ARRAY;
    return context.commands.blocking.unblock(session, reply) ? ONE : ZERO;
  }
  return ZERO;
}

const CLIENT_HELP = [
  "CACHING (YES|NO)",
  "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
  "GETREDIR",
  "    Return the client ID we are redirecting to when tracking is enabled.",
  "GETNAME",
  "    Return the name of the current connection.",
  "ID",
  "    Return the ID of the current connection.",
  "INFO",
  "    Return information about the current client connection.",
  "KILL <ip:port>",
  "    Kill connection made from <ip:port>.",
  "KILL <option> <value> [<option> <value> [...]]",
  "    Kill connections. Options are:",
  "    * ADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made from the specified address",
  "    * LADDR (<ip:port>|<unixsocket>:0)",
  "      Kill connections made to specified local address",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Kill connections by type.",
  "    * USER <username>",
  "      Kill connections authenticated by <username>.",
  "    * SKIPME (YES|NO)",
  "      Skip killing current connection (default: yes).",
  "LIST [options ...]",
  "    Return information about client connections. Options:",
  "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
  "      Return clients of specified type.",
  "REPLY (ON|OFF|SKIP)",
  "    Control the replies sent to the current connection.",
  "SETNAME <name>",
  "    Assign the name <name> to the current connection.",
  "UNBLOCK <clientid> [TIMEOUT|ERROR]",
  "    Unblock the specified blocked client.",
  "SETINFO <option> <value>",
  "    Set client meta attr. Options are:",
  "    * LIB-NAME: the client lib name.",
  "    * LIB-VER: the client lib version.",
  "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
  "         [OPTIN] [OPTOUT] [NOLOOP]",
  "    Control server assisted client side caching.",
  "TRACKINGINFO",
  "    Report tracking status for the current connection.",
  "NO-EVICT (ON|OFF)",
  "    Protect current client connection from eviction.",
];

/** CLIENT TRACKING ON|OFF with Redis's option parsing and checks (`clientCommand`). */
function clientTracking(context: CommandContext, argv: readonly string[]): Reply {
  const { session, server } = context;
  let redirect: Session | undefined;
  let redirectGiven = false;
  const options = { bcast: false, optin: false, optout: false, noloop: false };
  const prefixes: string[] = [];
  for (let i = 3; i < argv.length; i++) {
    const option = argv[i]!.toLowerCase();
    const more = i < argv.length - 1;
    if (option === "redirect" && more) {
      if (redirectGiven) {
        throw new CommandError("ERR A client can only redirect to a single other client");
      }
      const id = parseInteger(argv[++i]!);
      if (id === undefined) throw new CommandError(NOT_INTEGER);
      redirect = findSession(server, Number(id));
      if (redirect === undefined) {
        throw new CommandError("ERR The client ID you want redirect to does not exist");
      }
      redirectGiven = true;
    } else if (option === "bcast" || option === "optin" || option === "optout") {
      options[option] = true;
    } else if (option === "noloop") {
      options.noloop = true;
    } else if (option === "prefix" && more) {
      prefixes.push(argv[++i]!);
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  if (isKeyword(argv[2], "ON")) {
    const problem = server.tracking.enable(session, { ...options, redirect, prefixes });
    if (problem !== undefined) throw new CommandError(problem);
  } else if (isKeyword(argv[2], "OFF")) {
    server.tracking.disable(session);
  } else {
    throw new CommandError(SYNTAX);
  }
  return OK;
}

const CLIENT_SUBCOMMANDS: readonly CommandSpec[] = [
  {
    name: "client|tracking",
    arity: -3,
    flags: ["noscript", "loading", "stale"],
    group: "connection",
    summary: "Enable or disable server assisted client side caching support",
    since: "6.0.0",
    complexity: "O(1). Some options may introduce additional complexity.",
    arguments: [
      {
        name: "status",
        type: "oneof",
        arguments: [
          { name: "on", type: "pure-token", token: "ON" },
          { name: "off", type: "pure-token", token: "OFF" },
        ],
      },
      { name: "client-id", type: "integer", token: "REDIRECT", optional: true },
      { name: "prefix", type: "string", token: "PREFIX", optional: true, multiple: true },
      { name: "bcast", type: "pure-token", token: "BCAST", optional: true },
      { name: "optin", type: "pure-token", token: "OPTIN", optional: true },
      { name: "optout", type: "pure-token", token: "OPTOUT", optional: true },
      { name: "noloop", type: "pure-token", token: "NOLOOP", optional: true },
    ],
    handler: clientTracking,
  },
  {
    name: "client|caching",
    arity: 3,
    flags: ["noscript", "loading", "stale"],
    group: "connection",
    summary: "Instruct the server about tracking or not keys in the next request",
    since: "6.0.0",
    complexity: "O(1)",
    arguments: [
      {
        name: "mode",
        type: "oneof",
        arguments: [
          { name: "yes", type: "pure-token", token: "YES" },
          { name: "no", type: "pure-token", token: "NO" },
        ],
      },
    ],
    handler(context, argv) {
      const { session, server } = context;
      const tracking = server.tracking;
      let problem: string | undefined;
      if (!tracking.isTracking(session)) problem = tracking.setCaching(session, true);
      else if (isKeyword(argv[2], "YES")) problem = tracking.setCaching(session, true);
      else if (isKeyword(argv[2], "NO")) problem = tracking.setCaching(session, false);
      else problem = SYNTAX;
      if (problem !== undefined) throw new CommandError(problem);
      return OK;
    },
  },
  {
    name: "client|getredir",
    arity: 2,
    flags: ["noscript", "loading", "stale"],
    group: "connection",
    summary: "Get tracking notifications redirection client ID if any",
    since: "6.0.0",
    complexity: "O(1)",
    handler(context) {
      return integer(context.server.tracking.redirectOf(context.session));
    },
  },
  {
    name: "client|trackinginfo",
    arity: 2,
    flags: ["noscript", "loading", "stale"],
    group: "connection",
    summary:
      "Return information about server assisted client side caching for the current connection",
    since: "6.2.0",
    complexity: "O(1)",
    handler(context) {
      const { session, server } = context;
      const tracking = server.tracking;
      return map([
        [bulk("flags"), set(tracking.flagsOf(session).map(bulk))],
        [bulk("redirect"), integer(tracking.redirectOf(session))],
        [bulk("prefixes"), array(tracking.prefixesOf(session).map(bulk))],
      ]);
    },
  },
  {
    name: "client|reply",
    arity: 3,
    flags: ["noscript", "loading", "stale"],
    group: "connection",
    summary: "Instruct the server whether to reply to commands",
    since: "3.2.0",
    complexity: "O(1)",
    arguments: [
      {
        name: "on_off_skip",
        type: "oneof",
        arguments: [
          { name: "on", type: "pure-token", token: "ON" },
          { name: "off", type: "pure-token", token: "OFF" },
          { name: "skip", type: "pure-token", token: "SKIP" },
        ],
      },
    ],
    handler({ session }, argv) {
      // The binary protocol answers every request in order; a missing reply would break it.
      if (session.wire === "kache") {
        throw new CommandError("ERR CLIENT REPLY is not available on the binary protocol");
      }
      if (isKeyword(argv[2], "ON")) {
        session.repliesOff = false;
        session.skipReply = false;
      } else if (isKeyword(argv[2], "OFF")) {
        session.repliesOff = true;
      } else if (isKeyword(argv[2], "SKIP")) {
        if (!session.repliesOff) session.skipNextReply = true;
      } else {
        throw new CommandError(SYNTAX);
      }
      return OK;
    },
  },
  {
    name: "client|id",
    arity: 2,
    flags: ["noscript", "loading", "stale"],
    group: "connection",
    summary: "Returns the client ID for the current connection",
    since: "5.0.0",
    complexity: "O(1)",
    handler(context) {
      return integer(context.session.id);
    },
  },
  {
    name: "client|setname",
    arity: 3,
    flags: ["noscript", "loading", "stale"],
    group: "connection",
    summary: "Set the current connection name",
    since: "2.6.9",
    complexity: "O(1)",
    arguments: [{ name: "connection-name", type: "string" }],
    handler(context, argv) {
      setClientName(context.session, argv[2]!);
      return OK;
    },
  },
  {
    name: "client|getname",
    arity: 2,
    flags: ["noscript", "loading", "stale"],
    group: "connection",
    summary: "Get the current connection name",
    since: "2.6.9",
    complexity: "O(1)",
    handler(context) {
      return bulkOrNil(context.session.name === "" ? undefined : context.session.name);
    },
  },
  {
    name: "client|info",
    arity: 2,
    flags: ["noscript", "loading", "stale"],
    group: "connection",
    summary: "Returns information about the current client connection.",
    since: "6.2.0",
    complexity: "O(1)",
    handler(context, argv) {
      return verbatim(
        clientInfoLine(context.session, context.keyspace.now, {
          tracking: context.server.tracking,
          runningArgv: argv,
        }) + "\n",
      );
    },
  },
  {
    name: "client|list",
    arity: -2,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "connection",
    summary: "Get the list of client connections",
    since: "2.4.0",
    complexity: "O(N) where N is the number of client connections",
    arguments: [
      {
        name: "normal_master_replica_pubsub",
        type: "oneof",
        token: "TYPE",
        optional: true,
        arguments: [
          { name: "normal", type: "pure-token", token: "NORMAL" },
          { name: "master", type: "pure-token", token: "MASTER" },
          { name: "replica", type: "pure-token", token: "REPLICA" },
          { name: "pubsub", type: "pure-token", token: "PUBSUB" },
        ],
      },
      {
        name: "id",
        type: "block",
        token: "ID",
        optional: true,
        arguments: [{ name: "client-id", type: "integer", multiple: true }],
      },
    ],
    handler: clientList,
  },
  {
    name: "client|setinfo",
    arity: 4,
    flags: ["noscript", "loading", "stale"],
    group: "connection",
    summary: "Set client or connection specific info",
    since: "7.2.0",
    complexity: "O(1)",
    arguments: [
      {
        name: "attr",
        type: "oneof",
        arguments: [
          { name: "libname", type: "string", token: "LIB-NAME" },
          { name: "libver", type: "string", token: "LIB-VER" },
        ],
      },
    ],
    handler(context, argv) {
      const attribute = argv[2]!;
      const value = argv[3]!;
      const lower = attribute.toLowerCase();
      if (lower !== "lib-name" && lower !== "lib-ver") {
        throw new CommandError(`ERR Unrecognized option '${attribute}'`);
      }
      if (!isValidClientAttribute(value)) {
        throw new CommandError(
          `ERR ${attribute} cannot contain spaces, newlines or special characters.`,
        );
      }
      if (lower === "lib-name") context.session.libName = value;
      else context.session.libVersion = value;
      return OK;
    },
  },
  {
    name: "client|kill",
    arity: -3,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "connection",
    summary: "Kill the connection of a client",
    since: "2.4.0",
    complexity: "O(N) where N is the number of client connections",
    arguments: [
      {
        name: "filter",
        type: "oneof",
        arguments: [
          { name: "ip:port", type: "string" },
          {
            name: "new-format",
            type: "oneof",
            multiple: true,
            arguments: [
              { name: "client-id", type: "integer", token: "ID", optional: true },
              {
                name: "normal_master_slave_pubsub",
                type: "oneof",
                token: "TYPE",
                optional: true,
                arguments: [
                  { name: "normal", type: "pure-token", token: "NORMAL" },
                  { name: "master", type: "pure-token", token: "MASTER" },
                  { name: "slave", type: "pure-token", token: "SLAVE" },
                  { name: "replica", type: "pure-token", token: "REPLICA" },
                  { name: "pubsub", type: "pure-token", token: "PUBSUB" },
                ],
              },
              { name: "username", type: "string", token: "USER", optional: true },
              { name: "ip:port", type: "string", token: "ADDR", optional: true },
              { name: "ip:port", type: "string", token: "LADDR", optional: true },
              { name: "yes/no", type: "string", token: "SKIPME", optional: true },
            ],
          },
        ],
      },
    ],
    handler: clientKill,
  },
  {
    name: "client|unblock",
    arity: -3,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "connection",
    summary: "Unblock a client blocked in a blocking command from a different connection",
    since: "5.0.0",
    complexity: "O(log N) where N is the number of client connections",
    arguments: [
      { name: "client-id", type: "integer" },
      {
        name: "timeout_error",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "timeout", type: "pure-token", token: "TIMEOUT" },
          { name: "error", type: "pure-token", token: "ERROR" },
        ],
      },
    ],
    handler: clientUnblock,
  },
  {
    name: "client|no-evict",
    arity: 3,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "connection",
    summary: "Set client eviction mode for the current connection",
    since: "7.0.0",
    complexity: "O(1)",
    arguments: [
      {
        name: "enabled",
        type: "oneof",
        arguments: [
          { name: "on", type: "pure-token", token: "ON" },
          { name: "off", type: "pure-token", token: "OFF" },
        ],
      },
    ],
    handler(_context, argv) {
      // Kache never evicts clients, so the mode is accepted and has nothing to change.
      const mode = argv[2]!.toUpperCase();
      if (mode !== "ON" && mode !== "OFF") throw new CommandError(SYNTAX);
      return OK;
    },
  },
  {
    name: "client|help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "connection",
    summary: "Show helpful text about the different subcommands",
    since: "5.0.0",
    complexity: "O(1)",
    handler(_context, argv) {
      return helpReply(argv[0]!, CLIENT_HELP);
    },
  },
];

export const CONNECTION_COMMANDS: readonly CommandSpec[] = [
  {
    name: "ping",
    arity: -1,
    flags: ["fast"],
    group: "connection",
    summary: "Ping the server",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [{ name: "message", type: "string", optional: true }],
    handler({ session }, argv) {
      if (argv.length > 2) throw new CommandError(wrongArity("ping"));
      // RESP2 subscribed mode has no room for a status reply: Redis answers ["pong", message].
      if (
        session.subscriptions !== undefined && session.protocol === 2 && session.wire === "resp"
      ) {
        return array([bulk("pong"), bulk(argv[1] ?? "")]);
      }
      return argv.length === 2 ? bulk(argv[1]!) : PONG;
    },
  },
  {
    name: "echo",
    arity: 2,
    flags: ["loading", "stale", "fast"],
    group: "connection",
    summary: "Echo the given string",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [{ name: "message", type: "string" }],
    handler(_context, argv) {
      return bulk(argv[1]!);
    },
  },
  {
    name: "hello",
    arity: -1,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    group: "connection",
    summary: "Handshake with Redis",
    since: "6.0.0",
    complexity: "O(1)",
    arguments: [
      {
        name: "arguments",
        type: "block",
        optional: true,
        arguments: [
          { name: "protover", type: "integer" },
          {
            name: "username_password",
            type: "block",
            token: "AUTH",
            optional: true,
            arguments: [
              { name: "username", type: "string" },
              { name: "password", type: "string" },
            ],
          },
          { name: "clientname", type: "string", token: "SETNAME", optional: true },
        ],
      },
    ],
    handler(context, argv) {
      const { session, server } = context;
      let protocol: 2 | 3 | undefined;
      if (argv.length >= 2) {
        const version = parseInteger(argv[1]!);
        if (version === undefined) {
          throw new CommandError("ERR Protocol version is not an integer or out of range");
        }
        if (version !== 2 && version !== 3) {
          throw new CommandError("NOPROTO unsupported protocol version");
        }
        protocol = version;
      }
      let credentials: [string, string] | undefined;
      let name: string | undefined;
      for (let i = 2; i < argv.length; i++) {
        const remaining = argv.length - 1 - i;
        if (isKeyword(argv[i]!, "AUTH") && remaining >= 2) {
          credentials = [argv[i + 1]!, argv[i + 2]!];
          i += 2;
        } else if (isKeyword(argv[i]!, "SETNAME") && remaining >= 1) {
          name = argv[i + 1]!;
          i++;
        } else {
          throw new CommandError(`ERR Syntax error in HELLO option '${argv[i]}'`);
        }
      }
      if (credentials !== undefined) {
        if (!authenticate(server, credentials[0], credentials[1])) {
          throw new CommandError(WRONGPASS);
        }
        session.authenticated = true;
      }
      if (!session.authenticated) throw new CommandError(HELLO_NOAUTH);
      if (name !== undefined) setClientName(session, name);
      if (protocol !== undefined) session.protocol = protocol;
      return map([
        [bulk("server"), bulk("redis")],
        [bulk("version"), bulk(REDIS_COMPATIBLE_VERSION)],
        [bulk("proto"), integer(session.protocol)],
        [bulk("id"), integer(session.id)],
        [bulk("mode"), bulk("standalone")],
        [bulk("role"), bulk("master")],
        [bulk("modules"), EMPTY_ARRAY],
      ]);
    },
  },
  {
    name: "auth",
    arity: -2,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    group: "connection",
    summary: "Authenticate to the server",
    since: "1.0.0",
    complexity: "O(N) where N is the number of passwords defined for the user",
    arguments: [
      { name: "username", type: "string", optional: true },
      { name: "password", type: "string" },
    ],
    handler(context, argv) {
      if (argv.length > 3) throw new CommandError(SYNTAX);
      const { session, server } = context;
      if (argv.length === 2 && !passwordRequired(server)) {
        throw new CommandError(NO_PASSWORD_SET);
      }
      const [user, password] = argv.length === 2 ? ["default", argv[1]!] : [argv[1]!, argv[2]!];
      if (!authenticate(server, user, password)) throw new CommandError(WRONGPASS);
      session.authenticated = true;
      return OK;
    },
  },
  {
    name: "quit",
    arity: -1,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    group: "connection",
    summary: "Close the connection",
    since: "1.0.0",
    complexity: "O(1)",
    handler(context) {
      context.session.closeRequested = true;
      return OK;
    },
  },
  {
    name: "reset",
    arity: 1,
    flags: ["noscript", "loading", "stale", "fast", "no_auth", "allow_busy"],
    group: "connection",
    summary: "Reset the connection",
    since: "6.2.0",
    complexity: "O(1)",
    handler(context) {
      const { session, server } = context;
      server.watches.unwatch(session);
      server.pubsub.unsubscribeAll(session);
      context.commands.monitors.remove(session);
      server.tracking.disable(session);
      session.endTransaction();
      session.repliesOff = false;
      session.skipNextReply = false;
      session.protocol = 2;
      session.name = "";
      session.db = 0;
      session.authenticated = !passwordRequired(server);
      return RESET;
    },
  },
  {
    name: "select",
    arity: 2,
    flags: ["loading", "stale", "fast"],
    group: "connection",
    summary: "Change the selected database for the current connection",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [{ name: "index", type: "integer" }],
    handler(context, argv) {
      const index = int32Argument(argv[1]!);
      // The binary protocol's original commands address database 0 only; a session there
      // that selected another would see its own RESP commands and the original ones disagree.
      if (context.session.wire === "kache") throw new CommandError(SELECT_ON_BINARY);
      if (!context.server.databases.has(index)) throw new CommandError(DB_OUT_OF_RANGE);
      context.session.db = index;
      return OK;
    },
  },
  {
    name: "client",
    arity: -2,
    flags: [],
    group: "connection",
    summary: "A container for client connection commands",
    since: "2.4.0",
    complexity: "Depends on subcommand.",
    subcommands: CLIENT_SUBCOMMANDS,
  },
];
