/**
 * `cmsgpack`, the MessagePack library Redis bundles (lua_cmsgpack.c):
 * `pack(...)` concatenates one encoding per argument, `unpack(s)` returns
 * every value in `s`, `unpack_one(s [, offset])` and `unpack_limit(s, n [, offset])`
 * return the offset to continue from first. Integral numbers encode as the
 * smallest integer type, others as float32 when exact, else float64; a table
 * whose keys are exactly 1..n is an array, any other a map; nesting deeper
 * than 16 encodes as nil, as the C library does.
 *
 * @module
 */
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

const MAX_NESTING = 16;

class Writer {
  bytes: number[] = [];
  byte(b: number): void {
    this.bytes.push(b & 0xff);
  }
  be(value: number, size: number): void {
    for (let i = size - 1; i >= 0; i--) this.bytes.push(Math.floor(value / 2 ** (8 * i)) & 0xff);
  }
  bigBe(value: bigint): void {
    for (let i = 7; i >= 0; i--) this.bytes.push(Number((value >> BigInt(8 * i)) & 0xffn));
  }
}

function encodeNumber(w: Writer, n: number): void {
  if (Number.isInteger(n) && Math.abs(n) < 2 ** 64) {
    if (n >= 0) {
      if (n <= 127) w.byte(n);
      else if (n <= 0xff) (w.byte(0xcc), w.byte(n));
      else if (n <= 0xffff) (w.byte(0xcd), w.be(n, 2));
      else if (n <= 0xffffffff) (w.byte(0xce), w.be(n, 4));
      else (w.byte(0xcf), w.bigBe(BigInt(n)));
    } else {
      if (n >= -32) w.byte(n);
      else if (n >= -128) (w.byte(0xd0), w.byte(n));
      else if (n >= -32768) (w.byte(0xd1), w.be(n & 0xffff, 2));
      else if (n >= -2147483648) (w.byte(0xd2), w.be(n >>> 0, 4));
      else (w.byte(0xd3), w.bigBe(BigInt.asUintN(64, BigInt(n))));
    }
    return;
  }
  const view = new DataView(new ArrayBuffer(8));
  if (Math.fround(n) === n || Number.isNaN(n)) {
    w.byte(0xca);
    view.setFloat32(0, n);
    for (let i = 0; i < 4; i++) w.byte(view.getUint8(i));
  } else {
    w.byte(0xcb);
    view.setFloat64(0, n);
    for (let i = 0; i < 8; i++) w.byte(view.getUint8(i));
  }
}

function encodeString(w: Writer, text: string): void {
  const length = text.length;
  if (length < 32) w.byte(0xa0 | length);
  else if (length <= 0xff) (w.byte(0xd9), w.byte(length));
  else if (length <= 0xffff) (w.byte(0xda), w.be(length, 2));
  else (w.byte(0xdb), w.be(length, 4));
  for (let i = 0; i < length; i++) w.byte(text.charCodeAt(i));
}

/** lua_cmsgpack's table_is_an_array: every key a positive integer, and as many as the largest. */
function arrayLength(L: LuaState, index: number): number {
  let count = 0;
  let max = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, index) !== 0) {
    lua.lua_pop(L, 1);
    if (lua.lua_type(L, -1) !== lua.LUA_TNUMBER) {
      lua.lua_pop(L, 1);
      return -1;
    }
    const k = lua.lua_tonumber(L, -1) as number;
    if (k <= 0 || Math.floor(k) !== k) {
      lua.lua_pop(L, 1);
      return -1;
    }
    if (k > max) max = k;
    count++;
  }
  return count === max ? max : -1;
}

