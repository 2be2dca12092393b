/**
 * The keyspace has one observer slot; several parts of the server want to
 * hear about changes (WATCH, keyspace notifications, the append-only file).
 * {@link combineObservers} fans one call out to each of them, in order, and
 * returns a lone observer as it is, so a server with only WATCH pays no
 * extra call per write.
 *
 * @module
 */
import type { Keyspace, KeyspaceObserver } from "../lib/keyspace.ts";

/** Calls every observer in turn; optional callbacks go only to those that have them. */
class FanOutObserver implements KeyspaceObserver {
  readonly #observers: readonly KeyspaceObserver[];
  readonly created?: (key: string, keyspace: Keyspace) => void;
  readonly evicted?: (key: string, keyspace: Keyspace) => void;

  constructor(observers: readonly KeyspaceObserver[]) {
    this.#observers = observers;
    const creators = observers.filter((observer) => observer.created !== undefined);
    if (creators.length > 0) {
      this.created = (key, keyspace) => {
        for (const observer of creators) observer.created!(key, keyspace);
      };
    }
    const evictors = observers.filter((observer) => observer.evicted !== undefined);
    if (evictors.length > 0) {
      this.evicted = (key, keyspace) => {
        for (const observer of evictors) observer.evicted!(key, keyspace);
      };
    }
  }

  modified(key: string, keyspace: Keyspace): void {
    for (const observer of this.#observers) observer.modified(key, keyspace);
  }

  expired(key: string, keyspace: Keyspace): void {
    for (const observer of this.#observers) observer.expired(key, keyspace);
  }

  flushed(keyspace: Keyspace, swappedWith?: Keyspace): void {
    for (const observer of this.#observers) observer.flushed(keyspace, swappedWith);
  }
}

/**
 * One observer that tells all of `observers` (undefined entries skipped),
 * or the only one itself.
 *
 * @example
 * ```ts
 * import { strictEqual } from "node:assert/strict";
 * import { Keyspace } from "../lib/keyspace.ts";
 * const seen: string[] = [];
 * const watch = { modified: (key: string) => seen.push(`watch ${key}`), expired() {}, flushed() {} };
 * const log = { modified: (key: string) => seen.push(`log ${key}`), expired() {}, flushed() {} };
 * strictEqual(combineObservers([watch, undefined]), watch);
 * combineObservers([watch, log]).modified("k", new Keyspace());
 * strictEqual(seen.join(", "), "watch k, log k");
 * ```
 */
export function combineObservers(
  observers: readonly (KeyspaceObserver | undefined)[],
): KeyspaceObserver {
  const present = observers.filter((observer) => observer !== undefined);
  if (present.length === 0) throw new Error("combineObservers needs at least one observer");
  return present.length === 1 ? present[0]! : new FanOutObserver(present);
}
