/**
 * Server commands: COMMAND (introspection of the table itself), INFO,
 * CONFIG, DBSIZE, FLUSHDB/FLUSHALL, TIME, LASTSAVE, MEMORY, and the
 * persistence and shutdown commands the server owns (SAVE, BGSAVE,
 * SHUTDOWN, BGREWRITEAOF), which are handed to {@link ServerControl.admin}.
 *
 * COMMAND INFO and DOCS are derived from the specs, never written by hand:
 * ACL categories come from the command's group and flags (as Redis's
 * `setImplicitACLCategories` does) plus a short list of Redis's explicit
 * extras, and key specs come from the key positions.
 *
 * @module
 */
import { findConfigParameter } from "../config.ts";
import { DB_OUT_OF_RANGE } from "../databases.ts";
import { CommandError, SYNTAX } from "../errors.ts";
import { globToRegExp } from "../glob.ts";
import { allowProtectedAction } from "../protection.ts";
import type { Keyspace, Value } from "../keyspace.ts";
import { stringBytes } from "../memory.ts";
import { SortedSet } from "../zset.ts";
import {
  array,
  bulk,
  double,
  integer,
  map,
  NIL,
  OK,
  type Reply,
  set,
  status,
  verbatim,
} from "../reply.ts";
import { int32Argument, integerArgument, isKeyword } from "./arguments.ts";
import { helpReply } from "./help.ts";
import { memoryDoctorReport } from "../memory_doctor.ts";
import { checkArity, type CommandTable } from "./table.ts";
import {
  type ArgumentDoc,
  type CommandContext,
  type CommandFlag,
  type CommandSpec,
  keyPositions,
} from "./types.ts";

/** Flags in the order COMMAND INFO lists them; `may_replicate` is hidden, as in Redis. */
const FLAG_ORDER: readonly CommandFlag[] = [
  "write",
  "readonly",
  "denyoom",
  "admin",
  "pubsub",
  "noscript",
  "blocking",
  "loading",
  "stale",
  "skip_monitor",
  "skip_slowlog",
  "fast",
  "no_auth",
  "no_multi",
  "allow_busy",
];

/** ACL categories in Redis's table order, which is the order COMMAND INFO lists them in. */
const CATEGORY_ORDER = [
  "keyspace",
  "read",
  "write",
  "set",
  "sortedset",
  "list",
  "hash",
  "string",
  "bitmap",
  "hyperloglog",
  "geo",
  "stream",
  "pubsub",
  "admin",
  "fast",
  "slow",
  "blocking",
  "dangerous",
  "connection",
  "transaction",
  "scripting",
];

/** The category each COMMAND DOCS group implies (the `server` group implies none). */
const GROUP_CATEGORY: Readonly<Record<string, string>> = {
  generic: "keyspace",
  string: "string",
  "sorted-set": "sortedset",
  list: "list",
  hash: "hash",
  set: "set",
  bitmap: "bitmap",
  hyperloglog: "hyperloglog",
  geo: "geo",
  stream: "stream",
  pubsub: "pubsub",
  connection: "connection",
  transactions: "transaction",
  scripting: "scripting",
};

/** Categories Redis's command table gives explicitly, beyond what group and flags imply. */
const EXTRA_CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  command: ["connection"],
  dbsize: ["keyspace"],
  flushall: ["keyspace", "dangerous"],
  flushdb: ["keyspace", "dangerous"],
  info: ["dangerous"],
  keys: ["dangerous"],
  lastsave: ["admin", "dangerous"],
  migrate: ["dangerous"],
  restore: ["dangerous"],
  sort: ["dangerous"],
  swapdb: ["keyspace", "dangerous"],
};

