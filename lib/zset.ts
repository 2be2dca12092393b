/**
 * Sorted sets: members (one-byte strings) with float64 scores, ordered by
 * (score, member) with ties broken byte-wise by member, as Redis orders them.
 *
 * Two structures, one job each, as in Redis's `t_zset.c`: a `Map` finds a
 * member in O(1), and an order-statistic tree (every node knows its subtree
 * size) makes insert, delete, rank, select-by-rank, seek and "skip `offset`
 * elements" all O(log n). Redis walks offsets one by one; we do not.
 *
 * Decisions that shape the module:
 * - The tree is an AVL tree whose nodes store the size of their left subtree
 *   (not their own), so rank, select and seek read one node per level and
 *   rotations fix ranks in O(1) without looking at grandchildren. The total
 *   size is the Map's.
 * - Nodes are 24-byte records in one ArrayBuffer, not objects: score (f64),
 *   left, right, left-subtree size and height (i32). A descent touches one
 *   record per level, which at a million members is a cache miss per level
 *   either way; the other layouts we measured (parallel arrays, a
 *   weight-balanced tree that must read both children to rebalance) missed
 *   two or three times as often. An object node would cost about 48 bytes,
 *   its double score boxed by V8. With the member reference, a node is 28
 *   bytes. The Map holds each member's slot, a small integer V8 stores
 *   unboxed, so the score lives once, in the record.
 * - Freed slots go on a free list; when the set falls to a quarter of its
 *   capacity the records are compacted, so memory follows the size both ways.
 *
 * @module
 */

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

/** Slot 0 is the empty tree: height 0, so reading a child's height needs no branch. */
const NIL = 0;
/** A record is 24 bytes: 3 float64 (only the first, the score, is used) or 6 int32. */
const RECORD_BYTES = 24;
const RECORD_FLOATS = 3;
const RECORD_INTS = 6;
/** int32 fields of a record; 0 and 1 overlay the score. LEFT ^ 1 is RIGHT. */
const LEFT = 2;
const RIGHT = 3;
const LEFT_SIZE = 4;
const HEIGHT = 5;
/** Slots (sentinel included) a set starts with and never shrinks below. */
const MIN_CAPACITY = 8;
/**
 * Root-to-node path for insert and delete, shared because nothing here is
 * reentrant. An AVL tree of n nodes is at most 1.44 log2(n + 2) high: 47 for
 * 2^32 members, more than a Map can hold.
 */
const path = new Int32Array(64);

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
export class SortedSet {
  /** member → slot of its record. A slot is a small integer (never boxed); the score stays in the record. */
  #slots = new Map<string, number>();
  /** Record scores, at `slot * RECORD_FLOATS`; -0 already folded into 0. */
  #scores: Float64Array;
  /** Record links, ranks and heights, at `slot * RECORD_INTS + field` (same buffer as #scores). */
  #nodes: Int32Array;
  /** Per slot: the member; "" in free slots so a removed string can be collected. */
  #members: string[] = [""];
  #root = NIL;
  /** Head of the free-slot list, chained through LEFT. */
  #free = NIL;
  /** Slots below this have been handed out at least once; the rest are fresh. */
  #used = 1;

  constructor() {
    const buffer = new ArrayBuffer(MIN_CAPACITY * RECORD_BYTES);
    this.#scores = new Float64Array(buffer);
    this.#nodes = new Int32Array(buffer);
  }

  /** Number of members. */
  get size(): number {
    return this.#slots.size;
  }

  /** The member's score, or undefined if it is not in the set. */
  score(member: string): number | undefined {
    const slot = this.#slots.get(member);
    return slot === undefined ? undefined : this.#scores[slot * RECORD_FLOATS];
  }

  /** Inserts the member or changes its score; returns true if the member is new. */
  add(member: string, score: number): boolean {
    // -0 + 0 is +0: one zero, so replies never show "-0" (Redis prints 0 too).
    score += 0;
    const slot = this.#slots.get(member);
    if (slot !== undefined) {
      if (this.#scores[slot * RECORD_FLOATS] !== score) {
        this.#unlink(slot);
        this.#scores[slot * RECORD_FLOATS] = score;
        this.#link(slot);
      }
      return false;
    }
    const fresh = this.#allocate();
    this.#scores[fresh * RECORD_FLOATS] = score;
    this.#members[fresh] = member;
    this.#slots.set(member, fresh);
    this.#link(fresh);
    return true;
  }

