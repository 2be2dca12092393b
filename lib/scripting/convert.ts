/**
 * Redis's conversions between command replies and Lua values, both ways
 * (script_lua.c: `redisProtocolToLuaType` and `luaReplyToRedisReply`).
 *
 * Reply → Lua follows the protocol the script chose with `redis.setresp`:
 * under RESP2 a map arrives as a flat array and a null as `false`; under
 * RESP3 maps, sets, doubles, big numbers and verbatim strings arrive as the
 * one-field tables Redis documents. Lua → reply is the same whatever the
 * protocol, except booleans.
 *
 * @module
 */
import { formatDouble } from "../format.ts";
import {
  array,
  boolean,
  bulk,
  double,
  error,
  integer,
  map,
  NIL,
  ONE,
  type Reply,
  set,
  status,
} from "../reply.ts";
import { literal, lua, type LuaState, pushString, toKacheString } from "./fengari.ts";

/** Pushes a command's reply as the Lua value a script sees (redisProtocolToLuaType). */
export function pushReply(L: LuaState, reply: Reply, resp: 2 | 3): void {
  lauxCheckStack(L);
  switch (reply.kind) {
    case "status":
      pushField(L, "ok", reply.text);
      return;
    case "error":
      // redisProtocolToLuaType_Error also marks the table so Redis does not count the error
      // twice; scripts can see the field (pairs, cjson.encode). Set first: C Lua's pairs yields
      // it before `err`, and fengari's yields in insertion order.
      lua.lua_createtable(L, 0, 2);
      lua.lua_pushboolean(L, true);
      lua.lua_setfield(L, -2, literal("ignore_error_stats_update"));
      pushString(L, reply.message);
      lua.lua_setfield(L, -2, literal("err"));
      return;
    case "integer":
      lua.lua_pushnumber(L, Number(reply.value));
      return;
    case "bulk":
      pushString(L, reply.value);
      return;
    case "nil":
    case "nil-array":
      if (resp === 2) lua.lua_pushboolean(L, false);
      else lua.lua_pushnil(L);
      return;
    case "array":
    case "push":
      pushArray(L, reply.items, resp);
      return;
    case "set":
      if (resp === 2) {
        pushArray(L, reply.items, resp);
        return;
      }
      lua.lua_newtable(L);
      lua.lua_newtable(L);
      for (const item of reply.items) {
        pushReply(L, item, resp);
        lua.lua_pushboolean(L, true);
        lua.lua_rawset(L, -3);
      }
      lua.lua_setfield(L, -2, literal("set"));
      return;
    case "map":
      if (resp === 2) {
        pushArray(L, reply.entries.flat(), resp);
        return;
      }
      lua.lua_newtable(L);
      lua.lua_newtable(L);
      for (const [key, value] of reply.entries) {
        pushReply(L, key, resp);
        pushReply(L, value, resp);
        lua.lua_rawset(L, -3);
      }
      lua.lua_setfield(L, -2, literal("map"));
      return;
    case "double":
      if (resp === 2) {
        pushString(L, reply.text ?? formatDouble(reply.value));
        return;
      }
      lua.lua_newtable(L);
      lua.lua_pushnumber(L, reply.value);
      lua.lua_setfield(L, -2, literal("double"));
      return;
    case "boolean":
      if (resp === 2) lua.lua_pushnumber(L, reply.value ? 1 : 0);
      else lua.lua_pushboolean(L, reply.value);
      return;
    case "big-number":
      if (resp === 2) pushString(L, String(reply.value));
      else pushField(L, "big_number", String(reply.value));
      return;
    case "verbatim":
      if (resp === 2) {
        pushString(L, reply.value);
        return;
      }
      lua.lua_newtable(L);
      lua.lua_newtable(L);
      pushString(L, reply.format);
      lua.lua_setfield(L, -2, literal("format"));
      pushString(L, reply.value);
      lua.lua_setfield(L, -2, literal("string"));
      lua.lua_setfield(L, -2, literal("verbatim_string"));
      return;
  }
}

function lauxCheckStack(L: LuaState): void {
  // Deeply nested replies need stack room at every level, as Redis's lua_checkstack.
  if (!lua.lua_checkstack(L, 4)) throw new RangeError("Lua stack limit reached");
}

function pushArray(L: LuaState, items: readonly Reply[], resp: 2 | 3): void {
  lua.lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    pushReply(L, items[i]!, resp);
    lua.lua_rawseti(L, -2, i + 1);
  }
}

/** Pushes `{[field] = text}`, the shape of status and error replies in Lua. */
export function pushField(L: LuaState, field: string, text: string): void {
  lua.lua_createtable(L, 0, 1);
  pushString(L, text);
  lua.lua_setfield(L, -2, literal(field));
}