function aclCategories(spec: CommandSpec): string[] {
  const categories = new Set(EXTRA_CATEGORIES[spec.name] ?? []);
  // Containers (CONFIG, CLIENT…) take no group category; their subcommands do.
  const fromGroup = spec.subcommands === undefined ? GROUP_CATEGORY[spec.group] : undefined;
  if (fromGroup !== undefined) categories.add(fromGroup);
  const flags = spec.flags;
  if (flags.includes("write")) categories.add("write");
  if (flags.includes("readonly")) categories.add("read");
  if (flags.includes("admin")) categories.add("admin").add("dangerous");
  if (flags.includes("pubsub")) categories.add("pubsub");
  if (flags.includes("fast")) categories.add("fast");
  if (flags.includes("blocking")) categories.add("blocking");
  if (!categories.has("fast")) categories.add("slow");
  return CATEGORY_ORDER.filter((category) => categories.has(category));
}

function hasKeys(spec: CommandSpec): boolean {
  return spec.keys !== undefined && spec.keys.first > 0;
}

/**
 * One key spec from the key positions: an index search from `first`, then a
 * range. Its flags are coarse (RW for write commands, RO otherwise): the
 * table records positions, not how each key is used.
 */
function keySpecs(spec: CommandSpec): Reply[] {
  const keys = spec.keys;
  if (keys === undefined || keys.first <= 0) return [];
  const flags = spec.flags.includes("write")
    ? ["RW", "update"]
    : spec.flags.includes("readonly")
    ? ["RO", "access"]
    : ["RO"];
  return [map([
    [bulk("flags"), set(flags.map(status))],
    [
      bulk("begin_search"),
      map([[bulk("type"), bulk("index")], [
        bulk("spec"),
        map([[bulk("index"), integer(keys.first)]]),
      ]]),
    ],
    [
      bulk("find_keys"),
      map([
        [bulk("type"), bulk("range")],
        [
          bulk("spec"),
          map([
            [bulk("lastkey"), integer(keys.last < 0 ? keys.last : keys.last - keys.first)],
            [bulk("keystep"), integer(keys.step)],
            [bulk("limit"), integer(0)],
          ]),
        ],
      ]),
    ],
  ])];
}

/** A command's COMMAND INFO entry: the ten fields of Redis 7. */
function commandInfo(spec: CommandSpec): Reply {
  const keys = hasKeys(spec) ? spec.keys! : { first: 0, last: 0, step: 0 };
  const flags: string[] = FLAG_ORDER.filter((flag) => spec.flags.includes(flag));
  if (spec.movableKeys !== undefined) flags.push("movablekeys");
  const subcommands = spec.subcommands ?? [];
  return array([
    bulk(spec.name),
    integer(spec.arity),
    set(flags.map(status)),
    integer(keys.first),
    integer(keys.last),
    integer(keys.step),
    set(aclCategories(spec).map((category) => status(`@${category}`))),
    set([]),
    set(keySpecs(spec)),
    // Redis sends present subcommands as an array and an absent list as an empty set.
    subcommands.length > 0 ? array(subcommands.map(commandInfo)) : set([]),
  ]);
}

function argumentDoc(argument: ArgumentDoc): Reply {
  const entries: [Reply, Reply][] = [
    [bulk("name"), bulk(argument.name)],
    [bulk("type"), bulk(argument.type)],
  ];
  // Kache describes every command's keys with a single key spec.
  if (argument.type === "key") entries.push([bulk("key_spec_index"), integer(0)]);
  if (argument.token !== undefined) entries.push([bulk("token"), bulk(argument.token)]);
  const flags: string[] = [];
  if (argument.optional) flags.push("optional");
  if (argument.multiple) flags.push("multiple");
  if (flags.length > 0) entries.push([bulk("flags"), set(flags.map(status))]);
  if (argument.arguments !== undefined) {
    entries.push([bulk("arguments"), array(argument.arguments.map(argumentDoc))]);
  }
  return map(entries);
}

