/**
 * LuaBitOp (`bit`), the bit library Redis bundles: 32-bit operations on
 * Lua numbers, results as signed 32-bit numbers, `tohex` as LuaBitOp 1.0.2.
 *
 * @module
 */
import { lauxlib, literal, lua, type LuaState, pushString, setFunctions } from "./fengari.ts";

/** Scratch space for LuaBitOp's conversion trick (one double, read back as two int32). */
const scratch = new Float64Array(1);
const scratchBits = new Int32Array(scratch.buffer);

/**
 * LuaBitOp's normalisation, done as it does: add 2^52 + 2^51 so the FPU
 * rounds (half to even) and the integer lands in the low 32 bits of the
 * double's mantissa, then read those bits. Huge numbers give what LuaBitOp
 * gives, not their exact low bits.
 */
function toBit(L: LuaState, index: number): number {
  scratch[0] = (lauxlib.luaL_checknumber(L, index) as number) + 6755399441055744.0;
  return scratchBits[0]!;
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
  setFunctions(L, functions);
  lua.lua_setglobal(L, literal("bit"));
}
