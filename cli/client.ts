/**
 * `kache client`: the command-line client, modelled on redis-cli so its
 * users feel at home. Three ways to run it:
 *
 * - one-shot: `kache client set a 1` sends the command, prints the reply,
 *   exits (0, even for an error reply, as redis-cli; `-e` makes that 1);
 * - piped: with no command and stdin not a terminal, each stdin line is a
 *   command; commands are pipelined and replies printed in order;
 * - interactive: a prompt with line editing, history (~/.kache_history),
 *   tab completion of command names, `help`, `quit`/`exit`/Ctrl-D.
 *
 * As in redis-cli, replies are printed raw when stdout is not a terminal
 * (`--no-raw` forces the formatted view, `--raw` the raw one), SUBSCRIBE and
 * MONITOR keep printing messages until Ctrl-C, and a command line may start
 * with a repeat count (`3 incr a`).
 *
 * Everything typed is UTF-8 text and is sent as its bytes; replies are
 * printed byte for byte (see `cli/render.ts`), so binary values survive.
 *
 * @module
 */
import { createInterface, type Interface } from "node:readline";
import process from "node:process";
import { parseArgs } from "node:util";
import { bytesToString, utf8ToBinary } from "../lib/bytes.ts";
import type { ClientReply } from "../lib/protocol/resp_reply.ts";
import { KacheStatus } from "../lib/protocol/kache.ts";
import { splitArgs } from "../lib/split_args.ts";
import {
  type CommandDoc,
  completeSubcommand,
  formatHelpIntro,
  formatHelpTopic,
  hintFor,
  ORIGINAL_COMMANDS,
  parseCommandDocs,
  PLAIN_STYLE,
  TERMINAL_STYLE,
} from "./command_docs.ts";
import { type ClientProtocol, KacheConnection, type TlsOptions } from "./connection.ts";
import { findBigKeys, findHotKeys, type ScanFilter, scanMode } from "./keyspace_modes.ts";
import { formatFixed } from "../lib/format.ts";
import { isTerminal, messageOf, osErrorText, sleep, writeErr, writeOut } from "./output.ts";
import { DEFAULT_PIPE_TIMEOUT, pipeMode } from "./pipe_mode.ts";
import { rdbMode } from "./rdb_mode.ts";
import { replicaMode } from "./replica_mode.ts";
import { statMode } from "./stat_mode.ts";
import { type OutputMode, renderReply } from "./render.ts";