function encodeValue(L: LuaState, w: Writer, index: number, level: number): void {
  const type = lua.lua_type(L, index);
  if (type === lua.LUA_TSTRING) encodeString(w, toKacheString(L, index)!);
  else if (type === lua.LUA_TBOOLEAN) w.byte(lua.lua_toboolean(L, index) ? 0xc3 : 0xc2);
  else if (type === lua.LUA_TNUMBER) encodeNumber(w, lua.lua_tonumber(L, index) as number);
  else if (type === lua.LUA_TTABLE && level < MAX_NESTING) {
    if (!lua.lua_checkstack(L, 3)) return raiseError(L, "stack overflow");
    const table = lua.lua_absindex(L, index);
    const length = arrayLength(L, table);
    if (length >= 0) {
      if (length <= 15) w.byte(0x90 | length);
      else if (length <= 0xffff) (w.byte(0xdc), w.be(length, 2));
      else (w.byte(0xdd), w.be(length, 4));
      for (let i = 1; i <= length; i++) {
        lua.lua_rawgeti(L, table, i);
        encodeValue(L, w, -1, level + 1);
        lua.lua_pop(L, 1);
      }
      return;
    }
    let count = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, table) !== 0) (lua.lua_pop(L, 1), count++);
    if (count <= 15) w.byte(0x80 | count);
    else if (count <= 0xffff) (w.byte(0xde), w.be(count, 2));
    else (w.byte(0xdf), w.be(count, 4));
    lua.lua_pushnil(L);
    while (lua.lua_next(L, table) !== 0) {
      encodeValue(L, w, -2, level + 1);
      encodeValue(L, w, -1, level + 1);
      lua.lua_pop(L, 1);
    }
  } else w.byte(0xc0);
}

function pack(L: LuaState): number {
  const argc = lua.lua_gettop(L);
  if (argc === 0) return lauxlib.luaL_argerror(L, 0, literal("MessagePack pack needs input."));
  const w = new Writer();
  for (let i = 1; i <= argc; i++) encodeValue(L, w, i, 0);
  pushString(L, bytesToText(w.bytes));
  return 1;
}

function bytesToText(bytes: readonly number[]): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.slice(i, i + 8192));
  }
  return text;
}

/** The input ended inside a value (lua_cmsgpack's MP_CUR_ERROR_EOF). */
class Truncated extends Error {}
/** A type byte lua_cmsgpack does not decode: bin, ext, reserved (MP_CUR_ERROR_BADFMT). */
class BadFormat extends Error {}

/** Decodes one value at `pos` of `text`, pushes it, and returns the position after it. */
function decodeValue(L: LuaState, text: string, pos: number): number {
  const need = (n: number) => {
    if (pos + n > text.length) throw new Truncated();
  };
  const uint = (n: number) => {
    need(n);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + text.charCodeAt(pos + i);
    pos += n;
    return v;
  };
  const bytes = (n: number) => {
    need(n);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = text.charCodeAt(pos + i);
    pos += n;
    return out;
  };
  const str = (n: number) => {
    need(n);
    pushString(L, text.slice(pos, pos + n));
    pos += n;
  };
  const array = (n: number) => {
    if (!lua.lua_checkstack(L, 2)) throw new Truncated();
    lua.lua_createtable(L, n, 0);
    for (let i = 1; i <= n; i++) {
      pos = decodeValue(L, text, pos);
      lua.lua_rawseti(L, -2, i);
    }
  };
  const map = (n: number) => {
    if (!lua.lua_checkstack(L, 3)) throw new Truncated();
    lua.lua_createtable(L, 0, n);
    for (let i = 0; i < n; i++) {
      pos = decodeValue(L, text, pos);
      pos = decodeValue(L, text, pos);
      lua.lua_settable(L, -3);
    }
  };
  need(1);
  const c = text.charCodeAt(pos++);
  if (c <= 0x7f) lua.lua_pushnumber(L, c);
  else if (c >= 0xe0) lua.lua_pushnumber(L, c - 256);
  else if ((c & 0xe0) === 0xa0) str(c & 0x1f);
  else if ((c & 0xf0) === 0x90) array(c & 0x0f);
  else if ((c & 0xf0) === 0x80) map(c & 0x0f);
  else {
    switch (c) {
      case 0xc0:
        lua.lua_pushnil(L);
        break;
      case 0xc2:
        lua.lua_pushboolean(L, false);
        break;
      case 0xc3:
        lua.lua_pushboolean(L, true);
        break;
      case 0xcc:
        lua.lua_pushnumber(L, uint(1));
        break;
      case 0xcd:
        lua.lua_pushnumber(L, uint(2));
        break;
      case 0xce:
        lua.lua_pushnumber(L, uint(4));
        break;
      case 0xcf:
        lua.lua_pushnumber(L, uint(8));
        break;
      case 0xd0:
        lua.lua_pushnumber(L, (uint(1) << 24) >> 24);
        break;
      case 0xd1:
        lua.lua_pushnumber(L, (uint(2) << 16) >> 16);
        break;
      case 0xd2:
        lua.lua_pushnumber(L, uint(4) | 0);
        break;
      case 0xd3: {
        const b = bytes(8);
        lua.lua_pushnumber(L, Number(new DataView(b.buffer).getBigInt64(0)));
        break;
      }
      case 0xca:
        lua.lua_pushnumber(L, new DataView(bytes(4).buffer).getFloat32(0));
        break;
      case 0xcb:
        lua.lua_pushnumber(L, new DataView(bytes(8).buffer).getFloat64(0));
        break;
      case 0xd9:
        str(uint(1));
        break;
      case 0xda:
        str(uint(2));
        break;
      case 0xdb:
        str(uint(4));
        break;
      case 0xdc:
        array(uint(2));
        break;
      case 0xdd:
        array(uint(4));
        break;
      case 0xde:
        map(uint(2));
        break;
      case 0xdf:
        map(uint(4));
        break;
      default:
        throw new BadFormat();
    }
  }
  return pos;
}

