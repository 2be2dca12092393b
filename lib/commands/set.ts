/**
 * Set commands: Redis 7.0's S* family, transcribed from its `t_set.c` for
 * replies, error texts, checking order and keyspace events.
 *
 * Every write edits the {@link MemberSet} in place and hands it back with
 * {@link Keyspace.storeCollection}, which deletes a set left empty and tells
 * WATCH, the AOF and the memory total. SINTER/SUNION/SDIFF follow Redis's
 * algorithms: intersection walks the smallest set and probes the others;
 * difference picks between "probe every other set per member" and "add the
 * first, remove the rest" by Redis's estimate of the work.
 *
 * Replies: SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count are sets
 * (RESP3 `~`, an array on RESP2); SRANDMEMBER is an array, as in Redis.
 * SPOP is logged to the AOF as the SREM of what it took (or DEL when it took
 * everything), since replaying a random pick would pick differently.
 *
 * @module
 */
import { CommandError, NOT_POSITIVE, NUMKEYS_POSITIVE, SYNTAX } from "../errors.ts";
import type { Keyspace } from "../keyspace.ts";
import { MemberSet } from "../member_set.ts";
import { notify, notifyRemoval } from "../notify.ts";
import { parseInteger } from "../numbers.ts";
import { NotifyClass } from "../pubsub.ts";
import {
  array,
  bulk,
  bulkArray,
  EMPTY_ARRAY,
  integer,
  NIL,
  ONE,
  type Reply,
  set,
  ZERO,
} from "../reply.ts";
import { scanCollection } from "./collection_scan.ts";
import { parseRandomCount, randomIndex, randomPicks } from "./random_picks.ts";
import type { CommandContext, CommandSpec } from "./types.ts";

const TOO_MANY_KEYS = "ERR Number of keys can't be greater than number of args";
const LIMIT_NEGATIVE = "ERR LIMIT can't be negative";

const EMPTY_SET = set([]);

function membersReply(members: Iterable<string>): Reply {
  const items: Reply[] = [];
  for (const member of members) items.push(bulk(member));
  return set(items);
}

/** The sets at `keys` in order (undefined for a missing key); WRONGTYPE at the first other kind. */
function setsAt(keyspace: Keyspace, keys: readonly string[]): (MemberSet | undefined)[] {
  return keys.map((key) => keyspace.getCollection(key, MemberSet));
}

/**
 * Stores a computed set at `destination` (notifying `event`), or deletes the
 * key when the set is empty (notifying `del` if it existed); replies its size.
 * Like Redis's `setKey`, whatever `destination` held is replaced, any type.
 */
function storeResult(
  context: CommandContext,
  destination: string,
  result: MemberSet,
  event: string,
): Reply {
  const keyspace = context.keyspace;
  if (result.size === 0) {
    if (keyspace.delete(destination)) notify(context, NotifyClass.generic, "del", destination);
    return ZERO;
  }
  keyspace.set(destination, result);
  notify(context, NotifyClass.set, event, destination);
  return integer(result.size);
}

/**
 * Redis's `sinterGenericCommand`: walks the smallest set and keeps members
 * every other set holds, stopping at `limit` (> 0) when only counting.
 */
function intersect(sets: readonly MemberSet[], limit = 0): MemberSet {
  const ordered = [...sets].sort((a, b) => a.size - b.size);
  const smallest = ordered[0]!;
  const result = new MemberSet();
  for (const member of smallest.members()) {
    let everywhere = true;
    for (let i = 1; i < ordered.length; i++) {
      const other = ordered[i]!;
      if (other !== smallest && !other.has(member)) {
        everywhere = false;
        break;
      }
    }
    if (!everywhere) continue;
    result.add(member);
    if (limit > 0 && result.size >= limit) break;
  }
  return result;
}

/** The intersection of the sets at `keys`, or an empty set when one is missing. */
function intersectKeys(keyspace: Keyspace, keys: readonly string[], limit = 0): MemberSet {
  const sets = setsAt(keyspace, keys);
  if (sets.some((found) => found === undefined)) return new MemberSet();
  return intersect(sets as MemberSet[], limit);
}

