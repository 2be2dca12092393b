/**
 * Hashes: fields (one-byte strings) with one-byte string values, as Redis's
 * hash type holds them.
 *
 * Decisions that shape the module:
 * - A small hash is one packed string, as Redis keeps a small hash in one
 *   listpack: each entry is its field's length (one char), the field, the
 *   value's length and the value. Up to {@link PACKED_MAX_FIELDS} fields of
 *   at most {@link PACKED_MAX_LENGTH} bytes each; a lookup scans it (as
 *   Redis scans its listpack) and a write builds a new one. A `Map` with two
 *   arrays and a string per field and value took ~150 bytes of RSS per field
 *   of a 10-field hash, 4× Redis's 38; packed it is the entries' bytes plus
 *   two per entry. A hash that outgrows either limit moves to the table below
 *   for good, as Redis converts a listpack to a hashtable and never back.
 * - The table: a `Map` finds a field's slot in O(1); fields and values sit in
 *   two dense arrays indexed by slot, and a removal moves the last slot into
 *   the hole (swap-remove). So HRANDFIELD picks a uniformly random field in
 *   O(1) by drawing a slot, where a `Map` alone would have to be walked. The
 *   `Map` holds a small integer (never boxed by V8) rather than the value, so
 *   the value lives once, in the array.
 * - HSCAN walks the fields through the index ScannedCollection builds on the
 *   first scan: its iterators survive inserts and deletes, which a walk over
 *   the swapped arrays or a rebuilt packed string would not.
 * - The hash keeps a running estimate of its heap size (lib/memory.ts) and
 *   reports changes as deltas, as lib/zset.ts's `SortedSet` does.
 *
 * @module
 */
import { bytesToString, writeString } from "./bytes.ts";
import { ScannedCollection } from "./collection.ts";
import { hashBytes, packedHashBytes, stringBytes } from "./memory.ts";

/** Most fields a packed hash holds (redis.conf's `hash-max-listpack-entries`). */
export const PACKED_MAX_FIELDS = 128;
/** Longest field or value a packed hash holds, in bytes (`hash-max-listpack-value`). */
export const PACKED_MAX_LENGTH = 64;

/**
 * One packed entry (the lengths are single chars, so both must be at most
 * 255) between `before` and `after`, as one flat string: `+` would make a
 * rope that keeps its pieces (and the old packed string they slice) until
 * something reads it — 4× the memory of a hash written and never read.
 */