/** A command's COMMAND DOCS entry. */
function commandDocs(spec: CommandSpec): Reply {
  const entries: [Reply, Reply][] = [
    [bulk("summary"), bulk(spec.summary)],
    [bulk("since"), bulk(spec.since)],
    [bulk("group"), bulk(spec.group)],
  ];
  if (spec.complexity !== undefined) entries.push([bulk("complexity"), bulk(spec.complexity)]);
  if (spec.arguments !== undefined && spec.arguments.length > 0) {
    entries.push([bulk("arguments"), array(spec.arguments.map(argumentDoc))]);
  }
  if (spec.subcommands !== undefined) {
    entries.push([
      bulk("subcommands"),
      map(spec.subcommands.map((sub) => [bulk(sub.name), commandDocs(sub)])),
    ]);
  }
  return map(entries);
}

/** A command or subcommand by its full name (`get`, `config|get`), in any letter case. */
function lookupFullName(commands: CommandTable, fullName: string): CommandSpec | undefined {
  const parts = fullName.toLowerCase().split("|");
  const top = commands.lookup(parts[0]!);
  if (parts.length === 1 || top === undefined) return top;
  if (parts.length > 2) return undefined;
  return top.subcommands?.find((sub) => sub.name === `${top.name}|${parts[1]}`);
}

/** Every command and subcommand, containers first, as COMMAND LIST walks them. */
function* allCommands(commands: CommandTable): IterableIterator<CommandSpec> {
  for (const spec of commands.all()) {
    yield spec;
    if (spec.subcommands !== undefined) yield* spec.subcommands;
  }
}

function commandList(context: CommandContext, argv: readonly string[]): Reply {
  let matches: (spec: CommandSpec) => boolean = () => true;
  if (argv.length === 5 && isKeyword(argv[2], "FILTERBY")) {
    const value = argv[4]!;
    const filter = argv[3]!.toUpperCase();
    if (filter === "MODULE") {
      // Kache has no modules.
      matches = () => false;
    } else if (filter === "ACLCAT") {
      const category = value.toLowerCase();
      matches = (spec) => aclCategories(spec).includes(category);
    } else if (filter === "PATTERN") {
      // Redis matches the pattern without regard to case.
      const pattern = globToRegExp(value.toLowerCase());
      matches = (spec) => pattern.test(spec.name);
    } else {
      throw new CommandError(SYNTAX);
    }
  } else if (argv.length !== 2) {
    throw new CommandError(SYNTAX);
  }
  const names: Reply[] = [];
  for (const spec of allCommands(context.commands)) if (matches(spec)) names.push(bulk(spec.name));
  return array(names);
}

/** COMMAND GETKEYS: the keys a full command line would touch, from its key positions. */
function commandGetKeys(context: CommandContext, argv: readonly string[]): Reply {
  const target = argv.slice(2);
  let spec = context.commands.lookup(target[0]!);
  if (spec?.subcommands !== undefined && target.length > 1) {
    const name = `${spec.name}|${target[1]!.toLowerCase()}`;
    spec = spec.subcommands.find((sub) => sub.name === name);
  }
  if (spec === undefined) throw new CommandError("ERR Invalid command specified");
  if (!hasKeys(spec) && spec.movableKeys === undefined) {
    throw new CommandError("ERR The command has no key arguments");
  }
  if (!checkArity(spec.arity, target.length)) {
    throw new CommandError("ERR Invalid number of arguments specified for command");
  }
  const positions = keyPositions(spec, target);
  if (positions === undefined) {
    throw new CommandError("ERR Invalid arguments specified for command");
  }
  const { first, last, step } = positions;
  const end = last < 0 ? target.length + last : last;
  const keys: Reply[] = [];
  for (let index = first; index <= end && index < target.length; index += step) {
    keys.push(bulk(target[index]!));
  }
  if (keys.length === 0) throw new CommandError("ERR Invalid arguments specified for command");
  return array(keys);
}

const COMMAND_HELP = [
  "(no subcommand)",
  "    Return details about all Redis commands.",
  "COUNT",
  "    Return the total number of commands in this Redis server.",
  "LIST",
  "    Return a list of all commands in this Redis server.",
  "INFO [<command-name> ...]",
  "    Return details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "DOCS [<command-name> ...]",
  "    Return documentation details about multiple Redis commands.",
  "    If no command names are given, documentation details for all",
  "    commands are returned.",
  "GETKEYS <full-command>",
  "    Return the keys from a full Redis command.",
];

