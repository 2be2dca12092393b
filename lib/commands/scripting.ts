/**
 * Lua scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT and the shared
 * machinery FCALL uses too ({@link runScript}).
 *
 * A script's `redis.call` goes through the table's `run`, with the caller's
 * session (same database, same client), after Redis's script checks
 * (script.c scriptCall): unknown command and wrong arity get the script
 * wording, `noscript` commands are refused, and read-only runs (EVAL_RO,
 * FCALL_RO, `no-writes`) refuse write commands. Each write a script makes
 * reaches the append-only file through the table's `onWrite`, as the
 * script's effects (Redis 7 replicates effects, not scripts); the server
 * wraps them in MULTI/EXEC.
 *
 * @module
 */
import { CommandError } from "../errors.ts";
import { OOM } from "../eviction.ts";
import { READONLY_REPLICA } from "./table.ts";
import { array, bulk, error, integer, NIL, OK, type Reply, ZERO } from "../reply.ts";
import type { ScriptHost, ScriptRun, StepResult } from "../scripting/lua_vm.ts";
import { REPL_AOF } from "../scripting/lua_vm.ts";
import { Scripting } from "../scripting/scripts.ts";
import { integerArgument, isKeyword } from "./arguments.ts";
import { helpReply } from "./help.ts";
import type { ServerControl } from "../server_control.ts";
import type { CommandContext, CommandSpec } from "./types.ts";

/** One Scripting per server: the table is built once per server and scripts live as long. */
const engines = new WeakMap<object, Scripting>();

/** The server's scripting state, created on first use. */
export function scriptingOf(context: CommandContext): Scripting {
  return scriptingFor(context.server);
}

/** The scripting state of `server` (persistence saves and loads its functions). */
export function scriptingFor(server: ServerControl): Scripting {
  const owner = server as object;
  let engine = engines.get(owner);
  if (engine === undefined) {
    engine = new Scripting({
      log: (level, text) => server.scriptLog?.(level, text),
      now: () => server.clockMicros() / 1000,
    });
    engines.set(owner, engine);
  }
  return engine;
}

const NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";
const WRITE_FROM_READONLY = "ERR Write commands are not allowed from read-only scripts.";

/** Splits `numkeys key… arg…` (argv from `first` on), with Redis's errors. */
export function keysAndArgs(
  argv: readonly string[],
  first: number,
  notInteger?: string,
): { keys: string[]; args: string[] } {
  const count = integerArgument(argv[first]!, notInteger);
  const available = argv.length - first - 1;
  if (count > available) {
    throw new CommandError("ERR Number of keys can't be greater than number of args");
  }
  if (count < 0) throw new CommandError("ERR Number of keys can't be negative");
  const n = Number(count);
  return { keys: argv.slice(first + 1, first + 1 + n), args: argv.slice(first + 1 + n) };
}

export interface ScriptInvocation {
  readonly kind: "eval" | "function";
  /** The command name that runs it (eval, evalsha, fcall…), to tell a top-level call from EXEC. */
  readonly command: string;
  /** The whole request, for FUNCTION STATS. */
  readonly argv: readonly string[];
  /** The `allow-oom` flag: commands run even over maxmemory. */
  readonly allowOom: boolean;
  /** The SHA1 (EVAL) or function name (FCALL), as errors and FUNCTION STATS show it. */
  readonly name: string;
  readonly readOnly: boolean;
  start(host: ScriptHost): ScriptRun;
}

/**
 * Runs a script to its end for the calling client and returns its reply:
 * builds the host that serves `redis.call`, marks the script as running for
 * SCRIPT KILL and the busy check, and steps the coroutine until it finishes.
 */