  /** Removes the member; returns false if it was not in the set. */
  remove(member: string): boolean {
    const slot = this.#slots.get(member);
    if (slot === undefined) return false;
    this.#unlink(slot);
    this.#slots.delete(member);
    this.#members[slot] = "";
    this.#nodes[slot * RECORD_INTS + LEFT] = this.#free;
    this.#free = slot;
    // Compacting at a quarter (not a half) keeps add/remove at a boundary from thrashing.
    const capacity = this.#scores.length / RECORD_FLOATS;
    if (capacity > MIN_CAPACITY && this.#slots.size * 4 < capacity) this.#compact();
    return true;
  }

  /** 0-based ascending rank of the member, or undefined if it is not in the set. */
  rank(member: string): number | undefined {
    const slot = this.#slots.get(member);
    if (slot === undefined) return undefined;
    return this.#countBelow(this.#scores[slot * RECORD_FLOATS]!, member);
  }

  /** The member and score at a 0-based ascending rank, or undefined if out of range. */
  at(rank: number): [member: string, score: number] | undefined {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) return undefined;
    const slot = this.#select(rank);
    return [this.#members[slot]!, this.#scores[slot * RECORD_FLOATS]!];
  }

  /** Pairs at ascending ranks `start..stop` inclusive; the caller clamps to `0 <= start <= stop < size`. */
  range(start: number, stop: number): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    if (start <= stop) this.#collect(this.#root, 0, start, stop, out);
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
    return this.#countBelow(score + 0, member);
  }

  /**
   * The original Kache `zquery`: from the first element >= (score, member),
   * move `offset` ranks (may be negative), then take ascending pairs until the
   * flattened reply (member, score, member, …) holds at least `limit` items,
   * so at most ceil(limit / 2) pairs. Empty if the moved rank is outside the
   * set or `limit <= 0`.
   */
  query(score: number, member: string, offset: number, limit: number): Array<[string, number]> {
    if (limit <= 0) return [];
    const start = this.seek(score, member) + offset;
    if (start < 0 || start >= this.size) return [];
    const stop = Math.min(this.size, start + Math.ceil(limit / 2)) - 1;
    return this.range(start, stop);
  }