const COMMAND_SUBCOMMANDS: readonly CommandSpec[] = [
  {
    name: "command|count",
    arity: 2,
    flags: ["loading", "stale"],
    group: "server",
    summary: "Get total number of Redis commands",
    since: "2.8.13",
    complexity: "O(1)",
    handler(context) {
      return integer(context.commands.size);
    },
  },
  {
    name: "command|info",
    arity: -2,
    flags: ["loading", "stale"],
    group: "server",
    summary: "Get array of specific Redis command details, or all when no argument is given.",
    since: "2.8.13",
    complexity: "O(N) where N is the number of commands to look up",
    arguments: [{ name: "command-name", type: "string", optional: true, multiple: true }],
    handler(context, argv) {
      if (argv.length === 2) return array([...context.commands.all()].map(commandInfo));
      return array(
        argv.slice(2).map((name) => {
          const spec = lookupFullName(context.commands, name);
          return spec === undefined ? NIL : commandInfo(spec);
        }),
      );
    },
  },
  {
    name: "command|docs",
    arity: -2,
    flags: ["loading", "stale"],
    group: "server",
    summary: "Get array of specific Redis command documentation",
    since: "7.0.0",
    complexity: "O(N) where N is the number of commands to look up",
    arguments: [{ name: "command-name", type: "string", optional: true, multiple: true }],
    handler(context, argv) {
      const specs = argv.length === 2
        ? [...context.commands.all()]
        : argv.slice(2).map((name) => lookupFullName(context.commands, name));
      const entries: [Reply, Reply][] = [];
      for (const spec of specs) {
        if (spec !== undefined) entries.push([bulk(spec.name), commandDocs(spec)]);
      }
      return map(entries);
    },
  },
  {
    name: "command|list",
    arity: -2,
    flags: ["loading", "stale"],
    group: "server",
    summary: "Get an array of Redis command names",
    since: "7.0.0",
    complexity: "O(N) where N is the total number of Redis commands",
    arguments: [
      {
        name: "filterby",
        type: "oneof",
        token: "FILTERBY",
        optional: true,
        arguments: [
          { name: "module-name", type: "string", token: "MODULE" },
          { name: "category", type: "string", token: "ACLCAT" },
          { name: "pattern", type: "pattern", token: "PATTERN" },
        ],
      },
    ],
    handler: commandList,
  },
  {
    name: "command|getkeys",
    arity: -4,
    flags: ["loading", "stale"],
    group: "server",
    summary: "Extract keys given a full Redis command",
    since: "2.8.13",
    complexity: "O(N) where N is the number of arguments to the command",
    handler: commandGetKeys,
  },
  {
    name: "command|help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "server",
    summary: "Show helpful text about the different subcommands",
    since: "5.0.0",
    complexity: "O(1)",
    handler(_context, argv) {
      return helpReply(argv[0]!, COMMAND_HELP);
    },
  },
];

const CONFIG_HELP = [
  "GET <pattern>",
  "    Return parameters matching the glob-like <pattern> and their values.",
  "SET <directive> <value>",
  "    Set the configuration <directive> to <value>.",
  "RESETSTAT",
  "    Reset statistics reported by the INFO command.",
  "REWRITE",
  "    Rewrite the configuration file.",
];

/**
 * CONFIG SET name value [name value …], all or nothing as in Redis 7: every
 * name is checked first, and if one value is refused the ones already set
 * are put back.
 */
