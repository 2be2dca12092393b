/**
 * One Lua interpreter set up as Redis 7.0 sets up its own: the same globals
 * (base, table, string, math, cjson, cmsgpack, bit, struct and `redis`), the
 * same read-only global table ("Attempt to modify a readonly table",
 * "Script attempted to access nonexistent global variable"), the same error
 * handler (errors carry the source and line where they happened) and the
 * same `redis.*` API. It never does I/O: every command a script runs goes
 * through the {@link ScriptHost} given for that run.
 *
 * A run is a coroutine so it can stop between instructions: every
 * {@link HOOK_INSTRUCTIONS} instructions the host is asked whether to kill
 * the script (SCRIPT KILL) or to pause it so the server can answer other
 * clients with -BUSY (see lib/scripting/scripts.ts).
 *
 * @module
 */
import { REDIS_COMPATIBLE_VERSION } from "../version.ts";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { error, type Reply } from "../reply.ts";
import { cString, popReply, pushField, pushReply } from "./convert.ts";
import {
  formatG,
  lauxlib,
  literal,
  lua,
  lualib,
  type LuaState,
  pushString,
  raiseError,
  toKacheString,
  tostring,
} from "./fengari.ts";
import { openBit } from "./lib_bit.ts";
import { openCjson } from "./lib_cjson.ts";
import { openCmsgpack } from "./lib_cmsgpack.ts";
import { openStruct } from "./lib_struct.ts";
import { stringFormat, stringRep } from "./lua_format.ts";

/** Redis checks for timeouts every 100000 instructions (luaCallFunction). */
export const HOOK_INSTRUCTIONS = 100_000;

/** `redis.LOG_*` levels, as Redis's LL_* constants. */
export const LOG_DEBUG = 0;
export const LOG_VERBOSE = 1;
export const LOG_NOTICE = 2;
export const LOG_WARNING = 3;

/** `redis.REPL_*` flags (PROPAGATE_AOF = 1, PROPAGATE_REPL = 2). */
export const REPL_AOF = 1;
export const REPL_REPLICA = 2;
export const REPL_ALL = 3;

/** What a running script may ask of the server. */
export interface ScriptHost {
  /**
   * Runs one command for redis.call / redis.pcall with the script's protocol
   * (redis.setresp), as Redis's script client has its own; refusals come back
   * as error replies.
   */
  call(argv: string[], resp: 2 | 3): Reply;
  /** redis.acl_check_cmd: whether argv names a command (Kache's one user may run them all). */
  knowsCommand(argv: readonly string[]): boolean;
  /** redis.set_repl: which of AOF and replicas get the script's writes from now on. */
  setReplication(flags: number): void;
  /** Asked every {@link HOOK_INSTRUCTIONS} instructions: go on, pause, or stop the script. */
  interrupt(): "continue" | "yield" | "kill";
}

/** Where redis.log goes, and the level below which it is dropped (`loglevel`). */
export interface ScriptLogger {
  log(level: number, text: string): void;
  /**
   * The math.random generator, shared by every interpreter of a server and
   * kept across SCRIPT FLUSH, as Redis's one static redisLrand48 state.
   */
  readonly random?: Lrand48;
}

/**
 * Redis's redisLrand48 (rand.c): lrand48's 48-bit linear congruential
 * generator, starting from lrand48's default state (never reseeded per
 * script in Redis 7), returning the top 31 bits.
 */
export class Lrand48 {
  #state = 0x1234abcd330en;

