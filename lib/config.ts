/**
 * Server settings under redis-server's names, so habits carry over: the same
 * table drives `kache serve --name value` flags, `name value` lines in a
 * config file, CONFIG GET and CONFIG SET. Adding a setting is adding one
 * entry to {@link CONFIG_PARAMETERS}.
 *
 * @module
 */
import {
  type ClientOutputLimits,
  DEFAULT_CLIENT_OUTPUT_BUFFER_LIMIT,
  formatClientOutputLimits,
  parseClientOutputLimits,
} from "./client_output_limits.ts";
import { EVICTION_POLICIES } from "./eviction.ts";
import {
  formatNotifyKeyspaceEvents,
  INVALID_NOTIFY_CLASS,
  parseNotifyKeyspaceEvents,
} from "./notify.ts";
import { utf8ToBinary } from "./bytes.ts";
import { PROTECTED_ACTION_VALUES } from "./protection.ts";
import { formatInteger, parseInteger, parseMemorySize, parseSafeInteger } from "./numbers.ts";
import { formatSaveRules, INVALID_SAVE, parseSaveRules } from "./persistence/save_rules.ts";
import { TLS_PARAMETERS } from "./tls_settings.ts";
import { splitArgs } from "./split_args.ts";
import { REPLICA_PARAMETERS } from "./replication/replica_config.ts";

/** How a setting's text is read and written back. */
export type ConfigType =
  | { readonly kind: "integer"; readonly min: number; readonly max: number }
  | { readonly kind: "memory" }
  | { readonly kind: "boolean" }
  | { readonly kind: "string" }
  | { readonly kind: "enum"; readonly values: readonly string[] }
  | {
    /** A setting with its own syntax; `current` lets a partial value merge into the old one. */
    readonly kind: "custom";
    readonly parse: (text: string, current: ConfigValue | undefined) => ParsedConfigValue;
    readonly format: (value: ConfigValue) => string;
  };

type ParsedConfigValue = { value: ConfigValue } | { error: string };

export interface ConfigParameter {
  readonly name: string;
  readonly type: ConfigType;
  /** The default, written as in a config file. */
  readonly default: string;
  /** Whether CONFIG SET may change it while running. */
  readonly mutable: boolean;
  /** Hides the value from CONFIG GET-style listings in logs (passwords). */
  readonly sensitive?: boolean;
  /**
   * Compared with bytes clients send (passwords). Values set over RESP are
   * already one-byte strings of those bytes; text from the command line or a
   * config file is UTF-8 and is stored as its bytes too, so `пароль` given
   * either way is the same 12 bytes.
   */
  readonly clientBytes?: boolean;
  /**
   * Changed at run time only as `enable-protected-configs` allows (Redis's
   * PROTECTED_CONFIG): settings that choose where files are written.
   */
  readonly protected?: boolean;
  /** Refuses values the type accepts but the setting does not; returns Redis's text (Kache's where Redis has none). */
  readonly check?: (text: string) => string | undefined;
  /** The other name of the same setting (Redis's pre-7.0 `*-ziplist-*` names); both show its value. */
  readonly alias?: string;
  readonly description: string;
}

export type ConfigValue = number | boolean | string;

const PORT = { kind: "integer", min: 0, max: 65535 } as const;
const NON_NEGATIVE = { kind: "integer", min: 0, max: Number.MAX_SAFE_INTEGER } as const;

/** Redis's `pathIsBaseName`: no `/` and no `\\`, so the file stays inside `dir`. */
function isBaseName(text: string): boolean {
  return !text.includes("/") && !text.includes("\\");
}