const OPTIONS = {
  host: { type: "string", short: "h" },
  port: { type: "string", short: "p" },
  kache: { type: "boolean" },
  socket: { type: "string", short: "s" },
  uri: { type: "string", short: "u" },
  db: { type: "string", short: "n" },
  user: { type: "string" },
  pass: { type: "string", short: "a" },
  "no-auth-warning": { type: "boolean" },
  repeat: { type: "string", short: "r" },
  interval: { type: "string", short: "i" },
  "stdin-arg": { type: "boolean", short: "x" },
  scan: { type: "boolean" },
  latency: { type: "boolean" },
  "latency-history": { type: "boolean" },
  bigkeys: { type: "boolean" },
  memkeys: { type: "boolean" },
  "memkeys-samples": { type: "string" },
  hotkeys: { type: "boolean" },
  stat: { type: "boolean" },
  pipe: { type: "boolean" },
  "pipe-timeout": { type: "string" },
  rdb: { type: "string" },
  replica: { type: "boolean" },
  eval: { type: "string" },
  pattern: { type: "string" },
  "quoted-pattern": { type: "string" },
  count: { type: "string" },
  type: { type: "string" },
  csv: { type: "boolean" },
  tls: { type: "boolean" },
  cacert: { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  resp3: { type: "boolean", short: "3" },
  raw: { type: "boolean" },
  "no-raw": { type: "boolean" },
  "exit-on-error": { type: "boolean", short: "e" },
  help: { type: "boolean" },
} as const;

const USAGE = `Usage: kache client [OPTIONS] [command [arg ...]]

  -h, --host <hostname>  Server hostname (default: 127.0.0.1).
  -p, --port <port>      Server port (default: 6379, or 1234 with --kache).
  -s <socket>            Server Unix socket (overrides hostname and port).
  -u <uri>               Server URI: redis://[[user]:password@]host[:port][/db];
                         rediss:// connects with TLS.
  -n <db>                Database number.
      --kache            Speak the binary Kache protocol instead of RESP.
  -a, --pass <password>  Send AUTH <password> after connecting (or set REDISCLI_AUTH).
      --user <username>  Send AUTH <username> <password> instead (ACL users); needs -a.
      --no-auth-warning  No warning about a password given on the command line.
  -r <repeat>            Run the command <repeat> times (-1: until interrupted).
  -i <interval>          With -r, wait <interval> seconds (may be 0.1) after each command;
                         with --scan, after each SCAN call; with --bigkeys, --memkeys and
                         --hotkeys, after every 100 SCAN calls; with --stat, between lines.
  -x                     Read the command's last argument from standard input.
      --eval <file>      Send EVAL with the Lua script in <file>; the command line holds
                         its keys, then "," and its arguments: --eval f.lua k1 k2 , a1 a2
      --scan             List all keys with SCAN.
      --bigkeys          Find the biggest key of each type, and sizes per type.
      --memkeys          As --bigkeys, in bytes of MEMORY USAGE.
      --memkeys-samples <n>  As --memkeys, with MEMORY USAGE ... SAMPLES <n>.
      --hotkeys          Find the most used keys (OBJECT FREQ; needs an LFU maxmemory-policy).
      --pattern <pat>    Keys pattern for --scan and the key surveys (default: *).
      --quoted-pattern <pat>  As --pattern, written as a quoted string ("a\\x00*").
      --count <n>        COUNT hint for each SCAN call.
      --type <type>      Only keys of this type (SCAN ... TYPE).
      --stat             A line of server statistics every second (or -i) until Ctrl-C.
      --pipe             Send standard input (RESP or inline commands) as it is, count the
                         replies, print the errors: mass insertion.
      --pipe-timeout <n> With --pipe, give up after <n> seconds without a reply once the
                         input is sent (default: 30; 0: wait forever).
      --rdb <file>       Fetch a snapshot of the server (SYNC) into <file> ("-": stdout).
      --replica          Follow the server as a replica: print the commands it sends
                         its replicas, as CSV, until Ctrl-C.
      --latency          Measure PING round trips (ms) until Ctrl-C; not on a
                         terminal, print "min max avg samples" after 1 s (or -i) and exit.
      --latency-history  As --latency, starting over every 15 s (or -i), each period's
                         line kept and ended with " -- 15.01 seconds range".
      --csv              Print replies as CSV.
      --tls              Connect with TLS (the server's tls-port).
      --cacert <file>    CA certificate (PEM) to verify the server with.
      --cert <file>      Client certificate (PEM), for tls-auth-clients yes.
      --key <file>       Private key (PEM) of --cert.
  -3, --resp3            Switch to RESP3 (HELLO 3) after connecting; RESP only.
      --raw              Print raw replies (the default when stdout is not a terminal).
      --no-raw           Print formatted replies even when stdout is not a terminal.
  -e, --exit-on-error    Exit with code 1 when a one-shot command's reply is an error.
      --help             Show this help.

With a command, sends it, prints the reply and exits. Without one, reads one
command per line from standard input, or, when standard input is a terminal,
opens an interactive prompt (type "help" there, "quit" to leave).

Binary-protocol replies with a status other than OK show it on a line of its
own, e.g. "(status 2: not found)".

Examples:
  kache client ping
  kache client --kache set greeting "hello world"
  echo "incr visits" | kache client -p 6380
  kache client -u redis://:secret@127.0.0.1:6380/2 dbsize
  kache client -r 5 -i 1 info memory
  kache client -x set motd < motd.txt
  kache client --scan --pattern 'user:*'
  kache client --bigkeys
  kache client --pipe < commands.resp
  kache client --rdb dump.rdb
  kache client --eval ratelimit.lua user:1 , 10 60
`;

/** Everything the flags decide. */
export interface ClientOptions {
  readonly hostname: string;
  readonly port: number;
  /** A Unix socket path (`-s`), used instead of hostname and port. */
  readonly socketPath: string | undefined;
  /** Set with `--tls` (or a `rediss://` URI): TLS file names, read at connect time. */
  readonly tls:
    | { readonly cacert?: string; readonly cert?: string; readonly key?: string }
    | undefined;
  readonly protocol: ClientProtocol;
  readonly user: string | undefined;
  readonly password: string | undefined;
  /** Warn on stderr that a password on the command line is unsafe, as redis-cli does. */
  readonly authWarning: boolean;
  /** The database to select after connecting (`-n`, or the URI's path). */
  readonly db: number;
  /** How many times to run the one-shot command (`-r`); negative: forever. */
  readonly repeat: number;
  /** Seconds to wait after each repeated command or SCAN call (`-i`). */
  readonly intervalSeconds: number;
  /** Read the command's last argument from stdin (`-x`). */
  readonly stdinLastArg: boolean;
  /** A redis-cli mode run instead of a command (`--scan`, `--pipe`…); undefined: none. */
  readonly tool: ClientTool | undefined;
  /** SCAN's filters (one-byte strings) for `--scan` and the key surveys. */
  readonly scanFilter: ScanFilter;
  /** `--eval`: the Lua script's file; the command then holds its keys, `,` and arguments. */
  readonly evalFile: string | undefined;
  readonly resp3: boolean;
  /** Undefined: raw when stdout is not a terminal, as redis-cli decides. */
  readonly mode: OutputMode | undefined;
  readonly exitOnError: boolean;
  /** The one-shot command, as typed (UTF-8 text); empty when there is none. */
  readonly command: readonly string[];
  /** True when `command` is already one-byte strings (after `-x` read stdin into it). */
  readonly commandIsBinary?: boolean;
}

/** The redis-cli modes that replace the command. */
export type ClientTool =
  | {
    readonly kind:
      | "scan"
      | "latency"
      | "latency-history"
      | "bigkeys"
      | "hotkeys"
      | "stat"
      | "replica";
  }
  /** `--memkeys`; `samples` 0 lets the server choose (no SAMPLES argument). */
  | { readonly kind: "memkeys"; readonly samples: number }
  | { readonly kind: "pipe"; readonly timeoutSeconds: number }
  | { readonly kind: "rdb"; readonly path: string };

/** The tool flags, in the order their names are listed in errors. */
const TOOL_FLAGS = [
  "scan",
  "latency",
  "latency-history",
  "bigkeys",
  "memkeys",
  "memkeys-samples",
  "hotkeys",
  "stat",
  "pipe",
  "rdb",
  "replica",
] as const;

/** The outcome of reading the flags. */
export type ParsedClientArgs =
  | { readonly kind: "run"; readonly options: ClientOptions }
  | { readonly kind: "help" }
  | { readonly kind: "error"; readonly message: string };

/**
 * Reads `kache client` flags. Flags end at the first argument that is not
 * one (or at `--`): the rest is the command, so `kache client incrby a -1`
 * works without quoting.
 */
export function parseClientArgs(
  args: readonly string[],
  env: { readonly REDISCLI_AUTH?: string } = {},
): ParsedClientArgs {
  const split = commandStart(args);
  let values;
  try {
    ({ values } = parseArgs({
      args: joinFlagValues(args.slice(0, split.flagsEnd)),
      options: OPTIONS,
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { kind: "help" };
  const protocol: ClientProtocol = values.kache ? "kache" : "resp";
  let hostname = values.host ?? "127.0.0.1";
  let port = protocol === "kache" ? 1234 : 6379;
  let user = values.user;
  let password = values.pass;
  let db = 0;
  let tls = values.tls ?? false;
  // As redis-cli, the URI sets what it names; flags after it (in any order here) win for the rest.
  if (values.uri !== undefined) {
    const uri = parseRedisUri(values.uri);
    if ("error" in uri) return { kind: "error", message: uri.error };
    hostname = uri.hostname ?? hostname;
    port = uri.port ?? port;
    user = uri.user ?? user;
    password = uri.password ?? password;
    db = uri.db ?? db;
    tls ||= uri.tls;
  }
  if (values.port !== undefined) {
    const parsed = /^[0-9]{1,5}$/.test(values.port) ? Number(values.port) : NaN;
    if (!(parsed >= 0 && parsed <= 65535)) {
      return { kind: "error", message: `Invalid server port ${JSON.stringify(values.port)}.` };
    }
    port = parsed;
  }
  if (values.db !== undefined) {
    if (!/^-?[0-9]+$/.test(values.db)) {
      return { kind: "error", message: `Invalid database number ${JSON.stringify(values.db)}.` };
    }
    db = Number(values.db);
  }
  const repeat = values.repeat === undefined ? 1 : Number(values.repeat);
  if (!Number.isSafeInteger(repeat) || (values.repeat !== undefined && repeat === 0)) {
    return { kind: "error", message: `Invalid repeat count ${JSON.stringify(values.repeat)}.` };
  }
  const interval = values.interval === undefined ? 0 : Number(values.interval);
  if (!(interval >= 0) || !Number.isFinite(interval)) {
    return { kind: "error", message: `Invalid interval ${JSON.stringify(values.interval)}.` };
  }
  if (values.count !== undefined && !/^[1-9][0-9]*$/.test(values.count)) {
    return { kind: "error", message: `Invalid --count ${JSON.stringify(values.count)}.` };
  }
  if (values.resp3 && protocol === "kache") {
    return { kind: "error", message: "-3 (RESP3) applies to RESP only, not to --kache." };
  }
  if (tls && protocol === "kache") {
    return { kind: "error", message: "--tls applies to RESP only, not to --kache." };
  }
  if ((values.cert === undefined) !== (values.key === undefined)) {
    return { kind: "error", message: "--cert and --key go together." };
  }
  if ([values.raw, values["no-raw"], values.csv].filter(Boolean).length > 1) {
    return { kind: "error", message: "--raw, --no-raw and --csv contradict each other." };
  }
  const command = args.slice(split.commandStart);
  if (values["stdin-arg"] && command.length === 0) {
    return { kind: "error", message: "-x needs a command: its last argument is read from stdin." };
  }
  const tools = TOOL_FLAGS.filter((flag) => values[flag] !== undefined && values[flag] !== false)
    // --memkeys-samples alone means --memkeys.
    .filter((flag, _, all) => !(flag === "memkeys" && all.includes("memkeys-samples")));
  if (tools.length > 1) {
    return {
      kind: "error",
      message: `${tools.map((flag) => `--${flag}`).join(" and ")} contradict each other.`,
    };
  }
  const toolFlag = tools[0];
  if (toolFlag !== undefined && command.length > 0) {
    return { kind: "error", message: `--${toolFlag} takes no command.` };
  }
  if (toolFlag !== undefined && values.eval !== undefined) {
    return { kind: "error", message: `--eval and --${toolFlag} contradict each other.` };
  }
  const respOnly = toolFlag !== undefined && toolFlag !== "scan" && toolFlag !== "latency" &&
    toolFlag !== "latency-history";
  if (protocol === "kache" && (respOnly || values.eval !== undefined)) {
    const flag = toolFlag ?? "eval";
    return { kind: "error", message: `--${flag} applies to RESP only, not to --kache.` };
  }
  const walksKeys = toolFlag === "scan" || toolFlag === "bigkeys" || toolFlag === "memkeys" ||
    toolFlag === "memkeys-samples" || toolFlag === "hotkeys";
  const filters = [values.pattern, values["quoted-pattern"], values.count, values.type];
  if (filters.some((v) => v !== undefined) && !walksKeys) {
    return {
      kind: "error",
      message: "--pattern, --quoted-pattern, --count and --type apply to --scan, --bigkeys, " +
        "--memkeys and --hotkeys.",
    };
  }
  let pattern = values.pattern === undefined ? undefined : utf8ToBinary(values.pattern);
  if (values["quoted-pattern"] !== undefined) {
    const unquoted = splitArgs(utf8ToBinary(values["quoted-pattern"]));
    if (unquoted?.length !== 1) {
      return { kind: "error", message: "Invalid quoted string specified for --quoted-pattern." };
    }
    pattern = unquoted[0];
  }
  const samples = values["memkeys-samples"];
  if (samples !== undefined && !/^[0-9]+$/.test(samples)) {
    return { kind: "error", message: `Invalid --memkeys-samples ${JSON.stringify(samples)}.` };
  }
  const pipeTimeout = values["pipe-timeout"];
  if (pipeTimeout !== undefined && !/^[0-9]+$/.test(pipeTimeout)) {
    return { kind: "error", message: `Invalid --pipe-timeout ${JSON.stringify(pipeTimeout)}.` };
  }
  if (pipeTimeout !== undefined && !values.pipe) {
    return { kind: "error", message: "--pipe-timeout applies to --pipe." };
  }
  let tool: ClientTool | undefined;
  switch (toolFlag) {
    case undefined:
      break;
    case "memkeys":
    case "memkeys-samples":
      tool = { kind: "memkeys", samples: Number(samples ?? 0) };
      break;
    case "pipe":
      tool = { kind: "pipe", timeoutSeconds: Number(pipeTimeout ?? DEFAULT_PIPE_TIMEOUT) };
      break;
    case "rdb":
      tool = { kind: "rdb", path: values.rdb! };
      break;
    default:
      tool = { kind: toolFlag };
  }
  const fromCommandLine = password !== undefined;
  password ??= env.REDISCLI_AUTH;
  return {
    kind: "run",
    options: {
      hostname,
      port,
      socketPath: values.socket,
      tls: tls ? { cacert: values.cacert, cert: values.cert, key: values.key } : undefined,
      protocol,
      user,
      password,
      authWarning: fromCommandLine && !values["no-auth-warning"],
      db,
      repeat,
      intervalSeconds: interval,
      stdinLastArg: values["stdin-arg"] ?? false,
      tool,
      scanFilter: {
        pattern,
        count: values.count,
        type: values.type === undefined ? undefined : utf8ToBinary(values.type),
      },
      evalFile: values.eval,
      resp3: values.resp3 ?? false,
      mode: values.raw ? "raw" : values["no-raw"] ? "standard" : values.csv ? "csv" : undefined,
      exitOnError: values["exit-on-error"] ?? false,
      command,
    },
  };
}

/** What a `redis://` or `rediss://` URI names; each part only when present. */
export interface RedisUri {
  readonly tls: boolean;
  readonly user: string | undefined;
  readonly password: string | undefined;
  readonly hostname: string | undefined;
  readonly port: number | undefined;
  readonly db: number | undefined;
}

/**
 * Reads `redis://[[user]:password@]host[:port][/db]` as redis-cli 7.0 does
 * (`parseRedisUri`): user and password are percent-decoded, a userinfo
 * without `:` is the password alone, `rediss://` means TLS. Returns the error
 * text for another scheme or a database that is not a number (redis-cli would
 * read `/x` as 0).
 */
export function parseRedisUri(uri: string): RedisUri | { readonly error: string } {
  const scheme = /^(rediss?):\/\//i.exec(uri);
  if (scheme === null) return { error: "Invalid URI scheme" };
  let rest = uri.slice(scheme[0].length);
  const result: { -readonly [K in keyof RedisUri]: RedisUri[K] } = {
    tls: scheme[1]!.toLowerCase() === "rediss",
    user: undefined,
    password: undefined,
    hostname: undefined,
    port: undefined,
    db: undefined,
  };
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(":");
    if (colon >= 0) {
      if (colon > 0) result.user = percentDecode(userinfo.slice(0, colon));
      result.password = percentDecode(userinfo.slice(colon + 1));
    } else {
      result.password = percentDecode(userinfo);
    }
    rest = rest.slice(at + 1);
  }
  const slash = rest.indexOf("/");
  const hostPort = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? "" : rest.slice(slash + 1);
  const bracketed = /^\[([^\]]*)\](?::(\d*))?$/.exec(hostPort);
  const plain = /^([^:]*)(?::(\d*))?$/.exec(hostPort);
  const [, host, port] = bracketed ?? plain ?? [hostPort, hostPort, undefined];
  if (host) result.hostname = host;
  if (port) result.port = Number(port);
  if (path !== "") {
    if (!/^[0-9]+$/.test(path)) return { error: `Invalid database number in URI: ${path}` };
    result.db = Number(path);
  }
  return result;
}

/** `%40` → `@`; a malformed escape stays as typed. */
function percentDecode(text: string): string {
  return text.replace(
    /%([0-9a-fA-F]{2})/g,
    (_, hex: string) => String.fromCharCode(parseInt(hex, 16)),
  );
}

/**
 * `-r -1` → `--repeat=-1`: node's parseArgs takes a value starting with `-`
 * for an option only in the joined form, and redis-cli accepts it separate.
 */
function joinFlagValues(flags: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    const long = flag.startsWith("--")
      ? flag.slice(2)
      : /^-.$/.test(flag)
      ? Object.entries(OPTIONS).find(([, o]) => "short" in o && o.short === flag[1])?.[0]
      : undefined;
    const option = long === undefined ? undefined : OPTIONS[long as keyof typeof OPTIONS];
    if (option?.type === "string" && i + 1 < flags.length) {
      joined.push(`--${long}=${flags[++i]}`);
    } else {
      joined.push(flag);
    }
  }
  return joined;
}

/** Where flags end and the command begins, knowing which flags take a value. */
function commandStart(args: readonly string[]): { flagsEnd: number; commandStart: number } {
  const takesValue = (name: string | undefined) =>
    Object.entries(OPTIONS).some(([long, option]) =>
      option.type === "string" && (long === name || ("short" in option && option.short === name))
    );
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--") return { flagsEnd: i, commandStart: i + 1 };
    if (arg.startsWith("--")) {
      if (!arg.includes("=") && takesValue(arg.slice(2))) i++;
    } else if (arg.startsWith("-") && arg.length > 1) {
      // A cluster of short flags; the first one taking a value takes the rest, or the next arg.
      for (let j = 1; j < arg.length; j++) {
        if (takesValue(arg[j])) {
          if (j === arg.length - 1) i++;
          break;
        }
      }
    } else {
      return { flagsEnd: i, commandStart: i };
    }
  }
  return { flagsEnd: args.length, commandStart: args.length };
}

/** Runs `kache client` with its arguments (after `client`); resolves with the exit code. */
export async function runClient(args: string[]): Promise<number> {
  const auth = permitted({ name: "env", variable: "REDISCLI_AUTH" })
    ? Deno.env.get("REDISCLI_AUTH")
    : undefined;
  const parsed = parseClientArgs(args, { REDISCLI_AUTH: auth });
  if (parsed.kind === "help") {
    writeOut(USAGE);
    return 0;
  }
  if (parsed.kind === "error") {
    writeErr(utf8ToBinary(`kache client: ${parsed.message}\nTry "kache client --help".\n`));
    return 1;
  }
  let options = parsed.options;
  if (options.authWarning) {
    writeErr(
      "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n",
    );
  }
  if (options.evalFile !== undefined) {
    let script: string;
    try {
      script = bytesToString(await Deno.readFile(options.evalFile));
    } catch (error) {
      writeErr(utf8ToBinary(`Can't open file '${options.evalFile}': ${osErrorText(error)}\n`));
      return 1;
    }
    options = { ...options, command: evalCommand(script, options.command), commandIsBinary: true };
  }
  if (options.stdinLastArg) {
    const last = bytesToString(
      new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer()),
    );
    // Typed arguments are UTF-8 text converted later; stdin's bytes are already what to send.
    options = {
      ...options,
      command: [...options.command.map(utf8ToBinary), last],
      commandIsBinary: true,
    };
  }
  const session = new Session(options, options.mode ?? (isTerminal("stdout") ? "standard" : "raw"));
  try {
    if (options.tool !== undefined) return await runTool(session, options.tool);
    if (options.command.length > 0) return await runOneShot(session);
    if (!isTerminal("stdin")) return await runPiped(session);
    return await runInteractive(session);
  } finally {
    session.disconnect();
  }
}