  next(): number {
    this.#state = (this.#state * 0x5deece66dn + 0xbn) & 0xffffffffffffn;
    return Number(this.#state >> 17n);
  }

  /** redisSrand48: the seed's 32 bits above 0x330E. */
  seed(value: number): void {
    this.#state = ((BigInt(Math.trunc(value)) & 0xffffffffn) << 16n) | 0x330en;
  }
}

/** How a library defines a function with redis.register_function. */
export interface RegisteredFunction {
  readonly name: string;
  readonly description: string | undefined;
  readonly flags: readonly string[];
  /** Registry reference of the Lua callback. */
  readonly ref: number;
}

export const SCRIPT_FLAGS = [
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
] as const;

/** The message text Redis uses when SCRIPT KILL / FUNCTION KILL stops a script. */
const KILLED = "ERR Script killed by user with SCRIPT KILL...";

/** Redis's error handler (eval.c), verbatim: it adds where the error happened. */
const ERROR_HANDLER = "local dbg = debug\n" +
  "function __redis__err__handler(err)\n" +
  "  local i = dbg.getinfo(2,'nSl')\n" +
  "  if i and i.what == 'C' then\n" +
  "    i = dbg.getinfo(3,'nSl')\n" +
  "  end\n" +
  "  if type(err) ~= 'table' then\n" +
  "    err = {err='ERR ' .. tostring(err)}" +
  "  end" +
  "  if i then\n" +
  "    err['source'] = i.source\n" +
  "    err['line'] = i.currentline\n" +
  "  end" +
  "  return err\n" +
  "end\n";

/** Lua 5.1 functions that 5.3 dropped or renamed and that scripts written for Redis use. */
const LUA51_COMPATIBILITY = "unpack = table.unpack\n" +
  "loadstring = function(s, name) return load(s, name) end\n" +
  "table.getn = function(t) return #t end\n" +
  "table.maxn = function(t) local m = 0 for k in pairs(t) do " +
  "if type(k) == 'number' and k > m then m = k end end return m end\n" +
  "table.foreach = function(t, f) for k, v in pairs(t) do local r = f(k, v) " +
  "if r ~= nil then return r end end end\n" +
  "table.foreachi = function(t, f) for i = 1, #t do local r = f(i, t[i]) " +
  "if r ~= nil then return r end end end\n" +
  "math.mod = math.fmod\n" +
  "math.pow = function(x, y) return x ^ y end\n" +
  "math.log10 = function(x) return math.log(x, 10) end\n" +
  "math.ldexp = function(m, e) return m * 2.0 ^ e end\n" +
  "math.frexp = function(x) if x == 0 or x ~= x or x == math.huge or x == -math.huge " +
  "then return x, 0 end local e = math.floor(math.log(math.abs(x), 2)) + 1 " +
  "local m = x / 2.0 ^ e if math.abs(m) >= 1 then m = m / 2 e = e + 1 " +
  "elseif math.abs(m) < 0.5 then m = m * 2 e = e - 1 end return m, e end\n" +
  "math.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end\n" +
  "math.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end\n" +
  "math.tanh = function(x) local a, b = math.exp(x), math.exp(-x) " +
  "return (a - b) / (a + b) end\n" +
  "string.gfind = string.gmatch\n" +
  // Redis's pcall hands back the message of an error table (redis.call's errors), not the table.
  "local rawpcall = pcall\n" +
  "local function unwrap(ok, ...) if ok then return true, ... end local e = ... " +
  "if type(e) == 'table' and type(e.err) == 'string' then return false, e.err end " +
  "return false, ... end\n" +
  "pcall = function(...) return unwrap(rawpcall(...)) end\n";

/** Base-library globals Redis does not offer (its deny list, and what 5.1 lacked). */
const REMOVED_GLOBALS = ["dofile", "loadfile", "print", "rawlen", "require", "package"];

const REDIS_VERSION = REDIS_COMPATIBLE_VERSION;
/** `0x07000f` for 7.0.15: one byte per part, as Redis's REDIS_VERSION_NUM. */
const REDIS_VERSION_NUM = REDIS_VERSION.split(".").reduce(
  (num, part) => num * 256 + Number(part),
  0,
);

/** The run in progress: who serves redis.call, and the protocol chosen by redis.setresp. */
interface RunState {
  readonly host: ScriptHost;
  resp: 2 | 3;
}

/** Result of one step of a run: finished with a reply, or paused by the host. */
export type StepResult = { readonly done: true; readonly reply: Reply } | { readonly done: false };

export class LuaVm {
  readonly L: LuaState;
  readonly #logger: ScriptLogger;
  readonly #mode: "eval" | "function";
  /** The table globals resolve through (`__index` of the read-only proxy). */
  #globalsRef = 0;
  #proxyMetaRef = 0;
  #loadApiRef = 0;
  #run: RunState | undefined;
  /** Functions registered by the library being loaded; undefined outside FUNCTION LOAD. */
  #registering: RegisteredFunction[] | undefined;
  readonly #random: Lrand48;
  readonly #names = new Map<string, number>();
  #spareThread: { thread: LuaState; ref: number } | undefined;
  /** True once the hook has decided to kill the running script. */
  #killing = false;

  constructor(mode: "eval" | "function", logger: ScriptLogger) {
    this.#mode = mode;
    this.#logger = logger;
    this.#random = logger.random ?? new Lrand48();
    const L = lauxlib.luaL_newstate();
    this.L = L;
    this.#openLibraries();
    this.#installRedisApi();
    this.#lockGlobals();
  }