/** Snapshots and the append-only file (server/persistence.ts), under Redis's names and defaults. */
const PERSISTENCE_PARAMETERS: readonly ConfigParameter[] = [
  {
    name: "dir",
    type: { kind: "string" },
    default: ".",
    mutable: true,
    protected: true,
    description: "directory that holds the snapshot and the append-only files",
  },
  {
    name: "dbfilename",
    type: { kind: "string" },
    default: "dump.rdb",
    mutable: true,
    protected: true,
    check: (text) => isBaseName(text) ? undefined : "dbfilename can't be a path, just a filename",
    description: "snapshot file name, inside dir",
  },
  {
    name: "save",
    type: {
      kind: "custom",
      parse(text) {
        const rules = parseSaveRules(text);
        return rules === undefined ? { error: INVALID_SAVE } : { value: formatSaveRules(rules) };
      },
      format: (value) => value as string,
    },
    default: "3600 1 300 100 60 10000",
    mutable: true,
    description: '"<seconds> <changes> ...": snapshot when both are reached ("" = never)',
  },
  {
    name: "rdbcompression",
    type: { kind: "boolean" },
    default: "yes",
    mutable: true,
    description: "LZF-compress long strings in snapshots",
  },
  {
    name: "rdbchecksum",
    type: { kind: "boolean" },
    default: "yes",
    mutable: true,
    description: "end snapshots with a CRC-64 (and check it on load)",
  },
  {
    name: "stop-writes-on-bgsave-error",
    type: { kind: "boolean" },
    default: "yes",
    mutable: true,
    description:
      "refuse writes (-MISCONF) after a failed background save while save points are set",
  },
  {
    name: "appendonly",
    type: { kind: "boolean" },
    default: "no",
    mutable: true,
    description: "log every write to the append-only file and load it at startup",
  },
  {
    name: "appendfilename",
    type: { kind: "string" },
    default: "appendonly.aof",
    mutable: false,
    check: (text) =>
      text === ""
        ? "appendfilename can't be empty"
        : isBaseName(text)
        ? undefined
        : "appendfilename can't be a path, just a filename",
    description: "base name of the append-only files",
  },
  {
    name: "appenddirname",
    type: { kind: "string" },
    default: "appendonlydir",
    mutable: false,
    check: (text) =>
      text === ""
        ? "appenddirname can't be empty"
        : isBaseName(text)
        ? undefined
        : "appenddirname can't be a path, just a dirname",
    description: "directory, inside dir, of the append-only files and their manifest",
  },
  {
    name: "appendfsync",
    type: { kind: "enum", values: ["always", "everysec", "no"] },
    default: "everysec",
    mutable: true,
    description: "always: reply after fsync; everysec: fsync once a second; no: leave it to the OS",
  },
  {
    name: "auto-aof-rewrite-percentage",
    type: NON_NEGATIVE,
    default: "100",
    mutable: true,
    description: "rewrite the append-only file once it grew by this % (0 = never)",
  },
  {
    name: "auto-aof-rewrite-min-size",
    type: { kind: "memory" },
    default: "64mb",
    mutable: true,
    description: "no automatic rewrite below this append-only file size",
  },
  {
    name: "aof-load-truncated",
    type: { kind: "boolean" },
    default: "yes",
    mutable: true,
    description: "at startup, drop a torn last command of the append-only file instead of refusing",
  },
];

/** Unix permission bits written in octal, as redis.conf's `unixsocketperm 700`. */
const OCTAL_PERMISSIONS: ConfigType = {
  kind: "custom",
  parse: (text) =>
    /^[0-7]{1,4}$/.test(text) ? { value: parseInt(text, 8) } : { error: "argument must be octal" },
  format: (value) => (value as number).toString(8),
};

/**
 * How the process lives beside the system (cli/serve.ts): its log file, pid
 * file, supervisor and Unix socket, as redis.conf sets them.
 */
const PROCESS_PARAMETERS: readonly ConfigParameter[] = [
  {
    name: "logfile",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description: 'file the log is appended to ("" = standard output)',
  },
  {
    name: "pidfile",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description: 'file the process id is written to at start and removed from at exit ("" = none)',
  },
  {
    name: "daemonize",
    type: { kind: "boolean" },
    default: "no",
    mutable: false,
    description:
      "yes: Kache cannot fork (Deno), so it stays in the foreground and says to use a supervisor",
  },
  {
    name: "supervised",
    type: { kind: "enum", values: ["no", "upstart", "systemd", "auto"] },
    default: "no",
    mutable: false,
    description: "systemd (or auto with $NOTIFY_SOCKET set): send READY=1 once listening",
  },
  {
    name: "unixsocket",
    type: { kind: "string" },
    default: "",
    mutable: false,
    description: 'Unix socket path serving RESP too ("" = none)',
  },
  {
    name: "unixsocketperm",
    type: OCTAL_PERMISSIONS,
    default: "0",
    mutable: false,
    description: "octal permissions of the Unix socket (0 = as the umask leaves them)",
  },
];

/** Redis's size_t/long long settings: 0 to LONG_MAX, kept as their canonical decimal. */
const LONG_RANGE: ConfigType = {
  kind: "custom",
  parse(text) {
    const value = parseInteger(text);
    if (value === undefined) return { error: "argument couldn't be parsed into an integer" };
    if (value < 0) return { error: "argument must be between 0 and 9223372036854775807 inclusive" };
    return { value: formatInteger(value) };
  },
  format: (value) => String(value),
};
const INT_RANGE = { kind: "integer", min: -2147483648, max: 2147483647 } as const;
const NON_NEGATIVE_INT = { kind: "integer", min: 0, max: 2147483647 } as const;

