/**
 * Sorted sets: members (one-byte strings) with float64 scores, ordered by
 * (score, member) with ties broken byte-wise by member, as Redis orders them.
 *
 * A small set (at most {@link SMALL_MAX_MEMBERS} members of at most
 * {@link SMALL_MAX_LENGTH} bytes, redis.conf's listpack limits) is two arrays
 * in (score, member) order, members and scores, as Redis keeps a small
 * sorted set in one listpack: a lookup scans, a rank is an index, a range is
 * a binary search. The tree below took 2.1 KB of RSS for a 5-member set
 * (Redis: 215 bytes): its `Map` and two typed arrays, each with its
 * ArrayBuffer and backing store, cost more than the members. A set that
 * outgrows either limit moves to the tree for good.
 *
 * Past the limits, two structures, one job each, as in Redis's `t_zset.c`: a `Map` finds a
 * member in O(1), and an order-statistic tree (every node knows its subtree
 * size) makes insert, delete, rank, select-by-rank, seek and "skip `offset`
 * elements" all O(log n). Redis walks offsets one by one; we do not.
 *
 * Decisions that shape the module:
 * - The tree is weight-balanced (Adams' tree with Hirai and Yamamoto's
 *   parameters ⟨3, 2⟩, proven correct for single inserts and deletes).
 *   Balance is decided by the subtree sizes that rank queries need anyway, so
 *   a node carries no height or priority.
 * - Nodes are slots in parallel typed arrays, not objects: 28 bytes per
 *   member (links 12, score 8, member reference 8; Deno's V8 has 8-byte
 *   pointers) against 80 for an object node, whose double score V8 boxes.
 *   The `Map` holds each member's slot, a small integer V8 stores unboxed, so
 *   the score lives once, in the tree. Freed slots go on a free list; when
 *   the set falls to a quarter of its capacity the arrays are compacted, so
 *   memory follows the size both ways.
 * - Measured at a million members, this beat an AVL tree of interleaved
 *   24-byte records (score, links, rank, height) on seek and select by about
 *   1.5×, and used 4 bytes less per member; inserts cost the same. Both are
 *   bound by one cache miss per level.
 * - The set keeps a running estimate of its heap size (`byteSize`, from
 *   lib/memory.ts) and reports changes as deltas, so the keyspace's memory
 *   total stays exact while commands edit a set in place.
 * - ZSCAN walks a `ScanIndex` (lib/scan_index.ts) of the members, kept by
 *   {@link ScannedCollection} as for hashes and sets: built by the first scan
 *   of a set and kept up to date from then on, so a cursor is a plain
 *   number that pins nothing; sets never scanned pay nothing for it.
 *
 * @module
 */
import { ScannedCollection } from "./collection.ts";
import { smallSortedSetBytes, sortedSetBytes, stringBytes } from "./memory.ts";

/** One end of a score interval; `value` may be ±Infinity. */
export interface ScoreBound {
  value: number;
  exclusive: boolean;
}

/**
 * One end of a lexicographic interval, as ZRANGEBYLEX parses it:
 * `min` is `-`, `max` is `+`, otherwise `[value` or `(value`.
 */
export type LexBound =
  | { kind: "min" }
  | { kind: "max" }
  | { kind: "inclusive" | "exclusive"; value: string };

/** Most members a small set holds (redis.conf's `zset-max-listpack-entries`). */
export const SMALL_MAX_MEMBERS = 128;
/** Longest member a small set holds, in bytes (`zset-max-listpack-value`). */
export const SMALL_MAX_LENGTH = 64;

/** Slot 0 is the empty tree. Its size is 0, so reading a child's size needs no branch. */
const NIL = 0;
/** `#links` holds three int32 per slot: left child, right child, subtree size. */
const STRIDE = 3;
const LEFT = 0;
const RIGHT = 1;
const SIZE = 2;
/** Weight-balance parameters ⟨Δ, Γ⟩ = ⟨3, 2⟩ (Hirai and Yamamoto, 2011), weight = size + 1. */
const DELTA = 3;
const GAMMA = 2;
/** Slots (sentinel included) a set starts with and never shrinks below. */
const MIN_CAPACITY = 8;
/**
 * Root-to-node path for insert and delete, shared because nothing here is
 * reentrant. A child holds at most 3/4 of its parent's weight, so the height
 * is at most log_{4/3}(n + 1): 78 for 2^32 members, more than a Map can hold.
 */