function union(sets: readonly (MemberSet | undefined)[]): MemberSet {
  const result = new MemberSet();
  for (const found of sets) {
    if (found === undefined) continue;
    for (const member of found.members()) result.add(member);
  }
  return result;
}

/**
 * Redis's `sunionDiffGenericCommand` for SDIFF: algorithm 1 probes every
 * other set for each member of the first (O(N·M), good when the first is
 * small), algorithm 2 copies the first and removes the others (O(total));
 * Redis picks 1 when half its work estimate is no more than 2's.
 */
function difference(sets: readonly (MemberSet | undefined)[]): MemberSet {
  const first = sets[0];
  const result = new MemberSet();
  if (first === undefined) return result;
  const others = sets.slice(1).filter((found): found is MemberSet => found !== undefined);
  // The same key given again: everything is subtracted.
  if (others.includes(first)) return result;
  let firstWork = 0;
  let secondWork = first.size;
  for (const other of others) {
    firstWork += first.size;
    secondWork += other.size;
  }
  firstWork += first.size;
  if (firstWork / 2 <= secondWork) {
    // Larger sets first: a member they hold is rejected sooner.
    others.sort((a, b) => b.size - a.size);
    for (const member of first.members()) {
      if (!others.some((other) => other.has(member))) result.add(member);
    }
    return result;
  }
  for (const member of first.members()) result.add(member);
  for (const other of others) {
    for (const member of other.members()) result.remove(member);
    if (result.size === 0) break;
  }
  return result;
}

function addMembers(context: CommandContext, argv: readonly string[]): Reply {
  const key = argv[1]!;
  const members = context.keyspace.getCollection(key, MemberSet) ?? new MemberSet();
  let added = 0;
  for (let i = 2; i < argv.length; i++) if (members.add(argv[i]!)) added++;
  if (added === 0) return ZERO;
  context.keyspace.storeCollection(key, members);
  notify(context, NotifyClass.set, "sadd", key);
  return integer(added);
}

function removeMembers(context: CommandContext, argv: readonly string[]): Reply {
  const key = argv[1]!;
  const members = context.keyspace.getCollection(key, MemberSet);
  if (members === undefined) return ZERO;
  let removed = 0;
  for (let i = 2; i < argv.length && members.size > 0; i++) if (members.remove(argv[i]!)) removed++;
  if (removed === 0) return ZERO;
  context.keyspace.storeCollection(key, members);
  notifyRemoval(context, NotifyClass.set, "srem", key);
  return integer(removed);
}

/** Redis's `smoveCommand`: the checks come in its order (missing source first). */
function moveMember(context: CommandContext, argv: readonly string[]): Reply {
  const keyspace = context.keyspace;
  const [, sourceKey, destinationKey, member] = argv as [string, string, string, string];
  if (keyspace.get(sourceKey) === undefined) return ZERO;
  const source = keyspace.getCollection(sourceKey, MemberSet)!;
  const destination = keyspace.getCollection(destinationKey, MemberSet);
  if (source === destination) return source.has(member) ? ONE : ZERO;
  if (!source.remove(member)) return ZERO;
  keyspace.storeCollection(sourceKey, source);
  notify(context, NotifyClass.set, "srem", sourceKey);
  if (source.size === 0) notify(context, NotifyClass.generic, "del", sourceKey);
  const target = destination ?? new MemberSet();
  if (target.add(member)) {
    keyspace.storeCollection(destinationKey, target);
    notify(context, NotifyClass.set, "sadd", destinationKey);
  }
  return ONE;
}

/** SPOP key: one random member, logged as SREM. */
function popOne(context: CommandContext, key: string): Reply {
  const members = context.keyspace.getCollection(key, MemberSet);
  if (members === undefined) return NIL;
  const member = members.popAt(randomIndex(members.size, () => context.server.random()));
  context.keyspace.storeCollection(key, members);
  context.session.propagateAs = [["SREM", key, member]];
  notifyRemoval(context, NotifyClass.set, "spop", key);
  return bulk(member);
}