export function runScript(context: CommandContext, invocation: ScriptInvocation): Reply {
  const engine = scriptingOf(context);
  const { commands } = context;
  const running = {
    kind: invocation.kind,
    name: invocation.name,
    command: invocation.argv,
    startedAt: engine.now(),
    wrote: false,
    killRequested: false,
  };
  let propagate = true;
  const server = context.server;
  // Only a top-level script on a RESP connection may pause: inside EXEC (or on the binary
  // protocol, or without an event loop) the reply is needed now, so it runs to its end.
  const pausable = server.later !== undefined && context.session.wire === "resp" &&
    context.session.lastCommand === invocation.command;
  let threshold: number | undefined;
  const outOfMemory = !invocation.allowOom && commands.eviction !== undefined &&
    !commands.eviction.fit();
  // Redis fixes "now" for the whole script (scriptTimeSnapshot), even across its slices.
  const now = context.keyspace.now;
  const host: ScriptHost = {
    call(argv, resp) {
      const resolved = commands.resolve(argv);
      if (typeof resolved === "string") {
        return error(
          commands.lookup(argv[0]!) === undefined
            ? "ERR Unknown Redis command called from script"
            : "ERR Wrong number of args calling Redis command from script",
        );
      }
      const flags = resolved.flags;
      if (flags.includes("noscript")) {
        return error("ERR This Redis command is not allowed from script");
      }
      const writes = flags.includes("write");
      if (invocation.readOnly && (writes || flags.includes("may_replicate"))) {
        return error(WRITE_FROM_READONLY);
      }
      // scriptVerifyWriteCommandAllow: a read-only replica's clients write through no script.
      const replica = commands.replica;
      if (writes && replica?.readOnly && context.session !== replica.master) {
        return error(READONLY_REPLICA);
      }
      // scriptVerifyWriteCommandAllow: min-replicas-to-write applies to a script's writes too.
      if (writes && commands.replicasMissing !== undefined) return error(commands.replicasMissing);
      // scriptVerifyOOM: over maxmemory when the script began, a command that may grow memory
      // is refused until the script has written (then it must be allowed to finish).
      if (outOfMemory && !running.wrote && flags.includes("denyoom")) return error(OOM);
      if (writes) running.wrote = true;
      const session = context.session;
      const onWrite = commands.onWrite;
      const protocol = session.protocol;
      session.inScript = true;
      session.protocol = resp;
      // redis.set_repl(REPL_NONE): this write reaches neither the AOF nor replicas.
      if (!propagate) commands.onWrite = undefined;
      try {
        return commands.run(resolved, context, argv);
      } finally {
        session.inScript = false;
        session.protocol = protocol;
        commands.onWrite = onWrite;
      }
    },
    knowsCommand(argv) {
      const spec = commands.lookup(argv[0]!);
      if (spec === undefined) return false;
      if (spec.subcommands === undefined || argv.length < 2) return true;
      const name = `${spec.name}|${argv[1]!.toLowerCase()}`;
      return spec.subcommands.some((sub) => sub.name === name);
    },
    setReplication(flags) {
      propagate = (flags & REPL_AOF) !== 0;
    },
    interrupt() {
      if (running.killRequested) return "kill";
      if (!pausable) return "continue";
      threshold ??= busyReplyThreshold(context);
      if (threshold === 0 || engine.now() - running.startedAt < threshold) return "continue";
      if (commands.busy === undefined) {
        server.scriptLog?.(
          3,
          `Slow script detected: still in execution after ${
            Math.floor(engine.now() - running.startedAt)
          } milliseconds. You can try killing the script using the ${
            invocation.kind === "eval" ? "SCRIPT KILL" : "FUNCTION KILL"
          } command. Script name is: ${invocation.name}.`,
        );
      }
      return "yield";
    },
  };
  const run = invocation.start(host);
  const previous = engine.running;
  engine.running = running;
  let first: StepResult;
  try {
    first = run.step();
  } catch (cause) {
    engine.running = previous;
    throw cause;
  }
  if (first.done) {
    engine.running = previous;
    return first.reply;
  }
  // Past busy-reply-threshold: other clients get -BUSY while the script goes on in slices,
  // each after the event loop has served them (Redis's processEventsWhileBlocked).
  commands.busy = busyMessage(invocation.kind);
  context.session.deferred = new Promise<Reply>((resolve) => {
    const slice = () => {
      let result: StepResult;
      context.keyspace.now = now;
      try {
        result = run.step();
      } catch (cause) {
        result = {
          done: true,
          reply: error(`ERR internal error in script: ${(cause as Error).message}`),
        };
      }
      if (!result.done) {
        server.later!(slice);
        return;
      }
      engine.running = previous;
      commands.busy = undefined;
      resolve(result.reply);
    };
    server.later!(slice);
  });
  // The connection sends the deferred reply; this one is never seen.
  return NIL;
}

