/**
 * What every value other than a string shares, so the keyspace stores,
 * types, accounts and snapshots sorted sets, hashes, lists and sets through
 * one path (each kind also joins `CollectionValue` in lib/keyspace.ts). A
 * collection is edited in place by the command that holds it,
 * then handed back with {@link Keyspace.storeCollection}.
 *
 * @module
 */
import { ScanIndex, type ScanStep } from "./scan_index.ts";

/** Redis's TYPE names for Kache's value kinds. */
export type TypeName = "string" | "list" | "zset" | "hash" | "set" | "stream";

export interface Collection {
  /** The TYPE name; a prototype getter, so it costs no per-value field. */
  readonly typeName: TypeName;
  /** Elements held; an empty collection is never stored (Redis deletes the key). */
  readonly size: number;
  /**
   * The estimate of heap bytes as of the last {@link Collection.takeByteDelta}:
   * what the keyspace's running total holds for this value.
   */
  readonly reportedBytes: number;
  /** Brings {@link Collection.reportedBytes} up to date and returns by how much it moved. */
  takeByteDelta(): number;
  /**
   * Reads what a command's first look at the collection reads (the
   * read-ahead of a pipelined batch, lib/key_table.ts), so the cache misses
   * of several collections overlap; returns a number made from it, so the
   * reads are not optimized away.
   */
  warm(): number;
}

/**
 * The memory-estimate half of {@link Collection}, written once: a subclass
 * says what it holds now ({@link MeasuredCollection.byteSize}, O(1) from the
 * counters it keeps up to date), and this class tracks what was last
 * reported, so the keyspace's memory total stays exact while commands edit a
 * collection in place.
 *
 * @example A value's bytes reported as deltas
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * class Counter extends MeasuredCollection {
 *   count = 0;
 *   get typeName(): "list" {
 *     return "list";
 *   }
 *   get size(): number {
 *     return this.count;
 *   }
 *   get byteSize(): number {
 *     return 16 * this.count;
 *   }
 * }
 * const counter = new Counter();
 * counter.count = 2;
 * strictEqual(counter.takeByteDelta(), 32);
 * counter.count = 1;
 * strictEqual(counter.takeByteDelta(), -16);
 * strictEqual(counter.reportedBytes, 16);
 * ```
 */
export abstract class MeasuredCollection implements Collection {
  /** {@link MeasuredCollection.byteSize} as of the last {@link MeasuredCollection.takeByteDelta}. */
  #reportedBytes = 0;

  abstract get typeName(): TypeName;
  abstract get size(): number;
  /** Estimated heap bytes of the collection, elements included (see lib/memory.ts). O(1). */
  abstract get byteSize(): number;

  /**
   * How much {@link MeasuredCollection.byteSize} changed since the previous
   * call (all of it on the first): the keyspace adds this to its running
   * total each time it stores the collection, however many edits happened in
   * between.
   */
  takeByteDelta(): number {
    const bytes = this.byteSize;
    const delta = bytes - this.#reportedBytes;
    this.#reportedBytes = bytes;
    return delta;
  }

  /** The estimate as of the last {@link MeasuredCollection.takeByteDelta}: what a running total holds. */
  get reportedBytes(): number {
    return this.#reportedBytes;
  }

  /** See {@link Collection.warm}: the object itself, by default. */
  warm(): number {
    return this.#reportedBytes;
  }
}

/**
 * A collection that ZSCAN, HSCAN or SSCAN walks through a {@link ScanIndex}
 * of its keys (members or fields). The index is built by the first scan and
 * kept up to date from then on, so collections never scanned pay nothing
 * for it; a subclass reports each key it gains or loses and counts
 * {@link ScannedCollection.scanIndexBytes} in its byte size.
 *
 * @example A scan of a small collection
 * ```ts
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 * class Names extends ScannedCollection {
 *   #names = new Set<string>();
 *   get typeName(): "set" {
 *     return "set";
 *   }
 *   get size(): number {
 *     return this.#names.size;
 *   }
 *   get byteSize(): number {
 *     return 8 * this.#names.size + this.scanIndexBytes;
 *   }
 *   add(name: string): void {
 *     if (!this.#names.has(name)) this.scanKeyAdded(name);
 *     this.#names.add(name);
 *   }
 *   protected scanKeys(): Iterable<string> {
 *     return this.#names;
 *   }
 * }
 * const names = new Names();
 * names.add("a");
 * const first = names.scan(0, 10);
 * names.add("b");
 * const second = names.scan(0, 10);
 * deepStrictEqual(first.keys, ["a"]);
 * deepStrictEqual(second.keys.sort(), ["a", "b"]);
 * strictEqual(second.cursor, 0);
 * ```
 */
export abstract class ScannedCollection extends MeasuredCollection {
  /** The keys again, for SCAN's stateless cursors; built by the first {@link ScannedCollection.scan}. */
  #scanIndex: ScanIndex | undefined;

  /** Every key the collection holds now, to build the index from. */
  protected abstract scanKeys(): Iterable<string>;

  /**
   * One SCAN step from `cursor` (see {@link ScanIndex.scan}). The first call
   * on a collection indexes its keys, O(n) once; later calls cost O(count).
   */
  scan(cursor: number | bigint, count: number): ScanStep {
    this.#scanIndex ??= ScanIndex.from(this.scanKeys());
    return this.#scanIndex.scan(cursor, count);
  }

  /** Call when `key` joins the collection. */
  protected scanKeyAdded(key: string): void {
    this.#scanIndex?.add(key);
  }

  /** Call when `key` leaves the collection. */
  protected scanKeyDeleted(key: string): void {
    this.#scanIndex?.delete(key);
  }

  /** Heap bytes of the index (0 until the first scan), for the subclass's byte size. */
  protected get scanIndexBytes(): number {
    return this.#scanIndex?.byteSize ?? 0;
  }
}

/** A class whose instances are collections, for {@link Keyspace.getCollection}'s type check. */
// deno-lint-ignore no-explicit-any
export type CollectionClass<T extends Collection> = abstract new (...args: any[]) => T;