/** Said of every encoding setting: it is kept and reported, and changes no representation. */
const KEPT_ONLY = "Kache's representation does not depend on it";

/** One setting under its 7.0 name and its pre-7.0 ziplist alias, which share one value. */
function withAlias(parameter: ConfigParameter, alias: string): ConfigParameter[] {
  return [{ ...parameter, alias }, { ...parameter, name: alias, alias: parameter.name }];
}

/**
 * Replication, a master's side (lib/replication/, server/replication/):
 * Redis 7.0's names, ranges and defaults.
 */
const REPLICATION_PARAMETERS: readonly ConfigParameter[] = [
  {
    name: "repl-backlog-size",
    type: { kind: "memory" },
    default: "1mb",
    mutable: true,
    description: "bytes of the replication stream kept for replicas to resume from (min 16kb)",
  },
  {
    name: "repl-backlog-ttl",
    type: NON_NEGATIVE_INT,
    default: "3600",
    mutable: true,
    description: "seconds without replicas after which the backlog is freed (0 = never)",
  },
  ...withAlias({
    name: "repl-ping-replica-period",
    type: { kind: "integer", min: 1, max: 2147483647 },
    default: "10",
    mutable: true,
    description: "seconds between the PINGs a master sends its replicas",
  }, "repl-ping-slave-period"),
  {
    name: "repl-diskless-sync",
    type: { kind: "boolean" },
    default: "yes",
    mutable: true,
    description: "send full resyncs' RDB straight to replicas that take it (capa eof), no file",
  },
  {
    name: "repl-diskless-sync-delay",
    type: NON_NEGATIVE_INT,
    default: "5",
    mutable: true,
    description: "seconds a diskless sync waits for more replicas to share it",
  },
  {
    name: "repl-diskless-sync-max-replicas",
    type: NON_NEGATIVE_INT,
    default: "0",
    mutable: true,
    description: "start a diskless sync before the delay once this many replicas wait (0 = no)",
  },
  {
    name: "repl-timeout",
    type: { kind: "integer", min: 1, max: 2147483647 },
    default: "60",
    mutable: true,
    description: "seconds of silence (no REPLCONF ACK) after which a replica link is dropped",
  },
  ...withAlias({
    name: "min-replicas-to-write",
    type: NON_NEGATIVE_INT,
    default: "0",
    mutable: true,
    description: "refuse writes (-NOREPLICAS) with fewer good replicas than this (0 = off)",
  }, "min-slaves-to-write"),
  ...withAlias({
    name: "min-replicas-max-lag",
    type: NON_NEGATIVE_INT,
    default: "10",
    mutable: true,
    description: "a replica is good while its last ACK is at most this many seconds old",
  }, "min-slaves-max-lag"),
];

/**
 * The encoding settings under Redis 7.0's names, aliases, ranges and
 * defaults: they decide what OBJECT ENCODING reports (lib/object_encoding.ts).
 */
const ENCODING_PARAMETERS: readonly ConfigParameter[] = [
  ...withAlias({
    name: "zset-max-listpack-entries",
    type: LONG_RANGE,
    default: "128",
    mutable: true,
    description: `OBJECT ENCODING says listpack for sorted sets up to this size (${KEPT_ONLY})`,
  }, "zset-max-ziplist-entries"),
  ...withAlias({
    name: "zset-max-listpack-value",
    type: { kind: "memory" },
    default: "64",
    mutable: true,
    description: `...and whose members are at most this long (${KEPT_ONLY})`,
  }, "zset-max-ziplist-value"),
  ...withAlias({
    name: "hash-max-listpack-entries",
    type: LONG_RANGE,
    default: "512",
    mutable: true,
    description: `OBJECT ENCODING says listpack for hashes up to this size (${KEPT_ONLY})`,
  }, "hash-max-ziplist-entries"),
  ...withAlias({
    name: "hash-max-listpack-value",
    type: { kind: "memory" },
    default: "64",
    mutable: true,
    description: `...and whose fields and values are at most this long (${KEPT_ONLY})`,
  }, "hash-max-ziplist-value"),
  ...withAlias({
    name: "list-max-listpack-size",
    type: INT_RANGE,
    default: "-2",
    mutable: true,
    description: `Redis's quicklist node size; lists are always quicklist in 7.0 (${KEPT_ONLY})`,
  }, "list-max-ziplist-size"),
  {
    name: "list-compress-depth",
    type: NON_NEGATIVE_INT,
    default: "0",
    mutable: true,
    description: `Redis's uncompressed quicklist nodes at each end (${KEPT_ONLY})`,
  },
  {
    name: "set-max-intset-entries",
    type: LONG_RANGE,
    default: "512",
    mutable: true,
    description: `OBJECT ENCODING says intset for integer sets up to this size (${KEPT_ONLY})`,
  },
  {
    name: "hll-sparse-max-bytes",
    type: { kind: "memory" },
    default: "3000",
    mutable: true,
    description: "a HyperLogLog's sparse form grows up to this many bytes (header included), " +
      "then it turns dense",
  },
  {
    name: "stream-node-max-bytes",
    type: { kind: "memory" },
    default: "4096",
    mutable: true,
    description: "A stream node (Redis's listpack) holds at most this many bytes; 0 = no limit",
  },
  {
    name: "stream-node-max-entries",
    type: LONG_RANGE,
    default: "100",
    mutable: true,
    description: "A stream node holds at most this many entries; 0 = no limit",
  },
];