/** The busy-reply-threshold (alias lua-time-limit) in ms; read once per long script. */
function busyReplyThreshold(context: CommandContext): number {
  const value = context.server.configGet(["busy-reply-threshold"])[0]?.[1];
  return value === undefined ? 5000 : Number(value);
}

function evalCommand(context: CommandContext, argv: readonly string[]): Reply {
  context.commands.feedMonitors(context, argv);
  const name = argv[0]!.toLowerCase();
  const bySha = name === "evalsha" || name === "evalsha_ro";
  const readOnlyCommand = name === "eval_ro" || name === "evalsha_ro";
  const { keys, args } = keysAndArgs(argv, 2);
  const engine = scriptingOf(context);
  let sha: string;
  if (bySha) {
    sha = argv[1]!.toLowerCase();
    if (sha.length !== 40 || !engine.scripts.has(sha)) return error(NOSCRIPT);
  } else {
    const loaded = engine.loadScript(argv[1]!);
    if ("error" in loaded) return error(loaded.error);
    sha = loaded.sha;
  }
  const script = engine.scripts.get(sha)!;
  const flags = script.flags;
  if (flags !== undefined && !flags.includes("no-writes") && readOnlyCommand) {
    return error("ERR Can not execute a script with write flag using *_ro command.");
  }
  const vm = engine.evalVm;
  return runScript(context, {
    kind: "eval",
    command: name,
    argv,
    allowOom: flags?.includes("allow-oom") ?? false,
    name: sha,
    readOnly: readOnlyCommand || (flags?.includes("no-writes") ?? false),
    start: (host) => vm.start(script.ref, { keys, args }, host, sha),
  });
}

const EVAL_ARGUMENTS = [
  { name: "script", type: "string" },
  { name: "numkeys", type: "integer" },
  { name: "key", type: "key", optional: true, multiple: true },
  { name: "arg", type: "string", optional: true, multiple: true },
] as const;

const EVALSHA_ARGUMENTS = [
  { name: "sha1", type: "string" },
  ...EVAL_ARGUMENTS.slice(1),
] as const;

/** Redis's script flags on EVAL-family commands. */
const EVAL_FLAGS = ["noscript", "skip_monitor", "may_replicate", "stale"] as const;

const SCRIPT_HELP = [
  "EXISTS <sha1> [<sha1> ...]",
  "    Return information about the existence of the scripts in the script cache.",
  "FLUSH [ASYNC|SYNC]",
  "    Flush the Lua scripts cache. Very dangerous on replicas.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the scripts cache.",
  "    * SYNC: Synchronously flush the scripts cache.",
  "KILL",
  "    Kill the currently executing Lua script.",
  "LOAD <script>",
  "    Load a script into the scripts cache without executing it.",
];

/** SCRIPT KILL and FUNCTION KILL share Redis's scriptKill. */
export function killScript(context: CommandContext, kind: "eval" | "function"): Reply {
  const running = scriptingOf(context).running;
  if (running === undefined) return error("NOTBUSY No scripts in execution right now.");
  if (running.wrote) {
    return error(
      "UNKILLABLE Sorry the script already executed write commands against the dataset. " +
        "You can either wait the script termination or kill the server in a hard way using " +
        "the SHUTDOWN NOSAVE command.",
    );
  }
  if (running.kind !== kind) return error(busyMessage(running.kind));
  running.killRequested = true;
  return OK;
}

/** What other clients get while a script runs past busy-reply-threshold (Redis's shared texts). */
function busyMessage(kind: "eval" | "function"): string {
  return `BUSY Redis is busy running a script. You can only call ${
    kind === "eval" ? "SCRIPT KILL" : "FUNCTION KILL"
  } or SHUTDOWN NOSAVE.`;
}

/** Parses FLUSH's optional ASYNC|SYNC; both free at once here (dropping references is O(1)). */
export function flushMode(argv: readonly string[], message: string): void {
  if (argv.length > 3) throw new CommandError(message);
  const mode = argv[2];
  if (mode !== undefined && !isKeyword(mode, "ASYNC") && !isKeyword(mode, "SYNC")) {
    throw new CommandError(message);
  }
}