  #openLibraries(): void {
    const L = this.L;
    lauxlib.luaL_requiref(L, literal("_G"), lualib.luaopen_base, 1);
    lauxlib.luaL_requiref(L, literal("table"), lualib.luaopen_table, 1);
    lauxlib.luaL_requiref(L, literal("string"), lualib.luaopen_string, 1);
    lauxlib.luaL_requiref(L, literal("math"), lualib.luaopen_math, 1);
    lauxlib.luaL_requiref(L, literal("debug"), lualib.luaopen_debug, 1);
    lauxlib.luaL_requiref(L, literal("coroutine"), lualib.luaopen_coroutine, 1);
    lua.lua_pop(L, 6);
    openCjson(L);
    openCmsgpack(L);
    openBit(L);
    openStruct(L);
    for (const name of REMOVED_GLOBALS) {
      lua.lua_pushnil(L);
      lua.lua_setglobal(L, literal(name));
    }
    lua.lua_pushcfunction(L, tostring);
    lua.lua_setglobal(L, literal("tostring"));
    lua.lua_getglobal(L, literal("string"));
    lua.lua_getfield(L, -1, literal("format"));
    lua.lua_pushcclosure(L, stringFormat, 1);
    lua.lua_setfield(L, -2, literal("format"));
    lua.lua_pushcfunction(L, stringRep);
    lua.lua_setfield(L, -2, literal("rep"));
    lua.lua_pop(L, 1);
    pushString(L, "Lua 5.1");
    lua.lua_setglobal(L, literal("_VERSION"));
    this.#runInit(LUA51_COMPATIBILITY, "@compat");
    // Redis's math.random: repeatable for every script, same sequence on every platform.
    lua.lua_getglobal(L, literal("math"));
    lua.lua_pushcfunction(L, (state: LuaState) => this.#mathRandom(state));
    lua.lua_setfield(L, -2, literal("random"));
    lua.lua_pushcfunction(L, (state: LuaState) => {
      if (this.#run === undefined) {
        return raiseError(state, "math.randomseed can only be called inside a script invocation");
      }
      this.#random.seed(lauxlib.luaL_checknumber(state, 1) as number);
      return 0;
    });
    lua.lua_setfield(L, -2, literal("randomseed"));
    lua.lua_pop(L, 1);
    if (this.#mode === "eval") this.#runInit(ERROR_HANDLER, "@err_handler_def");
    // debug served the error handler (captured as an upvalue); scripts do not get it.
    lua.lua_pushnil(L);
    lua.lua_setglobal(L, literal("debug"));
  }

  #runInit(code: string, name: string): void {
    const L = this.L;
    if (lauxlib.luaL_loadbuffer(L, literal(code), null, literal(name)) !== lua.LUA_OK) {
      throw new Error(`Lua setup failed: ${toKacheString(L, -1)}`);
    }
    if (lua.lua_pcall(L, 0, 0, 0) !== lua.LUA_OK) {
      throw new Error(`Lua setup failed: ${toKacheString(L, -1)}`);
    }
  }