/** Redis's `%f` then trimDoubleString: 99.9 → "99.9", 50 → "50". */
export function formatPercentile(percentile: number): string {
  return String(Number(percentile.toFixed(6)));
}

/** Latency diagnostics (LATENCY, INFO latencystats) and DEBUG, under Redis's names and defaults. */
const DIAGNOSTICS_PARAMETERS: readonly ConfigParameter[] = [
  {
    name: "latency-monitor-threshold",
    type: LONG_RANGE,
    default: "0",
    mutable: true,
    description:
      "ms an event (command, expire cycle) must take to enter LATENCY's history; 0 = off",
  },
  {
    name: "latency-tracking",
    type: { kind: "boolean" },
    default: "yes",
    mutable: true,
    description: "keep per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats)",
  },
  {
    name: "latency-tracking-info-percentiles",
    type: {
      kind: "custom",
      parse(text) {
        const words = text.split(" ").filter((word) => word !== "");
        const percentiles: number[] = [];
        for (const word of words) {
          const percentile = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(word)
            ? Number(word)
            : NaN;
          if (Number.isNaN(percentile)) {
            return { error: "Invalid latency-tracking-info-percentiles parameters" };
          }
          if (percentile > 100 || percentile < 0) {
            return {
              error: "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]",
            };
          }
          percentiles.push(percentile);
        }
        return { value: percentiles.map(formatPercentile).join(" ") };
      },
      format: (value) => value as string,
    },
    default: "50 99 99.9",
    mutable: true,
    description: "percentiles INFO latencystats shows per command",
  },
  {
    name: "enable-debug-command",
    type: { kind: "enum", values: PROTECTED_ACTION_VALUES },
    default: "no",
    mutable: false,
    description: "allow DEBUG: yes, local (loopback clients only) or no",
  },
];

