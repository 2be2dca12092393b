/**
 * Turns a value as the RDB reader returns it into the keyspace's value, the
 * one conversion RDB loading and RESTORE share, so each kind the reader
 * learns is restorable as soon as it is loadable.
 *
 * @module
 */
import type { Value } from "../keyspace.ts";
import { SortedSet } from "../zset.ts";
import type { RdbEntry } from "./rdb_reader.ts";

/**
 * The keyspace value for an RDB entry's value.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { SortedSet } from "../zset.ts";
 * strictEqual(valueFromRdb("hello"), "hello");
 * strictEqual((valueFromRdb([["ann", 1]]) as SortedSet).size, 1);
 * ```
 */
export function valueFromRdb(value: RdbEntry["value"]): Value {
  // Strings, lists, hashes and sets come from the reader ready to store.
  if (typeof value === "string" || !Array.isArray(value)) return value;
  const zset = new SortedSet();
  for (const [member, score] of value) zset.add(member, score);
  return zset;
}
