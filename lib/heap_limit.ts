/**
 * Whether `maxmemory` fits V8's heap limit. Keys and values live on the
 * JavaScript heap, whose old space is capped when the process starts (4 GB
 * by default, `--max-old-space-size` to change it); a heap that fills aborts
 * the process ("JavaScript heap out of memory") and loses what was not saved.
 * So a limit the heap cannot hold is said at startup and on CONFIG SET,
 * with the flag that fixes it, instead of being accepted without a word.
 *
 * @module
 */

/**
 * Heap bytes needed per byte of `used_memory`. used_memory counts the data's
 * own heap bytes; the heap also needs room to collect (V8's mark-compact
 * evacuates live objects into free pages) and for a `Map` that doubles its
 * table as it grows. Measured: 8.6M keys with 16-byte values (redis-benchmark
 * -r 10000000 -n 20000000 -P 16 -d 16) left used_memory at 1.09 GB and the
 * process at 1.83 GB, 1.68 times as much.
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
  if (maxmemory === 0 || maxmemory * HEAP_PER_DATA_BYTE <= heapLimit) return undefined;
  return `maxmemory ${human(maxmemory)} cannot be honoured: the JavaScript heap is limited to ` +
    `${human(heapLimit)} and the process aborts when it fills, long before the data reaches ` +
    `maxmemory (it can hold about ${human(Math.floor(heapLimit / HEAP_PER_DATA_BYTE))}). ` +
    `Start Kache with DENO_V8_FLAGS=--max-old-space-size=${oldSpaceFor(maxmemory)} ` +
    `(or that --v8-flags), or lower maxmemory.`;
}
