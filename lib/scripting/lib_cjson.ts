/**
 * `cjson`, the JSON library Redis bundles (Lua CJSON 2.1 as Redis builds it):
 * numbers printed with 14 significant digits, `/` escaped as `\/`, empty
 * tables encoded as `{}`, sparse arrays refused past CJSON's ratio, bytes
 * ≥ 0x80 passed through, `cjson.null` for JSON null.
 *
 * @module
 */
import {
  formatG,
  lauxlib,
  literal,
  lua,
  type LuaState,
  pushString,
  raiseError,
  setFunctions,
  toKacheString,
} from "./fengari.ts";

/** The value `cjson.null` stands for: a light userdata all scripts compare equal to. */
const JSON_NULL = { cjsonNull: true };
/** CJSON's default nesting limit for both directions. */
const MAX_DEPTH = 1000;
/** encode_sparse_array defaults: ratio 2, safe 10. */
const SPARSE_RATIO = 2;
const SPARSE_SAFE = 10;

class JsonError extends Error {}

const ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: "\\\\",
  0x2f: "\\/",
  0x08: "\\b",
  0x0c: "\\f",
  0x0a: "\\n",
  0x0d: "\\r",
  0x09: "\\t",
};

function escapeString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const escape = ESCAPES[code];
    if (escape !== undefined) out += escape;
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += text[i];
  }
  return out + '"';
}

function encodeNumber(n: number): string {
  if (!Number.isFinite(n)) throw new JsonError("Cannot serialise number: must not be NaN or Inf");
  return formatG(n, 14);
}

/** CJSON's lua_array_length: the array size, 0 for an empty table, -1 for an object. */
function arrayLength(L: LuaState, index: number): number {
  let max = 0;
  let items = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, index) !== 0) {
    if (lua.lua_type(L, -2) === lua.LUA_TNUMBER) {
      const k = lua.lua_tonumber(L, -2) as number;
      if (Math.floor(k) === k && k >= 1) {
        if (k > max) max = k;
        items++;
        lua.lua_pop(L, 1);
        continue;
      }
    }
    lua.lua_pop(L, 2);
    return -1;
  }
  if (max > items * SPARSE_RATIO && max > SPARSE_SAFE) {
    throw new JsonError("Cannot serialise table: excessively sparse array");
  }
  return max;
}

function encodeValue(L: LuaState, index: number, depth: number): string {
  switch (lua.lua_type(L, index)) {
    case lua.LUA_TSTRING:
      return escapeString(toKacheString(L, index)!);
    case lua.LUA_TNUMBER:
      return encodeNumber(lua.lua_tonumber(L, index) as number);
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, index) ? "true" : "false";
    case lua.LUA_TNIL:
      return "null";
    case lua.LUA_TLIGHTUSERDATA:
      if (lua.lua_touserdata(L, index) === JSON_NULL) return "null";
      break;
    case lua.LUA_TTABLE:
      return encodeTable(L, lua.lua_absindex(L, index), depth + 1);
  }
  throw new JsonError(`Cannot serialise ${typeName(L, index)}: type not supported`);
}

function typeName(L: LuaState, index: number): string {
  return new TextDecoder().decode(lua.lua_typename(L, lua.lua_type(L, index)) as Uint8Array);
}

function encodeTable(L: LuaState, index: number, depth: number): string {
  if (depth > MAX_DEPTH) throw new JsonError(`Cannot serialise, excessive nesting (${depth})`);
  if (!lua.lua_checkstack(L, 3)) throw new JsonError("Cannot serialise, stack exhausted");
  const length = arrayLength(L, index);
  if (length > 0) {
    const parts: string[] = [];
    for (let i = 1; i <= length; i++) {
      lua.lua_rawgeti(L, index, i);
      parts.push(encodeValue(L, -1, depth));
      lua.lua_pop(L, 1);
    }
    return `[${parts.join(",")}]`;
  }
  const parts: string[] = [];
  lua.lua_pushnil(L);
  while (lua.lua_next(L, index) !== 0) {
    const keyType = lua.lua_type(L, -2);
    let key: string;
    if (keyType === lua.LUA_TSTRING) key = escapeString(toKacheString(L, -2)!);
    else if (keyType === lua.LUA_TNUMBER) {
      key = `"${encodeNumber(lua.lua_tonumber(L, -2) as number)}"`;
    } else {
      lua.lua_pop(L, 2);
      throw new JsonError("Cannot serialise table: table key must be a number or string");
    }
    parts.push(`${key}:${encodeValue(L, -1, depth)}`);
    lua.lua_pop(L, 1);
  }
  return `{${parts.join(",")}}`;
}

