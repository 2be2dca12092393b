/**
 * `struct`, Roberto Ierusalimschy's binary packing library that Redis
 * bundles: `struct.pack(fmt, ...)`, `struct.unpack(fmt, s [, pos])` (values,
 * then the next position) and `struct.size(fmt)`. Formats: `<` `>` `=`
 * endianness (little is native here, as on x86), `!n` alignment, `x` pad
 * byte, `b`/`B` char, `h`/`H` short, `l`/`L` long (8 bytes), `T` size_t,
 * `i`/`I` int with optional size (default 4), `f` float, `d` double, `c[n]`
 * fixed string (`c0` takes its length from the previous value), `s` zero-
 * terminated string, spaces ignored.
 *
 * @module
 */
import { stringToBytes } from "../bytes.ts";
import {
  lauxlib,
  literal,
  lua,
  type LuaState,
  pushString,
  raiseError,
  setFunctions,
  toKacheString,
} from "./fengari.ts";

interface Header {
  little: boolean;
  align: number;
}

const MAXINTSIZE = 32;

function optSize(fmt: string, at: { i: number }, fallback: number): number {
  const match = /^[0-9]+/.exec(fmt.slice(at.i));
  if (match === null) return fallback;
  at.i += match[0].length;
  return Number(match[0]);
}

/** Size of the item for format char `c`, or -1 for variable-size items. */
function itemSize(L: LuaState, c: string, fmt: string, at: { i: number }): number {
  switch (c) {
    case "b":
    case "B":
    case "x":
      return 1;
    case "h":
    case "H":
      return 2;
    case "l":
    case "L":
    case "T":
      return 8;
    case "f":
      return 4;
    case "d":
      return 8;
    case "c":
      return optSize(fmt, at, 1);
    case "i":
    case "I": {
      const size = optSize(fmt, at, 4);
      if (size > MAXINTSIZE) {
        raiseError(L, `integral size ${size} is larger than limit of ${MAXINTSIZE}`);
      }
      return size;
    }
    default:
      return 0;
  }
}

function alignment(size: number, pos: number, h: Header, c: string): number {
  let align = size;
  if (c === "c" || c === "s" || align <= 1) return 0;
  if (align > h.align) align = h.align;
  if ((align & (align - 1)) !== 0) return 0;
  return (align - (pos & (align - 1))) & (align - 1);
}

function controlOption(L: LuaState, c: string, fmt: string, at: { i: number }, h: Header): boolean {
  switch (c) {
    case " ":
      return true;
    case ">":
      h.little = false;
      return true;
    case "<":
    case "=":
      h.little = true;
      return true;
    case "!": {
      const a = optSize(fmt, at, 8);
      if ((a & (a - 1)) !== 0) raiseError(L, `alignment ${a} is not a power of 2`);
      h.align = a;
      return true;
    }
    default:
      return false;
  }
}

function packInteger(out: number[], value: number, little: boolean, size: number): void {
  let v = BigInt.asUintN(size * 8, BigInt(Math.trunc(value)));
  const bytes: number[] = [];
  for (let i = 0; i < size; i++) {
    bytes.push(Number(v & 0xffn));
    v >>= 8n;
  }
  if (!little) bytes.reverse();
  out.push(...bytes);
}

function pack(L: LuaState): number {
  const fmt = toKacheString(L, 1);
  if (fmt === undefined) return lauxlib.luaL_argerror(L, 1, literal("string expected"));
  const h: Header = { little: true, align: 1 };
  const out: number[] = [];
  let arg = 2;
  const at = { i: 0 };
  while (at.i < fmt.length) {
    const c = fmt[at.i++]!;
    if (controlOption(L, c, fmt, at, h)) continue;
    const size = itemSize(L, c, fmt, at);
    const pad = alignment(size, out.length, h, c);
    for (let p = 0; p < pad; p++) out.push(0);
    switch (c) {
      case "b":
      case "B":
      case "h":
      case "H":
      case "l":
      case "L":
      case "T":
      case "i":
      case "I":
        packInteger(out, lauxlib.luaL_checknumber(L, arg++) as number, h.little, size);
        break;
      case "x":
        out.push(0);
        break;
      case "f":
      case "d": {
        const view = new DataView(new ArrayBuffer(size));
        const n = lauxlib.luaL_checknumber(L, arg++) as number;
        if (size === 4) view.setFloat32(0, n, h.little);
        else view.setFloat64(0, n, h.little);
        for (let i = 0; i < size; i++) out.push(view.getUint8(i));
        break;
      }
      case "c":
      case "s": {
        const text = toKacheString(L, arg);
        if (text === undefined) return lauxlib.luaL_argerror(L, arg, literal("string expected"));
        arg++;
        let length = text.length;
        if (c === "c") {
          if (size === 0) length = text.length;
          else if (text.length < size) {
            return lauxlib.luaL_argerror(L, arg - 1, literal("string too short"));
          } else length = size;
        }
        for (let i = 0; i < length; i++) out.push(text.charCodeAt(i));
        if (c === "s") out.push(0);
        break;
      }
      default:
        return lauxlib.luaL_argerror(L, 1, stringToBytes(`invalid format option '${c}'`));
    }
  }
  let text = "";
  for (let i = 0; i < out.length; i += 8192) {
    text += String.fromCharCode(...out.slice(i, i + 8192));
  }
  pushString(L, text);
  return 1;
}