  #installRedisApi(): void {
    const L = this.L;
    lua.lua_newtable(L);
    const fn = (name: string, f: (state: LuaState) => number) => {
      lua.lua_pushcfunction(L, f);
      lua.lua_setfield(L, -2, literal(name));
    };
    const constant = (name: string, value: number | string) => {
      if (typeof value === "number") lua.lua_pushnumber(L, value);
      else pushString(L, value);
      lua.lua_setfield(L, -2, literal(name));
    };
    fn("call", (state) => this.#redisCall(state, true));
    fn("pcall", (state) => this.#redisCall(state, false));
    fn("sha1hex", sha1hexFunction);
    fn("acl_check_cmd", (state) => this.#aclCheckCommand(state));
    fn("error_reply", errorReply);
    fn("status_reply", statusReply);
    fn("log", (state) => this.#redisLog(state));
    fn("setresp", (state) => this.#setResp(state));
    fn("set_repl", (state) => this.#setRepl(state));
    fn("replicate_commands", (state) => {
      lua.lua_pushboolean(state, true);
      return 1;
    });
    fn("breakpoint", (state) => {
      lua.lua_pushboolean(state, false);
      return 1;
    });
    fn("debug", () => 0);
    fn("register_function", (state) => this.#registerFunction(state));
    constant("LOG_DEBUG", LOG_DEBUG);
    constant("LOG_VERBOSE", LOG_VERBOSE);
    constant("LOG_NOTICE", LOG_NOTICE);
    constant("LOG_WARNING", LOG_WARNING);
    constant("REPL_NONE", 0);
    constant("REPL_AOF", REPL_AOF);
    constant("REPL_SLAVE", REPL_REPLICA);
    constant("REPL_REPLICA", REPL_REPLICA);
    constant("REPL_ALL", REPL_ALL);
    constant("REDIS_VERSION", REDIS_VERSION);
    constant("REDIS_VERSION_NUM", REDIS_VERSION_NUM);
    lua.lua_setglobal(L, literal("redis"));
    if (this.#mode === "function") {
      // While FUNCTION LOAD runs the library body, `redis` offers only what Redis's
      // library API offers: registering functions, logging and the constants.
      lua.lua_newtable(L);
      lua.lua_newtable(L);
      for (const name of ["register_function", "log", "setresp"]) {
        lua.lua_getglobal(L, literal("redis"));
        lua.lua_getfield(L, -1, literal(name));
        lua.lua_setfield(L, -3, literal(name));
        lua.lua_pop(L, 1);
      }
      for (
        const name of [
          "LOG_DEBUG",
          "LOG_VERBOSE",
          "LOG_NOTICE",
          "LOG_WARNING",
          "REDIS_VERSION",
          "REDIS_VERSION_NUM",
        ]
      ) {
        lua.lua_getglobal(L, literal("redis"));
        lua.lua_getfield(L, -1, literal(name));
        lua.lua_setfield(L, -3, literal(name));
        lua.lua_pop(L, 1);
      }
      // Anything else on `redis` (call, pcall…) is a missing global while loading, as in Redis.
      lua.lua_newtable(L);
      lua.lua_pushcfunction(L, missingGlobal);
      lua.lua_setfield(L, -2, literal("__index"));
      lua.lua_setmetatable(L, -2);
      lua.lua_setfield(L, -2, literal("redis"));
      this.#loadApiRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    }
  }

  /**
   * Makes the globals read-only: the global table becomes an empty proxy
   * whose reads fall through to the real table (which raises on names it
   * lacks) and whose writes raise, as Redis 7's read-only global table.
   */
  #lockGlobals(): void {
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    const real = lua.lua_absindex(L, -1);
    // The real table: unknown names raise.
    lua.lua_newtable(L);
    lua.lua_pushcfunction(L, missingGlobal);
    lua.lua_setfield(L, -2, literal("__index"));
    lua.lua_setmetatable(L, real);
    // The proxy that scripts see as _G.
    lua.lua_newtable(L);
    const proxy = lua.lua_absindex(L, -1);
    lua.lua_newtable(L);
    lua.lua_pushvalue(L, real);
    lua.lua_setfield(L, -2, literal("__index"));
    lua.lua_pushcfunction(L, readonlyTable);
    lua.lua_setfield(L, -2, literal("__newindex"));
    lua.lua_pushboolean(L, false);
    lua.lua_setfield(L, -2, literal("__metatable"));
    lua.lua_pushvalue(L, -1);
    this.#proxyMetaRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_setmetatable(L, proxy);
    lua.lua_pushvalue(L, proxy);
    lua.lua_setfield(L, real, literal("_G"));
    lua.lua_pushvalue(L, proxy);
    lua.lua_rawseti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    lua.lua_pushvalue(L, real);
    this.#globalsRef = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    lua.lua_pop(L, 2);
  }

  /** Sets a global on the real table, past the read-only proxy (KEYS, ARGV). */
  #setRawGlobal(name: string): void {
    const L = this.L;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#globalsRef);
    lua.lua_insert(L, -2);
    this.#pushName(name);
    lua.lua_insert(L, -2);
    lua.lua_rawset(L, -3);
    lua.lua_pop(L, 1);
  }

  /**
   * Pushes a constant name as the one Lua string kept for it: fengari copies
   * and hashes a string on every push, which cost ~15% of a small EVALSHA.
   */
  #pushName(name: string): void {
    const L = this.L;
    let ref = this.#names.get(name);
    if (ref === undefined) {
      pushString(L, name);
      ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX) as number;
      this.#names.set(name, ref);
    }
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, ref);
  }

  /** A finished coroutine kept for the next run: creating one costs more than a small script. */
  takeThread(): { thread: LuaState; ref: number } {
    const spare = this.#spareThread;
    if (spare !== undefined) {
      this.#spareThread = undefined;
      return spare;
    }
    const thread = lua.lua_newthread(this.L) as LuaState;
    return { thread, ref: lauxlib.luaL_ref(this.L, lua.LUA_REGISTRYINDEX) };
  }

  /** Takes back a coroutine whose function returned normally (it can start another). */
  returnThread(thread: { thread: LuaState; ref: number }, reusable: boolean): void {
    if (reusable && this.#spareThread === undefined) {
      lua.lua_settop(thread.thread, 0);
      this.#spareThread = thread;
    } else {
      lauxlib.luaL_unref(this.L, lua.LUA_REGISTRYINDEX, thread.ref);
    }
  }

  /**
   * Compiles `body` under `chunkName` (`@user_script`, `@user_function`) and
   * keeps the function in the registry; returns its reference, or Lua's
   * compile error message.
   */
  compile(body: string, chunkName: string): number | string {
    const L = this.L;
    const bytes = Buffer.from(body, "latin1");
    const status = lauxlib.luaL_loadbuffer(L, bytes, bytes.length, literal(chunkName));
    if (status !== lua.LUA_OK) {
      const message = toKacheString(L, -1) ?? "unknown error";
      lua.lua_pop(L, 1);
      return message;
    }
    return lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
  }

  /** Forgets a compiled function (its library was deleted or replaced). */
  release(ref: number): void {
    lauxlib.luaL_unref(this.L, lua.LUA_REGISTRYINDEX, ref);
  }

  /**
   * Runs a library body with the load-time API so it can call
   * redis.register_function; returns the functions it registered, or an error.
   */
  loadLibrary(ref: number, host: ScriptHost): RegisteredFunction[] | string {
    const L = this.L;
    const registered: RegisteredFunction[] = [];
    this.#registering = registered;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#proxyMetaRef);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#loadApiRef);
    // The load API's own misses fall through to the ordinary globals.
    lua.lua_newtable(L);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#globalsRef);
    lua.lua_setfield(L, -2, literal("__index"));
    lua.lua_setmetatable(L, -2);
    lua.lua_setfield(L, -2, literal("__index"));
    lua.lua_pop(L, 1);
    const run = this.start(ref, undefined, host);
    let result: StepResult;
    do result = run.step(); while (!result.done);
    const failure = run.errorMessage;
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#proxyMetaRef);
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, this.#globalsRef);
    lua.lua_setfield(L, -2, literal("__index"));
    lua.lua_pop(L, 1);
    this.#registering = undefined;
    if (failure !== undefined) {
      for (const f of registered) this.release(f.ref);
      return failure;
    }
    return registered;
  }

  /**
   * Prepares a run of the compiled function `ref`. EVAL passes KEYS and ARGV
   * as globals; functions get them as their two arguments. Nothing runs until
   * {@link ScriptRun.step}.
   */
  start(
    ref: number,
    input: { readonly keys: readonly string[]; readonly args: readonly string[] } | undefined,
    host: ScriptHost,
    name = "",
  ): ScriptRun {
    const L = this.L;
    const owned = this.takeThread();
    const thread = owned.thread;
    lua.lua_rawgeti(thread, lua.LUA_REGISTRYINDEX, ref);
    let nargs = 0;
    if (input !== undefined) {
      pushStringArray(L, input.keys);
      if (this.#mode === "eval") this.#setRawGlobal("KEYS");
      else lua.lua_xmove(L, thread, 1);
      pushStringArray(L, input.args);
      if (this.#mode === "eval") this.#setRawGlobal("ARGV");
      else lua.lua_xmove(L, thread, 1);
      nargs = this.#mode === "eval" ? 0 : 2;
    }
    return new ScriptRun(this, owned, nargs, { host, resp: 2 }, name);
  }

  /** Called by {@link ScriptRun} around each resume. */
  enter(state: RunState, thread: LuaState): void {
    this.#run = state;
    this.#killing = false;
    lua.lua_sethook(thread, (t: LuaState) => this.#hook(t), lua.LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
  }

  leave(): void {
    this.#run = undefined;
  }

  #hook(thread: LuaState): void {
    const run = this.#run;
    if (run === undefined) return;
    if (this.#killing) {
      pushField(thread, "err", KILLED);
      lua.lua_error(thread);
      return;
    }
    const decision = run.host.interrupt();
    if (decision === "kill") {
      this.#logger.log(LOG_WARNING, "Lua script killed by user with SCRIPT KILL.");
      // From now on the hook fires on every line, so pcall cannot swallow the kill for long.
      this.#killing = true;
      lua.lua_sethook(thread, (t: LuaState) => this.#hook(t), lua.LUA_MASKLINE, 0);
      pushField(thread, "err", KILLED);
      lua.lua_error(thread);
    } else if (decision === "yield" && lua.lua_isyieldable(thread)) {
      lua.lua_yield(thread, 0);
    }
  }

  #redisCall(L: LuaState, raise: boolean): number {
    const run = this.#run;
    if (run === undefined) {
      pushField(L, "err", "ERR redis.call/pcall can only be called inside a script invocation");
      return lua.lua_error(L);
    }
    const argv = this.#commandArguments(L);
    if (typeof argv === "string") return this.#callError(L, argv, raise);
    lua.lua_settop(L, 0);
    const reply = run.host.call(argv, run.resp);
    pushReply(L, reply, run.resp);
    if (raise && reply.kind === "error") return lua.lua_error(L);
    return 1;
  }

  /** The arguments of redis.call as strings, or the error Redis raises for them. */
  #commandArguments(L: LuaState): string[] | string {
    const argc = lua.lua_gettop(L);
    if (argc === 0) return "ERR Please specify at least one argument for this redis lib call";
    const argv: string[] = new Array(argc);
    for (let i = 1; i <= argc; i++) {
      const type = lua.lua_type(L, i);
      if (type === lua.LUA_TNUMBER) {
        // Not lua_tolstring: Redis formats numbers with %.17g so they keep their precision.
        argv[i - 1] = formatG(lua.lua_tonumber(L, i) as number, 17);
      } else if (type === lua.LUA_TSTRING) {
        argv[i - 1] = toKacheString(L, i)!;
      } else {
        return "ERR Lua redis lib command arguments must be strings or integers";
      }
    }
    return argv;
  }

  #aclCheckCommand(L: LuaState): number {
    const run = this.#run;
    if (run === undefined) {
      return raiseTable(L, "ERR redis.acl_check_cmd can only be called inside a script invocation");
    }
    const argv = this.#commandArguments(L);
    if (typeof argv === "string") return raiseTable(L, argv);
    if (!run.host.knowsCommand(argv)) {
      return raiseTable(L, "ERR Invalid command passed to redis.acl_check_cmd()");
    }
    lua.lua_settop(L, 0);
    lua.lua_pushboolean(L, true);
    return 1;
  }

  #callError(L: LuaState, message: string, raise: boolean): number {
    lua.lua_settop(L, 0);
    pushField(L, "err", message);
    return raise ? lua.lua_error(L) : 1;
  }

  #redisLog(L: LuaState): number {
    const argc = lua.lua_gettop(L);
    if (argc < 2) return raiseTable(L, "ERR redis.log() requires two arguments or more.");
    if (!lua.lua_isnumber(L, 1)) {
      return raiseTable(L, "ERR First argument must be a number (log level).");
    }
    const level = Math.trunc(lua.lua_tonumber(L, 1) as number);
    if (level < LOG_DEBUG || level > LOG_WARNING) {
      return raiseTable(L, "ERR Invalid debug level.");
    }
    const parts: string[] = [];
    for (let i = 2; i <= argc; i++) {
      const type = lua.lua_type(L, i);
      if (type === lua.LUA_TSTRING || type === lua.LUA_TNUMBER) {
        parts.push(toKacheString(L, i)!);
      }
    }
    this.#logger.log(level, parts.join(" "));
    return 0;
  }

