/** The maxmemory warning: the heap's share (collections) and the byte arena's ceiling. */
import assert from "node:assert/strict";
import { maxmemoryWarning } from "../../lib/heap_limit.ts";

Deno.test("maxmemoryWarning names the heap's share and the arena's ceiling", () => {
  const GB = 1024 ** 3;
  assert.equal(maxmemoryWarning(GB, 4 * GB), undefined);
  assert.match(
    maxmemoryWarning(10 * GB, 4 * GB)!,
    /holds the collections .*--max-old-space-size=17920/,
  );
  assert.match(maxmemoryWarning(20 * GB, 64 * GB)!, /one database fit in 16\.00G/);
});
