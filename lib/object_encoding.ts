/**
 * What OBJECT ENCODING answers, and the encoding settings Redis clients and
 * tools set (`zset-max-listpack-entries`, `hash-max-ziplist-value`, …).
 *
 * Kache chooses its representations by its own fixed limits (a small hash is
 * one packed string, lib/hash.ts; a small sorted set two arrays in order,
 * lib/zset.ts), so these settings do not change how Kache stores anything.
 * They are accepted, validated and kept exactly as Redis 7.0 does, and they
 * decide what OBJECT ENCODING reports: the encoding Redis 7.0 would use for
 * the same value under the same settings. Redis's answer also depends on a
 * value's history (a sorted set that once grew past the limit stays a
 * skiplist when it shrinks; APPEND makes a string `raw`); Kache answers from
 * the value as it is now, as Redis's own RDB loading does.
 *
 * @module
 */
import { parseInteger } from "./numbers.ts";
import type { Value } from "./keyspace.ts";

/** The limits that decide an encoding; read from the configuration when asked. */
export interface EncodingLimits {
  readonly zsetMaxListpackEntries: number;
  readonly zsetMaxListpackValue: number;
  readonly hashMaxListpackEntries: number;
  readonly hashMaxListpackValue: number;
  readonly setMaxIntsetEntries: number;
  readonly listMaxListpackSize: number;
}

/** Redis 7.0's defaults (note `hash-max-listpack-entries` is 512 in the code, 128 in redis.conf). */
export const DEFAULT_ENCODING_LIMITS: EncodingLimits = {
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  hashMaxListpackEntries: 512,
  hashMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  listMaxListpackSize: -2,
};

/** Which setting holds each limit. */
export const ENCODING_LIMIT_SETTINGS: Readonly<Record<keyof EncodingLimits, string>> = {
  zsetMaxListpackEntries: "zset-max-listpack-entries",
  zsetMaxListpackValue: "zset-max-listpack-value",
  hashMaxListpackEntries: "hash-max-listpack-entries",
  hashMaxListpackValue: "hash-max-listpack-value",
  setMaxIntsetEntries: "set-max-intset-entries",
  listMaxListpackSize: "list-max-listpack-size",
};

/** Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT: longer strings are `raw`. */
const EMBSTR_SIZE_LIMIT = 44;
/** Redis's `tryObjectEncoding` tries integers only up to this length. */
const MAX_INTEGER_LENGTH = 20;

/**
 * Redis 7.0's OBJECT ENCODING for `value` under `limits`.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(objectEncoding("12345", DEFAULT_ENCODING_LIMITS), "int");
 * strictEqual(objectEncoding("012", DEFAULT_ENCODING_LIMITS), "embstr");
 * strictEqual(objectEncoding("x".repeat(45), DEFAULT_ENCODING_LIMITS), "raw");
 * ```
 */
export function objectEncoding(value: Value, limits: EncodingLimits): string {
  if (typeof value === "string") return stringEncoding(value);
  // Each kind answers here by its size and content under its settings. Hashes are
  // listpack up to hash-max-listpack-entries fields with fields and values of at most
  // hash-max-listpack-value bytes, else hashtable; lists are quicklist in 7.0 at every size;
  // sets are intset while every member is an integer and there are at most
  // set-max-intset-entries, else hashtable (7.0 has no listpack sets); streams are `stream`.
  switch (value.typeName) {
    case "zset": {
      if (value.size > limits.zsetMaxListpackEntries) return "skiplist";
      for (const [member] of value.entries()) {
        if (member.length > limits.zsetMaxListpackValue) return "skiplist";
      }
      return "listpack";
    }
    case "list":
      return "quicklist";
    case "hash": {
      if (value.size > limits.hashMaxListpackEntries) return "hashtable";
      for (const [field, fieldValue] of value.entries()) {
        const longest = Math.max(field.length, fieldValue.length);
        if (longest > limits.hashMaxListpackValue) return "hashtable";
      }
      return "listpack";
    }
    case "set": {
      if (value.size > limits.setMaxIntsetEntries) return "hashtable";
      for (const member of value.members()) {
        if (member.length > MAX_INTEGER_LENGTH || parseInteger(member) === undefined) {
          return "hashtable";
        }
      }
      return "intset";
    }
    case "stream":
      return "stream";
  }
}

/**
 * `int` for what Redis's `string2l` takes (canonical decimal, signed 64-bit,
 * at most 20 characters), `embstr` up to 44 bytes, else `raw`.
 */
function stringEncoding(value: string): string {
  if (value.length <= MAX_INTEGER_LENGTH && parseInteger(value) !== undefined) return "int";
  return value.length <= EMBSTR_SIZE_LIMIT ? "embstr" : "raw";
}

/**
 * Redis's OBJECT REFCOUNT for `value`: integers 0–9999 stored as `int` are
 * Redis's shared integer objects (refcount INT_MAX) unless an LRU/LFU
 * maxmemory policy forbids sharing them; every other value has one owner.
 */
export function objectRefcount(value: Value, sharingIntegers: boolean): number {
  if (sharingIntegers && typeof value === "string" && value.length <= 4) {
    const number = parseInteger(value);
    if (typeof number === "number" && number >= 0 && number < 10_000) return 2147483647;
  }
  return 1;
}

/** The limits in force, read through `setting` (a config lookup returning its text). */
export function encodingLimitsFrom(setting: (name: string) => string): EncodingLimits {
  const limits: Record<string, number> = {};
  for (const [field, name] of Object.entries(ENCODING_LIMIT_SETTINGS)) {
    limits[field] = Number(setting(name));
  }
  return limits as unknown as EncodingLimits;
}