/**
 * Pops the value on top of the stack and converts it into the reply a client
 * gets (luaReplyToRedisReply). `resp` is the script's protocol, which decides
 * how booleans look.
 */
export function popReply(L: LuaState, resp: 2 | 3): Reply {
  const reply = toReply(L, -1, resp);
  lua.lua_pop(L, 1);
  return reply;
}

function toReply(L: LuaState, index: number, resp: 2 | 3): Reply {
  if (!lua.lua_checkstack(L, 4)) return error("ERR reached lua stack limit");
  const type = lua.lua_type(L, index);
  switch (type) {
    case lua.LUA_TSTRING:
      return bulk(toKacheString(L, index)!);
    case lua.LUA_TBOOLEAN: {
      const value = lua.lua_toboolean(L, index) as boolean;
      if (resp === 2) return value ? ONE : NIL;
      return boolean(value);
    }
    case lua.LUA_TNUMBER:
      return integer(truncateToInteger(lua.lua_tonumber(L, index) as number));
    case lua.LUA_TTABLE:
      return tableReply(L, lua.lua_absindex(L, index), resp);
    default:
      return NIL;
  }
}

/** C's `(long long)` cast of a double: truncation, saturating where C leaves it undefined. */
function truncateToInteger(value: number): number | bigint {
  if (Number.isNaN(value)) return -(2n ** 63n);
  const truncated = Math.trunc(value);
  if (Number.isSafeInteger(truncated)) return truncated;
  if (truncated >= 2 ** 63 || truncated < -(2 ** 63)) return -(2n ** 63n);
  return BigInt(truncated);
}

/** Redis reads these texts as C strings (lua_tostring + sdsnew): they end at the first NUL. */
export function cString(text: string): string {
  const nul = text.indexOf("\0");
  return nul === -1 ? text : text.slice(0, nul);
}

function fieldOfType(L: LuaState, table: number, name: string, type: number): boolean {
  lua.lua_pushstring(L, literal(name));
  lua.lua_rawget(L, table);
  if (lua.lua_type(L, -1) === type) return true;
  lua.lua_pop(L, 1);
  return false;
}

function tableReply(L: LuaState, table: number, resp: 2 | 3): Reply {
  if (fieldOfType(L, table, "err", lua.LUA_TSTRING)) {
    const message = cString(toKacheString(L, -1)!).replace(/[\r\n]/g, " ");
    lua.lua_pop(L, 1);
    return error(message);
  }
  if (fieldOfType(L, table, "ok", lua.LUA_TSTRING)) {
    const text = cString(toKacheString(L, -1)!).replace(/[\r\n]/g, " ");
    lua.lua_pop(L, 1);
    return status(text);
  }
  if (fieldOfType(L, table, "double", lua.LUA_TNUMBER)) {
    const value = lua.lua_tonumber(L, -1) as number;
    lua.lua_pop(L, 1);
    return double(value);
  }
  if (fieldOfType(L, table, "big_number", lua.LUA_TSTRING)) {
    const text = toKacheString(L, -1)!.replace(/[\r\n]/g, " ");
    lua.lua_pop(L, 1);
    // Kache's big-number reply holds a bigint; text that is not one goes out as a string.
    return /^-?[0-9]+$/.test(text) ? { kind: "big-number", value: BigInt(text) } : bulk(text);
  }
  if (fieldOfType(L, table, "verbatim_string", lua.LUA_TTABLE)) {
    const verbatimTable = lua.lua_absindex(L, -1);
    if (fieldOfType(L, verbatimTable, "format", lua.LUA_TSTRING)) {
      const format = toKacheString(L, -1)!;
      lua.lua_pop(L, 1);
      if (fieldOfType(L, verbatimTable, "string", lua.LUA_TSTRING)) {
        const text = toKacheString(L, -1)!;
        lua.lua_pop(L, 2);
        return { kind: "verbatim", format, value: text };
      }
    }
    lua.lua_pop(L, 1);
  }
  if (fieldOfType(L, table, "map", lua.LUA_TTABLE)) {
    const entries: [Reply, Reply][] = [];
    const mapTable = lua.lua_absindex(L, -1);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, mapTable) !== 0) {
      const value = toReply(L, -1, resp);
      const key = toReply(L, -2, resp);
      entries.push([key, value]);
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return map(entries);
  }
  if (fieldOfType(L, table, "set", lua.LUA_TTABLE)) {
    const members: Reply[] = [];
    const setTable = lua.lua_absindex(L, -1);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, setTable) !== 0) {
      members.push(toReply(L, -2, resp));
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return set(members);
  }
  const items: Reply[] = [];
  for (let i = 1;; i++) {
    lua.lua_rawgeti(L, table, i);
    if (lua.lua_type(L, -1) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    items.push(toReply(L, -1, resp));
    lua.lua_pop(L, 1);
  }
  return array(items);
}