  #setResp(L: LuaState): number {
    const run = this.#run;
    if (run === undefined) {
      return raiseTable(L, "ERR redis.setresp can only be called inside a script invocation");
    }
    if (lua.lua_gettop(L) !== 1) return raiseTable(L, "ERR redis.setresp() requires one argument.");
    const resp = Math.trunc(lua.lua_tonumber(L, 1) as number);
    if (resp !== 2 && resp !== 3) return raiseTable(L, "ERR RESP version must be 2 or 3.");
    run.resp = resp;
    return 0;
  }

  #setRepl(L: LuaState): number {
    const run = this.#run;
    if (run === undefined) {
      return raiseTable(L, "ERR redis.set_repl can only be called inside a script invocation");
    }
    if (lua.lua_gettop(L) !== 1) {
      return raiseTable(L, "ERR redis.set_repl() requires two arguments.");
    }
    const flags = Math.trunc(lua.lua_tonumber(L, 1) as number);
    if ((flags & ~REPL_ALL) !== 0) {
      return raiseTable(
        L,
        "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
      );
    }
    run.host.setReplication(flags);
    return 0;
  }

  #registerFunction(L: LuaState): number {
    const registering = this.#registering;
    if (registering === undefined) {
      return raiseTable(
        L,
        "ERR redis.register_function can only be called on FUNCTION LOAD command",
      );
    }
    const argc = lua.lua_gettop(L);
    if (argc < 1 || argc > 2) {
      return raiseTable(L, "ERR wrong number of arguments to redis.register_function");
    }
    let name: string | undefined;
    let description: string | undefined;
    const flags: string[] = [];
    let hasCallback = false;
    if (argc === 2) {
      if (lua.lua_type(L, 1) !== lua.LUA_TSTRING && lua.lua_type(L, 1) !== lua.LUA_TNUMBER) {
        return raiseTable(L, "ERR first argument to redis.register_function must be a string");
      }
      name = toKacheString(L, 1)!;
      if (lua.lua_type(L, 2) !== lua.LUA_TFUNCTION) {
        return raiseTable(L, "ERR second argument to redis.register_function must be a function");
      }
      lua.lua_settop(L, 2);
      hasCallback = true;
    } else {
      if (lua.lua_type(L, 1) !== lua.LUA_TTABLE) {
        return raiseTable(
          L,
          "ERR calling redis.register_function with a single argument is only applicable to " +
            "Lua table (representing named arguments).",
        );
      }
      lua.lua_pushnil(L);
      while (lua.lua_next(L, 1) !== 0) {
        if (lua.lua_type(L, -2) !== lua.LUA_TSTRING) {
          return raiseTable(
            L,
            "ERR named argument key given to redis.register_function is not a string",
          );
        }
        const key = toKacheString(L, -2)!.toLowerCase();
        if (key === "function_name") {
          if (lua.lua_type(L, -1) !== lua.LUA_TSTRING && lua.lua_type(L, -1) !== lua.LUA_TNUMBER) {
            return raiseTable(
              L,
              "ERR function_name argument given to redis.register_function must be a string",
            );
          }
          name = toKacheString(L, -1)!;
        } else if (key === "description") {
          if (lua.lua_type(L, -1) !== lua.LUA_TSTRING && lua.lua_type(L, -1) !== lua.LUA_TNUMBER) {
            return raiseTable(
              L,
              "ERR description argument given to redis.register_function must be a string",
            );
          }
          description = toKacheString(L, -1)!;
        } else if (key === "callback") {
          if (lua.lua_type(L, -1) !== lua.LUA_TFUNCTION) {
            return raiseTable(
              L,
              "ERR callback argument given to redis.register_function must be a function",
            );
          }
          lua.lua_pushvalue(L, -1);
          lua.lua_insert(L, 2);
          hasCallback = true;
        } else if (key === "flags") {
          if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
            return raiseTable(
              L,
              "ERR flags argument to redis.register_function must be a table representing " +
                "function flags",
            );
          }
          const flagsTable = lua.lua_absindex(L, -1);
          for (let i = 1;; i++) {
            lua.lua_rawgeti(L, flagsTable, i);
            if (lua.lua_type(L, -1) === lua.LUA_TNIL) {
              lua.lua_pop(L, 1);
              break;
            }
            const flag = lua.lua_type(L, -1) === lua.LUA_TSTRING
              ? toKacheString(L, -1)!.toLowerCase()
              : "";
            lua.lua_pop(L, 1);
            if (!(SCRIPT_FLAGS as readonly string[]).includes(flag)) {
              return raiseTable(L, "ERR unknown flag given");
            }
            flags.push(flag);
          }
        } else {
          return raiseTable(L, "ERR unknown argument given to redis.register_function");
        }
        lua.lua_pop(L, 1);
      }
      if (name === undefined) {
        return raiseTable(L, "ERR redis.register_function must get a function name argument");
      }
      if (!hasCallback) {
        return raiseTable(L, "ERR redis.register_function must get a callback argument");
      }
      lua.lua_settop(L, 2);
    }
    if (!/^[A-Za-z0-9_]+$/.test(name)) {
      return raiseTable(
        L,
        "ERR Library names can only contain letters, numbers, or underscores(_) and must be at " +
          "least one character long",
      );
    }
    if (registering.some((f) => f.name === name)) {
      return raiseTable(L, "ERR Function already exists in the library");
    }
    const ref = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    registering.push({ name, description, flags, ref });
    return 0;
  }

  #mathRandom(L: LuaState): number {
    if (this.#run === undefined) {
      return raiseError(L, "math.random can only be called inside a script invocation");
    }
    const next = this.#random.next();
    const max = 2147483647;
    const r = (next % max) / max;
    switch (lua.lua_gettop(L)) {
      case 0:
        lua.lua_pushnumber(L, r);
        break;
      case 1: {
        const u = Math.trunc(lauxlib.luaL_checknumber(L, 1) as number);
        lauxlib.luaL_argcheck(L, 1 <= u, 1, literal("interval is empty"));
        lua.lua_pushnumber(L, Math.floor(r * u) + 1);
        break;
      }
      case 2: {
        const l = Math.trunc(lauxlib.luaL_checknumber(L, 1) as number);
        const u = Math.trunc(lauxlib.luaL_checknumber(L, 2) as number);
        lauxlib.luaL_argcheck(L, l <= u, 2, literal("interval is empty"));
        lua.lua_pushnumber(L, Math.floor(r * (u - l + 1)) + l);
        break;
      }
      default:
        return raiseError(L, "wrong number of arguments");
    }
    return 1;
  }
}

