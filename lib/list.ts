/**
 * Lists: a deque of one-byte strings with O(1) push and pop at both ends and
 * O(1) access by index, for LPUSH/RPOP queues and LINDEX/LRANGE alike.
 *
 * Decisions that shape the module:
 * - One ring buffer over a plain JS array whose capacity is a power of two,
 *   so an index is `(head + i) & mask`. It doubles when full and halves when
 *   a quarter full, so memory follows the size both ways and a queue that
 *   goes round and round never moves an element.
 * - The array is grown by pushes, never `new Array(n)`: V8 makes a large
 *   pre-sized array a dictionary (hash table) of elements, at several times
 *   the 8 bytes a slot costs in a packed array.
 * - Middle edits (LINSERT, LREM) shift the shorter side, O(n) as in Redis.
 * - The list keeps a running estimate of its heap size (lib/memory.ts), like
 *   the sorted set, so the keyspace's memory total stays exact while commands
 *   edit a list in place.
 *
 * @module
 */
import { MeasuredCollection } from "./collection.ts";
import { listBytes, stringBytes } from "./memory.ts";

/** Slots a list starts with and never shrinks below. */
const MIN_CAPACITY = 8;

/**
 * A list of one-byte strings.
 *
 * @example Both ends and indexes
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * const list = new List();
 * list.pushBack("b");
 * list.pushFront("a");
 * list.pushBack("c");
 * strictEqual(list.at(1), "b");
 * deepStrictEqual(list.slice(0, 2), ["a", "b", "c"]);
 * strictEqual(list.popBack(), "c");
 * ```
 */
export class List extends MeasuredCollection {
  /** Ring buffer slots; unused ones hold undefined so removed strings can be collected. */
  #items: (string | undefined)[] = emptySlots(MIN_CAPACITY);
  /** Slot of element 0. */
  #head = 0;
  #size = 0;
  /** Sum of the elements' string sizes, for {@link List.byteSize}. */
  #elementBytes = 0;

  get typeName(): "list" {
    return "list";
  }

  get size(): number {
    return this.#size;
  }