/** The original binary commands whose success is status ok with a nil item. */
const ORIGINAL_OK_COMMANDS = new Set(["set", "expire", "persist", "zadd"]);

/** Commands whose replies keep coming until the user stops them. */
const STREAMING_COMMANDS = new Set(["subscribe", "psubscribe", "ssubscribe", "monitor"]);

/** The connection and what the prompt and reconnects need to know about it. */
class Session {
  readonly options: ClientOptions;
  readonly mode: OutputMode;
  connection: KacheConnection | undefined;
  /** Selected database, restored after a reconnect and shown in the prompt. */
  db = 0;
  inTransaction = false;
  /** Command docs once fetched; the completer reads them synchronously. */
  docs: readonly CommandDoc[] | undefined;
  /** Set while streaming: an error reply (SUBSCRIBE or MONITOR refused) ends the stream. */
  #streamRefused: (() => void) | undefined;

  constructor(options: ClientOptions, mode: OutputMode) {
    this.options = options;
    this.mode = mode;
    this.db = options.db;
  }

  /** `127.0.0.1:6379`, IPv6 hosts in brackets as redis-cli prints them. */
  get address(): string {
    if (this.options.socketPath !== undefined) return this.options.socketPath;
    const host = this.options.hostname.includes(":")
      ? `[${this.options.hostname}]`
      : this.options.hostname;
    return `${host}:${this.options.port}`;
  }