function encode(L: LuaState): number {
  if (lua.lua_gettop(L) !== 1) {
    return lauxlib.luaL_argerror(L, 1, literal("expected 1 argument"));
  }
  let text: string;
  try {
    text = encodeValue(L, 1, 0);
  } catch (cause) {
    if (!(cause instanceof JsonError)) throw cause;
    return raiseError(L, cause.message);
  }
  pushString(L, text);
  return 1;
}

/** A JSON decoder over a one-byte string that builds Lua values as it goes. */
class Decoder {
  #pos = 0;
  readonly #text: string;
  readonly #L: LuaState;

  constructor(L: LuaState, text: string) {
    this.#L = L;
    this.#text = text;
  }

  decode(): void {
    this.#value(0);
    this.#skipSpace();
    if (this.#pos < this.#text.length) this.#fail("the end");
  }

  /** CJSON's error: what it expected, the token it found instead, and where that token starts. */
  #fail(expected: string, found = this.#token()): never {
    throw new JsonError(
      `Expected ${expected} but found ${found} at character ${this.#pos + 1}`,
    );
  }

  /** The name CJSON gives the token starting at the current position. */
  #token(): string {
    const text = this.#text;
    const c = text[this.#pos];
    if (c === undefined) return "T_END";
    const names: Record<string, string> = {
      "{": "T_OBJ_BEGIN",
      "}": "T_OBJ_END",
      "[": "T_ARR_BEGIN",
      "]": "T_ARR_END",
      ",": "T_COMMA",
      ":": "T_COLON",
      '"': "T_STRING",
    };
    const name = names[c];
    if (name !== undefined) return name;
    if (c === "-" || (c >= "0" && c <= "9")) return "T_NUMBER";
    if (text.startsWith("true", this.#pos) || text.startsWith("false", this.#pos)) {
      return "T_BOOLEAN";
    }
    if (text.startsWith("null", this.#pos)) return "T_NULL";
    return "invalid token";
  }

  #skipSpace(): void {
    const text = this.#text;
    while (this.#pos < text.length && " \t\n\r".includes(text[this.#pos]!)) this.#pos++;
  }

  #value(depth: number): void {
    const L = this.#L;
    this.#skipSpace();
    const text = this.#text;
    const c = text[this.#pos];
    if (c === undefined) this.#fail("value");
    if (c === "{") return this.#object(depth + 1);
    if (c === "[") return this.#array(depth + 1);
    if (c === '"') {
      pushString(L, this.#string());
      return;
    }
    if (text.startsWith("true", this.#pos)) {
      this.#pos += 4;
      lua.lua_pushboolean(L, true);
      return;
    }
    if (text.startsWith("false", this.#pos)) {
      this.#pos += 5;
      lua.lua_pushboolean(L, false);
      return;
    }
    if (text.startsWith("null", this.#pos)) {
      this.#pos += 4;
      lua.lua_pushlightuserdata(L, JSON_NULL);
      return;
    }
    const match = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/.exec(
      text.slice(this.#pos, this.#pos + 400),
    );
    if (match === null || match[0] === "" || match[0] === "-") this.#fail("value");
    this.#pos += match[0].length;
    lua.lua_pushnumber(L, Number(match[0]));
  }

  #string(): string {
    const text = this.#text;
    // Errors inside a string point at the offending character (the escape's backslash).
    const fail = (found: string, at = this.#pos): never => {
      this.#pos = at;
      return this.#fail("value", found);
    };
    let out = "";
    this.#pos++;
    for (;;) {
      const c = text[this.#pos];
      if (c === undefined) fail("unexpected end of string");
      this.#pos++;
      if (c === '"') return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const backslash = this.#pos - 1;
      const e = text[this.#pos++];
      switch (e) {
        case '"':
        case "\\":
        case "/":
          out += e;
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "u": {
          let code = parseInt(text.slice(this.#pos, this.#pos + 4), 16);
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(this.#pos, this.#pos + 4))) {
            fail("invalid unicode escape code", backslash);
          }
          this.#pos += 4;
          if (code >= 0xd800 && code <= 0xdbff && text.startsWith("\\u", this.#pos)) {
            const low = parseInt(text.slice(this.#pos + 2, this.#pos + 6), 16);
            if (low >= 0xdc00 && low <= 0xdfff) {
              code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
              this.#pos += 6;
            }
          }
          // JSON text is UTF-8: the code point becomes its UTF-8 bytes.
          for (const byte of new TextEncoder().encode(String.fromCodePoint(code))) {
            out += String.fromCharCode(byte);
          }
          break;
        }
        default:
          fail("invalid escape code", backslash);
      }
    }
  }

  #checkDepth(depth: number): void {
    if (depth > MAX_DEPTH) {
      throw new JsonError(
        `Found too many nested data structures (${depth}) at character ${this.#pos + 1}`,
      );
    }
    if (!lua.lua_checkstack(this.#L, 3)) throw new JsonError("stack exhausted");
  }

  #array(depth: number): void {
    this.#checkDepth(depth);
    const L = this.#L;
    this.#pos++;
    lua.lua_newtable(L);
    this.#skipSpace();
    if (this.#text[this.#pos] === "]") {
      this.#pos++;
      return;
    }
    for (let i = 1;; i++) {
      this.#value(depth);
      lua.lua_rawseti(L, -2, i);
      this.#skipSpace();
      const c = this.#text[this.#pos];
      if (c !== "]" && c !== ",") this.#fail("comma or array end");
      this.#pos++;
      if (c === "]") return;
    }
  }

  #object(depth: number): void {
    this.#checkDepth(depth);
    const L = this.#L;
    this.#pos++;
    lua.lua_newtable(L);
    this.#skipSpace();
    if (this.#text[this.#pos] === "}") {
      this.#pos++;
      return;
    }
    for (;;) {
      this.#skipSpace();
      if (this.#text[this.#pos] !== '"') this.#fail("object key string");
      pushString(L, this.#string());
      this.#skipSpace();
      if (this.#text[this.#pos] !== ":") this.#fail("colon");
      this.#pos++;
      this.#value(depth);
      lua.lua_rawset(L, -3);
      this.#skipSpace();
      const c = this.#text[this.#pos];
      if (c !== "}" && c !== ",") this.#fail("comma or object end");
      this.#pos++;
      if (c === "}") return;
    }
  }
}

function decode(L: LuaState): number {
  if (lua.lua_gettop(L) !== 1) {
    return lauxlib.luaL_argerror(L, 1, literal("expected 1 argument"));
  }
  const text = toKacheString(L, 1);
  if (text === undefined) return lauxlib.luaL_argerror(L, 1, literal("expected string"));
  const top = lua.lua_gettop(L);
  try {
    new Decoder(L, text).decode();
  } catch (cause) {
    if (!(cause instanceof JsonError)) throw cause;
    lua.lua_settop(L, top);
    return raiseError(L, cause.message);
  }
  return 1;
}

/** Registers the global `cjson` table. */
export function openCjson(L: LuaState): void {
  lua.lua_newtable(L);
  setFunctions(L, { encode, decode });
  lua.lua_pushlightuserdata(L, JSON_NULL);
  lua.lua_setfield(L, -2, literal("null"));
  pushString(L, "2.1.0");
  lua.lua_setfield(L, -2, literal("_VERSION"));
  pushString(L, "cjson");
  lua.lua_setfield(L, -2, literal("_NAME"));
  lua.lua_setglobal(L, literal("cjson"));
}