const path = new Int32Array(128);

/**
 * A sorted set of one-byte-string members with float64 scores.
 *
 * @example Rank and range
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * const zset = new SortedSet();
 * zset.add("b", 2);
 * zset.add("a", 2);
 * zset.add("c", 1);
 * strictEqual(zset.rank("a"), 1);
 * deepStrictEqual(zset.range(0, 2), [["c", 1], ["a", 2], ["b", 2]]);
 * ```
 */
export class SortedSet extends ScannedCollection {
  /** Small mode: the members in (score, member) order; undefined once the set uses the tree. */
  #members: string[] | undefined = [];
  /** Small mode: the score of each member of {@link SortedSet.#members}, at the same index. */
  #scores: number[] | undefined = [];
  /** Small mode: sum of the members' string sizes, for {@link SortedSet.byteSize}. */
  #memberBytes = 0;
  /** Past the small limits: the order-statistic tree (see the module notes). */
  #tree: ScoreTree | undefined;

  get typeName(): "zset" {
    return "zset";
  }

  /** Number of members. */
  get size(): number {
    return this.#tree?.size ?? this.#members!.length;
  }

  /** Whether the set is still two small arrays rather than the tree. */
  get small(): boolean {
    return this.#tree === undefined;
  }

  /** Heap bytes of the member strings alone, part of {@link SortedSet.byteSize}. */
  get memberBytes(): number {
    return this.#tree?.memberBytes ?? this.#memberBytes;
  }