function unpackInteger(
  data: string,
  pos: number,
  little: boolean,
  size: number,
  signed: boolean,
): number {
  let v = 0n;
  for (let i = 0; i < size; i++) {
    const byte = BigInt(data.charCodeAt(little ? pos + size - 1 - i : pos + i));
    v = (v << 8n) | byte;
  }
  return Number(signed ? BigInt.asIntN(size * 8, v) : v);
}

function unpack(L: LuaState): number {
  const fmt = toKacheString(L, 1);
  const data = toKacheString(L, 2);
  if (fmt === undefined) return lauxlib.luaL_argerror(L, 1, literal("string expected"));
  if (data === undefined) return lauxlib.luaL_argerror(L, 2, literal("string expected"));
  let pos = lua.lua_isnoneornil(L, 3) ? 0 : Math.trunc(lua.lua_tonumber(L, 3) as number) - 1;
  if (pos < 0) return lauxlib.luaL_argerror(L, 3, literal("offset must be 1 or greater"));
  const h: Header = { little: true, align: 1 };
  const at = { i: 0 };
  let results = 0;
  lua.lua_settop(L, 2);
  while (at.i < fmt.length) {
    const c = fmt[at.i++]!;
    if (controlOption(L, c, fmt, at, h)) continue;
    const size = itemSize(L, c, fmt, at);
    pos += alignment(size, pos, h, c);
    if (size > data.length - pos && c !== "s") {
      return lauxlib.luaL_argerror(L, 2, literal("data string too short"));
    }
    lauxlib.luaL_checkstack(L, 2, literal("too many results"));
    switch (c) {
      case "b":
      case "B":
      case "h":
      case "H":
      case "l":
      case "L":
      case "T":
      case "i":
      case "I": {
        const signed = c === c.toLowerCase() && c !== "T";
        lua.lua_pushnumber(L, unpackInteger(data, pos, h.little, size, signed));
        results++;
        break;
      }
      case "x":
        break;
      case "f":
      case "d": {
        const view = new DataView(new ArrayBuffer(size));
        for (let i = 0; i < size; i++) view.setUint8(i, data.charCodeAt(pos + i));
        lua.lua_pushnumber(
          L,
          size === 4 ? view.getFloat32(0, h.little) : view.getFloat64(0, h.little),
        );
        results++;
        break;
      }
      case "c": {
        let length = size;
        if (length === 0) {
          if (results === 0 || lua.lua_type(L, -1) !== lua.LUA_TNUMBER) {
            return raiseError(L, "format 'c0' needs a previous size");
          }
          length = Math.trunc(lua.lua_tonumber(L, -1) as number);
          lua.lua_pop(L, 1);
          results--;
          if (length > data.length - pos) {
            return lauxlib.luaL_argerror(L, 2, literal("data string too short"));
          }
        }
        pushString(L, data.slice(pos, pos + length));
        pos += length;
        results++;
        continue;
      }
      case "s": {
        const end = data.indexOf("\0", pos);
        if (end === -1) return raiseError(L, "unfinished string in data");
        pushString(L, data.slice(pos, end));
        pos = end + 1;
        results++;
        continue;
      }
      default:
        return lauxlib.luaL_argerror(L, 1, stringToBytes(`invalid format option '${c}'`));
    }
    pos += size;
  }
  lua.lua_pushnumber(L, pos + 1);
  return results + 1;
}

function size(L: LuaState): number {
  const fmt = toKacheString(L, 1);
  if (fmt === undefined) return lauxlib.luaL_argerror(L, 1, literal("string expected"));
  const h: Header = { little: true, align: 1 };
  const at = { i: 0 };
  let pos = 0;
  while (at.i < fmt.length) {
    const c = fmt[at.i++]!;
    if (controlOption(L, c, fmt, at, h)) continue;
    const itemBytes = itemSize(L, c, fmt, at);
    if (c === "s") return lauxlib.luaL_argerror(L, 1, literal("options 's' has no fixed size"));
    if (c === "c" && itemBytes === 0) {
      return lauxlib.luaL_argerror(L, 1, literal("option 'c0' has no fixed size"));
    }
    if (!"bBhHlLTiIfdcx".includes(c)) {
      return lauxlib.luaL_argerror(L, 1, stringToBytes(`invalid format option '${c}'`));
    }
    pos += alignment(itemBytes, pos, h, c) + itemBytes;
  }
  lua.lua_pushnumber(L, pos);
  return 1;
}

/** Registers the global `struct` table. */
export function openStruct(L: LuaState): void {
  lua.lua_newtable(L);
  setFunctions(L, { pack, unpack, size });
  lua.lua_setglobal(L, literal("struct"));
}