function configSet(context: CommandContext, argv: readonly string[]): Reply {
  if (argv.length % 2 !== 0) throw new CommandError(SYNTAX);
  const server = context.server;
  const changes: { name: string; value: string; previous: string }[] = [];
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i]!;
    const lower = name.toLowerCase();
    const current = server.configGet([lower]).find(([parameter]) => parameter === lower);
    if (current === undefined) {
      throw new CommandError(
        `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`,
      );
    }
    // Before duplicates and values, as Redis orders its checks.
    if (
      findConfigParameter(lower)?.protected === true &&
      !allowProtectedAction(protectedConfigs(server), context.session.local)
    ) {
      throw new CommandError(
        `ERR CONFIG SET failed (possibly related to argument '${name}') - can't set protected config`,
      );
    }
    if (changes.some((change) => change.name === lower)) {
      throw new CommandError(
        `ERR CONFIG SET failed (possibly related to argument '${name}') - duplicate parameter`,
      );
    }
    changes.push({ name: lower, value: argv[i + 1]!, previous: current[1] });
  }
  for (let applied = 0; applied < changes.length; applied++) {
    const change = changes[applied]!;
    const failure = server.configSet(change.name, change.value);
    if (failure !== undefined) {
      for (let undo = applied - 1; undo >= 0; undo--) {
        server.configSet(changes[undo]!.name, changes[undo]!.previous);
      }
      throw new CommandError(`ERR ${failure}`);
    }
  }
  return OK;
}

/** The `enable-protected-configs` setting in force. */
function protectedConfigs(server: CommandContext["server"]): string {
  return server.configGet(["enable-protected-configs"])[0]?.[1] ?? "no";
}

const CONFIG_SUBCOMMANDS: readonly CommandSpec[] = [
  {
    name: "config|get",
    arity: -3,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    summary: "Get the values of configuration parameters",
    since: "2.0.0",
    complexity: "O(N) when N is the number of configuration parameters provided",
    arguments: [{
      name: "parameter",
      type: "block",
      multiple: true,
      arguments: [{ name: "parameter", type: "string" }],
    }],
    handler(context, argv) {
      const pairs = context.server.configGet(argv.slice(2));
      return map(pairs.map(([name, value]) => [bulk(name), bulk(value)]));
    },
  },
  {
    name: "config|set",
    arity: -4,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    summary: "Set configuration parameters to the given values",
    since: "2.0.0",
    complexity: "O(N) when N is the number of configuration parameters provided",
    arguments: [{
      name: "parameter_value",
      type: "block",
      multiple: true,
      arguments: [{ name: "parameter", type: "string" }, { name: "value", type: "string" }],
    }],
    handler: configSet,
  },
  {
    name: "config|resetstat",
    arity: 2,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    summary: "Reset the stats returned by INFO",
    since: "2.0.0",
    complexity: "O(1)",
    handler(context) {
      context.server.resetStats();
      return OK;
    },
  },
  {
    name: "config|rewrite",
    arity: 2,
    flags: ["admin", "noscript", "loading", "stale"],
    group: "server",
    summary: "Rewrite the configuration file with the in memory configuration",
    since: "2.8.0",
    complexity: "O(1)",
    handler(context) {
      const problem = context.server.configRewrite();
      if (problem !== undefined) throw new CommandError(problem);
      return OK;
    },
  },
  {
    name: "config|help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "server",
    summary: "Show helpful text about the different subcommands",
    since: "5.0.0",
    complexity: "O(1)",
    handler(_context, argv) {
      return helpReply(argv[0]!, CONFIG_HELP);
    },
  },
];

/**
 * Bytes held by a key and its value, in the model INFO's `used_memory`
 * sums (lib/memory.ts, {@link Keyspace.entryBytes}), so the keys' MEMORY
 * USAGE adds up to the dataset. Like Redis, a sorted set's member strings
 * are sampled (`samples` of them; all when Infinity, which gives exactly the
 * key's share of `used_memory`) and their average extrapolated, unless the
 * set is small (two arrays, as Redis's listpack): that is counted exactly.
 */