/** Decodes up to `limit` values (0 = all) from `offset`; pushes them and returns their count. */
function unpackValues(L: LuaState, text: string, offset: number, limit: number): [number, number] {
  let pos = offset;
  let count = 0;
  while (pos < text.length && (limit === 0 || count < limit)) {
    if (!lua.lua_checkstack(L, 1)) return raiseError(L, "too many values to unpack");
    const top = lua.lua_gettop(L);
    try {
      pos = decodeValue(L, text, pos);
    } catch (cause) {
      if (!(cause instanceof Truncated) && !(cause instanceof BadFormat)) throw cause;
      lua.lua_settop(L, top);
      return raiseError(
        L,
        cause instanceof Truncated ? "Missing bytes in input." : "Bad data format in input.",
      );
    }
    count++;
  }
  return [count, pos];
}

function unpack(L: LuaState): number {
  const text = toKacheString(L, 1);
  if (text === undefined) return raiseError(L, "MessagePack unpack needs a string.");
  return unpackValues(L, text, 0, 0)[0];
}

function unpackLimited(L: LuaState, limitIndex: number): number {
  const text = toKacheString(L, 1);
  if (text === undefined) return raiseError(L, "MessagePack unpack needs a string.");
  const limit = limitIndex === 0 ? 1 : Math.trunc(lua.lua_tonumber(L, limitIndex) as number);
  const offsetIndex = limitIndex === 0 ? 2 : 3;
  const offset = lua.lua_isnoneornil(L, offsetIndex)
    ? 0
    : Math.trunc(lua.lua_tonumber(L, offsetIndex) as number);
  if (offset < 0 || limit < 0) {
    return raiseError(
      L,
      `Invalid request to unpack with offset of ${offset} and limit of ${limit}.`,
    );
  }
  lua.lua_settop(L, 0);
  lua.lua_pushnumber(L, 0);
  const [count, pos] = unpackValues(L, text, offset, limit);
  // The next offset, or -1 when the input is used up (lua_cmsgpack's convention).
  lua.lua_pushnumber(L, pos >= text.length ? -1 : pos);
  lua.lua_replace(L, 1);
  return count + 1;
}

/** Registers the global `cmsgpack` table. */
export function openCmsgpack(L: LuaState): void {
  lua.lua_newtable(L);
  setFunctions(L, {
    pack,
    unpack,
    unpack_one: (state: LuaState) => unpackLimited(state, 0),
    unpack_limit: (state: LuaState) => unpackLimited(state, 2),
  });
  pushString(L, "lua-cmsgpack 0.4.0");
  lua.lua_setfield(L, -2, literal("_VERSION"));
  lua.lua_setglobal(L, literal("cmsgpack"));
}
