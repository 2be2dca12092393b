/**
 * Lua 5.1's `string.format` behaviour on top of fengari's 5.3 one. Lua 5.1
 * casts numbers for `%d %i %o %u %x %X` to C's `long` (so `%d` of 3.5 is
 * `3` and timestamps in milliseconds print whole), while 5.3 refuses
 * non-integral values and fengari's integers stop at 32 bits; `%s` and `%q`
 * of a number use 5.1's `%.14g` text. Those conversions are formatted here
 * and handed to the original as strings; everything else goes through as is.
 *
 * @module
 */
import {
  formatLuaNumber,
  lauxlib,
  lua,
  type LuaState,
  pushString,
  raiseError,
  toKacheString,
} from "./fengari.ts";

const SPEC = /%([-+ #0]*)([0-9]*)(?:\.([0-9]*))?([a-zA-Z%])/g;
const INTEGER_CONVERSIONS = "dioxXu";

/** C's printf of a `long long` for an integer conversion, with flags, width and precision. */
function formatInteger(
  value: bigint,
  flags: string,
  width: number,
  precision: number | undefined,
  conversion: string,
): string {
  const signed = conversion === "d" || conversion === "i";
  let magnitude = value;
  let sign = "";
  if (signed) {
    if (value < 0n) {
      sign = "-";
      magnitude = -value;
    } else if (flags.includes("+")) sign = "+";
    else if (flags.includes(" ")) sign = " ";
  } else if (value < 0n) {
    magnitude = BigInt.asUintN(64, value);
  }
  const base = conversion === "o" ? 8 : conversion === "x" || conversion === "X" ? 16 : 10;
  let digits = magnitude.toString(base);
  if (conversion === "X") digits = digits.toUpperCase();
  if (precision !== undefined) {
    digits = precision === 0 && magnitude === 0n ? "" : digits.padStart(precision, "0");
  }
  let prefix = sign;
  if (flags.includes("#") && magnitude !== 0n) {
    if (conversion === "o" && !digits.startsWith("0")) digits = "0" + digits;
    if (conversion === "x") prefix += "0x";
    if (conversion === "X") prefix += "0X";
  }
  const length = prefix.length + digits.length;
  if (length >= width) return prefix + digits;
  if (flags.includes("-")) return (prefix + digits).padEnd(width, " ");
  if (flags.includes("0") && precision === undefined) {
    return prefix + digits.padStart(width - prefix.length, "0");
  }
  return (prefix + digits).padStart(width, " ");
}

/** C's (long long) cast of a double (truncation toward zero). */
function toLong(n: number): bigint {
  if (!Number.isFinite(n)) return -(2n ** 63n);
  return BigInt.asIntN(64, BigInt(Math.trunc(n)));
}

/**
 * The wrapper: rewrites the format and arguments, then calls the original
 * `string.format` (upvalue 1).
 */
export function stringFormat(L: LuaState): number {
  const fmt = toKacheString(L, 1);
  if (fmt === undefined) {
    // Let the original report the bad argument in its own words.
    lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
    lua.lua_insert(L, 1);
    lua.lua_call(L, lua.lua_gettop(L) - 1, 1);
    return 1;
  }
  const top = lua.lua_gettop(L);
  let out = "";
  let last = 0;
  let arg = 2;
  SPEC.lastIndex = 0;
  const replaced: { index: number; text: string }[] = [];
  for (let match = SPEC.exec(fmt); match !== null; match = SPEC.exec(fmt)) {
    const [whole, flags, width, precision, conversion] = match;
    if (conversion === "%") continue;
    const index = arg++;
    if (index > top) continue;
    if (INTEGER_CONVERSIONS.includes(conversion!)) {
      // Raises "bad argument #n to 'format' (number expected, got …)" as Lua 5.1 does.
      const n = lauxlib.luaL_checknumber(L, index) as number;
      const text = formatInteger(
        toLong(n),
        flags!,
        width === "" ? 0 : Number(width),
        precision === undefined ? undefined : Number(precision === "" ? "0" : precision),
        conversion!,
      );
      out += fmt.slice(last, match.index) + "%s";
      last = match.index + whole!.length;
      replaced.push({ index, text });
    } else if (
      (conversion === "s" || conversion === "q") && lua.lua_type(L, index) === lua.LUA_TNUMBER
    ) {
      const n = lua.lua_tonumber(L, index) as number;
      replaced.push({ index, text: lua.lua_isinteger(L, index) ? String(n) : formatLuaNumber(n) });
    }
  }
  out += fmt.slice(last);
  lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
  pushString(L, out);
  for (let i = 2; i <= top; i++) {
    const replacement = replaced.find((r) => r.index === i);
    if (replacement !== undefined) pushString(L, replacement.text);
    else lua.lua_pushvalue(L, i);
  }
  lua.lua_call(L, top, 1);
  return 1;
}

/** fengari's longest string (its lengths are 32-bit). */
const MAX_STRING = 2 ** 31 - 1;

/**
 * Lua 5.1's `string.rep(s, n)`: no separator argument (a third one is
 * ignored), `n` truncated, and errors located at the calling script line.
 */
export function stringRep(L: LuaState): number {
  const text = lauxlib.luaL_checklstring(L, 1) as Uint8Array;
  const count = Math.trunc(lauxlib.luaL_checknumber(L, 2) as number);
  if (count <= 0 || text.length === 0) {
    pushString(L, "");
    return 1;
  }
  if (text.length * count > MAX_STRING) return raiseError(L, "resulting string too large");
  const out = new Uint8Array(text.length * count);
  for (let i = 0; i < count; i++) out.set(text, i * text.length);
  lua.lua_pushlstring(L, out, out.length);
  return 1;
}