  prompt(): string {
    if (this.connection === undefined) return "not connected> ";
    const db = this.db === 0 ? "" : `[${this.db}]`;
    const transaction = this.inTransaction ? "(TX)" : "";
    const protocol = this.options.protocol === "kache" ? " (kache)" : "";
    // redis-cli names a Unix socket `redis /path/to.sock`.
    const where = this.options.socketPath === undefined ? this.address : `redis ${this.address}`;
    return `${where}${db}${transaction}${protocol}> `;
  }

  /**
   * Connects, authenticates, switches to RESP3 and re-selects the database
   * as the flags and the session ask. Prints why when it fails.
   */
  async connect(options: { readonly quiet?: boolean } = {}): Promise<boolean> {
    const { hostname, port, protocol, user, password, resp3, socketPath } = this.options;
    let connection: KacheConnection;
    try {
      const tls = this.options.tls === undefined ? undefined : await readTlsFiles(this.options.tls);
      connection = await KacheConnection.connect({ hostname, port, protocol, socketPath, tls });
    } catch (error) {
      if (!options.quiet) {
        writeErr(`Could not connect to Kache at ${this.address}: ${messageOf(error)}\n`);
      }
      return false;
    }
    connection.onPush = (reply) => {
      writeOut(renderReply(reply, this.mode));
      if (reply.type === "error") this.#streamRefused?.();
    };
    try {
      if (password !== undefined) {
        const credentials = user === undefined ? [password] : [user, password];
        const reply = await connection.send(["AUTH", ...credentials.map(utf8ToBinary)]);
        if (reply.type === "error") writeErr(`AUTH failed: ${reply.message}\n`);
      }
      if (resp3) {
        const reply = await connection.send(["HELLO", "3"]);
        if (reply.type === "error") {
          writeErr(`HELLO 3 failed: ${reply.message}\n`);
          connection.close();
          return false;
        }
      }
      if (this.db !== 0) {
        const reply = await connection.send(["SELECT", String(this.db)]);
        if (reply.type === "error") {
          writeErr(`SELECT ${this.db} failed: ${reply.message}\n`);
          this.db = 0;
        }
      }
    } catch (error) {
      writeErr(`Error: ${messageOf(error)}\n`);
      connection.close();
      return false;
    }
    this.connection = connection;
    return true;
  }

