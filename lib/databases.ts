/**
 * The server's databases: SELECT's numbered keyspaces, `databases` of them
 * (16 by default, fixed at startup as in Redis).
 *
 * A database is created the first time it is used, so the 15 a typical
 * server never selects cost nothing, and a large `databases` setting costs
 * only an empty slot each. Everything that walks every database (INFO,
 * snapshots, active expiry, eviction, FLUSHALL) walks {@link Databases.created}.
 * All of them share one {@link KeyspaceShared}: clock, change counter,
 * statistics and observer.
 *
 * @module
 */
import { Keyspace, KeyspaceShared } from "./keyspace.ts";

/** Redis's reply when a database index is not below `databases`. */
export const DB_OUT_OF_RANGE = "ERR DB index is out of range";

/**
 * @example Databases are independent, and share the clock
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * const databases = new Databases(16);
 * databases.at(0).set("k", "zero");
 * databases.at(3).set("k", "three");
 * databases.at(3).now = 1_000;
 * strictEqual(databases.at(0).get("k"), "zero");
 * strictEqual(databases.at(0).now, 1_000);
 * strictEqual(databases.created().length, 2);
 * ```
 */
export class Databases {
  /** How many databases there are (the `databases` setting). */
  readonly count: number;
  readonly shared = new KeyspaceShared();
  /** index → keyspace, filled as databases are first used. */
  readonly #slots: Keyspace[] = [];
  /** The databases created so far, by index. */
  #created: Keyspace[] = [];

  constructor(count: number) {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`Bad database count ${count}`);
    this.count = count;
    this.at(0);
  }

  /** Database `index`, created empty on first use; `index` must be in range (see {@link Databases.has}). */
  at(index: number): Keyspace {
    return this.#slots[index] ?? this.#create(index);
  }

  /** Whether `index` names a database (0 ≤ index < count). */
  has(index: number): boolean {
    return Number.isInteger(index) && index >= 0 && index < this.count;
  }

  /** The databases used so far, in index order (the others are empty). */
  created(): readonly Keyspace[] {
    return this.#created;
  }

  /** Keys in every database. */
  get size(): number {
    let keys = 0;
    for (const keyspace of this.#created) keys += keyspace.size;
    return keys;
  }

  /** The data's estimated heap bytes across every database (INFO's `used_memory_dataset`). */
  get usedMemory(): number {
    let bytes = 0;
    for (const keyspace of this.#created) bytes += keyspace.usedMemory;
    return bytes;
  }

  /** Bytes of every database's arena chunks, free slots included (INFO's `arena_reserved`). */
  get arenaBytes(): number {
    let bytes = 0;
    for (const keyspace of this.#created) bytes += keyspace.arenaBytes;
    return bytes;
  }

  /** The earliest deadline of any key in any database, for the active sweep. */
  nextDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const keyspace of this.#created) {
      const deadline = keyspace.nextDeadline();
      if (deadline !== undefined && (earliest === undefined || deadline < earliest)) {
        earliest = deadline;
      }
    }
    return earliest;
  }

  /** SWAPDB: the two databases exchange contents; indexes (and who uses them) stay. */
  swap(first: number, second: number): void {
    if (first === second) return;
    this.at(first).swapContents(this.at(second));
  }

  /** FLUSHALL: drops every key of every database, each in O(1). */
  flushAll(): void {
    for (const keyspace of this.#created) keyspace.flush();
  }

  #create(index: number): Keyspace {
    if (!this.has(index)) throw new RangeError(`Database ${index} of ${this.count} requested`);
    const keyspace = new Keyspace(index, this.shared);
    this.#slots[index] = keyspace;
    this.#created = [...this.#created, keyspace].sort((a, b) => a.index - b.index);
    return keyspace;
  }
}
