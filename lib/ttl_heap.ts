/**
 * An indexed binary min-heap of key deadlines (absolute Unix milliseconds),
 * the structure behind Kache's TTLs. The `Map<key, slot>` beside the arrays
 * makes reading, changing and removing a key's deadline O(1)/O(log n) and
 * leaves no stale heap entries behind when a TTL changes or a key goes away.
 *
 * The heap is also the only place a deadline lives (Redis keeps a separate
 * `expires` dict the same way), so a key without a TTL costs nothing here.
 *
 * @module
 */

export class TtlHeap {
  /** Heap-ordered keys; `#deadlines[i]` belongs to `#keys[i]`. */
  #keys: string[] = [];
  /** Parallel to `#keys`: a plain number array stays an unboxed double array in V8. */
  #deadlines: number[] = [];
  /** Where each key sits in the arrays, so updates need no search. */
  #slots = new Map<string, number>();

  get size(): number {
    return this.#keys.length;
  }

  /** The key's deadline, or undefined when it has none. */
  get(key: string): number | undefined {
    const slot = this.#slots.get(key);
    return slot === undefined ? undefined : this.#deadlines[slot];
  }

  has(key: string): boolean {
    return this.#slots.has(key);
  }

  /** Sets or moves the key's deadline. */
  set(key: string, deadline: number): void {
    if (Number.isNaN(deadline)) throw new RangeError(`Cannot set deadline of "${key}" to NaN`);
    const slot = this.#slots.get(key);
    if (slot === undefined) {
      const last = this.#keys.length;
      this.#keys.push(key);
      this.#deadlines.push(deadline);
      this.#slots.set(key, last);
      this.#siftUp(last);
      return;
    }
    const previous = this.#deadlines[slot]!;
    this.#deadlines[slot] = deadline;
    if (deadline < previous) this.#siftUp(slot);
    else this.#siftDown(slot);
  }

  /**
   * How many deadlines are at or before `now`: the due entries form a
   * subtree at the root, so the walk visits only them and their children
   * (O(due), nothing when none is due).
   */
  countDue(now: number): number {
    const deadlines = this.#deadlines;
    if (deadlines.length === 0 || deadlines[0]! > now) return 0;
    let count = 0;
    const stack = [0];
    while (stack.length > 0) {
      const slot = stack.pop()!;
      count++;
      for (const child of [2 * slot + 1, 2 * slot + 2]) {
        if (child < deadlines.length && deadlines[child]! <= now) stack.push(child);
      }
    }
    return count;
  }

  /** Removes the key's deadline; returns whether it had one. */
  delete(key: string): boolean {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    this.#removeAt(slot);
    return true;
  }

  /** The earliest deadline, or undefined when the heap is empty. */
  peekDeadline(): number | undefined {
    return this.#deadlines[0];
  }

  /** The deadline in heap slot `slot` (0 ≤ slot < size): any slot holds a uniformly chosen key. */
  deadlineAt(slot: number): number | undefined {
    return this.#deadlines[slot];
  }

  /** The key with the earliest deadline. */
  peekKey(): string | undefined {
    return this.#keys[0];
  }

  /** Removes and returns the key with the earliest deadline. */
  pop(): string | undefined {
    const key = this.#keys[0];
    if (key !== undefined) this.#removeAt(0);
    return key;
  }

  clear(): void {
    this.#keys = [];
    this.#deadlines = [];
    this.#slots = new Map();
  }

  /** Every key with its deadline, in heap (not sorted) order. */
  *entries(): IterableIterator<[string, number]> {
    for (let i = 0; i < this.#keys.length; i++) yield [this.#keys[i]!, this.#deadlines[i]!];
  }

  #removeAt(slot: number): void {
    const keys = this.#keys;
    const deadlines = this.#deadlines;
    this.#slots.delete(keys[slot]!);
    const lastKey = keys.pop()!;
    const lastDeadline = deadlines.pop()!;
    if (slot === keys.length) return;
    keys[slot] = lastKey;
    deadlines[slot] = lastDeadline;
    this.#slots.set(lastKey, slot);
    this.#siftUp(slot);
    this.#siftDown(slot);
  }

  #siftUp(slot: number): void {
    const keys = this.#keys;
    const deadlines = this.#deadlines;
    const key = keys[slot]!;
    const deadline = deadlines[slot]!;
    while (slot > 0) {
      const parent = (slot - 1) >> 1;
      if (deadlines[parent]! <= deadline) break;
      keys[slot] = keys[parent]!;
      deadlines[slot] = deadlines[parent]!;
      this.#slots.set(keys[slot]!, slot);
      slot = parent;
    }
    keys[slot] = key;
    deadlines[slot] = deadline;
    this.#slots.set(key, slot);
  }

  #siftDown(slot: number): void {
    const keys = this.#keys;
    const deadlines = this.#deadlines;
    const length = keys.length;
    const key = keys[slot]!;
    const deadline = deadlines[slot]!;
    while (true) {
      const left = 2 * slot + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && deadlines[right]! < deadlines[left]! ? right : left;
      if (deadlines[child]! >= deadline) break;
      keys[slot] = keys[child]!;
      deadlines[slot] = deadlines[child]!;
      this.#slots.set(keys[slot]!, slot);
      slot = child;
    }
    keys[slot] = key;
    deadlines[slot] = deadline;
    this.#slots.set(key, slot);
  }
}
