/**
 * Cursor-based iteration (SCAN, ZSCAN) over JavaScript `Map`s.
 *
 * Redis's cursor is a position in its hash table, walked in reverse-binary
 * order so that rehashing never skips a key. A `Map` offers a stronger and
 * simpler guarantee: its iterators visit entries in insertion order, survive
 * insertions and deletions made during the walk (deleted entries are skipped,
 * appended ones are visited), and never visit an entry twice. So
 * {@link ScanCursors} keeps the live iterator itself and gives the client a
 * number that names it.
 *
 * - **Known cursor**: the walk resumes exactly where it stopped, so a full
 *   iteration returns every item present from its start to its end exactly
 *   once. Items added or removed meanwhile may or may not be returned.
 * - **Termination**: a walk ends once it has visited as many items as the
 *   collection held when the walk began. Every item present at the start
 *   comes before any item added later (insertion order), so none of them is
 *   lost, and a full iteration takes at most about n / COUNT calls even while
 *   other clients keep adding keys. (Redis promises to terminate only while
 *   the collection stays bounded in size; without this limit, steady churn
 *   faster than COUNT per call would keep a Map walk going forever.)
 * - **Bounded table**: at most `capacity` walks (4096 by default) are kept;
 *   beyond that the least recently used one is forgotten.
 * - **Unknown cursor** (forgotten, issued before a restart, used twice, or made
 *   up): every cursor also encodes how many items its walk had consumed (its
 *   low {@link POSITION_BITS} bits), so the walk restarts on a fresh iterator
 *   and skips that many items. That is exact when nothing ahead of the
 *   position was deleted since the walk began; otherwise one item is missed
 *   per such deletion. This fallback is weaker than Redis's guarantee, but
 *   only abandoned or replayed cursors reach it.
 *
 * A forgotten walk costs nothing but its table slot; a kept one holds a
 * reference to the collection it walks (even after that collection is
 * dropped) until it finishes or is evicted. {@link ScanCursors.clear} drops
 * them all, for FLUSHALL.
 *
 * @module
 */
import { CommandError, NOT_INTEGER, SYNTAX } from "./errors.ts";
import { globToRegExp } from "./glob.ts";
import { parseInteger } from "./numbers.ts";

/** Low bits of a cursor that hold the walk's position, for the unknown-cursor fallback. */
export const POSITION_BITS = 26;
const POSITION_SPAN = 2 ** POSITION_BITS;
/** Serials wrap here so every cursor stays below 2^53 (exact in JS clients). */
const SERIAL_LIMIT = 2 ** (53 - POSITION_BITS);
const DEFAULT_CAPACITY = 4096;
/** strtoul's range: cursors up to 2^64 - 1 are valid, however unlikely. */
const CURSOR_MAX = 2n ** 64n - 1n;
const MAX_SAFE_CURSOR = BigInt(Number.MAX_SAFE_INTEGER);

export const INVALID_CURSOR = "ERR invalid cursor";

/** One call's worth of a walk. */
export interface ScanRequest<T> {
  /** The collection walked; a cursor resumes only on the collection that issued it. */
  readonly source: object;
  /** Starts a fresh walk in a stable order (a `Map` iterator, or a generator over one). */
  readonly open: () => Iterator<T>;
  /**
   * How many items the collection holds now; read when a walk begins, it
   * bounds the walk (see the module notes). Absent: the walk runs until its
   * iterator ends, which constant churn may postpone forever.
   */
  readonly size?: number;
  /** Items to visit in this call (Redis's COUNT): visited, not necessarily returned. */
  readonly count: number;
  /**
   * Whether a visited item is returned (MATCH, TYPE). Called when the item is
   * returned, which may be a call after it was read from the iterator, so it
   * must also refuse items no longer in the collection.
   */
  readonly accept: (item: T) => boolean;
}

/** What one SCAN call replies: the next cursor ("0" when done) and the items. */
export interface ScanPage<T> {
  readonly cursor: string;
  readonly items: T[];
}

interface Walk {
  readonly source: object;
  readonly iterator: Iterator<unknown>;
  /** Items consumed since the walk began (the lookahead not included). */
  position: number;
  /** The walk ends when `position` reaches this: the collection's size when it began. */
  readonly limit: number;
  /** The item read past the end of the last page, so a finished walk ends a page early. */
  lookahead: IteratorResult<unknown>;
}

/**
 * Live SCAN walks, keyed by the cursor numbers handed to clients.
 *
 * @example Walking a Map in pages
 * ```ts
 * import { ScanCursors } from "./scan.ts";
 * import assert from "node:assert/strict";
 *
 * const map = new Map([["a", 1], ["b", 2], ["c", 3]]);
 * const cursors = new ScanCursors();
 * const request = {
 *   source: map,
 *   open: () => map.keys(),
 *   size: map.size,
 *   count: 2,
 *   accept: (key: string) => map.has(key),
 * };
 * const first = cursors.scan(0, request);
 * assert.deepEqual(first.items, ["a", "b"]);
 * map.delete("b");
 * const second = cursors.scan(BigInt(first.cursor), request);
 * assert.deepEqual(second, { cursor: "0", items: ["c"] });
 * ```
 */
export class ScanCursors {
  readonly #capacity: number;
  /** cursor → walk, least recently used first (a resumed walk is re-inserted). */
  readonly #walks = new Map<number, Walk>();
  #serial = 0;