export function estimateMemory(
  keyspace: Keyspace,
  key: string,
  value: Value,
  samples: number,
): number {
  const exact = keyspace.entryBytes(key, value);
  // A small sorted set is counted exactly, as Redis counts a listpack's bytes.
  if (!(value instanceof SortedSet) || value.small || samples >= value.size) return exact;
  let sampled = 0;
  let sampledBytes = 0;
  for (const member of value.members()) {
    if (sampled >= samples) break;
    sampled++;
    sampledBytes += stringBytes(member.length);
  }
  return exact - value.memberBytes + Math.round(sampledBytes / sampled * value.size);
}

/** Reads `field:value` lines of INFO text, the server's one report of its memory. */
function infoFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && !line.startsWith("#")) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

const MEMORY_HELP = [
  "DOCTOR",
  "    Return memory problems reports.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
];

const MEMORY_SUBCOMMANDS: readonly CommandSpec[] = [
  {
    name: "memory|usage",
    arity: -3,
    flags: ["readonly"],
    keys: { first: 2, last: 2, step: 1 },
    group: "server",
    summary: "Estimate the memory usage of a key",
    since: "4.0.0",
    complexity: "O(N) where N is the number of samples.",
    arguments: [
      { name: "key", type: "key" },
      { name: "count", type: "integer", token: "SAMPLES", optional: true },
    ],
    handler(context, argv) {
      let samples = 5;
      for (let i = 3; i < argv.length; i++) {
        if (!isKeyword(argv[i], "SAMPLES") || i + 1 >= argv.length) throw new CommandError(SYNTAX);
        const count = integerArgument(argv[++i]!);
        if (count < 0) throw new CommandError(SYNTAX);
        samples = count === 0 ? Infinity : Number(count);
      }
      const key = argv[2]!;
      const value = context.keyspace.get(key);
      return value === undefined
        ? NIL
        : integer(estimateMemory(context.keyspace, key, value, samples));
    },
  },
  {
    name: "memory|doctor",
    arity: 2,
    flags: [],
    group: "server",
    summary: "Outputs memory problems report",
    since: "4.0.0",
    complexity: "O(1)",
    handler(context) {
      return verbatim(memoryDoctorReport(context.server.memoryFigures()));
    },
  },
  {
    name: "memory|stats",
    arity: 2,
    flags: [],
    group: "server",
    summary: "Show memory usage details",
    since: "4.0.0",
    complexity: "O(1)",
    handler(context) {
      const fields = infoFields(context.server.info(["memory"]));
      const field = (name: string) => Number(fields.get(name) ?? 0) || 0;
      const used = field("used_memory");
      const dataset = field("used_memory_dataset");
      const ratioOf = (name: string) => double(Number(fields.get(name)) || 0);
      // Redis counts the keys of every database here.
      const keys = context.server.databases.size;
      return map([
        [bulk("peak.allocated"), integer(field("used_memory_peak"))],
        [bulk("total.allocated"), integer(used)],
        [bulk("clients.slaves"), integer(field("mem_clients_slaves"))],
        [bulk("clients.normal"), integer(field("mem_clients_normal"))],
        [bulk("lua.caches"), integer(field("used_memory_scripts_eval"))],
        [bulk("functions.caches"), integer(field("used_memory_functions"))],
        [bulk("overhead.total"), integer(field("used_memory_overhead"))],
        [bulk("keys.count"), integer(keys)],
        [bulk("keys.bytes-per-key"), integer(keys === 0 ? 0 : Math.floor(used / keys))],
        [bulk("dataset.bytes"), integer(dataset)],
        [bulk("dataset.percentage"), double(used === 0 ? 0 : dataset * 100 / used)],
        [bulk("peak.percentage"), double(used * 100 / Math.max(1, field("used_memory_peak")))],
        [bulk("allocator.allocated"), integer(field("allocator_allocated"))],
        [bulk("allocator.active"), integer(field("allocator_active"))],
        [bulk("allocator.resident"), integer(field("allocator_resident"))],
        [bulk("allocator-fragmentation.ratio"), ratioOf("allocator_frag_ratio")],
        [bulk("allocator-fragmentation.bytes"), integer(field("allocator_frag_bytes"))],
        [bulk("allocator-rss.ratio"), ratioOf("allocator_rss_ratio")],
        [bulk("allocator-rss.bytes"), integer(field("allocator_rss_bytes"))],
        [bulk("fragmentation"), ratioOf("mem_fragmentation_ratio")],
        [bulk("fragmentation.bytes"), integer(field("mem_fragmentation_bytes"))],
      ]);
    },
  },
  {
    name: "memory|help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "server",
    summary: "Show helpful text about the different subcommands",
    since: "4.0.0",
    complexity: "O(1)",
    handler(_context, argv) {
      return helpReply(argv[0]!, MEMORY_HELP);
    },
  },
];