/**
 * One invocation of a compiled function, run in its own coroutine so it can
 * be paused by the instruction hook and resumed later.
 */
export class ScriptRun {
  readonly #vm: LuaVm;
  readonly #owned: { thread: LuaState; ref: number };
  readonly #thread: LuaState;
  #nargs: number;
  readonly #state: RunState;
  #finished = false;
  /** How errors name the script: its SHA1 for EVAL, the function name for FCALL. */
  readonly #name: string;
  /** The error without its location, once the run failed (FUNCTION LOAD reports it so). */
  errorMessage: string | undefined;

  constructor(
    vm: LuaVm,
    owned: { thread: LuaState; ref: number },
    nargs: number,
    state: RunState,
    name: string,
  ) {
    this.#vm = vm;
    this.#name = name;
    this.#owned = owned;
    this.#thread = owned.thread;
    this.#nargs = nargs;
    this.#state = state;
  }

  /** Runs until the script ends (its reply) or the host asks for a pause. */
  step(): StepResult {
    if (this.#finished) throw new Error("ScriptRun.step after the run finished");
    const thread = this.#thread;
    this.#vm.enter(this.#state, thread);
    let status: number;
    try {
      status = lua.lua_resume(thread, this.#vm.L, this.#nargs) as number;
    } finally {
      lua.lua_sethook(thread, null, 0, 0);
      this.#vm.leave();
    }
    this.#nargs = 0;
    if (status === lua.LUA_YIELD) return { done: false };
    this.#finished = true;
    let reply: Reply;
    if (status === lua.LUA_OK) {
      reply = this.#result();
      this.errorMessage = undefined;
    } else {
      // The dead coroutine's stack is full; read the error object on the main state.
      lua.lua_xmove(thread, this.#vm.L, 1);
      this.errorMessage = describeError(this.#vm.L);
      lua.lua_pop(this.#vm.L, 1);
      const where = errorLocation(thread);
      reply = error(
        where === undefined
          ? this.errorMessage
          : `${this.errorMessage} script: ${this.#name}, on ${where}.`,
      );
    }
    this.#vm.returnThread(this.#owned, status === lua.LUA_OK);
    return { done: true, reply };
  }

  #result(): Reply {
    const thread = this.#thread;
    if (lua.lua_gettop(thread) === 0) lua.lua_pushnil(thread);
    else lua.lua_settop(thread, 1);
    return popReply(thread, this.#state.resp);
  }
}

/**
 * Turns the error a dead coroutine holds into Redis's message: an error
 * table's `err` (from redis.call or error_reply) or `ERR <message>`, plus
 * where it happened, as Redis's `__redis__err__handler` and luaCallFunction
 * word it.
 */
function describeError(L: LuaState): string {
  const thread = L;
  let message: string;
  if (lua.lua_type(thread, -1) === lua.LUA_TTABLE) {
    lua.lua_getfield(thread, -1, literal("err"));
    message = lua.lua_type(thread, -1) === lua.LUA_TSTRING
      ? cString(toKacheString(thread, -1)!)
      : "ERR unknown error";
    lua.lua_pop(thread, 1);
  } else {
    const text = lua.lua_type(thread, -1) === lua.LUA_TSTRING ||
        lua.lua_type(thread, -1) === lua.LUA_TNUMBER
      ? toKacheString(thread, -1)!
      : lua.lua_type(thread, -1) === lua.LUA_TNIL
      ? "nil"
      : "execution failure";
    message = `ERR ${text}`;
  }
  return message;
}

/** `source:line` of the innermost Lua function on a dead coroutine's stack. */
function errorLocation(thread: LuaState): string | undefined {
  const ar = new lua.lua_Debug();
  // Level 0 is where the error was raised; a JS function (error, redis.call, or string.format
  // and the 5.3 original it wraps) defers to the Lua code that called it.
  for (let level = 0; level < 3; level++) {
    if (!lua.lua_getstack(thread, level, ar)) return undefined;
    lua.lua_getinfo(thread, literal("Sl"), ar);
    if ((ar.currentline as number) >= 0) {
      const source = ar.source === null ? "?" : Buffer.from(ar.source as Uint8Array).toString(
        "latin1",
      );
      return `${source}:${ar.currentline}`;
    }
  }
  return undefined;
}

function pushStringArray(L: LuaState, values: readonly string[]): void {
  lua.lua_createtable(L, values.length, 0);
  for (let i = 0; i < values.length; i++) {
    pushString(L, values[i]!);
    lua.lua_rawseti(L, -2, i + 1);
  }
}

/** Raises an error table `{err = message}`, as Redis's luaPushError + luaError. */
function raiseTable(L: LuaState, message: string): number {
  pushField(L, "err", message);
  return lua.lua_error(L);
}

/** SHA1 of a one-byte string, hex, as scripts are named. */
export function sha1hex(text: string): string {
  return createHash("sha1").update(Buffer.from(text, "latin1")).digest("hex");
}

function sha1hexFunction(L: LuaState): number {
  if (lua.lua_gettop(L) !== 1) return raiseTable(L, "ERR wrong number of arguments");
  const text = toKacheString(L, 1) ?? "";
  pushString(L, sha1hex(text));
  return 1;
}

function errorReply(L: LuaState): number {
  if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, -1) !== lua.LUA_TSTRING) {
    pushField(L, "err", "ERR wrong number or type of arguments");
    return 1;
  }
  const text = cString(toKacheString(L, 1)!);
  // luaPushErrorBuff: "-CODE msg" keeps its code; the trailing newline is trimmed.
  const raw = text.startsWith("-") ? text.slice(1) : text;
  const space = raw.indexOf(" ");
  const code = space === -1 ? "ERR" : raw.slice(0, space);
  const message = (space === -1 ? raw : raw.slice(space + 1)).replace(/^[\r\n]+|[\r\n]+$/g, "");
  pushField(L, "err", `${code} ${message}`);
  return 1;
}

function statusReply(L: LuaState): number {
  if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, -1) !== lua.LUA_TSTRING) {
    pushField(L, "err", "ERR wrong number or type of arguments");
    return 1;
  }
  pushField(L, "ok", toKacheString(L, 1)!);
  return 1;
}

function missingGlobal(L: LuaState): number {
  const name = toKacheString(L, 2) ?? "?";
  return raiseError(L, `Script attempted to access nonexistent global variable '${name}'`);
}

function readonlyTable(L: LuaState): number {
  return raiseError(L, "Attempt to modify a readonly table");
}