  /**
   * Resolves when the next error reply arrives through the push channel: redis-cli leaves
   * pub/sub or MONITOR mode when the command that started it fails.
   */
  refusal(): Promise<"refused"> {
    return new Promise((resolve) => {
      this.#streamRefused = () => {
        this.#streamRefused = undefined;
        resolve("refused");
      };
    });
  }

  disconnect(): void {
    this.#streamRefused = undefined;
    this.connection?.close();
    this.connection = undefined;
    this.inTransaction = false;
  }

  /** Follows SELECT and MULTI/EXEC/DISCARD so the prompt tells the truth. */
  track(argv: readonly string[], reply: ClientReply): void {
    const name = argv[0]?.toLowerCase();
    // EXEC and DISCARD end the transaction even when they fail (EXECABORT, or no MULTI at all).
    if (name === "exec" || name === "discard") this.inTransaction = false;
    if (reply.type === "error") return;
    if (name === "select" && argv.length === 2) this.db = Number(argv[1]) || 0;
    else if (name === "multi") this.inTransaction = true;
    else if (name === "reset") this.inTransaction = false;
    if (name === "reset") this.db = 0;
  }

  /** The server's command docs, or the built-in list when it has none. */
  async loadDocs(): Promise<readonly CommandDoc[]> {
    if (this.docs !== undefined) return this.docs;
    const fallback = this.options.protocol === "kache" ? ORIGINAL_COMMANDS : [];
    if (this.connection === undefined) return fallback;
    try {
      const parsed = parseCommandDocs(await this.connection.send(["COMMAND", "DOCS"]));
      this.docs = parsed ?? fallback;
    } catch {
      return fallback;
    }
    return this.docs;
  }

  /**
   * The reply to `argv` as printed. The original binary commands that succeed with nothing to say
   * (SET, EXPIRE, PERSIST, ZADD) answer status ok with a nil item; that prints as `OK`, not as a
   * miss (`(nil)`).
   */
  render(argv: readonly string[], reply: ClientReply): string {
    const shown = this.options.protocol === "kache" && reply.type === "null" &&
        ORIGINAL_OK_COMMANDS.has(argv[0]?.toLowerCase() ?? "")
      ? { type: "status" as const, value: "OK" }
      : reply;
    return renderReply(shown, this.modeFor(argv));
  }

  /** How to print the reply to `argv`: INFO-like text is printed as is, as redis-cli does. */
  modeFor(argv: readonly string[]): OutputMode {
    const name = argv[0]?.toLowerCase() ?? "";
    const sub = argv[1]?.toLowerCase() ?? "";
    const verbatim = name === "info" || name === "lolwut" ||
      (name === "client" && (sub === "list" || sub === "info")) ||
      (name === "memory" && (sub === "doctor" || sub === "malloc-stats")) ||
      (name === "cluster" && (sub === "nodes" || sub === "info")) ||
      (name === "latency" && (sub === "doctor" || sub === "graph"));
    return verbatim ? "verbatim" : this.mode;
  }
}

async function runOneShot(session: Session): Promise<number> {
  if (!await session.connect()) return 1;
  const { command, commandIsBinary, repeat, intervalSeconds: interval } = session.options;
  const argv = commandIsBinary ? [...command] : command.map(utf8ToBinary);
  const name = argv[0]!.toLowerCase();
  if (name === "help" || name === "?") {
    await showHelp(session, argv.slice(1));
    return 0;
  }
  if (STREAMING_COMMANDS.has(name)) return await streamUntilClosed(session, argv);
  // `-r`: the same command again (forever when negative), `-i` seconds apart, as redis-cli.
  for (let run = 0; repeat < 0 || run < repeat; run++) {
    if (run > 0 && interval > 0) await sleep(interval);
    let reply: ClientReply;
    try {
      reply = await session.connection!.send(argv);
    } catch (error) {
      if (isShutdown(argv)) return 0;
      writeErr(`Error: ${messageOf(error)}\n`);
      return 1;
    }
    if (session.options.exitOnError && isFailure(reply)) {
      // As redis-cli -e: the error text alone, on stderr.
      writeErr((reply.type === "error" ? reply.message : renderReply(reply, "verbatim")) + "\n");
      return 1;
    }
    session.track(argv, reply);
    writeOut(session.render(argv, reply));
  }
  return 0;
}