export const CONFIG_PARAMETERS: readonly ConfigParameter[] = [
  {
    name: "port",
    type: PORT,
    default: "6379",
    mutable: false,
    description: "RESP port (0 disables it)",
  },
  {
    name: "kache-port",
    type: PORT,
    default: "1234",
    mutable: false,
    description: "binary Kache protocol port (0 disables it)",
  },
  {
    name: "tcp-backend",
    type: { kind: "enum", values: ["deno", "epoll"] },
    default: "deno",
    mutable: false,
    description:
      "sockets of the RESP and binary TCP ports: deno (Deno.listen) or epoll (Linux epoll and libc through FFI, needs --allow-ffi: more throughput under load, more latency and CPU per request when idle)",
  },
  {
    name: "http-port",
    type: PORT,
    default: "0",
    mutable: false,
    description:
      "HTTP port for Prometheus /metrics and a live page, on the first bind address, behind requirepass (0 disables it)",
  },
  ...TLS_PARAMETERS,
  {
    name: "bind",
    type: { kind: "string" },
    default: "127.0.0.1",
    mutable: false,
    description: "addresses to listen on, space separated",
  },
  {
    name: "timeout",
    type: NON_NEGATIVE,
    default: "0",
    mutable: true,
    description: "close a client idle this many seconds (0 = never)",
  },
  {
    name: "loglevel",
    type: { kind: "enum", values: ["debug", "verbose", "notice", "warning", "nothing"] },
    default: "notice",
    mutable: true,
    description: "how much to log",
  },
  {
    name: "proto-max-bulk-len",
    type: { kind: "memory" },
    default: "512mb",
    mutable: true,
    description: "largest RESP bulk string accepted",
  },
  {
    name: "kache-max-frame",
    type: { kind: "memory" },
    default: "512mb",
    mutable: true,
    description: "largest binary-protocol request frame accepted (the original allowed 4096)",
  },
  {
    name: "kache-max-args",
    type: NON_NEGATIVE,
    default: "1048576",
    mutable: true,
    description: "most arguments in one binary-protocol request (the original allowed 64)",
  },
  {
    name: "requirepass",
    type: { kind: "string" },
    default: "",
    mutable: true,
    sensitive: true,
    clientBytes: true,
    description: "password clients must give with AUTH (empty = none)",
  },
  {
    name: "maxclients",
    type: { kind: "integer", min: 1, max: 1_000_000 },
    default: "10000",
    mutable: true,
    description: "most clients connected at once",
  },
  {
    name: "protected-mode",
    type: { kind: "boolean" },
    default: "yes",
    mutable: true,
    description: "with no password set, answer -DENIED to clients not on loopback",
  },
  {
    name: "enable-protected-configs",
    type: { kind: "enum", values: PROTECTED_ACTION_VALUES },
    default: "no",
    mutable: false,
    description: "who may CONFIG SET dir and dbfilename: no one, yes (anyone), local (loopback)",
  },
  {
    name: "client-query-buffer-limit",
    type: { kind: "memory" },
    default: "1gb",
    mutable: true,
    description: "most unparsed request bytes one client may have buffered",
  },
  {
    name: "hz",
    type: { kind: "integer", min: 1, max: 500 },
    default: "10",
    mutable: true,
    description:
      "periodic work per second: idle-client checks, save rules, AOF rewrites and fsync checks",
  },
  {
    // Redis's io-threads (1 to 128, immutable). Kache reads, runs and writes on one thread, so the
    // only true value is 1: CONFIG GET says so and INFO's io_threads_active is 0. A config file
    // (or serve flag) asking for more threads starts Kache on one, named in the startup warning
    // of directives without effect (see ioThreadsWithoutEffect); CONFIG SET refuses it, as Redis.
    name: "io-threads",
    type: { kind: "integer", min: 1, max: 128 },
    default: "1",
    mutable: false,
    check: (text) =>
      Number(text) === 1
        ? undefined
        : "Kache serves every client from one thread: io-threads must be 1",
    description: "threads serving clients: always 1 (Kache runs on one thread)",
  },
  {
    name: "slowlog-log-slower-than",
    type: { kind: "integer", min: -1, max: Number.MAX_SAFE_INTEGER },
    default: "10000",
    mutable: true,
    description: "microseconds a command must take to enter the slow log; -1 = never, 0 = always",
  },
  {
    name: "slowlog-max-len",
    type: NON_NEGATIVE,
    default: "128",
    mutable: true,
    description: "most entries the slow log keeps (the oldest go first)",
  },
  {
    name: "active-expire-batch",
    type: { kind: "integer", min: 1, max: 1_000_000 },
    default: "2000",
    mutable: true,
    description: "most keys the active expiry removes before yielding to I/O",
  },
  {
    name: "maxmemory",
    type: { kind: "memory" },
    default: "0",
    mutable: true,
    description: "evict or refuse writes past this estimated data size (0 = no limit)",
  },
  {
    name: "maxmemory-policy",
    type: { kind: "enum", values: EVICTION_POLICIES },
    default: "noeviction",
    mutable: true,
    description: "which keys go when memory is full; noeviction refuses writes instead",
  },
  {
    name: "maxmemory-samples",
    type: { kind: "integer", min: 1, max: 64 },
    default: "5",
    mutable: true,
    description: "keys looked at per eviction choice by the sampling policies",
  },
  {
    name: "lfu-log-factor",
    type: { kind: "integer", min: 0, max: 2147483647 },
    default: "10",
    mutable: true,
    description: "how slowly hits raise a key's LFU counter (higher: more hits per step)",
  },
  {
    name: "lfu-decay-time",
    type: { kind: "integer", min: 0, max: 2147483647 },
    default: "1",
    mutable: true,
    description: "idle minutes per point a key's LFU counter loses (0: it never decays)",
  },
  {
    name: "notify-keyspace-events",
    type: {
      kind: "custom",
      parse(text) {
        const flags = parseNotifyKeyspaceEvents(text);
        return flags === undefined ? { error: INVALID_NOTIFY_CLASS } : { value: flags };
      },
      format: (value) => formatNotifyKeyspaceEvents(value as number),
    },
    default: "",
    mutable: true,
    description: "keyspace events to publish, Redis's letters (e.g. KEA; empty = none)",
  },
  {
    name: "client-output-buffer-limit",
    type: {
      kind: "custom",
      parse(text, current) {
        const parsed = parseClientOutputLimits(
          text,
          current === undefined ? undefined : outputLimitsOf(current as string),
        );
        return "error" in parsed ? parsed : { value: formatClientOutputLimits(parsed.limits) };
      },
      format: (value) => value as string,
    },
    default: DEFAULT_CLIENT_OUTPUT_BUFFER_LIMIT,
    mutable: true,
    description: "<class> <hard> <soft> <seconds>: disconnect clients whose output queue is over",
  },
  {
    name: "databases",
    type: { kind: "integer", min: 1, max: 2 ** 31 - 1 },
    default: "16",
    mutable: false,
    description: "number of databases, SELECT 0 to N-1 (a database costs nothing until used)",
  },
  {
    name: "busy-reply-threshold",
    type: NON_NEGATIVE,
    default: "5000",
    mutable: true,
    description:
      "ms a script runs before other clients get -BUSY and SCRIPT KILL can stop it (0 = never)",
  },
  ...PERSISTENCE_PARAMETERS,
  ...ENCODING_PARAMETERS,
  ...DIAGNOSTICS_PARAMETERS,
  ...PROCESS_PARAMETERS,
  ...REPLICA_PARAMETERS,
  ...REPLICATION_PARAMETERS,
  {
    name: "tracking-table-max-keys",
    type: LONG_RANGE,
    default: "1000000",
    mutable: true,
    description:
      "most keys CLIENT TRACKING remembers; past it the oldest are invalidated (0 = no limit)",
  },
];