const SCRIPT_SUBCOMMANDS: readonly CommandSpec[] = [
  {
    name: "script|exists",
    arity: -3,
    flags: ["noscript"],
    group: "scripting",
    summary: "Check existence of scripts in the script cache.",
    since: "2.6.0",
    complexity: "O(N) with N being the number of scripts to check",
    arguments: [{ name: "sha1", type: "string", multiple: true }],
    handler(context, argv) {
      const scripts = scriptingOf(context).scripts;
      return array(argv.slice(2).map((sha) => scripts.has(sha.toLowerCase()) ? integer(1) : ZERO));
    },
  },
  {
    name: "script|flush",
    arity: -2,
    flags: ["noscript"],
    group: "scripting",
    summary: "Remove all the scripts from the script cache.",
    since: "2.6.0",
    complexity: "O(N) with N being the number of scripts in cache",
    arguments: [{
      name: "flush-type",
      type: "oneof",
      optional: true,
      arguments: [
        { name: "async", type: "pure-token", token: "ASYNC" },
        { name: "sync", type: "pure-token", token: "SYNC" },
      ],
    }],
    handler(context, argv) {
      flushMode(argv, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
      scriptingOf(context).flushScripts();
      return OK;
    },
  },
  {
    name: "script|help",
    arity: 2,
    flags: ["loading", "stale"],
    group: "scripting",
    summary: "Show helpful text about the different subcommands",
    since: "5.0.0",
    complexity: "O(1)",
    handler() {
      return helpReply("SCRIPT", SCRIPT_HELP);
    },
  },
  {
    name: "script|kill",
    arity: 2,
    flags: ["noscript", "allow_busy"],
    group: "scripting",
    summary: "Kill the script currently in execution.",
    since: "2.6.0",
    complexity: "O(1)",
    handler(context) {
      return killScript(context, "eval");
    },
  },
  {
    name: "script|load",
    arity: 3,
    flags: ["noscript", "stale"],
    group: "scripting",
    summary: "Load the specified Lua script into the script cache.",
    since: "2.6.0",
    complexity: "O(N) with N being the length in bytes of the script body.",
    arguments: [{ name: "script", type: "string" }],
    handler(context, argv) {
      const loaded = scriptingOf(context).loadScript(argv[2]!);
      return "error" in loaded ? error(loaded.error) : bulk(loaded.sha);
    },
  },
];

export const SCRIPTING_COMMANDS: readonly CommandSpec[] = [
  {
    name: "eval",
    arity: -3,
    flags: EVAL_FLAGS,
    keys: { first: 3, last: -1, step: 1 },
    group: "scripting",
    summary: "Execute a Lua script server side",
    since: "2.6.0",
    complexity: "Depends on the script that is executed.",
    arguments: EVAL_ARGUMENTS,
    handler: evalCommand,
  },
  {
    name: "evalsha",
    arity: -3,
    flags: EVAL_FLAGS,
    keys: { first: 3, last: -1, step: 1 },
    group: "scripting",
    summary: "Execute a Lua script server side",
    since: "2.6.0",
    complexity: "Depends on the script that is executed.",
    arguments: EVALSHA_ARGUMENTS,
    handler: evalCommand,
  },
  {
    name: "eval_ro",
    arity: -3,
    flags: ["noscript", "skip_monitor", "readonly", "stale"],
    keys: { first: 3, last: -1, step: 1 },
    group: "scripting",
    summary: "Execute a read-only Lua script server side",
    since: "7.0.0",
    complexity: "Depends on the script that is executed.",
    arguments: EVAL_ARGUMENTS,
    handler: evalCommand,
  },
  {
    name: "evalsha_ro",
    arity: -3,
    flags: ["noscript", "skip_monitor", "readonly", "stale"],
    keys: { first: 3, last: -1, step: 1 },
    group: "scripting",
    summary: "Execute a read-only Lua script server side",
    since: "7.0.0",
    complexity: "Depends on the script that is executed.",
    arguments: EVALSHA_ARGUMENTS,
    handler: evalCommand,
  },
  {
    name: "script",
    arity: -2,
    flags: [],
    group: "scripting",
    summary: "A container for Lua scripts management commands",
    since: "2.6.0",
    complexity: "Depends on subcommand.",
    subcommands: SCRIPT_SUBCOMMANDS,
  },
];
