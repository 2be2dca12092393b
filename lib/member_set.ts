/**
 * Sets: unordered collections of distinct one-byte-string members, Redis's
 * set type. (Named `MemberSet` so it never shadows JavaScript's `Set`.)
 *
 * Decisions that shape the module:
 * - A `Map` finds a member's slot in O(1); members sit in one dense array
 *   indexed by slot, and a removal moves the last slot into the hole
 *   (swap-remove). So SPOP and SRANDMEMBER pick a uniformly random member in
 *   O(1) by drawing a slot, where a `Map` or `Set` alone would be walked.
 * - Redis keeps small all-integer sets as sorted intsets, so their SMEMBERS
 *   come out in numeric order; Kache keeps one representation for every set
 *   (insertion order, perturbed by removals), and callers who care about order
 *   sort, as they must with Redis's hashtable encoding anyway.
 * - SSCAN walks the `Map`'s keys: its iterators survive inserts and deletes.
 * - The set keeps a running estimate of its heap size (lib/memory.ts) and
 *   reports changes as deltas, as lib/zset.ts's `SortedSet` does.
 *
 * @module
 */
import { ScannedCollection } from "./collection.ts";
import { memberSetBytes, stringBytes } from "./memory.ts";

/**
 * A set of one-byte-string members.
 *
 * @example Members and a random pop
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * const set = new MemberSet();
 * strictEqual(set.add("a"), true);
 * strictEqual(set.add("a"), false);
 * set.add("b");
 * strictEqual(set.has("b"), true);
 * strictEqual(set.popAt(0), "a");
 * deepStrictEqual([...set.members()], ["b"]);
 * ```
 */
export class MemberSet extends ScannedCollection {
  /** member → slot in {@link MemberSet.#members}. */
  #slots = new Map<string, number>();
  /** Per slot: the member. Dense: slots 0..size-1 are all in use. */
  #members: string[] = [];
  /** Sum of the members' string sizes, for {@link MemberSet.byteSize}. */
  #stringBytes = 0;

  /** A set holding `members` (repeats collapse). */
  static of(members: Iterable<string>): MemberSet {
    const set = new MemberSet();
    for (const member of members) set.add(member);
    return set;
  }

  get typeName(): "set" {
    return "set";
  }

  /** Number of members. */
  get size(): number {
    return this.#members.length;
  }

  /** Estimated heap bytes of the set, members included (see lib/memory.ts). O(1). */
  get byteSize(): number {
    return memberSetBytes(this.#members.length, this.#stringBytes) + this.scanIndexBytes;
  }

  has(member: string): boolean {
    return this.#slots.has(member);
  }

  /** Adds the member; returns true if it was not there. */
  add(member: string): boolean {
    if (this.#slots.has(member)) return false;
    this.#slots.set(member, this.#members.length);
    this.scanKeyAdded(member);
    this.#members.push(member);
    this.#stringBytes += stringBytes(member.length);
    return true;
  }

  /** Removes the member; returns false if it was not there. */
  remove(member: string): boolean {
    const slot = this.#slots.get(member);
    if (slot === undefined) return false;
    this.#removeSlot(slot, member);
    return true;
  }

  /** The member in slot `index` (0 ≤ index < size), for uniform random picks in O(1). */
  at(index: number): string {
    const member = this.#members[index];
    if (member === undefined) {
      throw new RangeError(`Set slot ${index} is out of range (size ${this.#members.length})`);
    }
    return member;
  }

  /** Removes and returns the member in slot `index` (0 ≤ index < size). O(1). */
  popAt(index: number): string {
    const member = this.at(index);
    this.#removeSlot(index, member);
    return member;
  }

  /** Every member, in slot order. Do not change the set while iterating. */
  members(): IterableIterator<string> {
    return this.#members.values();
  }

  /** The members, in slot order (a copy). */
  memberList(): string[] {
    return this.#members.slice();
  }

  /** The members, for SSCAN's index (see {@link ScannedCollection.scan}). */
  protected scanKeys(): IterableIterator<string> {
    return this.#slots.keys();
  }

  /** Throws if the slot map and the array disagree (for tests). */
  checkInvariants(): void {
    const members = this.#members;
    if (members.length !== this.#slots.size) throw new Error("Set array and slot map differ");
    let bytes = 0;
    for (let i = 0; i < members.length; i++) {
      if (this.#slots.get(members[i]!) !== i) throw new Error(`Set slot ${i} is not indexed`);
      bytes += stringBytes(members[i]!.length);
    }
    if (bytes !== this.#stringBytes) throw new Error("Set string byte count drifted");
  }

  #removeSlot(slot: number, member: string): void {
    this.#slots.delete(member);
    this.scanKeyDeleted(member);
    this.#stringBytes -= stringBytes(member.length);
    const last = this.#members.pop()!;
    if (slot !== this.#members.length) {
      this.#members[slot] = last;
      this.#slots.set(last, slot);
    }
  }
}
