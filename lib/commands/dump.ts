/**
 * A key's value as an object: OBJECT (encoding, refcount, idle time,
 * frequency) and DUMP/RESTORE, Redis's serialized form of one value
 * (lib/persistence/dump_payload.ts).
 *
 * OBJECT ENCODING and REFCOUNT report what Redis 7.0 would for the same
 * value under the same settings (lib/object_encoding.ts); Kache's own
 * representation does not vary. OBJECT FREQ reads the LFU counters an LFU
 * policy keeps. Kache keeps no per-key access time (its LRU is CLOCK bits,
 * see lib/eviction.ts), so OBJECT IDLETIME has nothing true to report and
 * says so, and RESTORE's IDLETIME is checked but has nothing to set.
 *
 * @module
 */
import { CommandError, NOT_INTEGER, SYNTAX } from "../errors.ts";
import {
  isLfuPolicy,
  LFU_DECAY_MINUTES,
  lfuFrequency,
  setLfuFrequency,
  tracksAccess,
} from "../eviction.ts";
import type { Value } from "../keyspace.ts";
import { notify } from "../notify.ts";
import { encodingLimitsFrom, objectEncoding, objectRefcount } from "../object_encoding.ts";
import { dumpPayload, readDumpPayload } from "../persistence/dump_payload.ts";
import { valueFromRdb } from "../persistence/rdb_value.ts";
import { NotifyClass } from "../pubsub.ts";
import { bulk, error, integer, NIL, OK, type Reply, status } from "../reply.ts";
import { parseInteger } from "../numbers.ts";
import { helpReply } from "./help.ts";
import type { CommandContext, CommandSpec, KeyPositions } from "./types.ts";
import {
  migrateRequest,
  migrateVerdict,
  type MigratingKey,
  parseMigrateArguments,
} from "../migrate.ts";

const BUSYKEY = "BUSYKEY Target key name already exists.";
const BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong";
const BAD_FORMAT = "ERR Bad data format";
const LFU_NOT_SELECTED = "ERR An LFU maxmemory policy is not selected, access frequency not " +
  "tracked. Please note that when switching between policies at runtime LRU and LFU data will " +
  "take some time to adjust.";
const LFU_SELECTED = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please " +
  "note that when switching between policies at runtime LRU and LFU data will take some time " +
  "to adjust.";
const NO_IDLE_TIME = "ERR Kache does not record when each key was last used (its LRU policies " +
  "keep one CLOCK bit per key), so OBJECT IDLETIME has no idle time to report";
const NOT_COUNTED = "ERR Under volatile-lfu Kache counts accesses only to keys with a TTL, " +
  "and this key has none";

const OBJECT_HELP = [
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
];

/** A setting's current text, through CONFIG GET's path (exact names match only themselves). */
function setting(context: CommandContext, name: string): string {
  return context.server.configGet([name])[0]?.[1] ?? "";
}

/** The OBJECT subcommand's handler: nil for a missing key (no access recorded, as LOOKUP_NOTOUCH). */
function objectSubcommand(
  answer: (context: CommandContext, key: string, value: Value) => Reply,
) {
  return (context: CommandContext, argv: readonly string[]): Reply => {
    const key = argv[2]!;
    const value = context.keyspace.get(key);
    return value === undefined ? NIL : answer(context, key, value);
  };
}

function objectSpec(
  name: string,
  summary: string,
  since: string,
  handler: (context: CommandContext, argv: readonly string[]) => Reply,
): CommandSpec {
  return {
    name: `object|${name}`,
    arity: 3,
    flags: ["readonly"],
    keys: { first: 2, last: 2, step: 1 },
    group: "generic",
    summary,
    since,
    complexity: "O(1)",
    arguments: [{ name: "key", type: "key" }],
    handler,
  };
}

const OBJECT_SUBCOMMANDS: readonly CommandSpec[] = [
  objectSpec(
    "encoding",
    "Inspect the internal encoding of a Redis object",
    "2.2.3",
    objectSubcommand((context, _key, value) => {
      const limits = encodingLimitsFrom((name) => setting(context, name));
      return bulk(objectEncoding(value, limits));
    }),
  ),
  objectSpec(
    "refcount",
    "Get the number of references to the value of the key",
    "2.2.3",
    objectSubcommand((context, _key, value) => {
      const sharing = setting(context, "maxmemory") === "0" ||
        !tracksAccess(setting(context, "maxmemory-policy"));
      return integer(objectRefcount(value, sharing));
    }),
  ),
  objectSpec(
    "idletime",
    "Get the time since a Redis object was last accessed",
    "2.2.3",
    objectSubcommand((context) => {
      if (isLfuPolicy(setting(context, "maxmemory-policy"))) throw new CommandError(LFU_SELECTED);
      throw new CommandError(NO_IDLE_TIME);
    }),
  ),
  objectSpec(
    "freq",
    "Get the logarithmic access frequency counter of a Redis object",
    "4.0.0",
    objectSubcommand((context, key) => {
      const policy = setting(context, "maxmemory-policy");
      if (!isLfuPolicy(policy)) throw new CommandError(LFU_NOT_SELECTED);
      if (policy === "volatile-lfu" && !context.keyspace.hasExpiry(key)) {
        throw new CommandError(NOT_COUNTED);
      }
      const decayTime = context.server.configNumber?.("lfu-decay-time") ?? LFU_DECAY_MINUTES;
      return integer(lfuFrequency(context.keyspace, key, decayTime));
    }),
  ),
  {
    name: "object|help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "generic",
    summary: "Show helpful text about the different subcommands",
    since: "6.2.0",
    complexity: "O(1)",
    handler(_context, argv) {
      return helpReply(argv[0]!, OBJECT_HELP);
    },
  },
];

