/**
 * PFADD, PFCOUNT and PFMERGE: HyperLogLogs stored as string values in
 * Redis's exact encoding (lib/hyperloglog.ts), with Redis 7.0's replies,
 * errors, notifications and propagation.
 *
 * PFCOUNT of one key refreshes the cardinality cached in the value when it
 * is stale, so like Redis it changes the key (WATCH sees it) and is
 * propagated as itself, though it is a read-only command: replaying it
 * writes the same cache bytes. PFSELFTEST and PFDEBUG are not implemented.
 *
 * @module
 */
import { CommandError } from "../errors.ts";
import {
  addToDense,
  cachedCardinality,
  CORRUPTED_HYPERLOGLOG,
  countRegisters,
  DEFAULT_SPARSE_MAX_BYTES,
  HyperLogLog,
  isHyperLogLog,
  NOT_HYPERLOGLOG,
  REGISTERS,
} from "../hyperloglog.ts";
import { notify } from "../notify.ts";
import { NotifyClass } from "../pubsub.ts";
import { error, integer, OK, ONE, type Reply, ZERO } from "../reply.ts";
import type { ArgumentDoc, CommandContext, CommandSpec } from "./types.ts";

const KEY_ARGUMENT: ArgumentDoc = { name: "key", type: "key" };
/** The header's encoding byte of a dense HLL. */
const DENSE_ENCODING = 0;

/** The HLL at `value`, or Redis's WRONGTYPE for a string that is not one. */
function parse(value: string): HyperLogLog {
  const hll = HyperLogLog.fromString(value);
  if (hll === undefined) throw new CommandError(NOT_HYPERLOGLOG);
  return hll;
}

/** `hll-sparse-max-bytes`, read only when a sparse HLL is about to grow. */
function sparseMaxBytes(context: CommandContext): number {
  const value = Number(context.server.configGet(["hll-sparse-max-bytes"])[0]?.[1]);
  return Number.isFinite(value) ? value : DEFAULT_SPARSE_MAX_BYTES;
}

function pfadd(context: CommandContext, argv: readonly string[]): Reply {
  const keyspace = context.keyspace;
  const key = argv[1]!;
  const value = keyspace.getString(key);
  if (value !== undefined && isHyperLogLog(value) && value.charCodeAt(4) === DENSE_ENCODING) {
    const added = addToDense(value, argv.slice(2));
    if (added !== undefined) return storeAdded(context, key, added.value, added.updated);
  }
  const hll = value === undefined ? HyperLogLog.empty() : parse(value);
  let updated = value === undefined ? 1 : 0;
  const limit = argv.length > 2 && hll.encoding === "sparse"
    ? sparseMaxBytes(context)
    : DEFAULT_SPARSE_MAX_BYTES;
  for (let i = 2; i < argv.length; i++) {
    const result = hll.add(argv[i]!, limit);
    if (result === -1) {
      // Redis edits in place: what the earlier elements changed stays, unannounced.
      if (updated !== 0) keyspace.set(key, hll.toString(), true);
      return error(CORRUPTED_HYPERLOGLOG);
    }
    updated += result;
  }
  if (updated !== 0) hll.invalidateCache();
  return storeAdded(context, key, hll.toString(), updated);
}

/** PFADD's end: keeps the value if `updated` registers (or the key itself) are new. */
function storeAdded(context: CommandContext, key: string, value: string, updated: number): Reply {
  if (updated === 0) return ZERO;
  const keyspace = context.keyspace;
  keyspace.set(key, value, true);
  // Redis counts every register raised as a change (server.dirty += updated).
  keyspace.dirty += updated - 1;
  notify(context, NotifyClass.string, "pfadd", key);
  return ONE;
}