/** SPOP key count (Redis's `spopWithCountCommand`): a set reply, logged as SREM or DEL. */
function popMany(context: CommandContext, argv: readonly string[]): Reply {
  const key = argv[1]!;
  // Redis's getPositiveLongFromObjectOrReply: one message for "not a number" and "negative".
  const parsed = parseInteger(argv[2]!);
  if (parsed === undefined || parsed < 0) throw new CommandError(NOT_POSITIVE);
  const members = context.keyspace.getCollection(key, MemberSet);
  if (members === undefined || parsed === 0) return EMPTY_SET;
  const count = Number(parsed);
  const keyspace = context.keyspace;
  notify(context, NotifyClass.set, "spop", key);
  if (count >= members.size) {
    keyspace.delete(key);
    context.session.propagateAs = [["DEL", key]];
    notify(context, NotifyClass.generic, "del", key);
    return membersReply(members.members());
  }
  const popped: string[] = [];
  for (let i = 0; i < count; i++) {
    popped.push(members.popAt(randomIndex(members.size, () => context.server.random())));
  }
  keyspace.storeCollection(key, members);
  context.session.propagateAs = [["SREM", key, ...popped]];
  return membersReply(popped);
}

/** SRANDMEMBER key count (Redis's `srandmemberWithCountCommand`): an array reply. */
function randomMembers(context: CommandContext, argv: readonly string[]): Reply {
  // SRANDMEMBER takes no WITH… word: the handler refused a fourth argument already.
  const { count } = parseRandomCount(argv, "");
  const members = context.keyspace.getCollection(argv[1]!, MemberSet);
  if (members === undefined || count === 0) return EMPTY_ARRAY;
  return bulkArray(randomPicks(count, {
    size: members.size,
    at: (index) => members.at(index),
    all: () => members.memberList(),
    random: () => context.server.random(),
  }));
}