const BY_NAME = new Map(CONFIG_PARAMETERS.map((parameter) => [parameter.name, parameter]));

/** Old names Redis still accepts, as CONFIG GET/SET and config files spell them. */
export const CONFIG_ALIASES: ReadonlyMap<string, string> = new Map([
  ["lua-time-limit", "busy-reply-threshold"],
]);

export function findConfigParameter(name: string): ConfigParameter | undefined {
  const lower = name.toLowerCase();
  return BY_NAME.get(CONFIG_ALIASES.get(lower) ?? lower);
}

/** The limits of a stored `client-output-buffer-limit` value (always valid once stored). */
export function outputLimitsOf(value: string): ClientOutputLimits {
  const parsed = parseClientOutputLimits(value);
  if ("error" in parsed) throw new Error(`Bad stored client-output-buffer-limit "${value}"`);
  return parsed.limits;
}

/**
 * Reads `text` as the parameter's type; returns the value or an error
 * message. `current` is the value in force, for settings that merge.
 */
export function parseConfigValue(
  parameter: ConfigParameter,
  text: string,
  current?: ConfigValue,
): ParsedConfigValue {
  const type = parameter.type;
  switch (type.kind) {
    case "custom":
      return type.parse(text, current);
    case "integer": {
      // Redis reads these with string2ll: no "+", no leading zeros, no spaces.
      const value = parseSafeInteger(text);
      if (value === undefined) return { error: `argument couldn't be parsed into an integer` };
      if (value < type.min || value > type.max) {
        return { error: `argument must be between ${type.min} and ${type.max} inclusive` };
      }
      const problem = parameter.check?.(text);
      return problem === undefined ? { value } : { error: problem };
    }
    case "memory": {
      const value = parseMemorySize(text);
      if (value === undefined) return { error: "argument must be a memory value" };
      return { value };
    }
    case "boolean": {
      const lower = text.toLowerCase();
      if (lower === "yes") return { value: true };
      if (lower === "no") return { value: false };
      return { error: "argument must be 'yes' or 'no'" };
    }
    case "enum": {
      const lower = text.toLowerCase();
      if (type.values.includes(lower)) return { value: lower };
      return { error: `argument(s) must be one of the following: ${type.values.join(", ")}` };
    }
    case "string": {
      const problem = parameter.check?.(text);
      return problem === undefined ? { value: text } : { error: problem };
    }
  }
}

/** Writes a value back as CONFIG GET shows it. */
export function formatConfigValue(parameter: ConfigParameter, value: ConfigValue): string {
  if (parameter.type.kind === "boolean") return value ? "yes" : "no";
  if (parameter.type.kind === "custom") return parameter.type.format(value);
  return String(value);
}

/**
 * The running configuration: every parameter's current value, typed.
 * Change listeners let the server apply CONFIG SET at once (e.g. timeout).
 */
export class Config {
  readonly #values = new Map<string, ConfigValue>();
  readonly #listeners: ((name: string, value: ConfigValue) => void)[] = [];
  readonly #appliers = new Map<string, (value: ConfigValue) => string | undefined>();

  constructor() {
    for (const parameter of CONFIG_PARAMETERS) {
      const parsed = parseConfigValue(parameter, parameter.default);
      if ("error" in parsed) {
        throw new Error(`Bad default for "${parameter.name}": ${parsed.error}`);
      }
      this.#values.set(parameter.name, parsed.value);
    }
  }