  /** All pairs in ascending order. The set must not change while iterating. */
  *entries(): IterableIterator<[string, number]> {
    const nodes = this.#nodes;
    const stack: number[] = [];
    let node = this.#root;
    while (node !== NIL || stack.length > 0) {
      while (node !== NIL) {
        stack.push(node);
        node = nodes[node * RECORD_INTS + LEFT]!;
      }
      node = stack.pop()!;
      yield [this.#members[node]!, this.#scores[node * RECORD_FLOATS]!];
      node = nodes[node * RECORD_INTS + RIGHT]!;
    }
  }

  /** All members in no particular order, straight from the Map (no tree walk). */
  members(): IterableIterator<string> {
    return this.#slots.keys();
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
   * first one broken: order, left-subtree sizes, heights and AVL balance, Map
   * consistency, free-slot accounting and compaction. For tests.
   */
  checkInvariants(): void {
    const nodes = this.#nodes;
    const scores = this.#scores;
    const members = this.#members;
    if (nodes[NIL * RECORD_INTS + HEIGHT] !== 0) throw new Error("Sentinel height is not 0");
    let previous = -1;
    // Returns [size, height] of the subtree.
    const check = (node: number): [number, number] => {
      if (node === NIL) return [0, 0];
      const [leftSize, leftHeight] = check(nodes[node * RECORD_INTS + LEFT]!);
      const score = scores[node * RECORD_FLOATS]!;
      const member = members[node]!;
      if (previous !== -1) {
        const previousScore = scores[previous * RECORD_FLOATS]!;
        const previousMember = members[previous]!;
        if (!(previousScore < score || (previousScore === score && previousMember < member))) {
          throw new Error(`Member ${JSON.stringify(member)} out of order`);
        }
      }
      if (Object.is(score, -0)) throw new Error("Score -0 stored");
      if (this.#slots.get(member) !== node) {
        throw new Error(`Map slot of ${JSON.stringify(member)} is not ${node}`);
      }
      previous = node;
      const [rightSize, rightHeight] = check(nodes[node * RECORD_INTS + RIGHT]!);
      if (nodes[node * RECORD_INTS + LEFT_SIZE] !== leftSize) {
        throw new Error(`Wrong left size at slot ${node}`);
      }
      if (nodes[node * RECORD_INTS + HEIGHT] !== Math.max(leftHeight, rightHeight) + 1) {
        throw new Error(`Wrong height at slot ${node}`);
      }
      if (Math.abs(leftHeight - rightHeight) > 1) {
        throw new Error(`Slot ${node} out of balance: heights ${leftHeight} vs ${rightHeight}`);
      }
      return [leftSize + rightSize + 1, Math.max(leftHeight, rightHeight) + 1];
    };
    const [size] = check(this.#root);
    if (size !== this.#slots.size) throw new Error(`Tree holds ${size}, Map ${this.#slots.size}`);
    let free = 0;
    for (let slot = this.#free; slot !== NIL; slot = nodes[slot * RECORD_INTS + LEFT]!) {
      if (members[slot] !== "") throw new Error(`Free slot ${slot} still holds a member`);
      free++;
    }
    if (size + free + 1 !== this.#used) throw new Error("Slots leaked");
    const capacity = scores.length / RECORD_FLOATS;
    if (capacity > MIN_CAPACITY && size * 4 < capacity) throw new Error("Capacity not compacted");
  }

  #removeAll(pairs: Array<[string, number]>): Array<[string, number]> {
    for (const [member] of pairs) this.remove(member);
    return pairs;
  }

  /** Number of elements strictly below (score, member). */
  #countBelow(score: number, member: string): number {
    const nodes = this.#nodes;
    const scores = this.#scores;
    const members = this.#members;
    let count = 0;
    let node = this.#root;
    while (node !== NIL) {
      const nodeScore = scores[node * RECORD_FLOATS]!;
      const at = node * RECORD_INTS;
      if (nodeScore < score || (nodeScore === score && members[node]! < member)) {
        count += nodes[at + LEFT_SIZE]! + 1;
        node = nodes[at + RIGHT]!;
      } else {
        node = nodes[at + LEFT]!;
      }
    }
    return count;
  }

  /** Number of elements with score < value, or <= value if `orEqual`. */
  #countScoreBelow(value: number, orEqual: boolean): number {
    const nodes = this.#nodes;
    const scores = this.#scores;
    let count = 0;
    let node = this.#root;
    while (node !== NIL) {
      const nodeScore = scores[node * RECORD_FLOATS]!;
      const at = node * RECORD_INTS;
      if (nodeScore < value || (orEqual && nodeScore === value)) {
        count += nodes[at + LEFT_SIZE]! + 1;
        node = nodes[at + RIGHT]!;
      } else {
        node = nodes[at + LEFT]!;
      }
    }
    return count;
  }

  /** Number of elements with member < value, or <= value if `orEqual`, comparing members only. */
  #countMemberBelow(value: string, orEqual: boolean): number {
    const nodes = this.#nodes;
    const members = this.#members;
    let count = 0;
    let node = this.#root;
    while (node !== NIL) {
      const member = members[node]!;
      const at = node * RECORD_INTS;
      if (member < value || (orEqual && member === value)) {
        count += nodes[at + LEFT_SIZE]! + 1;
        node = nodes[at + RIGHT]!;
      } else {
        node = nodes[at + LEFT]!;
      }
    }
    return count;
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

  /** Slot at a rank the caller has checked is in [0, size). */
  #select(rank: number): number {
    const nodes = this.#nodes;
    let node = this.#root;
    for (;;) {
      const at = node * RECORD_INTS;
      const leftSize = nodes[at + LEFT_SIZE]!;
      if (rank < leftSize) {
        node = nodes[at + LEFT]!;
      } else if (rank === leftSize) {
        return node;
      } else {
        rank -= leftSize + 1;
        node = nodes[at + RIGHT]!;
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
    const nodes = this.#nodes;
    while (node !== NIL) {
      const at = node * RECORD_INTS;
      const rank = base + nodes[at + LEFT_SIZE]!;
      if (start < rank) this.#collect(nodes[at + LEFT]!, base, start, stop, out);
      if (rank > stop) return;
      if (rank >= start) out.push([this.#members[node]!, this.#scores[node * RECORD_FLOATS]!]);
      // The right subtree is a tail call: loop instead, so depth stays O(height).
      node = nodes[at + RIGHT]!;
      base = rank + 1;
    }
  }

  /** Inserts a slot whose score and member are set and which is not in the tree. */
  #link(slot: number): void {
    const nodes = this.#nodes;
    const scores = this.#scores;
    const members = this.#members;
    const score = scores[slot * RECORD_FLOATS]!;
    const member = members[slot]!;
    let depth = 0;
    let parent = NIL;
    let side = LEFT;
    let node = this.#root;
    while (node !== NIL) {
      path[depth++] = node;
      const at = node * RECORD_INTS;
      const nodeScore = scores[node * RECORD_FLOATS]!;
      if (score < nodeScore || (score === nodeScore && member < members[node]!)) {
        // Ranks are fixed on the way down (the slot is known to be new), so
        // the climb back up can stop as soon as heights settle.
        nodes[at + LEFT_SIZE]!++;
        side = LEFT;
      } else {
        side = RIGHT;
      }
      parent = node;
      node = nodes[at + side]!;
    }
    const at = slot * RECORD_INTS;
    nodes[at + LEFT] = NIL;
    nodes[at + RIGHT] = NIL;
    nodes[at + LEFT_SIZE] = 0;
    nodes[at + HEIGHT] = 1;
    if (parent === NIL) this.#root = slot;
    else nodes[parent * RECORD_INTS + side] = slot;
    this.#retrace(depth);
  }

  /** Detaches a slot from the tree; other slots keep their identity, so Map values stay valid. */
  #unlink(slot: number): void {
    const nodes = this.#nodes;
    const scores = this.#scores;
    const members = this.#members;
    const score = scores[slot * RECORD_FLOATS]!;
    const member = members[slot]!;
    let depth = 0;
    let node = this.#root;
    while (node !== slot) {
      path[depth++] = node;
      const at = node * RECORD_INTS;
      const nodeScore = scores[node * RECORD_FLOATS]!;
      if (score < nodeScore || (score === nodeScore && member < members[node]!)) {
        nodes[at + LEFT_SIZE]!--;
        node = nodes[at + LEFT]!;
      } else {
        node = nodes[at + RIGHT]!;
      }
    }
    const at = slot * RECORD_INTS;
    const left = nodes[at + LEFT]!;
    const right = nodes[at + RIGHT]!;
    const place = depth;
    let replacement = left === NIL ? right : left;
    if (left !== NIL && right !== NIL) {
      // Two children: the in-order successor moves into the slot's place
      // (relinked, not copied, so no other member changes slot) and takes
      // over its left size and height; the climb then starts below it.
      depth++;
      let successor = right;
      while (nodes[successor * RECORD_INTS + LEFT] !== NIL) {
        path[depth++] = successor;
        nodes[successor * RECORD_INTS + LEFT_SIZE]!--;
        successor = nodes[successor * RECORD_INTS + LEFT]!;
      }
      const successorAt = successor * RECORD_INTS;
      if (successor !== right) {
        nodes[path[depth - 1]! * RECORD_INTS + LEFT] = nodes[successorAt + RIGHT]!;
        nodes[successorAt + RIGHT] = right;
      }
      nodes[successorAt + LEFT] = left;
      nodes[successorAt + LEFT_SIZE] = nodes[at + LEFT_SIZE]!;
      nodes[successorAt + HEIGHT] = nodes[at + HEIGHT]!;
      path[place] = successor;
      replacement = successor;
    }
    this.#replaceChild(place, slot, replacement);
    this.#retrace(depth);
  }

  /** Points the parent at `path[depth - 1]` (or the root) from `child` to `replacement`. */
  #replaceChild(depth: number, child: number, replacement: number): void {
    if (depth === 0) {
      this.#root = replacement;
      return;
    }
    const at = path[depth - 1]! * RECORD_INTS;
    const nodes = this.#nodes;
    if (nodes[at + LEFT] === child) nodes[at + LEFT] = replacement;
    else nodes[at + RIGHT] = replacement;
  }

  /**
   * After one insert or delete below `path[0..depth)`, restores heights and
   * balance bottom-up, stopping where a subtree's height is unchanged: ranks
   * are already right, so nothing above can change (amortized O(1) on insert).
   */
  #retrace(depth: number): void {
    const nodes = this.#nodes;
    for (let i = depth - 1; i >= 0; i--) {
      const node = path[i]!;
      const before = nodes[node * RECORD_INTS + HEIGHT]!;
      const top = this.#balance(node);
      if (top !== node) this.#replaceChild(i, node, top);
      if (nodes[top * RECORD_INTS + HEIGHT] === before) return;
    }
  }

  /** Recomputes the node's height and restores AVL balance; returns the subtree's new root. */
  #balance(node: number): number {
    const nodes = this.#nodes;
    const at = node * RECORD_INTS;
    const left = nodes[at + LEFT]!;
    const right = nodes[at + RIGHT]!;
    const leftHeight = nodes[left * RECORD_INTS + HEIGHT]!;
    const rightHeight = nodes[right * RECORD_INTS + HEIGHT]!;
    if (leftHeight > rightHeight + 1) {
      const outer = nodes[nodes[left * RECORD_INTS + LEFT]! * RECORD_INTS + HEIGHT]!;
      const inner = nodes[nodes[left * RECORD_INTS + RIGHT]! * RECORD_INTS + HEIGHT]!;
      if (inner > outer) nodes[at + LEFT] = this.#rotate(left, RIGHT);
      return this.#rotate(node, LEFT);
    }
    if (rightHeight > leftHeight + 1) {
      const outer = nodes[nodes[right * RECORD_INTS + RIGHT]! * RECORD_INTS + HEIGHT]!;
      const inner = nodes[nodes[right * RECORD_INTS + LEFT]! * RECORD_INTS + HEIGHT]!;
      if (inner > outer) nodes[at + RIGHT] = this.#rotate(right, LEFT);
      return this.#rotate(node, RIGHT);
    }
    nodes[at + HEIGHT] = Math.max(leftHeight, rightHeight) + 1;
    return node;
  }