/** RESTORE's options after the payload. */
interface RestoreOptions {
  replace: boolean;
  absoluteTtl: boolean;
  frequency: number | undefined;
}

/** Redis's option loop of `restoreCommand`: IDLETIME and FREQ exclude each other. */
function parseRestoreOptions(argv: readonly string[]): RestoreOptions {
  const options: RestoreOptions = { replace: false, absoluteTtl: false, frequency: undefined };
  let idleGiven = false;
  for (let i = 4; i < argv.length; i++) {
    const option = argv[i]!.toLowerCase();
    const more = i < argv.length - 1;
    if (option === "replace") {
      options.replace = true;
    } else if (option === "absttl") {
      options.absoluteTtl = true;
    } else if (option === "idletime" && more && options.frequency === undefined) {
      const idle = parseInteger(argv[++i]!);
      if (idle === undefined) throw new CommandError(NOT_INTEGER);
      if (idle < 0) throw new CommandError("ERR Invalid IDLETIME value, must be >= 0");
      idleGiven = true;
    } else if (option === "freq" && more && !idleGiven) {
      const frequency = parseInteger(argv[++i]!);
      if (frequency === undefined) throw new CommandError(NOT_INTEGER);
      if (frequency < 0 || frequency > 255) {
        throw new CommandError("ERR Invalid FREQ value, must be >= 0 and <= 255");
      }
      options.frequency = Number(frequency);
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  return options;
}

function restoreCommand(context: CommandContext, argv: readonly string[]): Reply {
  const options = parseRestoreOptions(argv);
  const keyspace = context.keyspace;
  const key = argv[1]!;
  if (!options.replace && keyspace.has(key)) throw new CommandError(BUSYKEY);
  const ttl = parseInteger(argv[2]!);
  if (ttl === undefined) throw new CommandError(NOT_INTEGER);
  if (ttl < 0) throw new CommandError("ERR Invalid TTL value, must be >= 0");
  const restored = readDumpPayload(argv[3]!);
  if (restored === "version-or-checksum") throw new CommandError(BAD_PAYLOAD);
  if (restored === "bad-format") throw new CommandError(BAD_FORMAT);
  // Every payload is validated deeply; counted as Redis counts with sanitize-dump-payload
  // `clients`: not what a master or the AOF replays.
  if (!context.session.mustObey) {
    context.commands.dumpPayloadSanitizations += restored.deepValidations;
  }
  const deleted = options.replace && keyspace.delete(key);
  const deadline = ttl === 0 ? undefined : Number(ttl) + (options.absoluteTtl ? 0 : keyspace.now);
  if (deadline !== undefined && deadline <= keyspace.now) {
    // Already expired: nothing is stored, and a replaced key is simply gone.
    if (deleted) notify(context, NotifyClass.generic, "del", key);
    return OK;
  }
  keyspace.set(key, valueFromRdb(restored.value));
  if (deadline !== undefined) keyspace.setExpiry(key, deadline);
  if (options.frequency !== undefined) setLfuFrequency(keyspace, key, options.frequency);
  notify(context, NotifyClass.generic, "restore", key);
  return OK;
}

/**
 * MIGRATE (lib/migrate.ts): the keys present are dumped, restored on the
 * target through the server's cached connection while this server waits,
 * and, unless COPY, deleted here once the target acknowledged them;
 * replicas and the AOF get those deletions as one DEL, as Redis propagates it.
 */
function migrateCommand(context: CommandContext, argv: readonly string[]): Reply {
  const args = parseMigrateArguments(argv);
  if (typeof args === "string") return error(args);
  const keyspace = context.keyspace;
  const present = args.keys.filter((key) => keyspace.has(key));
  if (present.length === 0) return status("NOKEY");
  const transport = context.server.migrate;
  if (transport === undefined) return error("ERR MIGRATE needs the server's network");
  const compression = setting(context, "rdbcompression") === "yes";
  const limits = encodingLimitsFrom((name) => setting(context, name));
  const moving: MigratingKey[] = [];
  for (const key of present) {
    const value = keyspace.get(key);
    if (value === undefined) continue;
    const deadline = keyspace.getExpiry(key);
    moving.push({
      key,
      // Redis sends what is left of the TTL, at least 1 ms; 0 means none.
      ttlMs: deadline === undefined ? 0 : Math.max(1, deadline - keyspace.now),
      payload: dumpPayload(value, compression, limits),
    });
  }
  const outcome = transport.exchange(migrateRequest(args, moving));
  const verdict = migrateVerdict(outcome, moving.map((moved) => moved.key));
  if (!args.copy && verdict.acknowledged.length > 0) {
    for (const key of verdict.acknowledged) {
      if (keyspace.delete(key)) notify(context, NotifyClass.generic, "del", key);
    }
    context.session.propagateAs = [["DEL", ...verdict.acknowledged]];
  }
  return verdict.error === undefined ? OK : error(verdict.error);
}

/** MIGRATE's keys: `key`, or with an empty `key` the words after KEYS (Redis's migrateGetKeys). */
function migrateKeys(argv: readonly string[]): KeyPositions | undefined {
  if (argv[3] === "") {
    for (let i = 6; i < argv.length; i++) {
      const word = argv[i]!.toLowerCase();
      if (word === "auth") i++;
      else if (word === "auth2") i += 2;
      else if (word === "keys") {
        return i + 1 < argv.length ? { first: i + 1, last: -1, step: 1 } : undefined;
      }
    }
  }
  return { first: 3, last: 3, step: 1 };
}

export const DUMP_COMMANDS: readonly CommandSpec[] = [
  {
    name: "object",
    arity: -2,
    flags: [],
    group: "generic",
    summary: "A container for object introspection commands",
    since: "2.2.3",
    complexity: "Depends on subcommand.",
    subcommands: OBJECT_SUBCOMMANDS,
  },
  {
    name: "dump",
    arity: 2,
    flags: ["readonly"],
    keys: { first: 1, last: 1, step: 1 },
    group: "generic",
    summary: "Return a serialized version of the value stored at the specified key.",
    since: "2.6.0",
    complexity:
      "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of " +
      "Redis objects composing the value and M their average size. For small string values the " +
      "time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
    arguments: [{ name: "key", type: "key" }],
    handler(context, argv) {
      const value = context.keyspace.get(argv[1]!);
      if (value === undefined) return NIL;
      const limits = encodingLimitsFrom((name) => setting(context, name));
      return bulk(dumpPayload(value, setting(context, "rdbcompression") === "yes", limits));
    },
  },
  {
    name: "migrate",
    arity: -6,
    flags: ["write"],
    // COMMAND INFO's legacy positions, as Redis's first key spec; the keys are migrateKeys'.
    keys: { first: 3, last: 3, step: 1 },
    movableKeys: migrateKeys,
    group: "generic",
    summary: "Atomically transfer a key from a Redis instance to another one.",
    since: "2.6.0",
    complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE " +
      "in the target instance. See the pages of these commands for time complexity. Also an " +
      "O(N) data transfer between the two instances is performed.",
    arguments: [
      { name: "host", type: "string" },
      { name: "port", type: "integer" },
      {
        name: "key-selector",
        type: "oneof",
        arguments: [
          { name: "key", type: "key" },
          { name: "empty-string", type: "pure-token", token: '""' },
        ],
      },
      { name: "destination-db", type: "integer" },
      { name: "timeout", type: "integer" },
      { name: "copy", type: "pure-token", token: "COPY", optional: true },
      { name: "replace", type: "pure-token", token: "REPLACE", optional: true },
      {
        name: "authentication",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "auth", type: "string", token: "AUTH" },
          {
            name: "auth2",
            type: "block",
            token: "AUTH2",
            arguments: [
              { name: "username", type: "string" },
              { name: "password", type: "string" },
            ],
          },
        ],
      },
      { name: "keys", type: "key", token: "KEYS", optional: true, multiple: true },
    ],
    handler: migrateCommand,
  },
  {
    name: "restore",
    arity: -4,
    flags: ["write", "denyoom"],
    keys: { first: 1, last: 1, step: 1 },
    group: "generic",
    summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
    since: "2.6.0",
    complexity:
      "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, " +
      "where N is the number of Redis objects composing the value and M their average size. " +
      "For small string values the time complexity is thus O(1)+O(1*M) where M is small, so " +
      "simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because " +
      "inserting values into sorted sets is O(log(N)).",
    arguments: [
      { name: "key", type: "key" },
      { name: "ttl", type: "integer" },
      { name: "serialized-value", type: "string" },
      { name: "replace", type: "pure-token", token: "REPLACE", optional: true },
      { name: "absttl", type: "pure-token", token: "ABSTTL", optional: true },
      { name: "seconds", type: "integer", token: "IDLETIME", optional: true },
      { name: "frequency", type: "integer", token: "FREQ", optional: true },
    ],
    handler: restoreCommand,
  },
];
