/**
 * Redis 7 functions: FUNCTION LOAD/LIST/DELETE/FLUSH/DUMP/RESTORE/STATS/KILL
 * and FCALL, FCALL_RO. Libraries live in lib/scripting/scripts.ts; calls go
 * through the same {@link runScript} as EVAL. FUNCTION DUMP's payload is
 * Redis's: one RDB_OPCODE_FUNCTION2 record per library, the RDB version
 * (2 bytes) and a CRC-64 (8 bytes), so payloads move between Kache and Redis.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { CommandError } from "../errors.ts";
import { globMatch } from "../glob.ts";
import { crc64 } from "../persistence/crc64.ts";
import { lzfDecompress } from "../persistence/lzf.ts";
import { RDB_OPCODE, RDB_VERSION } from "../persistence/rdb_format.ts";
import { array, bulk, error, map, NIL, OK, type Reply, status } from "../reply.ts";
import { type FunctionLibrary, LOAD_HOST, Scripting } from "../scripting/scripts.ts";
import { isKeyword } from "./arguments.ts";
import { flushMode, keysAndArgs, killScript, runScript, scriptingOf } from "./scripting.ts";
import type { CommandContext, CommandSpec } from "./types.ts";

function fcall(context: CommandContext, argv: readonly string[]): Reply {
  context.commands.feedMonitors(context, argv);
  const readOnlyCommand = argv[0]!.toLowerCase() === "fcall_ro";
  const engine = scriptingOf(context);
  const found = engine.functionNamed(argv[1]!);
  if (found === undefined) return error("ERR Function not found");
  const { keys, args } = keysAndArgs(argv, 2, "ERR Bad number of keys provided");
  const { fn } = found;
  const noWrites = fn.flags.includes("no-writes");
  if (readOnlyCommand && !noWrites) {
    return error("ERR Can not execute a script with write flag using *_ro command.");
  }
  const vm = engine.functionVm;
  return runScript(context, {
    kind: "function",
    command: readOnlyCommand ? "fcall_ro" : "fcall",
    argv,
    allowOom: fn.flags.includes("allow-oom"),
    name: fn.name,
    readOnly: readOnlyCommand || noWrites,
    start: (host) => vm.start(fn.ref, { keys, args }, host, fn.name),
  });
}

function describeLibrary(library: FunctionLibrary, withCode: boolean): Reply {
  const functions = [...library.functions.values()].map((fn) =>
    map([
      [bulk("name"), bulk(fn.name)],
      [bulk("description"), fn.description === undefined ? NIL : bulk(fn.description)],
      [bulk("flags"), { kind: "set", items: fn.flags.map((flag) => bulk(flag)) }],
    ])
  );
  const entries: [Reply, Reply][] = [
    [bulk("library_name"), bulk(library.name)],
    [bulk("engine"), bulk(library.engine)],
    [bulk("functions"), array(functions)],
  ];
  if (withCode) entries.push([bulk("library_code"), bulk(library.code)]);
  return map(entries);
}

/** An RDB string: length encoding, then the bytes. */
function rdbString(text: string): number[] {
  const n = text.length;
  const out: number[] = [];
  if (n < 64) out.push(n);
  else if (n < 16384) out.push(0x40 | (n >> 8), n & 0xff);
  else out.push(0x80, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  for (let i = 0; i < n; i++) out.push(text.charCodeAt(i));
  return out;
}

/** FUNCTION DUMP's payload for every library. */
export function dumpFunctions(engine: Scripting): Uint8Array {
  const body: number[] = [];
  for (const library of engine.libraries.values()) {
    body.push(RDB_OPCODE.FUNCTION2, ...rdbString(library.code));
  }
  body.push(RDB_VERSION & 0xff, RDB_VERSION >> 8);
  const bytes = new Uint8Array(body.length + 8);
  bytes.set(body);
  const checksum = crc64(bytes.subarray(0, body.length));
  new DataView(bytes.buffer).setBigUint64(body.length, checksum, true);
  return bytes;
}

/** Reads one RDB string at `pos`; returns it and the position after it. */
function readRdbString(bytes: Uint8Array, pos: number): [string, number] {
  const first = bytes[pos++];
  if (first === undefined) throw new RangeError("truncated");
  const type = first >> 6;
  let length: number;
  if (type === 0) length = first & 0x3f;
  else if (type === 1) length = ((first & 0x3f) << 8) | bytes[pos++]!;
  else if (first === 0x80) {
    length = new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getUint32(0);
    pos += 4;
  } else if (first === 0xc3) {
    // LZF-compressed string (Redis compresses function code longer than 20 bytes).
    const [compressedLength, afterC] = readLength(bytes, pos);
    const [rawLength, afterR] = readLength(bytes, afterC);
    const raw = lzfDecompress(bytes.subarray(afterR, afterR + compressedLength), rawLength);
    return [Buffer.from(raw).toString("latin1"), afterR + compressedLength];
  } else throw new RangeError("unsupported string encoding");
  if (pos + length > bytes.length) throw new RangeError("truncated");
  return [Buffer.from(bytes.subarray(pos, pos + length)).toString("latin1"), pos + length];
}

function readLength(bytes: Uint8Array, pos: number): [number, number] {
  const first = bytes[pos++]!;
  const type = first >> 6;
  if (type === 0) return [first & 0x3f, pos];
  if (type === 1) return [((first & 0x3f) << 8) | bytes[pos]!, pos + 1];
  if (first === 0x80) {
    return [new DataView(bytes.buffer, bytes.byteOffset + pos, 4).getUint32(0), pos + 4];
  }
  throw new RangeError("unsupported length encoding");
}

/** Library codes from a FUNCTION DUMP payload, or undefined when it is not valid. */
export function parseFunctionDump(payload: Uint8Array): string[] | undefined {
  if (payload.length < 10) return undefined;
  const footer = payload.length - 10;
  const version = payload[footer]! | (payload[footer + 1]! << 8);
  if (version > 11) return undefined;
  const stored = new DataView(payload.buffer, payload.byteOffset + footer + 2, 8)
    .getBigUint64(0, true);
  if (stored !== 0n && crc64(payload.subarray(0, footer + 2)) !== stored) return undefined;
  const codes: string[] = [];
  let pos = 0;
  try {
    while (pos < footer) {
      if (payload[pos] !== RDB_OPCODE.FUNCTION2) return undefined;
      const [code, next] = readRdbString(payload, pos + 1);
      codes.push(code);
      pos = next;
    }
  } catch {
    return undefined;
  }
  return codes;
}

const FUNCTION_SUBCOMMANDS: readonly CommandSpec[] = [
  {
    name: "function|load",
    arity: -3,
    flags: ["write", "denyoom", "noscript"],
    group: "scripting",
    summary: "Create a function with the given arguments (name, code, description)",
    since: "7.0.0",
    complexity: "O(1) (considering compilation time is redundant)",
    arguments: [
      { name: "replace", type: "pure-token", token: "REPLACE", optional: true },
      { name: "function-code", type: "string" },
    ],
    handler(context, argv) {
      let replace = false;
      let i = 2;
      for (; i < argv.length - 1; i++) {
        if (isKeyword(argv[i], "REPLACE")) replace = true;
        else throw new CommandError(`ERR Unknown option given: ${argv[i]}`);
      }
      const code = argv[i];
      if (code === undefined || i !== argv.length - 1) {
        throw new CommandError("ERR Function code is missing");
      }
      const loaded = scriptingOf(context).loadLibrary(code, replace, LOAD_HOST);
      if ("error" in loaded) return error(loaded.error);
      // Counted as a change so the AOF logs it (it is not a key, but it is data).
      context.keyspace.dirty++;
      return bulk(loaded.name);
    },
  },
  {
    name: "function|list",
    arity: -2,
    flags: ["noscript"],
    group: "scripting",
    summary: "List information about all the functions",
    since: "7.0.0",
    complexity: "O(N) where N is the number of functions",
    arguments: [
      { name: "library-name-pattern", type: "pattern", token: "LIBRARYNAME", optional: true },
      { name: "withcode", type: "pure-token", token: "WITHCODE", optional: true },
    ],
    handler(context, argv) {
      let withCode = false;
      let pattern: string | undefined;
      for (let i = 2; i < argv.length; i++) {
        if (isKeyword(argv[i], "WITHCODE") && !withCode) withCode = true;
        else if (isKeyword(argv[i], "LIBRARYNAME") && pattern === undefined) {
          pattern = argv[++i];
          if (pattern === undefined) {
            throw new CommandError("ERR library name argument was not given");
          }
        } else throw new CommandError(`ERR Unknown argument ${argv[i]}`);
      }
      const libraries = [...scriptingOf(context).libraries.values()]
        .filter((library) => pattern === undefined || globMatch(pattern, library.name))
        .map((library) => describeLibrary(library, withCode));
      return array(libraries);
    },
  },
  {
    name: "function|delete",
    arity: 3,
    flags: ["write", "noscript"],
    group: "scripting",
    summary: "Delete a function by name",
    since: "7.0.0",
    complexity: "O(1)",
    arguments: [{ name: "library-name", type: "string" }],
    handler(context, argv) {
      if (!scriptingOf(context).deleteLibrary(argv[2]!)) return error("ERR Library not found");
      context.keyspace.dirty++;
      return OK;
    },
  },
  {
    name: "function|flush",
    arity: -2,
    flags: ["write", "noscript"],
    group: "scripting",
    summary: "Deleting all functions",
    since: "7.0.0",
    complexity: "O(N) where N is the number of functions deleted",
    handler(context, argv) {
      flushMode(argv, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
      scriptingOf(context).flushFunctions();
      context.keyspace.dirty++;
      return OK;
    },
  },
  {
    name: "function|dump",
    arity: 2,
    flags: ["noscript"],
    group: "scripting",
    summary: "Dump all functions into a serialized binary payload",
    since: "7.0.0",
    complexity: "O(N) where N is the number of functions",
    handler(context) {
      return bulk(Buffer.from(dumpFunctions(scriptingOf(context))).toString("latin1"));
    },
  },
  {
    name: "function|restore",
    arity: -3,
    flags: ["write", "denyoom", "noscript"],
    group: "scripting",
    summary: "Restore all the functions on the given payload",
    since: "7.0.0",
    complexity: "O(N) where N is the number of functions on the payload",
    arguments: [{ name: "serialized-value", type: "string" }],
    handler(context, argv) {
      const policy = (argv[3] ?? "append").toLowerCase();
      if (argv.length > 4 || !["flush", "append", "replace"].includes(policy)) {
        return error(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
        );
      }
      const codes = parseFunctionDump(Buffer.from(argv[2]!, "latin1"));
      if (codes === undefined) return error("ERR DUMP payload version or checksum are wrong");
      const engine = scriptingOf(context);
      // Check every library first, so a failing restore changes nothing.
      const probe = new Scripting({ log: () => {}, now: () => 0 });
      for (const code of codes) {
        const loaded = probe.loadLibrary(code, false, LOAD_HOST);
        if ("error" in loaded) return error(loaded.error);
        const existing = engine.libraries.get(loaded.name);
        if (existing !== undefined && policy === "append") {
          return error(`ERR Library ${loaded.name} already exists`);
        }
        if (policy === "append") {
          for (const name of probe.libraries.get(loaded.name)!.functions.keys()) {
            if (engine.functionNamed(name) !== undefined) {
              return error(`ERR Function ${name} already exists`);
            }
          }
        }
      }
      if (policy === "flush") engine.flushFunctions();
      for (const code of codes) engine.loadLibrary(code, policy !== "append", LOAD_HOST);
      context.keyspace.dirty++;
      return OK;
    },
  },
  {
    name: "function|stats",
    arity: 2,
    flags: ["noscript", "allow_busy"],
    group: "scripting",
    summary:
      "Return information about the function currently running (name, description, duration)",
    since: "7.0.0",
    complexity: "O(1)",
    handler(context) {
      const engine = scriptingOf(context);
      const running = engine.running;
      const runningScript: Reply = running === undefined ? NIL : map([
        [bulk("name"), bulk(running.name)],
        [bulk("command"), array(running.command.map((word) => bulk(word)))],
        [bulk("duration_ms"), {
          kind: "integer",
          value: Math.floor(engine.now() - running.startedAt),
        }],
      ]);
      let functions = 0;
      for (const library of engine.libraries.values()) functions += library.functions.size;
      return map([
        [bulk("running_script"), runningScript],
        [
          bulk("engines"),
          map([[
            bulk("LUA"),
            map([
              [bulk("libraries_count"), { kind: "integer", value: engine.libraries.size }],
              [bulk("functions_count"), { kind: "integer", value: functions }],
            ]),
          ]]),
        ],
      ]);
    },
  },
  {
    name: "function|kill",
    arity: 2,
    flags: ["noscript", "allow_busy"],
    group: "scripting",
    summary: "Kill the function currently in execution.",
    since: "7.0.0",
    complexity: "O(1)",
    handler(context) {
      return killScript(context, "function");
    },
  },
  {
    name: "function|help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "scripting",
    summary: "Show helpful text about the different subcommands",
    since: "7.0.0",
    complexity: "O(1)",
    handler() {
      return array(
        [
          "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
          "LOAD [REPLACE] <FUNCTION CODE>",
          "DELETE <LIBRARY NAME>",
          "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
          "FLUSH [ASYNC|SYNC]",
          "DUMP",
          "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
          "STATS",
          "KILL",
          "HELP",
        ].map((line) => status(line)),
      );
    },
  },
];

export const FUNCTION_COMMANDS: readonly CommandSpec[] = [
  {
    name: "function",
    arity: -2,
    flags: [],
    group: "scripting",
    summary: "A container for function commands",
    since: "7.0.0",
    complexity: "Depends on subcommand.",
    subcommands: FUNCTION_SUBCOMMANDS,
  },
  {
    name: "fcall",
    arity: -3,
    flags: ["noscript", "skip_monitor", "may_replicate", "stale"],
    keys: { first: 3, last: -1, step: 1 },
    group: "scripting",
    summary: "Invoke a function",
    since: "7.0.0",
    complexity: "Depends on the function that is executed.",
    arguments: [
      { name: "function", type: "string" },
      { name: "numkeys", type: "integer" },
      { name: "key", type: "key", optional: true, multiple: true },
      { name: "arg", type: "string", optional: true, multiple: true },
    ],
    handler: fcall,
  },
  {
    name: "fcall_ro",
    arity: -3,
    flags: ["noscript", "skip_monitor", "readonly", "stale"],
    keys: { first: 3, last: -1, step: 1 },
    group: "scripting",
    summary: "Invoke a read-only function",
    since: "7.0.0",
    complexity: "Depends on the function that is executed.",
    arguments: [
      { name: "function", type: "string" },
      { name: "numkeys", type: "integer" },
      { name: "key", type: "key", optional: true, multiple: true },
      { name: "arg", type: "string", optional: true, multiple: true },
    ],
    handler: fcall,
  },
];
