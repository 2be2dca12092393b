/**
 * Whether `maxmemory` fits where the data lives. Keys and string values are
 * records in byte arenas outside the JavaScript heap (lib/arena.ts), which
 * the heap limit does not touch but whose addresses reach 16 GB per
 * database. Collections (hashes, lists, sets, sorted sets, streams), TTLs
 * and LFU counters are objects on the heap, whose old space is capped when
 * the process starts (4 GB by default, `--max-old-space-size` to change
 * it); a heap that fills aborts the process ("JavaScript heap out of
 * memory") and loses what was not saved. The data's mix is not known in
 * advance, so a limit the heap could not hold were it all collections is
 * said at startup and on CONFIG SET, with the flag that fixes it, instead
 * of being accepted without a word.
 *
 * @module
 */
import { MAX_ARENA_BYTES } from "./arena.ts";

/**
 * Heap bytes needed per byte of `used_memory` held in collections.
 * used_memory counts the data's own heap bytes; the heap also needs room to
 * collect (V8's mark-compact evacuates live objects into free pages) and for
 * a `Map` that doubles its table as it grows. Measured: 950k one-field
 * hashes (redis-benchmark -r 1000000 -n 3000000 -P 16 hset
 * h:__rand_int__ f __rand_int__) grew used_memory by 534 MB and the process
 * by 784 MB, 1.46 times as much (1.68 for strings when they lived on the
 * heap); the constant keeps a margin above both.
 */
export const HEAP_PER_DATA_BYTE = 1.75;

const MB = 1024 * 1024;

/** `bytes` as Redis's INFO shows sizes (`1.50G`). */
function human(bytes: number): string {
  const units = ["B", "K", "M", "G", "T"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes}B` : `${value.toFixed(2)}${units[unit]}`;
}

/** The `--max-old-space-size` (MB) that holds `maxmemory` of data. */
export function oldSpaceFor(maxmemory: number): number {
  return Math.ceil(maxmemory * HEAP_PER_DATA_BYTE / MB);
}

/**
 * The warning to log when `maxmemory` (bytes, 0 = none) cannot be honoured
 * by a heap limited to `heapLimit` bytes; undefined when it can.
 *
 * @example A limit above the default heap
 * ```ts
 * import { maxmemoryWarning } from "./heap_limit.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(maxmemoryWarning(1024 ** 3, 4096 * 1024 ** 2), undefined);
 * assert.match(maxmemoryWarning(10 * 1024 ** 3, 4096 * 1024 ** 2)!, /max-old-space-size=17920/);
 * ```
 */
export function maxmemoryWarning(maxmemory: number, heapLimit: number): string | undefined {
  const arena = maxmemory > MAX_ARENA_BYTES
    ? ` The keys and string values of one database fit in ${human(MAX_ARENA_BYTES)} ` +
      `(beyond, writes to it fail).`
    : "";
  if (maxmemory === 0 || maxmemory * HEAP_PER_DATA_BYTE <= heapLimit) {
    return arena === "" ? undefined : `maxmemory ${human(maxmemory)} cannot be honoured:${arena}`;
  }
  return `maxmemory ${human(maxmemory)} cannot be honoured: the JavaScript heap is limited to ` +
    `${human(heapLimit)} and holds the collections (hashes, lists, sets, sorted sets, streams), ` +
    `TTLs and LFU counters; the process aborts when it fills, so no more than about ` +
    `${human(Math.floor(heapLimit / HEAP_PER_DATA_BYTE))} of collections fit.${arena} ` +
    `Keys and string values live outside the heap. ` +
    `Start Kache with DENO_V8_FLAGS=--max-old-space-size=${oldSpaceFor(maxmemory)} ` +
    `(or that --v8-flags), or lower maxmemory.`;
}