/** SINTERCARD numkeys key [key …] [LIMIT limit]. */
function intersectionCardinality(context: CommandContext, argv: readonly string[]): Reply {
  const parsed = parseInteger(argv[1]!);
  if (parsed === undefined || parsed < 1) throw new CommandError(NUMKEYS_POSITIVE);
  if (parsed > argv.length - 2) throw new CommandError(TOO_MANY_KEYS);
  const keyCount = Number(parsed);
  let limit = 0;
  for (let i = 2 + keyCount; i < argv.length; i++) {
    if (argv[i]!.toUpperCase() === "LIMIT" && i + 1 < argv.length) {
      const value = parseInteger(argv[++i]!);
      if (value === undefined || value < 0) throw new CommandError(LIMIT_NEGATIVE);
      limit = Number(value);
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  return integer(intersectKeys(context.keyspace, argv.slice(2, 2 + keyCount), limit).size);
}

/** SSCAN key cursor [MATCH pattern] [COUNT count]: [next cursor, [member, …]]. */
function scanMembers({ keyspace }: CommandContext, argv: readonly string[]): Reply {
  return scanCollection(keyspace, argv, {
    type: MemberSet,
    replies: {
      wholePage: (members, matches) => members.memberList().filter(matches).map(bulk),
      pushKey: (_members, member, items) => items.push(bulk(member)),
    },
  });
}

const KEY = { first: 1, last: 1, step: 1 } as const;
const ALL_KEYS = { first: 1, last: -1, step: 1 } as const;
const STORE_KEYS = { first: 1, last: -1, step: 1 } as const;
const KEY_ARGUMENT = { name: "key", type: "key" } as const;
const KEYS_ARGUMENT = { name: "key", type: "key", multiple: true } as const;
const DESTINATION = { name: "destination", type: "key" } as const;
const MEMBER = { name: "member", type: "string" } as const;
const MEMBERS = { name: "member", type: "string", multiple: true } as const;
const COMBINE_COMPLEXITY = "O(N) where N is the total number of elements in all given sets.";

export const SET_COMMANDS: readonly CommandSpec[] = [
  {
    name: "sadd",
    arity: -3,
    flags: ["write", "denyoom", "fast"],
    keys: KEY,
    group: "set",
    summary: "Add one or more members to a set",
    since: "1.0.0",
    complexity:
      "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
    arguments: [KEY_ARGUMENT, MEMBERS],
    handler: addMembers,
  },
  {
    name: "srem",
    arity: -3,
    flags: ["write", "fast"],
    keys: KEY,
    group: "set",
    summary: "Remove one or more members from a set",
    since: "1.0.0",
    complexity: "O(N) where N is the number of members to be removed.",
    arguments: [KEY_ARGUMENT, MEMBERS],
    handler: removeMembers,
  },
  {
    name: "smembers",
    arity: 2,
    flags: ["readonly"],
    keys: KEY,
    group: "set",
    summary: "Get all the members in a set",
    since: "1.0.0",
    complexity: "O(N) where N is the set cardinality.",
    arguments: [KEY_ARGUMENT],
    handler(context, argv) {
      const members = context.keyspace.getCollection(argv[1]!, MemberSet);
      return members === undefined ? EMPTY_SET : membersReply(members.members());
    },
  },
  {
    name: "sismember",
    arity: 3,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "set",
    summary: "Determine if a given value is a member of a set",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT, MEMBER],
    handler(context, argv) {
      return context.keyspace.getCollection(argv[1]!, MemberSet)?.has(argv[2]!) ? ONE : ZERO;
    },
  },
  {
    name: "smismember",
    arity: -3,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "set",
    summary: "Returns the membership associated with the given elements for a set",
    since: "6.2.0",
    complexity: "O(N) where N is the number of elements being checked for membership",
    arguments: [KEY_ARGUMENT, MEMBERS],
    handler(context, argv) {
      const members = context.keyspace.getCollection(argv[1]!, MemberSet);
      const items: Reply[] = [];
      for (let i = 2; i < argv.length; i++) items.push(members?.has(argv[i]!) ? ONE : ZERO);
      return array(items);
    },
  },
  {
    name: "scard",
    arity: 2,
    flags: ["readonly", "fast"],
    keys: KEY,
    group: "set",
    summary: "Get the number of members in a set",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [KEY_ARGUMENT],
    handler(context, argv) {
      return integer(context.keyspace.getCollection(argv[1]!, MemberSet)?.size ?? 0);
    },
  },
  {
    name: "spop",
    arity: -2,
    flags: ["write", "fast"],
    keys: KEY,
    group: "set",
    summary: "Remove and return one or multiple random members from a set",
    since: "1.0.0",
    complexity:
      "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
    arguments: [KEY_ARGUMENT, { name: "count", type: "integer", optional: true }],
    handler(context, argv) {
      if (argv.length > 3) throw new CommandError(SYNTAX);
      return argv.length === 3 ? popMany(context, argv) : popOne(context, argv[1]!);
    },
  },
  {
    name: "srandmember",
    arity: -2,
    flags: ["readonly"],
    keys: KEY,
    group: "set",
    summary: "Get one or multiple random members from a set",
    since: "1.0.0",
    complexity:
      "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
    arguments: [KEY_ARGUMENT, { name: "count", type: "integer", optional: true }],
    handler(context, argv) {
      if (argv.length > 3) throw new CommandError(SYNTAX);
      if (argv.length === 3) return randomMembers(context, argv);
      const members = context.keyspace.getCollection(argv[1]!, MemberSet);
      if (members === undefined) return NIL;
      return bulk(members.at(randomIndex(members.size, () => context.server.random())));
    },
  },
  {
    name: "smove",
    arity: 4,
    flags: ["write", "fast"],
    keys: { first: 1, last: 2, step: 1 },
    group: "set",
    summary: "Move a member from one set to another",
    since: "1.0.0",
    complexity: "O(1)",
    arguments: [{ name: "source", type: "key" }, DESTINATION, MEMBER],
    handler: moveMember,
  },
  {
    name: "sinter",
    arity: -2,
    flags: ["readonly"],
    keys: ALL_KEYS,
    group: "set",
    summary: "Intersect multiple sets",
    since: "1.0.0",
    complexity:
      "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    arguments: [KEYS_ARGUMENT],
    handler(context, argv) {
      return membersReply(intersectKeys(context.keyspace, argv.slice(1)).members());
    },
  },
  {
    name: "sintercard",
    arity: -3,
    flags: ["readonly"],
    group: "set",
    summary: "Intersect multiple sets and return the cardinality of the result",
    since: "7.0.0",
    complexity:
      "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    arguments: [
      { name: "numkeys", type: "integer" },
      KEYS_ARGUMENT,
      { name: "limit", type: "integer", token: "LIMIT", optional: true },
    ],
    handler: intersectionCardinality,
  },
  {
    name: "sinterstore",
    arity: -3,
    flags: ["write", "denyoom"],
    keys: STORE_KEYS,
    group: "set",
    summary: "Intersect multiple sets and store the resulting set in a key",
    since: "1.0.0",
    complexity:
      "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
    arguments: [DESTINATION, KEYS_ARGUMENT],
    handler(context, argv) {
      const result = intersectKeys(context.keyspace, argv.slice(2));
      return storeResult(context, argv[1]!, result, "sinterstore");
    },
  },
  {
    name: "sunion",
    arity: -2,
    flags: ["readonly"],
    keys: ALL_KEYS,
    group: "set",
    summary: "Add multiple sets",
    since: "1.0.0",
    complexity: COMBINE_COMPLEXITY,
    arguments: [KEYS_ARGUMENT],
    handler(context, argv) {
      return membersReply(union(setsAt(context.keyspace, argv.slice(1))).members());
    },
  },
  {
    name: "sunionstore",
    arity: -3,
    flags: ["write", "denyoom"],
    keys: STORE_KEYS,
    group: "set",
    summary: "Add multiple sets and store the resulting set in a key",
    since: "1.0.0",
    complexity: COMBINE_COMPLEXITY,
    arguments: [DESTINATION, KEYS_ARGUMENT],
    handler(context, argv) {
      const result = union(setsAt(context.keyspace, argv.slice(2)));
      return storeResult(context, argv[1]!, result, "sunionstore");
    },
  },
  {
    name: "sdiff",
    arity: -2,
    flags: ["readonly"],
    keys: ALL_KEYS,
    group: "set",
    summary: "Subtract multiple sets",
    since: "1.0.0",
    complexity: COMBINE_COMPLEXITY,
    arguments: [KEYS_ARGUMENT],
    handler(context, argv) {
      return membersReply(difference(setsAt(context.keyspace, argv.slice(1))).members());
    },
  },
  {
    name: "sdiffstore",
    arity: -3,
    flags: ["write", "denyoom"],
    keys: STORE_KEYS,
    group: "set",
    summary: "Subtract multiple sets and store the resulting set in a key",
    since: "1.0.0",
    complexity: COMBINE_COMPLEXITY,
    arguments: [DESTINATION, KEYS_ARGUMENT],
    handler(context, argv) {
      const result = difference(setsAt(context.keyspace, argv.slice(2)));
      return storeResult(context, argv[1]!, result, "sdiffstore");
    },
  },
  {
    name: "sscan",
    arity: -3,
    flags: ["readonly"],
    keys: KEY,
    group: "set",
    summary: "Incrementally iterate Set elements",
    since: "2.8.0",
    complexity:
      "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
    arguments: [
      KEY_ARGUMENT,
      { name: "cursor", type: "integer" },
      { name: "pattern", type: "pattern", token: "MATCH", optional: true },
      { name: "count", type: "integer", token: "COUNT", optional: true },
    ],
    handler: scanMembers,
  },
];