/**
 * `--eval file keys , args` as redis-cli builds it: EVAL, the script, the
 * number of keys (the words before a lone `,`), the keys, then the
 * arguments. Typed words are UTF-8 text; the script is already bytes.
 *
 * @example
 * ```ts
 * import { evalCommand } from "./client.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   evalCommand("return 1", ["k1", "k2", ",", "a1"]),
 *   ["EVAL", "return 1", "2", "k1", "k2", "a1"],
 * );
 * ```
 */
export function evalCommand(script: string, words: readonly string[]): string[] {
  const comma = words.indexOf(",");
  const keys = comma < 0 ? words : words.slice(0, comma);
  const args = comma < 0 ? [] : words.slice(comma + 1);
  return ["EVAL", script, String(keys.length), ...[...keys, ...args].map(utf8ToBinary)];
}

/** Connects, then runs a mode that replaces the command (`--scan`, `--pipe`…). */
async function runTool(session: Session, tool: ClientTool): Promise<number> {
  if (!await session.connect()) return 1;
  const connection = session.connection!;
  const walk = { ...session.options.scanFilter, intervalSeconds: session.options.intervalSeconds };
  switch (tool.kind) {
    case "scan":
      return await scanMode(connection, { ...walk, quoted: session.mode === "standard" });
    case "latency":
      return await runLatency(session, { history: false });
    case "latency-history":
      return await runLatency(session, { history: true });
    case "bigkeys":
      return await findBigKeys(connection, { ...walk, memory: false, samples: 0 });
    case "memkeys":
      return await findBigKeys(connection, { ...walk, memory: true, samples: tool.samples });
    case "hotkeys":
      return await findHotKeys(connection, walk);
    case "stat":
      return await statMode(connection, {
        // redis-cli's --stat prints a line a second unless -i says otherwise.
        intervalSeconds: session.options.intervalSeconds || 1,
        reconnect: async () => {
          session.disconnect();
          return await session.connect({ quiet: true }) ? session.connection : undefined;
        },
      });
    case "pipe":
      return await pipeMode(connection, Deno.stdin.readable, tool);
    case "rdb":
      return await rdbMode(connection, tool.path);
    case "replica":
      return await replicaMode(connection);
  }
}

/** redis-cli samples PING every 10 ms in --latency mode. */
const LATENCY_SAMPLE_MS = 10;
/** `--latency-history` starts over every 15 s unless `-i` says otherwise. */
const LATENCY_HISTORY_MS = 15_000;

/**
 * `--latency` and `--latency-history`, as redis-cli's `latencyMode`: PING in
 * a loop, whole milliseconds. On a terminal the line `min: …, max: …, avg: …
 * (n samples)` is redrawn until Ctrl-C; otherwise `--latency` prints one raw
 * (`0 1 0.19 97`) or CSV line after one second (or `-i` seconds) and exits,
 * and `--latency-history` prints a line per sample. With history, every
 * period (15 s, or `-i`) ends its line with ` -- 15.01 seconds range` and
 * the figures start over.
 */
async function runLatency(session: Session, options: { history: boolean }): Promise<number> {
  const connection = session.connection!;
  const intervalMs = session.options.intervalSeconds * 1000;
  const reportAfterMs = intervalMs > 0 ? intervalMs : 1000;
  const historyMs = intervalMs > 0 ? intervalMs : LATENCY_HISTORY_MS;
  let periodStart = Date.now();
  let min = 0;
  let max = 0;
  let total = 0;
  let count = 0;
  const line = () => {
    const avg = formatFixed(total / count, 2);
    if (session.mode === "standard") {
      return `min: ${min}, max: ${max}, avg: ${avg} (${count} samples)`;
    }
    return session.mode === "csv"
      ? `${min},${max},${avg},${count}\n`
      : `${min} ${max} ${avg} ${count}\n`;
  };
  while (true) {
    const sent = Date.now();
    try {
      await connection.send(["PING"]);
    } catch {
      writeErr("\nI/O error\n");
      return 1;
    }
    const latency = Date.now() - sent;
    count++;
    if (count === 1) min = max = latency;
    min = Math.min(min, latency);
    max = Math.max(max, latency);
    total += latency;
    if (session.mode === "standard") writeOut(`\x1b[0G\x1b[2K${line()}`);
    else if (options.history) writeOut(line());
    else if (Date.now() - periodStart > reportAfterMs) {
      writeOut(line());
      return 0;
    }
    const elapsed = Date.now() - periodStart;
    if (options.history && elapsed > historyMs) {
      writeOut(` -- ${formatFixed(elapsed / 1000, 2)} seconds range\n`);
      periodStart = Date.now();
      min =
        max =
        total =
        count =
          0;
    }
    await sleep(LATENCY_SAMPLE_MS / 1000);
  }
}

/** The PEM texts the TLS flags name. */
async function readTlsFiles(
  files: NonNullable<ClientOptions["tls"]>,
): Promise<TlsOptions> {
  const read = async (path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      throw new Error(`Could not read ${path}: ${messageOf(error)}`);
    }
  };
  const [ca, cert, key] = await Promise.all([
    read(files.cacert),
    read(files.cert),
    read(files.key),
  ]);
  return { caCerts: ca === undefined ? undefined : [ca], cert, key };
}

/** An error reply, or a binary-protocol status that means the command failed (not "not found"). */
function isFailure(reply: ClientReply): boolean {
  if (reply.type === "error") return true;
  return reply.type === "status-code" && reply.status !== KacheStatus.ok &&
    reply.status !== KacheStatus.notFound;
}

/**
 * Whether `argv` is a SHUTDOWN, whose success the server never answers:
 * the connection just closes, which redis-cli takes as done (no output, no
 * error).
 */
function isShutdown(argv: readonly string[]): boolean {
  return argv[0]?.toLowerCase() === "shutdown";
}

/** Most requests in flight while piping; beyond it reading stdin waits for replies. */
const MAX_PIPELINE = 1024;