function pfcount(context: CommandContext, argv: readonly string[]): Reply {
  const keyspace = context.keyspace;
  if (argv.length > 2) {
    // The union's registers, one byte each (Redis's HLL_RAW); nothing is written.
    const registers = new Uint8Array(REGISTERS);
    for (let i = 1; i < argv.length; i++) {
      const value = keyspace.getString(argv[i]!);
      if (value === undefined) continue;
      if (!parse(value).mergeInto(registers)) return error(CORRUPTED_HYPERLOGLOG);
    }
    return integer(countRegisters(registers));
  }
  const key = argv[1]!;
  const value = keyspace.getString(key);
  if (value === undefined) return ZERO;
  if (!isHyperLogLog(value)) return error(NOT_HYPERLOGLOG);
  const cached = cachedCardinality(value);
  if (cached !== undefined) return integer(cached);
  const hll = parse(value);
  const cardinality = hll.count();
  if (cardinality === undefined) return error(CORRUPTED_HYPERLOGLOG);
  hll.setCachedCardinality(cardinality);
  keyspace.set(key, hll.toString(), true);
  // A cache refresh is a change Redis propagates as the PFCOUNT itself.
  context.session.propagateAs = [["PFCOUNT", key]];
  return integer(cardinality);
}

function pfmerge(context: CommandContext, argv: readonly string[]): Reply {
  const keyspace = context.keyspace;
  const registers = new Uint8Array(REGISTERS);
  let dense = false;
  // The destination is read too (argv[1]): its registers are part of the union.
  for (let i = 1; i < argv.length; i++) {
    const value = keyspace.getString(argv[i]!);
    if (value === undefined) continue;
    const hll = parse(value);
    if (hll.encoding === "dense") dense = true;
    if (!hll.mergeInto(registers)) return error(CORRUPTED_HYPERLOGLOG);
  }
  const key = argv[1]!;
  const value = keyspace.getString(key);
  // Checked above when it exists; a missing destination is created (even with no sources).
  const target = value === undefined ? HyperLogLog.empty() : parse(value);
  if (dense && !target.toDense()) return error(CORRUPTED_HYPERLOGLOG);
  const limit = target.encoding === "sparse" ? sparseMaxBytes(context) : DEFAULT_SPARSE_MAX_BYTES;
  for (let i = 0; i < REGISTERS; i++) {
    if (registers[i] !== 0) target.raise(i, registers[i]!, limit);
  }
  target.invalidateCache();
  keyspace.set(key, target.toString(), true);
  // Redis announces a merge as a mass add.
  notify(context, NotifyClass.string, "pfadd", key);
  return OK;
}

export const HYPERLOGLOG_COMMANDS: readonly CommandSpec[] = [
  {
    name: "pfadd",
    arity: -2,
    flags: ["write", "denyoom", "fast"],
    keys: { first: 1, last: 1, step: 1 },
    group: "hyperloglog",
    summary: "Adds the specified elements to the specified HyperLogLog.",
    since: "2.8.9",
    complexity: "O(1) to add every element.",
    arguments: [KEY_ARGUMENT, {
      name: "element",
      type: "string",
      optional: true,
      multiple: true,
    }],
    handler: pfadd,
  },
  {
    name: "pfcount",
    arity: -2,
    flags: ["readonly", "may_replicate"],
    keys: { first: 1, last: -1, step: 1 },
    group: "hyperloglog",
    summary:
      "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
    since: "2.8.9",
    complexity: "O(1) with a very small average constant time when called with a single key. " +
      "O(N) with N being the number of keys, and much bigger constant times, when called with " +
      "multiple keys.",
    arguments: [{ name: "key", type: "key", multiple: true }],
    handler: pfcount,
  },
  {
    name: "pfmerge",
    arity: -2,
    flags: ["write", "denyoom"],
    keys: { first: 1, last: -1, step: 1 },
    group: "hyperloglog",
    summary: "Merge N different HyperLogLogs into a single one.",
    since: "2.8.9",
    complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
    arguments: [
      { name: "destkey", type: "key" },
      { name: "sourcekey", type: "key", multiple: true },
    ],
    handler: pfmerge,
  },
];
