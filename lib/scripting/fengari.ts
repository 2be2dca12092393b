/**
 * The Lua engine: fengari (Lua 5.3 written in JavaScript), adjusted to behave
 * like the Lua 5.1 that Redis embeds where scripts can tell the difference.
 *
 * Why fengari: it is plain JavaScript, so `redis.call` is an ordinary
 * synchronous function call (no WebAssembly boundary, no async), Lua strings
 * are byte arrays (binary-safe like Kache's one-byte strings), and it has Lua's
 * debug hooks with instruction counts, which the script time limit needs.
 * docs/scripting.md has the measurements against wasmoon.
 *
 * Lua 5.1 has one number type, the double. Lua 5.3 adds integers, which in
 * fengari are 32-bit and wrap around, and prints integral floats as `3.0`.
 * Two patches to fengari's number conversions (module-wide, applied once on
 * import) make every numeral and every string converted to a number a float,
 * and print floats with 5.1's `%.14g`, so `tostring(3/1)` is `3`,
 * `2147483647 + 1` is `2147483648` and `1e15` prints as `1e+15`.
 *
 * @module
 */
// Vendored as one bundle (vendor/fengari/README.md): the server needs nothing from npm.
import { fengari, lobject, lstring, lvm } from "../../vendor/fengari/fengari.js";
import { bytesToString, stringToBytes } from "../bytes.ts";

export const lua = fengari.lua;
export const lauxlib = fengari.lauxlib;
export const lualib = fengari.lualib;

/** A Lua state (`lua_State*`); opaque to Kache. */
export type LuaState = object;

/** fengari's internal value cell, as far as the patches below touch it. */
interface TValue {
  ttisinteger(): boolean;
  value: number;
  setfltvalue(value: number): void;
  setsvalue(value: unknown): void;
}

const originalStr2num = lobject.luaO_str2num as (text: Uint8Array, out: TValue) => number;
const HEX_PREFIX = /^\s*[-+]?0[xX]/;

/** Numerals and string-to-number conversions give floats, as Lua 5.1's doubles. */
lobject.luaO_str2num = (text: Uint8Array, out: TValue): number => {
  const consumed = originalStr2num(text, out);
  if (consumed !== 0 && out.ttisinteger()) {
    const source = bytesToString(text);
    // fengari wraps hex integers to 32 bits; 5.1 reads 0xFFFFFFFF as 4294967295.
    out.setfltvalue(HEX_PREFIX.test(source) ? hexValue(source) : out.value);
  }
  return consumed;
};

function hexValue(source: string): number {
  const trimmed = source.trim();
  const negative = trimmed.startsWith("-");
  const digits = trimmed.replace(/^[-+]?0[xX]/, "");
  const value = parseInt(digits, 16);
  return negative ? -value : value;
}

const originalToNumber = lvm.tonumber as (value: TValue) => number | false;

/**
 * Library functions' integer arguments (luaL_checkinteger: string.sub,
 * string.char, table.insert…) truncate as 5.1's `(int)` cast instead of
 * refusing non-integral numbers ("number has no integer representation").
 * Only the C API goes through this export; table keys and the VM's own
 * conversions keep their exact rules.
 */
lvm.tointeger = (value: TValue): number | false => {
  if (value.ttisinteger()) return value.value;
  const n = originalToNumber(value);
  if (n === false) return false;
  const truncated = Math.trunc(n);
  return truncated >= -2147483648 && truncated <= 2147483647 ? truncated : false;
};

/** tostring() and `..` print numbers as Lua 5.1 does (`%.14g`). */
lobject.luaO_tostring = (L: LuaState, obj: TValue): void => {
  const text = obj.ttisinteger() ? String(obj.value) : formatLuaNumber(obj.value);
  obj.setsvalue(lstring.luaS_bless(L, stringToBytes(text)));
};

/**
 * C's `%.14g`, which Lua 5.1 uses for tostring(): 14 significant digits,
 * trailing zeros dropped, exponent form below 1e-4 and from 1e14, and glibc's
 * spellings of the non-finite values.
 */
export function formatLuaNumber(n: number): string {
  return formatG(n, 14);
}

/** C's `%.<precision>g` for a double, as glibc prints it. */
export function formatG(n: number, precision: number): string {
  if (Number.isNaN(n)) return "-nan";
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const exponential = n.toExponential(precision - 1);
  const e = exponential.indexOf("e");
  const exponent = Number(exponential.slice(e + 1));
  if (exponent < -4 || exponent >= precision) {
    const mantissa = stripZeros(exponential.slice(0, e));
    const sign = exponent < 0 ? "-" : "+";
    const digits = String(Math.abs(exponent)).padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  return stripZeros(n.toFixed(precision - 1 - exponent));
}

function stripZeros(text: string): string {
  if (!text.includes(".")) return text;
  return text.replace(/0+$/, "").replace(/\.$/, "");
}

/** Pushes a Kache one-byte string as a Lua string (byte for byte). */
export function pushString(L: LuaState, text: string): void {
  // lua_pushlstring would copy the fresh bytes once more: half the cost of a small EVALSHA's
  // KEYS and ARGV. The array is ours alone, so the Lua string may keep it.
  lobject.pushsvalue2s(L, lstring.luaS_bless(L, stringToBytes(text)));
}

/** The Lua string (or number, converted) at `index` as a one-byte string; undefined otherwise. */
export function toKacheString(L: LuaState, index: number): string | undefined {
  const bytes = lua.lua_tolstring(L, index) as Uint8Array | null;
  return bytes === null ? undefined : bytesToString(bytes);
}

const literals = new Map<string, Uint8Array>();

/** A JS string constant as a Lua string, encoded once. */
export function literal(text: string): Uint8Array {
  let bytes = literals.get(text);
  if (bytes === undefined) {
    bytes = stringToBytes(text);
    literals.set(text, bytes);
  }
  return bytes;
}

/**
 * Sets each of `functions` as a field of the table on top of the stack, in
 * order, as Lua 5.1's `luaL_register` does for a library table.
 */
export function setFunctions(
  L: LuaState,
  functions: Readonly<Record<string, (L: LuaState) => number>>,
): void {
  for (const [name, f] of Object.entries(functions)) {
    lua.lua_pushcfunction(L, f);
    lua.lua_setfield(L, -2, literal(name));
  }
}

/** Raises a Lua error with a string message; never returns. */
export function raiseError(L: LuaState, message: string): never {
  // luaL_error's position: where the calling Lua code is ("user_script:1: "), as Lua 5.1 does.
  lauxlib.luaL_where(L, 1);
  const where = toKacheString(L, -1) ?? "";
  lua.lua_pop(L, 1);
  pushString(L, where + message);
  lua.lua_error(L);
  throw new Error("unreachable: lua_error returned");
}

/**
 * Lua 5.1's `tostring`: fengari's own formats numbers through a path the patch
 * above cannot reach, so numbers are formatted here and everything else goes
 * to fengari's `luaL_tolstring` (metamethods, tables, booleans).
 */
export function tostring(L: LuaState): number {
  lauxlib.luaL_checkany(L, 1);
  if (lua.lua_type(L, 1) === lua.LUA_TNUMBER) {
    const n = lua.lua_tonumber(L, 1) as number;
    pushString(L, lua.lua_isinteger(L, 1) ? String(n) : formatLuaNumber(n));
  } else {
    lauxlib.luaL_tolstring(L, 1);
  }
  return 1;
}