async function runPiped(session: Session): Promise<number> {
  if (!await session.connect()) return 1;
  const connection = session.connection!;
  // Output happens in request order: every print is chained after the previous one.
  let output: Promise<void> = Promise.resolve();
  const print = (produce: () => Promise<string> | string) => {
    output = output.then(async () => writeOut(await produce()));
  };
  try {
    for await (const line of readLines(Deno.stdin.readable)) {
      const argv = splitArgs(line);
      if (argv === undefined) {
        print(() => "Invalid argument(s)\n");
        continue;
      }
      if (argv.length === 0) continue;
      const name = argv[0]!.toLowerCase();
      if (name === "quit" || name === "exit") break;
      if (name === "help" || name === "?") {
        await output;
        await showHelp(session, argv.slice(1));
        continue;
      }
      const repeated = parseRepeat(argv);
      if (repeated === undefined) {
        print(() => "Invalid repeat command option value.\n");
        continue;
      }
      if (STREAMING_COMMANDS.has(repeated.argv[0]!.toLowerCase())) {
        await output;
        return await streamUntilClosed(session, repeated.argv);
      }
      for (let i = 0; i < repeated.count; i++) {
        const reply = connection.send(repeated.argv);
        reply.catch(() => {}); // reported, in order, by the print chain
        const shutdown = isShutdown(repeated.argv);
        print(async () => {
          if (!shutdown) return session.render(repeated.argv, await reply);
          // A SHUTDOWN that succeeded gets no reply: the connection closes, nothing is printed.
          const answered = await reply.catch(() => undefined);
          return answered === undefined ? "" : session.render(repeated.argv, answered);
        });
      }
      if (connection.pending > MAX_PIPELINE) await output;
    }
    await output;
  } catch (error) {
    writeErr(`Error: ${messageOf(error)}\n`);
    return 1;
  }
  return 0;
}

/** Sends a SUBSCRIBE-like command and prints every message until the server closes. */
async function streamUntilClosed(session: Session, argv: readonly string[]): Promise<number> {
  const connection = session.connection!;
  const outcome = await Promise.race([
    startStreaming(session, argv),
    connection.closed.then(() => "closed" as const),
  ]);
  // A refused SUBSCRIBE/MONITOR has printed its error and ends the command, as in redis-cli.
  if (outcome === "refused") return session.options.exitOnError ? 1 : 0;
  writeErr("Error: Server closed the connection\n");
  return 1;
}

/** Starts a SUBSCRIBE-like command; resolves if the server refuses it. */
function startStreaming(session: Session, argv: readonly string[]): Promise<"refused"> {
  const pubsub = argv[0]!.toLowerCase() !== "monitor";
  const refused = session.refusal();
  session.connection!.sendWithoutReply(argv);
  if (pubsub && session.mode === "standard") {
    writeOut("Reading messages... (press Ctrl-C to quit)\n");
  }
  return refused;
}

async function runInteractive(session: Session): Promise<number> {
  await session.connect();
  if (session.connection !== undefined) void session.loadDocs();
  const history = new History();
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    terminal: true,
    history: history.load(),
    historySize: History.size,
    removeHistoryDuplicates: false,
    completer: (line: string) => complete(session, line),
  });
  const hints = new InlineHints(rl, session);
  /** Set while a command runs: Ctrl-C then abandons it instead of leaving. */
  let interrupt: (() => void) | undefined;
  rl.on("SIGINT", () => {
    if (interrupt !== undefined) interrupt();
    else rl.close();
  });
  const prompt = () => {
    rl.setPrompt(session.prompt());
    rl.prompt();
  };
  prompt();
  let typedQuit = false;
  for await (const typed of rl) {
    const argv = splitArgs(utf8ToBinary(typed));
    if (argv === undefined) {
      writeOut("Invalid argument(s)\n");
      prompt();
      continue;
    }
    if (argv.length === 0) {
      prompt();
      continue;
    }
    history.add(typed, argv);
    const name = argv[0]!.toLowerCase();
    if (name === "quit" || name === "exit") {
      typedQuit = true;
      break;
    }
    if (name === "clear") {
      writeOut("\x1b[H\x1b[2J");
    } else if (name === "help" || name === "?") {
      await showHelp(session, argv.slice(1));
    } else {
      const repeated = parseRepeat(argv);
      if (repeated === undefined) writeOut("Invalid repeat command option value.\n");
      else {
        for (let i = 0; i < repeated.count; i++) {
          if (i > 0 && session.options.intervalSeconds > 0) {
            await sleep(session.options.intervalSeconds);
          }
          if (session.connection === undefined && !await session.connect()) break;
          const stopped = new Promise<"interrupted">((resolve) => {
            interrupt = () => resolve("interrupted");
          });
          const completed = await runInteractiveCommand(session, repeated.argv, stopped);
          interrupt = undefined;
          if (!completed) break;
        }
      }
    }
    prompt();
  }
  hints.stop();
  rl.close();
  // Ctrl-C or Ctrl-D at the prompt: end the prompt's line, so the shell's starts on its own.
  if (!typedQuit) writeOut("\n");
  return 0;
}

/**
 * Runs one command at the prompt. Ctrl-C (`stopped`) abandons it: the
 * connection is replaced, since the abandoned reply may still come, as
 * redis-cli does. Returns false when the command did not complete.
 */
async function runInteractiveCommand(
  session: Session,
  argv: readonly string[],
  stopped: Promise<"interrupted">,
): Promise<boolean> {
  const connection = session.connection!;
  let outcome: ClientReply | "interrupted" | "closed" | "refused" | Error;
  if (STREAMING_COMMANDS.has(argv[0]!.toLowerCase())) {
    outcome = await Promise.race([
      startStreaming(session, argv),
      connection.closed.then(() => "closed" as const),
      stopped,
    ]);
    // Refused: the error is printed and the connection is usable, back to the prompt.
    if (outcome === "refused") return true;
  } else {
    const reply = connection.send(argv);
    reply.catch(() => {}); // an interrupt leaves it unawaited
    outcome = await Promise.race([reply, stopped]).catch((error: Error) => error);
  }
  if (outcome === "interrupted" || outcome === "closed" || outcome instanceof Error) {
    if (outcome !== "interrupted" && !isShutdown(argv)) {
      writeErr(
        `Error: ${outcome === "closed" ? "Server closed the connection" : outcome.message}\n`,
      );
    }
    session.disconnect();
    await session.connect();
    return false;
  }
  session.track(argv, outcome);
  writeOut(session.render(argv, outcome));
  return true;
}

/**
 * redis-cli's inline hints: the rest of the command's syntax, in grey, after
 * what is typed (`set k` shows ` value [NX|XX] …`), from COMMAND DOCS. Drawn
 * after node:readline has handled each key, and wiped before Enter so the
 * line stays as typed, as linenoise does.
 */
class InlineHints {
  readonly #rl: Interface;
  readonly #session: Session;
  readonly #beforeKey: (text: string | undefined, key: { name?: string } | undefined) => void;
  readonly #afterKey: () => void;
  /** Whether a hint is on screen now. */
  #shown = false;

