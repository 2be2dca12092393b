/**
 * The server's scripting state: the EVAL script cache (SHA1 → body, compiled
 * once into the eval interpreter), the function libraries (FUNCTION LOAD,
 * compiled into a second interpreter, as Redis keeps two Lua states), and the
 * script running now, which SCRIPT KILL / FUNCTION KILL and the busy check
 * look at. Pure: the clock and the log are given.
 *
 * @module
 */
import { splitArgs } from "../split_args.ts";
import { error, type Reply } from "../reply.ts";
import {
  Lrand48,
  LuaVm,
  type LuaVm as LuaVmType,
  type RegisteredFunction,
  sha1hex,
} from "./lua_vm.ts";

export { sha1hex };

/** The host of a library body run by FUNCTION LOAD: libraries may not run commands then. */
export const LOAD_HOST = {
  call: (): Reply => error("ERR redis.call/pcall can only be called inside a script invocation"),
  knowsCommand: () => false,
  setReplication() {},
  interrupt: () => "continue" as const,
};

/** One cached EVAL script. */
export interface CachedScript {
  readonly body: string;
  readonly ref: number;
  /** Flags from a `#!lua flags=…` shebang; undefined for scripts without one (eval compat mode). */
  readonly flags: readonly string[] | undefined;
}

/** One function library loaded with FUNCTION LOAD. */
export interface FunctionLibrary {
  readonly name: string;
  readonly engine: "LUA";
  readonly code: string;
  readonly functions: ReadonlyMap<string, RegisteredFunction>;
}

/** What the running script is, for SCRIPT KILL, FUNCTION STATS and -BUSY. */
export interface RunningScript {
  /** EVAL scripts are killed with SCRIPT KILL, functions with FUNCTION KILL. */
  readonly kind: "eval" | "function";
  readonly name: string;
  readonly command: readonly string[];
  readonly startedAt: number;
  /** A script that wrote cannot be killed (its effects would be half-applied). */
  wrote: boolean;
  killRequested: boolean;
}

export interface ScriptingOptions {
  readonly random?: Lrand48;
  /** redis.log: level (0 debug … 3 warning) and text. */
  log(level: number, text: string): void;
  /** Monotonic milliseconds, for busy-reply-threshold. */
  now(): number;
}

export class Scripting {
  readonly #options: ScriptingOptions;
  #evalVm: LuaVmType;
  #functionVm: LuaVmType;
  readonly scripts = new Map<string, CachedScript>();
  readonly libraries = new Map<string, FunctionLibrary>();
  /** Function name → its library, for FCALL. */
  readonly #functionLibrary = new Map<string, FunctionLibrary>();
  running: RunningScript | undefined;

  constructor(options: ScriptingOptions) {
    this.#options = { ...options, random: new Lrand48() };
    this.#evalVm = new LuaVm("eval", this.#options);
    this.#functionVm = new LuaVm("function", this.#options);
  }

  get evalVm(): LuaVmType {
    return this.#evalVm;
  }

  get functionVm(): LuaVmType {
    return this.#functionVm;
  }

  now(): number {
    return this.#options.now();
  }

  /**
   * Compiles and caches a script (SCRIPT LOAD, EVAL); returns its SHA1, or
   * the error text Redis sends.
   */
  loadScript(body: string): { sha: string } | { error: string } {
    const sha = sha1hex(body);
    if (this.scripts.has(sha)) return { sha };
    const shebang = parseShebang(body);
    if ("error" in shebang) return { error: shebang.error };
    // The shebang line is blanked, not removed, so line numbers stay the user's.
    const source = shebang.flags === undefined ? body : body.slice(shebang.length);
    const ref = this.#evalVm.compile(source, "@user_script");
    if (typeof ref === "string") {
      return { error: `ERR Error compiling script (new function): ${lua51Message(ref)}` };
    }
    this.scripts.set(sha, { body, ref, flags: shebang.flags });
    return { sha };
  }

  /** SCRIPT FLUSH: a new interpreter, so nothing of the old scripts survives. */
  flushScripts(): void {
    this.scripts.clear();
    this.#evalVm = new LuaVm("eval", this.#options);
  }

  /** Functions across all libraries, INFO's number_of_functions. */
  get functionCount(): number {
    return this.#functionLibrary.size;
  }

  functionNamed(name: string): { library: FunctionLibrary; fn: RegisteredFunction } | undefined {
    const library = this.#functionLibrary.get(name);
    const fn = library?.functions.get(name);
    return library === undefined || fn === undefined ? undefined : { library, fn };
  }