  constructor(capacity = DEFAULT_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Cursor capacity must be a positive integer, got ${capacity}`);
    }
    this.#capacity = capacity;
  }

  /** Walks kept for resumption. */
  get size(): number {
    return this.#walks.size;
  }

  /** Forgets every walk (their cursors fall back to skipping by position). */
  clear(): void {
    this.#walks.clear();
  }

  /** Visits up to `request.count` items from `cursor` (0 starts a new walk). */
  scan<T>(cursor: number | bigint, request: ScanRequest<T>): ScanPage<T> {
    const walk = this.#resume(cursor, request);
    const items: T[] = [];
    if (walk === undefined) return { cursor: "0", items };
    let next = walk.lookahead as IteratorResult<T>;
    const stop = Math.min(walk.limit, walk.position + request.count);
    while (!next.done && walk.position < stop) {
      if (request.accept(next.value)) items.push(next.value);
      walk.position++;
      next = (walk.iterator as Iterator<T>).next();
    }
    if (next.done || walk.position >= walk.limit) return { cursor: "0", items };
    walk.lookahead = next;
    return { cursor: String(this.#store(walk)), items };
  }

  #resume<T>(cursor: number | bigint, request: ScanRequest<T>): Walk | undefined {
    // Issued cursors stay below 2^53; a bigint naming one (from another caller) still finds it.
    const key = typeof cursor === "bigint" && cursor <= MAX_SAFE_CURSOR ? Number(cursor) : cursor;
    if (typeof key === "number") {
      const walk = this.#walks.get(key);
      if (walk !== undefined && walk.source === request.source) {
        this.#walks.delete(key);
        return walk;
      }
    }
    const iterator = request.open();
    const skip = Number(BigInt(cursor) % BigInt(POSITION_SPAN));
    const limit = request.size ?? Infinity;
    if (skip >= limit) return undefined;
    for (let i = 0; i < skip; i++) {
      if (iterator.next().done) return undefined;
    }
    return {
      source: request.source,
      iterator,
      position: skip,
      limit,
      lookahead: iterator.next(),
    };
  }

  #store(walk: Walk): number {
    this.#serial = this.#serial + 1 === SERIAL_LIMIT ? 1 : this.#serial + 1;
    const cursor = this.#serial * POSITION_SPAN + Math.min(walk.position, POSITION_SPAN - 1);
    // After a serial wrap a stale walk may hold this number; re-inserting keeps LRU order.
    this.#walks.delete(cursor);
    this.#walks.set(cursor, walk);
    if (this.#walks.size > this.#capacity) {
      const oldest = this.#walks.keys().next();
      if (!oldest.done) this.#walks.delete(oldest.value);
    }
    return cursor;
  }
}

/**
 * Parses a SCAN cursor as Redis does (`strtoul`, base 10): optional sign,
 * digits up to 2^64 - 1, a negative value wrapping around as unsigned, the
 * empty string meaning 0, and no surrounding spaces.
 */
export function parseScanCursor(text: string): number | bigint {
  if (text === "") return 0;
  if (!/^[+-]?[0-9]+$/.test(text)) throw new CommandError(INVALID_CURSOR);
  const negative = text.charCodeAt(0) === 45;
  const digits = text.charCodeAt(0) === 43 || negative ? text.slice(1) : text;
  if (digits.length <= 15) {
    const value = Number(digits);
    if (!negative || value === 0) return value;
  }
  const magnitude = BigInt(digits);
  if (magnitude > CURSOR_MAX) throw new CommandError(INVALID_CURSOR);
  const value = negative ? (CURSOR_MAX + 1n - magnitude) % (CURSOR_MAX + 1n) : magnitude;
  return value <= MAX_SAFE_CURSOR ? Number(value) : value;
}

/** SCAN's MATCH, COUNT and TYPE options. */
export interface ScanOptions {
  /** Compiled MATCH pattern; undefined when absent or `*`. */
  readonly match: RegExp | undefined;
  /** Items to visit per call, at least 1 (default 10). */
  readonly count: number;
  /** TYPE name as given (compare case-insensitively); undefined when absent. */
  readonly type: string | undefined;
}

export interface ScanOptionsSettings {
  /** Index of the first option word (2 for SCAN, 3 for ZSCAN). */
  readonly from: number;
  /** TYPE is accepted only when walking the keyspace itself. */
  readonly allowType: boolean;
}

/**
 * Parses the options after the cursor as Redis's `scanGenericCommand` does:
 * each may repeat (the last wins), COUNT must be a positive integer (a
 * non-integer is NOT_INTEGER, below 1 a syntax error), anything else is a
 * syntax error.
 */
export function parseScanOptions(
  argv: readonly string[],
  settings: ScanOptionsSettings,
): ScanOptions {
  let match: RegExp | undefined;
  let count = 10;
  let type: string | undefined;
  for (let i = settings.from; i < argv.length; i += 2) {
    const option = argv[i]!.toUpperCase();
    const value = argv[i + 1];
    if (value === undefined) throw new CommandError(SYNTAX);
    if (option === "COUNT") {
      const parsed = parseInteger(value);
      if (parsed === undefined) throw new CommandError(NOT_INTEGER);
      if (parsed < 1) throw new CommandError(SYNTAX);
      count = Number(parsed);
    } else if (option === "MATCH") {
      match = value === "*" ? undefined : globToRegExp(value);
    } else if (option === "TYPE" && settings.allowType) {
      type = value;
    } else {
      throw new CommandError(SYNTAX);
    }
  }
  return { match, count, type };
}