  constructor(rl: Interface, session: Session) {
    this.#rl = rl;
    this.#session = session;
    this.#beforeKey = (_text, key) => {
      if (key?.name === "return" || key?.name === "enter") this.#clear();
    };
    this.#afterKey = () => this.#draw();
    // Before readline's own listener (Enter), and after it (everything else).
    process.stdin.prependListener("keypress", this.#beforeKey);
    process.stdin.on("keypress", this.#afterKey);
  }

  stop(): void {
    process.stdin.off("keypress", this.#beforeKey);
    process.stdin.off("keypress", this.#afterKey);
  }

  #draw(): void {
    const line = this.#rl.line;
    const words = splitArgs(utf8ToBinary(line));
    const docs = this.#session.docs;
    const hint = words === undefined || docs === undefined
      ? undefined
      : hintFor(docs, words, /\s$/.test(line));
    if (hint === undefined || hint.trim() === "") {
      this.#clear();
      return;
    }
    // Cut to what fits on the line, as linenoise does; a wrapped hint could not be wiped.
    // A terminal of unknown size (0 columns, as under `script` without one) gets 80.
    const columns = process.stdout.columns || 80;
    const room = columns - this.#session.prompt().length - line.length - 1;
    if (room <= 0) {
      this.#clear();
      return;
    }
    writeOut(this.#atLineEnd(`\x1b[K\x1b[90m${hint.slice(0, room)}\x1b[0m`));
    this.#shown = true;
  }

  #clear(): void {
    if (!this.#shown) return;
    writeOut(this.#atLineEnd("\x1b[K"));
    this.#shown = false;
  }

  /** `text` written at the end of the typed line, the cursor put back where it was. */
  #atLineEnd(text: string): string {
    const ahead = this.#rl.line.length - this.#rl.cursor;
    return `\x1b7${ahead > 0 ? `\x1b[${ahead}C` : ""}${text}\x1b8`;
  }
}

/** Splits off a leading repeat count (`3 incr a`); undefined when the count is not positive. */
function parseRepeat(argv: string[]): { count: number; argv: string[] } | undefined {
  if (argv.length > 1 && /^-?[0-9]+$/.test(argv[0]!)) {
    const count = Number(argv[0]);
    if (count <= 0 || !Number.isSafeInteger(count)) return undefined;
    return { count, argv: argv.slice(1) };
  }
  return { count: 1, argv };
}

async function showHelp(session: Session, topic: readonly string[]): Promise<void> {
  const docs = await session.loadDocs();
  const style = session.mode === "standard" && isTerminal("stdout") ? TERMINAL_STYLE : PLAIN_STYLE;
  if (topic.length === 0) {
    writeOut(`kache client\n${formatHelpIntro(docs)}`);
    return;
  }
  const text = formatHelpTopic(docs, topic, style);
  writeOut(text ?? `No help for ${JSON.stringify(topic.join(" "))}; type "help" for a list.\n`);
}

/**
 * Tab completion of the command name, its subcommand, and the topic after
 * `help` (a command, `@group`, or `command subcommand`: `help config g` →
 * `help config get`, as redis-cli completes it).
 */
function complete(session: Session, line: string): [string[], string] {
  const docs = session.docs ??
    (session.options.protocol === "kache" ? ORIGINAL_COMMANDS : []);
  const names = [...new Set(docs.map((doc) => doc.name.split(" ")[0]!))];
  const helpTopic = /^\s*(?:help|\?)\s+(.*)$/i.exec(line);
  const rest = helpTopic === null ? line : helpTopic[1]!;
  if (!/^\s*\S*$/.test(rest)) {
    // `config g<tab>` → `config get`, from the subcommands COMMAND DOCS lists.
    const sub = completeSubcommand(docs, rest);
    return sub === undefined ? [[], line] : [sub.hits, sub.word];
  }
  const word = rest.trim();
  const candidates = helpTopic === null
    ? names
    : [...names, ...new Set(docs.map((doc) => `@${doc.group}`))];
  const lower = word.toLowerCase();
  // Keep the case being typed: `se<tab>` gives `set`, `SE<tab>` gives `SET`.
  const upper = word !== lower;
  const hits = candidates
    .filter((name) => name.toLowerCase().startsWith(lower))
    .map((name) => (upper ? name.toUpperCase() : name.toLowerCase()));
  return [hits, word];
}

/** The interactive history file: `~/.kache_history`, used only where permissions allow. */
class History {
  static readonly size = 1000;
  readonly #path: string | undefined;
  readonly #writable: boolean;

  constructor() {
    const home = permitted({ name: "env", variable: "HOME" }) ? Deno.env.get("HOME") : undefined;
    this.#path = home ? `${home}/.kache_history` : undefined;
    this.#writable = this.#path !== undefined && permitted({ name: "write", path: this.#path });
  }

  /** Lines of earlier sessions, newest first as node:readline wants them. */
  load(): string[] {
    if (this.#path === undefined || !permitted({ name: "read", path: this.#path })) return [];
    try {
      const lines = Deno.readTextFileSync(this.#path).split("\n").filter((line) => line !== "");
      const kept = lines.slice(-History.size);
      // Trim the file now and then, so it does not grow forever.
      if (lines.length > 2 * History.size && this.#writable) {
        Deno.writeTextFileSync(this.#path, kept.join("\n") + "\n");
      }
      return kept.reverse();
    } catch {
      return [];
    }
  }

  /** Appends a line, except ones that carry a password (AUTH, HELLO … AUTH, ACL SETUSER …). */
  add(typed: string, argv: readonly string[]): void {
    if (!this.#writable || this.#path === undefined || isSensitive(argv)) return;
    try {
      Deno.writeTextFileSync(this.#path, typed + "\n", { append: true });
    } catch {
      // History is a convenience: a read-only home must not break the client.
    }
  }
}

function isSensitive(argv: readonly string[]): boolean {
  const words = argv.map((arg) => arg.toLowerCase());
  const [name, sub] = words;
  return name === "auth" || (name === "hello" && words.includes("auth")) ||
    (name === "acl" && sub === "setuser") || (name === "migrate" && words.includes("auth")) ||
    (name === "config" && sub === "set" &&
      words.some((word) => word.includes("auth") || word.includes("requirepass")));
}

/** True when the permission is already granted: never prompt the user for history. */
function permitted(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/** Lines of a byte stream as one-byte strings, so bytes typed or piped in reach the server as they are. */
async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of stream) {
    const text = pending + bytesToString(chunk);
    const lines = text.split("\n");
    pending = lines.pop()!;
    yield* lines;
  }
  if (pending !== "") yield pending;
}