  /** Estimated heap bytes of the set, members included (see lib/memory.ts). O(1). */
  get byteSize(): number {
    const own = this.#tree?.byteSize ??
      smallSortedSetBytes(this.#members!.length, this.#memberBytes);
    return own + this.scanIndexBytes;
  }

  /** The object and its member array (see Collection.warm). */
  override warm(): number {
    return this.#members?.length ?? 0;
  }

  /** The member's score, or undefined if it is not in the set. */
  score(member: string): number | undefined {
    if (this.#tree !== undefined) return this.#tree.score(member);
    const at = this.#members!.indexOf(member);
    return at < 0 ? undefined : this.#scores![at];
  }

  /** Inserts the member or changes its score; returns true if the member is new. */
  add(member: string, score: number): boolean {
    // -0 + 0 is +0: one zero, so replies never show "-0" (Redis prints 0 too).
    score += 0;
    if (this.#tree === undefined) {
      const members = this.#members!;
      const scores = this.#scores!;
      const at = members.indexOf(member);
      if (at >= 0) {
        if (scores[at] === score) return false;
        this.#smallRemove(at);
        this.#smallInsert(member, score);
        return false;
      }
      if (members.length < SMALL_MAX_MEMBERS && member.length <= SMALL_MAX_LENGTH) {
        this.#smallInsert(member, score);
        this.#memberBytes += stringBytes(member.length);
        this.scanKeyAdded(member);
        return true;
      }
      this.#toTree();
    }
    const added = this.#tree!.add(member, score);
    if (added) this.scanKeyAdded(member);
    return added;
  }

  /** Removes the member; returns false if it was not in the set. */
  remove(member: string): boolean {
    if (this.#tree === undefined) {
      const at = this.#members!.indexOf(member);
      if (at < 0) return false;
      this.#smallRemove(at);
      this.#memberBytes -= stringBytes(member.length);
    } else if (!this.#tree.remove(member)) {
      return false;
    }
    this.scanKeyDeleted(member);
    return true;
  }

  /** 0-based ascending rank of the member, or undefined if it is not in the set. */
  rank(member: string): number | undefined {
    if (this.#tree !== undefined) return this.#tree.rank(member);
    const at = this.#members!.indexOf(member);
    return at < 0 ? undefined : at;
  }

  /** The member and score at a 0-based ascending rank, or undefined if out of range. */
  at(rank: number): [member: string, score: number] | undefined {
    if (this.#tree !== undefined) return this.#tree.at(rank);
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) return undefined;
    return [this.#members![rank]!, this.#scores![rank]!];
  }

  /** Pairs at ascending ranks `start..stop` inclusive; the caller clamps to `0 <= start <= stop < size`. */
  range(start: number, stop: number): Array<[string, number]> {
    if (this.#tree !== undefined) return this.#tree.range(start, stop);
    const members = this.#members!;
    const scores = this.#scores!;
    const out: Array<[string, number]> = [];
    for (let rank = start; rank <= stop; rank++) out.push([members[rank]!, scores[rank]!]);
    return out;
  }

  /** Pairs at descending ranks `start..stop` inclusive (rank 0 is the highest), highest first. */
  rangeReverse(start: number, stop: number): Array<[string, number]> {
    const last = this.size - 1;
    return this.range(last - stop, last - start).reverse();
  }

  /** Number of members whose score lies within [min, max]. */
  countInScoreRange(min: ScoreBound, max: ScoreBound): number {
    return Math.max(0, this.#scoreEnd(max) - this.#scoreStart(min));
  }

  /** Ascending rank of the first member whose score lies within [min, max], or -1 if none. */
  firstRankInScoreRange(min: ScoreBound, max: ScoreBound): number {
    const start = this.#scoreStart(min);
    return start < this.#scoreEnd(max) ? start : -1;
  }

  /** Ascending rank of the last member whose score lies within [min, max], or -1 if none. */
  lastRankInScoreRange(min: ScoreBound, max: ScoreBound): number {
    const end = this.#scoreEnd(max);
    return this.#scoreStart(min) < end ? end - 1 : -1;
  }

  /**
   * Number of members within the lex interval. Like Redis, this assumes all
   * scores are equal; otherwise the answer is meaningless but well-defined.
   */
  countInLexRange(min: LexBound, max: LexBound): number {
    return Math.max(0, this.#lexEnd(max) - this.#lexStart(min));
  }

  /** Ascending rank of the first member within the lex interval, or -1 if none. */
  firstRankInLexRange(min: LexBound, max: LexBound): number {
    const start = this.#lexStart(min);
    return start < this.#lexEnd(max) ? start : -1;
  }

  /** Ascending rank of the last member within the lex interval, or -1 if none. */
  lastRankInLexRange(min: LexBound, max: LexBound): number {
    const end = this.#lexEnd(max);
    return this.#lexStart(min) < end ? end - 1 : -1;
  }

  /** Rank of the first element >= (score, member) in (score, member) order; `size` if none. */
  seek(score: number, member: string): number {
    score += 0;
    return this.#tree?.countBelow(score, member) ?? this.#smallCountBelow(score, member);
  }

  /**
   * The original Kache `zquery`: from the first element >= (score, member),
   * move `offset` ranks (may be negative), then take ascending pairs until the
   * flattened reply (member, score, member, …) holds at least `limit` items,
   * so at most ceil(limit / 2) pairs. Empty if no element is >= (score,
   * member) — the original moved from a node, and past the end there is none —
   * if the moved rank is outside the set, or if `limit <= 0`.
   */
  query(score: number, member: string, offset: number, limit: number): Array<[string, number]> {
    if (limit <= 0) return [];
    const seek = this.seek(score, member);
    if (seek === this.size) return [];
    const start = seek + offset;
    if (start < 0 || start >= this.size) return [];
    const stop = Math.min(this.size, start + Math.ceil(limit / 2)) - 1;
    return this.range(start, stop);
  }

  /** All pairs in ascending order. The set must not change while iterating. */
  *entries(): IterableIterator<[string, number]> {
    if (this.#tree !== undefined) {
      yield* this.#tree.entries();
      return;
    }
    const members = this.#members!;
    const scores = this.#scores!;
    for (let rank = 0; rank < members.length; rank++) yield [members[rank]!, scores[rank]!];
  }

  /**
   * All members in no particular order; the set may change while they are
   * walked (a small set's arrays are replaced on each change, never edited).
   */
  members(): IterableIterator<string> {
    return this.#tree?.members() ?? this.#members!.values();
  }

  /** The members, for ZSCAN's index (see {@link ScannedCollection.scan}). */
  protected scanKeys(): IterableIterator<string> {
    return this.members();
  }

  /** Removes and returns up to `count` lowest pairs, lowest first. */
  popMin(count: number): Array<[string, number]> {
    const taken = Math.min(count, this.size);
    if (taken <= 0) return [];
    return this.#removeAll(this.range(0, taken - 1));
  }

  /** Removes and returns up to `count` highest pairs, highest first. */
  popMax(count: number): Array<[string, number]> {
    const taken = Math.min(count, this.size);
    if (taken <= 0) return [];
    return this.#removeAll(this.rangeReverse(0, taken - 1));
  }

  /**
   * Verifies every internal invariant in O(n) and throws an Error naming the
   * first one broken: order, uniqueness and the limits while small; the
   * tree's own checks past them. For tests.
   */
  checkInvariants(): void {
    if (this.#tree !== undefined) {
      this.#tree.checkInvariants();
      return;
    }
    const members = this.#members!;
    const scores = this.#scores!;
    if (members.length !== scores.length) throw new Error("Member and score arrays differ");
    if (members.length > SMALL_MAX_MEMBERS) throw new Error("Small set over its member limit");
    const seen = new Set<string>();
    let bytes = 0;
    for (let rank = 0; rank < members.length; rank++) {
      const member = members[rank]!;
      if (seen.has(member)) throw new Error(`Member ${JSON.stringify(member)} held twice`);
      seen.add(member);
      if (member.length > SMALL_MAX_LENGTH) throw new Error("Small set member over the limit");
      if (Object.is(scores[rank], -0)) throw new Error("Score -0 stored");
      if (rank > 0) {
        if (!precedes(scores[rank - 1]!, members[rank - 1]!, scores[rank]!, member)) {
          throw new Error(`Members ${JSON.stringify(member)} out of order`);
        }
      }
      bytes += stringBytes(member.length);
    }
    if (bytes !== this.#memberBytes) throw new Error("Member byte count drifted");
  }

  #removeAll(pairs: Array<[string, number]>): Array<[string, number]> {
    for (const [member] of pairs) this.remove(member);
    return pairs;
  }

  /** Moves the members into the tree, for good (as Redis never turns a skiplist back). */
  #toTree(): void {
    const tree = new ScoreTree();
    const members = this.#members!;
    const scores = this.#scores!;
    for (let rank = 0; rank < members.length; rank++) tree.add(members[rank]!, scores[rank]!);
    this.#tree = tree;
    this.#members = undefined;
    this.#scores = undefined;
    this.#memberBytes = 0;
  }

  /**
   * Small mode: puts the pair at its place, in new arrays of exactly the new
   * length. `splice` would grow each array to 17 slots at its first insert
   * and by half plus 16 after: 618 heap bytes for a 5-member set, 426 so.
   */
  #smallInsert(member: string, score: number): void {
    const at = this.#smallCountBelow(score, member);
    this.#members = this.#members!.toSpliced(at, 0, member);
    this.#scores = this.#scores!.toSpliced(at, 0, score);
  }

  /** Small mode: drops the pair at `at`, in new arrays of exactly the new length. */
  #smallRemove(at: number): void {
    this.#members = this.#members!.toSpliced(at, 1);
    this.#scores = this.#scores!.toSpliced(at, 1);
  }

  /** Small mode: the first index whose element is not below (score, member). */
  #smallCountBelow(score: number, member: string): number {
    const members = this.#members!;
    const scores = this.#scores!;
    return partitionPoint(
      members.length,
      (i) => precedes(scores[i]!, members[i]!, score, member),
    );
  }

  /** Number of elements with score < value, or <= value if `orEqual`. */
  #countScoreBelow(value: number, orEqual: boolean): number {
    if (this.#tree !== undefined) return this.#tree.countScoreBelow(value, orEqual);
    const scores = this.#scores!;
    return partitionPoint(
      scores.length,
      (i) => scores[i]! < value || (orEqual && scores[i] === value),
    );
  }

  /** Number of elements with member < value, or <= value if `orEqual`, comparing members only. */
  #countMemberBelow(value: string, orEqual: boolean): number {
    if (this.#tree !== undefined) return this.#tree.countMemberBelow(value, orEqual);
    const members = this.#members!;
    return partitionPoint(
      members.length,
      (i) => members[i]! < value || (orEqual && members[i] === value),
    );
  }

  /** First rank at or above the lower bound. An exclusive bound also skips equal scores. */
  #scoreStart(min: ScoreBound): number {
    return this.#countScoreBelow(min.value, min.exclusive);
  }

  /** One past the last rank at or below the upper bound. */
  #scoreEnd(max: ScoreBound): number {
    return this.#countScoreBelow(max.value, !max.exclusive);
  }

  #lexStart(min: LexBound): number {
    switch (min.kind) {
      case "min":
        return 0;
      case "max":
        return this.size;
      default:
        return this.#countMemberBelow(min.value, min.kind === "exclusive");
    }
  }

