/**
 * What every value other than a string shares, so the keyspace stores,
 * types, accounts and snapshots sorted sets, hashes, lists and sets through
 * one path (each kind also joins `CollectionValue` in lib/keyspace.ts). A
 * collection is edited in place by the command that holds it,
 * then handed back with {@link Keyspace.storeCollection}.
 *
 * @module
 */

/** Redis's TYPE names for Kache's value kinds. */
export type TypeName = "string" | "list" | "zset" | "hash" | "set";

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
}

/** A class whose instances are collections, for {@link Keyspace.getCollection}'s type check. */
// deno-lint-ignore no-explicit-any
export type CollectionClass<T extends Collection> = abstract new (...args: any[]) => T;