const FLUSH_ARGUMENTS: readonly ArgumentDoc[] = [{
  name: "async",
  type: "oneof",
  optional: true,
  arguments: [
    { name: "async", type: "pure-token", token: "ASYNC" },
    { name: "sync", type: "pure-token", token: "SYNC" },
  ],
}];

/** FLUSHDB and FLUSHALL: dropping a database is O(1) either way, so ASYNC = SYNC. */
function flush(context: CommandContext, argv: readonly string[]): Reply {
  if (argv.length > 2) throw new CommandError(SYNTAX);
  if (argv.length === 2 && !isKeyword(argv[1], "ASYNC") && !isKeyword(argv[1], "SYNC")) {
    throw new CommandError(SYNTAX);
  }
  const databases = context.server.databases;
  const flushed = argv[0]!.toLowerCase() === "flushall" ? databases.created() : [context.keyspace];
  for (const keyspace of flushed) keyspace.flush();
  return OK;
}

/** Redis's `swapdbCommand`: both indexes are checked before anything changes. */
function swapdb(context: CommandContext, argv: readonly string[]): Reply {
  const first = int32Argument(argv[1]!, "ERR invalid first DB index");
  const second = int32Argument(argv[2]!, "ERR invalid second DB index");
  const databases = context.server.databases;
  if (!databases.has(first) || !databases.has(second)) throw new CommandError(DB_OUT_OF_RANGE);
  databases.swap(first, second);
  // Clients blocked in either database may find their keys filled now.
  context.commands.blocking.swappedContents(databases.at(first), databases.at(second));
  databases.shared.dirty++;
  return OK;
}

function admin(context: CommandContext, argv: readonly string[]): Reply {
  return context.server.admin(argv);
}