  #lexEnd(max: LexBound): number {
    switch (max.kind) {
      case "min":
        return 0;
      case "max":
        return this.size;
      default:
        return this.#countMemberBelow(max.value, max.kind === "inclusive");
    }
  }
}

/** Whether (score, member) comes before (otherScore, otherMember): Redis's order, members byte-wise. */
function precedes(score: number, member: string, otherScore: number, otherMember: string): boolean {
  return score < otherScore || (score === otherScore && member < otherMember);
}

/** The first index in [0, length) where `below` is false; it must hold for a prefix only. */
function partitionPoint(length: number, below: (index: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (below(mid)) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * The order-statistic tree of a sorted set past the small limits (see the
 * module notes); {@link SortedSet} keeps the ranges, pops and scans on top.
 */
class ScoreTree {
  /** member → slot of its node. A slot is a small integer (never boxed); the score stays in the tree. */
  #slots = new Map<string, number>();
  /** Per slot: left child, right child, subtree size (see {@link STRIDE}). */
  #links = new Int32Array(MIN_CAPACITY * STRIDE);
  /** Per slot: the score, -0 already folded into 0. */
  #scores = new Float64Array(MIN_CAPACITY);
  /** Per slot: the member; "" in free slots so a removed string can be collected. */
  #members: string[] = [""];
  #root = NIL;
  /** Head of the free-slot list, chained through LEFT. */
  #free = NIL;
  /** Slots below this have been handed out at least once; the rest are fresh. */
  #used = 1;
  /** Sum of the members' string sizes, for {@link SortedSet.byteSize}. */
  #memberBytes = 0;

  /** Number of members. */
  get size(): number {
    return this.#slots.size;
  }

  /** Heap bytes of the member strings alone, part of {@link SortedSet.byteSize}. */
  get memberBytes(): number {
    return this.#memberBytes;
  }

  /** Estimated heap bytes of the set, members included (see lib/memory.ts). O(1). */
  get byteSize(): number {
    return sortedSetBytes(this.#slots.size, this.#scores.length, this.#memberBytes);
  }

  /** The member's score, or undefined if it is not in the set. */
  score(member: string): number | undefined {
    const slot = this.#slots.get(member);
    return slot === undefined ? undefined : this.#scores[slot];
  }

  /** Inserts the member or changes its score; returns true if the member is new. */
  add(member: string, score: number): boolean {
    // -0 + 0 is +0: one zero, so replies never show "-0" (Redis prints 0 too).
    score += 0;
    const slot = this.#slots.get(member);
    if (slot !== undefined) {
      if (this.#scores[slot] !== score) {
        this.#unlink(slot);
        this.#scores[slot] = score;
        this.#link(slot);
      }
      return false;
    }
    const fresh = this.#allocate();
    this.#scores[fresh] = score;
    this.#members[fresh] = member;
    this.#slots.set(member, fresh);
    this.#memberBytes += stringBytes(member.length);
    this.#link(fresh);
    return true;
  }

  /** Removes the member; returns false if it was not in the set. */
  remove(member: string): boolean {
    const slot = this.#slots.get(member);
    if (slot === undefined) return false;
    this.#unlink(slot);
    this.#slots.delete(member);
    this.#memberBytes -= stringBytes(member.length);
    this.#members[slot] = "";
    this.#links[slot * STRIDE + LEFT] = this.#free;
    this.#free = slot;
    // Compacting at a quarter (not a half) keeps add/remove at a boundary from thrashing.
    const capacity = this.#scores.length;
    if (capacity > MIN_CAPACITY && this.#slots.size * 4 < capacity) this.#compact();
    return true;
  }

  /** 0-based ascending rank of the member, or undefined if it is not in the set. */
  rank(member: string): number | undefined {
    const slot = this.#slots.get(member);
    return slot === undefined ? undefined : this.countBelow(this.#scores[slot]!, member);
  }

  /** The member and score at a 0-based ascending rank, or undefined if out of range. */
  at(rank: number): [member: string, score: number] | undefined {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) return undefined;
    const slot = this.#select(rank);
    return [this.#members[slot]!, this.#scores[slot]!];
  }

  /** Pairs at ascending ranks `start..stop` inclusive; the caller clamps to `0 <= start <= stop < size`. */
  range(start: number, stop: number): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    if (start <= stop) this.#collect(this.#root, 0, start, stop, out);
    return out;
  }

  /** All pairs in ascending order. The set must not change while iterating. */
  *entries(): IterableIterator<[string, number]> {
    const links = this.#links;
    const stack: number[] = [];
    let node = this.#root;
    while (node !== NIL || stack.length > 0) {
      while (node !== NIL) {
        stack.push(node);
        node = links[node * STRIDE + LEFT]!;
      }
      node = stack.pop()!;
      yield [this.#members[node]!, this.#scores[node]!];
      node = links[node * STRIDE + RIGHT]!;
    }
  }

  /** All members in no particular order, straight from the Map (no tree walk). */
  members(): IterableIterator<string> {
    return this.#slots.keys();
  }

  /**
   * Verifies every internal invariant in O(n) and throws an Error naming the
   * first one broken: order, subtree sizes, weight balance, Map consistency
   * and free-slot accounting. For tests.
   */
  checkInvariants(): void {
    const links = this.#links;
    const scores = this.#scores;
    const members = this.#members;
    if (links[NIL * STRIDE + SIZE] !== 0) throw new Error("Sentinel size is not 0");
    let previous = -1;
    let seen = 0;
    const check = (node: number): number => {
      if (node === NIL) return 0;
      const leftSize = check(links[node * STRIDE + LEFT]!);
      if (previous !== -1) {
        if (!precedes(scores[previous]!, members[previous]!, scores[node]!, members[node]!)) {
          throw new Error(`Members ${JSON.stringify(members[node])} out of order`);
        }
      }
      if (Object.is(scores[node], -0)) throw new Error("Score -0 stored");
      if (this.#slots.get(members[node]!) !== node) {
        throw new Error(`Map slot of ${JSON.stringify(members[node])} is not ${node}`);
      }
      previous = node;
      seen++;
      const rightSize = check(links[node * STRIDE + RIGHT]!);
      if (links[node * STRIDE + SIZE] !== leftSize + rightSize + 1) {
        throw new Error(`Wrong subtree size at slot ${node}`);
      }
      if (DELTA * (leftSize + 1) < rightSize + 1 || DELTA * (rightSize + 1) < leftSize + 1) {
        throw new Error(`Slot ${node} out of balance: ${leftSize} vs ${rightSize}`);
      }
      return leftSize + rightSize + 1;
    };
    check(this.#root);
    if (seen !== this.#slots.size) throw new Error(`Tree holds ${seen}, Map ${this.#slots.size}`);
    let free = 0;
    for (let slot = this.#free; slot !== NIL; slot = links[slot * STRIDE + LEFT]!) {
      if (members[slot] !== "") throw new Error(`Free slot ${slot} still holds a member`);
      free++;
    }
    if (seen + free + 1 !== this.#used) throw new Error("Slots leaked");
    if (this.#scores.length > MIN_CAPACITY && seen * 4 < this.#scores.length) {
      throw new Error("Capacity not compacted");
    }
  }

  /** Number of elements strictly below (score, member). */
  countBelow(score: number, member: string): number {
    const links = this.#links;
    const scores = this.#scores;
    const members = this.#members;
    let count = 0;
    let node = this.#root;
    while (node !== NIL) {
      if (precedes(scores[node]!, members[node]!, score, member)) {
        count += links[links[node * STRIDE + LEFT]! * STRIDE + SIZE]! + 1;
        node = links[node * STRIDE + RIGHT]!;
      } else {
        node = links[node * STRIDE + LEFT]!;
      }
    }
    return count;
  }

  /** Number of elements with score < value, or <= value if `orEqual`. */
  countScoreBelow(value: number, orEqual: boolean): number {
    const links = this.#links;
    const scores = this.#scores;
    let count = 0;
    let node = this.#root;
    while (node !== NIL) {
      const nodeScore = scores[node]!;
      if (nodeScore < value || (orEqual && nodeScore === value)) {
        count += links[links[node * STRIDE + LEFT]! * STRIDE + SIZE]! + 1;
        node = links[node * STRIDE + RIGHT]!;
      } else {
        node = links[node * STRIDE + LEFT]!;
      }
    }
    return count;
  }

  /** Number of elements with member < value, or <= value if `orEqual`, comparing members only. */
  countMemberBelow(value: string, orEqual: boolean): number {
    const links = this.#links;
    const members = this.#members;
    let count = 0;
    let node = this.#root;
    while (node !== NIL) {
      const member = members[node]!;
      if (member < value || (orEqual && member === value)) {
        count += links[links[node * STRIDE + LEFT]! * STRIDE + SIZE]! + 1;
        node = links[node * STRIDE + RIGHT]!;
      } else {
        node = links[node * STRIDE + LEFT]!;
      }
    }
    return count;
  }

  /** Slot at a rank the caller has checked is in [0, size). */
  #select(rank: number): number {
    const links = this.#links;
    let node = this.#root;
    for (;;) {
      const left = links[node * STRIDE + LEFT]!;
      const leftSize = links[left * STRIDE + SIZE]!;
      if (rank < leftSize) {
        node = left;
      } else if (rank === leftSize) {
        return node;
      } else {
        rank -= leftSize + 1;
        node = links[node * STRIDE + RIGHT]!;
      }
    }
  }

  /** In-order walk of the part of `node`'s subtree within ranks [start, stop]; `base` is its first rank. */
  #collect(
    node: number,
    base: number,
    start: number,
    stop: number,
    out: Array<[string, number]>,
  ): void {
    while (node !== NIL) {
      const left = this.#links[node * STRIDE + LEFT]!;
      const rank = base + this.#links[left * STRIDE + SIZE]!;
      if (start < rank) this.#collect(left, base, start, stop, out);
      if (rank > stop) return;
      if (rank >= start) out.push([this.#members[node]!, this.#scores[node]!]);
      // The right subtree is a tail call: loop instead, so depth stays O(height).
      node = this.#links[node * STRIDE + RIGHT]!;
      base = rank + 1;
    }
  }

  /** Inserts a slot whose score and member are set into the tree. */
  #link(slot: number): void {
    const links = this.#links;
    const scores = this.#scores;
    const members = this.#members;
    const score = scores[slot]!;
    const member = members[slot]!;
    let depth = 0;
    let parent = NIL;
    let side = LEFT;
    let node = this.#root;
    while (node !== NIL) {
      path[depth++] = node;
      side = precedes(score, member, scores[node]!, members[node]!) ? LEFT : RIGHT;
      parent = node;
      node = links[node * STRIDE + side]!;
    }
    links[slot * STRIDE + LEFT] = NIL;
    links[slot * STRIDE + RIGHT] = NIL;
    links[slot * STRIDE + SIZE] = 1;
    if (parent === NIL) this.#root = slot;
    else links[parent * STRIDE + side] = slot;
    this.#rebalancePath(depth);
  }

  /** Detaches a slot from the tree; other slots keep their identity, so Map values stay valid. */
  #unlink(slot: number): void {
    const links = this.#links;
    const scores = this.#scores;
    const members = this.#members;
    const score = scores[slot]!;
    const member = members[slot]!;
    let depth = 0;
    let node = this.#root;
    while (node !== slot) {
      path[depth++] = node;
      const side = precedes(score, member, scores[node]!, members[node]!) ? LEFT : RIGHT;
      node = links[node * STRIDE + side]!;
    }
    const left = links[slot * STRIDE + LEFT]!;
    const right = links[slot * STRIDE + RIGHT]!;
    const place = depth;
    let replacement = left === NIL ? right : left;
    if (left !== NIL && right !== NIL) {
      // Two children: the in-order successor moves into the slot's place
      // (relinked, not copied, so no other member changes slot).
      depth++;
      let successor = right;
      while (links[successor * STRIDE + LEFT] !== NIL) {
        path[depth++] = successor;
        successor = links[successor * STRIDE + LEFT]!;
      }
      if (successor !== right) {
        links[path[depth - 1]! * STRIDE + LEFT] = links[successor * STRIDE + RIGHT]!;
        links[successor * STRIDE + RIGHT] = right;
      }
      links[successor * STRIDE + LEFT] = left;
      path[place] = successor;
      replacement = successor;
    }
    this.#replaceChild(place, slot, replacement);
    this.#rebalancePath(depth);
  }

  /** Points the parent at `path[depth - 1]` (or the root) from `child` to `replacement`. */
  #replaceChild(depth: number, child: number, replacement: number): void {
    if (depth === 0) {
      this.#root = replacement;
      return;
    }
    const parent = path[depth - 1]!;
    const links = this.#links;
    if (links[parent * STRIDE + LEFT] === child) links[parent * STRIDE + LEFT] = replacement;
    else links[parent * STRIDE + RIGHT] = replacement;
  }

  /** After one insert or delete below `path[0..depth)`, fixes sizes and balance bottom-up. */
  #rebalancePath(depth: number): void {
    for (let i = depth - 1; i >= 0; i--) {
      const node = path[i]!;
      const top = this.#balance(node);
      if (top !== node) this.#replaceChild(i, node, top);
    }
  }

  /** Recomputes the node's size and restores weight balance; returns the subtree's new root. */
  #balance(node: number): number {
    const links = this.#links;
    const left = links[node * STRIDE + LEFT]!;
    const right = links[node * STRIDE + RIGHT]!;
    const leftWeight = links[left * STRIDE + SIZE]! + 1;
    const rightWeight = links[right * STRIDE + SIZE]! + 1;
    if (rightWeight > DELTA * leftWeight) {
      const inner = links[links[right * STRIDE + LEFT]! * STRIDE + SIZE]! + 1;
      const outer = links[links[right * STRIDE + RIGHT]! * STRIDE + SIZE]! + 1;
      if (inner >= GAMMA * outer) links[node * STRIDE + RIGHT] = this.#rotate(right, LEFT);
      return this.#rotate(node, RIGHT);
    }
    if (leftWeight > DELTA * rightWeight) {
      const inner = links[links[left * STRIDE + RIGHT]! * STRIDE + SIZE]! + 1;
      const outer = links[links[left * STRIDE + LEFT]! * STRIDE + SIZE]! + 1;
      if (inner >= GAMMA * outer) links[node * STRIDE + LEFT] = this.#rotate(left, RIGHT);
      return this.#rotate(node, LEFT);
    }
    links[node * STRIDE + SIZE] = leftWeight + rightWeight - 1;
    return node;
  }

  /** Lifts the node's child on `side` above it; returns that child, the subtree's new root. */
  #rotate(node: number, side: number): number {
    const links = this.#links;
    const other = side ^ 1;
    const child = links[node * STRIDE + side]!;
    const inner = links[child * STRIDE + other]!;
    links[node * STRIDE + side] = inner;
    links[child * STRIDE + other] = node;
    const outer = links[child * STRIDE + side]!;
    const nodeSize = links[links[node * STRIDE + other]! * STRIDE + SIZE]! +
      links[inner * STRIDE + SIZE]! + 1;
    links[node * STRIDE + SIZE] = nodeSize;
    links[child * STRIDE + SIZE] = nodeSize + links[outer * STRIDE + SIZE]! + 1;
    return child;
  }

  /** A free slot, reusing freed ones first and growing the arrays by half when full. */
  #allocate(): number {
    const free = this.#free;
    if (free !== NIL) {
      this.#free = this.#links[free * STRIDE + LEFT]!;
      return free;
    }
    const capacity = this.#scores.length;
    if (this.#used === capacity) {
      const grown = capacity + (capacity >> 1);
      const links = new Int32Array(grown * STRIDE);
      links.set(this.#links);
      this.#links = links;
      const scores = new Float64Array(grown);
      scores.set(this.#scores);
      this.#scores = scores;
    }
    return this.#used++;
  }

  /**
   * Moves the members into fresh arrays of twice their count, in order, and
   * rebuilds a perfectly balanced tree over them. O(n), paid for by the n
   * removals since the last resize, like the Map's own rehash.
   */
  #compact(): void {
    const count = this.#slots.size;
    const capacity = Math.max(MIN_CAPACITY, count * 2 + 1);
    const scores = new Float64Array(capacity);
    const members: string[] = [""];
    let next = 1;
    for (const [member, score] of this.entries()) {
      scores[next] = score;
      members[next] = member;
      this.#slots.set(member, next);
      next++;
    }
    // entries() walks the old arrays, so they are replaced only after it ends.
    this.#links = new Int32Array(capacity * STRIDE);
    this.#scores = scores;
    this.#members = members;
    this.#free = NIL;
    this.#used = next;
    this.#root = this.#build(1, count);
  }

  /** Links slots lo..hi (already in order) into a perfectly balanced tree; returns its root. */
  #build(lo: number, hi: number): number {
    if (lo > hi) return NIL;
    const mid = (lo + hi) >>> 1;
    const links = this.#links;
    links[mid * STRIDE + LEFT] = this.#build(lo, mid - 1);
    links[mid * STRIDE + RIGHT] = this.#build(mid + 1, hi);
    links[mid * STRIDE + SIZE] = hi - lo + 1;
    return mid;
  }
}