  /** Lifts the node's child on `side` above it; returns that child, the subtree's new root. */
  #rotate(node: number, side: number): number {
    const nodes = this.#nodes;
    const other = side ^ 1;
    const at = node * RECORD_INTS;
    const child = nodes[at + side]!;
    const childAt = child * RECORD_INTS;
    const inner = nodes[childAt + other]!;
    nodes[at + side] = inner;
    nodes[childAt + other] = node;
    // Left sizes change only on the side that gains or loses the node.
    if (side === LEFT) nodes[at + LEFT_SIZE]! -= nodes[childAt + LEFT_SIZE]! + 1;
    else nodes[childAt + LEFT_SIZE]! += nodes[at + LEFT_SIZE]! + 1;
    const nodeHeight = Math.max(
      nodes[nodes[at + other]! * RECORD_INTS + HEIGHT]!,
      nodes[inner * RECORD_INTS + HEIGHT]!,
    ) + 1;
    nodes[at + HEIGHT] = nodeHeight;
    nodes[childAt + HEIGHT] =
      Math.max(nodeHeight, nodes[nodes[childAt + side]! * RECORD_INTS + HEIGHT]!) +
      1;
    return child;
  }

  /** A free slot, reusing freed ones first and growing the records by half when full. */
  #allocate(): number {
    const free = this.#free;
    if (free !== NIL) {
      this.#free = this.#nodes[free * RECORD_INTS + LEFT]!;
      return free;
    }
    const capacity = this.#scores.length / RECORD_FLOATS;
    if (this.#used === capacity) {
      const buffer = new ArrayBuffer((capacity + (capacity >> 1)) * RECORD_BYTES);
      const nodes = new Int32Array(buffer);
      // Copied as int32 so the bytes move exactly whatever they hold.
      nodes.set(this.#nodes);
      this.#nodes = nodes;
      this.#scores = new Float64Array(buffer);
    }
    return this.#used++;
  }

  /**
   * Moves the members into fresh records, twice their count, in order, and
   * builds a perfectly balanced tree over them. O(n), paid for by the n
   * removals since the last resize, like the Map's own rehash.
   */
  #compact(): void {
    const count = this.#slots.size;
    const buffer = new ArrayBuffer(Math.max(MIN_CAPACITY, count * 2 + 1) * RECORD_BYTES);
    const scores = new Float64Array(buffer);
    const members: string[] = [""];
    let next = 1;
    for (const [member, score] of this.entries()) {
      scores[next * RECORD_FLOATS] = score;
      members[next] = member;
      this.#slots.set(member, next);
      next++;
    }
    // entries() walks the old records, so they are replaced only after it ends.
    this.#scores = scores;
    this.#nodes = new Int32Array(buffer);
    this.#members = members;
    this.#free = NIL;
    this.#used = next;
    this.#root = this.#build(1, count);
  }

  /** Links slots lo..hi (already in order) into a perfectly balanced tree; returns its root. */
  #build(lo: number, hi: number): number {
    if (lo > hi) return NIL;
    const mid = (lo + hi) >>> 1;
    const left = this.#build(lo, mid - 1);
    const right = this.#build(mid + 1, hi);
    const nodes = this.#nodes;
    const at = mid * RECORD_INTS;
    nodes[at + LEFT] = left;
    nodes[at + RIGHT] = right;
    nodes[at + LEFT_SIZE] = mid - lo;
    nodes[at + HEIGHT] = Math.max(
      nodes[left * RECORD_INTS + HEIGHT]!,
      nodes[right * RECORD_INTS + HEIGHT]!,
    ) + 1;
    return mid;
  }
}