export const SERVER_COMMANDS: readonly CommandSpec[] = [
  {
    name: "command",
    arity: -1,
    flags: ["loading", "stale"],
    group: "server",
    summary: "Get array of Redis command details",
    since: "2.8.13",
    complexity: "O(N) where N is the total number of Redis commands",
    subcommands: COMMAND_SUBCOMMANDS,
    // COMMAND alone lists every command; with a word it runs that subcommand.
    handler(context) {
      return array([...context.commands.all()].map(commandInfo));
    },
  },
  {
    name: "info",
    arity: -1,
    flags: ["loading", "stale"],
    group: "server",
    summary: "Get information and statistics about the server",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [{ name: "section", type: "string", optional: true, multiple: true }],
    handler(context, argv) {
      return verbatim(context.server.info(argv.slice(1)));
    },
  },
  {
    name: "config",
    arity: -2,
    flags: [],
    group: "server",
    summary: "A container for server configuration commands",
    since: "2.0.0",
    complexity: "Depends on subcommand.",
    subcommands: CONFIG_SUBCOMMANDS,
  },
  {
    name: "monitor",
    arity: 1,
    // Redis queues MONITOR in MULTI and refuses it at EXEC; Kache refuses it at once.
    flags: ["admin", "noscript", "loading", "stale", "no_multi"],
    group: "server",
    summary: "Listen for all requests received by the server in real time",
    since: "1.0.0",
    handler(context) {
      // Redis ignores a second MONITOR without any reply; answering OK again keeps a
      // client that counts replies in step.
      context.commands.monitors.add(context.session);
      return OK;
    },
  },
  {
    name: "dbsize",
    arity: 1,
    flags: ["readonly", "fast"],
    group: "server",
    summary: "Return the number of keys in the selected database",
    since: "1.0.0",
    complexity: "O(1)",
    handler(context) {
      return integer(context.keyspace.size);
    },
  },
  {
    name: "flushdb",
    arity: -1,
    flags: ["write"],
    group: "server",
    summary: "Remove all keys from the current database",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys in the selected database",
    arguments: FLUSH_ARGUMENTS,
    handler: flush,
  },
  {
    name: "flushall",
    arity: -1,
    flags: ["write"],
    group: "server",
    summary: "Remove all keys from all databases",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of keys in all databases",
    arguments: FLUSH_ARGUMENTS,
    handler: flush,
  },
  {
    name: "swapdb",
    arity: 3,
    flags: ["write", "fast"],
    group: "server",
    summary: "Swaps two Redis databases",
    since: "4.0.0",
    complexity: "O(N) where N is the count of clients watching or blocking on keys from both " +
      "databases.",
    arguments: [{ name: "index1", type: "integer" }, { name: "index2", type: "integer" }],
    handler: swapdb,
  },
  {
    name: "time",
    arity: 1,
    flags: ["loading", "stale", "fast"],
    group: "server",
    summary: "Return the current server time",
    since: "2.6.0",
    complexity: "O(1)",
    handler(context) {
      const micros = context.server.clockMicros();
      return array([bulk(String(Math.floor(micros / 1e6))), bulk(String(micros % 1e6))]);
    },
  },
  {
    name: "lastsave",
    arity: 1,
    flags: ["loading", "stale", "fast"],
    group: "server",
    summary: "Get the UNIX time stamp of the last successful save to disk",
    since: "1.0.0",
    complexity: "O(1)",
    handler(context) {
      return integer(context.server.lastSave());
    },
  },
  {
    name: "memory",
    arity: -2,
    flags: [],
    group: "server",
    summary: "A container for memory diagnostics commands",
    since: "4.0.0",
    complexity: "Depends on subcommand.",
    subcommands: MEMORY_SUBCOMMANDS,
  },
  {
    name: "save",
    arity: 1,
    flags: ["admin", "noscript", "no_multi"],
    group: "server",
    summary: "Synchronously save the dataset to disk",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of keys in all databases",
    handler: admin,
  },
  {
    name: "bgsave",
    arity: -1,
    flags: ["admin", "noscript"],
    group: "server",
    summary: "Asynchronously save the dataset to disk",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [{ name: "schedule", type: "pure-token", token: "SCHEDULE", optional: true }],
    handler: admin,
  },
  {
    name: "bgrewriteaof",
    arity: 1,
    flags: ["admin", "noscript"],
    group: "server",
    summary: "Asynchronously rewrite the append-only file",
    since: "1.0.0",
    complexity: "O(1)",
    handler: admin,
  },
  {
    name: "shutdown",
    arity: -1,
    flags: ["admin", "noscript", "loading", "stale", "no_multi", "allow_busy"],
    group: "server",
    summary: "Synchronously save the dataset to disk and then shut down the server",
    since: "1.0.0",
    complexity:
      "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
    arguments: [
      {
        name: "nosave_save",
        type: "oneof",
        optional: true,
        arguments: [
          { name: "nosave", type: "pure-token", token: "NOSAVE" },
          { name: "save", type: "pure-token", token: "SAVE" },
        ],
      },
      { name: "now", type: "pure-token", token: "NOW", optional: true },
      { name: "force", type: "pure-token", token: "FORCE", optional: true },
      { name: "abort", type: "pure-token", token: "ABORT", optional: true },
    ],
    handler: (context, argv) => {
      const reply = context.server.admin(argv);
      // Redis exits without answering a SHUTDOWN that succeeds: its client sees the connection
      // close (redis-cli prints nothing). Only a refusal (save failed, ABORT, syntax) answers.
      if (reply.kind !== "error") context.session.skipReply = true;
      return reply;
    },
  },
];