  /** Estimated heap bytes of the list, elements included (see lib/memory.ts). O(1). */
  get byteSize(): number {
    return listBytes(this.#items.length, this.#elementBytes);
  }

  pushBack(value: string): void {
    if (this.#size === this.#items.length) this.#resize(this.#items.length * 2);
    this.#items[(this.#head + this.#size) & (this.#items.length - 1)] = value;
    this.#size++;
    this.#elementBytes += stringBytes(value.length);
  }

  pushFront(value: string): void {
    if (this.#size === this.#items.length) this.#resize(this.#items.length * 2);
    this.#head = (this.#head - 1) & (this.#items.length - 1);
    this.#items[this.#head] = value;
    this.#size++;
    this.#elementBytes += stringBytes(value.length);
  }

  popFront(): string | undefined {
    if (this.#size === 0) return undefined;
    const value = this.#items[this.#head]!;
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#items.length - 1);
    this.#size--;
    this.#removed(value);
    return value;
  }

  popBack(): string | undefined {
    if (this.#size === 0) return undefined;
    const slot = (this.#head + this.#size - 1) & (this.#items.length - 1);
    const value = this.#items[slot]!;
    this.#items[slot] = undefined;
    this.#size--;
    this.#removed(value);
    return value;
  }

  /** The element at `index` (0 ≤ index < size), or undefined outside. */
  at(index: number): string | undefined {
    if (index < 0 || index >= this.#size) return undefined;
    return this.#items[(this.#head + index) & (this.#items.length - 1)];
  }

  /** Replaces the element at `index` (0 ≤ index < size). */
  set(index: number, value: string): void {
    const slot = (this.#head + index) & (this.#items.length - 1);
    this.#elementBytes += stringBytes(value.length) - stringBytes(this.#items[slot]!.length);
    this.#items[slot] = value;
  }

  /** Elements `start` to `stop` inclusive, both already clamped to the list. */
  slice(start: number, stop: number): string[] {
    const out: string[] = [];
    const mask = this.#items.length - 1;
    for (let i = start; i <= stop; i++) out.push(this.#items[(this.#head + i) & mask]!);
    return out;
  }

  /** Every element, front to back. */
  *values(): IterableIterator<string> {
    for (let i = 0; i < this.#size; i++) {
      yield this.#items[(this.#head + i) & (this.#items.length - 1)]!;
    }
  }

  /** Inserts `value` so it ends up at `index` (0 ≤ index ≤ size), shifting the shorter side. */
  insertAt(index: number, value: string): void {
    if (index === 0) return this.pushFront(value);
    if (index === this.#size) return this.pushBack(value);
    const bytes = this.#elementBytes + stringBytes(value.length);
    if (index < this.#size / 2) {
      this.pushFront(this.at(0)!);
      for (let i = 1; i < index; i++) this.#put(i, this.at(i + 1)!);
    } else {
      this.pushBack(this.at(this.#size - 1)!);
      for (let i = this.#size - 2; i > index; i--) this.#put(i, this.at(i - 1)!);
    }
    this.#put(index, value);
    // The end push counted a copied reference; only the new element adds bytes.
    this.#elementBytes = bytes;
  }

  /**
   * Removes elements equal to `value`: up to `count` from the front when
   * count > 0, from the back when count < 0, all when 0. Returns how many.
   */
  remove(value: string, count: number): number {
    const limit = count === 0 ? Infinity : Math.abs(count);
    const kept: string[] = [];
    let removed = 0;
    if (count >= 0) {
      for (const element of this.values()) {
        if (removed < limit && element === value) removed++;
        else kept.push(element);
      }
    } else {
      for (let i = this.#size - 1; i >= 0; i--) {
        const element = this.at(i)!;
        if (removed < limit && element === value) removed++;
        else kept.push(element);
      }
      kept.reverse();
    }
    if (removed > 0) this.#replaceAll(kept);
    return removed;
  }

  /** Keeps elements `start` to `stop` inclusive (clamped by the caller; start > stop empties). */
  trim(start: number, stop: number): void {
    const back = this.#size - 1 - stop;
    if (start > stop) {
      this.#replaceAll([]);
      return;
    }
    // Pops from each end: O(removed), as Redis's quicklistDelRange.
    for (let i = 0; i < start; i++) this.popFront();
    for (let i = 0; i < back; i++) this.popBack();
  }

  /** Element at `index` without byte accounting, for shifts that only move references. */
  #put(index: number, value: string): void {
    this.#items[(this.#head + index) & (this.#items.length - 1)] = value;
  }

  #removed(value: string): void {
    this.#elementBytes -= stringBytes(value.length);
    const capacity = this.#items.length;
    if (capacity > MIN_CAPACITY && this.#size <= capacity / 4) this.#resize(capacity / 2);
  }

  /** Takes `values` (which it pads with free slots) as the whole content. */
  #replaceAll(values: string[]): void {
    const size = values.length;
    let capacity = MIN_CAPACITY;
    while (capacity < size) capacity *= 2;
    let bytes = 0;
    for (const value of values) bytes += stringBytes(value.length);
    const items: (string | undefined)[] = values;
    while (items.length < capacity) items.push(undefined);
    this.#items = items;
    this.#head = 0;
    this.#size = size;
    this.#elementBytes = bytes;
  }

  #resize(capacity: number): void {
    const items: (string | undefined)[] = [];
    const mask = this.#items.length - 1;
    for (let i = 0; i < this.#size; i++) items.push(this.#items[(this.#head + i) & mask]);
    while (items.length < capacity) items.push(undefined);
    this.#items = items;
    this.#head = 0;
  }
}

function emptySlots(count: number): (string | undefined)[] {
  const slots: (string | undefined)[] = [];
  for (let i = 0; i < count; i++) slots.push(undefined);
  return slots;
}