  /** A setting's current value, typed as it is stored. */
  value(name: string): ConfigValue {
    return this.#values.get(name)!;
  }

  number(name: string): number {
    return this.#values.get(name) as number;
  }

  string(name: string): string {
    return String(this.#values.get(name));
  }

  boolean(name: string): boolean {
    return this.#values.get(name) === true;
  }

  /** Sets `name` from text; returns an error message or undefined. */
  set(name: string, text: string, options: { startup: boolean }): string | undefined {
    const parameter = findConfigParameter(name);
    if (parameter === undefined) {
      return `Unknown option or number of arguments for CONFIG SET - '${name}'`;
    }
    if (!options.startup && !parameter.mutable) {
      return `CONFIG SET failed (possibly related to argument '${parameter.name}') - can't set immutable config`;
    }
    if (options.startup && parameter.clientBytes) text = utf8ToBinary(text);
    const parsed = parseConfigValue(parameter, text, this.#values.get(parameter.name));
    if ("error" in parsed) {
      return `CONFIG SET failed (possibly related to argument '${parameter.name}') - ${parsed.error}`;
    }
    if (!options.startup && parsed.value !== this.#values.get(parameter.name)) {
      const refusal = this.#appliers.get(parameter.name)?.(parsed.value);
      if (refusal !== undefined) {
        return `CONFIG SET failed (possibly related to argument '${parameter.name}') - ${refusal}`;
      }
    }
    this.#values.set(parameter.name, parsed.value);
    if (parameter.alias !== undefined) this.#values.set(parameter.alias, parsed.value);
    for (const listener of this.#listeners) listener(parameter.name, parsed.value);
    return undefined;
  }

  /**
   * Makes a run-time change of `name` take effect before it is stored
   * (Redis's config `apply` functions): a returned message refuses the
   * change, which then leaves the value as it was. Startup values are
   * applied by their owners as they start.
   */
  onApply(name: string, apply: (value: ConfigValue) => string | undefined): void {
    this.#appliers.set(name, apply);
  }

  /** CONFIG GET: every parameter whose name matches one of the glob patterns. */
  get(matches: (name: string) => boolean): [string, string][] {
    const pairs: [string, string][] = [];
    for (const parameter of CONFIG_PARAMETERS) {
      if (matches(parameter.name)) {
        pairs.push([
          parameter.name,
          formatConfigValue(parameter, this.#values.get(parameter.name)!),
        ]);
      }
    }
    for (const [alias, name] of CONFIG_ALIASES) {
      if (matches(alias)) {
        const parameter = BY_NAME.get(name)!;
        pairs.push([alias, formatConfigValue(parameter, this.#values.get(name)!)]);
      }
    }
    return pairs;
  }

  onChange(listener: (name: string, value: ConfigValue) => void): void {
    this.#listeners.push(listener);
  }
}

/**
 * Whether a startup `io-threads` value asks for threads Kache does not have
 * (a valid Redis value above 1): such a config file still starts, on one
 * thread, with the directive named among those without effect, as Redis
 * starts with it; the setting itself stays 1 so CONFIG GET tells the truth.
 */
export function ioThreadsWithoutEffect(name: string, value: string): boolean {
  if (name !== "io-threads" || !/^\d+$/.test(value)) return false;
  const threads = Number(value);
  return threads > 1 && threads <= 128;
}

/**
 * Redis 7.0 redis.conf directives that have no effect in Kache (replication,
 * cluster, allocator, threads, modules' ACL files …). A config file may hold
 * them, so Debian's stock redis.conf starts, but they are not settings:
 * CONFIG GET does not list them and CONFIG SET refuses them, and
 * `kache serve` names the ones it met in one startup warning. A name that
 * is also in {@link CONFIG_PARAMETERS} is a setting and is left out, so
 * implementing one is only adding its entry there.
 */
export const NO_EFFECT_DIRECTIVES: ReadonlySet<string> = new Set([
  "acl-pubsub-default",
  "aclfile",
  "acllog-max-len",
  "active-defrag-cycle-max",
  "active-defrag-cycle-min",
  "active-defrag-ignore-bytes",
  "active-defrag-max-scan-fields",
  "active-defrag-threshold-lower",
  "active-defrag-threshold-upper",
  "active-expire-effort",
  "activedefrag",
  "activerehashing",
  "always-show-logo",
  "aof-disable-auto-gc",
  "aof-rewrite-incremental-fsync",
  "aof-timestamp-enabled",
  "aof-use-rdb-preamble",
  "aof_rewrite_cpulist",
  "bgsave_cpulist",
  "bind-source-addr",
  "bio_cpulist",
  "cluster-allow-pubsubshard-when-down",
  "cluster-allow-reads-when-down",
  "cluster-allow-replica-migration",
  "cluster-announce-bus-port",
  "cluster-announce-hostname",
  "cluster-announce-ip",
  "cluster-announce-port",
  "cluster-announce-tls-port",
  "cluster-config-file",
  "cluster-enabled",
  "cluster-link-sendbuf-limit",
  "cluster-migration-barrier",
  "cluster-node-timeout",
  "cluster-port",
  "cluster-preferred-endpoint-type",
  "cluster-replica-no-failover",
  "cluster-replica-validity-factor",
  "cluster-require-full-coverage",
  "cluster-slave-no-failover",
  "cluster-slave-validity-factor",
  "crash-log-enabled",
  "crash-memcheck-enabled",
  "disable-thp",
  "dynamic-hz",
  "enable-debug-command",
  "enable-module-command",
  "ignore-warnings",
  "io-threads",
  "io-threads-do-reads",
  "jemalloc-bg-thread",
  "latency-monitor-threshold",
  "latency-tracking",
  "latency-tracking-info-percentiles",
  "lazyfree-lazy-eviction",
  "lazyfree-lazy-expire",
  "lazyfree-lazy-server-del",
  "lazyfree-lazy-user-del",
  "lazyfree-lazy-user-flush",
  "masterauth",
  "masteruser",
  "maxmemory-clients",
  "maxmemory-eviction-tenacity",
  "min-replicas-max-lag",
  "min-replicas-to-write",
  "min-slaves-max-lag",
  "min-slaves-to-write",
  "no-appendfsync-on-rewrite",
  "oom-score-adj",
  "oom-score-adj-values",
  "proc-title-template",
  "propagation-error-behavior",
  "rdb-del-sync-files",
  "rdb-save-incremental-fsync",
  "rename-command",
  "repl-backlog-size",
  "repl-backlog-ttl",
  "repl-disable-tcp-nodelay",
  "repl-diskless-load",
  "repl-diskless-sync",
  "repl-diskless-sync-delay",
  "repl-diskless-sync-max-replicas",
  "repl-ping-replica-period",
  "repl-ping-slave-period",
  "repl-timeout",
  "replica-announce-ip",
  "replica-announce-port",
  "replica-announced",
  "replica-ignore-disk-write-errors",
  "replica-ignore-maxmemory",
  "replica-lazy-flush",
  "replica-priority",
  "replica-read-only",
  "replica-serve-stale-data",
  "replicaof",
  "sanitize-dump-payload",
  "server_cpulist",
  "set-proc-title",
  "shutdown-on-sigint",
  "shutdown-on-sigterm",
  "shutdown-timeout",
  "slave-announce-ip",
  "slave-announce-port",
  "slave-ignore-maxmemory",
  "slave-lazy-flush",
  "slave-priority",
  "slave-read-only",
  "slave-serve-stale-data",
  "slaveof",
  "socket-mark-id",
  "syslog-enabled",
  "syslog-facility",
  "syslog-ident",
  "tcp-backlog",
  "tcp-keepalive",
  "tls-auth-clients",
  "tls-ca-cert-dir",
  "tls-ca-cert-file",
  "tls-cert-file",
  "tls-ciphers",
  "tls-ciphersuites",
  "tls-client-cert-file",
  "tls-client-key-file",
  "tls-client-key-file-pass",
  "tls-cluster",
  "tls-dh-params-file",
  "tls-key-file",
  "tls-key-file-pass",
  "tls-port",
  "tls-prefer-server-ciphers",
  "tls-protocols",
  "tls-replication",
  "tls-session-cache-size",
  "tls-session-cache-timeout",
  "tls-session-caching",
  "user",
].filter((name) => findConfigParameter(name) === undefined));

/**
 * Splits a config file into `[name, ...values]` lines, as redis-server reads
 * one: `#` comments, blank lines skipped, values may be double-quoted.
 */
export function parseConfigFile(text: string): { lines: string[][] } | { error: string } {
  const lines: string[][] = [];
  const rows = text.split(/\r?\n/);
  for (let index = 0; index < rows.length; index++) {
    const row = rows[index]!.trim();
    if (row === "" || row.startsWith("#")) continue;
    const words = splitArgs(row);
    if (words === undefined) return { error: `line ${index + 1}: unbalanced quotes in "${row}"` };
    lines.push(words);
  }
  return { lines };
}
