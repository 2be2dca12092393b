/**
 * What a write command becomes in the append-only file. Most commands are
 * logged as they were sent, because replaying them gives the same result;
 * the ones that depend on the clock are logged as the state they produced,
 * as Redis does: relative TTLs become an absolute `PEXPIREAT`, SET's EX/PX
 * becomes `SET` + `PEXPIREAT`, INCRBYFLOAT becomes `SET … KEEPTTL` of the
 * result (so replay never re-rounds a float), HINCRBYFLOAT likewise becomes
 * `HSET` of the field's new value, and an expiry set in the past becomes
 * `DEL`. (Commands that pick at random, SPOP, set `Session.propagateAs`.)
 *
 * @module
 */
import { Hash } from "../hash.ts";
import type { Keyspace } from "../keyspace.ts";

/** The commands to log for `argv`, which just ran and changed `keyspace`. */
export function propagatedCommands(argv: readonly string[], keyspace: Keyspace): string[][] {
  const name = argv[0]!.toLowerCase();
  const key = argv[1]!;
  switch (name) {
    case "set":
    case "setex":
    case "psetex":
      return stateOfString(key, keyspace);
    case "getex":
      return expiryOf(key, keyspace);
    case "expire":
    case "pexpire":
    case "expireat":
    case "pexpireat":
      // A change that leaves no TTL is the binary protocol's negative expire: PERSIST.
      return expiryOf(key, keyspace);
    case "restore": {
      // A relative TTL is logged as the deadline it gave (as Redis rewrites it to ABSTTL).
      if (keyspace.get(key) === undefined) return [["DEL", key]];
      const deadline = keyspace.getExpiry(key);
      return [["RESTORE", key, String(deadline ?? 0), argv[3]!, "REPLACE", "ABSTTL"]];
    }
    case "incrbyfloat": {
      const value = keyspace.get(key);
      return typeof value === "string" ? [["SET", key, value, "KEEPTTL"]] : [["DEL", key]];
    }
    case "hincrbyfloat": {
      const hash = keyspace.get(key);
      const value = hash instanceof Hash ? hash.get(argv[2]!) : undefined;
      return value === undefined ? [[...argv]] : [["HSET", key, argv[2]!, value]];
    }
    default:
      return [[...argv]];
  }
}

/** The command logged when a key expires or is evicted. */
export function deletion(key: string): string[] {
  return ["DEL", key];
}

/** A string key as it stands: its value, then its absolute deadline if it has one. */
function stateOfString(key: string, keyspace: Keyspace): string[][] {
  const value = keyspace.get(key);
  if (typeof value !== "string") return [["DEL", key]];
  const deadline = keyspace.getExpiry(key);
  return deadline === undefined
    ? [["SET", key, value]]
    : [["SET", key, value], ["PEXPIREAT", key, String(deadline)]];
}

/** A key's TTL as it stands: an absolute deadline, none (PERSIST), or the key gone (DEL). */
function expiryOf(key: string, keyspace: Keyspace): string[][] {
  if (keyspace.get(key) === undefined) return [["DEL", key]];
  const deadline = keyspace.getExpiry(key);
  return deadline === undefined ? [["PERSIST", key]] : [["PEXPIREAT", key, String(deadline)]];
}