  /**
   * FUNCTION LOAD: parses the `#!lua name=<lib>` header, runs the code so it
   * registers its functions, and installs the library. Returns the library
   * name or Redis's error text.
   */
  loadLibrary(
    code: string,
    replace: boolean,
    host: Parameters<LuaVmType["loadLibrary"]>[1],
  ): { name: string } | { error: string } {
    const header = parseLibraryHeader(code);
    if ("error" in header) return { error: `ERR ${header.error}` };
    const existing = this.libraries.get(header.name);
    if (existing !== undefined && !replace) {
      return { error: `ERR Library '${header.name}' already exists` };
    }
    const ref = this.#functionVm.compile(code.slice(header.length), "@user_function");
    if (typeof ref === "string") {
      return { error: `ERR Error compiling function: ${lua51Message(ref)}` };
    }
    const registered = this.#functionVm.loadLibrary(ref, host);
    this.#functionVm.release(ref);
    if (typeof registered === "string") {
      return { error: `ERR Error registering functions: ${registered}` };
    }
    const release = () => {
      for (const f of registered) this.#functionVm.release(f.ref);
    };
    if (registered.length === 0) {
      release();
      return { error: "ERR No functions registered" };
    }
    for (const f of registered) {
      const owner = this.#functionLibrary.get(f.name);
      if (owner !== undefined && owner.name !== header.name) {
        release();
        return { error: `ERR Function ${f.name} already exists` };
      }
    }
    if (existing !== undefined) this.deleteLibrary(existing.name);
    const library: FunctionLibrary = {
      name: header.name,
      engine: "LUA",
      code,
      functions: new Map(registered.map((f) => [f.name, f])),
    };
    this.libraries.set(library.name, library);
    for (const f of registered) this.#functionLibrary.set(f.name, library);
    return { name: library.name };
  }

  /** Installs a library from a snapshot (replacing one of the same name); returns any error. */
  restoreLibrary(code: string): string | undefined {
    const loaded = this.loadLibrary(code, true, LOAD_HOST);
    return "error" in loaded ? loaded.error : undefined;
  }

  deleteLibrary(name: string): boolean {
    const library = this.libraries.get(name);
    if (library === undefined) return false;
    for (const f of library.functions.values()) {
      this.#functionLibrary.delete(f.name);
      this.#functionVm.release(f.ref);
    }
    this.libraries.delete(name);
    return true;
  }

  flushFunctions(): void {
    this.libraries.clear();
    this.#functionLibrary.clear();
    this.#functionVm = new LuaVm("function", this.#options);
  }
}

/** Lua 5.1 quotes tokens in syntax errors (`near '<eof>'`); 5.3 does not for <eof>. */
function lua51Message(message: string): string {
  return message.replace(/near <eof>$/, "near '<eof>'");
}

const SCRIPT_FLAG_NAMES = new Set([
  "no-writes",
  "allow-oom",
  "allow-stale",
  "no-cluster",
  "allow-cross-slot-keys",
]);

/**
 * evalExtractShebangFlags: `#!lua flags=a,b` on the first line. Returns the
 * flags (undefined without a shebang) and how many bytes the line takes.
 */
export function parseShebang(
  body: string,
): { flags: readonly string[] | undefined; length: number } | { error: string } {
  if (!body.startsWith("#!")) return { flags: undefined, length: 0 };
  const end = body.indexOf("\n");
  if (end === -1) return { error: "ERR Invalid script shebang" };
  const parts = splitArgs(body.slice(0, end));
  if (parts === undefined || parts.length === 0) {
    return { error: "ERR Invalid engine in script shebang" };
  }
  if (parts[0] !== "#!lua") {
    return { error: `ERR Unexpected engine in script shebang: ${parts[0]}` };
  }
  const flags: string[] = [];
  for (const part of parts.slice(1)) {
    if (!part.startsWith("flags=")) {
      return { error: `ERR Unknown lua shebang option: ${part}` };
    }
    const list = part.slice(6);
    // sdssplitlen: nothing after "flags=" is no flags; "a,,b" has an empty one.
    for (const flag of list === "" ? [] : list.split(",")) {
      if (!SCRIPT_FLAG_NAMES.has(flag)) {
        return { error: `ERR Unexpected flag in script shebang: ${flag}` };
      }
      flags.push(flag);
    }
  }
  return { flags, length: end };
}

/** functionExtractLibMetaData: the `#!lua name=<lib>` first line of a library. */
function parseLibraryHeader(code: string): { name: string; length: number } | { error: string } {
  if (!code.startsWith("#!")) return { error: "Missing library metadata" };
  const end = code.indexOf("\n");
  if (end === -1) return { error: "Invalid library metadata" };
  const parts = code.slice(2, end).split(" ").filter((part) => part !== "");
  const engine = parts[0];
  if (engine === undefined) return { error: "Invalid library metadata" };
  let name: string | undefined;
  for (const part of parts.slice(1)) {
    if (!part.startsWith("name=")) return { error: `Invalid metadata value given: ${part}` };
    if (name !== undefined) {
      return { error: "Invalid metadata value, name argument was given multiple times" };
    }
    name = part.slice(5);
  }
  if (name === undefined) return { error: "Library name was not given" };
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    return {
      error:
        "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
    };
  }
  if (engine.toLowerCase() !== "lua") return { error: `Engine '${engine}' not found` };
  return { name, length: end };
}
