/**
 * Hashes: fields (one-byte strings) with one-byte string values, as Redis's
 * hash type holds them.
 *
 * Decisions that shape the module:
 * - A `Map` finds a field's slot in O(1); fields and values sit in two dense
 *   arrays indexed by slot, and a removal moves the last slot into the hole
 *   (swap-remove). So HRANDFIELD picks a uniformly random field in O(1) by
 *   drawing a slot, where a `Map` alone would have to be walked.
 * - The `Map` holds a small integer (never boxed by V8) rather than the value,
 *   so the value lives once, in the array.
 * - HSCAN walks the `Map`'s keys: its iterators survive inserts and deletes,
 *   which a walk over the swapped arrays would not.
 * - The hash keeps a running estimate of its heap size (lib/memory.ts) and
 *   reports changes as deltas, as lib/zset.ts's `SortedSet` does.
 *
 * @module
 */
import { ScannedCollection } from "./collection.ts";
import { hashBytes, stringBytes } from "./memory.ts";

/**
 * A hash of one-byte-string fields to one-byte-string values.
 *
 * @example Fields, values and a random pick
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * const hash = new Hash();
 * hash.set("name", "kache");
 * hash.set("lang", "ts");
 * strictEqual(hash.get("name"), "kache");
 * strictEqual(hash.delete("lang"), true);
 * deepStrictEqual([...hash.entries()], [["name", "kache"]]);
 * deepStrictEqual(hash.entryAt(0), ["name", "kache"]);
 * ```
 */
export class Hash extends ScannedCollection {
  /** field → slot in {@link Hash.#fields} and {@link Hash.#values}. */
  #slots = new Map<string, number>();
  /** Per slot: the field. Dense: slots 0..size-1 are all in use. */
  #fields: string[] = [];
  /** Per slot: the value. */
  #values: string[] = [];
  /** Sum of the fields' and values' string sizes, for {@link Hash.byteSize}. */
  #stringBytes = 0;

  get typeName(): "hash" {
    return "hash";
  }

  /** Number of fields. */
  get size(): number {
    return this.#fields.length;
  }

  /** Estimated heap bytes of the hash, strings included (see lib/memory.ts). O(1). */
  get byteSize(): number {
    return hashBytes(this.#fields.length, this.#stringBytes) + this.scanIndexBytes;
  }

  /** The field's value, or undefined if the field is absent. */
  get(field: string): string | undefined {
    const slot = this.#slots.get(field);
    return slot === undefined ? undefined : this.#values[slot];
  }

  has(field: string): boolean {
    return this.#slots.has(field);
  }

  /** Sets the field's value; returns true if the field is new. */
  set(field: string, value: string): boolean {
    const slot = this.#slots.get(field);
    if (slot !== undefined) {
      this.#stringBytes += stringBytes(value.length) - stringBytes(this.#values[slot]!.length);
      this.#values[slot] = value;
      return false;
    }
    this.#slots.set(field, this.#fields.length);
    this.scanKeyAdded(field);
    this.#fields.push(field);
    this.#values.push(value);
    this.#stringBytes += stringBytes(field.length) + stringBytes(value.length);
    return true;
  }

  /** Removes the field; returns false if it was absent. */
  delete(field: string): boolean {
    const slot = this.#slots.get(field);
    if (slot === undefined) return false;
    this.#slots.delete(field);
    this.scanKeyDeleted(field);
    this.#stringBytes -= stringBytes(field.length) + stringBytes(this.#values[slot]!.length);
    const lastField = this.#fields.pop()!;
    const lastValue = this.#values.pop()!;
    if (slot !== this.#fields.length) {
      this.#fields[slot] = lastField;
      this.#values[slot] = lastValue;
      this.#slots.set(lastField, slot);
    }
    return true;
  }

  /** The field and value in slot `index` (0 ≤ index < size), for uniform random picks in O(1). */
  entryAt(index: number): [field: string, value: string] {
    if (!(index >= 0 && index < this.#fields.length)) {
      throw new RangeError(`Hash slot ${index} is out of range (size ${this.#fields.length})`);
    }
    return [this.#fields[index]!, this.#values[index]!];
  }

  /** Every field with its value, in slot order. Do not change the hash while iterating. */
  *entries(): IterableIterator<[field: string, value: string]> {
    const fields = this.#fields;
    const values = this.#values;
    for (let i = 0; i < fields.length; i++) yield [fields[i]!, values[i]!];
  }

  /** The fields, in slot order (a copy). */
  fieldList(): string[] {
    return this.#fields.slice();
  }

  /** The values, in slot order (a copy). */
  valueList(): string[] {
    return this.#values.slice();
  }

  /** The fields, for HSCAN's index (see {@link ScannedCollection.scan}). */
  protected scanKeys(): IterableIterator<string> {
    return this.#slots.keys();
  }

  /** Throws if the slot map and the arrays disagree (for tests). */
  checkInvariants(): void {
    const fields = this.#fields;
    if (fields.length !== this.#values.length || fields.length !== this.#slots.size) {
      throw new Error("Hash arrays and slot map differ in size");
    }
    let bytes = 0;
    for (let i = 0; i < fields.length; i++) {
      if (this.#slots.get(fields[i]!) !== i) throw new Error(`Hash slot ${i} is not indexed`);
      bytes += stringBytes(fields[i]!.length) + stringBytes(this.#values[i]!.length);
    }
    if (bytes !== this.#stringBytes) throw new Error("Hash string byte count drifted");
  }
}
