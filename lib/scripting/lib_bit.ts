/**
 * LuaBitOp (`bit`), the bit library Redis bundles: 32-bit operations on
 * Lua numbers, results as signed 32-bit numbers, `tohex` as LuaBitOp 1.0.2.
 *
 * @module
 */
import { lauxlib, literal, lua, type LuaState, pushString } from "./fengari.ts";

/** LuaBitOp's normalisation: round to an integer, keep the low 32 bits, signed. */
function toBit(L: LuaState, index: number): number {
  const n = lauxlib.luaL_checknumber(L, index) as number;
  // Numbers beyond 2^53 keep their low bits through BigInt; the rest take the fast path.
  if (Math.abs(n) < 2 ** 53) return Math.round(n) | 0;
  return Number(BigInt.asIntN(32, BigInt(Math.round(n))));
}

function unary(f: (x: number) => number): (L: LuaState) => number {
  return (L) => {
    lua.lua_pushnumber(L, f(toBit(L, 1)));
    return 1;
  };
}

function reduce(f: (x: number, y: number) => number): (L: LuaState) => number {
  return (L) => {
    let x = toBit(L, 1);
    for (let i = lua.lua_gettop(L); i > 1; i--) x = f(x, toBit(L, i));
    lua.lua_pushnumber(L, x | 0);
    return 1;
  };
}

function shift(f: (x: number, n: number) => number): (L: LuaState) => number {
  return (L) => {
    const x = toBit(L, 1);
    const n = toBit(L, 2) & 31;
    lua.lua_pushnumber(L, f(x, n) | 0);
    return 1;
  };
}

function tohex(L: LuaState): number {
  let x = toBit(L, 1);
  let n = lua.lua_isnoneornil(L, 2) ? 8 : toBit(L, 2);
  let upper = false;
  if (n < 0) {
    n = -n;
    upper = true;
  }
  if (n > 8) n = 8;
  let text = "";
  for (let i = 0; i < n; i++) {
    text = "0123456789abcdef"[x & 15] + text;
    x >>>= 4;
  }
  pushString(L, upper ? text.toUpperCase() : text);
  return 1;
}

/** Registers the global `bit` table. */
export function openBit(L: LuaState): void {
  const functions: Record<string, (L: LuaState) => number> = {
    tobit: unary((x) => x),
    bnot: unary((x) => ~x),
    bswap: unary((x) => ((x >>> 24) | ((x >> 8) & 0xff00) | ((x & 0xff00) << 8) | (x << 24)) | 0),
    band: reduce((x, y) => x & y),
    bor: reduce((x, y) => x | y),
    bxor: reduce((x, y) => x ^ y),
    lshift: shift((x, n) => x << n),
    rshift: shift((x, n) => x >>> n),
    arshift: shift((x, n) => x >> n),
    rol: shift((x, n) => (x << n) | (x >>> (32 - n))),
    ror: shift((x, n) => (x >>> n) | (x << (32 - n))),
    tohex,
  };
  lua.lua_newtable(L);
  for (const [name, f] of Object.entries(functions)) {
    lua.lua_pushcfunction(L, f);
    lua.lua_setfield(L, -2, literal(name));
  }
  lua.lua_setglobal(L, literal("bit"));
}