function packWith(before: string, field: string, value: string, after: string): string {
  return [
    before,
    String.fromCharCode(field.length),
    field,
    String.fromCharCode(value.length),
    value,
    after,
  ]
    .join("");
}

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
  /** Packed mode: the entries (see the module notes); "" once the hash uses the table. */
  #packed = "";
  /** Packed mode: the number of entries in {@link Hash.#packed}. */
  #packedSize = 0;
  /** Table mode (see the module notes); undefined while packed, so a packed hash holds no arrays. */
  #table: HashTable | undefined;

  get typeName(): "hash" {
    return "hash";
  }

  /** Number of fields. */
  get size(): number {
    return this.#table === undefined ? this.#packedSize : this.#table.fields.length;
  }

  /** Whether the hash is still one packed string (entryAt then walks it). */
  get packed(): boolean {
    return this.#table === undefined;
  }

  /** Estimated heap bytes of the hash, strings included (see lib/memory.ts). O(1). */
  get byteSize(): number {
    const table = this.#table;
    const own = table === undefined
      ? packedHashBytes(this.#packed.length)
      : hashBytes(table.fields.length, table.stringBytes);
    return own + this.scanIndexBytes;
  }

  /** The object and, while packed, its string's first bytes (see Collection.warm). */
  override warm(): number {
    return this.#packed.length;
  }

  /** The field's value, or undefined if the field is absent. */
  get(field: string): string | undefined {
    const table = this.#table;
    if (table === undefined) {
      const at = this.#find(field);
      return at < 0 ? undefined : this.#valueAt(at);
    }
    const slot = table.slots.get(field);
    return slot === undefined ? undefined : table.values[slot];
  }

  has(field: string): boolean {
    return this.#table === undefined ? this.#find(field) >= 0 : this.#table.slots.has(field);
  }

  /** Sets the field's value; returns true if the field is new. */
  set(field: string, value: string): boolean {
    if (this.#table === undefined) {
      const at = this.#find(field);
      if (
        field.length <= PACKED_MAX_LENGTH && value.length <= PACKED_MAX_LENGTH &&
        (at >= 0 || this.#packedSize < PACKED_MAX_FIELDS)
      ) {
        const packed = this.#packed;
        if (at >= 0) {
          this.#packed = packWith(
            packed.slice(0, at),
            field,
            value,
            packed.slice(this.#entryEnd(at)),
          );
          return false;
        }
        this.#packed = packWith(packed, field, value, "");
        this.#packedSize++;
        this.scanKeyAdded(field);
        return true;
      }
      this.#unpack();
    }
    const table = this.#table!;
    const slot = table.slots.get(field);
    if (slot !== undefined) {
      table.stringBytes += stringBytes(value.length) - stringBytes(table.values[slot]!.length);
      table.values[slot] = value;
      return false;
    }
    this.scanKeyAdded(field);
    table.add(field, value);
    return true;
  }

  /** Removes the field; returns false if it was absent. */
  delete(field: string): boolean {
    const table = this.#table;
    if (table === undefined) {
      const at = this.#find(field);
      if (at < 0) return false;
      const packed = this.#packed;
      this.#packed = [packed.slice(0, at), packed.slice(this.#entryEnd(at))].join("");
      this.#packedSize--;
      this.scanKeyDeleted(field);
      return true;
    }
    const slot = table.slots.get(field);
    if (slot === undefined) return false;
    table.slots.delete(field);
    this.scanKeyDeleted(field);
    const { fields, values } = table;
    table.stringBytes -= stringBytes(field.length) + stringBytes(values[slot]!.length);
    const lastField = fields.pop()!;
    const lastValue = values.pop()!;
    if (slot !== fields.length) {
      fields[slot] = lastField;
      values[slot] = lastValue;
      table.slots.set(lastField, slot);
    }
    return true;
  }

  /**
   * The field and value at `index` (0 ≤ index < size), for uniform random
   * picks: O(1) in the table, a walk of at most {@link PACKED_MAX_FIELDS}
   * entries while packed.
   */
  entryAt(index: number): [field: string, value: string] {
    if (!(index >= 0 && index < this.size)) {
      throw new RangeError(`Hash slot ${index} is out of range (size ${this.size})`);
    }
    const table = this.#table;
    if (table !== undefined) return [table.fields[index]!, table.values[index]!];
    let at = 0;
    for (let i = 0; i < index; i++) at = this.#entryEnd(at);
    return [this.#fieldAt(at), this.#valueAt(at)];
  }

  /** Every field with its value, in slot order. Do not change the hash while iterating. */
  *entries(): IterableIterator<[field: string, value: string]> {
    const table = this.#table;
    if (table === undefined) {
      const packed = this.#packed;
      for (let at = 0; at < packed.length; at = this.#entryEnd(at)) {
        yield [this.#fieldAt(at), this.#valueAt(at)];
      }
      return;
    }
    const { fields, values } = table;
    for (let i = 0; i < fields.length; i++) yield [fields[i]!, values[i]!];
  }

  /** The fields, in slot order (a copy). */
  fieldList(): string[] {
    if (this.#table !== undefined) return this.#table.fields.slice();
    const fields: string[] = [];
    for (const [field] of this.entries()) fields.push(field);
    return fields;
  }

  /** The values, in slot order (a copy). */
  valueList(): string[] {
    if (this.#table !== undefined) return this.#table.values.slice();
    const values: string[] = [];
    for (const [, value] of this.entries()) values.push(value);
    return values;
  }

  /** The fields, for HSCAN's index (see {@link ScannedCollection.scan}). */
  protected scanKeys(): IterableIterator<string> {
    return this.#table === undefined ? this.fieldList().values() : this.#table.slots.keys();
  }

  /** Where the packed entry of `field` starts, or -1. */
  #find(field: string): number {
    const packed = this.#packed;
    const length = field.length;
    if (length > PACKED_MAX_LENGTH) return -1;
    for (let at = 0; at < packed.length;) {
      const fieldLength = packed.charCodeAt(at);
      // startsWith compares in place: no string is built for a field that does not match.
      if (fieldLength === length && packed.startsWith(field, at + 1)) return at;
      at += 2 + fieldLength + packed.charCodeAt(at + 1 + fieldLength);
    }
    return -1;
  }

  /** Where the packed entry after the one at `at` starts. */
  #entryEnd(at: number): number {
    const packed = this.#packed;
    const fieldLength = packed.charCodeAt(at);
    return at + 2 + fieldLength + packed.charCodeAt(at + 1 + fieldLength);
  }

  #fieldAt(at: number): string {
    return this.#packed.substring(at + 1, at + 1 + this.#packed.charCodeAt(at));
  }

  #valueAt(at: number): string {
    const packed = this.#packed;
    const start = at + 2 + packed.charCodeAt(at);
    return packed.substring(start, start + packed.charCodeAt(start - 1));
  }

  /**
   * Moves the packed entries into the table, in their order. Each string is
   * decoded afresh from the packed bytes: a substring of 13 chars or more is
   * a view that keeps the whole packed string alive, for as long as the
   * table holds it.
   */
  #unpack(): void {
    const packed = this.#packed;
    const bytes = new Uint8Array(packed.length);
    writeString(bytes, 0, packed);
    const table = new HashTable();
    for (let at = 0; at < packed.length; at = this.#entryEnd(at)) {
      const fieldStart = at + 1;
      const valueStart = fieldStart + packed.charCodeAt(at) + 1;
      table.add(
        bytesToString(bytes, fieldStart, valueStart - 1),
        bytesToString(bytes, valueStart, valueStart + packed.charCodeAt(valueStart - 1)),
      );
    }
    this.#table = table;
    this.#packed = "";
    this.#packedSize = 0;
  }

  /** Throws if the packed string or the slot map and the arrays disagree (for tests). */
  checkInvariants(): void {
    const table = this.#table;
    if (table === undefined) {
      const packed = this.#packed;
      const seen = new Set<string>();
      let at = 0;
      for (; at < packed.length; at = this.#entryEnd(at)) {
        const field = this.#fieldAt(at);
        if (seen.has(field)) throw new Error(`Packed hash holds ${field} twice`);
        seen.add(field);
        if (field.length > PACKED_MAX_LENGTH || this.#valueAt(at).length > PACKED_MAX_LENGTH) {
          throw new Error("Packed hash holds an entry over the length limit");
        }
      }
      if (at !== packed.length) throw new Error("Packed hash entries overrun the string");
      if (seen.size !== this.#packedSize || seen.size > PACKED_MAX_FIELDS) {
        throw new Error(`Packed hash counts ${this.#packedSize} fields, holds ${seen.size}`);
      }
      return;
    }
    const { slots, fields, values } = table;
    if (fields.length !== values.length || fields.length !== slots.size) {
      throw new Error("Hash arrays and slot map differ in size");
    }
    let bytes = 0;
    for (let i = 0; i < fields.length; i++) {
      if (slots.get(fields[i]!) !== i) throw new Error(`Hash slot ${i} is not indexed`);
      bytes += stringBytes(fields[i]!.length) + stringBytes(values[i]!.length);
    }
    if (bytes !== table.stringBytes) throw new Error("Hash string byte count drifted");
  }
}

/** A hash past the packed limits: a slot map and two dense arrays (see the module notes). */
class HashTable {
  /** field → slot in {@link HashTable.fields} and {@link HashTable.values}. */
  readonly slots = new Map<string, number>();
  /** Per slot: the field. Dense: slots 0..size-1 are all in use. */
  readonly fields: string[] = [];
  /** Per slot: the value. */
  readonly values: string[] = [];
  /** Sum of the field and value string sizes, for {@link Hash.byteSize}. */
  stringBytes = 0;

  /** Adds a field that is not there yet. */
  add(field: string, value: string): void {
    this.slots.set(field, this.fields.length);
    this.fields.push(field);
    this.values.push(value);
    this.stringBytes += stringBytes(field.length) + stringBytes(value.length);
  }
}
