/**
 * The settings of Kache as a replica, under Redis 7.0's names, defaults and
 * pre-5.0 `slave-*` aliases (two entries sharing one value, as redis.conf
 * accepts both): which master to follow, how to authenticate to it, and how
 * the replica treats its own clients while it follows.
 *
 * @module
 */
import type { ConfigParameter } from "../config.ts";
import { parseSafeInteger } from "../numbers.ts";

/**
 * `replicaof <host> <port>` as stored: `"host port"`, or `""` when this
 * server is a master (`replicaof no one` also means that, as in Redis).
 *
 * @example
 * ```ts
 * import { deepStrictEqual } from "node:assert/strict";
 * deepStrictEqual(parseReplicaOf("127.0.0.1 6379"), { host: "127.0.0.1", port: 6379 });
 * deepStrictEqual(parseReplicaOf(""), undefined);
 * ```
 */
export function parseReplicaOf(text: string): { host: string; port: number } | undefined {
  const words = text.trim().split(/\s+/);
  if (words.length !== 2) return undefined;
  const port = parseSafeInteger(words[1]!);
  if (port === undefined || port < 0 || port > 65535) return undefined;
  return { host: words[0]!, port };
}

function replicaOfValue(text: string): { value: string } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.toLowerCase() === "no one") return { value: "" };
  if (trimmed.split(/\s+/).length !== 2) return { error: "wrong number of arguments" };
  const target = parseReplicaOf(trimmed);
  if (target === undefined) return { error: "Invalid master port" };
  return { value: `${target.host} ${target.port}` };
}

/** One setting under its 5.0 name and its older `slave-*` name, sharing one value. */
function aliased(parameter: ConfigParameter, alias: string): ConfigParameter[] {
  return [{ ...parameter, alias }, { ...parameter, name: alias, alias: parameter.name }];
}

export const REPLICA_PARAMETERS: readonly ConfigParameter[] = [
  ...aliased({
    name: "replicaof",
    type: { kind: "custom", parse: replicaOfValue, format: (value) => value as string },
    default: "",
    // As in Redis: REPLICAOF changes it at run time, CONFIG SET does not.
    mutable: false,
    description: '"<host> <port>": follow that master as its replica ("" = be a master)',
  }, "slaveof"),
  {
    name: "masterauth",
    type: { kind: "string" },
    default: "",
    mutable: true,
    sensitive: true,
    clientBytes: true,
    description: "password this replica gives its master with AUTH (empty = none)",
  },
  {
    name: "masteruser",
    type: { kind: "string" },
    default: "",
    mutable: true,
    clientBytes: true,
    description: "ACL user this replica authenticates as to its master (with masterauth)",
  },
  ...aliased({
    name: "replica-read-only",
    type: { kind: "boolean" },
    default: "yes",
    mutable: true,
    description: "a replica refuses writes from its clients with -READONLY",
  }, "slave-read-only"),
  ...aliased({
    name: "replica-serve-stale-data",
    type: { kind: "boolean" },
    default: "yes",
    mutable: true,
    description: "a replica whose master link is down still answers (no: -MASTERDOWN)",
  }, "slave-serve-stale-data"),
  ...aliased({
    name: "replica-priority",
    type: { kind: "integer", min: 0, max: 2 ** 31 - 1 },
    default: "100",
    mutable: true,
    description: "Sentinel promotes the lowest first; 0 = never promote this replica",
  }, "slave-priority"),
  {
    name: "replica-announced",
    type: { kind: "boolean" },
    default: "yes",
    mutable: true,
    description: "no: Sentinel leaves this replica out of what it tells clients",
  },
  ...aliased({
    name: "replica-announce-ip",
    type: { kind: "string" },
    default: "",
    mutable: true,
    description: "address the master lists for this replica (REPLCONF ip-address; empty = seen)",
  }, "slave-announce-ip"),
  ...aliased({
    name: "replica-announce-port",
    type: { kind: "integer", min: 0, max: 65535 },
    default: "0",
    mutable: true,
    description: "port the master lists for this replica (0 = the RESP port)",
  }, "slave-announce-port"),
  {
    name: "repl-diskless-load",
    type: { kind: "enum", values: ["disabled", "on-empty-db", "swapdb"] },
    default: "disabled",
    mutable: true,
    description:
      "full sync: disabled = via dump.rdb on disk; swapdb = parse from the socket beside the " +
      "old data; on-empty-db = from the socket only when the replica holds no data",
  },
];
